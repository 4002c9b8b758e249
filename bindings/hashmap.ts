// HashMap: the typed, Map-compatible face of the wasm core.
//
// Each operation validates its key (and value) against the map's kinds in JS,
// then makes one call into wasm with plain numbers or bigints: no allocation
// for numeric kinds. A string key or value is first written into a query area
// of wasm memory and passed as (address, length) (strings.ts). 'any' values
// live in a JS array (`vals`) that the wasm slot refers to by index; freed
// indexes are reused.

import {
  HDR_COUNT,
  HDR_SIZE,
  ST_RANGE,
  ST_BUSY,
  WRITE_BUSY,
  WRITE_DEAD,
  ST_DEAD,
  STAT_COUNT,
  STAT_B,
  STAT_OVERFLOW,
  STAT_GROWING,
  STAT_SAME_SIZE,
  STAT_OLD_BUCKETS,
  STAT_NEVACUATE,
  STAT_BYTES,
  STAT_ITERATORS,
  STAT_TOMBSTONES,
} from './contract.js';
import { core as privateCore, type Core } from './load.js';
import { type ValueKind, INT32, UINT32, FLOAT64, BIGINT64, BIGUINT64, STRING, ANY, KIND_NAMES, KIND_SIZE, kindCode, fits, misfit, describe, I64_MIN, I64_MAX, U64_MAX, NUM_NONE, NUM_F64, numberTest, passes } from './kinds.js';
import { HashMapIterator, KEYS, VALUES, ENTRIES, disposedError, type MapCore } from './iterators.js';
import * as batch from './batch.js';
import { opNames, sharedOpNames, sharedStrAddName, tableName } from './exports.js';
import { queryAreas, readString, reserveQueryAreas, type QueryArea } from './strings.js';
import { MapLock, sharedLocks, homeCore, coreFor, isSharedBuild, initRefs, attachRef, dropRef, checkSharingAvailable, type HandleFields } from './shared.js';
import type { HashMapOptions, HashMapStats, KeyArray, ValueArray, SharedHandle, KeyKindsOf, ValueKindsOf } from './public.js';

const U32_MAX = 0xffff_ffff;
const DEFAULT_LOCK_TIMEOUT_MS = 5000;
/** How long a lock's holder must make no progress before a waiting thread presumes it dead, where no proof of its death came: seconds, far above any pause of a live thread's work (docs/design.md, "Dead threads"). */
const DEFAULT_RECOVERY_MS = 10_000;
/** The least recoveryTime: a live thread that holds a lock is never silent this long unless it is stopped. */
const MIN_RECOVERY_MS = 1000;
/** Passed as `entries` by HashMap.attach: the constructor then adopts a shared map instead of making one. */
const ATTACH = Symbol('attach');

// The wasm exports take a numeric key as one argument and a string key or value as two (address, length).
type GetFn = (h: number, k: unknown, n?: number) => number | bigint;
type SetFn = (h: number, k: unknown, v: unknown, w?: unknown, n?: number) => number;
type HasFn = (h: number, k: unknown, n?: number) => number;

type UpdateFn = (h: number, k: unknown, a: unknown, b?: unknown, c?: unknown) => number | bigint;

interface Ops {
  readonly get: GetFn;
  readonly set: SetFn;
  readonly has: HasFn;
  readonly del: HasFn;
  /** add, for numeric value kinds (else null). */
  readonly add: UpdateFn | null;
  /** getOrSet, for all but 'any' (which uses set: it keeps a present index). */
  readonly gos: UpdateFn | null;
}

/** The wasm exports of a Core for one pair of kinds, looked up once per pair. */
function opsFor(c: Core, kk: number, vk: number): Ops {
  let opsCache = c.cache.get('ops') as (Ops | undefined)[] | undefined;
  if (opsCache === undefined) c.cache.set('ops', (opsCache = []));
  const i = kk * KIND_NAMES.length + vk;
  let ops = opsCache[i];
  if (ops === undefined) {
    const n = opNames(kk, vk);
    ops = {
      get: c.op<GetFn>(n.get),
      set: c.op<SetFn>(n.set),
      has: c.op<HasFn>(n.has),
      del: c.op<HasFn>(n.del),
      add: n.add === null ? null : c.op<UpdateFn>(n.add),
      gos: n.gos === null ? null : c.op<UpdateFn>(n.gos),
    };
    opsCache[i] = ops;
  }
  return ops;
}

/**
 * What reads of a map need of wasm memory, taken once per Core while memory is there: the first
 * iterator slots, the string query areas and, for private maps, the batch scratch (200 KiB of address
 * space, untouched until used). Once memory has run out, existing maps can still be iterated, read in
 * batches (getMany, hasMany, deleteMany) and looked up by strings. A shared memory's Cores (one per
 * thread) take their batch scratch at their first batch instead: what a thread takes of a shared
 * memory is never given back, since a thread cannot tell when it is done with it.
 */
