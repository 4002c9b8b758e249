// Iteration against Map, in a process of its own (run.js forks it; by hand:
//   node --expose-gc bench/child-iteration.js ['{"rounds":7}'] [--json]
// or one group of cases alone: '{"only":"small"}' (int32, float64, small, string)
// ). int32 -> int32 unless said: the same entries in a Map and a HashMap, each
// loop compiled once per map type (new Function, so that call sites never share
// type feedback), timed alternately, medians. Cases:
//   - for (const [k, v] of m), 1e6 entries, int32 and float64 keys
//   - for (const k of m.keys()), 1e6
//   - m.forEach((v, k) => ...), 1e6
//   - a whole for...of over each of 1000 maps of 10 entries (the 1000 maps 20 times a timing: one
//     pass is about 100 us, too short to time and mostly code not yet optimised)
//   - m.toArrays() against a for...of over the Map filling two typed arrays, 1e6
//   - string keys (10 characters), for...of, 1e5
// and, in the same rounds, the floor of each case where JS sets one (what any JS implementation must
// at least do): for for...of and keys(), a minimal iterator over two Int32Arrays (a class with next(),
// a fresh result object, made at one site, and entry array each step); for forEach, a plain loop over two Int32Arrays
// calling the same callback; for the small maps, the minimal iterator over each map's own two arrays
// of 10; for toArrays, making the two result Int32Arrays and filling them (TypedArray.fill).
import { HashMap } from '../dist/index.js';
import { median, now, gc, progress, PairIterator, KeyIterator, pairIteratorClass } from './lib.js';

const S = { rounds: 7, n: 1e6, small: 1000, smallReps: 20, strN: 1e5, ...(process.argv[2]?.startsWith('{') ? JSON.parse(process.argv[2]) : {}) };
const started = now();
/** Which groups of cases run: all, or the one named by S.only ('int32', 'float64', 'small', 'string'), to time a case in a process of its own. */
const runs = (group) => S.only === undefined || S.only === group;

function lcg(seed) {
  let s = seed | 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) | 0);
}

function filled(kind, n, seed) {
  const next = lcg(seed);
  const map = new Map();
  const hm = new HashMap(null, { key: kind, value: 'int32' });
  while (map.size < n) {
    const r = next();
    const k = kind === 'float64' ? r / 7 : kind === 'string' ? `k${(r >>> 0).toString(36).padStart(9, '0')}` : r;
    const v = map.size;
    map.set(k, v);
    hm.set(k, v);
  }
  return { map, hm };
}

// One copy of each loop per collection type.
// Sums are kept in int32 (`| 0`): a sum that leaves the small-integer range becomes a heap number,
// and a callback that updates one in its closure allocates on every call (12 ns an entry of a plain
// JS loop here), which would time the callback rather than the iteration.
const BODIES = {
  entries: 'let x = 0; for (const [k, v] of m) x = (x + k + v) | 0; return x;',
  entriesF64: 'let x = 0; for (const [k, v] of m) x = (x + v + (k > 0 ? 1 : 0)) | 0; return x;',
  entriesStr: 'let x = 0; for (const [k, v] of m) x = (x + k.length + v) | 0; return x;',
  keys: 'let x = 0; for (const k of m.keys()) x = (x + k) | 0; return x;',
  forEach: 'let x = 0; m.forEach((v, k) => { x = (x + k + v) | 0; }); return x;',
  small: 'let x = 0; for (let r = 0; r < REPS; r++) for (let i = 0; i < m.length; i++) for (const [k, v] of m[i]) x = (x + k + v) | 0; return x;',
  toArraysMap: 'const k = new Int32Array(m.size), v = new Int32Array(m.size); let i = 0; for (const [a, b] of m) { k[i] = a; v[i] = b; i++; } globalThis.lastArrays = [k, v]; return i;',
  toArrays: 'const [k, v] = m.toArrays(); globalThis.lastArrays = [k, v]; return k.length;',
  toArraysFloor: 'const k = new Int32Array(m.size), v = new Int32Array(m.size); k.fill(1); v.fill(2); globalThis.lastArrays = [k, v]; return k.length;',
};
const loops = new Map();
function loop(body, tag) {
  const id = `${body}/${tag}`;
  if (!loops.has(id)) loops.set(id, new Function('m', `/* ${tag} */ const REPS = ${S.smallReps}; ${BODIES[body]}`));
  return loops.get(id);
}

/** Time each [name, fn] alternately, rounds times (after one untimed round); medians in ms. */
function race(cases) {
  const ms = Object.fromEntries(cases.map(([name]) => [name, []]));
  const sums = {};
  for (let r = -1; r < S.rounds; r++) {
    for (const [name, f] of cases) {
      gc();
      const t = now();
      sums[name] = f();
      const d = now() - t;
      if (r >= 0) ms[name].push(d);
    }
  }
  return { ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, median(v)])), sums };
}

