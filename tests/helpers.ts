// Shared test helpers: a seeded random generator and key/value makers per kind.
import type { KeyKind, ValueKind, SharedHandle } from '../bindings/index.js';
import type { HandleFields } from '../bindings/shared.js';
import { core, type Core } from '../bindings/load.js';
import { ALLOC_TOP, ALLOC_ITER_SLOTS, ALLOC_LOCK } from '../bindings/contract.js';

import { Worker } from 'node:worker_threads';
import { rng } from './rng.js';

/** mulberry32 (tests/rng.js): every failing test prints its seed. */
export { rng };

/** The numeric key kinds (string keys have their own makers in strings.test.ts). */
export type NumericKeyKind = Exclude<KeyKind, 'string'>;
/** The value kinds other than 'string'. */
export type NumericValueKind = Exclude<ValueKind, 'string'>;
export const KEY_KINDS: NumericKeyKind[] = ['int32', 'uint32', 'float64', 'bigint64', 'biguint64'];
export const VALUE_KINDS: NumericValueKind[] = ['int32', 'uint32', 'float64', 'bigint64', 'biguint64', 'any'];

/** A key of `kind` drawn from a pool of `range` distinct keys, with the kind's edge values mixed in. */
export function keyMaker(kind: NumericKeyKind, rand: () => number, range: number): () => number | bigint {
  const edges: Record<NumericKeyKind, (number | bigint)[]> = {
    int32: [0, -1, 2147483647, -2147483648],
    uint32: [0, 1, 4294967295, 2147483648],
    float64: [0, NaN, Infinity, -Infinity, 1e-300, Number.MAX_VALUE, -2.5],
    bigint64: [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)],
    biguint64: [0n, 1n, 2n ** 64n - 1n, 2n ** 63n],
  };
  return () => {
    if (rand() < 0.01) {
      const e = edges[kind];
      return e[Math.floor(rand() * e.length)];
    }
    const i = Math.floor(rand() * range);
    switch (kind) {
      case 'int32':
        return (i * 2654435761) | 0;
      case 'uint32':
        return (i * 2654435761) >>> 0;
      case 'float64':
        return i * 1.25 - range / 3;
      case 'bigint64':
        return BigInt.asIntN(64, BigInt(i) * 0x9e3779b97f4a7c15n);
      case 'biguint64':
        return (BigInt(i) * 0x9e3779b97f4a7c15n) % 2n ** 64n;
    }
  };
}

export function valueMaker(kind: NumericValueKind, rand: () => number): () => unknown {
  switch (kind) {
    case 'int32':
      return () => (rand() * 2 ** 32) | 0;
    case 'uint32':
      return () => (rand() * 2 ** 32) >>> 0;
    case 'float64':
      return () => (rand() < 0.02 ? NaN : (rand() - 0.5) * 1e6);
    case 'bigint64':
      return () => BigInt.asIntN(64, BigInt(Math.floor(rand() * 2 ** 53)) << 11n);
    case 'biguint64':
      return () => BigInt.asUintN(64, BigInt(Math.floor(rand() * 2 ** 53)) << 11n);
    case 'any':
      return () => {
        const r = rand();
        return r < 0.3 ? { n: r } : r < 0.5 ? 'str' + r : r < 0.6 ? undefined : r < 0.7 ? null : r;
      };
  }
}

/** Map's SameValueZero normalisation: -0 is read back as +0. */
export function normKey<K>(k: K): K {
  return (Object.is(k, -0) ? 0 : k) as K;
}

/** Run `fn`, and on failure rethrow with the seed in the message so the run can be replayed. */
export function withSeed(seed: number, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    const err = e as Error;
    err.message = `[seed ${seed}] ${err.message}`;
    throw err;
  }
}

/** withSeed with the seeded generator made for you: seeded(seed, (rand) => { ... }). */
export function seeded(seed: number, fn: (rand: () => number) => void): void {
  withSeed(seed, () => fn(rng(seed)));
}

/** What a shared map's handle holds: users see an opaque SharedHandle, the tests look inside. */
export function fieldsOf(handle: SharedHandle): HandleFields {
  return handle as unknown as HandleFields;
}

/**
 * A worker that takes a lock of the shared map whose handle it gets (tests/workers/holder.mjs: a table
 * by index, the root, or the memory's allocator) as a writer would, naming itself in it, and keeps it
 * while it idles. Resolves once it holds the lock.
 */
export async function holdLock(handle: SharedHandle, lock: number | 'root' | 'allocator'): Promise<Worker> {
  const worker = new Worker(new URL('./workers/holder.mjs', import.meta.url), { workerData: { handle, lock } });
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { type: string; message?: string }) => (m.type === 'held' ? resolve() : reject(new Error(`holder: ${m.message}`))));
    worker.on('error', reject);
  });
  return worker;
}

/** holdLock, then terminate the worker: a writer that died holding the lock, proved dead by its exit. */
export async function holdLockAndDie(handle: SharedHandle, lock: number | 'root' | 'allocator'): Promise<void> {
  await (await holdLock(handle, lock)).terminate();
}

/**
 * The allocator's header of a Core (assembly/alloc.ts), read through a view as the bindings read a
 * map's header: the heap's top (bytes the allocator has taken from memory), the iterator slots in
 * its pool, and the address of its lock word.
 */
export function heapTop(c: Core = core): number {
  return c.headerField(c.x.ALLOC_HEADER.value >>> 0, ALLOC_TOP);
}

export function iterPoolSize(c: Core = core): number {
  return c.headerField(c.x.ALLOC_HEADER.value >>> 0, ALLOC_ITER_SLOTS);
}

export function allocLockWord(c: Core = core): number {
  return (c.x.ALLOC_HEADER.value >>> 0) + ALLOC_LOCK;
}
