// tophash: a Go-style bucket hash map in WebAssembly with a Map-compatible API.
export { HashMap, type HashMapOptions, type HashMapStats, type HashMapConstructor } from './hashmap.js';
export type { KeyKind, ValueKind, KeyOf, ValueOf } from './kinds.js';
export type { HashMapIterator } from './iterators.js';
