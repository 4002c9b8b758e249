// Hashing and hash flooding. The test re-implements the core's hash (assembly/hash.ts hash64 and
// expandSeed, and the seed handling of assembly/index.ts map_new) with BigInt arithmetic mod 2^64, so it
// can compute bucket indexes exactly; it first checks that the re-implementation predicts the map's
// behaviour, then uses it to craft keys that all collide under one seed and shows they spread under
// another, that occupancy is close to Poisson, and that maps without a fixed seed reseed when emptied.
// The same for string keys (hashref.ts stringHash): short inline Latin-1 keys, longer Latin-1 keys and
// two-byte keys, with negative controls that show the exact checks tell plausible mistakes apart.
import { describe, it, expect, vi } from 'vitest';
import { HashMap } from '../bindings/index.js';
import type { NumericKeyKind as KeyKind } from './helpers.js';
import { KEY_KINDS, rng, withSeed } from './helpers.js';

import { MASK64, hash64, expandSeed, randomSeed, bucketOf } from './hashref.js';
import { INLINE_MAX, WIDE_LENGTH_BIT, stringHash, stringBucketOf, tophashOf, hashBytes, inlineField, blockBytes, codeUnits, leWord, isInline, isLatin1 } from './hashref.js';

/** Candidate key number i of a kind: plain sequential values, the easiest input for a weak hash. */
function seqKey(kind: KeyKind, i: number): number | bigint {
  switch (kind) {
    case 'int32':
      return i - 1_000_000;
    case 'uint32':
      return i;
    case 'float64':
      return i * 0.5;
    case 'bigint64':
      return BigInt(i) - (1n << 40n);
    case 'biguint64':
      return BigInt(i) << 20n;
  }
}

/** The first `n` candidate keys that land in bucket `target` of 2^B under `seed`. */
function craftCollisions(kind: KeyKind, seed: bigint, B: number, n: number, target = 0): (number | bigint)[] {
  const out: (number | bigint)[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = seqKey(kind, i);
    if (bucketOf(kind, k, seed, B) === target) out.push(k);
  }
  return out;
}

/** Overflow buckets that chains of these sizes need, 8 slots per bucket, when nothing was ever deleted. */
function overflowFor(chainSizes: Iterable<number>): number {
  let n = 0;
  for (const c of chainSizes) if (c > 8) n += Math.ceil(c / 8) - 1;
  return n;
}

function predictedOverflow(kind: KeyKind, keys: (number | bigint)[], seed: bigint, B: number): number {
  const sizes = new Map<number, number>();
  for (const k of keys) {
    const b = bucketOf(kind, k, seed, B);
    sizes.set(b, (sizes.get(b) ?? 0) + 1);
  }
  return overflowFor(sizes.values());
}

/**
 * Make the next map made in fn get the random words lo, hi. The bindings draw seeds from a pool of
 * their own, refilled by crypto.getRandomValues when it runs dry: with that call mocked to fill it
 * with (lo, hi) pairs, seedless maps are made until the pool has been refilled, so that every map after
 * draws (lo, hi). After fn, the same with the real call, so that later maps get random seeds again.
 * (Test-only: the production code has no hook to empty the pool.)
 */
function withRandomWords<T>(lo: number, hi: number, fn: () => T): T {
  const spy = vi.spyOn(crypto, 'getRandomValues').mockImplementation(((a: Uint32Array) => {
    for (let i = 0; i + 1 < a.length; i += 2) {
      a[i] = lo;
      a[i + 1] = hi;
    }
    return a;
  }) as never);
  try {
    refillSeedPool(() => spy.mock.calls.length);
    return fn();
  } finally {
    spy.mockRestore();
    const real = vi.spyOn(crypto, 'getRandomValues');
    try {
      refillSeedPool(() => real.mock.calls.length);
    } finally {
      real.mockRestore();
    }
  }
}

/** Make seedless maps until crypto.getRandomValues (spied, `calls` counting) has refilled the bindings' seed pool. */
function refillSeedPool(calls: () => number): void {
  const before = calls();
  for (let i = 0; i < 4096 && calls() === before; i++) new HashMap(null, { key: 'int32', value: 'int32' }).dispose();
  if (calls() === before) throw new Error('the seed pool was never refilled');
}

/** The iteration order as a cycle, rotated to start at the smallest key: independent of the random start bucket. */
function cyclicOrder(m: HashMap<unknown, unknown>): string {
  const keys = [...m.keys()].map(String);
  let min = 0;
  for (let i = 1; i < keys.length; i++) if (keys[i] < keys[min]) min = i;
  return [...keys.slice(min), ...keys.slice(0, min)].join(',');
}

// Capacity 1000 fixes B at 8 (256 buckets; doubling only past 1664 entries, same-size grow only at 256 overflow buckets).
const CAPACITY = 1000;
const B8 = 8;
const FLOOD = 200;
/** 200 keys in one chain: the first bucket and 24 overflow buckets. */
const FLOOD_OVERFLOW = Math.ceil(FLOOD / 8) - 1;

// ---- the re-implementation against the map ---------------------------------------

