// The machine's floor for a batch of random lookups in a big table (docs/performance.md, "Beyond the
// standard run"; what getMany at 1e6 entries is measured against):
//   node bench/studies/lookup-floor.js
// A 16 MiB Uint32Array (about the buckets of a 1e6-entry int32 map), 2^20 random keys: one random
// cache-line read a key, and two dependent ones (the second's address from the first's word), in a
// JS loop; then HashMap.getMany over a 1e6-entry int32 map with keys in the same kind of order.
// Median of 9 passes, ns a key.
import { HashMap } from '../../dist/index.js';
import { medianTime } from '../lib.js';

const Q = 1 << 20;
const words = new Uint32Array((16 << 20) / 4);
for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761) >>> 0;
const lines = words.length / 16;
const q = new Uint32Array(Q);
for (let i = 0; i < Q; i++) q[i] = (Math.imul(i, 40503) >>> 0) % lines;

/** Median of 9 passes of f, ns a key. */
const time = (f) => ((medianTime(f) * 1e6) / Q).toFixed(1);

const n = 1e6;
const keys = new Int32Array(n);
for (let i = 0; i < n; i++) keys[i] = (Math.imul(i, 2654435761) ^ 0x5bd1e995) | 0;
const m = new HashMap(null, { key: 'int32', value: 'int32' });
m.setMany(keys, keys);
const mq = new Int32Array(Q);
for (let i = 0; i < Q; i++) mq[i] = keys[(Math.imul(i, 40503) >>> 0) % n];
const out = new Int32Array(Q);

console.log(
  'one random line a key       ',
  time(() => {
    let x = 0;
    for (let i = 0; i < Q; i++) x += words[q[i] * 16];
    return x;
  }),
  'ns',
);
console.log(
  'two dependent lines a key   ',
  time(() => {
    let x = 0;
    for (let i = 0; i < Q; i++) x += words[(words[q[i] * 16] % lines) * 16 + 3];
    return x;
  }),
  'ns',
);
console.log(
  'HashMap.getMany, 1e6 entries',
  time(() => m.getMany(mq, out)),
  'ns',
);
