// The costs behind the iteration rows (docs/design.md, "Iteration"; docs/performance.md, the iteration table):
//   node --expose-gc bench/studies/iteration-costs.js [n]   (n: the entries of the map of 1 and 4, 1e6 unless given)
// 1. The core's step alone: iter_next_k4_v4 called in a loop over an n-entry int32 map made through
//    the core's exports (no JS iterator), batches of 256; best of 7, ns an entry.
// 2. A small map's whole iteration (iter_small_k4_v4, what a private map of at most 16 entries costs
//    at its first next()): 1000 maps of 10 int32 entries, each filled 200 times; best of 5, ns a call.
// 3. Registering an object with a FinalizationRegistry (what every iterator that takes a slot does),
//    1e5 objects that die young, with and without unregistering; best of 5, ns each.
// 4. toArrays' parts, over the map of 1: the core's dump alone, and the two result arrays made and
//    filled (their pages new or already mapped: the floor of bench/child-iteration.js moves between the two).
// 5. The phases of a small map's iteration through the API, HashMap against Map, 1000 maps of 10
//    int32 entries: making the iterator (entries()), making it and taking its first entry (then
//    return()), and a whole for...of; each loop compiled once per map type, best of 7, ns a map.
import { core } from '../../dist/load.js';
import { HashMap } from '../../dist/index.js';

const x = core.x;
const n = Number(process.argv[2] ?? 1e6);
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
console.log(`core step, ${n} int32 entries, batches of ${batch}: ${best.toFixed(2)} ns an entry`);

// toArrays' parts: the core's dump of the same map into wasm memory, chunks of 8192 (bindings/batch.ts);
// the two result arrays of n int32 made and filled, fresh (their pages written for the first time)
// and filled again; best of 7 (made and filled: least and most of 7, as the allocator hands back pages
// already mapped or new ones), ns an entry.
{
  const CHUNK = 8192;
  const buf = x.scratch_alloc(CHUNK * 16 + x.DUMP_CURSOR.value) >>> 0;
  const cur = buf + CHUNK * 16;
  let dump = Infinity;
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    x.dump_start(cur, h);
    let total = 0;
    let k;
    while ((k = x.iter_fill_k4_v4(cur, buf, buf + CHUNK * 8, CHUNK)) === CHUNK) total += k;
    total += k;
    dump = Math.min(dump, ((performance.now() - t) * 1e6) / total);
  }
  x.scratch_free(buf, CHUNK * 16 + x.DUMP_CURSOR.value);
  const fresh = [];
  let again = Infinity;
  for (let r = 0; r < 7; r++) {
    globalThis.gc?.();
    let t = performance.now();
    const a = new Int32Array(n);
    const b = new Int32Array(n);
    a.fill(1);
    b.fill(2);
    fresh.push(((performance.now() - t) * 1e6) / n);
    t = performance.now();
    a.fill(3);
    b.fill(4);
    again = Math.min(again, ((performance.now() - t) * 1e6) / n);
  }
  console.log(
    `toArrays' parts, ${n} int32 entries: the core's dump ${dump.toFixed(2)} ns; two result arrays made and filled ${Math.min(...fresh).toFixed(2)} to ${Math.max(...fresh).toFixed(2)} ns (pages reused or new), filled again ${again.toFixed(2)} ns an entry`,
  );
}
x.map_free(h);

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

{
  const maps = Array.from({ length: 1000 }, (_, m) => {
    const hm = new HashMap(null, { key: 'int32', value: 'int32' });
    for (let i = 0; i < 10; i++) hm.set(m * 10 + i, i);
    return hm;
  });
  const plain = maps.map((hm) => new Map(hm));
  const phases = {
    'made (entries())': 'const it = ms[i].entries(); x = (x + (it === null ? 0 : 1)) | 0;',
    'made, first entry, return()': 'const it = ms[i].entries(); const r = it.next(); it.return?.(); x = (x + r.value[0]) | 0;',
    'whole for...of': 'for (const [k, v] of ms[i]) x = (x + k + v) | 0;',
  };
  for (const [name, body] of Object.entries(phases)) {
    const ns = {};
    for (const [tag, ms] of [
      ['HashMap', maps],
      ['Map', plain],
    ]) {
      const f = new Function('ms', `/* ${name} ${tag} */ let x = 0; for (let i = 0; i < ms.length; i++) { ${body} } return x;`);
      for (let r = 0; r < 200; r++) f(ms);
      let b = Infinity;
      for (let r = 0; r < 7; r++) {
        const t = performance.now();
        for (let q = 0; q < 50; q++) f(ms);
        b = Math.min(b, ((performance.now() - t) * 1e6) / (50 * ms.length));
      }
      ns[tag] = b;
    }
    console.log(`small map (10 int32 entries), ${name}: HashMap ${ns.HashMap.toFixed(1)} ns, Map ${ns.Map.toFixed(1)} ns a map`);
  }
  for (const hm of maps) hm.dispose();
}
