// Locking in the shared build: the allocator's lock, and the helpers readers
// use to stay safe while a writer changes the map under them.
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
//     moved. Those waits are in JS (bindings/shared.ts), which has a clock for
//     lockTimeout and knows whether the thread may block.
//   - The allocator is shared by every map of a memory: its lock (A_LOCK) is
//     taken here, inside alloc and free, because they are called from deep in
//     the map code. Lock order: a map's lock, then the allocator's.
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
// The allocator's lock word is 0 (free), 1 (held), 2 (held, someone may be
// waiting): Drepper's futex mutex, with memory.atomic.wait32/notify.

import { H_SEQ, H_WAITERS, H_WANT, H_LOG, H_ROOT, LOG_BROKEN } from "./layout";
import { logBegin, logEnd, logCommit, logUndo, logIsFor, logLost, logCommitted, logRestamp, ownLog } from "./wlog";
import { heapReleaseDead } from "./alloc";

/** Set by the JS side: 0 where the thread may not block (a browser page's main thread): spin instead. */
export let canBlock: i32 = 1;
/** Set by the JS side: how long a lock wait may take, in nanoseconds. */
export let lockTimeoutNs: i64 = 5_000_000_000;
/** Set when a lock wait timed out (per call); the JS side turns the failure into a LockTimeoutError. */
export let lockTimedOut: i32 = 0;

/** Set lockTimedOut (for alloc.ts: an imported global cannot be assigned). */
export function noteTimeout(): void {
  lockTimedOut = 1;
}

/** Spins before a contended lock waits: the allocator holds it for well under a microsecond. */
const SPINS: i32 = 200;
/** Spins between clock reads while spinning instead of waiting. */
const SPIN_CHUNK: i32 = 1000;

// @ts-ignore: decorator
@external("env", "now")
declare function now(): f64;

/** Lock word states (low bits); the bits above count the lock's holders, so that every hold has its own word value. */
const FREE: u32 = 0;
const HELD: u32 = 1;
const CONTENDED: u32 = 2;
const STATE: u32 = 3;
const GEN_ONE: u32 = 4;

/** What lockWord did: no lock (timed out), the lock, or the lock of a holder presumed dead (the caller undoes its half-done work). */
export const LOCK_FAILED: i32 = 0;
export const LOCK_TAKEN: i32 = 1;
export const LOCK_TAKEN_OVER: i32 = 2;

/** The word value (holder count bits) of the allocator's lock this instance holds. */
let heldWord: u32 = 0;

/**
 * Take the lock word at w (the allocator's): Drepper's futex mutex, whose word also counts its holders.
 * A holder that keeps the lock past lockTimeoutNs, measured from when a waiter first saw that very
 * hold, is presumed dead: the waiter takes the lock over with one compare-and-swap on the word it saw
 * (so a new hold in between cannot be mistaken for the dead one) and returns LOCK_TAKEN_OVER.
 */
// @ts-ignore: decorator
@inline export function lockWord(w: usize): i32 {
  if (!ASC_FEATURE_THREADS) return LOCK_TAKEN;
  let v = atomic.load<u32>(w);
  if ((v & STATE) == FREE && atomic.cmpxchg<u32>(w, v, (v + GEN_ONE) | HELD) == v) {
    heldWord = (v + GEN_ONE) & ~STATE;
    return LOCK_TAKEN;
  }
  return lockSlow(w);
}

/** Release the lock word at w, waking one waiter if there may be one; false when this thread was presumed dead meanwhile (the lock is another's now: left alone). */
// @ts-ignore: decorator
@inline export function unlockWord(w: usize): bool {
  if (!ASC_FEATURE_THREADS) return true;
  for (;;) {
    let v = atomic.load<u32>(w);
    if ((v & ~STATE) != heldWord || (v & STATE) == FREE) return false;
    if (atomic.cmpxchg<u32>(w, v, v & ~STATE) == v) {
      if ((v & STATE) == CONTENDED) atomic.notify(w, 1);
      return true;
    }
  }
  return false; // unreachable
}

/** Take the lock word at w from its holder, whoever it is, at once (it is known to be dead); false when it is free. */
export function lockTakeOver(w: usize): bool {
  for (;;) {
    let v = atomic.load<u32>(w);
    if ((v & STATE) == FREE) return false;
    if (atomic.cmpxchg<u32>(w, v, ((v + GEN_ONE) & ~STATE) | CONTENDED) == v) {
      heldWord = (v + GEN_ONE) & ~STATE;
      return true;
    }
  }
  return false; // unreachable
}

