// What any iterator written in JavaScript costs in `for...of`, against Map's own:
//   node bench/iterator-floor.js [n=1e6] [rounds=7]
// The same int32 entries three ways, timed alternately in one process, medians:
//   - Map: V8 lowers its iterator inside optimised code (no result object or
//     entry array survives);
//   - a minimal JS iterator over two Int32Arrays: `next()` returns
//     `{ value: [k, v], done }`, nothing else (no wasm, no checks); it is the
//     floor for HashMap's iterators, which are JS objects of this shape;
//   - HashMap (int32 -> int32).
// Prints ns per entry and the ratios Map time / other time. Not part of
// `npm run bench`: it explains the for...of row there.
import { HashMap } from '../dist/index.js';
import { median, now, PairIterator } from './lib.js';

const n = Number(process.argv[2] ?? 1e6);
const rounds = Number(process.argv[3] ?? 7);
const keys = new Int32Array(n);
const vals = new Int32Array(n);
let s = 12345;
for (let i = 0; i < n; i++) {
  s = (Math.imul(s, 1103515245) + 12345) | 0;
  keys[i] = s;
  vals[i] = i;
}

const minimal = { [Symbol.iterator]: () => new PairIterator(keys, vals) };

const map = new Map();
const hm = new HashMap(null, { key: 'int32', value: 'int32' });
for (let i = 0; i < n; i++) {
  map.set(keys[i], vals[i]);
  hm.set(keys[i], vals[i]);
}

// One loop copy per collection, so that each `for...of` sees one iterator class.
const reps = Math.max(1, Math.round(1e6 / n)); // about 1e6 entries a round at every size
const loop = (tag) => new Function('m', 'reps', `/* ${tag} */ let x = 0; for (let r = 0; r < reps; r++) for (const [k, v] of m) x += k + v; return x;`);
const cases = { Map: [loop('Map'), map], minimal: [loop('minimal'), minimal], HashMap: [loop('HashMap'), hm] };
const ms = { Map: [], minimal: [], HashMap: [] };
const sums = new Set();
for (let r = -1; r < rounds; r++) {
  for (const [name, [f, m]] of Object.entries(cases)) {
    const t = now();
    sums.add(f(m, reps));
    if (r >= 0) ms[name].push(now() - t);
  }
}
if (sums.size !== 1) throw new Error(`iterator-floor: the loops disagree: ${[...sums].join(', ')}`);
hm.dispose();

const ns = (name) => (median(ms[name]) * 1e6) / (n * reps);
console.log(`for...of over ${n} int32 entries, medians of ${rounds} rounds (ns per entry):`);
for (const name of Object.keys(cases)) {
  console.log(`  ${name.padEnd(8)} ${ns(name).toFixed(1).padStart(6)} ns   Map / ${name} ${(ns('Map') / ns(name)).toFixed(2)}`);
}
