// What any iterator written in JavaScript costs in `for...of`, against Map's own:
//   node bench/studies/iterator-floor.js [n=1e6] [rounds=7]
// The same int32 entries three ways, timed alternately in one process, medians:
//   - Map: V8 lowers its iterator inside optimised code (no result object or
//     entry array survives);
//   - a minimal JS iterator over two Int32Arrays: `next()` returns
//     `{ value: [k, v], done }`, made at one site, nothing else (no wasm, no
//     checks); it is the floor for HashMap's iterators, which are JS objects
//     of this shape;
//   - the minimal iterator reading views of wasm memory (the same entries copied
//     there, read at a base index, as HashMap's iterator reads its batch);
//   - that, plus HashMap's per-entry check: its map's modification counter read
//     from wasm memory and compared, and a disposed flag;
//   - that, refilled by the core's step: a slot of the core's pool over a map
//     built through the core's exports, 256 entries a step (iter_next_k4_v4);
//   - HashMap (int32 -> int32): that, plus what the real iterator adds (its
//     modes, value kinds, string batches, small maps, the checked path).
// Then keys() four ways (Map, the minimal key iterator, the same with its result
// object made at two sites, HashMap), with the young-generation collections
// each makes: whether V8 removed the result object.
// Prints ns per entry and the ratios Map time / other time. Not part of
// `npm run bench`: it explains the for...of row there.
import { HashMap } from '../../dist/index.js';
import { core } from '../../dist/load.js';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { median, now, PairIterator, KeyIterator } from '../lib.js';

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

