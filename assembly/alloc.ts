// The allocator: segregated free lists over a bump region, all state in linear memory.
//
// Every map, bucket segment, overflow bucket, directory and iterator slot comes
// from here. Its state is a header at the start of the heap (ALLOC_BASE), not in
// wasm globals and not in the AssemblyScript runtime, so that a second module
// instance on the same memory (a worker, later) sees the same heap.
//
//   ALLOC_BASE
//   | magic | top | hiterFree | hiterChunks | free-list heads [CLASS_COUNT] ... | heap ...
//
// Allocation is sized: the caller passes the size to `free` as well, so blocks
// carry no header. Sizes fall into classes, each with a singly linked free list
// threaded through the first word of its free blocks:
//
//   - up to SMALL_MAX bytes: one class per 16 bytes (an 80-byte overflow bucket
//     is reused as exactly 80 bytes);
//   - up to LARGE_MAX: one class per 4 KiB page; these blocks are page aligned,
//     so a segment never shares a page with anything else and the pages of a
//     freed segment are reused whole by the next one;
//   - above LARGE_MAX: one first-fit list of exact sizes.
//
// Fresh memory (above `top`) is zero because wasm memory starts zeroed and is
// never written above `top`; recycled blocks are zeroed on request. Nothing is
// ever returned to the operating system: wasm memory cannot shrink.

/** Written at ALLOC_BASE once the allocator is initialised. */
import { lockWord, unlockWord, lockTakeOver, noteTimeout, LOCK_FAILED, LOCK_TAKEN_OVER } from "./lock";
import { ownLog } from "./wlog";

const MAGIC: u32 = 0x74_6f_70_68; // "toph"
/** Granularity of small classes: 16 keeps buckets and pairs aligned. */
const SMALL_STEP: usize = 16;
/** Largest small class: one page. */
const SMALL_MAX: usize = 4096;
/** Page size of the large classes. */
const PAGE: usize = 4096;
/** Largest large class: 8 MiB, far above the biggest segment (72 KiB) and directory (512 KiB). */
const LARGE_MAX: usize = 8 << 20;
const SMALL_CLASSES: usize = SMALL_MAX / SMALL_STEP; // 256
const LARGE_CLASSES: usize = LARGE_MAX / PAGE; // 2048
/** Small classes, large classes, and the one list for huge blocks. */
const CLASS_COUNT: usize = SMALL_CLASSES + LARGE_CLASSES + 1;
/** Cache-line size: arrays whose size is a multiple of it are aligned to it. */
export const CACHE_LINE: usize = 64;
/** Wasm page size, for memory.grow. */
const WASM_PAGE: usize = 65536;
/** Largest step memory grows by at once: 64 MiB (it doubles below that). */
const GROW_STEP_MAX_PAGES: i32 = 1024;
/** Bytes a wasm32 memory can address. */
export const ADDRESS_SPACE: u64 = 1 << 32;

// Allocator header fields, from ALLOC_BASE.
const A_MAGIC: usize = 0;
const A_TOP: usize = 4;
/** Free list of iterator slots (see iter.ts). */
export const A_HITER_FREE: usize = 8;
/** Iterator slots ever created (the pool's size). */
export const A_HITER_TOTAL: usize = 12;
/** The allocator's lock word (shared build; see lock.ts): it guards everything in this header. */
const A_LOCK: usize = 16;
/**
 * The lock holder's undo log (shared build): the old value of every word it changed, so that a thread
 * that takes the lock over from a holder presumed dead (lock.ts) can put the allocator back as it was
 * (undoHeap). An allocation or a free changes at most 3 words, a hiter pool operation 5; 16 entries.
 */
const A_UNDO_N: usize = 20;
/** The lock holder's thread (its write log's address, wlog.ts) while it holds the lock, else 0: a thread presumed dead while it holds a map is dead for the allocator too (heapTakeOverFrom). */
const A_OWNER: usize = 24;
const A_UNDO: usize = 32;
const UNDO_MAX: u32 = 16;
const A_CLASSES: usize = A_UNDO + <usize>UNDO_MAX * 8 + 32;
const A_SIZE: usize = A_CLASSES + CLASS_COUNT * 4;

/** Where the allocator's header lives: the start of the heap, cache-line aligned. */
// @ts-ignore: decorator
@inline export function allocBase(): usize {
  return (__heap_base + CACHE_LINE - 1) & ~(CACHE_LINE - 1);
}

