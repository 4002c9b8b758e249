// String keys and string values: every JS string round-trips (empty, '\0', lone surrogates, astral
// pairs, Latin-1, megabytes); keys are equal exactly when their UTF-16 code units are, whatever V8's
// internal representation; bad input is rejected and changes nothing; batch operations refuse string
// kinds; memory: short Latin-1 strings are inline, the others take a block that overwrite, delete,
// clear and dispose give back (exact byte accounting); maxBytes exhausted by long strings; hash
// spread over keys that differ in one place only; model-based random runs against Map; Go's iteration
// guarantees with string keys while the map grows under the iterator and batches are revalidated.
//
// Randomised tests run under seeded()/withSeed(): a failure prints the seed. STRINGS_SEED changes the
// base seed (replay or explore), STRINGS_OPS the length of the model-based runs.
import { describe, it, expect } from 'vitest';
import { inspect } from 'node:util';
import { HashMap, type KeyKind, type ValueKind, type HashMapStats } from '../bindings/index.js';
import { ITER_SMALL_MAX } from '../bindings/contract.js';
import { rng, keyMaker, valueMaker, normKey, withSeed, seeded, type NumericKeyKind, type NumericValueKind, heapTop } from './helpers.js';

/** The largest map an iterator copies whole at its start instead of walking it live (bindings/iterators.ts). */
const SMALL_MAX = ITER_SMALL_MAX;

type AnyMap = HashMap<unknown, unknown>;
type Rand = () => number;

const BASE = Number(process.env.STRINGS_SEED ?? 1);
const OPS = Number(process.env.STRINGS_OPS ?? 12_000);

// The kinds, spelled once so that the rest of the file reads as plain KeyKind / ValueKind.
const S = 'string' as const;
const NUM_KEY_KINDS: NumericKeyKind[] = ['int32', 'uint32', 'float64', 'bigint64', 'biguint64'];
const NUM_VALUE_KINDS: NumericValueKind[] = ['int32', 'uint32', 'float64', 'bigint64', 'biguint64', 'any'];

function mk(kk: KeyKind, vk: ValueKind, extra: { seed?: number; capacity?: number; maxBytes?: number } = {}): AnyMap {
  return new HashMap<unknown, unknown>(null, { key: kk, value: vk, ...extra });
}

function fail(msg: string): never {
  throw new Error(msg);
}

/** A short, printable description of any value; long strings are cut, with their length. */
function show(x: unknown): string {
  if (typeof x === 'string') {
    return x.length > 40 ? `${JSON.stringify(x.slice(0, 32))}…(length ${x.length})` : JSON.stringify(x);
  }
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol') return x.toString();
  if (typeof x === 'function') return 'function';
  if (Object.is(x, -0)) return '-0';
  if (typeof x === 'object' && x !== null) return Array.isArray(x) ? `[array of ${x.length}]` : x instanceof String ? `String object ${JSON.stringify(String(x))}` : 'object';
  return String(x);
}

const int = (rand: Rand, n: number): number => Math.floor(rand() * n);

// ---- string makers -----------------------------------------------------------

function fromUnits(u: readonly number[]): string {
  let s = '';
  for (let i = 0; i < u.length; i += 4096) s += String.fromCharCode(...u.slice(i, i + 4096));
  return s;
}

function latin1Unit(rand: Rand): number {
  const r = rand();
  return r < 0.7 ? 0x20 + int(rand, 0x5f) : r < 0.8 ? int(rand, 0x20) : 0x80 + int(rand, 0x80);
}

/** `len` Latin-1 code units (0x00..0xFF, NUL and 0xFF included). */
function latin1Str(rand: Rand, len: number): string {
  // Long strings: a random window of a random source string (fast; V8 makes it a sliced string).
  if (len > 64 && len <= SOURCE_LEN) {
    const o = int(rand, SOURCE_LEN - len + 1);
    return LATIN1_SOURCE.slice(o, o + len);
  }
  const u: number[] = [];
  for (let i = 0; i < len; i++) u.push(latin1Unit(rand));
  return fromUnits(u);
}

/** `len` >= 1 code units with at least one above 0xFF: any BMP unit, lone surrogates, astral pairs, Latin-1. */
function wideStr(rand: Rand, len: number): string {
  if (len > 64 && len <= SOURCE_LEN) {
    const o = int(rand, SOURCE_LEN - len + 1);
    const s = WIDE_SOURCE.slice(o, o + len);
    return isLatin1(s) ? '\u0100' + s.slice(1) : s;
  }
  return wideUnitsStr(rand, len);
}

function wideUnitsStr(rand: Rand, len: number): string {
  const u: number[] = [];
  while (u.length < len) {
    const r = rand();
    if (r < 0.3) u.push(0x100 + int(rand, 0xff00));
    else if (r < 0.42)
      u.push(0xd800 + int(rand, 0x800)); // a lone surrogate, high or low
    else if (r < 0.55)
      u.push(0xd800 + int(rand, 0x400), 0xdc00 + int(rand, 0x400)); // an astral pair
    else if (r < 0.6) u.push(rand() < 0.5 ? 0xff : 0x100);
    else u.push(latin1Unit(rand));
  }
  u.length = len; // may cut a pair in two: one more lone surrogate
  if (!u.some((c) => c > 0xff)) u[int(rand, len)] = 0x100 + int(rand, 0xd700);
  return fromUnits(u);
}

const SOURCE_LEN = 1 << 16;
const LATIN1_SOURCE = (() => {
  const rand = rng(0x5eed);
  const u: number[] = [];
  for (let i = 0; i < SOURCE_LEN; i++) u.push(latin1Unit(rand));
  return fromUnits(u);
})();
const WIDE_SOURCE = wideUnitsStr(rng(0x5eee), SOURCE_LEN);

const pad = (i: number, n: number): string => String(i).padStart(n, '0');
const LONG_PREFIX = 'the-same-long-prefix/'.repeat(15); // 315 Latin-1 characters

/** A random string from every category the brief lists; long ones up to `longMax` code units. */
function randomString(rand: Rand, longMax = 5000): string {
  const r = rand();
  if (r < 0.03) return '';
  if (r < 0.3) return latin1Str(rand, 1 + int(rand, 11)); // inline
  if (r < 0.4) return latin1Str(rand, 11); // the longest inline
  if (r < 0.5) return latin1Str(rand, 12); // the shortest Latin-1 out of line
  if (r < 0.55) return wideStr(rand, 1 + int(rand, 12)); // short, but two-byte: out of line
  if (r < 0.66) return wideStr(rand, 1 + int(rand, 60));
  if (r < 0.78) return 'prefix-' + pad(int(rand, 1_000_000), 6); // same length, shared prefix
  if (r < 0.88) {
    const len = 100 + int(rand, Math.max(1, longMax - 100));
    return rand() < 0.7 ? latin1Str(rand, len) : wideStr(rand, len);
  }
  if (r < 0.94) return LONG_PREFIX + String.fromCharCode(latin1Unit(rand), rand() < 0.3 ? 0x100 + int(rand, 0xff00) : latin1Unit(rand));
  // Latin-1 / two-byte twins: the same string with one unit 0xFF or 0x100.
  const base = TWIN_BASES[int(rand, TWIN_BASES.length)];
  const p = int(rand, base.length);
  return base.slice(0, p) + (rand() < 0.5 ? '\xff' : '\u0100') + base.slice(p + 1);
}

const TWIN_BASES = ['abc', 'abcdefghij', 'abcdefghijk', 'abcdefghijkl', LONG_PREFIX.slice(0, 40), LONG_PREFIX];

/** Hand-picked strings: edge cases, and families of near-identical keys. */
function familyStrings(): string[] {
  const out = [
    '',
    '\0',
    '\0\0',
    '\uD800',
    '\uDC00',
    '\uDC00\uD800',
    '\uD800\uDC00',
    '\uD83D\uDE00',
    '😀',
    '\uD83D',
    '\uDE00',
    '\uFFFD',
    '\uFFFF',
    '\uFEFF',
    'é\xff',
    '\xe9',
    'e\u0301',
    '\xff',
    '\u0100',
    'a',
    'a\0',
    'abc',
    'abc\0',
    'abc\0\0',
    'abcdefghij',
    'abcdefghijk',
    'abcdefghijk\0',
    'abcdefghijkl',
    'abcdefghijklm',
    '\xff'.repeat(11),
    '\xff'.repeat(12),
    '\xff'.repeat(10) + '\u0100',
    '\0'.repeat(11),
    '\0'.repeat(12),
    // Byte twins: a Latin-1 string whose bytes are the UTF-16LE bytes of a two-byte one.
    'ab',
    '\u6261',
    '\x00\x01',
    '\u0100',
    'A\x01'.repeat(12),
    '\u0141'.repeat(12),
    'A\x01'.repeat(6),
    '\u0141'.repeat(6),
    '\x41\x00',
    'A',
    '\x00A',
    '\u4100',
  ];
  for (let i = 0; i < 100; i++) out.push('prefix-' + pad(i, 6)); // 13 units, out of line
  for (let i = 0; i < 100; i++) out.push('k' + pad(i, 10)); // 11 units, inline
  for (let i = 0; i < 50; i++) out.push('key-' + pad(i, 8)); // 12 units, out of line
  for (const c of ['a', 'b', '\0', '\x7f', '\x80', '\xff', '\u0100', '\u0101', '\uD800', '\uDFFF', '😀']) {
    out.push(LONG_PREFIX + c, c + LONG_PREFIX, LONG_PREFIX.slice(0, 150) + c + LONG_PREFIX.slice(151));
  }
  for (const base of TWIN_BASES) {
    for (const p of [0, base.length >> 1, base.length - 1]) {
      out.push(base.slice(0, p) + '\xff' + base.slice(p + 1), base.slice(0, p) + '\u0100' + base.slice(p + 1));
    }
  }
  return out;
}
const FAMILY = familyStrings();

/**
 * The same string content built in other ways, which V8 may represent differently (cons, sliced,
 * two-byte backing store for Latin-1 content, externalised copies...). All must be one key.
 */
function variants(s: string): string[] {
  const out = [
    s.split('').join(''),
    ('\u0100' + s).slice(1), // content with a two-byte parent
    (s + '\u0100').slice(0, -1),
    ('x' + s).substring(1),
    Buffer.from(s, 'utf16le').toString('utf16le'), // exact for every code unit, lone surrogates included
    JSON.parse(JSON.stringify(s)) as string,
    Array.from({ length: s.length }, (_, i) => s.charCodeAt(i)).reduce((a, c) => a + String.fromCharCode(c), ''),
  ];
  if (s.length > 1) {
    const k = s.length >> 1;
    out.push(s.slice(0, k) + s.slice(k));
    out.push(s.slice(0, k).concat(s.slice(k)));
  }
  return out;
}

// ---- storage model (the brief's layout) ----------------------------------------

