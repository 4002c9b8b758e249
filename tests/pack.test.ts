// The published package (issue 6): `npm pack` makes a tarball of only what a user needs, and that
// tarball, installed offline into a fresh temporary project, works for a Node ES module (with a
// worker thread on a shared map), runs the README's worker_threads example as it is, type-checks in a strict TypeScript project, and makes a browser
// bundle with esbuild that finds its wasm files where the README says to copy them.
// The helpers are in tests/pack/pack.ts; the files copied into the project in tests/pack/fixtures/.
// Needs a build (`npm test` builds first). TOPHASH_KEEP_PACK=1 keeps the temporary project.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readmeFile } from './readme-code.js';
import { REPO, packAndInstall, bundleForBrowser, runBundleInNode, typeCheckConsumer, copyFixture, run, type Installed } from './pack/pack.js';

const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
/** The README example takes well under a second; a lost message would make it wait forever. */
const README_WAIT_MS = 10_000;

describe('the published package', () => {
  let inst: Installed;

  beforeAll(async () => {
    inst = await packAndInstall();
  }, 60_000);

  afterAll(async () => {
    if (inst === undefined) return;
    if (process.env.TOPHASH_KEEP_PACK) console.log(`tests/pack: kept ${inst.dir}`);
    else await inst.cleanup();
  });

  it('the tarball holds the compiled JS, its types, both wasm files, README, LICENSE and package.json, and nothing else', async () => {
    const distJs = (await readdir(join(REPO, 'dist'), { recursive: true })).map((f) => f.split('\\').join('/')).filter((f) => f.endsWith('.js')).sort();
    expect(distJs).toContain('index.js');
    const expected = [
      'LICENSE',
      'README.md',
      'build/tophash-shared.wasm',
      'build/tophash.wasm',
      ...distJs.flatMap((f) => [`dist/${f}`, `dist/${f.slice(0, -3)}.d.ts`]),
      'package.json',
    ].sort();
    expect(inst.files).toEqual(expected);

    const license = await readFile(join(inst.packageDir, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain('Copyright (c) 2026 tophash authors');
    const pkg = JSON.parse(await readFile(join(inst.packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    for (const f of ['build/tophash.wasm', 'build/tophash-shared.wasm']) {
      expect(await readFile(join(inst.packageDir, f))).toEqual(await readFile(join(REPO, f)));
    }

    // Sizes, for the README and the issue.
    const gz = async (f: string) => gzipSync(await readFile(join(inst.packageDir, f)), { level: 9 }).length;
    const js = await Promise.all(distJs.map((f) => readFile(join(inst.packageDir, 'dist', f))));
    console.log(
      [
        `tarball ${inst.tarball.split(/[\\/]/).pop()}: ${kB(inst.tarballBytes)}, ${inst.files.length} files`,
        `gzip -9: build/tophash.wasm ${kB(await gz('build/tophash.wasm'))}, build/tophash-shared.wasm ${kB(await gz('build/tophash-shared.wasm'))}, ` +
          `dist/*.js ${kB(gzipSync(Buffer.concat(js), { level: 9 }).length)} (${kB(js.reduce((n, b) => n + b.length, 0))} raw)`,
      ].join('\n'),
    );
  });

  it('a Node ES module imports it by name and uses it, with a worker_threads worker adding to a shared map', async () => {
    await copyFixture('node-check.mjs', inst.dir);
    await copyFixture('node-worker.mjs', inst.dir);
    const { stdout } = await run(process.execPath, ['node-check.mjs'], inst.dir);
    const r = JSON.parse(stdout.trim()) as { ok: boolean; resolved: string; sharedTotal: number };
    expect(r.ok).toBe(true);
    expect(r.resolved).toBe(join(inst.packageDir, 'dist', 'index.js'));
    expect(r.sharedTotal).toBe(100_000);
  });

  it("the README's worker_threads example (main.mjs, worker.mjs), as it is, runs with the installed package", async () => {
    for (const f of ['main.mjs', 'worker.mjs']) await writeFile(join(inst.dir, f), readmeFile(f));
    const { stdout } = await run(process.execPath, ['main.mjs'], inst.dir, README_WAIT_MS);
    expect(stdout).toBe('2000\n');
  });

  it('a TypeScript file using the API type-checks against the shipped types, strict', async () => {
    await Promise.all([
      // A Node project; the shipped types themselves are checked too (no skipLibCheck). They need
      // the WebAssembly namespace (lib DOM, or @types/node) and Symbol.dispose (ESNext.Disposable).
      typeCheckConsumer(inst, 'node', {
        strict: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'ESNext.Disposable', 'DOM'],
        types: [],
        skipLibCheck: false,
      }),
      // A bundler project with the default libraries of its target and skipLibCheck, as `tsc --init` makes.
      typeCheckConsumer(inst, 'bundler', {
        strict: true,
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        types: [],
        skipLibCheck: true,
      }),
    ]);
  });

  it('an esbuild browser bundle, made and laid out as the README says, loads both wasm files and works', async () => {
    const b = await bundleForBrowser(join(inst.dir, 'public'), inst);
    expect(b.wasm.map((f) => f.split(/[\\/]/).pop())).toEqual(['tophash-shared.wasm', 'tophash.wasm']);
    const app = await readFile(b.app, 'utf8');
    // The package's browser field replaced the loader's Node-only import with an empty module.
    expect(app).not.toMatch(/import\(\s*["']node:/);
    expect(app).toContain('import.meta.url');

    const { result, requests } = await runBundleInNode(b.dir);
    expect(result.ok).toBe(true);
    expect(result.private.tag).toBe('[object HashMap]');
    expect(result.sharedLocal).toEqual({ ok: true }); // not skipped: Node has SharedArrayBuffer
    expect(result.errorClass).toBe('LockTimeoutError');
    // The wasm files came from build/ beside assets/, over HTTP, as application/wasm.
    const served = requests.map((r) => `${r.status} ${r.path} ${r.type}`);
    expect(served).toEqual(
      expect.arrayContaining([
        '200 /assets/app.js text/javascript; charset=utf-8',
        '200 /build/tophash.wasm application/wasm',
        '200 /build/tophash-shared.wasm application/wasm',
      ]),
    );
    expect(requests.filter((r) => r.status !== 200)).toEqual([]);
  });
});
