// Maps whose memory lies above 2 GiB of the wasm memory. Wasm returns an address as an i32, which
// JavaScript reads as a negative number once it passes 2^31: every address that crosses the boundary
// must be taken as unsigned (docs/design.md, "Addresses"). Each export family that returns or takes an
// address runs here with its map, its iterator slot, its query areas and its batch scratch above 2 GiB.
//
// A filler map of capacity 2^27 (int32 => int32, 2.5 GiB) is made first, in the private memory and in
// this thread's shared memory; it is made in about 0.1 s because fresh wasm memory is already zero and
// its pages are never touched. Everything the tests allocate afterwards lies above it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { HashMap } from '../bindings/index.js';
import { homeCore } from '../bindings/shared.js';
import { rng, fieldsOf, heapTop } from './helpers.js';

const TWO_GIB = 2 ** 31;
const FILLER_CAPACITY = 2 ** 27;

let fillers: HashMap<number, number>[] = [];

beforeAll(() => {
  fillers = [new HashMap(null, { key: 'int32', value: 'int32', capacity: FILLER_CAPACITY }), new HashMap(null, { key: 'int32', value: 'int32', capacity: FILLER_CAPACITY, shared: true })];
  fillers[0].set(7, 7);
  fillers[1].set(7, 7);
});

afterAll(() => {
  for (const f of fillers) f.dispose();
});

/** Strings of both forms: inline (Latin-1, up to 11 chars) and block (longer, or UTF-16). */
function makeString(rand: () => number, i: number): string {
  switch (i % 4) {
    case 0:
      return `s${i}`;
    case 1:
      return `a longer string value number ${i}`;
    case 2:
      return `wide ☃ ${i}`;
    default:
      return 'x'.repeat(1 + Math.floor(rand() * 40)) + i;
  }
}

type Kinds = { key: 'int32' | 'float64' | 'bigint64' | 'string'; value: 'string' | 'int32' | 'float64' };
const keyOf = (kind: Kinds['key'], i: number): number | bigint | string => (kind === 'int32' ? i * 7 - 500 : kind === 'float64' ? i + 0.5 : kind === 'bigint64' ? BigInt(i) * 3n : `key ${i} ${'k'.repeat(i % 15)}`);

/**
 * Random set/get/getOrSet/delete/has/add against a Map, then a full iteration and forEach: every
 * answer compared. The seed is in the failure message.
 */
function runModel(kinds: Kinds, shared: boolean, seed: number, ops = 3000): void {
  const rand = rng(seed);
  const m = new HashMap<unknown, unknown>(null, { ...kinds, shared });
  const model = new Map<unknown, unknown>();
  const where = `${kinds.key} => ${kinds.value}${shared ? ', shared' : ''}, seed ${seed}`;
  try {
    for (let step = 0; step < ops; step++) {
      const i = Math.floor(rand() * 400);
      const k = keyOf(kinds.key, i);
      const v = kinds.value === 'string' ? makeString(rand, step) : kinds.value === 'int32' ? step : step + 0.25;
      const op = rand();
      if (op < 0.35) {
        m.set(k, v);
        model.set(k, v);
      } else if (op < 0.6) {
        expect(m.get(k), `${where}: get at step ${step}`).toBe(model.get(k));
      } else if (op < 0.7) {
        const want = model.has(k) ? model.get(k) : v;
        if (!model.has(k)) model.set(k, v);
        expect(m.getOrSet(k, v), `${where}: getOrSet at step ${step}`).toBe(want);
      } else if (op < 0.8 && kinds.value !== 'string') {
        const next = ((model.get(k) as number | undefined) ?? 0) + 1;
        model.set(k, next);
        expect(m.add(k, 1 as never), `${where}: add at step ${step}`).toBe(next);
      } else if (op < 0.9) {
        expect(m.delete(k), `${where}: delete at step ${step}`).toBe(model.delete(k));
      } else {
        expect(m.has(k), `${where}: has at step ${step}`).toBe(model.has(k));
      }
    }
    expect(m.size, where).toBe(model.size);
    const seen = new Map<unknown, unknown>();
    for (const [k, v] of m) seen.set(k, v);
    expect(seen, `${where}: for...of`).toEqual(model);
    const each = new Map<unknown, unknown>();
    m.forEach((v, k) => each.set(k, v));
    expect(each, `${where}: forEach`).toEqual(model);
    expect(new Set(m.keys()), `${where}: keys()`).toEqual(new Set(model.keys()));
    expect(m.stats().count, where).toBe(model.size);
  } finally {
    m.dispose();
  }
}

