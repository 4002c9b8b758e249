// Shared pieces of the benchmark: key kinds, key sets, query orders, medians,
// and the timed loops (compiled once per map type, see compileLoops).

import { readFileSync } from 'node:fs';

export const SIZES = [1e3, 1e5, 1e6];

/** Milliseconds, high resolution. */
export const now = () => performance.now();

/** A GC to start timed work on a clean heap (run.js starts children with --expose-gc). */
export const gc = globalThis.gc ?? (() => {});

export function median(a) {
  const s = [...a].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The median time of `passes` runs of f, in ms, after `warmup` runs that are not timed. */
export function medianTime(f, passes = 9, warmup = 0) {
  for (let w = 0; w < warmup; w++) f();
  const t = [];
  for (let r = 0; r < passes; r++) {
    const t0 = now();
    f();
    t.push(now() - t0);
  }
  return median(t);
}

export const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;

// Key kinds. Each kind's timed section runs in a child process of its own
// (run.js says why). `hashMap` is the HashMap's options; `Keys`/`Vals` the arrays
// the keys and values live in (the batch operations take typed ones as they
// are); `missing` is what getMany stores for a missing key; `batch: false` skips
// the typed-array batch cases (they take no string keys); `codes: true` makes
// the keys of the build loops (and of the 'get-fresh' case) inside the timed
// loop, from their character codes (see keyCodesAt).
export const KINDS = {
  int32: { hashMap: { key: 'int32', value: 'int32' }, Keys: Int32Array, Vals: Int32Array, missing: 0 },
  // Non-integer keys and values: Map stores every one boxed (a HeapNumber), as a real program's would be.
  float64: { hashMap: { key: 'float64', value: 'float64' }, Keys: Float64Array, Vals: Float64Array, missing: NaN },
  // 10-character Latin-1 keys, int32 values. Lookups are timed both with the
  // string objects the maps were filled with ('get-hit': Map finds its own key
  // by identity, its hash already cached in the string) and with equal strings
  // built afresh for each lookup ('get-fresh', as when they come from parsing:
  // Map must hash and compare them). Builds make their keys as they insert
  // them (a Map keeps them alive, a HashMap copies them).
  string: { hashMap: { key: 'string', value: 'int32' }, Keys: Array, Vals: Int32Array, missing: 0, batch: false, codes: true },
};

/** The value kind of a key kind's maps. */
export const valueKindOf = (kind) => KINDS[kind].hashMap.value;

/** An array of n elements for a constructor: typed arrays zero-filled, an Array empty (filled in order, it stays packed). */
const alloc = (Ctor, n) => (Ctor === Array ? [] : new Ctor(n));

/** murmur3's finalizer: a bijection on 32-bit integers, so distinct inputs give distinct, random-looking keys without a Set. */
export function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const KEY_SEED = 0x2545f491;

/** Length of a string key. */
export const KEY_CHARS = 10;
// The digits of string keys: 64 Latin-1 characters, so a digit is 6 bits.
const DIGITS = Uint8Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_', (ch) => ch.charCodeAt(0));

/**
 * The character codes of the j-th string key, into out[o .. o + 9]. Ten 6-bit
 * digits (one of 64 characters each), low digit first: the first five and the
 * low two bits of the sixth are the 32 bits of a bijective mix of j (fmix32,
 * as for int32 keys), so distinct j give distinct keys; the sixth's other four
 * bits and the last four digits come from a second mix of j.
 */
export function keyCodesAt(j, out, o) {
  const a = fmix32((j + KEY_SEED) >>> 0);
  const b = fmix32((j ^ 0x68e31da4) >>> 0);
  out[o] = DIGITS[a & 63];
  out[o + 1] = DIGITS[(a >>> 6) & 63];
  out[o + 2] = DIGITS[(a >>> 12) & 63];
  out[o + 3] = DIGITS[(a >>> 18) & 63];
  out[o + 4] = DIGITS[(a >>> 24) & 63];
  out[o + 5] = DIGITS[((a >>> 30) | (b << 2)) & 63];
  out[o + 6] = DIGITS[(b >>> 4) & 63];
  out[o + 7] = DIGITS[(b >>> 10) & 63];
  out[o + 8] = DIGITS[(b >>> 16) & 63];
  out[o + 9] = DIGITS[(b >>> 22) & 63];
}

const scratch = new Uint8Array(KEY_CHARS);

/**
 * The j-th key of a kind: distinct j give distinct keys. float64 keys are
 * k + f with k a distinct int32 and f in (0, 1): a non-integer that uses the
 * whole mantissa, inside an interval no other key shares. String keys are 10
 * characters (keyCodesAt), made with String.fromCharCode: a new flat one-byte
 * string on each call, as the timed loops make them.
 */
export function keyAt(kind, j) {
  const k = fmix32((j + KEY_SEED) >>> 0) | 0;
  if (kind === 'int32') return k;
  if (kind === 'float64') {
    const x = k + (fmix32((j ^ 0x68e31da4) >>> 0) + 0.5) / 4294967296;
    return Number.isInteger(x) ? k + 0.5 : x; // f rounded away at |k| near 2^31: keep it a non-integer
  }
  if (kind === 'string') {
    const c = scratch;
    keyCodesAt(j, c, 0);
    return String.fromCharCode(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
  }
  throw new Error(`bench: key kind ${kind} is not implemented`);
}

/** Keys number `from` to `from + n - 1`, in an array of the kind. Present keys use from = 0, missing ones from = n. */
export function makeKeys(kind, n, from = 0) {
  const out = alloc(KINDS[kind].Keys, n);
  for (let i = 0; i < n; i++) out[i] = keyAt(kind, from + i);
  return out;
}

/** The character codes of string keys number `from` to `from + n - 1`, 10 a key, for the loops that make their keys. */
export function makeKeyCodes(n, from = 0) {
  const out = new Uint8Array(n * KEY_CHARS);
  for (let i = 0; i < n; i++) keyCodesAt(from + i, out, i * KEY_CHARS);
  return out;
}

/** The codes of the keys of `q`, in its order (q: string keys). */
export function codesOf(q) {
  const out = new Uint8Array(q.length * KEY_CHARS);
  for (let i = 0; i < q.length; i++) {
    const s = q[i];
    if (s.length !== KEY_CHARS) throw new Error(`bench: key ${JSON.stringify(s)} is not ${KEY_CHARS} characters`);
    for (let c = 0; c < KEY_CHARS; c++) out[i * KEY_CHARS + c] = s.charCodeAt(c);
  }
  return out;
}

/** The i-th value of a value kind: int32, or a non-integer float64 (so Map boxes it). */
export function valueAt(valueKind, i, salt = 0) {
  return valueKind === 'int32' ? (i * 7 + salt) | 0 : i * 0.5 + salt + 0.25;
}

/** n values for the maps of a key kind (of its value kind). */
export function makeVals(kind, n, salt) {
  const out = new KINDS[kind].Vals(n);
  const vk = valueKindOf(kind);
  for (let i = 0; i < n; i++) out[i] = valueAt(vk, i, salt);
  return out;
}

function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** `len` keys drawn at random (with repeats) from `keys`: the random order of the timed loops. */
export function randomOrder(keys, len, seed) {
  const out = alloc(keys.constructor, len);
  const next = lcg(seed);
  for (let i = 0; i < len; i++) out[i] = keys[next() % keys.length];
  return out;
}

/** Every key once, in random order (Fisher-Yates). */
export function permutation(keys, seed) {
  const out = keys.slice();
  const next = lcg(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Half present, half missing keys, in random order. */
export function mixedOrder(present, missing, len, seed) {
  const out = alloc(present.constructor, len);
  const next = lcg(seed);
  for (let i = 0; i < len; i++) {
    const r = next();
    out[i] = r & 0x10000 ? present[r % present.length] : missing[r % missing.length];
  }
  return out;
}

// ---- The timed loops ----
//
// Written once, here, as plain functions; compileLoops() compiles a fresh copy
// of each from its source text for every map type (Map, HashMap) with
// `new Function`. Every copy has its own type feedback, so a call site such as
// `m.get(q[i])` sees one map class only and stays monomorphic, and both maps
// run exactly the same code (hand-written copies could drift apart). The copy's
// tag goes into the source text, so no two copies have the same source (V8 may
// reuse compiled eval code for an identical source) and profiles name the copy.
// (Checked with --allow-natives-syntax: each copy has its own FeedbackVector.)
// The functions must not refer to anything outside themselves: they are
// recompiled in the global scope.

function get(m, q, reps) {
  let x = 0;
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < q.length; i++) {
      const v = m.get(q[i]);
      x += v === undefined ? 1 : v;
    }
  }
  return x;
}

function set(m, q, v, reps) {
  for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) m.set(q[i], v[i]);
  return m.size;
}

function build(make, keys, vals) {
  const m = make();
  for (let i = 0; i < keys.length; i++) m.set(keys[i], vals[i]);
  return m;
}

function buildCap(make, keys, vals) {
  const m = make(keys.length);
  for (let i = 0; i < keys.length; i++) m.set(keys[i], vals[i]);
  return m;
}

function churn(m, q, v, reps) {
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < q.length; i++) {
      const k = q[i];
      m.delete(k);
      m.set(k, v[i]);
    }
  }
  return m.size;
}

