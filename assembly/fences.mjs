// The shared build's fences (build step of `npm run build:wasm`, after asc).
//
// A seqlock on a weakly ordered CPU (ARM64: Apple Silicon, Graviton, phones) needs fences that x86
// does not: lock.ts calls the imported marker `env.order` where one belongs (memoryOrder), because
// AssemblyScript 0.28 cannot emit `atomic.fence` at -O3 (binaryen drops the fence it builds). From
// asc's optimised text output this script writes
//   build/tophash-shared.wasm   each marker call replaced by `atomic.fence` (correct on every CPU)
//   build/fences.json           the byte offsets of those fences in it
// re-encoded by binaryen from the edited text with no further optimisation, so nothing moves across
// the fences. A fence is three bytes (fe 03 00), as are three `nop`s (01 01 01): the loader
// (bindings/load.ts) turns each fence into nops where the CPU keeps loads and stores in order (x86),
// so one build ships for both (docs/design.md, "Memory order"). The offsets are found, not guessed:
// the same text is also encoded with three nops at each marker, and the two binaries must differ in
// exactly those three-byte runs.
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';

const WAT = new URL('../build/tophash-shared.wat', import.meta.url);
const IMPORT = /^\s*\(import "env" "order" \(func (\$\S+)\)\)\n/m;
const FENCE = [0xfe, 0x03, 0x00];
const NOPS = [0x01, 0x01, 0x01];

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
const fenced = encode(base.replace(call, '$1atomic.fence'));
const plain = encode(base.replace(call, '$1nop\n$1nop\n$1nop'));
if (fenced.length !== plain.length) throw new Error('fences.mjs: a fence and three nops encode to different sizes');
const sites = [];
for (let i = 0; i < fenced.length; i++) {
  if (fenced[i] === plain[i]) continue;
  const run = (bytes) => [bytes[i], bytes[i + 1], bytes[i + 2]].join();
  if (run(fenced) !== FENCE.join() || run(plain) !== NOPS.join()) throw new Error(`fences.mjs: the builds differ at byte ${i} in something other than a fence`);
  sites.push(i);
  i += FENCE.length - 1;
}
if (sites.length !== calls) throw new Error(`fences.mjs: ${calls} markers but ${sites.length} fences found`);
writeFileSync(new URL('../build/tophash-shared.wasm', import.meta.url), fenced);
writeFileSync(new URL('../build/fences.json', import.meta.url), JSON.stringify(sites) + '\n');
console.log(`fences.mjs: ${calls} fences in build/tophash-shared.wasm, at the offsets in build/fences.json`);