const isLatin1 = (s: string): boolean => !/[^\0-\xff]/.test(s);
const isInline = (s: string): boolean => s.length <= 11 && isLatin1(s);
/** Bytes a string's out-of-line block needs before the allocator rounds it (0 when inline). */
function need(s: string): number {
  return isInline(s) ? 0 : 12 + (isLatin1(s) ? s.length : 2 * s.length);
}
/** Exact block size for blocks up to 4096 bytes: one size class per 16 bytes. */
function block(s: string): number {
  const n = need(s);
  if (n > 4096) throw new Error(`block(): ${show(s)} needs ${n} bytes, above the exact classes`);
  return Math.ceil(n / 16) * 16;
}

const SLOT: Partial<Record<ValueKind, number>> = { int32: 4, uint32: 4, any: 4, float64: 8, bigint64: 8, biguint64: 8 };
function pairSize(kk: KeyKind, vk: ValueKind): number {
  if (kk === S) return SLOT[vk] === 4 ? 16 : 24; // vk 'string' is undefined here: 24
  if (vk === S) return SLOT[kk] === 4 ? 16 : 24;
  return SLOT[kk] === 4 && SLOT[vk] === 4 ? 8 : 16;
}
const bucketSize = (kk: KeyKind, vk: ValueKind): number => 16 + 8 * pairSize(kk, vk);

/** Key number i of a sequence of distinct keys of a numeric kind. */
function distinctKey(kind: KeyKind, i: number): number | bigint {
  switch (kind) {
    case 'int32':
      return Math.imul(i, 0x9e3779b1) | 0;
    case 'uint32':
      return Math.imul(i, 0x9e3779b1) >>> 0;
    case 'float64':
      return i * 1.25 - 300_000.5;
    case 'bigint64':
      return BigInt.asIntN(64, BigInt(i) * 0x9e3779b97f4a7c15n);
    case 'biguint64':
      return BigInt.asUintN(64, BigInt(i) * 0x9e3779b97f4a7c15n);
    default:
      throw new Error(`distinctKey: not a numeric kind: ${kind}`);
  }
}

/** A simple value of a numeric or 'any' kind. */
function numValue(vk: ValueKind, i: number): unknown {
  switch (vk) {
    case 'int32':
      return i | 0;
    case 'uint32':
      return i >>> 0;
    case 'float64':
      return i + 0.5;
    case 'bigint64':
      return BigInt(i) - 5n;
    case 'biguint64':
      return BigInt(i) + 5n;
    default:
      return { i };
  }
}

// ---- content checks -------------------------------------------------------------

/**
 * The map holds exactly the model's entries: size, stats().count, every lookup, and one full iteration
 * (each key once, each value current, keys and values of the right JS type). Collects problems in plain
 * JS and asserts once.
 */
