// The import structure: the core's files are layers, each importing only the layers before it in the
// order docs/design.md's layer table lists them, and neither assembly/ nor bindings/ has an import
// cycle (issue 22). A new import that goes upward, or a file the table does not place, fails here.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';

const dir = (d: string) => new URL(`../${d}/`, import.meta.url);
const source = (d: string, f: string) => readFileSync(new URL(f, dir(d)), 'utf8');

/** The local modules a file imports (import and export ... from, type-only ones included), by file name. */
function importsOf(d: string, f: string): string[] {
  const found = [...source(d, f).matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+["']\.\/([\w.-]+?)(?:\.js)?["']/gms)].map((m) => `${m[1]}.ts`);
  return [...new Set(found)].filter((g) => g !== f);
}

/** A cycle among the files of a folder, as a path, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done') return null;
    if (state.get(f) === 'open') return [...path.slice(path.indexOf(f)), f];
    state.set(f, 'open');
    path.push(f);
    for (const g of graph.get(f) ?? []) {
      const c = visit(g);
      if (c) return c;
    }
    path.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) {
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

function graphOf(d: string): Map<string, string[]> {
  const files = readdirSync(dir(d)).filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'));
  return new Map(files.map((f) => [f, importsOf(d, f).filter((g) => files.includes(g))]));
}

describe('imports', () => {
  for (const d of ['assembly', 'bindings']) {
    it(`${d}/ has no import cycle`, () => {
      const graph = graphOf(d);
      expect(graph.size).toBeGreaterThan(5);
      expect(findCycle(graph)).toBeNull();
    });
  }

  it("each file of assembly/ imports only the layers listed before it in docs/design.md's layer table", () => {
    const design = readFileSync(new URL('../docs/design.md', import.meta.url), 'utf8');
    const row = design.split('\n').find((line) => line.startsWith('| raw table |'))!;
    const order = [...row.matchAll(/`([\w-]+\.ts)`/g)].map((m) => m[1]);
    const graph = graphOf('assembly');
    expect([...order].sort()).toEqual([...graph.keys()].sort());
    for (const [f, deps] of graph) {
      const upward = deps.filter((g) => order.indexOf(g) > order.indexOf(f));
      expect(upward, `${f} imports layers listed after it`).toEqual([]);
    }
  });

  it('the cycle finder finds a cycle', () => {
    expect(
      findCycle(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', ['a.ts']],
        ]),
      ),
    ).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  });
});
