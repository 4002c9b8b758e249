// Shared helpers for the worker scripts of tests/shared.test.ts. Workers run outside vitest's
// transform, so they import the BUILT package (dist/) and nothing written in TypeScript.
import { parentPort, workerData } from 'node:worker_threads';

export { workerData };

/** Throw unless cond: every check a worker makes goes through this. */
export function check(cond, msg) {
  if (!cond) throw new Error(typeof msg === 'function' ? msg() : msg);
}

export function show(x) {
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'string') return JSON.stringify(x);
  return Object.is(x, -0) ? '-0' : String(x);
}

/** A message for the main thread. */
export function post(msg, transfer) {
  parentPort.postMessage(msg, transfer);
}

/** Run the worker's body; its result (or its error) goes to the main thread as one message. */
export function run(fn) {
  Promise.resolve()
    .then(fn)
    .then(
      (r) => post({ type: 'done', result: r }, r && r.transfer ? r.transfer : undefined),
      (e) => post({ type: 'error', name: e?.name ?? 'Error', message: String(e?.message ?? e), stack: String(e?.stack ?? '') }),
    );
}

/** The next message from the main thread. */
export function nextMessage() {
  return new Promise((resolve) => parentPort.once('message', resolve));
}

/**
 * A reusable barrier over an Int32Array on a SharedArrayBuffer: i32[idx] counts arrivals, i32[idx + 1]
 * is the generation. Spins a little before sleeping so that threads leave it as close together as
 * possible. Throws rather than hang if the others never come.
 */
export function barrier(i32, idx, n, timeoutMs = 20000) {
  const gen = Atomics.load(i32, idx + 1);
  if (Atomics.add(i32, idx, 1) === n - 1) {
    Atomics.store(i32, idx, 0);
    Atomics.add(i32, idx + 1, 1);
    Atomics.notify(i32, idx + 1);
    return;
  }
  for (let spin = 0; spin < 20000; spin++) if (Atomics.load(i32, idx + 1) !== gen) return;
  const t0 = Date.now();
  while (Atomics.load(i32, idx + 1) === gen) {
    Atomics.wait(i32, idx + 1, gen, 50);
    if (Date.now() - t0 > timeoutMs) throw new Error(`barrier: waited ${timeoutMs} ms for ${n} threads`);
  }
}

/** Sleep this thread for ms milliseconds (Atomics.wait on a private cell). */
const nap = new Int32Array(new SharedArrayBuffer(4));
export function sleep(ms) {
  Atomics.wait(nap, 0, 0, ms);
}

/** mulberry32, the generator of every test context. */
export { rng } from '../rng.js';

// ---- string codecs (the same functions are written out in tests/shared.test.ts) -------------------

/**
 * String key number n: short Latin-1 (inline in the slot), long Latin-1 (a block) and non-Latin-1
 * (a two-byte block) in turn.
 */
export function strKey(n) {
  switch (n % 3) {
    case 0: return `k${n}`;
    case 1: return `a-much-longer-key-${n}`;
    default: return `ключ-${n}`;
  }
}

const STR_KEY_RE = /^(?:k|a-much-longer-key-|ключ-)(\d+)$/;
/** The n of strKey(n), or -1 when s is no such key. */
export function strKeyNum(s) {
  if (typeof s !== 'string') return -1;
  const m = STR_KEY_RE.exec(s);
  if (m === null) return -1;
  const n = Number(m[1]);
  return strKey(n) === s ? n : -1;
}

/** String value for key n, version ver: inline and block values in turn. */
export function strVal(n, ver) {
  return n % 2 === 0 ? `${ver}:${n}` : `a long value for key ${n}, version ${ver} ✓`;
}

const STR_VAL_RE = /^(?:(\d+):(\d+)|a long value for key (\d+), version (\d+) ✓)$/;
/** { n, ver } of strVal(n, ver), or null. */
export function strValParse(s) {
  if (typeof s !== 'string') return null;
  const m = STR_VAL_RE.exec(s);
  if (m === null) return null;
  const n = Number(m[2] ?? m[3]);
  const ver = Number(m[1] ?? m[4]);
  return strVal(n, ver) === s ? { n, ver } : null;
}
