// Typed-array batch operations, checked against a native Map model.
import { describe, it, expect } from 'vitest';
import { HashMap } from '../bindings/index.js';
import type { NumericKeyKind as KeyKind, NumericValueKind as ValueKind } from './helpers.js';
import { keyMaker, valueMaker, normKey, seeded } from './helpers.js';
import { expandSeed, bucketOf } from './hashref.js';

type Num = number | bigint;
const ARRAY: Record<string, { new (n: number): ArrayLike<Num> & { [i: number]: Num } }> = {
  int32: Int32Array,
  uint32: Uint32Array,
  float64: Float64Array,
  bigint64: BigInt64Array,
  biguint64: BigUint64Array,
};
const NUMERIC_VALUES: ValueKind[] = ['int32', 'uint32', 'float64', 'bigint64', 'biguint64'];
const KEYS: KeyKind[] = ['int32', 'uint32', 'float64', 'bigint64', 'biguint64'];

function fill(kind: string, n: number, make: () => unknown): ArrayLike<Num> & { [i: number]: Num } {
  const a = new ARRAY[kind](n);
  for (let i = 0; i < n; i++) a[i] = make() as Num;
  return a;
}

/** What a typed array of `kind` holds after storing x (float64 NaN stays NaN; -0 keys become +0 in the map). */
const same = (a: unknown, b: unknown) => Object.is(a, b) || (a === 0 && b === 0);

function content(m: HashMap<unknown, unknown>): Map<unknown, unknown> {
  return new Map(m);
}

describe('batch operations match single operations (model-based)', () => {
  for (const kk of KEYS) {
    it(`${kk} keys, every numeric value kind`, () => {
      for (const vk of NUMERIC_VALUES) {
        const seed = 7000 + KEYS.indexOf(kk) * 10 + NUMERIC_VALUES.indexOf(vk);
        seeded(seed, (rand) => {
          const key = keyMaker(kk, rand, 30_000);
          const val = valueMaker(vk, rand);
          const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, seed });
          const model = new Map<unknown, unknown>();
          for (let round = 0; round < 12; round++) {
            // Sizes that cross the 8192-element chunk boundary.
            const n = [0, 1, 5000, 8192, 8193, 20000][Math.floor(rand() * 6)];
            const keys = fill(kk, n, key);
            const r = rand();
            if (r < 0.4) {
              const vals = fill(vk, n, val);
              expect(m.setMany(keys as never, vals as never)).toBe(m);
              for (let i = 0; i < n; i++) model.set(normKey(keys[i]), vals[i]);
            } else if (r < 0.6) {
              const out = m.getMany(keys as never);
              expect(out).toBeInstanceOf(ARRAY[vk]);
              const dflt = vk === 'float64' ? NaN : vk.startsWith('big') ? 0n : 0;
              for (let i = 0; i < n; i++) {
                const want = model.has(normKey(keys[i])) ? model.get(normKey(keys[i])) : dflt;
                if (!same(out[i], want)) throw new Error(`getMany[${i}] key ${String(keys[i])}: ${String(out[i])} != ${String(want)}`);
              }
            } else if (r < 0.75) {
              const out = m.hasMany(keys as never);
              for (let i = 0; i < n; i++) expect(out[i]).toBe(model.has(normKey(keys[i])) ? 1 : 0);
            } else {
              let want = 0;
              for (let i = 0; i < n; i++) if (model.delete(normKey(keys[i]))) want++;
              expect(m.deleteMany(keys as never)).toBe(want);
            }
            expect(m.size).toBe(model.size);
          }
          const got = content(m);
          expect(got.size).toBe(model.size);
          for (const [k, v] of model) expect(same(got.get(k), v)).toBe(true);
          m.dispose();
        });
      }
    });
  }

  it('getMany fills a given out array and uses a given missing value', () => {
    const m = new HashMap(null, { key: 'int32', value: 'int32' });
    m.setMany(Int32Array.of(1, 2, 3), Int32Array.of(10, 20, 30));
    const out = new Int32Array(4);
    expect(m.getMany(Int32Array.of(3, 4, 1, 9), out, -1)).toBe(out);
    expect([...out]).toEqual([30, -1, 10, -1]);
    const b = new HashMap(null, { key: 'bigint64', value: 'biguint64' });
    b.setMany(BigInt64Array.of(-1n), BigUint64Array.of(2n ** 64n - 1n));
    expect([...b.getMany(BigInt64Array.of(-1n, 5n), undefined, 7n)]).toEqual([2n ** 64n - 1n, 7n]);
    expect(b.get(-1n)).toBe(2n ** 64n - 1n);
    const f = new HashMap(null, { key: 'float64', value: 'float64' });
    f.setMany(Float64Array.of(-0, NaN), Float64Array.of(1.5, 2.5));
    expect([...f.getMany(Float64Array.of(0, NaN, 3))]).toEqual([1.5, 2.5, NaN]);
    expect(f.size).toBe(2);
  });
});