describe("the test's hash re-implementation predicts the map", () => {
  it('known answers: expandSeed and hash64 are deterministic functions (self-check of the BigInt code)', () => {
    expect(expandSeed(0)).toBe(expandSeed(0));
    expect(expandSeed(1)).not.toBe(expandSeed(2));
    expect(hash64(0n, 0n)).toBe(0n); // fmix64(0) = 0 and the seed is 0
    expect(hash64(1n, 0n)).not.toBe(hash64(2n, 0n));
    for (const s of [0, 1, 0xffffffff]) {
      const e = expandSeed(s);
      expect(e >= 0n && e <= MASK64).toBe(true);
    }
  });

  KEY_KINDS.forEach((kind, idx) => {
    it(`${kind}: 200 keys crafted for seed S all land in one chain (exactly ${FLOOD_OVERFLOW} overflow buckets)`, () => {
      const S = 12345 + idx;
      const seed = expandSeed(S);
      const keys = craftCollisions(kind, seed, B8, FLOOD, 17 * idx);
      const m = new HashMap<unknown, number>(null, { key: kind, value: 'int32', seed: S, capacity: CAPACITY });
      expect(m.stats().B).toBe(B8);
      keys.forEach((k, i) => m.set(k, i));
      const s = m.stats();
      expect(s.B).toBe(B8);
      expect(s.growing).toBe(false);
      expect(s.overflowBuckets).toBe(FLOOD_OVERFLOW);
      keys.forEach((k, i) => expect(m.get(k)).toBe(i));
      // and keys of other buckets do not add to that chain
      const others: (number | bigint)[] = [];
      for (let i = 0; others.length < 400; i++) {
        const k = seqKey(kind, 10_000_000 + i);
        if (bucketOf(kind, k, seed, B8) !== 17 * idx) others.push(k);
      }
      others.forEach((k) => m.set(k, -1));
      expect(m.stats().overflowBuckets).toBe(FLOOD_OVERFLOW + predictedOverflow(kind, others, seed, B8));
      m.dispose();
    });
  });

  it('float64: -0 and every NaN are hashed as +0 and the canonical NaN', () => {
    const S = 99;
    const seed = expandSeed(S);
    // crafted keys in the chain of +0: -0 goes to the same chain (it is the same key, so no new slot)
    const m = new HashMap<number, number>(null, { key: 'float64', value: 'int32', seed: S, capacity: CAPACITY });
    const zeroBucket = bucketOf('float64', 0, seed, B8);
    const nanBucket = bucketOf('float64', NaN, seed, B8);
    const inZero = craftCollisions('float64', seed, B8, 16, zeroBucket)
      .filter((k) => k !== 0)
      .slice(0, 15);
    inZero.forEach((k, i) => m.set(k as number, i));
    m.set(-0, 100);
    expect(m.stats().overflowBuckets).toBe(1); // 16 keys: one bucket and one overflow
    m.set(0, 101);
    expect(m.stats().overflowBuckets).toBe(1);
    const inNan = craftCollisions('float64', seed, B8, 16, nanBucket)
      .filter((k) => k === k)
      .slice(0, 15);
    const weirdNaN = new Float64Array(new BigUint64Array([0xfff0000000000123n]).buffer)[0];
    inNan.forEach((k, i) => m.set(k as number, i));
    m.set(weirdNaN, 200);
    m.set(NaN, 201);
    expect(m.stats().overflowBuckets).toBe(nanBucket === zeroBucket ? 3 : 2);
    expect(m.get(NaN)).toBe(201);
    m.dispose();
  });

  it('iteration walks buckets in index order from a random start: a rotation of the keys sorted by bucket', () => {
    for (const kind of KEY_KINDS) {
      const S = 4242;
      const seed = expandSeed(S);
      const B = 14; // capacity 60000
      const used = new Set<number>();
      const keys: (number | bigint)[] = [];
      for (let i = 0; keys.length < 60; i++) {
        const k = seqKey(kind, i * 7919);
        const b = bucketOf(kind, k, seed, B);
        if (used.has(b)) continue; // one key per bucket: the order inside a bucket is randomised
        used.add(b);
        keys.push(k);
      }
      const m = new HashMap<unknown, number>(null, { key: kind, value: 'int32', seed: S, capacity: 60_000 });
      expect(m.stats().B).toBe(B);
      keys.forEach((k, i) => m.set(k, i));
      const sorted = [...keys].sort((a, b) => bucketOf(kind, a, seed, B) - bucketOf(kind, b, seed, B)).map(String);
      for (let rep = 0; rep < 5; rep++) {
        const order = [...m.keys()].map(String);
        const start = sorted.indexOf(order[0]);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(order, `${kind}, iteration ${rep}`).toEqual([...sorted.slice(start), ...sorted.slice(0, start)]);
      }
      m.dispose();
    }
  });
});

// ---- flooding --------------------------------------------------------------------

describe('hash flooding', () => {
  KEY_KINDS.forEach((kind, idx) => {
    it(`${kind}: keys that all collide under one seed spread out under other seeds`, () => {
      const S = 777 + idx;
      const keys = craftCollisions(kind, expandSeed(S), B8, FLOOD);
      const flooded = new HashMap<unknown, number>(null, { key: kind, value: 'int32', seed: S, capacity: CAPACITY });
      keys.forEach((k, i) => flooded.set(k, i));
      expect(flooded.stats().overflowBuckets).toBe(FLOOD_OVERFLOW);
      flooded.dispose();
      for (const other of [S + 1, (S ^ 0x80000000) >>> 0, 0, 0xffffffff]) {
        const m = new HashMap<unknown, number>(null, { key: kind, value: 'int32', seed: other, capacity: CAPACITY });
        keys.forEach((k, i) => m.set(k, i));
        const s = m.stats();
        // 200 keys over 256 buckets: almost never 9 in one bucket
        expect(s.overflowBuckets, `seed ${other}`).toBeLessThanOrEqual(1);
        expect(s.overflowBuckets).toBe(predictedOverflow(kind, keys, expandSeed(other), B8));
        keys.forEach((k, i) => expect(m.get(k)).toBe(i));
        m.dispose();
      }
      // and under random seeds (no seed option)
      for (let r = 0; r < 5; r++) {
        const m = new HashMap<unknown, number>(null, { key: kind, value: 'int32', capacity: CAPACITY });
        keys.forEach((k, i) => m.set(k, i));
        expect(m.stats().overflowBuckets).toBeLessThanOrEqual(2);
        m.dispose();
      }
    });
  });

  it('seeds that differ in one bit give unrelated bucket assignments', () => {
    const keys = Array.from({ length: 4096 }, (_, i) => i);
    for (const S of [1, 1000, 0x12345678]) {
      const a = expandSeed(S);
      for (let bit = 0; bit < 32; bit += 5) {
        const b = expandSeed(S ^ (1 << bit));
        let same = 0;
        for (const k of keys) if (bucketOf('int32', k, a, 10) === bucketOf('int32', k, b, 10)) same++;
        // independent assignments agree on about 1/1024 of keys
        expect(same, `seed ${S}, bit ${bit}`).toBeLessThan(20);
      }
    }
  });
});

