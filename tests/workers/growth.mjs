// Test 2: writers insert, update and delete disjoint key ranges of a map that starts tiny and grows
// many times, while a reader (get/has/size) and an iterator check every answer against what the
// writers have published through a shared Int32Array.
//
// Writer w owns key numbers n = w*N + j, j in [0, N). It inserts j = 0, 1, 2, ... in order (version
// 0), sets version 1 UPD_LAG inserts later, deletes the keys with j % 3 == 0 in order (the d-th
// deletion is j = 3d) LAG inserts later, and finally brings the keys with j % 3 == 1 to version 2.
// No key is inserted again after its deletion. Around every operation it publishes a "started" and a
// "done" counter, so a reader that reads "done" counters before its operation and "started" counters
// after it knows which keys must be present, which must be absent, and which versions are possible.
import { HashMap } from '../../dist/index.js';
import { workerData, run, check, show, sleep, barrier, rng, strKey, strKeyNum, strVal, strValParse } from './common.mjs';

// ctl layout
export const BARRIER = 0; // and 1
export const WRITERS_DONE = 2;
export const PASSES = 3;
const WBASE = 16;
const INS_START = 0,
  INS_DONE = 1,
  DEL_START = 2,
  DEL_DONE = 3,
  UPD_DONE = 4,
  ADD_DONE = 5;
/** Per writer: its operation count, and that count when the iterator last started a pass. */
const OPS = 6,
  PASS_SEEN = 7;
const slot = (w, f) => WBASE + 8 * w + f;

const { handle, ctl: ctlBuf, role, w: myW, W, N, LAG, UPD_LAG, OPS_PER_PASS, mode, seed } = workerData;
const ctl = new Int32Array(ctlBuf);
const ld = (w, f) => Atomics.load(ctl, slot(w, f));
const st = (w, f, x) => Atomics.store(ctl, slot(w, f), x);

const keyOf = mode === 'str' ? (n) => strKey(n) : (n) => n;
const valOf = mode === 'str' ? (n, ver) => strVal(n, ver) : (n, ver) => n * 4 + ver;
/** n of a key, or -1. */
const keyNum = mode === 'str' ? strKeyNum : (k) => (Number.isInteger(k) && k >= 0 && k < W * N ? k : -1);
/** { n, ver } of a value, or null. */
const valParse = mode === 'str' ? strValParse : (v) => (Number.isInteger(v) && v >= 0 ? { n: v >> 2, ver: v & 3 } : null);

/** The highest version key j can ever have. */
const maxVer = (j) => (j % 3 === 1 ? 2 : 1);

/** Lowest version of key (w, j) given the "done" counters read before: { upd, add }. */
function minVer(j, upd, add) {
  if (j % 3 === 1 && j < add) return 2;
  return j < upd ? 1 : 0;
}

/** Check that v is a value writer could have written for key n, at least version lo. */
function checkValue(n, v, lo, what) {
  const p = valParse(v);
  const j = n % N;
  check(p !== null && p.n === n, () => `${what}: key ${show(keyOf(n))} has value ${show(v)}, never written for it`);
  check(p.ver <= maxVer(j), () => `${what}: key ${show(keyOf(n))} has value ${show(v)}, never written for it`);
  check(p.ver >= lo, () => `${what}: key ${show(keyOf(n))} has value ${show(v)}, stale: version ${lo} was already written`);
}

