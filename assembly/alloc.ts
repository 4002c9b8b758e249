// The allocator: small size classes and coalescing page runs over a bump region, all state in
// linear memory.
//
// Every map, bucket segment, overflow bucket, directory and iterator slot comes
// from here. Its state is a header at the start of the heap (ALLOC_BASE), not in
// wasm globals and not in the AssemblyScript runtime, so that a second module
// instance on the same memory (a worker) sees the same heap.
//
//   ALLOC_BASE
//   | magic | top | hiter pool | lock, undo log | small-class heads | run bins | page map ... | heap ...
//
// Allocation is sized: the caller passes the size to `free` as well, so blocks
// carry no header.
//
//   - Small blocks, up to SMALL_MAX bytes: one class per 16 bytes (an 80-byte
//     overflow bucket is reused as exactly 80 bytes), each a singly linked free
//     list threaded through the first word of its free blocks. Fast: a pop or a
//     push. A freed small block serves later requests of its own class only.
//   - Large blocks (segments, directories, big string blocks): runs of whole 4 KiB
//     pages, page aligned, so a segment never shares a page. Free runs coalesce
//     with free neighbours at once and a larger run is split for a smaller
//     request, so memory a large block gave back serves any later large request
//     that fits in it (the boundary-tag method, Knuth's; the tags are kept out of
//     band, in a page map of one word per 4 KiB page, so freeing a run touches
//     none of its pages but the first, which holds the run's links). Free runs
//     sit in 21 bins by size class (powers of two of pages); a request takes the
//     first run that fits from its own bin or the first run of a larger bin.
//
// Fresh memory (above `top`) is zero because wasm memory starts zeroed and is
// never written above `top`; recycled blocks are zeroed on request. Nothing is
// ever returned to the operating system: wasm memory cannot shrink.

/** Written at ALLOC_BASE once the allocator is initialised. */
import { lockWord, unlockWord, lockTakeOver, noteTimeout, LOCK_FAILED, LOCK_TAKEN_OVER } from "./futex";
import { threadBeat } from "./thread";

const MAGIC: u32 = 0x74_6f_70_68; // "toph"
/** Granularity of small classes: 16 keeps buckets and pairs aligned. */
const SMALL_STEP: usize = 16;
/** Largest small class: one page. */
const SMALL_MAX: usize = 4096;
/** Page size of the large classes. */
const PAGE: usize = 4096;
const SMALL_CLASSES: usize = SMALL_MAX / SMALL_STEP; // 256
/** Bins of free page runs: bin b holds runs of [2^b, 2^(b+1)) pages; 2^20 pages is all of wasm32. */
const RUN_BINS: usize = 21;
/** log2 of PAGE. */
const PAGE_SHIFT: u32 = 12;
/** Page-map tags (the low bits; the bits above hold the run's length in pages): a tag is written at a run's first and last page. */
const RUN_FREE: u32 = 1;
const RUN_USED: u32 = 2;
const RUN_STATE: u32 = 3;
/** Bytes of the page map: one word per page of the 4 GiB address space. Reserved at start, touched only where runs are. */
const PAGE_MAP_BYTES: usize = (<usize>1 << (32 - PAGE_SHIFT)) * 4;
/** A free run's links, in its first page: next and previous run of its bin. */
const RUN_NEXT: usize = 0;
const RUN_PREV: usize = 4;

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
export const A_TOP: usize = 4;
/** Free list of iterator slots (see iter.ts). */
export const A_HITER_FREE: usize = 8;
/** Iterator slots in the pool, busy or idle. */
export const A_HITER_TOTAL: usize = 12;
/**
 * The allocator's lock (shared build; see lock.ts), a u64: the futex word (low 32 bits) and its
 * holder's thread record (high 32 bits, wlog.ts; 0 while free), set by the same compare-and-swap that
 * takes the lock, so that a waiter always knows whose hold it waits for. It guards everything in this
 * header.
 */
export const A_LOCK: usize = 16;
/**
 * The lock holder's undo log (shared build): the old value of every word it changed, so that a thread
 * that takes the lock over from a dead holder (lock.ts) can put the allocator back as it was
 * (undoHeap). A small allocation or free changes at most 3 words, a hiter pool operation 5, a page
 * run's allocation or free (split or coalesced: links, tags, bins) about 15; 32 entries.
 */
