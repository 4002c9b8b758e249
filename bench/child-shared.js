// Maps shared between worker threads, in a process of its own (run.js forks it):
//   node --expose-gc bench/child-shared.js ['{"rounds":7,"sizes":[100000,1000000],...}'] [--json]
// Run by hand it prints its table and targets (and, with --json, the raw figures
// as a last line of JSON); run by run.js it sends the raw figures to the parent,
// which prints them and puts them in bench/results/latest.json (field `shared`).
// int32 keys and values throughout.
//
//   1. get throughput, 1 and 2 threads on one shared map (1e5 and 1e6 entries):
//      each thread does a fixed number of gets of random present keys (its own
//      order), in a timed loop. Threads start together at a SharedArrayBuffer
//      barrier (Atomics.wait/notify, see shared-worker.js); the main thread
//      waits, blocked in Atomics.wait, and measures the wall time from the
//      barrier's release to the last thread's finish. ops/s = all threads'
//      gets / that time. 1-thread and 2-thread rounds alternate, after two
//      untimed rounds of each.
//   2. add(k, 1) under contention: the same with a map of `addKeys` keys (1000),
//      every thread adding 1 to random keys of it: the cost of the map's lock.
//      Checked afterwards: the values sum to the number of adds done (none lost).
//   3. Writes that scale: add(k, 1) and set on 1e3, 1e5 and 1e6 random present
//      keys with 1 and 2 threads, next to Atomics.add on random words of a plain
//      shared Int32Array of as many words with 1 and 2 threads (no lock: the
//      machine's own limit), measured the same way in the same run; the map's
//      2/1 ratio as a fraction of the raw one.
//   4. One thread, shared against private get: the same keys and lookup order
//      on a shared map and on a private map of the same entries, timed
//      alternately, medians. Each map is timed in a worker thread of its own
//      that uses no other map type (one at a time, the others waiting), as a
//      program using only shared or only private maps would run: in one thread
//      with both, the wrapper's methods (HashMap.prototype.get...) would
//      see two wasm instances and two lock states.
// Worker threads: shared-worker.js, which imports the package from dist/.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { HashMap } from '../dist/index.js';
import { SHARED_CTL as CTL, makeKeys, makeVals, median, now, gc, progress, sizeLabel, sharedLines, sharedTargets, cpuSnapshot, otherCpu } from './lib.js';

const S = {
  rounds: 7, // timed rounds of each measurement (after WARMUP untimed ones)
  sizes: [1e5, 1e6], // entries of the maps of the get measurements
  getOps: [2 ** 21, 2 ** 20], // gets a thread does in a round, by size (as sizes): 80 to 200 ms here
  addKeys: 1000, // keys of the add map
  addOps: 2 ** 19, // adds a thread does in a round
  singleOps: 2 ** 20, // gets a round in the one-thread comparison
  writeSizes: [1e3, 1e5, 1e6], // keys of the maps (and words of the plain arrays) of the write-scaling rows
  writeOps: 2 ** 19, // adds, sets or Atomics.adds a thread does in a write-scaling round
  ...(process.argv[2]?.startsWith('{') ? JSON.parse(process.argv[2]) : {}),
};
const GET_OPS = [S.getOps].flat(); // one number, or one a size
const WARMUP = 2; // untimed rounds of each kind before the timed ones (the JIT, the query arrays, the caches)
const LEN = 2 ** 20; // length of a thread's query array (it loops over it ops / LEN times)
const OPTS = { key: 'int32', value: 'int32' };
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const started = now();

// ---- Workers and the barrier ----

const ctl = new Int32Array(new SharedArrayBuffer(4 * CTL.LENGTH));
const workers = [0, 1, 2].map((index) => new Worker(here('shared-worker.js'), { workerData: { ctl: ctl.buffer, index } }));
for (const w of workers) w.unref();
const [w0, w1, wPrivate] = workers; // w0 and w1: shared maps only; wPrivate: private maps only

