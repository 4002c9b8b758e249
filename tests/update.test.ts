// HashMap.add and HashMap.getOrInsert (getOrSet), getOrInsertComputed: model-based random runs against a
// native Map that implements the same semantics (every value kind, numeric and string keys,
// add/getOrInsert/getOrInsertComputed/set/get/has/delete mixed,
// with values and deltas at the edges of each kind's range so that RangeErrors really happen); every
// boundary and error case one by one; out of memory under maxBytes; identity of 'any' values; short
// and long string values; and iteration after (and during) adds.
//
// Every rejected call must leave the map exactly as it was: after each throw the key involved and the
// size are checked at once, and the full content (every lookup plus one iteration) periodically.
//
// Randomised runs are seeded (a failure prints its seed). UPDATE_SEEDS and UPDATE_OPS change the seeds
// and the length of the runs.
import { describe, it, expect } from 'vitest';
import { HashMap, type KeyKind, type ValueKind } from '../bindings/index.js';
import { keyMaker, normKey, seeded, type NumericKeyKind } from './helpers.js';

type AnyMap = HashMap<unknown, unknown>;
type ErrorClass = typeof TypeError | typeof RangeError;
type Rand = () => number;

const OPS = Number(process.env.UPDATE_OPS ?? 12_000);
const SEEDS = (process.env.UPDATE_SEEDS ?? '1,2').split(',').map(Number);

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const U32_MAX = 2 ** 32 - 1;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

type NumValueKind = 'int32' | 'uint32' | 'float64' | 'bigint64' | 'biguint64';
const NUM_VALUE_KINDS: NumValueKind[] = ['int32', 'uint32', 'float64', 'bigint64', 'biguint64'];
const ALL_VALUE_KINDS: ValueKind[] = [...NUM_VALUE_KINDS, 'string', 'any'];
const isBig = (vk: ValueKind): boolean => vk === 'bigint64' || vk === 'biguint64';

// ---- helpers -----------------------------------------------------------------

function mk(kk: KeyKind, vk: ValueKind, extra: { seed?: number; maxBytes?: number } = {}): AnyMap {
  return new HashMap<unknown, unknown>(null, { key: kk, value: vk, ...extra });
}