describe('batch operations during an incremental doubling (model-based)', () => {
  // A doubling from 2^8 buckets or more is spread over later writes (assembly/grow.ts): every batch
  // below starts while old buckets are still unevacuated, so lookups read old and new buckets, and
  // setMany and deleteMany move the evacuation on as they write.
  for (const kk of ['int32', 'float64'] as const) {
    it(`${kk} keys: getMany, hasMany, setMany, deleteMany while the array doubles`, () => {
      seeded(kk === 'int32' ? 7101 : 7102, (rand) => {
        const key = keyMaker(kk, rand, 20_000);
        const m = new HashMap<unknown, unknown>(null, { key: kk, value: 'int32' });
        const model = new Map<unknown, unknown>();
        let doublings = 0;
        let batches = 0;
        while (doublings < 3) {
          // Single sets until a doubling starts.
          while (!m.stats().growing) {
            const k = key();
            const v = Math.floor(rand() * 1e6);
            m.set(k, v);
            model.set(normKey(k), v);
          }
          doublings++;
          // Small batches, so that several of them run before the evacuation ends.
          while (m.stats().growing) {
            const n = 1 + Math.floor(rand() * 40);
            const keys = fill(kk, n, key);
            const r = rand();
            batches++;
            if (r < 0.35) {
              const out = m.getMany(keys as never, undefined, -1 as never) as Int32Array;
              for (let i = 0; i < n; i++) {
                const want = model.has(normKey(keys[i])) ? model.get(normKey(keys[i])) : -1;
                if (out[i] !== want) throw new Error(`getMany[${i}] key ${String(keys[i])}: ${out[i]} != ${String(want)}`);
              }
            } else if (r < 0.55) {
              const out = m.hasMany(keys as never);
              for (let i = 0; i < n; i++) if (out[i] !== (model.has(normKey(keys[i])) ? 1 : 0)) throw new Error(`hasMany[${i}] key ${String(keys[i])}`);
            } else if (r < 0.85) {
              const vals = fill('int32', n, () => Math.floor(rand() * 1e6));
              m.setMany(keys as never, vals as never);
              for (let i = 0; i < n; i++) model.set(normKey(keys[i]), vals[i]);
            } else {
              let want = 0;
              for (let i = 0; i < n; i++) if (model.delete(normKey(keys[i]))) want++;
              expect(m.deleteMany(keys as never)).toBe(want);
            }
            expect(m.size).toBe(model.size);
          }
        }
        expect(batches).toBeGreaterThan(20);
        expect(new Map(m)).toEqual(model);
        m.dispose();
      });
    });
  }
});

describe('batch lookups of a map at rest read each key through the header fields read once (assembly/map.ts findPairAtRest)', () => {
  it('a segment that no entry reached is read as empty: getMany and hasMany of keys that hash there miss, as get does', () => {
    // Keys whose bucket at B = 10 is below 512 (the first segment), 4000 of them (6.5 * 512 = 3328): the map
    // doubles to B = 10 and finishes it, and the upper segment never receives an entry (never allocated).
    const seed = 77;
    const S = expandSeed(seed);
    const low: number[] = [];
    const high: number[] = [];
    for (let k = 0; low.length < 4000 || high.length < 2000; k++) {
      if (bucketOf('int32', k, S, 10) < 512) {
        if (low.length < 4000) low.push(k);
      } else if (high.length < 2000) high.push(k);
    }
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed });
    for (const k of low) m.set(k, k + 1);
    const s = m.stats();
    expect([s.B, s.growing]).toEqual([10, false]);
    const got = m.getMany(Int32Array.from([...high, ...low]), undefined, -1);
    const has = m.hasMany(Int32Array.from([...high, ...low]));
    for (let i = 0; i < high.length; i++) {
      if (got[i] !== -1 || has[i] !== 0) throw new Error(`key ${high[i]}, never set: getMany ${got[i]}, hasMany ${has[i]}`);
      expect(m.get(high[i])).toBe(undefined);
    }
    for (let i = 0; i < low.length; i++) {
      const j = high.length + i;
      if (got[j] !== low[i] + 1 || has[j] !== 1) throw new Error(`key ${low[i]}: getMany ${got[j]}, hasMany ${has[j]}`);
    }
    m.dispose();
  });
});

