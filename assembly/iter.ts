// Iteration: hiter slots in a pool, and Go's stepping logic adapted to growth in place.
//
// An iterator is a slot of one page in linear memory (HITER_SIZE bytes): its
// cursor and a batch buffer the JS side reads entries from, so one call hands
// out up to BATCH_MAX entries. Slots come from a pool: a free list whose head is
// in the allocator's header; when every slot is busy a new slot is a page of the
// allocator's page runs, and released slots are reused, as Go's sync.Pool reuses
// objects. The pool keeps POOL_KEEP idle slots and gives the others back to the
// page runs, so that iterators dropped by the thousand cost nothing once released.
// In the shared build a busy slot is also on a list of busy slots with the thread
// record of its holder, so that the iterators of a thread known dead can be
// released by another (iterSweepDead), and a map's are orphaned when it is freed.
//
// Each iteration starts at a random bucket and a random even slot offset (from
// the map's own generator, so a map with a fixed seed iterates reproducibly), walks
// 2^it.B logical buckets from there round to the start, and visits the slots of
// each bucket of a chain as (i + offset) & 7. For each logical bucket j:
//
//   - started at the current size while the array is doubling, and j's old
//     bucket (j & (oldN - 1)) is not evacuated yet: walk that old chain and keep
//     only keys whose hash picks j (Go's checkBucket);
//   - otherwise walk chain j itself. When the map has grown since the iterator
//     started (it.B < B), chain j (j < 2^it.B) is the very memory of the
//     iterator's old bucket j, because the array doubles in place.
//
// A slot holding a real entry is produced as it is. A slot holding an
// EVACUATED_Y tombstone (an entry moved to the upper half while some iterator
// was live, see grow.ts) is produced only if its key's hash picks the logical
// bucket under it.B; it is then looked up again, and produced with its current
// value if still present, as Go does with evacuated slots. Tombstones of keys
// that belong to another logical bucket are skipped: that bucket produces them.
//
// Why this keeps Go's guarantees: while any iterator is live, no entry moves
// within a chain (compaction waits, see grow.ts) and no tombstone is reused;
// overflow buckets are never freed, so the cursor's overflow pointer stays
// valid; clear changes the epoch and live iterators end at their next step.

import { allocPage, freePageLocked, allocField, lockHeap, unlockHeap, astore, A_HITER_FREE, A_HITER_TOTAL, A_HITER_IDLE, A_HITER_BUSY } from "./alloc";
import { seqTryLock, seqUnlock } from "./lock";
import { chainLimit } from "./bounds";
import { mstore } from "./wlog";
import { ownRecord, threadWatch, WATCH_DEAD } from "./thread";
import {
  BUCKET_SLOTS, B_PAIRS, EVACUATED_Y, MIN_TOPHASH, GROW_DOUBLE, H_COUNT, H_B, H_GROWING, H_NOVERFLOW, H_OLDBUCKETS, H_ITERS, H_EPOCH, H_RNG, hget, hset, pairAt, valOffset, bucketSize, tophashAt, overflowOf,
} from "./layout";
import { bucketAt } from "./bounds";
import { findPairOutline, isEvacuated } from "./map";
import { hashKey, keyAt } from "./strings";
import { nextRandom, matchByte, firstSlot, realSlots } from "./hash";

/** Bytes of a slot: one page of the allocator's page runs, which a slot goes back to when the pool has idle slots enough. */
const HITER_PAGE: usize = 4096;
/** Idle slots the pool keeps for the next iterations (a few pages); a slot released beyond them is freed. */
const POOL_KEEP: u32 = 8;

