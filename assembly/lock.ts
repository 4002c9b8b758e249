// Locking in the shared build: a map's sequence lock (the seqlock readers
// validate against and writers take), and the recovery of a map whose writer
// died. The allocator's lock and the fence marker are in futex.ts; the checks
// that keep a reader inside memory are in bounds.ts.
//
// One source serves two builds. The private build (no threads) compiles every
// function here to nothing; the shared build (`--enable threads`, imported
// shared memory, ASC_FEATURE_THREADS) uses wasm atomics. The protocol, in full,
// is in docs/design.md ("Concurrency protocol"):
//
//   - Each map has a sequence count (H_SEQ) in its header that is also its
//     writers' lock: a write moves it from even to odd with one
//     compare-and-swap before it writes and back to even after (the JS side,
//     or the core itself for the writes named below); readers run the
//     plain lookup code between two reads of an even count, and retry when it
//     moved. Those waits are in JS (bindings/maplock.ts), which has a clock for
//     lockTimeout and knows whether the thread may block.
//   - The allocator is shared by every map of a memory: its lock (A_LOCK,
//     futex.ts) is taken inside alloc and free, because they are called from
//     deep in the map code. Lock order: a map's lock, then the allocator's.
//   - A reader may see a half-made change. It must neither loop forever nor
//     read outside memory: chain walks are bounded (chainLimit), and buckets
//     and blocks reached through pointers checked against the memory size
//     (inMemory). A wasm trap in a reader is caught by the JS side anyway,
//     which retries if the count moved.
//   - A get of number kinds reads the count itself, before and after its
//     lookup (seqCount, seqValid; index.ts sget_*), and set, delete and add
//     of number kinds take and release the lock themselves when it is free
//     (seqTryLock, seqUnlock; index.ts wset_*, wdel_*, wadd_*): one call, no
//     JS atomics. When it is not free, or a starving thread has claimed the
//     map (H_WANT, the JS side's fair-lock protocol), they write nothing and say so (WRITE_BUSY,
//     or for add `status` ST_BUSY) and the JS side waits as for any write. A
//     locked write that a trap or a stack overflow cuts short leaves its lock
//     in heldSeq, and the JS side releases it (index.ts write_abort), as its
//     own `finally` does for the writes it locks.
//
//   - A lock is undone and taken over only from a holder known dead: its
//     thread record marked dead (proof: bindings/threads.ts), or the same hold
//     at the same beat of its holder seen for recoveryTime. Lock words are 64
//     bits, the word and the holder's record, set by one compare-and-swap.
//   - On weakly ordered CPUs a fence orders a reader's loads before its second
//     read of the count and a writer's lock before its stores (memoryOrder;
//     assembly/fences.mjs makes the build with fences and the one without).

import { H_SEQ, H_WAITERS, H_WANT, H_LOG, H_ROOT, LOG_BROKEN } from "./layout";
import { ownRecord, threadBeat, threadWatch, WATCH_DEAD } from "./thread";
import { pack, holderOf, memoryOrder } from "./futex";
import { logBegin, logEnd, logCommit, logUndo, logIsFor, logLost, logCommitted, logClaimUndo, logClaimDone, logUndoing } from "./wlog";
import { heapReleaseDead } from "./alloc";

/** A map's sequence count, at w (its H_SEQ field): even when no write is in progress. A plain load in the private build, where it stays 0. */
// @ts-ignore: decorator
@inline export function seqCount(w: usize): u32 {
  if (!ASC_FEATURE_THREADS) return load<u32>(w);
  return atomic.load<u32>(w);
}

/** Whether a read that started at count s (of the count at w) saw no write: s even and the count unchanged. The caller orders its loads before it (memoryOrder). */
// @ts-ignore: decorator
@inline export function seqValid(w: usize, s: u32): bool {
  return (s & 1) == 0 && seqCount(w) == s;
}

/** Returned by a locked write (index.ts wset_*, wdel_*; wadd_* says it in `status`) that found another write holding the map: the JS side then waits for it. */
export const WRITE_BUSY: i32 = -2;

/** The header of the map whose writers' lock this instance holds, 0 when none (see write_abort in index.ts). */
export let heldMap: usize = 0;
/** The sequence count (odd) of the hold: the value a release or a recovery compares against. */
let heldSeq: u32 = 0;

/** Returned by a locked write whose thread made no progress for recoveryTime while it held the map, so that another thread presumed it dead and undid the write. */
export const WRITE_DEAD: i32 = -3;
/** What recovery did: the count had moved (no recovery), the lock taken over (its dead write undone), or the map is broken (a write that could not be logged was cut short). */
export const RECOVER_MOVED: i32 = 0;
export const RECOVER_TAKEN: i32 = 1;
export const RECOVER_BROKEN: i32 = 2;

/** seqWatch's answers besides a beat (>= 0): the count is no longer the one asked about; the hold names no holder (one taken by hand, as tests do). WATCH_DEAD: proved dead. */
export const WATCH_MOVED: i32 = -1;
export const WATCH_UNKNOWN: i32 = -2;
export { WATCH_DEAD };

