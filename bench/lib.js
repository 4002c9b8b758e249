// Shared pieces of the benchmark: key kinds, key sets, query orders, medians,
// and the timed loops (compiled once per map type, see compileLoops).

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

export const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;

// Key kinds. Each kind's timed section runs in a child process of its own
// (run.js says why). `hashMap` is the HashMap's options; `Keys`/`Vals` the typed
// arrays the keys and values live in (the batch operations take them as they
// are); `missing` is what getMany stores for a missing key.
export const KINDS = {
  int32: { hashMap: { key: 'int32', value: 'int32' }, Keys: Int32Array, Vals: Int32Array, missing: 0 },
  // Non-integer keys and values: Map stores every one boxed (a HeapNumber), as a real program's would be.
  float64: { hashMap: { key: 'float64', value: 'float64' }, Keys: Float64Array, Vals: Float64Array, missing: NaN },
  // ---- STRING KEYS: NOT IMPLEMENTED YET (planned; see README "Status"). ----
  // When HashMap takes { key: 'string' }, add a kind here, e.g.
  //   string: { hashMap: { key: 'string', value: 'int32' }, Keys: Array, Vals: Int32Array, missing: 0, batch: false },
  // make 10-character keys in keyAt() (time lookups both with the stored string
  // objects and with equal strings built afresh: Map is 4x slower on the latter),
  // skip the typed-array batch cases for it in child-section.js (`batch: false`),
  // and add it to run.js's KIND_ORDER and rss-child.js.
};

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

/**
 * The j-th key of a kind: distinct j give distinct keys. float64 keys are
 * k + f with k a distinct int32 and f in (0, 1): a non-integer that uses the
 * whole mantissa, inside an interval no other key shares.
 */
export function keyAt(kind, j) {
  const k = fmix32((j + KEY_SEED) >>> 0) | 0;
  if (kind === 'int32') return k;
  if (kind === 'float64') {
    const x = k + (fmix32((j ^ 0x68e31da4) >>> 0) + 0.5) / 4294967296;
    return Number.isInteger(x) ? k + 0.5 : x; // f rounded away at |k| near 2^31: keep it a non-integer
  }
  throw new Error(`bench: key kind ${kind} is not implemented`); // STRING KEYS: make them here
}

/** Keys number `from` to `from + n - 1`, in a typed array of the kind. Present keys use from = 0, missing ones from = n. */
export function makeKeys(kind, n, from = 0) {
  const out = new KINDS[kind].Keys(n);
  for (let i = 0; i < n; i++) out[i] = keyAt(kind, from + i);
  return out;
}

/** The i-th value: int32, or a non-integer float64 (so Map boxes it). */
export function valueAt(kind, i, salt = 0) {
  return kind === 'int32' ? (i * 7 + salt) | 0 : i * 0.5 + salt + 0.25;
}

export function makeVals(kind, n, salt) {
  const out = new KINDS[kind].Vals(n);
  for (let i = 0; i < n; i++) out[i] = valueAt(kind, i, salt);
  return out;
}

function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** `len` keys drawn at random (with repeats) from `keys`: the random order of the timed loops. */
export function randomOrder(keys, len, seed) {
  const out = new keys.constructor(len);
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
  const out = new present.constructor(len);
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

const TEMPLATES = [get, set, build, buildCap, churn, iterate, getAll, setAll, hasAll, deleteAll, getMany, setMany, hasMany, deleteMany];

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

/** 1000 -> '1e3', 1300000 -> '1.3e6'. */
export function sizeLabel(n) {
  const e = Math.floor(Math.log10(n));
  const m = n / 10 ** e;
  return `${+m.toFixed(2)}e${e}`;
}

const ns = (x) => (x >= 1e5 ? x.toExponential(2) : x.toFixed(1)).padStart(8);

/** One line of the terminal table. */
export function formatRow(row) {
  return `${row.kind.padEnd(8)}${sizeLabel(row.n).padStart(4)}  ${(CASE_LABELS[row.case] ?? row.case).padEnd(29)}` +
    `Map ${ns(row.mapNs)} ns  HashMap ${ns(row.hashMapNs)} ns  ratio ${row.ratio.toFixed(2).padStart(5)}`;
}