// ---- occupancy -------------------------------------------------------------------

/** Expected overflow buckets per bucket when chain sizes are Poisson(lambda). */
function poissonOverflowRatio(lambda: number): number {
  let p = Math.exp(-lambda);
  let sum = 0;
  for (let c = 0; c < 200; c++) {
    if (c > 0) p *= lambda / c;
    if (c > 8) sum += p * (Math.ceil(c / 8) - 1);
  }
  return sum;
}

describe('bucket occupancy', () => {
  const B = 12;
  const N = 6.5 * 2 ** B; // 26624: the most 2^12 buckets hold before doubling
  const expected = poissonOverflowRatio(6.5); // about 0.21, Go's published 20.9%

  it('Poisson at load 6.5 means about 21% overflow buckets (reference value)', () => {
    expect(expected).toBeGreaterThan(0.19);
    expect(expected).toBeLessThan(0.23);
  });

  KEY_KINDS.forEach((kind, idx) => {
    it(`${kind}: sequential keys at load 6.5 fill buckets like Poisson; overflow count exactly as predicted`, () => {
      for (const S of [idx, 1000 + idx, 0xdeadbeef - idx]) {
        withSeed(S, () => {
          const seed = expandSeed(S);
          const m = new HashMap<unknown, number>(null, { key: kind, value: 'int32', seed: S, capacity: N });
          expect(m.stats().B).toBe(B);
          const sizes = new Array<number>(2 ** B).fill(0);
          for (let i = 0; i < N; i++) {
            const k = seqKey(kind, i);
            m.set(k, i);
            sizes[bucketOf(kind, k, seed, B)]++;
          }
          const s = m.stats();
          expect(s.B).toBe(B);
          expect(s.growing).toBe(false);
          expect(s.overflowBuckets).toBe(overflowFor(sizes));
          const ratio = s.overflowBuckets / s.buckets;
          expect(Math.abs(ratio - expected), `overflow ratio ${ratio}`).toBeLessThan(0.04);
          // variance of chain sizes close to the mean, as for Poisson (too even is as wrong as too clumped)
          const mean = N / 2 ** B;
          const variance = sizes.reduce((a, c) => a + (c - mean) ** 2, 0) / sizes.length;
          expect(variance / mean).toBeGreaterThan(0.85);
          expect(variance / mean).toBeLessThan(1.15);
          expect(Math.max(...sizes)).toBeLessThan(24);
          m.dispose();
        });
      }
    });
  });

  it('random seeds (no seed option): overflow ratio in the same range, for sequential and strided keys', () => {
    for (const stride of [1, 2, 256, 4096, 65536]) {
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: N });
      for (let i = 0; i < N; i++) m.set(Math.imul(i, stride), i);
      const s = m.stats();
      expect(s.B).toBe(B);
      const ratio = s.overflowBuckets / s.buckets;
      expect(Math.abs(ratio - expected), `stride ${stride}: ratio ${ratio}`).toBeLessThan(0.04);
      m.dispose();
    }
  });

  it("a map grown from empty to load ~6.5 has about Go's 20% overflow buckets", () => {
    const rand = rng(5);
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: 5 });
    // 6.5 * 2^13 = 53248: the last entry before doubling to 2^14
    for (let i = 0; i < 53_248; i++) m.set((rand() * 2 ** 32) | 0, i);
    const s = m.stats();
    expect(s.growing).toBe(false);
    expect(s.B).toBe(13);
    const ratio = s.overflowBuckets / s.buckets;
    // duplicates among random keys make the load a little under 6.5
    expect(ratio).toBeGreaterThan(0.15);
    expect(ratio).toBeLessThan(0.26);
    m.dispose();
  });
});

// ---- reseeding -------------------------------------------------------------------

