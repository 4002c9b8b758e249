// A worker thread of the shared-map section (child-shared.js starts three: two
// that use only shared maps, one that uses only private maps). It attaches the
// shared maps whose handles it is sent (or builds a private map), and runs timed
// loops on them when the main thread releases the barrier:
//   main: posts { task, ... } to each worker taking part, waits until
//         ctl[READY] counts them all, stores the round's number in ctl[GO],
//         notifies, and waits (idle, in Atomics.wait) until ctl[DONE] counts
//         them all;
//   here: prepares the task (query array, GC), counts itself in ctl[READY],
//         waits for ctl[GO] to reach the round's number, times its loop,
//         counts itself in ctl[DONE] and posts its own timing and result.
// Tasks: 'ping', 'attach' (a handle, under a name), 'private' (build a private
// map of the same entries as the shared one, for the one-thread comparison),
// 'get' (a get loop over random present keys), 'add' (add(k, 1) over the keys
// of a map), 'set', 'atomics' (Atomics.add on random words of a plain shared
// Int32Array, attached under a name like a map), 'exit' (dispose of the maps). Imports the built package, dist/, as
// a program would.
import { parentPort, workerData } from 'node:worker_threads';
import { HashMap } from '../dist/index.js';
import { SHARED_CTL as CTL, compileLoops, makeKeys, makeVals, randomOrder, now, gc } from './lib.js';

const ctl = new Int32Array(workerData.ctl);
const index = workerData.index;
const maps = new Map(); // name -> attached HashMap
const queries = new Map(); // 'n/len/seed' -> Int32Array of keys
// This thread sees one map type only (shared, or private, int32 -> int32); its own copy of the loops all the same.
const L = compileLoops(`HashMap/shared/worker ${index}`);

// add(k, 1) for every key of q, reps times: the contended write.
function addLoop(m, q, reps) {
  let x = 0;
  for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) x = m.add(q[i], 1);
  return x;
}

// set(k, i) for every key of q, reps times: the plain write.
function setLoop(m, q, reps) {
  for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) m.set(q[i], i);
  return 0;
}

// Atomics.add on random words of a plain shared Int32Array, no lock at all: the machine's own limit
// for threads writing random shared memory (the words are the key's position, an index in [0, n)).
function atomicsLoop(words, q, reps) {
  const n = words.length;
  for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) Atomics.add(words, (q[i] >>> 0) % n, 1);
  return 0;
}

function query(n, len, seed) {
  const id = `${n}/${len}/${seed}`;
  let q = queries.get(id);
  if (q === undefined) queries.set(id, (q = randomOrder(makeKeys('int32', n, 0), len, seed)));
  return q;
}

/** Count this thread in ctl[slot] and wake the main thread. */
function arrive(slot) {
  Atomics.add(ctl, slot, 1);
  Atomics.notify(ctl, slot);
}

/** Wait for the main thread to release round `gen`. */
function barrier(gen) {
  for (;;) {
    const g = Atomics.load(ctl, CTL.GO);
    if (g >= gen) return;
    Atomics.wait(ctl, CTL.GO, g);
  }
}

parentPort.on('message', (t) => {
  try {
    if (t.task === 'ping') {
      parentPort.postMessage({ index, ok: true });
      return;
    }
    if (t.task === 'attach') {
      maps.set(t.name, t.words ? new Int32Array(t.words) : HashMap.attach(t.handle));
      parentPort.postMessage({ index, ok: true });
      return;
    }
    if (t.task === 'private') {
      // A private map of the same entries as the shared one of that size (keys makeKeys, values makeVals, salt 1).
      const m = new HashMap(null, { key: 'int32', value: 'int32', capacity: t.n });
      m.setMany(makeKeys('int32', t.n, 0), makeVals('int32', t.n, 1));
      maps.set(t.name, m);
      parentPort.postMessage({ index, ok: true, size: m.size });
      return;
    }
    if (t.task === 'exit') {
      for (const m of maps.values()) if (m instanceof HashMap) m.dispose();
      maps.clear();
      parentPort.postMessage({ index, ok: true });
      return;
    }
    const m = maps.get(t.name);
    const q = query(t.n, t.len, t.seed);
    const loops = {
      get: () => L.get(m, q, t.reps),
      add: () => addLoop(m, q, t.reps),
      set: () => setLoop(m, q, t.reps),
      atomics: () => atomicsLoop(m, q, t.reps),
    };
    const loop = loops[t.task] ?? null;
    if (loop === null) throw new Error(`shared-worker: unknown task ${t.task}`);
    gc();
    arrive(CTL.READY);
    barrier(t.gen);
    const t0 = now();
    const result = loop();
    const t1 = now();
    arrive(CTL.DONE);
    // Absolute times (performance.timeOrigin differs between threads): when this thread started and finished.
    parentPort.postMessage({ index, ms: t1 - t0, start: performance.timeOrigin + t0, end: performance.timeOrigin + t1, result });
  } catch (e) {
    // Count ourselves anyway, so the main thread does not wait forever; it throws on the error.
    arrive(CTL.READY);
    arrive(CTL.DONE);
    parentPort.postMessage({ index, error: String(e?.stack ?? e) });
  }
});
