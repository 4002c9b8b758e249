// The names of the core's exports come from one table (bindings/exports.ts). Both builds must export
// exactly the functions that table can ask for, among the per-kind families: a new family, a renamed
// export or a kind pair left out fails here, when the package is built and tested, not at run time
// in a user's program. (The other exports, the lifecycle and scratch functions, are typed in
// bindings/load.ts and checked by the type checker.)
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { allExportNames } from '../bindings/exports.js';
import { core } from '../bindings/load.js';
import { homeCore } from '../bindings/shared.js';

/** The per-kind export families of assembly/index.ts. */
const FAMILY = /^(get|set|has|del|delany|add|gos|sget|wset|wdel|wadd|table|iter_next|batchget|batchhas|batchdel|batchset|batchundo)_/;

function familyExports(exports: object): Set<string> {
  return new Set(Object.entries(exports).filter(([name, v]) => typeof v === 'function' && FAMILY.test(name)).map(([name]) => name));
}

describe('export names', () => {
  const asked = allExportNames();
  for (const [build, exports] of [['private', core.x], ['shared', homeCore().core.x]] as const) {
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
