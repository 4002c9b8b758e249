// Bad input, disposal, out-of-memory and Map compatibility: every rejected call leaves the map exactly
// as it was (content, size and stats().count), and what is accepted behaves as Map does.
import { describe, it, expect } from 'vitest';
import { inspect } from 'node:util';
import { HashMap, type KeyKind as AnyKeyKind, type ValueKind as AnyValueKind } from '../bindings/index.js';
import type { NumericKeyKind as KeyKind, NumericValueKind as ValueKind } from './helpers.js';
import { rng, KEY_KINDS, VALUE_KINDS, keyMaker, valueMaker, normKey, withSeed, seeded, heapTop } from './helpers.js';

type AnyMap = HashMap<unknown, unknown>;
type ErrorClass = typeof TypeError | typeof RangeError;

// ---- helpers ---------------------------------------------------------------

/** Key number i of a sequence of distinct keys of `kind`. */
function distinctKey(kind: KeyKind, i: number): number | bigint {
  switch (kind) {
    case 'int32':
      return Math.imul(i, 0x9e3779b1) | 0; // odd multiplier: a bijection on 32 bits
    case 'uint32':
      return Math.imul(i, 0x9e3779b1) >>> 0;
    case 'float64':
      return i * 1.25 - 300_000.5;
    case 'bigint64':
      return BigInt.asIntN(64, BigInt(i) * 0x9e3779b97f4a7c15n);
    case 'biguint64':
      return BigInt.asUintN(64, BigInt(i) * 0x9e3779b97f4a7c15n);
  }
}

/** What a value of `kind` reads back as (int kinds have no -0). */
function normValue(kind: ValueKind, v: unknown): unknown {
  return (kind === 'int32' || kind === 'uint32') && v === 0 ? 0 : v;
}

/**
 * The map holds exactly the model's entries: size, stats().count, every lookup, and one full
 * iteration. Compares in plain JS (Object.is on values) and asserts once, so that large maps stay fast.
 */
function expectContent(m: AnyMap, model: Map<unknown, unknown>): void {
  const problems: string[] = [];
  const note = (p: string) => {
    if (problems.length < 10) problems.push(p);
  };
  if (m.size !== model.size) note(`size ${m.size}, model ${model.size}`);
  const count = m.stats().count;
  if (count !== model.size) note(`stats().count ${count}, model ${model.size}`);
  for (const [k, v] of model) {
    if (!m.has(k)) note(`has(${label(k)}) is false`);
    const got = m.get(k);
    if (!Object.is(got, v)) note(`get(${label(k)}) is ${label(got)}, model ${label(v)}`);
  }
  const seen = new Map<unknown, unknown>();
  for (const [k, v] of m) {
    if (seen.has(k)) note(`iteration produced ${label(k)} twice`);
    seen.set(k, v);
    if (!model.has(k)) note(`iteration produced ${label(k)}, not in the model`);
    else if (!Object.is(model.get(k), v)) note(`iteration gave ${label(k)} => ${label(v)}, model ${label(model.get(k))}`);
  }
  if (seen.size !== model.size) note(`iteration produced ${seen.size} keys, model ${model.size}`);
  expect(problems).toEqual([]);
}

/** A map of `kk => vk` with `n` random entries, and its model. */
function filled(kk: KeyKind, vk: ValueKind, seed: number, n: number): { m: AnyMap; model: Map<unknown, unknown> } {
  const rand = rng(seed);
  const key = keyMaker(kk, rand, 10_000);
  const val = valueMaker(vk, rand);
  const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, seed });
  const model = new Map<unknown, unknown>();
  for (let i = 0; i < n; i++) {
    const k = key();
    const v = val();
    m.set(k, v);
    model.set(normKey(k), normValue(vk, v));
  }
  return { m, model };
}

function label(x: unknown): string {
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol') return x.toString();
  if (typeof x === 'function') return 'function';
  if (Object.is(x, -0)) return '-0';
  if (typeof x === 'object' && x !== null) return Array.isArray(x) ? `[${x.map(label).join(',')}]` : 'object';
  return typeof x === 'string' ? JSON.stringify(x) : String(x);
}

/** Expect `fn` to throw an instance of `cls`; report which input it was when it does not. */
function expectThrow(fn: () => unknown, cls: ErrorClass, what: string, pattern?: RegExp): void {
  let thrown: unknown = undefined;
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    thrown = e;
  }
  expect(threw, `${what}: expected a ${cls.name}, nothing was thrown`).toBe(true);
  expect(thrown, `${what}: expected a ${cls.name}, got ${String(thrown)}`).toBeInstanceOf(cls);
  if (pattern) expect(String((thrown as Error).message), what).toMatch(pattern);
}

