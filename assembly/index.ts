// The wasm module's interface: the one documented boundary between the raw
// table (assembly/) and the typed API (bindings/). See docs/design.md. The
// per-kind exports are one line each over the generic operations of ops.ts.
//
// Kinds travel as storage types: 4-byte keys (int32, uint32) as i32, float64
// keys as f64 (normalised here: -0 becomes +0, every NaN one canonical NaN, so
// that bit equality is SameValueZero), 8-byte integer keys as i64, and string
// keys ('str') as two arguments (q, n): the address of a query area where the
// JS side wrote the string's n UTF-16 code units at q + STR_Q_CHARS (strings.ts
// builds the field from them). Values: 'i32' (int32 and uint32 share the bits),
// 'f64', 'i64', 'any' (an index into a JS-side table) and 'str' (a query area
// and length, like keys). Export names are <op>_<key>_<value>; has and del only
// depend on the value's size (v4, v8, v12).
//
//   get   returns f64 for i32/u32 values (NaN = missing), f64 for f64 values and
//         i64 for i64 values (missing: RES_FOUND clear in the result word,
//         result_word()), i32 for any (-1 = missing),
//         for str the address of the value's field (0 = missing), which the JS
//         side decodes before its next call
//   set   returns 1 inserted, 0 updated, -1 out of memory (map unchanged);
//         for any: the value's index (the candidate when inserted), -1 = OOM
//   del   returns 1 removed, 0 absent; delany returns the old index or -1
//   has   returns 1 or 0
//   wset, wdel, wadd  (shared maps, number kinds) set, del and add that take
//         the map's writers' lock and release it themselves when it is free;
//         when another write holds it: WRITE_BUSY (-2), for wadd NaN with
//         `status` ST_BUSY, nothing changed (the JS side waits, then redoes it)
//   sget  (shared maps, number kinds) get between two reads of the map's
//         sequence count: as get, but NaN with RES_TORN in the result word when a
//         write was in progress or came between (the JS side then waits and
//         retries); lock.ts
//   add   (numeric values) returns the new value; gos (getOrSet) the value now
//         in the map (for str the address of its field, 0 = out of memory);
//         the global `status` says whether it worked (update.ts). getOrSet of
//         an 'any' value is set_<key>_any, which already keeps a present index.
//
// Header fields the JS side reads directly through a memory view are exported
// as constants (HDR_*): count and the modification counter.

import { newMap, clearMap, freeMap, bumpMod, findLongCandidates } from "./map";
import { iterStart, iterRelease, dumpStart, ITER_CURSOR, iterReserve, iterSweepDead, I_KEYS as IT_KEYS, I_VALS as IT_VALS, I_CURSOR_END, BATCH_MAX as IT_BATCH } from "./iter";
export { SWEEP_NONE, SWEEP_DONE, SWEEP_BUSY } from "./iter";
import { alloc, free, allocBase, A_TOP, A_HITER_TOTAL, A_LOCK } from "./alloc";

import { expandSeed } from "./hash";

import { TABLES, tableFor, tableAt, tableOfHash, newShared, clearShared, freeShared, busyTable, statShared, rootAttach } from "./tables";
export { ATTACH_OK, ATTACH_FULL } from "./tables";
/** A private map of fewer than 2^GROW_SMALL_B buckets with no live iterator grows in the insert that starts it, to 2^GROW_SMALL_STEP times its buckets (at most 2^GROW_SMALL_B) (grow.ts). */
export { SMALL_B as GROW_SMALL_B, SMALL_STEP as GROW_SMALL_STEP } from "./grow";
/** The result word's bits (thread.ts): a get of an f64 or i64 value found its key; a validated get overlapped a write. */
export { RES_FOUND, RES_TORN } from "./thread";
import { status, ST_BUSY, ST_DEAD } from "./update";
export { status } from "./update";
import { TAG_BLOCK, TAG_WIDE, F_PTR, F_LEN, BK_CHARS, Q_CHARS, Q_SLACK, strLongBegin, strLongFeed, strLongHash, strUseField } from "./strings";
import {
  H_COUNT, H_MOD, H_EPOCH, H_B, H_NOVERFLOW, H_GROWING, H_OLDBUCKETS, H_NEVACUATE, H_BYTES, H_ITERS, H_TOMBSTONES, H_SEED, H_WAITERS, H_SEQ, H_WANT, H_LOG, H_REFS, H_KINDS, GROW_SAME, BUCKET_SLOTS, HEADER_SIZE, STR_FIELD, hget, STAT_COUNT, STAT_B, STAT_OVERFLOW, STAT_GROWING, STAT_SAME_SIZE, STAT_OLD_BUCKETS, STAT_NEVACUATE, STAT_BYTES, STAT_ITERATORS, STAT_TOMBSTONES,
} from "./layout";

