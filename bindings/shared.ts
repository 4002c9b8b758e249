// Maps shared between threads: the shared build of the core on a shared
// WebAssembly.Memory, handles that travel to workers, and reference counts. The
// lock protocol's JS half is bindings/maplock.ts (the whole protocol: docs/design.md,
// "Concurrency protocol").
//
// A thread instantiates the shared build once per shared memory it meets: its
// own (made when it creates its first shared map), and each memory it first
// attaches a handle from. A handle carries the memory, the memory's random id
// (a Memory posted twice arrives as two objects, so the id tells they are one),
// the compiled shared build (structured-clonable like the memory: the attaching
// thread instantiates it instead of its own compilation), the map's address and
// its 48-bit id, and its kinds.

import { HDR_REFS, HDR_KINDS, ATTACH_OK, ATTACH_FULL } from './contract.js';
import { Core, compileShared, type CoreExports } from './load.js';
import { threadId, watchThreads, strongOrder, canBlock } from './threads.js';
import { MapLock } from './maplock.js';

export { LockTimeoutError } from './maplock.js';

/** Pages a shared memory may grow to: all a wasm32 memory can address. Reserved as address space, not memory. */
const MAX_PAGES = 65536;
/** Bits of a map's reference word below its id. */
const REF_BITS = 16n;
const REF_MASK = (1n << REF_BITS) - 1n;

/** This thread's shared build, compiled at its first shared map (made or attached): fenced unless the CPU is then known to be x86. */
let ownModule: WebAssembly.Module | undefined;
/** Modules known to be a shared build of this version: this thread's own, and those handles brought that passed isSharedBuild. */
const sharedBuilds = new WeakSet<WebAssembly.Module>();

/** Whether ownModule kept its fences. */
let ownFenced = true;

/** This thread's shared build, compiled at its first use. */
function sharedModule(): WebAssembly.Module {
  if (ownModule === undefined) {
    ownFenced = !strongOrder();
    sharedBuilds.add((ownModule = compileShared(!ownFenced)));
  }
  return ownModule;
}

/** Whether this thread's own shared build has its fences (compiled now if it was not yet). */
export function sharedBuildFenced(): boolean {
  sharedModule();
  return ownFenced;
}
/** The imports and exports of this thread's shared build, as isSharedBuild compares them (made at its first use). */
let sharedInterface = '';

/** Shared memory needs SharedArrayBuffer: a browser page has it only when cross-origin isolated. */
export function checkSharingAvailable(): void {
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error(
      'HashMap: shared maps need SharedArrayBuffer, which this page does not have: serve it cross-origin isolated, ' + "with the headers 'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp'",
    );
  }
}

const cores = new Map<number, Core>();
let homeId = 0;

function instantiate(memory: WebAssembly.Memory, module: WebAssembly.Module): Core {
  const imports = { env: { memory, now: () => performance.now() } };
  const x = new WebAssembly.Instance(module, imports).exports as unknown as CoreExports;
  x.canBlock.value = canBlock ? 1 : 0;
  if (x.wlog_init(threadId) !== 1) throw new RangeError("HashMap: out of memory for this thread's write log of shared maps");
  const c = new Core(module, x, memory, true);
  c.findResultWord(); // in this thread's record now
  // Decided once: a CPU found to be x86 later (Chromium answers late) keeps fences it does not need.
  if (!strongOrder()) c.readFence = x.read_fence;
  watchThreads(c);
  return c;
}

function moduleInterface(m: WebAssembly.Module): string {
  return JSON.stringify([WebAssembly.Module.imports(m), WebAssembly.Module.exports(m)]);
}

/**
 * Whether m is a compiled shared build of this version of the core: a WebAssembly.Module with the
 * very imports and exports of this thread's own (a posted Module arrives as a new object, so it is
 * compared once, then remembered). The private build, or another version's, is not.
 */
export function isSharedBuild(m: unknown): m is WebAssembly.Module {
  if (!(m instanceof WebAssembly.Module)) return false;
  if (sharedBuilds.has(m)) return true;
  sharedInterface ||= moduleInterface(sharedModule());
  if (moduleInterface(m) !== sharedInterface) return false;
  sharedBuilds.add(m);
  return true;
}

