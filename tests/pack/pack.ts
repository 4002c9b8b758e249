// The published package, as a user gets it (issue 6): `npm pack` the repository, install the tarball
// into a fresh temporary project offline, and build a browser bundle from that installation the way
// the README tells users to. tests/pack.test.ts checks the results; the browser tests can reuse
// packAndInstall, bundleForBrowser and serve.
//
// Nothing here builds the package: `npm pack` runs with --ignore-scripts (its prepack would rebuild
// build/ and dist/ while other test files use them), so build first (`npm test` does).
// Child processes get the environment without its npm_* variables: under `npm test` they name
// this repository (npm_config_local_prefix), which would make the temporary project's
// `npm install` install here.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { serve, type Served, type ServedRequest } from './serve.mjs';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** This folder: the fixtures and the scripts run in child processes. */
const HERE = fileURLToPath(new URL('./', import.meta.url));
const FIXTURES = join(HERE, 'fixtures');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The environment for child processes: this one without npm's npm_* variables. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Run a program; rejects with its output when it fails or outlives timeoutMs. */
export function run(file: string, args: string[], cwd: string, timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env: { ...childEnv(), ...env }, timeout: timeoutMs, maxBuffer: 16 << 20, shell: process.platform === 'win32' && file === NPM }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** A temporary project with the packed tarball installed. */
export interface Installed {
  /** The temporary project: package.json with no dependencies, then `npm install ./<tarball>`. */
  readonly dir: string;
  /** The tarball, inside dir. */
  readonly tarball: string;
  /** Its size in bytes. */
  readonly tarballBytes: number;
  /** The paths in the tarball, as `npm pack --json` lists them. */
  readonly files: string[];
  /** Where the package was installed: dir/node_modules/tophash. */
  readonly packageDir: string;
  /** Remove dir (and everything in it). */
  cleanup(): Promise<void>;
}

/**
 * `npm pack` this repository into a new temporary folder, and there `npm install ./tophash-x.y.z.tgz
 * --offline` into a project whose package.json has no dependencies. No network: --offline, a
 * registry address nothing listens on, and a cache of its own. Build the package first.
 */
