// Growth: doubling in place, same-size re-packing, incremental evacuation, and
// the one-step growth of small private maps.
//
// Growth starts only in an insert, when no growth is in progress, as in Go:
//   - past 6.5 entries per bucket the array doubles (B + 1);
//   - with as many overflow buckets as buckets (2^min(B, 15)) and no live
//     iterator, a same-size grow re-packs the chains to free overflow buckets.
// hashGrow copies no entry. Each later insert or delete first evacuates the old
// bucket it is about to touch and one more (nevacuate), so no operation ever
// rehashes the whole map.
//
// Except a small one. A private map of fewer than 2^SMALL_B buckets with no
// live iterator grows in the insert that starts it, and by four times (B + 2,
// at most to SMALL_B), not two: rehashAll moves every entry into a new array in
// one pass. Incremental evacuation is there for latency, which only a large
// table's doubling hurts; spread over later writes, this little work cost more
// in bookkeeping (each write's growWork, lookups that check whether their old
// bucket moved) than the moves themselves. Growing by four times cuts how often
// each entry is moved on the way from empty (a map built to 1,000 entries moves
// about 550 entries, not 1,650), at the price of up to twice Go's array for a
// small map: 417 to 832 int32 pairs are held in 256 buckets (20 KiB), not 128.
// CPython's dict grows small tables several times over for the same reason. A
// map with a live iterator doubles as Go's does, since its iterators keep their
// places by the doubling's rules; so does a map whose four-times array does not
// fit its maxBytes. (The shared build stays incremental: a write's log holds
// its own stores.)
//
// Doubling happens in place. The doubled array's lower half is the old array
// itself: the directory gets twice the entries, the old segments stay where they
// are, and only upper-half segments are new, allocated when the first of their
// buckets receives entries. (While the whole array fits in one segment, the
// segment is instead re-allocated at twice the size and the old half copied
// with memory.copy: at most 256 buckets, bounded work.) Evacuating old bucket i
// splits its chain by hash bit oldB: X entries (bit 0) stay in bucket i, Y
// entries (bit 1) move to bucket i + 2^oldB. So growing from empty never holds
// two copies of the array, and resident memory stays close to the live bytes.
//
// How an evacuation treats the X side depends on iterators (iter.ts):
//   - no live iterator: the chain is compacted in place (X entries packed to the
//     front, emptied overflow buckets freed);
//   - a live iterator: nothing moves within the chain. Each Y entry's old slot
//     becomes an EVACUATED_Y tombstone that keeps its key, so an iterator that
//     started before the growth can look the key up again, as Go's iterators do
//     with evacuatedX/Y slots of the old array. Tombstones are skipped by
//     lookups and reused by inserts once no iterator is live.
//
// Lookups while doubling: a key whose new bucket is in the upper half reads the
// old bucket (its lower-half twin) until that one is evacuated. Whether bucket i
// is evacuated is its `gen` byte equal to the map's growth generation, so
// starting a growth needs no pass over the buckets.
//
// Out of memory: a doubling that cannot get its directory or segment does not
// start; an evacuation that cannot get its segment or overflow buckets leaves
// the bucket unevacuated (lookups keep reading it) and waits for a later write.

import {
  BUCKET_SLOTS, B_GEN, EMPTY_REST, H_SEED, EVACUATED_Y, MIN_TOPHASH, GROW_DOUBLE, GROW_SAME, NO_SPLIT, SEG_SHIFT, SEG_BUCKETS, H_COUNT, H_B, H_GROWING, H_DIR, H_SEG0, H_OLDBUCKETS, H_NEVACUATE, H_SPLIT, H_ITERS, H_GEN, H_TOMBSTONES, hget, hset, pairAt, valOffset, bucketSize, tophashAt, overflowOf, dirLength, segmentBytes, MAX_B,
} from "./layout";
import { bucketAt } from "./bounds";
import { setTophash, setOverflow } from "./wlog";
import { mapAlloc, mapFree, newOverflow, freeOverflow } from "./memory";
import { hashKey, hashKeySeeded, keyAt, copySlot, releaseSlot, strRetain } from "./strings";
import { realSlots, matchByte, firstSlot } from "./hash";
import { mstore } from "./wlog";

