// tophash: a Go-style bucket hash map in WebAssembly with a Map-compatible API.
export { HashMap, type HashMapOptions, type HashMapStats, type HashMapConstructor, type KeyArray, type ValueArray } from './hashmap.js';
export type { KeyKind, ValueKind, KeyOf, ValueOf } from './kinds.js';
export type { HashMapIterator } from './iterators.js';
export { LockTimeoutError, type SharedHandle } from './shared.js';
