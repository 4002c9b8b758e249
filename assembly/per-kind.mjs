// The core's per-kind exports, generated (first step of `npm run build:wasm`) from one table of kinds
// (KINDS) and the storages they map to (KEYS, SIZES and the families below). It writes both halves
// of the contract:
//  - assembly/per-kind.ts, which assembly/index.ts re-exports: each export one line that instantiates
//    a generic operation (ops.ts, map.ts, update.ts, iter.ts, batch.ts, tables.ts) with the storage
//    types of a pair of kinds;
//  - build/per-kind.json: the kinds (name, slot size) and, for each pair of kinds, the name of its
//    export in each family, which assembly/embed.mjs puts into build/wasm.js (KINDS, EXPORTS) for the
//    bindings (bindings/exports.ts, bindings/kinds.ts). Every name there must be one written here,
//    and every export written here named there, or the build fails.
// Adding a kind is a row of KINDS (a new storage: a row of KEYS or SIZES too) and, in the bindings,
// its row of KIND_TRAITS and `fits` case (bindings/kinds.ts), its codecs (bindings/codecs.ts) and its
// name in bindings/public.d.ts.
//
// Names are <op>_<key>_<value>: the key part is the key's storage (i32 for int32 and uint32, f64,
// i64 for both bigint kinds, str), the value part what the operation needs of the value (its storage
// for get, its bits for set, its size for has and delete: v4, v8, v12; its arithmetic for add).
import { writeFileSync, mkdirSync } from 'node:fs';

/**
 * The kinds, in the bindings' order (their codes: bindings/kinds.ts). Each names its slot size and the
 * storage part it gives each family: `key`, its key storage (KEYS; null: not a key kind); `get`,
 * `set`, `add` and `gos`, the value part of those families (null: the family has no export for it);
 * `number`, whether it is a JS number (the shared build's one-call operations exist for those).
 */
const KINDS = [
  { name: 'int32', size: 4, key: 'i32', get: 'i32', set: 'i32', add: 'i32', gos: 'i32', number: true },
  { name: 'uint32', size: 4, key: 'i32', get: 'u32', set: 'i32', add: 'u32', gos: 'u32', number: true },
  { name: 'float64', size: 8, key: 'f64', get: 'f64', set: 'f64', add: 'f64', gos: 'f64', number: true },
  { name: 'bigint64', size: 8, key: 'i64', get: 'i64', set: 'i64', add: 'i64', gos: 'i64', number: false },
  { name: 'biguint64', size: 8, key: 'i64', get: 'i64', set: 'i64', add: 'u64', gos: 'i64', number: false },
  { name: 'string', size: 12, key: 'str', get: 'str', set: 'str', add: null, gos: 'str', number: false },
  { name: 'any', size: 4, key: null, get: 'any', set: 'any', add: null, gos: null, number: false },
];

/** The export of each family for key kind k and value kind v (null: none), as the bindings look them up. */
function pairNames(k, v) {
  const vs = `v${v.size}`;
  const numbers = k.number && v.number;
  const batch = k.key !== 'str' && v.name !== 'string';
  const bv = v.size === 4 ? 'v4' : 'v8';
  return {
    get: `get_${k.key}_${v.get}`,
    set: `set_${k.key}_${v.set}`,
    has: `has_${k.key}_${vs}`,
    del: v.name === 'any' ? `delany_${k.key}` : `del_${k.key}_${vs}`,
    add: v.add === null ? null : `add_${k.key}_${v.add}`,
    gos: v.gos === null ? null : `gos_${k.key}_${v.gos}`,
    table: `table_${k.key}`,
    sget: numbers ? `sget_${k.key}_${v.get}` : null,
    wset: numbers ? `wset_${k.key}_${v.set}` : null,
    wdel: numbers ? `wdel_${k.key}_${vs}` : null,
    wadd: (k.number || k.key === 'str') && v.number ? `wadd_${k.key}_${v.add}` : null,
    step: `iter_next_k${k.size}_${vs}`,
    small: `iter_small_k${k.size}_${vs}`,
    fill: batch && v.name !== 'any' ? `iter_fill_k${k.size}_${vs}` : null,
    batchget: batch ? `batchget_${k.key}_${bv}` : null,
    batchhas: batch ? `batchhas_${k.key}_${bv}` : null,
    batchdel: batch ? `batchdel_${k.key}_${bv}` : null,
    batchset: batch ? `batchset_${k.key}_${bv}` : null,
    batchundo: batch ? `batchundo_${k.key}_${bv}` : null,
  };
}

