// add(word, 1) on a shared string -> int32 map of 5000 words, 1 and 2 worker threads released
// together, medians of 7 rounds; checks that no add was lost:  node bench/studies/shared-string-add.js
// (its worker: shared-string-add-worker.js).
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { HashMap } from '../../dist/index.js';
const m = new HashMap(null, { key: 'string', value: 'int32', shared: true });
const ctl = new Int32Array(new SharedArrayBuffer(8));
const ws = [0, 1].map((i) => new Worker(new URL('./shared-string-add-worker.js', import.meta.url), { workerData: { handle: m.handle, ctl: ctl.buffer, seed: i + 1 } }));
let gen = 0;
async function round(k) {
  Atomics.store(ctl, 0, 0);
  gen++;
  const ps = ws.slice(0, k).map((w) => once(w, 'message'));
  ws.slice(0, k).forEach((w) => w.postMessage({ gen }));
  while (Atomics.load(ctl, 0) < k) Atomics.wait(ctl, 0, Atomics.load(ctl, 0), 10);
  const t0 = performance.now();
  Atomics.store(ctl, 1, gen);
  Atomics.notify(ctl, 1);
  await Promise.all(ps);
  return performance.now() - t0;
}
const r1 = [],
  r2 = [];
for (let i = 0; i < 7; i++) {
  r1.push(200000 / (await round(1)) / 1e3);
  r2.push(400000 / (await round(2)) / 1e3);
}
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
let total = 0;
for (const [, v] of m) total += v;
console.log(`string add: 1 thread ${med(r1).toFixed(2)} M/s, 2 threads ${med(r2).toFixed(2)} M/s, 2/1 ${(med(r2) / med(r1)).toFixed(2)}; sum ${total} (expected ${200000 * 7 + 400000 * 7})`);
await Promise.all(ws.map((w) => w.terminate()));
