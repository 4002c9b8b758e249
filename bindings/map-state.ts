// A map as the bindings hold it: the one place its state lives.
//
// MapState is where a map is (its Core and address), its kinds, the core's functions for those kinds,
// the Core's string query areas, the JS table of 'any' values and, for a shared map, its locks. The
// operations (raw-map.ts; shared-map.ts wraps them in the lock protocol), the key and value codecs
// (codecs.ts, which implement the interfaces below) and the iterators (iterators.ts) all work on it. HashMap (hashmap.ts) holds one and
// copies only what its fast paths read, once, when it is made.
//
// It holds nothing of the HashMap object, so a FinalizationRegistry can free the map's memory
// through it once the HashMap is collected.

import { core as privateCore, type Core } from './load.js';
import { RES_FOUND } from './contract.js';
import { KIND_NAMES, ANY } from './kinds.js';
import type { MapLock } from './maplock.js';
import { exportNames } from './exports.js';
import { queryAreas, type QueryArea } from './strings.js';
import type { Ring } from './small-ring.js';

/**
 * A core function of a pair of kinds. A numeric key crosses as one argument, a string key or value
 * as two (address, length): codecs.ts passes them, so every caller sees one shape.
 */
export type CoreFn = (h: number, ...args: unknown[]) => number | bigint;
/** One iteration step of the core into an iterator slot (assembly/iter.ts iterNext). */
export type Step = (it: number, max: number) => number;
/** The whole iteration of a small private map in one call (assembly/iter.ts iterSmall). */
export type SmallFill = (h: number, cur: number, keys: number, vals: number, max: number) => number;

/** The core's functions for one pair of kinds, looked up once per Core (names: exports.ts). */
export interface Ops {
  readonly get: CoreFn;
  readonly set: CoreFn;
  readonly has: CoreFn;
  readonly del: CoreFn;
  /** add, for numeric value kinds (else null). */
  readonly add: CoreFn | null;
  /** getOrSet, for all but 'any' (which uses set: it keeps a present index). */
  readonly gos: CoreFn | null;
  readonly step: Step;
  readonly small: SmallFill;
  /** The table that holds a key (a shared map's). */
  readonly table: CoreFn;
  /** The shared build's validated get and locked writes, for number kinds (wadd also for string keys); null for other kinds. */
  readonly sget: CoreFn | null;
  readonly wset: CoreFn | null;
  readonly wdel: CoreFn | null;
  readonly wadd: CoreFn | null;
}

/** The Ops of a Core for kinds kk and vk, made at their first use. */
function opsFor(c: Core, kk: number, vk: number): Ops {
  let cache = c.cache.get('ops') as (Ops | undefined)[] | undefined;
  if (cache === undefined) c.cache.set('ops', (cache = []));
  const i = kk * KIND_NAMES.length + vk;
  return (cache[i] ??= makeOps(c, kk, vk));
}

function makeOps(c: Core, kk: number, vk: number): Ops {
  const n = exportNames(kk, vk);
  const fn = (name: string | null): CoreFn | null => (name === null ? null : c.op<CoreFn>(name));
  return {
    get: c.op<CoreFn>(n.get),
    set: c.op<CoreFn>(n.set),
    has: c.op<CoreFn>(n.has),
    del: c.op<CoreFn>(n.del),
    add: fn(n.add),
    gos: fn(n.gos),
    step: c.op<Step>(n.step),
    small: c.op<SmallFill>(n.small),
    table: c.op<CoreFn>(n.table),
    sget: fn(n.sget),
    wset: fn(n.wset),
    wdel: fn(n.wdel),
    wadd: fn(n.wadd),
  };
}

/** How keys of a kind go into the core's calls. */
export interface KeyCodec {
  /** Whether x is a key of the kind. */
  fits(x: unknown): boolean;
  /** f(h, key, ...) with the key as the core takes it, for a write (the key fits the kind): call, call1 and call2 pass 0, 1 and 2 arguments after it. */
  call(m: MapState, f: CoreFn, key: unknown): number | bigint;
  call1(m: MapState, f: CoreFn, key: unknown, a: unknown): number | bigint;
  call2(m: MapState, f: CoreFn, key: unknown, a: unknown, b: unknown): number | bigint;
  /**
   * f(h, key) for a lookup: undefined when the map cannot hold the key (not of the kind; or a string
   * key longer than any query area memory allows, which the map lacks: strings.ts putKey).
   */
  find(m: MapState, f: CoreFn, key: unknown): number | bigint | undefined;
  /** The table of a shared map that holds the key: table 0's for a key not of the kind (the operation then fails or finds nothing, as on a private map). */
  table(m: MapState, key: unknown): number;
}