export async function packAndInstall(): Promise<Installed> {
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'build/tophash.wasm', 'build/tophash-shared.wasm']) {
    if (!existsSync(join(REPO, f))) throw new Error(`tests/pack: ${f} is missing: run \`npm run build\` first`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'tophash-pack-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const packed = await run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], REPO);
    const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; files: { path: string }[] }[];
    const tarball = join(dir, info.filename);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'tophash-pack-test', version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n');
    await run(NPM, ['install', `./${info.filename}`, '--offline', '--no-audit', '--no-fund', '--no-update-notifier', '--registry=http://127.0.0.1:9/', `--cache=${join(dir, '.npm-cache')}`], dir);
    return {
      dir,
      tarball,
      tarballBytes: (await stat(tarball)).size,
      files: info.files.map((f) => f.path).sort(),
      packageDir: join(dir, 'node_modules', 'tophash'),
      cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Copy fixtures/<name> to <dir>/<as>. */
export async function copyFixture(name: string, dir: string, as = name): Promise<string> {
  const to = join(dir, as);
  await mkdir(join(to, '..'), { recursive: true });
  await copyFile(join(FIXTURES, name), to);
  return to;
}

/** The folder bundleForBrowser makes. */
export interface BrowserBundle {
  /** The folder: index.html, assets/app.js, assets/worker.js, build/tophash.wasm, build/tophash-shared.wasm. */
  readonly dir: string;
  /** index.html: runs the checks and sets document.title to 'tophash bundle: ok' or 'tophash bundle: fail', and window.tophashResult. */
  readonly page: string;
  /** assets/app.js: exports runChecks({ worker?, workerUrl? }) (see fixtures/browser-app.mjs). */
  readonly app: string;
  /** assets/worker.js: the Web Worker of the shared-map check. */
  readonly worker: string;
  /** The copied wasm files. */
  readonly wasm: string[];
}

/**
 * Bundle fixtures/browser-app.mjs and fixtures/browser-worker.mjs (copied to src/app.js and
 * src/worker.js) in a project that installed the tarball, by running the README's bundler recipe
 * (`recipe`, a shell script: the README's ```sh block that runs esbuild) as it is written, with
 * public/ as the output folder; npm reaches esbuild through a local registry (esbuildRegistry).
 * Then add index.html. Serve public/ (serve() here does, cross-origin isolated) and open index.html.
 */
export async function bundleForBrowser(inst: Installed, recipe: string): Promise<BrowserBundle> {
  await copyFixture('browser-app.mjs', inst.dir, 'src/app.js');
  await copyFixture('browser-worker.mjs', inst.dir, 'src/worker.js');
  const registry = await esbuildRegistry(inst.dir);
  try {
    await writeFile(join(inst.dir, 'recipe.sh'), recipe);
    const env = { npm_config_registry: registry.url, npm_config_cache: join(inst.dir, '.npm-cache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    await run('sh', ['-e', 'recipe.sh'], inst.dir, 120_000, env);
  } finally {
    await registry.close();
  }
  const outDir = join(inst.dir, 'public');
  const wasm = (await readdir(join(outDir, 'build'))).filter((f) => f.endsWith('.wasm')).map((f) => join(outDir, 'build', f));
  await copyFixture('index.html', outDir);
  return {
    dir: outDir,
    page: join(outDir, 'index.html'),
    app: join(outDir, 'assets', 'app.js'),
    worker: join(outDir, 'assets', 'worker.js'),
    wasm: wasm.sort(),
  };
}

/** What run-bundle.mjs reports. */
export interface BundleRun {
  result: {
    ok: boolean;
    private: { ok: boolean; tag?: string };
    sharedLocal: { ok: boolean; skipped?: string };
    worker: { ok: boolean; skipped?: string };
    errorClass: string;
  };
  requests: { path: string; status: number; type: string | null }[];
}

/** Run a bundleForBrowser folder's assets/app.js in Node as a browser would (see run-bundle.mjs). */
export async function runBundleInNode(bundleDir: string): Promise<BundleRun> {
  const { stdout } = await run(process.execPath, ['--experimental-vm-modules', '--no-warnings', join(HERE, 'run-bundle.mjs'), bundleDir], REPO);
  return JSON.parse(stdout.trim().split('\n').pop()!) as BundleRun;
}

/**
 * Type-check `files` (in the installed project) under a tsconfig of these compiler options, with this
 * repository's TypeScript; its output when `expectErrors`, which then requires tsc to fail.
 */
export async function typeCheck(inst: Installed, name: string, compilerOptions: Record<string, unknown>, files: string[], expectErrors = false): Promise<string> {
  const config = join(inst.dir, `tsconfig.${name}.json`);
  await writeFile(config, JSON.stringify({ compilerOptions, files }, null, 2) + '\n');
  if (!expectErrors) return (await run(process.execPath, [TSC, '-p', config], inst.dir)).stdout;
  try {
    await run(process.execPath, [TSC, '-p', config], inst.dir);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`tsc -p ${config} passed; it should have failed`);
}

/** @types/node of this repository, for a consumer's `types: ['node']` (the temporary project installs nothing but the tarball). */
export const NODE_TYPE_ROOTS = [join(REPO, 'node_modules', '@types')];

/**
 * A local npm registry for the README's `npm install --save-dev esbuild` in the temporary project
 * (which has no network): it serves esbuild and its package for this platform, packed from this
 * repository's node_modules, and 404 for anything else (esbuild's optional packages for other
 * platforms, which npm then skips). Returns its URL and a stop function.
 */
export async function esbuildRegistry(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const { createHash } = await import('node:crypto');
  const { readFile } = await import('node:fs/promises');
  const platform = (await readdir(join(REPO, 'node_modules', '@esbuild'))).map((p) => join(REPO, 'node_modules', '@esbuild', p));
  const tarballs = join(dir, '.registry');
  await mkdir(tarballs, { recursive: true });
  const packages = new Map<string, { json: Record<string, unknown>; file: string }>();
  for (const pkgDir of [join(REPO, 'node_modules', 'esbuild'), ...platform]) {
    const { stdout } = await run(NPM, ['pack', pkgDir, '--json', '--ignore-scripts', '--pack-destination', tarballs], dir);
    const [info] = JSON.parse(stdout) as { filename: string; name: string }[];
    packages.set(info.name, { json: JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>, file: join(tarballs, info.filename) });
  }
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0].slice(1));
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const tgz = path.match(/^-\/tarball\/(.+)$/);
      const pkg = packages.get(tgz ? tgz[1] : path);
      if (pkg === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const bytes = await readFile(pkg.file);
      if (tgz) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
        return;
      }
      const version = pkg.json.version as string;
      const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
      const manifest = { ...pkg.json, _id: `${pkg.json.name}@${version}`, dist: { tarball: `${base}-/tarball/${encodeURIComponent(pkg.json.name as string)}`, integrity } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: pkg.json.name, 'dist-tags': { latest: version }, versions: { [version]: manifest } }));
    })().catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