function show(x: unknown): string {
  if (typeof x === 'string') return x.length > 40 ? `${JSON.stringify(x.slice(0, 24))}…(length ${x.length})` : JSON.stringify(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol') return x.toString();
  if (typeof x === 'function') return 'function';
  if (Object.is(x, -0)) return '-0';
  if (typeof x === 'object' && x !== null) return Array.isArray(x) ? `[array of ${x.length}]` : 'object';
  return String(x);
}

function fail(msg: string): never {
  throw new Error(msg);
}

const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
const pick = <T>(rand: Rand, a: readonly T[]): T => a[int(rand, a.length)];

type Attempt = { ok: true; value: unknown } | { ok: false; error: unknown };

function attempt(fn: () => unknown): Attempt {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Expect `fn` to throw exactly `cls` (a RangeError is not accepted for a TypeError and vice versa). */
function expectThrow(fn: () => unknown, cls: ErrorClass, what: string): void {
  const a = attempt(fn);
  if (a.ok) fail(`${what}: expected a ${cls.name}, returned ${show(a.value)}`);
  const e = a.error;
  if (!(e instanceof cls) || (e as Error).constructor !== cls) fail(`${what}: expected a ${cls.name}, got ${String(e)}`);
  if (!/^HashMap: /.test((e as Error).message)) fail(`${what}: the message does not start with "HashMap: ": ${(e as Error).message}`);
}

/** The map holds exactly the model's entries: size, stats().count, every lookup and one full iteration (Object.is). */
function expectContent(m: AnyMap, model: Map<unknown, unknown>, where = ''): void {
  const problems: string[] = [];
  const note = (p: string) => {
    if (problems.length < 10) problems.push(`${where}${where ? ': ' : ''}${p}`);
  };
  if (m.size !== model.size) note(`size ${m.size}, model ${model.size}`);
  const count = m.stats().count;
  if (count !== model.size) note(`stats().count ${count}, model ${model.size}`);
  for (const [k, v] of model) {
    if (!m.has(k)) note(`has(${show(k)}) is false`);
    const got = m.get(k);
    if (!Object.is(got, v)) note(`get(${show(k)}) is ${show(got)}, model ${show(v)}`);
  }
  const seen = new Map<unknown, unknown>();
  for (const [k, v] of m) {
    if (seen.has(k)) note(`iteration produced ${show(k)} twice`);
    seen.set(k, v);
    if (!model.has(k)) note(`iteration produced ${show(k)}, not in the model`);
    else if (!Object.is(model.get(k), v)) note(`iteration gave ${show(k)} => ${show(v)}, model ${show(model.get(k))}`);
  }
  if (seen.size !== model.size) note(`iteration produced ${seen.size} keys, model ${model.size}`);
  expect(problems).toEqual([]);
}

/** A copy of the map's content, for "the map is unchanged" checks. */
function snapshot(m: AnyMap): Map<unknown, unknown> {
  return new Map(m);
}

// ---- the semantics, on a native Map --------------------------------------------------------------

/** The error class with which `kind` rejects x (as set does), or null when x fits. */
function misfitClass(kind: ValueKind, x: unknown): ErrorClass | null {
  switch (kind) {
    case 'int32':
      return typeof x !== 'number' ? TypeError : Number.isInteger(x) && x >= I32_MIN && x <= I32_MAX ? null : RangeError;
    case 'uint32':
      return typeof x !== 'number' ? TypeError : Number.isInteger(x) && x >= 0 && x <= U32_MAX ? null : RangeError;
    case 'float64':
      return typeof x === 'number' ? null : TypeError;
    case 'bigint64':
      return typeof x !== 'bigint' ? TypeError : x >= I64_MIN && x <= I64_MAX ? null : RangeError;
    case 'biguint64':
      return typeof x !== 'bigint' ? TypeError : x >= 0n && x <= U64_MAX ? null : RangeError;
    case 'string':
      return typeof x === 'string' ? null : TypeError;
    case 'any':
      return null;
  }
}

/** What a value of `kind` reads back as: the integer kinds have no -0. */
function stored(kind: ValueKind, v: unknown): unknown {
  return (kind === 'int32' || kind === 'uint32') && v === 0 ? 0 : v;
}

type Outcome = { value: unknown; inserted: boolean } | { error: ErrorClass };

/** add(key, delta) as specified: the new value, or the error it must throw (and then change nothing). */
function modelAdd(kk: KeyKind, vk: ValueKind, model: Map<unknown, unknown>, key: unknown, delta: unknown): Outcome {
  if (vk === 'string' || vk === 'any') return { error: TypeError };
  const kc = misfitClass(kk, key);
  if (kc !== null) return { error: kc };
  const k = normKey(key);
  const inserted = !model.has(k);
  if (vk === 'bigint64' || vk === 'biguint64') {
    if (typeof delta !== 'bigint') return { error: TypeError };
    // Any delta whose sum fits the kind (issue 12): beyond ±(2^64 - 1) none does.
    if (delta < -U64_MAX || delta > U64_MAX) return { error: RangeError };
    const sum = ((model.get(k) as bigint | undefined) ?? 0n) + delta;
    if (misfitClass(vk, sum) !== null) return { error: RangeError };
    return { value: sum, inserted };
  }
  if (typeof delta !== 'number') return { error: TypeError };
  const sum = ((model.get(k) as number | undefined) ?? 0) + delta;
  if (vk !== 'float64' && (!Number.isInteger(delta) || misfitClass(vk, sum) !== null)) return { error: RangeError };
  return { value: stored(vk, sum), inserted };
}

/** getOrSet(key, value) as specified. */
function modelGetOrSet(kk: KeyKind, vk: ValueKind, model: Map<unknown, unknown>, key: unknown, value: unknown): Outcome {
  const kc = misfitClass(kk, key);
  if (kc !== null) return { error: kc };
  const vc = misfitClass(vk, value);
  if (vc !== null) return { error: vc };
  const k = normKey(key);
  if (model.has(k)) return { value: model.get(k), inserted: false };
  return { value: stored(vk, value), inserted: true };
}

/** getOrInsertComputed(key, () => value) as specified: the value is checked only when the key is absent. */
function modelGetOrInsertComputed(kk: KeyKind, vk: ValueKind, model: Map<unknown, unknown>, key: unknown, value: unknown): Outcome {
  const kc = misfitClass(kk, key);
  if (kc !== null) return { error: kc };
  const k = normKey(key);
  if (model.has(k)) return { value: model.get(k), inserted: false };
  const vc = misfitClass(vk, value);
  if (vc !== null) return { error: vc };
  return { value: stored(vk, value), inserted: true };
}

/** set(key, value) as specified (for the errors; Map.set does the rest). */
function modelSet(kk: KeyKind, vk: ValueKind, key: unknown, value: unknown): ErrorClass | null {
  return misfitClass(kk, key) ?? misfitClass(vk, value);
}

// ---- generators ----------------------------------------------------------------------------------

const VALUE_EDGES: Record<ValueKind, readonly unknown[]> = {
  int32: [I32_MAX, I32_MIN, I32_MAX - 1, I32_MIN + 1, 0, -0, 1, -1],
  uint32: [U32_MAX, U32_MAX - 1, 0, -0, 1, 2 ** 31, 2 ** 31 - 1],
  float64: [0, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 0.1],
  bigint64: [I64_MAX, I64_MIN, I64_MAX - 1n, I64_MIN + 1n, 0n, 1n, -1n],
  biguint64: [U64_MAX, U64_MAX - 1n, 0n, 1n, 2n ** 63n, 2n ** 63n - 1n],
  string: ['', 'a', 'short', 'elevenchars', 'twelve chars', 'é'.repeat(11), 'π', '😀 emoji', '\ud800', '\0', 'x'.repeat(200), 'y'.repeat(5000)],
  any: [undefined, null, 0, -0, NaN, 'str', 1n],
};

/** Values each kind rejects: set and getOrSet must throw the class misfitClass gives. */
const BAD_VALUES: Record<ValueKind, readonly unknown[]> = {
  int32: [2 ** 31, I32_MIN - 1, 0.5, NaN, Infinity, '1', 1n, null, undefined],
  uint32: [-1, 2 ** 32, 0.5, NaN, -Infinity, '1', 1n, null],
  float64: ['1', 1n, null, undefined, {}],
  bigint64: [2n ** 63n, I64_MIN - 1n, 1, '1', null],
  biguint64: [-1n, 2n ** 64n, 1, '1', undefined],
  string: [1, null, undefined, 1n, {}],
  any: [],
};

/** Deltas near the limits, and ones add must reject. */
const DELTA_EDGES: Record<ValueKind, readonly unknown[]> = {
  int32: [I32_MAX, I32_MIN, U32_MAX, -U32_MAX, 2 ** 31, -(2 ** 31), 1e9, -1e9, -0, 0],
  uint32: [I32_MAX, I32_MIN, U32_MAX, -U32_MAX, 2 ** 31, -(2 ** 31), 3e9, -3e9, -0, 0],
  float64: [NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1, 2 ** 53],
  bigint64: [I64_MAX, I64_MIN, 2n ** 62n, -(2n ** 62n), 1n << 32n, -(1n << 32n), 2n ** 63n, I64_MIN - 1n, U64_MAX, -U64_MAX],
  biguint64: [U64_MAX, -U64_MAX, 2n ** 63n, -(2n ** 63n), I64_MAX, -I64_MAX, U64_MAX - 1n],
  string: [1],
  any: [1],
};
const BAD_DELTAS: Record<ValueKind, readonly unknown[]> = {
  int32: [0.5, -0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 53, '1', 1n, null, undefined],
  uint32: [0.5, -1.5, NaN, Infinity, '1', 1n, null],
  float64: ['1', 1n, null, undefined],
  bigint64: [2n ** 64n, -(2n ** 64n), 2n ** 65n, 1, '1', null],
  biguint64: [2n ** 64n, -(2n ** 64n), 2n ** 65n, 1, '1'],
  string: [1n, 'x', null],
  any: [1n, 'x', null],
};

/** Keys each key kind rejects (add, getOrSet and set must throw misfitClass's class). */
const BAD_KEYS: Record<KeyKind, readonly unknown[]> = {
  int32: [1.5, 2 ** 31, NaN, '1', null],
  uint32: [-1, 0.5, 2 ** 32, '1'],
  float64: ['1', 1n, null],
  bigint64: [2n ** 63n, 1, '1'],
  biguint64: [-1n, 2n ** 64n, 1],
  string: [1, null, 1n, undefined],
};

function randomValue(vk: ValueKind, rand: Rand): unknown {
  switch (vk) {
    case 'int32':
      return rand() < 0.5 ? int(rand, 2001) - 1000 : (rand() * 2 ** 32) | 0;
    case 'uint32':
      return rand() < 0.5 ? int(rand, 2001) : (rand() * 2 ** 32) >>> 0;
    case 'float64':
      return (rand() - 0.5) * 1e6;
    case 'bigint64':
      return rand() < 0.5 ? BigInt(int(rand, 2001) - 1000) : BigInt.asIntN(64, BigInt(int(rand, 2 ** 53)) << 11n);
    case 'biguint64':
      return rand() < 0.5 ? BigInt(int(rand, 2001)) : BigInt.asUintN(64, BigInt(int(rand, 2 ** 53)) << 11n);
    case 'string': {
      const r = rand();
      const n = int(rand, 1e6);
      return r < 0.5 ? `v${n}` : r < 0.8 ? `a longer value that needs a block ${n}` : `значение ${n}`;
    }
    case 'any': {
      const r = rand();
      return r < 0.5 ? { n: r } : r < 0.6 ? [r] : r < 0.7 ? () => r : r < 0.85 ? `s${r}` : r;
    }
  }
}

function valueGen(vk: ValueKind, rand: Rand): () => unknown {
  return () => {
    const r = rand();
    if (r < 0.03 && BAD_VALUES[vk].length > 0) return pick(rand, BAD_VALUES[vk]);
    if (r < 0.3) return pick(rand, VALUE_EDGES[vk]);
    return randomValue(vk, rand);
  };
}

function deltaGen(vk: ValueKind, rand: Rand): () => unknown {
  return () => {
    const r = rand();
    if (r < 0.03) return pick(rand, BAD_DELTAS[vk]);
    if (r < 0.35) return pick(rand, DELTA_EDGES[vk]);
    const small = int(rand, 7) - 3;
    if (isBig(vk)) return BigInt(small);
    if (vk === 'float64' && r < 0.6) return (rand() - 0.5) * 1000;
    return small;
  };
}

function strKeyMaker(rand: Rand, range: number): () => string {
  const edges = ['', 'a', '\0', 'é', 'ключ', '😀', '\ud800', 'k'.repeat(11), 'k'.repeat(12), 'x'.repeat(3000)];
  return () => {
    if (rand() < 0.01) return pick(rand, edges);
    const i = int(rand, range);
    switch (i % 3) {
      case 0:
        return `k${i}`;
      case 1:
        return `a-longer-key-that-needs-a-block-${i}`;
      default:
        return `ключ-${i}`;
    }
  };
}

// ---- model-based random runs ---------------------------------------------------------------------

function randomRun(kk: KeyKind, vk: ValueKind, seed: number, rand: Rand): void {
  // Few keys: counters pile up and hit the limits; many keys: the map grows while being updated.
  const range = seed % 2 === 1 ? 40 : 2_000;
  const key = kk === 'string' ? strKeyMaker(rand, range) : keyMaker(kk as NumericKeyKind, rand, range);
  const val = valueGen(vk, rand);
  const delta = deltaGen(vk, rand);
  const m = mk(kk, vk, { seed });
  const model = new Map<unknown, unknown>();
  const counts = { addOk: 0, addInsert: 0, addRange: 0, addType: 0, gosHit: 0, gosInsert: 0, gosError: 0, setError: 0 };

  const afterThrow = (i: number, what: string, k: unknown) => {
    if (m.size !== model.size) fail(`op ${i}: ${what} threw, and size is ${m.size}, model ${model.size}`);
    if (misfitClass(kk, k) !== null) return;
    const nk = normKey(k);
    if (m.has(k) !== model.has(nk)) fail(`op ${i}: ${what} threw, and has(key) is ${m.has(k)}`);
    const got = m.get(k);
    if (!Object.is(got, model.get(nk))) fail(`op ${i}: ${what} threw, and get(key) is ${show(got)}, model ${show(model.get(nk))}`);
  };

  /** Check a call against the model's outcome; on success apply it to the model. */
  const check = (i: number, what: string, k: unknown, want: Outcome, got: Attempt, identity: boolean): boolean => {
    if ('error' in want) {
      if (got.ok) fail(`op ${i}: ${what} returned ${show(got.value)}, expected a ${want.error.name}`);
      const e = got.error as Error;
      if (e.constructor !== want.error) fail(`op ${i}: ${what} threw ${String(e)}, expected a ${want.error.name}`);
      afterThrow(i, what, k);
      return false;
    }
    if (!got.ok) fail(`op ${i}: ${what} threw ${String(got.error)}, expected ${show(want.value)}`);
    if (!Object.is(got.value, want.value)) {
      fail(`op ${i}: ${what} returned ${show(got.value)}, expected ${show(want.value)}${identity ? ' (the very same value)' : ''}`);
    }
    model.set(normKey(k), want.value);
    if (m.size !== model.size) fail(`op ${i}: after ${what} size is ${m.size}, model ${model.size}`);
    return true;
  };

  for (let i = 0; i < OPS; i++) {
    const r = rand();
    const k = rand() < 0.01 ? pick(rand, BAD_KEYS[kk]) : key();
    if (r < 0.4) {
      const d = delta();
      const what = `add(${show(k)}, ${show(d)})`;
      const want = modelAdd(kk, vk, model, k, d);
      if (
        check(
          i,
          what,
          k,
          want,
          attempt(() => m.add(k, d)),
          false,
        )
      ) {
        counts.addOk++;
        if ((want as { inserted: boolean }).inserted) counts.addInsert++;
      } else if ((want as { error: ErrorClass }).error === RangeError) counts.addRange++;
      else counts.addType++;
    } else if (r < 0.6) {
      const v = val();
      // getOrSet and getOrInsert (one method), or getOrInsertComputed, whose callback must run once
      // for an absent key and never for a present one.
      const variant = ['getOrSet', 'getOrInsert', 'getOrInsertComputed'][Math.floor(rand() * 3)];
      const computed = variant === 'getOrInsertComputed';
      const what = `${variant}(${show(k)}, ${computed ? `() => ${show(v)}` : show(v)})`;
      const want = computed ? modelGetOrInsertComputed(kk, vk, model, k, v) : modelGetOrSet(kk, vk, model, k, v);
      let calls = 0;
      const callback = (ck: unknown) => {
        calls++;
        if (!Object.is(ck, k)) fail(`op ${i}: ${what}: the callback got ${show(ck)}`);
        return v;
      };
      const got = attempt(() => (variant === 'getOrSet' ? m.getOrSet(k, v) : variant === 'getOrInsert' ? m.getOrInsert(k, v) : m.getOrInsertComputed(k, callback)));
      if (computed) {
        const absent = misfitClass(kk, k) === null && !model.has(normKey(k));
        if (calls !== (absent ? 1 : 0)) fail(`op ${i}: ${what}: the callback ran ${calls} times for a key ${absent ? 'absent' : 'present or invalid'}`);
      }
      if (check(i, what, k, want, got, vk === 'any')) {
        if ((want as { inserted: boolean }).inserted) counts.gosInsert++;
        else counts.gosHit++;
      } else counts.gosError++;
    } else if (r < 0.7) {
      const v = val();
      const what = `set(${show(k)}, ${show(v)})`;
      const err = modelSet(kk, vk, k, v);
      const got = attempt(() => m.set(k, v));
      if (err !== null) {
        if (got.ok || (got.error as Error).constructor !== err) fail(`op ${i}: ${what}: expected a ${err.name}, got ${got.ok ? 'no error' : String(got.error)}`);
        counts.setError++;
        afterThrow(i, what, k);
      } else {
        if (!got.ok) fail(`op ${i}: ${what} threw ${String(got.error)}`);
        model.set(normKey(k), stored(vk, v));
      }
    } else if (r < 0.8) {
      if (misfitClass(kk, k) !== null) continue;
      const got = m.get(k);
      const want = model.get(normKey(k));
      if (!Object.is(got, want)) fail(`op ${i}: get(${show(k)}) is ${show(got)}, model ${show(want)}`);
      if (m.has(k) !== model.has(normKey(k))) fail(`op ${i}: has(${show(k)}) is ${m.has(k)}`);
    } else if (r < 0.99995) {
      if (misfitClass(kk, k) !== null) continue;
      const got = m.delete(k);
      if (got !== model.delete(normKey(k))) fail(`op ${i}: delete(${show(k)}) returned ${got}`);
    } else {
      m.clear();
      model.clear();
    }
    if (m.size !== model.size) fail(`op ${i}: size ${m.size}, model ${model.size}`);
    if (i % 3000 === 2999) expectContent(m, model, `op ${i}`);
  }
  expectContent(m, model, 'end');

  // The run did what it is for: adds that inserted, that updated, that overflowed (integer kinds).
  if (vk === 'string' || vk === 'any') {
    expect(counts.addOk).toBe(0);
    expect(counts.addType).toBeGreaterThan(1000);
  } else {
    expect(counts.addInsert).toBeGreaterThan(5);
    expect(counts.addOk - counts.addInsert).toBeGreaterThan(100);
    if (vk !== 'float64') expect(counts.addRange).toBeGreaterThan(50);
  }
  expect(counts.gosInsert).toBeGreaterThan(5);
  expect(counts.gosHit).toBeGreaterThan(100);
  m.dispose();
}

describe('model-based: random add/getOrSet/set/get/has/delete against Map', () => {
  // Every value kind with int32 and string keys, and one more numeric key kind that rotates.
  const extraKeys: NumericKeyKind[] = ['float64', 'bigint64', 'biguint64', 'uint32'];
  ALL_VALUE_KINDS.forEach((vk, vi) => {
    for (const kk of ['int32', 'string', extraKeys[vi % extraKeys.length]] as KeyKind[]) {
      for (const s of SEEDS) {
        const seed = s * 100 + vi * 10 + (kk === 'string' ? 1 : kk === 'int32' ? 0 : 2);
        it(`${kk} => ${vk}, seed ${seed}`, () => seeded(seed, (rand) => randomRun(kk, vk, seed, rand)));
      }
    }
  });
});

// ---- add: boundaries, one by one -----------------------------------------------------------------

/**
 * A little script on a fresh map: steps of ['add', key, delta, expected] where expected is the new
 * value or an error class (then the map must be unchanged), or ['set', key, value].
 */
type Step = ['add', unknown, unknown, unknown] | ['set', unknown, unknown];

function script(kk: KeyKind, vk: ValueKind, steps: Step[]): void {
  const m = mk(kk, vk);
  const model = new Map<unknown, unknown>();
  // Keys of the script are small numbers; with string keys they are their decimal spelling.
  const toKey = (k: unknown): unknown => (kk === 'string' ? `key ${String(k)}` : isBig(kk) ? BigInt(k as number) : k);
  steps.forEach((step, n) => {
    const k = toKey(step[1]);
    if (step[0] === 'set') {
      m.set(k, step[2]);
      model.set(k, stored(vk, step[2]));
      return;
    }
    const [, , d, want] = step;
    const what = `step ${n}: ${kk} => ${vk}: add(${show(k)}, ${show(d)})`;
    if (want === TypeError || want === RangeError) {
      const before = snapshot(m);
      expectThrow(() => m.add(k, d), want as ErrorClass, what);
      expect(snapshot(m), what).toEqual(before);
      expect(m.has(k), what).toBe(model.has(k));
    } else {
      const got = attempt(() => m.add(k, d));
      if (!got.ok) fail(`${what} threw ${String(got.error)}`);
      if (!Object.is(got.value, want)) fail(`${what} returned ${show(got.value)}, expected ${show(want)}`);
      model.set(k, want);
      if (!Object.is(m.get(k), want)) fail(`${what}: get reads back ${show(m.get(k))}`);
    }
    expect(m.size, what).toBe(model.size);
  });
  expectContent(m, model);
  m.dispose();
}

describe('add: boundaries of each value kind', () => {
  for (const kk of ['int32', 'string', 'bigint64'] as KeyKind[]) {
    it(`int32 values (${kk} keys)`, () => {
      script(kk, 'int32', [
        ['add', 1, I32_MAX, I32_MAX], // a missing key counts as 0
        ['add', 1, 1, RangeError], // 2^31-1 + 1 overflows
        ['add', 1, 0, I32_MAX],
        ['add', 1, -I32_MAX, 0],
        ['add', 2, I32_MIN, I32_MIN], // -2^31 fits
        ['add', 2, -1, RangeError],
        ['add', 2, I32_MAX, -1],
        ['add', 3, -1, -1],
        ['add', 3, I32_MIN + 1, I32_MIN],
        ['add', 3, 2 ** 32 - 1, I32_MAX],
        ['add', 4, 2 ** 31, RangeError], // a missing key with an overflowing delta is not inserted
        ['add', 4, I32_MIN - 1, RangeError],
        ['add', 4, 0.5, RangeError], // non-integer deltas
        ['set', 5, 5],
        ['add', 5, 0.5, RangeError],
        ['add', 5, -0.25, RangeError],
        ['add', 5, 1e-10, RangeError],
        ['add', 5, NaN, RangeError],
        ['add', 5, Infinity, RangeError],
        ['add', 5, -Infinity, RangeError],
        ['add', 5, 2 ** 53, RangeError],
        ['add', 5, -0, 5],
        ['add', 6, -0, 0], // inserted, and reads back as +0
        ['add', 7, 0, 0],
        ['add', 5, -5, 0],
        ['set', 8, I32_MIN],
        ['add', 8, U32_MAX, I32_MAX], // the sum is what counts, not the delta
        ['add', 8, -U32_MAX, I32_MIN],
      ]);
    });

    it(`uint32 values (${kk} keys)`, () => {
      script(kk, 'uint32', [
        ['add', 1, -1, RangeError], // missing key: 0 - 1
        ['set', 1, 0],
        ['add', 1, -1, RangeError], // present 0 - 1
        ['add', 1, U32_MAX, U32_MAX],
        ['add', 1, 1, RangeError],
        ['add', 1, -U32_MAX, 0],
        ['add', 2, 2 ** 32, RangeError],
        ['add', 2, 2 ** 31, 2 ** 31], // above int32's range
        ['add', 2, 2 ** 31 - 1, U32_MAX],
        ['add', 2, -(2 ** 31), 2 ** 31 - 1],
        ['add', 3, 0.5, RangeError],
        ['add', 3, NaN, RangeError],
        ['add', 3, Infinity, RangeError],
        ['set', 4, 10],
        ['add', 4, -10, 0],
        ['add', 4, -0, 0],
        ['add', 4, 1.5, RangeError],
      ]);
    });

    it(`float64 values (${kk} keys)`, () => {
      script(kk, 'float64', [
        ['add', 1, Infinity, Infinity],
        ['add', 1, 1, Infinity],
        ['add', 1, -Infinity, NaN], // Infinity - Infinity
        ['add', 1, 1, NaN],
        ['add', 2, NaN, NaN], // inserted with NaN
        ['add', 3, Number.MAX_VALUE, Number.MAX_VALUE],
        ['add', 3, Number.MAX_VALUE, Infinity],
        ['add', 4, -0, 0], // 0 + -0 is +0
        ['set', 5, -0],
        ['add', 5, -0, -0], // -0 + -0 is -0
        ['add', 5, 0, 0],
        ['add', 6, 0.1, 0.1],
        ['add', 6, 0.2, 0.1 + 0.2],
        ['add', 7, 2 ** 53, 2 ** 53],
        ['add', 7, 1, 2 ** 53], // rounds as doubles do
        ['add', 8, -1.5, -1.5],
        ['add', 8, Number.MIN_VALUE, -1.5 + Number.MIN_VALUE],
      ]);
    });

    it(`bigint64 values (${kk} keys)`, () => {
      script(kk, 'bigint64', [
        ['add', 1, I64_MAX, I64_MAX],
        ['add', 1, 1n, RangeError],
        ['add', 1, 0n, I64_MAX],
        ['add', 1, -I64_MAX, 0n],
        ['add', 2, I64_MIN, I64_MIN],
        ['add', 2, -1n, RangeError],
        ['add', 2, I64_MAX, -1n],
        ['add', 2, I64_MIN, RangeError], // -1 + -2^63
        ['add', 3, 2n ** 63n, RangeError], // the delta outside 64 signed bits, key missing: 2^63 does not fit, not inserted
        ['add', 3, I64_MIN - 1n, RangeError],
        ['set', 3, -1n],
        ['add', 3, 2n ** 63n, I64_MAX], // -1 + 2^63 fits, though the delta is outside 64 signed bits
        ['add', 3, -(2n ** 64n) + 1n, I64_MIN], // I64_MAX - (2^64 - 1): the widest delta whose sum fits
        ['add', 3, -1n, RangeError],
        ['add', 3, 2n ** 64n, RangeError],
        ['set', 4, 1n],
        ['add', 4, I64_MAX, RangeError],
        ['add', 4, I64_MAX - 1n, I64_MAX],
        ['set', 5, I64_MAX],
        ['add', 5, I64_MIN, -1n],
        ['set', 6, I64_MIN],
        ['add', 6, I64_MAX, -1n],
        ['add', 7, 2n ** 40n, 2n ** 40n],
        ['add', 7, -(2n ** 41n), -(2n ** 40n)],
      ]);
    });

    it(`biguint64 values (${kk} keys)`, () => {
      script(kk, 'biguint64', [
        ['add', 1, -1n, RangeError], // 0n - 1n on a missing key
        ['set', 1, 0n],
        ['add', 1, -1n, RangeError],
        ['add', 1, U64_MAX, U64_MAX], // 2^64-1 fits
        ['add', 1, 1n, RangeError],
        ['add', 1, 0n, U64_MAX],
        ['add', 1, -U64_MAX, 0n], // the largest decrement
        ['add', 2, 2n ** 64n, RangeError],
        ['add', 2, -(2n ** 64n), RangeError],
        ['add', 2, 2n ** 63n, 2n ** 63n], // above bigint64's range
        ['add', 2, 2n ** 63n, RangeError], // 2^64
        ['add', 2, 2n ** 63n - 1n, U64_MAX],
        ['add', 2, -(2n ** 63n), 2n ** 63n - 1n],
        ['add', 2, -(2n ** 63n), RangeError],
        ['set', 3, 5n],
        ['add', 3, -6n, RangeError],
        ['add', 3, -5n, 0n],
        ['set', 4, 1n],
        ['add', 4, U64_MAX - 1n, U64_MAX],
        ['set', 5, 1n],
        ['add', 5, U64_MAX, RangeError],
        ['set', 6, U64_MAX],
        ['add', 6, -(U64_MAX - 1n), 1n],
        ['add', 6, I64_MAX, 2n ** 63n],
        ['add', 7, I64_MAX + 1n, 2n ** 63n],
      ]);
    });
  }

  it('add counts: many adds of 1 to few keys, and decrements back to 0', () => {
    for (const vk of NUM_VALUE_KINDS) {
      const m = mk('string', vk);
      const one = isBig(vk) ? 1n : 1;
      for (let i = 0; i < 1000; i++) m.add(`w${i % 7}`, one);
      expect(m.size).toBe(7);
      for (let j = 0; j < 7; j++) expect(m.get(`w${j}`)).toBe(isBig(vk) ? BigInt(j < 6 ? 143 : 142) : j < 6 ? 143 : 142);
      for (let i = 0; i < 1000; i++) m.add(`w${i % 7}`, isBig(vk) ? -1n : -1);
      expect([...m.values()]).toEqual(Array(7).fill(isBig(vk) ? 0n : 0));
      m.dispose();
    }
  });
});

// ---- add: errors ---------------------------------------------------------------------------------

describe('add: errors change nothing', () => {
  for (const vk of ['string', 'any'] as ValueKind[]) {
    for (const kk of ['int32', 'string'] as KeyKind[]) {
      it(`${kk} => ${vk}: add is a TypeError, for present and missing keys and any delta`, () => {
        const k1 = kk === 'string' ? 'present' : 1;
        const k2 = kk === 'string' ? 'missing' : 2;
        const v = vk === 'string' ? 'one' : { one: 1 };
        const m = mk(kk, vk);
        m.set(k1, v);
        const before = snapshot(m);
        for (const k of [k1, k2, ...BAD_KEYS[kk]]) {
          for (const d of [1, 0, -1, 1n, 'x', 0.5, null]) {
            expectThrow(() => m.add(k, d), TypeError, `add(${show(k)}, ${show(d)})`);
          }
        }
        expect(m.size).toBe(1);
        expect(m.get(k1)).toBe(v);
        expect(m.has(k2)).toBe(false);
        expect(snapshot(m)).toEqual(before);
        m.dispose();
      });
    }
  }

  for (const vk of NUM_VALUE_KINDS) {
    for (const kk of ['int32', 'uint32', 'float64', 'bigint64', 'biguint64', 'string'] as KeyKind[]) {
      it(`${kk} => ${vk}: bad keys and bad deltas throw the right class, present or missing key`, () => {
        const m = mk(kk, vk);
        const keys = kk === 'string' ? ['a', 'b', ''] : isBig(kk) ? [1n, 2n, 0n] : [1, 2, 0];
        const v = isBig(vk) ? 7n : 7;
        m.set(keys[0], v);
        m.set(keys[2], v);
        const before = snapshot(m);
        // A key that does not fit: the error set gives, whatever the delta.
        for (const k of BAD_KEYS[kk]) {
          const cls = misfitClass(kk, k)!;
          expectThrow(() => m.set(k, v), cls, `set(${show(k)})`);
          for (const d of [isBig(vk) ? 1n : 1, ...BAD_DELTAS[vk]]) expectThrow(() => m.add(k, d), cls, `add(${show(k)}, ${show(d)})`);
        }
        // A delta of the wrong type or out of range, for a present and a missing key.
        for (const k of keys.slice(0, 2)) {
          for (const d of BAD_DELTAS[vk]) {
            const want = modelAdd(kk, vk, before, k, d);
            expect('error' in want, `model: add(${show(k)}, ${show(d)})`).toBe(true);
            expectThrow(() => m.add(k, d), (want as { error: ErrorClass }).error, `add(${show(k)}, ${show(d)})`);
          }
        }
        expect(m.size).toBe(2);
        expect(m.has(keys[1])).toBe(false);
        expect(snapshot(m)).toEqual(before);
        expect(m.stats().count).toBe(2);
        m.dispose();
      });
    }
  }

  it('the type of the delta is checked per kind: number for int32/uint32/float64, bigint for the bigint kinds', () => {
    for (const vk of NUM_VALUE_KINDS) {
      const m = mk('int32', vk);
      const wrong = isBig(vk) ? [1, 0, -0, 1.5, NaN, '1', undefined, null, {}, [1n], true] : [1n, 0n, '1', '', undefined, null, {}, [1], true, { valueOf: () => 1 }];
      for (const d of wrong) {
        expectThrow(() => m.add(1, d), TypeError, `${vk}: add(1, ${show(d)})`);
      }
      expect(m.size).toBe(0);
      m.dispose();
    }
  });

  it('int32: a tiny non-integer delta is a RangeError too (the sum is not an integer, even if doubles round it to one)', () => {
    const m = mk('int32', 'int32');
    m.set(1, 5);
    m.set(2, 2 ** 30);
    for (const [k, d] of [
      [1, 1e-20],
      [1, -1e-17],
      [2, 1e-9],
      [3, 1e-300],
      [3, Number.MIN_VALUE],
    ]) {
      expectThrow(() => m.add(k, d), RangeError, `add(${k}, ${d})`);
    }
    expect(snapshot(m)).toEqual(
      new Map([
        [1, 5],
        [2, 2 ** 30],
      ]),
    );
    const u = mk('int32', 'uint32');
    u.set(1, 5);
    expectThrow(() => u.add(1, 1e-20), RangeError, 'uint32: add(1, 1e-20)');
    expect(u.get(1)).toBe(5);
    m.dispose();
    u.dispose();
  });

  it('add and getOrSet on a disposed map throw what set throws', () => {
    for (const vk of ALL_VALUE_KINDS) {
      const m = mk('int32', vk);
      m.set(1, VALUE_EDGES[vk][2]);
      m.dispose();
      const setErr = attempt(() => m.set(1, VALUE_EDGES[vk][2]));
      expect(setErr.ok).toBe(false);
      const cls = (setErr as { error: Error }).error.constructor as ErrorClass;
      expectThrow(() => m.add(1, isBig(vk) ? 1n : 1), cls, `${vk}: add after dispose`);
      expectThrow(() => m.getOrSet(1, VALUE_EDGES[vk][2]), cls, `${vk}: getOrSet after dispose`);
    }
  });
});

// ---- getOrSet ------------------------------------------------------------------------------------

describe('getOrSet', () => {
  for (const vk of ALL_VALUE_KINDS) {
    for (const kk of ['int32', 'string', 'float64'] as KeyKind[]) {
      it(`${kk} => ${vk}: stores only when absent, returns what the map holds; edge values round-trip`, () => {
        const m = mk(kk, vk);
        const model = new Map<unknown, unknown>();
        const keyOf = (i: number): unknown => (kk === 'string' ? `k${i}` : i - 3);
        const edges = VALUE_EDGES[vk];
        edges.forEach((v, i) => {
          const k = keyOf(i);
          const got = m.getOrSet(k, v);
          expect(Object.is(got, stored(vk, v)), `getOrSet(${show(k)}, ${show(v)}) returned ${show(got)}`).toBe(true);
          model.set(k, stored(vk, v));
          expect(m.size).toBe(model.size);
          // Present now: a second getOrSet returns the stored value and stores nothing.
          const other = edges[(i + 1) % edges.length];
          const again = m.getOrSet(k, other);
          expect(Object.is(again, stored(vk, v)), `second getOrSet(${show(k)}) returned ${show(again)}`).toBe(true);
          expect(Object.is(m.get(k), stored(vk, v))).toBe(true);
          expect(m.size).toBe(model.size);
        });
        expectContent(m, model);
        // After delete the key is absent again; after set, getOrSet returns the new value.
        const k0 = keyOf(0);
        m.delete(k0);
        expect(Object.is(m.getOrSet(k0, edges[1]), stored(vk, edges[1]))).toBe(true);
        m.set(k0, edges[2]);
        expect(Object.is(m.getOrSet(k0, edges[3]), stored(vk, edges[2]))).toBe(true);
        model.set(k0, stored(vk, edges[2]));
        expectContent(m, model);

        // Bad keys and bad values: the class set throws, for present and missing keys; nothing changes.
        const before = snapshot(m);
        for (const bk of BAD_KEYS[kk]) {
          const cls = misfitClass(kk, bk)!;
          expectThrow(() => m.getOrSet(bk, edges[0]), cls, `getOrSet(${show(bk)}, ...)`);
          expectThrow(() => m.set(bk, edges[0]), cls, `set(${show(bk)}, ...)`);
        }
        for (const bv of BAD_VALUES[vk]) {
          const cls = misfitClass(vk, bv)!;
          for (const k of [keyOf(1), keyOf(1000)]) {
            expectThrow(() => m.getOrSet(k, bv), cls, `getOrSet(${show(k)}, ${show(bv)})`);
          }
        }
        expect(m.has(keyOf(1000))).toBe(false);
        expect(snapshot(m)).toEqual(before);
        expectContent(m, model);
        m.dispose();
      });
    }
  }

  it("'any' values: the very same object comes back, and getOrSet keeps the first one", () => {
    for (const kk of ['int32', 'string', 'bigint64'] as KeyKind[]) {
      const m = mk(kk, 'any');
      const key = (i: number): unknown => (kk === 'string' ? `key${i}` : kk === 'bigint64' ? BigInt(i) : i);
      const objs = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? [i] : i % 4 === 1 ? () => i : i % 4 === 2 ? { i } : new Map([[i, i]])));
      objs.forEach((o, i) => {
        expect(m.getOrSet(key(i), o)).toBe(o);
        expect(m.getOrSet(key(i), { other: i })).toBe(o);
        expect(m.get(key(i))).toBe(o);
      });
      expect(m.size).toBe(200);
      // Delete and reuse freed slots of the value table: getOrSet of a new object after delete stores it.
      for (let i = 0; i < 200; i += 3) m.delete(key(i));
      const fresh = objs.map((_, i) => ({ fresh: i }));
      for (let i = 0; i < 200; i++) {
        const got = m.getOrSet(key(i), fresh[i]);
        expect(got).toBe(i % 3 === 0 ? fresh[i] : objs[i]);
      }
      for (let i = 300; i < 400; i++) expect(m.getOrSet(key(i), fresh[i - 300])).toBe(fresh[i - 300]);
      const seen = new Map(m);
      for (let i = 0; i < 200; i++) expect(seen.get(key(i))).toBe(i % 3 === 0 ? fresh[i] : objs[i]);
      for (let i = 300; i < 400; i++) expect(seen.get(key(i))).toBe(fresh[i - 300]);
      expect(m.size).toBe(300);
      // undefined is a value: stored, present, and getOrSet keeps it.
      expect(m.getOrSet(key(1000), undefined)).toBeUndefined();
      expect(m.has(key(1000))).toBe(true);
      expect(m.getOrSet(key(1000), objs[0])).toBeUndefined();
      expect(m.size).toBe(301);
      m.dispose();
    }
  });

  it('string values, short and long, with numeric and string keys', () => {
    const long = (c: string, n: number) => c.repeat(n);
    const values = ['', 'a', 'elevenchars', 'twelve chars', 'ÿé', 'π', '😀', '\ud800x', long('z', 1000), long('ж', 3000), long('q', 70_000), 'a\0b'];
    for (const kk of ['int32', 'string'] as KeyKind[]) {
      const m = mk(kk, 'string');
      const model = new Map<unknown, unknown>();
      const key = (i: number): unknown => (kk === 'string' ? (i % 2 === 0 ? `k${i}` : long('K', 2000 + i)) : i);
      values.forEach((v, i) => {
        expect(m.getOrSet(key(i), v)).toBe(v);
        model.set(key(i), v);
        expect(m.getOrSet(key(i), values[(i + 5) % values.length])).toBe(v);
      });
      expectContent(m, model);
      const bytes = m.stats().bytes;
      // Present keys: getOrSet with a long value stores nothing, so the map takes no more memory.
      values.forEach((_, i) => expect(m.getOrSet(key(i), long('w', 50_000))).toBe(values[i]));
      expect(m.stats().bytes).toBe(bytes);
      // Delete and getOrSet again with another value.
      for (let i = 0; i < values.length; i += 2) {
        m.delete(key(i));
        const v = values[values.length - 1 - i];
        expect(m.getOrSet(key(i), v)).toBe(v);
        model.set(key(i), v);
      }
      expectContent(m, model);
      m.dispose();
    }
  });
});

