// The typed operations the exports instantiate (index.ts): one generic body per operation, which
// each per-kind export of index.ts calls with its key and value types. K is the key's storage (u32
// or u64 bits, or Str, a string field), V the value's (u32 or u64 bits, Str). Everything here is
// @inline: an export compiles to its own specialised copy, with no call between.
//
// A get of an f64 or i64 value (or a validated get) also says in the thread's result word whether
// it found its key, since those values have no spare bit pattern for "missing" (thread.ts RES_*).

import { findPair, findPairAt, insertPair, insertPairAt, removePair, removePairAt, lastInserted, lastValue } from "./map";
import { Str, strPrepare, strCommit, strRelease, copySlot, hashKey } from "./strings";
import { valOffset, H_SEED, H_SEQ } from "./layout";
import { mstore } from "./wlog";
import { tableFor } from "./tables";
import { seqCount, seqValid, seqTryLock, seqUnlock, WRITE_BUSY, WRITE_DEAD } from "./lock";
import { memoryOrder } from "./futex";
import { setResult, RES_FOUND, RES_TORN } from "./thread";
import { add32, addF64, status, ST_BUSY, ST_DEAD } from "./update";

// ---- gets and sets of one key --------------------------------------------------

// @ts-ignore: decorator
@inline export function getBits<K, V>(h: usize, k: K): u64 {
  let p = findPair<K, V>(h, k);
  setResult(p != 0 ? RES_FOUND : 0);
  return p == 0 ? 0 : <u64>load<V>(p + valOffset<K, V>());
}
// @ts-ignore: decorator
@inline export function getF64<K>(h: usize, k: K): f64 {
  let p = findPair<K, u64>(h, k);
  setResult(p != 0 ? RES_FOUND : 0);
  return p == 0 ? NaN : load<f64>(p + valOffset<K, u64>());
}
// @ts-ignore: decorator
@inline export function setBits<K, V>(h: usize, k: K, v: V): i32 {
  return setBitsAt<K, V>(h, k, hashKey<K>(h, k), v);
}
// @ts-ignore: decorator
@inline export function setBitsAt<K, V>(h: usize, k: K, hash: u64, v: V): i32 {
  let p = insertPairAt<K, V>(h, k, hash);
  if (p == 0) return -1;
  mstore<V>(p + valOffset<K, V>(), v);
  return lastInserted ? 1 : 0;
}
// @ts-ignore: decorator
@inline export function setAny<K>(h: usize, k: K, cand: i32): i32 {
  let p = insertPair<K, u32>(h, k);
  if (p == 0) return -1;
  let q = p + valOffset<K, u32>();
  if (lastInserted) mstore<u32>(q, <u32>cand);
  return <i32>load<u32>(q);
}
// @ts-ignore: decorator
@inline export function getI32<K>(h: usize, k: K): f64 {
  let p = findPair<K, u32>(h, k);
  return p == 0 ? NaN : <f64>load<i32>(p + valOffset<K, u32>());
}
// @ts-ignore: decorator
@inline export function getU32<K>(h: usize, k: K): f64 {
  let p = findPair<K, u32>(h, k);
  return p == 0 ? NaN : <f64>load<u32>(p + valOffset<K, u32>());
}
// @ts-ignore: decorator
@inline export function getAny<K>(h: usize, k: K): i32 {
  let p = findPair<K, u32>(h, k);
  return p == 0 ? -1 : load<i32>(p + valOffset<K, u32>());
}
// @ts-ignore: decorator
@inline export function delAny<K>(h: usize, k: K): i32 {
  return removePair<K, u32>(h, k) ? <i32>lastValue : -1;
}