// hiter fields.
const I_MAP: usize = 0;
const I_EPOCH: usize = 4;
const I_B: usize = 8;
const I_START: usize = 12;
const I_OFFSET: usize = 16;
/** Next logical bucket to start. */
const I_BUCKET: usize = 20;
const I_WRAPPED: usize = 24;
/** Index of the chain being walked, or NO_CHAIN between chains. */
const I_CHAIN: usize = 28;
/** Overflow bucket being walked; 0 while in the chain's first bucket (re-read through the directory: it may move while small). */
const I_OVF: usize = 32;
/** Next slot (0..8) of the bucket being walked. */
const I_SLOT: usize = 36;
/** Logical bucket the current chain is walked for. */
const I_LOGICAL: usize = 40;
/** Non-zero: keep only keys whose hash picks I_LOGICAL (Go's checkBucket). */
const I_CHECK: usize = 44;
/** Set once the iteration has ended. */
const I_DONE: usize = 48;
/** Pool free-list link while idle; next on the busy list while busy (shared build). */
const I_NEXT: usize = 52;
/** Previous slot on the busy list, 0 for the first (shared build). */
const I_PREV: usize = 56;
/** The thread record of the slot's holder (shared build). */
const I_THREAD: usize = 60;
/** Bytes of the cursor proper: what a shared map's step saves and puts back before a retry (not the pool's links, which other threads change). */
export const I_CURSOR_END: usize = 52;
/** Batch buffers: BATCH_MAX keys, then BATCH_MAX values, 8 bytes each at most. */
export const I_KEYS: usize = 64;
/**
 * Entries one step call can hand out: all the slot's page holds after its cursor. Enough to amortise
 * the call and the JS side's per-batch work over a long iteration (the JS side asks for 8 first, so
 * that a loop that breaks early wastes little); a long forEach ran faster with a batch of 256 than
 * with 64.
 */
export const BATCH_MAX: u32 = <u32>((HITER_PAGE - I_KEYS) / 16);
export const I_VALS: usize = I_KEYS + <usize>BATCH_MAX * 8;
export const HITER_SIZE: usize = I_VALS + <usize>BATCH_MAX * 8;

const NO_CHAIN: u32 = 0xFFFFFFFF;

/** Take a slot from the pool (growing it if needed) and start iterating map h; 0 when memory runs out. */
export function iterStart(h: usize): usize {
  let it = takeSlot();
  if (it == 0) return 0;
  // Logged (its old value, 0): if this write is undone (its thread died), the slot names no map, and
  // iterSweepDead does not count it out of the map's iterators a second time.
  mstore<u32>(it + I_MAP, 0);
  startRandom(it, h);
  hset(h, H_ITERS, hget(h, H_ITERS) + 1);
  return it;
}

/**
 * Slot offsets an iteration may start from: the even ones (0, 2, 4, 6), so that a bucket's slots in
 * visiting order are four runs of two whole pairs (copyBucketPacked).
 */
const OFFSET_MASK: u32 = BUCKET_SLOTS - 2;

/** Set the cursor at `cur` at the start of an iteration of map h from a random bucket and slot offset (the map's own generator). */
function startRandom(cur: usize, h: usize): void {
  let r = nextRandom(h + H_RNG);
  let start = <u32>r & ((<u32>1 << hget(h, H_B)) - 1);
  startCursor(cur, h, start, <u32>(r >> 32) & OFFSET_MASK);
}

/** Set the cursor at `cur` at the start of an iteration of map h from logical bucket `start`, visiting slots from `offset`. */
function startCursor(cur: usize, h: usize, start: u32, offset: u32): void {
  store<u32>(cur + I_MAP, <u32>h);
  store<u32>(cur + I_EPOCH, hget(h, H_EPOCH));
  store<u32>(cur + I_B, hget(h, H_B));
  store<u32>(cur + I_START, start);
  store<u32>(cur + I_BUCKET, start);
  store<u32>(cur + I_OFFSET, offset);
  store<u32>(cur + I_WRAPPED, 0);
  store<u32>(cur + I_CHAIN, NO_CHAIN);
  store<u32>(cur + I_OVF, 0);
  store<u32>(cur + I_SLOT, 0);
  store<u32>(cur + I_DONE, 0);
}