export { STAT_COUNT, STAT_B, STAT_OVERFLOW, STAT_GROWING, STAT_SAME_SIZE, STAT_OLD_BUCKETS, STAT_NEVACUATE, STAT_BYTES, STAT_ITERATORS, STAT_TOMBSTONES } from "./layout";


export const HDR_COUNT: u32 = <u32>H_COUNT;
export const HDR_MOD: u32 = <u32>H_MOD;
export const HDR_EPOCH: u32 = <u32>H_EPOCH;
export const HDR_WAITERS: u32 = <u32>H_WAITERS;
export const HDR_WANT: u32 = <u32>H_WANT;
export const HDR_LOG: u32 = <u32>H_LOG;
export const HDR_SEQ: u32 = <u32>H_SEQ;
export const HDR_REFS: u32 = <u32>H_REFS;
export const HDR_KINDS: u32 = <u32>H_KINDS;
/** Bytes of a map header (a shared map's root is larger: its tables' addresses follow the header). */
export const HDR_SIZE: u32 = <u32>HEADER_SIZE;
/** A string field (strings.ts): STR_FIELD_SIZE bytes in a slot; byte 0 the inline length, or a tag with STR_TAG_BLOCK set (STR_TAG_WIDE: two bytes a char); a block reference's address at STR_F_PTR and length at STR_F_LEN; a block's chars at STR_BK_CHARS. */
export const STR_FIELD_SIZE: u32 = <u32>STR_FIELD;
export const STR_TAG_BLOCK: u32 = TAG_BLOCK;
export const STR_TAG_WIDE: u32 = TAG_WIDE;
export const STR_F_PTR: u32 = <u32>F_PTR;
export const STR_F_LEN: u32 = <u32>F_LEN;
export const STR_BK_CHARS: u32 = <u32>BK_CHARS;
export { canBlock, lockTimeoutNs, recoveryNs, lockTimedOut } from "./futex";
import { seqTryLock, seqUnlock, seqAbort, seqRecover, seqRecoverFree, seqBeat, seqWatch, seqHolder, rootBusy, WRITE_BUSY, WRITE_DEAD } from "./lock";

import { memoryOrder } from "./futex";

export { WRITE_BUSY, WRITE_DEAD, RECOVER_MOVED, RECOVER_TAKEN, RECOVER_BROKEN, WATCH_MOVED, WATCH_UNKNOWN, WATCH_DEAD } from "./lock";
import { logInit, threadsMarkDead, threadMarkDead, threadAfter } from "./wlog";

import { ownRecord, threadNamed, threadLockId, resultWord } from "./thread";

export { ST_RANGE, ST_BUSY, ST_DEAD } from "./update";
export const ITER_KEYS: u32 = <u32>IT_KEYS;
export const ITER_VALS: u32 = <u32>IT_VALS;
export const ITER_BATCH: u32 = IT_BATCH;
/** Where the JS side writes a string's UTF-16 code units in a query area. */
export const STR_Q_CHARS: u32 = <u32>Q_CHARS;
/** Bytes a query area must have beyond its chars (the core reads short strings 32 bytes at a time). */
export const STR_Q_SLACK: u32 = <u32>Q_SLACK;


// ---- maps ------------------------------------------------------------------

