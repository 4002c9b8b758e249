// tophash: a Go-style bucket hash map in WebAssembly with a Map-compatible API.
// held-messages.js first: it must run before the top-level awaits of the modules after it.
import { releaseHeldMessages } from './held-messages.js';
export { HashMap, type HashMapOptions, type HashMapStats, type HashMapConstructor, type KeyArray, type ValueArray } from './hashmap.js';
export type { KeyKind, ValueKind, KeyOf, ValueOf } from './kinds.js';
export type { HashMapIterator } from './iterators.js';
export { LockTimeoutError, type SharedHandle } from './shared.js';

releaseHeldMessages();
