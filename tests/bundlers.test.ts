// The package in the bundlers users have, with no configuration for it (issue 21): a page with a
// shared map and a module Web Worker that adds to it (tests/pack/fixtures/app: main.js, app.js,
// worker.js, the worker started with `new Worker(new URL('./worker.js', import.meta.url), { type:
// 'module' })`), in a temporary project that installed the packed tarball, built or served by each
// bundler with its stock settings, run in Chromium (tests/browser/chromium.ts), cross-origin isolated
// (the two headers every page with shared memory needs, nothing of tophash's):
//   Vite's dev server, and `vite build` (module workers in Vite's default format, iife);
//   webpack 5 in production mode, its entry src/main.js;
//   esbuild, the README's command: both files as entries, bundled as ES modules;
//   Rollup with @rollup/plugin-node-resolve (how Rollup finds packages), both files as inputs;
//   and no bundler: the README's index.html (an import map for 'tophash'), main.js and worker.js with
//   its import by path, as the README writes them, served from the project's folder.
// Each page must report every check passed (private maps, a shared map, the worker's adds all
// counted), with no console error and no failed request. The bundlers come from this repository's
// devDependencies; the project holds only the tarball and the fixture.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium, reportMissingChromium, runPage } from './browser/chromium.js';
import { packAndInstall, run, serve, REPO, type Installed, type Served } from './pack/pack.js';
import { readmeBlocks, readmeFile } from './readme-code.js';

const T = 120_000;
/** The README example takes well under a second; a lost message would make it wait forever. */
const README_WAIT_MS = 10_000;
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
/** A script run before the page's own: console.log's lines go to window.__logs too. */
const CAPTURE_LOGS = 'window.__logs = []; const log = console.log; console.log = (...a) => { window.__logs.push(a.join(" ")); log(...a); };';
/** The page of a bundle whose entry is main.js beside it: an ES module, or (webpack's default output) a classic script. */
const page = (module: boolean) => `<!doctype html>\n<meta charset="utf-8">\n<link rel="icon" href="data:,">\n<title>tophash: running</title>\n<script ${module ? 'type="module" ' : ''}src="main.js"></script>\n`;

interface Report {
  ok: boolean;
  error?: string;
  result?: { worker: { ok: boolean; total?: number; skipped?: string }; private: { tag: string }; sharedLocal: { ok: boolean; skipped?: string }; errorClass: string };
}

reportMissingChromium('tests/bundlers.test.ts');