/** Go's load factor 6.5 entries per bucket, as the fraction LOAD_NUM / LOAD_DEN. */
const LOAD_NUM: u64 = 13;
const LOAD_DEN_SHIFT: u64 = 1; // LOAD_DEN = 2
/** Cap on the overflow threshold's exponent, as in Go: 2^15 overflow buckets is "too many" for any large map. */
const OVERFLOW_B_CAP: u32 = 15;
/** A private map of fewer than 2^SMALL_B buckets grows in one step when no iterator is live: 256 buckets is 20 KiB of int32 pairs, moved in a few microseconds. */
export const SMALL_B: u32 = 8;
/** log2 of how many times over a small map's array grows in one step (rehashAll): four times moves a third as many entries in a build from empty as doubling, for at most twice the array. */
export const SMALL_STEP: u32 = 2;
/** Bits of one new bucket's entry count in rehashAll's counts word: a byte each, so one u64 holds the counts of up to 8 new buckets (SMALL_STEP <= 3), and a count stops at BUCKET_SLOTS. */
const FILL_BITS: u32 = 8;
const FILL_MASK: u32 = (1 << FILL_BITS) - 1;
/** How far advanceMark looks past nevacuate for already evacuated buckets, as in Go: bounds the work of one write. */
const MARK_LOOKAHEAD: u32 = 1024;

/** Whether `count` entries overload 2^B buckets. */
export function overLoadFactor(count: u32, B: u32): bool {
  return count > BUCKET_SLOTS && (<u64>count << LOAD_DEN_SHIFT) > (LOAD_NUM << <u64>B);
}

/** Whether there are about as many overflow buckets as buckets. */
export function tooManyOverflowBuckets(noverflow: u32, B: u32): bool {
  return noverflow >= (<u32>1 << min(B, OVERFLOW_B_CAP));
}

/** Start a growth. Returns false, with nothing changed, when memory for it runs out. */
export function hashGrow<K, V>(h: usize): bool {
  let B = hget(h, H_B);
  let oldN: u32 = <u32>1 << B;
  if (!overLoadFactor(hget(h, H_COUNT) + 1, B)) {
    startGrowth(h, GROW_SAME, oldN, NO_SPLIT);
    return true;
  }
  if (B >= MAX_B) return false;
  let small = !ASC_FEATURE_THREADS && B < SMALL_B && hget(h, H_ITERS) == 0;
  if (small && rehashAll<K, V>(h, min(B + SMALL_STEP, SMALL_B))) return true;
  let bsize = bucketSize<K, V>();
  let dir = <usize>hget(h, H_DIR);
  if (B < SEG_SHIFT) {
    let oldBytes = segmentBytes(B, bsize);
    let seg = mapAlloc(h, segmentBytes(B + 1, bsize), true);
    if (seg == 0) return false;
    let old = <usize>load<u32>(dir);
    memory.copy(seg, old, oldBytes);
    mapFree(h, old, oldBytes);
    mstore<u32>(dir, <u32>seg);
    hset(h, H_SEG0, <u32>seg); // B + 1 <= SEG_SHIFT: still one segment
  } else {
    let oldLen = <usize>dirLength(B) << 2;
    let nd = mapAlloc(h, oldLen << 1, true);
    if (nd == 0) return false;
    memory.copy(nd, dir, oldLen);
    mapFree(h, dir, oldLen);
    hset(h, H_DIR, <u32>nd);
    hset(h, H_SEG0, 0); // more than one segment from now on
  }
  hset(h, H_B, B + 1);
  startGrowth(h, GROW_DOUBLE, oldN, oldN);
  if (small) evacuateAll<K, V>(h, oldN); // rehashAll found no memory for four times the array
  return true;
}

/**
 * Move every entry of a small private map (one segment, no growth in progress, no live iterator) into
 * a new array of 2^newB buckets, in one pass: each entry goes to the first free slot of its new chain.
 * The old array is only read, so running out of memory (the new array, or an overflow bucket of it)
 * frees what was taken and leaves the map as it was: false, and the caller doubles in place instead.
 */