function iterate(m, reps) {
  let x = 0;
  for (let r = 0; r < reps; r++) for (const [k, v] of m) x += k + v;
  return x;
}

// String keys made inside the loop, from their character codes (10 a key, see
// keyCodesAt): a flat one-byte string per key, as a parser would produce.
// Making them is timed along with the map operation, for both maps alike.
function getFresh(m, c, reps) {
  let x = 0;
  for (let r = 0; r < reps; r++) {
    for (let o = 0; o < c.length; o += 10) {
      const v = m.get(String.fromCharCode(c[o], c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], c[o + 7], c[o + 8], c[o + 9]));
      x += v === undefined ? 1 : v;
    }
  }
  return x;
}

function buildFresh(make, c, vals) {
  const m = make();
  for (let i = 0, o = 0; i < vals.length; i++, o += 10) {
    m.set(String.fromCharCode(c[o], c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], c[o + 7], c[o + 8], c[o + 9]), vals[i]);
  }
  return m;
}

function buildCapFresh(make, c, vals) {
  const m = make(vals.length);
  for (let i = 0, o = 0; i < vals.length; i++, o += 10) {
    m.set(String.fromCharCode(c[o], c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], c[o + 7], c[o + 8], c[o + 9]), vals[i]);
  }
  return m;
}

