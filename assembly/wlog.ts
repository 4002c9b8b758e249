// The write log (shared build): how a map survives a thread that dies in the middle of a write.
//
// A worker can be terminated at any instruction (worker.terminate(), process.exit() in a worker, a
// trap), and a writing worker is almost always inside a write. So every write to a shared map is
// undoable by another thread: before it changes memory that existed before the write, the writer
// appends that memory's old bytes (a before-image) to a log of its own thread. The map's lock word
// names the holder's log (lock.ts), and the log names the map and the sequence count of the write it
// belongs to, so that a thread which knows the holder dead (proved, or silent for recoveryTime) can
// restore every before-image, last first, and go on with the map exactly as it was before that write
// began.
//
//   log header (one per module instance, that is per thread, made by logInit, never freed; it is also
//   the thread's record, whose fields 28 tid, 32 dead, 36 beat, 40 next and 56 lock id are thread.ts's):
//   0 map   4 seq   8 used (bytes of entries)   12 capacity   16 data (address of the entries)   20 lost
//   24 done (committed: the write stands; only its deferred frees may be left)
//   44 undo map   48 undo seq   52 undo log: a recovery this thread is making (the hold of map `undo map`
//   at count `undo seq` it took over from the thread whose log is `undo log`), so that if it dies in the
//   middle of the undo, the next recoverer finishes it
//
// Below the log, this file keeps the memory's list of thread records (logInit adds to it; a thread
// with proof of another's death marks that record), and the bucket setters that log their store.
//
// The log header is also the thread's record in the memory: a lock word names its holder by it
// (lock.ts), every record is on one list from the allocator's header (threadsHead), and a thread
// that learns of another's death (its exit event in Node, its Web Lock in a browser) marks that
// record dead (threadsMarkDead). Only a record marked dead, or one whose beat has not moved for
// recoveryTime while it holds a lock, lets another thread undo its write (docs/design.md).
//
//   an entry:  | addr | len | len bytes, padded to 4 | total size |    a before-image
//              | ptr  | FREE_TAG | size |            total size |    a free deferred to the commit
//
// The total size ends each entry, so the undo walks the entries backwards.
//
// - The map's header is logged as one image of its state fields when the write begins (logBegin); the
//   stores the map code makes to those fields need no entry. The protocol words after them (waiters,
//   seq, kinds, refs, want, log) are other threads' too and are never restored.
// - Memory allocated during the write needs no before-image: undone, the write no longer reaches it,
//   and it leaks (at most what one write allocates: a directory and two segments, a few overflow
//   buckets and string blocks; for setMany and clear, what the whole call allocated).
// - Frees are deferred: undoing a write that freed a block would bring back a pointer to memory
//   another thread may have been given meanwhile. They are logged and done once the write has
//   released the map; a thread that dies before that leaks them.
// - The log grows by doubling; when memory for it cannot be had, the log is marked lost and the write
//   goes on unlogged: if that thread then dies, the map cannot be restored and stays locked (the
//   behaviour before this log existed), which takes a write larger than the memory left.
//
// The log is written with plain stores, in program order: an entry before the count that makes it
// count, the before-image before the store it protects. Another thread reads a log only once its
// writer is dead (proved: a dead thread's stores are all visible), or has made no progress for
// recoveryTime (seconds: its stores are long visible on any CPU).
//
// In the private build (no threads) every function here compiles to nothing, or to a plain store.

import { alloc, free, threadsHead } from "./alloc";
import { H_STATE_END, B_TOPHASH, B_OVERFLOW } from "./layout";
import { RECORD_SIZE, R_TID, R_DEAD, R_NEXT, setOwnRecord, ownRecord } from "./thread";

/** Log header fields. */
const L_MAP: usize = 0;
const L_SEQ: usize = 4;
const L_USED: usize = 8;
const L_CAP: usize = 12;
const L_DATA: usize = 16;
const L_LOST: usize = 20;
const L_DONE: usize = 24;
/** A recovery this thread is making (the record's other fields are the thread's: thread.ts). */
const L_UNDO_MAP: usize = 44;
const L_UNDO_SEQ: usize = 48;
const L_UNDO_LOG: usize = 52;
/** Bytes of a log header: the thread's record (thread.ts). */
const LOG_HEADER: usize = RECORD_SIZE;
/** First capacity of a log's entries: a single write's before-images take a few hundred bytes; the log doubles when a write needs more. Small, because a thread's log is never given back (a thread cannot tell when it is done with a memory). */
const FIRST_CAP: usize = 4 << 10;
/** Bytes of the header image's entry, the first of every write's log (a function: layout.ts and this file import each other). */
// @ts-ignore: decorator
@inline function headerEntry(): usize {
  return ENTRY_FIXED + H_STATE_END;
}
/** `len` of an entry that is a deferred free. */
const FREE_TAG: u32 = 0xFFFF_FFFF;
/** Bytes of an entry besides its data: addr, len and the total size at its end. */
const ENTRY_FIXED: usize = 12;
/** Bytes of a deferred-free entry: ptr, FREE_TAG, size, total size. */
const FREE_ENTRY: usize = 16;