/** Take the allocator's lock (nothing in the private build); false when the wait timed out. A lock taken over from a dead holder is put back first. */
export function lockHeap(): bool {
  let base = allocBase();
  let r = lockWord(base + A_LOCK);
  if (r == LOCK_FAILED) return false;
  if (ASC_FEATURE_THREADS) {
    if (r == LOCK_TAKEN_OVER) undoHeap(base);
    store<u32>(base + A_UNDO_N, 0);
    atomic.store<u32>(base + A_OWNER, <u32>ownLog());
  }
  return true;
}

/** Release the allocator's lock; false (and lockTimedOut set) when this thread held it so long that another presumed it dead and undid its work. */
export function unlockHeap(): bool {
  let base = allocBase();
  if (ASC_FEATURE_THREADS) {
    // A finished hold leaves nothing to undo, and no owner.
    store<u32>(base + A_UNDO_N, 0);
    atomic.store<u32>(base + A_OWNER, 0);
  }
  if (unlockWord(base + A_LOCK)) return true;
  noteTimeout();
  return false;
}

/**
 * The thread whose write log is `dead` was presumed dead while it held a map (lock.ts seqRecover): if it
 * also holds the allocator's lock, take the lock over at once (it cannot release it any more), undo its
 * half-done allocator work and release the lock. The owner word is written right after the lock is
 * taken and cleared right before it is released, so it names `dead` only while `dead` holds the lock.
 */
export function heapReleaseDead(dead: usize): void {
  if (!ASC_FEATURE_THREADS || dead == 0) return;
  let base = allocBase();
  if (atomic.load<u32>(base + A_OWNER) != <u32>dead) return;
  if (!lockTakeOver(base + A_LOCK)) return;
  undoHeap(base);
  store<u32>(base + A_UNDO_N, 0);
  atomic.store<u32>(base + A_OWNER, 0);
  unlockWord(base + A_LOCK);
}

/** Address of the allocator's lock word (for the tests that stop a thread inside it). */
export function allocLockWord(): usize {
  return allocBase() + A_LOCK;
}

/** Store a word of allocator state with the lock held, its old value logged first (shared build). */
// @ts-ignore: decorator
@inline export function astore(addr: usize, v: u32): void {
  if (ASC_FEATURE_THREADS) {
    let base = allocBase();
    let n = load<u32>(base + A_UNDO_N);
    if (n < UNDO_MAX) {
      let e = base + A_UNDO + (<usize>n << 3);
      store<u32>(e, <u32>addr);
      store<u32>(e, load<u32>(addr), 4);
      store<u32>(base + A_UNDO_N, n + 1);
    }
  }
  store<u32>(addr, v);
}

/** Put back every word the dead holder changed, last first. */
function undoHeap(base: usize): void {
  let n = load<u32>(base + A_UNDO_N);
  while (n > 0) {
    n--;
    let e = base + A_UNDO + (<usize>n << 3);
    store<u32>(<usize>load<u32>(e), load<u32>(e, 4));
  }
}

function ensureInit(): void {
  let base = allocBase();
  if (load<u32>(base + A_MAGIC) == MAGIC) return;
  let top = (base + A_SIZE + PAGE - 1) & ~(PAGE - 1);
  let need = <u64>(top + PAGE);
  let have = <u64>memory.size() * <u64>WASM_PAGE;
  if (need > have) memory.grow(<i32>((need - have + <u64>WASM_PAGE - 1) / <u64>WASM_PAGE));
  astore(base + A_TOP, <u32>top);
  astore(base + A_MAGIC, MAGIC);
}

/** Size actually reserved for a request of `size` bytes. */
export function roundSize(size: usize): usize {
  if (size <= SMALL_MAX) return (size + SMALL_STEP - 1) & ~(SMALL_STEP - 1);
  return (size + PAGE - 1) & ~(PAGE - 1);
}

// @ts-ignore: decorator
@inline function classOf(rounded: usize): usize {
  if (rounded <= SMALL_MAX) return rounded / SMALL_STEP - 1;
  if (rounded <= LARGE_MAX) return SMALL_CLASSES + rounded / PAGE - 1;
  return CLASS_COUNT - 1;
}

