// Memory layout of one map: the hmap header, the bucket directory, and buckets.
//
// A map is a header (hmap) in linear memory. Its entries live in buckets of
// BUCKET_SLOTS (8) slots. Bucket i of the current array is found through a
// directory: dir[i >> SEG_SHIFT] points to a segment of at most SEG_BUCKETS
// consecutive buckets, and the bucket sits at (i & SEG_MASK) * bucketSize in it.
//
//   hmap --> dir: [seg0 | seg1 | seg2 | ...]          (u32 pointers)
//                   |
//                   v
//                 [bucket 0][bucket 1] ... [bucket 511]   (64-byte aligned)
//
// One bucket (bucketSize = 16 + 8 * pairSize bytes: 80, 144 or 208):
//
//   0            8          12    13      16
//   | tophash[8] | overflow | gen | pad | pair 0 | pair 1 | ... | pair 7 |
//
// A pair is the key followed by the value, each 4 bytes (int32, uint32, an
// 'any' index), 8 bytes (float64, the bigint kinds) or STR_FIELD = 12 bytes (a
// string field, see strings.ts); the value is aligned to 8 if it is 8 bytes
// wide, and the pair is rounded up to 8 bytes: 8 for 4 + 4, 16 for up to
// 8 + 8 and for a string with a 4-byte partner, 24 otherwise. Numeric pairs are
// aligned to their own size inside a bucket whose start is 16-byte aligned, so
// they never cross a 64-byte cache line: finding a present key reads the
// tophash line and the pair's line, two lines at most.
//
// Growth doubles the array in place: the lower half of the doubled array is
// the old array itself (the same segments), only the upper half is new memory.
// `gen` records the growth in which a bucket was last evacuated (see grow.ts).
//
// Nothing here is kept in wasm globals: everything a second module instance on
// the same memory would need is in the header. This file is the bottom layer of
// the core: offsets and address arithmetic only, it imports nothing. Reads that
// check a pointer against the memory are in bounds.ts; stores that the write log
// must see are in wlog.ts.

// ---- bucket geometry -------------------------------------------------------

/** Largest B: 2^28 buckets would need more than the 4 GiB a wasm32 memory can address. */
export const MAX_B: u32 = 27;

/** Slots per bucket: Go's bucketCnt, one tophash byte each, so one u64 load reads all eight. */
export const BUCKET_SLOTS: u32 = 8;
/** Byte offset of the tophash array in a bucket. */
export const B_TOPHASH: usize = 0;
/** Byte offset of the overflow-bucket pointer (0 = end of chain). */
export const B_OVERFLOW: usize = 8;
/** Byte offset of the growth generation in which this bucket was evacuated. */
export const B_GEN: usize = 12;
/** Byte offset of the first pair: the 16-byte bucket header keeps pairs aligned. */
export const B_PAIRS: usize = 16;

/** log2 of the buckets in one full segment: 512 buckets is 40 KiB or 72 KiB, small enough to zero in a few microseconds, large enough that the directory of a 2^25-entry map is 64 KiB. */
export const SEG_SHIFT: u32 = 9;
export const SEG_BUCKETS: u32 = 1 << SEG_SHIFT;
export const SEG_MASK: u32 = SEG_BUCKETS - 1;

/** Bytes of a string key or value in a slot: a {tag, ptr, len} reference, or up to 11 inline chars (strings.ts). */
export const STR_FIELD: usize = 12;