/** Frees the write being logged has deferred (logCommit walks the log only when there are some). */
let deferred: u32 = 0;
/** The map whose write this instance is logging now; 0 when none (then stores are not logged). */
export let logging: usize = 0;
/** A whole-map write of a shared map: the tables (bit i: table i, tables.ts) whose header it has logged. */
let tablesLogged: u32 = 0;

/**
 * Make this instance's log, which is also its thread record (the JS side calls it when it
 * instantiates the shared build), with the thread's id `tid` (0 where there is none), and put it on
 * the memory's list of threads; false when memory runs out.
 */
export function logInit(tid: u32): bool {
  if (!ASC_FEATURE_THREADS || ownRecord() != 0) return true;
  let l = alloc(LOG_HEADER, true);
  if (l == 0) return false;
  let data = alloc(FIRST_CAP, false);
  if (data == 0) {
    free(l, LOG_HEADER);
    return false;
  }
  store<u32>(l + L_CAP, <u32>FIRST_CAP);
  store<u32>(l + L_DATA, <u32>data);
  store<u32>(l + R_TID, tid);
  let head = threadsHead();
  for (;;) {
    let next = atomic.load<u32>(head);
    atomic.store<u32>(l + R_NEXT, next);
    if (atomic.cmpxchg<u32>(head, next, <u32>l) == next) break;
  }
  setOwnRecord(l);
  return true;
}

// ---- thread records ----------------------------------------------------------

/** Mark dead every record of this memory whose thread id is `tid` (a thread that exited, as its parent saw); returns how many. */
export function threadsMarkDead(tid: u32): i32 {
  let n = 0;
  if (!ASC_FEATURE_THREADS || tid == 0) return n;
  for (let l = <usize>atomic.load<u32>(threadsHead()); l != 0; l = <usize>atomic.load<u32>(l + R_NEXT)) {
    if (l != ownRecord() && atomic.load<u32>(l + R_TID) == tid && atomic.load<u32>(l + R_DEAD) == 0) {
      atomic.store<u32>(l + R_DEAD, 1);
      n++;
    }
  }
  return n;
}

/** The record after l on this memory's list of thread records (the first when l is 0), 0 at the end. */
export function threadAfter(l: usize): usize {
  if (!ASC_FEATURE_THREADS) return 0;
  return <usize>atomic.load<u32>(l == 0 ? threadsHead() : l + R_NEXT);
}

/** Mark the record at l dead (a thread that held a Web Lock named after it, released now); false when l is no other thread's record. */
export function threadMarkDead(l: usize): bool {
  if (!ASC_FEATURE_THREADS || l == ownRecord()) return false;
  for (let r = <usize>atomic.load<u32>(threadsHead()); r != 0; r = <usize>atomic.load<u32>(r + R_NEXT)) {
    if (r == l) {
      atomic.store<u32>(l + R_DEAD, 1);
      return true;
    }
  }
  return false;
}

/** Start logging a write of map h whose sequence count is now `seq` (odd); returns this instance's log (the record its lock word names). */
// @ts-ignore: decorator
@inline export function logBegin(h: usize, seq: u32): usize {
  let l = ownRecord();
  // Emptied before it names the hold: a log that names a hold holds only that hold's entries.
  store<u32>(l + L_USED, 0);
  store<u32>(l + L_DONE, 0);
  store<u32>(l + L_LOST, 0);
  store<u32>(l + L_MAP, <u32>h);
  store<u32>(l + L_SEQ, seq);
  // The header image: its size is fixed, so the copy is inline word moves, not a memory.copy call.
  let e = <usize>load<u32>(l + L_DATA);
  store<u32>(e, <u32>h);
  store<u32>(e, <u32>H_STATE_END, 4);
  copyHeaderState(e + 8, h);
  store<u32>(e + headerEntry() - 4, <u32>headerEntry());
  store<u32>(l + L_USED, <u32>headerEntry());
  deferred = 0;
  tablesLogged = 0;
  logging = h;
  return l;
}