function reserveReadMemory(c: Core): void {
  if (c.cache.has('reserved')) return;
  c.cache.set('reserved', true);
  c.x.iter_reserve();
  if (!c.shared) batch.reserveScratch(c);
  reserveQueryAreas(c);
}

const mapRegistry = new FinalizationRegistry<MapCore>((c) => {
  if (!c.disposed) {
    c.disposed = true;
    release(c);
  }
  // A small iteration's lease may still hold the MapCore (iterators.ts): not its values.
  if (c.vals !== null) c.vals = [];
});

/** Free a map's memory, or for a shared map drop this thread's reference (the last one frees it). */
function release(c: MapCore): void {
  if (c.lock === null || dropRef(c.core, c.h)) c.core.x.map_free(c.h);
}

function rangeOfSum(key: unknown, delta: unknown, vk: number): RangeError {
  return new RangeError(`HashMap: add(${describe(key)}, ${describe(delta)}) would leave a value that does not fit value kind '${KIND_NAMES[vk]}'; the map is unchanged`);
}

function outOfMemory(what: string): RangeError {
  return new RangeError(`HashMap: out of memory (${what})`);
}

function isU32(x: unknown): x is number {
  return typeof x === 'number' && x >>> 0 === x;
}

function maxBytesOption(x: unknown): number {
  if (x === undefined) return 0;
  if (typeof x !== 'number') throw new TypeError(`HashMap: option maxBytes must be a number, got ${describe(x)}`);
  if (!(x >= 1) || !Number.isInteger(x)) throw new RangeError(`HashMap: option maxBytes must be a positive integer, got ${describe(x)}`);
  return x > U32_MAX ? 0 : x;
}

function lockTimeoutOption(x: unknown): number {
  if (x === undefined) return DEFAULT_LOCK_TIMEOUT_MS;
  if (typeof x !== 'number') throw new TypeError(`HashMap: option lockTimeout must be a number, got ${describe(x)}`);
  if (!(x >= 0) || x === Infinity) throw new RangeError(`HashMap: option lockTimeout must be a finite number of milliseconds >= 0, got ${describe(x)}`);
  return x;
}

/** The option names the constructor knows: any other is a TypeError (a misspelt `kye` would otherwise leave the defaults). */
const OPTION_NAMES: ReadonlySet<string> = new Set(['key', 'value', 'capacity', 'seed', 'maxBytes', 'shared', 'lockTimeout', 'recoveryTime']);

function recoveryTimeOption(x: unknown): number {
  if (x === undefined) return DEFAULT_RECOVERY_MS;
  if (typeof x !== 'number') throw new TypeError(`HashMap: option recoveryTime must be a number, got ${describe(x)}`);
  if (!(x >= MIN_RECOVERY_MS) || x === Infinity) throw new RangeError(`HashMap: option recoveryTime must be a finite number of milliseconds >= ${MIN_RECOVERY_MS}, got ${describe(x)}`);
  return x;
}

