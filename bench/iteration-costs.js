// Two costs behind the iteration rows (docs/design.md, "Iteration"; README, the iteration table):
//   node --expose-gc bench/iteration-costs.js
// 1. The core's step alone: iter_next_k4_v4 called in a loop over a 1e6-entry int32 map made through
//    the core's exports (no JS iterator), batches of 256; best of 7, ns an entry.
// 2. Registering an object with a FinalizationRegistry (what every iterator that takes a slot does),
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
