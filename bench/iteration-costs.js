// Two costs behind the iteration rows (docs/design.md, "Iteration"; README, the iteration table):
//   node --expose-gc bench/iteration-costs.js
// 1. The core's step alone: iter_next_k4_v4 called in a loop over a 1e6-entry int32 map made through
//    the core's exports (no JS iterator), batches of 256; best of 7, ns an entry.
// 2. A small map's whole iteration (iter_small_k4_v4, what a private map of at most 16 entries costs
//    at its first next()): 1000 maps of 10 int32 entries, each filled 200 times; best of 5, ns a call.
// 3. Registering an object with a FinalizationRegistry (what every iterator that takes a slot does),
//    1e5 objects that die young, with and without unregistering; best of 5, ns each.
import { core } from '../dist/load.js';

const x = core.x;
const n = 1e6;
const h = x.map_new(4, 4, 0, 1, 2, 0, 0) >>> 0;
let s = 1;
for (let i = 0; i < n; i++) {
  s = (Math.imul(s, 1103515245) + 12345) | 0;
  x.set_i32_i32(h, s, i);
}
const batch = x.ITER_BATCH.value;
let best = Infinity;
for (let r = 0; r < 7; r++) {
  const it = x.iter_start(h) >>> 0;
  const t = performance.now();
  let total = 0;
  let k;
  while ((k = x.iter_next_k4_v4(it, batch)) === batch) total += k;
  total += k;
  best = Math.min(best, ((performance.now() - t) * 1e6) / total);
  x.iter_release(it, 1);
}
x.map_free(h);
console.log(`core step, 1e6 int32 entries, batches of ${batch}: ${best.toFixed(2)} ns an entry`);

{
  const maps = Array.from({ length: 1000 }, (_, m) => {
    const hm = x.map_new(4, 4, 0, 3, 4, 0, 0) >>> 0;
    for (let i = 0; i < 10; i++) x.set_i32_i32(hm, m * 10 + i, i);
    return hm;
  });
  const area = x.scratch_alloc(4096) >>> 0;
  const max = x.ITER_SMALL_MAX.value;
  const cur = area;
  const keysAt = area + x.DUMP_CURSOR.value;
  const valsAt = keysAt + 8 * (max + x.ITER_SMALL_SLACK.value);
  let fillBest = Infinity;
  let sum = 0;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let q = 0; q < 200; q++) for (const hm of maps) sum += x.iter_small_k4_v4(hm, cur, keysAt, valsAt, max);
    fillBest = Math.min(fillBest, ((performance.now() - t) * 1e6) / (200 * maps.length));
  }
  if (sum !== 5 * 200 * maps.length * 10) throw new Error('iteration-costs: a small fill missed entries');
  for (const hm of maps) x.map_free(hm);
  x.scratch_free(area, 4096);
  console.log(`small map's whole iteration, 10 int32 entries (iter_small_k4_v4): ${fillBest.toFixed(1)} ns a call`);
}

const registry = new FinalizationRegistry(() => {});
class Obj {
  token = {};
}
for (const mode of ['nothing', 'register', 'register + unregister']) {
  let b = Infinity;
  for (let r = 0; r < 5; r++) {
    globalThis.gc?.();
    const t = performance.now();
    for (let i = 0; i < 1e5; i++) {
      const o = new Obj();
      if (mode !== 'nothing') registry.register(o, i, o.token);
      if (mode === 'register + unregister') registry.unregister(o.token);
    }
    b = Math.min(b, ((performance.now() - t) * 1e6) / 1e5);
  }
  console.log(`an object ${mode === 'nothing' ? 'made' : `made, ${mode}`}: ${b.toFixed(0)} ns each`);
}
