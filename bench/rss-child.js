// One memory measurement in a fresh process: the resident memory (RSS) that
// building one map from empty adds. Usage: node --expose-gc bench/rss-child.js <map|hashmap> <n> [keyKind] [valueKind]
// Prints one JSON line.
import { HashMap } from '../dist/index.js';

const [which, nArg, keyKind = 'int32', valueKind = 'int32'] = process.argv.slice(2);
const n = Number(nArg);

function keyAt(i) {
  // Random-looking distinct keys made as they are inserted (a Map that keeps them pays for them).
  const k = Math.imul(i, 0x9e3779b1) ^ 0x5bd1e995;
  return keyKind === 'float64' ? (k | 0) + 0.5 : k | 0;
}
function valueAt(i) {
  return valueKind === 'float64' ? i + 0.25 : i | 0;
}

globalThis.gc?.();
const before = process.memoryUsage().rss;
let liveBytes = 0;
let m;
if (which === 'map') {
  m = new Map();
  for (let i = 0; i < n; i++) m.set(keyAt(i), valueAt(i));
} else {
  m = new HashMap(null, { key: keyKind, value: valueKind });
  for (let i = 0; i < n; i++) m.set(keyAt(i), valueAt(i));
  liveBytes = m.stats().bytes;
}
globalThis.gc?.();
const after = process.memoryUsage().rss;
if (m.size !== n) throw new Error(`size ${m.size} != ${n}`);
console.log(JSON.stringify({ which, n, keyKind, valueKind, rssAdded: after - before, liveBytes }));