const A_UNDO_N: usize = 24;
/** Pages in free runs (couldFit counts them as room). */
const A_FREE_PAGES: usize = 28;
/** The list of thread records on this memory (wlog.ts), linked through each record. */
const A_THREADS: usize = 32;
/** Idle iterator slots on the A_HITER_FREE list (iter.ts keeps a few and gives the rest back). */
export const A_HITER_IDLE: usize = 36;
/** Shared build: the list of busy iterator slots (iter.ts), so that a dead thread's can be found and released. */
export const A_HITER_BUSY: usize = 40;
const A_UNDO: usize = 48;
const UNDO_MAX: u32 = 32;
const A_CLASSES: usize = A_UNDO + <usize>UNDO_MAX * 8;
const A_BINS: usize = A_CLASSES + SMALL_CLASSES * 4;
/** The page map, page aligned after the header. */
const A_PAGE_MAP: usize = (A_BINS + RUN_BINS * 4 + PAGE - 1) & ~(PAGE - 1);
const A_SIZE: usize = A_PAGE_MAP + PAGE_MAP_BYTES;

/** Where the allocator's header lives: the start of the heap, cache-line aligned. */
// @ts-ignore: decorator
@inline export function allocBase(): usize {
  return (__heap_base + CACHE_LINE - 1) & ~(CACHE_LINE - 1);
}

/** Take the allocator's lock (nothing in the private build); false when the wait timed out. A lock taken over from a dead holder is put back first. */
export function lockHeap(): bool {
  let base = allocBase();
  let r = lockWord(base + A_LOCK);
  if (r == LOCK_FAILED) {
    noteTimeout(); // the JS side turns the failed allocation into a LockTimeoutError
    return false;
  }
  if (ASC_FEATURE_THREADS) {
    if (r == LOCK_TAKEN_OVER) undoHeap(base);
    store<u32>(base + A_UNDO_N, 0);
  }
  return true;
}

/** Release the allocator's lock; false (and lockTimedOut set) when this thread held it so long that another presumed it dead and undid its work. */
export function unlockHeap(): bool {
  let base = allocBase();
  if (ASC_FEATURE_THREADS) {
    // A finished hold leaves nothing to undo.
    store<u32>(base + A_UNDO_N, 0);
  }
  if (unlockWord(base + A_LOCK)) return true;
  noteTimeout();
  return false;
}

/**
 * The thread whose record is `dead` is dead, or presumed so, and held a map (lock.ts seqRecover): if it
 * also holds the allocator's lock, take the lock over at once (it cannot release it any more), undo its
 * half-done allocator work and release the lock. The lock word names its holder (set by the
 * compare-and-swap that takes it, cleared by the one that releases it).
 */
export function heapReleaseDead(dead: usize): void {
  if (!ASC_FEATURE_THREADS || dead == 0) return;
  let base = allocBase();
  if (!lockTakeOver(base + A_LOCK, dead)) return;
  undoHeap(base);
  store<u32>(base + A_UNDO_N, 0);
  unlockWord(base + A_LOCK);
}