// The entries in wasm memory, and a word standing for a map's modification counter.
const base = core.x.scratch_alloc(8 * n + 8) >>> 0;
if (base === 0) throw new Error('iterator-floor: no wasm memory for the copy');
const H = core.heap(base + 8 * n + 8);
H.i32.set(keys, base / 4);
H.i32.set(vals, base / 4 + n);
const modAt = base / 4 + 2 * n;
class WasmIterator {
  #i = 0;
  #n;
  #v;
  #kb;
  #vb;
  constructor(v, kb, vb, count) {
    this.#v = v;
    this.#kb = kb;
    this.#vb = vb;
    this.#n = count;
  }
  next() {
    const i = this.#i;
    let value;
    let done = true;
    if (i < this.#n) {
      this.#i = i + 1;
      value = [this.#v[this.#kb + i], this.#v[this.#vb + i]];
      done = false;
    }
    return { value, done };
  }
  [Symbol.iterator]() {
    return this;
  }
}
class CheckedIterator {
  #i = 0;
  #n;
  #v;
  #kb;
  #vb;
  #u32;
  #mi;
  #mod;
  #map;
  constructor(v, kb, vb, count, u32, mi, map) {
    this.#v = v;
    this.#kb = kb;
    this.#vb = vb;
    this.#n = count;
    this.#u32 = u32;
    this.#mi = mi;
    this.#mod = u32[mi];
    this.#map = map;
  }
  next() {
    const i = this.#i;
    let value;
    let done = true;
    if (i < this.#n && this.#u32[this.#mi] === this.#mod && !this.#map.disposed) {
      this.#i = i + 1;
      value = [this.#v[this.#kb + i], this.#v[this.#vb + i]];
      done = false;
    }
    return { value, done };
  }
  [Symbol.iterator]() {
    return this;
  }
}
// Views taken at each start: building the maps below grows the memory, which detaches older views.
const view = () => core.heap(base + 8 * n + 8);
class SteppedIterator {
  #pos = 0;
  #n = 0;
  #ended = false;
  #it;
  #v;
  #kb;
  #vb;
  #u32;
  #mi;
  #mod;
  #map;
  constructor(h, map) {
    this.#it = core.x.iter_start(h) >>> 0;
    const V = core.heap(this.#it + ITER_END);
    this.#v = V.i32;
    this.#kb = (this.#it + ITER_KEYS) >>> 2;
    this.#vb = (this.#it + ITER_VALS) >>> 2;
    this.#u32 = V.u32;
    this.#mi = modAt;
    this.#mod = V.u32[modAt];
    this.#map = map;
  }
  next() {
    let i = this.#pos;
    let value;
    let done = false;
    if (!(i < this.#n && this.#u32[this.#mi] === this.#mod && !this.#map.disposed)) {
      done = !this.#refill();
      i = 0;
    }
    if (!done) {
      this.#pos = i + 1;
      value = [this.#v[this.#kb + i], this.#v[this.#vb + i]];
    }
    return { value, done };
  }
  /** A fresh batch (false at the end, the slot given back). */
  #refill() {
    if (!this.#ended) {
      this.#n = core.x.iter_next_k4_v4(this.#it, BATCH);
      this.#pos = 0;
      if (this.#n < BATCH) this.#ended = true;
      if (this.#n > 0) return true;
    }
    if (this.#it !== 0) core.x.iter_release(this.#it, 1);
    this.#it = 0;
    return false;
  }
  [Symbol.iterator]() {
    return this;
  }
}
const ITER_KEYS = core.x.ITER_KEYS.value;
const ITER_VALS = core.x.ITER_VALS.value;
const ITER_END = ITER_VALS + (ITER_VALS - ITER_KEYS);
const BATCH = core.x.ITER_BATCH.value;
const coreMap = core.x.map_new(4, 4, 0, 1, 2, 0, 0) >>> 0;
for (let i = 0; i < n; i++) core.x.set_i32_i32(coreMap, keys[i], vals[i]);
const inWasm = { [Symbol.iterator]: () => new WasmIterator(view().i32, base / 4, base / 4 + n, n) };
const mapState = { disposed: false };
const stepped = { [Symbol.iterator]: () => new SteppedIterator(coreMap, mapState) };
const checked = { [Symbol.iterator]: () => new CheckedIterator(view().i32, base / 4, base / 4 + n, n, view().u32, modAt, mapState) };

const map = new Map();
const hm = new HashMap(null, { key: 'int32', value: 'int32' });
for (let i = 0; i < n; i++) {
  map.set(keys[i], vals[i]);
  hm.set(keys[i], vals[i]);
}

// One loop copy per collection, so that each `for...of` sees one iterator class.
const reps = Math.max(1, Math.round(1e6 / n)); // about 1e6 entries a round at every size
const loop = (tag) => new Function('m', 'reps', `/* ${tag} */ let x = 0; for (let r = 0; r < reps; r++) for (const [k, v] of m) x += k + v; return x;`);
const cases = {
  Map: [loop('Map'), map],
  minimal: [loop('minimal'), minimal],
  'in wasm': [loop('in wasm'), inWasm],
  '+ check': [loop('+ check'), checked],
  stepped: [loop('stepped'), stepped],
  HashMap: [loop('HashMap'), hm],
};
const ms = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const sums = new Set();
for (let r = -1; r < rounds; r++) {
  for (const [name, [f, m]] of Object.entries(cases)) {
    const t = now();
    sums.add(f(m, reps));
    if (r >= 0) ms[name].push(now() - t);
  }
}
if (sums.size !== 1) throw new Error(`iterator-floor: the loops disagree: ${[...sums].join(', ')}`);
core.x.scratch_free(base, 8 * n + 8);
core.x.map_free(coreMap);

const ns = (name) => (median(ms[name]) * 1e6) / (n * reps);
console.log(`for...of over ${n} int32 entries, medians of ${rounds} rounds (ns per entry):`);
for (const name of Object.keys(cases)) {
  console.log(`  ${name.padEnd(8)} ${ns(name).toFixed(1).padStart(6)} ns   Map / ${name} ${(ns('Map') / ns(name)).toFixed(2)}`);
}

// keys(): where the result object goes. The minimal key iterator (one result object site), the same
// with a second site for the end (as HashMap's next() was before it made its result at one site), and
// HashMap's keys(); with the young-generation collections each makes in `rounds` passes (0: V8
// removed the result object; about 40 a pass over 1e6 entries: it made one an entry).
class TwoSiteKeyIterator {
  #i = 0;
  #k;
  constructor(k) {
    this.#k = k;
  }
  next() {
    const i = this.#i;
    if (i < this.#k.length) {
      this.#i = i + 1;
      return { value: this.#k[i], done: false };
    }
    return { value: undefined, done: true };
  }
  [Symbol.iterator]() {
    return this;
  }
}
let minorGcs = 0;
const gcWatch = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minorGcs++;
});
gcWatch.observe({ entryTypes: ['gc'] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const keyLoop = (tag) => new Function('m', 'reps', `/* keys ${tag} */ let x = 0; for (let r = 0; r < reps; r++) for (const k of m.keys()) x = (x + k) | 0; return x;`);
const keyCases = {
  Map: map,
  'one site': { keys: () => new KeyIterator(keys) },
  'two sites': { keys: () => new TwoSiteKeyIterator(keys) },
  HashMap: hm,
};
console.log(`keys() over ${n} int32 entries, medians of ${rounds} rounds (ns per entry; young collections a pass):`);
for (const [name, m] of Object.entries(keyCases)) {
  const f = keyLoop(name);
  for (let r = 0; r < 3; r++) f(m, reps);
  await settle();
  minorGcs = 0;
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t = now();
    f(m, reps);
    times.push(now() - t);
  }
  await settle();
  const per = (median(times) * 1e6) / (n * reps);
  console.log(`  ${name.padEnd(9)} ${per.toFixed(1).padStart(6)} ns   ${(minorGcs / rounds).toFixed(1)} young collections a pass`);
}
gcWatch.disconnect();
hm.dispose();
