// Lock striping (shared build): a shared map is TABLES independent tables under one root.
//
// One lock per map made writers on different keys queue on one word, and on more threads the
// queue got longer with every thread (two threads adding to a 1e5-entry map went at 0.2 of one).
// So, as in Java 7's ConcurrentHashMap (segments) and Rust's dashmap, a map in the shared build is
// a root and TABLES complete Go maps, "tables": each has its own header, sequence lock, write
// log entry, growth and iterators (map.ts, grow.ts, iter.ts, lock.ts work on a table as they work
// on a private map). A key's table is picked by bits of its hash that neither the bucket choice
// (the low B bits, B <= MAX_B) nor the tophash (the top byte) uses, so within its table a key's
// hash spreads over the buckets as well as ever, and a key lives in exactly one place.
//
//   root (ROOT_SIZE bytes, 64-byte aligned):
//   | a map header [0, HEADER_SIZE): seed, generator, epoch, kinds, flags; the whole-map lock |
//   | R_TABLES: TABLES table addresses (u32), fixed for the map's life                        |
//
// Every table has the root's seed (so that one hash, with the root's seed, picks the table and,
// within it, the bucket), is flagged HF_FIXED_SEED, and names its root in H_ROOT. A shared map's
// seed never changes (clear keeps it): threads pick a key's table before they lock it.
//
// Locks (lock.ts, bindings/maplock.ts; docs/design.md "Concurrency protocol"): an operation on one
// key takes its table's lock; an operation on the whole map (setMany, deleteMany, clear, and reads
// of the whole map that could not validate) takes the root's lock and then waits until no table's
// lock is held. A table's lock is taken only while the root's is free (seqTryLock backs off
// otherwise), and readers validate against the root's count as well as their table's. A whole-map
// write logs each table's header the first time it touches that table (logTable), so that its
// write can be undone as a whole if its thread dies.
//
// In the private build every map is one table: tbl() is the identity and nothing here is used.

import { alloc, free, roundSize, allocBase } from "./alloc";
import { nextRandom } from "./hash";
import { newMap, clearMap, freeMap, bForCapacity, initHeader, bumpMod } from "./map";
import { hashKey } from "./strings";
import {
  HEADER_SIZE, H_ROOT, H_SEED, H_RNG, H_FLAGS, H_KEYSIZE, H_VALSIZE, H_BYTES, H_MAXBYTES, H_EPOCH, H_SEQ, H_COUNT, H_B, H_NOVERFLOW, H_GROWING, H_OLDBUCKETS, H_NEVACUATE, H_ITERS, H_TOMBSTONES, GROW_SAME, HF_FIXED_SEED, H_MAGIC, H_KINDS, H_REFS, hget, hset,
  STAT_COUNT, STAT_B, STAT_OVERFLOW, STAT_GROWING, STAT_SAME_SIZE, STAT_OLD_BUCKETS, STAT_NEVACUATE, STAT_BYTES, STAT_ITERATORS, STAT_TOMBSTONES,
} from "./layout";
import { inMemory } from "./bounds";
import { logging, logTable } from "./wlog";
import { iterOrphan } from "./iter";

/** Tables of a shared map: 16 leaves two writers on random keys a 1 in 16 chance of meeting, and an empty shared map about 3 KiB. A power of two. */
export const TABLES: u32 = 16;
const TABLE_MASK: u32 = TABLES - 1;
/** The hash bits that pick the table: 48-51, above every bucket bit (MAX_B = 27) and below the tophash byte (56-63). */
const TABLE_SHIFT: u64 = 48;
/** Where a root's table addresses start: right after its map header. */
export const R_TABLES: usize = HEADER_SIZE;
/** Bytes of a root: a multiple of 64, so that it starts a cache line. */
export const ROOT_SIZE: usize = HEADER_SIZE + <usize>TABLES * 4;
/** A live root's H_MAGIC, xor its address ("thmr"): a word a handle's address must point at, which no other address of the memory holds but by chance. */
const ROOT_MAGIC: u32 = 0x7468_6d72;
/** A root's H_REFS: the map's id above REF_BITS bits of attached-thread count. */
const REF_BITS: u64 = 16;
const REF_MASK: u64 = (1 << REF_BITS) - 1;

