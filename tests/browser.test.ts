// The package in a real browser: headless Debian Chromium (tests/browser/chromium.ts). A small
// static server (tests/browser/server.ts) serves dist/, build/, demo/ and the test pages of
// tests/browser/, cross-origin isolated or not by route. The pages import the built package (/dist/index.js) as plain ES
// modules, no bundler: `npm run build` first (npm test does).
//
//   core.html    core operations and iteration of every kind against Map; the private build
//                compiled synchronously from the package's own bytes, no wasm fetched
//   shared.html  shared maps written by the page and two Web Workers at once: exact totals
//   plain.html   a page without the isolation headers: `shared: true` throws an Error naming them
//   readme.html  the README's Web Worker example (main.js and worker.js) from README.md, as it is but
//                for `from 'tophash'`, which the server's /readme/ route makes `from '/dist/index.js'`
//   early-messages.html  messages posted to a module worker right after new Worker(...): all
//                arrive, in order, ports included (the package has no top-level await)
//   the demo     demo/serve.mjs (what `npm run demo` runs) serving demo/, run short (?quick):
//                no console error, the shared count exact, a bar per benchmark case
//
// Without Chromium the suite is skipped with a loud warning, except under CI=true, where a missing
// Chromium fails.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium, reportMissingChromium, runPage as openPage } from './browser/chromium.js';
import { startServer, BUILT_IMPORT, PACKAGE_IMPORT, type TestServer } from './browser/server.js';
import { readmeFile } from './readme-code.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const T = 60_000;
/** The README example takes well under a second; a lost message would make it wait forever. */
const README_WAIT_MS = 5_000;

/** What a page left in window.__result (tests/browser/harness.js). */
interface PageResult {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: string;
}