function expectContent(m: AnyMap, model: Map<unknown, unknown>, label = ''): void {
  const problems: string[] = [];
  const note = (p: string) => {
    if (problems.length < 10) problems.push(`${label}${label ? ': ' : ''}${p}`);
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
  const kStr = m.keyKind === S;
  const vStr = m.valueKind === S;
  for (const [k, v] of m) {
    if (kStr && typeof k !== 'string') note(`iteration produced a key of type ${typeof k}`);
    if (vStr && typeof v !== 'string') note(`iteration produced a value of type ${typeof v}`);
    if (seen.has(k)) note(`iteration produced ${show(k)} twice`);
    seen.set(k, v);
    if (!model.has(k)) note(`iteration produced ${show(k)}, not in the model`);
    else if (!Object.is(model.get(k), v)) note(`iteration gave ${show(k)} => ${show(v)}, model ${show(model.get(k))}`);
  }
  if (seen.size !== model.size) note(`iteration produced ${seen.size} keys, model ${model.size}`);
  // values() gives the model's values as a multiset (by identity; strings by content).
  const counts = new Map<unknown, number>();
  for (const v of model.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
  let nv = 0;
  for (const v of m.values()) {
    nv++;
    if (vStr && typeof v !== 'string') note(`values() produced a ${typeof v}`);
    const c = counts.get(v);
    if (!c) note(`values() produced ${show(v)}, not a current value (or too many times)`);
    else counts.set(v, c - 1);
  }
  if (nv !== model.size) note(`values() produced ${nv} values, model ${model.size}`);
  expect(problems).toEqual([]);
}

interface Snap {
  entries: Map<unknown, unknown>;
  stats: HashMapStats;
}
function snap(m: AnyMap): Snap {
  return { entries: new Map(m), stats: m.stats() };
}
/** The map is exactly as in the snapshot: content and the stats that describe its storage. */
function expectUnchanged(m: AnyMap, s: Snap, what: string): void {
  expectContent(m, s.entries, what);
  const now = m.stats();
  for (const f of ['count', 'B', 'overflowBuckets', 'growing', 'nevacuate', 'bytes', 'liveIterators'] as const) {
    expect(now[f], `${what}: stats().${f}`).toBe(s.stats[f]);
  }
}

type ErrorClass = typeof TypeError | typeof RangeError;
function expectThrow(fn: () => unknown, cls: ErrorClass, what: string, pattern?: RegExp): void {
  let thrown: unknown;
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

/** Every pair of kinds with a string side. */
const STRING_COMBOS: [KeyKind, ValueKind][] = [...NUM_VALUE_KINDS.map((vk): [KeyKind, ValueKind] => [S, vk]), [S, S], ...NUM_KEY_KINDS.map((kk): [KeyKind, ValueKind] => [kk, S])];

// ---- 1. round trips and key equality ----------------------------------------------

describe('round trips', () => {
  const SPECIAL = ['', '\0', '\uD800', '\uDC00', '😀', 'é\xff', '\xff', '\u0100', 'abcdefghijk', 'abcdefghijkl', '\uDC00\uD800', '\uFFFF', 'x'.repeat(5000), '\u0100'.repeat(3000), 'ÿ'.repeat(11), 'ÿ'.repeat(12)];

  it("kinds report themselves: keyKind / valueKind are 'string'", () => {
    const a = new HashMap(null, { key: 'string', value: 'int32' });
    expect(a.keyKind).toBe('string');
    expect(a.valueKind).toBe('int32');
    const b = new HashMap(null, { key: 'int32', value: 'string' });
    expect(b.keyKind).toBe('int32');
    expect(b.valueKind).toBe('string');
    const c = new HashMap(null, { key: 'string', value: 'string' });
    expect([c.keyKind, c.valueKind]).toEqual(['string', 'string']);
    for (const m of [a, b, c]) m.dispose();
  });

  it('every special string is a key and a value, read back exactly (get, iteration)', () => {
    for (const [kk, vk] of [
      [S, 'int32'],
      [S, S],
      ['int32', S],
      [S, 'any'],
      ['float64', S],
    ] as [KeyKind, ValueKind][]) {
      const m = mk(kk, vk, { seed: 3 });
      const model = new Map<unknown, unknown>();
      SPECIAL.forEach((s, i) => {
        const k = kk === S ? s : distinctKey(kk, i);
        const v = vk === S ? SPECIAL[(i + 3) % SPECIAL.length] : vk === 'any' ? s : i;
        m.set(k, v);
        model.set(k, v);
      });
      expectContent(m, model, `${kk} => ${vk}`);
      // Returned strings are equal by content, code unit by code unit.
      if (kk === S) {
        const ks = [...m.keys()] as string[];
        for (const s of SPECIAL) expect(ks.filter((k) => k === s).length, show(s)).toBe(1);
      }
      if (vk === S) {
        for (let i = 0; i < SPECIAL.length; i++) {
          const k = kk === S ? SPECIAL[i] : distinctKey(kk, i);
          const got = m.get(k) as string;
          const want = SPECIAL[(i + 3) % SPECIAL.length];
          expect(got.length).toBe(want.length);
          expect(got === want, `value of ${show(k)}: ${show(got)}`).toBe(true);
        }
      }
      m.dispose();
    }
  });

  it('constructor entries, forEach, keys, values, entries and inspect give strings back', () => {
    const m = new HashMap(
      [
        ['a', 'x'],
        ['\uD800', '😀'],
        ['', '\0'],
        ['long'.repeat(100), 'é'.repeat(40)],
      ],
      { key: 'string', value: 'string' },
    );
    expect(m.size).toBe(4);
    expect(m.get('a')).toBe('x');
    expect(m.get('\uD800')).toBe('😀');
    expect(m.get('')).toBe('\0');
    expect(m.get('long'.repeat(100))).toBe('é'.repeat(40));
    expect(m.get('b')).toBeUndefined();
    const seen: [string, string][] = [];
    m.forEach((v, k, map) => {
      expect(map).toBe(m);
      seen.push([k, v]);
    });
    const sortPairs = (a: [string, string][]) => a.slice().sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    expect(sortPairs(seen)).toEqual(sortPairs([...m.entries()]));
    expect(sortPairs(seen)).toEqual(sortPairs([...m]));
    expect([...m.keys()].sort()).toEqual(['a', '\uD800', '', 'long'.repeat(100)].sort());
    expect([...m.values()].sort()).toEqual(['x', '😀', '\0', 'é'.repeat(40)].sort());
    for (const k of m.keys()) expect(typeof k).toBe('string');
    for (const v of m.values()) expect(typeof v).toBe('string');
    const text = inspect(m);
    expect(text).toMatch(/\[string => string\]/);
    expect(text).toMatch(/'a' => 'x'/);
    m.dispose();
  });

  it('keys are equal exactly when their UTF-16 code units are: every family string is its own key', () => {
    const all = [...FAMILY, ...FAMILY.slice(0, 60)]; // some set twice
    const model = new Map<string, number>();
    const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', seed: 11 });
    all.forEach((s, i) => {
      m.set(s, i);
      model.set(s, i);
    });
    expect(m.size).toBe(new Set(FAMILY).size);
    expectContent(m as AnyMap, model);
    // Precise pairs that an implementation comparing bytes, or padding inline keys with zeros, confuses.
    const pairs: [string, string][] = [
      ['', '\0'],
      ['abc', 'abc\0'],
      ['abcdefghijk', 'abcdefghijk\0'],
      ['\0'.repeat(11), '\0'.repeat(12)],
      ['ab', '\u6261'],
      ['\x00\x01', '\u0100'],
      ['A\x01'.repeat(12), '\u0141'.repeat(12)],
      ['A\x01'.repeat(6), '\u0141'.repeat(6)],
      ['\uD800', '\uFFFD'],
      ['\uDC00', '\uFFFD'],
      ['\uD800', '\uDC00'],
      ['\xe9', 'e\u0301'],
      ['\xff', '\u0100'],
      ['A', '\u4100'],
    ];
    for (const [a, b] of pairs) {
      const t = new HashMap<string, number>(null, { key: 'string', value: 'int32' });
      t.set(a, 1);
      expect(t.has(b), `${show(a)} vs ${show(b)}`).toBe(false);
      expect(t.get(b), `${show(a)} vs ${show(b)}`).toBeUndefined();
      expect(t.delete(b)).toBe(false);
      t.set(b, 2);
      expect(t.size, `${show(a)} vs ${show(b)}`).toBe(2);
      expect(t.get(a)).toBe(1);
      expect(t.get(b)).toBe(2);
      t.dispose();
    }
    m.dispose();
  });

  it('many inline keys that differ only inside one word of the slot field stay distinct', () => {
    // 20000 keys in ~4096 buckets: a few hundred pairs share a bucket and a tophash byte, so the key
    // comparison itself must tell them apart, whichever part of the 12-byte inline field differs.
    const N = 20_000;
    const base = 'abcdefghijk';
    for (const p of [0, 2, 3, 5, 7, 9]) {
      const keyOf = (i: number) => base.slice(0, p) + String.fromCharCode(i & 0xff, i >> 8) + base.slice(p + 2);
      const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', seed: 13 });
      for (let i = 0; i < N; i++) m.set(keyOf(i), i);
      expect(m.size, `units ${p} and ${p + 1} vary`).toBe(N);
      for (let i = 0; i < N; i++) if (m.get(keyOf(i)) !== i) fail(`units ${p}, ${p + 1} vary: key #${i} reads ${m.get(keyOf(i))}`);
      m.dispose();
    }
    // Keys of every inline length made of NUL and 0xFF units only: the length must decide too.
    const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', seed: 14 });
    let n = 0;
    for (let len = 0; len <= 11; len++) {
      for (let bits = 0; bits < 1 << Math.min(len, 10); bits++) {
        m.set(Array.from({ length: len }, (_, j) => ((bits >> j) & 1 ? '\xff' : '\0')).join(''), n++);
      }
    }
    expect(m.size).toBe(n);
    m.dispose();
  });

  it('the same content built in other ways (cons, sliced, two-byte backed, copies) is the same key', () => {
    const samples = [...FAMILY.filter((_, i) => i % 3 === 0), 'x'.repeat(3000), 'é'.repeat(700), '\u0100'.repeat(900) + 'a', 'q'.repeat(2 ** 16)];
    const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', seed: 5 });
    samples.forEach((s, i) => m.set(s, i));
    const size = m.size;
    const bytes = m.stats().bytes;
    samples.forEach((s, i) => {
      for (const [j, v] of variants(s).entries()) {
        expect(v === s).toBe(true);
        if (!m.has(v)) fail(`variant ${j} of ${show(s)}: has() is false`);
        if (m.get(v) !== m.get(s)) fail(`variant ${j} of ${show(s)}: get() is ${m.get(v)}`);
        m.set(v, i + 1000);
        if (m.get(s) !== i + 1000) fail(`set through variant ${j} of ${show(s)} did not update the key`);
      }
    });
    expect(m.size).toBe(size);
    expect(m.stats().bytes, 'updating values through equal strings allocates nothing').toBe(bytes);
    // Deleting through a variant deletes the key.
    samples.forEach((s) => {
      const v = variants(s)[1];
      expect(m.delete(v)).toBe(true);
      expect(m.has(s)).toBe(false);
    });
    expect(m.size).toBe(0);
    m.dispose();
  });

  it('a string-valued map keeps values as given, whatever their representation', () => {
    const m = new HashMap<number, string>(null, { key: 'int32', value: 'string', seed: 2 });
    const vals = FAMILY.flatMap((s) => variants(s).slice(0, 3));
    vals.forEach((v, i) => m.set(i, v));
    vals.forEach((v, i) => {
      const got = m.get(i);
      if (got !== v) fail(`value #${i}: ${show(got)}, want ${show(v)}`);
    });
    m.dispose();
  });

  it('string => any holds objects by identity, and any JS value', () => {
    seeded(BASE * 1000 + 10, (rand) => {
      const m = new HashMap<string, unknown>(null, { key: 'string', value: 'any', seed: 10 });
      const model = new Map<unknown, unknown>();
      const shared = { shared: true };
      const fn = () => 1;
      const sym = Symbol('v');
      const specials: unknown[] = [shared, fn, sym, undefined, null, NaN, -0, 0n, 'a string', new String('boxed'), [1, 2], new Map(), m];
      for (let i = 0; i < 3000; i++) {
        const k = randomString(rand, 1000);
        const r = rand();
        const v = r < 0.4 ? { i, k } : r < 0.6 ? specials[int(rand, specials.length)] : r < 0.7 ? randomString(rand, 200) : r < 0.85 ? shared : [i];
        m.set(k, v);
        model.set(k, v);
        if (rand() < 0.2) {
          const d = randomString(rand, 1000);
          expect(m.delete(d)).toBe(model.delete(d));
        }
      }
      expectContent(m as AnyMap, model);
      // Overwriting an object with another releases nothing in wasm and keeps identity.
      const before = m.stats().bytes;
      for (const k of [...model.keys()].slice(0, 500)) {
        const o = { replaced: k };
        m.set(k as string, o);
        model.set(k, o);
        expect(m.get(k as string)).toBe(o);
      }
      expect(m.stats().bytes).toBe(before);
      expectContent(m as AnyMap, model);
      m.dispose();
    });
  });

  it('string values with numeric keys of every kind, edge keys included', () => {
    const edges: Record<string, (number | bigint)[]> = {
      int32: [0, -1, 2 ** 31 - 1, -(2 ** 31)],
      uint32: [0, 1, 2 ** 32 - 1, 2 ** 31],
      float64: [0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -2.5],
      bigint64: [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)],
      biguint64: [0n, 1n, 2n ** 64n - 1n, 2n ** 63n],
    };
    seeded(BASE * 1000 + 20, (rand) => {
      for (const kk of NUM_KEY_KINDS) {
        const m = mk(kk, S, { seed: 20 });
        const model = new Map<unknown, unknown>();
        const key = keyMaker(kk, rand, 2000);
        for (const k of edges[kk]) {
          const v = randomString(rand);
          m.set(k, v);
          model.set(k, v);
        }
        for (let i = 0; i < 2500; i++) {
          const k = key();
          const r = rand();
          if (r < 0.6) {
            const v = randomString(rand, 2000);
            m.set(k, v);
            model.set(normKey(k), v);
          } else if (r < 0.8) {
            expect(m.delete(k)).toBe(model.delete(normKey(k)));
          } else {
            expect(m.get(k)).toBe(model.get(normKey(k)));
          }
        }
        if (kk === 'float64') {
          m.set(-0, 'minus zero');
          model.set(0, 'minus zero');
          expect(m.get(0)).toBe('minus zero');
          expect([...m.keys()].some((k) => Object.is(k, -0))).toBe(false);
        }
        expectContent(m, model, kk);
        for (const v of m.values()) expect(typeof v).toBe('string');
        m.dispose();
      }
    });
  });
});

// ---- 2. bad input -----------------------------------------------------------------

describe('bad input changes nothing', () => {
  let coercions = 0;
  const coercing = () => ({
    toString: () => {
      coercions++;
      return 'a';
    },
    valueOf: () => {
      coercions++;
      return 'a';
    },
    [Symbol.toPrimitive]: () => {
      coercions++;
      return 'a';
    },
  });
  /** Things that are not strings, several of which coerce to a present key ('a', '1', 'null', ...). */
  const notStrings = (): unknown[] => [1, 0, -0, NaN, 1.5, 1n, 0n, null, undefined, true, false, {}, [], ['a'], [1], new String('a'), Object('1'), Symbol('a'), () => 'a', coercing(), new Date(0), /a/];
  const presentKeys = ['a', '1', '0', 'NaN', '1.5', 'null', 'undefined', 'true', 'false', '[object Object]', '', 'Symbol(a)', '-0'];

  for (const [vi, vk] of [...NUM_VALUE_KINDS, S].entries()) {
    it(`string => ${vk}: set with a non-string key throws a TypeError; get/has/delete answer absent; nothing changes`, () => {
      seeded(BASE * 1000 + 30 + vi, (rand) => {
        const m = mk(S, vk, { seed: 30 });
        const val = vk === S ? () => randomString(rand, 800) : valueMaker(vk, rand);
        for (const k of presentKeys) m.set(k, val());
        for (let i = 0; i < 300; i++) m.set(randomString(rand, 800), val());
        const before = snap(m);
        coercions = 0;
        for (const bad of notStrings()) {
          expectThrow(() => m.set(bad, val()), TypeError, `set(${show(bad)}, v)`, /^HashMap: /);
          expect(m.get(bad), `get(${show(bad)})`).toBeUndefined();
          expect(m.has(bad), `has(${show(bad)})`).toBe(false);
          expect(m.delete(bad), `delete(${show(bad)})`).toBe(false);
        }
        expect(coercions, 'a key was converted to a string').toBe(0);
        expectUnchanged(m, before, 'after the rejected keys');
        m.dispose();
      });
    });
  }

  for (const [ki, kk] of [...NUM_KEY_KINDS, S].entries()) {
    it(`${kk} => string: set with a non-string value throws a TypeError, for new and existing keys; nothing changes`, () => {
      seeded(BASE * 1000 + 40 + ki, (rand) => {
        const m = mk(kk, S, { seed: 40 });
        const keyOf = (i: number) => (kk === S ? `k${i}-` + 'z'.repeat(i % 50) : distinctKey(kk, i));
        for (let i = 0; i < 300; i++) m.set(keyOf(i), randomString(rand, 800));
        const before = snap(m);
        coercions = 0;
        const fresh = [keyOf(5000), keyOf(5001), ...(kk === S ? ['a new long key '.repeat(30), '\u0100 new two-byte key'] : [])];
        for (const bad of notStrings()) {
          for (const k of [keyOf(0), keyOf(17), ...fresh]) {
            expectThrow(() => m.set(k, bad), TypeError, `set(${show(k)}, ${show(bad)})`, /^HashMap: /);
          }
        }
        expect(coercions, 'a value was converted to a string').toBe(0);
        expectUnchanged(m, before, 'after the rejected values');
        for (const k of fresh) expect(m.has(k)).toBe(false);
        m.dispose();
      });
    });
  }

  it('a numeric-keyed map rejects string keys (TypeError) and answers absent for them', () => {
    for (const kk of NUM_KEY_KINDS) {
      const m = mk(kk, 'int32');
      m.set(distinctKey(kk, 1), 1);
      const before = snap(m);
      for (const k of ['1', '', 'a', String(distinctKey(kk, 1))]) {
        expectThrow(() => m.set(k, 1), TypeError, `${kk}: set(${show(k)})`);
        expect(m.get(k)).toBeUndefined();
        expect(m.has(k)).toBe(false);
        expect(m.delete(k)).toBe(false);
      }
      expectUnchanged(m, before, kk);
      m.dispose();
    }
  });

  it('a constructor with a bad entry after long strings throws and leaks nothing', () => {
    const bad = () =>
      expectThrow(
        () =>
          new HashMap<unknown, unknown>(
            [
              ['long key '.repeat(50), 'long value '.repeat(50)],
              ['\u0100'.repeat(300), 'v'],
              [1, 'x'],
            ],
            { key: 'string', value: 'string', seed: 1 },
          ),
        TypeError,
        'constructor with a numeric key',
      );
    const badValue = () =>
      expectThrow(
        () =>
          new HashMap<unknown, unknown>(
            [
              ['long key '.repeat(50), 'long value '.repeat(50)],
              ['k', 1],
            ],
            { key: 'string', value: 'string', seed: 1 },
          ),
        TypeError,
        'constructor with a numeric value',
      );
    for (let i = 0; i < 5; i++) {
      bad();
      badValue();
    }
    const top = heapTop();
    for (let i = 0; i < 100; i++) {
      bad();
      badValue();
    }
    expect(heapTop()).toBe(top);
  });

  it('batch operations throw a TypeError on every map with a string kind, and change nothing', () => {
    for (const [kk, vk] of STRING_COMBOS) {
      const m = mk(kk, vk, { seed: 50 });
      for (let i = 0; i < 50; i++) {
        const k = kk === S ? `key ${i} `.repeat((i % 4) + 1) : distinctKey(kk, i);
        m.set(k, vk === S ? `value ${i}`.repeat((i % 3) + 1) : numValue(vk, i));
      }
      const before = snap(m);
      // Arrays of the numeric side's type where there is one: the string side alone must be the reason.
      const arrFor = (kind: KeyKind | ValueKind): Int32Array | Uint32Array | Float64Array | BigInt64Array | BigUint64Array => {
        switch (kind) {
          case 'uint32':
            return new Uint32Array([1, 2]);
          case 'float64':
            return new Float64Array([1, 2]);
          case 'bigint64':
            return new BigInt64Array([1n, 2n]);
          case 'biguint64':
            return new BigUint64Array([1n, 2n]);
          default:
            return new Int32Array([1, 2]);
        }
      };
      const n = m as unknown as HashMap<number, number>;
      const ka = arrFor(kk) as Int32Array;
      const va = arrFor(vk) as Int32Array;
      const what = `${kk} => ${vk}`;
      expectThrow(() => n.setMany(ka, va), TypeError, `${what}: setMany`);
      expectThrow(() => n.getMany(ka), TypeError, `${what}: getMany`);
      expectThrow(() => n.getMany(ka, va), TypeError, `${what}: getMany with out`);
      expectThrow(() => n.hasMany(ka), TypeError, `${what}: hasMany`);
      expectThrow(() => n.deleteMany(ka), TypeError, `${what}: deleteMany`);
      expectUnchanged(m, before, what);
      m.dispose();
    }
  });

  it('use after dispose throws a TypeError for string maps too', () => {
    const m = new HashMap([['a', 'b']], { key: 'string', value: 'string' });
    m.dispose();
    expectThrow(() => m.get('a'), TypeError, 'get', /disposed/);
    expectThrow(() => m.set('a', 'c'), TypeError, 'set', /disposed/);
    expectThrow(() => [...m.keys()], TypeError, 'keys', /disposed/);
    m.dispose();
  });
});

// ---- 3. memory -----------------------------------------------------------------------

/** A unique string key for memory tests (block <= 4096 bytes): inline, short and long Latin-1, two-byte. */
function memKey(rand: Rand, i: number): string {
  const r = rand();
  if (r < 0.15) return 'i' + pad(i, 10); // 11 units: inline
  if (r < 0.3) return 'prefix-' + pad(i, 6); // 13 units: 32-byte block
  if (r < 0.55) return latin1Str(rand, 100 + int(rand, 3000)) + '/' + i;
  if (r < 0.8) return wideStr(rand, 1 + int(rand, 1500)) + '/' + i;
  if (r < 0.9) return String.fromCharCode(0x100 + (i & 0xff), 0x100 + (i >> 8)); // 2 two-byte units
  return 'ÿ' + pad(i, 11); // 12 units with 0xFF: Latin-1, out of line
}
/** A string value for memory tests (block <= 4096 bytes). */
function memValue(rand: Rand): string {
  const r = rand();
  if (r < 0.1) return '';
  if (r < 0.3) return latin1Str(rand, 1 + int(rand, 11));
  if (r < 0.6) return latin1Str(rand, 12 + int(rand, 3000));
  return wideStr(rand, 1 + int(rand, 1500));
}
const blocksOf = (kk: KeyKind, vk: ValueKind, k: unknown, v: unknown): number => (kk === S ? block(k as string) : 0) + (vk === S ? block(v as string) : 0);

describe('memory: inline strings and out-of-line blocks', () => {
  it('one string at a time: inline ones cost nothing, the others exactly their rounded block', () => {
    const samples = [
      '',
      'a',
      '\0',
      'é\xff',
      'abcdefghijk',
      'ÿ'.repeat(11),
      'abcdefghijkl',
      'ÿ'.repeat(12),
      '\u0100',
      '😀',
      '\uD800',
      'x'.repeat(10) + '\u0100',
      'x'.repeat(100),
      'x'.repeat(4084),
      'x'.repeat(4085 - 16),
      '\u0100'.repeat(2042),
      '\uDC00'.repeat(1000),
      'prefix-000001',
      'x'.repeat(19),
      'x'.repeat(20),
      'x'.repeat(21),
    ];
    for (const [kk, vk] of [
      [S, 'int32'],
      [S, 'float64'],
      ['int32', S],
      ['bigint64', S],
      [S, S],
    ] as [KeyKind, ValueKind][]) {
      const m = mk(kk, vk, { seed: 60, capacity: 200 });
      const s0 = m.stats();
      const bs = bucketSize(kk, vk);
      const base = () => s0.bytes + (m.stats().overflowBuckets - s0.overflowBuckets) * bs;
      samples.forEach((s, i) => {
        const what = `${kk} => ${vk}: ${show(s)}`;
        const k = kk === S ? s : distinctKey(kk, i);
        const v1 = vk === S ? (kk === S ? 'short' : s) : numValue(vk, i);
        m.set(k, v1);
        const want = blocksOf(kk, vk, k, v1);
        expect(m.stats().bytes - base(), `${what}: bytes after set`).toBe(want);
        // Overwriting the value (same key, inline value) allocates nothing more.
        m.set(k, vk === S ? 'tiny' : numValue(vk, i + 1));
        expect(m.stats().bytes - base(), `${what}: bytes after overwrite`).toBe(kk === S ? block(s) : 0);
        if (vk === S) {
          // And a long value on the existing key: exactly its block.
          m.set(k, s);
          expect(m.stats().bytes - base(), `${what}: bytes with the value ${show(s)}`).toBe((kk === S ? block(s) : 0) + block(s));
        }
        expect(m.delete(k)).toBe(true);
        expect(m.stats().bytes, `${what}: bytes after delete`).toBe(base());
      });
      const s1 = m.stats();
      expect(s1.B).toBe(s0.B);
      expect(s1.growing).toBe(false);
      m.dispose();
    }
  });

  it('blocks above 4096 bytes take at least what they need and about no more', () => {
    for (const s of ['y'.repeat(5000), '\u0101'.repeat(3000), 'z'.repeat(100_000), '\uD801'.repeat(70_000)]) {
      const m = mk(S, S, { seed: 61, capacity: 16 });
      const b0 = m.stats().bytes;
      m.set(s, 'v');
      const d = m.stats().bytes - b0;
      expect(d, show(s)).toBeGreaterThanOrEqual(need(s));
      expect(d, show(s)).toBeLessThanOrEqual(need(s) + 4096);
      m.set('k', s);
      expect(m.stats().bytes - b0 - d, `value ${show(s)}`).toBeGreaterThanOrEqual(need(s));
      expect(m.stats().bytes - b0 - d, `value ${show(s)}`).toBeLessThanOrEqual(need(s) + 4096);
      m.delete(s);
      m.delete('k');
      expect(m.stats().bytes).toBe(b0);
      m.dispose();
    }
  });

  const MEM_COMBOS: [KeyKind, ValueKind][] = [
    [S, 'int32'],
    [S, 'uint32'],
    [S, 'any'],
    [S, 'float64'],
    [S, 'bigint64'],
    [S, 'biguint64'],
    [S, S],
    ['int32', S],
    ['uint32', S],
    ['float64', S],
    ['bigint64', S],
    ['biguint64', S],
  ];
  MEM_COMBOS.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}: N entries in, values overwritten, all deleted: bytes exact at every stage`, () => {
      const seed = BASE * 1000 + 100 + ci;
      seeded(seed, (rand) => {
        const N = 1200;
        const m = mk(kk, vk, { seed, capacity: 2 * N });
        const bs = bucketSize(kk, vk);
        const s0 = m.stats();
        const expectBytes = (extra: number, what: string) => {
          const s = m.stats();
          expect(s.B, `${what}: B`).toBe(s0.B);
          expect(s.growing, `${what}: growing`).toBe(false);
          expect(s.bytes, `${what}: bytes`).toBe(s0.bytes + (s.overflowBuckets - s0.overflowBuckets) * bs + extra);
        };
        const model = new Map<unknown, unknown>();
        let held = 0;
        for (let i = 0; i < N; i++) {
          const k = kk === S ? memKey(rand, i) : distinctKey(kk, i);
          const v = vk === S ? memValue(rand) : numValue(vk, i);
          m.set(k, v);
          model.set(k, v);
          held += blocksOf(kk, vk, k, v);
          if (i % 100 === 0) expectBytes(held, `insert ${i}`);
        }
        expectBytes(held, 'after the inserts');
        expectContent(m, model);
        // Overwrite every value: string values give back their old block and take the new one.
        for (const k of model.keys()) {
          const old = model.get(k);
          const v = vk === S ? memValue(rand) : numValue(vk, int(rand, 1000));
          m.set(k, v);
          model.set(k, v);
          held += blocksOf(kk, vk, k, v) - blocksOf(kk, vk, k, old);
        }
        expectBytes(held, 'after overwriting every value');
        // Delete everything, in random order.
        const keys = [...model.keys()];
        for (let i = keys.length - 1; i > 0; i--) {
          const j = int(rand, i + 1);
          [keys[i], keys[j]] = [keys[j], keys[i]];
        }
        keys.forEach((k, i) => {
          expect(m.delete(k)).toBe(true);
          held -= blocksOf(kk, vk, k, model.get(k));
          model.delete(k);
          if (i % 100 === 0) expectBytes(held, `delete ${i}`);
        });
        expect(held).toBe(0);
        expect(m.size).toBe(0);
        expectBytes(0, 'after deleting everything');
        m.dispose();
      });
    });
  });

  for (const [kk, vk] of [
    [S, 'int32'],
    [S, S],
    ['int32', S],
    [S, 'any'],
    ['bigint64', S],
  ] as [KeyKind, ValueKind][]) {
    it(`${kk} => ${vk}: clear() returns bytes to a new map's, at rest and in the middle of a growth`, () => {
      seeded(BASE * 1000 + 150, (rand) => {
        for (const opts of [{ seed: 150 }, { seed: 151, capacity: 700 }, {}]) {
          const fresh = mk(kk, vk, opts);
          const empty = fresh.stats().bytes;
          fresh.dispose();
          const m = mk(kk, vk, opts);
          for (const how of ['at rest', 'growing', 'at rest again']) {
            let i = 0;
            const keys: unknown[] = [];
            const add = () => {
              const k = kk === S ? memKey(rand, i) + '#' + i : distinctKey(kk, i);
              keys.push(k);
              m.set(k, vk === S ? memValue(rand) : numValue(vk, i));
              i++;
            };
            if (how === 'growing') {
              while (i < 3000 || !m.stats().growing) add();
            } else {
              while (i < 3000) add();
              for (let j = 0; j < 500; j++) expect(m.delete(keys[j * 3])).toBe(true);
            }
            expect(m.stats().bytes).toBeGreaterThan(empty);
            m.clear();
            const s = m.stats();
            expect(s.count).toBe(0);
            expect(s.bytes, `${JSON.stringify(opts)} ${how}: bytes after clear`).toBe(empty);
            expect([...m]).toEqual([]);
          }
          // Still usable.
          m.set(kk === S ? 'after clear '.repeat(20) : distinctKey(kk, 1), vk === S ? 'value '.repeat(20) : numValue(vk, 1));
          expect(m.size).toBe(1);
          m.dispose();
        }
      });
    });
  }

  it("overwriting a key's long value many times keeps bytes constant after the first write", () => {
    seeded(BASE * 1000 + 160, (rand) => {
      for (const [kk, vk] of [
        ['int32', S],
        [S, S],
        ['float64', S],
      ] as [KeyKind, ValueKind][]) {
        const m = mk(kk, vk, { seed: 160 });
        const k = kk === S ? 'the key '.repeat(30) : distinctKey(kk, 7);
        for (let i = 0; i < 200; i++) m.set(kk === S ? `other ${i} `.repeat(5) : distinctKey(kk, 100 + i), 'x'.repeat(i));
        for (const [len, wide] of [
          [500, false],
          [20, false],
          [3000, true],
          [12, false],
          [100_000, false],
          [40_000, true],
        ] as const) {
          const make = () => (len > SOURCE_LEN ? (wide ? '\u0100' : 'x').repeat(len - 12) + latin1Str(rand, 12) : wide ? wideStr(rand, len) : latin1Str(rand, len));
          m.set(k, make());
          const after = m.stats().bytes;
          for (let i = 0; i < (len > 5000 ? 30 : 300); i++) {
            const v = make();
            m.set(k, v);
            if (i % 50 === 0 && m.get(k) !== v) fail(`value not replaced at write ${i}`);
            if (m.stats().bytes !== after) fail(`${kk} => ${vk}, length ${len}${wide ? ' two-byte' : ''}: bytes ${m.stats().bytes} after write ${i}, ${after} after the first`);
          }
        }
        // Varying lengths: bytes follow the current value's block exactly.
        m.set(k, '');
        const base = m.stats().bytes;
        for (let i = 0; i < 300; i++) {
          const v = memValue(rand);
          m.set(k, v);
          if (m.stats().bytes !== base + block(v)) fail(`${kk} => ${vk}: value ${show(v)}: bytes ${m.stats().bytes - base} over the base, want ${block(v)}`);
        }
        // Setting an existing long key again (also through an equal copy) allocates nothing.
        if (kk === S) {
          const b = m.stats().bytes;
          const v = m.get(k);
          for (let i = 0; i < 50; i++) m.set(variants(k as string)[i % 7], v);
          expect(m.stats().bytes).toBe(b);
        }
        m.dispose();
      }
    });
  });

  for (const [kk, vk] of [
    [S, S],
    [S, 'int32'],
    ['int32', S],
    [S, 'float64'],
  ] as [KeyKind, ValueKind][]) {
    it(`${kk} => ${vk}: churn at full load with same-size grows (overflow re-packing) keeps bytes exact`, () => {
      seeded(BASE * 1000 + 165, (rand) => {
        const m = mk(kk, vk, { seed: 165, capacity: 400 });
        const bs = bucketSize(kk, vk);
        const s0 = m.stats();
        const cap = 6.5 * s0.buckets;
        const model = new Map<unknown, unknown>();
        const live: unknown[] = [];
        let held = 0;
        let n = 0;
        let sameSize = 0;
        let inGrow = false;
        for (let op = 0; op < 400_000 && (sameSize < 3 || m.stats().growing); op++) {
          if (live.length < cap - 20) {
            const k = kk === S ? memKey(rand, n) + '#' + n : distinctKey(kk, n);
            const v = vk === S ? memValue(rand) : numValue(vk, n);
            n++;
            m.set(k, v);
            model.set(k, v);
            live.push(k);
            held += blocksOf(kk, vk, k, v);
          } else {
            const i = int(rand, live.length);
            const k = live[i];
            expect(m.delete(k)).toBe(true);
            held -= blocksOf(kk, vk, k, model.get(k));
            model.delete(k);
            live[i] = live[live.length - 1];
            live.pop();
          }
          const s = m.stats();
          if (s.sameSizeGrow && !inGrow) sameSize++;
          inGrow = s.growing;
          if (op % 500 === 0 && !s.growing) {
            expect(s.B).toBe(s0.B);
            expect(s.bytes, `op ${op}`).toBe(s0.bytes + (s.overflowBuckets - s0.overflowBuckets) * bs + held);
          }
        }
        expect(sameSize, 'no same-size grow happened').toBeGreaterThanOrEqual(3);
        expectContent(m, model, 'after the churn');
        for (const k of live) {
          expect(m.delete(k)).toBe(true);
          held -= blocksOf(kk, vk, k, model.get(k));
        }
        const s = m.stats();
        expect(held).toBe(0);
        expect(s.B).toBe(s0.B);
        expect(s.bytes).toBe(s0.bytes + (s.overflowBuckets - s0.overflowBuckets) * bs);
        m.dispose();
      });
    });
  }

  it('key blocks kept by tombstones (growth under a live iterator) are freed by clear and dispose', () => {
    const make = (how: 'clear' | 'dispose') => {
      const m = mk(S, 'int32', { seed: 9 });
      // More than ITER_SMALL_MAX keys: the iterator walks the map live, so growth leaves tombstones.
      for (let i = 0; i < SMALL_MAX + 4; i++) m.set('start key number ' + i + '.'.repeat(i), i);
      const it = m.keys();
      it.next();
      for (let i = 0; i < 3000; i++) m.set('grown key number ' + i + '.'.repeat(i % 40), i);
      const tomb = m.stats().tombstones;
      for (let i = 0; i < 3000; i += 2) m.delete('grown key number ' + i + '.'.repeat(i % 40));
      it.return!();
      if (how === 'clear') {
        m.clear();
        const fresh = mk(S, 'int32', { seed: 9 });
        expect(m.stats().bytes).toBe(fresh.stats().bytes);
        fresh.dispose();
      }
      m.dispose();
      return tomb;
    };
    for (let j = 0; j < 5; j++) make('dispose');
    const top = heapTop();
    for (let j = 0; j < 30; j++) expect(make(j % 2 ? 'dispose' : 'clear')).toBeGreaterThan(0);
    expect(heapTop()).toBe(top);
  });

  it('dispose() frees string blocks: maps made afterwards reuse the memory', () => {
    const make = (j: number) => {
      const rand = rng(170);
      const m = mk(S, S, { seed: 170 });
      for (let i = 0; i < 400; i++) m.set(memKey(rand, i), memValue(rand));
      if (j % 10 === 0) expect(m.size).toBe(400);
      m.dispose();
    };
    for (let j = 0; j < 5; j++) make(j);
    const top = heapTop();
    for (let j = 0; j < 30; j++) make(j);
    expect(heapTop()).toBe(top);

    // A map of big strings, disposed: smaller maps of strings built afterwards mostly reuse its memory.
    const big = mk(S, S, { seed: 171 });
    const rand = rng(171);
    for (let i = 0; i < 3000; i++) big.set(memKey(rand, i), memValue(rand));
    const bytes = big.stats().bytes;
    big.dispose();
    const top2 = heapTop();
    const maps: AnyMap[] = [];
    for (let j = 0; j < 5; j++) {
      const m = mk(S, 'int32', { seed: j });
      for (let i = 0; i < 300; i++) m.set(memKey(rand, i), i);
      maps.push(m);
    }
    const held = maps.reduce((a, m) => a + m.stats().bytes, 0);
    expect(held).toBeLessThan(bytes);
    expect(heapTop() - top2).toBeLessThan(held);
    for (const m of maps) m.dispose();
  });
});