/** Copy the header's state fields [0, H_STATE_END) of h to d: five vectors and a word (84 bytes), inline. */
// @ts-ignore: decorator
@inline function copyHeaderState(d: usize, h: usize): void {
  v128.store(d, v128.load(h));
  v128.store(d, v128.load(h, 16), 16);
  v128.store(d, v128.load(h, 32), 32);
  v128.store(d, v128.load(h, 48), 48);
  v128.store(d, v128.load(h, 64), 64);
  store<u32>(d, load<u32>(h, 80), 80);
}

/** Stop logging (the write is over, or undone). */
// @ts-ignore: decorator
@inline export function logEnd(): void {
  logging = 0;
}

/** Whether log l holds the write of map h whose sequence count was `seq`. */
export function logIsFor(l: usize, h: usize, seq: u32): bool {
  return atomic.load<u32>(l + L_MAP) == <u32>h && atomic.load<u32>(l + L_SEQ) == seq;
}

/** This thread is about to take map h over at count `seq` from the thread whose log is `dead`: say so in its own record first (cleared by logClaimDone). */
export function logClaimUndo(h: usize, seq: u32, dead: usize): void {
  let l = ownRecord();
  atomic.store<u32>(l + L_UNDO_LOG, 0);
  atomic.store<u32>(l + L_UNDO_MAP, <u32>h);
  atomic.store<u32>(l + L_UNDO_SEQ, seq);
  atomic.store<u32>(l + L_UNDO_LOG, <u32>dead);
}

/** The recovery logClaimUndo announced is over (or did not happen). */
export function logClaimDone(): void {
  atomic.store<u32>(ownRecord() + L_UNDO_LOG, 0);
}

/** The log whose write the thread of log l was undoing when it held map h at count `seq` (logClaimUndo), or 0. */
export function logUndoing(l: usize, h: usize, seq: u32): usize {
  let u = <usize>atomic.load<u32>(l + L_UNDO_LOG);
  if (u == 0 || atomic.load<u32>(l + L_UNDO_MAP) != <u32>h || atomic.load<u32>(l + L_UNDO_SEQ) != seq) return 0;
  return u;
}

/** Whether log l could not record all of its write (memory for it ran out). */
export function logLost(l: usize): bool {
  return atomic.load<u32>(l + L_LOST) != 0;
}

/** store<T>, with a before-image of the bytes first while a write is logged. */
// @ts-ignore: decorator
@inline export function mstore<T>(addr: usize, v: T): void {
  if (ASC_FEATURE_THREADS && logging != 0) logStoreOf<T>(addr);
  store<T>(addr, v);
}

/** logStore for one value of type T: the entry written in place (a value's before-image is the common entry). */
// @ts-ignore: decorator
@inline function logStoreOf<T>(addr: usize): void {
  if (addr - logging < H_STATE_END) return;
  let l = ownRecord();
  let used = <usize>load<u32>(l + L_USED);
  let total = ENTRY_FIXED + ((sizeof<T>() + 3) & ~3);
  if (used + total > <usize>load<u32>(l + L_CAP)) {
    append(addr, sizeof<T>());
    return;
  }
  let e = <usize>load<u32>(l + L_DATA) + used;
  store<u32>(e, <u32>addr);
  store<u32>(e, <u32>sizeof<T>(), 4);
  store<T>(e + 8, load<T>(addr));
  store<u32>(e + total - 4, <u32>total);
  store<u32>(l + L_USED, <u32>(used + total));
}

/** Log the before-image of [addr, addr + len), unless it lies in the header image taken at the start. */
export function logStore(addr: usize, len: usize): void {
  if (addr - logging < H_STATE_END) return; // unsigned: true only inside the logged header fields
  append(addr, len);
}

/**
 * A whole-map write (it holds a shared map's root, tables.ts) reaches table t, bit `bit` of the
 * map's tables: log t's header state the first time, as logBegin does for the map it locks, so that
 * the stores the map code makes to a header (plain ones) are undone too.
 */
export function logTable(t: usize, bit: u32): void {
  if ((tablesLogged & bit) != 0) return;
  tablesLogged |= bit;
  append(t, H_STATE_END);
}

