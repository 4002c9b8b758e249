// HashMap: the typed, Map-compatible face of the wasm core.
//
// Each operation validates its key (and value) against the map's kinds in JS,
// then makes one call into wasm with plain numbers or bigints: no allocation
// for numeric kinds. A string key or value is first written into a query area
// of wasm memory and passed as (address, length) (strings.ts). 'any' values
// live in a JS array (`vals`) that the wasm slot refers to by index; freed
// indexes are reused.

import { core, op, headerField } from './load.js';
import {
  type KeyKind, type ValueKind, type KeyOf, type ValueOf,
  INT32, UINT32, FLOAT64, BIGINT64, BIGUINT64, STRING, ANY, KIND_NAMES, KIND_SIZE, KEY_ABI, GET_ABI, SET_ABI,
  kindCode, fits, misfit, describe,
} from './kinds.js';
import { HashMapIterator, KEYS, VALUES, ENTRIES, disposedError, type MapCore } from './iterators.js';
import * as batch from './batch.js';
import { putKey, putValue, readString } from './strings.js';

export interface HashMapOptions<KK extends KeyKind = KeyKind, VK extends ValueKind = ValueKind> {
  /** Key kind; default 'float64'. */
  key?: KK;
  /** Value kind; default 'any'. */
  value?: VK;
  /** Entries to make room for up front: a non-negative integer. */
  capacity?: number;
  /** Hash seed, an unsigned 32-bit integer: kept for the map's life, so iteration order is reproducible. Random when absent. */
  seed?: number;
  /** Cap on the wasm memory this map may hold, in bytes. */
  maxBytes?: number;
}

export interface HashMapStats {
  /** Live entries. */
  count: number;
  /** log2 of the bucket count. */
  B: number;
  /** Current bucket count, 2^B. */
  buckets: number;
  /** Overflow buckets in use. */
  overflowBuckets: number;
  /** Whether an evacuation is in progress. */
  growing: boolean;
  /** Whether that evacuation is a same-size grow. */
  sameSizeGrow: boolean;
  /** Buckets being evacuated from (0 when not growing). */
  oldBuckets: number;
  /** First old bucket not yet evacuated. */
  nevacuate: number;
  /** All wasm memory the map holds now. */
  bytes: number;
  /** Iterators of this map not yet released. */
  liveIterators: number;
  /** EVACUATED_Y tombstones left by growth while iterators were live (reused once none is). */
  tombstones: number;
}

const HDR_COUNT = core.HDR_COUNT.value as number;
const found = core.found;
const U32_MAX = 0xffff_ffff;

// The wasm exports take a numeric key as one argument and a string key or value as two (address, length).
type GetFn = (h: number, k: unknown, n?: number) => number | bigint;
type SetFn = (h: number, k: unknown, v: unknown, w?: unknown, n?: number) => number;
type HasFn = (h: number, k: unknown, n?: number) => number;

interface Ops {
  readonly get: GetFn;
  readonly set: SetFn;
  readonly has: HasFn;
  readonly del: HasFn;
}

/** The wasm exports for one pair of kinds, looked up once per pair. */
const opsCache: (Ops | undefined)[] = [];

function opsFor(kk: number, vk: number): Ops {
  const i = kk * KIND_NAMES.length + vk;
  let ops = opsCache[i];
  if (ops === undefined) {
    const ka = KEY_ABI[kk];
    const vs = `v${KIND_SIZE[vk]}`;
    ops = {
      get: op<GetFn>(`get_${ka}_${GET_ABI[vk]}`),
      set: op<SetFn>(`set_${ka}_${SET_ABI[vk]}`),
      has: op<HasFn>(`has_${ka}_${vs}`),
      del: op<HasFn>(vk === ANY ? `delany_${ka}` : `del_${ka}_${vs}`),
    };
    opsCache[i] = ops;
  }
  return ops;
}

const mapRegistry = new FinalizationRegistry<MapCore>((c) => {
  if (!c.disposed) {
    c.disposed = true;
    core.map_free(c.h);
  }
});

function outOfMemory(what: string): RangeError {
  return new RangeError(`HashMap: out of memory (${what})`);
}