/** Post one message to each of ws, resolve with their replies (throws on a worker's error). */
async function ask(ws, msgOf) {
  const replies = ws.map((w) => once(w, 'message'));
  ws.forEach((w, i) => w.postMessage(msgOf(i)));
  const got = (await Promise.all(replies)).map(([m]) => m);
  for (const m of got) if (m.error) throw new Error(`bench: shared-map worker ${m.index}: ${m.error}`);
  return got;
}

/** Block (Atomics.wait) until ctl[slot] reaches count. */
function waitFor(slot, count) {
  for (;;) {
    const v = Atomics.load(ctl, slot);
    if (v >= count) return;
    Atomics.wait(ctl, slot, v);
  }
}

let gen = 0;
/**
 * One timed round: every worker of ws runs its task (msgOf(i)); they start at
 * the barrier's release. Returns the wall time (ms) from the release to the last
 * finish, as the main thread saw it, and each thread's reply (its own ms, result).
 */
async function round(ws, msgOf) {
  gen++;
  Atomics.store(ctl, CTL.READY, 0);
  Atomics.store(ctl, CTL.DONE, 0);
  const replies = ws.map((w) => once(w, 'message'));
  ws.forEach((w, i) => w.postMessage({ ...msgOf(i), gen }));
  waitFor(CTL.READY, ws.length); // each has made its query array and run a GC
  const t0 = now();
  Atomics.store(ctl, CTL.GO, gen);
  Atomics.notify(ctl, CTL.GO);
  waitFor(CTL.DONE, ws.length); // the main thread sits here, idle, while they run
  const wallMs = now() - t0;
  const threads = (await Promise.all(replies)).map(([m]) => m);
  for (const m of threads) if (m.error) throw new Error(`bench: shared-map worker ${m.index}: ${m.error}`);
  return { wallMs, threads };
}

// Each thread's own lookup order; the one-thread comparison uses the order child-section.js uses for n.
const SEEDS = [1234567, 7654321];

/**
 * 1 thread (w0) against 2 (w0 and w1) doing `task` on the map `name`: WARMUP
 * untimed rounds of each, then `rounds` of each, alternating which goes first.
 */
async function scaling(task, name, n, opsPerThread) {
  const len = Math.min(LEN, opsPerThread);
  const reps = Math.max(1, Math.round(opsPerThread / len));
  const ops = len * reps;
  const msg = (i) => ({ task, name, n, len, reps, seed: SEEDS[i] });
  const wall = [[], []];
  const perThread = [[], []];
  const results = new Set();
  const cpu0 = cpuSnapshot();
  for (let r = -WARMUP; r < S.rounds; r++) {
    for (const k of r % 2 === 0 ? [1, 2] : [2, 1]) {
      const got = await round(k === 1 ? [w0] : [w0, w1], msg);
      if (r < 0) continue; // a warm-up round
      wall[k - 1].push(got.wallMs);
      perThread[k - 1].push(got.threads.map((t) => t.ms));
      if (task === 'get') results.add(`${k}:${got.threads.map((t) => t.result).join(',')}`);
    }
  }
  const otherCores = otherCpu(cpu0, cpuSnapshot());
  // The same keys every round: each thread's get sum must not change from round to round.
  if (task === 'get' && results.size !== 2) throw new Error(`bench: shared get sums changed between rounds: ${[...results].join(' ')}`);
  const opsPerSec = [(ops * 1) / (median(wall[0]) / 1e3), (ops * 2) / (median(wall[1]) / 1e3)];
  const ratio = opsPerSec[1] / opsPerSec[0];
  // The same from the threads' own clocks: ops / the slowest thread's loop time.
  const threadOpsPerSec = [1, 2].map((k) => (ops * k) / (median(perThread[k - 1].map((a) => Math.max(...a))) / 1e3));
  // Each round's own ratio (its 1-thread and 2-thread runs were next to each other in time).
  const roundRatios = wall[0].map((w1, r) => (2 * w1) / wall[1][r]);
  return { op: task, n, opsPerThread: ops, opsPerSec, ratio, threadOpsPerSec, roundRatios, otherCores, wallMs: { 1: wall[0], 2: wall[1] }, threadMs: { 1: perThread[0], 2: perThread[1] } };
}

