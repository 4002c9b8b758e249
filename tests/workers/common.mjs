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

export { strKey, strKeyNum, strVal, strValParse } from '../codecs.js';