function writer(m) {
  const w = myW;
  let ops = 0;
  let paceWaits = 0;
  const pace = () => {
    ops++;
    if ((ops & 31) !== 0) return;
    st(w, OPS, ops);
    // Let the iterating thread start a pass at least every OPS_PER_PASS of this writer's operations,
    // so that passes overlap the writes at every size of the map (within reason).
    while (ops - ld(w, PASS_SEEN) > OPS_PER_PASS && paceWaits < 10000) {
      sleep(1);
      paceWaits++;
    }
  };
  const n = (j) => w * N + j;
  let d = 0;
  const del = () => {
    const j = 3 * d;
    st(w, DEL_START, d + 1);
    const r = m.delete(keyOf(n(j)));
    check(r === true, () => `writer ${w}: delete(${show(keyOf(n(j)))}) returned ${r}`);
    st(w, DEL_DONE, d + 1);
    d++;
    pace();
  };
  const upd = (u) => {
    m.set(keyOf(n(u)), valOf(n(u), 1));
    st(w, UPD_DONE, u + 1);
    pace();
  };
  for (let j = 0; j < N; j++) {
    st(w, INS_START, j + 1);
    check(m.set(keyOf(n(j)), valOf(n(j), 0)) === m, 'set must return the map');
    st(w, INS_DONE, j + 1);
    pace();
    if (j % 16 === 0) {
      const v = m.get(keyOf(n(j)));
      check(v === valOf(n(j), 0), () => `writer ${w}: get(${show(keyOf(n(j)))}) = ${show(v)} right after set`);
    }
    if (j >= UPD_LAG) upd(j - UPD_LAG);
    while (3 * d + LAG <= j) del();
  }
  for (let u = Math.max(0, N - UPD_LAG); u < N; u++) upd(u);
  while (3 * d < N) del();
  for (let j = 0; j < N; j++) {
    if (j % 3 !== 1) continue;
    const k = keyOf(n(j));
    if (mode === 'str') {
      const r = m.getOrSet(k, valOf(n(j), 3));
      check(r === valOf(n(j), 1), () => `writer ${w}: getOrSet(${show(k)}) = ${show(r)}, expected ${show(valOf(n(j), 1))}`);
      m.set(k, valOf(n(j), 2));
    } else {
      const r = m.add(k, 1);
      check(r === valOf(n(j), 2), () => `writer ${w}: add(${show(k)}, 1) = ${show(r)}, expected ${show(valOf(n(j), 2))}`);
    }
    st(w, ADD_DONE, j + 1);
    pace();
  }
  Atomics.add(ctl, WRITERS_DONE, 1);
  return { ops, paceWaits };
}