// ---- out of memory under maxBytes ----------------------------------------------------------------

describe('getOrInsertComputed', () => {
  it('the callback runs only for an absent key, with the key; its value is stored and returned', () => {
    const m = new HashMap(null, { key: 'int32', value: 'float64' });
    const calls: number[] = [];
    const square = (k: number) => (calls.push(k), k * k);
    expect(m.getOrInsertComputed(3, square)).toBe(9);
    expect(m.getOrInsertComputed(3, square)).toBe(9);
    expect(calls).toEqual([3]);
    m.set(4, NaN);
    expect(m.getOrInsertComputed(4, square)).toBeNaN(); // a stored NaN is present
    expect(calls).toEqual([3]);
    expect([...m].sort()).toEqual([
      [3, 9],
      [4, NaN],
    ]);
    m.dispose();
  });

  it("'any' values: a stored undefined is present; the callback's very object is stored", () => {
    const m = new HashMap<string, unknown>(null, { key: 'string' });
    m.set('u', undefined);
    let ran = 0;
    expect(m.getOrInsertComputed('u', () => ran++)).toBeUndefined();
    const o = { o: 1 };
    expect(m.getOrInsertComputed('o', () => (ran++, o))).toBe(o);
    expect(m.get('o')).toBe(o);
    expect(ran).toBe(1);
    m.dispose();
  });

  it('errors: a callback that is not a function, a bad key (before the callback runs), a bad or throwing callback value: nothing changes', () => {
    const m = new HashMap([[1, 1]], { key: 'int32', value: 'int32' });
    let ran = 0;
    expectThrow(() => m.getOrInsertComputed(2, 5 as unknown as () => number), TypeError, 'a number for the callback');
    expectThrow(() => m.getOrInsertComputed(1.5, () => ran++), RangeError, 'key 1.5');
    expectThrow(() => m.getOrInsertComputed('x' as unknown as number, () => ran++), TypeError, "key 'x'");
    expect(ran).toBe(0);
    expectThrow(() => m.getOrInsertComputed(2, () => 2 ** 40), RangeError, 'a value int32 cannot hold');
    expect(() =>
      m.getOrInsertComputed(2, () => {
        throw new Error('from the callback');
      }),
    ).toThrow('from the callback');
    expect([...m]).toEqual([[1, 1]]);
    m.dispose();
    expectThrow(() => m.getOrInsertComputed(1, () => 1), TypeError, 'after dispose');
  });

  it('private map: a callback that stores the key itself is overwritten by its result, as the proposal specifies', () => {
    const m = new HashMap(null, { key: 'int32', value: 'int32' });
    expect(m.getOrInsertComputed(7, () => (m.set(7, 1), 2))).toBe(2);
    expect(m.get(7)).toBe(2);
    expect(m.size).toBe(1);
    m.dispose();
  });

  it('shared map: stores when absent; a callback that stores the key itself wins over its result (getOrInsert)', () => {
    const m = new HashMap(null, { key: 'string', value: 'int32', shared: true });
    expect(m.getOrInsertComputed('a', (k) => k.length)).toBe(1);
    expect(m.getOrInsertComputed('a', () => 5)).toBe(1);
    expect(m.getOrInsertComputed('b', () => (m.set('b', 1), 2))).toBe(1);
    expect(m.get('b')).toBe(1);
    m.dispose();
  });

  it('getOrSet and getOrInsert are one method', () => {
    const m = new HashMap(null, { key: 'int32', value: 'int32' });
    expect(m.getOrInsert(1, 10)).toBe(10);
    expect(m.getOrSet(1, 20)).toBe(10);
    expect(m.getOrInsert(1, 30)).toBe(10);
    m.dispose();
  });
});