/** How values of a kind are stored, read back and counted. The key has passed its codec's fits. */
export interface ValueCodec {
  /** A get's result as the value it stands for; undefined for a missing key. */
  decode(m: MapState, r: number | bigint): unknown;
  /** Store the value (misfit for one not of the kind); RangeError when memory runs out, the map unchanged. */
  set(m: MapState, key: unknown, value: unknown): void;
  /** The key's value, stored first if the key is absent. */
  getOrSet(m: MapState, key: unknown, value: unknown): unknown;
  /** A delete's result: whether the key was there (an 'any' value's index is freed). */
  deleted(m: MapState, r: number | bigint): boolean;
  /** Add delta to the key's value (a missing key counts as 0) and return the sum; TypeError for kinds with no arithmetic. */
  add(m: MapState, key: unknown, delta: unknown): unknown;
}

/** A shared map's locks (assembly/tables.ts): the root's, and each table's with its address. */
export interface Locks {
  readonly root: MapLock;
  readonly tables: readonly MapLock[];
  readonly addrs: readonly number[];
}

export function disposedError(): TypeError {
  return new TypeError('HashMap: this map was disposed');
}

export function outOfMemory(what: string): RangeError {
  return new RangeError(`HashMap: out of memory (${what})`);
}

export abstract class MapState {
  /** The map's address (a shared map's root's); 0 once disposed. */
  h: number;
  disposed = false;
  readonly core: Core;
  readonly kk: number;
  readonly vk: number;
  readonly ops: Ops;
  /** How the map's keys and values cross into the core's calls (codecs.ts). */
  readonly key: KeyCodec;
  readonly val: ValueCodec;
  /** The Core's query areas for a string key and a string value. */
  readonly ka: QueryArea;
  readonly va: QueryArea;
  /** The JS table of 'any' values, which the slots index, and its free indexes; vals is null for other value kinds. */
  vals: unknown[] | null;
  free: number[] = [];
  /** A shared map's root lock (whole-map operations); null for a private map. */
  readonly lock: MapLock | null;
  /** A shared map's tables: their locks and addresses; null for a private map. */
  readonly tables: readonly MapLock[] | null;
  readonly tableAddrs: readonly number[] | null;
  /** The Core's ring of areas for small iterations, once an iterator of the map needed it (small-ring.ts). */
  ring: Ring | null = null;

  constructor(c: Core, h: number, kk: number, vk: number, codecs: readonly [KeyCodec, ValueCodec], locks: Locks | null) {
    this.core = c;
    this.key = codecs[0];
    this.val = codecs[1];
    this.h = h;
    this.kk = kk;
    this.vk = vk;
    this.ops = opsFor(c, kk, vk);
    const areas = queryAreas(c);
    this.ka = areas.key;
    this.va = areas.value;
    this.vals = vk === ANY ? [] : null;
    this.lock = locks?.root ?? null;
    this.tables = locks?.tables ?? null;
    this.tableAddrs = locks?.addrs ?? null;
  }

  /** The map's address; a TypeError once it is disposed. */
  live(): number {
    const h = this.h;
    if (h === 0) throw disposedError();
    return h;
  }

  /** Whether the core's last get found its key (a float64 NaN or a bigint 0n is a value too). */
  found(): boolean {
    return (this.core.result() & RES_FOUND) !== 0;
  }

  /** The core's status after add or getOrSet (assembly/update.ts). */
  status(): number {
    return this.core.x.status.value as number;
  }

  /** The error for an operation that found no memory: out of memory, or for a shared map a timed-out wait for the allocator's lock. */
  oom(what: string): Error {
    return this.lock?.allocatorTimedOut() ?? outOfMemory(what);
  }

  /** The key's value (undefined if absent), as an iterator's revalidation reads it: under the map's locks. */
  abstract get(key: unknown): unknown;
  abstract has(key: unknown): boolean;
  /** Free the map's memory, or for a shared map drop this thread's reference (the last one frees it). */
  abstract release(): void;
}

/** The codecs of NoMap, never called. */
const NO_CODEC = {};

/** A MapState with no map, for objects that must exist before any map does (iterators.ts SHAPE_ANCHOR). */
export class NoMap extends MapState {
  constructor() {
    super(privateCore, 0, 0, 0, [NO_CODEC as KeyCodec, NO_CODEC as ValueCodec], null);
    this.disposed = true;
  }
  get(): undefined {
    return undefined;
  }
  has(): boolean {
    return false;
  }
  release(): void {}
}