function reader(m) {
  const rand = rng(seed);
  let reads = 0,
    mustPresent = 0,
    mustAbsent = 0,
    sizes = 0;
  const pick = (w) => {
    const r = rand();
    let j;
    if (r < 0.35) j = ld(w, INS_DONE) - 1 + Math.floor(rand() * 64) - 32;
    else if (r < 0.7) j = 3 * (ld(w, DEL_DONE) + Math.floor(rand() * 32) - 16);
    else j = Math.floor(rand() * N);
    return Math.min(N - 1, Math.max(0, j));
  };
  const insDoneB = new Int32Array(W),
    delDoneB = new Int32Array(W);
  // Batch reads (number keys): getMany and hasMany of BATCH picked keys, checked key by key as a get
  // or has is, against the counters read before the batch began and after it ended.
  const BATCH = 64;
  const bw = new Int32Array(BATCH),
    bj = new Int32Array(BATCH),
    bkeys = new Int32Array(BATCH);
  const before = { ins: new Int32Array(W), del: new Int32Array(W), upd: new Int32Array(W), add: new Int32Array(W) };
  const after = { ins: new Int32Array(W), del: new Int32Array(W) };
  let batches = 0;
  const batch = () => {
    for (let i = 0; i < BATCH; i++) {
      const w = Math.floor(rand() * W);
      bw[i] = w;
      bj[i] = pick(w);
      bkeys[i] = w * N + bj[i];
    }
    for (let w = 0; w < W; w++) {
      before.ins[w] = ld(w, INS_DONE);
      before.del[w] = ld(w, DEL_DONE);
      before.upd[w] = ld(w, UPD_DONE);
      before.add[w] = ld(w, ADD_DONE);
    }
    const useGet = rand() < 0.6;
    const out = useGet ? m.getMany(bkeys, undefined, -1) : m.hasMany(bkeys);
    for (let w = 0; w < W; w++) {
      after.ins[w] = ld(w, INS_START);
      after.del[w] = ld(w, DEL_START);
    }
    for (let i = 0; i < BATCH; i++) {
      const w = bw[i],
        j = bj[i],
        n = bkeys[i];
      const deletable = j % 3 === 0;
      const present = j < before.ins[w] && !(deletable && j / 3 < after.del[w]);
      const absent = j >= after.ins[w] || (deletable && j / 3 < before.del[w]);
      const found = useGet ? out[i] !== -1 : out[i] === 1;
      const what = `${useGet ? 'getMany' : 'hasMany'}[${i}] (key ${n})`;
      if (present) {
        mustPresent++;
        check(found, () => `${what} missed a key present all along`);
      }
      if (absent) {
        mustAbsent++;
        check(!found, () => `${what} found a key absent all along: ${show(out[i])}`);
      }
      if (useGet && found) checkValue(n, out[i], minVer(j, before.upd[w], before.add[w]), what);
      reads++;
    }
    batches++;
  };
  while (Atomics.load(ctl, WRITERS_DONE) < W) {
    if (mode !== 'str') for (let i = 0; i < 4; i++) batch();
    for (let i = 0; i < 256; i++) {
      const w = Math.floor(rand() * W);
      const j = pick(w);
      const n = w * N + j;
      const k = keyOf(n);
      const insDone = ld(w, INS_DONE),
        delDone = ld(w, DEL_DONE),
        upd = ld(w, UPD_DONE),
        add = ld(w, ADD_DONE);
      const useGet = rand() < 0.7;
      const v = useGet ? m.get(k) : m.has(k);
      const insStart = ld(w, INS_START),
        delStart = ld(w, DEL_START);
      const deletable = j % 3 === 0;
      const present = j < insDone && !(deletable && j / 3 < delStart);
      const absent = j >= insStart || (deletable && j / 3 < delDone);
      const found = useGet ? v !== undefined : v;
      if (!useGet) check(typeof v === 'boolean', () => `has returned ${show(v)}`);
      if (present) {
        mustPresent++;
        check(found, () => `${useGet ? 'get' : 'has'}(${show(k)}) missed a key present all along (inserted ${insDone}, deletion started ${delStart})`);
      }
      if (absent) {
        mustAbsent++;
        check(!found, () => `${useGet ? 'get' : 'has'}(${show(k)}) found a key absent all along: ${show(v)} (insertion started ${insStart}, deleted ${delDone})`);
      }
      if (useGet && found) checkValue(n, v, minVer(j, upd, add), 'get');
      reads++;
    }
    // size, bracketed by what is surely in and what may be in
    for (let w = 0; w < W; w++) {
      insDoneB[w] = ld(w, INS_DONE);
      delDoneB[w] = ld(w, DEL_DONE);
    }
    const size = m.size;
    let lo = 0,
      hi = 0;
    for (let w = 0; w < W; w++) {
      lo += insDoneB[w] - ld(w, DEL_START);
      hi += ld(w, INS_START) - delDoneB[w];
    }
    check(size >= lo && size <= hi, () => `size ${size} outside [${lo}, ${hi}]`);
    sizes++;
  }
  return { reads, mustPresent, mustAbsent, sizes, batches };
}

