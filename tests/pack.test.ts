// The published package (issues 6 and 14): `npm pack` makes a tarball of only what a user needs, and
// that tarball, installed offline into a fresh temporary project, works for a Node ES module (with a
// worker thread on a shared map), runs the README's worker_threads example as it is, type-checks in
// strict TypeScript projects under each set of libraries the README names (with the README's
// TypeScript examples, which then run), and makes a browser bundle by the README's esbuild recipe,
// run as written, that finds its wasm files where the README says to copy them.
// The helpers are in tests/pack/pack.ts; the files copied into the project in tests/pack/fixtures/.
// Needs a build (`npm test` builds first). TOPHASH_KEEP_PACK=1 keeps the temporary project.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readmeFile, readmeBlocks } from './readme-code.js';
import { REPO, NODE_TYPE_ROOTS, packAndInstall, bundleForBrowser, runBundleInNode, typeCheck, copyFixture, run, type Installed } from './pack/pack.js';

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

  it('the tarball holds the compiled JS, its one declaration file, the three wasm files, README, LICENSE and package.json, and nothing else', async () => {
    const distJs = (await readdir(join(REPO, 'dist'), { recursive: true }))
      .map((f) => f.split('\\').join('/'))
      .filter((f) => f.endsWith('.js'))
      .sort();
    expect(distJs).toContain('index.js');
    const expected = ['LICENSE', 'README.md', 'build/tophash-shared-fenced.wasm', 'build/tophash-shared.wasm', 'build/tophash.wasm', ...distJs.map((f) => `dist/${f}`), 'dist/index.d.ts', 'package.json'].sort();
    expect(inst.files).toEqual(expected);

    const license = await readFile(join(inst.packageDir, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain('Copyright (c) 2026 tophash authors');
    const pkg = JSON.parse(await readFile(join(inst.packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    for (const f of ['build/tophash.wasm', 'build/tophash-shared.wasm', 'build/tophash-shared-fenced.wasm']) {
      expect(await readFile(join(inst.packageDir, f))).toEqual(await readFile(join(REPO, f)));
    }
    // No source map comment points at a map the tarball does not ship.
    for (const f of distJs) expect(await readFile(join(inst.packageDir, 'dist', f), 'utf8'), f).not.toContain('sourceMappingURL');
    // The declarations are bindings/public.d.ts, which reaches no other module.
    const dts = await readFile(join(inst.packageDir, 'dist', 'index.d.ts'), 'utf8');
    expect(dts).toBe(await readFile(join(REPO, 'bindings', 'public.d.ts'), 'utf8'));
    const code = dts.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code).not.toMatch(/\bimport\b|WebAssembly|\bURL\b|\bCore\b/);

    // Sizes, for the README and the issue.
    const gz = async (f: string) => gzipSync(await readFile(join(inst.packageDir, f)), { level: 9 }).length;
    const js = await Promise.all(distJs.map((f) => readFile(join(inst.packageDir, 'dist', f))));
    console.log(
      [
        `tarball ${inst.tarball.split(/[\\/]/).pop()}: ${kB(inst.tarballBytes)}, ${inst.files.length} files`,
        `gzip -9: build/tophash.wasm ${kB(await gz('build/tophash.wasm'))}, build/tophash-shared.wasm ${kB(await gz('build/tophash-shared.wasm'))}, build/tophash-shared-fenced.wasm ${kB(await gz('build/tophash-shared-fenced.wasm'))}, ` +
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

  it("the shipped types type-check, strict without skipLibCheck, under ES2022 alone, with DOM and with @types/node; so do the README's TypeScript examples, which run on Node 20", async () => {
    await copyFixture('consumer.mts', inst.dir);
    const examples = readmeBlocks('ts');
    expect(examples.length).toBeGreaterThanOrEqual(2);
    const readme = examples.map((_, i) => `readme-${i + 1}.mts`);
    await Promise.all(examples.map((code, i) => writeFile(join(inst.dir, readme[i]), code)));
    const strict = { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: false, noEmit: true };
    const lib = ['ES2022', 'ESNext.Disposable'];
    await Promise.all([
      // The libraries alone (no console there: the README's examples print, so they are checked below).
      typeCheck(inst, 'plain', { ...strict, lib, types: [] }, ['consumer.mts']),
      // A browser project, resolved as a bundler does.
      typeCheck(inst, 'dom', { ...strict, module: 'ESNext', moduleResolution: 'Bundler', lib: [...lib, 'DOM'], types: [] }, ['consumer.mts', ...readme]),
      // A Node project with @types/node (this repository's) and no DOM; it emits the README's examples, run below.
      typeCheck(inst, 'node', { ...strict, lib, types: ['node'], typeRoots: NODE_TYPE_ROOTS, noEmit: false, outDir: 'out-node' }, ['consumer.mts', ...readme]),
    ]);
    // `target: ES2022` lowers `using`, which Node 20 cannot parse: the examples run as compiled.
    const ran = await Promise.all(readme.map((f) => run(process.execPath, [join('out-node', f.replace(/\.mts$/, '.mjs'))], inst.dir)));
    expect(ran.map((r) => r.stdout).join('')).toContain('\n4\n'); // the `using` example's distinctWords
  });

  it('an explicit type argument that contradicts the kinds in the options does not compile; `using` under target ESNext is left for Node 20 to reject', async () => {
    await copyFixture('contradiction.mts', inst.dir);
    const usingExample = readmeBlocks('ts').find((code) => /^\s*using /m.test(code))!;
    await writeFile(join(inst.dir, 'using.mts'), usingExample);
    // One tsc run for both files (tsc emits despite errors): the contradiction must fail, the using example not.
    const out = await typeCheck(
      inst,
      'esnext',
      { strict: true, target: 'ESNext', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ESNext'], types: ['node'], typeRoots: NODE_TYPE_ROOTS, outDir: 'out-esnext' },
      ['contradiction.mts', 'using.mts'],
      true,
    );
    const errors = out.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors.length, out).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/^contradiction\.mts\(5,\d+\): error TS\d+/);
    expect(out).toContain(`error TS2322: Type '"int32"' is not assignable to type '"string"'`);
    expect(await readFile(join(inst.dir, 'out-esnext', 'using.mjs'), 'utf8')).toMatch(/^\s*using seen = /m);
    await expect(run(process.execPath, [join('out-esnext', 'using.mjs')], inst.dir)).rejects.toThrow(/SyntaxError/);
  });

  it("the README's esbuild recipe, run as written in the project, makes a bundle of page and worker that shares one copy of the library, loads both wasm files and works", async () => {
    const recipe = readmeBlocks('sh').filter((code) => code.includes('npx esbuild'));
    expect(recipe.length).toBe(1);
    expect(recipe[0]).toMatch(/^npm install --save-dev esbuild$/m);
    const b = await bundleForBrowser(inst, recipe[0]);
    expect(b.wasm.map((f) => f.split(/[\\/]/).pop())).toEqual(['tophash-shared-fenced.wasm', 'tophash-shared.wasm', 'tophash.wasm']);
    const pkg = JSON.parse(await readFile(join(inst.dir, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    expect(Object.keys(pkg.devDependencies ?? {})).toEqual(['esbuild']);
    // --splitting: the library is in one chunk that app.js and worker.js both import, not in each.
    const assets = (await readdir(join(b.dir, 'assets'))).filter((f) => f.endsWith('.js'));
    const code = new Map(await Promise.all(assets.map(async (f) => [f, await readFile(join(b.dir, 'assets', f), 'utf8')] as const)));
    const library = assets.filter((f) => code.get(f)!.includes('tophash-shared.wasm'));
    expect(library.length, `the library's loader is in ${library.join(', ')}`).toBe(1);
    expect(library[0]).toMatch(/^chunk-/);
    for (const entry of ['app.js', 'worker.js']) expect(code.get(entry), entry).toContain(`./${library[0]}`);
    const lib = code.get(library[0])!;
    // The package's browser field replaced the loader's Node-only import with an empty module.
    expect(lib).not.toMatch(/import\(\s*["']node:/);
    expect(lib).toContain('import.meta.url');

    const { result, requests } = await runBundleInNode(b.dir);
    expect(result.ok).toBe(true);
    expect(result.private.tag).toBe('[object HashMap]');
    expect(result.sharedLocal).toEqual({ ok: true }); // not skipped: Node has SharedArrayBuffer
    expect(result.errorClass).toBe('LockTimeoutError');
    // The wasm files came from build/ beside assets/, over HTTP, as application/wasm.
    const served = requests.map((r) => `${r.status} ${r.path} ${r.type}`);
    expect(served).toEqual(
      expect.arrayContaining(['200 /assets/app.js text/javascript; charset=utf-8', `200 /assets/${library[0]} text/javascript; charset=utf-8`, '200 /build/tophash.wasm application/wasm', '200 /build/tophash-shared.wasm application/wasm']),
    );
    expect(requests.filter((r) => r.status !== 200)).toEqual([]);
  });
});
