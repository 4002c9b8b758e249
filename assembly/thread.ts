// A thread's record (shared build): what the other threads of a memory know of this one.
//
// Each thread that instantiates the shared build on a memory has one record there: 64 bytes, which
// are also the header of its write log (wlog.ts makes the record, keeps the memory's list of records,
// and owns the log's fields of the header). Lock words name their holder by its record (futex.ts,
// lock.ts), and a thread waiting for a holder reads the holder's record: `dead`, set by a thread that
// had proof of its death (bindings/threads.ts), or its `beat`, which a live holder moves as it works
// under a lock. This file is below the allocator and the write log: it allocates nothing.
//
//   record, the thread's fields (the others are the log's, wlog.ts):
//   28 tid (Node's threadId; 0 where there is none)   32 dead   36 beat   40 next (the list)
//   56 lock id (the Web Lock the thread holds for its life: bindings/threads.ts; 0 if none)
//   60 result word (what this thread's last get says beyond its value: resultWord below)

/** Bytes of a record (and of a write log's header): one cache line, so that threads' records never share one. */
export const RECORD_SIZE: usize = 64;
/** The thread's id where the platform has one (Node's threadId), else 0. */
export const R_TID: usize = 28;
/** Set (1) by a thread that has proof this one died. */
export const R_DEAD: usize = 32;
/** Progress: moved by the thread while it works under a lock (threadBeat). */
export const R_BEAT: usize = 36;
/** The next record on the memory's list of records (wlog.ts), 0 at the end. */
export const R_NEXT: usize = 40;
/** The word a browser thread's Web Lock is named by (bindings/threads.ts), 0 if none. */
export const R_NAMED: usize = 56;

/** The thread's result word: what its last get said beyond the value it returned (RES_* bits). */
export const R_RESULT: usize = 60;

/** This instance's record; 0 until the write log makes it (wlog.ts logInit). */
let record: usize = 0;

/**
 * The result word: what the last get of this instance said beyond its value, which the JS side reads
 * through a view (a WebAssembly.Global read costs about as much as a lookup): RES_FOUND, the get of
 * a float64 or bigint value found its key (those values have no spare bit pattern for "missing");
 * RES_TORN, a validated get (ops.ts sget) overlapped a write. Each such get writes the whole word.
 * A static word in the private build; the record's R_RESULT in the shared build, where each thread
 * needs its own (until the log makes the record, a static word, which no get uses).
 */
let resultAt: usize = memory.data(4, 4);
export const RES_FOUND: u32 = 1;
export const RES_TORN: u32 = 2;

/** This instance's record is at l (wlog.ts logInit, once). */
export function setOwnRecord(l: usize): void {
  record = l;
  resultAt = l + R_RESULT;
}

/** Where this instance's result word is. */
// @ts-ignore: decorator
@inline export function resultWord(): usize {
  return resultAt;
}

/** Set the result word (only this thread writes its own). */
// @ts-ignore: decorator
@inline export function setResult(r: u32): void {
  store<u32>(resultAt, r);
}

/** This instance's record (0 before logInit): what its lock words name. */
// @ts-ignore: decorator
@inline export function ownRecord(): usize {
  return record;
}

/** threadWatch's answer for a record marked dead. */
export const WATCH_DEAD: i32 = -3;

/** This thread is working under a lock (a batch's chunk, a slice of a wait, a stretch of zeroing): move its beat, so that its waiters see progress. */
// @ts-ignore: decorator
@inline export function threadBeat(): void {
  if (!ASC_FEATURE_THREADS || record == 0) return;
  atomic.store<u32>(record + R_BEAT, load<u32>(record + R_BEAT) + 1); // only this thread writes it
}

/** What a waiter knows of the thread whose record is l: WATCH_DEAD when it was proved dead, else its beat (30 bits, >= 0). */
export function threadWatch(l: usize): i32 {
  if (atomic.load<u32>(l + R_DEAD) != 0) return WATCH_DEAD;
  return <i32>(atomic.load<u32>(l + R_BEAT) & 0x3FFF_FFFF);
}

/** This thread's Web Lock word (bindings/threads.ts: its id, and a mark once the lock is held). */
export function threadNamed(id: u32): void {
  if (ASC_FEATURE_THREADS && record != 0) atomic.store<u32>(record + R_NAMED, id);
}

/** The Web Lock word of the thread of record l, 0 if none. */
export function threadLockId(l: usize): u32 {
  return atomic.load<u32>(l + R_NAMED);
}