// ---- 4. out of memory under maxBytes ----------------------------------------------

describe('maxBytes exhausted by long strings', () => {
  for (const [kk, vk, maxBytes] of [
    [S, 'int32', 64 * 1024],
    [S, S, 96 * 1024],
    ['int32', S, 64 * 1024],
    [S, 'any', 256 * 1024],
  ] as [KeyKind, ValueKind, number][]) {
    it(`${kk} => ${vk}, maxBytes ${maxBytes}: failed sets throw a RangeError and change nothing; the map keeps working`, () => {
      const seed = BASE * 1000 + 200 + maxBytes / 1024;
      seeded(seed, (rand) => {
        const m = mk(kk, vk, { seed, maxBytes });
        const model = new Map<unknown, unknown>();
        const keyOf = (i: number) => (kk === S ? latin1Str(rand, 300 + int(rand, 900)) + '#' + i : distinctKey(kk, i));
        const valOf = (i: number) => (vk === S ? (rand() < 0.5 ? latin1Str(rand, 200 + int(rand, 900)) : wideStr(rand, 100 + int(rand, 400))) : numValue(vk, i));
        let err: unknown = null;
        let i = 0;
        for (; i < 100_000; i++) {
          const k = keyOf(i);
          const v = valOf(i);
          const before = m.stats().bytes;
          try {
            m.set(k, v);
          } catch (e) {
            err = e;
            expect(m.has(k)).toBe(false);
            expect(m.stats().bytes).toBe(before);
            break;
          }
          model.set(k, v);
          if (m.stats().bytes > maxBytes) fail(`bytes ${m.stats().bytes} over maxBytes after insert ${i}`);
        }
        expect(err, 'never ran out of memory').toBeInstanceOf(RangeError);
        expect(String((err as Error).message)).toMatch(/memory/);
        expect(model.size).toBeGreaterThan(5);
        expectContent(m, model, 'at the limit');

        const remaining = () => maxBytes - m.stats().bytes;
        const tooLong = (extra = 0) => 'L'.repeat(remaining() + extra + 64);
        const at = snap(m);
        // A new key whose own block cannot fit.
        if (kk === S) {
          expectThrow(() => m.set(tooLong(), valOf(0)), RangeError, 'new key longer than the room left');
          expectThrow(() => m.set('\u0100'.repeat(remaining()), valOf(0)), RangeError, 'new two-byte key longer than the room left');
          expectUnchanged(m, at, 'after the failed long keys');
        }
        if (vk === S) {
          // A value that cannot fit, even counting the block of the value it replaces.
          const existing = [...model.keys()].slice(0, 5);
          for (const k of existing) {
            const old = model.get(k) as string;
            expectThrow(() => m.set(k, tooLong(need(old) + 64)), RangeError, `long value on existing key ${show(k)}`);
            expect(m.get(k) === old, 'the old value is kept').toBe(true);
          }
          // A new key that would fit on its own, with a value that does not: nothing of either stays.
          const k = kk === S ? 'fits alone: 32 b' : distinctKey(kk, 999_999);
          expectThrow(() => m.set(k, tooLong()), RangeError, 'new key, value too long');
          expect(m.has(k)).toBe(false);
          expectUnchanged(m, at, 'after the failed long values');
        }
        // Lookups and deletes never need memory, even with keys longer than the room left.
        if (kk === S) {
          expect(m.get(tooLong())).toBeUndefined();
          expect(m.has('\u0101'.repeat(100_000))).toBe(false);
          expect(m.delete('x'.repeat(1 << 20))).toBe(false);
        }
        expectUnchanged(m, at, 'after lookups of long absent keys');

        // Short inline values replacing long ones give memory back.
        if (vk === S) {
          const b = m.stats().bytes;
          for (const k of [...model.keys()].slice(0, 10)) {
            m.set(k, 'tiny');
            model.set(k, 'tiny');
          }
          expect(m.stats().bytes).toBeLessThan(b);
        }
        // Delete half; then new long keys fit again.
        const keys = [...model.keys()];
        for (let j = 0; j < keys.length; j += 2) {
          expect(m.delete(keys[j])).toBe(true);
          model.delete(keys[j]);
        }
        expectContent(m, model, 'after deletes');
        let added = 0;
        for (let j = 0; j < keys.length / 4; j++) {
          const k = keyOf(i + 1 + j);
          const v = valOf(j);
          m.set(k, v); // must not throw: half the memory of the strings is free
          model.set(k, v);
          added++;
        }
        expect(added).toBeGreaterThan(0);
        expectContent(m, model, 'after refilling');
        expect(m.stats().bytes).toBeLessThanOrEqual(maxBytes);
        // Random churn at the limit: every failed set leaves the map as it was.
        let failures = 0;
        for (let op = 0; op < 1500; op++) {
          const r = rand();
          if (r < 0.7) {
            const k = rand() < 0.2 && model.size > 0 ? [...model.keys()][int(rand, model.size)] : keyOf(100_000 + op);
            const v = valOf(op);
            const size = m.size;
            const bytes = m.stats().bytes;
            const had = model.has(k);
            const old = m.get(k);
            try {
              m.set(k, v);
              model.set(k, v);
            } catch (e) {
              expect(e).toBeInstanceOf(RangeError);
              failures++;
              if (m.size !== size || m.stats().bytes !== bytes || m.has(k) !== had || !Object.is(m.get(k), old)) fail(`op ${op}: failed set of ${show(k)} changed the map`);
            }
          } else if (model.size > 0) {
            const k = [...model.keys()][int(rand, model.size)];
            expect(m.delete(k)).toBe(true);
            model.delete(k);
          }
        }
        expect(failures).toBeGreaterThan(0);
        expectContent(m, model, 'after churn');
        expect(m.stats().bytes).toBeLessThanOrEqual(maxBytes);
        m.dispose();
      });
    });
  }
});

