// Batch operations over arrays of keys and values already copied into linear memory.
//
// One call handles a whole chunk, so the JS side pays one boundary crossing per
// chunk instead of per element. KA is how a key is read from the input array
// (u32 for int32/uint32, f64 for float64, normalised here as single lookups are,
// u64 for the bigint kinds); K and V are the storage types, as in map.ts.
//
// setMany is all or nothing: batchSet records, per pair, whether the key was
// inserted and the value it replaced (an undo log in the caller's buffers). If
// an insert runs out of memory, the pairs of this chunk already stored are
// undone in reverse order and -1 is returned; the caller undoes earlier chunks
// with batchUndo. In the shared build a chunk moves the thread's beat (its waiters see it work) and
// checks before each key that its lock is still its own. Undo never fails: removal never fails for lack of memory
// (its evacuation work waits if it cannot allocate), and restoring a value
// writes where the key already is.

import { findPair, findPairAtRest, atRest, insertPair, removePair, lastInserted, noteUpdate } from "./map";
import { valOffset, hget, H_SEED, H_B, H_SEG0, H_DIR } from "./layout";
import { mstore } from "./wlog";
import { tbl } from "./tables";
import { stillHeld } from "./lock";
import { threadBeat } from "./thread";

/** Canonical NaN: all NaN keys are this one key. */
const CANONICAL_NAN: u64 = 0x7FF8000000000000;

/** Undo-log flag: the pair inserted a new key. */
const UNDO_INSERTED: u8 = 1;
/** Undo-log flag: the pair overwrote a value (kept in the log). */
const UNDO_UPDATED: u8 = 0;

/** The storage bits of a float64 key: -0 is +0, every NaN one NaN (SameValueZero). */
// @ts-ignore: decorator
@inline export function f64key(k: f64): u64 {
  if (k != k) return CANONICAL_NAN;
  return reinterpret<u64>(k + 0.0);
}

// @ts-ignore: decorator
@inline function keyAt<KA, K>(keys: usize, i: u32): K {
  if (isFloat<KA>()) {
    return <K>f64key(load<f64>(keys + (<usize>i << 3)));
  } else {
    return <K>load<KA>(keys + (<usize>i << alignof<KA>()));
  }
}

/** out[i] = value of keys[i], or `missing` (bits) when absent. */
export function batchGet<KA, K, V>(h: usize, keys: usize, out: usize, n: u32, missing: u64): void {
  if (atRest(h)) {
    let seed = load<u64>(h + H_SEED), mask = (<u32>1 << hget(h, H_B)) - 1, seg0 = <usize>hget(h, H_SEG0), dir = <usize>hget(h, H_DIR);
    for (let i: u32 = 0; i < n; i++) {
      let p = findPairAtRest<K, V>(seed, mask, seg0, dir, keyAt<KA, K>(keys, i));
      store<V>(out + (<usize>i << alignof<V>()), p != 0 ? load<V>(p + valOffset<K, V>()) : <V>missing);
    }
    return;
  }
  for (let i: u32 = 0; i < n; i++) {
    let key = keyAt<KA, K>(keys, i);
    let p = findPair<K, V>(tbl<K>(h, key), key);
    store<V>(out + (<usize>i << alignof<V>()), p != 0 ? load<V>(p + valOffset<K, V>()) : <V>missing);
  }
}

/** out[i] = 1 if keys[i] is present, else 0. */
export function batchHas<KA, K, V>(h: usize, keys: usize, out: usize, n: u32): void {
  if (atRest(h)) {
    let seed = load<u64>(h + H_SEED), mask = (<u32>1 << hget(h, H_B)) - 1, seg0 = <usize>hget(h, H_SEG0), dir = <usize>hget(h, H_DIR);
    for (let i: u32 = 0; i < n; i++) store<u8>(out + <usize>i, findPairAtRest<K, V>(seed, mask, seg0, dir, keyAt<KA, K>(keys, i)) != 0 ? 1 : 0);
    return;
  }
  for (let i: u32 = 0; i < n; i++) {
    let key = keyAt<KA, K>(keys, i);
    store<u8>(out + <usize>i, findPair<K, V>(tbl<K>(h, key), key) != 0 ? 1 : 0);
  }
}

/** Remove every key; returns how many were present. */
export function batchDelete<KA, K, V>(h: usize, keys: usize, n: u32): u32 {
  let count: u32 = 0;
  threadBeat();
  for (let i: u32 = 0; i < n; i++) {
    if (!stillHeld()) unreachable(); // taken over: store nothing more (wlog.ts)
    let key = keyAt<KA, K>(keys, i);
    if (removePair<K, V>(tbl<K>(h, key), key)) count++;
  }
  return count;
}

/**
 * Store vals[i] under keys[i], logging each pair in flags/old. Returns n, or -1
 * when memory ran out (this chunk is then undone; the map is as before the call).
 */
export function batchSet<KA, K, V>(h: usize, keys: usize, vals: usize, n: u32, flags: usize, old: usize): i32 {
  threadBeat();
  for (let i: u32 = 0; i < n; i++) {
    if (!stillHeld()) unreachable(); // taken over: store nothing more (wlog.ts)
    let key = keyAt<KA, K>(keys, i);
    let p = insertPair<K, V>(tbl<K>(h, key), key);
    if (p == 0) {
      batchUndo<KA, K, V>(h, keys, i, flags, old);
      return -1;
    }
    let q = p + valOffset<K, V>();
    let at = <usize>i << alignof<V>();
    if (lastInserted) {
      store<u8>(flags + <usize>i, UNDO_INSERTED);
    } else {
      store<u8>(flags + <usize>i, UNDO_UPDATED);
      store<V>(old + at, load<V>(q));
    }
    mstore<V>(q, load<V>(vals + at));
  }
  return <i32>n;
}

/** Undo the first n pairs logged by batchSet, last first. */
export function batchUndo<KA, K, V>(h: usize, keys: usize, n: u32, flags: usize, old: usize): void {
  for (let i = <i32>n - 1; i >= 0; i--) {
    let key = keyAt<KA, K>(keys, <u32>i);
    if (load<u8>(flags + <usize>i) == UNDO_INSERTED) {
      removePair<K, V>(tbl<K>(h, key), key);
    } else {
      let t = tbl<K>(h, key);
      let p = findPair<K, V>(t, key);
      if (p == 0) continue;
      mstore<V>(p + valOffset<K, V>(), load<V>(old + (<usize>i << alignof<V>())));
      noteUpdate(t); // a value changed in place, as set() changes one: iterators check what they fetched
    }
  }
}
