// The contract's numbers: the one module through which the bindings know the core's constants.
//
// The core exports each as an immutable global, documented where assembly/index.ts defines it.
// assembly/embed.mjs reads them at build time from an instance of each build (the two must agree)
// into CORE in build/wasm.js, typed by build/wasm.d.ts: a constant the core renames or drops fails
// the type check here, none is copied into the bindings by hand, and no wasm is compiled to learn
// them. The core's functions are typed in load.ts (CoreExports); the per-kind names in exports.ts.
import { CORE } from '../build/wasm.js';

/** Map header fields (byte offsets), and its size. */
export const { HDR_COUNT, HDR_MOD, HDR_EPOCH, HDR_WAITERS, HDR_WANT, HDR_SEQ, HDR_REFS, HDR_KINDS, HDR_SIZE } = CORE;

/** map_stat's fields. */
export const { STAT_COUNT, STAT_B, STAT_OVERFLOW, STAT_GROWING, STAT_SAME_SIZE, STAT_OLD_BUCKETS, STAT_NEVACUATE, STAT_BYTES, STAT_ITERATORS, STAT_TOMBSTONES } = CORE;

/** A string field in a slot, a block's chars, and a query area's chars and the slack after them. */
export const { STR_FIELD_SIZE, STR_TAG_BLOCK, STR_TAG_WIDE, STR_F_PTR, STR_F_LEN, STR_BK_CHARS, STR_Q_CHARS, STR_Q_SLACK } = CORE;

/** An iterator slot: its batch of keys and values, the bytes saved around a shared step, the small-map copy, a dump's cursor. */
export const { ITER_BATCH, ITER_KEYS, ITER_VALS, ITER_SAVE, ITER_SMALL_MAX, ITER_SMALL_SLACK, DUMP_CURSOR } = CORE;

/**
 * Results. A shared map's one-call set or delete: WRITE_BUSY, the lock was taken (nothing written);
 * WRITE_DEAD, this thread was presumed dead while it held the lock (its write undone). add and
 * getOrSet say the same in `status` (ST_BUSY, ST_DEAD), and ST_RANGE for a sum the kind cannot hold.
 */
export const { WRITE_BUSY, WRITE_DEAD, ST_RANGE, ST_BUSY, ST_DEAD } = CORE;

/** Results of a recovery, of watching a lock's holder, of a write lock refused for the root, of attaching, of sweeping a dead thread's iterators. */
export const { RECOVER_TAKEN, RECOVER_BROKEN, WLOCK_ROOT_BUSY, WATCH_MOVED, WATCH_DEAD, ATTACH_OK, ATTACH_FULL, SWEEP_NONE, SWEEP_BUSY } = CORE;

/** The allocator header's fields (at the instance's ALLOC_HEADER): the heap's top, the iterator slots in the pool, the allocator's lock word. */
export const { ALLOC_TOP, ALLOC_ITER_SLOTS, ALLOC_LOCK } = CORE;

/** The result word's bits (the core's result_word): a get of a float64 or bigint value found its key; a shared map's validated get overlapped a write. */
export const { RES_FOUND, RES_TORN } = CORE;

/** A private map of fewer than 2^GROW_SMALL_B buckets with no live iterator grows in the insert that starts it, to 2^GROW_SMALL_STEP times its buckets (at most 2^GROW_SMALL_B). */
export const { GROW_SMALL_B, GROW_SMALL_STEP } = CORE;