describe('maxBytes: a long string key at the doubling threshold', () => {
  // BUG found while writing these tests (assembly/map.ts insertPair): the map starts a doubling
  // (hashGrow) before it commits the new key's block (strCommit). When the block does not fit, set
  // throws a RangeError but leaves the map doubled and growing (stats().B, bytes changed), where a
  // failed set must leave the map exactly as it was. Every maxBytes between the full table and the
  // table with the key added is tried: set either succeeds or fails with nothing changed.
  const cases: [KeyKind, ValueKind, number, number][] = [
    [S, 'int32', 3000, 0],
    [S, 'int32', 8000, 0],
    [S, S, 8000, 1],
    [S, S, 8000, 3000],
    [S, 'any', 8000, 0],
    ['int32', S, 0, 8000],
  ];
  for (const [kk, vk, keyLen, valLen] of cases) {
    it(`${kk} => ${vk}, key length ${keyLen}, value length ${valLen}: set either succeeds or changes nothing, for every maxBytes`, () => {
      const N = 104; // 6.5 * 16: the next new key grows a 16-bucket table (four times over: a small map)
      const fill = (m: AnyMap) => {
        for (let i = 0; i < N; i++) m.set(kk === S ? 'k' + i : distinctKey(kk, i), vk === S ? 'v' : i);
      };
      const newKey = kk === S ? 'K'.repeat(keyLen) : distinctKey(kk, N);
      const newVal = vk === S ? 'V'.repeat(valLen) : 1;
      const free = mk(kk, vk, { seed: 1 });
      fill(free);
      const full = free.stats();
      free.set(newKey, newVal);
      const grown = free.stats();
      free.dispose();
      expect(full.B).toBe(4);
      expect(grown.B, 'precondition: the new key grows the table').toBe(6);
      const problems: string[] = [];
      let failures = 0;
      // Up to the final size plus one page class: a growth's new segment is allocated before the old one is
      // freed. Budgets below the four-times array fall back to doubling in place (grow.ts rehashAll).
      for (let maxBytes = full.bytes; maxBytes < grown.bytes + 8192 && problems.length < 3; maxBytes += 16) {
        const m = mk(kk, vk, { seed: 1, maxBytes });
        try {
          fill(m);
        } catch {
          m.dispose(); // the earlier doublings did not fit: not this test's case
          continue;
        }
        const before = m.stats();
        try {
          m.set(newKey, newVal);
          if (!m.has(newKey) || m.size !== N + 1) problems.push(`maxBytes ${maxBytes}: set returned but the key is not there`);
        } catch (e) {
          failures++;
          const after = m.stats();
          if (!(e instanceof RangeError)) problems.push(`maxBytes ${maxBytes}: threw ${String(e)}`);
          const changed = (['count', 'B', 'growing', 'overflowBuckets', 'bytes'] as const).filter((f) => after[f] !== before[f]);
          if (changed.length > 0 || m.has(newKey)) {
            problems.push(`maxBytes ${maxBytes}: failed set changed ${changed.map((f) => `${f} ${before[f]} -> ${after[f]}`).join(', ')}`);
          }
          for (let i = 0; i < N; i += 13) {
            const k = kk === S ? 'k' + i : distinctKey(kk, i);
            const v = m.get(k);
            if (vk === 'any' ? v !== i : v !== (vk === S ? 'v' : i)) problems.push(`maxBytes ${maxBytes}: entry ${show(k)} lost`);
          }
        }
        m.dispose();
      }
      expect(failures, 'no maxBytes made the set fail').toBeGreaterThan(0);
      expect(problems).toEqual([]);
    });
  }
});