/** A note for a progress line: how much CPU other processes took meanwhile. */
const busy = (row) => (row.otherCores === null ? '' : `; other processes used ${row.otherCores.toFixed(2)} cores meanwhile`);

// ---- Run ----

progress(`shared maps: ${S.rounds} rounds; get ${GET_OPS.join(', ')} a thread on ${S.sizes.map(sizeLabel).join(', ')} entries; add(k, 1) ${S.addOps} a thread on ${S.addKeys} keys; one-thread get ${S.singleOps} a round`);
await ask(workers, () => ({ task: 'ping' })); // wait until the workers have loaded the package
const maps = {};
for (const n of S.sizes) {
  const m = new HashMap(null, { ...OPTS, shared: true, capacity: n });
  m.setMany(makeKeys('int32', n, 0), makeVals('int32', n, 1));
  if (m.size !== n) throw new Error(`bench: the shared map has ${m.size} entries, expected ${n}`);
  maps[`get${n}`] = m;
}
const addKeys = makeKeys('int32', S.addKeys, 0);
const addMap = new HashMap(null, { ...OPTS, shared: true, capacity: S.addKeys });
addMap.setMany(addKeys, new Int32Array(S.addKeys));
maps.add = addMap;
for (const [name, m] of Object.entries(maps)) await ask([w0, w1], () => ({ task: 'attach', name, handle: m.handle }));
for (const n of S.sizes) await ask([wPrivate], () => ({ task: 'private', name: `get${n}`, n }));
gc();

const scalingRows = [];
for (const [i, n] of S.sizes.entries()) {
  const t = now();
  const row = await scaling('get', `get${n}`, n, GET_OPS[i] ?? GET_OPS.at(-1));
  scalingRows.push(row);
  progress(`  shared get ${sizeLabel(n)}: 1 thread ${(row.opsPerSec[0] / 1e6).toFixed(1)} M/s, 2 threads ${(row.opsPerSec[1] / 1e6).toFixed(1)} M/s, ratio ${row.ratio.toFixed(2)} (${((now() - t) / 1e3).toFixed(1)} s${busy(row)})`);
}
{
  const t = now();
  const row = { ...(await scaling('add', 'add', S.addKeys, S.addOps)), keys: S.addKeys };
  scalingRows.push(row);
  // Every add of every round (the warm-ups too) must be in the map: 1 + 2 threads, WARMUP + rounds times.
  let sum = 0;
  for (const k of addKeys) sum += addMap.get(k);
  const expected = 3 * (WARMUP + S.rounds) * row.opsPerThread;
  if (sum !== expected) throw new Error(`bench: the add map's values sum to ${sum}, expected ${expected}: adds were lost`);
  progress(
    `  shared add(k, 1), ${S.addKeys} keys: 1 thread ${(row.opsPerSec[0] / 1e6).toFixed(1)} M/s, 2 threads ${(row.opsPerSec[1] / 1e6).toFixed(1)} M/s, ratio ${row.ratio.toFixed(2)}; no add lost (${((now() - t) / 1e3).toFixed(1)} s${busy(row)})`,
  );
}

