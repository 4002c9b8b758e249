// Model-based tests: random operation sequences on a HashMap checked against a native Map.
import { describe, it, expect } from 'vitest';
import { HashMap, type HashMapStats } from '../bindings/index.js';
import { KEY_KINDS, VALUE_KINDS, keyMaker, valueMaker, normKey, seeded } from './helpers.js';

const OPS = Number(process.env.MODEL_OPS ?? 100_000);
const SEEDS = (process.env.MODEL_SEEDS ?? '1,2,3').split(',').map(Number);

function checkStats(s: HashMapStats, size: number): void {
  expect(s.count).toBe(size);
  expect(s.buckets).toBe(2 ** s.B);
  // Load factor: growth keeps the table at most 6.5 entries per bucket (plus the one insert that triggers it).
  if (!s.growing) expect(s.count).toBeLessThanOrEqual(Math.max(8, 6.5 * s.buckets) + 1);
  if (s.growing) {
    expect(s.oldBuckets).toBe(s.sameSizeGrow ? s.buckets : s.buckets / 2);
    expect(s.nevacuate).toBeLessThan(s.oldBuckets);
  } else {
    expect(s.oldBuckets).toBe(0);
    expect(s.sameSizeGrow).toBe(false);
  }
  expect(s.liveIterators).toBe(0);
  expect(s.bytes).toBeGreaterThan(0);
  expect(s.overflowBuckets).toBeGreaterThanOrEqual(0);
}

function sameContent(m: HashMap<unknown, unknown>, model: Map<unknown, unknown>): void {
  expect(m.size).toBe(model.size);
  for (const [k, v] of model) {
    expect(m.has(k)).toBe(true);
    expect(m.get(k)).toEqual(v);
  }
  const seen = new Map<unknown, unknown>();
  for (const [k, v] of m) {
    expect(seen.has(k)).toBe(false);
    seen.set(k, v);
    expect(model.get(k)).toEqual(v);
  }
  expect(seen.size).toBe(model.size);
}

describe('model-based: random get/set/has/delete/clear against Map', () => {
  for (const kk of KEY_KINDS) {
    for (const seed of SEEDS) {
      it(`${kk} keys, seed ${seed}`, () => {
        seeded(seed, (rand) => {
          // Each seed also picks a value kind, so every value kind meets every key kind over the seeds.
          const vk = VALUE_KINDS[(seed + KEY_KINDS.indexOf(kk)) % VALUE_KINDS.length];
          // Key ranges that grow large maps and small ones with heavy churn.
          const range = seed % 2 === 0 ? 5_000 : 60_000;
          const key = keyMaker(kk, rand, range);
          const val = valueMaker(vk, rand);
          const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, seed });
          const model = new Map<unknown, unknown>();
          for (let i = 0; i < OPS; i++) {
            const r = rand();
            const k = key();
            if (r < 0.45) {
              const v = val();
              expect(m.set(k, v)).toBe(m);
              model.set(normKey(k), v);
            } else if (r < 0.65) {
              expect(m.get(k)).toEqual(model.get(k));
            } else if (r < 0.8) {
              expect(m.has(k)).toBe(model.has(k));
            } else if (r < 0.99995) {
              expect(m.delete(k)).toBe(model.delete(k));
            } else {
              m.clear();
              model.clear();
            }
            expect(m.size).toBe(model.size);
            if (i % 5000 === 0) checkStats(m.stats(), model.size);
            if (i % 25000 === 0) sameContent(m, model);
          }
          sameContent(m, model);
          checkStats(m.stats(), model.size);
          m.dispose();
        });
      });
    }
  }
});

describe('number fast paths (bindings/hashmap.ts #fastPair)', () => {
  // The core's `found` flag is set only by lookups of float64 values; a miss on a map of another
  // value kind must not read a flag left over from a float64 map's hit.
  it('a miss after another map found a stored NaN is still undefined', () => {
    const nanMap = new HashMap<number, number>([[1, NaN]], { key: 'int32', value: 'float64' });
    for (const vk of ['int32', 'uint32', 'float64'] as const) {
      const m = new HashMap<number, number>([[1, 5]], { key: 'int32', value: vk });
      expect(nanMap.get(1)).toBeNaN();
      expect(m.get(2)).toBe(undefined);
      expect(nanMap.get(1)).toBeNaN();
      expect(m.get(1)).toBe(5);
      m.dispose();
    }
    expect(nanMap.get(2)).toBe(undefined);
    nanMap.dispose();
  });

  // Keys the number tests must hand to the general path (which answers absent or throws), per kind.
  it('keys outside a kind miss, -0 is 0, and a disposed map throws on every operation', () => {
    for (const kk of ['int32', 'uint32', 'float64'] as const) {
      const m = new HashMap<number, number>(
        [
          [0, 7],
          [1, 8],
        ],
        { key: kk, value: 'int32' },
      );
      expect(m.get(-0)).toBe(7);
      expect(m.has(-0)).toBe(true);
      const outside: unknown[] = ['1', 1n, null, undefined, [1], { valueOf: () => 1 }];
      if (kk !== 'float64') outside.push(1.5, NaN, 2 ** 32 + 1);
      if (kk === 'int32') outside.push(2 ** 31);
      if (kk === 'uint32') outside.push(-1);
      for (const k of outside) {
        expect(m.get(k as number)).toBe(undefined);
        expect(m.has(k as number)).toBe(false);
        expect(m.delete(k as number)).toBe(false);
      }
      expect(() => m.set(1, 1.5)).toThrow(RangeError);
      expect(m.get(1)).toBe(8);
      m.dispose();
      expect(() => m.get(1)).toThrow(TypeError);
      expect(() => m.has(1)).toThrow(TypeError);
      expect(() => m.set(1, 1)).toThrow(TypeError);
      expect(() => m.delete(1)).toThrow(TypeError);
    }
  });
});