/** Derives a fixed-seed map's generator state from its seed, so iteration order is reproducible: any odd-looking constant unrelated to the seed expansion (murmur2's multiplier). */
const RNG_FROM_FIXED_SEED: u32 = 0x5bd1e995;
/** Derives a random-seed map's generator state from its seed: xorshift64*'s multiplier, so the two differ. */
const RNG_FROM_RANDOM_SEED: u64 = 0x2545F4914F6CDD1D;

/** A map (the shared build: a root and its tables, tables.ts). */
export function map_new(keySize: u32, valSize: u32, capacity: u32, seedLo: u32, seedHi: u32, fixedSeed: bool, maxBytes: u32): usize {
  let seed: u64 = fixedSeed ? expandSeed(seedLo) : (<u64>seedHi << 32) | <u64>seedLo;
  let rng: u64 = fixedSeed ? expandSeed(seedLo ^ RNG_FROM_FIXED_SEED) : seed ^ RNG_FROM_RANDOM_SEED;
  if (ASC_FEATURE_THREADS) return newShared(keySize, valSize, capacity, seed, rng, fixedSeed, maxBytes);
  return newMap(keySize, valSize, capacity, seed, rng, fixedSeed, maxBytes);
}
/** Move map h's modification counter on, as a change does: its iterators then check what they hand out (bindings/iterators.ts evictLease). */
export function map_note_change(h: usize): void { bumpMod(h); }
export function map_clear(h: usize): bool { return ASC_FEATURE_THREADS ? clearShared(h) : clearMap(h); }
export function map_free(h: usize): void {
  if (ASC_FEATURE_THREADS) freeShared(h);
  else freeMap(h);
}
/** Tables of a map: TABLES in the shared build, 1 in the private one. */
export const MAP_TABLES: u32 = ASC_FEATURE_THREADS ? TABLES : 1;
/** Add a thread's reference to the shared map at root h, which a handle names with id (idHi, idLo) and kinds kk, vk: ATTACH_OK, ATTACH_FULL, or 0 when no such live map is there (nothing written). */
export function map_attach(h: usize, idHi: u32, idLo: u32, kk: u32, vk: u32): i32 {
  return ASC_FEATURE_THREADS ? rootAttach(h, (<u64>idHi << 32) | <u64>idLo, kk, vk) : 0;
}
/** Table i of map h (the shared build; h itself in the private one). */
export function map_table(h: usize, i: u32): usize { return ASC_FEATURE_THREADS ? tableAt(h, i) : h; }
/** Index of a table whose lock is held, or -1: a whole-map write, holding the root's lock, waits until none is. */
export function map_busy_table(h: usize): i32 { return ASC_FEATURE_THREADS ? busyTable(h) : -1; }
/** Index of the table of map h that holds key k (0 in the private build), per key kind: a write the JS side locks takes that table's lock. */

/**
 * A string key longer than the query area the JS side could get (memory ran out), looked up without
 * one as long (strings.ts, "long keys"): str_long_begin, then str_long_feed for each chunk of its code
 * units written in area q (a multiple of 8 units but the last); str_long_table gives a shared map's
 * table for it; str_long_find writes to out the addresses of the stored keys of map h (a shared map's
 * root) that may be it, for the JS side to compare; str_use_field makes the one that is the next
 * key query of area q.
 */
