// String keys and values: the 12-byte slot field, out-of-line blocks, string
// hashing and equality; and the per-kind slot helpers the generic map code uses.
//
// A string sits in a slot as a STR_FIELD-byte (12) field, the way Go keeps a string
// header {ptr, len} in a bucket (its faststr map variants). Most strings are
// Latin-1 (every UTF-16 code unit <= 0xFF); those are stored one byte per
// character, as V8 stores its one-byte strings. Short ones live in the field
// itself, so a lookup compares two words and touches no other memory:
//
//   inline (Latin-1, length <= INLINE_MAX):
//     0       1                                   12
//     | len   | chars, one byte each, zero padded |
//
//   block reference (any other string):
//     0       1               4         8         12
//     | tag   | 24 hash bits  |  ptr    |  len    |      tag: TAG_LATIN1 or TAG_UTF16
//
//   block (allocator memory, ptr above):
//     0              8        12
//     | hash (u64)   |  refs  | chars: len bytes (Latin-1) or 2 * len (UTF-16) |
//
// The form is canonical: a string has exactly one field, so equal strings have
// equal inline fields, and block references that differ in tag, hash bits or
// length belong to different strings; only equal references compare their
// chars. A key block keeps its full hash, so growth and iterators never hash
// long strings again (the seed never changes while a map holds entries).
//
// `refs` counts the fields that point to a block: 1, except while an EVACUATED_Y
// tombstone (grow.ts) keeps a copy of a moved key's field for live iterators.
// Overwritten, deleted and cleared strings release their blocks.
//
// The JS side hands a string over in a query area of scratch memory: it writes
// the UTF-16 code units at Q_CHARS, and strPrepare builds the field at offset 0
// and, for a block string, the block header at Q_BLOCK in front of the chars
// (narrowing Latin-1 chars in place). The query's field then points at the
// query's own block, so a lookup compares it like any stored field; an insert
// copies the block to allocator memory first (strCommit). An inline key's
// field stays in two globals instead (its address is then QUERY_INLINE): the
// lookup right after reads it from registers rather than loading, across
// differently sized stores, what was just stored (a store-forwarding stall).

import { mapAlloc, mapFree } from "./memory";
import { hash64 } from "./hash";
import { STR_FIELD, H_SEED } from "./layout";
import { inMemory } from "./bounds";
import { mstore, logStore, logging } from "./wlog";

/** Longest Latin-1 string kept inline: the field less its length byte. */
export const INLINE_MAX: u32 = 11;
/** Field offsets of a block reference. */
export const F_PTR: usize = 4;
export const F_LEN: usize = 8;
/** Tag byte of a block reference to Latin-1 chars: bit 7 set, which an inline length (<= 11) never has. */
const TAG_LATIN1: u32 = 0x80;
/** Tag byte of a block reference to UTF-16 chars. */
const TAG_UTF16: u32 = 0xC0;
/** Bit of the tag byte that marks a block reference. */
export const TAG_BLOCK: u32 = 0x80;
/** Bit of the tag byte that marks two bytes per char. */
export const TAG_WIDE: u32 = 0x40;
/** The field's bits 8..31 keep hash bits 32..55: bits the tophash (56..63) and bucket index (low) do not already filter on. */
const HASH_BITS_MASK: u32 = 0xFFFFFF00;
/** Block header: the hash, then the reference count. */
const BK_HASH: usize = 0;
const BK_REFS: usize = 8;
export const BK_CHARS: usize = 12;
/** Query area: the field at 0, a block at Q_BLOCK (16-aligned like allocator blocks), its chars at Q_CHARS. */
const Q_BLOCK: usize = 16;
export const Q_CHARS: usize = Q_BLOCK + BK_CHARS;
/** Bytes a query area must have after its chars: prepareInline reads 32 bytes of chars for any short string. */
export const Q_SLACK: usize = 32;
/** Mixed into the length before hashing a UTF-16 string, so that a two-byte string never hashes as the one-byte string with the same bytes. */
const WIDE_LENGTH_BIT: u64 = 1 << 32;
/** The "address" of the field of the inline key strPrepare built last: it is in queryLo and queryHi. No field lives at 0. */
export const QUERY_INLINE: usize = 0;

/** Bytes 0..7 and 8..11 of the field of the last inline string prepared. Per call, per instance. */
let queryLo: u64 = 0;
let queryHi: u32 = 0;

// ---- the slot helpers: numeric bit patterns or string fields ----------------

