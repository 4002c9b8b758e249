// The public API of tophash, as users' TypeScript sees it: `npm run build` copies this file to
// dist/index.d.ts, the only declaration file the package ships.
//
// Written by hand, so that it shows nothing internal and needs nothing from a user's libraries but
// ES2022 and ESNext.Disposable: no DOM, no @types/node, no WebAssembly namespace. bindings/index.ts
// exports these types, so the tests are written against them too, and tests/types.check.ts checks
// the implementation against them (a member added to the class and not declared here fails it).
// tests/pack.test.ts type-checks a strict consumer of the packed file under each set of libraries.

/** A key kind: how keys are stored in wasm memory. */
export type KeyKind = 'int32' | 'uint32' | 'float64' | 'bigint64' | 'biguint64' | 'string';
/** A value kind: a key kind, or 'any' (any JS value, kept in a JS-side table). */
export type ValueKind = KeyKind | 'any';

/** The JS type of a key kind. */
export type KeyOf<K extends KeyKind> = K extends 'string' ? string : K extends 'bigint64' | 'biguint64' ? bigint : number;
/** The JS type of a value kind (`unknown` for 'any'). */
export type ValueOf<V extends ValueKind> = V extends 'any' ? unknown : V extends 'string' ? string : V extends 'bigint64' | 'biguint64' ? bigint : number;

/**
 * The kinds that hold every value of type T: `number` is held by 'int32', 'uint32', 'float64' (and
 * 'any'). `unknown` (or `any`) says nothing about the type, so every kind may hold it.
 */
type KindsHolding<T, Kinds extends ValueKind> = unknown extends T ? Kinds : Kinds extends ValueKind ? ([T] extends [ValueOf<Kinds>] ? Kinds : never) : never;
/** The kinds that hold T or one of its members: `number | bigint` may be in any numeric kind. */
type KindsOverlapping<T, Kinds extends ValueKind> = unknown extends T ? Kinds : T extends unknown ? KindsHolding<T, Kinds> : never;
/** The key kinds a map with keys of type K may have: those that hold K or one of its members (`number`: 'int32', 'uint32', 'float64'). */
export type KeyKindsOf<K> = KindsOverlapping<K, KeyKind>;
/** The value kinds a map with values of type V may have ('any' holds every type). */
export type ValueKindsOf<V> = KindsOverlapping<V, ValueKind>;

/** The typed array of each numeric kind. */
interface KindArrays {
  int32: Int32Array;
  uint32: Uint32Array;
  float64: Float64Array;
  bigint64: BigInt64Array;
  biguint64: BigUint64Array;
}

/** The typed array that carries keys of type K in the batch operations, for key kinds KK (by default every kind that holds K). */
export type KeyArray<K, KK extends KeyKind = KeyKindsOf<K>> = KK extends keyof KindArrays ? KindArrays[KK] : never;
/** The typed array that carries values of type V in the batch operations, for value kinds VK (by default every kind that holds V). */
export type ValueArray<V, VK extends ValueKind = ValueKindsOf<V>> = VK extends keyof KindArrays ? KindArrays[VK] : never;

export interface HashMapOptions<KK extends KeyKind = KeyKind, VK extends ValueKind = ValueKind> {
  /** Key kind; default 'float64'. */
  key?: KK;
  /** Value kind; default 'any'. */
  value?: VK;
  /** Entries to make room for up front: a non-negative integer. */
  capacity?: number;
  /**
   * Hash seed, an unsigned 32-bit integer, kept for the map's life. With the same seed and the same
   * operations, a map's first iteration gives the same key order in every run; each iteration after
   * that starts at a point drawn from the map's own generator, so it differs from the first. Random when absent.
   */
  seed?: number;
  /** Cap on the wasm memory this map may hold, in bytes. */
  maxBytes?: number;
  /** Put the map in shared memory, usable from several threads (see `handle` and `HashMap.attach`). Needs a value kind other than 'any'. */
  shared?: boolean;
  /** Shared maps: how long a lock wait may take before it throws a LockTimeoutError, in milliseconds (default 5000). The holder is left alone. */
  lockTimeout?: number;
  /**
   * Shared maps: how long a thread holding the map's lock must make no progress before a waiting thread presumes it dead
   * and undoes its write, where no proof of its death has come, in milliseconds (default 10000, at least 1000).
   */
  recoveryTime?: number;
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
  /** Iterators of this map holding a slot of the core, not yet released (an iteration of a private map of at most 16 entries holds none). */
  liveIterators: number;
  /** EVACUATED_Y tombstones left by growth while iterators were live (reused once none is). */
  tombstones: number;
}

declare const sharedHandleBrand: unique symbol;

/**
 * A shared map's handle (`map.handle`): structured-clonable, to post to another thread, where
 * `HashMap.attach(handle)` makes a HashMap of the same map. Opaque: only `attach` reads it.
 */
export interface SharedHandle {
  readonly [sharedHandleBrand]: 'tophash.SharedHandle';
}

/**
 * An iterator of a map's keys, values or entries. `return()` (or `using`) releases it early. Its
 * prototype chain holds %IteratorPrototype%, so it has the iterator helpers (`map`, `filter`, ...)
 * wherever the JS engine has them, as a Map's iterators do (IteratorObject: TypeScript 5.6 or later).
 */
export interface HashMapIterator<T> extends IteratorObject<T, undefined, unknown> {
  next(): IteratorResult<T, undefined>;
  return(value?: unknown): IteratorResult<T, undefined>;
  [Symbol.iterator](): HashMapIterator<T>;
  [Symbol.dispose](): void;
  readonly [Symbol.toStringTag]: string;
}

