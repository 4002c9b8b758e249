// The fenced shared build (assembly/fences.mjs), which every CPU but x86 runs: a full fence where a
// weakly ordered CPU needs one (docs/design.md, "Memory order"). This machine is x86, so the build is
// taken here by TOPHASH_FENCES=1, set before the package loads (each test file runs in a process of
// its own; worker threads inherit the environment). The same promises must hold with it: live threads
// lose nothing, a dead writer's write is undone.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

process.env.TOPHASH_FENCES = '1';
const { HashMap } = await import('../bindings/index.js');
const { sharedBuildFile } = await import('../bindings/shared.js');
const { holdLockAndDie } = await import('./helpers.js');

describe('the fenced shared build', () => {
  it('is the one taken, and differs from the x86 build only by its fences', () => {
    expect(sharedBuildFile).toBe('tophash-shared-fenced.wasm');
    const bytes = (f: string) => readFileSync(new URL(`../build/${f}`, import.meta.url));
    const [plain, fenced] = ['tophash-shared.wasm', 'tophash-shared-fenced.wasm'].map((f) => new WebAssembly.Module(bytes(f)));
    // Neither imports the marker the fences replace; both have the same interface.
    for (const m of [plain, fenced])
      expect(
        WebAssembly.Module.imports(m)
          .map((i) => `${i.module}.${i.name}`)
          .sort(),
      ).toEqual(['env.memory', 'env.now']);
    expect(WebAssembly.Module.exports(fenced)).toEqual(WebAssembly.Module.exports(plain));
    // atomic.fence is encoded as fe 03 00: a few dozen of them (each marker call was a nop in the other).
    const count = (b: Buffer) => {
      let n = 0;
      for (let i = b.indexOf('fe0300', 0, 'hex'); i >= 0; i = b.indexOf('fe0300', i + 1, 'hex')) n++;
      return n;
    };
    expect(count(bytes('tophash-shared-fenced.wasm')) - count(bytes('tophash-shared.wasm'))).toBeGreaterThanOrEqual(10);
  });

  it('three workers add to 16 counters for a second with lockTimeout 5 ms: every completed add is there', { timeout: 60_000 }, async () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, lockTimeout: 5 });
    try {
      const results = await Promise.all(
        [0, 1, 2].map(
          (i) =>
            new Promise<{ adds: number[]; own: [number, number][] }>((resolve, reject) => {
              const w = new Worker(new URL('./workers/contender.mjs', import.meta.url), { workerData: { handle: m.handle, ms: 1000, ownBase: 1000 + i * 500, ownKeys: 500 } });
              w.on('message', (msg: { type: string; result: { adds: number[]; own: [number, number][] }; message?: string }) => (msg.type === 'done' ? resolve(msg.result) : reject(new Error(msg.message))));
              w.on('error', reject);
            }),
        ),
      );
      for (let c = 0; c < 16; c++) expect(m.get(c) ?? 0).toBe(results.reduce((a, r) => a + r.adds[c], 0));
      for (const r of results) for (const [k, v] of r.own) if (m.get(k) !== v) expect(m.get(k)).toBe(v);
    } finally {
      m.dispose();
    }
  });

  it('a writer that died holding a table: the next write undoes it and goes on', async () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, lockTimeout: 100 });
    try {
      for (let i = 0; i < 1000; i++) m.set(i, i);
      for (let t = 0; t < 16; t += 5) await holdLockAndDie(m.handle, t);
      await holdLockAndDie(m.handle, 'root');
      for (let i = 0; i < 1000; i++) m.set(i, -i);
      expect(m.size).toBe(1000);
      for (let i = 0; i < 1000; i++) if (m.get(i) !== -i) expect(m.get(i)).toBe(-i);
    } finally {
      m.dispose();
    }
  });
});
