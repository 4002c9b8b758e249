// HashMap: the typed, Map-compatible face of the wasm core.
//
// A HashMap holds one map (map-state.ts): a private map's operations are RawMap's (raw-map.ts), a
// shared map's SharedMap's (shared-map.ts: the same under the lock protocol), and each method here
// is a line or two over them. In front of them, get/has/set/delete of number kinds have fast paths
// that V8 inlines into the caller: a key test, one wasm call with plain numbers, no allocation.
// Strings cross through a query area of wasm memory, 'any' values live in a JS table the slots index
// (codecs.ts).

import { KIND_NAMES, describe, misfit, NUM_NONE, NUM_F64, numberTest, passes } from './kinds.js';
import { HashMapIterator, KEYS, VALUES, ENTRIES } from './iterators.js';
import type { CoreFn } from './map-state.js';
import { RawMap, newMap } from './raw-map.js';
import { SharedMap, newSharedMap, attachSharedMap } from './shared-map.js';
import { mapOptions } from './options.js';
import { RES_FOUND, RES_TORN } from './contract.js';
import { core as privateCore } from './load.js';
import type { HashMapOptions, HashMapStats, KeyArray, ValueArray, SharedHandle, KeyKindsOf, ValueKindsOf } from './public.js';

/** The map HashMap.attach hands its constructor (set for that one call): attach's private way in. */
let adopted: RawMap | null = null;

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class HashMap<K, V> implements Map<K, V> {
  readonly #m: RawMap;
  // The fast paths' copies of the map's state, made by the constructor and cleared by dispose: the
  // address (#h), and the number tests of the key kind (#fastKey, has), of the key kind when the value
  // kind is a number too (#fastGet, get; #fastPair, set and delete) and of the value kind (#fastVal),
  // with the core functions they call. One comparison and a key test stand before the wasm call: at
  // 1e6 entries every extra load or branch there shows, because it leaves fewer lookups' cache misses
  // in flight at once. A shared map has only #fastGet, whose call (#fget) is the core's validated get
  // (see #getMissed); its writes go through SharedMap. A disposed map has none: every operation then
  // takes the general path, which throws.
  #h: number;
  #fastKey = NUM_NONE;
  #fastGet = NUM_NONE;
  #fastPair = NUM_NONE;
  #fastVal = NUM_NONE;
  readonly #fget: CoreFn;
  readonly #fset: CoreFn;
  readonly #fhas: CoreFn;
  readonly #fdel: CoreFn;

  constructor(entries?: Iterable<readonly [K, V]> | null, options?: HashMapOptions) {
    let m = adopted;
    adopted = null;
    if (m === null) {
      const o = mapOptions(entries, options);
      m = o.shared ? newSharedMap(o) : new RawMap(privateCore, newMap(privateCore, o), o.kk, o.vk);
    }
    this.#m = m;
    this.#h = m.h;
    const ops = m.ops;
    const keyTest = numberTest(m.kk);
    this.#fastVal = numberTest(m.vk);
    if (this.#fastVal !== NUM_NONE) this.#fastGet = keyTest;
    if (m.lock === null) {
      this.#fastKey = keyTest;
      this.#fastPair = this.#fastGet;
    }
    this.#fget = m.lock === null || ops.sget === null ? ops.get : ops.sget;
    this.#fset = ops.set;
    this.#fhas = ops.has;
    this.#fdel = ops.del;
    m.register(this);
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

  /**
   * A shared map's handle, to post to a worker (it is structured-clonable), where
   * `HashMap.attach(handle)` makes a HashMap of the same map. TypeError for a private map.
   */
  get handle(): SharedHandle {
    const m = this.#m;
    m.live();
    if (!(m instanceof SharedMap)) throw new TypeError('HashMap: only a shared map has a handle: make it with { shared: true }');
    return m.handle() as unknown as SharedHandle;
  }

  /** Whether the map lives in shared memory. */
  get shared(): boolean {
    this.#m.live();
    return this.#m.lock !== null;
  }

  /** A HashMap of the shared map a handle (from `map.handle`, maybe in another thread) refers to; it counts as one more reference until disposed. */
  static attach<K = unknown, V = unknown>(handle: SharedHandle): HashMap<K, V> {
    adopted = attachSharedMap(handle);
    return new HashMap<K, V>();
  }

  /** The map's key kind. */
  get keyKind(): KeyKindsOf<K> {
    this.#m.live();
    return KIND_NAMES[this.#m.kk] as KeyKindsOf<K>;
  }

  /** The map's value kind. */
  get valueKind(): ValueKindsOf<V> {
    this.#m.live();
    return KIND_NAMES[this.#m.vk] as ValueKindsOf<V>;
  }

  get size(): number {
    return this.#m.size();
  }

  get(key: K): V | undefined {
    // Kept tiny so that V8 inlines it into the caller: private and shared maps run the same code.
    const t = this.#fastGet;
    if (t !== NUM_NONE && passes(t, key)) {
      const r = this.#fget(this.#h, key) as number;
      if (r === r) return r as V;
      return this.#getMissed(key, r);
    }
    return this.#m.get(key) as V | undefined;
  }

  /**
   * After a fast get returned NaN: a missing key, a stored NaN (float64 values: the core's `found`
   * flag in the result word), or on a shared map a torn read. A shared map's fast get is the core's validated get, which
   * reads the sequence count before and after its lookup (no JS atomics: V8 calls Atomics.load as a
   * builtin); when a write was in progress or came between it says so in the result word, and the general path
   * waits and retries. The core checks every bucket it reaches through a pointer against the memory
   * size, so a torn read cannot trap in a lookup of number keys.
   */
  #getMissed(key: K, r: number): V | undefined {
    const m = this.#m;
    if (m.lock === null) return (this.#fastVal === NUM_F64 && m.found() ? r : undefined) as V | undefined;
    const w = m.core.result();
    if ((w & RES_TORN) !== 0) return m.get(key) as V | undefined;
    return (this.#fastVal === NUM_F64 && (w & RES_FOUND) !== 0 ? r : undefined) as V | undefined;
  }

  set(key: K, value: V): this {
    const t = this.#fastPair;
    if (t !== NUM_NONE && passes(t, key) && passes(this.#fastVal, value)) {
      if ((this.#fset(this.#h, key, value) as number) < 0) throw this.#m.oom('set; the map is unchanged');
      return this;
    }
    this.#m.set(key, value);
    return this;
  }

  has(key: K): boolean {
    const t = this.#fastKey;
    if (t !== NUM_NONE && passes(t, key)) return this.#fhas(this.#h, key) !== 0;
    return this.#m.has(key);
  }

  delete(key: K): boolean {
    const t = this.#fastPair;
    if (t !== NUM_NONE && passes(t, key)) return this.#fdel(this.#h, key) !== 0;
    return this.#m.delete(key);
  }

  /**
   * Add `delta` to the value of `key` and return the new value; a missing key counts as 0. For
   * numeric value kinds. One operation: on a shared map no other thread's add is lost. A sum that
   * does not fit the value kind is a RangeError and changes nothing.
   */
  add(key: K, delta: V): V {
    return this.#m.add(key, delta) as V;
  }

  /**
   * The value of `key`; if it is absent, store `value` first and return it (`Map.prototype.getOrInsert`
   * of the TC39 proposal). One operation: on a shared map, of several threads racing to set a key,
   * one wins and all get its value.
   */
  getOrInsert(key: K, value: V): V {
    return this.#m.getOrSet(key, value) as V;
  }

  /** getOrInsert's first name, kept. */
  getOrSet(key: K, value: V): V {
    return this.getOrInsert(key, value);
  }

  /**
   * The value of `key`; if it is absent, `callback(key)`, stored and returned (`Map.prototype.
   * getOrInsertComputed` of the TC39 proposal: the callback runs outside any lock, and on a private
   * map its value is stored even if the callback stored the key itself). On a shared map the value is
   * stored with getOrInsert: of several threads racing to compute a key, one value is stored, and each
   * thread gets that one.
   */
  getOrInsertComputed(key: K, callback: (key: K) => V): V {
    const m = this.#m;
    if (typeof callback !== 'function') throw new TypeError(`HashMap: getOrInsertComputed's callback must be a function, not ${describe(callback)}`);
    if (!m.key.fits(key)) throw misfit(m.kk, key, 'key');
    if (m.vals !== null) {
      if (this.has(key)) return this.get(key) as V;
    } else {
      const v = this.get(key);
      if (v !== undefined) return v;
    }
    const value = callback(key);
    if (m.lock !== null) return this.getOrInsert(key, value);
    this.set(key, value);
    return this.get(key) as V; // as stored (an int32 -0 is 0), as get and getOrInsert give it
  }

  clear(): void {
    if (!this.#m.clear()) {
      this.dispose();
      throw new RangeError('HashMap: out of memory while clearing; the map was disposed');
    }
  }

  forEach(callbackfn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    if (typeof callbackfn !== 'function') throw new TypeError(`HashMap: forEach callback ${describe(callbackfn)} is not a function`);
    this.#m.live();
    new HashMapIterator<K, V, [K, V]>(this.#m, ENTRIES).each(callbackfn as (value: V, key: K, map: unknown) => void, thisArg, this);
  }

  keys(): HashMapIterator<K, V, K> {
    this.#m.live();
    return new HashMapIterator<K, V, K>(this.#m, KEYS);
  }

  values(): HashMapIterator<K, V, V> {
    this.#m.live();
    return new HashMapIterator<K, V, V>(this.#m, VALUES);
  }

  entries(): HashMapIterator<K, V, [K, V]> {
    this.#m.live();
    return new HashMapIterator<K, V, [K, V]>(this.#m, ENTRIES);
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
    this.#m.setMany(keys, values);
    return this;
  }

  /** out[i] = the value of keys[i], or `missing` (default 0, 0n or NaN by value kind). */
  getMany<O extends ValueArray<V>>(keys: KeyArray<K>, out?: O, missing?: V): O {
    return this.#m.getMany(keys, out, missing) as O;
  }

  /** out[i] = 1 if keys[i] is in the map, else 0. */
  hasMany(keys: KeyArray<K>, out?: Uint8Array): Uint8Array {
    return this.#m.hasMany(keys, out);
  }

  /** Delete every key; returns how many were present. */
  deleteMany(keys: KeyArray<K>): number {
    return this.#m.deleteMany(keys);
  }

  /**
   * Every entry as `[keys, values]`: two new typed arrays of the kinds' array types (those getMany
   * uses), of length `size`, in no particular order (the same entry at the same index in both). For
   * numeric key and value kinds; a TypeError for string keys or values and for 'any' values. Filled by
   * the core a chunk of entries per call. On a shared map, one consistent snapshot of the map.
   */
  toArrays(): [KeyArray<K>, ValueArray<V>] {
    return this.#m.toArrays() as [KeyArray<K>, ValueArray<V>];
  }

  /** Growth, evacuation and memory figures, read from the map's header. */
  stats(): HashMapStats {
    return this.#m.stats();
  }

  /** Free the map's wasm memory. A second call does nothing; any other use afterwards throws a TypeError. */
  dispose(): void {
    this.#m.dispose();
    this.#fastKey = this.#fastGet = this.#fastPair = this.#fastVal = NUM_NONE;
    this.#h = 0;
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  /**
   * util.inspect (console.log) in Node, shaped as Node prints a Map: one line when short, one entry a
   * line when long, at most `maxArrayLength` entries (default 100) then "... N more items". The entries
   * shown are put in a Map and inspected with the caller's options, so the layout is Node's own.
   */
  [inspectSymbol](depth: number, options: { maxArrayLength?: number | null }, inspect: (x: unknown, o?: unknown) => string): string {
    if (this.#m.disposed) return 'HashMap <disposed>';
    const head = `HashMap(${this.size}) [${KIND_NAMES[this.#m.kk]} => ${KIND_NAMES[this.#m.vk]}]`;
    if (depth < 0) return `[${head}]`;
    const max = options?.maxArrayLength;
    const cap = max === null || max === undefined ? (max === null ? Infinity : 100) : Math.max(0, max);
    const shown = new Map<unknown, unknown>();
    for (const [k, v] of this) {
      if (shown.size >= cap) break;
      shown.set(k, v);
    }
    if (typeof inspect !== 'function') return `${head} {${[...shown].map(([k, v]) => ` ${String(k)} => ${String(v)}`).join(',')} }`;
    let text = inspect(shown, { ...options, depth });
    text = head + text.slice(text.indexOf(' {'));
    const more = this.size - shown.size;
    if (more > 0) {
      const items = `... ${more} more item${more > 1 ? 's' : ''}`;
      if (text.endsWith('\n}')) text = `${text.slice(0, -2)},\n  ${items}\n}`;
      else if (text.endsWith(' {}')) text = `${text.slice(0, -1)} ${items} }`;
      else text = `${text.slice(0, -2)}, ${items} }`;
    }
    return text;
  }
}