// for...of over string keys: reads one character of each key (k + v would concatenate strings).
function iterateStr(m, reps) {
  let x = 0;
  for (let r = 0; r < reps; r++) for (const [k, v] of m) x += k.charCodeAt(0) + v;
  return x;
}

// Map's side of the batch operations: plain loops over the same typed arrays.
function getAll(m, q, out, missing, reps) {
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < q.length; i++) {
      const v = m.get(q[i]);
      out[i] = v === undefined ? missing : v;
    }
  }
  return out;
}

function setAll(m, q, v, reps) {
  for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) m.set(q[i], v[i]);
  return m;
}

function hasAll(m, q, out, reps) {
  for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) out[i] = m.has(q[i]) ? 1 : 0;
  return out;
}

function deleteAll(m, q) {
  let c = 0;
  for (let i = 0; i < q.length; i++) if (m.delete(q[i])) c++;
  return c;
}

// HashMap's side of the batch operations.
function getMany(m, q, out, missing, reps) {
  for (let r = 0; r < reps; r++) m.getMany(q, out, missing);
  return out;
}

function setMany(m, q, v, reps) {
  for (let r = 0; r < reps; r++) m.setMany(q, v);
  return m;
}

function hasMany(m, q, out, reps) {
  for (let r = 0; r < reps; r++) m.hasMany(q, out);
  return out;
}

function deleteMany(m, q) {
  return m.deleteMany(q);
}

const TEMPLATES = [get, set, build, buildCap, churn, iterate, getFresh, buildFresh, buildCapFresh, iterateStr, getAll, setAll, hasAll, deleteAll, getMany, setMany, hasMany, deleteMany];

/** Fresh copies of every loop, for one map type (tag: e.g. 'Map/int32'). */
export function compileLoops(tag) {
  const loops = {};
  for (const f of TEMPLATES) {
    loops[f.name] = new Function(`'use strict';\n// tophash bench loop '${f.name}', the copy for ${tag}\nreturn ${f.toString()};`)();
  }
  return loops;
}

// The run's start (run.js passes it to its children), for progress lines.
const T0 = Number(process.env.TOPHASH_BENCH_T0) || Date.now();