/** Bytes a key or value of storage type T takes in a slot: u32 and u64 bit patterns, or `Str` fields. */
// @ts-ignore: decorator
@inline export function slotSize<T>(): usize {
  return isReference<T>() ? STR_FIELD : sizeof<T>();
}
/** Offset of the value in a pair: after the key, aligned to the value (8-byte values to 8, others to 4). */
// @ts-ignore: decorator
@inline export function valueOffsetOf(keySize: usize, valSize: usize): usize {
  let align: usize = valSize == 8 ? 8 : 4;
  return (keySize + align - 1) & ~(align - 1);
}
/** Pair size: key and value rounded up to 8 bytes, so 8-byte fields stay aligned (8, 16 or 24 bytes). */
// @ts-ignore: decorator
@inline export function pairSizeOf(keySize: usize, valSize: usize): usize {
  return (valueOffsetOf(keySize, valSize) + valSize + 7) & ~7;
}
/** Pair size for key type K and value type V. */
// @ts-ignore: decorator
@inline export function pairSize<K, V>(): usize {
  return pairSizeOf(slotSize<K>(), slotSize<V>());
}
/** Offset of the value inside a pair. */
// @ts-ignore: decorator
@inline export function valOffset<K, V>(): usize {
  return valueOffsetOf(slotSize<K>(), slotSize<V>());
}
/** Size of one bucket for key type K and value type V: 80, 144 or 208 bytes. */
// @ts-ignore: decorator
@inline export function bucketSize<K, V>(): usize {
  return B_PAIRS + <usize>BUCKET_SLOTS * pairSize<K, V>();
}
/** Runtime form of bucketSize, for code that is not specialised per kind. */
// @ts-ignore: decorator
@inline export function bucketSizeOf(keySize: u32, valSize: u32): usize {
  return B_PAIRS + <usize>BUCKET_SLOTS * pairSizeOf(<usize>keySize, <usize>valSize);
}
// @ts-ignore: decorator
@inline export function pairAt<K, V>(b: usize, slot: u32): usize {
  return b + B_PAIRS + <usize>slot * pairSize<K, V>();
}
// @ts-ignore: decorator
@inline export function tophashAt(b: usize, slot: u32): u8 {
  return load<u8>(b + B_TOPHASH + <usize>slot);
}
// @ts-ignore: decorator
@inline export function overflowOf(b: usize): usize {
  return <usize>load<u32>(b + B_OVERFLOW);
}

// ---- tophash values (Go's reserved values) ---------------------------------

/** This slot and every later slot of the chain are empty: lookups stop here. */
export const EMPTY_REST: u8 = 0;
/** This slot is empty. */
export const EMPTY_ONE: u8 = 1;
/** Reserved, as in Go: an entry moved to the lower half. Growth in place never moves X entries, so it is not written. */
export const EVACUATED_X: u8 = 2;
/** The entry was moved to the upper half by growth; its key is left in place so iterators that started before the growth can look it up again. A tombstone: lookups skip it. */
export const EVACUATED_Y: u8 = 3;
/** Reserved, as in Go: an empty slot of an evacuated bucket. Growth in place leaves empty slots as they are. */
export const EVACUATED_EMPTY: u8 = 4;
/** Smallest tophash of a real entry: top bytes below it are moved up by MIN_TOPHASH. */
export const MIN_TOPHASH: u8 = 5;

// ---- hmap header -----------------------------------------------------------

/** Live entries. */
export const H_COUNT: usize = 0;
/** log2 of the bucket count. */
export const H_B: usize = 4;
/** Overflow buckets allocated by this map. */
export const H_NOVERFLOW: usize = 8;
/** 0: not growing; GROW_DOUBLE or GROW_SAME while an evacuation is in progress. */
export const H_GROWING: usize = 12;
/** Per-map hash seed (u64). */
export const H_SEED: usize = 16;
/** State of the map's random generator (u64): iterator starts and reseeding. */
export const H_RNG: usize = 24;
/** Pointer to the bucket directory. */
export const H_DIR: usize = 32;
/** Buckets being evacuated from (2^oldB); 0 when not growing. */
export const H_OLDBUCKETS: usize = 36;
/** Old buckets below this index are evacuated. */
export const H_NEVACUATE: usize = 40;
/** First bucket index whose lookups may have to be redirected to an unevacuated old bucket: the old bucket count while doubling, 0xFFFFFFFF otherwise. */
export const H_SPLIT: usize = 44;
/** Iterators of this map not yet released. */
export const H_ITERS: usize = 48;
/** Bytes of linear memory this map holds. */
export const H_BYTES: usize = 52;
/** Cap on H_BYTES; 0 = none. */
export const H_MAXBYTES: usize = 56;
/** Incremented by every change of content: batched iteration checks it to revalidate fetched entries. */
export const H_MOD: usize = 60;
/** Incremented by clear: live iterators of an earlier epoch end. */
export const H_EPOCH: usize = 64;
/** Key size in bytes (u8). */
export const H_KEYSIZE: usize = 68;
/** Value size in bytes (u8). */
export const H_VALSIZE: usize = 69;
/** Current growth generation (u8, 1..255, never 0 so that zeroed buckets never look evacuated). */
export const H_GEN: usize = 70;
/** HF_* flags (u8). */
export const H_FLAGS: usize = 71;
/** EVACUATED_Y tombstones present in the map. */
export const H_TOMBSTONES: usize = 72;
/** B the map was created with (from `capacity`); clear returns to it. */
export const H_MINB: usize = 76;
/** The array's only segment while it has at most SEG_BUCKETS buckets, else 0: saves small maps the directory load on every lookup. */
export const H_SEG0: usize = 80;
/** End of the map's own state in the header: a write's log takes an image of [0, H_STATE_END) when it begins (wlog.ts); the words after it are the threads' protocol, never restored. */
export const H_STATE_END: usize = 84;
/** Shared maps: how many threads wait for the map's sequence count (a releasing writer notifies them when it is non-zero). */
export const H_WAITERS: usize = 84;
/**
 * Shared maps: the lock word (u64). Its low 32 bits are the sequence count, odd while a write is in
 * progress: it is also the writers' lock (even to odd by compare-and-swap); readers retry when it
 * moved. Its high 32 bits name the holder's thread record (wlog.ts), set by the same compare-and-swap.
 */
