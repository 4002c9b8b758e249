// Shared maps survive a writer that dies (issues 11 and 20): worker threads writing to one map are
// terminated at random moments, most of them in the middle of a write, with no recovery call by
// anyone. The main thread created them, so their exit proves them dead (bindings/shared.ts marks their
// thread records), and the first wait for a lock one of them held undoes its half-done write from its
// log (assembly/wlog.ts) at once. After each round the main thread's operations must succeed without
// ever waiting out lockTimeout, the map must be consistent (iteration gives each key once, agrees with
// size and with get; every entry well-formed), and every operation the main thread completed must be
// there. The allocator's lock is tested the same way, and with a holder that names no thread (presumed
// dead only after recoveryTime).
import { describe, it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { HashMap, LockTimeoutError } from '../bindings/index.js';
import { homeCore } from '../bindings/shared.js';
import { rng, fieldsOf, holdLockAndDie, allocLockWord } from './helpers.js';
import { strKey, strKeyNum, strVal, strValParse } from './codecs.js';

/** Short: a survivor that waited this long for a dead holder would throw LockTimeoutError (its death is proved at once). */
const LOCK_TIMEOUT = 100;
/** Victims per round, started together and terminated one after another. */
const VICTIMS = 4;
/** Keys of each victim's own range. */
const VICTIM_KEYS = 2000;
/** The victims' ranges start here; the main thread's keys are below. */
const VICTIM_BASE = 100_000;
const MAIN_KEYS = 500;
/** A survivor never waits for lockTimeout: a dead holder's write is undone by its first wait (docs/design.md gives the times measured). */
const WRITE_BOUND_MS = LOCK_TIMEOUT;

/** Whether v is a value a writer of key number n writes. */
function validValue(mode: string, n: number, v: unknown): boolean {
  if (mode === 'str') return strValParse(v)?.n === n;
  return typeof v === 'number' && v >= n && v < n + 1 && Number.isInteger((v - n) * 16);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A victim worker; resolves `started` once it has written for a while. */
function startVictim(handle: unknown, mode: string, slot: number, seed: number, startAfter: number): { worker: Worker; started: Promise<void> } {
  const base = VICTIM_BASE + slot * VICTIM_KEYS;
  const worker = new Worker(new URL('./workers/victim.mjs', import.meta.url), {
    workerData: { handle, base, keys: VICTIM_KEYS, mode, seed, startAfter },
  });
  const started = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { type: string; message?: string; stack?: string }) => {
      if (m.type === 'started') resolve();
      else reject(new Error(`victim: ${m.message}\n${m.stack}`));
    });
    worker.on('error', reject);
    worker.on('exit', () => reject(new Error('victim exited before it started')));
  });
  return { worker, started };
}

type AnyMap = HashMap<unknown, unknown>;

/** Iteration gives each key once and agrees with size, forEach and get; entries well-formed; the main thread's keys as its model says. */
function checkConsistent(m: AnyMap, mode: string, model: Map<unknown, unknown>, where: string): number {
  const keyNum = (k: unknown): number => (mode === 'str' ? strKeyNum(k as string) : (k as number));
  const seen = new Map<unknown, unknown>();
  for (const [k, v] of m) {
    const n = keyNum(k);
    if (!(n >= 0) || seen.has(k) || !validValue(mode, n, v)) {
      throw new Error(`${where}: iteration produced ${String(k)} => ${String(v)}${seen.has(k) ? ' twice' : ''}`);
    }
    seen.set(k, v);
  }
  expect(seen.size, `${where}: size against iteration`).toBe(m.size);
  let each = 0;
  m.forEach(() => each++);
  expect(each, `${where}: forEach`).toBe(seen.size);
  for (const [k, v] of seen) if (m.get(k) !== v) throw new Error(`${where}: get(${String(k)}) = ${String(m.get(k))}, iteration gave ${String(v)}`);
  for (let n = 0; n < MAIN_KEYS; n++) {
    const k = mode === 'str' ? strKey(n) : n;
    if (m.get(k) !== model.get(k)) throw new Error(`${where}: the main thread's ${String(k)} is ${String(m.get(k))}, it wrote ${String(model.get(k))}`);
  }
  return seen.size;
}