// Writes from 1 and 2 threads on random present keys (add(k, 1), set), next to the same machine's
// limit for random shared writes: Atomics.add on random words of a plain SharedArrayBuffer of as many
// words, no lock, measured the same way in the same run.
const writes = [];
for (const n of S.writeSizes) {
  const keys = makeKeys('int32', n, 0);
  const m = new HashMap(null, { ...OPTS, shared: true, capacity: n });
  m.setMany(keys, new Int32Array(n));
  const words = new SharedArrayBuffer(4 * n);
  await ask([w0, w1], () => ({ task: 'attach', name: `w${n}`, handle: m.handle }));
  await ask([w0, w1], () => ({ task: 'attach', name: `raw${n}`, words }));
  const raw = await scaling('atomics', `raw${n}`, n, S.writeOps);
  for (const op of ['add', 'set']) {
    const t = now();
    const row = await scaling(op, `w${n}`, n, S.writeOps);
    const fraction = row.ratio / raw.ratio;
    writes.push({ ...row, rawRatio: raw.ratio, rawOpsPerSec: raw.opsPerSec, fraction });
    progress(
      `  shared ${op} ${sizeLabel(n)} keys: 1 thread ${(row.opsPerSec[0] / 1e6).toFixed(1)} M/s, 2 threads ${(row.opsPerSec[1] / 1e6).toFixed(1)} M/s, 2/1 ${row.ratio.toFixed(2)}; raw Atomics.add 2/1 ${raw.ratio.toFixed(2)}; fraction of it ${fraction.toFixed(2)} (${((now() - t) / 1e3).toFixed(1)} s${busy(row)})`,
    );
  }
  maps[`w${n}`] = m;
}

// One thread at a time: the shared map in w0, the private one in wPrivate, the same keys and order.
const single = [];
for (const n of S.sizes) {
  const t = now();
  const len = Math.min(LEN, S.singleOps);
  const reps = Math.max(1, Math.round(S.singleOps / len));
  const msg = () => ({ task: 'get', name: `get${n}`, n, len, reps, seed: 99 + n });
  const ms = { shared: [], private: [] };
  const sums = new Set();
  const cpu0 = cpuSnapshot();
  for (let r = -WARMUP; r < S.rounds; r++) {
    for (const which of r % 2 === 0 ? ['private', 'shared'] : ['shared', 'private']) {
      const got = await round([which === 'shared' ? w0 : wPrivate], msg);
      sums.add(got.threads[0].result);
      if (r >= 0) ms[which].push(got.threads[0].ms);
    }
  }
  if (sums.size !== 1) throw new Error(`bench: shared and private get sums differ at ${n}: ${[...sums].join(', ')}`);
  const ops = len * reps;
  const privateNs = (median(ms.private) * 1e6) / ops;
  const sharedNs = (median(ms.shared) * 1e6) / ops;
  const otherCores = otherCpu(cpu0, cpuSnapshot());
  const row = { n, ops, privateNs, sharedNs, ratio: sharedNs / privateNs, otherCores, privateMs: ms.private, sharedMs: ms.shared, checksum: [...sums][0] };
  single.push(row);
  progress(`  one-thread get ${sizeLabel(n)}: private ${privateNs.toFixed(1)} ns, shared ${sharedNs.toFixed(1)} ns, shared / private ${row.ratio.toFixed(2)} (${((now() - t) / 1e3).toFixed(1)} s${busy(row)})`);
}

await ask(workers, () => ({ task: 'exit' }));
for (const m of Object.values(maps)) m.dispose();
await Promise.all(workers.map((w) => w.terminate()));

const shared = {
  settings: { ...S, queryLength: LEN, key: OPTS.key, value: OPTS.value, threads: [1, 2] },
  scaling: scalingRows,
  writes,
  single,
  seconds: +((now() - started) / 1e3).toFixed(1),
};
if (process.send) process.send({ shared }, () => process.exit(0));
else {
  console.log('');
  for (const line of sharedLines(shared)) console.log(line);
  console.log('\nTargets, shared maps, this run:');
  for (const [name, value, op, target] of sharedTargets(shared)) {
    const met = value === undefined ? '(not measured)' : (op === '>=' ? value >= target : value <= target) ? 'met' : 'NOT MET';
    console.log(`  ${name.padEnd(36)} ${value === undefined ? '  n/a' : value.toFixed(2).padStart(5)}  target ${op} ${target}  ${met}`);
  }
  console.log(`\n${shared.seconds} s`);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ shared }));
}