export const H_SEQ: usize = 88;
/** Shared maps (u64): the map's 48-bit id above a 16-bit count of the threads attached; 0 once freed. */
export const H_REFS: usize = 96;
/**
 * Shared maps: a starving thread's claim, 0 when none. A thread that has waited too long for the map
 * (bindings/maplock.ts, "fair locks") stores a deadline here (wall-clock milliseconds, low 32 bits);
 * until it passes or is cleared, other writers defer to it: the core's locked writes answer busy.
 */
export const H_WANT: usize = 104;
/** Shared maps: LOG_BROKEN once a write that could not be logged (wlog.ts) was cut short, else 0 (the lock word names the holder's log). */
export const H_LOG: usize = 108;
/** H_LOG of a map whose dead writer's write could not be undone: it stays locked. */
export const LOG_BROKEN: u32 = 1;
/** Shared maps: the root of the shared map this table is part of (tables.ts); 0 for a root, and in the private build. */
export const H_ROOT: usize = 112;
/** Shared maps: the key and value kind codes of the bindings (u8 each), which attach checks a handle against. */
export const H_KINDS: usize = 116;
/** Shared maps, a root's (u32): ROOT_MAGIC xor the root's own address while the map lives, 0 once freed (tables.ts rootAttach). */
export const H_MAGIC: usize = 120;
/** Header size: a multiple of 64, so that a header starts a cache line (allocator: 64-byte alignment for such sizes) and two shared maps' (or tables') lock words never share one. */
export const HEADER_SIZE: usize = 128;

/** The seed was given by the user: never reseed. */
export const HF_FIXED_SEED: u8 = 1;

export const GROW_DOUBLE: u32 = 1;
export const GROW_SAME: u32 = 2;
/** H_SPLIT value when no lookup needs redirecting. */
export const NO_SPLIT: u32 = 0xFFFFFFFF;

// @ts-ignore: decorator
@inline export function hget(h: usize, field: usize): u32 {
  return load<u32>(h + field);
}
// @ts-ignore: decorator
@inline export function hset(h: usize, field: usize, v: u32): void {
  store<u32>(h + field, v);
}

/** Directory entries for B: one segment until the array outgrows it. */
// @ts-ignore: decorator
@inline export function dirLength(B: u32): u32 {
  return B > SEG_SHIFT ? 1 << (B - SEG_SHIFT) : 1;
}
/** Bytes of the segment that holds bucket index i of an array of 2^B buckets. */
// @ts-ignore: decorator
@inline export function segmentBytes(B: u32, bsize: usize): usize {
  return (B >= SEG_SHIFT ? <usize>SEG_BUCKETS : (<usize>1 << B)) * bsize;
}

// ---- map_stat's fields (what HashMapStats reads; tables.ts sums them over a shared map's tables) --

/** Entries. */
export const STAT_COUNT: u32 = 0;
/** log2 of the buckets (of a shared map: of all its tables' buckets, so a fraction while some have doubled). */
export const STAT_B: u32 = 1;
/** Overflow buckets. */
export const STAT_OVERFLOW: u32 = 2;
/** 1 while a growth is under way. */
export const STAT_GROWING: u32 = 3;
/** 1 while that growth is a same-size one (re-packing overflow chains). */
export const STAT_SAME_SIZE: u32 = 4;
/** Buckets of the old array during a growth. */
export const STAT_OLD_BUCKETS: u32 = 5;
/** Old buckets evacuated so far. */
export const STAT_NEVACUATE: u32 = 6;
/** Bytes the map holds. */
export const STAT_BYTES: u32 = 7;
/** Iterators holding a slot of the map. */
export const STAT_ITERATORS: u32 = 8;
/** Deleted slots not yet reused. */
export const STAT_TOMBSTONES: u32 = 9;