// @ts-ignore: decorator
@inline function alignOf(rounded: usize): usize {
  if (rounded > SMALL_MAX) return PAGE;
  return rounded % CACHE_LINE == 0 ? CACHE_LINE : SMALL_STEP;
}

/** Take `rounded` bytes from the bump region, growing memory if needed; 0 if memory cannot grow. */
function bump(rounded: usize): usize {
  let base = allocBase();
  let align = alignOf(rounded);
  // In u64: near the top of the 4 GiB address space these sums pass 2^32.
  let top = <u64>load<u32>(base + A_TOP);
  let ptr = (top + <u64>align - 1) & ~(<u64>align - 1);
  let end = ptr + <u64>rounded;
  if (end > <u64>0xFFFF_FFFF) return 0;
  let have = <u64>memory.size() * <u64>WASM_PAGE;
  if (end > have) {
    let need = <i32>((end - have + <u64>WASM_PAGE - 1) / <u64>WASM_PAGE);
    // Grow by at least the current size (capped), not page by page: each
    // memory.grow costs the JS side a new buffer, and untouched pages cost no RSS.
    let step = max(need, min(memory.size(), GROW_STEP_MAX_PAGES));
    if (memory.grow(step) < 0 && memory.grow(need) < 0) return 0;
  }
  astore(base + A_TOP, <u32>end);
  return <usize>ptr;
}

/** Allocate `size` bytes (zeroed when `zero`); 0 when memory runs out (or, shared, the allocator's lock timed out). */
export function alloc(size: usize, zero: bool): usize {
  if (!lockHeap()) return 0;
  let ptr = allocLocked(size);
  if (!unlockHeap()) return 0; // presumed dead meanwhile: the allocation was undone
  // Fresh memory from the bump region is already zero: not touching it keeps its pages unmapped.
  if (ptr != 0 && zero && !fresh) memory.fill(ptr, 0, roundSize(size));
  return ptr;
}

/** Whether allocLocked's block came from the bump region (per call, per instance). */
let fresh = false;

/** Take a block, with the lock held. A reused block gets its first word (a free-list link) cleared. */
function allocLocked(size: usize): usize {
  fresh = false;
  ensureInit();
  let rounded = roundSize(size);
  let cls = classOf(rounded);
  let head = allocBase() + A_CLASSES + (cls << 2);
  let ptr: usize = 0;
  if (cls < CLASS_COUNT - 1) {
    ptr = <usize>load<u32>(head);
    if (ptr != 0) astore(head, load<u32>(ptr));
  } else {
    ptr = takeHuge(head, rounded);
  }
  if (ptr == 0) {
    fresh = true;
    return bump(rounded);
  }
  astore(ptr, 0);
  return ptr;
}

/** First fit in the huge list; a huge free block stores [next, size]. */
function takeHuge(head: usize, rounded: usize): usize {
  let prev = head;
  let cur = <usize>load<u32>(head);
  while (cur != 0) {
    if (<usize>load<u32>(cur, 4) == rounded) {
      astore(prev, load<u32>(cur));
      return cur;
    }
    prev = cur;
    cur = <usize>load<u32>(cur);
  }
  return 0;
}

/** Return a block of `size` bytes (the size it was allocated with). */
export function free(ptr: usize, size: usize): void {
  if (ptr == 0) return;
  if (!lockHeap()) return; // the lock's holder died: leak the block rather than wait forever
  let rounded = roundSize(size);
  let cls = classOf(rounded);
  let head = allocBase() + A_CLASSES + (cls << 2);
  astore(ptr, load<u32>(head));
  if (cls == CLASS_COUNT - 1) astore(ptr + 4, <u32>rounded);
  astore(head, <u32>ptr);
  unlockHeap();
}

/** Allocator header field access for iter.ts's pool: call with the lock held (lockHeap). */
// @ts-ignore: decorator
@inline export function allocField(field: usize): usize {
  ensureInit();
  return allocBase() + field;
}

/** Whether `bytes` more could ever be allocated: false for requests larger than what is left of the address space. */
export function couldFit(bytes: u64): bool {
  return bytes <= ADDRESS_SPACE - <u64>heapTop();
}

/** Bytes handed out from the bump region so far (for tests and stats). */
export function heapTop(): usize {
  if (!lockHeap()) return 0;
  ensureInit();
  let top = <usize>load<u32>(allocBase() + A_TOP);
  unlockHeap();
  return top;
}