/** The storage type of string keys and values. Never instantiated: a `Str` value is the address of a field. */
@unmanaged export class Str {
  w0: u32;
  ptr: u32;
  len: u32;
}

/** The key stored at p, as findPair takes it: its bits, or the address of its string field. */
// @ts-ignore: decorator
@inline export function keyAt<K>(p: usize): K {
  if (isReference<K>()) return changetype<K>(p);
  else return load<K>(p);
}

/** Whether the key stored at p is `key`. */
// @ts-ignore: decorator
@inline export function keyEquals<K>(p: usize, key: K): bool {
  if (isReference<K>()) return strEqual(p, changetype<usize>(key));
  else return load<K>(p) == key;
}

/** The 64-bit hash of a key under map h's seed: a string's characters (strHash), a number's bits. */
// @ts-ignore: decorator
@inline export function hashKey<K>(h: usize, key: K): u64 {
  return hashKeySeeded<K>(key, load<u64>(h + H_SEED));
}

/** hashKey with the map's seed from the caller (a loop over many keys reads it once). */
// @ts-ignore: decorator
@inline export function hashKeySeeded<K>(key: K, seed: u64): u64 {
  if (isReference<K>()) return strHash(changetype<usize>(key), seed);
  else return hash64(<u64>key, seed);
}

/** Copy a key or value of type T from p to q: ownership of a string block moves with it. */
// @ts-ignore: decorator
@inline export function copySlot<T>(q: usize, p: usize): void {
  if (isReference<T>()) {
    if (ASC_FEATURE_THREADS && logging != 0) logStore(q, STR_FIELD);
    if (p == QUERY_INLINE) {
      store<u64>(q, queryLo);
      store<u32>(q, queryHi, 8);
    } else {
      store<u64>(q, load<u64>(p));
      store<u32>(q, load<u32>(p, 8), 8);
    }
  } else {
    mstore<T>(q, load<T>(p));
  }
}

/** Drop a stored string key or value (nothing for numeric kinds). */
// @ts-ignore: decorator
@inline export function releaseSlot<T>(h: usize, p: usize): void {
  if (isReference<T>()) strRelease(h, p);
}

// ---- fields and blocks -----------------------------------------------------

// @ts-ignore: decorator
@inline function isBlock(w0: u32): bool {
  return (w0 & TAG_BLOCK) != 0;
}

/** Bytes of the block a reference field points to. */
// @ts-ignore: decorator
@inline function blockSize(w0: u32, len: u32): usize {
  return BK_CHARS + ((w0 & TAG_WIDE) != 0 ? <usize>len << 1 : <usize>len);
}

/** The 64-bit hash of the string whose field is at f. */
export function strHash(f: usize, seed: u64): u64 {
  if (f == QUERY_INLINE) return inlineHash(queryLo, queryHi, seed);
  if (isBlock(load<u32>(f))) return load<u64>(<usize>load<u32>(f + F_PTR) + BK_HASH);
  return inlineHash(load<u64>(f), load<u32>(f + F_LEN), seed);
}

/** Hash of an inline field: two rounds of the seeded fmix64 over its 12 bytes. */
// @ts-ignore: decorator
@inline function inlineHash(lo: u64, hi: u32, seed: u64): u64 {
  return hash64(lo ^ hash64(<u64>hi, seed), seed);
}

/** Whether the strings whose fields are at a (stored) and b (stored, or the query) are equal. */
// @ts-ignore: decorator
@inline export function strEqual(a: usize, b: usize): bool {
  if (b == QUERY_INLINE) return load<u64>(a) == queryLo && load<u32>(a + F_LEN) == queryHi;
  let w0 = load<u32>(a);
  if (w0 != load<u32>(b) || load<u32>(a + F_LEN) != load<u32>(b + F_LEN)) return false;
  if (!isBlock(w0)) return load<u32>(a + F_PTR) == load<u32>(b + F_PTR);
  let x = <usize>load<u32>(a + F_PTR);
  let y = <usize>load<u32>(b + F_PTR);
  let size = blockSize(w0, load<u32>(a + F_LEN));
  if (!inMemory(x, size) || !inMemory(y, size)) return false; // a torn read (shared build): the reader retries
  return blocksEqual(x, y, size);
}

/** Whether two blocks of `size` bytes hold the same hash and chars (their refs may differ). */
function blocksEqual(x: usize, y: usize, size: usize): bool {
  if (load<u64>(x + BK_HASH) != load<u64>(y + BK_HASH)) return false;
  let i = BK_CHARS;
  for (; i + 8 <= size; i += 8) {
    if (load<u64>(x + i) != load<u64>(y + i)) return false;
  }
  for (; i < size; i++) {
    if (load<u8>(x + i) != load<u8>(y + i)) return false;
  }
  return true;
}

