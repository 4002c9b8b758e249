// The published package (issues 6, 14 and 21): `npm pack` makes a tarball of only what a user needs,
// and that tarball, installed offline into a fresh temporary project, works for a Node ES module (with
// a worker thread on a shared map) and for CommonJS `require`, runs the README's worker_threads
// example as it is, and type-checks in strict TypeScript projects (ES module and CommonJS, TypeScript
// 5 and 7) under each set of libraries the README names, with the README's TypeScript examples, which
// then run. The bundlers' pages are built from such an installation by tests/bundlers.test.ts.
// The helpers are in tests/pack/pack.ts; the files copied into the project in tests/pack/fixtures/.
// Needs a build (`npm test` builds first). TOPHASH_KEEP_PACK=1 keeps the temporary project.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readmeFile, readmeBlocks } from './readme-code.js';
import { REPO, NODE_TYPE_ROOTS, TSC_7, packAndInstall, typeCheck, copyFixture, run, type Installed } from './pack/pack.js';

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

  it('the tarball holds the compiled JS (ES module files and one CommonJS file), the wasm builds as JS, the declarations for both, README, LICENSE and package.json, and nothing else', async () => {
    const distJs = (await readdir(join(REPO, 'dist'), { recursive: true }))
      .map((f) => f.split('\\').join('/'))
      .filter((f) => f.endsWith('.js'))
      .sort();
    expect(distJs).toContain('index.js');
    const expected = ['LICENSE', 'README.md', 'build/wasm.js', ...distJs.map((f) => `dist/${f}`), 'dist/index.cjs', 'dist/index.d.cts', 'dist/index.d.ts', 'package.json'].sort();
    expect(inst.files).toEqual(expected);

    const license = await readFile(join(inst.packageDir, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain('Copyright (c) 2026 tophash authors');
    const pkg = JSON.parse(await readFile(join(inst.packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    // No source map comment points at a map the tarball does not ship.
    for (const f of [...distJs, 'index.cjs']) expect(await readFile(join(inst.packageDir, 'dist', f), 'utf8'), f).not.toContain('sourceMappingURL');
    // The declarations are bindings/public.d.ts, which reaches no other module, for both entries.
    const dts = await readFile(join(inst.packageDir, 'dist', 'index.d.ts'), 'utf8');
    expect(dts).toBe(await readFile(join(REPO, 'bindings', 'public.d.ts'), 'utf8'));
    expect(await readFile(join(inst.packageDir, 'dist', 'index.d.cts'), 'utf8')).toBe(dts);
    const code = dts.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code).not.toMatch(/\bimport\b|WebAssembly|\bURL\b|\bCore\b/);

    // Sizes, for the README and the issue: what a page downloads is the ES module files with build/wasm.js (or a bundle of them).
    const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;
    const js = Buffer.concat(await Promise.all(distJs.map((f) => readFile(join(inst.packageDir, 'dist', f)))));
    const wasm = await readFile(join(inst.packageDir, 'build', 'wasm.js'));
    console.log(
      [
        `tarball ${inst.tarball.split(/[\\/]/).pop()}: ${kB(inst.tarballBytes)}, ${inst.files.length} files`,
        `gzip -9: dist/*.js ${kB(gz(js))} (${kB(js.length)} raw), build/wasm.js ${kB(gz(wasm))} (${kB(wasm.length)} raw), together ${kB(gz(Buffer.concat([js, wasm])))}; dist/index.cjs ${kB(gz(await readFile(join(inst.packageDir, 'dist', 'index.cjs'))))}`,
      ].join('\n'),
    );
  });

  it("CommonJS: require('tophash') gives the same API, from the ES module entry where Node loads it synchronously and from dist/index.cjs where it does not", async () => {
    await copyFixture('require-check.cjs', inst.dir);
    const withEsm = JSON.parse((await run(process.execPath, ['require-check.cjs'], inst.dir)).stdout.trim()) as Record<string, unknown>;
    const cjsOnly = JSON.parse((await run(process.execPath, ['--no-experimental-require-module', 'require-check.cjs'], inst.dir)).stdout.trim()) as Record<string, unknown>;
    expect(withEsm.resolved).toBe(join(inst.packageDir, 'dist', 'index.js'));
    expect(cjsOnly.resolved).toBe(join(inst.packageDir, 'dist', 'index.cjs'));
    for (const r of [withEsm, cjsOnly]) expect(r).toMatchObject({ ok: true, name: 'HashMap', errorName: 'LockTimeoutError', sharedTotal: 20_000 });
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
      // The same with TypeScript 7, which loads @types/node only when `types` names it (as the README says).
      typeCheck(inst, 'node-ts7', { ...strict, lib, types: ['node'], typeRoots: NODE_TYPE_ROOTS }, ['consumer.mts', ...readme], false, TSC_7),
    ]);
    // `target: ES2022` lowers `using`, which Node 20 cannot parse: the examples run as compiled.
    const ran = await Promise.all(readme.map((f) => run(process.execPath, [join('out-node', f.replace(/\.mts$/, '.mjs'))], inst.dir)));
    expect(ran.map((r) => r.stdout).join('')).toContain('\n4\n'); // the `using` example's distinctWords
  });

  it('a CommonJS TypeScript project (module Node16, a .cts file) imports it, with TypeScript 5 and 7, and runs what it compiles', async () => {
    await copyFixture('consumer-cjs.cts', inst.dir);
    const options = { strict: true, target: 'ES2022', module: 'Node16', moduleResolution: 'Node16', lib: ['ES2022', 'ESNext.Disposable'], types: ['node'], typeRoots: NODE_TYPE_ROOTS, skipLibCheck: false };
    await Promise.all([typeCheck(inst, 'cjs', { ...options, outDir: 'out-cjs' }, ['consumer-cjs.cts']), typeCheck(inst, 'cjs-ts7', { ...options, noEmit: true }, ['consumer-cjs.cts'], false, TSC_7)]);
    const compiled = await readFile(join(inst.dir, 'out-cjs', 'consumer-cjs.cjs'), 'utf8');
    expect(compiled).toMatch(/require\("tophash"\)/);
    expect((await run(process.execPath, [join('out-cjs', 'consumer-cjs.cjs')], inst.dir)).stdout).toBe('3\n');
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
});
