// Key and value codecs: how the keys and values of each kind cross into the core's calls and come
// back, built once per kind (KEY_CODECS, VALUE_CODECS), as hashbrown's map hands its raw table the
// hasher and equality it built once.
//
// A key codec passes a key the way the core's functions for its kind take it: a number or bigint as
// one argument, a string written into the Core's key query area and passed as (address, length). A
// value codec stores a value (a string first into the value query area; an 'any' value into the
// map's JS table, whose index the slot keeps), turns a core result back into a value, and says what
// a delete's or an add's result means. The operations over them (raw-map.ts) are then the same for
// every pair of kinds; a new kind is a row of the kinds table (assembly/per-kind.mjs), its traits
// (kinds.ts) and its codecs here.

import { INT32, UINT32, FLOAT64, BIGINT64, BIGUINT64, STRING, KIND_NAMES, fits, misfit, describe, I64_MIN, I64_MAX, U64_MAX } from './kinds.js';
import { ST_RANGE } from './contract.js';
import { readString } from './strings.js';
import type { MapState, CoreFn, KeyCodec, ValueCodec } from './map-state.js';

/** Number and bigint keys: one argument, as they are. */
class NumberKeys implements KeyCodec {
  readonly #kind: number;
  constructor(kind: number) {
    this.#kind = kind;
  }
  fits(x: unknown): boolean {
    return fits(this.#kind, x);
  }
  call(m: MapState, f: CoreFn, key: unknown): number | bigint {
    return f(m.h, key);
  }
  call1(m: MapState, f: CoreFn, key: unknown, a: unknown): number | bigint {
    return f(m.h, key, a);
  }
  call2(m: MapState, f: CoreFn, key: unknown, a: unknown, b: unknown): number | bigint {
    return f(m.h, key, a, b);
  }
  find(m: MapState, f: CoreFn, key: unknown): number | bigint | undefined {
    return fits(this.#kind, key) ? f(m.h, key) : undefined;
  }
  table(m: MapState, key: unknown): number {
    return fits(this.#kind, key) ? (m.ops.table(m.h, key) as number) : 0;
  }
}

/** String keys: written into the key query area, passed as (address, length). */
class StringKeys implements KeyCodec {
  fits(x: unknown): boolean {
    return typeof x === 'string';
  }
  call(m: MapState, f: CoreFn, key: unknown): number | bigint {
    return f(m.h, m.ka.put(key as string), (key as string).length);
  }
  call1(m: MapState, f: CoreFn, key: unknown, a: unknown): number | bigint {
    return f(m.h, m.ka.put(key as string), (key as string).length, a);
  }
  call2(m: MapState, f: CoreFn, key: unknown, a: unknown, b: unknown): number | bigint {
    return f(m.h, m.ka.put(key as string), (key as string).length, a, b);
  }
  find(m: MapState, f: CoreFn, key: unknown): number | bigint | undefined {
    if (typeof key !== 'string') return undefined;
    const q = m.ka.putKey(m.h, key);
    return q === 0 ? undefined : f(m.h, q, key.length);
  }
  table(m: MapState, key: unknown): number {
    return typeof key === 'string' ? m.ka.tableOf(m.h, key, m.ops.table as (h: number, q: number, n: number) => number) : 0;
  }
}

function rangeOfSum(key: unknown, delta: unknown, vk: number): RangeError {
  return new RangeError(`HashMap: add(${describe(key)}, ${describe(delta)}) would leave a value that does not fit value kind '${KIND_NAMES[vk]}'; the map is unchanged`);
}

/** After an add whose result may mean failure (0 or NaN): throw what the core's status says, if anything. */
export function updateFailed(m: MapState, key: unknown, delta: unknown): void {
  const st = m.status();
  if (st === 0) return;
  if (st === ST_RANGE) throw rangeOfSum(key, delta, m.vk);
  throw m.oom('add; the map is unchanged');
}

function checkKey(m: MapState, key: unknown): void {
  if (!m.key.fits(key)) throw misfit(m.kk, key, 'key');
}

function noArithmetic(m: MapState): TypeError {
  return new TypeError(`HashMap: add needs a numeric value kind; this map's values are '${KIND_NAMES[m.vk]}'`);
}

/** Numbers and bigints: stored as they are, checked against their kind first. */
abstract class ScalarValues implements ValueCodec {
  protected readonly kind: number;
  constructor(kind: number) {
    this.kind = kind;
  }
  abstract decode(m: MapState, r: number | bigint): unknown;
  abstract getOrSet(m: MapState, key: unknown, value: unknown): unknown;
  abstract add(m: MapState, key: unknown, delta: unknown): unknown;
  set(m: MapState, key: unknown, value: unknown): void {
    if (!fits(this.kind, value)) throw misfit(this.kind, value, 'value');
    if ((m.key.call1(m, m.ops.set, key, value) as number) < 0) throw m.oom('set; the map is unchanged');
  }
  /** The core's getOrSet of a value checked against the kind: its raw result. */
  protected gos(m: MapState, key: unknown, value: unknown): number | bigint {
    if (!fits(this.kind, value)) throw misfit(this.kind, value, 'value');
    return m.key.call1(m, m.ops.gos!, key, value);
  }
  deleted(_m: MapState, r: number | bigint): boolean {
    return r !== 0;
  }
}

/** int32, uint32, float64: numbers as they are; a miss is NaN (float64: with `found` clear). */
class NumberValues extends ScalarValues {
  decode(m: MapState, r: number | bigint): unknown {
    return r === r || (this.kind === FLOAT64 && m.found()) ? r : undefined;
  }
  getOrSet(m: MapState, key: unknown, value: unknown): unknown {
    const r = this.gos(m, key, value) as number;
    if ((r === 0 || r !== r) && m.status() !== 0) throw m.oom('getOrSet; the map is unchanged');
    return r;
  }
  add(m: MapState, key: unknown, delta: unknown): unknown {
    if (m.ops.add === null) throw noArithmetic(m);
    checkKey(m, key);
    const vk = this.kind;
    if (typeof delta !== 'number') throw new TypeError(`HashMap: add's delta ${describe(delta)} is not a number (value kind '${KIND_NAMES[vk]}')`);
    // Integer kinds take integer deltas: a tiny fraction would round away in the sum and go unnoticed.
    if (vk !== FLOAT64 && !Number.isInteger(delta)) throw rangeOfSum(key, delta, vk);
    const r = m.key.call1(m, m.ops.add!, key, delta) as number;
    if (r === 0 || r !== r) updateFailed(m, key, delta);
    return r;
  }
}

/** bigint64, biguint64: i64 bits; a miss is 0n with `found` clear; biguint64 values are read unsigned. */
class BigValues extends ScalarValues {
  #out(r: bigint): bigint {
    return this.kind === BIGUINT64 ? BigInt.asUintN(64, r) : r;
  }
  decode(m: MapState, r: number | bigint): unknown {
    return r !== 0n || m.found() ? this.#out(r as bigint) : undefined;
  }
  getOrSet(m: MapState, key: unknown, value: unknown): unknown {
    const r = this.gos(m, key, value) as bigint;
    if (r === 0n && m.status() !== 0) throw m.oom('getOrSet; the map is unchanged');
    return this.#out(r);
  }
  add(m: MapState, key: unknown, delta: unknown): unknown {
    checkKey(m, key);
    const vk = this.kind;
    if (typeof delta !== 'bigint') throw new TypeError(`HashMap: add's delta ${describe(delta)} is not a bigint (value kind '${KIND_NAMES[vk]}')`);
    // A delta beyond ±(2^64 - 1) leaves no sum that fits either kind. biguint64 deltas may be negative
    // (a decrement): the core takes them with a sign flag.
    if (delta < -U64_MAX || delta > U64_MAX) throw rangeOfSum(key, delta, vk);
    // A bigint64 delta outside 64 signed bits can still leave a sum that fits (-1n + 2n ** 63n).
    if (vk === BIGINT64 && (delta < I64_MIN || delta > I64_MAX)) return this.#addWide(m, key, delta);
    const r = m.key.call2(m, m.ops.add!, key, BigInt.asIntN(64, delta), delta < 0n ? 1 : 0) as bigint;
    if (r === 0n) updateFailed(m, key, delta);
    return this.#out(r);
  }
  /**
   * add of a bigint64 delta outside 64 signed bits, which the core's add (an i64 delta) cannot take:
   * read, add and store here. add runs under a shared map's lock, so this is one operation too.
   */
  #addWide(m: MapState, key: unknown, delta: bigint): bigint {
    const r = m.key.find(m, m.ops.get, key);
    const sum = ((r === undefined ? undefined : (this.decode(m, r) as bigint | undefined)) ?? 0n) + delta;
    if (sum < I64_MIN || sum > I64_MAX) throw rangeOfSum(key, delta, BIGINT64);
    this.set(m, key, sum);
    return sum;
  }
}

/** Strings: written into the value query area first (writing the key may grow memory, which moves nothing already written); read back from their field's address (0: missing). */
class StringValues implements ValueCodec {
  decode(m: MapState, r: number | bigint): unknown {
    // The field's address: an i32 from wasm, negative above 2 GiB (docs/design.md, "Addresses").
    return r === 0 ? undefined : readString(m.core, (r as number) >>> 0);
  }
  set(m: MapState, key: unknown, value: unknown): void {
    if (typeof value !== 'string') throw misfit(STRING, value, 'value');
    if ((m.key.call2(m, m.ops.set, key, m.va.put(value), value.length) as number) < 0) throw m.oom('set; the map is unchanged');
  }
  getOrSet(m: MapState, key: unknown, value: unknown): unknown {
    if (typeof value !== 'string') throw misfit(STRING, value, 'value');
    const r = m.key.call2(m, m.ops.gos!, key, m.va.put(value), value.length) as number;
    if (r === 0) throw m.oom('getOrSet; the map is unchanged');
    return readString(m.core, r >>> 0);
  }
  deleted(_m: MapState, r: number | bigint): boolean {
    return r !== 0;
  }
  add(m: MapState): unknown {
    throw noArithmetic(m);
  }
}

/** Whether the last AnyValues #place gave the key a new index. */
let placedNew = false;

/** 'any': the value in the map's JS table (m.vals), the slot holding its index; freed indexes are reused. */
class AnyValues implements ValueCodec {
  decode(m: MapState, r: number | bigint): unknown {
    return (r as number) < 0 ? undefined : m.vals![r as number];
  }
  /** The key's index after the core's set, which keeps a present key's index and gives a new key the one offered: the last freed one, else the next. */
  #place(m: MapState, key: unknown, what: string): number {
    const free = m.free;
    const cand = free.length > 0 ? free[free.length - 1] : m.vals!.length;
    const r = m.key.call1(m, m.ops.set, key, cand) as number;
    if (r < 0) throw m.oom(`${what}; the map is unchanged`);
    placedNew = r === cand;
    if (placedNew && free.length > 0) free.pop();
    return r;
  }
  set(m: MapState, key: unknown, value: unknown): void {
    m.vals![this.#place(m, key, 'set')] = value;
  }
  getOrSet(m: MapState, key: unknown, value: unknown): unknown {
    const r = this.#place(m, key, 'getOrSet');
    if (!placedNew) return m.vals![r];
    m.vals![r] = value;
    return value;
  }
  deleted(m: MapState, r: number | bigint): boolean {
    if ((r as number) < 0) return false;
    m.vals![r as number] = undefined;
    m.free.push(r as number);
    return true;
  }
  add(m: MapState): unknown {
    throw noArithmetic(m);
  }
}

/** The key codec of each kind, by kind code: null for a kind that cannot be a key ('any'). */
export const KEY_CODECS: readonly (KeyCodec | null)[] = [new NumberKeys(INT32), new NumberKeys(UINT32), new NumberKeys(FLOAT64), new NumberKeys(BIGINT64), new NumberKeys(BIGUINT64), new StringKeys(), null];
/** The value codec of each value kind, by kind code. */
export const VALUE_CODECS: readonly ValueCodec[] = [new NumberValues(INT32), new NumberValues(UINT32), new NumberValues(FLOAT64), new BigValues(BIGINT64), new BigValues(BIGUINT64), new StringValues(), new AnyValues()];
