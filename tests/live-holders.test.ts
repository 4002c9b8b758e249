// Shared maps never lose a live thread's write (issue 20). A thread that holds a map's lock is taken
// for dead only when its death is proved (its exit) or it has made no progress for recoveryTime
// (seconds); lockTimeout only bounds how long a waiter waits before it gives up, with nothing of its
// own operation changed. These tests run the scenarios: a worker's setMany lasting many times
// lockTimeout while the main thread reads and writes; five live threads on two cores with a 5 ms
// lockTimeout; a 40-million-character key with lockTimeout 50; and handles altered by hand, which
// attach must refuse before it writes anything.
import { describe, it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { HashMap, LockTimeoutError, type SharedHandle } from '../bindings/index.js';
import { fieldsOf, rng } from './helpers.js';

type Done<T> = { type: 'done'; result: T } | { type: 'error'; message: string; stack: string } | { type: 'start' };

/** A worker of tests/workers/; `started` resolves at its 'start' message, `done` with its result. */
function startWorker<T>(script: string, workerData: unknown): { started: Promise<void>; done: Promise<T>; worker: Worker } {
  const worker = new Worker(new URL(`./workers/${script}`, import.meta.url), { workerData });
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const done = new Promise<T>((resolve, reject) => {
    worker.on('message', (m: Done<T>) => {
      if (m.type === 'start') started();
      else if (m.type === 'done') resolve(m.result);
      else reject(new Error(`${script}: ${m.message}\n${m.stack}`));
    });
    worker.on('error', reject);
  });
  return { started: startedP, done, worker };
}

const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

/** Whether e is a LockTimeoutError; anything else is rethrown. */
function timedOut(e: unknown): true {
  if (!(e instanceof LockTimeoutError)) throw e;
  return true;
}

describe('shared: attach checks a handle against the maps the memory holds', () => {
  it('a moved address, another map under this id, a disposed map, a reused address: TypeError, and nothing of the memory written', () => {
    const a = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true });
    const b = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true });
    try {
      for (let i = 0; i < 1000; i++) {
        a.set(i, i);
        b.set(i, -i);
      }
      const ha = fieldsOf(a.handle);
      const hb = fieldsOf(b.handle);
      const bad: [string, unknown][] = [];
      for (const d of [1, 2, 4, 8, 64, -64, 128, 192]) bad.push([`address + ${d}`, { ...ha, address: ha.address + d }]);
      bad.push(["another map's address under this id", { ...ha, address: hb.address }]);
      bad.push(["this map's address under another's id", { ...ha, id: hb.id }]);
      bad.push(['kinds changed', { ...ha, value: 'float64' }]);
      // A disposed map, and a new map at the address it freed.
      const c = new HashMap<number, number>([[1, 1]], { key: 'int32', value: 'int32', shared: true });
      const hc = fieldsOf(c.handle);
      c.dispose();
      bad.push(['a disposed map', hc]);
      const made: HashMap<number, number>[] = [];
      let reused: HashMap<number, number> | undefined;
      while (reused === undefined && made.length < 20) {
        const d = new HashMap<number, number>([[2, 2]], { key: 'int32', value: 'int32', shared: true });
        made.push(d);
        if (fieldsOf(d.handle).address === hc.address) reused = d;
      }
      expect(reused, "a new map at the freed map's address").toBeDefined();
      bad.push(['an address freed and reused by another map', hc]);
      const before = Buffer.from(new Uint8Array(ha.memory.buffer).slice());
      for (const [what, h] of bad) expect(() => HashMap.attach(h as SharedHandle), what).toThrow(TypeError);
      expect(before.equals(Buffer.from(new Uint8Array(ha.memory.buffer))), 'the shared memory is as it was before the refused attaches').toBe(true);
      for (let i = 0; i < 1000; i++) if (a.get(i) !== i || b.get(i) !== -i) expect([a.get(i), b.get(i)]).toEqual([i, -i]);
      expect(reused!.get(2)).toBe(2);
      for (const d of made) d.dispose();
      // The true handle still attaches.
      const a2 = HashMap.attach<number, number>(a.handle);
      expect(a2.get(5)).toBe(5);
      a2.dispose();
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('shared: the iterators of a dead thread', () => {
  it('are released once the thread is known dead: liveIterators 0, and churn packs the map as if they never were', { timeout: 60_000 }, async () => {
    const N = 50_000;
    const maps = [0, 1].map(() => new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true }));
    try {
      for (const m of maps) for (let i = 0; i < N; i++) m.set(i, i);
      const w = startWorker<never>('iterating.mjs', { handle: maps[0].handle, count: 16 });
      await w.started;
      expect(maps[0].stats().liveIterators).toBe(16);
      await w.worker.terminate(); // its exit proves it dead: this thread marks it and releases its iterators
      expect(maps[0].stats().liveIterators).toBe(0);
      // The same churn on both maps: deletes and inserts of other keys, which reuse tombstones and
      // re-pack chains only while no iterator is live.
      const rand = rng(0x17e5);
      for (let i = 0; i < 200_000; i++) {
        const k = Math.floor(rand() * 4 * N);
        for (const m of maps) {
          if (i & 1) m.delete(k);
          else m.set(k, i);
        }
      }
      const [a, b] = maps.map((m) => m.stats());
      expect(a.count).toBe(b.count);
      // Pinned by the dead iterators (table 0, where they stood), the growth left 1,717 tombstones and
      // 13% more overflow buckets in a run of this test.
      expect(a.tombstones).toBe(b.tombstones);
      expect(a.overflowBuckets, `overflow buckets ${a.overflowBuckets} against ${b.overflowBuckets} in a map no dead thread iterated`).toBeLessThanOrEqual(b.overflowBuckets * 1.05 + 16);
    } finally {
      for (const m of maps) m.dispose();
    }
  });
});