function checkOptionNames(o: object): void {
  const unknown = Object.keys(o).filter((name) => !OPTION_NAMES.has(name));
  if (unknown.length > 0) {
    const list = unknown.map((n) => `'${n}'`).join(', ');
    throw new TypeError(`HashMap: unknown option${unknown.length > 1 ? 's' : ''} ${list} (the options are ${[...OPTION_NAMES].join(', ')})`);
  }
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

/**
 * Random 32-bit words for map seeds, from crypto.getRandomValues a pool at a time: one call costs
 * more than all the rest of making a small map.
 * The pool is private to this module, so the seeds are as unpredictable as one call per map.
 */
const seedPool = new Uint32Array(512);
let seedNext = seedPool.length;

function randomWord(): number {
  if (seedNext === seedPool.length) {
    crypto.getRandomValues(seedPool);
    seedNext = 0;
  }
  return seedPool[seedNext++];
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class HashMap<K, V> implements Map<K, V> {
  #h: number;
  readonly #c: MapCore;
  readonly #core: Core;
  /** The root lock of a shared map (operations on the whole map); null for a private one. */
  readonly #lock: MapLock | null;
  /** A shared map's table locks (operations on one key: #keyLock); null for a private one. */
  readonly #tables: readonly MapLock[] | null = null;
  #tableAddrs: readonly number[] | null = null;
  /** The core's lookup of a key's table (a shared map's). */
  #tableOf: ((h: number, ...k: unknown[]) => number) | null = null;
  readonly #found: WebAssembly.Global;
  readonly #torn: WebAssembly.Global;
  readonly #ka: QueryArea;
  readonly #va: QueryArea;
  /** Shared maps: the handle's identity. */
  readonly #memoryId: number = 0;
  readonly #id: number = 0;
  readonly #kk: number;
  readonly #vk: number;
  readonly #get: GetFn;
  readonly #set: SetFn;
  readonly #has: HasFn;
  readonly #del: HasFn;
  readonly #ops: Ops;
  #free: number[] = [];
  // Fast paths (get/has/set/delete when the kinds are numbers): the number tests of the key kind
  // (#fastKey, has), of the key kind when the value kind is a number too (#fastGet, get; #fastPair,
  // set and delete) and of the value kind (#fastVal). One comparison and a key test stand before
  // the wasm call: at 1e6 entries every extra load or branch there shows, because it leaves fewer
  // lookups' cache misses in flight at once. A shared map has only #fastGet, whose call (#fget) is
  // then the core's validated get (sget: see #getMissed), and #fastShared for its writes (below); a
  // disposed map has none, and every operation takes the general path.
  #fastKey = NUM_NONE;
  #fastGet = NUM_NONE;
  #fastPair = NUM_NONE;
  #fastVal = NUM_NONE;
  #fget: GetFn;
  // Shared maps of number kinds: the key test of their writes, and the core's locked writes, which
  // take and release the map's lock in the same call when it is free (else WRITE_BUSY / ST_BUSY:
  // the general path waits for it). null/NUM_NONE elsewhere.
  #fastShared = NUM_NONE;
  #wset: SetFn | null = null;
  #wdel: HasFn | null = null;
  #wadd: UpdateFn | null = null; // also for string keys (wadd_str_*) with number values

  constructor(entries?: Iterable<readonly [K, V]> | null, options?: HashMapOptions) {
    if ((entries as unknown) === ATTACH) {
      const a = options as unknown as { core: Core; h: number; kk: number; vk: number; memoryId: number; id: number; lockTimeout: number; recoveryTime: number };
      this.#h = a.h;
      this.#kk = a.kk;
      this.#vk = a.vk;
      this.#core = a.core;
      this.#memoryId = a.memoryId;
      this.#id = a.id;
      const l = sharedLocks(a.core, a.h, a.lockTimeout, a.recoveryTime);
      this.#lock = l.root;
      this.#tables = l.tables;
      this.#tableAddrs = l.addrs;
    } else {
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        throw new TypeError(`HashMap: options must be an object, got ${describe(options)}`);
      }
      if (entries !== undefined && entries !== null && typeof (entries as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
        throw new TypeError(`HashMap: the first argument is the entries, an iterable of [key, value] pairs (or null), got ${describe(entries)}; ` + "options come second: new HashMap(null, { key: 'int32', value: 'int32' })");
      }
      const o = (options ?? {}) as Record<string, unknown>;
      checkOptionNames(o);
      const kk = kindCode(o.key, 'key', FLOAT64);
      const vk = kindCode(o.value, 'value', ANY);
      const capacity = integerOption(o, 'capacity', U32_MAX) ?? 0;
      const seed = integerOption(o, 'seed', U32_MAX);
      const maxBytes = maxBytesOption(o.maxBytes);
      const shared = o.shared;
      if (shared !== undefined && typeof shared !== 'boolean') throw new TypeError(`HashMap: option shared must be a boolean, got ${describe(shared)}`);
      const lockTimeout = lockTimeoutOption(o.lockTimeout);
      const recoveryTime = recoveryTimeOption(o.recoveryTime);
      if (shared === true && vk === ANY) {
        throw new TypeError("HashMap: a shared map needs a value kind other than 'any' (JS values cannot be shared between threads): give options.value");
      }
      let lo = seed ?? 0;
      let hi = 0;
      if (seed === undefined) {
        lo = randomWord();
        hi = randomWord();
      }
      let c = privateCore;
      if (shared === true) {
        const home = homeCore();
        c = home.core;
        this.#memoryId = home.memoryId;
      }
      const h = c.x.map_new(KIND_SIZE[kk], KIND_SIZE[vk], capacity, lo, hi, seed === undefined ? 0 : 1, maxBytes) >>> 0;
      if (h === 0) throw outOfMemory(`a map with capacity ${capacity}${maxBytes ? ` within maxBytes ${maxBytes}` : ''}`);
      this.#h = h;
      this.#kk = kk;
      this.#vk = vk;
      this.#core = c;
      this.#lock = null;
      if (shared === true) {
        const l = sharedLocks(c, h, lockTimeout, recoveryTime);
        this.#lock = l.root;
        this.#tables = l.tables;
        this.#tableAddrs = l.addrs;
        this.#id = initRefs(c, h, kk, vk);
      }
    }
    const c = this.#core;
    reserveReadMemory(c);
    const ops = opsFor(c, this.#kk, this.#vk);
    this.#get = ops.get;
    this.#set = ops.set;
    this.#has = ops.has;
    this.#del = ops.del;
    this.#ops = ops;
    this.#found = c.x.found;
    this.#torn = c.x.readTorn;
    const areas = queryAreas(c);
    this.#ka = areas.key;
    this.#va = areas.value;
    this.#c = {
      h: this.#h,
      disposed: false,
      kk: this.#kk,
      vk: this.#vk,
      vals: this.#vk === ANY ? [] : null,
      core: c,
      lock: this.#lock,
      tables: this.#tables,
      tableAddrs: this.#tableAddrs,
      step: null,
      small: null,
      ring: null,
    };
    if (this.#tables !== null) this.#tableOf = c.op<(h: number, ...k: unknown[]) => number>(tableName(this.#kk));
    this.#fastVal = numberTest(this.#vk);
    const keyTest = numberTest(this.#kk);
    if (this.#fastVal !== NUM_NONE) this.#fastGet = keyTest;
    this.#fget = ops.get;
    if (this.#lock === null) {
      this.#fastKey = keyTest;
      this.#fastPair = this.#fastGet;
    } else if (this.#fastGet !== NUM_NONE) {
      const n = sharedOpNames(this.#kk, this.#vk)!;
      this.#fget = c.op<GetFn>(n.sget);
      this.#fastShared = keyTest;
      this.#wset = c.op<SetFn>(n.wset);
      this.#wdel = c.op<HasFn>(n.wdel);
      this.#wadd = c.op<UpdateFn>(n.wadd);
    } else if (this.#lock !== null) {
      const strAdd = sharedStrAddName(this.#kk, this.#vk);
      if (strAdd !== null) this.#wadd = c.op<UpdateFn>(strAdd);
    }
    mapRegistry.register(this, this.#c, this.#c);
    if (entries !== undefined && entries !== null && (entries as unknown) !== ATTACH) {
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
    this.#live();
    if (this.#lock === null) throw new TypeError('HashMap: only a shared map has a handle: make it with { shared: true }');
    const fields: HandleFields = {
      memory: this.#core.memory,
      module: this.#core.module,
      memoryId: this.#memoryId,
      address: this.#h,
      id: this.#id,
      key: KIND_NAMES[this.#kk],
      value: KIND_NAMES[this.#vk],
      lockTimeout: this.#lock.timeoutMs,
      recoveryTime: this.#lock.recoveryMs,
    };
    return fields as unknown as SharedHandle;
  }

  /** Whether the map lives in shared memory. */
  get shared(): boolean {
    this.#live();
    return this.#lock !== null;
  }

  /** A HashMap of the shared map a handle (from `map.handle`, maybe in another thread) refers to; it counts as one more reference until disposed. */
  static attach<K = unknown, V = unknown>(handle: SharedHandle): HashMap<K, V> {
    checkSharingAvailable();
    const bad = (why: string) => new TypeError(`HashMap.attach: ${why}`);
    if (handle === null || typeof handle !== 'object') throw bad(`the handle ${describe(handle)} is not a handle object`);
    const { memory, module, memoryId, address, id, key, value, lockTimeout, recoveryTime } = handle as unknown as Partial<HandleFields>;
    if (!(memory instanceof WebAssembly.Memory) || !(memory.buffer instanceof SharedArrayBuffer)) throw bad(`the handle has no shared memory, got ${describe(memory)}`);
    if (!isSharedBuild(module)) throw bad("the handle's module is not a compiled shared build of this version of tophash");
    if (!isU32(memoryId) || !isU32(address) || address === 0 || typeof id !== 'number' || !Number.isInteger(id) || id <= 0) throw bad('the handle is not one made by map.handle');
    const kk = KIND_NAMES.indexOf(key as ValueKind);
    const vk = KIND_NAMES.indexOf(value as ValueKind);
    if (kk < 0 || kk === ANY || vk < 0 || vk === ANY) throw bad('the handle names no valid kinds');
    const timeout = lockTimeoutOption(lockTimeout);
    const recovery = recoveryTimeOption(recoveryTime);
    // Before a module instance is made on the memory: a memory too small for the map is no tophash memory.
    if (address + HDR_SIZE > (memory.buffer as unknown as { byteLength: number }).byteLength) throw bad("no map of these kinds is at this handle's address: it lies outside the handle's memory");
    const c = coreFor(memoryId, memory, module);
    // The core checks the address against what the memory records of its live maps before it writes anything.
    if (!attachRef(c, address, id, kk, vk)) {
      throw bad("no map of these kinds is at this handle's address: it was freed (every thread that had it disposed of it), or the handle was altered");
    }
    return new HashMap<K, V>(ATTACH as never, { core: c, h: address, kk, vk, memoryId, id, lockTimeout: timeout, recoveryTime: recovery } as never);
  }

  /** The map's key kind. */
  get keyKind(): KeyKindsOf<K> {
    this.#live();
    return KIND_NAMES[this.#kk] as KeyKindsOf<K>;
  }

  /** The map's value kind. */
  get valueKind(): ValueKindsOf<V> {
    this.#live();
    return KIND_NAMES[this.#vk] as ValueKindsOf<V>;
  }

  get size(): number {
    if (this.#lock !== null) return this.#lock.readAll(() => this.#core.x.map_stat(this.#live(), STAT_COUNT));
    return this.#core.headerField(this.#live(), HDR_COUNT);
  }

  get(key: K): V | undefined {
    // Kept tiny so that V8 inlines it into the caller: private and shared maps run the same code.
    const t = this.#fastGet;
    if (t !== NUM_NONE && passes(t, key)) {
      const r = this.#fget(this.#h, key) as number;
      if (r === r) return r as V;
      return this.#getMissed(key, r);
    }
    return this.#lock === null ? this.#getU(key) : this.#getShared(key);
  }

  /**
   * After a fast get returned NaN: a missing key, a stored NaN (float64 values: the core's `found`
   * flag), or on a shared map a torn read. A shared map's fast get is the core's validated get, which
   * reads the sequence count before and after its lookup (no JS atomics: V8 calls Atomics.load as a
   * builtin); when a write was in progress or came between it sets `readTorn`, and the general path
   * waits and retries. The core checks every bucket it reaches through a pointer against the memory
   * size, so a torn read cannot trap in a lookup of number keys.
   */
  #getMissed(key: K, r: number): V | undefined {
    if (this.#lock !== null && this.#torn.value !== 0) {
      this.#torn.value = 0;
      return this.#getShared(key);
    }
    return (this.#fastVal === NUM_F64 && this.#found.value !== 0 ? r : undefined) as V | undefined;
  }

  /** get on a shared map: validated by the sequence count, retried when a write came between. */
  #getShared(key: K): V | undefined {
    return this.#keyLock(key).read(() => this.#getU(key));
  }

  #getU(key: K): V | undefined {
    const h = this.#h;
    if (h === 0) throw disposedError();
    let r: number | bigint;
    if (this.#kk === STRING) {
      if (typeof key !== 'string') return undefined;
      const q = this.#ka.putKey(h, key);
      if (q === 0) return undefined;
      r = this.#get(h, q, key.length);
    } else {
      if (!fits(this.#kk, key)) return undefined;
      r = this.#get(h, key);
    }
    switch (this.#vk) {
      case INT32:
      case UINT32:
        return (r === r ? r : undefined) as V | undefined;
      case FLOAT64:
        return (r === r || this.#found.value !== 0 ? r : undefined) as V | undefined;
      case BIGINT64:
        return (r !== 0n || this.#found.value !== 0 ? r : undefined) as V | undefined;
      case BIGUINT64:
        return (r !== 0n || this.#found.value !== 0 ? BigInt.asUintN(64, r as bigint) : undefined) as V | undefined;
      case STRING:
        // The field's address: an i32 from wasm, negative above 2 GiB (docs/design.md, "Addresses").
        return (r === 0 ? undefined : readString(this.#core, (r as number) >>> 0)) as V | undefined;
      default:
        return ((r as number) < 0 ? undefined : this.#c.vals![r as number]) as V | undefined;
    }
  }

  set(key: K, value: V): this {
    const t = this.#fastPair;
    if (t !== NUM_NONE && passes(t, key) && passes(this.#fastVal, value)) {
      if (this.#set(this.#h, key, value) < 0) throw this.#oom('set; the map is unchanged');
      return this;
    }
    const u = this.#fastShared;
    if (u !== NUM_NONE && passes(u, key) && passes(this.#fastVal, value)) return this.#setShared(key, value);
    if (this.#lock === null) return this.#setU(key, value);
    return this.#keyLock(key).write(() => this.#setU(key, value));
  }

  /** set of number kinds on a shared map: the core takes the lock itself when it is free. */
  #setShared(key: K, value: V): this {
    this.#lock!.useTimeout();
    let r: number;
    try {
      r = this.#wset!(this.#h, key, value);
    } catch (e) {
      throw this.#lock!.aborted(e);
    }
    if (r >= 0) return this;
    if (r === WRITE_BUSY) return this.#keyLock(key).write(() => this.#setU(key, value));
    if (r === WRITE_DEAD) throw this.#lock!.presumedDead();
    throw this.#oom('set; the map is unchanged');
  }

  #setU(key: K, value: V): this {
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
        const va = this.#va.put(v);
        r = kk === STRING ? this.#set(h, this.#ka.put(key as string), (key as string).length, va, v.length) : this.#set(h, key, va, v.length);
      } else {
        r = kk === STRING ? this.#set(h, this.#ka.put(key as string), (key as string).length, value) : this.#set(h, key, value);
      }
      if (r < 0) throw this.#oom('set; the map is unchanged');
      return this;
    }
    const free = this.#free;
    const cand = free.length > 0 ? free[free.length - 1] : vals.length;
    const r = kk === STRING ? this.#set(h, this.#ka.put(key as string), (key as string).length, cand) : this.#set(h, key, cand);
    if (r < 0) throw this.#oom('set; the map is unchanged');
    if (r === cand && free.length > 0) free.pop();
    vals[r] = value;
    return this;
  }

  has(key: K): boolean {
    const t = this.#fastKey;
    if (t !== NUM_NONE && passes(t, key)) return this.#has(this.#h, key) !== 0;
    return this.#lock === null ? this.#hasU(key) : this.#hasShared(key);
  }

  #hasShared(key: K): boolean {
    return this.#keyLock(key).read(() => this.#hasU(key));
  }

  #hasU(key: K): boolean {
    const h = this.#h;
    if (h === 0) throw disposedError();
    if (this.#kk === STRING) {
      if (typeof key !== 'string') return false;
      const q = this.#ka.putKey(h, key);
      return q !== 0 && this.#has(h, q, key.length) !== 0;
    }
    return fits(this.#kk, key) && this.#has(h, key) !== 0;
  }

  delete(key: K): boolean {
    const t = this.#fastPair;
    if (t !== NUM_NONE && passes(t, key)) return this.#del(this.#h, key) !== 0;
    const u = this.#fastShared;
    if (u !== NUM_NONE && passes(u, key)) {
      const r = this.#deleteShared(key);
      if (r >= 0) return r !== 0;
      if (r === WRITE_DEAD) throw this.#lock!.presumedDead();
    }
    return this.#lock === null ? this.#deleteU(key) : this.#keyLock(key).write(() => this.#deleteU(key));
  }

  /** The core's locked delete: 1 removed, 0 absent, WRITE_BUSY when another write holds the map. */
  #deleteShared(key: K): number {
    this.#lock!.useTimeout(); // evacuation work inside a delete may allocate and free
    try {
      return this.#wdel!(this.#h, key);
    } catch (e) {
      throw this.#lock!.aborted(e);
    }
  }

  #deleteU(key: K): boolean {
    const h = this.#h;
    if (h === 0) throw disposedError();
    let r: number;
    if (this.#kk === STRING) {
      if (typeof key !== 'string') return false;
      const q = this.#ka.putKey(h, key);
      if (q === 0) return false;
      r = this.#del(h, q, key.length);
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

  /**
   * Add `delta` to the value of `key` and return the new value; a missing key counts as 0. For
   * numeric value kinds. One operation: on a shared map no other thread's add is lost. A sum that
   * does not fit the value kind is a RangeError and changes nothing.
   */
  add(key: K, delta: V): V {
    if (this.#wadd !== null && typeof delta === 'number' && (this.#vk === FLOAT64 || Number.isInteger(delta))) {
      const u = this.#fastShared;
      if (u !== NUM_NONE ? passes(u, key) : typeof key === 'string') return this.#addShared(key, delta);
    }
    return this.#lock === null ? this.#addU(key, delta) : this.#keyLock(key).write(() => this.#addU(key, delta));
  }

  /** add of number values (number or string keys) on a shared map: the core takes the lock of the key's table itself when it is free. */
  #addShared(key: K, delta: V): V {
    this.#lock!.useTimeout();
    let r: number;
    try {
      r = (this.#fastShared === NUM_NONE ? this.#wadd!(this.#h, this.#ka.put(key as string), (key as string).length, delta) : this.#wadd!(this.#h, key, delta)) as number;
    } catch (e) {
      throw this.#lock!.aborted(e);
    }
    if (r === r && r !== 0) return r as V;
    const st = this.#core.x.status.value;
    if (st === ST_BUSY) return this.#keyLock(key).write(() => this.#addU(key, delta));
    if (st === ST_DEAD) throw this.#lock!.presumedDead();
    this.#updateFailed(key, delta, this.#vk);
    return r as V;
  }

  #addU(key: K, delta: V): V {
    const h = this.#live();
    const kk = this.#kk;
    const vk = this.#vk;
    const f = this.#ops.add;
    if (f === null) throw new TypeError(`HashMap: add needs a numeric value kind; this map's values are '${KIND_NAMES[vk]}'`);
    if (!fits(kk, key)) throw misfit(kk, key, 'key');
    let r: number | bigint;
    if (vk === BIGINT64 || vk === BIGUINT64) {
      if (typeof delta !== 'bigint') throw new TypeError(`HashMap: add's delta ${describe(delta)} is not a bigint (value kind '${KIND_NAMES[vk]}')`);
      // A delta beyond ±(2^64 - 1) leaves no sum that fits either kind. biguint64 deltas may be negative
      // (a decrement): the core takes them with a sign flag.
      if (delta < -U64_MAX || delta > U64_MAX) throw rangeOfSum(key, delta, vk);
      // A bigint64 delta outside 64 signed bits can still leave a sum that fits (-1n + 2n ** 63n).
      if (vk === BIGINT64 && (delta < I64_MIN || delta > I64_MAX)) return this.#addWide(key, delta);
      const d = BigInt.asIntN(64, delta);
      r = kk === STRING ? f(h, this.#ka.put(key as string), (key as string).length, d, delta < 0n ? 1 : 0) : f(h, key, d, delta < 0n ? 1 : 0);
      if (r === 0n) this.#updateFailed(key, delta, vk);
      return (vk === BIGUINT64 ? BigInt.asUintN(64, r as bigint) : r) as V;
    }
    if (typeof delta !== 'number') throw new TypeError(`HashMap: add's delta ${describe(delta)} is not a number (value kind '${KIND_NAMES[vk]}')`);
    // Integer kinds take integer deltas: a tiny fraction would round away in the sum and go unnoticed.
    if (vk !== FLOAT64 && !Number.isInteger(delta)) throw rangeOfSum(key, delta, vk);
    r = kk === STRING ? f(h, this.#ka.put(key as string), (key as string).length, delta) : f(h, key, delta);
    if (r === 0 || r !== r) this.#updateFailed(key, delta, vk);
    return r as V;
  }

  /**
   * add of a bigint64 delta outside 64 signed bits, which the core's add (an i64 delta) cannot take:
   * read, add and store here. add runs under a shared map's lock, so this is one operation too.
   */
  #addWide(key: K, delta: bigint): V {
    const sum = ((this.#getU(key) as bigint | undefined) ?? 0n) + delta;
    if (sum < I64_MIN || sum > I64_MAX) throw rangeOfSum(key, delta, BIGINT64);
    this.#setU(key, sum as V);
    return sum as V;
  }

  /**
   * The value of `key`; if it is absent, store `value` first and return it (`Map.prototype.getOrInsert`
   * of the TC39 proposal). One operation: on a shared map, of several threads racing to set a key,
   * one wins and all get its value.
   */
  getOrInsert(key: K, value: V): V {
    return this.#lock === null ? this.#getOrSetU(key, value) : this.#keyLock(key).write(() => this.#getOrSetU(key, value));
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
    if (typeof callback !== 'function') throw new TypeError(`HashMap: getOrInsertComputed's callback must be a function, not ${describe(callback)}`);
    if (!fits(this.#kk, key)) throw misfit(this.#kk, key, 'key');
    if (this.#vk === ANY) {
      if (this.has(key)) return this.get(key) as V;
    } else {
      const v = this.get(key);
      if (v !== undefined) return v;
    }
    const value = callback(key);
    if (this.#lock !== null) return this.getOrInsert(key, value);
    this.set(key, value);
    return this.get(key) as V; // as stored (an int32 -0 is 0), as get and getOrInsert give it
  }

  #getOrSetU(key: K, value: V): V {
    const h = this.#live();
    const kk = this.#kk;
    const vk = this.#vk;
    if (!fits(kk, key)) throw misfit(kk, key, 'key');
    const vals = this.#c.vals;
    if (vals !== null) {
      const free = this.#free;
      const cand = free.length > 0 ? free[free.length - 1] : vals.length;
      const r = kk === STRING ? this.#set(h, this.#ka.put(key as string), (key as string).length, cand) : this.#set(h, key, cand);
      if (r < 0) throw this.#oom('getOrSet; the map is unchanged');
      if (r !== cand) return vals[r] as V;
      if (free.length > 0) free.pop();
      vals[r] = value;
      return value;
    }
    if (!fits(vk, value)) throw misfit(vk, value, 'value');
    const f = this.#ops.gos!;
    if (vk === STRING) {
      const v = value as string;
      const va = this.#va.put(v);
      const r = (kk === STRING ? f(h, this.#ka.put(key as string), (key as string).length, va, v.length) : f(h, key, va, v.length)) as number;
      if (r === 0) throw this.#oom('getOrSet; the map is unchanged');
      return readString(this.#core, r >>> 0) as V;
    }
    const r = kk === STRING ? f(h, this.#ka.put(key as string), (key as string).length, value) : f(h, key, value);
    if ((r === 0 || r === 0n || r !== r) && this.#core.x.status.value !== 0) throw this.#oom('getOrSet; the map is unchanged');
    return (vk === BIGUINT64 ? BigInt.asUintN(64, r as bigint) : r) as V;
  }

  /** The error for an operation that found no memory: out of memory, or for a shared map a timed-out wait for the allocator's lock. */
  #oom(what: string): Error {
    return this.#lock?.allocatorTimedOut() ?? outOfMemory(what);
  }

  /** After an add whose result may mean failure: throw what `status` says, if anything. */
  #updateFailed(key: unknown, delta: unknown, vk: number): void {
    const st = this.#core.x.status.value as number;
    if (st === 0) return;
    if (st === ST_RANGE) throw rangeOfSum(key, delta, vk);
    throw this.#oom('add; the map is unchanged');
  }

  clear(): void {
    this.#write(() => this.#clearU());
  }

  #clearU(): void {
    const h = this.#live();
    const ok = this.#core.x.map_clear(h);
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
    this.#write(() => batch.setMany(this.#core, this.#live(), this.#kk, this.#vk, keys, values));
    return this;
  }

  /** out[i] = the value of keys[i], or `missing` (default 0, 0n or NaN by value kind). */
  getMany<O extends ValueArray<V>>(keys: KeyArray<K>, out?: O, missing?: V): O {
    return this.#read(() => batch.getMany(this.#core, this.#live(), this.#kk, this.#vk, keys, out, missing)) as O;
  }

  /** out[i] = 1 if keys[i] is in the map, else 0. */
  hasMany(keys: KeyArray<K>, out?: Uint8Array): Uint8Array {
    return this.#read(() => batch.hasMany(this.#core, this.#live(), this.#kk, this.#vk, keys, out));
  }

  /** Delete every key; returns how many were present. */
  deleteMany(keys: KeyArray<K>): number {
    return this.#write(() => batch.deleteMany(this.#core, this.#live(), this.#kk, this.#vk, keys));
  }

  /**
   * Every entry as `[keys, values]`: two new typed arrays of the kinds' array types (those getMany
   * uses), of length `size`, in no particular order (the same entry at the same index in both). For
   * numeric key and value kinds; a TypeError for string keys or values and for 'any' values. Filled by
   * the core a chunk of entries per call. On a shared map, one consistent snapshot of the map.
   */
  toArrays(): [KeyArray<K>, ValueArray<V>] {
    return this.#read(() => {
      const h = this.#live();
      const shared = this.#tableAddrs;
      const count = shared === null ? this.#core.headerField(h, HDR_COUNT) : this.#core.x.map_stat(h, STAT_COUNT);
      return batch.toArrays(this.#core, shared ?? [h], this.#kk, this.#vk, count);
    }) as unknown as [KeyArray<K>, ValueArray<V>];
  }

  /** Growth, evacuation and memory figures, read from the map's header. */
  stats(): HashMapStats {
    return this.#read(() => this.#statsU());
  }

  #statsU(): HashMapStats {
    const h = this.#live();
    const f = (i: number) => this.#core.x.map_stat(h, i);
    const B = f(STAT_B);
    return {
      count: f(STAT_COUNT),
      B,
      buckets: 2 ** B,
      overflowBuckets: f(STAT_OVERFLOW),
      growing: f(STAT_GROWING) !== 0,
      sameSizeGrow: f(STAT_SAME_SIZE) !== 0,
      oldBuckets: f(STAT_OLD_BUCKETS),
      nevacuate: f(STAT_NEVACUATE),
      bytes: f(STAT_BYTES),
      liveIterators: f(STAT_ITERATORS),
      tombstones: f(STAT_TOMBSTONES),
    };
  }

  /** Free the map's wasm memory. A second call does nothing; any other use afterwards throws a TypeError. */
  dispose(): void {
    const c = this.#c;
    if (c.disposed) return;
    c.disposed = true;
    mapRegistry.unregister(c);
    release(c);
    this.#fastKey = this.#fastGet = this.#fastPair = this.#fastVal = this.#fastShared = NUM_NONE;
    this.#wadd = null;
    this.#h = 0;
    c.h = 0;
    c.vals = null;
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
    if (this.#c.disposed) return 'HashMap <disposed>';
    const head = `HashMap(${this.size}) [${KIND_NAMES[this.#kk]} => ${KIND_NAMES[this.#vk]}]`;
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

  /** Run a write of the whole map: under a shared map's root lock, with no table's lock held (MapLock.write). */
  #write<T>(f: () => T): T {
    const lock = this.#lock;
    return lock === null ? f() : lock.write(f);
  }

  /** Run a read of the whole map: for a shared map, validated by the root's and every table's count, else under the root's lock (MapLock.readAll). */
  #read<T>(f: () => T): T {
    const lock = this.#lock;
    return lock === null ? f() : lock.readAll(f);
  }

  /**
   * The lock of the table that holds `key`, in a shared map: one wasm call (the core hashes the key as
   * its operations do). A key the kind does not take gets table 0's: the operation then fails or finds
   * nothing, as on a private map.
   */
  #keyLock(key: K): MapLock {
    const h = this.#live();
    const f = this.#tableOf!;
    const kk = this.#kk;
    let i = 0;
    if (kk === STRING) {
      if (typeof key === 'string') i = this.#ka.tableOf(h, key, f);
    } else if (fits(kk, key)) {
      i = f(h, key);
    }
    return this.#tables![i];
  }

  #live(): number {
    const h = this.#h;
    if (h === 0) throw disposedError();
    return h;
  }
}