/** Return a slot to the pool, or to the allocator's page runs when the pool has POOL_KEEP idle slots; `mapAlive` is false when its map was already freed. */
export function iterRelease(it: usize, mapAlive: bool): void {
  let h = <usize>load<u32>(it + I_MAP);
  if (mapAlive && h != 0) hset(h, H_ITERS, hget(h, H_ITERS) - 1);
  if (!lockHeap()) return; // the allocator's lock holder is alive and busy past lockTimeout: leak the slot
  if (ASC_FEATURE_THREADS) unlinkBusy(it);
  let idle = allocField(A_HITER_IDLE);
  if (load<u32>(idle) < POOL_KEEP) {
    let head = allocField(A_HITER_FREE);
    astore(it + I_NEXT, load<u32>(head));
    astore(head, <u32>it);
    astore(idle, load<u32>(idle) + 1);
  } else {
    let total = allocField(A_HITER_TOTAL);
    astore(total, load<u32>(total) - 1);
    freePageLocked(it);
  }
  unlockHeap();
}

/** A slot from the pool, or a new one (a page), on the busy list as this thread's (shared build), naming no map yet; 0 when memory runs out. */
function takeSlot(): usize {
  if (!lockHeap()) return 0;
  let head = allocField(A_HITER_FREE);
  let it = <usize>load<u32>(head);
  if (it != 0) {
    astore(head, load<u32>(it + I_NEXT));
    let idle = allocField(A_HITER_IDLE);
    astore(idle, load<u32>(idle) - 1);
    if (ASC_FEATURE_THREADS) linkBusy(it);
  }
  if (!unlockHeap()) return 0; // presumed dead meanwhile: the take was undone
  if (it != 0) return it;
  it = allocPage();
  if (it == 0 || !lockHeap()) return 0;
  let total = allocField(A_HITER_TOTAL);
  astore(total, load<u32>(total) + 1);
  if (ASC_FEATURE_THREADS) linkBusy(it);
  return unlockHeap() ? it : 0;
}

/** Put slot `it` first on the busy list as this thread's, naming no map; with the allocator's lock held. */
function linkBusy(it: usize): void {
  let busy = allocField(A_HITER_BUSY);
  let first = <usize>load<u32>(busy);
  astore(it + I_NEXT, <u32>first);
  astore(it + I_PREV, 0);
  astore(it + I_THREAD, <u32>ownRecord());
  astore(it + I_MAP, 0);
  if (first != 0) astore(first + I_PREV, <u32>it);
  astore(busy, <u32>it);
}

/** Take slot `it` off the busy list; with the allocator's lock held. */
function unlinkBusy(it: usize): void {
  let next = load<u32>(it + I_NEXT);
  let prev = <usize>load<u32>(it + I_PREV);
  if (prev != 0) astore(prev + I_NEXT, next);
  else astore(allocField(A_HITER_BUSY), next);
  if (next != 0) astore(<usize>next + I_PREV, <u32>prev);
}

/** iterSweepDead's answers: no slot of a dead thread is left; one was released; one waits for its table's lock (try again later). */
export const SWEEP_NONE: i32 = 0;
export const SWEEP_DONE: i32 = 1;
export const SWEEP_BUSY: i32 = 2;

/**
 * Release one iterator slot whose holder is known dead (its thread record marked so: wlog.ts): under
 * its table's lock, taken without waiting, the table's count of iterators goes down (so that
 * tombstones are reused and chains re-packed again), then the slot goes back to the pool. The slot is
 * claimed first (named this thread's), so that two threads never release it both. The JS side calls
 * it after it marks a thread dead, until SWEEP_NONE.
 */