describe('out of memory under maxBytes', () => {
  const combos: [KeyKind, ValueKind][] = [
    ['int32', 'int32'],
    ['int32', 'uint32'],
    ['int32', 'float64'],
    ['int32', 'bigint64'],
    ['string', 'biguint64'],
    ['string', 'int32'],
    ['string', 'float64'],
    ['int32', 'any'],
    ['int32', 'string'],
    ['string', 'string'],
  ];
  for (const [kk, vk] of combos) {
    for (const maxBytes of [8 * 1024, 40 * 1024]) {
      it(`${kk} => ${vk}, maxBytes ${maxBytes}: add/getOrSet of a new key throw RangeError and change nothing; existing keys still work`, () => {
        const seed = maxBytes / 1024 + 7 * ALL_VALUE_KINDS.indexOf(vk);
        const m = mk(kk, vk, { maxBytes, seed });
        const model = new Map<unknown, unknown>();
        const key = (i: number): unknown => (kk === 'string' ? `key number ${i}` : Math.imul(i, 0x9e3779b1) | 0);
        const value = (i: number): unknown => (vk === 'string' ? `value number ${i}` : vk === 'any' ? { i } : isBig(vk) ? BigInt(i % 1000) : i % 1000);
        const one = isBig(vk) ? 1n : 1;
        // Fill with set until memory runs out.
        let n = 0;
        let err: unknown = null;
        for (; n < 1_000_000; n++) {
          const v = value(n);
          try {
            m.set(key(n), v);
          } catch (e) {
            err = e;
            break;
          }
          model.set(key(n), v);
        }
        expect(err).toBeInstanceOf(RangeError);
        expect(n).toBeGreaterThan(10);
        expectContent(m, model, 'after filling');
        const bytes = m.stats().bytes;
        expect(bytes).toBeLessThanOrEqual(maxBytes);

        // The key that set could not insert: add and getOrSet cannot either.
        const kf = key(n);
        if (vk !== 'string' && vk !== 'any') expectThrow(() => m.add(kf, one), RangeError, `add(${show(kf)}) at the limit`);
        expectThrow(() => m.getOrSet(kf, value(n)), RangeError, `getOrSet(${show(kf)}) at the limit`);
        expect(m.has(kf)).toBe(false);
        expect(m.size).toBe(model.size);
        expectContent(m, model, 'after the failed add/getOrSet');

        // More fresh keys: each fails cleanly (RangeError, absent, size unchanged) or succeeds.
        let failures = 0;
        for (let j = 1; j <= 300; j++) {
          const k = key(n + j);
          const useAdd = j % 2 === 0 && vk !== 'string' && vk !== 'any';
          const v = value(n + j);
          const got = attempt(() => (useAdd ? m.add(k, one) : m.getOrSet(k, v)));
          if (got.ok) {
            const want = useAdd ? one : v;
            if (!Object.is(got.value, want)) fail(`${useAdd ? 'add' : 'getOrSet'}(${show(k)}) returned ${show(got.value)}`);
            model.set(k, want);
          } else {
            if (!(got.error instanceof RangeError)) fail(`${useAdd ? 'add' : 'getOrSet'}(${show(k)}) threw ${String(got.error)}`);
            if (m.has(k)) fail(`${show(k)} present after a failed insert`);
            failures++;
          }
          if (m.size !== model.size) fail(`size ${m.size}, model ${model.size} after key ${show(k)}`);
        }
        expect(failures).toBeGreaterThan(0);
        expectContent(m, model, 'after fresh keys');

        // Existing keys need no memory: add and getOrSet work.
        const keys = [...model.keys()];
        for (let j = 0; j < keys.length; j++) {
          const k = keys[j];
          if (vk !== 'string' && vk !== 'any') {
            const want = (model.get(k) as number) + (one as number);
            expect(m.add(k, one)).toBe(want);
            model.set(k, want);
          }
          expect(Object.is(m.getOrSet(k, value(1)), model.get(k))).toBe(true);
        }
        expectContent(m, model, 'after updating existing keys');
        expect(m.stats().bytes).toBeLessThanOrEqual(maxBytes);

        // Deleting makes room: the deleted keys can be inserted again by add and getOrSet.
        const gone = keys.slice(0, 5);
        for (const k of gone) {
          expect(m.delete(k)).toBe(true);
          model.delete(k);
        }
        gone.forEach((k, j) => {
          if (j % 2 === 0 && vk !== 'string' && vk !== 'any') {
            expect(m.add(k, one)).toBe(one);
            model.set(k, one);
          } else {
            const v = value(5000 + j);
            expect(m.getOrSet(k, v)).toBe(v);
            model.set(k, v);
          }
        });
        expectContent(m, model, 'after delete and reinsert');
        expect(m.stats().bytes).toBeLessThanOrEqual(maxBytes);
        m.dispose();
      });
    }
  }

  it('string values: a getOrSet whose long value does not fit throws RangeError and changes nothing; a present key still answers', () => {
    for (const kk of ['int32', 'string'] as KeyKind[]) {
      const m = mk(kk, 'string', { maxBytes: 64 * 1024 });
      const k1 = kk === 'string' ? 'one' : 1;
      const k2 = kk === 'string' ? 'two' : 2;
      m.set(k1, 'small');
      const before = snapshot(m);
      const bytes = m.stats().bytes;
      expectThrow(() => m.getOrSet(k2, 'x'.repeat(200_000)), RangeError, 'getOrSet with a value larger than maxBytes');
      expect(m.has(k2)).toBe(false);
      expect(snapshot(m)).toEqual(before);
      expect(m.stats().bytes).toBe(bytes);
      // Present: the value argument is not stored, so it does not matter that it would not fit.
      const r = attempt(() => m.getOrSet(k1, 'x'.repeat(200_000)));
      if (r.ok) expect(r.value).toBe('small');
      else expect(r.error).toBeInstanceOf(RangeError); // the query area itself may not fit
      expect(snapshot(m)).toEqual(before);
      m.dispose();
    }
  });
});

