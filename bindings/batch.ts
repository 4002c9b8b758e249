// Typed-array batch operations: setMany, getMany, hasMany, deleteMany.
//
// Keys (and values) are copied into a scratch block of wasm memory a chunk at a
// time with TypedArray.set (a memcpy), one wasm call handles the chunk, and
// results are copied back the same way: no per-element JS work. setMany is all
// or nothing: the core logs what each pair replaced; the log of every finished
// chunk is kept here until the call ends, so that if a later chunk runs out of
// memory the earlier ones are undone too (see assembly/batch.ts).

import type { Core, Heap } from './load.js';
import { exportNames } from './exports.js';
import { ANY, KIND_NAMES, KIND_SIZE, KIND_TRAITS, fits, describe, withArticle, kindView, type NumArray, type ArrayCtor } from './kinds.js';

/** The typed array that carries kind k (checkKinds has made sure it has one). */
const arrayOf = (k: number): ArrayCtor => KIND_TRAITS[k].array!;

/** Elements per wasm call: 8192 keeps the scratch block at 200 KiB. */
const CHUNK = 8192;
const K_OFF = 0;
const V_OFF = CHUNK * 8;
const OLD_OFF = CHUNK * 16;
const FLAGS_OFF = CHUNK * 24;
const SCRATCH_BYTES = CHUNK * 25;

/**
 * Allocate the Core's batch scratch block now, if memory allows (made with the Core: batch reads
 * then work even once memory has run out; its pages stay untouched, so unmapped, until used).
 */
export function reserveScratch(c: Core): void {
  try {
    scratchBase(c);
  } catch {
    // No memory now: the first batch call tries again.
  }
}

/** The Core's batch scratch block, allocated at first use (or by reserveScratch). */
function scratchBase(c: Core): number {
  let base = c.cache.get('batchScratch') as number | undefined;
  if (base === undefined) {
    base = c.x.scratch_alloc(SCRATCH_BYTES) >>> 0;
    if (base === 0) throw new RangeError('HashMap: out of memory for batch buffers');
    c.cache.set('batchScratch', base);
  }
  return base;
}

/** Views reaching the whole scratch block. */
const scratchHeap = (c: Core, base: number): Heap => c.heap(base + SCRATCH_BYTES);

/** Element index of byte address `addr` in the view of `kind`. */
function at(kind: number, addr: number): number {
  return addr / KIND_SIZE[kind];
}

function checkArray(kind: number, a: unknown, what: string): asserts a is NumArray {
  const C = arrayOf(kind);
  if (!(a instanceof C)) {
    throw new TypeError(`HashMap: ${what} must be ${withArticle(C.name)} for kind '${KIND_NAMES[kind]}', got ${describe(a)}`);
  }
}

/** Batch operations work over typed arrays: kinds that have one (KIND_TRAITS), and 'any' values where `anyOk` (hasMany reads no value). */
function checkKinds(kk: number, vk: number, method: string, anyOk = false): void {
  if (KIND_TRAITS[kk].array === null) throw new TypeError(`HashMap: ${method} needs a numeric key kind; this map's keys are '${KIND_NAMES[kk]}'`);
  if (KIND_TRAITS[vk].array === null && !(anyOk && vk === ANY)) {
    throw new TypeError(`HashMap: ${method} needs a numeric value kind; this map's values are '${KIND_NAMES[vk]}'`);
  }
}

function copyIn(c: Core, kind: number, src: NumArray, from: number, n: number, addr: number): void {
  (kindView(c.heap(addr + n * 8), kind) as Int32Array).set(src.subarray(from, from + n) as Int32Array, at(kind, addr));
}

type BatchGet = (h: number, k: number, out: number, n: number, missing: bigint) => void;
type BatchHas = (h: number, k: number, out: number, n: number) => void;
type BatchDel = (h: number, k: number, n: number) => number;
type BatchSet = (h: number, k: number, v: number, n: number, f: number, o: number) => number;
type BatchUndo = (h: number, k: number, n: number, f: number, o: number) => void;

interface BatchOps {
  readonly get: BatchGet;
  readonly has: BatchHas;
  readonly del: BatchDel;
  readonly set: BatchSet;
  readonly undo: BatchUndo;
}

