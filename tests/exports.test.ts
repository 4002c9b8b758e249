// The names of the core's exports come from one table of kinds (assembly/per-kind.mjs), which writes
// both the exports and the names the bindings look up (build/wasm.js EXPORTS: bindings/exports.ts).
// Both builds must export exactly the functions that table can ask for, among the per-kind families:
// a new family, a renamed export or a kind pair left out fails here, when the package is built and
// tested, not at run time in a user's program. (The other exports, the lifecycle and scratch functions, are typed in
// bindings/load.ts and checked by the type checker.)
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { allExportNames } from '../bindings/exports.js';
import { KIND_NAMES, KIND_SIZE, INT32, UINT32, FLOAT64, BIGINT64, BIGUINT64, STRING, ANY } from '../bindings/kinds.js';
import { core } from '../bindings/load.js';
import { homeCore } from '../bindings/shared.js';

/** The per-kind export families of assembly/index.ts. */
const FAMILY = /^(get|set|has|del|delany|add|gos|sget|wset|wdel|wadd|table|iter_next|iter_fill|iter_small|batchget|batchhas|batchdel|batchset|batchundo)_/;

function familyExports(exports: object): Set<string> {
  return new Set(
    Object.entries(exports)
      .filter(([name, v]) => typeof v === 'function' && FAMILY.test(name))
      .map(([name]) => name),
  );
}

describe('export names', () => {
  const asked = allExportNames();
  for (const [build, exports] of [
    ['private', core.x],
    ['shared', homeCore().core.x],
  ] as const) {
    it(`the ${build} build exports every name the bindings ask for, and no other of those families`, () => {
      const have = familyExports(exports);
      const missing = [...asked].filter((n) => !have.has(n));
      const unused = [...have].filter((n) => !asked.has(n));
      expect(missing, `asked for, not exported (${build})`).toEqual([]);
      expect(unused, `exported, never asked for (${build})`).toEqual([]);
      expect(asked.size).toBeGreaterThan(100);
    });
  }
});

describe('the table of kinds', () => {
  it("names the kinds in the order of bindings/kinds.ts's codes, with their slot sizes", () => {
    const codes = { int32: INT32, uint32: UINT32, float64: FLOAT64, bigint64: BIGINT64, biguint64: BIGUINT64, string: STRING, any: ANY };
    expect(KIND_NAMES.map((k) => codes[k])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(KIND_SIZE).toEqual([4, 4, 8, 8, 8, 12, 4]);
  });
});

describe("the README's export list", () => {
  it('names every export of the shipped declarations (bindings/public.d.ts), values and types, and nothing else', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const paragraph = readme.match(/^Exported: [\s\S]*?(?=\n\n)/m);
    expect(paragraph, 'a paragraph starting "Exported: "').not.toBeNull();
    const listed = [...new Set([...paragraph![0].matchAll(/`(\w+)`/g)].map((m) => m[1]))].sort();
    const dts = readFileSync(new URL('../bindings/public.d.ts', import.meta.url), 'utf8');
    const exported = [...new Set([...dts.matchAll(/^export (?:declare )?(?:type|interface|const|class) (\w+)/gm)].map((m) => m[1]))].sort();
    expect(listed).toEqual(exported);
  });
});

describe('docs/design.md against the code', () => {
  const design = readFileSync(new URL('../docs/design.md', import.meta.url), 'utf8');
  const sources = (dir: string, ext: RegExp) => readdirSync(new URL(`../${dir}/`, import.meta.url)).filter((f) => ext.test(f));

  it('the layer table names every module of assembly/ and bindings/', () => {
    const table = design.split('\n').filter((line) => /^\| (raw table|typed API) \|/.test(line));
    expect(table.length).toBe(2);
    const [raw, typed] = table;
    const named = (row: string, dir: string, f: string) => new RegExp(`\`(${dir}/)?${f.replace(/\./g, '\\.')}\``).test(row);
    for (const f of sources('assembly', /\.ts$/)) expect(named(raw, 'assembly', f), `assembly/${f}`).toBe(true);
    for (const f of sources('bindings', /\.ts$/)) expect(named(typed, 'bindings', f), `bindings/${f}`).toBe(true);
  });

  it("the globals table names exactly the core's mutable globals, with their files", () => {
    const inCode = new Map<string, string>();
    for (const f of sources('assembly', /\.ts$/)) {
      const text = readFileSync(new URL(`../assembly/${f}`, import.meta.url), 'utf8');
      for (const m of text.matchAll(/^(?:export )?let (\w+)/gm)) inCode.set(m[1], f);
    }
    const inDesign = new Map<string, string>();
    for (const line of design.split('\n')) {
      const m = line.match(/^\| ((?:`\w+`(?:, )?)+) \| `(\w+\.ts)` \|/);
      if (m) for (const g of m[1].matchAll(/`(\w+)`/g)) inDesign.set(g[1], m[2]);
    }
    expect(Object.fromEntries([...inDesign].sort())).toEqual(Object.fromEntries([...inCode].sort()));
    expect(design).toContain(`The core has ${inCode.size} mutable globals`);
  });
});