export function iterSweepDead(): i32 {
  if (!ASC_FEATURE_THREADS) return SWEEP_NONE;
  if (!lockHeap()) return SWEEP_BUSY;
  let it = <usize>load<u32>(allocField(A_HITER_BUSY));
  while (it != 0 && threadWatch(<usize>load<u32>(it + I_THREAD)) != WATCH_DEAD) it = <usize>load<u32>(it + I_NEXT);
  if (it == 0) {
    unlockHeap();
    return SWEEP_NONE;
  }
  let dead = load<u32>(it + I_THREAD);
  astore(it + I_THREAD, <u32>ownRecord());
  unlockHeap();
  let h = <usize>load<u32>(it + I_MAP);
  if (h != 0) {
    if (!seqTryLock(h, true)) {
      if (lockHeap()) {
        astore(it + I_THREAD, dead); // for a later sweep
        unlockHeap();
      }
      return SWEEP_BUSY;
    }
    hset(h, H_ITERS, hget(h, H_ITERS) - 1);
    seqUnlock();
  }
  iterRelease(it, false);
  return SWEEP_DONE;
}

/** Map h (a table) is being freed: its busy slots name no map any more, so that releasing them later touches nothing of the memory it leaves (shared build). */
export function iterOrphan(h: usize): void {
  if (!ASC_FEATURE_THREADS || !lockHeap()) return;
  for (let it = <usize>load<u32>(allocField(A_HITER_BUSY)); it != 0; it = <usize>load<u32>(it + I_NEXT)) {
    if (<usize>load<u32>(it + I_MAP) == h) store<u32>(it + I_MAP, 0);
  }
  unlockHeap();
}

/** Idle slots iterReserve gives the pool: iterations work once memory has run out, up to this many at once. */
const POOL_RESERVE: u32 = 3;

/** Give the pool POOL_RESERVE idle slots if it has none, so that the first iterations need no fresh memory; false when memory runs out. */
export function iterReserve(): bool {
  if (iterPoolSize() != 0) return true;
  let taken: usize = 0; // linked through I_EPOCH while they wait to be released
  for (let i: u32 = 0; i < POOL_RESERVE; i++) {
    let it = takeSlot();
    if (it == 0) break;
    store<u32>(it + I_EPOCH, <u32>taken);
    taken = it;
  }
  let ok = taken != 0;
  while (taken != 0) {
    let next = <usize>load<u32>(taken + I_EPOCH);
    iterRelease(taken, false);
    taken = next;
  }
  return ok;
}

/** Iterator slots in the pool, busy or idle. */
export function iterPoolSize(): u32 {
  if (!lockHeap()) return 0;
  let n = load<u32>(allocField(A_HITER_TOTAL));
  unlockHeap();
  return n;
}

/** Bytes of a tophash word worth visiting: real entries and EVACUATED_Y tombstones. */
// @ts-ignore: decorator
@inline function visitable(word: u64): u64 {
  return realSlots(word) | matchByte(word, EVACUATED_Y);
}

/**
 * For each 4-bit mask of i32 lanes, the byte indices (i8x16.swizzle) that gather the flagged lanes, in
 * order, to the front of a vector; 0xFF picks nothing. Static data, read only: a second instance on a
 * shared memory writes the same bytes again. 16-byte aligned, as the one 16-byte load of a row wants.
 */
const GATHER4: usize = memory.data<u8>([
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x00, 0x01, 0x02, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x04, 0x05, 0x06, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x08, 0x09, 0x0A, 0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0A, 0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0xFF, 0xFF, 0xFF, 0xFF,
  0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x00, 0x01, 0x02, 0x03, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x04, 0x05, 0x06, 0x07, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF,
  0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF,
  0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF,
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
], 16);

/**
 * copyBucket for a pair of 4-byte kinds (the 8-byte pairs of int32, uint32 and 'any' maps), with SIMD:
 * four 16-byte loads from the offset on (even: each load is two whole pairs, at a 16-byte boundary),
 * keys and values split apart by shuffles, and each half's real slots gathered to the front by one
 * swizzle from GATHER4 and stored as 16 bytes at n. About 25 instructions a bucket against 160; writes
 * eight entries' room, as copyBucket does.
 */
