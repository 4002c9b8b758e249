// Map operations: create, find, insert, remove, clear, free.
//
// Every operation is generic over the storage types of the key and the value
// (K, V: u32 or u64, the bit patterns, or Str, a string field: strings.ts), so
// that the compiler folds the bucket geometry and the key comparison into
// constants, as Go's fast32/fast64/faststr variants do by hand; index.ts
// exports one instantiation per kind pair. A Str key is passed as the address
// of its field (a stored one, or the query's built by strPrepare).
//
// A lookup hashes the key once: the low bits pick the bucket (redirected to the
// unevacuated old bucket while the array is doubling, see grow.ts), the top byte
// is matched against the bucket's eight tophash bytes at once (hash.ts), and
// only flagged slots compare keys. A bucket holding an EMPTY_REST byte ends the
// chain. Inserts reuse the first empty slot of the chain, or append an overflow
// bucket; deletes mark EMPTY_ONE and fold a trailing run into EMPTY_REST, as Go
// does.

import { alloc, free, roundSize, couldFit } from "./alloc";
import { mapAlloc, mapFree, newOverflow, freeOverflow } from "./memory";
import { hash64, tophash, matchTops, matchByte, endsChain, firstSlot, nextRandom, SLOT_BITS } from "./hash";
import {
  BUCKET_SLOTS, B_GEN, EMPTY_ONE, EMPTY_REST, EVACUATED_Y, MIN_TOPHASH, HF_FIXED_SEED, NO_SPLIT, H_COUNT, H_B, H_NOVERFLOW, H_GROWING, H_SEED, H_RNG, H_DIR, H_OLDBUCKETS, H_NEVACUATE, H_SPLIT, H_ITERS, H_BYTES, H_MAXBYTES, H_MOD, H_EPOCH, H_KEYSIZE, H_VALSIZE, H_GEN, H_FLAGS, H_TOMBSTONES, H_MINB, H_SEG0, HEADER_SIZE, STR_FIELD, B_PAIRS, pairSizeOf, valueOffsetOf, hget, hset, pairAt, pairSize, valOffset, bucketSize, bucketSizeOf, tophashAt, overflowOf, dirLength, segmentBytes, SEG_SHIFT, SEG_BUCKETS, MAX_B,
} from "./layout";
import { bucketAt, checkedBucket, dirBucket } from "./bounds";
import { setTophash, setOverflow } from "./wlog";
import { growWork, hashGrow, overLoadFactor, tooManyOverflowBuckets } from "./grow";
import { chainLimit, inMemory } from "./bounds";
import { mstore, deferFree } from "./wlog";
import { keyEquals, copySlot, releaseSlot, hashKey, hashKeySeeded, strCommit, strRelease, strLongMatch } from "./strings";

/** Set by insertPair: whether the key was new. Per call, not map state. */
export let lastInserted: bool = false;
/** Set by removePair: the removed value's bits. Per call, not map state. */
export let lastValue: u64 = 0;

// ---- hashing and bucket choice ---------------------------------------------

/** Whether old bucket `old` has been evacuated in the current growth. */
// @ts-ignore: decorator
@inline export function isEvacuated(h: usize, old: u32, bsize: usize): bool {
  return load<u8>(bucketAt(h, old, bsize) + B_GEN) == load<u8>(h + H_GEN);
}

/** Index of the chain that holds keys of this hash now: the new bucket, or its old bucket while that is not evacuated. */
// @ts-ignore: decorator
@inline export function homeIndex(h: usize, hash32: u32, bsize: usize): u32 {
  let i = hash32 & ((<u32>1 << hget(h, H_B)) - 1);
  if (i >= hget(h, H_SPLIT)) {
    let old = i - hget(h, H_OLDBUCKETS);
    if (!isEvacuated(h, old, bsize)) i = old;
  }
  return i;
}

/** Pair address of `key` in the chain starting at b, or 0. At most `limit` buckets (see lock.ts chainLimit). */
// @ts-ignore: decorator
@inline function findInChain<K, V>(b: usize, key: K, top: u8, limit: u32): usize {
  let tops = i8x16.splat(<i8>top);
  do {
    let v = v128.load64_zero(b);
    let m = matchTops(v, tops);
    while (m != 0) {
      let s = <u32>ctz(m);
      let p = pairAt<K, V>(b, s);
      if (keyEquals<K>(p, key)) return p;
      m &= m - 1;
    }
    if (endsChain(v) || --limit == 0) return 0;
    b = checkedBucket(overflowOf(b), bucketSize<K, V>());
  } while (b != 0);
  return 0;
}

