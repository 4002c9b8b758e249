// A shared map's operations: RawMap's, run under the lock protocol (maplock.ts; the whole protocol is
// in docs/design.md, "Concurrency protocol"). A read of one key is validated by the sequence count of
// the key's table; a write of one key takes that table's lock; whole-map reads and writes use the
// root's. Writes of number kinds (and add with string keys) first try the core's locked write, which
// takes the table's lock itself when it is free, all in one call (#coreLocked); when it is held, the
// write waits for it in JS, as every other write does.
//
// Also here: making a shared map, and attaching one from a handle.

import { STAT_COUNT, HDR_SIZE, WRITE_BUSY, WRITE_DEAD, ST_BUSY, ST_DEAD } from './contract.js';
import type { Core } from './load.js';
import { FLOAT64, ANY, KIND_NAMES, NUM_NONE, numberTest, passes, describe, type ValueKind } from './kinds.js';
import type { MapLock } from './maplock.js';
import { sharedLocks, homeCore, coreFor, isSharedBuild, initRefs, attachRef, dropRef, checkSharingAvailable, type HandleFields } from './shared.js';
import { RawMap, newMap } from './raw-map.js';
import { updateFailed } from './codecs.js';
import type { CoreFn } from './map-state.js';
import { lockTimeoutOption, recoveryTimeOption, isU32, type MapOptions } from './options.js';

export class SharedMap extends RawMap {
  declare readonly lock: MapLock;
  declare readonly tables: readonly MapLock[];
  /** The handle's identity: the memory's id, the map's 48-bit id. */
  readonly memoryId: number;
  readonly id: number;
  /** The number tests of the core's locked writes (kinds.ts numberTest): NUM_NONE unless both kinds are numbers. */
  readonly #keyTest: number;
  readonly #valTest: number;

  constructor(c: Core, h: number, kk: number, vk: number, memoryId: number, id: number, lockTimeout: number, recoveryTime: number) {
    super(c, h, kk, vk, sharedLocks(c, h, lockTimeout, recoveryTime));
    this.memoryId = memoryId;
    this.id = id;
    this.#valTest = numberTest(vk);
    this.#keyTest = this.#valTest === NUM_NONE ? NUM_NONE : numberTest(kk);
  }

  /** The lock of the table that holds `key`: one wasm call (the core hashes the key as its operations do). */
  keyLock(key: unknown): MapLock {
    this.live();
    return this.tables[this.key.table(this, key)];
  }

  get(key: unknown): unknown {
    return this.keyLock(key).read(() => super.get(key));
  }

  has(key: unknown): boolean {
    return this.keyLock(key).read(() => super.has(key));
  }

