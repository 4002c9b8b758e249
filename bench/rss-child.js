// One memory measurement in a fresh process: the resident memory (RSS) that
// building one map from empty adds. Stand-alone:
//   node --expose-gc bench/rss-child.js <map|hashmap> <n> [keyKind] [valueKind]
// Kinds: int32 (default) or float64 (non-integer keys and values, so Map boxes
// them); string keys (10 characters, see keyAt in lib.js) take int32 values:
//   node --expose-gc bench/rss-child.js map 1000000 string int32
// Prints one JSON line: rssAdded (bytes), bytesPerEntry, buildMs, heapAdded (V8 heap:
// Map's tables and boxed numbers), liveBytes (HashMap's stats().bytes, its wasm memory).
// run.js runs it over 1.0, 1.3, 1.6 and 1.9 million entries and averages.
import { HashMap } from '../dist/index.js';
import { KINDS, keyAt, valueAt } from './lib.js';

const VALUE_KINDS = ['int32', 'float64'];
const [which, nArg, keyKind = 'int32', valueKind = 'int32'] = process.argv.slice(2);
const n = Number(nArg);
if ((which !== 'map' && which !== 'hashmap') || !Number.isInteger(n) || n < 0 || !KINDS[keyKind] || !VALUE_KINDS.includes(valueKind)) {
  console.error(`usage: node --expose-gc bench/rss-child.js <map|hashmap> <n> [${Object.keys(KINDS).join('|')}] [${VALUE_KINDS.join('|')}]`);
  process.exit(2);
}
if (!globalThis.gc) console.error('rss-child: run with node --expose-gc, or garbage left from before the build counts');

globalThis.gc?.();
const before = process.memoryUsage();
const t0 = performance.now();
let liveBytes = 0;
let m;
// Keys and values are made as they are inserted: a Map that keeps them pays for
// them (string keys: a new string each, which Map keeps alive and HashMap copies).
if (which === 'map') {
  m = new Map();
  for (let i = 0; i < n; i++) m.set(keyAt(keyKind, i), valueAt(valueKind, i));
} else {
  m = new HashMap(null, { key: keyKind, value: valueKind });
  for (let i = 0; i < n; i++) m.set(keyAt(keyKind, i), valueAt(valueKind, i));
  liveBytes = m.stats().bytes;
}
const buildMs = performance.now() - t0;
globalThis.gc?.();
const after = process.memoryUsage();
if (m.size !== n) throw new Error(`size ${m.size} != ${n}`);
const rssAdded = after.rss - before.rss;
console.log(
  JSON.stringify({
    which,
    n,
    keyKind,
    valueKind,
    rssAdded,
    bytesPerEntry: n ? +(rssAdded / n).toFixed(2) : 0,
    buildMs: +buildMs.toFixed(1),
    heapAdded: after.heapUsed - before.heapUsed,
    liveBytes,
  }),
);