/**
 * Pair address of `key`, or 0. Never allocates, never moves anything. Inlined into the get and has
 * exports and the batch loops (a call less on the hottest path);
 * other callers take findPairOutline.
 */
// @ts-ignore: decorator
@inline export function findPair<K, V>(h: usize, key: K): usize {
  return findPairAt<K, V>(h, key, hashKey<K>(h, key));
}

/** findPair with the key's hash from the caller (tables.ts: the hash that picked the table picks the bucket). */
// @ts-ignore: decorator
@inline export function findPairAt<K, V>(h: usize, key: K, hash: u64): usize {
  let bsize = bucketSize<K, V>();
  let b = bucketAt(h, homeIndex(h, <u32>hash, bsize), bsize);
  if (ASC_FEATURE_THREADS && b == 0) return 0; // a reader saw a half-made growth: it will retry
  return findInChain<K, V>(b, key, tophash(hash), chainLimit(hget(h, H_NOVERFLOW)));
}

/**
 * findPair of a number key in a private map at rest (no growth in progress, so every key's chain is
 * its new bucket), given the header fields a lookup reads: batch.ts getMany and hasMany read them once
 * for all their keys (atRest), and keep them in locals. A loop that reads them from the header for
 * each key runs more instructions a key, and fewer of its keys' cache misses then overlap.
 */
// @ts-ignore: decorator
@inline export function findPairAtRest<K, V>(seed: u64, mask: u32, seg0: usize, dir: usize, key: K): usize {
  let bsize = bucketSize<K, V>();
  let hash = hashKeySeeded<K>(key, seed);
  let i = <u32>hash & mask;
  let b = seg0 != 0 ? seg0 + <usize>i * bsize : dirBucket(dir, i, bsize);
  if (b == 0) return 0; // a segment no entry has reached
  return findInChain<K, V>(b, key, tophash(hash), chainLimit(0));
}

/** Whether map h is at rest (findPairAtRest): a private map with no growth in progress. */
// @ts-ignore: decorator
@inline export function atRest(h: usize): bool {
  return !ASC_FEATURE_THREADS && hget(h, H_GROWING) == 0;
}

/**
 * The pairs of table h, string keys, whose key may be the long key strLongBegin and strLongFeed hashed
 * to `hash` (strLongMatch: its length, encoding and full hash): their addresses to out, at most max;
 * how many. The JS side compares their chars with the key's (strings.ts, "long keys").
 */
export function findLongCandidates(h: usize, hash: u64, out: usize, max: u32): u32 {
  let keySize = <usize>load<u8>(h + H_KEYSIZE);
  let valSize = <usize>load<u8>(h + H_VALSIZE);
  let bsize = bucketSizeOf(<u32>keySize, <u32>valSize);
  let psize = pairSizeOf(keySize, valSize);
  let b = bucketAt(h, homeIndex(h, <u32>hash, bsize), bsize);
  let top = tophash(hash);
  let n: u32 = 0;
  for (let left = chainLimit(hget(h, H_NOVERFLOW)); b != 0 && left > 0 && n < max; left--) {
    let m = matchByte(load<u64>(b), top);
    while (m != 0 && n < max) {
      let p = b + B_PAIRS + <usize>firstSlot(m) * psize;
      if (strLongMatch(p)) {
        store<u32>(out + (<usize>n << 2), <u32>p);
        n++;
      }
      m &= m - 1;
    }
    b = overflowOf(b);
    if (ASC_FEATURE_THREADS && b != 0 && !inMemory(b, bsize)) break; // a torn pointer: the reader retries
  }
  return n;
}

/** findPair as a function of its own, for the callers whose speed does not hinge on it. */
export function findPairOutline<K, V>(h: usize, key: K): usize {
  return findPair<K, V>(h, key);
}

