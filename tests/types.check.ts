// Compile-time checks of the public types (run by `npm run typecheck`, part of npm test):
// each line below fails to compile if the kinds stop deciding the key and value types.
import { HashMap, type HashMapOptions, type HashMapStats, type KeyKind, type ValueKind } from '../bindings/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<T extends true>(): T | void {}

const a = new HashMap(null, { key: 'bigint64', value: 'int32' });
assertType<Equal<typeof a, HashMap<bigint, number>>>();
const b = new HashMap<number, number>(null, { key: 'int32', value: 'float64' });
assertType<Equal<typeof b, HashMap<number, number>>>();
const c = new HashMap(null, { key: 'float64', value: 'any' });
assertType<Equal<typeof c, HashMap<number, unknown>>>();
const d = new HashMap(null, { key: 'uint32', value: 'biguint64' });
assertType<Equal<typeof d, HashMap<number, bigint>>>();
const e = new HashMap([[1, 'a'], [2.5, 'b']]);
assertType<Equal<typeof e, HashMap<number, string>>>();
const f = new HashMap();
assertType<Equal<typeof f, HashMap<number, unknown>>>();
const asMap: Map<number, number> = b; // HashMap implements Map
const opts: HashMapOptions = { key: 'int32', value: 'any', capacity: 1, seed: 2, maxBytes: 1 << 20 };
const kinds: [KeyKind, ValueKind] = ['biguint64', 'any'];
const s: HashMapStats = b.stats();
// @ts-expect-error: a bigint64 map takes bigint keys
a.set(1, 2);
const g = new HashMap(null, { key: 'string', value: 'int32' });
assertType<Equal<typeof g, HashMap<string, number>>>();
const i = new HashMap(null, { key: 'int32', value: 'string' });
assertType<Equal<typeof i, HashMap<number, string>>>();
// @ts-expect-error: a string-keyed map takes string keys
g.set(1, 2);
// @ts-expect-error: a string-valued map takes string values
i.set(1, 2);
// @ts-expect-error: no batch operations over strings
g.getMany(new Int32Array(1));
// @ts-expect-error: 'object' is not a key kind
new HashMap(null, { key: 'object' });
export { asMap, opts, kinds, s };