describe('batch operations: bad input throws and changes nothing', () => {
  it('wrong typed arrays, an any-valued map, mismatched lengths, bad missing values', () => {
    const m = new HashMap(null, { key: 'int32', value: 'float64' });
    m.setMany(Int32Array.of(1, 2, 3), Float64Array.of(1.5, 2.5, 3.5));
    const before = content(m);
    expect(() => m.setMany(Float64Array.of(1) as never, Float64Array.of(1))).toThrow(TypeError);
    expect(() => m.setMany(Int32Array.of(1), Int32Array.of(1) as never)).toThrow(TypeError);
    expect(() => m.setMany([1] as never, Float64Array.of(1))).toThrow(TypeError);
    expect(() => m.setMany(Int32Array.of(1, 2), Float64Array.of(1))).toThrow(RangeError);
    expect(() => m.getMany(Uint32Array.of(1) as never)).toThrow(TypeError);
    expect(() => m.getMany(Int32Array.of(1), new Float64Array(2))).toThrow(RangeError);
    expect(() => m.getMany(Int32Array.of(1), new Int32Array(1) as never)).toThrow(TypeError);
    expect(() => m.getMany(Int32Array.of(1), undefined, 1n as never)).toThrow(TypeError);
    expect(() => m.hasMany(Int32Array.of(1), new Uint8Array(2))).toThrow(RangeError);
    expect(() => m.hasMany(Int32Array.of(1), new Int8Array(1) as never)).toThrow(TypeError);
    expect(() => m.deleteMany(BigInt64Array.of(1n) as never)).toThrow(TypeError);
    const i = new HashMap(null, { key: 'int32', value: 'int32' });
    expect(() => i.getMany(Int32Array.of(1), undefined, 1.5)).toThrow(RangeError);
    const any = new HashMap(null, { key: 'int32' });
    any.set(1, 'x');
    expect(() => any.setMany(Int32Array.of(1), Int32Array.of(1) as never)).toThrow(TypeError);
    expect(() => any.getMany(Int32Array.of(1) as never)).toThrow(TypeError);
    expect([...any.hasMany(Int32Array.of(1, 2))]).toEqual([1, 0]);
    expect(() => any.deleteMany(Int32Array.of(1, 2))).toThrow(TypeError);
    expect(any.get(1)).toBe('x');
    const b = new HashMap(null, { key: 'int32', value: 'bigint64' });
    expect(() => b.getMany(Int32Array.of(1), undefined, 2n ** 63n)).toThrow(RangeError);
    const u = new HashMap(null, { key: 'int32', value: 'biguint64' });
    expect(() => u.getMany(Int32Array.of(1), undefined, -1n)).toThrow(RangeError);
    expect([...u.getMany(Int32Array.of(1), undefined, 2n ** 64n - 1n)]).toEqual([2n ** 64n - 1n]);
    expect(content(m)).toEqual(before);
    m.dispose();
    expect(() => m.setMany(Int32Array.of(1), Float64Array.of(1))).toThrow(/disposed/);
    expect(() => m.getMany(Int32Array.of(1))).toThrow(TypeError);
  });

  it('setMany is all or nothing when memory runs out, across chunks, with updates and duplicate keys', () => {
    for (const [kk, vk, maxBytes] of [
      ['int32', 'int32', 1_000_000],
      ['float64', 'float64', 1_500_000],
      ['bigint64', 'int32', 1_500_000],
    ] as const) {
      const seed = 9100 + maxBytes;
      seeded(seed, (rand) => {
        const key = keyMaker(kk, rand, 1e9);
        const val = valueMaker(vk, rand);
        const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, maxBytes, seed });
        const pre = fill(kk, 2000, key);
        m.setMany(pre as never, fill(vk, 2000, val) as never);
        const before = content(m);
        // Updates of existing keys and duplicates first, then far more new keys than fit: fails in a later chunk.
        const n = 60_000;
        const keys = fill(kk, n, key);
        for (let i = 0; i < 3000; i++) keys[i] = pre[Math.floor(rand() * pre.length)];
        for (let i = 3000; i < 4000; i++) keys[i] = keys[i - 1000];
        const vals = fill(vk, n, val);
        // The first chunk (8192 pairs) alone fits, so the failure comes in a later chunk.
        const twin = new HashMap<unknown, unknown>(null, { key: kk, value: vk, maxBytes, seed });
        twin.setMany(pre as never, fill(vk, 2000, val) as never);
        twin.setMany((keys as unknown as Int32Array).subarray(0, 8192) as never, (vals as unknown as Int32Array).subarray(0, 8192) as never);
        twin.dispose();
        expect(() => m.setMany(keys as never, vals as never)).toThrow(RangeError);
        const after = content(m);
        expect(after.size).toBe(before.size);
        for (const [k, v] of before) expect(same(after.get(k), v)).toBe(true);
        // The map still works: a small batch fits.
        m.setMany((keys as unknown as Int32Array).subarray(0, 10) as never, fill(vk, 10, val) as never);
        m.dispose();
      });
    }
  });
});
