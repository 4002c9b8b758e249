// Compile-time checks of the public types (run by `npm run typecheck`, part of npm test):
// each line below fails to compile if the kinds stop deciding the key and value types, and the
// last part fails if the implementation and the public declarations (bindings/public.d.ts, shipped
// as dist/index.d.ts) drift apart.
import { HashMap, type HashMapOptions, type HashMapStats, type KeyKind, type ValueKind, type SharedHandle, type HashMapIterator } from '../bindings/index.js';
import * as index from '../bindings/index.js';
import type * as Public from '../bindings/public.js';
import { HashMap as HashMapImpl } from '../bindings/hashmap.js';
import { LockTimeoutError as LockTimeoutErrorImpl } from '../bindings/shared.js';
import type { HashMapIterator as HashMapIteratorImpl } from '../bindings/iterators.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const a = new HashMap(null, { key: 'bigint64', value: 'int32' });
assertType<Equal<typeof a, HashMap<bigint, number, 'bigint64', 'int32'>>>();
const b = new HashMap<number, number>(null, { key: 'int32', value: 'float64' });
assertType<Equal<typeof b, HashMap<number, number>>>();
const c = new HashMap(null, { key: 'float64', value: 'any' });
assertType<Equal<typeof c, HashMap<number, unknown, 'float64', 'any'>>>();
const d = new HashMap(null, { key: 'uint32', value: 'biguint64' });
assertType<Equal<typeof d, HashMap<number, bigint, 'uint32', 'biguint64'>>>();
const e = new HashMap([
  [1, 'a'],
  [2.5, 'b'],
]);
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
assertType<Equal<typeof g, HashMap<string, number, 'string', 'int32'>>>();
const i = new HashMap(null, { key: 'int32', value: 'string' });
assertType<Equal<typeof i, HashMap<number, string, 'int32', 'string'>>>();
// @ts-expect-error: a string-keyed map takes string keys
g.set(1, 2);
// @ts-expect-error: a string-valued map takes string values
i.set(1, 2);
// @ts-expect-error: no batch operations over strings
g.getMany(new Int32Array(1));
// @ts-expect-error: 'object' is not a key kind
new HashMap(null, { key: 'object' });

// Explicit type arguments must agree with the kinds in the options (and the default kinds: float64 keys, any values).
// @ts-expect-error: int32 keys are not strings, float64 values are not strings
new HashMap<string, string>(null, { key: 'int32', value: 'float64' });
// @ts-expect-error: the default key kind, float64, holds no strings
new HashMap<string, number>();
// @ts-expect-error: the same, with options that leave the key kind out
new HashMap<string, number>(null, { value: 'int32' });
// @ts-expect-error: bigint keys need a bigint key kind
new HashMap<bigint, number>(null, { key: 'int32' });
// @ts-expect-error: int32 values are not strings
new HashMap<number, string>(null, { value: 'int32' });
const agree = new HashMap<string, number>(null, { key: 'string', value: 'int32' });
const anyValues = new HashMap<number, { any: string }>(null, { key: 'uint32' }); // 'any' values hold every type
const readmeAny = new HashMap<number, unknown>([
  [1, 'a'],
  [2.5, { any: 'value' }],
]);

// Batch operations take exactly the typed arrays of the map's kinds.
const ints = new HashMap(null, { key: 'int32', value: 'float64' });
ints.setMany(new Int32Array(1), new Float64Array(1));
// @ts-expect-error: a uint32 array for int32 keys
ints.setMany(new Uint32Array(1), new Float64Array(1));
// @ts-expect-error: float64 keys for int32 keys
ints.hasMany(new Float64Array(1));
// @ts-expect-error: an int32 array for float64 values
ints.getMany(new Int32Array(1), new Int32Array(1));
const got: Float64Array = ints.getMany(new Int32Array(1));
const bigs = new HashMap(null, { key: 'biguint64', value: 'bigint64' });
bigs.setMany(new BigUint64Array(1), new BigInt64Array(1));
// @ts-expect-error: signed keys for biguint64 keys
bigs.deleteMany(new BigInt64Array(1));
// With the types given and the kinds not known to the type, any array of a kind that holds them.
b.setMany(new Uint32Array(1), new Int32Array(1));

// The handle is opaque.
// @ts-expect-error: a SharedHandle is made by map.handle only
const forged: SharedHandle = { memory: null, address: 8 };
const handle: SharedHandle = b.handle;
const kindOfKey: 'bigint64' = a.keyKind;

// ---- the implementation against the public declarations --------------------------------------
// Every value the package exports, and nothing else.
assertType<Equal<keyof typeof index, keyof typeof Public>>();
// The constructor is the implementation's class, and LockTimeoutError the implementation's.
assertType<Equal<typeof index.HashMap, Public.HashMapConstructor>>();
const errorClass: typeof Public.LockTimeoutError = LockTimeoutErrorImpl;
// An instance of the implementation has every public member, of a type the public one accepts...
type Impl<K, V> = HashMapImpl<K, V>;
const asPublic = <K, V>(m: Impl<K, V>): Public.HashMap<K, V> => m;
// ...and no public member more: a method added to the class must be declared in bindings/public.d.ts.
// (Symbol keys aside: the class has Node's util.inspect.custom, which the declarations cannot name
// without @types/node.)
assertType<Equal<Exclude<keyof Impl<number, number>, keyof Public.HashMap<number, number> | symbol>, never>>();
assertType<Equal<Exclude<keyof Public.HashMap<number, number>, keyof Impl<number, number>>, never>>();
// attach, the one static.
const attach: Public.HashMapConstructor['attach'] = HashMapImpl.attach;
assertType<Equal<Exclude<keyof typeof HashMapImpl, 'prototype'>, Exclude<keyof Public.HashMapConstructor, 'prototype'>>>();
// Iterators (the class has more public members, for the map's own use: `each`, for forEach).
const asIterator = <T>(it: HashMapIteratorImpl<number, number, T>): HashMapIterator<T> => it;

export { c, d, e, f, asMap, opts, kinds, s, agree, anyValues, readmeAny, got, forged, handle, kindOfKey, errorClass, asPublic, attach, asIterator };
