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
const ESBUILD = join(REPO, 'node_modules', 'esbuild', 'bin', 'esbuild');
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
export function run(file: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 16 << 20, shell: process.platform === 'win32' && file === NPM },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
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
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'tophash-pack-test', version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n',
    );
    await run(
      NPM,
      [
        'install',
        `./${info.filename}`,
        '--offline',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        '--registry=http://127.0.0.1:9/',
        `--cache=${join(dir, '.npm-cache')}`,
      ],
      dir,
    );
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
 * Bundle fixtures/browser-app.mjs and fixtures/browser-worker.mjs with esbuild from a project that
 * installed the tarball, exactly as the README says:
 *   npx esbuild src/app.js src/worker.js --bundle --format=esm --outdir=<outDir>/assets
 *   cp node_modules/tophash/build/*.wasm <outDir>/build/
 * and add index.html. Serve outDir (serve() here does, cross-origin isolated) and open index.html.
 * Without `installed`, packs and installs into a temporary project of its own and removes it after.
 */
export async function bundleForBrowser(outDir: string, installed?: Installed): Promise<BrowserBundle> {
  const own = installed === undefined;
  const inst = installed ?? (await packAndInstall());
  try {
    await copyFixture('browser-app.mjs', inst.dir, 'src/app.js');
    await copyFixture('browser-worker.mjs', inst.dir, 'src/worker.js');
    await mkdir(join(outDir, 'build'), { recursive: true });
    await run(ESBUILD, ['src/app.js', 'src/worker.js', '--bundle', '--format=esm', `--outdir=${join(outDir, 'assets')}`, '--log-level=warning'], inst.dir);
    const wasm: string[] = [];
    for (const f of await readdir(join(inst.packageDir, 'build'))) {
      if (!f.endsWith('.wasm')) continue;
      await copyFile(join(inst.packageDir, 'build', f), join(outDir, 'build', f));
      wasm.push(join(outDir, 'build', f));
    }
    await copyFixture('index.html', outDir);
    return {
      dir: outDir,
      page: join(outDir, 'index.html'),
      app: join(outDir, 'assets', 'app.js'),
      worker: join(outDir, 'assets', 'worker.js'),
      wasm: wasm.sort(),
    };
  } finally {
    if (own) await inst.cleanup();
  }
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

/** Type-check fixtures/consumer.mts in the installed project under a tsconfig of these compiler options, with this repository's TypeScript. */
export async function typeCheckConsumer(inst: Installed, name: string, compilerOptions: Record<string, unknown>): Promise<void> {
  const file = `consumer-${name}.mts`;
  await copyFixture('consumer.mts', inst.dir, file);
  const config = join(inst.dir, `tsconfig.${name}.json`);
  await writeFile(config, JSON.stringify({ compilerOptions: { noEmit: true, ...compilerOptions }, files: [file] }, null, 2) + '\n');
  await run(process.execPath, [TSC, '-p', config], inst.dir);
}