function randomU32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** This thread's own shared memory and its Core, made at the first shared map it creates. */
export function homeCore(): { core: Core; memoryId: number } {
  checkSharingAvailable();
  if (homeId === 0) {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    homeId = randomU32() || 1;
    cores.set(homeId, instantiate(memory, sharedModule()));
  }
  return { core: cores.get(homeId)!, memoryId: homeId };
}

/** The Core for a handle's memory, instantiated from the handle's module at the first handle from that memory. */
export function coreFor(memoryId: number, memory: WebAssembly.Memory, module: WebAssembly.Module): Core {
  let c = cores.get(memoryId);
  if (c === undefined) cores.set(memoryId, (c = instantiate(memory, module)));
  return c;
}

/** What a shared map's handle holds (bindings/public.d.ts shows users an opaque SharedHandle). */
export interface HandleFields {
  readonly memory: WebAssembly.Memory;
  /** The compiled shared build of the core, which `attach` instantiates on the memory. */
  readonly module: WebAssembly.Module;
  readonly memoryId: number;
  readonly address: number;
  readonly id: number;
  readonly key: string;
  readonly value: string;
  readonly lockTimeout: number;
  readonly recoveryTime: number;
}

/** A fresh map's kinds (so that attach can check a handle's) and reference word: a random 48-bit id, one reference. Returns the id. */
export function initRefs(c: Core, h: number, kk: number, vk: number): number {
  const u8 = c.heap(h + HDR_KINDS + 2).u8;
  u8[h + HDR_KINDS] = kk;
  u8[h + HDR_KINDS + 1] = vk;
  const id = (randomU32() & 0xffff) * 2 ** 32 + randomU32() || 1;
  const i64 = c.heap(h + HDR_REFS + 8).i64;
  Atomics.store(i64, (h + HDR_REFS) / 8, (BigInt(id) << REF_BITS) | 1n);
  return id;
}

/** Add a reference for an attach; false if no live map with this id and kinds is at h (the core checks h against the memory's records before it writes: assembly/tables.ts rootAttach). */
export function attachRef(c: Core, h: number, id: number, kk: number, vk: number): boolean {
  const r = c.x.map_attach(h, Math.floor(id / 2 ** 32), id >>> 0, kk, vk);
  if (r === ATTACH_FULL) throw new RangeError('HashMap: too many threads attached to this map');
  return r === ATTACH_OK;
}

/** Drop a reference; true when it was the last (the caller then frees the map). */
export function dropRef(c: Core, h: number): boolean {
  const i64 = c.heap(h + HDR_REFS + 8).i64;
  const i = (h + HDR_REFS) / 8;
  for (;;) {
    const v = Atomics.load(i64, i);
    const last = (v & REF_MASK) === 1n;
    if (Atomics.compareExchange(i64, i, v, last ? 0n : v - 1n) === v) return last;
  }
}

/** The locks of a shared map (a root and its tables: assembly/tables.ts), as this thread uses them. */
export interface SharedLocks {
  /** The root's: operations on the whole map. */
  readonly root: MapLock;
  /** Each table's: operations on one key, which the key's table serves. */
  readonly tables: readonly MapLock[];
  /** The tables' addresses, in the order of `tables`. */
  readonly addrs: readonly number[];
}

/** The locks of the shared map at root h. */
export function sharedLocks(c: Core, h: number, timeoutMs: number, recoveryMs: number): SharedLocks {
  const root = new MapLock(c, h, timeoutMs, recoveryMs);
  const tables: MapLock[] = [];
  const addrs: number[] = [];
  const n = c.x.MAP_TABLES.value as number;
  for (let i = 0; i < n; i++) {
    const t = c.x.map_table(h, i) >>> 0;
    addrs.push(t);
    tables.push(new MapLock(c, t, timeoutMs, recoveryMs, root));
  }
  return { root, tables, addrs };
}