/** The small maps' floor: an iterable over two arrays whose iterator is a minimal PairIterator of its own. */
const SmallPairIterator = pairIteratorClass();
class Pairs {
  constructor(k, v) {
    this.k = k;
    this.v = v;
  }
  [Symbol.iterator]() {
    return new SmallPairIterator(this.k, this.v);
  }
}

const rows = [];
function row(name, entries, mapCase, hmCase, floorCase) {
  const cases = [
    ['map', mapCase],
    ['hashMap', hmCase],
  ];
  if (floorCase) cases.push(['floor', floorCase]);
  const { ms, sums } = race(cases);
  if (sums.map !== sums.hashMap) throw new Error(`${name}: checksums differ (${sums.map} vs ${sums.hashMap})`);
  const r = { case: name, entries, mapNs: (ms.map * 1e6) / entries, hashMapNs: (ms.hashMap * 1e6) / entries, ratio: ms.map / ms.hashMap };
  if (floorCase) {
    r.floorNs = (ms.floor * 1e6) / entries;
    r.floorRatio = ms.map / ms.floor;
  }
  rows.push(r);
  progress(`  ${name}: Map ${r.mapNs.toFixed(1)} ns, HashMap ${r.hashMapNs.toFixed(1)} ns an entry, ratio ${r.ratio.toFixed(2)}${floorCase ? `; floor ${r.floorNs.toFixed(1)} ns (${r.floorRatio.toFixed(2)})` : ''}`);
}

progress(`iteration: ${S.rounds} rounds; ${S.n} entries, ${S.small} maps of 10, strings ${S.strN}`);
if (runs('int32')) {
  const { map, hm } = filled('int32', S.n, 1);
  const ks = new Int32Array(map.keys());
  const vs = new Int32Array(map.values());
  const pairs = { [Symbol.iterator]: () => new PairIterator(ks, vs) };
  const keyOnly = { keys: () => new KeyIterator(ks) };
  row(
    'for...of [k, v], int32, 1e6',
    S.n,
    () => loop('entries', 'Map')(map),
    () => loop('entries', 'HashMap')(hm),
    () => loop('entries', 'floor')(pairs),
  );
  row(
    'keys(), int32, 1e6',
    S.n,
    () => loop('keys', 'Map')(map),
    () => loop('keys', 'HashMap')(hm),
    () => loop('keys', 'floor')(keyOnly),
  );
  const forEachFloor = {
    forEach(fn) {
      for (let i = 0; i < ks.length; i++) fn(vs[i], ks[i], this);
    },
  };
  row(
    'forEach, int32, 1e6',
    S.n,
    () => loop('forEach', 'Map')(map),
    () => loop('forEach', 'HashMap')(hm),
    () => loop('forEach', 'floor')(forEachFloor),
  );
  {
    // The timed loops return the count (the two orders differ); the pairs are compared here, untimed.
    const pairSum = ([k, v]) => {
      let x = 0;
      for (let i = 0; i < k.length; i++) x = (x + Math.imul(k[i], 31) + v[i]) | 0;
      return x;
    };
    loop('toArraysMap', 'Map')(map);
    const fromMap = pairSum(globalThis.lastArrays);
    loop('toArrays', 'HashMap')(hm);
    if (pairSum(globalThis.lastArrays) !== fromMap) throw new Error("toArrays: the pairs differ from the Map's");
    row(
      'toArrays (Map: for...of into two Int32Arrays), 1e6',
      S.n,
      () => loop('toArraysMap', 'Map')(map),
      () => loop('toArrays', 'HashMap')(hm),
      () => loop('toArraysFloor', 'floor')(map),
    );
  }
  hm.dispose();
}
if (runs('float64')) {
  const { map, hm } = filled('float64', S.n, 2);
  row(
    'for...of [k, v], float64, 1e6',
    S.n,
    () => loop('entriesF64', 'Map')(map),
    () => loop('entriesF64', 'HashMap')(hm),
  );
  hm.dispose();
}
if (runs('small')) {
  const maps = [];
  const hms = [];
  const floors = [];
  for (let i = 0; i < S.small; i++) {
    const { map, hm } = filled('int32', 10, 100 + i);
    maps.push(map);
    hms.push(hm);
    const ks = new Int32Array(map.keys());
    const vs = new Int32Array(map.values());
    floors.push(new Pairs(ks, vs));
  }
  row(
    `for...of over each of ${S.small} maps of 10 entries`,
    S.small * 10 * S.smallReps,
    () => loop('small', 'Map')(maps),
    () => loop('small', 'HashMap')(hms),
    () => loop('small', 'floor')(floors),
  );
  for (const h of hms) h.dispose();
}
if (runs('string')) {
  const { map, hm } = filled('string', S.strN, 3);
  row(
    'for...of [k, v], string keys, 1e5',
    S.strN,
    () => loop('entriesStr', 'Map')(map),
    () => loop('entriesStr', 'HashMap')(hm),
  );
  hm.dispose();
}
progress(`iteration: ${((now() - started) / 1000).toFixed(1)} s`);

const result = { settings: S, rows };
if (process.send) process.send({ iteration: result });
else if (process.argv.includes('--json')) console.log(JSON.stringify(result));
