// Iterators over a HashMap: keys(), values(), entries() and for...of.
//
// Each iterator drives one hiter slot of the wasm core's pool (assembly/iter.ts).
// It takes the slot at its first next(), fetches entries in batches (BATCH_FIRST,
// then the core's ITER_BATCH) into the slot's buffers, and hands them out one by
// one (string keys and values are decoded right after the fetch: the core hands
// out the addresses of their fields). If the map changed since a batch was fetched (its modification counter
// moved), each remaining entry of the batch is looked up again: a deleted one is
// skipped, a changed value is read fresh, and the key is remembered so that a
// re-added entry the core meets later is not produced a second time. The slot goes back to the pool when
// the iteration ends, on return() (break or throw in for...of), and through a
// FinalizationRegistry for an iterator abandoned half way. A private map of at
// most SMALL (16) entries takes no slot: its first next() fills the whole map into
// an area of a small ring in one core call (small-ring.ts). Result objects and
// entry arrays are fresh each time: reuse is never observable.

import { ITER_BATCH as BATCH, ITER_KEYS, ITER_SAVE, ITER_VALS, HDR_MOD, HDR_EPOCH, HDR_COUNT } from './contract.js';
import type { MapLock } from './maplock.js';
import { STRING, KIND_SIZE, kindView } from './kinds.js';
import { readStrings } from './strings.js';
import { disposedError, NoMap, type MapState, type Step } from './map-state.js';
import { SMALL, AREA_HALF, ringOf, nextArea, fillArea, dropLease, copyOut, type Lease } from './small-ring.js';

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_STRINGS: string[] = [];

/** What #produceChecked returns for an entry not to be handed out. */
const SKIP = Symbol('skip');

export const KEYS = 0;
export const VALUES = 1;
export const ENTRIES = 2;

/** The first batch is small, so that a loop that breaks early wastes little. */
const BATCH_FIRST = 8;
/** Bytes of an iterator slot: the cursor (ITER_KEYS bytes, saved around a shared map's step), then keys and values. */
const SLOT_END = ITER_VALS + (ITER_VALS - ITER_KEYS);

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');

/** An iterator's slot, its map, and the lock of the table it iterates (a shared map's; else null). */
interface Held {
  it: number;
  c: MapState;
  lock: MapLock | null;
}

const abandoned = new FinalizationRegistry<Held>((x) => {
  try {
    releaseSlot(x.c, x.it, x.lock);
  } catch {
    // A shared map whose lock timed out: the slot stays taken, which costs only its memory.
  }
});

/** Give an iterator slot back (under its table's lock on a shared map: it changes the table's count of iterators). */
function releaseSlot(c: MapState, it: number, tableLock: MapLock | null): void {
  const lock = c.disposed ? null : tableLock;
  if (lock === null) return c.core.x.iter_release(it, c.disposed ? 0 : 1);
  lock.write(() => c.core.x.iter_release(it, 1));
}

export class HashMapIterator<K, V, T> implements IterableIterator<T> {
  readonly #c: MapState;
  readonly #mode: number;
  readonly #step: Step;
  #it = 0;
  /**
   * The table iterated now: a shared map's tables (assembly/tables.ts) are iterated one after the
   * other, each by a slot of its own (a key lives in one table only, so each of Go's guarantees holds
   * for the map when it holds for every table); a private map is its one table.
   */
  #table = 0;
  #th: number;
  #tlock: MapLock | null;
  /** The slot's table is done: the next fetch moves on to the next table. */
  #tableDone = false;
  #started = false;
  #ended = false;
  /** Where the batch is: its keys' and values' addresses and its end (a slot's buffers, or an area of the small ring). */
  #kAddr = 0;
  #vAddr = 0;
  #end = 0;
  /** The lease of the ring area this iterator borrows (null: none); whether its entries were copied into arrays of its own. */
  #lease: Lease | null = null;
  #copied = false;
  #n = 0;
  #pos = 0;
  /** The value #nextSlow hands to next(). */
  #out: unknown = undefined;
  #mod = 0;
  /** What next()'s fast path compares the map's counter with: #mod, or -1 (never a u32) while #seen holds keys. */
  #gate = 0;
  /** The map's clear epoch when the iteration took its first step (-1 before); a clear changes it (and the modification counter). */
  #epoch = -1;
  #epochIndex = 0;
  /** Keys handed out from a batch fetched before the map changed (see #produceChecked); null until needed. */
  #seen: Set<K> | null = null;
  // Views of the batch buffers and the map's modification counter, renewed by #views().
  #u32: Uint32Array = EMPTY_U32;
  #modIndex = 0;
  #keys: ArrayLike<number | bigint | string> = EMPTY_U32;
  #keyBase = 0;
  #vals: ArrayLike<number | bigint | string> = EMPTY_U32;
  /** Decoded string keys and values of the current batch, for maps of those kinds. */
  #strKeys: string[] | null = null;
  #strVals: string[] | null = null;
  #valBase = 0;