describe('reseeding', () => {
  const LO = 0x01234567;
  const HI = 0x89abcdef;
  const seedOfMock = randomSeed(LO, HI);

  it('a map without a seed option uses the crypto words as its seed (checked with crafted keys)', () => {
    const keys = craftCollisions('int32', seedOfMock, B8, FLOOD);
    const m = withRandomWords(LO, HI, () => new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: CAPACITY }));
    keys.forEach((k, i) => m.set(k as number, i));
    expect(m.stats().overflowBuckets).toBe(FLOOD_OVERFLOW);
    m.dispose();
  });

  it('clear() without a seed option picks a new seed: keys crafted for the old one no longer collide', () => {
    const keys = craftCollisions('int32', seedOfMock, B8, FLOOD);
    const m = withRandomWords(LO, HI, () => new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: CAPACITY }));
    keys.forEach((k, i) => m.set(k as number, i));
    expect(m.stats().overflowBuckets).toBe(FLOOD_OVERFLOW);
    for (let round = 0; round < 4; round++) {
      m.clear();
      expect(m.stats().overflowBuckets).toBe(0);
      keys.forEach((k, i) => m.set(k as number, i));
      expect(m.stats().overflowBuckets, `after clear #${round + 1}`).toBeLessThanOrEqual(2);
      keys.forEach((k, i) => expect(m.get(k as number)).toBe(i));
    }
    m.dispose();
  });

  it('a map without a seed option that becomes empty through deletes picks a new seed', () => {
    const keys = craftCollisions('int32', seedOfMock, B8, 2 * FLOOD);
    const m = withRandomWords(LO, HI, () => new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: CAPACITY }));
    keys.slice(0, FLOOD).forEach((k, i) => m.set(k as number, i));
    expect(m.stats().overflowBuckets).toBe(FLOOD_OVERFLOW);
    keys.slice(0, FLOOD).forEach((k) => expect(m.delete(k as number)).toBe(true));
    expect(m.size).toBe(0);
    // Overflow buckets are kept (maps never shrink). Under the old seed 400 crafted keys would need
    // 49 overflow buckets in that chain; under a new seed they spread and need (almost) none more.
    keys.forEach((k, i) => m.set(k as number, i));
    expect(m.stats().overflowBuckets).toBeLessThanOrEqual(FLOOD_OVERFLOW + 2);
    keys.forEach((k, i) => expect(m.get(k as number)).toBe(i));
    m.dispose();
  });

  it('a map with a seed option keeps it through clear() and through becoming empty', () => {
    const S = 31337;
    const keys = craftCollisions('int32', expandSeed(S), B8, 2 * FLOOD);
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: CAPACITY, seed: S });
    for (let round = 0; round < 3; round++) {
      keys.slice(0, FLOOD).forEach((k, i) => m.set(k as number, i));
      expect(m.stats().overflowBuckets, `round ${round}`).toBe(FLOOD_OVERFLOW);
      m.clear();
    }
    keys.slice(0, FLOOD).forEach((k, i) => m.set(k as number, i));
    keys.slice(0, FLOOD).forEach((k) => m.delete(k as number));
    expect(m.size).toBe(0);
    keys.forEach((k, i) => m.set(k as number, i));
    expect(m.stats().overflowBuckets).toBe(Math.ceil((2 * FLOOD) / 8) - 1);
    m.dispose();
  });

  it('iteration order of the same keys differs after each reseed, and stays put with a fixed seed', () => {
    // 2^14 buckets and 12 keys: keys almost never share a bucket, so the cyclic order of one
    // iteration is the order of their bucket indexes, which only the seed decides.
    const keys = Array.from({ length: 12 }, (_, i) => i * 1000 + 1);
    const fill = (m: HashMap<number, number>) => keys.forEach((k) => m.set(k, k));
    const distinctBuckets = (seed: bigint) => new Set(keys.map((k) => bucketOf('int32', k, seed, 14))).size === keys.length;
    const opts = { key: 'int32', value: 'int32', capacity: 60_000 } as const;

    // No seed option (crypto words fixed so that the run is reproducible).
    expect(distinctBuckets(seedOfMock)).toBe(true);
    const m = withRandomWords(LO, HI, () => new HashMap<number, number>(null, opts));
    fill(m);
    const first = cyclicOrder(m);
    expect(cyclicOrder(m)).toBe(first); // same seed: same cycle, whatever the random start
    const orders = [first];
    for (let round = 0; round < 6; round++) {
      if (round % 2 === 0) m.clear();
      else keys.forEach((k) => m.delete(k));
      fill(m);
      orders.push(cyclicOrder(m));
    }
    // 12 keys have 11! cycles: a repeat means the seed did not change
    expect(new Set(orders).size, orders.join('\n')).toBe(orders.length);
    m.dispose();

    // Fixed seed: the same cycle after clear and after deletes.
    const S = 2024;
    expect(distinctBuckets(expandSeed(S))).toBe(true);
    const f = new HashMap<number, number>(null, { ...opts, seed: S });
    fill(f);
    const fixed = cyclicOrder(f);
    for (let round = 0; round < 4; round++) {
      if (round % 2 === 0) f.clear();
      else keys.forEach((k) => f.delete(k));
      fill(f);
      expect(cyclicOrder(f), `round ${round}`).toBe(fixed);
    }
    f.dispose();
  });

  it('two maps without a seed option do not share a seed (random words differ)', () => {
    const keys = Array.from({ length: 12 }, (_, i) => i * 1000 + 1);
    const orders = new Set<string>();
    for (let r = 0; r < 5; r++) {
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: 60_000 });
      keys.forEach((k) => m.set(k, k));
      orders.add(cyclicOrder(m));
      m.dispose();
    }
    expect(orders.size).toBe(5);
  });

  it('not reseeded while an iterator is live (its walk depends on the bucket assignment)', () => {
    const keys = craftCollisions('int32', seedOfMock, B8, 2 * FLOOD);
    const m = withRandomWords(LO, HI, () => new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: CAPACITY }));
    keys.slice(0, FLOOD).forEach((k, i) => m.set(k as number, i));
    const it = m.keys();
    it.next();
    keys.slice(0, FLOOD).forEach((k) => m.delete(k as number));
    expect(m.size).toBe(0);
    keys.forEach((k, i) => m.set(k as number, i));
    // still the old seed: all 400 in one chain
    expect(m.stats().overflowBuckets).toBe(Math.ceil((2 * FLOOD) / 8) - 1);
    it.return?.();
    expect(m.stats().liveIterators).toBe(0);
    m.dispose();
  });
});

