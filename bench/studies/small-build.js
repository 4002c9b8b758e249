// Where a small map's build from empty goes (docs/design.md, "Growth"; issue 23):
//   node bench/studies/small-build.js [n]   (n: entries, 1000 unless given)
// 1. Map: n int32 keys set into a new Map; HashMap: a new map disposed at once; n keys set into a map
//    made with `capacity: n` (no growth); n keys set into a map made empty (every growth); each
//    repeated 2000 times a pass, median of 9 passes, microseconds a map; and both constructors given
//    an array of the n [key, value] pairs (a HashMap makes room for them up front).
// 2. The same build from empty, the map made with capacities just below each doubling threshold: the
//    difference between two rows is what the growths between them cost.
import { HashMap } from '../../dist/index.js';
import { medianTime } from '../lib.js';

const n = Number(process.argv[2] ?? 1000);
const R = 2000;
const keys = new Int32Array(n);
for (let i = 0; i < n; i++) keys[i] = Math.imul(i, 2654435761) | 0;

/** Median of 9 passes of f (after 3 warm-up passes), microseconds per map. */
const time = (f) => (medianTime(f, 9, 3) * 1e3) / R;

function build(options) {
  return () => {
    for (let r = 0; r < R; r++) {
      const m = new HashMap(null, options);
      for (let i = 0; i < n; i++) m.set(keys[i], i);
      m.dispose();
    }
  };
}

const kinds = { key: 'int32', value: 'int32' };
const pairs = Array.from(keys, (k, i) => [k, i]);
const rows = {
  'Map, from empty': time(() => {
    for (let r = 0; r < R; r++) {
      const m = new Map();
      for (let i = 0; i < n; i++) m.set(keys[i], i);
    }
  }),
  'HashMap, made and disposed': time(() => {
    for (let r = 0; r < R; r++) new HashMap(null, kinds).dispose();
  }),
  'HashMap, with capacity n': time(build({ ...kinds, capacity: n })),
  'HashMap, from empty': time(build(kinds)),
  'new Map(pairs)': time(() => {
    for (let r = 0; r < R; r++) new Map(pairs);
  }),
  'new HashMap(pairs)': time(() => {
    for (let r = 0; r < R; r++) new HashMap(pairs, kinds).dispose();
  }),
};
for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(28)} ${v.toFixed(2)} us`);
console.log(`Map / HashMap from empty: ${(rows['Map, from empty'] / rows['HashMap, from empty']).toFixed(2)}`);
console.log('\nfrom a capacity just below each doubling (Go: count > 6.5 * 2^B):');
for (let B = 0; 6.5 * 2 ** B < n; B++) {
  const cap = Math.floor(6.5 * 2 ** B);
  console.log(`  capacity ${String(cap).padStart(6)}: ${time(build({ ...kinds, capacity: cap })).toFixed(2)} us`);
}