// @ts-ignore: decorator
@inline function copyBucketPacked(b: usize, rot: u64, offset: u32, keys: usize, vals: usize, n: u32): u32 {
  let pairs = b + B_PAIRS;
  let w = <usize>offset << 3;
  let p0 = v128.load(pairs + (w & PAIRS_MASK));
  let p1 = v128.load(pairs + ((w + 16) & PAIRS_MASK));
  let p2 = v128.load(pairs + ((w + 32) & PAIRS_MASK));
  let p3 = v128.load(pairs + ((w + 48) & PAIRS_MASK));
  // Bit j: the j-th slot visited is real (bit 7 of byte j of rot).
  let m = <u32>i8x16.bitmask(i64x2.splat(<i64>rot));
  let lo = m & 15;
  let hi = (m >> 4) & 15;
  let g = v128.load(GATHER4 + (<usize>lo << 4));
  v128.store(keys + (<usize>n << 2), i8x16.swizzle(v128.shuffle<u32>(p0, p1, 0, 2, 4, 6), g));
  v128.store(vals + (<usize>n << 2), i8x16.swizzle(v128.shuffle<u32>(p0, p1, 1, 3, 5, 7), g));
  n += popcnt(lo);
  g = v128.load(GATHER4 + (<usize>hi << 4));
  v128.store(keys + (<usize>n << 2), i8x16.swizzle(v128.shuffle<u32>(p2, p3, 0, 2, 4, 6), g));
  v128.store(vals + (<usize>n << 2), i8x16.swizzle(v128.shuffle<u32>(p2, p3, 1, 3, 5, 7), g));
  return n + popcnt(hi);
}

/** Bytes of a bucket's pairs for a pair of 4-byte kinds, less one: wraps copyBucketPacked's loads round the bucket. */
const PAIRS_MASK: usize = <usize>BUCKET_SLOTS * 8 - 1;

/**
 * Copy the eight slots of bucket b, in visiting order from `offset`, to the batch at n, counting only
 * those flagged in `real` (bit 7 of each real slot's byte): n plus the bucket's real entries. Writes
 * eight entries' room: the caller leaves it. Unrolled by hand (neither the compiler nor binaryen
 * unrolls it), so that each slot's shift is a constant: about 20 wasm instructions a slot instead of
 * 35, and a faster step and small-map fill (bench/studies/iteration-costs.js times them).
 */
// @ts-ignore: decorator
@inline function copyBucket<K, V>(b: usize, real: u64, offset: u32, keys: usize, vals: usize, n: u32): u32 {
  // Bit 7 of byte j of `rot` flags the j-th slot visited.
  let rot = rotr<u64>(real, <u64>(offset << 3));
  if (ASC_FEATURE_SIMD && !isReference<K>() && !isReference<V>() && sizeof<K>() == 4 && sizeof<V>() == 4) {
    return copyBucketPacked(b, rot, offset, keys, vals, n);
  }
  n = copySlot<K, V>(b, 0, offset, rot, keys, vals, n);
  n = copySlot<K, V>(b, 1, offset, rot, keys, vals, n);
  n = copySlot<K, V>(b, 2, offset, rot, keys, vals, n);
  n = copySlot<K, V>(b, 3, offset, rot, keys, vals, n);
  n = copySlot<K, V>(b, 4, offset, rot, keys, vals, n);
  n = copySlot<K, V>(b, 5, offset, rot, keys, vals, n);
  n = copySlot<K, V>(b, 6, offset, rot, keys, vals, n);
  return copySlot<K, V>(b, 7, offset, rot, keys, vals, n);
}

