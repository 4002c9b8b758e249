// Key and value kinds: what each kind accepts, how it crosses into wasm, and
// the errors for what does not fit. The numeric codes index the tables below.

import type { ValueKind } from './public.js';
import type { Heap } from './load.js';
import { KINDS } from '../build/wasm.js';

export type { KeyKind, ValueKind, KeyOf, ValueOf } from './public.js';

export const INT32 = 0;
export const UINT32 = 1;
export const FLOAT64 = 2;
export const BIGINT64 = 3;
export const BIGUINT64 = 4;
export const STRING = 5;
export const ANY = 6;

/** The kinds' names and the bytes each takes in a bucket slot ('any' is a 4-byte index into a JS table, 'string' a 12-byte field), by code: from the one table of kinds (assembly/per-kind.mjs). */
export const KIND_NAMES = KINDS.map((k) => k.name) as readonly ValueKind[];
export const KIND_SIZE: readonly number[] = KINDS.map((k) => k.size);

export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;
export const U64_MAX = 2n ** 64n - 1n;

export function kindCode(name: unknown, what: 'key' | 'value', fallback: number): number {
  if (name === undefined) return fallback;
  const code = KIND_NAMES.indexOf(name as ValueKind);
  if (code < 0 || (what === 'key' && code === ANY)) {
    const allowed = (what === 'key' ? KIND_NAMES.slice(0, ANY) : KIND_NAMES).map((k) => `'${k}'`).join(', ');
    throw new TypeError(`HashMap: ${what} kind must be one of ${allowed}, got ${describe(name)}`);
  }
  return code;
}

/** Whether `x` is a representable member of `kind`: the test get/has/delete use before calling wasm. */
export function fits(kind: number, x: unknown): boolean {
  switch (kind) {
    case INT32:
      return typeof x === 'number' && (x | 0) === x;
    case UINT32:
      return typeof x === 'number' && x >>> 0 === x;
    case FLOAT64:
      return typeof x === 'number';
    case BIGINT64:
      return typeof x === 'bigint' && x >= I64_MIN && x <= I64_MAX;
    case BIGUINT64:
      return typeof x === 'bigint' && x >= 0n && x <= U64_MAX;
    case STRING:
      return typeof x === 'string';
    default:
      return true;
  }
}

// Number tests of the operations' fast paths (bindings/hashmap.ts): a map keeps the test of its
// key kind and of its value kind as a small code, so that get/has/set/delete test a key with one
// comparison of that code instead of a switch over every kind. NUM_NONE never passes.
export const NUM_NONE = 0;
export const NUM_I32 = 1;
export const NUM_U32 = 2;
export const NUM_F64 = 3;

/** A typed array that carries a kind in batches, and the arrays' common type. */
export type NumArray = Int32Array | Uint32Array | Float64Array | BigInt64Array | BigUint64Array;
export type ArrayCtor = { new (n: number): NumArray; new (b: ArrayBufferLike, at: number, n: number): NumArray; readonly name: string };

/**
 * What the bindings know of each kind beyond its name and size (the generated table, KIND_NAMES and
 * KIND_SIZE) and its `fits` case: the JS type of its members; its number test (the fast paths); the
 * typed array that carries it in batches (null: batches do not take it); the view of wasm memory its
 * slots are read through (a string's is its field's address, an 'any' value's its index); and
 * getMany's default for a missing key. A new kind is a row here, a `fits` case, its codecs
 * (codecs.ts), its row of assembly/per-kind.mjs and its name in public.d.ts.
 */
interface KindTraits {
  readonly type: 'number' | 'bigint' | 'string' | 'any';
  readonly test: number;
  readonly array: ArrayCtor | null;
  readonly view: 'i32' | 'u32' | 'f64' | 'i64' | 'u64';
  readonly missing: number | bigint;
}

/** The traits of each kind, by code. */
export const KIND_TRAITS: readonly KindTraits[] = [
  { type: 'number', test: NUM_I32, array: Int32Array, view: 'i32', missing: 0 },
  { type: 'number', test: NUM_U32, array: Uint32Array, view: 'u32', missing: 0 },
  { type: 'number', test: NUM_F64, array: Float64Array, view: 'f64', missing: NaN },
  { type: 'bigint', test: NUM_NONE, array: BigInt64Array, view: 'i64', missing: 0n },
  { type: 'bigint', test: NUM_NONE, array: BigUint64Array, view: 'u64', missing: 0n },
  { type: 'string', test: NUM_NONE, array: null, view: 'u32', missing: 0 },
  { type: 'any', test: NUM_NONE, array: null, view: 'u32', missing: 0 },
];

/** The number test of a kind: NUM_I32, NUM_U32 or NUM_F64 for the number kinds, else NUM_NONE. */
export function numberTest(kind: number): number {
  return KIND_TRAITS[kind].test;
}

/** Whether `x` passes number test `t`: the same answer as fits() for the kind of `t`, false for NUM_NONE. */
export function passes(t: number, x: unknown): boolean {
  if (typeof x !== 'number') return false;
  return t === NUM_I32 ? (x | 0) === x : t === NUM_F64 || (t === NUM_U32 && x >>> 0 === x);
}

/**
 * The error for a key or value that does not fit its kind: TypeError for the wrong JS type (naming the
 * option that sets the kind: a map made without one has the default kinds, and the fix is there),
 * RangeError for the right type out of range.
 */
export function misfit(kind: number, x: unknown, what: 'key' | 'value'): Error {
  const name = KIND_NAMES[kind];
  const option = `the option '${what}' sets it`;
  const type = KIND_TRAITS[kind].type;
  if (type === 'string') return new TypeError(`HashMap: ${what} ${describe(x)} is not a string (${what} kind 'string': ${option})`);
  const wantBig = type === 'bigint';
  const isRightType = wantBig ? typeof x === 'bigint' : typeof x === 'number';
  if (!isRightType) {
    const fits = typeof x === 'string' ? 'string' : typeof x === 'bigint' ? 'bigint64' : typeof x === 'number' ? 'float64' : '';
    const example = fits === '' ? '' : `, as in new HashMap(entries, { ${what}: '${fits}' })`;
    return new TypeError(`HashMap: ${what} ${describe(x)} is not a ${wantBig ? 'bigint' : 'number'} (${what} kind '${name}': ${option}${example})`);
  }
  return new RangeError(`HashMap: ${what} ${describe(x)} does not fit ${what} kind '${name}'`);
}

export function describe(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x);
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
  if (typeof x === 'symbol') return x.toString();
  if (x === null) return 'null';
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'object') {
    if (Array.isArray(x)) return 'an array';
    // Name the type it is (`an Int8Array`, `a Map`): a plain object, or one without a named constructor, is 'an object'.
    let name: unknown;
    try {
      name = (x as { constructor?: { name?: unknown } }).constructor?.name;
    } catch {
      name = undefined;
    }
    return typeof name === 'string' && name !== '' && name !== 'Object' ? withArticle(name) : 'an object';
  }
  return String(x);
}

/** `an Int32Array`, `a Uint32Array`: the article for a type name, by its first letter. */
export function withArticle(name: string): string {
  return `${/^[AEIO]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/** The view of memory that holds values of `kind` (an 'any' value is a u32 index into the JS table). */
export function kindView(H: Heap, kind: number): NumArray {
  return H[KIND_TRAITS[kind].view];
}
