// npm run bench: HashMap against the native Map, in one process.
//
// Method: random key order; every timed task loops over many operations (so
// timer resolution and call overhead do not dominate); each map has its own
// copy of each loop so the two never share type feedback; the two maps are
// timed alternately, for several rounds; we report medians and the ratio
// Map time / HashMap time (> 1 means HashMap is faster). Only ratios from the
// same run mean anything on a noisy machine.
//
// A plain loop with performance.now() rather than a harness: each task already
// runs ~10^6 operations, so a harness's per-call machinery adds nothing here.
// Batch cases time Map with a plain loop over the same typed array.
import { HashMap } from '../dist/index.js';
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';

const full = process.argv.includes('--full');
const ROUNDS = full ? 9 : 5;
const SIZES = [1e3, 1e5, 1e6];
const OPS_PER_TASK = full ? 4e6 : 2e6;

function randomKeys(n, seed) {
  const out = new Int32Array(n);
  const seen = new Set();
  let s = seed >>> 0;
  for (let i = 0; i < n; ) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const k = s | 0;
    if (!seen.has(k)) { seen.add(k); out[i++] = k; }
  }
  return out;
}
function shuffled(keys, reps, seed) {
  const out = new Int32Array(Math.max(keys.length, Math.min(reps, keys.length * 64)));
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = keys[s % keys.length];
  }
  return out;
}

// One copy of each loop per map type.
function mapGet(m, q, reps) { let x = 0; for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) x += m.get(q[i]) ?? 1; return x; }
function hmGet(m, q, reps) { let x = 0; for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) x += m.get(q[i]) ?? 1; return x; }
function mapSet(m, q, reps) { for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) m.set(q[i], i); return 0; }
function hmSet(m, q, reps) { for (let r = 0; r < reps; r++) for (let i = 0; i < q.length; i++) m.set(q[i], i); return 0; }
function mapGetAll(m, q, out) { for (let i = 0; i < q.length; i++) out[i] = m.get(q[i]) ?? 0; return out; }
function hmGetMany(m, q, out) { return m.getMany(q, out); }
function mapSetAll(m, q, v) { for (let i = 0; i < q.length; i++) m.set(q[i], v[i]); return m; }
function hmSetMany(m, q, v) { return m.setMany(q, v); }
function mapBuild(keys) { const m = new Map(); for (let i = 0; i < keys.length; i++) m.set(keys[i], i); return m; }
function hmBuild(keys) { const m = new HashMap(null, { key: 'int32', value: 'int32' }); for (let i = 0; i < keys.length; i++) m.set(keys[i], i); return m; }

function time(fn) {
  const t0 = performance.now();
  const r = fn();
  return [performance.now() - t0, r];
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

const results = [];
function record(kase, n, ops, mapMs, hmMs) {
  const mapNs = (median(mapMs) * 1e6) / ops;
  const hmNs = (median(hmMs) * 1e6) / ops;
  const row = { case: kase, n, mapNs: +mapNs.toFixed(2), hashMapNs: +hmNs.toFixed(2), ratio: +(mapNs / hmNs).toFixed(2) };
  results.push(row);
  console.log(`${kase.padEnd(24)} ${String(n).padStart(8)}  Map ${row.mapNs.toFixed(1).padStart(7)} ns  HashMap ${row.hashMapNs.toFixed(1).padStart(7)} ns  ratio ${row.ratio.toFixed(2)}`);
}

console.log(`tophash bench (${full ? 'full' : 'default'}): int32 keys and values, ${ROUNDS} rounds, medians; ratio = Map / HashMap`);
console.log(`${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, Node ${process.version}\n`);

for (const n of SIZES) {
  const keys = randomKeys(n, 12345 + n);
  const present = new Set(keys);
  const missing = randomKeys(n * 2, 777 + n).filter((k) => !present.has(k)).slice(0, n);
  const qHit = shuffled(keys, OPS_PER_TASK, 99);
  const qMiss = shuffled(missing, OPS_PER_TASK, 98);
  const reps = Math.max(1, Math.round(OPS_PER_TASK / qHit.length));
  const map = mapBuild(keys);
  const hm = hmBuild(keys);
  const t = { getHit: [[], []], getMiss: [[], []], setExisting: [[], []], build: [[], []], getMany: [[], []], setMany: [[], []] };
  const outMap = new Int32Array(qHit.length);
  const outHm = new Int32Array(qHit.length);
  const newVals = Int32Array.from(qHit, (k, i) => i);
  for (let r = 0; r < ROUNDS; r++) {
    t.getHit[0].push(time(() => mapGet(map, qHit, reps))[0]);
    t.getHit[1].push(time(() => hmGet(hm, qHit, reps))[0]);
    t.getMiss[0].push(time(() => mapGet(map, qMiss, reps))[0]);
    t.getMiss[1].push(time(() => hmGet(hm, qMiss, reps))[0]);
    t.setExisting[0].push(time(() => mapSet(map, qHit, reps))[0]);
    t.setExisting[1].push(time(() => hmSet(hm, qHit, reps))[0]);
    t.getMany[0].push(time(() => { for (let b = 0; b < reps; b++) mapGetAll(map, qHit, outMap); })[0]);
    t.getMany[1].push(time(() => { for (let b = 0; b < reps; b++) hmGetMany(hm, qHit, outHm); })[0]);
    t.setMany[0].push(time(() => { for (let b = 0; b < reps; b++) mapSetAll(map, qHit, newVals); })[0]);
    t.setMany[1].push(time(() => { for (let b = 0; b < reps; b++) hmSetMany(hm, qHit, newVals); })[0]);
    const buildReps = Math.max(1, Math.round(1e6 / n));
    t.build[0].push(time(() => { for (let b = 0; b < buildReps; b++) mapBuild(keys); })[0] / buildReps);
    t.build[1].push(time(() => { for (let b = 0; b < buildReps; b++) hmBuild(keys).dispose(); })[0] / buildReps);
  }
  const ops = qHit.length * reps;
  record('get (hit)', n, ops, t.getHit[0], t.getHit[1]);
  record('get (miss)', n, qMiss.length * reps, t.getMiss[0], t.getMiss[1]);
  record('set (existing key)', n, ops, t.setExisting[0], t.setExisting[1]);
  record('build from empty', n, n, t.build[0], t.build[1]);
  record('getMany (Int32Array)', n, ops, t.getMany[0], t.getMany[1]);
  record('setMany (existing keys)', n, ops, t.setMany[0], t.setMany[1]);
  for (let i = 0; i < outMap.length; i++) if (outMap[i] !== outHm[i]) throw new Error(`getMany disagrees with Map at ${i}`);
  hm.dispose();
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const out = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, full, results };
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.log('\nraw results: bench/results/latest.json');