function rehashAll<K, V>(h: usize, newB: u32): bool {
  let bsize = bucketSize<K, V>();
  let oldB = hget(h, H_B);
  let oldN: u32 = <u32>1 << oldB;
  let newMask: u32 = (<u32>1 << newB) - 1;
  let seg = mapAlloc(h, segmentBytes(newB, bsize), true);
  if (seg == 0) return false;
  let old = <usize>hget(h, H_SEG0);
  let seed = load<u64>(h + H_SEED);
  for (let i: u32 = 0; i < oldN; i++) {
    // The entries of old chain i (hash & (oldN - 1) == i) go to new buckets i + k * oldN, k < 2^(newB -
    // oldB), which no other chain feeds: their entry counts are bytes of a local (k's byte), so that no
    // move waits for the store of the one before it.
    let fills: u64 = 0;
    let src = old + <usize>i * bsize;
    do {
      let word = load<u64>(src);
      for (let m = realSlots(word); m != 0; m &= m - 1) {
        let s = firstSlot(m);
        let p = pairAt<K, V>(src, s);
        let hash = hashKeySeeded<K>(keyAt<K>(p), seed);
        let dst = seg + <usize>(<u32>hash & newMask) * bsize;
        let shift = <u64>(((<u32>hash & newMask) >> oldB) * FILL_BITS);
        let fill = <u32>(fills >> shift) & FILL_MASK;
        if (fill < BUCKET_SLOTS) {
          fills += <u64>1 << shift;
          movePair<K, V>(dst, fill, src, s, tophashAt(src, s));
          continue;
        }
        let free = matchByte(load<u64>(dst), EMPTY_REST);
        while (free == 0) {
          let next = overflowOf(dst);
          if (next == 0) {
            next = newOverflow(h, bsize);
            if (next == 0) {
              freeNewArray(h, seg, newB, bsize);
              return false;
            }
            setOverflow(dst, next);
          }
          dst = next;
          free = matchByte(load<u64>(dst), EMPTY_REST);
        }
        movePair<K, V>(dst, firstSlot(free), src, s, tophashAt(src, s));
      }
      src = overflowOf(src);
    } while (src != 0);
  }
  // The entries have moved: free the old chains' blocks (not the strings, which went with them), and
  // the key blocks of tombstones left by an earlier doubling's iterators.
  for (let i: u32 = 0; i < oldN; i++) {
    let b = old + <usize>i * bsize;
    for (let c = b; c != 0; c = overflowOf(c)) dropTombstones<K, V>(h, c);
    freeChain(h, overflowOf(b), bsize);
  }
  mapFree(h, old, segmentBytes(oldB, bsize));
  mstore<u32>(<usize>hget(h, H_DIR), <u32>seg);
  hset(h, H_SEG0, <u32>seg);
  hset(h, H_B, newB);
  return true;
}

/** Release the key blocks of bucket b's EVACUATED_Y tombstones (rehashAll: the bucket is about to be freed). */
function dropTombstones<K, V>(h: usize, b: usize): void {
  if (hget(h, H_TOMBSTONES) == 0) return;
  let dropped: u32 = 0;
  for (let m = matchByte(load<u64>(b), EVACUATED_Y); m != 0; m &= m - 1) {
    releaseSlot<K>(h, pairAt<K, V>(b, firstSlot(m)));
    dropped++;
  }
  hset(h, H_TOMBSTONES, hget(h, H_TOMBSTONES) - dropped);
}

/** Free a new array that rehashAll could not fill: its overflow buckets, then its one segment. */
function freeNewArray(h: usize, seg: usize, B: u32, bsize: usize): void {
  let n: u32 = <u32>1 << B;
  for (let i: u32 = 0; i < n; i++) freeChain(h, overflowOf(seg + <usize>i * bsize), bsize);
  mapFree(h, seg, segmentBytes(B, bsize));
}

/** Evacuate every old bucket now (a small map that could not grow four times over); one that finds no memory stops it, and later writes go on with the rest. */
function evacuateAll<K, V>(h: usize, oldN: u32): void {
  for (let i: u32 = 0; i < oldN; i++) if (!evacuate<K, V>(h, i)) return;
}

function startGrowth(h: usize, kind: u32, oldN: u32, split: u32): void {
  let gen = load<u8>(h + H_GEN);
  store<u8>(h + H_GEN, gen == 255 ? 1 : gen + 1);
  hset(h, H_OLDBUCKETS, oldN);
  hset(h, H_NEVACUATE, 0);
  hset(h, H_SPLIT, split);
  hset(h, H_GROWING, kind);
}