/** Append a before-image entry; marks the log lost when it cannot grow. */
function append(addr: usize, len: usize): void {
  let l = ownRecord();
  let used = <usize>load<u32>(l + L_USED);
  let total = ENTRY_FIXED + ((len + 3) & ~3);
  if (used + total > <usize>load<u32>(l + L_CAP) && !grow(l, used + total)) return;
  let e = <usize>load<u32>(l + L_DATA) + used;
  store<u32>(e, <u32>addr);
  store<u32>(e, <u32>len, 4);
  switch (len) {
    case 1: store<u8>(e + 8, load<u8>(addr)); break;
    case 4: store<u32>(e + 8, load<u32>(addr)); break;
    case 8: store<u64>(e + 8, load<u64>(addr)); break;
    default: memory.copy(e + 8, addr, len);
  }
  store<u32>(e + total - 4, <u32>total);
  store<u32>(l + L_USED, <u32>(used + total)); // after the entry: it is complete before it counts
}

/**
 * Free p now, or, while a write is logged, when the write has released the map (logCommit). Returns
 * nothing: a free that cannot be logged (the log is lost) happens at once, since such a write cannot
 * be undone anyway.
 */
export function deferFree(p: usize, size: usize): void {
  if (!ASC_FEATURE_THREADS || logging == 0) {
    free(p, size);
    return;
  }
  let l = ownRecord();
  let used = <usize>load<u32>(l + L_USED);
  if (atomic.load<u32>(l + L_LOST) != 0 || (used + FREE_ENTRY > <usize>load<u32>(l + L_CAP) && !grow(l, used + FREE_ENTRY))) {
    free(p, size);
    return;
  }
  let e = <usize>load<u32>(l + L_DATA) + used;
  store<u32>(e, <u32>p);
  store<u32>(e, FREE_TAG, 4);
  store<u32>(e, <u32>size, 8);
  store<u32>(e, <u32>FREE_ENTRY, 12);
  store<u32>(l + L_USED, <u32>(used + FREE_ENTRY));
  deferred++;
}

/** Make room for `need` bytes of entries: double the capacity; false (and the log lost) when memory runs out. */
function grow(l: usize, need: usize): bool {
  if (atomic.load<u32>(l + L_LOST) != 0) return false;
  let cap = <usize>load<u32>(l + L_CAP);
  let next = cap << 1;
  while (next < need) next <<= 1;
  let data = alloc(next, false);
  if (data == 0) {
    atomic.store<u32>(l + L_LOST, 1);
    return false;
  }
  let old = <usize>load<u32>(l + L_DATA);
  memory.copy(data, old, <usize>load<u32>(l + L_USED));
  atomic.store<u32>(l + L_DATA, <u32>data);
  atomic.store<u32>(l + L_CAP, <u32>next);
  free(old, cap);
  return true;
}

/** Restore every before-image of log l, last first: its map is as it was before the write began. */
export function logUndo(l: usize): void {
  let data = <usize>atomic.load<u32>(l + L_DATA);
  let pos = <usize>atomic.load<u32>(l + L_USED);
  while (pos > 0) {
    let start = pos - <usize>load<u32>(data + pos - 4);
    let e = data + start;
    let len = load<u32>(e, 4);
    if (len != FREE_TAG) memory.copy(<usize>load<u32>(e), e + 8, <usize>len);
    pos = start;
  }
}

/** Whether log l's write was committed (a recoverer then no longer undoes it). */
export function logCommitted(l: usize): bool {
  return atomic.load<u32>(l + L_DONE) != 0;
}

/** Commit this instance's write, while it still holds its map: mark the log committed, then do the frees it deferred. */
// @ts-ignore: decorator
@inline export function logCommit(): void {
  store<u32>(ownRecord() + L_DONE, 1);
  if (deferred != 0) commitFrees();
}

/** The frees the committed write deferred. */
function commitFrees(): void {
  let l = ownRecord();
  let data = <usize>load<u32>(l + L_DATA);
  let used = <usize>load<u32>(l + L_USED);
  let pos: usize = 0;
  while (pos < used) {
    let e = data + pos;
    if (load<u32>(e, 4) == FREE_TAG) free(<usize>load<u32>(e), <usize>load<u32>(e, 8));
    pos += entrySize(e);
  }
}

/** Total bytes of the entry at e. */
// @ts-ignore: decorator
@inline function entrySize(e: usize): usize {
  let len = load<u32>(e, 4);
  return len == FREE_TAG ? FREE_ENTRY : ENTRY_FIXED + ((<usize>len + 3) & ~3);
}

// ---- logged stores into buckets -------------------------------------------------

// @ts-ignore: decorator
@inline export function setTophash(b: usize, slot: u32, top: u8): void {
  mstore<u8>(b + B_TOPHASH + <usize>slot, top);
}
// @ts-ignore: decorator
@inline export function setOverflow(b: usize, ovf: usize): void {
  mstore<u32>(b + B_OVERFLOW, <u32>ovf);
}