describe('shared: a long write of a live thread is never undone', () => {
  // The setMany must outlast lockTimeout (several times over: 1-6 s here), so that the main thread's
  // waits for it give up while it still writes.
  for (const [lockTimeout, n, times] of [
    [100, 2_000_000, 3],
    [1000, 4_000_000, 1],
  ] as const) {
    it(`a worker's setMany of ${n} keys, lockTimeout ${lockTimeout} ms, while the main thread reads and writes: all of it stays, and all the main thread completed`, { timeout: 120_000 }, async () => {
      const seed = 0x20 + lockTimeout;
      const rand = rng(seed);
      const BASE = 10_000_000;
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, lockTimeout });
      try {
        const w = startWorker<{ ms: number }>('long-batch.mjs', { handle: m.handle, n, base: BASE });
        await w.started;
        const model = new Map<number, number>();
        let done = false;
        void w.done.then(
          () => (done = true),
          () => (done = true),
        );
        let ops = 0;
        let timeouts = 0;
        while (!done) {
          for (let j = 0; j < 20 && !done; j++, ops++) {
            const k = Math.floor(rand() * 5000);
            const r = rand();
            try {
              if (r < 0.5) {
                m.set(k, ops);
                model.set(k, ops);
              } else if (r < 0.75) {
                const v = m.get(k);
                if (v !== model.get(k)) throw new Error(`seed ${seed}: get(${k}) = ${v}, the main thread set ${model.get(k)}`);
              } else {
                m.get(BASE + Math.floor(rand() * n));
              }
            } catch (e) {
              timeouts += +timedOut(e);
            }
          }
          await yieldToEvents();
        }
        const { ms } = await w.done;
        expect(ms, `the setMany took ${ms.toFixed(0)} ms: not ${times} times lockTimeout`).toBeGreaterThan(times * lockTimeout);
        expect(m.size).toBe(n + model.size);
        for (let i = 0; i < n; i++) if (m.get(BASE + i) !== (i ^ 0x5a5a)) expect(m.get(BASE + i), `seed ${seed}: key ${BASE + i}`).toBe(i ^ 0x5a5a);
        for (const [k, v] of model) expect(m.get(k), `seed ${seed}: the main thread's key ${k}`).toBe(v);
        let iterated = 0;
        for (const _ of m.keys()) iterated++;
        expect(iterated).toBe(m.size);
        console.log(`setMany of ${n} keys in ${ms.toFixed(0)} ms (lockTimeout ${lockTimeout}); the main thread made ${ops} operations, ${timeouts} of them gave up (LockTimeoutError)`);
      } finally {
        m.dispose();
      }
    });
  }

  it('a worker sets a 40,000,000-character key with lockTimeout 50 while the main thread uses the map: the set succeeds and stays', { timeout: 120_000 }, async () => {
    const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', shared: true, lockTimeout: 50 });
    try {
      const LENGTH = 40_000_000;
      const w = startWorker<{ ms: number; got: number }>('long-key.mjs', { handle: m.handle, length: LENGTH });
      await w.started;
      let done = false;
      void w.done.then(
        () => (done = true),
        () => (done = true),
      );
      let timeouts = 0;
      for (let i = 0; !done; i++) {
        try {
          m.set(`k${i % 1000}`, i);
          if (i % 16 === 0) expect(m.size).toBeGreaterThan(0);
        } catch (e) {
          timeouts += +timedOut(e);
        }
        if (i % 8 === 0) await yieldToEvents();
      }
      const { ms, got } = await w.done;
      expect(got).toBe(7);
      expect(m.get('k'.repeat(LENGTH))).toBe(7);
      console.log(`a ${LENGTH}-character key set in ${ms.toFixed(0)} ms; the main thread's waits gave up ${timeouts} times`);
    } finally {
      m.dispose();
    }
  });
});

describe('shared: live threads on an oversubscribed machine lose nothing, whatever lockTimeout', () => {
  const WORKERS = 5;
  const RUNS = 3;
  const MS = 2500;
  const OWN = 2000;
  for (let run = 0; run < RUNS; run++) {
    it(`run ${run + 1} of ${RUNS}: ${WORKERS} workers (2 cores here) add to 16 counters and set their own keys for ${MS} ms with lockTimeout 5 ms: every completed add and set is there`, { timeout: 60_000 }, async () => {
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, lockTimeout: 5 });
      try {
        const ws = Array.from({ length: WORKERS }, (_, i) => startWorker<{ adds: number[]; own: [number, number][]; timeouts: number; rounds: number }>('contender.mjs', { handle: m.handle, ms: MS, ownBase: 1000 + i * OWN, ownKeys: OWN }));
        const results = await Promise.all(ws.map((w) => w.done));
        const sums = new Array(16).fill(0);
        let own = 0;
        for (const r of results) {
          r.adds.forEach((a, c) => (sums[c] += a));
          for (const [k, v] of r.own) if (m.get(k) !== v) expect(m.get(k), `key ${k}`).toBe(v);
          own += r.own.length;
        }
        for (let c = 0; c < 16; c++) expect(m.get(c) ?? 0, `counter ${c}`).toBe(sums[c]);
        const counters = sums.filter((s) => s > 0).length;
        expect(m.size).toBe(counters + own);
        let iterated = 0;
        for (const _ of m) iterated++;
        expect(iterated).toBe(m.size);
        const adds = sums.reduce((a, b) => a + b, 0);
        const timeouts = results.reduce((a, r) => a + r.timeouts, 0);
        console.log(`${adds} adds and ${results.reduce((a, r) => a + r.rounds, 0)} sets tried; ${timeouts} gave up (LockTimeoutError); none lost`);
      } finally {
        m.dispose();
      }
    });
  }
});