// ---- 5. hash spread -----------------------------------------------------------------

describe('hashing strings: keys that differ in one place spread over the buckets', () => {
  const N = 4000;
  const P = 'p'.repeat(1000);
  const families: [string, (i: number) => string][] = [
    ['differ at the end of 1000 shared units', (i) => P + pad(i, 5)],
    ['differ at the start', (i) => pad(i, 5) + P],
    ['differ in the middle', (i) => P.slice(0, 500) + pad(i, 5) + P.slice(500)],
    ['inline, 11 units, differ in the last two', (i) => 'abcdefghi' + String.fromCharCode(i & 0xff, i >> 8)],
    ['12 units, differ in the last two', (i) => 'abcdefghij' + String.fromCharCode(i & 0xff, i >> 8)],
    ['0xFF or 0x100 at 12 positions', (i) => Array.from({ length: 12 }, (_, j) => ((i >> j) & 1 ? '\u0100' : '\xff')).join('') + 'x'.repeat(52)],
    ['two-byte units differing in their high byte only', (i) => String.fromCharCode(((i & 0xff) << 8) | 0x41, ((i >> 8) << 8) | 0x41) + 'x'.repeat(30)],
    ['lengths 1..N of one repeated unit', (i) => 'a'.repeat(i + 1)],
  ];
  for (const [name, f] of families) {
    it(name, () => {
      const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', seed: 7, capacity: N });
      const s0 = m.stats();
      for (let i = 0; i < N; i++) m.set(f(i), i);
      expect(m.size).toBe(N);
      const s = m.stats();
      expect(s.B).toBe(s0.B);
      // At load N / buckets (about 4) Poisson chains need about 1-2% overflow buckets; a hash that
      // ignores the differing units puts the keys in a handful of chains (hundreds of overflow buckets).
      expect(s.overflowBuckets, `overflow buckets for ${s.buckets} buckets`).toBeLessThan(0.15 * s.buckets);
      for (let i = 0; i < N; i += 7) if (m.get(f(i)) !== i) fail(`key #${i}: ${m.get(f(i))}`);
      m.dispose();
    });
  }
});

// ---- 6. model-based ------------------------------------------------------------------

/** A key pool: every family string and random strings of every category. */
function keyPool(rand: Rand, n: number): string[] {
  const out = FAMILY.slice();
  for (let i = 0; i < n; i++) out.push(randomString(rand));
  return out;
}

function checkStats(m: AnyMap, size: number, label: string): void {
  const s = m.stats();
  if (s.count !== size) fail(`${label}: count ${s.count}, model ${size}`);
  if (s.buckets !== 2 ** s.B) fail(`${label}: buckets ${s.buckets}, B ${s.B}`);
  if (!s.growing && s.count > Math.max(8, 6.5 * s.buckets) + 1) fail(`${label}: load ${s.count / s.buckets}`);
  if (s.liveIterators !== 0) fail(`${label}: liveIterators ${s.liveIterators}`);
}