export function str_long_begin(h: usize, n: u32, wide: bool): void { strLongBegin(load<u64>(h + H_SEED), n, wide); }
export function str_long_feed(q: usize, units: u32): void { strLongFeed(q, units); }
export function str_long_table(h: usize): u32 { return ASC_FEATURE_THREADS ? tableOfHash(strLongHash()) : 0; }
export function str_long_find(h: usize, out: usize, max: u32): u32 { let hash = strLongHash(); return findLongCandidates(tableFor(h, hash), hash, out, max); }
export function str_use_field(q: usize, f: usize): void { strUseField(q, f); }
/** Field `field` (STAT_*) of map h's stats. */
export function map_stat(h: usize, field: u32): f64 {
  if (ASC_FEATURE_THREADS) return statShared(h, field);
  switch (field) {
    case STAT_COUNT: return <f64>hget(h, H_COUNT);
    case STAT_B: return <f64>hget(h, H_B);
    case STAT_OVERFLOW: return <f64>hget(h, H_NOVERFLOW);
    case STAT_GROWING: return <f64>hget(h, H_GROWING);
    case STAT_SAME_SIZE: return <f64>(hget(h, H_GROWING) == GROW_SAME ? 1 : 0);
    case STAT_OLD_BUCKETS: return <f64>hget(h, H_OLDBUCKETS);
    case STAT_NEVACUATE: return <f64>hget(h, H_NEVACUATE);
    case STAT_BYTES: return <f64>hget(h, H_BYTES);
    case STAT_ITERATORS: return <f64>hget(h, H_ITERS);
    case STAT_TOMBSTONES: return <f64>hget(h, H_TOMBSTONES);
  }
  return -1;
}
/** Give the iterator pool its first slots now, so that iterations work once memory has run out: 1, or 0 when memory runs out. */
export function iter_reserve(): i32 { return iterReserve() ? 1 : 0; }
/**
 * The allocator's header (alloc.ts): its address in this build's memory (per build: it follows the
 * build's static data, so embed.mjs leaves it out of CORE), and the offsets of the heap's top, of the
 * count of iterator slots in the pool and of the allocator's lock word. Read through a view, as a
 * map's header is: what a thread that holds the lock is doing, how much memory the allocator has used.
 */
export const ALLOC_HEADER: u32 = <u32>allocBase();
export const ALLOC_TOP: u32 = <u32>A_TOP;
export const ALLOC_ITER_SLOTS: u32 = <u32>A_HITER_TOTAL;
export const ALLOC_LOCK: u32 = <u32>A_LOCK;

// ---- per pair of kinds: get, set, has, del, delany, add, gos (getOrSet), table, the shared build's
// sget, wset, wdel, wadd, iteration steps, batches. Generated from one table of kinds by
// assembly/per-kind.mjs (npm run build:wasm), one line each over the generic operations.
export * from "./per-kind";

// ---- locked writes of shared maps (number kinds) ----------------------------

/** After a locked write threw (a trap, or the stack ran out in it): undo it and release the lock it took, if it did: 1; 0 when the hold was no longer this thread's (presumed dead: another thread undid the write). */
export function write_abort(): i32 {
  return seqAbort() ? 1 : 0;
}
// ---- the writers' lock, for the writes the JS side locks itself (lock.ts) ----

/** Take map (or table) h's lock if it is free (`ignoreClaim`: also when a starving thread claimed it): 1; else 0, or WLOCK_ROOT_BUSY when h is a table whose root is held. The write is logged from here on. */
export function wlock_try(h: usize, ignoreClaim: bool): i32 {
  rootBusy = 0;
  if (seqTryLock(h, ignoreClaim)) return 1;
  return rootBusy != 0 ? WLOCK_ROOT_BUSY : 0;
}
/** wlock_try's answer when a table's root is held (a whole-map write): wait for the root. */
export const WLOCK_ROOT_BUSY: i32 = 2;
/** Release the lock this instance holds: 1, or 0 when it was presumed dead meanwhile and its write undone. */
export function wlock_release(): i32 { return seqUnlock() ? 1 : 0; }
/** Map h is locked at count `seq` by a thread known dead (wlock_watch): take it over, its dead write undone (RECOVER_*). */
export function wlock_recover(h: usize, seq: u32): i32 { return seqRecover(h, seq); }
/** As wlock_recover, for a thread holding a shared map's root that waits for table h: h is released at once, the caller's own hold untouched. */
export function wlock_recover_free(h: usize, seq: u32): i32 { return seqRecoverFree(h, seq); }
/** What is known of the holder of map h locked at count `seq`: its beat (>= 0), or WATCH_MOVED, WATCH_UNKNOWN, WATCH_DEAD. */
export function wlock_watch(h: usize, seq: u32): i32 { return seqWatch(h, seq); }
/** The thread record of the holder of map h locked at count `seq` (a browser asks for the Web Lock named after it), else 0. */
export function wlock_holder(h: usize, seq: u32): usize { return seqHolder(h, seq); }
/** This thread works under its lock (a long write, a wait for tables): move its beat; 1, or 0 when its hold was taken over meanwhile. */
export function wlock_beat(): i32 { return seqBeat() ? 1 : 0; }
/** A full fence on CPUs that need one (none on x86): the JS side's validated reads call it after their loads, before their second read of the count. */
export function read_fence(): void { memoryOrder(); }
/** Make this instance's write log, its thread record (`tid`: the thread's id, 0 where there is none); 0 when memory runs out. */
export function wlog_init(tid: u32): i32 { return logInit(tid) ? 1 : 0; }
/** This instance's thread record (a browser names its Web Lock after it). */
export function thread_record(): usize { return ownRecord(); }
/** The address of this instance's result word (thread.ts): after wlog_init in the shared build, where it is in the thread's record. */
export function result_word(): usize { return resultWord(); }
/** A thread with id `tid` has exited: mark its records dead; returns how many. */
export function thread_dead(tid: u32): i32 { return threadsMarkDead(tid); }
/** This thread holds the Web Lock of id `id` (`tophash:thread:<id>`) for its life. */
export function thread_named(id: u32): void { threadNamed(id); }
/** The id of the Web Lock the thread of record `rec` holds for its life, 0 if none (yet). */
export function thread_lock_id(rec: usize): u32 { return ASC_FEATURE_THREADS ? threadLockId(rec) : 0; }
/** The thread record after `rec` on this memory's list (the first when `rec` is 0), 0 at the end. */
export function thread_after(rec: usize): usize { return threadAfter(rec); }
/** The thread whose record is at `rec` is dead: 1, or 0 when no other thread has that record. */
export function thread_record_dead(rec: usize): i32 { return threadMarkDead(rec) ? 1 : 0; }