/** The batch exports of a Core for one key kind and value size, looked up once. */
function batchOps(c: Core, kk: number, vk: number): BatchOps {
  let cache = c.cache.get('batchOps') as (BatchOps | undefined)[] | undefined;
  if (cache === undefined) c.cache.set('batchOps', (cache = []));
  const i = kk * 2 + (KIND_SIZE[vk] === 4 ? 0 : 1);
  let ops = cache[i];
  if (ops === undefined) {
    const n = exportNames(kk, vk);
    ops = {
      get: c.op<BatchGet>(n.batchget!),
      has: c.op<BatchHas>(n.batchhas!),
      del: c.op<BatchDel>(n.batchdel!),
      set: c.op<BatchSet>(n.batchset!),
      undo: c.op<BatchUndo>(n.batchundo!),
    };
    cache[i] = ops;
  }
  return ops;
}

/** Where getMany's `missing` value is turned into its 64-bit pattern: written through the view of its kind's array. */
const missingWord = new BigInt64Array(1);
const missingViews = KIND_TRAITS.map((t) => (t.array === null ? null : new t.array(missingWord.buffer, 0, 1)));

/** The 64-bit pattern of `missing` for value kind vk (by default 0, 0n or NaN by kind), after checking it fits. */
function missingBits(vk: number, missing: unknown): bigint {
  const t = KIND_TRAITS[vk];
  if (missing === undefined) missing = t.missing;
  else if (typeof missing !== t.type) throw new TypeError(`HashMap: getMany's missing value ${describe(missing)} is not a ${t.type}`);
  else if (!fits(vk, missing)) throw new RangeError(`HashMap: getMany's missing value ${describe(missing)} does not fit value kind '${KIND_NAMES[vk]}'`);
  missingWord[0] = 0n;
  missingViews[vk]![0] = missing as never;
  return missingWord[0];
}

export function getMany(c: Core, h: number, kk: number, vk: number, keys: unknown, out: unknown, missing: unknown): NumArray {
  checkKinds(kk, vk, 'getMany');
  checkArray(kk, keys, 'keys');
  if (out === undefined) out = new (arrayOf(vk))(keys.length);
  checkArray(vk, out, 'out');
  if (out.length !== keys.length) throw new RangeError(`HashMap: getMany's out has length ${out.length}, keys ${keys.length}`);
  const m = missingBits(vk, missing);
  const f = batchOps(c, kk, vk).get;
  const base = scratchBase(c);
  for (let i = 0; i < keys.length; i += CHUNK) {
    const n = Math.min(CHUNK, keys.length - i);
    copyIn(c, kk, keys, i, n, base + K_OFF);
    f(h, base + K_OFF, base + V_OFF, n, m);
    const start = at(vk, base + V_OFF);
    (out as Int32Array).set(kindView(scratchHeap(c, base), vk).subarray(start, start + n) as Int32Array, i);
  }
  return out;
}

export function hasMany(c: Core, h: number, kk: number, vk: number, keys: unknown, out: unknown): Uint8Array {
  checkKinds(kk, vk, 'hasMany', true);
  checkArray(kk, keys, 'keys');
  if (out === undefined) out = new Uint8Array(keys.length);
  if (!(out instanceof Uint8Array)) throw new TypeError(`HashMap: hasMany's out must be a Uint8Array, got ${describe(out)}`);
  if (out.length !== keys.length) throw new RangeError(`HashMap: hasMany's out has length ${out.length}, keys ${keys.length}`);
  const f = batchOps(c, kk, vk).has;
  const base = scratchBase(c);
  for (let i = 0; i < keys.length; i += CHUNK) {
    const n = Math.min(CHUNK, keys.length - i);
    copyIn(c, kk, keys, i, n, base + K_OFF);
    f(h, base + K_OFF, base + FLAGS_OFF, n);
    out.set(scratchHeap(c, base).u8.subarray(base + FLAGS_OFF, base + FLAGS_OFF + n), i);
  }
  return out;
}

export function deleteMany(c: Core, h: number, kk: number, vk: number, keys: unknown): number {
  // 'any' values would also need their JS-side table slots freed, one by one: not a batch operation.
  checkKinds(kk, vk, 'deleteMany');
  checkArray(kk, keys, 'keys');
  const f = batchOps(c, kk, vk).del;
  const base = scratchBase(c);
  let count = 0;
  for (let i = 0; i < keys.length; i += CHUNK) {
    const n = Math.min(CHUNK, keys.length - i);
    copyIn(c, kk, keys, i, n, base + K_OFF);
    count += f(h, base + K_OFF, n) >>> 0;
  }
  return count;
}