/** Expect `fn` not to throw and return its result; report which input it was when it does. */
function noThrow<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${what}: threw ${String(e)}`);
  }
}

// ---- wrong keys and values -------------------------------------------------

const sym = Symbol('k');
const withValueOf = { valueOf: () => 1 };

/** Wrong JS type for the kind: TypeError. */
const WRONG_TYPE: Record<KeyKind, unknown[]> = {
  int32: ['1', '', 1n, 0n, undefined, null, {}, [1], sym, true, withValueOf, () => 1],
  uint32: ['1', '', 1n, 0n, undefined, null, {}, [1], sym, true, withValueOf, () => 1],
  float64: ['1', '', 1n, 0n, undefined, null, {}, [1], sym, true, withValueOf, () => 1],
  bigint64: [1, 0, -0, 1.5, NaN, '1', undefined, null, {}, [1n], sym, true, () => 1n],
  biguint64: [1, 0, -0, 1.5, NaN, '1', undefined, null, {}, [1n], sym, true, () => 1n],
};

/** Right JS type, not representable: RangeError. */
const WRONG_RANGE: Record<KeyKind, unknown[]> = {
  int32: [1.5, -0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, NaN, Infinity, -Infinity, 1e-300, Number.MAX_VALUE, 2 ** 53],
  uint32: [1.5, -1, -(2 ** 31), 2 ** 32, 2 ** 32 + 1, NaN, Infinity, -Infinity, 1e-300, -0.5, 2 ** 53],
  float64: [],
  bigint64: [2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, -(2n ** 64n), 2n ** 100n],
  biguint64: [-1n, 2n ** 64n, -(2n ** 63n), 2n ** 64n + 1n, 2n ** 100n],
};

/** Edge values that must be accepted, with what they read back as. */
const GOOD_EDGES: Record<KeyKind, [unknown, unknown][]> = {
  int32: [
    [-0, 0],
    [0, 0],
    [-1, -1],
    [2 ** 31 - 1, 2 ** 31 - 1],
    [-(2 ** 31), -(2 ** 31)],
  ],
  uint32: [
    [-0, 0],
    [0, 0],
    [2 ** 32 - 1, 2 ** 32 - 1],
    [2 ** 31, 2 ** 31],
  ],
  float64: [
    [-0, 0],
    [NaN, NaN],
    [Infinity, Infinity],
    [-Infinity, -Infinity],
    [Number.MIN_VALUE, Number.MIN_VALUE],
    [-Number.MAX_VALUE, -Number.MAX_VALUE],
  ],
  bigint64: [
    [0n, 0n],
    [-1n, -1n],
    [2n ** 63n - 1n, 2n ** 63n - 1n],
    [-(2n ** 63n), -(2n ** 63n)],
  ],
  biguint64: [
    [0n, 0n],
    [1n, 1n],
    [2n ** 64n - 1n, 2n ** 64n - 1n],
    [2n ** 63n, 2n ** 63n],
  ],
};

function goodValue(vk: ValueKind): unknown {
  return vk === 'bigint64' || vk === 'biguint64' ? 7n : vk === 'any' ? { x: 7 } : 7;
}

/** Keys for which kinds.ts fits() itself throws (`x | 0` / `x >>> 0` on a bigint or symbol). */
function isKnownFitsCrash(kind: KeyKind, k: unknown): boolean {
  return (kind === 'int32' || kind === 'uint32') && (typeof k === 'bigint' || typeof k === 'symbol');
}

describe('wrong keys', () => {
  // BUG (bindings/kinds.ts fits): for int32/uint32 kinds, fits() computes `x | 0` / `x >>> 0`, which
  // throws a native TypeError for a bigint or a symbol and calls valueOf() on objects. So get/has/delete
  // throw where they must answer undefined/false, and set throws a non-HashMap error.
  for (const kk of ['int32', 'uint32'] as const) {
    it(`${kk} keys: get/has/delete with a bigint or symbol key answer absent and never call valueOf`, () => {
      const m = new HashMap<unknown, unknown>([[1, 'one']], { key: kk });
      let valueOfCalls = 0;
      const counting = {
        valueOf: () => {
          valueOfCalls++;
          return 1;
        },
      };
      const failures: string[] = [];
      for (const k of [1n, 0n, Symbol('k'), counting]) {
        for (const [name, op, absent] of [
          ['get', () => m.get(k), undefined],
          ['has', () => m.has(k), false],
          ['delete', () => m.delete(k), false],
        ] as const) {
          try {
            const r = op();
            if (r !== absent) failures.push(`${name}(${label(k)}) returned ${label(r)}`);
          } catch (e) {
            failures.push(`${name}(${label(k)}) threw ${String(e)}`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(valueOfCalls).toBe(0);
      expect(m.size).toBe(1);
      m.dispose();
    });

    it(`${kk} keys and values: set with a bigint, symbol or object reports a HashMap TypeError without calling valueOf`, () => {
      const m = new HashMap<unknown, unknown>(null, { key: kk, value: kk });
      let valueOfCalls = 0;
      const throwing = {
        valueOf: () => {
          valueOfCalls++;
          throw new Error('valueOf called');
        },
      };
      for (const bad of [1n, Symbol('v'), throwing]) {
        expectThrow(() => m.set(bad, 1), TypeError, `set(${label(bad)}, 1)`, /^HashMap: /);
        expectThrow(() => m.set(1, bad), TypeError, `set(1, ${label(bad)})`, /^HashMap: /);
      }
      expect(valueOfCalls).toBe(0);
      expect(m.size).toBe(0);
      m.dispose();
    });
  }

  for (const kk of KEY_KINDS) {
    for (const vk of VALUE_KINDS) {
      it(`${kk} => ${vk}: set throws and changes nothing; get/has/delete answer absent`, () => {
        const seed = 11 + KEY_KINDS.indexOf(kk) * 7 + VALUE_KINDS.indexOf(vk);
        withSeed(seed, () => {
          const { m, model } = filled(kk, vk, seed, 300);
          const before = m.stats();
          const cases: [unknown, ErrorClass][] = [...WRONG_TYPE[kk].map((k): [unknown, ErrorClass] => [k, TypeError]), ...WRONG_RANGE[kk].map((k): [unknown, ErrorClass] => [k, RangeError])];
          for (const [k, cls] of cases) {
            const what = `${kk} map, key ${label(k)}`;
            expectThrow(() => m.set(k, goodValue(vk)), cls, `set(${label(k)})`);
            // bigint and symbol keys on int32/uint32 maps: see the separate test below (a known bug)
            if (isKnownFitsCrash(kk, k)) continue;
            expect(
              noThrow(() => m.get(k), `get on ${what}`),
              `get on ${what}`,
            ).toBeUndefined();
            expect(
              noThrow(() => m.has(k), `has on ${what}`),
              `has on ${what}`,
            ).toBe(false);
            expect(
              noThrow(() => m.delete(k), `delete on ${what}`),
              `delete on ${what}`,
            ).toBe(false);
            expect(m.size).toBe(model.size);
          }
          expectContent(m, model);
          const after = m.stats();
          expect(after.count).toBe(before.count);
          expect(after.B).toBe(before.B);
          m.dispose();
        });
      });
    }

    it(`${kk} keys: edge keys are accepted (-0 is the key 0, read back as +0)`, () => {
      const m = new HashMap<unknown, unknown>(null, { key: kk, value: 'any' });
      const model = new Map<unknown, unknown>();
      GOOD_EDGES[kk].forEach(([k, back], i) => {
        expect(noThrow(() => m.set(k, i), `set(${label(k)})`)).toBe(m);
        expect(m.get(back)).toBe(i);
        expect(m.has(k)).toBe(true);
        expect(m.has(back)).toBe(true);
        model.set(back, i);
      });
      expectContent(m, model);
      for (const k of m.keys()) {
        // no -0 ever comes back out of the map
        expect(Object.is(k, -0)).toBe(false);
      }
      if (kk !== 'bigint64' && kk !== 'biguint64') {
        // -0 and +0 are one key, whichever is set first
        m.clear();
        m.set(-0, 'neg');
        m.set(0, 'pos');
        expect(m.size).toBe(1);
        expect(m.get(-0)).toBe('pos');
        expect([...m.keys()].map((k) => Object.is(k, 0))).toEqual([true]);
        expect(m.delete(-0)).toBe(true);
        expect(m.size).toBe(0);
      }
      m.dispose();
    });
  }
});

describe('wrong values', () => {
  const numericValueKinds = VALUE_KINDS.filter((v) => v !== 'any') as KeyKind[];
  for (const vk of numericValueKinds) {
    for (const kk of KEY_KINDS) {
      it(`${kk} => ${vk}: set of an unfitting value throws, for new and for existing keys, and changes nothing`, () => {
        const seed = 101 + KEY_KINDS.indexOf(kk) * 7 + VALUE_KINDS.indexOf(vk);
        withSeed(seed, () => {
          const { m, model } = filled(kk, vk, seed, 200);
          const existing = [...model.keys()].slice(0, 5);
          const fresh = [0, 1, 2].map((i) => distinctKey(kk, 1_000_000 + i)).filter((k) => !model.has(k));
          const cases: [unknown, ErrorClass][] = [...WRONG_TYPE[vk].map((v): [unknown, ErrorClass] => [v, TypeError]), ...WRONG_RANGE[vk].map((v): [unknown, ErrorClass] => [v, RangeError])];
          for (const [v, cls] of cases) {
            for (const k of [...existing, ...fresh]) {
              expectThrow(() => m.set(k, v), cls, `${kk} => ${vk}: set(${label(k)}, ${label(v)})`);
            }
            expect(m.size).toBe(model.size);
          }
          for (const k of fresh) expect(m.has(k)).toBe(false);
          expectContent(m, model);
          m.dispose();
        });
      });
    }

    it(`${vk} values: edge values are accepted and read back`, () => {
      const m = new HashMap<number, unknown>(null, { key: 'int32', value: vk });
      GOOD_EDGES[vk].forEach(([v, back], i) => {
        noThrow(() => m.set(i, v), `set(${i}, ${label(v)})`);
        // float64 values are stored as they are (-0 stays -0); the others read back as their kind's value
        expect(m.get(i)).toEqual(vk === 'float64' ? v : back);
        expect(m.has(i)).toBe(true);
      });
      m.dispose();
    });
  }

  it('float64 values keep -0 and NaN, as Map does', () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'float64' });
    m.set(1, -0).set(2, NaN).set(3, 0);
    expect(Object.is(m.get(1), -0)).toBe(true);
    expect(Number.isNaN(m.get(2))).toBe(true);
    expect(m.has(2)).toBe(true);
    expect(Object.is(m.get(3), 0)).toBe(true);
    expect(m.get(4)).toBeUndefined();
    m.dispose();
  });

  it('any values: every JS value is accepted, undefined included', () => {
    const m = new HashMap<number, unknown>(null, { key: 'int32' });
    const vals = [undefined, null, sym, 1n, 'x', {}, [], () => 1, NaN, -0];
    vals.forEach((v, i) => m.set(i, v));
    vals.forEach((v, i) => {
      expect(m.has(i)).toBe(true);
      expect(Object.is(m.get(i), v)).toBe(true);
    });
    expect(m.size).toBe(vals.length);
    m.dispose();
  });
});

// ---- options ---------------------------------------------------------------

describe('options', () => {
  const ctor = (entries: unknown, options?: unknown) => () => new HashMap(entries as never, options as never);

  // Issue 21's small things: the mistakes a new user makes first get errors that say the fix.
  it('options given first, in place of the entries: a TypeError that says entries come first; the class shows as HashMap', () => {
    for (const first of [{ key: 'int32' }, { key: 'string', value: 'int32', shared: true }, 5, true]) {
      expect(ctor(first), label(first)).toThrow(/the first argument is the entries.*options come second/);
      expect(ctor(first), label(first)).toThrow(TypeError);
    }
    expect(HashMap.name).toBe('HashMap');
    expect(() => (HashMap as unknown as () => void)()).toThrow(/Class constructor HashMap /);
  });

  it('a key or value of the wrong type names the option that sets its kind', () => {
    expect(ctor([['a', 1]])).toThrow(`HashMap: key "a" is not a number (key kind 'float64': the option 'key' sets it, as in new HashMap(entries, { key: 'string' }))`);
    expect(ctor([[1, 'a']], { value: 'int32' })).toThrow(`HashMap: value "a" is not a number (value kind 'int32': the option 'value' sets it, as in new HashMap(entries, { value: 'string' }))`);
    expect(ctor([[1n, 1]], { key: 'int32' })).toThrow(/the option 'key' sets it, as in new HashMap\(entries, \{ key: 'bigint64' \}\)/);
    expect(ctor([[1, 1]], { key: 'string' })).toThrow(`HashMap: key 1 is not a string (key kind 'string': the option 'key' sets it)`);
  });

  it('bad key and value kind names are TypeErrors', () => {
    for (const key of ['any', 'Int32', 'int', 'String', 'str', '', 5, null, {}, Symbol('int32')]) {
      expectThrow(ctor(null, { key }), TypeError, `key kind ${label(key)}`);
    }
    for (const value of ['Any', 'object', 'int64', '', 0, null, {}, true]) {
      expectThrow(ctor(null, { value }), TypeError, `value kind ${label(value)}`);
    }
  });

  it('capacity must be an integer from 0 to 2**32-1', () => {
    for (const capacity of [-1, -0.5, 1.5, 2 ** 32, 2 ** 53, NaN, Infinity, -Infinity]) {
      expectThrow(ctor(null, { capacity }), RangeError, `capacity ${label(capacity)}`);
    }
    for (const capacity of ['10', 10n, null, {}, true]) {
      expectThrow(ctor(null, { capacity }), TypeError, `capacity ${label(capacity)}`);
    }
    for (const capacity of [0, 1, 1000]) {
      const m = noThrow(() => new HashMap(null, { capacity }), `capacity ${capacity}`);
      m.dispose();
    }
  });

  it('seed must be an unsigned 32-bit integer', () => {
    for (const seed of [-1, 1.5, 2 ** 32, NaN, Infinity, -Infinity]) {
      expectThrow(ctor(null, { seed }), RangeError, `seed ${label(seed)}`);
    }
    for (const seed of ['1', 1n, null, {}, true]) {
      expectThrow(ctor(null, { seed }), TypeError, `seed ${label(seed)}`);
    }
    for (const seed of [0, -0, 1, 2 ** 32 - 1]) {
      noThrow(() => new HashMap(null, { seed }), `seed ${label(seed)}`).dispose();
    }
  });

  it('maxBytes must be a positive integer', () => {
    for (const maxBytes of [0, -0, -1, -4096, 1.5, 4096.5, NaN, Infinity, -Infinity]) {
      expectThrow(ctor(null, { maxBytes }), RangeError, `maxBytes ${label(maxBytes)}`);
    }
    for (const maxBytes of ['4096', 4096n, null, {}]) {
      expectThrow(ctor(null, { maxBytes }), TypeError, `maxBytes ${label(maxBytes)}`);
    }
  });

  it('options that are not an object are TypeErrors', () => {
    for (const options of [5, 'int32', true, null, Symbol('o'), 1n, () => ({})]) {
      expectThrow(ctor(null, options), TypeError, `options ${label(options)}`);
    }
    noThrow(() => new HashMap(null, undefined), 'options undefined').dispose();
    noThrow(() => new HashMap(undefined), 'entries undefined').dispose();
  });

  it('constructor entries that are not entry objects are TypeErrors, and nothing leaks', () => {
    const bad: unknown[] = [[1, 2], ['ab'], [null], [undefined], [[1, 1], 3], 5, {}, true, Symbol('e')];
    for (const entries of bad) {
      expectThrow(ctor(entries), TypeError, `entries ${label(entries)}`);
    }
    // A bad key half way through: TypeError / RangeError, and the half-built map's memory is given back.
    const good = Array.from({ length: 500 }, (_, i) => [i, i] as const);
    const opts = { key: 'int32', value: 'int32', seed: 3 };
    const warm = () => expectThrow(ctor([...good, ['x', 1]], opts), TypeError, 'bad key in entries');
    for (let i = 0; i < 5; i++) warm();
    const top = heapTop();
    for (let i = 0; i < 200; i++) {
      warm();
      expectThrow(ctor([...good, [1.5, 1]], opts), RangeError, 'unfitting key in entries');
    }
    expect(heapTop()).toBe(top);
    // Entries are accepted from any iterable of entry objects, including array-likes with 0 and 1.
    const m = new HashMap<number, unknown>(
      new Map([
        [1, 'a'],
        [2, 'b'],
      ]),
      { key: 'int32' },
    );
    expect([...m].sort()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    m.dispose();
    const m2 = new HashMap<number, unknown>([{ 0: 3, 1: 'c' } as unknown as [number, unknown]], { key: 'int32' });
    expect(m2.get(3)).toBe('c');
    m2.dispose();
  });

  it('unknown option names are TypeErrors that name them (a misspelt key kind does not leave the defaults)', () => {
    expectThrow(ctor(null, { kye: 'int32' }), TypeError, 'option kye', /unknown option 'kye'/);
    expectThrow(ctor(null, { key: 'int32', vaule: 'int32', sead: 1 }), TypeError, 'options vaule, sead', /unknown options 'vaule', 'sead'/);
    expectThrow(ctor(null, { key: 'int32', shared: false, lockTimeout: 1, capacity: 1, seed: 1, maxBytes: 1 << 20, value: 'int32', extra: undefined }), TypeError, 'option extra', /'extra'/);
    noThrow(() => new HashMap(null, { key: 'int32', value: 'int32', capacity: 1, seed: 1, maxBytes: 1 << 20, shared: false, lockTimeout: 1 }), 'every known option').dispose();
  });

  it('type errors name the type they got, with the right article', () => {
    const m = new HashMap(null, { key: 'int32', value: 'int32' });
    expectThrow(() => m.hasMany(new Int32Array(3), new Int8Array(3) as never), TypeError, 'hasMany out Int8Array', /got an Int8Array/);
    expectThrow(() => m.setMany(new Uint32Array(1) as never, new Int32Array(1)), TypeError, 'setMany keys Uint32Array', /keys must be an Int32Array for kind 'int32', got a Uint32Array/);
    expectThrow(() => m.getMany([1] as never), TypeError, 'getMany keys array', /got an array/);
    expectThrow(() => m.getMany(new Map() as never), TypeError, 'getMany keys Map', /got a Map/);
    expectThrow(() => m.getMany({} as never), TypeError, 'getMany keys plain object', /got an object/);
    expectThrow(() => m.getMany(Object.create(null) as never), TypeError, 'getMany keys null-prototype object', /got an object/);
    expectThrow(ctor(null, { maxBytes: new Date(0) }), TypeError, 'maxBytes Date', /got a Date/);
    const u = new HashMap(null, { key: 'uint32', value: 'float64' });
    expectThrow(() => u.deleteMany(new Int32Array(1) as never), TypeError, 'deleteMany keys Int32Array', /must be a Uint32Array for kind 'uint32', got an Int32Array/);
    m.dispose();
    u.dispose();
  });

  it('defaults: float64 keys and any values', () => {
    const m = new HashMap();
    expect(m.keyKind).toBe('float64');
    expect(m.valueKind).toBe('any');
    m.set(1.5, 'x');
    expect(m.get(1.5)).toBe('x');
    m.dispose();
    const m2 = new HashMap(null, {});
    expect(m2.keyKind).toBe('float64');
    expect(m2.valueKind).toBe('any');
    m2.dispose();
  });
});

// ---- dispose -----------------------------------------------------------------

describe('use after dispose', () => {
  const uses: [string, (m: AnyMap) => unknown][] = [
    ['get', (m) => m.get(1)],
    ['set', (m) => m.set(1, 1)],
    ['has', (m) => m.has(1)],
    ['delete', (m) => m.delete(1)],
    ['clear', (m) => m.clear()],
    ['size', (m) => m.size],
    ['forEach', (m) => m.forEach(() => {})],
    ['keys', (m) => m.keys()],
    ['values', (m) => m.values()],
    ['entries', (m) => m.entries()],
    ['Symbol.iterator', (m) => m[Symbol.iterator]()],
    [
      'for...of',
      (m) => {
        for (const e of m) void e;
      },
    ],
    ['spread', (m) => [...m]],
    ['stats', (m) => m.stats()],
    ['keyKind', (m) => m.keyKind],
    ['valueKind', (m) => m.valueKind],
    ['shared', (m) => m.shared],
  ];

  for (const how of ['dispose()', 'Symbol.dispose'] as const) {
    it(`every method and getter throws a TypeError mentioning "disposed" after ${how}`, () => {
      for (const [name, use] of uses) {
        const m = new HashMap<unknown, unknown>(
          [
            [1, 1],
            [2, 2],
          ],
          { key: 'int32', value: 'int32' },
        );
        if (how === 'dispose()') m.dispose();
        else (m as unknown as { [Symbol.dispose](): void })[Symbol.dispose]();
        expectThrow(() => use(m), TypeError, `${name} after ${how}`, /disposed/);
        // A second dispose does nothing, and the map stays disposed.
        noThrow(() => m.dispose(), `second dispose after ${name}`);
        noThrow(() => (m as unknown as { [Symbol.dispose](): void })[Symbol.dispose](), `Symbol.dispose after ${name}`);
        expectThrow(() => use(m), TypeError, `${name} after a second dispose`, /disposed/);
      }
    });
  }

  it('iterators made before dispose throw on their next step; inspect says disposed', () => {
    const m = new HashMap<number, number>(
      Array.from({ length: 100 }, (_, i) => [i, i] as [number, number]),
      { key: 'int32', value: 'int32' },
    );
    const fresh = m.keys();
    const half = m.entries();
    for (let i = 0; i < 10; i++) half.next();
    m.dispose();
    expectThrow(() => fresh.next(), TypeError, 'fresh iterator after dispose', /disposed/);
    expectThrow(() => half.next(), TypeError, 'half-way iterator after dispose', /disposed/);
    expect(inspect(m)).toMatch(/disposed/);
  });

  it('a disposed map gives its memory back: dispose in a loop does not raise the heap top', () => {
    // A fixed seed: with random seeds the peak number of overflow buckets varies from map to map.
    const make = () => {
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'float64', seed: 9 });
      for (let i = 0; i < 2000; i++) m.set(i, i);
      m.dispose();
    };
    for (let i = 0; i < 5; i++) make();
    const top = heapTop();
    for (let i = 0; i < 100; i++) make();
    expect(heapTop()).toBe(top);
  });
});

// ---- out of memory ---------------------------------------------------------

describe('out of memory under maxBytes', () => {
  it('entries given as an array, Map or Set make room for their count up front, unless a capacity is given; when that room does not fit maxBytes, the map grows as they come instead', () => {
    const pairs = Array.from({ length: 2000 }, (_, i) => [i % 10, i] as [number, number]);
    for (const entries of [pairs, new Map(pairs.map(([k, v]) => [k + 10 * v, v])), new Set(pairs)]) {
      const name = entries.constructor.name;
      // 2000 distinct entries' room (B = 9) is far over 8 KiB; the ten distinct keys of the array fit.
      const wide = new HashMap<number, number>(entries as Iterable<[number, number]>, { key: 'int32', value: 'int32' });
      const n = entries instanceof Map ? entries.size : 10;
      expect(wide.size, name).toBe(n);
      expect(wide.stats().B, name).toBe(9); // room for 2000, made at once
      wide.dispose();
      if (entries instanceof Map) continue;
      const small = new HashMap<number, number>(entries as Iterable<[number, number]>, { key: 'int32', value: 'int32', maxBytes: 8192 });
      expect(small.size).toBe(10);
      expect(small.stats().B).toBeLessThanOrEqual(2); // grown as the ten keys came, not made for 2000
      for (let k = 0; k < 10; k++) expect(small.get(k)).toBe(1990 + k);
      small.dispose();
      const given = new HashMap<number, number>(entries as Iterable<[number, number]>, { key: 'int32', value: 'int32', capacity: 0 });
      expect(given.stats().B).toBeLessThanOrEqual(2); // the option wins
      given.dispose();
    }
  });

  // Issue 20: a map filled to its budget and emptied by deletes held a third as many entries the next
  // time (its overflow buckets and an unfinished doubling kept the budget). Emptied, it starts again
  // from its first array, as clear does. The same seed and keys each round: how many entries fit under
  // a budget depends on how the keys fall into buckets (by 5% between seeds), not only on the memory.
  for (const [kk, vk] of [
    ['int32', 'int32'],
    ['float64', 'any'],
    ['string', 'float64'],
  ] as [AnyKeyKind, AnyValueKind][]) {
    it(`${kk} => ${vk}: filled to maxBytes, emptied by deletes, it holds as many entries again, three times over`, () => {
      const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, maxBytes: 256 * 1024, seed: 7 });
      const key = (i: number) => (kk === 'string' ? `key ${i}` : i);
      const fill = (from: number): number => {
        for (let i = from; ; i++) {
          try {
            m.set(key(i), i);
          } catch (e) {
            expect(e).toBeInstanceOf(RangeError);
            return i - from;
          }
        }
      };
      const first = fill(0);
      expect(first).toBeGreaterThan(1000);
      for (let round = 1; round <= 3; round++) {
        for (const k of [...m.keys()]) m.delete(k);
        expect(m.size).toBe(0);
        expect(m.stats().overflowBuckets).toBe(0);
        const again = fill(0);
        expect(again, `round ${round}: ${again} entries against ${first} the first time`).toBeGreaterThanOrEqual(first * 0.95);
      }
    });
  }

  const combos: [KeyKind, ValueKind][] = [
    ['int32', 'int32'],
    ['float64', 'float64'],
    ['bigint64', 'any'],
    ['uint32', 'biguint64'],
    ['biguint64', 'int32'],
  ];
  const limits = [4 * 1024, 20 * 1024, 100 * 1024, 1024 * 1024];

  for (const [kk, vk] of combos) {
    for (const maxBytes of limits) {
      it(`${kk} => ${vk}, maxBytes ${maxBytes}: a failed set changes nothing, and deletes make room again`, () => {
        const seed = maxBytes + KEY_KINDS.indexOf(kk);
        seeded(seed, (rand) => {
          const val = valueMaker(vk, rand);
          const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, maxBytes, seed });
          const model = new Map<unknown, unknown>();
          let i = 0;
          let err: unknown = null;
          for (; i < 1_000_000; i++) {
            const k = distinctKey(kk, i);
            const v = val();
            try {
              m.set(k, v);
            } catch (e) {
              err = e;
              break;
            }
            model.set(k, normValue(vk, v));
            if (i % 997 === 0) expect(m.stats().bytes).toBeLessThanOrEqual(maxBytes);
          }
          expect(err, 'set never ran out of memory').toBeInstanceOf(RangeError);
          expect(String((err as Error).message)).toMatch(/memory/);
          expect(model.size).toBeGreaterThan(0);
          const st = m.stats();
          expect(st.bytes).toBeLessThanOrEqual(maxBytes);
          // The failed key is absent and everything set before is there with its value.
          expect(m.has(distinctKey(kk, i))).toBe(false);
          expect(m.get(distinctKey(kk, i))).toBeUndefined();
          expectContent(m, model);

          // More fresh keys keep failing cleanly, or succeed (a slot may be free in their chain).
          let failures = 0;
          for (let j = 0; j < 200; j++) {
            const k = distinctKey(kk, i + 1 + j);
            const v = val();
            try {
              m.set(k, v);
              model.set(k, normValue(vk, v));
            } catch (e) {
              expect(e).toBeInstanceOf(RangeError);
              expect(m.has(k)).toBe(false);
              failures++;
            }
          }
          expect(failures).toBeGreaterThan(0);
          expectContent(m, model);

          // Updating existing keys needs no memory: always works.
          const keys = [...model.keys()];
          for (let j = 0; j < keys.length; j += 3) {
            const v = val();
            noThrow(() => m.set(keys[j], v), `update of ${label(keys[j])}`);
            model.set(keys[j], normValue(vk, v));
          }
          expectContent(m, model);

          // Delete a quarter of the entries; then setting those keys again must succeed.
          const gone: unknown[] = [];
          for (let j = 0; j < keys.length; j++) {
            if (rand() < 0.25) {
              expect(m.delete(keys[j])).toBe(true);
              model.delete(keys[j]);
              gone.push(keys[j]);
            }
          }
          if (model.has(keys[0])) {
            expect(m.delete(keys[0])).toBe(true);
            model.delete(keys[0]);
            gone.push(keys[0]);
          }
          expectContent(m, model);
          for (const k of gone) {
            const v = val();
            noThrow(() => m.set(k, v), `set of deleted key ${label(k)} after deletes`);
            model.set(k, normValue(vk, v));
          }
          expectContent(m, model);
          expect(m.stats().bytes).toBeLessThanOrEqual(maxBytes);

          // clear gives the memory back: the map fills up again to about the same size.
          m.clear();
          model.clear();
          let refill = 0;
          for (; refill < 1_000_000; refill++) {
            try {
              m.set(distinctKey(kk, refill), val());
            } catch (e) {
              expect(e).toBeInstanceOf(RangeError);
              break;
            }
          }
          expect(refill).toBeGreaterThan(i * 0.5);
          m.dispose();
        });
      });
    }
  }

  // Random sets, deletes and lookups over more keys than fit: every failed set leaves the map as it was,
  // whatever growth or evacuation was under way (failed evacuations, stalled doublings, same-size grows).
  const churn: [KeyKind, ValueKind, number][] = [
    ['int32', 'int32', 20 * 1024],
    ['int32', 'float64', 100 * 1024],
    ['float64', 'any', 64 * 1024],
    ['bigint64', 'bigint64', 300 * 1024],
    ['uint32', 'uint32', 200 * 1024],
  ];
  for (const [kk, vk, maxBytes] of churn) {
    it(`${kk} => ${vk}, maxBytes ${maxBytes}: random churn at the memory limit matches Map`, () => {
      const seed = 4000 + maxBytes / 1024;
      seeded(seed, (rand) => {
        const val = valueMaker(vk, rand);
        const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, maxBytes, seed });
        const model = new Map<unknown, unknown>();
        // about 3x the keys that fit
        const perEntry = vk === 'int32' || vk === 'uint32' || vk === 'any' ? (kk === 'int32' || kk === 'uint32' ? 10 : 18) : 18;
        const range = Math.floor((3 * maxBytes) / perEntry);
        let failures = 0;
        let growingFailures = 0;
        const problems: string[] = [];
        for (let op = 0; op < 100_000 && problems.length === 0; op++) {
          const k = distinctKey(kk, Math.floor(rand() * range));
          const r = rand();
          // phases: mostly sets (fill to the limit), then mostly deletes, and so on
          const setBias = Math.floor(op / 20_000) % 2 === 0 ? 0.75 : 0.3;
          if (r < setBias) {
            const v = val();
            const sizeBefore = m.size;
            const had = model.has(k);
            try {
              m.set(k, v);
              model.set(k, normValue(vk, v));
            } catch (e) {
              if (!(e instanceof RangeError)) problems.push(`op ${op}: set threw ${String(e)}`);
              if (had) problems.push(`op ${op}: update of an existing key ran out of memory`);
              if (m.size !== sizeBefore || m.has(k)) problems.push(`op ${op}: failed set changed the map`);
              failures++;
              if (m.stats().growing) growingFailures++;
            }
          } else if (r < setBias + 0.2) {
            if (m.delete(k) !== model.delete(k)) problems.push(`op ${op}: delete(${label(k)})`);
          } else {
            if (!Object.is(m.get(k), model.get(k))) problems.push(`op ${op}: get(${label(k)}) = ${label(m.get(k))}, model ${label(model.get(k))}`);
          }
          if (m.size !== model.size) problems.push(`op ${op}: size ${m.size}, model ${model.size}`);
          if (op % 1000 === 0) {
            const s = m.stats();
            if (s.bytes > maxBytes) problems.push(`op ${op}: bytes ${s.bytes} over ${maxBytes}`);
            if (s.count !== model.size) problems.push(`op ${op}: count ${s.count}`);
          }
          if (op % 15_000 === 14_999) expectContent(m, model);
        }
        expect(problems).toEqual([]);
        expect(failures, 'the limit was never reached').toBeGreaterThan(50);
        expectContent(m, model);
        void growingFailures;
        m.dispose();
      });
    });
  }

  it('a constructor whose capacity does not fit in maxBytes throws a RangeError', () => {
    for (const [capacity, maxBytes] of [
      [10_000, 4096],
      [100_000, 100 * 1024],
      [1_000_000, 1 << 20],
      [0, 1],
      [0, 64],
      [100, 200],
    ]) {
      for (const kk of KEY_KINDS) {
        expectThrow(() => new HashMap(null, { key: kk, value: 'float64', capacity, maxBytes }), RangeError, `capacity ${capacity} in ${maxBytes} bytes`);
      }
    }
    // and one that fits works, within its cap
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: 100, maxBytes: 4096 });
    expect(m.stats().bytes).toBeLessThanOrEqual(4096);
    for (let i = 0; i < 100; i++) m.set(i, i);
    expect(m.size).toBe(100);
    m.dispose();
  });

  // Regression: allocArray used to set B only after all segments were allocated, so a constructor that
  // ran out of memory half way freed its segments with B = 0 sizes and leaked the rest (fixed in 2e9350e).
  it('a failed constructor leaks nothing', () => {
    const fail = () => expectThrow(() => new HashMap(null, { key: 'int32', capacity: 50_000, maxBytes: 100_000 }), RangeError, 'too big');
    for (let i = 0; i < 3; i++) fail();
    const top = heapTop();
    for (let i = 0; i < 100; i++) fail();
    expect(heapTop()).toBe(top);
  });
});

// ---- Map compatibility -------------------------------------------------------

describe('Map compatibility', () => {
  it('set returns the map, delete returns a boolean', () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32' });
    expect(m.set(1, 1)).toBe(m);
    expect(m.set(1, 2)).toBe(m);
    expect(m.set(2, 3).set(4, 5)).toBe(m);
    expect(m.delete(1)).toBe(true);
    expect(m.delete(1)).toBe(false);
    expect(m.delete(99)).toBe(false);
    expect(m.size).toBe(2);
    m.dispose();
  });

  it('forEach(cb, thisArg) calls cb(value, key, map) with this = thisArg, once per entry', () => {
    const m = new HashMap<number, string>(
      [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ],
      { key: 'int32' },
    );
    const thisArg = { tag: 'this' };
    const calls: [unknown, unknown, unknown, unknown][] = [];
    m.forEach(function (this: unknown, v, k, map) {
      calls.push([this, v, k, map]);
    }, thisArg);
    expect(calls.length).toBe(3);
    for (const [self, v, k, map] of calls) {
      expect(self).toBe(thisArg);
      expect(map).toBe(m);
      expect(m.get(k as number)).toBe(v);
    }
    expect(new Set(calls.map((c) => c[2]))).toEqual(new Set([1, 2, 3]));
    expectThrow(() => m.forEach('nope' as never), TypeError, 'forEach with a non-function');
    m.dispose();
  });

  it('toString tag, instanceof, iterator protocol', () => {
    const m = new HashMap<number, number>([[1, 2]], { key: 'int32', value: 'int32' });
    expect(Object.prototype.toString.call(m)).toBe('[object HashMap]');
    expect(m instanceof HashMap).toBe(true);
    expect(m[Symbol.iterator]().next()).toEqual({ value: [1, 2], done: false });
    expect([...m.keys()]).toEqual([1]);
    expect([...m.values()]).toEqual([2]);
    expect([...m.entries()]).toEqual([[1, 2]]);
    m.dispose();
  });

  it('util.inspect shows size, kinds and entries, abbreviated for large maps', () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'float64' });
    m.set(1, 1.5).set(2, 2.5);
    const s = inspect(m);
    expect(['HashMap(2) [int32 => float64] { 1 => 1.5, 2 => 2.5 }', 'HashMap(2) [int32 => float64] { 2 => 2.5, 1 => 1.5 }']).toContain(s);
    m.clear();
    expect(inspect(m)).toBe('HashMap(0) [int32 => float64] {}');
    for (let i = 0; i < 1000; i++) m.set(i, i);
    const big = inspect(m);
    expect(big.startsWith('HashMap(1000) [int32 => float64] {')).toBe(true);
    expect(big).toMatch(/more items/);
    expect(big.length).toBeLessThan(5000);
    m.dispose();
    const b = new HashMap<bigint, unknown>([[5n, 'x']], { key: 'bigint64' });
    expect(inspect(b)).toBe("HashMap(1) [bigint64 => any] { 5n => 'x' }");
    b.dispose();
  });

  it("util.inspect of a long map is shaped like a Map's: one entry a line, capped with '... N more items'", () => {
    // Every iteration starts at a random bucket, so the entries shown differ from one call to the next:
    // keys of one width, one value, and the keys' digits masked make the text independent of the order.
    const mask = (text: string) => text.replace(/\b\d{4}\b/g, 'K');
    /** What util.inspect prints for a Map of the same entries, under the HashMap's head. */
    const asMap = (m: HashMap<unknown, unknown>, head: string, options?: object) => mask(inspect(new Map(m), options).replace(/^Map\(\d+\)/, head));
    for (const n of [3, 20, 100, 101, 200, 1000]) {
      const m = new HashMap<unknown, unknown>(
        Array.from({ length: n }, (_, i) => [1000 + i, 2.5]),
        { key: 'int32', value: 'float64' },
      );
      const head = `HashMap(${n}) [int32 => float64]`;
      const s = inspect(m);
      expect(mask(s), `${n} entries`).toBe(asMap(m, head));
      expect(
        s.split('\n').every((line) => line.length <= 80),
        `${n} entries: no line over 80 characters`,
      ).toBe(true);
      if (n > 100) expect(s, `${n} entries`).toMatch(new RegExp(`,\\n  \\.\\.\\. ${n - 100} more item${n > 101 ? 's' : ''}\\n}$`));
      for (const maxArrayLength of [0, 1, 2, 150, Infinity]) {
        expect(mask(inspect(m, { maxArrayLength })), `${n} entries, maxArrayLength ${maxArrayLength}`).toBe(asMap(m, head, { maxArrayLength }));
      }
      // Nested, Node indents the map's lines under its own.
      expect(mask(inspect({ nested: { m } })), `${n} entries, nested`).toContain(mask(s.includes('\n') ? s.replace(/\n/g, '\n    ') : s));
      m.dispose();
    }
    const words = new HashMap<unknown, unknown>(
      Array.from({ length: 150 }, (_, i) => [`word ${1000 + i}`, { i: 0 }]),
      { key: 'string' },
    );
    expect(mask(inspect(words))).toBe(asMap(words, 'HashMap(150) [string => any]'));
    expect(inspect({ words }, { depth: 0 })).toBe('{ words: [HashMap(150) [string => any]] }');
    words.dispose();
  });

  it('float64 keys: NaN finds NaN; -0 and +0 are one key, read back as +0', () => {
    const m = new HashMap<number, string>();
    m.set(NaN, 'nan');
    expect(m.get(NaN)).toBe('nan');
    expect(m.get(0 / 0)).toBe('nan');
    // another NaN bit pattern is the same key
    const other = new Float64Array(new BigUint64Array([0x7ff0000000000001n]).buffer)[0];
    expect(Number.isNaN(other)).toBe(true);
    expect(m.get(other)).toBe('nan');
    expect(m.has(-NaN)).toBe(true);
    m.set(other, 'nan2');
    expect(m.size).toBe(1);
    expect(m.get(NaN)).toBe('nan2');
    m.set(-0, 'zero');
    expect(m.get(0)).toBe('zero');
    m.set(0, 'zero2');
    expect(m.get(-0)).toBe('zero2');
    expect(m.size).toBe(2);
    const keys = [...m.keys()];
    expect(keys.some((k) => Object.is(k, 0))).toBe(true);
    expect(keys.some((k) => Object.is(k, -0))).toBe(false);
    expect(keys.some((k) => Number.isNaN(k))).toBe(true);
    expect(m.delete(-0)).toBe(true);
    expect(m.has(0)).toBe(false);
    expect(m.delete(NaN)).toBe(true);
    expect(m.size).toBe(0);
    m.dispose();
  });

  it('behaves like Map on the same script of operations (every kind pair, small)', () => {
    for (const kk of KEY_KINDS) {
      for (const vk of VALUE_KINDS) {
        const seed = 500 + KEY_KINDS.indexOf(kk) * 10 + VALUE_KINDS.indexOf(vk);
        seeded(seed, (rand) => {
          const key = keyMaker(kk, rand, 50);
          const val = valueMaker(vk, rand);
          const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk });
          const model = new Map<unknown, unknown>();
          for (let i = 0; i < 2000; i++) {
            const k = key();
            const r = rand();
            if (r < 0.5) {
              const v = val();
              expect(m.set(k, v)).toBe(m);
              model.set(normKey(k), normValue(vk, v));
            } else if (r < 0.8) {
              expect(m.delete(k)).toBe(model.delete(normKey(k)));
            } else {
              expect(m.get(k)).toEqual(model.get(normKey(k)));
            }
          }
          expectContent(m, model);
          m.dispose();
        });
      }
    }
  });
});