function finishGrowth(h: usize): void {
  hset(h, H_GROWING, 0);
  hset(h, H_OLDBUCKETS, 0);
  hset(h, H_NEVACUATE, 0);
  hset(h, H_SPLIT, NO_SPLIT);
}

/** Evacuate the old bucket that a write of this hash touches, and one more. */
export function growWork<K, V>(h: usize, hash32: u32): void {
  evacuate<K, V>(h, hash32 & (hget(h, H_OLDBUCKETS) - 1));
  if (hget(h, H_GROWING) != 0) evacuate<K, V>(h, hget(h, H_NEVACUATE));
}

/** Evacuate old bucket `old` if not done yet; false when memory for it runs out. */
function evacuate<K, V>(h: usize, old: u32): bool {
  let bsize = bucketSize<K, V>();
  let b = bucketAt(h, old, bsize);
  let gen = load<u8>(h + H_GEN);
  if (load<u8>(b + B_GEN) != gen) {
    if (hget(h, H_GROWING) == GROW_DOUBLE) {
      if (!splitChain<K, V>(h, b, old, bsize)) return false;
    } else if (hget(h, H_ITERS) == 0) {
      rebuildChain<K, V>(h, b, 0, 0);
    }
    mstore<u8>(b + B_GEN, gen);
  }
  // Also for a bucket evacuated earlier: advanceMark may have stopped on it at its look-ahead limit.
  if (old == hget(h, H_NEVACUATE)) advanceMark(h, bsize, gen);
  return true;
}

function advanceMark(h: usize, bsize: usize, gen: u8): void {
  let oldN = hget(h, H_OLDBUCKETS);
  let n = hget(h, H_NEVACUATE) + 1;
  let stop = n + MARK_LOOKAHEAD;
  while (n < oldN && n != stop && load<u8>(bucketAt(h, n, bsize) + B_GEN) == gen) n++;
  hset(h, H_NEVACUATE, n);
  if (n >= oldN) finishGrowth(h);
}

/** Split old bucket `old` (chain b) between itself and old + 2^oldB. */
function splitChain<K, V>(h: usize, b: usize, old: u32, bsize: usize): bool {
  let ybit = hget(h, H_OLDBUCKETS);
  let y = old + ybit;
  let slot = <usize>hget(h, H_DIR) + (<usize>(y >> SEG_SHIFT) << 2);
  if (load<u32>(slot) == 0) {
    let seg = mapAlloc(h, <usize>SEG_BUCKETS * bsize, true);
    if (seg == 0) return false;
    mstore<u32>(slot, <u32>seg);
  }
  let yb = bucketAt(h, y, bsize);
  // Reserve the Y chain's overflow buckets first, so that the move cannot fail half way. A chain of
  // one bucket needs none; a longer one has its Y entries counted (a hash each), so that no overflow
  // bucket is taken to be freed again at once; buckets left empty are freed after.
  let reserved: u32 = 0;
  if (overflowOf(b) != 0) {
    let ys: u32 = 0;
    let src = b;
    do {
      for (let m = realSlots(load<u64>(src)); m != 0; m &= m - 1) {
        let s = <u32>(ctz(m) >> 3);
        if ((<u32>hashKey<K>(h, keyAt<K>(pairAt<K, V>(src, s))) & ybit) != 0) ys++;
      }
      src = overflowOf(src);
    } while (src != 0);
    reserved = ys > BUCKET_SLOTS ? (ys - 1) / BUCKET_SLOTS : 0;
  }
  let tail = yb;
  for (let need = reserved; need > 0; need--) {
    let o = newOverflow(h, bsize);
    if (o == 0) {
      freeChain(h, overflowOf(yb), bsize);
      setOverflow(yb, 0);
      return false;
    }
    setOverflow(tail, o);
    tail = o;
  }
  if (hget(h, H_ITERS) == 0) rebuildChain<K, V>(h, b, yb, ybit);
  else tombstoneSplit<K, V>(h, b, yb, ybit);
  if (reserved != 0) trimChain(h, yb, bsize);
  return true;
}

/** Free the overflow buckets of a packed chain from its first unused one (slot 0 empty) on. */
function trimChain(h: usize, head: usize, bsize: usize): void {
  let prev = head;
  let cur = overflowOf(head);
  while (cur != 0 && tophashAt(cur, 0) != EMPTY_REST) {
    prev = cur;
    cur = overflowOf(cur);
  }
  if (cur == 0) return;
  setOverflow(prev, 0);
  freeChain(h, cur, bsize);
}