/** findPairAt as a function of its own. */
export function findPairAtOutline<K, V>(h: usize, key: K, hash: u64): usize {
  return findPairAt<K, V>(h, key, hash);
}

// ---- insert ----------------------------------------------------------------

/**
 * A value is about to change in place: bump the modification counter. A private map always does (an
 * iteration of a small map copies it whole and holds nothing in the core, so only the counter tells
 * it of a changed value: iter.ts iterSmall). A shared map's table does only if an iterator is live
 * (only iterators read the counter, each from its start on): this keeps the header's first cache
 * line unwritten by updates of present keys, so that two threads updating keys of one table pass
 * one cache line between them, not two.
 */
// @ts-ignore: decorator
@inline export function noteUpdate(h: usize): void {
  if (!ASC_FEATURE_THREADS || hget(h, H_ITERS) != 0) bumpMod(h);
}

/** Move the modification counter on: the map changed (iterators check what they hand out). */
// @ts-ignore: decorator
@inline export function bumpMod(h: usize): void {
  hset(h, H_MOD, hget(h, H_MOD) + 1);
}


/** Below this tophash a slot is free for an insert: EMPTY_REST, EMPTY_ONE (EVACUATED_X is never written). */
const FREE_BELOW: u8 = EMPTY_ONE + 1;
/** The same, tombstones included (EVACUATED_Y; EVACUATED_EMPTY is never written): once no iterator is live. */
const FREE_OR_TOMBSTONE_BELOW: u8 = EVACUATED_Y + 1;

/** Slots of a bucket (its tophash bytes as loaded by v128.load64_zero) that an insert may take: bit s for slot s. */
// @ts-ignore: decorator
@inline function freeSlots(v: v128, tombstonesToo: bool): u32 {
  let below = i8x16.splat(<i8>(tombstonesToo ? FREE_OR_TOMBSTONE_BELOW : FREE_BELOW));
  return <u32>i8x16.bitmask(i8x16.lt_u(v, below)) & SLOT_BITS;
}

/**
 * Find or add `key`; returns its pair address (the caller writes the value) and
 * sets lastInserted. Returns 0, with the map unchanged, when memory runs out.
 */
// @ts-ignore: decorator
@inline export function insertPair<K, V>(h: usize, key: K): usize {
  return insertPairAt<K, V>(h, key, hashKey<K>(h, key));
}

/** insertPair with the key's hash from the caller. */
export function insertPairAt<K, V>(h: usize, key: K, hash: u64): usize {
  let bsize = bucketSize<K, V>();
  let top = tophash(hash);
  let hash32 = <u32>hash;
  let tops = i8x16.splat(<i8>top);
  let grown = false;
  let committed = false;
  while (true) {
    if (hget(h, H_GROWING) != 0) growWork<K, V>(h, hash32);
    let reuseTombstones = hget(h, H_ITERS) == 0;
    let b = bucketAt(h, homeIndex(h, hash32, bsize), bsize);
    let freeB: usize = 0;
    let freeS: u32 = 0;
    let last: usize = 0;
    while (b != 0) {
      let v = v128.load64_zero(b);
      let m = matchTops(v, tops);
      while (m != 0) {
        let s = <u32>ctz(m);
        let p = pairAt<K, V>(b, s);
        if (keyEquals<K>(p, key)) {
          lastInserted = false;
          noteUpdate(h);
          return p;
        }
        m &= m - 1;
      }
      if (freeB == 0) {
        let f = freeSlots(v, reuseTombstones);
        if (f != 0) {
          freeB = b;
          freeS = <u32>ctz(f);
        }
      }
      if (endsChain(v)) break;
      last = b;
      b = overflowOf(b);
    }
    // Not present. A string key gets its own block first, once: nothing below may fail after the map
    // has changed (a growth included).
    if (isReference<K>()) {
      if (!committed) {
        if (!strCommit(h, changetype<usize>(key))) return 0;
        committed = true;
      }
    }
    // Grow first if the table is too full (once per insert), as Go does.
    if (!grown && hget(h, H_GROWING) == 0) {
      let count = hget(h, H_COUNT) + 1;
      let B = hget(h, H_B);
      if (overLoadFactor(count, B) || (tooManyOverflowBuckets(hget(h, H_NOVERFLOW), B) && hget(h, H_ITERS) == 0)) {
        grown = true;
        if (hashGrow<K, V>(h)) continue;
      }
    }
    if (freeB == 0) {
      freeB = newOverflow(h, bsize);
      if (freeB == 0) {
        if (isReference<K>()) strRelease(h, changetype<usize>(key));
        return 0;
      }
      setOverflow(last, freeB);
      freeS = 0;
    }
    let p = pairAt<K, V>(freeB, freeS);
    if (tophashAt(freeB, freeS) == EVACUATED_Y) {
      releaseSlot<K>(h, p);
      hset(h, H_TOMBSTONES, hget(h, H_TOMBSTONES) - 1);
    }
    if (isReference<K>()) copySlot<K>(p, changetype<usize>(key));
    else mstore<K>(p, key);
    setTophash(freeB, freeS, top);
    hset(h, H_COUNT, hget(h, H_COUNT) + 1);
    bumpMod(h);
    lastInserted = true;
    return p;
  }
  return 0; // unreachable
}