/** Print a progress line stamped with the seconds since the run started. */
export function progress(msg) {
  console.log(`[${((Date.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
}

// ---- Cases and the terminal table ----

/** Case ids in table order, with their labels. */
export const CASE_LABELS = {
  'get-hit': 'get, present key',
  'get-fresh': 'get, present, fresh strings',
  'get-miss': 'get, missing key',
  set: 'set, existing key',
  'insert-capacity': 'insert into capacity-n map',
  'build-fresh': 'build, 1st in fresh process',
  'build-2nd': 'build, 2nd after dispose',
  churn: 'delete + reinsert churn',
  iterate: 'for...of',
  getMany: 'getMany (Map: get loop)',
  setMany: 'setMany, existing keys',
  hasMany: 'hasMany, half missing',
  deleteMany: 'deleteMany, every key',
};

// Labels that differ by kind: string keys time get-hit with the stored string objects.
const KIND_LABELS = { string: { 'get-hit': 'get, present, same strings' } };

/** The label of a case for a key kind. */
export const caseLabel = (kind, id) => KIND_LABELS[kind]?.[id] ?? CASE_LABELS[id] ?? id;

/** A memory row's name: the key kind, and the value kind where it differs ('string -> int32'). */
export const memoryLabel = (kind, m) => (m.valueKind && m.valueKind !== kind ? `${kind} -> ${m.valueKind}` : kind);

/** 1000 -> '1e3', 1300000 -> '1.3e6'. */
export function sizeLabel(n) {
  const e = Math.floor(Math.log10(n));
  const m = n / 10 ** e;
  return `${+m.toFixed(2)}e${e}`;
}

const ns = (x) => (x >= 1e5 ? x.toExponential(2) : x.toFixed(1)).padStart(8);

/** One line of the terminal table. */
export function formatRow(row) {
  return `${row.kind.padEnd(8)}${sizeLabel(row.n).padStart(4)}  ${caseLabel(row.kind, row.case).padEnd(29)}` + `Map ${ns(row.mapNs)} ns  HashMap ${ns(row.hashMapNs)} ns  ratio ${row.ratio.toFixed(2).padStart(5)}`;
}

// ---- Shared maps (child-shared.js, shared-worker.js) ----

/** Slots of the control Int32Array (on a SharedArrayBuffer) of the shared-map section's barrier. */
export const SHARED_CTL = { READY: 0, GO: 1, DONE: 2, LENGTH: 3 };

/** A warning for a shared-map row during which other processes took a tenth of a core or more. */
const disturbed = (r) => (r.otherCores >= 0.1 ? `  [other processes used ${r.otherCores.toFixed(2)} cores meanwhile: disturbed]` : '');

const mops = (x) => `${(x / 1e6).toFixed(1).padStart(6)} M/s`;

/** The terminal lines of the shared-map section (the `shared` object child-shared.js makes). */
export function sharedLines(shared) {
  const s = shared.settings;
  const out = [
    `Shared maps (int32 -> int32, { shared: true }), medians of ${s.rounds} rounds. Throughput: worker threads released together`,
    "at a barrier, the main thread waiting; ops/s = all threads' operations / wall time from the release to the last finish:",
  ];
  for (const r of shared.scaling) {
    const label = r.op === 'get' ? `get ${sizeLabel(r.n)}, random present keys` : `add(k, 1) on ${r.keys} keys`;
    out.push(`  ${label.padEnd(30)} 1 thread ${mops(r.opsPerSec[0])}  2 threads ${mops(r.opsPerSec[1])}  2 / 1 ${r.ratio.toFixed(2).padStart(5)}x` + `  (${r.opsPerThread} a thread)${disturbed(r)}`);
  }
  if (shared.writes?.length) {
    out.push('Writes on random present keys, 1 and 2 threads, against Atomics.add on random words of a plain shared array (no lock, same run):');
    for (const r of shared.writes) {
      out.push(
        `  ${`${r.op === 'add' ? 'add(k, 1)' : 'set(k, v)'} ${sizeLabel(r.n)} keys`.padEnd(30)} 1 thread ${mops(r.opsPerSec[0])}  2 threads ${mops(r.opsPerSec[1])}  2 / 1 ${r.ratio.toFixed(2).padStart(5)}x` +
          `  raw 2 / 1 ${r.rawRatio.toFixed(2).padStart(5)}x  fraction ${r.fraction.toFixed(2)}${disturbed(r)}`,
      );
    }
  }
  out.push('One thread, the same keys and order on a shared and a private map (each timed in a worker that uses only it):');
  for (const r of shared.single) {
    out.push(
      `  ${`get ${sizeLabel(r.n)}, random present keys`.padEnd(30)} private ${r.privateNs.toFixed(1).padStart(6)} ns  shared ${r.sharedNs.toFixed(1).padStart(6)} ns` + `  shared / private ${r.ratio.toFixed(2).padStart(5)}x${disturbed(r)}`,
    );
  }
  return out;
}

/** The shared-map targets: [name, value, op, target]; the value is undefined for a size that was not measured. */
export function sharedTargets(shared) {
  const sizes = shared?.settings?.sizes ?? [1e5, 1e6];
  const scale = (n) => shared?.scaling?.find((r) => r.op === 'get' && r.n === n)?.ratio;
  const single = (n) => shared?.single?.find((r) => r.n === n)?.ratio;
  const write = (op, n) => shared?.writes?.find((r) => r.op === op && r.n === n);
  return [
    ...sizes.map((n) => [`shared get ${sizeLabel(n)}, 2 threads / 1, ops/s`, scale(n), '>=', 1.7]),
    ...sizes.map((n) => [`shared get ${sizeLabel(n)}, shared/private time`, single(n), '<=', 1.3]),
    ['shared add 1e3 keys, 2 threads / 1', write('add', 1e3)?.ratio, '>=', 0.5],
    ['shared add 1e5, 2/1 as a fraction of raw', write('add', 1e5)?.fraction, '>=', 0.8],
    ['shared add 1e6, 2/1 as a fraction of raw', write('add', 1e6)?.fraction, '>=', 0.8],
  ];
}

/**
 * CPU time so far, for telling whether other processes ran during a measurement
 * (Linux; null elsewhere): the machine's busy time (all CPUs, /proc/stat) and
 * this process's own (all its threads), both in ms, and the wall clock.
 */
export function cpuSnapshot() {
  let stat;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  // cpu  user nice system idle iowait irq softirq steal ...: in USER_HZ (100 a second) ticks.
  const f = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  const busyTicks = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0);
  const own = process.cpuUsage();
  return { busyMs: busyTicks * 10, ownMs: (own.user + own.system) / 1e3, wallMs: performance.now() };
}

/** The CPU other processes used between two snapshots, in cores (0.5: half a core on average); null if unknown. */
export function otherCpu(a, b) {
  if (!a || !b) return null;
  return Math.max(0, (b.busyMs - a.busyMs - (b.ownMs - a.ownMs)) / (b.wallMs - a.wallMs));
}

/**
 * The floor of a JS iterator (iterator-floor.js, child-iteration.js): entries of two arrays, a fresh
 * result object and entry array each step, no checks. The result object is made at one site, as
 * bindings/iterators.ts makes it: V8 removes an inlined next()'s result object only then (made at two
 * sites, a minimal pair iterator over 1e6 entries took 14 ns an entry instead of 8, a key iterator 5.0
 * instead of 1.7). Each call compiles a class from source of its own, so that a case's loop does not
 * share V8's feedback with another case's arrays (classes from one class literal share it: the 1e6
 * case's large typed arrays made the same class 5x slower over the small maps' arrays afterwards). One
 * instance of each is kept alive, as bindings/iterators.ts keeps one HashMapIterator: V8 holds object
 * shapes weakly, and a gc() between timings (child-iteration.js) that found every instance dead dropped
 * the shape and the optimised code with it (the 10-entry maps' floor measured 84 to 138 ns an entry so,
 * 15 alone).
 */
const anchors = [];
function minimalIteratorClass(name, entry) {
  const C = new Function(`return class ${name} {
    #i = 0;
    #k;
    #v;
    constructor(k, v) {
      this.#k = k;
      this.#v = v;
    }
    next() {
      const i = this.#i;
      let value;
      let done = true;
      if (i < this.#k.length) {
        this.#i = i + 1;
        value = ${entry};
        done = false;
      }
      return { value, done };
    }
    [Symbol.iterator]() {
      return this;
    }
  };`)();
  anchors.push(new C([], []));
  return C;
}
export const pairIteratorClass = () => minimalIteratorClass('PairIterator', '[this.#k[i], this.#v[i]]');
export const PairIterator = pairIteratorClass();
/** As PairIterator, the keys alone. */
export const KeyIterator = minimalIteratorClass('KeyIterator', 'this.#k[i]');