/** Copy the pair of (src, s) to (dst, d) with its tophash. */
// @ts-ignore: decorator
@inline function movePair<K, V>(dst: usize, d: u32, src: usize, s: u32, top: u8): void {
  let p = pairAt<K, V>(src, s);
  let q = pairAt<K, V>(dst, d);
  copySlot<K>(q, p);
  copySlot<V>(q + valOffset<K, V>(), p + valOffset<K, V>());
  setTophash(dst, d, top);
}

/**
 * Re-pack chain b in place, sending entries with hash bit `ybit` (if non-zero)
 * to the empty chain yb. Tombstones are dropped, emptied overflow buckets freed.
 * Only when no iterator is live: entries move within the chain.
 */
function rebuildChain<K, V>(h: usize, b: usize, yb: usize, ybit: u32): void {
  let bsize = bucketSize<K, V>();
  let dst = b;
  let prevDst: usize = 0;
  let d: u32 = 0;
  let y: u32 = 0;
  let dropped: u32 = 0;
  let src = b;
  do {
    for (let s: u32 = 0; s < BUCKET_SLOTS; s++) {
      let top = tophashAt(src, s);
      if (top < MIN_TOPHASH) {
        if (top == EVACUATED_Y) {
          releaseSlot<K>(h, pairAt<K, V>(src, s));
          dropped++;
        }
        continue;
      }
      // Whether an entry goes to Y is a coin toss, which a branch would mispredict half the time: the
      // destination is chosen by select. An X entry already in place moves onto itself, except in the
      // shared build, where a store is logged (a write's log has room for the stores it needs).
      let toY = ybit != 0 && (<u32>hashKey<K>(h, keyAt<K>(pairAt<K, V>(src, s))) & ybit) != 0;
      if (!ASC_FEATURE_THREADS || toY || dst != src || d != s) movePair<K, V>(select<usize>(yb, dst, toY), select<u32>(y, d, toY), src, s, top);
      y += <u32>toY;
      d += <u32>!toY;
      if (y == BUCKET_SLOTS) {
        yb = overflowOf(yb);
        y = 0;
      }
      if (d == BUCKET_SLOTS) {
        prevDst = dst;
        dst = overflowOf(dst);
        d = 0;
      }
    }
    src = overflowOf(src);
  } while (src != 0);
  if (dropped != 0) hset(h, H_TOMBSTONES, hget(h, H_TOMBSTONES) - dropped);
  if (dst == 0) return; // every slot of the chain is in use
  if (d == 0 && dst != b) {
    setOverflow(prevDst, 0);
    freeChain(h, dst, bsize);
    return;
  }
  for (let s = d; s < BUCKET_SLOTS; s++) setTophash(dst, s, EMPTY_REST);
  freeChain(h, overflowOf(dst), bsize);
  setOverflow(dst, 0);
}

/** Copy Y entries of chain b to yb, leaving EVACUATED_Y tombstones with their keys: nothing moves within b. */
function tombstoneSplit<K, V>(h: usize, b: usize, yb: usize, ybit: u32): void {
  let y: u32 = 0;
  let made: u32 = 0;
  let src = b;
  do {
    for (let s: u32 = 0; s < BUCKET_SLOTS; s++) {
      let top = tophashAt(src, s);
      if (top < MIN_TOPHASH) continue;
      let p = pairAt<K, V>(src, s);
      if ((<u32>hashKey<K>(h, keyAt<K>(p)) & ybit) == 0) continue;
      movePair<K, V>(yb, y, src, s, top);
      setTophash(src, s, EVACUATED_Y);
      // The tombstone keeps the key's field: one more reference to a string key's block.
      if (isReference<K>()) strRetain(p);
      made++;
      if (++y == BUCKET_SLOTS) {
        yb = overflowOf(yb);
        y = 0;
      }
    }
    src = overflowOf(src);
  } while (src != 0);
  hset(h, H_TOMBSTONES, hget(h, H_TOMBSTONES) + made);
}

/** Free a chain of overflow buckets. */
function freeChain(h: usize, b: usize, bsize: usize): void {
  while (b != 0) {
    let next = overflowOf(b);
    freeOverflow(h, b, bsize);
    b = next;
  }
}

