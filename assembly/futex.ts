// The allocator's lock and the fence marker (shared build): the lowest layer of the core's locking.
//
// The allocator is shared by every map of a memory, and its lock (A_LOCK, alloc.ts) is taken inside
// alloc and free, deep in the map code. It is Drepper's futex mutex (memory.atomic.wait32/notify):
// the word is 0 (free), 1 (held), 2 (held, someone may be waiting) in its low bits, and the bits
// above count its holds, so that every hold has its own value. The word is 64 bits with its holder's
// thread record (thread.ts) in the high half, set by the same compare-and-swap, so that a waiter
// always knows whose hold it waits for. A holder is taken over only when known dead: its record
// marked, or the same hold at the same beat seen for recoveryNs (isDead; docs/design.md, "Dead
// threads"). A map's own lock, the seqlock, is lock.ts; it shares pack, holderOf and memoryOrder.
//
// The globals below that the JS side sets (canBlock, lockTimeoutNs, recoveryNs) serve every wait of
// the core. In the private build (no threads) the lock compiles to nothing.

import { ownRecord, threadBeat, threadWatch, WATCH_DEAD } from "./thread";

/** Set by the JS side: 0 where the thread may not block (a browser page's main thread): spin instead. */
export let canBlock: i32 = 1;
/** Set by the JS side: how long a lock wait may take before it gives up, in nanoseconds. */
export let lockTimeoutNs: i64 = 5_000_000_000;
/** Set by the JS side: how long a lock's holder must make no progress before a waiter presumes it dead, where no proof of its death came (nanoseconds). */
export let recoveryNs: i64 = 10_000_000_000;
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
/** Longest single wait (ms): a waiter looks at its holder's record this often (a death proved meanwhile). */
const WAIT_SLICE_MS: f64 = 2;

// @ts-ignore: decorator
@external("env", "now")
declare function now(): f64;

// Memory order on weakly ordered CPUs (ARM64 and others; docs/design.md, "Memory order"). A seqlock
// needs a reader's plain loads of the map done before its second read of the count, and a writer's
// count made odd before its plain stores. x86 keeps loads in order and stores in order, so nothing is
// needed there; elsewhere an `atomic.fence` is. AssemblyScript 0.28 cannot emit one at -O3 (binaryen
// drops the fence it makes), so the code calls this marker where a fence belongs, and the build
// (assembly/fences.mjs) replaces each call by `atomic.fence`, which the loader turns into nops where
// the CPU is x86 (bindings/load.ts). It is never called at run time.
// @ts-ignore: decorator
@external("env", "order")
declare function orderMarker(): void;

/** A full fence where the CPU needs one: between a validated read's loads and its second read of the count, and between taking a lock and the first store under it. */
// @ts-ignore: decorator
@inline export function memoryOrder(): void {
  if (ASC_FEATURE_THREADS) orderMarker();
}

/** A lock word of 64 bits: the word proper (low 32 bits) and its holder's thread record (high 32 bits, thread.ts; 0 when free or not known). */
// @ts-ignore: decorator
@inline export function pack(word: u32, holder: usize): u64 {
  return (<u64>holder << 32) | <u64>word;
}
// @ts-ignore: decorator
@inline export function holderOf(v: u64): usize {
  return <usize>(v >> 32);
}

/** Allocator lock word states (low bits); the bits above count the lock's holders, so that every hold has its own word value. */
const FREE: u32 = 0;
const HELD: u32 = 1;
const CONTENDED: u32 = 2;
const STATE: u32 = 3;
const GEN_ONE: u32 = 4;

/** What lockWord did: no lock (timed out), the lock, or the lock of a dead holder (the caller undoes its half-done work). */
export const LOCK_FAILED: i32 = 0;
export const LOCK_TAKEN: i32 = 1;
export const LOCK_TAKEN_OVER: i32 = 2;

/** The word value (holder count bits) of the allocator's lock this instance holds. */
let heldWord: u32 = 0;

/**
 * Take the lock at w (the allocator's, 64 bits: see pack): Drepper's futex mutex, whose word also
 * counts its holders, with the holder's record beside it. A holder proved dead, or that makes no
 * progress for recoveryNs (isDead), is taken over with one compare-and-swap on the value seen (so a
 * new hold in between cannot be mistaken for the dead one): LOCK_TAKEN_OVER. LOCK_FAILED after
 * lockTimeoutNs of waiting for a live holder.
 */
// @ts-ignore: decorator
@inline export function lockWord(w: usize): i32 {
  if (!ASC_FEATURE_THREADS) return LOCK_TAKEN;
  let v = atomic.load<u64>(w);
  let word = <u32>v;
  if ((word & STATE) == FREE && atomic.cmpxchg<u64>(w, v, pack((word + GEN_ONE) | HELD, ownRecord())) == v) {
    heldWord = (word + GEN_ONE) & ~STATE;
    return LOCK_TAKEN;
  }
  return lockSlow(w);
}