describe('maps above 2 GiB of wasm memory', () => {
  it('the fillers put every later allocation above 2 GiB', () => {
    expect(heapTop() >>> 0).toBeGreaterThan(TWO_GIB);
    expect(heapTop(homeCore().core) >>> 0).toBeGreaterThan(TWO_GIB);
    // The fillers themselves still work: their tails lie above 2 GiB.
    for (const f of fillers) {
      f.set(123456, -5);
      expect(f.get(123456)).toBe(-5);
      expect(f.get(7)).toBe(7);
      expect(f.size).toBe(2);
    }
  });

  const cases: Kinds[] = [
    { key: 'int32', value: 'string' },
    { key: 'float64', value: 'string' },
    { key: 'bigint64', value: 'string' },
    { key: 'string', value: 'string' },
    { key: 'string', value: 'int32' },
    { key: 'int32', value: 'int32' },
    { key: 'float64', value: 'float64' },
  ];
  for (const shared of [false, true]) {
    for (const kinds of cases) {
      it(`${kinds.key} => ${kinds.value}${shared ? ' (shared)' : ''}: get, getOrSet, set, delete, add and iteration agree with a Map`, () => {
        runModel(kinds, shared, 0x2f1b + cases.indexOf(kinds) * 31 + (shared ? 1 : 0));
      });
    }
  }

  it("the issue's repro: a string value set and read back", () => {
    const m = new HashMap(null, { key: 'int32', value: 'string' });
    m.set(1, 'hello');
    expect(m.get(1)).toBe('hello');
    expect(m.getOrSet(1, 'other')).toBe('hello');
    expect(m.getOrSet(2, 'fresh')).toBe('fresh');
    m.dispose();
  });

  for (const shared of [false, true]) {
    it(`batch operations over scratch above 2 GiB${shared ? ' (shared)' : ''}`, () => {
      const m = new HashMap(null, { key: 'int32', value: 'float64', shared });
      const n = 20_000; // more than one chunk of the scratch block
      const keys = new Int32Array(n).map((_, i) => i * 3 + 1);
      const vals = new Float64Array(n).map((_, i) => i / 4);
      m.setMany(keys, vals);
      expect(m.size).toBe(n);
      const out = m.getMany(keys);
      expect(out).toEqual(vals);
      const probe = new Int32Array([1, 2, 4, 3 * (n - 1) + 1]);
      expect(Array.from(m.hasMany(probe))).toEqual([1, 0, 1, 1]);
      expect(m.deleteMany(keys.subarray(0, n / 2))).toBe(n / 2);
      expect(m.size).toBe(n / 2);
      expect(m.get(keys[n - 1])).toBe(vals[n - 1]);
      m.dispose();
    });
  }

  it('a shared map above 2 GiB attaches by its handle, and its strings read back through the attached map', () => {
    const m = new HashMap(null, { key: 'string', value: 'string', shared: true });
    m.set('a key', 'a value that lives in a block');
    expect(fieldsOf(m.handle).address).toBeGreaterThan(TWO_GIB);
    const a = HashMap.attach<string, string>(m.handle);
    expect(a.get('a key')).toBe('a value that lives in a block');
    a.set('second', 'two');
    expect([...m.entries()].sort()).toEqual([
      ['a key', 'a value that lives in a block'],
      ['second', 'two'],
    ]);
    a.dispose();
    m.dispose();
  });
});
