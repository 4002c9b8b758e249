// One key kind's timed section, in a process of its own (run.js forks one per kind):
//   node --expose-gc bench/child-section.js <int32|float64|string> ['{"rounds":5,"ops":1048576,"buildKeys":1000000}']
// Times every case at every size, Map and HashMap alternately, for several
// rounds, and sends the rows (medians and raw round times) to the parent, or
// prints them as JSON when run by hand. String keys (KINDS.string in lib.js)
// skip the typed-array batch cases, make the keys of their builds inside the
// timed loop, and add 'get-fresh': lookups with equal strings built afresh.
import { HashMap } from '../dist/index.js';
import { KINDS, SIZES, compileLoops, makeKeys, makeKeyCodes, codesOf, makeVals, randomOrder, permutation, mixedOrder, median, now, gc, progress } from './lib.js';

const [kind, settingsArg] = process.argv.slice(2);
const K = KINDS[kind];
if (!K) {
  console.error(`usage: node --expose-gc bench/child-section.js <${Object.keys(KINDS).join('|')}> [settings JSON]`);
  process.exit(2);
}
const S = { rounds: 5, ops: 2 ** 20, buildKeys: 1e6, sizes: SIZES, ...(settingsArg ? JSON.parse(settingsArg) : {}) };

// One copy of every loop per map type: see compileLoops in lib.js.
const LM = compileLoops(`Map/${kind}`);
const LH = compileLoops(`HashMap/${kind}`);
const makeMap = () => new Map(); // Map has no capacity: buildCap's make(n) gets a fresh Map
const makeHm = () => new HashMap(null, K.hashMap);
const makeHmCap = (n) => new HashMap(null, { ...K.hashMap, capacity: n });
const dropMap = () => {};
const dropHm = (m) => m.dispose();

/** Time one call on a clean heap: [ms, result]. */
function timed(fn) {
  gc();
  const t0 = now();
  const r = fn();
  return [now() - t0, r];
}

/**
 * Build a map of `keys` `reps` times, timing each build (not its disposal), after
 * one untimed build that is dropped first: the memory a build needs is then
 * already resident (a second build after dispose).
 */
function timedBuilds(loop, make, drop, keys, vals, reps) {
  drop(loop(make, keys, vals));
  gc();
  let ms = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    const m = loop(make, keys, vals);
    ms += now() - t0;
    if (m.size !== vals.length) throw new Error(`bench: built ${m.size} entries, expected ${vals.length}`);
    drop(m);
  }
  return [ms, vals.length];
}

/** Delete every key `reps` times, timing the deletes; `restore` puts them back, untimed. */
function timedDeletes(loop, m, q, restore, reps) {
  gc();
  let ms = 0;
  let c = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    c = loop(m, q);
    ms += now() - t0;
    if (c !== q.length || m.size !== 0) throw new Error(`bench: deleted ${c} of ${q.length} keys`);
    restore();
  }
  return [ms, c];
}