function lockSlow(w: usize): i32 {
  for (let i = 0; i < SPINS; i++) {
    let v = atomic.load<u32>(w);
    if ((v & STATE) == FREE && atomic.cmpxchg<u32>(w, v, (v + GEN_ONE) | HELD) == v) {
      heldWord = (v + GEN_ONE) & ~STATE;
      return LOCK_TAKEN;
    }
  }
  let timeout = <f64>lockTimeoutNs / 1e6;
  let seen: u32 = 0; // the hold being waited for (its word without the state bits)
  let deadline: f64 = 0;
  for (;;) {
    let v = atomic.load<u32>(w);
    if ((v & STATE) == FREE) {
      // Taken as contended: other threads may still wait.
      if (atomic.cmpxchg<u32>(w, v, (v + GEN_ONE) | CONTENDED) == v) {
        heldWord = (v + GEN_ONE) & ~STATE;
        return LOCK_TAKEN;
      }
      continue;
    }
    if ((v & STATE) == HELD) {
      if (atomic.cmpxchg<u32>(w, v, (v & ~STATE) | CONTENDED) != v) continue;
      v = (v & ~STATE) | CONTENDED;
    }
    let t = now();
    if ((v & ~STATE) != seen || deadline == 0) {
      seen = v & ~STATE; // a new hold: its own lockTimeout starts now
      deadline = t + timeout;
    } else if (t >= deadline) {
      if (atomic.cmpxchg<u32>(w, v, (v + GEN_ONE) & ~STATE | CONTENDED) == v) {
        heldWord = (v + GEN_ONE) & ~STATE;
        return LOCK_TAKEN_OVER;
      }
      continue;
    }
    if (canBlock) {
      memory.atomic.wait32(w, v, <i64>((deadline - t) * 1e6) + 1);
    } else {
      for (let i = 0; i < SPIN_CHUNK && atomic.load<u32>(w) == v; i++) {}
    }
  }
  return LOCK_FAILED; // unreachable
}

/** Set by a validated read (index.ts sget_*) whose lookup a write overlapped: the JS side then takes its waiting path. Per call, per instance. */
export let readTorn: i32 = 0;

/** A map's sequence count, at w (its H_SEQ field): even when no write is in progress. A plain load in the private build, where it stays 0. */
// @ts-ignore: decorator
@inline export function seqCount(w: usize): u32 {
  if (!ASC_FEATURE_THREADS) return load<u32>(w);
  return atomic.load<u32>(w);
}

/** Whether a read that started at count s (of the count at w) saw no write: s even and the count unchanged; else readTorn is set. */
// @ts-ignore: decorator
@inline export function seqValid(w: usize, s: u32): bool {
  if ((s & 1) == 0 && seqCount(w) == s) return true;
  readTorn = 1;
  return false;
}

/** Returned by a locked write (index.ts wset_*, wdel_*; wadd_* says it in `status`) that found another write holding the map: the JS side then waits for it. */
export const WRITE_BUSY: i32 = -2;

/** The header of the map whose writers' lock this instance holds, 0 when none (see write_abort in index.ts). */
export let heldMap: usize = 0;
/** The sequence count (odd) of the hold: the value a release or a recovery compares against. */
let heldSeq: u32 = 0;

/** Returned by a locked write whose thread held the map so long that another thread presumed it dead and undid the write. */
export const WRITE_DEAD: i32 = -3;
/** What recovery did: the count had moved (no recovery), the lock taken over (its dead write undone), or the map is broken (a write that could not be logged was cut short). */
export const RECOVER_MOVED: i32 = 0;
export const RECOVER_TAKEN: i32 = 1;
export const RECOVER_BROKEN: i32 = 2;

/** This instance now holds map h's lock at sequence count `seq` (odd): log the write (wlog.ts). */
// @ts-ignore: decorator
@inline function hold(h: usize, seq: u32): void {
  heldMap = h;
  heldSeq = seq;
  store<u32>(h + H_LOG, <u32>logBegin(h, seq));
}

/** Set by seqTryLock when it failed because the map's root (stripes.ts) was held, not the table: the JS side then waits for the root. */
export let rootBusy: i32 = 0;

/**
 * Take map h's writers' lock, its sequence count (even -> odd), if no write holds it now and no
 * starving thread has claimed the map (unless `ignoreClaim`): one compare-and-swap, no waiting (waits
 * are the JS side's, which has the clock and knows whether the thread may block). The write is logged
 * from here on. Always true in the private build.
 *
 * A table of a shared map (H_ROOT set, stripes.ts) is taken only while its root's lock is free (and
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
  let s = atomic.load<u32>(h + H_SEQ);
  if ((s & 1) != 0 || atomic.cmpxchg<u32>(h + H_SEQ, s, s + 1) != s) return false;
  if (r != 0 && (atomic.load<u32>(r + H_SEQ) & 1) != 0) {
    backOff(h, s + 1);
    return false;
  }
  hold(h, s + 1);
  return true;
}

/** A table taken while its root was held: give it back unchanged (odd -> even) and say the root is busy. */
function backOff(h: usize, s: u32): void {
  rootBusy = 1;
  if (atomic.cmpxchg<u32>(h + H_SEQ, s, s + 1) == s && atomic.load<u32>(h + H_WAITERS) != 0) atomic.notify(h + H_SEQ, -1);
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
  if (atomic.cmpxchg<u32>(h + H_SEQ, s, s + 1) == s && atomic.load<u32>(h + H_WAITERS) != 0) atomic.notify(h + H_SEQ, -1);
  return true;
}