describe('model-based: random get/set/has/delete/clear against Map', () => {
  const combos: [KeyKind, ValueKind][] = [
    [S, 'int32'],
    [S, S],
    [S, 'any'],
    [S, 'float64'],
    [S, 'biguint64'],
    [S, 'uint32'],
    [S, 'bigint64'],
    ['int32', S],
    ['float64', S],
    ['bigint64', S],
    ['uint32', S],
    ['biguint64', S],
  ];
  combos.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}`, () => {
      const seed = BASE * 1000 + 300 + ci;
      seeded(seed, (rand) => {
        const pool = kk === S ? keyPool(rand, ci % 2 === 0 ? 2500 : 8000) : [];
        const numKey = kk === S ? null : keyMaker(kk, rand, ci % 2 === 0 ? 3000 : 20_000);
        const key = (): unknown => (numKey ? numKey() : rand() < 0.9 ? pool[int(rand, pool.length)] : randomString(rand));
        const numVal = vk === S ? null : valueMaker(vk, rand);
        const val = (): unknown => (numVal ? numVal() : rand() < 0.1 ? FAMILY[int(rand, FAMILY.length)] : randomString(rand, 3000));
        const m = mk(kk, vk, { seed });
        const model = new Map<unknown, unknown>();
        for (let i = 0; i < OPS; i++) {
          const r = rand();
          const k = key();
          const label = `op ${i}`;
          if (r < 0.45) {
            const v = val();
            if (m.set(k, v) !== m) fail(`${label}: set did not return the map`);
            model.set(normKey(k), v);
          } else if (r < 0.65) {
            const got = m.get(k);
            if (!Object.is(got, model.get(normKey(k)))) fail(`${label}: get(${show(k)}) = ${show(got)}, model ${show(model.get(normKey(k)))}`);
          } else if (r < 0.8) {
            if (m.has(k) !== model.has(normKey(k))) fail(`${label}: has(${show(k)}) = ${m.has(k)}`);
          } else if (r < 0.9997) {
            const a = m.delete(k);
            const b = model.delete(normKey(k));
            if (a !== b) fail(`${label}: delete(${show(k)}) = ${a}, model ${b}`);
          } else {
            m.clear();
            model.clear();
          }
          if (m.size !== model.size) fail(`${label}: size ${m.size}, model ${model.size}`);
          if (i % 1000 === 0) checkStats(m, model.size, label);
          if (i % 4000 === 3999) expectContent(m, model, label);
        }
        expectContent(m, model, 'end');
        checkStats(m, model.size, 'end');
        // The strings' memory is counted: at least what their blocks need.
        let needed = 0;
        for (const [k, v] of model) needed += (kk === S ? need(k as string) : 0) + (vk === S ? need(v as string) : 0);
        expect(m.stats().bytes).toBeGreaterThan(needed);
        // Nothing leaked over the run: clear() brings bytes back to a new map's.
        const fresh = mk(kk, vk, { seed });
        const empty = fresh.stats().bytes;
        fresh.dispose();
        m.clear();
        expect(m.stats().bytes, 'bytes after clear, against a new map').toBe(empty);
        m.dispose();
      });
    });
  });

  it('megabyte strings as keys and values', () => {
    const MB = 1 << 20;
    const A = 'a'.repeat(MB);
    const keys = [
      A,
      A.slice(0, -1) + 'b', // differs in the last unit
      'b' + A.slice(1), // in the first
      A.slice(0, MB >> 1) + 'c' + A.slice((MB >> 1) + 1), // in the middle
      A + 'a', // one unit longer
      A.slice(0, -1), // one unit shorter
      A.slice(0, -1) + '\xff',
      A.slice(0, -1) + '\u0100', // Latin-1 against two-byte in one unit
      '\u0100'.repeat(MB),
      '\u0100'.repeat(MB - 1) + '\u0101',
      wideStr(rng(BASE * 1000 + 400), MB),
    ];
    withSeed(BASE * 1000 + 400, () => {
      for (const [kk, vk] of [
        [S, S],
        [S, 'int32'],
        ['int32', S],
      ] as [KeyKind, ValueKind][]) {
        const m = mk(kk, vk, { seed: 400, capacity: 64 });
        const b0 = m.stats().bytes;
        const ovf0 = m.stats().overflowBuckets;
        const model = new Map<unknown, unknown>();
        keys.forEach((s, i) => {
          const k = kk === S ? s : i;
          const v = vk === S ? keys[(i + 1) % keys.length] : i;
          m.set(k, v);
          model.set(k, v);
        });
        expect(m.size).toBe(keys.length);
        let needed = 0;
        for (const [k, v] of model) needed += (kk === S ? need(k as string) : 0) + (vk === S ? need(v as string) : 0);
        const held = m.stats().bytes - b0;
        expect(held).toBeGreaterThanOrEqual(needed);
        expect(held).toBeLessThanOrEqual(needed * 1.05 + 64 * 1024);
        // Lookups with fresh copies (new string objects of equal content).
        keys.forEach((s, i) => {
          const k = kk === S ? (i % 2 ? Buffer.from(s, 'utf16le').toString('utf16le') : s.slice(0, 1000) + s.slice(1000)) : i;
          if (!m.has(k)) fail(`${kk} => ${vk}: key #${i} not found through a copy`);
          const got = m.get(k);
          const want = model.get(kk === S ? s : i);
          if (got !== want) fail(`${kk} => ${vk}: key #${i}: value of length ${(got as string)?.length} differs from the one set`);
        });
        expect(m.get(A.slice(0, -2))).toBeUndefined();
        expect(m.has(A + 'aa')).toBe(false);
        // Iteration gives every key and value back, exactly.
        const seenK = new Set<unknown>();
        for (const [k, v] of m) {
          if (seenK.has(k)) fail('a key produced twice');
          seenK.add(k);
          if (!model.has(k)) fail(`iteration produced a key not in the model (length ${(k as string).length})`);
          if (model.get(k) !== v) fail('iteration produced a value that differs from the one set');
        }
        expect(seenK.size).toBe(keys.length);
        // Overwrites of megabyte values keep bytes constant; deletes give everything back.
        if (vk === S) {
          const k = kk === S ? keys[0] : 0;
          m.set(k, 'z'.repeat(MB));
          const b = m.stats().bytes;
          for (let i = 0; i < 8; i++) m.set(k, String.fromCharCode(0x61 + i).repeat(MB));
          expect(m.stats().bytes).toBe(b);
          expect(m.get(k) === 'h'.repeat(MB)).toBe(true);
        }
        for (const k of model.keys()) expect(m.delete(k)).toBe(true);
        expect(m.size).toBe(0);
        expect(m.stats().bytes).toBe(b0 + (m.stats().overflowBuckets - ovf0) * bucketSize(kk, vk));
        m.dispose();
      }
    });
  });
});

// ---- 7. iteration guarantees ------------------------------------------------------------

type K = unknown;

/** A model Map plus, for every present key, the id of its current life (see iteration.test.ts). */
class Model {
  readonly map = new Map<K, unknown>();
  readonly life = new Map<K, number>();
  private readonly arr: K[] = [];
  private readonly idx = new Map<K, number>();
  private seq = 0;

  get size(): number {
    return this.map.size;
  }

  set(k: K, v: unknown): void {
    k = normKey(k);
    if (!this.map.has(k)) {
      this.idx.set(k, this.arr.length);
      this.arr.push(k);
      this.life.set(k, ++this.seq);
    }
    this.map.set(k, v);
  }

  delete(k: K): boolean {
    k = normKey(k);
    const i = this.idx.get(k);
    if (i === undefined) return false;
    const last = this.arr.pop()!;
    if (i < this.arr.length) {
      this.arr[i] = last;
      this.idx.set(last, i);
    }
    this.idx.delete(k);
    this.life.delete(k);
    this.map.delete(k);
    return true;
  }

  clear(): void {
    this.map.clear();
    this.life.clear();
    this.arr.length = 0;
    this.idx.clear();
  }

  randomKey(rand: Rand): K | undefined {
    return this.arr.length === 0 ? undefined : this.arr[int(rand, this.arr.length)];
  }
}

/** Checks one iteration: no key produced outside its life, none twice, values current, none missed. */
class Tracker {
  readonly startLives: Map<K, number>;
  readonly produced = new Set<number>();
  count = 0;

  constructor(
    readonly model: Model,
    readonly label: string,
  ) {
    this.startLives = new Map(model.life);
  }

  produce(k: K, v: unknown, withValue = true): void {
    this.count++;
    const life = this.model.life.get(k);
    if (life === undefined) fail(`${this.label}: produced key ${show(k)}, which is not in the map (deleted before it was reached, or never there)`);
    if (this.produced.has(life)) {
      const origin = this.startLives.get(k) === life ? 'present since the start' : 'added during the iteration';
      fail(`${this.label}: key ${show(k)} produced twice in the same life, an entry ${origin} (entry #${this.count})`);
    }
    this.produced.add(life);
    if (withValue) {
      const want = this.model.map.get(k);
      if (!Object.is(v, want)) fail(`${this.label}: key ${show(k)} produced with value ${show(v)}, current value is ${show(want)}`);
    }
  }

  finish(): void {
    let missing = 0;
    let example: K | undefined;
    for (const [k, life] of this.startLives) {
      if (this.model.life.get(k) === life && !this.produced.has(life)) {
        missing++;
        example ??= k;
      }
    }
    if (missing > 0) fail(`${this.label}: ${missing} entries present for the whole iteration were never produced, e.g. key ${show(example)}`);
  }
}

/** A new string key: mostly fresh strings of every category (short and long); sometimes a pool key. */
function growKey(rand: Rand, counter: { n: number }): string {
  const r = rand();
  const i = counter.n++;
  if (r < 0.05) return FAMILY[int(rand, FAMILY.length)];
  if (r < 0.3) return i.toString(36).padStart(1 + int(rand, 11), '.'); // inline, unique
  if (r < 0.4) return 'g' + pad(i, 10); // 11 units
  if (r < 0.5) return 'g' + pad(i, 11); // 12 units
  if (r < 0.62) return latin1Str(rand, 100 + int(rand, 600)) + i;
  if (r < 0.75) return wideStr(rand, 1 + int(rand, 40)) + i;
  if (r < 0.85) return LONG_PREFIX + i;
  return randomString(rand, 800);
}

class Mutator {
  readonly counter = { n: 0 };
  readonly key: () => K;
  readonly val: () => unknown;
  constructor(
    readonly m: AnyMap,
    readonly model: Model,
    readonly rand: Rand,
    kk: KeyKind,
    vk: ValueKind,
  ) {
    const nk = kk === S ? null : keyMaker(kk, rand, 1 << 30);
    this.key = nk ?? (() => growKey(rand, this.counter));
    const nv = vk === S ? null : valueMaker(vk, rand);
    this.val = nv ?? (() => randomString(rand, 600));
  }

  insert(): void {
    const k = this.key();
    const v = this.val();
    this.m.set(k, v);
    this.model.set(k, v);
  }

  update(): void {
    const k = this.model.randomKey(this.rand);
    if (k === undefined) return this.insert();
    const v = this.val();
    this.m.set(k, v);
    this.model.set(k, v);
  }

  delete(): void {
    const k = this.rand() < 0.85 ? this.model.randomKey(this.rand) : this.key();
    if (k === undefined) return;
    const had = this.model.delete(k);
    if (this.m.delete(k) !== had) fail(`delete(${show(k)}) disagrees with the model (model had it: ${had})`);
  }

  reAdd(): void {
    const k = this.model.randomKey(this.rand);
    if (k === undefined) return;
    this.model.delete(k);
    this.m.delete(k);
    const v = this.val();
    this.m.set(k, v);
    this.model.set(k, v);
  }

  step(wIns: number, wDel: number, wUpd: number, wRe = 0): void {
    const r = this.rand() * (wIns + wDel + wUpd + wRe);
    if (r < wIns) this.insert();
    else if (r < wIns + wDel) this.delete();
    else if (r < wIns + wDel + wUpd) this.update();
    else this.reAdd();
  }

  fill(n: number): void {
    for (let i = 0; i < n; i++) this.insert();
  }
}