/**
 * This instance now holds map h's lock at sequence count `seq` (odd): log the write (wlog.ts), then
 * check that the hold is still its own. A holder stores nothing into the map before that check, so
 * a hold taken over before it (its thread presumed dead while it was stalled right after taking the
 * lock) is given up with nothing written: false.
 */
// @ts-ignore: decorator
@inline function hold(h: usize, seq: u32): bool {
  heldMap = h;
  heldSeq = seq;
  logBegin(h, seq);
  if (atomic.load<u32>(h + H_SEQ) == seq) return true;
  logEnd();
  heldMap = 0;
  return false;
}

/** Set by seqTryLock when it failed because the map's root (tables.ts) was held, not the table: the JS side then waits for the root. */
export let rootBusy: i32 = 0;

/**
 * Take map h's writers' lock, its sequence count (even -> odd), if no write holds it now and no
 * starving thread has claimed the map (unless `ignoreClaim`): one compare-and-swap of the 64-bit lock
 * word, which names this thread's record as the holder in the same step, no waiting (waits are the
 * JS side's, which has the clock and knows whether the thread may block). The write is logged from
 * here on. Always true in the private build.
 *
 * A table of a shared map (H_ROOT set, tables.ts) is taken only while its root's lock is free (and
 * unclaimed, unless `ignoreClaim`): a whole-map write holds the root, then waits until no table's
 * lock is held. The table's count is made odd first and the root's read after (sequentially
 * consistent atomics, as Dekker's protocol needs: the whole-map writer makes the root odd, then reads
 * the tables); a root found held makes the table even again and answers busy, with rootBusy set.
 */
// @ts-ignore: decorator
@inline export function seqTryLock(h: usize, ignoreClaim: bool): bool {
  if (!ASC_FEATURE_THREADS) return true;
  let r = <usize>load<u32>(h + H_ROOT);
  // A starving thread's claim (H_WANT): defer to it; the JS side decides whether it still holds.
  if (!ignoreClaim && (atomic.load<u32>(h + H_WANT) != 0 || (r != 0 && atomic.load<u32>(r + H_WANT) != 0))) return false;
  let v = atomic.load<u64>(h + H_SEQ);
  let s = <u32>v;
  if ((s & 1) != 0 || atomic.cmpxchg<u64>(h + H_SEQ, v, pack(s + 1, ownRecord())) != v) return false;
  memoryOrder();
  if (r != 0 && (atomic.load<u32>(r + H_SEQ) & 1) != 0) {
    backOff(h, s + 1);
    return false;
  }
  return hold(h, s + 1);
}

/** Give this thread's hold of h at count s back (odd -> even, no holder) and wake its waiters; false when it is no longer this thread's. */
// @ts-ignore: decorator
@inline function release(h: usize, s: u32): bool {
  let v = pack(s, ownRecord());
  if (atomic.cmpxchg<u64>(h + H_SEQ, v, <u64>(s + 1)) != v) return false;
  if (atomic.load<u32>(h + H_WAITERS) != 0) atomic.notify(h + H_SEQ, -1);
  return true;
}

/** A table taken while its root was held: give it back unchanged (odd -> even) and say the root is busy. */
function backOff(h: usize, s: u32): void {
  rootBusy = 1;
  release(h, s);
}

/**
 * Release the lock this instance holds (odd -> even), do the frees its write deferred, and wake the
 * threads that wait if the waiter count says there may be one. False when the count is no longer this
 * hold's: another thread presumed this one dead and undid its write (then nothing is freed).
 */
// @ts-ignore: decorator
@inline export function seqUnlock(): bool {
  if (!ASC_FEATURE_THREADS) return true;
  let h = heldMap;
  let s = heldSeq;
  logEnd();
  heldMap = 0;
  // Still this hold's? Then commit: from here the write stands (the log says so), and its deferred
  // frees are done while the map is still held, so that a thread dying in them is known to a recoverer.
  if (atomic.load<u32>(h + H_SEQ) != s) return false;
  logCommit();
  // A recoverer that took over after the commit keeps the write (and releases the map itself).
  release(h, s);
  return true;
}

/**
 * A write of this instance that threw (a trap, or the stack ran out in it): undo it and release the
 * lock; true. False when the hold is no longer this thread's (it was presumed dead, and the recoverer
 * undid the write): then nothing is touched.
 */
export function seqAbort(): bool {
  if (!ASC_FEATURE_THREADS || heldMap == 0) return true;
  let h = heldMap;
  let s = heldSeq;
  logEnd();
  heldMap = 0;
  if (atomic.load<u32>(h + H_SEQ) != s) return false;
  let l = ownRecord();
  if (!logLost(l)) logUndo(l);
  release(h, s);
  return true;
}

/**
 * Whether this instance still holds the lock it took: checked by long writes (a batch, at every key),
 * which stop (a trap: the JS side's write_abort then finds the hold gone) rather than store into a map
 * another thread took over from them.
 */
// @ts-ignore: decorator
@inline export function stillHeld(): bool {
  if (!ASC_FEATURE_THREADS || heldMap == 0) return true;
  return atomic.load<u32>(heldMap + H_SEQ) == heldSeq;
}