/** A write of this instance that threw (a trap, or the stack ran out in it): undo it and release the lock. */
export function seqAbort(): void {
  if (!ASC_FEATURE_THREADS || heldMap == 0) return;
  logEnd();
  let l = ownLog();
  if (!logLost(l)) logUndo(l);
  let h = heldMap;
  let s = heldSeq;
  heldMap = 0;
  if (atomic.cmpxchg<u32>(h + H_SEQ, s, s + 1) == s && atomic.load<u32>(h + H_WAITERS) != 0) atomic.notify(h + H_SEQ, -1);
}

/**
 * Map h has been locked at count `seq` (odd) for longer than lockTimeout, as the calling thread saw:
 * presume the holder dead. Take the lock over (seq -> seq + 2, still odd, in one compare-and-swap, so
 * only one thread recovers and the dead holder's own release can no longer succeed), restore the
 * before-images of its write if its log is for this very hold, and hold the lock, its write undone.
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
    if (atomic.cmpxchg<u32>(h + H_SEQ, seq + 2, seq + 3) == seq + 2) atomic.notify(h + H_SEQ, -1);
    return RECOVER_MOVED;
  }
  hold(h, seq + 2);
  return r;
}

/**
 * The hold of this instance is still its own (the count unchanged): move it to count + 2 (still odd),
 * so that threads waiting for it see a new hold and start their lockTimeout again. A whole-map write
 * calls it while it waits for a table held by a dead thread (up to lockTimeout a table): without it,
 * threads waiting for the root would presume the live whole-map writer dead too. False when this
 * instance was presumed dead meanwhile (its write, not begun, was undone: nothing to do but fail).
 */
export function seqRenew(): bool {
  if (!ASC_FEATURE_THREADS || heldMap == 0) return false;
  let h = heldMap;
  let s = heldSeq;
  if (atomic.cmpxchg<u32>(h + H_SEQ, s, s + 2) != s) return false;
  heldSeq = s + 2;
  logRestamp(ownLog(), s + 2);
  return true;
}

/**
 * seqRecover for a thread that holds a shared map's root and waits for table h: the dead holder's
 * write undone, the table is released at once (seq + 3), and this instance's own hold and log are
 * left as they are.
 */
export function seqRecoverFree(h: usize, seq: u32): i32 {
  if (!ASC_FEATURE_THREADS) return RECOVER_MOVED;
  let r = takeOver(h, seq);
  if (r == RECOVER_TAKEN && atomic.cmpxchg<u32>(h + H_SEQ, seq + 2, seq + 3) == seq + 2) atomic.notify(h + H_SEQ, -1);
  return r;
}

/** The first half of a recovery: the lock taken over and the dead write undone (RECOVER_TAKEN), or RECOVER_MOVED / RECOVER_BROKEN. */
function takeOver(h: usize, seq: u32): i32 {
  if (!ASC_FEATURE_THREADS) return RECOVER_MOVED;
  if (atomic.load<u32>(h + H_LOG) == LOG_BROKEN) return RECOVER_BROKEN;
  if ((seq & 1) == 0 || atomic.cmpxchg<u32>(h + H_SEQ, seq, seq + 2) != seq) return RECOVER_MOVED;
  let l = <usize>atomic.load<u32>(h + H_LOG);
  // A log not for this hold: the holder died before it logged anything, so before it changed anything.
  if (l != 0 && logIsFor(l, h, seq)) {
    // The log now names the recoverer's count, so that if this thread dies in the middle of the undo,
    // the next recoverer (which sees seq + 2) undoes it again: restoring before-images is idempotent.
    logRestamp(l, seq + 2);
    if (!logCommitted(l)) {
      if (logLost(l)) {
        atomic.store<u32>(h + H_LOG, LOG_BROKEN);
        return RECOVER_BROKEN;
      }
      logUndo(l);
    } // else it died committed, in the frees its write deferred: the write stands, those blocks leak
    heapReleaseDead(l); // it may have died inside the allocator, called from this write
  }
  return RECOVER_TAKEN;
}

/** Whether [p, p + size) lies in memory: a reader checks a block it found through a pointer that may be torn. */
// @ts-ignore: decorator
@inline export function inMemory(p: usize, size: usize): bool {
  if (!ASC_FEATURE_THREADS) return true;
  return <u64>p + <u64>size <= <u64>memory.size() << 16;
}

/** Most buckets a chain walk may visit: unbounded in the private build; in the shared build the overflow buckets the map has, plus its first, so that a torn pointer cycle cannot loop forever. */
// @ts-ignore: decorator
@inline export function chainLimit(noverflow: u32): u32 {
  if (!ASC_FEATURE_THREADS) return 0xFFFFFFFF;
  return noverflow + 1;
}