// ---- string keys -----------------------------------------------------------------
//
// The same checks for string keys (assembly/strings.ts): the reference's stringHash predicts the map,
// for the three ways the core hashes a string: short Latin-1 strings from their inline 12-byte field,
// longer Latin-1 strings one byte per char, and strings with a code unit above 0xFF two bytes per
// unit, lone surrogates included.

type StrFamily = 'short' | 'long' | 'wide';
const STR_FAMILIES: StrFamily[] = ['short', 'long', 'wide'];

/** 64 Latin-1 code units: NUL, DEL, the upper half, and ASCII letters and digits. */
const LATIN1_ALPHABET = String.fromCharCode(0x00, 0x7f, 0x80, 0xa0, 0xe9, 0xff) + 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.slice(0, 58);
/** Code units above 0xFF: low byte 0 or 0xFF, lone and paired surrogate halves, BMP edges. */
const WIDE_UNITS = String.fromCharCode(
  0x100,
  0x1ff,
  0x3b1,
  0x20ac,
  0x4e2d,
  0x6587,
  0xd800,
  0xdbff,
  0xdc00,
  0xdfff,
  0xd83d,
  0xde00,
  0xfeff,
  0xff00,
  0xfffe,
  0xffff,
  0x0400,
  0x05d0,
  0x0e01,
  0x2028,
  0x2603,
  0x30a2,
  0xac00,
  0xe000,
  0xf8ff,
  0x0101,
  0x7fff,
  0x8000,
  0x1e9e,
  0x0131,
  0x03c3,
  0x0fff,
);
/** 64 code units, half of them above 0xFF. */
const WIDE_ALPHABET = LATIN1_ALPHABET.slice(0, 32) + WIDE_UNITS;
/** A Latin-1 text the long keys are cut from. */
const LONG_TEXT = 'Cr\u00e8me br\u00fbl\u00e9e \u00e0 la fa\u00e7on \u00ff\u0000\u007f\u0080 de grand-m\u00e8re, 1999';

/** `len` chars of `alphabet` (64 entries) spelling v in base 64, least significant first (wraps when v is too big). */
function digits(v: number, len: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    s += alphabet[v & 63];
    v = Math.floor(v / 64);
  }
  return s;
}

/** Candidate string i of a family (not always distinct: craftStrings drops repeats). */
function strCandidate(family: StrFamily, i: number): string {
  switch (family) {
    case 'short': // inline: Latin-1, lengths 0..11
      return digits(Math.floor(i / 12), i % 12, LATIN1_ALPHABET);
    case 'long': {
      // Latin-1 blocks: lengths 12..40, every tail size 0..7, varying chars anywhere
      const len = 12 + (i % 29);
      const v = Math.floor(i / 29);
      const at = (v * 7) % (len - 3);
      return LONG_TEXT.slice(0, at) + digits(v, 4, LATIN1_ALPHABET) + LONG_TEXT.slice(at, len - 4);
    }
    case 'wide': {
      // two-byte blocks: 1..24 code units, at least one above 0xFF
      const len = 1 + (i % 24);
      const v = Math.floor(i / 24);
      const s = digits(v, len, WIDE_ALPHABET);
      if (!isLatin1(s)) return s;
      const at = v % len;
      return s.slice(0, at) + WIDE_UNITS[v % WIDE_UNITS.length] + s.slice(at + 1);
    }
  }
}

/** Candidates of the three families in turn. */
function mixedCandidate(i: number): string {
  return strCandidate(STR_FAMILIES[i % 3], Math.floor(i / 3));
}

/** The first `n` distinct candidates; for maps at a given load. */
function distinctStrings(gen: (i: number) => string, n: number): string[] {
  const seen = new Set<string>();
  for (let i = 0; seen.size < n; i++) seen.add(gen(i));
  return [...seen];
}

const craftedCache = new Map<string, string[]>();

/**
 * The first `n` distinct candidates that `hash` (the reference by default) puts in bucket `target`
 * of 2^B under `seed`. Memoised: several tests flood with the same keys.
 */
function craftStrings(gen: (i: number) => string, genName: string, seed: bigint, B: number, n: number, target = 0, hash: (s: string, seed: bigint) => bigint = stringHash, hashName = 'reference'): string[] {
  const id = `${genName}/${seed}/${B}/${n}/${target}/${hashName}`;
  const cached = craftedCache.get(id);
  if (cached) return cached;
  const mask = (1n << BigInt(B)) - 1n;
  const big = BigInt(target);
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    if (i > 50_000_000) throw new Error(`craftStrings ${id}: too few candidates`);
    const s = gen(i);
    if (seen.has(s)) continue;
    seen.add(s);
    if ((hash(s, seed) & mask) === big) out.push(s);
  }
  craftedCache.set(id, out);
  return out;
}

function craftFamily(family: StrFamily, seed: bigint, B: number, n: number, target = 0): string[] {
  return craftStrings((i) => strCandidate(family, i), family, seed, B, n, target);
}

function predictedStrOverflow(keys: readonly string[], seed: bigint, B: number): number {
  const sizes = new Map<number, number>();
  for (const k of keys) {
    const b = stringBucketOf(k, seed, B);
    sizes.set(b, (sizes.get(b) ?? 0) + 1);
  }
  return overflowFor(sizes.values());
}

