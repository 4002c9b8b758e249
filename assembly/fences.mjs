// The two shared builds, from the one asc makes (build step of `npm run build:wasm`).
//
// A seqlock on a weakly ordered CPU (ARM64: Apple Silicon, Graviton, phones) needs fences that x86
// does not: lock.ts calls the imported marker `env.order` where one belongs (memoryOrder), because
// AssemblyScript 0.28 cannot emit `atomic.fence` at -O3 (binaryen drops the fence it builds). From
// asc's optimised text output this script writes
//   build/tophash-shared.wasm          each marker call removed, and its import (x86: nothing needed)
//   build/tophash-shared-fenced.wasm   each marker call replaced by `atomic.fence` (every other CPU)
// re-encoded by binaryen from the edited text with no further optimisation, so nothing moves across
// the fences. bindings/shared.ts picks one by the CPU (docs/design.md, "Memory order").
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';

const WAT = new URL('../build/tophash-shared.wat', import.meta.url);
const IMPORT = /^\s*\(import "env" "order" \(func (\$\S+)\)\)\n/m;

const wat = readFileSync(WAT, 'utf8');
const imported = wat.match(IMPORT);
if (imported === null) throw new Error('fences.mjs: the shared build imports no env.order marker');
const call = new RegExp(`^(\\s*)call ${imported[1].replace(/[$/]/g, '\\$&')}$`, 'gm');
const calls = wat.match(call)?.length ?? 0;
if (calls === 0) throw new Error('fences.mjs: the shared build never calls its env.order marker');

/** The module of `text`, as binary. */
function encode(text) {
  const m = binaryen.parseText(text);
  m.setFeatures(binaryen.Features.All);
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

const base = wat.replace(IMPORT, '');
writeFileSync(new URL('../build/tophash-shared.wasm', import.meta.url), encode(base.replace(call, '$1nop')));
writeFileSync(new URL('../build/tophash-shared-fenced.wasm', import.meta.url), encode(base.replace(call, '$1atomic.fence')));
console.log(`fences.mjs: ${calls} fences in build/tophash-shared-fenced.wasm, none in build/tophash-shared.wasm`);