function iterator(m) {
  const rand = rng(seed);
  // Counters read before the pass began (completeness) and before each step (per-step checks).
  const insDone = new Int32Array(W);
  const delDone = new Int32Array(W),
    upd = new Int32Array(W),
    add = new Int32Array(W);
  const snapStep = () => {
    for (let w = 0; w < W; w++) {
      delDone[w] = ld(w, DEL_DONE);
      upd[w] = ld(w, UPD_DONE);
      add[w] = ld(w, ADD_DONE);
    }
  };
  let passes = 0,
    overlapped = 0,
    overlappedBig = 0,
    produced = 0,
    maxSizeSeen = 0;
  let finalCount = -1;
  for (;;) {
    const done = Atomics.load(ctl, WRITERS_DONE) === W;
    for (let w = 0; w < W; w++) {
      insDone[w] = ld(w, INS_DONE);
      st(w, PASS_SEEN, ld(w, OPS));
    }
    snapStep();
    Atomics.add(ctl, PASSES, 1);
    const seen = new Uint8Array(W * N);
    const kind = passes % 4;
    // Some passes stop early (the iterator must be released at once); those skip the completeness check.
    const stopAt = !done && passes % 8 >= 6 ? Math.floor(rand() * 2000) : Infinity;
    let count = 0;
    const what = `pass ${passes} (${['for...of', 'forEach', 'keys()', 'values()'][kind]})`;
    // Per step: no key twice; never one whose insertion had not started; never one whose deletion was
    // done before the step began (Go: an entry deleted before the iteration reaches it is not
    // produced); a value at least as new as the last update done before the step began.
    const visit = (n, v, hasValue) => {
      check(n >= 0, () => `${what}: produced a key never written`);
      const w = Math.floor(n / N),
        j = n % N;
      check(!seen[n], () => `${what}: produced ${show(keyOf(n))} twice`);
      seen[n] = 1;
      check(j < ld(w, INS_START), () => `${what}: produced ${show(keyOf(n))} before its insertion started`);
      check(j % 3 !== 0 || j / 3 >= delDone[w], () => `${what}: produced ${show(keyOf(n))}, deleted before the step began (deletions done ${delDone[w]}, its index ${j / 3})`);
      if (hasValue) checkValue(n, v, minVer(j, upd[w], add[w]), what);
      count++;
    };
    const manual = (it, decode) => {
      try {
        for (;;) {
          snapStep();
          const r = it.next();
          if (r.done) return;
          decode(r.value);
          if (count >= stopAt) return;
        }
      } finally {
        it.return?.();
      }
    };
    if (kind === 0) {
      // for...of, written out so that the counters are read before each next()
      manual(m[Symbol.iterator](), ([k, v]) => visit(keyNum(k), v, true));
    } else if (kind === 1) {
      m.forEach(function (v, k, map) {
        check(map === m, 'forEach: third argument must be the map');
        visit(keyNum(k), v, true);
        snapStep(); // before the next step
      });
    } else if (kind === 2) {
      for (const k of m.keys()) {
        visit(keyNum(k), undefined, false);
        if (count >= stopAt) break;
      }
    } else {
      manual(m.values(), (v) => {
        const p = valParse(v);
        check(p !== null, () => `${what}: produced value ${show(v)}, never written`);
        visit(p.n < W * N ? p.n : -1, v, true);
      });
    }
    produced += count;
    maxSizeSeen = Math.max(maxSizeSeen, count);
    if (count < stopAt) {
      // Go: an entry present for the whole iteration is produced (exactly once: no duplicates above).
      for (let w = 0; w < W; w++) {
        const delStart = ld(w, DEL_START);
        for (let j = 0; j < insDone[w]; j++) {
          if (j % 3 === 0 && j / 3 < delStart) continue;
          check(seen[w * N + j], () => `${what}: missed ${show(keyOf(w * N + j))}, present for the whole pass`);
        }
      }
    }
    passes++;
    if (done) {
      finalCount = count;
      break;
    }
    overlapped++;
    if (count >= 1000) overlappedBig++;
  }
  return { passes, overlapped, overlappedBig, produced, maxSizeSeen, finalCount };
}

run(() => {
  const m = HashMap.attach(handle);
  barrier(ctl, BARRIER, W + 2); // writers, reader and iterator start together
  try {
    if (role === 'writer') return writer(m);
    if (role === 'reader') return reader(m);
    return iterator(m);
  } finally {
    m.dispose();
  }
});