/** Nothing Node-only in what the browser loads: the built bindings, scanned. */
describe('browser code path', () => {
  it('dist/ uses no Node-only API outside the feature-detected worker exits of threads.js', () => {
    const dir = `${REPO}dist`;
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect(files).toContain('index.js');
    const offenders: string[] = [];
    for (const f of files) {
      // Comments may name anything; code may not.
      const code = readFileSync(`${dir}/${f}`, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
      code.split('\n').forEach((line, i) => {
        if (/\b(process|Buffer|__dirname|__filename|global)\b|\brequire\(|node:|from ['"]fs['"]/.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    // Allowed: threads.js finds Node's process through globalThis, only if it has the methods it uses,
    // and reaches worker_threads through it (no import a bundler would follow).
    const allowed = offenders.filter((l) => /^threads\.js:\d+: const p = globalThis\.process;$/.test(l) || /^threads\.js:\d+: export const threadId = nodeProcess\?\.getBuiltinModule\('node:worker_threads'\)\?\.threadId \?\? 0;$/.test(l));
    expect(allowed).toHaveLength(2);
    expect(offenders.filter((l) => !allowed.includes(l))).toEqual([]);
  });
});

reportMissingChromium('tests/browser.test.ts');

describe.runIf(HAVE_CHROMIUM)('in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(REPO.replace(/\/$/, ''));
    browser = await launchChromium();
  }, T);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** runPage (./browser/chromium.ts) in this suite's browser. */
  const runPage = (url: string, done?: string, result?: string, timeout?: number, extra?: string) => openPage(browser, url, done, result, timeout, extra);

  function passed(r: { value: unknown; problems: string[] }): Record<string, unknown> {
    const v = r.value as PageResult;
    if (!v.ok) throw new Error(`${v.error}\n${r.problems.join('\n')}`);
    expect(r.problems).toEqual([]);
    return v.result!;
  }

  const size = (f: string) => statSync(`${REPO}build/${f}`).size;

  it(
    'core operations and iteration; the private build compiled synchronously from the package, no wasm fetched, the shared build not compiled',
    async () => {
      const before = server.requests.length;
      const r = await runPage(`${server.origin}/tests/browser/core.html`);
      const res = passed(r);
      expect(res.isolated).toBe(true);
      expect(res.checks as number).toBeGreaterThan(10_000);
      // One compilation, synchronous, of the private build's bytes; the page makes no shared map.
      expect(res.wasmLoads).toEqual([{ fn: 'Module', what: `${size('tophash.wasm')} bytes` }]);
      expect(server.requests.slice(before).filter((q) => q.includes('.wasm'))).toEqual([]);
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    },
    T,
  );

  it(
    "a Web Worker terminated in the middle of its writes: its Web Lock's release proves it dead, and the page's next writes undo its half-done one; one terminated while iterating has its iterators released",
    async () => {
      const r = await runPage(`${server.origin}/tests/browser/dead-worker.html`);
      const res = passed(r);
      const waits = res.waits as { stopped: number; ms: number; timeouts: number }[];
      expect(waits).toHaveLength(3);
      // Proved, not presumed: long before recoveryTime (10 s) from the worker's stop.
      for (const w of waits) expect(w.ms).toBeLessThan(2000);
      console.log(`after terminate(): ${waits.map((w) => `the worker stopped after ${w.stopped} ms, the page's writes went on ${w.ms} ms later (${w.timeouts} LockTimeoutErrors)`).join('; ')}`);
      console.log(`a worker terminated while iterating: its iterators released ${res.released as number} ms after terminate()`);
    },
    T,
  );

  it(
    'a shared map used by the page and two Web Workers at once: exact totals',
    async () => {
      const r = await runPage(`${server.origin}/tests/browser/shared.html`);
      const res = passed(r);
      expect(r.isolated).toBe(true);
      expect(res.threads).toBe(3);
      expect(res.total).toBe(3 * 40 * 1000);
      expect((res.winners as number[]).every((w) => [1, 2, 3].includes(w))).toBe(true);
      expect(res.workerCrossOriginIsolated).toEqual([true, true]);
      expect(res.grownB as number).toBeGreaterThanOrEqual(12);
    },
    T,
  );

  it(
    "the README's Web Worker example, as it is: the handle posted right after new Worker(...) arrives",
    async () => {
      const r = await runPage(`${server.origin}/tests/browser/readme.html`, 'window.__logs.length > 0', 'window.__logs', README_WAIT_MS);
      expect(r.problems).toEqual([]);
      expect(r.isolated).toBe(true);
      expect(r.value).toEqual(['2000']);
      expect(server.requests).toEqual(expect.arrayContaining(['GET /readme/main.js', 'GET /readme/worker.js']));
      for (const f of ['main.js', 'worker.js']) {
        const served = await (await fetch(`${server.origin}/readme/${f}`)).text();
        expect(served).toContain(BUILT_IMPORT);
        expect(served.replaceAll(BUILT_IMPORT, PACKAGE_IMPORT)).toBe(readmeFile(f));
      }
    },
    T,
  );

  it(
    'messages posted right after new Worker(...) to a worker that imports the package all arrive, in order, as the browser sent them',
    async () => {
      const res = passed(await runPage(`${server.origin}/tests/browser/early-messages.html`, undefined, undefined, README_WAIT_MS));
      expect(res.listened).toBe(4);
    },
    T,
  );

  it(
    'a page that is not cross-origin isolated: shared: true throws an Error naming the headers',
    async () => {
      const r = await runPage(`${server.origin}/plain/tests/browser/plain.html`);
      const res = passed(r);
      expect(r.isolated).toBe(false);
      expect(r.headers['cross-origin-opener-policy']).toBeUndefined();
      expect(res.name).toBe('Error');
      expect(res.message).toContain("'Cross-Origin-Opener-Policy: same-origin'");
      expect(res.message).toContain("'Cross-Origin-Embedder-Policy: require-corp'");
    },
    T,
  );

  describe('the demo (demo/serve.mjs, as `npm run demo` serves it)', () => {
    let demo: ChildProcess | undefined;
    let demoUrl = '';

    beforeAll(async () => {
      const proc = spawn(process.execPath, [`${REPO}demo/serve.mjs`, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      demo = proc;
      demoUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`demo/serve.mjs printed no address: ${out}`)), 15_000);
        proc.stdout!.on('data', (d: Buffer) => {
          out += String(d);
          const m = /http:\/\/127\.0\.0\.1:\d+\/demo\//.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        });
        proc.stderr!.on('data', (d: Buffer) => (out += String(d)));
        proc.on('exit', (code) => reject(new Error(`demo/serve.mjs exited (${code}): ${out}`)));
      });
    }, T);

    afterAll(() => {
      demo?.kill();
    });

    it(
      'serves the page cross-origin isolated, and the package',
      async () => {
        const page = await fetch(demoUrl);
        expect(page.status).toBe(200);
        expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
        expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
        for (const f of ['/dist/index.js', '/build/wasm.js']) expect((await fetch(new URL(f, demoUrl))).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        expect((await fetch(new URL('/package.json', demoUrl))).status).toBe(404);
        expect((await fetch(new URL('/demo/../package.json', demoUrl))).status).toBe(404);
      },
      T,
    );

    it(
      'loads and runs without console errors: shared word count exact, a bar per benchmark case',
      async () => {
        const bars = "document.querySelectorAll('#chart .ratio-bar').length";
        const r = await runPage(`${demoUrl}?quick`, 'window.__demo && window.__demo.done', 'window.__demo', 45_000, bars);
        expect(r.problems).toEqual([]);
        expect(r.isolated).toBe(true);
        const state = r.value as {
          errors: string[];
          shared: { exact: boolean; total: number; distinct: number } | null;
          bench: { rows: { label: string; ratio: number }[] } | null;
        };
        expect(state.errors).toEqual([]);
        expect(state.shared).toMatchObject({ exact: true, total: 4 * 40_000 });
        expect(state.shared!.distinct).toBeGreaterThan(1000);
        expect(state.bench!.rows.map((x) => x.label)).toHaveLength(5);
        for (const row of state.bench!.rows) expect(row.ratio).toBeGreaterThan(0);
        expect(r.extra).toBe(5);
      },
      T,
    );
  });
});