/** The field of the string key in query area q, for map h. */
// @ts-ignore: decorator
@inline export function strKey(h: usize, q: usize, n: u32): Str {
  return changetype<Str>(strPrepare(q, n, load<u64>(h + H_SEED), true));
}
// @ts-ignore: decorator
@inline export function getStr<K>(h: usize, k: K): usize {
  let p = findPair<K, Str>(h, k);
  return p == 0 ? 0 : p + valOffset<K, Str>();
}
/** The field of the string value in query area vq. Prepared before the key: an inline key's field is in globals that preparing another string overwrites. */
// @ts-ignore: decorator
@inline export function strValue(vq: usize, vn: u32): usize {
  return strPrepare(vq, vn, 0, false);
}
/** Store the string value whose field is at vq: its block is made first, so that running out of memory changes nothing. */
// @ts-ignore: decorator
@inline export function setStr<K>(h: usize, k: K, vq: usize): i32 {
  if (!strCommit(h, vq)) return -1;
  let p = insertPair<K, Str>(h, k);
  if (p == 0) {
    strRelease(h, vq);
    return -1;
  }
  let q = p + valOffset<K, Str>();
  if (!lastInserted) strRelease(h, q);
  copySlot<Str>(q, vq);
  return lastInserted ? 1 : 0;
}

// ---- a validated get of a shared map (number kinds) ---------------------------

/**
 * A get between two reads of the sequence counts of the key's table and of the map's root (a
 * whole-map write changes tables under the root's lock alone): its result if neither moved, else
 * NaN with RES_TORN in the result word. `kind` picks the value: 0 int32, 1 uint32, 2 float64.
 */
// @ts-ignore: decorator
@inline export function sget<K>(h: usize, key: K, kind: i32): f64 {
  let hash = hashKey<K>(h, key);
  let t = tableFor(h, hash);
  let rs = seqCount(h + H_SEQ);
  let s = seqCount(t + H_SEQ);
  let r: f64 = NaN;
  let res: u32 = 0;
  if (kind == 2) {
    let p = findPairAt<K, u64>(t, key, hash);
    if (p != 0) { r = load<f64>(p + valOffset<K, u64>()); res = RES_FOUND; }
  } else {
    let p = findPairAt<K, u32>(t, key, hash);
    if (p != 0) r = kind == 0 ? <f64>load<i32>(p + valOffset<K, u32>()) : <f64>load<u32>(p + valOffset<K, u32>());
  }
  memoryOrder(); // the lookup's loads before the counts' second reads
  if (seqValid(t + H_SEQ, s) && seqValid(h + H_SEQ, rs)) {
    setResult(res);
    return r;
  }
  setResult(RES_TORN);
  return NaN;
}
// ---- one-call locked writes of a shared map (number kinds) ---------------------

// @ts-ignore: decorator
@inline export function wsetBits<K, V>(h: usize, k: K, v: V): i32 {
  let hash = hashKey<K>(h, k);
  h = tableFor(h, hash);
  if (!seqTryLock(h, false)) return WRITE_BUSY;
  let r = setBitsAt<K, V>(h, k, hash, v);
  return seqUnlock() ? r : WRITE_DEAD;
}
// @ts-ignore: decorator
@inline export function wdelBits<K, V>(h: usize, k: K): i32 {
  let hash = hashKey<K>(h, k);
  h = tableFor(h, hash);
  if (!seqTryLock(h, false)) return WRITE_BUSY;
  let r = removePairAt<K, V>(h, k, hash);
  return seqUnlock() ? (r ? 1 : 0) : WRITE_DEAD;
}
/** add under the map's lock; `kind` picks the value arithmetic: 0 int32, 1 uint32, 2 float64. */
// @ts-ignore: decorator
@inline export function waddBits<K>(h: usize, k: K, d: f64, kind: i32): f64 {
  let hash = hashKey<K>(h, k);
  h = tableFor(h, hash);
  if (!seqTryLock(h, false)) {
    status = ST_BUSY;
    return NaN;
  }
  let r = kind == 2 ? addF64<K>(h, k, hash, d) : add32<K>(h, k, hash, d, kind == 0);
  if (seqUnlock()) return r;
  status = ST_DEAD;
  return NaN;
}