/**
 * Key storages: the export's parameters for the key, the key bits (`x`) the generic code takes, their
 * type (K), and a statement that prepares them (a string key's field is built from its query area).
 */
const KEYS = [
  { abi: 'i32', params: 'k: i32', K: 'u32', x: '<u32>k', pre: '', size: 4, batch: ['u32', 'u32'] },
  { abi: 'f64', params: 'k: f64', K: 'u64', x: 'f64key(k)', pre: '', size: 8, batch: ['f64', 'u64'] },
  { abi: 'i64', params: 'k: i64', K: 'u64', x: '<u64>k', pre: '', size: 8, batch: ['u64', 'u64'] },
  { abi: 'str', params: 'q: usize, n: u32', K: 'Str', x: 'key', pre: 'let key = strKey(h, q, n); ', size: 12, batch: null },
];
/** Value storages by size: the type the generic code stores (V). */
const SIZES = [
  { part: 'v4', V: 'u32' },
  { part: 'v8', V: 'u64' },
  { part: 'v12', V: 'Str' },
];
/** A string value comes as (vq, vn), its query area and length; it is prepared before the key (strings.ts: an inline key's field is in globals that preparing another string overwrites). */
const STR_VALUE = { params: 'vq: usize, vn: u32', pre: 'let v = strValue(vq, vn); ' };

/** get: by the value's storage. */
const GET = [
  { abi: 'i32', ret: 'f64', body: (k) => `getI32<${k.K}>($T, $X)` },
  { abi: 'u32', ret: 'f64', body: (k) => `getU32<${k.K}>($T, $X)` },
  { abi: 'f64', ret: 'f64', body: (k) => `getF64<${k.K}>($T, $X)` },
  { abi: 'i64', ret: 'i64', body: (k) => `<i64>getBits<${k.K}, u64>($T, $X)` },
  { abi: 'any', ret: 'i32', body: (k) => `getAny<${k.K}>($T, $X)` },
  { abi: 'str', ret: 'usize', body: (k) => `getStr<${k.K}>($T, $X)` },
];
/** set: by the value's bits (int32 and uint32 share them). */
const SET = [
  { abi: 'i32', params: 'v: i32', body: (k) => `setBits<${k.K}, u32>($T, $X, <u32>v)` },
  { abi: 'f64', params: 'v: f64', body: (k) => `setBits<${k.K}, u64>($T, $X, reinterpret<u64>(v))` },
  { abi: 'i64', params: 'v: i64', body: (k) => `setBits<${k.K}, u64>($T, $X, <u64>v)` },
  { abi: 'any', params: 'cand: i32', body: (k) => `setAny<${k.K}>($T, $X, cand)` },
  { abi: 'str', params: STR_VALUE.params, pre: STR_VALUE.pre, body: (k) => `setStr<${k.K}>($T, $X, v)` },
];
/** add: by the value's arithmetic ($H: the key's hash). */
const ADD = [
  { abi: 'i32', params: 'd: f64', ret: 'f64', body: (k) => `add32<${k.K}>($T, $X, $H, d, true)` },
  { abi: 'u32', params: 'd: f64', ret: 'f64', body: (k) => `add32<${k.K}>($T, $X, $H, d, false)` },
  { abi: 'f64', params: 'd: f64', ret: 'f64', body: (k) => `addF64<${k.K}>($T, $X, $H, d)` },
  { abi: 'i64', params: 'd: i64', ret: 'i64', body: (k) => `add64<${k.K}>($T, $X, $H, d, true, false)` },
  { abi: 'u64', params: 'd: i64, negative: bool', ret: 'i64', body: (k) => `add64<${k.K}>($T, $X, $H, d, false, negative)` },
];
/** getOrSet: by the value's arithmetic; the value as stored comes back (a string's field address). */
const GOS = [
  { abi: 'i32', params: 'v: i32', ret: 'f64', body: (k) => `<f64><i32>getOrSetBits<${k.K}, u32>($T, $X, $H, <u32>v)` },
  { abi: 'u32', params: 'v: i32', ret: 'f64', body: (k) => `<f64>getOrSetBits<${k.K}, u32>($T, $X, $H, <u32>v)` },
  { abi: 'f64', params: 'v: f64', ret: 'f64', body: (k) => `reinterpret<f64>(getOrSetBits<${k.K}, u64>($T, $X, $H, reinterpret<u64>(v)))` },
  { abi: 'i64', params: 'v: i64', ret: 'i64', body: (k) => `<i64>getOrSetBits<${k.K}, u64>($T, $X, $H, <u64>v)` },
  { abi: 'str', params: STR_VALUE.params, pre: STR_VALUE.pre, ret: 'usize', body: (k) => `getOrSetStr<${k.K}>($T, $X, $H, v)` },
];
/** The shared build's one-call operations of number kinds: their value kinds, by arithmetic (0 int32, 1 uint32, 2 float64). */
const NUMBER_VALUES = [
  { abi: 'i32', kind: 0 },
  { abi: 'u32', kind: 1 },
  { abi: 'f64', kind: 2 },
];
const NUMBER_KEYS = KEYS.filter((k) => k.abi === 'i32' || k.abi === 'f64');