/** Move this thread's beat (it works under its lock) and say whether the hold is still its own: the JS side calls it between the chunks of a long write and while a whole-map write waits for tables. */
export function seqBeat(): bool {
  threadBeat();
  return stillHeld();
}

/**
 * Map h is locked at count `seq`: what is known of its holder. WATCH_MOVED when the count is no
 * longer `seq`; WATCH_DEAD when its holder's record was marked dead; WATCH_UNKNOWN when the hold
 * names no record; else the holder's beat, which a waiter watches for progress.
 */
export function seqWatch(h: usize, seq: u32): i32 {
  if (!ASC_FEATURE_THREADS) return WATCH_MOVED;
  let v = atomic.load<u64>(h + H_SEQ);
  if (<u32>v != seq || (seq & 1) == 0) return WATCH_MOVED;
  let holder = holderOf(v);
  return holder == 0 ? WATCH_UNKNOWN : threadWatch(holder);
}

/** The thread record of map h's holder while it holds it at count `seq`, else 0. */
export function seqHolder(h: usize, seq: u32): usize {
  if (!ASC_FEATURE_THREADS) return 0;
  let v = atomic.load<u64>(h + H_SEQ);
  return <u32>v == seq && (seq & 1) != 0 ? holderOf(v) : 0;
}

/**
 * Map h is locked at count `seq` (odd) by a thread known dead (seqWatch said WATCH_DEAD, or its beat
 * has not moved for recoveryTime as the calling thread watched it). Take the lock over (seq -> seq +
 * 2, still odd, in one compare-and-swap that also names this thread the holder, so only one thread
 * recovers and the dead holder's own release can no longer succeed), restore the before-images of its
 * write if its log is for this very hold, and hold the lock, its write undone.
 */
export function seqRecover(h: usize, seq: u32): i32 {
  if (!ASC_FEATURE_THREADS) return RECOVER_MOVED;
  let r = takeOver(h, seq);
  if (r != RECOVER_TAKEN) return r;
  // A table whose holder died between taking it and backing off from a held root: a whole-map write
  // may be running; give the table back (its dead write, if any, undone) and let the caller take it
  // the ordinary way, which waits for the root.
  let root = <usize>load<u32>(h + H_ROOT);
  if (root != 0 && (atomic.load<u32>(root + H_SEQ) & 1) != 0) {
    release(h, seq + 2);
    return RECOVER_MOVED;
  }
  if (!hold(h, seq + 2)) return RECOVER_MOVED;
  return r;
}

/**
 * seqRecover for a thread that holds a shared map's root and waits for table h: the dead holder's
 * write undone, the table is released at once, and this instance's own hold and log are left as
 * they are.
 */
export function seqRecoverFree(h: usize, seq: u32): i32 {
  if (!ASC_FEATURE_THREADS) return RECOVER_MOVED;
  let r = takeOver(h, seq);
  if (r == RECOVER_TAKEN) release(h, seq + 2);
  return r;
}

/** The first half of a recovery: the lock taken over and the dead write undone (RECOVER_TAKEN), or RECOVER_MOVED / RECOVER_BROKEN. */
function takeOver(h: usize, seq: u32): i32 {
  if (!ASC_FEATURE_THREADS) return RECOVER_MOVED;
  if (atomic.load<u32>(h + H_LOG) == LOG_BROKEN) return RECOVER_BROKEN;
  let v = atomic.load<u64>(h + H_SEQ);
  if ((seq & 1) == 0 || <u32>v != seq) return RECOVER_MOVED;
  let dead = holderOf(v);
  // Said in this thread's record before the lock names it: if it dies in the middle of the undo, the
  // next recoverer (which finds the lock held by this dead thread) undoes the same write again:
  // restoring before-images is idempotent.
  logClaimUndo(h, seq + 2, dead);
  if (atomic.cmpxchg<u64>(h + H_SEQ, v, pack(seq + 2, ownRecord())) != v) {
    logClaimDone();
    return RECOVER_MOVED;
  }
  memoryOrder();
  let r = undoHold(dead, h, seq);
  logClaimDone();
  if (r == RECOVER_BROKEN) atomic.store<u32>(h + H_LOG, LOG_BROKEN);
  return r;
}

/**
 * Undo what the dead thread whose record is l did under its hold of map h at count `seq`: its own
 * write if its log is for that hold (a log not for it: the holder died before it logged anything, so
 * before it stored anything, as hold() checks), else the recovery it was making (its claim), and so
 * on down a chain of recoverers that died in turn. Then its hold of the allocator, if any.
 */
function undoHold(l: usize, h: usize, seq: u32): i32 {
  while (l != 0) {
    if (logIsFor(l, h, seq)) {
      if (!logCommitted(l)) {
        if (logLost(l)) return RECOVER_BROKEN;
        logUndo(l);
      } // else it died committed, in the frees its write deferred: the write stands, those blocks leak
      heapReleaseDead(l); // it may have died inside the allocator, called from this write
      return RECOVER_TAKEN;
    }
    heapReleaseDead(l);
    l = logUndoing(l, h, seq);
    seq -= 2;
  }
  return RECOVER_TAKEN;
}