describe('shared: writers terminated at random moments', () => {
  for (const [mode, rounds] of [
    ['num', 28],
    ['str', 24],
  ] as const) {
    const kinds = mode === 'str' ? ({ key: 'string', value: 'string' } as const) : ({ key: 'int32', value: 'float64' } as const);
    it(`${kinds.key} => ${kinds.value}: ${rounds * VICTIMS} terminations; the survivors go on at once, nothing completed is lost`, { timeout: 120_000 }, async () => {
      const seed = 0x5eed + rounds;
      const rand = rng(seed);
      const m = new HashMap<unknown, unknown>(null, { ...kinds, shared: true, lockTimeout: LOCK_TIMEOUT });
      const model = new Map<unknown, unknown>();
      let slowest = 0;
      let entries = 0;
      try {
        for (let round = 0; round < rounds; round++) {
          const where = `${mode}, seed ${seed}, round ${round}`;
          const victims = Array.from({ length: VICTIMS }, (_, i) => startVictim(m.handle, mode, i, seed * 1000 + round * VICTIMS + i, 200 + Math.floor(rand() * 3000)));
          try {
            await Promise.all(victims.map((v) => v.started));
            for (const v of victims) {
              await sleep(Math.floor(rand() * 3));
              await v.worker.terminate();
            }
          } finally {
            await Promise.all(victims.map((v) => v.worker.terminate()));
          }
          // The main thread's own writes: each must finish at once, whatever the dead left.
          for (let j = 0; j < 20; j++) {
            const n = Math.floor(rand() * MAIN_KEYS);
            const k = mode === 'str' ? strKey(n) : n;
            const v = mode === 'str' ? strVal(n, round % 16) : n + (round % 16) / 16;
            const t0 = performance.now();
            if (rand() < 0.7) {
              m.set(k, v);
              model.set(k, v);
            } else {
              expect(m.delete(k), `${where}: delete(${String(k)})`).toBe(model.delete(k));
            }
            const dt = performance.now() - t0;
            slowest = Math.max(slowest, dt);
            expect(dt, `${where}: a write of the main thread took ${dt.toFixed(0)} ms`).toBeLessThan(WRITE_BOUND_MS);
          }
          entries = checkConsistent(m, mode, model, where);
        }
      } finally {
        m.dispose();
      }
      console.log(`${mode}: ${rounds * VICTIMS} victims terminated; slowest main-thread write ${slowest.toFixed(0)} ms; ${entries} entries at the end`);
    });
  }
});

describe("shared: a thread stopped inside the allocator's lock", () => {
  it('dead (a worker terminated in it): other threads take it over at once and allocate', { timeout: 60_000 }, async () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, lockTimeout: LOCK_TIMEOUT });
    try {
      await holdLockAndDie(m.handle, 'allocator');
      // Growing the map allocates: the first allocation finds the holder dead and takes the lock over.
      const t0 = performance.now();
      for (let i = 0; i < 5000; i++) m.set(i, i);
      expect(performance.now() - t0).toBeLessThan(LOCK_TIMEOUT);
      expect(m.size).toBe(5000);
      for (let i = 0; i < 5000; i++) if (m.get(i) !== i) expect(m.get(i)).toBe(i);
    } finally {
      m.dispose();
    }
  });

  it('unknown (taken by hand, naming no thread): presumed dead only once it has kept the lock recoveryTime; until then allocations give up after lockTimeout', { timeout: 60_000 }, async () => {
    const RECOVERY = 1000;
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, lockTimeout: LOCK_TIMEOUT, recoveryTime: RECOVERY });
    try {
      const { core } = homeCore();
      const word = allocLockWord(core);
      const ctl = new SharedArrayBuffer(4);
      // The worker takes the allocator's lock's futex word as a holder would (one more holder in the
      // word's count, state held) without naming itself, and never releases it.
      const code = `
        const { workerData } = require('node:worker_threads');
        const lock = new Int32Array(workerData.memory.buffer, workerData.word, 1);
        const ctl = new Int32Array(workerData.ctl);
        for (;;) {
          const v = Atomics.load(lock, 0);
          if ((v & 3) === 0 && Atomics.compareExchange(lock, 0, v, (v + 4) | 1) === v) break;
        }
        Atomics.store(ctl, 0, 1);
        for (;;) {}
      `;
      const worker = new Worker(code, { eval: true, workerData: { memory: fieldsOf(m.handle).memory, word, ctl } });
      const flag = new Int32Array(ctl);
      while (Atomics.load(flag, 0) === 0) await sleep(1);
      try {
        // Growing the map allocates: each allocation waits lockTimeout and gives up (the set changes
        // nothing), until the lock has been seen held by the same hold for recoveryTime.
        const t0 = performance.now();
        let timeouts = 0;
        for (let i = 0; i < 5000; i++) {
          for (;;) {
            try {
              m.set(i, i);
              break;
            } catch (e) {
              expect(e).toBeInstanceOf(LockTimeoutError);
              expect(m.has(i)).toBe(false);
              timeouts++;
            }
          }
        }
        const dt = performance.now() - t0;
        expect(timeouts).toBeGreaterThan(0);
        expect(dt).toBeGreaterThanOrEqual(RECOVERY * 0.9);
        expect(dt).toBeLessThan(RECOVERY + 2 * LOCK_TIMEOUT + 500);
        expect(m.size).toBe(5000);
        for (let i = 0; i < 5000; i++) if (m.get(i) !== i) expect(m.get(i)).toBe(i);
        const other = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, capacity: 10_000 });
        other.set(1, 2);
        expect(other.get(1)).toBe(2);
        other.dispose();
      } finally {
        await worker.terminate();
      }
    } finally {
      m.dispose();
    }
  });
});