// ---- remove ----------------------------------------------------------------

/** Remove `key`; true if it was present (its value's bits are left in lastValue). */
// @ts-ignore: decorator
@inline export function removePair<K, V>(h: usize, key: K): bool {
  return removePairAt<K, V>(h, key, hashKey<K>(h, key));
}

/** removePair with the key's hash from the caller. */
export function removePairAt<K, V>(h: usize, key: K, hash: u64): bool {
  let bsize = bucketSize<K, V>();
  let top = tophash(hash);
  if (hget(h, H_GROWING) != 0) growWork<K, V>(h, <u32>hash);
  let first = bucketAt(h, homeIndex(h, <u32>hash, bsize), bsize);
  let b = first;
  let slot: u32 = BUCKET_SLOTS;
  let tops = i8x16.splat(<i8>top);
  do {
    let v = v128.load64_zero(b);
    let m = matchTops(v, tops);
    while (m != 0) {
      let s = <u32>ctz(m);
      if (keyEquals<K>(pairAt<K, V>(b, s), key)) {
        slot = s;
        break;
      }
      m &= m - 1;
    }
    if (slot != BUCKET_SLOTS || endsChain(v)) break;
    b = overflowOf(b);
  } while (b != 0);
  if (slot == BUCKET_SLOTS) return false;
  let p = pairAt<K, V>(b, slot);
  if (isReference<V>()) releaseSlot<V>(h, p + valOffset<K, V>());
  else lastValue = <u64>load<V>(p + valOffset<K, V>());
  releaseSlot<K>(h, p);
  setTophash(b, slot, EMPTY_ONE);
  foldEmptyRest(first, b, slot);
  let count = hget(h, H_COUNT) - 1;
  hset(h, H_COUNT, count);
  bumpMod(h);
  if (count == 0) emptied(h);
  return true;
}

/**
 * Map h lost its last entry to a delete. A map under maxBytes starts again from its first array, as
 * clear does, when it holds overflow buckets or a doubling it could not finish: those keep its budget
 * while it is empty (a map filled to its budget and emptied by deletes held a third as many entries
 * the next time). Else a new seed, as Go picks (maybeReseed). Private build: a shared map's frees wait
 * for the write's commit, so its array could not come back within the budget at once.
 */
function emptied(h: usize): void {
  if (!ASC_FEATURE_THREADS && hget(h, H_MAXBYTES) != 0 && hget(h, H_ITERS) == 0 && hget(h, H_TOMBSTONES) == 0 && (hget(h, H_NOVERFLOW) != 0 || hget(h, H_GROWING) != 0)) {
    clearMap(h);
    return;
  }
  maybeReseed(h);
}

/** If slot s of b now ends the chain's entries, turn the trailing run of EMPTY_ONE into EMPTY_REST. */
function foldEmptyRest(first: usize, b: usize, s: u32): void {
  if (s == BUCKET_SLOTS - 1) {
    let next = overflowOf(b);
    if (next != 0 && tophashAt(next, 0) != EMPTY_REST) return;
  } else if (tophashAt(b, s + 1) != EMPTY_REST) {
    return;
  }
  while (true) {
    setTophash(b, s, EMPTY_REST);
    if (s == 0) {
      if (b == first) break;
      let c = b;
      b = first;
      while (overflowOf(b) != c) b = overflowOf(b);
      s = BUCKET_SLOTS - 1;
    } else {
      s--;
    }
    if (tophashAt(b, s) != EMPTY_ONE) break;
  }
}

