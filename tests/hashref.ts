// The core's hash (assembly/hash.ts hash64 and expandSeed, and the seed handling of assembly/index.ts
// map_new) re-implemented with BigInt arithmetic mod 2^64, so tests can compute bucket indexes exactly.
// tests/hashing.test.ts checks that it predicts the map's behaviour.
import type { KeyKind } from '../bindings/index.js';

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