/**
 * Build the field of the string whose `n` UTF-16 code units the JS side wrote
 * at q + Q_CHARS, and return its address: q, or QUERY_INLINE for an inline key.
 * Keys are hashed with `seed`; values need no hash.
 */
export function strPrepare(q: usize, n: u32, seed: u64, isKey: bool): usize {
  if (isKey && queryReady) {
    queryReady = false;
    return q; // a stored key's field, copied there (strUseField)
  }
  let chars = q + Q_CHARS;
  if (n <= INLINE_MAX && prepareInline(chars, n)) {
    if (isKey) return QUERY_INLINE;
    store<u64>(q, queryLo);
    store<u32>(q + F_LEN, queryHi);
    return q;
  }
  // Here the string is longer than INLINE_MAX or not Latin-1 (prepareInline takes every short Latin-1
  // string), so it goes in a block: one byte a character when Latin-1, else two.
  let all: u32 = 0;
  for (let i: u32 = 0; i < n; i++) all |= <u32>load<u16>(chars + (<usize>i << 1));
  let latin1 = all <= 0xFF;
  let bytes = <usize>n;
  if (latin1) {
    for (let i: u32 = 0; i < n; i++) store<u8>(chars + <usize>i, <u8>load<u16>(chars + (<usize>i << 1)));
  } else {
    bytes <<= 1;
  }
  let hash: u64 = isKey ? hashBytes(chars, bytes, latin1 ? <u64>n : <u64>n | WIDE_LENGTH_BIT, seed) : 0;
  let block = q + Q_BLOCK;
  store<u64>(block + BK_HASH, hash);
  store<u32>(block + BK_REFS, 1);
  store<u32>(q, (latin1 ? TAG_LATIN1 : TAG_UTF16) | (<u32>(hash >> 24) & HASH_BITS_MASK));
  store<u32>(q + F_PTR, <u32>block);
  store<u32>(q + F_LEN, n);
  return q;
}

/** Lane numbers 0..7 and 8..15 of two i16x8 vectors: lanes at or past a string's length are masked off. */
const LANES_LO: v128 = i16x8(0, 1, 2, 3, 4, 5, 6, 7);
const LANES_HI: v128 = i16x8(8, 9, 10, 11, 12, 13, 14, 15);

/**
 * The inline field, into queryLo and queryHi, of a string of n <= INLINE_MAX
 * code units, if they are all Latin-1: two 16-byte loads, a mask of the lanes
 * past n, one test of the high bytes and one narrowing, instead of a loop per
 * char. The loads read up to 32 bytes of chars whatever n is: query areas have
 * Q_SLACK bytes of room.
 */
// @ts-ignore: decorator
@inline function prepareInline(chars: usize, n: u32): bool {
  let len = i16x8.splat(<i16>n);
  let a = v128.and(v128.load(chars), i16x8.lt_u(LANES_LO, len));
  let b = v128.and(v128.load(chars, 16), i16x8.lt_u(LANES_HI, len));
  if (v128.any_true(v128.and(v128.or(a, b), i16x8.splat(<i16>0xFF00)))) return false;
  let c = i8x16.narrow_i16x8_u(a, b);
  let c0 = i64x2.extract_lane(c, 0);
  // Field bytes: 0 = n, 1..7 = chars 0..6 (queryLo); 8..11 = chars 7..10 (queryHi).
  queryLo = <u64>n | (<u64>c0 << 8);
  queryHi = <u32>((<u64>c0 >> 56) | (<u64>i64x2.extract_lane(c, 1) << 8));
  return true;
}

/**
 * Seeded hash of `n` bytes: each 8-byte word goes through the seeded fmix64 of
 * hash.ts chained on the state, so the seed acts at every step and strings
 * crafted to collide under one seed do not under another.
 */
function hashBytes(p: usize, n: usize, lengthWord: u64, seed: u64): u64 {
  return hashWords(hash64(lengthWord, seed), p, n, seed);
}

