// The core's hash (assembly/hash.ts hash64 and expandSeed, and the seed handling of assembly/index.ts
// map_new) re-implemented with BigInt arithmetic mod 2^64, so tests can compute bucket indexes exactly;
// and the string key hash of assembly/strings.ts (stringHash) on top of it.
// tests/hashing.test.ts checks that it predicts the map's behaviour.
import type { NumericKeyKind as KeyKind } from './helpers.js';

export const MASK64 = (1n << 64n) - 1n;
export const M1 = 0xff51afd7ed558ccdn;
export const M2 = 0xc4ceb9fe1a85ec53n;
export const GOLDEN = 0x9e3779b97f4a7c15n;

/** assembly/hash.ts hash64: a seeded murmur3 fmix64. */
export function hash64(key: bigint, seed: bigint): bigint {
  let h = key ^ seed;
  h ^= h >> 33n;
  h = (h * M1) & MASK64;
  h ^= (h >> 33n) ^ (seed >> 7n);
  h = (h * M2) & MASK64;
  h ^= h >> 33n;
  return h;
}

/** assembly/hash.ts expandSeed: a user's u32 seed to the map's u64 seed. */
export function expandSeed(seed: number): bigint {
  let s = (BigInt(seed >>> 0) * GOLDEN + M1) & MASK64;
  s = ((s ^ (s >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  return s ^ (s >> 31n);
}

/** assembly/index.ts map_new without a fixed seed: the two random u32 words, hi:lo. */
export function randomSeed(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The bits the core hashes for a key (assembly/index.ts: u32 keys zero-extended, f64 normalised). */
export function keyBits(kind: KeyKind, k: number | bigint): bigint {
  switch (kind) {
    case 'int32':
    case 'uint32':
      return BigInt((k as number) >>> 0);
    case 'float64': {
      const x = k as number;
      if (x !== x) return 0x7ff8000000000000n;
      f64[0] = x + 0; // -0 + 0 is +0
      return u64[0];
    }
    case 'bigint64':
    case 'biguint64':
      return BigInt.asUintN(64, k as bigint);
  }
}

export function bucketOf(kind: KeyKind, k: number | bigint, seed: bigint, B: number): number {
  return Number(hash64(keyBits(kind, k), seed) & ((1n << BigInt(B)) - 1n));
}

// ---- string keys (assembly/strings.ts strHash, strPrepare, hashBytes) -------------------------------

/** assembly/strings.ts INLINE_MAX: the longest Latin-1 string kept in the 12-byte field itself. */
export const INLINE_MAX = 11;
/** assembly/strings.ts WIDE_LENGTH_BIT: mixed into the length word of a two-byte string. */
export const WIDE_LENGTH_BIT = 1n << 32n;
/** assembly/layout.ts MIN_TOPHASH: top bytes below it are moved up by it. */
export const MIN_TOPHASH = 5;

/** The UTF-16 code units of s. */
export function codeUnits(s: string): number[] {
  const u = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

/** Whether every code unit of s is <= 0xFF: the core stores such a string one byte per char. */
export function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Whether s is kept inline: Latin-1 and at most INLINE_MAX chars. */
export function isInline(s: string): boolean {
  return s.length <= INLINE_MAX && isLatin1(s);
}

/** Bytes [from, to) of `bytes` (at most 8) as a little-endian unsigned integer. */
export function leWord(bytes: readonly number[], from: number, to: number): bigint {
  let w = 0n;
  for (let i = to - 1; i >= from; i--) w = (w << 8n) | BigInt(bytes[i] & 0xff);
  return w;
}

/** The 12-byte inline field of an inline string: its length, then one byte per char, zero padded. */
export function inlineField(s: string): number[] {
  const f = new Array<number>(12).fill(0);
  f[0] = s.length;
  for (let i = 0; i < s.length; i++) f[1 + i] = s.charCodeAt(i);
  return f;
}

/** The bytes a block string's hash reads: one per char (Latin-1) or each code unit little-endian. */
export function blockBytes(s: string): number[] {
  const u = codeUnits(s);
  return isLatin1(s) ? u : u.flatMap((c) => [c & 0xff, c >>> 8]);
}

/** assembly/strings.ts hashBytes: the length word, then each 8-byte word, then the 1..7-byte tail, chained through hash64. */
export function hashBytes(bytes: readonly number[], lengthWord: bigint, seed: bigint): bigint {
  let h = hash64(lengthWord, seed);
  let i = 0;
  for (; i + 8 <= bytes.length; i += 8) h = hash64(h ^ leWord(bytes, i, i + 8), seed);
  if (i < bytes.length) h = hash64(h ^ leWord(bytes, i, bytes.length), seed);
  return h;
}

/** assembly/strings.ts strHash of the field strPrepare builds for key s: the 64-bit hash of a string key. */
export function stringHash(s: string, seed: bigint): bigint {
  if (isInline(s)) {
    const f = inlineField(s);
    return hash64(leWord(f, 0, 8) ^ hash64(leWord(f, 8, 12), seed), seed);
  }
  const n = BigInt(s.length);
  return hashBytes(blockBytes(s), isLatin1(s) ? n : n | WIDE_LENGTH_BIT, seed);
}

export function stringBucketOf(s: string, seed: bigint, B: number): number {
  return Number(stringHash(s, seed) & ((1n << BigInt(B)) - 1n));
}

/** assembly/hash.ts tophash: the top byte of a hash, moved past the reserved values. */
export function tophashOf(hash: bigint): number {
  const top = Number(hash >> 56n);
  return top < MIN_TOPHASH ? top + MIN_TOPHASH : top;
}