function sameContent(m: AnyMap, model: Model, label: string): void {
  expectContent(m, model.map, label);
  const t = new Tracker(model, `${label} (fresh iteration)`);
  for (const [k, v] of m) t.produce(k, v);
  t.finish();
  if (m.stats().liveIterators !== 0) fail(`${label}: liveIterators ${m.stats().liveIterators} after a completed iteration`);
}

type Style = 'next' | 'forof' | 'keys' | 'forEach';
const STYLES: Style[] = ['next', 'forof', 'keys', 'forEach'];

function iterate(m: AnyMap, model: Model, style: Style, label: string, between: (beforeFirst: boolean) => void): Tracker {
  const t = new Tracker(model, `${label} [${style}]`);
  switch (style) {
    case 'next': {
      const it = m.entries();
      between(true);
      t.startLives.clear();
      for (const [k, l] of model.life) t.startLives.set(k, l);
      for (;;) {
        const r = it.next();
        if (r.done) break;
        t.produce(r.value[0], r.value[1]);
        between(false);
      }
      break;
    }
    case 'forof':
      for (const [k, v] of m) {
        t.produce(k, v);
        between(false);
      }
      break;
    case 'keys':
      for (const k of m.keys()) {
        if (m.keyKind === S && typeof k !== 'string') fail(`keys() produced a ${typeof k}`);
        t.produce(k, undefined, false);
        between(false);
      }
      break;
    case 'forEach':
      m.forEach((v, k) => {
        t.produce(k, v);
        between(false);
      });
      break;
  }
  t.finish();
  return t;
}

const ITER_COMBOS: [KeyKind, ValueKind][] = [
  [S, 'int32'],
  [S, S],
  [S, 'any'],
  [S, 'float64'],
  ['int32', S],
];

describe('iteration guarantees with string keys and values', () => {
  ITER_COMBOS.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}: random inserts / deletes / updates during iteration`, () => {
      const seed = BASE * 1000 + 500 + ci;
      seeded(seed, (rand) => {
        const m = mk(kk, vk, { seed });
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk);
        mut.fill(int(rand, 1500));
        for (let round = 0; round < 16; round++) {
          const style = STYLES[round % STYLES.length];
          const rate = [0, 0.2, 1, 3][int(rand, 4)];
          const wRe = round % 3 === 0 ? 0.3 : 0;
          iterate(m, model, style, `round ${round}`, () => {
            let n = rate < 1 ? (rand() < rate ? 1 : 0) : int(rand, 2 * rate + 1);
            while (n-- > 0) mut.step(0.4, 0.35, 0.25, wRe);
          });
          if (m.stats().liveIterators !== 0) fail(`round ${round}: iterator not released at its end`);
          if (round % 4 === 3) sameContent(m, model, `after round ${round}`);
          if (rand() < 0.15) while (model.size > 3) mut.delete();
          else mut.fill(int(rand, 300));
        }
        sameContent(m, model, 'end');
        m.dispose();
      });
    });

    it(`${kk} => ${vk}: maps of at most ITER_SMALL_MAX entries (copied whole at the start) under changes, growth included`, () => {
      const seed = BASE * 1000 + 700 + ci;
      seeded(seed, (rand) => {
        for (let round = 0; round < 24; round++) {
          const m = mk(kk, vk, { seed: seed * 32 + round });
          const model = new Model();
          const mut = new Mutator(m, model, rand, kk, vk);
          mut.fill(int(rand, SMALL_MAX + 1));
          while (model.size > SMALL_MAX) mut.delete();
          const grow = round % 3 === 2;
          const t = iterate(m, model, STYLES[round % STYLES.length], `round ${round} (${model.size} entries)`, (before) => {
            if (m.stats().liveIterators !== 0) fail(`round ${round}: a small iteration took a slot`);
            if (before) return;
            if (grow) mut.fill(500);
            for (let i = int(rand, 4); i > 0; i--) mut.step(0.3, 0.3, 0.3, 0.1);
          });
          if (t.count > SMALL_MAX) fail(`round ${round}: ${t.count} entries handed out, more than the map held at the start`);
          sameContent(m, model, `round ${round} end`);
          m.dispose();
        }
      });
    });

    it(`${kk} => ${vk}: the map grows from tiny to thousands of entries during a for...of`, () => {
      const seed = BASE * 1000 + 600 + ci;
      seeded(seed, (rand) => {
        for (let round = 0; round < 3; round++) {
          const m = mk(kk, vk, { seed: seed * 16 + round });
          const model = new Model();
          const mut = new Mutator(m, model, rand, kk, vk);
          // Above ITER_SMALL_MAX (the iterator walks the map live; a smaller one is copied whole at its start)
          // and at most 52 entries (it starts at B <= 4: a small map grows four times over).
          const initial = SMALL_MAX + 1 + int(rand, 52 - SMALL_MAX);
          mut.fill(initial);
          const target = 6000 + int(rand, 12_000);
          const perStep = Math.ceil(target / initial);
          let b0 = -1;
          let growingSeen = 0;
          let maxB = 0;
          const style = STYLES[(round + ci) % STYLES.length];
          iterate(m, model, style, `round ${round}`, (before) => {
            if (before) return;
            if (b0 < 0) b0 = m.stats().B;
            if (model.size < target) {
              for (let i = 0; i < perStep; i++) {
                mut.step(0.85, 0.1, 0.05, 0.02);
                if (m.stats().growing) growingSeen++;
              }
            } else {
              mut.step(0.3, 0.4, 0.3);
            }
            const s = m.stats();
            maxB = Math.max(maxB, s.B);
            if (s.liveIterators !== 1) fail(`liveIterators ${s.liveIterators} during the iteration`);
          });
          expect(b0).toBeLessThanOrEqual(4);
          expect(growingSeen).toBeGreaterThan(0);
          expect(maxB - b0).toBeGreaterThanOrEqual(3);
          sameContent(m, model, `round ${round} end`);
          // Everything deleted: the string blocks are all returned (bytes as a map grown the same way, emptied).
          const fresh = mk(kk, vk, { seed: 1 });
          const empty = fresh.stats().bytes;
          fresh.dispose();
          m.clear();
          expect(m.stats().bytes).toBe(empty);
          m.dispose();
        }
      });
    });
  });

  it('clear() during an iteration over string keys ends it; refilled entries are produced at most once', () => {
    seeded(BASE * 1000 + 650, (rand) => {
      const m = mk(S, S, { seed: 650 });
      const model = new Model();
      const mut = new Mutator(m, model, rand, S, S);
      for (let round = 0; round < 12; round++) {
        mut.fill(200 + int(rand, 1200));
        let steps = 0;
        const clearAt = int(rand, 50);
        const t = iterate(m, model, STYLES[round % 4], `round ${round}`, (before) => {
          if (before) return;
          if (steps++ === clearAt) {
            m.clear();
            model.clear();
            if (rand() < 0.5) mut.fill(int(rand, 300));
          } else if (rand() < 0.5) {
            mut.step(0.5, 0.3, 0.2);
          }
        });
        expect(t.count).toBeLessThanOrEqual(clearAt + 1 + 64 + 1);
        expect(m.stats().liveIterators).toBe(0);
        sameContent(m, model, `after round ${round}`);
      }
      m.dispose();
    });
  });

  it("fixed seed: the same operations give the same order, whatever the strings' representation", () => {
    seeded(BASE * 1000 + 700, (rand) => {
      const keys = Array.from({ length: 3000 }, () => randomString(rand, 1500));
      const order = (copy: boolean): string => {
        const m = mk(S, S, { seed: 700 });
        keys.forEach((k, i) => m.set(copy ? variants(k)[i % 7] : k, k));
        for (let i = 0; i < keys.length; i += 3) m.delete(copy ? variants(keys[i])[(i + 1) % 7] : keys[i]);
        const out = [...m.keys()].map((k) => `${(k as string).length}:${(k as string).slice(0, 20)}`).join('|');
        m.dispose();
        return out;
      };
      const a = order(false);
      expect(order(false) === a).toBe(true);
      expect(order(true) === a, 'hash depends on more than the code units').toBe(true);
    });
  });
});

// ---- 8. batched fetch revalidation ----------------------------------------------------

describe('batched fetch revalidation with strings', () => {
  for (const [kk, vk] of [
    [S, S],
    [S, 'int32'],
    ['int32', S],
    [S, 'any'],
  ] as [KeyKind, ValueKind][]) {
    it(`${kk} => ${vk}: deletes, updates and same-size inserts right after a batch is fetched`, () => {
      const seed = BASE * 1000 + 800;
      seeded(seed, (rand) => {
        // Keys and values of one length, so that freed blocks are reused by the next strings at once.
        const LEN = 100;
        let serial = 0;
        const newKey = (): unknown => (kk === S ? (rand() < 0.5 ? latin1Str(rand, LEN - 6) : wideStr(rand, LEN - 6)) + pad(serial++, 6) : distinctKey(kk, 1_000_000 + serial++));
        const newVal = (): unknown => (vk === S ? (rand() < 0.5 ? latin1Str(rand, LEN) : wideStr(rand, LEN)) : vk === 'any' ? { n: serial++ } : serial++);
        for (let round = 0; round < 6; round++) {
          const mapSeed = int(rand, 2 ** 32);
          const n = 100 + int(rand, 900);
          const entries: [unknown, unknown][] = Array.from({ length: n }, () => [newKey(), newVal()]);
          const build = () => {
            const m = mk(kk, vk, { seed: mapSeed });
            const model = new Model();
            for (const [k, v] of entries) {
              m.set(k, v);
              model.set(k, v);
            }
            return { m, model };
          };
          const twin = build();
          const seq = [...twin.m.keys()];
          twin.m.dispose();
          const { m, model } = build();
          const it = m.entries();
          const t = new Tracker(model, `round ${round}`);
          const pos = new Map<unknown, number>(seq.map((k, j) => [k, j]));
          const done = new Set<number>();
          let changes = 0;
          for (let r = it.next(); !r.done; r = it.next()) {
            t.produce(r.value[0], r.value[1]);
            const i = pos.get(r.value[0]);
            if ((i === 0 || i === 8) && !done.has(i)) {
              done.add(i);
              const end = i === 0 ? 8 : 8 + 64;
              for (let j = i + 1; j < end && j < seq.length; j++) {
                const k = seq[j];
                const what = rand();
                changes++;
                if (what < 0.4) {
                  m.delete(k);
                  model.delete(k);
                } else if (what < 0.8) {
                  const v = newVal();
                  m.set(k, v);
                  model.set(k, v);
                } else {
                  m.delete(k);
                  model.delete(k);
                  const v = newVal();
                  m.set(k, v);
                  model.set(k, v);
                }
                // New entries of the same sizes take the blocks just freed.
                const nk = newKey();
                const nv = newVal();
                m.set(nk, nv);
                model.set(nk, nv);
              }
            }
          }
          t.finish();
          expect(done.has(0)).toBe(true);
          expect(changes).toBeGreaterThan(0);
          sameContent(m, model, `round ${round} end`);
          m.dispose();
        }
      });
    });
  }
});
