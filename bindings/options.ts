// The constructor's options, checked: each a TypeError for the wrong type, a RangeError out of range,
// a TypeError for a name it does not know; and the seeds of maps made without one.

import { FLOAT64, ANY, kindCode, describe } from './kinds.js';

const U32_MAX = 0xffff_ffff;
const DEFAULT_LOCK_TIMEOUT_MS = 5000;
/** How long a lock's holder must make no progress before a waiting thread presumes it dead, where no proof of its death came: seconds, far above any pause of a live thread's work (docs/design.md, "Dead threads"). */
const DEFAULT_RECOVERY_MS = 10_000;
/** The least recoveryTime: a live thread that holds a lock is never silent this long unless it is stopped. */
const MIN_RECOVERY_MS = 1000;

/** The option names the constructor knows: any other is a TypeError (a misspelt `kye` would otherwise leave the defaults). */
const OPTION_NAMES: ReadonlySet<string> = new Set(['key', 'value', 'capacity', 'seed', 'maxBytes', 'shared', 'lockTimeout', 'recoveryTime']);

/** A new map's settings, checked. */
export interface MapOptions {
  readonly kk: number;
  readonly vk: number;
  readonly capacity: number;
  /** The capacity is only a hint taken from the entries given (no capacity option): a map that cannot have it starts empty instead. */
  readonly capacityHint: boolean;
  /** The seed's two words, and whether it was given (a fixed seed: clear keeps it). */
  readonly seedLo: number;
  readonly seedHi: number;
  readonly fixedSeed: boolean;
  /** 0: no limit. */
  readonly maxBytes: number;
  readonly shared: boolean;
  readonly lockTimeout: number;
  readonly recoveryTime: number;
}

/** The constructor's arguments, checked: the entries are an iterable or null, the options an object of known options. */
export function mapOptions(entries: unknown, options: unknown): MapOptions {
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
  const given = integerOption(o, 'capacity', U32_MAX);
  const capacity = given ?? Math.min(entryCount(entries), U32_MAX);
  const seed = integerOption(o, 'seed', U32_MAX);
  const maxBytes = maxBytesOption(o.maxBytes);
  const shared = o.shared;
  if (shared !== undefined && typeof shared !== 'boolean') throw new TypeError(`HashMap: option shared must be a boolean, got ${describe(shared)}`);
  const lockTimeout = lockTimeoutOption(o.lockTimeout);
  const recoveryTime = recoveryTimeOption(o.recoveryTime);
  if (shared === true && vk === ANY) {
    throw new TypeError("HashMap: a shared map needs a value kind other than 'any' (JS values cannot be shared between threads): give options.value");
  }
  const fixedSeed = seed !== undefined;
  return { kk, vk, capacity, capacityHint: given === undefined, seedLo: fixedSeed ? seed : randomWord(), seedHi: fixedSeed ? 0 : randomWord(), fixedSeed, maxBytes, shared: shared === true, lockTimeout, recoveryTime };
}

/** How many entries the constructor was given, where that is known before iterating them (an array, a Map, a Set), else 0. */
function entryCount(entries: unknown): number {
  if (Array.isArray(entries)) return entries.length;
  if (entries instanceof Map || entries instanceof Set) return entries.size;
  return 0;
}

function maxBytesOption(x: unknown): number {
  if (x === undefined) return 0;
  if (typeof x !== 'number') throw new TypeError(`HashMap: option maxBytes must be a number, got ${describe(x)}`);
  if (!(x >= 1) || !Number.isInteger(x)) throw new RangeError(`HashMap: option maxBytes must be a positive integer, got ${describe(x)}`);
  return x > U32_MAX ? 0 : x;
}

export function lockTimeoutOption(x: unknown): number {
  if (x === undefined) return DEFAULT_LOCK_TIMEOUT_MS;
  if (typeof x !== 'number') throw new TypeError(`HashMap: option lockTimeout must be a number, got ${describe(x)}`);
  if (!(x >= 0) || x === Infinity) throw new RangeError(`HashMap: option lockTimeout must be a finite number of milliseconds >= 0, got ${describe(x)}`);
  return x;
}

export function recoveryTimeOption(x: unknown): number {
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

/** Whether x is a u32 (a handle's address or memory id). */
export function isU32(x: unknown): x is number {
  return typeof x === 'number' && x >>> 0 === x;
}