/**
 * Pick a new hash seed once the map is empty, as Go does against hash flooding;
 * not for a user-given seed, and not while tombstones or iterators still depend
 * on the old seed's bucket assignment.
 */
function maybeReseed(h: usize): void {
  if ((load<u8>(h + H_FLAGS) & HF_FIXED_SEED) != 0) return;
  if (hget(h, H_ITERS) != 0 || hget(h, H_TOMBSTONES) != 0) return;
  store<u64>(h + H_SEED, nextRandom(h + H_RNG));
}

// ---- create, clear, free ---------------------------------------------------

/** Smallest B whose buckets hold `capacity` entries at the load factor. */
export function bForCapacity(capacity: u32): u32 {
  let B: u32 = 0;
  while (B < MAX_B && overLoadFactor(capacity, B)) B++;
  return B;
}

/** Allocate the directory and every segment of an empty array of 2^B buckets; false when memory runs out (nothing left allocated). */
function allocArray(h: usize, B: u32): bool {
  let bsize = bucketSizeOf(load<u8>(h + H_KEYSIZE), load<u8>(h + H_VALSIZE));
  let n = dirLength(B);
  let dir = mapAlloc(h, <usize>n << 2, true);
  if (dir == 0) return false;
  hset(h, H_DIR, <u32>dir);
  hset(h, H_B, B); // before the segments: freeArray sizes what it frees by B
  let segBytes = segmentBytes(B, bsize);
  for (let i: u32 = 0; i < n; i++) {
    let seg = mapAlloc(h, segBytes, true);
    if (seg == 0) {
      freeArray(h);
      return false;
    }
    mstore<u32>(dir + (<usize>i << 2), <u32>seg);
  }
  hset(h, H_SEG0, B <= SEG_SHIFT ? load<u32>(dir) : 0);
  return true;
}

/** Free every segment, overflow bucket and the directory of h's array, and the strings they hold. */
function freeArray(h: usize): void {
  let keySize = <u32>load<u8>(h + H_KEYSIZE);
  let valSize = <u32>load<u8>(h + H_VALSIZE);
  let bsize = bucketSizeOf(keySize, valSize);
  let dir = <usize>hget(h, H_DIR);
  if (dir == 0) return;
  if (keySize == <u32>STR_FIELD || valSize == <u32>STR_FIELD) releaseStrings(h, keySize, valSize);
  let B = hget(h, H_B);
  let n = dirLength(B);
  let perSeg: u32 = B >= SEG_SHIFT ? SEG_BUCKETS : <u32>1 << B;
  let segBytes = segmentBytes(B, bsize);
  // Overflow buckets are counted exactly: once none is left, no bucket is read (a huge map made with
  // a capacity and never filled would otherwise fault in every page of its array just to free it).
  let overflowLeft = hget(h, H_NOVERFLOW);
  for (let i: u32 = 0; i < n; i++) {
    let seg = <usize>load<u32>(dir + (<usize>i << 2));
    if (seg == 0) continue;
    for (let j: u32 = 0; j < perSeg && overflowLeft != 0; j++) {
      let ovf = overflowOf(seg + <usize>j * bsize);
      while (ovf != 0) {
        let next = overflowOf(ovf);
        freeOverflow(h, ovf, bsize);
        overflowLeft--;
        ovf = next;
      }
    }
    mapFree(h, seg, segBytes);
  }
  mapFree(h, dir, <usize>n << 2);
  hset(h, H_DIR, 0);
  hset(h, H_SEG0, 0);
}