/**
 * A hash map in wasm memory with `Map`'s API, keys of type K and values of type V. KK and VK are its
 * key and value kinds: exact when the kinds come from the options (`new HashMap(null, { key:
 * 'int32', value: 'float64' })` is a `HashMap<number, number, 'int32', 'float64'>`), else every kind
 * that holds K and V.
 */
export interface HashMap<K = number, V = unknown, KK extends KeyKind = KeyKindsOf<K>, VK extends ValueKind = ValueKindsOf<V>> extends Map<K, V> {
  /** The map's key kind. */
  readonly keyKind: KK;
  /** The map's value kind. */
  readonly valueKind: VK;
  /** Whether the map lives in shared memory. */
  readonly shared: boolean;
  /** A shared map's handle, to post to another thread (see `HashMap.attach`). A TypeError for a private map. */
  readonly handle: SharedHandle;
  readonly size: number;
  get(key: K): V | undefined;
  set(key: K, value: V): this;
  has(key: K): boolean;
  delete(key: K): boolean;
  clear(): void;
  forEach(callbackfn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void;
  /**
   * Add `delta` to the value of `key` and return the new value; a missing key counts as 0. For
   * numeric value kinds. A sum that does not fit the value kind is a RangeError and changes nothing.
   */
  add(key: K, delta: V): V;
  /**
   * The value of `key`; if it is absent, store `value` first and return it (as the TC39 proposal's
   * `Map.prototype.getOrInsert`). On a shared map, of threads racing to insert a key, one wins and all
   * get its value.
   */
  getOrInsert(key: K, value: V): V;
  /**
   * The value of `key`; if it is absent, `callback(key)`, stored and returned (as the TC39 proposal's
   * `Map.prototype.getOrInsertComputed`; the callback runs only for an absent key). On a shared map,
   * of threads racing to compute a key, one value is stored and all get it.
   */
  getOrInsertComputed(key: K, callback: (key: K) => V): V;
  /** The same as getOrInsert (its first name). */
  getOrSet(key: K, value: V): V;
  keys(): HashMapIterator<K>;
  values(): HashMapIterator<V>;
  entries(): HashMapIterator<[K, V]>;
  [Symbol.iterator](): HashMapIterator<[K, V]>;
  readonly [Symbol.toStringTag]: string;
  /** Store values[i] under keys[i] for every i; all or nothing (a RangeError when memory runs out). */
  setMany(keys: KeyArray<K, KK>, values: ValueArray<V, VK>): this;
  /** out[i] = the value of keys[i], or `missing` (default 0, 0n or NaN by value kind). */
  getMany<O extends ValueArray<V, VK> = ValueArray<V, VK>>(keys: KeyArray<K, KK>, out?: O, missing?: V): O;
  /** out[i] = 1 if keys[i] is in the map, else 0. */
  hasMany(keys: KeyArray<K, KK>, out?: Uint8Array): Uint8Array;
  /** Delete every key; returns how many were present. */
  deleteMany(keys: KeyArray<K, KK>): number;
  /**
   * Every entry as `[keys, values]`: two new typed arrays of the kinds' types, of length `size` (the same
   * entry at the same index, in no particular order). Numeric kinds only (a TypeError otherwise). On a
   * shared map, one consistent snapshot.
   */
  toArrays(): [KeyArray<K, KK>, ValueArray<V, VK>];
  /** Growth, evacuation and memory figures, read from the map's header. */
  stats(): HashMapStats;
  /** Free the map's wasm memory. A second call does nothing; any other use afterwards throws a TypeError. */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** The entries a constructor takes. */
type Entries<K, V> = Iterable<readonly [K, V]> | null | undefined;
/** The options of a map with keys K and values V: kinds that hold all of K and V, and a key kind unless the default float64 holds K. */
type OptionsFor<K, V> = HashMapOptions<KindsHolding<K, KeyKind>, KindsHolding<V, ValueKind>> & ('float64' extends KindsHolding<K, KeyKind> ? unknown : { key: KindsHolding<K, KeyKind> });

export interface HashMapConstructor {
  /** The kinds in `options` decide the key and value types: `new HashMap(null, { key: 'string', value: 'int32' })` is a `HashMap<string, number>`. */
  new <KK extends KeyKind = 'float64', VK extends ValueKind = 'any'>(entries: Entries<KeyOf<KK>, ValueOf<VK>>, options: HashMapOptions<KK, VK>): HashMap<KeyOf<KK>, ValueOf<VK>, KK, VK>;
  /**
   * Types given (`new HashMap<string, number>(null, { key: 'string' })`) or taken from the entries: the
   * options must give kinds that hold them (default kinds: float64 keys, any values).
   */
  new <K = number, V = unknown>(...args: 'float64' extends KindsHolding<K, KeyKind> ? [entries?: Entries<K, V>, options?: OptionsFor<K, V>] : [entries: Entries<K, V>, options: OptionsFor<K, V>]): HashMap<K, V>;
  /** A HashMap of the shared map a handle (from `map.handle`, maybe in another thread) refers to; it counts as one more reference until disposed. */
  attach<K = unknown, V = unknown>(handle: SharedHandle): HashMap<K, V>;
  readonly prototype: HashMap<unknown, unknown>;
}

export declare const HashMap: HashMapConstructor;

/** A lock wait passed the map's lockTimeout (the operation changed nothing), or this thread was presumed dead while it held the map (see recoveryTime). */
export declare class LockTimeoutError extends Error {
  constructor(message: string);
}

export {};