const lines = [];
/** One export: name, parameters after h, return type, statements before the result, the result expression ($T: the key's table, $X: the key bits, $H: their hash). */
function fn(name, params, ret, pre, expr, k) {
  const e = expr.replaceAll('$T', `tbl<${k.K}>(h, ${k.x})`).replaceAll('$H', `hashKey<${k.K}>(h, ${k.x})`).replaceAll('$X', k.x);
  lines.push(`export function ${name}(h: usize, ${params}): ${ret} { ${pre}${ret === 'void' ? '' : 'return '}${e}; }`);
}

for (const k of KEYS) {
  lines.push('', `// ${k.abi} keys`);
  // The table of a key (shared build): a string key's field is prepared only there.
  const key = k.abi === 'str' ? 'strKey(h, q, n)' : k.x;
  fn(`table_${k.abi}`, k.params, 'u32', '', `ASC_FEATURE_THREADS ? tableOf<${k.K}>(h, ${key}) : 0`, k);
  for (const g of GET) fn(`get_${k.abi}_${g.abi}`, k.params, g.ret, k.pre, g.body(k), k);
  for (const s of SET) fn(`set_${k.abi}_${s.abi}`, `${k.params}, ${s.params}`, 'i32', (s.pre ?? '') + k.pre, s.body(k), k);
  for (const z of SIZES) {
    fn(`has_${k.abi}_${z.part}`, k.params, 'bool', k.pre, `findPair<${k.K}, ${z.V}>($T, $X) != 0`, k);
    fn(`del_${k.abi}_${z.part}`, k.params, 'bool', k.pre, `removePair<${k.K}, ${z.V}>($T, $X)`, k);
  }
  fn(`delany_${k.abi}`, k.params, 'i32', k.pre, `delAny<${k.K}>($T, $X)`, k);
  for (const a of ADD) fn(`add_${k.abi}_${a.abi}`, `${k.params}, ${a.params}`, a.ret, k.pre, a.body(k), k);
  for (const g of GOS) fn(`gos_${k.abi}_${g.abi}`, `${k.params}, ${g.params}`, g.ret, (g.pre ?? '') + k.pre, g.body(k), k);
}

lines.push('', '// shared maps of number kinds: a validated get, one-call locked writes');
for (const k of NUMBER_KEYS) {
  for (const v of NUMBER_VALUES) fn(`sget_${k.abi}_${v.abi}`, k.params, 'f64', k.pre, `sget<${k.K}>(h, $X, ${v.kind})`, k);
  for (const [abi, params, V, bits] of [
    ['i32', 'v: i32', 'u32', '<u32>v'],
    ['f64', 'v: f64', 'u64', 'reinterpret<u64>(v)'],
  ]) {
    fn(`wset_${k.abi}_${abi}`, `${k.params}, ${params}`, 'i32', k.pre, `wsetBits<${k.K}, ${V}>(h, $X, ${bits})`, k);
  }
  for (const z of SIZES.slice(0, 2)) fn(`wdel_${k.abi}_${z.part}`, k.params, 'i32', k.pre, `wdelBits<${k.K}, ${z.V}>(h, $X)`, k);
  for (const v of NUMBER_VALUES) fn(`wadd_${k.abi}_${v.abi}`, `${k.params}, d: f64`, 'f64', k.pre, `waddBits<${k.K}>(h, $X, d, ${v.kind})`, k);
}
const STR_KEY = KEYS.find((k) => k.abi === 'str');
for (const v of NUMBER_VALUES) fn(`wadd_str_${v.abi}`, `${STR_KEY.params}, d: f64`, 'f64', STR_KEY.pre, `waddBits<Str>(h, $X, d, ${v.kind})`, STR_KEY);