/** Release the string blocks of every entry, and the key blocks tombstones keep. */
function releaseStrings(h: usize, keySize: u32, valSize: u32): void {
  let bsize = bucketSizeOf(keySize, valSize);
  let psize = pairSizeOf(<usize>keySize, <usize>valSize);
  let voff = valueOffsetOf(<usize>keySize, <usize>valSize);
  let strKey = keySize == <u32>STR_FIELD;
  let strVal = valSize == <u32>STR_FIELD;
  // Only entries and tombstones own blocks: an empty map's buckets need not be read.
  if (hget(h, H_COUNT) == 0 && hget(h, H_TOMBSTONES) == 0) return;
  let n: u32 = 1 << hget(h, H_B);
  for (let i: u32 = 0; i < n; i++) {
    let b = bucketAt(h, i, bsize);
    if (b == 0) continue; // an upper-half segment not allocated yet
    while (b != 0) {
      for (let s: u32 = 0; s < BUCKET_SLOTS; s++) {
        let top = tophashAt(b, s);
        let p = b + B_PAIRS + <usize>s * psize;
        if (top >= MIN_TOPHASH) {
          if (strKey) strRelease(h, p);
          if (strVal) strRelease(h, p + voff);
        } else if (top == EVACUATED_Y && strKey) {
          strRelease(h, p);
        }
      }
      b = overflowOf(b);
    }
  }
}

/** Reset growth and content fields to an empty, non-growing map. */
function resetState(h: usize): void {
  hset(h, H_COUNT, 0);
  hset(h, H_NOVERFLOW, 0);
  hset(h, H_GROWING, 0);
  hset(h, H_OLDBUCKETS, 0);
  hset(h, H_NEVACUATE, 0);
  hset(h, H_SPLIT, NO_SPLIT);
  hset(h, H_TOMBSTONES, 0);
  store<u8>(h + H_GEN, 1);
}

/** The fields a new map's header (or a shared map's root, of `size` bytes) starts with. */
export function initHeader(h: usize, size: usize, keySize: u32, valSize: u32, seed: u64, rng: u64, fixedSeed: bool, maxBytes: u32): void {
  store<u8>(h + H_KEYSIZE, <u8>keySize);
  store<u8>(h + H_VALSIZE, <u8>valSize);
  store<u8>(h + H_FLAGS, fixedSeed ? HF_FIXED_SEED : 0);
  store<u64>(h + H_SEED, seed);
  store<u64>(h + H_RNG, rng);
  hset(h, H_MAXBYTES, maxBytes);
  hset(h, H_BYTES, <u32>roundSize(size));
}

/**
 * A new map for keys and values of the given byte sizes, with room for
 * `capacity` entries. Returns 0 when memory or maxBytes does not allow it.
 */
export function newMap(keySize: u32, valSize: u32, capacity: u32, seed: u64, rng: u64, fixedSeed: bool, maxBytes: u32): usize {
  let h = alloc(HEADER_SIZE, true);
  if (h == 0) return 0;
  if (maxBytes != 0 && <u32>roundSize(HEADER_SIZE) > maxBytes) {
    free(h, HEADER_SIZE);
    return 0;
  }
  initHeader(h, HEADER_SIZE, keySize, valSize, seed, rng, fixedSeed, maxBytes);
  resetState(h);
  let B = bForCapacity(capacity);
  // Refuse at once an array that cannot fit in the address space (or the cap), rather than growing memory first.
  let arrayBytes = (<u64>1 << B) * <u64>bucketSizeOf(keySize, valSize);
  if (!couldFit(arrayBytes) || (maxBytes != 0 && arrayBytes > <u64>maxBytes)) {
    free(h, HEADER_SIZE);
    return 0;
  }
  hset(h, H_MINB, B);
  if (!allocArray(h, B)) {
    free(h, HEADER_SIZE);
    return 0;
  }
  return h;
}

/**
 * Remove every entry. The array goes back to the size the map was created
 * with; live iterators end (the epoch changes); the seed changes unless fixed.
 * Returns false, with the map empty but unusable, only if memory for the
 * initial array cannot be had again (it was just freed, so in practice never).
 */
export function clearMap(h: usize): bool {
  freeArray(h);
  resetState(h);
  hset(h, H_EPOCH, hget(h, H_EPOCH) + 1);
  bumpMod(h);
  if ((load<u8>(h + H_FLAGS) & HF_FIXED_SEED) == 0) store<u64>(h + H_SEED, nextRandom(h + H_RNG));
  return allocArray(h, hget(h, H_MINB));
}

/** Free the map and everything it holds. */
export function freeMap(h: usize): void {
  freeArray(h);
  free(h, HEADER_SIZE);
}

