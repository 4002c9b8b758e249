// 2^25 int32 => int32 entries, one map type per process (run.js forks both with --full):
//   node bench/child-big.js <map|hashmap> [log2 of the entry count = 25]
// V8's Map stops at 2^24 entries (RangeError: Map maximum size exceeded); a
// HashMap lives in wasm memory and holds them. Prints progress every 2^22
// entries; sends (or prints) { which, target, entries, ms, error?, bytes? }.
import { HashMap } from '../dist/index.js';
import { keyAt, progress, now } from './lib.js';

const [which, log2Arg = '25'] = process.argv.slice(2);
const target = 2 ** Number(log2Arg);
if ((which !== 'map' && which !== 'hashmap') || !(target >= 1)) {
  console.error('usage: node bench/child-big.js <map|hashmap> [log2 of the entry count]');
  process.exit(2);
}

const m = which === 'map' ? new Map() : new HashMap(null, { key: 'int32', value: 'int32' });
const name = which === 'map' ? 'Map' : 'HashMap';
const t0 = now();
let error = null;
let i = 0;
try {
  for (; i < target; i++) {
    m.set(keyAt('int32', i), i); // distinct keys: keyAt is a bijection of i
    if ((i + 1) % 2 ** 22 === 0) progress(`  2^25: ${name} holds ${(i + 1).toLocaleString('en-US')} entries (${((now() - t0) / 1000).toFixed(1)} s)`);
  }
} catch (e) {
  error = `${e.name}: ${e.message}`;
}
const ms = now() - t0;
const result = { which, target, entries: m.size, ms: +ms.toFixed(0) };
if (error) {
  result.error = error;
  progress(`  2^25: ${name} failed at ${m.size.toLocaleString('en-US')} entries: ${error}`);
} else {
  // Spot-check every 4096th key.
  for (let j = 0; j < target; j += 4096) {
    if (m.get(keyAt('int32', j)) !== j) throw new Error(`bench: ${name} lost key number ${j}`);
  }
  if (which === 'hashmap') {
    const st = m.stats();
    result.bytes = st.bytes;
    result.bytesPerEntry = +(st.bytes / m.size).toFixed(2);
    result.B = st.B;
  }
}
result.rss = process.memoryUsage().rss;
if (process.send) process.send(result, () => process.exit(0));
else console.log(JSON.stringify(result));