/** Store every pair, or, when memory runs out, none (then throws RangeError). */
export function setMany(c: Core, h: number, kk: number, vk: number, keys: unknown, values: unknown): void {
  checkKinds(kk, vk, 'setMany');
  checkArray(kk, keys, 'keys');
  checkArray(vk, values, 'values');
  if (values.length !== keys.length) throw new RangeError(`HashMap: setMany's values have length ${values.length}, keys ${keys.length}`);
  const ops = batchOps(c, kk, vk);
  const set = ops.set;
  const base = scratchBase(c);
  const logs: { from: number; n: number; flags: Uint8Array; old: NumArray }[] = [];
  for (let i = 0; i < keys.length; i += CHUNK) {
    const n = Math.min(CHUNK, keys.length - i);
    copyIn(c, kk, keys, i, n, base + K_OFF);
    copyIn(c, vk, values, i, n, base + V_OFF);
    if (set(h, base + K_OFF, base + V_OFF, n, base + FLAGS_OFF, base + OLD_OFF) < 0) {
      undo(c, h, kk, vk, keys, logs, ops.undo, base);
      throw new RangeError('HashMap: out of memory (setMany; no pair was stored)');
    }
    if (i + n < keys.length) {
      const H = scratchHeap(c, base);
      const o = at(vk, base + OLD_OFF);
      logs.push({
        from: i,
        n,
        flags: scratchHeap(c, base)
          .u8.subarray(base + FLAGS_OFF, base + FLAGS_OFF + n)
          .slice(),
        old: kindView(H, vk).slice(o, o + n),
      });
    }
  }
}

function undo(c: Core, h: number, kk: number, vk: number, keys: NumArray, logs: { from: number; n: number; flags: Uint8Array; old: NumArray }[], f: BatchUndo, base: number): void {
  for (let j = logs.length - 1; j >= 0; j--) {
    const { from, n, flags, old } = logs[j];
    copyIn(c, kk, keys, from, n, base + K_OFF);
    copyIn(c, vk, old, 0, n, base + OLD_OFF);
    scratchHeap(c, base)
      .u8.subarray(base + FLAGS_OFF, base + FLAGS_OFF + n)
      .set(flags);
    f(h, base + K_OFF, n, base + FLAGS_OFF, base + OLD_OFF);
  }
}

type Fill = (cur: number, k: number, v: number, max: number) => number;

/**
 * toArrays: every entry of the tables (a private map is one; a shared map's tables, whose count is
 * `count`), keys and values into two new typed arrays of the kinds' types, filled by the core a chunk
 * of CHUNK entries a call (a dump: a cursor in the scratch block, no iterator slot, nothing of the map
 * written), each chunk copied out with TypedArray.set. The caller runs it as one read of the map.
 */
export function toArrays(c: Core, tables: readonly number[], kk: number, vk: number, count: number): [NumArray, NumArray] {
  if (KIND_TRAITS[kk].array === null || KIND_TRAITS[vk].array === null) {
    throw new TypeError(`HashMap: toArrays needs numeric key and value kinds; this map's are '${KIND_NAMES[kk]}' => '${KIND_NAMES[vk]}'`);
  }
  const keys = new (arrayOf(kk))(count);
  const vals = new (arrayOf(vk))(count);
  const fill = c.op<Fill>(exportNames(kk, vk).fill!);
  const base = scratchBase(c);
  const cur = base + OLD_OFF;
  let pos = 0;
  for (const t of tables) {
    c.x.dump_start(cur, t);
    for (;;) {
      const n = fill(cur, base + K_OFF, base + V_OFF, CHUNK);
      // A shared map's torn read can disagree with its count: the caller's validation retries it.
      if (pos + n > count) throw new RangeError('HashMap: toArrays found more entries than the map counts');
      const H = scratchHeap(c, base);
      const k = at(kk, base + K_OFF);
      const v = at(vk, base + V_OFF);
      (keys as Int32Array).set(kindView(H, kk).subarray(k, k + n) as Int32Array, pos);
      (vals as Int32Array).set(kindView(H, vk).subarray(v, v + n) as Int32Array, pos);
      pos += n;
      if (n < CHUNK) break;
    }
  }
  if (pos !== count) throw new RangeError('HashMap: toArrays found fewer entries than the map counts');
  return [keys, vals];
}
