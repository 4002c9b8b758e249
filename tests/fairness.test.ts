// Fair locks on shared maps (issue 11, item 4): a worker that calls setMany back to back releases and
// retakes the map's lock thousands of times a second. Before the fair-lock protocol (MapLock in
// bindings/shared.ts: a thread that waited STARVE_MS claims the map, and writers defer to the claim),
// the main thread's set, getMany and [...m.keys()] threw LockTimeoutError with a 1000 ms lockTimeout
// and a get took hundreds of milliseconds. Here every operation of the main thread must succeed, each
// within 50 ms (an iteration: each next(), each forEach callback; 2% may take longer, none over 250 ms:
// a thread preempted while it holds the lock on this 2-core machine), with the default lockTimeout and
// with 1000 ms, and the hog must keep writing.
import { describe, it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { HashMap } from '../bindings/index.js';

/** Pairs per setMany call of the hog: the case. */
const PAIRS = 20_000;
/** Keys of the hog start here; the main thread writes keys below it. */
const HOG_BASE = 1_000_000;
/** Bound on each main-thread operation (the figure). With other test files running on this
 * 2-core machine a thread can be preempted while it holds the lock, which no lock design prevents:
 * OUTLIERS of the operations may take longer, none longer than HARD_LIMIT_MS. */
const LIMIT_MS = 50;
const OUTLIERS = 0.02;
const HARD_LIMIT_MS = 250;
/** Bound on a whole iteration (hundreds of steps, each a read): well under the 1000 ms lockTimeout it used to fail. */
const WHOLE_LIMIT_MS = 2000;
/** Rounds of the main thread's operation list. */
const ROUNDS = 20;

/** Times the main thread's operations: the slowest of each kind, and every sample for the bounds. */
class Stopwatch {
  readonly worst = new Map<string, number>();
  readonly samples: number[] = [];

  /** Record one duration of operation `what`. */
  add(what: string, ms: number): void {
    this.worst.set(what, Math.max(this.worst.get(what) ?? 0, ms));
    this.samples.push(ms);
  }

  time<T>(what: string, f: () => T): T {
    const t0 = performance.now();
    const r = f();
    this.add(what, performance.now() - t0);
    return r;
  }

  report(): string {
    return [...this.worst].map(([what, ms]) => `${what} ${ms.toFixed(1)} ms`).join(', ');
  }

  /** At most OUTLIERS of the operations over LIMIT_MS, none over HARD_LIMIT_MS. */
  check(report: string): void {
    const over = this.samples.filter((ms) => ms >= LIMIT_MS).length;
    expect(over, `${over} of ${this.samples.length} operations took ${LIMIT_MS} ms or more (slowest of each: ${report})`).toBeLessThanOrEqual(Math.floor(this.samples.length * OUTLIERS));
    for (const [what, ms] of this.worst) expect(ms, `${what} took ${ms.toFixed(1)} ms (${report})`).toBeLessThan(HARD_LIMIT_MS);
  }
}

function startHog(handle: unknown, ctl: SharedArrayBuffer, mode: string, pairs: number): { worker: Worker; result: Promise<{ rounds: number }> } {
  const worker = new Worker(new URL('./workers/hog.mjs', import.meta.url), { workerData: { handle, ctl, pairs, base: HOG_BASE, mode } });
  const result = new Promise<{ rounds: number }>((resolve, reject) => {
    worker.on('message', (m: { type: string; result?: { rounds: number }; message?: string }) => {
      if (m.type === 'done') resolve(m.result!);
      else reject(new Error(`hog: ${m.message}`));
    });
    worker.on('error', reject);
  });
  return { worker, result };
}

describe('shared: a busy writer does not starve the other threads', () => {
  for (const lockTimeout of [1000, undefined]) {
    it(`setMany of ${PAIRS} pairs back to back in a worker; the main thread's reads and writes each finish within ${LIMIT_MS} ms (lockTimeout ${lockTimeout ?? 'default'})`, { timeout: 60_000 }, async () => {
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, lockTimeout });
      const ctl = new SharedArrayBuffer(8);
      const i32 = new Int32Array(ctl);
      const { worker, result } = startHog(m.handle, ctl, 'setMany', PAIRS);
      try {
        while (Atomics.load(i32, 0) === 0) Atomics.wait(i32, 0, 0, 50);
        // Let the hog fill the map and get into its stride.
        while (m.size < PAIRS) Atomics.wait(i32, 1, 0, 1);
        const watch = new Stopwatch();
        const time = <T>(what: string, f: () => T): T => watch.time(what, f);
        const whole = { keys: 0, forEach: 0, lastEach: 0 };
        const model = new Map<number, number>();
        const probe = new Int32Array([1, 2, 3, HOG_BASE, HOG_BASE + 1]);
        for (let r = 0; r < ROUNDS; r++) {
          time('set', () => m.set(r, r * 10));
          model.set(r, r * 10);
          expect(time('get', () => m.get(r))).toBe(r * 10);
          expect(time('has', () => m.has(r))).toBe(true);
          expect(time('add', () => m.add(r, 1))).toBe(r * 10 + 1);
          model.set(r, r * 10 + 1);
          expect(time('getOrSet', () => m.getOrSet(r, 0))).toBe(r * 10 + 1);
          if (r % 3 === 0) {
            expect(time('delete', () => m.delete(r))).toBe(true);
            model.delete(r);
          }
          const got = time('getMany', () => m.getMany(probe));
          expect(got[3]).toBeGreaterThanOrEqual(0);
          time('hasMany', () => m.hasMany(probe));
          const size = time('size', () => m.size);
          expect(size).toBeGreaterThanOrEqual(PAIRS);
          time('stats', () => m.stats());
          // An iteration is many reads (a step of 64 entries each): each next() is bounded, and the
          // whole iteration is reported.
          const it = m.keys();
          let n = 0;
          const t0 = performance.now();
          while (!time('keys().next()', () => it.next()).done) n++;
          whole.keys = Math.max(whole.keys, performance.now() - t0);
          expect(n).toBeGreaterThanOrEqual(PAIRS);
          n = 0;
          const t1 = performance.now();
          m.forEach(() => {
            n++;
            const dt = performance.now() - t1;
            watch.add('forEach, to each callback', dt - whole.lastEach);
            whole.lastEach = dt;
          });
          whole.lastEach = 0;
          whole.forEach = Math.max(whole.forEach, performance.now() - t1);
          expect(n).toBeGreaterThanOrEqual(PAIRS);
        }
        for (const [k, v] of model) expect(m.get(k)).toBe(v);
        const report = watch.report() + `; whole iterations of ${PAIRS}+ entries: keys() ${whole.keys.toFixed(1)} ms, forEach ${whole.forEach.toFixed(1)} ms`;
        console.log(`slowest of each (lockTimeout ${lockTimeout ?? 'default'}): ${report}`);
        expect(whole.keys, report).toBeLessThan(WHOLE_LIMIT_MS);
        expect(whole.forEach, report).toBeLessThan(WHOLE_LIMIT_MS);
        watch.check(report);
      } finally {
        Atomics.store(i32, 1, 1);
      }
      const { rounds } = await result;
      await worker.terminate();
      // The hog was not starved either.
      expect(rounds).toBeGreaterThan(ROUNDS);
      m.dispose();
    });
  }

  it(`a worker that sets string keys in a tight loop (the lock retaken a fraction of a microsecond after each release); each main-thread operation and each next() within ${LIMIT_MS} ms`, { timeout: 60_000 }, async () => {
    const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', shared: true, lockTimeout: 1000 });
    const ctl = new SharedArrayBuffer(8);
    const i32 = new Int32Array(ctl);
    const hogKeys = 1024;
    const { worker, result } = startHog(m.handle, ctl, 'tight', hogKeys);
    const watch = new Stopwatch();
    const time = <T>(what: string, f: () => T): T => watch.time(what, f);
    try {
      while (Atomics.load(i32, 0) === 0) Atomics.wait(i32, 0, 0, 50);
      while (m.size < hogKeys) Atomics.wait(i32, 1, 0, 1);
      for (let r = 0; r < 100; r++) {
        time('set', () => m.set(`main ${r}`, r));
        expect(time('get', () => m.get(`main ${r}`))).toBe(r);
        expect(time('size', () => m.size)).toBeGreaterThanOrEqual(hogKeys);
        const it = m.keys();
        let n = 0;
        while (!time('keys().next()', () => it.next()).done) n++;
        expect(n).toBeGreaterThanOrEqual(hogKeys + r + 1);
      }
    } finally {
      Atomics.store(i32, 1, 1);
    }
    const { rounds } = await result;
    await worker.terminate();
    const report = watch.report();
    console.log(`tight hog, slowest of each: ${report}; the hog made ${rounds} sets`);
    watch.check(report);
    expect(rounds).toBeGreaterThan(1000);
    m.dispose();
  });
});
