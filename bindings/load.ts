// Loading the wasm core. Importing the package runs this once (top-level await),
// so users never call an init(). Node reads the file next to the package; any
// other host fetches it by URL. Node-only modules are imported only on the
// Node path, so a browser never reaches them.

type Fn = (...args: never[]) => unknown;

/** The wasm module's exports: the interface documented in assembly/index.ts and docs/design.md. */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  readonly found: WebAssembly.Global;
  readonly HDR_COUNT: WebAssembly.Global;
  readonly HDR_MOD: WebAssembly.Global;
  readonly ITER_KEYS: WebAssembly.Global;
  readonly ITER_VALS: WebAssembly.Global;
  readonly ITER_BATCH: WebAssembly.Global;
  readonly STR_Q_CHARS: WebAssembly.Global;
  readonly STR_Q_SLACK: WebAssembly.Global;
  map_new(keySize: number, valSize: number, capacity: number, seedLo: number, seedHi: number, fixedSeed: number, maxBytes: number): number;
  map_clear(h: number): number;
  map_free(h: number): void;
  map_stat(h: number, field: number): number;
  heap_top(): number;
  iter_pool_size(): number;
  iter_start(h: number): number;
  iter_release(it: number, mapAlive: number): void;
  scratch_alloc(bytes: number): number;
  scratch_free(p: number, bytes: number): void;
  [op: string]: unknown;
}

const wasmUrl = new URL('../build/tophash.wasm', import.meta.url);

async function wasmBytesOrResponse(): Promise<BufferSource | Response> {
  if (wasmUrl.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    return fs.readFile(wasmUrl);
  }
  return fetch(wasmUrl);
}

async function instantiate(): Promise<WebAssembly.Instance> {
  const source = await wasmBytesOrResponse();
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (typeof WebAssembly.instantiateStreaming === 'function' && source.headers.get('content-type') === 'application/wasm') {
      return (await WebAssembly.instantiateStreaming(source, {})).instance;
    }
    return (await WebAssembly.instantiate(await source.arrayBuffer(), {})).instance;
  }
  return (await WebAssembly.instantiate(source as BufferSource, {})).instance;
}

export const core = (await instantiate()).exports as unknown as CoreExports;

/** A wasm export by name, as a function. */
export function op<F extends Fn>(name: string): F {
  const f = core[name];
  if (typeof f !== 'function') throw new Error(`tophash: the wasm core has no export ${name}`);
  return f as F;
}

/** Typed views of the wasm memory, renewed whenever the memory has grown (growth detaches the old buffer). */
export interface Heap {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
  readonly u64: BigUint64Array;
}

let views: Heap = makeViews();

function makeViews(): Heap {
  const b = core.memory.buffer;
  return { u8: new Uint8Array(b), u16: new Uint16Array(b), i32: new Int32Array(b), u32: new Uint32Array(b), f64: new Float64Array(b), i64: new BigInt64Array(b), u64: new BigUint64Array(b) };
}

export function heap(): Heap {
  if (views.u32.length === 0) views = makeViews(); // memory.grow detached the old buffer
  return views;
}

/** A header field of map h, read through the current view (no wasm call). */
export function headerField(h: number, offset: number): number {
  return heap().u32[(h + offset) >>> 2];
}
