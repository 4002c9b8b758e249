// A Web Worker terminated in the middle of its writes (tests/browser.test.ts). The page sends the
// worker its work right after new Worker(...); the worker lets its event loop run once, then writes
// in a loop. The package's Web Lock for the worker (`tophash:thread:<id>`, asked for when the worker
// loads the package) is held by then (the page checks), though the worker never runs the lock's
// callback. A busy worker runs on for a while after terminate(); the page waits until the browser has
// released the worker's lock (it has stopped), then writes to the map.
// The page cannot block: its waits give up with LockTimeoutError (lockTimeout 100) until its probe of
// the holder's Web Lock proves the worker dead; the next wait undoes its half-done write. That must
// come long before recoveryTime (10 s, when a silent holder would be presumed dead), and the map
// must be whole: every entry twice its key, size and iteration agreeing, the page's keys as written.
import { check, run } from './harness.js';

const ROUNDS = 3;
/** How often a thread looks for other threads' records (bindings/threads.ts WATCH_MS), and a margin. */
const WATCH_MS = 1200;
const KEYS = 2000;

run(async () => {
  const { HashMap, LockTimeoutError } = await import('../../dist/index.js');
  const m = new HashMap(null, { key: 'int32', value: 'int32', shared: true, lockTimeout: 100 });
  const waits = [];
  const held = async () => (await navigator.locks.query()).held.filter((l) => l.name.startsWith('tophash:')).length;
  const start = () => new Worker(new URL('./dead-worker-worker.js', import.meta.url), { type: 'module' });
  for (let round = 0; round < ROUNDS; round++) {
    const w = start();
    await new Promise((resolve, reject) => {
      w.onmessage = resolve;
      w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      w.postMessage({ handle: m.handle, base: 100_000 + round * KEYS, keys: KEYS });
    });
    check((await held()) === 2, "the worker's Web Lock is held");
    w.terminate();
    const dead = performance.now();
    while ((await held()) > 1) await new Promise((r) => setTimeout(r, 10));
    const stopped = Math.round(performance.now() - dead);
    const t0 = performance.now();
    let timeouts = 0;
    for (let j = 0; j < 50; j++) {
      const k = round * 100 + j;
      for (;;) {
        try {
          m.set(k, 2 * k);
          break;
        } catch (e) {
          check(e instanceof LockTimeoutError, () => `set: ${e?.name}: ${e?.message}`);
          timeouts++;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }
    waits.push({ stopped, ms: Math.round(performance.now() - t0), timeouts });
    let n = 0;
    for (const [k, v] of m) {
      check(v === 2 * k, () => `round ${round}: entry ${k} => ${v}`);
      n++;
    }
    check(n === m.size, () => `round ${round}: iteration gave ${n} entries, size ${m.size}`);
    for (let j = 0; j < 50; j++) check(m.get(round * 100 + j) === 2 * (round * 100 + j), `the page's key ${round * 100 + j}`);
  }
  // A worker that dies in the middle of iterations: the page, which watches every thread's Web Lock,
  // learns of its death when the lock is released and releases its iterators.
  const w = start();
  await new Promise((resolve, reject) => {
    w.onmessage = resolve;
    w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    w.postMessage({ handle: m.handle, iterate: 5 });
  });
  check(m.stats().liveIterators === 5, () => `the worker's iterators: ${m.stats().liveIterators}`);
  // As a worker that has run for a while: its Web Lock held, and the page has looked at its record
  // since (every thread looks at new records every second, bindings/threads.ts). A worker that dies
  // before another thread has seen its lock held cannot be proved dead: it is presumed so after
  // recoveryTime, and its iterators released then.
  while ((await held()) < 2) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, WATCH_MS));
  w.terminate();
  const t0 = performance.now();
  while (m.stats().liveIterators > 0 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
  check(m.stats().liveIterators === 0, () => `5 s after terminate(), ${m.stats().liveIterators} iterators of the dead worker`);
  const released = Math.round(performance.now() - t0);
  m.dispose();
  return { waits, released };
});
