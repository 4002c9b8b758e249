// Garbage-collector pauses while a big map stays alive (run.js forks one process
// per measurement, with --full):
//   node --expose-gc bench/child-gc.js <none|map|hashmap> <int32|float64|string> [n=1e6] [iterations=2e7]
// Builds a map of n entries, then runs a workload that allocates short-lived
// objects and, every 4th step, a longer-lived one (kept in a ring of 100,000, so
// it is promoted and the old generation fills: major collections happen too),
// reading the map on every 8th step and updating it on every 32nd. perf_hooks
// reports each collection's main-thread pause ('gc' entries); we sum them and
// take the longest. 'none' runs the same workload with no map: the workload's
// own collector cost.
// Sends (or prints) the figures as one JSON object.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { HashMap } from '../dist/index.js';
import { KINDS, keyAt, valueAt, valueKindOf, makeKeys, randomOrder, makeVals, now, gc } from './lib.js';

const [which, kind, nArg = '1e6', itersArg = '2e7'] = process.argv.slice(2);
const n = Number(nArg);
const iters = Number(itersArg);
const K = KINDS[kind];
if (!['none', 'map', 'hashmap'].includes(which) || !K || !(n > 0) || !(iters > 0)) {
  console.error(`usage: node --expose-gc bench/child-gc.js <none|map|hashmap> <${Object.keys(KINDS).join('|')}> [n] [iterations]`);
  process.exit(2);
}

let m = null;
if (which !== 'none') {
  m = which === 'map' ? new Map() : new HashMap(null, K.hashMap);
  const vk = valueKindOf(kind);
  for (let i = 0; i < n; i++) m.set(keyAt(kind, i), valueAt(vk, i)); // keys made as inserted, as a program would
}
const q = randomOrder(makeKeys(kind, n, 0), 1 << 16, 5);
const qv = makeVals(kind, 1 << 16, 7);
gc();

const entries = [];
const obs = new PerformanceObserver((list) => entries.push(...list.getEntries()));
obs.observe({ entryTypes: ['gc'] });

function workload(m) {
  // Short-lived objects (a slot in a 64-entry array makes them escape, so the JIT
  // cannot optimise them away), and every 4th step a longer-lived "session" in a
  // ring of 100,000: sessions outlive young collections and are promoted, so the
  // old generation fills with dead ones and major collections follow. Two
  // allocation sites, so V8's pretenuring of one does not change the other.
  const RING = 100_000;
  const ring = new Array(RING).fill(null);
  const recent = new Array(64).fill(null);
  let x = 0;
  for (let i = 0; i < iters; i++) {
    const o = { id: i, name: 'item-' + (i & 1023), pair: [i, i * 0.5] };
    recent[i & 63] = o;
    x += o.pair.length;
    if ((i & 3) === 0) ring[(i >>> 2) % RING] = { id: i, tags: ['t' + (i & 255)], at: i * 0.5 };
    if (m !== null && (i & 7) === 0) {
      const j = (i >>> 3) & 0xffff;
      const v = m.get(q[j]);
      x += v === undefined ? 0 : 1;
      if ((i & 31) === 0) m.set(q[j], qv[j]);
    }
  }
  return x + ring.length + recent.length;
}

const t0 = now();
const x = workload(m);
const wallMs = now() - t0;
// The observer's entries arrive asynchronously, and after a long busy loop they can take a second or
// more (a 100 ms wait once delivered none of a Map run's 190 collections). Wait until no new entry has
// come for QUIET_MS, and refuse to report a workload that allocates this much with no collection.
const QUIET_MS = 500;
const WAIT_MAX_MS = 15_000;
for (let seen = -1, quietSince = now(); now() - quietSince < QUIET_MS;) {
  if (now() - t0 - wallMs > WAIT_MAX_MS) break;
  await new Promise((r) => setTimeout(r, 50));
  if (entries.length !== seen) {
    seen = entries.length;
    quietSince = now();
  }
}
obs.disconnect();
// Only the collections that started during the workload: not those of the wait (idle-time ones).
const during = entries.filter((e) => e.startTime >= t0 && e.startTime <= t0 + wallMs);
if (during.length === 0) throw new Error('bench: no GC entries were delivered for an allocating workload: the pause figures would be wrong');
if (m !== null && m.size !== n) throw new Error(`bench: the map has ${m.size} entries, expected ${n}`);

const KIND_NAMES = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const sum = (list) => ({
  count: list.length,
  totalMs: +list.reduce((s, e) => s + e.duration, 0).toFixed(2),
  maxMs: +list.reduce((s, e) => Math.max(s, e.duration), 0).toFixed(2),
});
const byKind = {};
for (const e of during) (byKind[KIND_NAMES[e.detail?.kind] ?? 'other'] ??= []).push(e);
const result = {
  which,
  kind,
  n: which === 'none' ? 0 : n,
  iterations: iters,
  wallMs: +wallMs.toFixed(1),
  check: x,
  ...sum(during),
  byKind: Object.fromEntries(Object.entries(byKind).map(([k, l]) => [k, sum(l)])),
};
if (process.send) process.send(result, () => process.exit(0));
else console.log(JSON.stringify(result));
