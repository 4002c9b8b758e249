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

/** Set by the JS side: 0 where the thread may not block (a browser page's main thread): spin instead. */
export let canBlock: i32 = 1;
/** Set by the JS side: how long a lock wait may take, in nanoseconds. */
export let lockTimeoutNs: i64 = 5_000_000_000;
/** Set when a lock wait timed out (per call); the JS side turns the failure into a LockTimeoutError. */
export let lockTimedOut: i32 = 0;

/** Spins before a contended lock waits: the allocator holds it for well under a microsecond. */
const SPINS: i32 = 200;
/** Spins between clock reads while spinning instead of waiting. */
const SPIN_CHUNK: i32 = 1000;

// @ts-ignore: decorator
@external("env", "now")
declare function now(): f64;

/** Take the lock word at w; false (and lockTimedOut set) if that takes longer than lockTimeoutNs. */
// @ts-ignore: decorator
@inline export function lockWord(w: usize): bool {
  if (!ASC_FEATURE_THREADS) return true;
  if (atomic.cmpxchg<u32>(w, 0, 1) == 0) return true;
  return lockSlow(w);
}

/** Release the lock word at w, waking one waiter if there may be one. */
// @ts-ignore: decorator
@inline export function unlockWord(w: usize): void {
  if (!ASC_FEATURE_THREADS) return;
  if (atomic.xchg<u32>(w, 0) == 2) atomic.notify(w, 1);
}

function lockSlow(w: usize): bool {
  for (let i = 0; i < SPINS; i++) {
    if (atomic.load<u32>(w) == 0 && atomic.cmpxchg<u32>(w, 0, 1) == 0) return true;
  }
  let deadline = now() + <f64>lockTimeoutNs / 1e6;
  while (atomic.xchg<u32>(w, 2) != 0) {
    if (canBlock) {
      let left = (deadline - now()) * 1e6;
      if (left <= 0 || memory.atomic.wait32(w, 2, <i64>left) == 2 && now() >= deadline) {
        lockTimedOut = 1;
        return false;
      }
    } else {
      for (let i = 0; i < SPIN_CHUNK && atomic.load<u32>(w) != 0; i++) {}
      if (now() >= deadline) {
        lockTimedOut = 1;
        return false;
      }
    }
  }
  return true;
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

/** The count word of the lock this instance's locked write holds, 0 when none (see write_abort in index.ts). */
export let heldSeq: usize = 0;

/**
 * Take a map's writers' lock, its sequence count at w (even -> odd), if no write holds it now and no
 * starving thread has claimed the map (its H_WANT word at `want` is 0): one
 * compare-and-swap, no waiting (waits are the JS side's, which has the clock and knows whether the
 * thread may block). Always true in the private build.
 */
// @ts-ignore: decorator
@inline export function seqTryLock(w: usize, want: usize): bool {
  if (!ASC_FEATURE_THREADS) return true;
  // A starving thread's claim (H_WANT): defer to it; the JS side decides whether it still holds.
  if (atomic.load<u32>(want) != 0) return false;
  let s = atomic.load<u32>(w);
  if ((s & 1) != 0 || atomic.cmpxchg<u32>(w, s, s + 1) != s) return false;
  heldSeq = w;
  return true;
}

/** Release the lock taken by seqTryLock (odd -> even), waking every thread that waits on it if the waiter count at `waiters` says there may be one. */
// @ts-ignore: decorator
@inline export function seqUnlock(w: usize, waiters: usize): void {
  if (!ASC_FEATURE_THREADS) return;
  heldSeq = 0;
  atomic.add<u32>(w, 1);
  if (atomic.load<u32>(waiters) != 0) atomic.notify(w, -1);
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