lines.push('', '// iteration: by key size and value size');
const BY_SIZE = KEYS.filter((k) => k.abi !== 'i64'); // one per key size: 4, 8, 12
const pairsBySize = BY_SIZE.flatMap((k) => SIZES.map((z) => ({ k, z })));
for (const { k, z } of pairsBySize) lines.push(`export function iter_next_k${k.size}_${z.part}(it: usize, max: u32): u32 { return iterNext<${k.K}, ${z.V}>(it, max); }`);
for (const { k, z } of pairsBySize) {
  lines.push(`export function iter_small_k${k.size}_${z.part}(h: usize, cur: usize, k: usize, v: usize, max: u32): i32 { return iterSmall<${k.K}, ${z.V}>(h, cur, k, v, max); }`);
}
for (const { k, z } of pairsBySize.filter((p) => p.k.abi !== 'str' && p.z.part !== 'v12')) {
  lines.push(`export function iter_fill_k${k.size}_${z.part}(cur: usize, k: usize, v: usize, max: u32): u32 { return iterFill<${k.K}, ${z.V}>(cur, k, v, max); }`);
}

lines.push('', '// batches over arrays in memory: numeric keys (their array element type, their bits), 4- or 8-byte values');
for (const [op, sig, ret, call] of [
  ['batchget', 'h: usize, k: usize, out: usize, n: u32, missing: i64', 'void', (t) => `batchGet<${t}>(h, k, out, n, <u64>missing)`],
  ['batchhas', 'h: usize, k: usize, out: usize, n: u32', 'void', (t) => `batchHas<${t}>(h, k, out, n)`],
  ['batchdel', 'h: usize, k: usize, n: u32', 'u32', (t) => `batchDelete<${t}>(h, k, n)`],
  ['batchset', 'h: usize, k: usize, v: usize, n: u32, f: usize, o: usize', 'i32', (t) => `batchSet<${t}>(h, k, v, n, f, o)`],
  ['batchundo', 'h: usize, k: usize, n: u32, f: usize, o: usize', 'void', (t) => `batchUndo<${t}>(h, k, n, f, o)`],
]) {
  for (const k of KEYS.filter((x) => x.batch !== null)) {
    for (const z of SIZES.slice(0, 2)) lines.push(`export function ${op}_${k.abi}_${z.part}(${sig}): ${ret} { ${ret === 'void' ? '' : 'return '}${call(`${k.batch[0]}, ${k.batch[1]}, ${z.V}`)}; }`);
  }
}

const header = `// Generated by assembly/per-kind.mjs (npm run build:wasm): do not edit. The core's exports per pair of
// kinds, each one line over a generic operation; assembly/index.ts re-exports them.

import { findPair, removePair } from "./map";
import { iterNext, iterFill, iterSmall } from "./iter";
import { f64key, batchGet, batchHas, batchDelete, batchSet, batchUndo } from "./batch";
import { tbl, tableOf } from "./tables";
import { add32, addF64, add64, getOrSetBits, getOrSetStr } from "./update";
import { Str, hashKey } from "./strings";
import { getBits, getF64, setBits, setAny, getI32, getU32, getAny, delAny, strKey, getStr, strValue, setStr, sget, wsetBits, wdelBits, waddBits } from "./ops";
`;
writeFileSync(new URL('./per-kind.ts', import.meta.url), header + lines.join('\n') + '\n');

// The bindings' half: every pair of kinds' names, checked against the exports just written.
const written = new Set(lines.filter((l) => l.startsWith('export')).map((l) => l.match(/^export function (\w+)/)[1]));
// Indexed by key kind * KINDS.length + value kind over every kind, so that a kind that cannot be a
// key ('any') may stand anywhere in KINDS: its rows are null.
const exportsOf = KINDS.flatMap((k) => KINDS.map((v) => (k.key === null ? null : pairNames(k, v))));
const named = new Set(exportsOf.flatMap((n) => (n === null ? [] : Object.values(n))).filter((x) => x !== null));
const unwritten = [...named].filter((n) => !written.has(n));
const unnamed = [...written].filter((n) => !named.has(n));
if (unwritten.length > 0 || unnamed.length > 0) throw new Error(`per-kind.mjs: names without an export: ${unwritten.join(', ') || 'none'}; exports without a name: ${unnamed.join(', ') || 'none'}`);
mkdirSync(new URL('../build/', import.meta.url), { recursive: true });
const kinds = KINDS.map((k) => ({ name: k.name, size: k.size }));
writeFileSync(new URL('../build/per-kind.json', import.meta.url), JSON.stringify({ kinds, exports: exportsOf }) + '\n');
console.log(`per-kind.mjs: ${lines.filter((l) => l.startsWith('export')).length} exports in assembly/per-kind.ts`);