/** Table i of root r. */
// @ts-ignore: decorator
@inline export function tableAt(r: usize, i: u32): usize {
  return <usize>load<u32>(r + R_TABLES + (<usize>i << 2));
}

/** Index of the table that holds `key` in root r. */
// @ts-ignore: decorator
@inline export function tableOf<K>(r: usize, key: K): u32 {
  return tableOfHash(hashKey<K>(r, key));
}

/** Index of the table of a key whose hash (with the root's seed) is `hash`. */
// @ts-ignore: decorator
@inline export function tableOfHash(hash: u64): u32 {
  return <u32>(hash >> TABLE_SHIFT) & TABLE_MASK;
}

/**
 * The table that holds `key` in map h: h itself in the private build; in the shared build the table
 * of h's root, whose header a whole-map write in progress logs the first time it reaches it.
 */
// @ts-ignore: decorator
@inline export function tbl<K>(h: usize, key: K): usize {
  if (!ASC_FEATURE_THREADS) return h;
  return tableFor(h, hashKey<K>(h, key));
}

/** tbl for a key whose hash (with h's seed) the caller has: the same hash then picks the bucket in the table. */
// @ts-ignore: decorator
@inline export function tableFor(h: usize, hash: u64): usize {
  if (!ASC_FEATURE_THREADS) return h;
  let i = tableOfHash(hash);
  let t = tableAt(h, i);
  if (logging == h) logTable(t, <u32>1 << i);
  return t;
}

/** A shared map: a root and its tables, `capacity` spread over them; maxBytes is split evenly. 0 when memory runs out. */
export function newShared(keySize: u32, valSize: u32, capacity: u32, seed: u64, rng: u64, fixedSeed: bool, maxBytes: u32): usize {
  let r = alloc(ROOT_SIZE, true);
  if (r == 0) return 0;
  initHeader(r, ROOT_SIZE, keySize, valSize, seed, rng, fixedSeed, maxBytes);
  hset(r, H_B, bForCapacity(capacity));
  let per = <u32>((<u64>capacity + TABLE_MASK) / TABLES);
  let cap = maxBytes == 0 ? 0 : max<u32>(maxBytes / TABLES, 1);
  for (let i: u32 = 0; i < TABLES; i++) {
    let t = newMap(keySize, valSize, per, seed, nextRandom(r + H_RNG), true, cap);
    if (t == 0) {
      for (let j: u32 = 0; j < i; j++) freeMap(tableAt(r, j));
      free(r, ROOT_SIZE);
      return 0;
    }
    store<u32>(t + H_ROOT, <u32>r);
    store<u32>(r + R_TABLES + (<usize>i << 2), <u32>t);
  }
  atomic.store<u32>(r + H_MAGIC, ROOT_MAGIC ^ <u32>r);
  return r;
}

/** attach's answers: a reference added; no live map of these kinds with this id at this address; the map has as many threads attached as its count holds. */
export const ATTACH_OK: i32 = 1;
export const ATTACH_NO_MAP: i32 = 0;
export const ATTACH_FULL: i32 = -1;

/**
 * Add a reference to the shared map a handle names: root r, with id `id` and kinds kk, vk. Before
 * anything is written, r must be a live root of this memory: inside memory, cache-line aligned, past
 * the allocator's header, marked with ROOT_MAGIC xor r, of these kinds; then the reference word must
 * hold this id and a count above 0 (the compare-and-swap that adds 1 checks both), so a moved
 * address, another map's, a disposed map's, or one freed and reused by another map is refused.
 */
