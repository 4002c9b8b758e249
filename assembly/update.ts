// Read-modify-write operations: add (a counter update) and getOrSet (insert if
// absent). Each is one operation on the map, so that on a shared map it is one
// critical section: no lost update between the read and the write.
//
// The outcome that is not a value is left in `status` (per call, per
// instance): ST_OK, ST_RANGE (the sum does not fit the value kind; nothing
// changed), ST_OOM (the key was absent and memory ran out; nothing changed),
// ST_BUSY (a shared map's locked add found its lock taken; nothing changed), ST_DEAD (its
// thread was presumed dead while it held the lock, and the add was undone).

import { findPairAtOutline, insertPairAt, noteUpdate } from "./map";
import { valOffset } from "./layout";
import { Str, strCommit, strRelease, copySlot } from "./strings";
import { mstore } from "./wlog";

export const ST_OK: i32 = 0;
export const ST_RANGE: i32 = 1;
export const ST_OOM: i32 = 2;
/** A locked add (index.ts wadd_*) found another write holding the map: nothing changed, the JS side waits and redoes it. */
export const ST_BUSY: i32 = 3;
/** A locked add's thread held the map so long that another thread presumed it dead and undid the add. */
export const ST_DEAD: i32 = 4;

/** Outcome of the last add or getOrSet. */
export let status: i32 = ST_OK;

/** Store the new value bits of `key`: in place when it was found (a change of content: bump the modification counter), else by inserting it. False when memory runs out. */
// @ts-ignore: decorator
@inline function storeSum<K, V>(h: usize, key: K, hash: u64, p: usize, bits: V): bool {
  if (p != 0) {
    noteUpdate(h);
  } else {
    p = insertPairAt<K, V>(h, key, hash);
    if (p == 0) return false;
  }
  mstore<V>(p + valOffset<K, V>(), bits);
  return true;
}

/** add for int32 (signed) and uint32 values: the sum must be an integer in the kind's range. */
// @ts-ignore: decorator
@inline export function add32<K>(h: usize, key: K, hash: u64, delta: f64, signed: bool): f64 {
  let p = findPairAtOutline<K, u32>(h, key, hash);
  let q = p + valOffset<K, u32>();
  let old: f64 = p == 0 ? 0 : signed ? <f64>load<i32>(q) : <f64>load<u32>(q);
  let sum = old + delta;
  let fits = signed ? sum >= -2147483648.0 && sum <= 2147483647.0 : sum >= 0 && sum <= 4294967295.0;
  if (!fits || Math.floor(sum) != sum) return fail(ST_RANGE);
  if (!storeSum<K, u32>(h, key, hash, p, <u32><i64>sum)) return fail(ST_OOM);
  status = ST_OK;
  return sum;
}

/** add for float64 values: any sum. */
// @ts-ignore: decorator
@inline export function addF64<K>(h: usize, key: K, hash: u64, delta: f64): f64 {
  let p = findPairAtOutline<K, u64>(h, key, hash);
  let old: f64 = p == 0 ? 0 : load<f64>(p + valOffset<K, u64>());
  let sum = old + delta;
  if (!storeSum<K, u64>(h, key, hash, p, reinterpret<u64>(sum))) return fail(ST_OOM);
  status = ST_OK;
  return sum;
}

/**
 * add for the 64-bit kinds. bigint64: `delta` is a signed 64-bit value and the
 * sum must not overflow. biguint64: `delta` is the low 64 bits of the JS delta
 * and `negative` its sign, so that decrements wrap only when the sum leaves
 * 0 .. 2^64 - 1.
 */
// @ts-ignore: decorator
@inline export function add64<K>(h: usize, key: K, hash: u64, delta: i64, signed: bool, negative: bool): i64 {
  let p = findPairAtOutline<K, u64>(h, key, hash);
  let old: i64 = p == 0 ? 0 : load<i64>(p + valOffset<K, u64>());
  let sum = old + delta;
  let overflow = signed
    ? ((old ^ sum) & (delta ^ sum)) < 0
    : negative ? <u64>sum > <u64>old : <u64>sum < <u64>old;
  if (overflow) return <i64>fail(ST_RANGE);
  if (!storeSum<K, u64>(h, key, hash, p, <u64>sum)) return <i64>fail(ST_OOM);
  status = ST_OK;
  return sum;
}

// @ts-ignore: decorator
@inline function fail(st: i32): f64 {
  status = st;
  return 0;
}

/** getOrSet for numeric values (and 'any' indexes): the value bits now in the map; `value` is stored only if the key was absent. */
// @ts-ignore: decorator
@inline export function getOrSetBits<K, V>(h: usize, key: K, hash: u64, value: V): V {
  status = ST_OK;
  let p = findPairAtOutline<K, V>(h, key, hash);
  if (p != 0) return load<V>(p + valOffset<K, V>());
  p = insertPairAt<K, V>(h, key, hash);
  if (p == 0) {
    status = ST_OOM;
    return <V>0;
  }
  mstore<V>(p + valOffset<K, V>(), value);
  return value;
}

/** getOrSet for string values (the field of the value in query area vq): the address of the value's field now in the map, 0 when memory runs out. */
// @ts-ignore: decorator
@inline export function getOrSetStr<K>(h: usize, key: K, hash: u64, vq: usize): usize {
  let p = findPairAtOutline<K, Str>(h, key, hash);
  if (p == 0) {
    if (!strCommit(h, vq)) return 0;
    p = insertPairAt<K, Str>(h, key, hash);
    if (p == 0) {
      strRelease(h, vq);
      return 0;
    }
    copySlot<Str>(p + valOffset<K, Str>(), vq);
  }
  return p + valOffset<K, Str>();
}
