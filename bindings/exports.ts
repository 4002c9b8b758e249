// The names of the core's exports, from one table of kinds: the only place the bindings spell them.
//
// The core's exports are specialised per storage type (assembly/index.ts): <op>_<key>_<value>, where
// the key part is the key kind's storage (KEY_ABI) and the value part the value kind's, by what the
// operation needs of it (its storage for get, the bits for set, its size for has and delete, its
// arithmetic for add). Every name the bindings may ask for, for every pair of kinds, is listed by
// allExportNames(); tests/exports.test.ts checks that both builds export exactly those functions, so
// that a new family of exports cannot drift from the names asked for.

import { FLOAT64, BIGUINT64, STRING, ANY, KIND_NAMES, KIND_SIZE, KEY_ABI, GET_ABI, SET_ABI } from './kinds.js';

/** Value part of the add and getOrSet exports: the kinds' own arithmetic. */
const UPDATE_ABI: readonly string[] = ['i32', 'u32', 'f64', 'i64', 'u64', 'str', 'any'];

/** The value-size part of has, delete, iteration steps and batches: v4, v8 or v12. */
const sizePart = (vk: number): string => `v${KIND_SIZE[vk]}`;

/** The single-key operations of a pair of kinds; add is null for 'any' and 'string' values, getOrSet for 'any' (set keeps a present index). */
export function opNames(kk: number, vk: number): { get: string; set: string; has: string; del: string; add: string | null; gos: string | null } {
  const ka = KEY_ABI[kk];
  return {
    get: `get_${ka}_${GET_ABI[vk]}`,
    set: `set_${ka}_${SET_ABI[vk]}`,
    has: `has_${ka}_${sizePart(vk)}`,
    del: vk === ANY ? `delany_${ka}` : `del_${ka}_${sizePart(vk)}`,
    add: vk === ANY || vk === STRING ? null : `add_${ka}_${UPDATE_ABI[vk]}`,
    gos: vk === ANY ? null : `gos_${ka}_${vk === BIGUINT64 ? 'i64' : UPDATE_ABI[vk]}`,
  };
}

/** Whether a kind is a number kind (int32, uint32, float64): the shared build's one-call paths exist for those. */
const isNumberKind = (k: number): boolean => k <= FLOAT64;

/** The shared build's validated get and locked writes of a pair of number kinds; null for other kinds. */
export function sharedOpNames(kk: number, vk: number): { sget: string; wset: string; wdel: string; wadd: string } | null {
  if (!isNumberKind(kk) || !isNumberKind(vk)) return null;
  const ka = KEY_ABI[kk];
  return { sget: `sget_${ka}_${GET_ABI[vk]}`, wset: `wset_${ka}_${SET_ABI[vk]}`, wdel: `wdel_${ka}_${sizePart(vk)}`, wadd: `wadd_${ka}_${UPDATE_ABI[vk]}` };
}

/** The shared build's lookup of the table that holds a key, by key kind: the lock a write the JS side locks takes. */
export function tableName(kk: number): string {
  return `table_${KEY_ABI[kk]}`;
}

/** The dump step (toArrays) of a pair of numeric kinds: by key size and value size. */
export function fillName(kk: number, vk: number): string {
  return `iter_fill_k${KIND_SIZE[kk]}_v${KIND_SIZE[vk]}`;
}

/** The shared build's locked add of string keys and number values (one call, as wadd of number kinds); null for other kinds. */
export function sharedStrAddName(kk: number, vk: number): string | null {
  return kk === STRING && isNumberKind(vk) ? `wadd_str_${UPDATE_ABI[vk]}` : null;
}

/** The iteration step of a pair of kinds: by key size and value size. */
export function stepName(kk: number, vk: number): string {
  return `iter_next_k${KIND_SIZE[kk]}_${sizePart(vk)}`;
}

/** The whole iteration of a small private map in one call (assembly/iter.ts iterSmall): by key size and value size. */
export function smallName(kk: number, vk: number): string {
  return `iter_small_k${KIND_SIZE[kk]}_${sizePart(vk)}`;
}

/** The batch operations of a pair of kinds (numeric keys, 4- or 8-byte values); null for string keys or values. */
export function batchNames(kk: number, vk: number): { get: string; has: string; del: string; set: string; undo: string } | null {
  if (kk === STRING || vk === STRING) return null;
  const tag = `${KEY_ABI[kk]}_${KIND_SIZE[vk] === 4 ? 'v4' : 'v8'}`;
  return { get: `batchget_${tag}`, has: `batchhas_${tag}`, del: `batchdel_${tag}`, set: `batchset_${tag}`, undo: `batchundo_${tag}` };
}

/** Every export name the bindings may ask for, over every pair of kinds. */
export function allExportNames(): Set<string> {
  const names = new Set<string>();
  const add = (xs: Record<string, string | null> | null) => {
    for (const x of Object.values(xs ?? {})) if (x !== null) names.add(x);
  };
  for (let kk = 0; kk < ANY; kk++) {
    names.add(tableName(kk));
    for (let vk = 0; vk < KIND_NAMES.length; vk++) {
      add(opNames(kk, vk));
      add(sharedOpNames(kk, vk));
      const strAdd = sharedStrAddName(kk, vk);
      if (strAdd !== null) names.add(strAdd);
      add(batchNames(kk, vk));
      if (kk !== STRING && vk !== STRING && vk !== ANY) names.add(fillName(kk, vk));
      names.add(stepName(kk, vk));
      names.add(smallName(kk, vk));
    }
  }
  return names;
}