describe.runIf(HAVE_CHROMIUM)('bundlers, each with its stock configuration: a page with a shared map and a module worker works in Chromium', () => {
  let inst: Installed;
  let browser: Browser;
  const servers: Served[] = [];

  beforeAll(async () => {
    [inst, browser] = await Promise.all([packAndInstall(), launchChromium()]);
    await cp(join(REPO, 'tests', 'pack', 'fixtures', 'app'), inst.dir, { recursive: true });
  }, T);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
    await inst?.cleanup();
  });

  /** Serve a built folder cross-origin isolated. */
  async function serveBuilt(dir: string): Promise<Served> {
    const s = await serve(dir);
    servers.push(s);
    return s;
  }

  /** Open the page, and check what it reports: every check passed, the worker's adds counted, nothing logged as an error. */
  async function check(url: string): Promise<void> {
    const r = await runPage(browser, url);
    const report = r.value as Report;
    if (!report.ok) throw new Error(`${report.error ?? JSON.stringify(report.result)}\n${r.problems.join('\n')}`);
    expect(r.problems).toEqual([]);
    expect(r.isolated).toBe(true);
    expect(report.result!.worker).toEqual({ ok: true, total: 40_000 });
    expect(report.result!.sharedLocal).toEqual({ ok: true });
    expect(report.result!.private.tag).toBe('[object HashMap]');
    expect(report.result!.errorClass).toBe('LockTimeoutError');
  }

  /** A built folder holds no Node-only import and fetches no wasm file: the bytes are in the JS. */
  async function expectBrowserOnly(s: Served): Promise<void> {
    expect(s.requests.filter((q) => q.path.endsWith('.wasm'))).toEqual([]);
    for (const q of s.requests.filter((x) => x.path.endsWith('.js'))) {
      const code = await (await fetch(new URL(q.path.slice(1), s.url))).text();
      const nodeImport = /\b(?:import|require)\s*\(?\s*["']node:[\w/]+["']|\bfrom\s*["']node:[\w/]+["']/.exec(code);
      expect(nodeImport?.[0] ?? null, q.path).toBeNull();
    }
  }

  /**
   * Run a built folder: add its page (`script`: how it loads main.js, or null when the build made
   * its own page), serve it cross-origin isolated, check what the page reports and what it fetched.
   */
  async function runBuilt(out: string, script: 'module' | 'classic' | null): Promise<void> {
    if (script !== null) await writeFile(join(out, 'index.html'), page(script === 'module'));
    const s = await serveBuilt(out);
    await check(s.url);
    await expectBrowserOnly(s);
  }

  it(
    "Vite's dev server",
    async () => {
      const { createServer } = await import('vite');
      const server = await createServer({ root: inst.dir, configFile: false, logLevel: 'error', server: { host: '127.0.0.1', port: 0, headers: ISOLATION } });
      await server.listen();
      try {
        await check(server.resolvedUrls!.local[0]);
      } finally {
        await server.close();
      }
    },
    T,
  );

  it(
    'vite build (its workers in the default format, iife)',
    async () => {
      const { build } = await import('vite');
      await build({ root: inst.dir, configFile: false, logLevel: 'error', build: { outDir: 'out-vite' } });
      await runBuilt(join(inst.dir, 'out-vite'), null);
    },
    T,
  );

  it(
    'webpack 5, production mode',
    async () => {
      const { default: webpack } = await import('webpack');
      const out = join(inst.dir, 'out-webpack');
      const stats = await new Promise<import('webpack').Stats>((resolve, reject) =>
        webpack({ mode: 'production', context: inst.dir, entry: './src/main.js', output: { path: out } }, (err, st) => (err || !st ? reject(err ?? new Error('no stats')) : resolve(st))),
      );
      expect(stats.hasErrors(), stats.toString('errors-only')).toBe(false);
      await runBuilt(out, 'classic');
    },
    T,
  );

  it(
    "esbuild, the README's command as written",
    async () => {
      const commands = readmeBlocks('sh')
        .flatMap((b) => b.split('\n'))
        .filter((l) => l.startsWith('npx esbuild '));
      expect(commands).toHaveLength(1);
      const [, , ...args] = commands[0].split(/\s+/);
      await run(join(REPO, 'node_modules', '.bin', 'esbuild'), args, inst.dir);
      const out = join(inst.dir, args.find((a) => a.startsWith('--outdir='))!.slice('--outdir='.length));
      await runBuilt(out, 'module');
    },
    T,
  );

  it(
    "no bundler: the README's page with an import map, main.js, and worker.js importing the package by path",
    async () => {
      const dir = join(inst.dir, 'no-bundler');
      await cp(join(inst.dir, 'node_modules'), join(dir, 'node_modules'), { recursive: true });
      const byPath = readmeFile('worker.js, without a bundler').split('\n')[1];
      expect(byPath).toMatch(/^import \{ HashMap \} from '\.\/node_modules\/tophash\/dist\/index\.js';$/);
      const worker = readmeFile('worker.js');
      expect(worker).toContain("import { HashMap } from 'tophash';");
      await writeFile(join(dir, 'index.html'), readmeFile('index.html', '<!--', '-->'));
      await writeFile(join(dir, 'main.js'), readmeFile('main.js'));
      await writeFile(join(dir, 'worker.js'), worker.replace("import { HashMap } from 'tophash';", byPath));
      const s = await serveBuilt(dir);
      const logs = await runPage(browser, s.url, 'window.__logs.length > 0', 'window.__logs', README_WAIT_MS, undefined, CAPTURE_LOGS);
      // The page has no icon: Chromium's request for /favicon.ico is the one 404 it may log.
      expect(s.requests.filter((q) => q.status !== 200 && q.path !== '/favicon.ico')).toEqual([]);
      const favicon404 = s.requests.some((q) => q.path === '/favicon.ico') ? /^console\.error: Failed to load resource: the server responded with a status of 404/ : /^$/;
      expect(logs.problems.filter((p) => !favicon404.test(p))).toEqual([]);
      expect(logs.isolated).toBe(true);
      expect(logs.value).toEqual(['2000']);
      await expectBrowserOnly(s);
    },
    T,
  );

  it(
    'Rollup with @rollup/plugin-node-resolve, page and worker as inputs',
    async () => {
      const { rollup } = await import('rollup');
      const { nodeResolve } = await import('@rollup/plugin-node-resolve');
      const bundle = await rollup({ input: { main: join(inst.dir, 'src', 'main.js'), worker: join(inst.dir, 'src', 'worker.js') }, plugins: [nodeResolve()] });
      const out = join(inst.dir, 'out-rollup');
      await bundle.write({ dir: out, format: 'es' });
      await bundle.close();
      await runBuilt(out, 'module');
    },
    T,
  );
});
