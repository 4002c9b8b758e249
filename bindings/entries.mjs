// The package's entries (last step of `npm run build:ts`, after tsc has compiled bindings/ to dist/):
//   dist/index.js    the ES module entry (tsc's output), for `import`, bundlers, and Node's `require`
//                    where Node loads ES modules synchronously (package.json's "module-sync")
//   dist/index.cjs   the same code as one CommonJS file, bundled from dist/ by esbuild, for
//                    `require` elsewhere (Node before 20.19, Jest and other CommonJS loaders)
//   dist/index.d.ts  the public types (bindings/public.d.ts), for importers
//   dist/index.d.cts the same, for a CommonJS TypeScript project
// Both entries have the wasm builds inside (build/wasm.js), and no top-level await.
import { buildSync } from 'esbuild';
import { copyFileSync } from 'node:fs';

const file = (f) => new URL(`../${f}`, import.meta.url).pathname;

buildSync({ entryPoints: [file('dist/index.js')], outfile: file('dist/index.cjs'), bundle: true, format: 'cjs', platform: 'neutral', target: 'es2022', keepNames: true, logLevel: 'warning' });
for (const to of ['dist/index.d.ts', 'dist/index.d.cts']) copyFileSync(file('bindings/public.d.ts'), file(to));
