// Hashing and hash flooding. The test re-implements the core's hash (assembly/hash.ts hash64 and
// expandSeed, and the seed handling of assembly/index.ts map_new) with BigInt arithmetic mod 2^64, so it
// can compute bucket indexes exactly; it first checks that the re-implementation predicts the map's
// behaviour, then uses it to craft keys that all collide under one seed and shows they spread under
// another, that occupancy is close to Poisson, and that maps without a fixed seed reseed when emptied.
import { describe, it, expect, vi } from 'vitest';
import { HashMap, type KeyKind } from '../bindings/index.js';
import { KEY_KINDS, rng, withSeed } from './helpers.js';

import { MASK64, hash64, expandSeed, randomSeed, bucketOf } from './hashref.js';

/** Candidate key number i of a kind: plain sequential values, the easiest input for a weak hash. */
function seqKey(kind: KeyKind, i: number): number | bigint {
  switch (kind) {
    case 'int32': return i - 1_000_000;
    case 'uint32': return i;
    case 'float64': return i * 0.5;
    case 'bigint64': return BigInt(i) - (1n << 40n);
    case 'biguint64': return BigInt(i) << 20n;
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

/** Make crypto.getRandomValues hand the next map the words lo, hi; restores itself after one call. */
function withRandomWords<T>(lo: number, hi: number, fn: () => T): T {
  const spy = vi.spyOn(crypto, 'getRandomValues').mockImplementation(((a: Uint32Array) => {
    a[0] = lo;
    a[1] = hi;
    return a;
  }) as never);
  try {
    return fn();
  } finally {
    spy.mockRestore();
  }
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

describe('the test\'s hash re-implementation predicts the map', () => {
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
    const inZero = craftCollisions('float64', seed, B8, 16, zeroBucket).filter((k) => k !== 0).slice(0, 15);
    inZero.forEach((k, i) => m.set(k as number, i));
    m.set(-0, 100);
    expect(m.stats().overflowBuckets).toBe(1); // 16 keys: one bucket and one overflow
    m.set(0, 101);
    expect(m.stats().overflowBuckets).toBe(1);
    const inNan = craftCollisions('float64', seed, B8, 16, nanBucket).filter((k) => k === k).slice(0, 15);
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

  it('a map grown from empty to load ~6.5 has about Go\'s 20% overflow buckets', () => {
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