/** Address of the head of this memory's list of thread records (wlog.ts). */
// @ts-ignore: decorator
@inline export function threadsHead(): usize {
  return allocBase() + A_THREADS;
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

/** Set the allocator up on first use: its header and page map (4 MiB of address space, untouched but where runs are). False when memory cannot grow that far. */
function ensureInit(): bool {
  let base = allocBase();
  if (load<u32>(base + A_MAGIC) == MAGIC) return true;
  let top = heapStart(base);
  let need = <u64>(top + PAGE);
  let have = <u64>memory.size() * <u64>WASM_PAGE;
  if (need > have && memory.grow(<i32>((need - have + <u64>WASM_PAGE - 1) / <u64>WASM_PAGE)) < 0) return false;
  astore(base + A_TOP, <u32>top);
  astore(base + A_MAGIC, MAGIC);
  return true;
}

/** Size actually reserved for a request of `size` bytes. */
export function roundSize(size: usize): usize {
  if (size <= SMALL_MAX) return (size + SMALL_STEP - 1) & ~(SMALL_STEP - 1);
  return (size + PAGE - 1) & ~(PAGE - 1);
}

/** Small class of a rounded size up to SMALL_MAX. */
// @ts-ignore: decorator
@inline function classOf(rounded: usize): usize {
  return rounded / SMALL_STEP - 1;
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
  if (ptr != 0 && zero && !fresh) zeroBlock(ptr, roundSize(size));
  return ptr;
}

/** Bytes zeroed between two beats of this thread: 16 MiB take a few ms, even where each page faults. */
const ZERO_STEP: usize = 16 << 20;

/** Zero [p, p + n), moving this thread's beat at every step: a caller holding a map may zero gigabytes of reused memory, and its waiters must see it work (wlog.ts). */
function zeroBlock(p: usize, n: usize): void {
  while (n > ZERO_STEP) {
    memory.fill(p, 0, ZERO_STEP);
    threadBeat();
    p += ZERO_STEP;
    n -= ZERO_STEP;
  }
  memory.fill(p, 0, n);
}

/** A run of n pages, with the lock held (allocLocked, allocPage); 0 when memory runs out. */
function runLocked(n: u32): usize {
  let run = takeRun(n);
  if (run != 0) return run;
  fresh = true;
  run = bump(<usize>n << PAGE_SHIFT);
  if (run != 0) setRun(run, n, RUN_USED);
  return run;
}

/**
 * One page as a run of the page runs, never a small block (iter.ts's iterator slots): freed with
 * freePageLocked, it goes back to the runs, where it can serve any large block. Not zeroed. 0 when
 * memory runs out.
 */
export function allocPage(): usize {
  if (!lockHeap()) return 0;
  fresh = false;
  let p = ensureInit() ? runLocked(1) : 0;
  if (!unlockHeap()) return 0; // presumed dead meanwhile: the allocation was undone
  return p;
}

/** Give back a page allocPage gave, with the lock held (lockHeap). */
export function freePageLocked(p: usize): void {
  freeRun(p, 1);
}

/** Whether allocLocked's block came from the bump region (per call, per instance). */
let fresh = false;

/** Take a block, with the lock held. A reused small block gets its first word (a free-list link) cleared. */
function allocLocked(size: usize): usize {
  fresh = false;
  if (!ensureInit()) return 0;
  let rounded = roundSize(size);
  if (rounded > SMALL_MAX) return runLocked(<u32>(rounded >> PAGE_SHIFT));
  let head = allocBase() + A_CLASSES + (classOf(rounded) << 2);
  let ptr = <usize>load<u32>(head);
  if (ptr == 0) {
    fresh = true;
    ptr = bump(rounded);
    return ptr != 0 ? ptr : carvePage(head, rounded);
  }
  astore(head, load<u32>(ptr));
  astore(ptr, 0);
  return ptr;
}

/**
 * No fresh memory for a small block: take one page of a free run and cut it into blocks of this class,
 * the first for the caller, the rest onto the class's list (so that a small map can be made whenever
 * a page of freed large memory is free). The page stays with its class. Only the list's head is
 * logged: undone, the page goes back to its run and the chain through it is unreachable.
 */
function carvePage(head: usize, rounded: usize): usize {
  let page = takeRun(1);
  if (page == 0) return 0;
  fresh = false; // reused memory: zeroed on request
  let next = <usize>load<u32>(head);
  let last = page + ((PAGE / rounded - 1) * rounded);
  for (let q = last; q > page; q -= rounded) {
    store<u32>(q, <u32>next);
    next = q;
  }
  if (next != page) astore(head, <u32>next);
  store<u32>(page, 0);
  return page;
}

/** Return a block of `size` bytes (the size it was allocated with). */
export function free(ptr: usize, size: usize): void {
  if (ptr == 0) return;
  if (!lockHeap()) return; // the lock's holder died: leak the block rather than wait forever
  let rounded = roundSize(size);
  if (rounded > SMALL_MAX) {
    freeRun(ptr, <u32>(rounded >> PAGE_SHIFT));
  } else {
    let head = allocBase() + A_CLASSES + (classOf(rounded) << 2);
    astore(ptr, load<u32>(head));
    astore(head, <u32>ptr);
  }
  unlockHeap();
}

// ---- page runs ----------------------------------------------------------------

/** Address of the page-map word of the page at p. */
// @ts-ignore: decorator
@inline function tagAt(p: usize): usize {
  return allocBase() + A_PAGE_MAP + ((p >> PAGE_SHIFT) << 2);
}

/** Pages of the run whose tag is t. */
// @ts-ignore: decorator
@inline function tagPages(t: u32): u32 {
  return t >> 2;
}

/** Tag the run of n pages at p (its first and last page) as free or used. */
function setRun(p: usize, n: u32, state: u32): void {
  let t = (n << 2) | state;
  astore(tagAt(p), t);
  if (n > 1) astore(tagAt(p + (<usize>(n - 1) << PAGE_SHIFT)), t);
}

/** The bin of a run of n pages: floor(log2(n)). */
// @ts-ignore: decorator
@inline function binOf(n: u32): u32 {
  return 31 - <u32>clz(n);
}

// @ts-ignore: decorator
@inline function binHead(b: u32): usize {
  return allocBase() + A_BINS + (<usize>b << 2);
}

/** Put the free run at p (n pages) at the head of its bin. */
function binInsert(p: usize, n: u32): void {
  let head = binHead(binOf(n));
  let first = <usize>load<u32>(head);
  astore(p + RUN_NEXT, <u32>first);
  astore(p + RUN_PREV, 0);
  if (first != 0) astore(first + RUN_PREV, <u32>p);
  astore(head, <u32>p);
}

/** Take the free run at p (n pages) out of its bin. */
function binRemove(p: usize, n: u32): void {
  let next = <usize>load<u32>(p + RUN_NEXT);
  let prev = <usize>load<u32>(p + RUN_PREV);
  if (prev != 0) astore(prev + RUN_NEXT, <u32>next);
  else astore(binHead(binOf(n)), <u32>next);
  if (next != 0) astore(next + RUN_PREV, <u32>prev);
}

/** A free run of at least n pages, split to exactly n and tagged used; 0 when none is free. */
function takeRun(n: u32): usize {
  let base = allocBase();
  for (let b = binOf(n); b < <u32>RUN_BINS; b++) {
    let p = <usize>load<u32>(binHead(b));
    // In n's own bin runs may be shorter than n: look for one that fits; in larger bins every run does.
    while (p != 0 && tagPages(load<u32>(tagAt(p))) < n) p = <usize>load<u32>(p + RUN_NEXT);
    if (p == 0) continue;
    let m = tagPages(load<u32>(tagAt(p)));
    binRemove(p, m);
    if (m > n) {
      let rest = p + (<usize>n << PAGE_SHIFT);
      setRun(rest, m - n, RUN_FREE);
      binInsert(rest, m - n);
    }
    setRun(p, n, RUN_USED);
    astore(base + A_FREE_PAGES, load<u32>(base + A_FREE_PAGES) - n);
    return p;
  }
  return 0;
}

/** Give back the run of n pages at p: merged with a free run just before or after it, then binned. */
function freeRun(p: usize, n: u32): void {
  let base = allocBase();
  astore(base + A_FREE_PAGES, load<u32>(base + A_FREE_PAGES) + n);
  let start = p;
  let len = n;
  // The run before: its last page's tag, if that page belongs to a run at all (small blocks' pages have none).
  if (p > heapStart(base)) {
    let t = load<u32>(tagAt(p - PAGE));
    if ((t & RUN_STATE) == RUN_FREE) {
      let m = tagPages(t);
      start = p - (<usize>m << PAGE_SHIFT);
      binRemove(start, m);
      len += m;
    }
  }
  let after = p + (<usize>n << PAGE_SHIFT);
  if (after < <usize>load<u32>(base + A_TOP)) {
    let t = load<u32>(tagAt(after));
    if ((t & RUN_STATE) == RUN_FREE) {
      let m = tagPages(t);
      binRemove(after, m);
      len += m;
    }
  }
  setRun(start, len, RUN_FREE);
  binInsert(start, len);
}

/** The first page of the heap, after the allocator's header and page map. */
// @ts-ignore: decorator
@inline function heapStart(base: usize): usize {
  return (base + A_SIZE + PAGE - 1) & ~(PAGE - 1);
}

/** Allocator header field access for iter.ts's pool: call with the lock held (lockHeap). */
// @ts-ignore: decorator
@inline export function allocField(field: usize): usize {
  ensureInit();
  return allocBase() + field;
}

/** Whether `bytes` more could ever be allocated: false for requests larger than what is left of the address space and the free page runs together. */
export function couldFit(bytes: u64): bool {
  if (!lockHeap()) return false;
  ensureInit();
  let base = allocBase();
  let room = ADDRESS_SPACE - <u64>load<u32>(base + A_TOP) + (<u64>load<u32>(base + A_FREE_PAGES) << PAGE_SHIFT);
  unlockHeap();
  return bytes <= room;
}

