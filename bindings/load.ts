// Loading the wasm core. The builds' bytes are in the package's JS (build/wasm.js,
// made by assembly/embed.mjs), and a module is compiled from them synchronously:
// the private build when the package is imported, the shared build when a
// thread first makes or attaches a shared map (bindings/shared.ts). So the
// package is ready when `import` or `require` returns, in every thread, with no
// file to fetch, no top-level await and nothing for a bundler to configure.
//
// A Core is one instance of the module with what the bindings keep per
// instance: typed views of its memory, string query areas, batch scratch, the
// export functions per kind pair. Private maps share one Core of the private
// build (`core` below); shared maps get a Core of the shared build per shared
// memory (bindings/shared.ts).

import { BYTE_OF, PRIVATE_BUILD, SHARED_BUILD, FENCE_SITES } from '../build/wasm.js';

type Fn = (...args: never[]) => unknown;

/**
 * The wasm module's exports: the interface documented in assembly/index.ts and docs/design.md. Its
 * constants are not read from here but from bindings/contract.ts; these globals are per instance:
 * per-call results (status, lockTimedOut), the settings the bindings give an
 * instance (canBlock, lockTimeoutNs, recoveryNs), and the build's own MAP_TABLES and ALLOC_HEADER.
 * Functions that return an address (map_new, map_table, iter_start, scratch_alloc, get_*_str,
 * gos_*_str) return it as an i32, negative above 2 GiB: callers take it `>>> 0`.
 */
export interface CoreExports {
  readonly memory?: WebAssembly.Memory;
  readonly status: WebAssembly.Global;
  readonly lockTimedOut: WebAssembly.Global;
  readonly MAP_TABLES: WebAssembly.Global;
  /** The allocator header's address (the build's own: it follows its static data). */
  readonly ALLOC_HEADER: WebAssembly.Global;
  readonly canBlock: WebAssembly.Global;
  readonly lockTimeoutNs: WebAssembly.Global;
  readonly recoveryNs: WebAssembly.Global;
  map_new(keySize: number, valSize: number, capacity: number, seedLo: number, seedHi: number, fixedSeed: number, maxBytes: number): number;
  map_note_change(h: number): void;
  map_clear(h: number): number;
  map_free(h: number): void;
  map_stat(h: number, field: number): number;
  iter_reserve(): number;
  iter_start(h: number): number;
  iter_release(it: number, mapAlive: number): void;
  iter_sweep_dead(): number;
  write_abort(): number;
  wlock_try(h: number, ignoreClaim: number): number;
  wlock_release(): number;
  wlock_recover(h: number, seq: number): number;
  wlock_recover_free(h: number, seq: number): number;
  wlock_watch(h: number, seq: number): number;
  wlock_holder(h: number, seq: number): number;
  wlock_beat(): number;
  read_fence(): void;
  str_long_begin(h: number, n: number, wide: number): void;
  str_long_feed(q: number, units: number): void;
  str_long_table(h: number): number;
  str_long_find(h: number, out: number, max: number): number;
  str_use_field(q: number, f: number): void;
  map_table(h: number, i: number): number;
  map_attach(h: number, idHi: number, idLo: number, kk: number, vk: number): number;
  map_busy_table(h: number): number;
  dump_start(cur: number, h: number): void;
  wlog_init(tid: number): number;
  thread_record(): number;
  result_word(): number;
  thread_dead(tid: number): number;
  thread_record_dead(rec: number): number;
  thread_named(id: number): void;
  thread_lock_id(rec: number): number;
  thread_after(rec: number): number;
  scratch_alloc(bytes: number): number;
  scratch_free(p: number, bytes: number): void;
  [op: string]: unknown;
}

/** Typed views of a wasm memory. */
export interface Heap {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
  readonly u64: BigUint64Array;
}

function makeViews(b: ArrayBufferLike): Heap {
  return { u8: new Uint8Array(b), u16: new Uint16Array(b), i32: new Int32Array(b), u32: new Uint32Array(b), f64: new Float64Array(b), i64: new BigInt64Array(b), u64: new BigUint64Array(b) };
}

