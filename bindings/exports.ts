// The names of the core's exports per pair of kinds: generated with the exports themselves by
// assembly/per-kind.mjs from its one table of kinds, and shipped in build/wasm.js (EXPORTS, typed by
// build/wasm.d.ts). The bindings spell no export name of a kind pair anywhere else; the build fails
// when a name has no export or an export no name, and tests/exports.test.ts checks both builds.
import { KINDS, EXPORTS, type ExportNames } from '../build/wasm.js';

export type { ExportNames };

/** The core's export in each family for key kind kk and value kind vk (null where the family has none). */
export function exportNames(kk: number, vk: number): ExportNames {
  const n = EXPORTS[kk * KINDS.length + vk];
  if (n === null) throw new Error(`tophash: kind ${KINDS[kk].name} cannot be a key`);
  return n;
}

/** Every export name the bindings may ask for, over every pair of kinds. */
export function allExportNames(): Set<string> {
  return new Set(EXPORTS.flatMap((n) => (n === null ? [] : Object.values(n))).filter((x): x is string => x !== null));
}
