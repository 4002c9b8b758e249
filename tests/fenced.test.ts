// The fenced shared build (assembly/fences.mjs), which every CPU but x86 runs: a full fence where a
// weakly ordered CPU needs one (docs/design.md, "Memory order"). This machine is x86, so the build is
// taken here by TOPHASH_FENCES=1, set before the package loads (each test file runs in a process of
// its own; worker threads inherit the environment). The same promises must hold with it: live threads
// lose nothing, a dead writer's write is undone.
import { describe, it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';

process.env.TOPHASH_FENCES = '1';
const { HashMap } = await import('../bindings/index.js');
const { sharedBuildFenced, homeCore } = await import('../bindings/shared.js');
const { compileShared, buildBytes } = await import('../bindings/load.js');
const { SHARED_BUILD, FENCE_SITES } = await import('../build/wasm.js');
const { holdLockAndDie } = await import('./helpers.js');

describe('the fenced shared build', () => {
  it('is the one taken, and differs from the x86 build only by its fences', () => {
    expect(sharedBuildFenced()).toBe(true);
    // The JS side's validated reads fence too (string keys, iteration, whole-map reads).
    const c = homeCore().core;
    expect(c.readFence).toBe(c.x.read_fence);
    const [plain, fenced] = [compileShared(true), compileShared(false)];
    // Neither imports the marker the fences replace; both have the same interface.
    for (const m of [plain, fenced])
      expect(
        WebAssembly.Module.imports(m)
          .map((i) => `${i.module}.${i.name}`)
          .sort(),
      ).toEqual(['env.memory', 'env.now']);
    expect(WebAssembly.Module.exports(fenced)).toEqual(WebAssembly.Module.exports(plain));
    // atomic.fence is encoded as fe 03 00: a few dozen of them, each where the x86 build has three nops.
    expect(FENCE_SITES.length).toBeGreaterThanOrEqual(10);
    const bytes = buildBytes(SHARED_BUILD);
    for (const at of FENCE_SITES) expect([...bytes.subarray(at, at + 3)]).toEqual([0xfe, 0x03, 0x00]);
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