/** One module instance and the bindings' per-instance state. */
export class Core {
  /** The compiled module this is an instance of (a shared map's handle carries it to other threads). */
  readonly module: WebAssembly.Module;
  readonly x: CoreExports;
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  #views: Heap;
  /** Per-instance caches of the other binding modules (ops per kind pair, query areas, scratch). */
  readonly cache = new Map<string, unknown>();
  /** The lockTimeout and recoveryTime (ms) last given to the instance's allocator lock (shared build). */
  allocTimeoutMs = -1;
  allocRecoveryMs = -1;
  /**
   * A full fence between a JS-side validated read's loads and its second read of the counts (shared
   * build): the core's read_fence where this thread's CPU is not known to keep loads in order, else
   * nothing (bindings/shared.ts sets it when it makes the instance; docs/design.md, "Memory order").
   */
  readFence: () => void = () => {};

  constructor(module: WebAssembly.Module, exports: CoreExports, memory: WebAssembly.Memory, shared: boolean) {
    this.module = module;
    this.x = exports;
    this.memory = memory;
    this.shared = shared;
    this.#views = makeViews(memory.buffer);
    this.findResultWord();
  }

  /**
   * Views of the memory that reach at least byte `end`. Memory only grows: a view too short for an
   * address someone allocated is renewed (a private memory's old buffer is detached, length 0; a
   * shared memory's old buffer keeps its old length).
   */
  heap(end = 1): Heap {
    const v = this.#views;
    if (end <= v.u8.length) return v;
    return (this.#views = makeViews(this.memory.buffer));
  }

  /** A wasm export by name, as a function. */
  op<F extends Fn>(name: string): F {
    const f = this.x[name];
    if (typeof f !== 'function') throw new Error(`tophash: the wasm core has no export ${name}`);
    return f as F;
  }

  /** Index of the instance's result word in a Uint32Array of its memory (the core's result_word). */
  #resultIndex = 0;
  /** A view that reaches it: a private memory's growth detaches it (it then reads undefined), and result() takes a new one. */
  #resultView: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

  /** Take the instance's result word's address from the core: at start, and again once the shared build's log has made this thread's record. */
  findResultWord(): void {
    this.#resultIndex = (this.x.result_word() >>> 0) >>> 2;
    this.#resultView = this.heap(4 * this.#resultIndex + 4).u32;
  }

  /** The result word (RES_* bits): what the last get said beyond its value, read through a view (a Global's value costs about a lookup). */
  result(): number {
    const w = this.#resultView[this.#resultIndex];
    return w !== undefined ? w : this.#resultAgain();
  }

  #resultAgain(): number {
    this.#resultView = this.heap(4 * this.#resultIndex + 4).u32;
    return this.#resultView[this.#resultIndex];
  }

  /** A header field of map h, read through a view (no wasm call). */
  headerField(h: number, offset: number): number {
    return this.heap(h + offset + 4).u32[(h + offset) >>> 2];
  }
}

const NOP = 0x01;
const FENCE_BYTES = 3;

/** The bytes of a build (build/wasm.js holds each as a string of one character per byte, through the table BYTE_OF). */
export function buildBytes(build: string): Uint8Array<ArrayBuffer> {
  const byteOf = new Uint8Array(BYTE_OF.length);
  for (let c = 0; c < BYTE_OF.length; c++) byteOf[c] = BYTE_OF.charCodeAt(c);
  const b = new Uint8Array(build.length);
  for (let i = 0; i < build.length; i++) b[i] = byteOf[build.charCodeAt(i)];
  return b;
}

/**
 * The shared build, compiled: as shipped (a full fence wherever the seqlock needs one, correct on
 * every CPU), or with each fence turned into three nops when `strongOrder` (the CPU keeps loads in
 * order and stores in order, as x86 does: docs/design.md, "Memory order").
 */
export function compileShared(strongOrder: boolean): WebAssembly.Module {
  const b = buildBytes(SHARED_BUILD);
  if (strongOrder) for (const at of FENCE_SITES) b.fill(NOP, at, at + FENCE_BYTES);
  return new WebAssembly.Module(b);
}

const privateModule = new WebAssembly.Module(buildBytes(PRIVATE_BUILD));
const privateExports = new WebAssembly.Instance(privateModule, {}).exports as unknown as CoreExports;

/** The Core of private maps. */
export const core = new Core(privateModule, privateExports, privateExports.memory!, false);