export function rootAttach(r: usize, id: u64, kk: u32, vk: u32): i32 {
  if ((r & 63) != 0 || r < allocBase() || !inMemory(r, ROOT_SIZE)) return ATTACH_NO_MAP;
  if (atomic.load<u32>(r + H_MAGIC) != (ROOT_MAGIC ^ <u32>r) || load<u32>(r + H_ROOT) != 0) return ATTACH_NO_MAP;
  if (<u32>load<u8>(r + H_KINDS) != kk || <u32>load<u8>(r + H_KINDS + 1) != vk) return ATTACH_NO_MAP;
  for (;;) {
    let v = atomic.load<u64>(r + H_REFS);
    if (v >> REF_BITS != id || (v & REF_MASK) == 0) return ATTACH_NO_MAP;
    if ((v & REF_MASK) == REF_MASK) return ATTACH_FULL;
    if (atomic.cmpxchg<u64>(r + H_REFS, v, v + 1) == v) return ATTACH_OK;
  }
  return ATTACH_NO_MAP; // unreachable
}

/**
 * clear of a shared map, under the root's lock: every table cleared, live iterators ended (the root's
 * epoch). The seed stays (random and secret as ever, but not renewed as a private map's is): other
 * threads pick a key's table from it before they take or validate that table's lock, so it must
 * not change under them. False if a table could not get its array back.
 */
export function clearShared(r: usize): bool {
  let ok = true;
  for (let i: u32 = 0; i < TABLES; i++) {
    let t = tableAt(r, i);
    if (logging == r) logTable(t, <u32>1 << i);
    if (!clearMap(t)) ok = false;
  }
  hset(r, H_EPOCH, hget(r, H_EPOCH) + 1);
  bumpMod(r);
  return ok;
}

/** Free a shared map's tables and root. */
export function freeShared(r: usize): void {
  atomic.store<u32>(r + H_MAGIC, 0);
  for (let i: u32 = 0; i < TABLES; i++) {
    iterOrphan(tableAt(r, i));
    freeMap(tableAt(r, i));
  }
  free(r, ROOT_SIZE);
}

/** Index of a table whose lock is held (its count odd), or -1: a whole-map write, holding the root, waits until there is none. */
export function busyTable(r: usize): i32 {
  if (!ASC_FEATURE_THREADS) return -1;
  for (let i: u32 = 0; i < TABLES; i++) {
    if ((atomic.load<u32>(tableAt(r, i) + H_SEQ) & 1) != 0) return <i32>i;
  }
  return -1;
}

/**
 * A stats field (index.ts map_stat) of a shared map: the tables' sums; B is log2 of all their
 * buckets (a fraction while some tables have doubled and others not), growing and sameSizeGrow
 * whether any table is growing so.
 */
export function statShared(r: usize, field: u32): f64 {
  let sum: f64 = 0;
  for (let i: u32 = 0; i < TABLES; i++) {
    let t = tableAt(r, i);
    switch (field) {
      case STAT_COUNT: sum += <f64>hget(t, H_COUNT); break;
      case STAT_B: sum += <f64>(<u64>1 << hget(t, H_B)); break;
      case STAT_OVERFLOW: sum += <f64>hget(t, H_NOVERFLOW); break;
      case STAT_GROWING: sum = max(sum, <f64>(hget(t, H_GROWING) != 0 ? 1 : 0)); break;
      case STAT_SAME_SIZE: sum = max(sum, <f64>(hget(t, H_GROWING) == GROW_SAME ? 1 : 0)); break;
      case STAT_OLD_BUCKETS: sum += <f64>hget(t, H_OLDBUCKETS); break;
      case STAT_NEVACUATE: sum += <f64>hget(t, H_NEVACUATE); break;
      case STAT_BYTES: sum += <f64>hget(t, H_BYTES); break;
      case STAT_ITERATORS: sum += <f64>hget(t, H_ITERS); break;
      case STAT_TOMBSTONES: sum += <f64>hget(t, H_TOMBSTONES); break;
      default: return -1;
    }
  }
  if (field == STAT_B) return Math.log2(sum);
  if (field == STAT_BYTES) sum += <f64>hget(r, H_BYTES);
  return sum;
}