const sameArrays = (a, b) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function runSize(n, warmup) {
  const keys = makeKeys(kind, n, 0);
  const vals = makeVals(kind, n, 1);
  const missingKeys = makeKeys(kind, n, n);
  // Each timed task loops over a query array of L keys, reps times (at most 2^20 keys a call, the issue's getMany case).
  const L = Math.max(n, Math.min(2 ** 20, 64 * n));
  const reps = Math.max(1, Math.round(S.ops / L));
  const buildReps = Math.max(1, Math.round(S.buildKeys / n));
  const iterReps = Math.max(1, Math.round(S.ops / n));
  const qHit = randomOrder(keys, L, 99 + n);
  const qMiss = randomOrder(missingKeys, L, 98 + n);
  const qVals = makeVals(kind, L, 2);
  const missing = K.missing;
  // String keys: the builds make their keys from these codes, inside the timed loop (buildFresh in lib.js).
  const [buildLoop, buildCapLoop, buildSrc] = K.codes ? ['buildFresh', 'buildCapFresh', makeKeyCodes(n, 0)] : ['build', 'buildCap', keys];
  const iterLoop = kind === 'string' ? 'iterateStr' : 'iterate';

  // A and W: a map of each type for the reading cases, and a working pair for churn and deletes.
  const mapA = LM.build(makeMap, keys, vals);
  const hmA = LH.build(makeHm, keys, vals);
  const mapW = LM.build(makeMap, keys, vals);
  const hmW = LH.build(makeHm, keys, vals);

  const cases = [['get-hit', L * reps, () => timed(() => LM.get(mapA, qHit, reps)), () => timed(() => LH.get(hmA, qHit, reps)), Object.is]];
  if (K.codes) {
    // The keys of qHit, in its order, made afresh for each lookup: the same sum as get-hit.
    const qFresh = codesOf(qHit);
    cases.push(['get-fresh', L * reps, () => timed(() => LM.getFresh(mapA, qFresh, reps)), () => timed(() => LH.getFresh(hmA, qFresh, reps)), Object.is]);
  }
  cases.push(
    ['get-miss', L * reps, () => timed(() => LM.get(mapA, qMiss, reps)), () => timed(() => LH.get(hmA, qMiss, reps)), Object.is],
    ['set', L * reps, () => timed(() => LM.set(mapA, qHit, qVals, reps)), () => timed(() => LH.set(hmA, qHit, qVals, reps)), Object.is],
    ['insert-capacity', n * buildReps, () => timedBuilds(LM[buildCapLoop], makeMap, dropMap, buildSrc, vals, buildReps), () => timedBuilds(LH[buildCapLoop], makeHmCap, dropHm, buildSrc, vals, buildReps), Object.is],
    ['build-2nd', n * buildReps, () => timedBuilds(LM[buildLoop], makeMap, dropMap, buildSrc, vals, buildReps), () => timedBuilds(LH[buildLoop], makeHm, dropHm, buildSrc, vals, buildReps), Object.is],
    ['churn', L * reps, () => timed(() => LM.churn(mapW, qHit, qVals, reps)), () => timed(() => LH.churn(hmW, qHit, qVals, reps)), Object.is],
    ['iterate', n * iterReps, () => timed(() => LM[iterLoop](mapA, iterReps)), () => timed(() => LH[iterLoop](hmA, iterReps)), close],
  );
  // The typed-array batch operations: not for string keys (K.batch === false).
  if (K.batch !== false) {
    const qMix = mixedOrder(keys, missingKeys, L, 97 + n);
    const qDel = permutation(keys, 96 + n);
    const out = [new K.Vals(L), new K.Vals(L)];
    const has = [new Uint8Array(L), new Uint8Array(L)];
    cases.push(
      ['getMany', L * reps, () => timed(() => LM.getAll(mapA, qHit, out[0], missing, reps)), () => timed(() => LH.getMany(hmA, qHit, out[1], missing, reps)), sameArrays],
      ['setMany', L * reps, () => timed(() => LM.setAll(mapA, qHit, qVals, reps).size), () => timed(() => LH.setMany(hmA, qHit, qVals, reps).size), Object.is],
      ['hasMany', L * reps, () => timed(() => LM.hasAll(mapA, qMix, has[0], reps)), () => timed(() => LH.hasMany(hmA, qMix, has[1], reps)), sameArrays],
      ['deleteMany', n * buildReps, () => timedDeletes(LM.deleteAll, mapW, qDel, () => LM.setAll(mapW, keys, vals, 1), buildReps), () => timedDeletes(LH.deleteMany, hmW, qDel, () => hmW.setMany(keys, vals), buildReps), Object.is],
    );
  }

  const times = cases.map(() => [[], []]);
  const firstResult = [];
  const rounds = warmup ? 1 : S.rounds;
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    cases.forEach(([id, , runMap, runHm, same], c) => {
      // Alternate which map goes first, so neither always runs on the other's leftovers.
      const [a, b] = r % 2 === 0 ? [runMap(), runHm()] : [runHm(), runMap()].reverse();
      if (!same(a[1], b[1])) throw new Error(`bench: Map and HashMap disagree on ${id} (${kind}, ${n}): ${a[1]} vs ${b[1]}`);
      if (r === 0) firstResult[c] = a[1];
      times[c][0].push(a[0]);
      times[c][1].push(b[0]);
    });
    if (warmup) progress(`${kind} warm-up round at ${n} entries (untimed): ${((now() - t0) / 1000).toFixed(1)} s`);
    else progress(`${kind} ${n} entries: round ${r + 1}/${rounds} (${((now() - t0) / 1000).toFixed(1)} s)`);
  }
  if (mapA.size !== n || hmA.size !== n || mapW.size !== n || hmW.size !== n) throw new Error('bench: a map lost entries');
  const hmBytes = hmA.stats().bytes;
  hmA.dispose();
  hmW.dispose();
  if (warmup) return [];

  return cases.map(([id, ops], c) => {
    const mapNs = (median(times[c][0]) * 1e6) / ops;
    const hashMapNs = (median(times[c][1]) * 1e6) / ops;
    return {
      kind,
      n,
      case: id,
      ops,
      mapNs,
      hashMapNs,
      ratio: mapNs / hashMapNs,
      mapMs: times[c][0],
      hashMapMs: times[c][1],
      // The first get round's sum: the Go reference must get the same from the same keys and order.
      ...(id === 'get-hit' ? { hashMapBytes: hmBytes, checksum: firstResult[c] } : {}),
    };
  });
}

const rows = [];
const sizes = [...S.sizes].sort((a, b) => a - b);
runSize(sizes[0], true); // let the JIT compile every loop before anything is timed
for (const n of sizes) {
  const sizeRows = runSize(n, false);
  progress(`${kind} ${n} entries, ratios (Map / HashMap): ${sizeRows.map((r) => `${r.case} ${r.ratio.toFixed(2)}`).join(', ')}`);
  rows.push(...sizeRows);
  gc();
}
if (process.send) process.send({ rows }, () => process.exit(0));
else console.log(JSON.stringify({ rows }));