function strMap(opts: { seed?: number; capacity?: number } = {}): HashMap<string, number> {
  return new HashMap<string, number>(null, { key: 'string', value: 'int32', capacity: CAPACITY, ...opts });
}

/** Insert keys[i] -> i, then check the size and every value (the keys are distinct, and all findable). */
function fillStrings(m: HashMap<string, number>, keys: readonly string[]): void {
  keys.forEach((k, i) => m.set(k, i));
  expect(m.size).toBe(keys.length);
  keys.forEach((k, i) => {
    if (m.get(k) !== i) expect(m.get(k), `get(${JSON.stringify(k)})`).toBe(i);
  });
}

/** Which family's hashing path a string takes. */
function familyOf(s: string): StrFamily {
  return isInline(s) ? 'short' : isLatin1(s) ? 'long' : 'wide';
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/** The crafted keys exercise what their family is for: every length or tail size the hash treats apart. */
function expectFamilyCoverage(family: StrFamily, keys: readonly string[]): void {
  const lens = new Set(keys.map((k) => k.length));
  switch (family) {
    case 'short':
      expect(keys.every(isInline)).toBe(true);
      for (let n = 2; n <= INLINE_MAX; n++) expect(lens.has(n), `a crafted key of length ${n}`).toBe(true);
      expect(keys.some((k) => /[\u0080-\u00ff]/.test(k))).toBe(true);
      expect(keys.some((k) => k.includes('\0'))).toBe(true);
      break;
    case 'long':
      expect(keys.every((k) => isLatin1(k) && !isInline(k))).toBe(true);
      expect(new Set(keys.map((k) => k.length % 8)).size, 'every tail size 0..7').toBe(8);
      expect(lens.has(INLINE_MAX + 1)).toBe(true);
      expect(keys.some((k) => /[\u0080-\u00ff]/.test(k))).toBe(true);
      break;
    case 'wide':
      expect(keys.every((k) => !isLatin1(k))).toBe(true);
      expect(new Set(keys.map((k) => (2 * k.length) % 8)).size, 'every two-byte tail size').toBe(4);
      expect(
        keys.some((k) => k.length <= INLINE_MAX),
        'short two-byte keys (not inline)',
      ).toBe(true);
      expect(keys.some((k) => k.length > INLINE_MAX)).toBe(true);
      expect(keys.some(hasLoneSurrogate), 'a lone surrogate').toBe(true);
      break;
  }
}

/** Fixed seeds of the string tests, one per family. */
const STR_SEED: Record<StrFamily, number> = { short: 20241, long: 20242, wide: 20243 };
/** Buckets the crafted keys are aimed at: not 0, so that a map ignoring the hash would not pass. */
const STR_TARGET: Record<StrFamily, number> = { short: 37, long: 200, wide: 129 };

describe("string keys: the test's hash re-implementation predicts the map", () => {
  it('known answers of the BigInt reference (self-check; values from an independent u64 implementation)', () => {
    const seed = expandSeed(42);
    expect(seed).toBe(0xfadc41a89e458c56n);
    const known: [string, bigint, bigint][] = [
      // key, hash under expandSeed(42), hash under seed 0
      ['', 0x526c98cca1dfb664n, 0x0n],
      ['a', 0xe85f9ae29ddae5b1n, 0x9e16d786aaaaac7en],
      ['hello', 0xa934bd9381a41d6an, 0x800223a08b84870dn],
      ['abcdefghijk', 0x1005598161ec22dbn, 0x9d19dda3dac9d2edn], // the longest inline string
      ['abcdefghijkl', 0x7f676da41a0588b2n, 0xa85ae0b8e9296d3cn], // the shortest Latin-1 block string
      ['caf\u00e9 cr\u00e8me br\u00fbl\u00e9e!', 0xc4c65d58563633c7n, 0xd248e8e0396adf2bn], // Latin-1 block, 2-byte tail
      ['abcdefghabcdefgh', 0x3f43337672333ffcn, 0x125daca27b21adcan], // two full words, no tail
      ['\u20ac', 0xc13380058b23ced1n, 0x3bdd5222e7338b81n], // one two-byte unit
      ['x\ud800y', 0x95432a6d4947c034n, 0x7810341b941f572fn], // lone surrogate
      ['\u4e2d\u6587\u00e9\u0100\udfff', 0xcb5ce544c35c03f6n, 0x9ac137085d4754a5n],
    ];
    for (const [s, h42, h0] of known) {
      expect(stringHash(s, seed), JSON.stringify(s)).toBe(h42);
      expect(stringHash(s, 0n), JSON.stringify(s)).toBe(h0);
    }
    // the pieces, spelled out
    const f = inlineField('hello');
    expect(f).toEqual([5, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 0, 0, 0, 0, 0]);
    expect(leWord(f, 0, 8)).toBe(0x6f6c6c656805n);
    expect(stringHash('hello', seed)).toBe(hash64(0x6f6c6c656805n ^ hash64(0n, seed), seed));
    expect(blockBytes('\u20acA')).toEqual([0xac, 0x20, 0x41, 0x00]);
    expect(stringHash('\u20acA', seed)).toBe(hash64(hash64(2n | WIDE_LENGTH_BIT, seed) ^ 0x004120acn, seed));
    expect(stringHash('abcdefghijkl', seed)).toBe(hashBytes(codeUnits('abcdefghijkl'), 12n, seed));
    // one-byte and two-byte strings of the same bytes differ by the length word
    expect(stringHash('\u0100', seed)).not.toBe(hashBytes([0x00, 0x01], 1n, seed));
    expect(tophashOf(0x04ffffffffffffffn)).toBe(9);
    expect(tophashOf(0x05ffffffffffffffn)).toBe(5);
    expect(tophashOf(0xfa00000000000000n)).toBe(0xfa);
  });

  STR_FAMILIES.forEach((family) => {
    it(`${family} keys: 200 crafted for one bucket make exactly ${FLOOD_OVERFLOW} overflow buckets`, () => {
      const S = STR_SEED[family];
      withSeed(S, () => {
        const seed = expandSeed(S);
        const target = STR_TARGET[family];
        const keys = craftFamily(family, seed, B8, FLOOD, target);
        expectFamilyCoverage(family, keys);
        const m = strMap({ seed: S });
        expect(m.stats().B).toBe(B8);
        fillStrings(m, keys);
        const s = m.stats();
        expect(s.B).toBe(B8);
        expect(s.growing).toBe(false);
        expect(s.overflowBuckets).toBe(FLOOD_OVERFLOW);
        // keys of the other buckets do not add to that chain, and make the chains the reference says
        const others = distinctStrings((i) => strCandidate(family, 1_000_003 + 7 * i), 600)
          .filter((k) => stringBucketOf(k, seed, B8) !== target && !keys.includes(k))
          .slice(0, 400);
        others.forEach((k) => m.set(k, -1));
        expect(m.stats().overflowBuckets).toBe(FLOOD_OVERFLOW + predictedStrOverflow(others, seed, B8));
        m.dispose();
      });
    });

    it(`${family} keys: iteration walks buckets in index order, a rotation of the keys sorted by their predicted bucket`, () => {
      // A sharp check of every key's bucket: 2^14 buckets, one key in each of 60 (the order inside a
      // bucket is randomised), so one misplaced key changes the order.
      const S = STR_SEED[family] + 100;
      withSeed(S, () => {
        const seed = expandSeed(S);
        const B = 14;
        const used = new Set<number>();
        const keys: string[] = [];
        for (const k of distinctStrings((i) => strCandidate(family, 7919 * i), 120)) {
          const b = stringBucketOf(k, seed, B);
          if (used.has(b)) continue;
          used.add(b);
          keys.push(k);
          if (keys.length === 60) break;
        }
        const m = strMap({ seed: S, capacity: 60_000 });
        expect(m.stats().B).toBe(B);
        fillStrings(m, keys);
        const sorted = [...keys].sort((a, b) => stringBucketOf(a, seed, B) - stringBucketOf(b, seed, B));
        for (let rep = 0; rep < 3; rep++) {
          const order = [...m.keys()];
          const start = sorted.indexOf(order[0]);
          expect(start).toBeGreaterThanOrEqual(0);
          expect(order, `iteration ${rep}`).toEqual([...sorted.slice(start), ...sorted.slice(0, start)]);
        }
        m.dispose();
      });
    });
  });

  // Keys crafted with plausible mistakes of the reference: if the map hashed that way, they would
  // all collide. The map instead shows the reference's (Poisson-like) count, so the exact checks above
  // tell each of these apart from the real hash.
  const variants: { name: string; family: StrFamily; hash: (s: string, seed: bigint) => bigint }[] = [
    {
      name: 'inline: the two words swapped',
      family: 'short',
      hash: (s, seed) => {
        const f = inlineField(s);
        return hash64(leWord(f, 8, 12) ^ hash64(leWord(f, 0, 8), seed), seed);
      },
    },
    {
      name: 'inline: without the length byte',
      family: 'short',
      hash: (s, seed) => {
        const f = [...inlineField(s).slice(1), 0];
        return hash64(leWord(f, 0, 8) ^ hash64(leWord(f, 8, 12), seed), seed);
      },
    },
    { name: 'inline: hashed like a block string', family: 'short', hash: (s, seed) => hashBytes(codeUnits(s), BigInt(s.length), seed) },
    {
      name: 'Latin-1 block: two bytes per char',
      family: 'long',
      hash: (s, seed) =>
        hashBytes(
          codeUnits(s).flatMap((c) => [c, 0]),
          BigInt(s.length) | WIDE_LENGTH_BIT,
          seed,
        ),
    },
    {
      name: 'block: the tail big-endian',
      family: 'long',
      hash: (s, seed) => {
        const b = blockBytes(s);
        const full = b.length & ~7;
        return hashBytes([...b.slice(0, full), ...b.slice(full).reverse()], BigInt(s.length), seed);
      },
    },
    { name: 'two-byte block: without the wide length bit', family: 'wide', hash: (s, seed) => hashBytes(blockBytes(s), BigInt(s.length), seed) },
    { name: 'two-byte block: the length in bytes', family: 'wide', hash: (s, seed) => hashBytes(blockBytes(s), BigInt(2 * s.length) | WIDE_LENGTH_BIT, seed) },
    { name: 'the user seed used without expandSeed', family: 'long', hash: (s) => stringHash(s, BigInt(STR_SEED.long)) },
  ];
  const CONTROL = 64;
  it.each(variants)('negative control, $name: keys crafted that way do not collide in the map', ({ name, family, hash }) => {
    const S = STR_SEED[family];
    withSeed(S, () => {
      const seed = expandSeed(S);
      const keys = craftStrings((i) => strCandidate(family, i), family, seed, B8, CONTROL, 3, hash, name);
      const wrong = Math.ceil(CONTROL / 8) - 1; // what the map would show if it hashed like the variant
      const predicted = predictedStrOverflow(keys, seed, B8);
      expect(predicted).toBeLessThan(wrong);
      const m = strMap({ seed: S });
      fillStrings(m, keys);
      expect(m.stats().overflowBuckets).toBe(predicted);
      m.dispose();
    });
  });

  STR_FAMILIES.forEach((family, idx) => {
    it(`${family} keys at load 6.5: overflow count exactly as predicted, about Poisson`, () => {
      const B = 10;
      const N = 6.5 * 2 ** B;
      const keys = distinctStrings((i) => strCandidate(family, i), N);
      for (const S of [idx, 0x9e3779b9 + idx]) {
        withSeed(S, () => {
          const seed = expandSeed(S);
          const m = strMap({ seed: S, capacity: N });
          expect(m.stats().B).toBe(B);
          const sizes = new Array<number>(2 ** B).fill(0);
          for (const k of keys) sizes[stringBucketOf(k, seed, B)]++;
          keys.forEach((k, i) => m.set(k, i));
          const s = m.stats();
          expect(s.B).toBe(B);
          expect(s.growing).toBe(false);
          expect(m.size).toBe(N);
          expect(s.overflowBuckets).toBe(overflowFor(sizes));
          const ratio = s.overflowBuckets / s.buckets;
          expect(Math.abs(ratio - poissonOverflowRatio(6.5)), `overflow ratio ${ratio}`).toBeLessThan(0.05);
          m.dispose();
        });
      }
    });
  });
});

describe('string keys: hash flooding', () => {
  STR_FAMILIES.forEach((family) => {
    it(`${family} keys that all collide under one seed spread out under other seeds`, () => {
      const S = STR_SEED[family];
      // the keys of the prediction test above (memoised): all in one chain under S
      const keys = craftFamily(family, expandSeed(S), B8, FLOOD, STR_TARGET[family]);
      for (const other of [S + 1, (S ^ 0x80000000) >>> 0, 0, 0xffffffff]) {
        withSeed(other, () => {
          const m = strMap({ seed: other });
          fillStrings(m, keys);
          const overflow = m.stats().overflowBuckets;
          // 200 keys over 256 buckets: almost never 9 in one bucket
          expect(overflow).toBeLessThanOrEqual(1);
          expect(overflow).toBe(predictedStrOverflow(keys, expandSeed(other), B8));
          m.dispose();
        });
      }
      // and under random seeds (no seed option)
      for (let r = 0; r < 3; r++) {
        const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', capacity: CAPACITY });
        fillStrings(m, keys);
        expect(m.stats().overflowBuckets).toBeLessThanOrEqual(2);
        m.dispose();
      }
    });
  });

  it('seeds that differ in one bit give unrelated bucket assignments of string keys', () => {
    const keys = distinctStrings(mixedCandidate, 1536);
    for (const S of [7, 0x12345678]) {
      const a = expandSeed(S);
      const base = keys.map((k) => stringBucketOf(k, a, 10));
      for (let bit = 0; bit < 32; bit += 6) {
        withSeed(S ^ (1 << bit), () => {
          const b = expandSeed(S ^ (1 << bit));
          let same = 0;
          keys.forEach((k, i) => {
            if (stringBucketOf(k, b, 10) === base[i]) same++;
          });
          // independent assignments agree on about 1.5 keys
          expect(same, `seed ${S}, bit ${bit}`).toBeLessThan(12);
        });
      }
    }
  });
});

describe('string keys: reseeding', () => {
  const LO = 0x0badf00d;
  const HI = 0xfeedface;
  const seedOfMock = randomSeed(LO, HI);
  const crafted = () => craftStrings(mixedCandidate, 'mixed', seedOfMock, B8, 2 * FLOOD, 11);

  it('a map without a seed option hashes strings with the crypto words; clear() picks a new seed', () => {
    const keys = crafted().slice(0, FLOOD);
    for (const family of STR_FAMILIES)
      expect(
        keys.some((k) => familyOf(k) === family),
        family,
      ).toBe(true);
    const m = withRandomWords(LO, HI, () => new HashMap<string, number>(null, { key: 'string', value: 'int32', capacity: CAPACITY }));
    fillStrings(m, keys);
    expect(m.stats().overflowBuckets).toBe(FLOOD_OVERFLOW);
    for (let round = 0; round < 3; round++) {
      m.clear();
      expect(m.stats().overflowBuckets).toBe(0);
      fillStrings(m, keys);
      expect(m.stats().overflowBuckets, `after clear #${round + 1}`).toBeLessThanOrEqual(2);
    }
    m.dispose();
  });

  it('a map without a seed option that becomes empty through deletes picks a new seed', () => {
    const keys = crafted();
    const m = withRandomWords(LO, HI, () => new HashMap<string, number>(null, { key: 'string', value: 'int32', capacity: CAPACITY }));
    fillStrings(m, keys.slice(0, FLOOD));
    expect(m.stats().overflowBuckets).toBe(FLOOD_OVERFLOW);
    keys.slice(0, FLOOD).forEach((k) => expect(m.delete(k)).toBe(true));
    expect(m.size).toBe(0);
    // under the old seed the 400 would need 49 overflow buckets in that chain
    fillStrings(m, keys);
    expect(m.stats().overflowBuckets).toBeLessThanOrEqual(FLOOD_OVERFLOW + 2);
    m.dispose();
  });

  it('a map with a seed option keeps it through clear(): the crafted string keys collide again', () => {
    const S = STR_SEED.wide;
    const keys = craftFamily('wide', expandSeed(S), B8, FLOOD, STR_TARGET.wide);
    const m = strMap({ seed: S });
    for (let round = 0; round < 3; round++) {
      fillStrings(m, keys);
      expect(m.stats().overflowBuckets, `round ${round}`).toBe(FLOOD_OVERFLOW);
      m.clear();
    }
    m.dispose();
  });
});
