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