// ---- iteration -------------------------------------------------------------

export function iter_start(h: usize): usize { return iterStart(h); }
export function iter_release(it: usize, mapAlive: bool): void { iterRelease(it, mapAlive); }
/** Release one iterator slot of a thread known dead (SWEEP_DONE), or say none is left (SWEEP_NONE) or one's table is held (SWEEP_BUSY: try later). */
export function iter_sweep_dead(): i32 { return iterSweepDead(); }
/** Bytes of an iterator slot's cursor, which a shared map's step saves and puts back before a retry. */
export const ITER_SAVE: u32 = <u32>I_CURSOR_END;

// Per pair of kinds (per-kind.ts): iter_next_k*_v* a step, iter_small_k*_v* a small private map's whole
// iteration in one call (-1 if it holds more than max), iter_fill_k*_v* a dump's chunk.

// Dumps (toArrays, number kinds): a cursor in the caller's memory, entries to any buffers, a chunk a call.
/** Start a dump of map (or table) h with its cursor at `cur` (DUMP_CURSOR bytes): a read of the map. */
export function dump_start(cur: usize, h: usize): void { dumpStart(cur, h); }
export const DUMP_CURSOR: u32 = <u32>ITER_CURSOR;
/**
 * Largest map the JS side iterates by one iter_small_* call, copied out (bindings/iterators.ts): 16
 * covers the maps of a few entries that abound in programs, and filling one whole costs less than an
 * iterator slot and its finalizer entry (docs/design.md, "Iteration", has the figures and the study
 * that times them); a larger map's iterator takes a slot and sees the map live.
 */
export const ITER_SMALL_MAX: u32 = 16;
/** Entries of room past `max` that iter_small_* may write (a bucket's worth: iter.ts copyBucket). */
export const ITER_SMALL_SLACK: u32 = BUCKET_SLOTS;

// ---- batch operations over arrays in linear memory (see batch.ts) -----------
// Per pair of kinds (per-kind.ts): batch<op>_<key>_<v4|v8>; keys, values and outputs are addresses.

/** A block of linear memory the JS side keeps for batch copies (per module instance); 0 when memory runs out. */
export function scratch_alloc(bytes: u32): usize { return alloc(<usize>bytes, false); }
/** Give back a block from scratch_alloc (the JS side outgrew it). */
export function scratch_free(p: usize, bytes: u32): void { free(p, <usize>bytes); }
