// Seeded hashing, tophash, the slot matches (SIMD and SWAR), and each map's random generator.
//
// A key's 64-bit hash picks its bucket with its low B bits and its tophash with
// its top byte, as in Go. Keys are 4 or 8 bytes, hashed as a u64 by a seeded
// variant of the murmur3 fmix64 finalizer: the seed is mixed in before and
// between the multiply rounds, so that keys crafted to collide in the low bits
// under one seed spread out under another, and every input bit reaches every
// output bit.
//
// A bucket's eight tophash bytes are matched against a tophash in one step, the
// way Swiss tables match a control group: no per-slot loop until a candidate is
// found. Lookups, inserts and deletes load them into a SIMD vector
// (v128.load64_zero) and find there a key's candidates (matchTops), the end of
// the chain (endsChain) and, for an insert, its free slots (map.ts freeSlots):
// a compare and a bitmask each. The SWAR forms of these (SIMD within a
// register) took a set of a present key a third longer, and an insert a tenth:
// the key's match broadcasts the tophash with a multiply. Growth and iteration
// read the bytes as one u64 and find real slots with SWAR tricks on constant
// bytes (realSlots, matchByte).

import { MIN_TOPHASH, EMPTY_REST, BUCKET_SLOTS } from "./layout";

/** murmur3 fmix64 multipliers: full avalanche in two rounds. */
const M1: u64 = 0xff51afd7ed558ccd;
const M2: u64 = 0xc4ceb9fe1a85ec53;
/** Golden-ratio increment of splitmix64 (the random generator). */
const GOLDEN: u64 = 0x9e3779b97f4a7c15;
/** 0x01 in every byte: broadcasts a byte across a u64. */
const LSB: u64 = 0x0101010101010101;
/** 0x80 in every byte: the per-byte result bits of the SWAR tests. */
const MSB: u64 = 0x8080808080808080;

// @ts-ignore: decorator
@inline export function hash64(key: u64, seed: u64): u64 {
  let h = key ^ seed;
  h ^= h >> 33;
  h *= M1;
  h ^= (h >> 33) ^ (seed >> 7);
  h *= M2;
  h ^= h >> 33;
  return h;
}

/** The tophash of a hash: its top byte, moved past the reserved values. */
// @ts-ignore: decorator
@inline export function tophash(hash: u64): u8 {
  let top = <u8>(hash >> 56);
  return top < MIN_TOPHASH ? top + MIN_TOPHASH : top;
}

/** 0x7F in every byte: the low seven bits the exact SWAR test adds within each byte. */
const LOW7: u64 = 0x7F7F7F7F7F7F7F7F;

/**
 * Bytes of `word` equal to `top`: bit 7 of each such byte is set, nothing else.
 * Exact (no false positives): within each byte, (b & 0x7F) + 0x7F carries into
 * bit 7 unless the low bits are 0, and never out of the byte.
 */
// @ts-ignore: decorator
@inline export function matchByte(word: u64, top: u8): u64 {
  let x = word ^ (LSB * <u64>top);
  return ~(((x & LOW7) + LOW7) | x | LOW7);
}

/**
 * Slots whose tophash equals `tops` (i8x16.splat of a tophash), given the bucket's tophash bytes as a
 * vector loaded with v128.load64_zero: bit s set for slot s. One byte compare and a bitmask
 * (pcmpeqb + pmovmskb on x64). The upper eight lanes are 0, which no tophash equals (all are
 * >= MIN_TOPHASH).
 */
// @ts-ignore: decorator
@inline export function matchTops(v: v128, tops: v128): u32 {
  return <u32>i8x16.bitmask(i8x16.eq(v, tops));
}

/** Bytes of `word` that hold a real entry (>= MIN_TOPHASH): bit 7 of each such byte is set. Exact. */
// @ts-ignore: decorator
@inline export function realSlots(word: u64): u64 {
  // (b & 0x7F) + (0x80 - MIN_TOPHASH) carries into bit 7 exactly when b & 0x7F >= MIN_TOPHASH; bytes
  // with bit 7 set are >= MIN_TOPHASH anyway. Never carries out of a byte.
  return (word | ((word & LOW7) + LSB * <u64>(0x80 - MIN_TOPHASH))) & MSB;
}

/** The slots' bits of a bitmask over a bucket's tophash bytes loaded with v128.load64_zero (the upper eight lanes are zero). */
export const SLOT_BITS: u32 = (1 << BUCKET_SLOTS) - 1;

/** Whether some slot of a bucket (its tophash bytes as loaded by v128.load64_zero) is EMPTY_REST: its chain ends there. */
// @ts-ignore: decorator
@inline export function endsChain(v: v128): bool {
  return (<u32>i8x16.bitmask(i8x16.eq(v, i8x16.splat(<i8>EMPTY_REST))) & SLOT_BITS) != 0;
}

/** Slot number of the lowest flagged byte of a match mask. */
// @ts-ignore: decorator
@inline export function firstSlot(mask: u64): u32 {
  return <u32>(ctz(mask) >> 3);
}

/** splitmix64 step on a state stored at `ptr`: the map's generator lives in its header. */
export function nextRandom(ptr: usize): u64 {
  let s = load<u64>(ptr) + GOLDEN;
  store<u64>(ptr, s);
  let z = s;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** Expand a user's 32-bit seed into a 64-bit one. */
export function expandSeed(seed: u32): u64 {
  let s: u64 = <u64>seed * GOLDEN + M1;
  s = (s ^ (s >> 30)) * 0xbf58476d1ce4e5b9;
  return s ^ (s >> 31);
}