/** hashBytes' state h carried over n more bytes at p: each whole 8-byte word, then the tail (a string's last bytes). */
function hashWords(h: u64, p: usize, n: usize, seed: u64): u64 {
  let end = p + (n & ~7);
  for (; p < end; p += 8) h = hash64(h ^ load<u64>(p), seed);
  let rest = n & 7;
  if (rest != 0) {
    let tail: u64 = 0;
    for (let i: usize = 0; i < rest; i++) tail |= <u64>load<u8>(p + i) << (<u64>i << 3);
    h = hash64(h ^ tail, seed);
  }
  return h;
}

/**
 * Give the prepared field f a block of its own in map h's memory (a copy of the
 * query's), so that it can be stored. False, with nothing allocated, when memory
 * runs out. Inline strings need nothing.
 */
export function strCommit(h: usize, f: usize): bool {
  if (f == QUERY_INLINE) return true;
  let w0 = load<u32>(f);
  if (!isBlock(w0)) return true;
  let size = blockSize(w0, load<u32>(f + F_LEN));
  let block = mapAlloc(h, size, false);
  if (block == 0) return false;
  memory.copy(block, <usize>load<u32>(f + F_PTR), size);
  store<u32>(block + BK_REFS, 1);
  store<u32>(f + F_PTR, <u32>block);
  return true;
}

/** Drop one reference to the block of the field at f, freeing it with the last. */
export function strRelease(h: usize, f: usize): void {
  if (f == QUERY_INLINE) return;
  let w0 = load<u32>(f);
  if (!isBlock(w0)) return;
  let block = <usize>load<u32>(f + F_PTR);
  let refs = load<u32>(block + BK_REFS) - 1;
  if (refs == 0) mapFree(h, block, blockSize(w0, load<u32>(f + F_LEN)));
  else mstore<u32>(block + BK_REFS, refs);
}

/** Add a reference to the block of the field at f: a tombstone keeps a moved key's field. */
export function strRetain(f: usize): void {
  let w0 = load<u32>(f);
  if (!isBlock(w0)) return;
  let block = <usize>load<u32>(f + F_PTR);
  mstore<u32>(block + BK_REFS, load<u32>(block + BK_REFS) + 1);
}

// ---- long keys looked up with a query area shorter than they are ------------
//
// A key longer than the query area the JS side has, when memory for a longer one cannot be had (reads
// must not fail for lack of memory): the JS side feeds its code units through the area a chunk at a
// time (strLongBegin, strLongFeed: the same hash hashBytes gives), finds the stored keys of that
// hash, length and encoding (map.ts findLongCandidates, strLongMatch), compares their chars with the
// key itself, and copies the field of the one that is equal to the area's start (strUseField): the
// next key query is that field as it is, which points at the stored block.

/** The state of a long key's hash (per call sequence, per instance): the hash so far, the seed, the key's length and encoding. */
let longHash: u64 = 0;
let longSeed: u64 = 0;
let longLen: u32 = 0;
let longWide = false;
/** Set by strUseField: the next key query is the field at its area's start (strPrepare returns it). */
let queryReady = false;

/** Start hashing a key of n code units, two bytes each if `wide` (not all Latin-1), with `seed`. */
export function strLongBegin(seed: u64, n: u32, wide: bool): void {
  longSeed = seed;
  longLen = n;
  longWide = wide;
  longHash = hash64(wide ? <u64>n | WIDE_LENGTH_BIT : <u64>n, seed);
}

/** Hash `units` more code units at q + Q_CHARS: a multiple of 8 but in the key's last chunk (whole 8-byte words for either encoding). */
export function strLongFeed(q: usize, units: u32): void {
  let chars = q + Q_CHARS;
  let bytes = <usize>units;
  if (longWide) bytes <<= 1;
  else for (let i: u32 = 0; i < units; i++) store<u8>(chars + <usize>i, <u8>load<u16>(chars + (<usize>i << 1)));
  longHash = hashWords(longHash, chars, bytes, longSeed);
}

/** The long key's hash, once fed whole. */
export function strLongHash(): u64 {
  return longHash;
}

/** Whether the stored field at p may be the long key: a block reference of its encoding and length whose block holds its hash. */
export function strLongMatch(p: usize): bool {
  let w0 = load<u32>(p);
  if (!isBlock(w0) || ((w0 & TAG_WIDE) != 0) != longWide || load<u32>(p + F_LEN) != longLen) return false;
  let b = <usize>load<u32>(p + F_PTR);
  return inMemory(b, BK_CHARS) && load<u64>(b + BK_HASH) == longHash;
}

/** The next key query (at q) is the stored field f as it is: copied to q's start. */
export function strUseField(q: usize, f: usize): void {
  memory.copy(q, f, STR_FIELD);
  queryReady = true;
}