/** One slot of copyBucket: the j-th visited, slot (j + offset) & 7, written at n; n + 1 if it is real. */
// @ts-ignore: decorator
@inline function copySlot<K, V>(b: usize, j: u32, offset: u32, rot: u64, keys: usize, vals: usize, n: u32): u32 {
  let p = pairAt<K, V>(b, (j + offset) & (BUCKET_SLOTS - 1));
  // Strings go out as the addresses of their fields, which the JS side decodes before the next call.
  if (isReference<K>()) store<u32>(keys + (<usize>n << 2), <u32>p);
  else store<K>(keys + <usize>n * sizeof<K>(), load<K>(p));
  if (isReference<V>()) store<u32>(vals + (<usize>n << 2), <u32>(p + valOffset<K, V>()));
  else store<V>(vals + <usize>n * sizeof<V>(), load<V>(p + valOffset<K, V>()));
  return n + (<u32>(rot >> (<u64>j * 8 + 7)) & 1);
}

/**
 * Write up to `max` (<= BATCH_MAX) entries into the slot's batch buffers and
 * return how many. Fewer than `max` means the iteration has ended. The cursor
 * is kept in locals for the call and written back at the end.
 */
export function iterNext<K, V>(it: usize, max: u32): u32 {
  return iterFill<K, V>(it, it + I_KEYS, it + I_VALS, max);
}

/**
 * Start a dump of map h (toArrays) with its cursor at `cur` (ITER_CURSOR bytes of the caller's own
 * memory): from bucket 0, slot 0, and without registering with the map. A dump runs whole within one
 * critical section (a private map's one call sequence; a shared map's validated read, or under its
 * root's lock), so no write can come between its steps, and it writes nothing of the map: on a
 * shared map it is a read.
 */
export function dumpStart(cur: usize, h: usize): void {
  startCursor(cur, h, 0, 0);
}

/**
 * A small map's whole iteration in one call, which the JS side copies out of `keys` and `vals` (room
 * for max + BUCKET_SLOTS entries): if map h holds at most `max` entries, fill them in from a random
 * start with the cursor at `cur` (ITER_CURSOR bytes), as iterStart and iterNext would, and return how
 * many; -1 if it holds more. No slot is taken and the map keeps no trace of the iteration (H_ITERS
 * is not counted, so growth and removal need not spare it): the JS side sees later changes by the
 * modification counter alone, which a private map bumps on every change (map.ts noteUpdate).
 */
export function iterSmall<K, V>(h: usize, cur: usize, keys: usize, vals: usize, max: u32): i32 {
  if (hget(h, H_COUNT) > max) return -1;
  startRandom(cur, h);
  return <i32>iterFill<K, V>(cur, keys, vals, max + BUCKET_SLOTS);
}

/** Bytes of a dump's cursor (dumpStart). */
export const ITER_CURSOR: usize = I_KEYS;

/**
 * iterNext into any buffers: up to `max` entries, keys to `keys` and values to `vals` (number kinds
 * for a dump: any max; the slot's buffers for an iteration: max <= BATCH_MAX).
 */
