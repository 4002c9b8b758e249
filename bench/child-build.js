// The first build of a map in a fresh process: every page the map touches is new
// to the process (10-15 us of page fault per 4 KiB page on these VMs), for Map's
// heap as for HashMap's wasm memory. run.js forks one process per measurement:
//   node --expose-gc bench/child-build.js <map|hashmap> <int32|float64|string> <n>
// Sends (or prints) { which, kind, n, ms }. String keys are made inside the
// timed loop, as they are inserted (buildFresh in lib.js).
import { HashMap } from '../dist/index.js';
import { KINDS, compileLoops, makeKeys, makeKeyCodes, makeVals, now, gc } from './lib.js';

const [which, kind, nArg] = process.argv.slice(2);
const n = Number(nArg);
const K = KINDS[kind];
if (!K || (which !== 'map' && which !== 'hashmap') || !(n > 0)) {
  console.error(`usage: node --expose-gc bench/child-build.js <map|hashmap> <${Object.keys(KINDS).join('|')}> <n>`);
  process.exit(2);
}

const L = compileLoops(`${which}/${kind}`); // one map type per process: no other feedback to keep apart
const make = which === 'map' ? () => new Map() : () => new HashMap(null, K.hashMap);
const drop = which === 'map' ? () => {} : (m) => m.dispose();
const build = K.codes ? L.buildFresh : L.build;
const src = (count, from) => (K.codes ? makeKeyCodes(count, from) : makeKeys(kind, count, from));
const keys = src(n, 0);
const vals = makeVals(kind, n, 1);

// Warm the loop up on small maps of other keys, so that the JIT has compiled it
// (a few KiB of memory: what the timed build needs beyond that is fresh).
const wk = src(256, n);
const wv = makeVals(kind, 256, 3);
for (let i = 0; i < 200; i++) drop(build(make, wk, wv));
gc();

const t0 = now();
const m = build(make, keys, vals);
const ms = now() - t0;
if (m.size !== n) throw new Error(`bench: built ${m.size} entries, expected ${n}`);

const result = { which, kind, n, ms };
if (process.send) process.send(result, () => process.exit(0));
else console.log(JSON.stringify(result));