/** Release the lock at w, waking one waiter if there may be one; false when this thread was presumed dead meanwhile (the lock is another's now: left alone). */
// @ts-ignore: decorator
@inline export function unlockWord(w: usize): bool {
  if (!ASC_FEATURE_THREADS) return true;
  for (;;) {
    let v = atomic.load<u64>(w);
    let word = <u32>v;
    if ((word & ~STATE) != heldWord || (word & STATE) == FREE) return false;
    if (atomic.cmpxchg<u64>(w, v, <u64>(word & ~STATE)) == v) {
      if ((word & STATE) == CONTENDED) atomic.notify(w, 1);
      return true;
    }
  }
  return false; // unreachable
}

/** Take the lock at w from `dead` at once, if `dead` holds it (it is known to be dead); false otherwise. */
export function lockTakeOver(w: usize, dead: usize): bool {
  for (;;) {
    let v = atomic.load<u64>(w);
    let word = <u32>v;
    if ((word & STATE) == FREE || holderOf(v) != dead) return false;
    if (atomic.cmpxchg<u64>(w, v, pack(((word + GEN_ONE) & ~STATE) | CONTENDED, ownRecord())) == v) {
      heldWord = (word + GEN_ONE) & ~STATE;
      return true;
    }
  }
  return false; // unreachable
}

/** The hold (word, holder, beat) the allocator's waiter last saw, and since when (now(), ms): kept across waits, so that a holder presumed dead is one that made no progress for recoveryNs in all. */
let suspectWord: u32 = 0;
let suspectHolder: usize = 0;
let suspectBeat: i32 = -1;
let suspectSince: f64 = 0;

/**
 * Whether the holder of a hold (its `word` and record `holder`, 0 if unknown) is dead: proved (its
 * record marked), or presumed, when the very same hold at the very same beat of its holder has been
 * seen for recoveryNs. Never on a guess shorter than that (docs/design.md, "Dead threads").
 */
function isDead(word: u32, holder: usize, t: f64): bool {
  let beat = holder == 0 ? -1 : threadWatch(holder);
  if (beat == WATCH_DEAD) return true;
  if (word != suspectWord || holder != suspectHolder || beat != suspectBeat || suspectSince == 0) {
    suspectWord = word;
    suspectHolder = holder;
    suspectBeat = beat;
    suspectSince = t;
    return false;
  }
  return t - suspectSince >= <f64>recoveryNs / 1e6;
}

function lockSlow(w: usize): i32 {
  for (let i = 0; i < SPINS; i++) {
    let v = atomic.load<u64>(w);
    let word = <u32>v;
    if ((word & STATE) == FREE && atomic.cmpxchg<u64>(w, v, pack((word + GEN_ONE) | HELD, ownRecord())) == v) {
      heldWord = (word + GEN_ONE) & ~STATE;
      return LOCK_TAKEN;
    }
  }
  let giveUp = now() + <f64>lockTimeoutNs / 1e6;
  for (;;) {
    let v = atomic.load<u64>(w);
    let word = <u32>v;
    if ((word & STATE) == FREE) {
      // Taken as contended: other threads may still wait.
      if (atomic.cmpxchg<u64>(w, v, pack((word + GEN_ONE) | CONTENDED, ownRecord())) == v) {
        heldWord = (word + GEN_ONE) & ~STATE;
        return LOCK_TAKEN;
      }
      continue;
    }
    if ((word & STATE) == HELD) {
      let c = (v & ~(<u64>STATE)) | <u64>CONTENDED;
      if (atomic.cmpxchg<u64>(w, v, c) != v) continue;
      v = c;
      word = <u32>c;
    }
    let t = now();
    if (isDead(word & ~STATE, holderOf(v), t)) {
      if (atomic.cmpxchg<u64>(w, v, pack(((word + GEN_ONE) & ~STATE) | CONTENDED, ownRecord())) == v) {
        heldWord = (word + GEN_ONE) & ~STATE;
        suspectSince = 0;
        return LOCK_TAKEN_OVER;
      }
      continue;
    }
    if (t >= giveUp) return LOCK_FAILED;
    // This thread may hold a map while it waits here: it is alive, and its map's waiters must see so.
    threadBeat();
    if (canBlock) {
      memory.atomic.wait32(w, word, <i64>(min(giveUp - t, WAIT_SLICE_MS) * 1e6) + 1);
    } else {
      for (let i = 0; i < SPIN_CHUNK && atomic.load<u32>(w) == word; i++) {}
    }
  }
  return LOCK_FAILED; // unreachable
}