function integerOption(o: Record<string, unknown>, name: string, max: number): number | undefined {
  const x = o[name];
  if (x === undefined) return undefined;
  if (typeof x !== 'number') throw new TypeError(`HashMap: option ${name} must be a number, got ${describe(x)}`);
  if (!Number.isInteger(x) || x < 0 || x > max) {
    throw new RangeError(`HashMap: option ${name} must be an integer from 0 to ${max}, got ${describe(x)}`);
  }
  return x;
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** The typed array that carries keys of type K. */
export type KeyArray<K> = K extends string ? never : K extends bigint ? BigInt64Array | BigUint64Array : Int32Array | Uint32Array | Float64Array;
/** The typed array that carries values of type V. */
export type ValueArray<V> = V extends string ? never : V extends bigint ? BigInt64Array | BigUint64Array : Int32Array | Uint32Array | Float64Array;

export class HashMapImpl<K, V> implements Map<K, V> {
  #h: number;
  readonly #c: MapCore;
  readonly #kk: number;
  readonly #vk: number;
  readonly #get: GetFn;
  readonly #set: SetFn;
  readonly #has: HasFn;
  readonly #del: HasFn;
  #free: number[] = [];

  constructor(entries?: Iterable<readonly [K, V]> | null, options?: HashMapOptions) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError(`HashMap: options must be an object, got ${describe(options)}`);
    }
    const o = (options ?? {}) as Record<string, unknown>;
    const kk = kindCode(o.key, 'key', FLOAT64);
    const vk = kindCode(o.value, 'value', ANY);
    const capacity = integerOption(o, 'capacity', U32_MAX) ?? 0;
    const seed = integerOption(o, 'seed', U32_MAX);
    const maxBytesOpt = o.maxBytes;
    let maxBytes = 0;
    if (maxBytesOpt !== undefined) {
      if (typeof maxBytesOpt !== 'number') throw new TypeError(`HashMap: option maxBytes must be a number, got ${describe(maxBytesOpt)}`);
      if (!(maxBytesOpt >= 1) || !Number.isInteger(maxBytesOpt)) {
        throw new RangeError(`HashMap: option maxBytes must be a positive integer, got ${describe(maxBytesOpt)}`);
      }
      maxBytes = maxBytesOpt > U32_MAX ? 0 : maxBytesOpt;
    }
    let lo = seed ?? 0;
    let hi = 0;
    if (seed === undefined) {
      const r = crypto.getRandomValues(new Uint32Array(2));
      lo = r[0];
      hi = r[1];
    }
    const h = core.map_new(KIND_SIZE[kk], KIND_SIZE[vk], capacity, lo, hi, seed === undefined ? 0 : 1, maxBytes) >>> 0;
    if (h === 0) throw outOfMemory(`a map with capacity ${capacity}${maxBytes ? ` within maxBytes ${maxBytes}` : ''}`);
    this.#h = h;
    this.#kk = kk;
    this.#vk = vk;
    const ops = opsFor(kk, vk);
    this.#get = ops.get;
    this.#set = ops.set;
    this.#has = ops.has;
    this.#del = ops.del;
    this.#c = { h, disposed: false, kk, vk, vals: vk === ANY ? [] : null };
    mapRegistry.register(this, this.#c, this.#c);
    if (entries !== undefined && entries !== null) {
      try {
        for (const e of entries) {
          if (e === null || typeof e !== 'object') throw new TypeError(`HashMap: entry ${describe(e)} is not an entry object`);
          this.set(e[0], e[1]);
        }
      } catch (err) {
        this.dispose();
        throw err;
      }
    }
  }

  /** The map's key kind. */
  get keyKind(): KeyKind {
    return KIND_NAMES[this.#kk] as KeyKind;
  }

  /** The map's value kind. */
  get valueKind(): ValueKind {
    return KIND_NAMES[this.#vk];
  }

  get size(): number {
    return headerField(this.#live(), HDR_COUNT);
  }

  get(key: K): V | undefined {
    const h = this.#h;
    if (h === 0) throw disposedError();
    let r: number | bigint;
    if (this.#kk === STRING) {
      if (typeof key !== 'string') return undefined;
      r = this.#get(h, putKey(key), key.length);
    } else {
      if (!fits(this.#kk, key)) return undefined;
      r = this.#get(h, key);
    }
    switch (this.#vk) {
      case INT32:
      case UINT32:
        return (r === r ? r : undefined) as V | undefined;
      case FLOAT64:
        return (r === r || found.value !== 0 ? r : undefined) as V | undefined;
      case BIGINT64:
        return (r !== 0n || found.value !== 0 ? r : undefined) as V | undefined;
      case BIGUINT64:
        return (r !== 0n || found.value !== 0 ? BigInt.asUintN(64, r as bigint) : undefined) as V | undefined;
      case STRING:
        return (r === 0 ? undefined : readString(r as number)) as V | undefined;
      default:
        return ((r as number) < 0 ? undefined : this.#c.vals![r as number]) as V | undefined;
    }
  }

  set(key: K, value: V): this {
    const h = this.#h;
    if (h === 0) throw disposedError();
    const kk = this.#kk;
    if (!fits(kk, key)) throw misfit(kk, key, 'key');
    const vals = this.#c.vals;
    if (vals === null) {
      const vk = this.#vk;
      if (!fits(vk, value)) throw misfit(vk, value, 'value');
      let r: number;
      if (vk === STRING) {
        // The value first: writing the key may grow memory, which moves nothing already written.
        const v = value as string;
        const va = putValue(v);
        r = kk === STRING ? this.#set(h, putKey(key as string), (key as string).length, va, v.length) : this.#set(h, key, va, v.length);
      } else {
        r = kk === STRING ? this.#set(h, putKey(key as string), (key as string).length, value) : this.#set(h, key, value);
      }
      if (r < 0) throw outOfMemory('set; the map is unchanged');
      return this;
    }
    const free = this.#free;
    const cand = free.length > 0 ? free[free.length - 1] : vals.length;
    const r = kk === STRING ? this.#set(h, putKey(key as string), (key as string).length, cand) : this.#set(h, key, cand);
    if (r < 0) throw outOfMemory('set; the map is unchanged');
    if (r === cand && free.length > 0) free.pop();
    vals[r] = value;
    return this;
  }

  has(key: K): boolean {
    const h = this.#h;
    if (h === 0) throw disposedError();
    if (this.#kk === STRING) return typeof key === 'string' && this.#has(h, putKey(key), key.length) !== 0;
    return fits(this.#kk, key) && this.#has(h, key) !== 0;
  }

  delete(key: K): boolean {
    const h = this.#h;
    if (h === 0) throw disposedError();
    let r: number;
    if (this.#kk === STRING) {
      if (typeof key !== 'string') return false;
      r = this.#del(h, putKey(key), key.length);
    } else {
      if (!fits(this.#kk, key)) return false;
      r = this.#del(h, key);
    }
    const vals = this.#c.vals;
    if (vals === null) return r !== 0;
    if (r < 0) return false;
    vals[r] = undefined;
    this.#free.push(r);
    return true;
  }

  clear(): void {
    const h = this.#live();
    const ok = core.map_clear(h);
    if (this.#c.vals !== null) {
      this.#c.vals = [];
      this.#free = [];
    }
    if (!ok) {
      this.dispose();
      throw new RangeError('HashMap: out of memory while clearing; the map was disposed');
    }
  }

  forEach(callbackfn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    if (typeof callbackfn !== 'function') throw new TypeError(`HashMap: forEach callback ${describe(callbackfn)} is not a function`);
    this.#live();
    new HashMapIterator<K, V, [K, V]>(this, this.#c, ENTRIES).each(callbackfn as (value: V, key: K, map: unknown) => void, thisArg, this);
  }

  keys(): HashMapIterator<K, V, K> {
    this.#live();
    return new HashMapIterator<K, V, K>(this, this.#c, KEYS);
  }

  values(): HashMapIterator<K, V, V> {
    this.#live();
    return new HashMapIterator<K, V, V>(this, this.#c, VALUES);
  }

  entries(): HashMapIterator<K, V, [K, V]> {
    this.#live();
    return new HashMapIterator<K, V, [K, V]>(this, this.#c, ENTRIES);
  }

  [Symbol.iterator](): HashMapIterator<K, V, [K, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'HashMap';
  }

  /**
   * Store values[i] under keys[i] for every i: typed arrays matching the kinds
   * (Int32Array for int32, Uint32Array, Float64Array, BigInt64Array, BigUint64Array).
   * All or nothing: when memory runs out, no pair is stored and a RangeError is thrown.
   */
  setMany(keys: KeyArray<K>, values: ValueArray<V>): this {
    batch.setMany(this.#live(), this.#kk, this.#vk, keys, values);
    return this;
  }

  /** out[i] = the value of keys[i], or `missing` (default 0, 0n or NaN by value kind). */
  getMany<O extends ValueArray<V>>(keys: KeyArray<K>, out?: O, missing?: V): O {
    return batch.getMany(this.#live(), this.#kk, this.#vk, keys, out, missing) as O;
  }

  /** out[i] = 1 if keys[i] is in the map, else 0. */
  hasMany(keys: KeyArray<K>, out?: Uint8Array): Uint8Array {
    return batch.hasMany(this.#live(), this.#kk, this.#vk, keys, out);
  }

  /** Delete every key; returns how many were present. */
  deleteMany(keys: KeyArray<K>): number {
    return batch.deleteMany(this.#live(), this.#kk, this.#vk, keys);
  }

  /** Growth, evacuation and memory figures, read from the map's header. */
  stats(): HashMapStats {
    const h = this.#live();
    const f = (i: number) => core.map_stat(h, i);
    const B = f(1);
    return {
      count: f(0),
      B,
      buckets: 2 ** B,
      overflowBuckets: f(2),
      growing: f(3) !== 0,
      sameSizeGrow: f(4) !== 0,
      oldBuckets: f(5),
      nevacuate: f(6),
      bytes: f(7),
      liveIterators: f(8),
      tombstones: f(9),
    };
  }

  /** Free the map's wasm memory. A second call does nothing; any other use afterwards throws a TypeError. */
  dispose(): void {
    const c = this.#c;
    if (c.disposed) return;
    c.disposed = true;
    mapRegistry.unregister(c);
    core.map_free(this.#h);
    this.#h = 0;
    c.h = 0;
    c.vals = null;
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  [inspectSymbol](depth: number, options: { stylize?: unknown }, inspect: (x: unknown, o?: unknown) => string): string {
    if (this.#c.disposed) return 'HashMap <disposed>';
    const kinds = `[${KIND_NAMES[this.#kk]} => ${KIND_NAMES[this.#vk]}]`;
    const head = `HashMap(${this.size}) ${kinds}`;
    if (depth < 0) return `[${head}]`;
    const show = (x: unknown) => (typeof inspect === 'function' ? inspect(x, { ...options, depth: depth - 1 }) : String(x));
    const limit = 100;
    const parts: string[] = [];
    for (const [k, v] of this) {
      if (parts.length === limit) break;
      parts.push(`${show(k)} => ${show(v)}`);
    }
    const more = this.size - parts.length;
    if (more > 0) parts.push(`... ${more} more item${more > 1 ? 's' : ''}`);
    return parts.length === 0 ? `${head} {}` : `${head} { ${parts.join(', ')} }`;
  }

  #live(): number {
    const h = this.#h;
    if (h === 0) throw disposedError();
    return h;
  }
}

/** Constructor signatures: the kinds in `options` decide the key and value types. */
export interface HashMapConstructor {
  new <KK extends KeyKind = 'float64', VK extends ValueKind = 'any'>(
    entries: Iterable<readonly [KeyOf<KK>, ValueOf<VK>]> | null | undefined,
    options: HashMapOptions<KK, VK>,
  ): HashMapImpl<KeyOf<KK>, ValueOf<VK>>;
  new <K = number, V = unknown>(entries?: Iterable<readonly [K, V]> | null, options?: HashMapOptions): HashMapImpl<K, V>;
  readonly prototype: HashMapImpl<unknown, unknown>;
}

export const HashMap = HashMapImpl as unknown as HashMapConstructor;
export type HashMap<K = number, V = unknown> = HashMapImpl<K, V>;