  set(key: unknown, value: unknown): void {
    if (passes(this.#keyTest, key) && passes(this.#valTest, value)) {
      const r = this.#coreLocked(this.ops.wset!, key, value, false);
      if (r !== null) {
        if (r < 0) throw this.oom('set; the map is unchanged');
        return;
      }
    }
    this.keyLock(key).write(() => super.set(key, value));
  }

  delete(key: unknown): boolean {
    if (passes(this.#keyTest, key)) {
      const r = this.#coreLocked(this.ops.wdel!, key, undefined, false);
      if (r !== null) return r !== 0;
    }
    return this.keyLock(key).write(() => super.delete(key));
  }

  add(key: unknown, delta: unknown): unknown {
    const wadd = this.ops.wadd;
    if (wadd !== null && typeof delta === 'number' && (this.vk === FLOAT64 || Number.isInteger(delta)) && (this.#keyTest !== NUM_NONE ? passes(this.#keyTest, key) : typeof key === 'string')) {
      const r = this.#coreLocked(wadd, key, delta, true);
      if (r !== null) {
        if (r === 0 || r !== r) updateFailed(this, key, delta);
        return r;
      }
    }
    return this.keyLock(key).write(() => super.add(key, delta));
  }

  getOrSet(key: unknown, value: unknown): unknown {
    return this.keyLock(key).write(() => super.getOrSet(key, value));
  }

  /**
   * The core's locked write f of key (and a): it takes the lock of the key's table when it is free,
   * writes and releases it, in one call. Returns f's result, or null when the lock was held (nothing
   * written: the caller waits for it in JS). Throws when this thread was presumed dead while it held
   * the lock, or f trapped (the core undid it). set and delete answer in their result (WRITE_BUSY,
   * WRITE_DEAD), add in `status` (`viaStatus`).
   */
  #coreLocked(f: CoreFn, key: unknown, a: unknown, viaStatus: boolean): number | null {
    this.live();
    const lock = this.lock;
    lock.useTimeout(); // the write may allocate, and evacuation work may free
    let r: number;
    try {
      r = (a === undefined ? this.key.call(this, f, key) : this.key.call1(this, f, key, a)) as number;
    } catch (e) {
      throw lock.aborted(e);
    }
    const code = !viaStatus ? r : r === r && r !== 0 ? 0 : this.status();
    if (code === (viaStatus ? ST_BUSY : WRITE_BUSY)) return null;
    if (code === (viaStatus ? ST_DEAD : WRITE_DEAD)) throw lock.presumedDead();
    return r;
  }

  readAll<T>(f: () => T): T {
    return this.lock.readAll(f);
  }

  writeAll<T>(f: () => T): T {
    return this.lock.write(f);
  }

  size(): number {
    return this.lock.readAll(() => this.core.x.map_stat(this.live(), STAT_COUNT));
  }

  /** What the map's handle carries. */
  handle(): HandleFields {
    return {
      memory: this.core.memory,
      module: this.core.module,
      memoryId: this.memoryId,
      address: this.h,
      id: this.id,
      key: KIND_NAMES[this.kk],
      value: KIND_NAMES[this.vk],
      lockTimeout: this.lock.timeoutMs,
      recoveryTime: this.lock.recoveryMs,
    };
  }

  release(): void {
    if (dropRef(this.core, this.h)) this.core.x.map_free(this.h);
  }
}

/** A new shared map in this thread's own shared memory. */
export function newSharedMap(o: MapOptions): SharedMap {
  const home = homeCore();
  const c = home.core;
  const h = newMap(c, o);
  return new SharedMap(c, h, o.kk, o.vk, home.memoryId, initRefs(c, h, o.kk, o.vk), o.lockTimeout, o.recoveryTime);
}

/** The shared map a handle refers to (checked field by field: a handle may have been altered), counted as one more reference. */
export function attachSharedMap(handle: unknown): SharedMap {
  checkSharingAvailable();
  const bad = (why: string) => new TypeError(`HashMap.attach: ${why}`);
  if (handle === null || typeof handle !== 'object') throw bad(`the handle ${describe(handle)} is not a handle object`);
  const { memory, module, memoryId, address, id, key, value, lockTimeout, recoveryTime } = handle as Partial<HandleFields>;
  if (!(memory instanceof WebAssembly.Memory) || !(memory.buffer instanceof SharedArrayBuffer)) throw bad(`the handle has no shared memory, got ${describe(memory)}`);
  if (!isSharedBuild(module)) throw bad("the handle's module is not a compiled shared build of this version of tophash");
  if (!isU32(memoryId) || !isU32(address) || address === 0 || typeof id !== 'number' || !Number.isInteger(id) || id <= 0) throw bad('the handle is not one made by map.handle');
  const kk = KIND_NAMES.indexOf(key as ValueKind);
  const vk = KIND_NAMES.indexOf(value as ValueKind);
  if (kk < 0 || kk === ANY || vk < 0 || vk === ANY) throw bad('the handle names no valid kinds');
  const timeout = lockTimeoutOption(lockTimeout);
  const recovery = recoveryTimeOption(recoveryTime);
  // Before a module instance is made on the memory: a memory too small for the map is no tophash memory.
  if (address + HDR_SIZE > (memory.buffer as unknown as { byteLength: number }).byteLength) throw bad("no map of these kinds is at this handle's address: it lies outside the handle's memory");
  const c = coreFor(memoryId, memory, module);
  // The core checks the address against what the memory records of its live maps before it writes anything.
  if (!attachRef(c, address, id, kk, vk)) {
    throw bad("no map of these kinds is at this handle's address: it was freed (every thread that had it disposed of it), or the handle was altered");
  }
  return new SharedMap(c, address, kk, vk, memoryId, id, timeout, recovery);
}
