// A map's operations, for every pair of kinds: what each HashMap method does off its fast path (the
// fast paths of number kinds are in hashmap.ts). Each is a few lines over the map's codecs
// (codecs.ts): the key checked, one core call, the result decoded. A private map runs them as they
// are; a shared map (shared-map.ts) runs the same under its lock protocol, overriding the methods
// of the two groups below (one key; the whole map).

import { HDR_COUNT, STAT_COUNT, STAT_B, STAT_OVERFLOW, STAT_GROWING, STAT_SAME_SIZE, STAT_OLD_BUCKETS, STAT_NEVACUATE, STAT_BYTES, STAT_ITERATORS, STAT_TOMBSTONES } from './contract.js';
import type { Core } from './load.js';
import { KIND_SIZE, misfit } from './kinds.js';
import * as batch from './batch.js';
import { MapState, outOfMemory, type Locks } from './map-state.js';
import { KEY_CODECS, VALUE_CODECS } from './codecs.js';
import { reserveQueryAreas } from './strings.js';
import type { MapOptions } from './options.js';
import type { HashMapStats } from './public.js';

/** Frees the memory of a map whose HashMap was collected undisposed. */
const registry = new FinalizationRegistry<RawMap>((m) => {
  if (!m.disposed) {
    m.disposed = true;
    m.release();
  }
  // A small iteration's lease may still hold the MapState (small-ring.ts): not its values.
  if (m.vals !== null) m.vals = [];
});

/** A new map in Core c's memory, as the options say (room for the entries given, unless a capacity was): its address. RangeError when memory runs out. */
export function newMap(c: Core, o: MapOptions): number {
  const make = (capacity: number) => c.x.map_new(KIND_SIZE[o.kk], KIND_SIZE[o.vk], capacity, o.seedLo, o.seedHi, o.fixedSeed ? 1 : 0, o.maxBytes) >>> 0;
  let h = make(o.capacity);
  // Room for the entries given was only a hint: without it the map grows as they come, as far as memory allows.
  if (h === 0 && o.capacityHint && o.capacity > 0) h = make(0);
  if (h === 0) throw outOfMemory(`a map with capacity ${o.capacity}${o.maxBytes ? ` within maxBytes ${o.maxBytes}` : ''}`);
  return h;
}

/**
 * What reads of a map need of wasm memory, taken once per Core while memory is there: the first
 * iterator slots, the string query areas and, for private maps, the batch scratch (200 KiB of address
 * space, untouched until used). Once memory has run out, existing maps can still be iterated, read in
 * batches (getMany, hasMany, deleteMany) and looked up by strings. A shared memory's Cores (one per
 * thread) take their batch scratch at their first batch instead: what a thread takes of a shared
 * memory is never given back, since a thread cannot tell when it is done with it.
 */
function reserveReadMemory(c: Core): void {
  if (c.cache.has('reserved')) return;
  c.cache.set('reserved', true);
  c.x.iter_reserve();
  if (!c.shared) batch.reserveScratch(c);
  reserveQueryAreas(c);
}

export class RawMap extends MapState {
  constructor(c: Core, h: number, kk: number, vk: number, locks: Locks | null = null) {
    super(c, h, kk, vk, [KEY_CODECS[kk]!, VALUE_CODECS[vk]], locks);
    reserveReadMemory(c);
  }

  /** Free the map's memory when `owner` (its HashMap) is collected undisposed. */
  register(owner: object): void {
    registry.register(owner, this, this);
  }

  // One key (a shared map: under the lock of the key's table).

  get(key: unknown): unknown {
    this.live();
    const r = this.key.find(this, this.ops.get, key);
    return r === undefined ? undefined : this.val.decode(this, r);
  }

  has(key: unknown): boolean {
    this.live();
    const r = this.key.find(this, this.ops.has, key);
    return r !== undefined && r !== 0;
  }

  set(key: unknown, value: unknown): void {
    this.live();
    if (!this.key.fits(key)) throw misfit(this.kk, key, 'key');
    this.val.set(this, key, value);
  }

  delete(key: unknown): boolean {
    this.live();
    const r = this.key.find(this, this.ops.del, key);
    return r !== undefined && this.val.deleted(this, r);
  }

  add(key: unknown, delta: unknown): unknown {
    this.live();
    return this.val.add(this, key, delta);
  }

  getOrSet(key: unknown, value: unknown): unknown {
    this.live();
    if (!this.key.fits(key)) throw misfit(this.kk, key, 'key');
    return this.val.getOrSet(this, key, value);
  }

  // The whole map (a shared map: a read validated against every table, or a write under the root's lock).

  readAll<T>(f: () => T): T {
    return f();
  }

  writeAll<T>(f: () => T): T {
    return f();
  }

  size(): number {
    return this.core.headerField(this.live(), HDR_COUNT);
  }

  /** Empty the map; false when memory for its first array ran out (the caller disposes of it). */
  clear(): boolean {
    return this.writeAll(() => {
      const ok = this.core.x.map_clear(this.live());
      if (this.vals !== null) {
        this.vals = [];
        this.free = [];
      }
      return ok !== 0;
    });
  }

  setMany(keys: unknown, values: unknown): void {
    this.writeAll(() => batch.setMany(this.core, this.live(), this.kk, this.vk, keys, values));
  }

  getMany(keys: unknown, out: unknown, missing: unknown): unknown {
    return this.readAll(() => batch.getMany(this.core, this.live(), this.kk, this.vk, keys, out, missing));
  }

  hasMany(keys: unknown, out: unknown): Uint8Array {
    return this.readAll(() => batch.hasMany(this.core, this.live(), this.kk, this.vk, keys, out));
  }

  deleteMany(keys: unknown): number {
    return this.writeAll(() => batch.deleteMany(this.core, this.live(), this.kk, this.vk, keys));
  }

  toArrays(): unknown {
    return this.readAll(() => {
      const h = this.live();
      const tables = this.tableAddrs;
      const count = tables === null ? this.core.headerField(h, HDR_COUNT) : this.core.x.map_stat(h, STAT_COUNT);
      return batch.toArrays(this.core, tables ?? [h], this.kk, this.vk, count);
    });
  }

  stats(): HashMapStats {
    return this.readAll(() => {
      const h = this.live();
      const f = (i: number) => this.core.x.map_stat(h, i);
      const B = f(STAT_B);
      return {
        count: f(STAT_COUNT),
        B,
        buckets: 2 ** B,
        overflowBuckets: f(STAT_OVERFLOW),
        growing: f(STAT_GROWING) !== 0,
        sameSizeGrow: f(STAT_SAME_SIZE) !== 0,
        oldBuckets: f(STAT_OLD_BUCKETS),
        nevacuate: f(STAT_NEVACUATE),
        bytes: f(STAT_BYTES),
        liveIterators: f(STAT_ITERATORS),
        tombstones: f(STAT_TOMBSTONES),
      };
    });
  }

  /** Free the map now; a second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry.unregister(this);
    this.release();
    this.h = 0;
    this.vals = null;
  }

  release(): void {
    this.core.x.map_free(this.h);
  }
}
