// Shared maps between the page's main thread and two Web Workers (shared-worker.js), all three
// writing at once:
//   counts  int32 -> int32:   each thread adds 1 to each of KEYS keys, ROUNDS times
//   words   string -> int32:  the same through string keys (short inline, long, non-Latin-1)
//   race    int32 -> int32:   each thread getOrSets every key to its own id: one wins per key
//   grown   int32 -> float64: empty at the start, each thread sets its own range of keys (growth
//                             under concurrent writers)
// Then the totals must be exact, every thread must have seen the same getOrSet winner, and once
// every thread has disposed of its handle, attaching it again is a TypeError (the map was freed).
// The main thread cannot block (Atomics.wait throws there): the bindings spin for it.
import { check, show, throws, run } from './harness.js';
import { ROUNDS, KEYS, GROWN, word, work } from './shared-work.js';

const WORKERS = 2;

run(async () => {
  const { HashMap } = await import('../../dist/index.js');
  check(globalThis.crossOriginIsolated === true, 'the page should be cross-origin isolated');
  const maps = {
    counts: new HashMap(null, { key: 'int32', value: 'int32', shared: true }),
    words: new HashMap(null, { key: 'string', value: 'int32', shared: true }),
    race: new HashMap(null, { key: 'int32', value: 'int32', shared: true }),
    grown: new HashMap(null, { key: 'int32', value: 'float64', shared: true, lockTimeout: 10000 }),
  };
  for (const m of Object.values(maps)) check(m.shared, 'shared: true made a shared map');
  const handles = Object.fromEntries(Object.entries(maps).map(([name, m]) => [name, m.handle]));
  // go[0]: threads ready; go[1]: start (the page stores 1 when both workers are ready).
  const go = new Int32Array(new SharedArrayBuffer(8));

  const workers = [];
  const results = [];
  for (let id = 1; id <= WORKERS; id++) {
    const w = new Worker(new URL('./shared-worker.js', import.meta.url), { type: 'module', name: `counter ${id}` });
    // At once: the package holds the message until the worker's module has set onmessage.
    w.postMessage({ id, handles, go });
    workers.push(w);
    results.push(
      new Promise((resolve, reject) => {
        w.onmessage = (ev) => {
          if (ev.data.type === 'done') resolve(ev.data.result);
          else reject(new Error(`worker ${id}: ${ev.data.error}`));
        };
        w.onerror = (ev) => reject(new Error(`worker ${id}: uncaught ${ev.message} (${ev.filename}:${ev.lineno})`));
        w.onmessageerror = () => reject(new Error(`worker ${id}: messageerror`));
      }),
    );
  }
  const failed = Promise.race(results.map((p) => p.then(() => new Promise(() => {}))));

  // Wait (without blocking: yield to the event loop) until both workers are attached and spinning.
  const t0 = performance.now();
  while (Atomics.load(go, 0) < WORKERS) {
    await Promise.race([new Promise((r) => setTimeout(r, 5)), failed]);
    if (performance.now() - t0 > 20000) throw new Error('workers did not get ready in 20 s');
  }
  Atomics.store(go, 1, 1);
  Atomics.notify(go, 1);
  const mine = work(maps, 0);
  const theirs = await Promise.all(results);
  for (const w of workers) w.terminate();

  // Exact totals.
  const { counts, words, race, grown } = maps;
  const threads = WORKERS + 1;
  check(counts.size === KEYS && words.size === KEYS && race.size === KEYS, () => `sizes ${counts.size}, ${words.size}, ${race.size}, want ${KEYS}`);
  for (let k = 0; k < KEYS; k++) {
    check(counts.get(k) === threads * ROUNDS, () => `counts ${k}: ${show(counts.get(k))}, want ${threads * ROUNDS}`);
    check(words.get(word(k)) === threads * ROUNDS, () => `words ${show(word(k))}: ${show(words.get(word(k)))}, want ${threads * ROUNDS}`);
  }
  let total = 0;
  for (const [, v] of counts) total += v;
  check(total === threads * ROUNDS * KEYS, () => `sum over iteration ${total}, want ${threads * ROUNDS * KEYS}`);
  const winners = new Set();
  for (let k = 0; k < KEYS; k++) {
    const seen = [mine.race[k], ...theirs.map((t) => t.race[k])];
    check(
      seen.every((x) => x === race.get(k)),
      () => `getOrSet ${k}: threads saw ${seen.join(', ')}, map holds ${race.get(k)}`,
    );
    winners.add(race.get(k));
  }
  check(grown.size === threads * GROWN, () => `grown size ${grown.size}, want ${threads * GROWN}`);
  for (let t = 0; t < threads; t++) {
    for (let i = 0; i < GROWN; i++) {
      const k = t * GROWN + i;
      if (grown.get(k) !== k / 2) throw new Error(`grown ${k}: ${show(grown.get(k))}, want ${k / 2}`);
    }
  }
  const grownStats = grown.stats();

  // Every worker has disposed of its handles: the page's dispose frees the maps.
  for (const m of Object.values(maps)) m.dispose();
  for (const h of Object.values(handles)) throws(() => HashMap.attach(h), TypeError);

  return {
    threads,
    total,
    winners: [...winners].sort(),
    grownB: grownStats.B,
    workerOps: theirs.map((t) => t.ops),
    pageOps: mine.ops,
    workerCrossOriginIsolated: theirs.map((t) => t.isolated),
  };
});