// ---- iteration -----------------------------------------------------------------------------------

describe('iteration after and during adds', () => {
  for (const [kk, vk] of [
    ['int32', 'int32'],
    ['string', 'uint32'],
    ['float64', 'float64'],
    ['string', 'bigint64'],
    ['bigint64', 'biguint64'],
  ] as [KeyKind, NumValueKind][]) {
    it(`${kk} => ${vk}: for...of, values() and entries() after adds equal the model`, () => {
      const seed = 900 + NUM_VALUE_KINDS.indexOf(vk);
      seeded(seed, (rand) => {
        const m = mk(kk, vk, { seed });
        const model = new Map<unknown, unknown>();
        const key = kk === 'string' ? strKeyMaker(rand, 3000) : keyMaker(kk as NumericKeyKind, rand, 3000);
        for (let i = 0; i < 20_000; i++) {
          const k = key();
          const small = int(rand, 21) - 10;
          const d = isBig(vk) ? BigInt(vk === 'biguint64' ? Math.abs(small) : small) : vk === 'uint32' ? Math.abs(small) : vk === 'float64' ? small / 4 : small;
          const want = modelAdd(kk, vk, model, k, d);
          if ('error' in want) fail(`model: add(${show(k)}, ${show(d)}) fails`);
          expect(Object.is(m.add(k, d), want.value)).toBe(true);
          model.set(normKey(k), want.value);
        }
        const seen = new Map<unknown, unknown>();
        for (const [k, v] of m) {
          expect(seen.has(k)).toBe(false);
          seen.set(k, v);
        }
        expect(seen).toEqual(model);
        expect(new Map(m.entries())).toEqual(model);
        // values() and keys() are separate iterations (each starts at a random place): compare as multisets.
        const sorted = (xs: Iterable<unknown>) => [...xs].map(show).sort();
        expect(sorted(m.values())).toEqual(sorted(model.values()));
        expect(sorted(m.keys())).toEqual(sorted(model.keys()));
        let visited = 0;
        m.forEach((v, k) => {
          visited++;
          expect(Object.is(v, model.get(k))).toBe(true);
        });
        expect(visited).toBe(model.size);

        // Adds during iteration (to the current key and to a random other present key, so nothing is
        // inserted): each key is seen once, with the value it has at that moment.
        const present = [...model.keys()];
        const one = isBig(vk) ? 1n : 1;
        const seen2 = new Set<unknown>();
        for (const [k, v] of m) {
          if (seen2.has(k)) fail(`iteration produced ${show(k)} twice`);
          seen2.add(k);
          if (!Object.is(v, model.get(k))) fail(`during adds: iteration gave ${show(k)} => ${show(v)}, model ${show(model.get(k))}`);
          const other = pick(rand, present);
          for (const kk2 of [k, other]) {
            const want = (model.get(kk2) as number) + (one as number);
            expect(Object.is(m.add(kk2, one), want)).toBe(true);
            model.set(kk2, want);
          }
          // getOrSet of a present key changes nothing.
          expect(Object.is(m.getOrSet(other, isBig(vk) ? 0n : 0), model.get(other))).toBe(true);
        }
        expect(seen2.size).toBe(model.size);
        expectContent(m, model);
        expect(m.stats().liveIterators).toBe(0);
        m.dispose();
      });
    });
  }
});
