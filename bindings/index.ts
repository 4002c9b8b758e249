// tophash: a Go-style bucket hash map in WebAssembly with a Map-compatible API.
// The package is ready when this module has loaded: the wasm is compiled synchronously from bytes in
// the package (bindings/load.ts), with no top-level await, so `require` works and a worker's own
// module body runs in its first task.
import { HashMap as HashMapImpl } from './hashmap.js';
import type { HashMapConstructor, HashMap as PublicHashMap, KeyKind, ValueKind, KeyKindsOf, ValueKindsOf } from './public.js';

// The public types are those of bindings/public.d.ts (shipped as dist/index.d.ts and dist/index.d.cts);
// the tests see the package through them too. tests/types.check.ts checks that the implementation matches them.
export type * from './public.js';
export { LockTimeoutError } from './shared.js';

export const HashMap = HashMapImpl as unknown as HashMapConstructor;
export type HashMap<K = number, V = unknown, KK extends KeyKind = KeyKindsOf<K>, VK extends ValueKind = ValueKindsOf<V>> = PublicHashMap<K, V, KK, VK>;