export function iterFill<K, V>(it: usize, keys: usize, vals: usize, max: u32): u32 {
  let h = <usize>load<u32>(it + I_MAP);
  if (load<u32>(it + I_DONE) != 0 || load<u32>(it + I_EPOCH) != hget(h, H_EPOCH)) {
    store<u32>(it + I_DONE, 1);
    return 0;
  }
  let bsize = bucketSize<K, V>();
  let itB = load<u32>(it + I_B);
  let itMask = (<u32>1 << itB) - 1;
  // Shared build: a reader may see a half-made growth; bound the buckets one call visits so that a
  // torn pointer cycle cannot loop forever (the JS side retries). A whole iteration visits fewer: while
  // the array doubles, each old chain is walked twice (once for each of its two new buckets), so at
  // most 2^B + 2 * (2^(B-1) + overflow buckets) buckets.
  let visits = chainLimit(2 * (hget(h, H_NOVERFLOW) + (<u32>1 << hget(h, H_B))));
  let offset = load<u32>(it + I_OFFSET);
  let start = load<u32>(it + I_START);
  let bucket = load<u32>(it + I_BUCKET);
  let wrapped = load<u32>(it + I_WRAPPED);
  let chain = load<u32>(it + I_CHAIN);
  let ovf = <usize>load<u32>(it + I_OVF);
  let i = load<u32>(it + I_SLOT);
  let logical = load<u32>(it + I_LOGICAL);
  let check = load<u32>(it + I_CHECK) != 0;
  let n: u32 = 0;
  let done: u32 = 0;
  while (n < max) {
    if (chain == NO_CHAIN) {
      if (bucket == start && wrapped != 0) {
        done = 1;
        break;
      }
      chain = bucket;
      check = false;
      if (hget(h, H_GROWING) == GROW_DOUBLE && itB == hget(h, H_B)) {
        let old = bucket & (hget(h, H_OLDBUCKETS) - 1);
        if (!isEvacuated(h, old, bsize)) {
          chain = old;
          check = true;
        }
      }
      logical = bucket;
      ovf = 0;
      i = 0;
      bucket = (bucket + 1) & itMask;
      if (bucket == 0) wrapped = 1;
    }
    let b = ovf != 0 ? ovf : bucketAt(h, chain, bsize);
    if (ASC_FEATURE_THREADS && (b == 0 || --visits == 0)) {
      done = 1;
      break;
    }
    // The common bucket (no growth check, no tombstone, room for all eight): copy every slot (a
    // string's field address) and count only the real ones, with no branch per slot (a branch on each
    // slot's tophash mispredicted about once a bucket, and the step ran at less than half the speed).
    if (!check && i == 0 && max - n >= BUCKET_SLOTS) {
      let word = load<u64>(b);
      if (matchByte(word, EVACUATED_Y) == 0) {
        n = copyBucket<K, V>(b, realSlots(word), offset, keys, vals, n);
        ovf = overflowOf(b);
        if (ovf == 0) chain = NO_CHAIN;
        continue;
      }
    }
    // Slots in visiting order (i + offset) & 7, from i on: rotate the byte mask by the offset.
    let todo = rotr<u64>(visitable(load<u64>(b)), <u64>(offset << 3));
    if (i != 0) todo &= <u64>-1 << (<u64>i << 3);
    while (todo != 0 && n < max) {
      let j = firstSlot(todo);
      todo &= todo - 1;
      i = j + 1;
      let s = (j + offset) & (BUCKET_SLOTS - 1);
      let p = pairAt<K, V>(b, s);
      let key = keyAt<K>(p);
      if (tophashAt(b, s) == EVACUATED_Y) {
        if ((<u32>hashKey<K>(h, key) & itMask) != logical) continue;
        p = findPairOutline<K, V>(h, key);
        if (p == 0) continue;
      } else if (check && (<u32>hashKey<K>(h, key) & itMask) != logical) {
        continue;
      }
      // Strings go out as the addresses of their fields, which the JS side decodes before the next call.
      if (isReference<K>()) store<u32>(keys + (<usize>n << 2), changetype<u32>(key));
      else store<K>(keys + <usize>n * sizeof<K>(), key);
      if (isReference<V>()) store<u32>(vals + (<usize>n << 2), <u32>(p + valOffset<K, V>()));
      else store<V>(vals + <usize>n * sizeof<V>(), load<V>(p + valOffset<K, V>()));
      n++;
    }
    if (todo == 0) {
      // This bucket is done: on to its overflow bucket, or the next chain.
      ovf = overflowOf(b);
      i = 0;
      if (ovf == 0) chain = NO_CHAIN;
    }
  }
  store<u32>(it + I_BUCKET, bucket);
  store<u32>(it + I_WRAPPED, wrapped);
  store<u32>(it + I_CHAIN, chain);
  store<u32>(it + I_OVF, <u32>ovf);
  store<u32>(it + I_SLOT, i);
  store<u32>(it + I_LOGICAL, logical);
  store<u32>(it + I_CHECK, check ? 1 : 0);
  store<u32>(it + I_DONE, done);
  return n;
}