  constructor(c: MapState, mode: number) {
    this.#c = c;
    this.#mode = mode;
    this.#step = c.ops.step;
    this.#th = c.tableAddrs === null ? c.h : c.tableAddrs[0];
    this.#tlock = c.tables === null ? null : c.tables[0];
  }

  next(): IteratorResult<T, undefined> {
    // The fast path, small enough for V8 to inline into the caller's loop: an entry of the batch, the map
    // unchanged since its fetch (#gate is its counter then, -1 once entries need checking; a detached
    // view reads undefined), the map not disposed. The result object is made at this one site: V8's
    // escape analysis then removes it from an inlined for...of, which it cannot do for objects made at two
    // sites that merge (bench/studies/iterator-floor.js counts the collections either way).
    const i = this.#pos;
    let value: unknown;
    let done = false;
    if (i < this.#n && this.#u32[this.#modIndex] === this.#gate && !this.#c.disposed) {
      this.#pos = i + 1;
      value = this.#entry(i);
    } else {
      done = this.#nextSlow();
      value = this.#out;
      this.#out = undefined;
    }
    return { value: value as T, done } as IteratorResult<T, undefined>;
  }

  /** Batch entry i as the mode hands it out (the map unchanged since the fetch). */
  #entry(i: number): unknown {
    const key = this.#keys[this.#keyBase + i];
    const mode = this.#mode;
    if (mode === KEYS) return key;
    const raw = this.#vals[this.#valBase + i];
    const vals = this.#c.vals;
    const value = vals === null ? raw : vals[raw as number];
    return mode === VALUES ? value : [key, value];
  }

  /** next() off the fast path (a fetch, the checked path, the end, a disposed map): true at the end, else false with the value in #out. */
  #nextSlow(): boolean {
    const c = this.#c;
    if (c.disposed) {
      this.#release();
      throw disposedError();
    }
    for (;;) {
      const i = this.#pos;
      if (i < this.#n) {
        this.#pos = i + 1;
        // The fast path's case (reached after a fetch).
        if (this.#u32[this.#modIndex] === this.#gate) {
          this.#out = this.#entry(i);
          return false;
        }
        const v = this.#produceChecked(i);
        if (v !== SKIP) {
          this.#out = v;
          return false;
        }
        continue;
      }
      if (this.#ended) {
        this.#release();
        return true;
      }
      this.#fetch();
    }
  }

  /**
   * Call fn.call(thisArg, value, key, map) for every remaining entry, as forEach does: a plain loop over
   * the batch buffers while the map is unchanged (one load and compare of its modification counter an
   * entry, no result object or entry array), and next()'s slow path for everything else (a fetch, the
   * checked path after a change, the end, a disposed map): one consumer of the batches serves both.
   */
  each(fn: (this: unknown, value: V, key: K, map: unknown) => void, thisArg: unknown, map: unknown): void {
    const c = this.#c;
    const direct = thisArg === undefined;
    try {
      for (;;) {
        let i = this.#pos;
        const n = this.#n;
        const keys = this.#keys;
        const vals = this.#vals;
        const kb = this.#keyBase;
        const vb = this.#valBase;
        const u32 = this.#u32;
        const mi = this.#modIndex;
        const gate = this.#gate;
        const table = c.vals;
        // The callback may change the map (or dispose of it): the counter check sends the rest of the
        // batch to the slow path, as in next(). The counter also moves when a small iteration takes this
        // one's ring area (evictLease), a view detached by memory growth reads undefined, and a gate of
        // -1 (keys remembered, see #produceChecked) never matches.
        while (i < n && u32[mi] === gate && !c.disposed) {
          const key = keys[kb + i] as K;
          const raw = vals[vb + i];
          const value = (table === null ? raw : table[raw as number]) as V;
          i++;
          if (direct) fn(value, key, map);
          else fn.call(thisArg, value, key, map);
        }
        this.#pos = i;
        if (this.#nextSlow()) return;
        const [key, value] = this.#out as [K, V];
        this.#out = undefined;
        if (direct) fn(value, key, map);
        else fn.call(thisArg, value, key, map);
      }
    } finally {
      this.#release();
    }
  }

  return(value?: unknown): IteratorResult<T, undefined> {
    this.#release();
    this.#ended = true;
    this.#n = this.#pos = 0;
    return { value: value as undefined, done: true };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Release the iterator's slot now, as return() does: `using it = map.keys()`. */
  [disposeSymbol](): void {
    this.return();
  }

  get [Symbol.toStringTag](): string {
    return 'HashMap Iterator';
  }

  #fetch(): void {
    const c = this.#c;
    let max = BATCH;
    if (this.#tableDone && !this.#nextTable()) {
      this.#n = this.#pos = 0;
      this.#ended = true;
      return;
    }
    if (!this.#started) {
      this.#started = true;
      if (c.lock === null && this.#fetchSmall()) return;
      const it = this.#startSlot();
      this.#it = it;
      abandoned.register(this, { it, c, lock: this.#tlock }, this); // the iterator is its own unregister token (held weakly)
      if (this.#table === 0) max = BATCH_FIRST;
    }
    const n = c.lock === null ? this.#stepU(max) : this.#stepShared(max);
    this.#kAddr = this.#it + ITER_KEYS;
    this.#vAddr = this.#it + ITER_VALS;
    this.#end = this.#it + SLOT_END;
    this.#views();
    this.#n = n;
    this.#pos = 0;
    if (n < max) {
      if (c.tables !== null && this.#table + 1 < c.tables.length) this.#tableDone = true;
      else this.#ended = true;
    }
  }

  /**
   * Fetch a private map of at most SMALL entries whole (assembly/iter.ts iterSmall) into the next area
   * of the ring (its previous holder copies out what it has left first); false, with nothing done, for
   * a larger map or when no ring could be allocated. The counter and epoch are read first, as #stepU
   * does: later changes send entries to #produceChecked. String keys and values are decoded at once.
   */
  #fetchSmall(): boolean {
    const c = this.#c;
    const ring = (c.ring ??= ringOf(c.core));
    if (ring === null) return false;
    if (c.core.headerField(c.h, HDR_COUNT) > SMALL) return false;
    // Before the counter is read: the eviction may move it (when the area's lease is of this same map).
    const kAddr = nextArea(ring);
    const u32 = c.core.heap(c.h + HDR_EPOCH + 4).u32;
    const mod = u32[(c.h + HDR_MOD) >>> 2];
    const epoch = u32[(c.h + HDR_EPOCH) >>> 2];
    const n = c.ops.small(c.h, ring.base, kAddr, kAddr + AREA_HALF, SMALL);
    if (n < 0) return false;
    const strings = c.kk === STRING || c.vk === STRING;
    this.#lease = fillArea(ring, c, kAddr, n, this.#mode !== KEYS, !strings);
    this.#mod = this.#gate = mod;
    this.#epoch = epoch;
    this.#ended = true;
    this.#n = n;
    this.#pos = 0;
    this.#kAddr = kAddr;
    this.#vAddr = kAddr + AREA_HALF;
    this.#end = kAddr + 2 * AREA_HALF;
    if (strings) {
      // Strings are decoded now, while their fields are where the core said: the area stays free.
      const H = c.core.heap(this.#end);
      this.#keys = copyOut(c.core, H, c.kk, kAddr, n);
      this.#vals = this.#mode === KEYS ? EMPTY_STRINGS : copyOut(c.core, H, c.vk, kAddr + AREA_HALF, n);
      this.#keyBase = this.#valBase = 0;
      this.#copied = true;
    }
    this.#views();
    return true;
  }

  /** Give the ring area back, if the iterator holds one. */
  #dropArea(): void {
    const lease = this.#lease;
    if (lease === null) return;
    dropLease(this.#c.ring!, lease);
    this.#lease = null;
  }

  /** A shared map's table is done: give its slot back and go on to the next table; false when a clear() since the start ended the iteration. */
  #nextTable(): boolean {
    const c = this.#c;
    this.#releaseSlot();
    if (c.core.heap(c.h + HDR_EPOCH + 4).u32[(c.h + HDR_EPOCH) >>> 2] !== this.#epoch) return false;
    this.#table++;
    this.#th = c.tableAddrs![this.#table];
    this.#tlock = c.tables![this.#table];
    this.#tableDone = false;
    this.#started = false;
    return true;
  }

  /** Take an iterator slot (under a shared map's lock: the start changes the map's generator and count of iterators). */
  #startSlot(): number {
    const c = this.#c;
    const lock = this.#tlock;
    const h = this.#th;
    // An address: unsigned (docs/design.md, "Addresses").
    const start = () => c.core.x.iter_start(h) >>> 0;
    const it = lock === null ? start() : lock.write(start);
    if (it === 0) throw lock?.allocatorTimedOut() ?? new RangeError('HashMap: out of memory for an iterator');
    return it;
  }

  /**
   * One step of the core, and the decoding of its strings. The map's modification counter is read
   * first, inside a shared map's validated read: a counter read after the step could already include
   * a delete that another thread made after the step, and the batch would pass as fresh.
   */
  #stepU(max: number): number {
    const c = this.#c;
    const mod = this.#th + HDR_MOD;
    const u32 = c.core.heap(Math.max(mod, c.h + HDR_EPOCH) + 4).u32;
    this.#mod = u32[mod >>> 2];
    if (this.#seen === null) this.#gate = this.#mod;
    const epoch = u32[(c.h + HDR_EPOCH) >>> 2];
    if (this.#epoch < 0) this.#epoch = epoch;
    // A shared map's clear() may come between two tables (the step of a table checks only that
    // table's epoch): the root's, read inside this validated step, ends the iteration.
    else if (epoch !== this.#epoch) return 0;
    const n = this.#step(this.#it, max);
    if (c.kk === STRING || c.vk === STRING) this.#decode(n);
    return n;
  }

  /** A step on a shared map: a read validated by the sequence count; the cursor is put back before a retry. */
  #stepShared(max: number): number {
    const c = this.#c;
    const lock = this.#tlock!;
    const cursorAt = this.#it >>> 2;
    const cursorWords = ITER_SAVE >>> 2;
    const saved = c.core.heap(this.#it + SLOT_END).u32.slice(cursorAt, cursorAt + cursorWords);
    return lock.read(
      () => this.#stepU(max),
      () => c.core.heap(this.#it + SLOT_END).u32.set(saved, cursorAt),
    );
  }

  /** Decode the string keys or values of a batch just fetched, while their fields are still where the core said. */
  #decode(n: number): void {
    const c = this.#c;
    const u32 = c.core.heap(this.#it + SLOT_END).u32;
    if (c.kk === STRING) this.#strKeys = readStrings(c.core, u32, (this.#it + ITER_KEYS) >>> 2, n, this.#strKeys ?? []);
    if (c.vk === STRING && this.#mode !== KEYS) this.#strVals = readStrings(c.core, u32, (this.#it + ITER_VALS) >>> 2, n, this.#strVals ?? []);
  }

  /** Take fresh typed views of the memory (after a fetch, or once memory.grow detached the old ones). */
  #views(): void {
    const c = this.#c;
    const H = c.core.heap(Math.max(this.#end, c.h + HDR_EPOCH + 4, this.#th + HDR_MOD + 4));
    this.#u32 = H.u32;
    this.#modIndex = (this.#th + HDR_MOD) >>> 2;
    this.#epochIndex = (c.h + HDR_EPOCH) >>> 2;
    const lease = this.#lease;
    if (lease !== null && lease.keys !== null) {
      // Another small iteration took the area: take the copies of its entries (all n, from 0).
      this.#keys = lease.keys;
      this.#vals = lease.vals;
      this.#keyBase = this.#valBase = 0;
      this.#copied = true;
      this.#lease = null;
    }
    if (this.#copied) return;
    if (c.kk === STRING) {
      this.#keys = this.#strKeys!;
      this.#keyBase = 0;
    } else {
      this.#keys = kindView(H, c.kk);
      this.#keyBase = this.#kAddr / KIND_SIZE[c.kk];
    }
    if (c.vk === STRING) {
      this.#vals = this.#strVals ?? EMPTY_STRINGS;
      this.#valBase = 0;
    } else {
      this.#vals = kindView(H, c.vk);
      this.#valBase = this.#vAddr / KIND_SIZE[c.vk];
    }
  }

  /** Entry i of the batch as the mode hands it out, after the map changed since the fetch: revalidated; SKIP if it is not to be handed out. */
  #produceChecked(i: number): unknown {
    const c = this.#c;
    this.#views();
    if (this.#u32[this.#epochIndex] !== this.#epoch) {
      // clear() ends live iterators, also what they had fetched ahead: nothing more is handed out.
      this.#n = this.#pos = 0;
      this.#ended = true;
      return SKIP;
    }
    const key = this.#keys[this.#keyBase + i] as K;
    const seen = this.#seen;
    if (seen !== null && seen.has(key)) return SKIP;
    const mode = this.#mode;
    let value: V | undefined;
    if (this.#u32[this.#modIndex] !== this.#mod) {
      // Never hand out a deleted entry or a stale value. On a shared map another thread may delete the
      // key between two calls: one get decides (a shared map holds no undefined values).
      if (c.lock !== null && mode !== KEYS) {
        value = this.#c.get(key) as V | undefined;
        if (value === undefined) return SKIP;
      } else {
        if (!this.#c.has(key)) return SKIP;
        if (mode !== KEYS) value = this.#c.get(key) as V | undefined;
      }
      // The key may have been deleted and added again: then what we hand out now is the new entry,
      // which the core has not necessarily passed yet. Remember it, so it is not produced twice.
      (this.#seen ??= new Set()).add(key);
      this.#gate = -1;
    } else if (mode !== KEYS) {
      const raw = this.#vals[this.#valBase + i];
      value = (c.vals === null ? raw : c.vals[raw as number]) as V;
    }
    return mode === KEYS ? key : mode === VALUES ? value : [key, value];
  }

  #release(): void {
    this.#releaseSlot();
    this.#dropArea();
    this.#ended = true;
    this.#started = true;
  }

  /** Give the slot back, if the iterator holds one. */
  #releaseSlot(): void {
    if (this.#it !== 0) {
      abandoned.unregister(this);
      const it = this.#it;
      this.#it = 0;
      releaseSlot(this.#c, it, this.#tlock);
    }
  }
}

// One iterator kept alive for the module's life. V8 holds object shapes (hidden classes) weakly: when
// every iterator has died, a garbage collection frees their shape and throws away the optimised code of
// next() that checks for it, so each iteration after a GC would start in slow code again. An anchor
// object keeps the shape, and the optimised code, alive. (Without it, a for...of after gc() ran in
// slow code again, at more than twice the time per entry.)
export const SHAPE_ANCHOR = new HashMapIterator<number, number, number>(new NoMap(), KEYS);

// Inherit from %IteratorPrototype%, as Map's iterators do, so iterator helpers work where the runtime has them.
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
Object.setPrototypeOf(HashMapIterator.prototype, IteratorPrototype);
