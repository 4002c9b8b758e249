// The published package, as a user gets it (issue 6): `npm pack` the repository and install the
// tarball into a fresh temporary project offline. tests/pack.test.ts checks what Node and TypeScript
// make of it there; tests/bundlers.test.ts builds pages from it with the bundlers.
//
// Nothing here builds the package: `npm pack` runs with --ignore-scripts (its prepack would rebuild
// build/ and dist/ while other test files use them), so build first (`npm test` does).
// Child processes get the environment without its npm_* variables: under `npm test` they name
// this repository (npm_config_local_prefix), which would make the temporary project's
// `npm install` install here.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { serve, type Served, type ServedRequest } from './serve.mjs';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** This folder, which holds the fixtures. */
const HERE = fileURLToPath(new URL('./', import.meta.url));
const FIXTURES = join(HERE, 'fixtures');
/** The TypeScript compilers the consumers' checks run: the repository's 5.x, and 7.x (the native port, as the registry's latest). */
export const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
export const TSC_7 = join(REPO, 'node_modules', 'typescript-7', 'bin', 'tsc');
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
  for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'build/wasm.js']) {
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

/**
 * Type-check `files` (in the installed project) under a tsconfig of these compiler options, with this
 * repository's TypeScript (or `tsc`); its output when `expectErrors`, which then requires tsc to fail.
 */
export async function typeCheck(inst: Installed, name: string, compilerOptions: Record<string, unknown>, files: string[], expectErrors = false, tsc = TSC): Promise<string> {
  const config = join(inst.dir, `tsconfig.${name}.json`);
  await writeFile(config, JSON.stringify({ compilerOptions, files }, null, 2) + '\n');
  if (!expectErrors) return (await run(process.execPath, [tsc, '-p', config], inst.dir)).stdout;
  try {
    await run(process.execPath, [tsc, '-p', config], inst.dir);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`tsc -p ${config} passed; it should have failed`);
}

/** @types/node of this repository, for a consumer's `types: ['node']` (the temporary project installs nothing but the tarball). */
export const NODE_TYPE_ROOTS = [join(REPO, 'node_modules', '@types')];
