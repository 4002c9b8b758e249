// Growth: doubling from empty to 1e6 entries, same-size grow after delete churn, the capacity option,
// memory given back by clear and dispose, and every key kind growing correctly.
import { describe, it, expect } from 'vitest';
import { HashMap, type HashMapStats } from '../bindings/index.js';
import type { NumericKeyKind as KeyKind, NumericValueKind as ValueKind } from './helpers.js';
import { core } from '../bindings/load.js';
import { GROW_SMALL_B, GROW_SMALL_STEP } from '../bindings/contract.js';
import { rng, KEY_KINDS, VALUE_KINDS, withSeed, heapTop } from './helpers.js';
import { expandSeed, bucketOf } from './hashref.js';

type AnyMap = HashMap<unknown, unknown>;

// ---- helpers ---------------------------------------------------------------

const MUL = 0x9e3779b1;
/** Modular inverse of MUL mod 2^32 (Newton's iteration), so a key gives back its index. */
const INV = (() => {
  let x = MUL;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(MUL, x));
  return x;
})();
/** int32 key number i: a bijection, so keys i and j differ for i != j. */
const ikey = (i: number) => Math.imul(i, MUL) | 0;
const iindex = (k: number) => Math.imul(k, INV) | 0;

/** Key number i of a sequence of distinct keys of `kind`. */
function distinctKey(kind: KeyKind, i: number): number | bigint {
  switch (kind) {
    case 'int32':
      return ikey(i);
    case 'uint32':
      return ikey(i) >>> 0;
    case 'float64':
      return i * 1.25 - 100_000.5;
    case 'bigint64':
      return BigInt.asIntN(64, BigInt(i) * 0x9e3779b97f4a7c15n);
    case 'biguint64':
      return BigInt.asUintN(64, BigInt(i) * 0x9e3779b97f4a7c15n);
  }
}

/** The value stored for key number i, per value kind. */
function valueFor(kind: ValueKind, i: number): unknown {
  switch (kind) {
    case 'int32':
      return i | 0;
    case 'uint32':
      return (i * 7) >>> 0;
    case 'float64':
      return i + 0.5;
    case 'bigint64':
      return BigInt(i) - 1000n;
    case 'biguint64':
      return BigInt(i) * 3n;
    case 'any':
      return `v${i}`;
  }
}

/** Entries to count at which an insert starts a doubling, at B: Go's `count > 8 && count > 6.5 * 2^B`. */
function growsAt(B: number): number {
  return Math.max(9, Math.floor(6.5 * 2 ** B) + 1);
}

/** B after a growth from B of a private map with no live iterator: four times (B + 2) while small (grow.ts rehashAll), then doubling. */
function grownB(B: number): number {
  return B < GROW_SMALL_B ? Math.min(B + GROW_SMALL_STEP, GROW_SMALL_B) : B + 1;
}

/** B of a private map built from empty to n entries with no live iterator: the growths from B = 0 that n inserts start. */
function bFromEmpty(n: number): number {
  let B = 0;
  while (n >= growsAt(B)) B = grownB(B);
  return B;
}

/** Smallest B whose buckets hold n entries without passing the load factor. */
function bFor(n: number): number {
  let B = 0;
  while (n > 8 && n > 6.5 * 2 ** B) B++;
  return B;
}

function statsInvariants(s: HashMapStats, size: number, problems: string[], where: string): void {
  const bad = (p: string) => {
    if (problems.length < 20) problems.push(`${where}: ${p} ${JSON.stringify(s)}`);
  };
  if (s.count !== size) bad(`count ${s.count} != ${size}`);
  if (s.buckets !== 2 ** s.B) bad('buckets != 2^B');
  if (s.growing) {
    if (s.oldBuckets !== (s.sameSizeGrow ? s.buckets : s.buckets / 2)) bad('oldBuckets');
    if (!(s.nevacuate >= 0 && s.nevacuate < s.oldBuckets)) bad('nevacuate out of range');
  } else {
    if (s.oldBuckets !== 0 || s.nevacuate !== 0 || s.sameSizeGrow) bad('growth fields while not growing');
  }
  if (s.overflowBuckets < 0 || s.tombstones !== 0 || s.liveIterators !== 0) bad('overflow/tombstones/iterators');
}

/** All keys with index < n are present with their values, and keys n .. n+absent-1 are absent. */
function checkIntRange(m: HashMap<number, number>, n: number, absent: number, problems: string[], where: string): void {
  for (let i = 0; i < n; i++) {
    const k = ikey(i);
    const v = m.get(k);
    if (v !== i || !m.has(k)) {
      if (problems.length < 20) problems.push(`${where}: key #${i} (${k}) -> get ${v}, has ${m.has(k)}`);
    }
  }
  for (let i = n; i < n + absent; i++) {
    const k = ikey(i);
    if (m.has(k) || m.get(k) !== undefined) {
      if (problems.length < 20) problems.push(`${where}: absent key #${i} (${k}) found`);
    }
  }
}

/** One iteration produces each key of index < n exactly once, with its value. */
function checkIntIteration(m: HashMap<number, number>, n: number, problems: string[], where: string): void {
  const seen = new Uint8Array(n);
  let count = 0;
  for (const [k, v] of m) {
    const i = iindex(k);
    if (i < 0 || i >= n || v !== i) {
      if (problems.length < 20) problems.push(`${where}: iteration gave ${k} => ${v}`);
      continue;
    }
    if (seen[i]) {
      if (problems.length < 20) problems.push(`${where}: iteration gave key #${i} twice`);
    }
    seen[i] = 1;
    count++;
  }
  if (count !== n) problems.push(`${where}: iteration gave ${count} keys, expected ${n}`);
}

/** The map holds exactly the model (Object.is on values); asserts once. */
function expectContent(m: AnyMap, model: Map<unknown, unknown>, where: string): void {
  const problems: string[] = [];
  const note = (p: string) => {
    if (problems.length < 10) problems.push(`${where}: ${p}`);
  };
  if (m.size !== model.size) note(`size ${m.size}, model ${model.size}`);
  if (m.stats().count !== model.size) note(`stats().count ${m.stats().count}, model ${model.size}`);
  for (const [k, v] of model) {
    if (!m.has(k)) note(`has(${String(k)}) is false`);
    else if (!Object.is(m.get(k), v)) note(`get(${String(k)}) is ${String(m.get(k))}, model ${String(v)}`);
  }
  const seen = new Set<unknown>();
  for (const [k, v] of m) {
    if (seen.has(k)) note(`iteration gave ${String(k)} twice`);
    seen.add(k);
    if (!model.has(k)) note(`iteration gave ${String(k)}, not in the model`);
    else if (!Object.is(model.get(k), v)) note(`iteration gave ${String(k)} => ${String(v)}`);
  }
  if (seen.size !== model.size) note(`iteration gave ${seen.size} keys, model ${model.size}`);
  expect(problems).toEqual([]);
}

// ---- wasm memory growth ------------------------------------------------------------
// First in the file on purpose: vitest runs each file in a fresh process, so this map is the first to
// need new wasm memory.

describe('wasm memory growth', () => {
  // BUG (assembly/alloc.ts bump): memory.grow is called for exactly the pages one allocation needs, so a
  // growing heap calls it once per 64 KiB. Each memory.grow costs V8 about 0.5-1 ms, whatever its size,
  // so a map of 10M entries spends seconds in it, and new HashMap(null, { capacity: 2 ** 32 - 1 }) takes
  // about 4 minutes to fail. Observed here without timing: the memory's buffer is replaced on every grow.
  it('grows the wasm memory in large steps, not one 64 KiB page at a time', () => {
    const memory = core.memory;
    let buf = memory.buffer;
    const start = buf.byteLength;
    let grows = 0;
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: 1 });
    for (let i = 0; i < 400_000; i++) {
      m.set(ikey(i), i);
      if (memory.buffer !== buf) {
        grows++;
        buf = memory.buffer;
      }
    }
    const grown = buf.byteLength - start;
    expect(grown).toBeGreaterThan(4 << 20); // the test means something only if memory grew
    // on average at least 1 MiB per memory.grow
    expect(grown / grows, `${grows} grows for ${grown} bytes`).toBeGreaterThanOrEqual(1 << 20);
    m.dispose();
  });
});

// ---- doubling ----------------------------------------------------------------

describe('doubling', () => {
  it('a small doubling is done in one step only while no iterator is live; an iterator held across small doublings yields each entry present throughout exactly once', () => {
    for (const seed of [1, 2, 3]) {
      withSeed(seed, () => {
        // Two maps grow through the same small doublings (B 6 -> 7 -> 8), one with an iterator in the
        // middle of its walk (more entries than its first batches take), one with none.
        const withIt = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed });
        const without = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed });
        for (let i = 0; i < 300; i++) {
          withIt.set(i, i);
          without.set(i, i);
        }
        expect(withIt.stats().B).toBe(6);
        const it = withIt.keys();
        const seen = new Map<number, number>();
        const see = (r: IteratorResult<number>) => {
          if (!r.done) seen.set(r.value, (seen.get(r.value) ?? 0) + 1);
        };
        see(it.next());
        const growths = { withIt: [] as string[], without: [] as string[] };
        for (let i = 300; i < 840; i++) {
          for (const [name, m] of [
            ['withIt', withIt],
            ['without', without],
          ] as const) {
            const B = m.stats().B;
            m.set(i, i);
            const s = m.stats();
            if (s.B !== B) growths[name].push(`${B} -> ${s.B}${s.growing ? ', growing' : ''}`);
          }
          if (i % 7 === 0) see(it.next());
        }
        for (let r = it.next(); !r.done; r = it.next()) see(r);
        // From fewer than 2^GROW_SMALL_B buckets: with the iterator live, two doublings, each still going on
        // after the insert that started it; with none, one growth to four times the buckets, done at once.
        expect([GROW_SMALL_B, GROW_SMALL_STEP]).toEqual([8, 2]);
        expect(growths.withIt).toEqual(['6 -> 7, growing', '7 -> 8, growing']);
        expect(growths.without).toEqual(['6 -> 8']);
        for (let i = 0; i < 300; i++) expect(seen.get(i), `key ${i}, present throughout`).toBe(1);
        for (const [k, times] of seen) expect(times, `key ${k}`).toBe(1);
        for (let i = 0; i < 840; i++) expect(withIt.get(i)).toBe(i);
        withIt.dispose();
        without.dispose();
      });
    }
  });

  it('grows from empty to 1e6 int32 entries: stats track every growth, lookups stay right throughout', () => {
    const N = 1_000_000;
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: 1234 });
    const problems: string[] = [];
    let prev = m.stats();
    expect(prev.B).toBe(0);
    expect(prev.growing).toBe(false);
    const growthsSeen: number[] = [];
    let growthStart = -1;
    let checkedMid = false;
    let checkpoints = 0;
    let growingCheckpoints = 0;
    for (let i = 0; i < N && problems.length === 0; i++) {
      m.set(ikey(i), i);
      const n = i + 1;
      const s = m.stats();
      statsInvariants(s, n, problems, `after ${n} inserts`);
      if (s.sameSizeGrow) problems.push(`${n}: same-size grow while only inserting`);
      if (s.B !== prev.B) {
        // B moves by one (by two while small), exactly at the load-factor threshold, never during another growth.
        if (s.B !== grownB(prev.B)) problems.push(`${n}: B jumped ${prev.B} -> ${s.B}`);
        if (n !== growsAt(prev.B)) problems.push(`${n}: grew at count ${n}, expected ${growsAt(prev.B)}`);
        if (prev.growing) problems.push(`${n}: a doubling started while another was in progress`);
        growthsSeen.push(s.B);
        growthStart = n;
        checkedMid = false;
        // A small table's growth is done in the insert that starts it; a larger one's is spread over later writes.
        if (prev.B < GROW_SMALL_B && s.growing) problems.push(`${n}: growth to B=${s.B} not finished in one insert`);
        if (prev.B >= GROW_SMALL_B && !s.growing) problems.push(`${n}: growth to B=${s.B} finished in one insert`);
        if (s.B >= 11) {
          // Right after the doubling starts: old buckets not evacuated yet, all lookups must still work.
          checkIntRange(m, n, 1000, problems, `start of growth to B=${s.B}`);
          checkpoints++;
          if (s.growing) growingCheckpoints++;
        }
      } else if (s.growing) {
        // Same growth: nevacuate only moves forward.
        if (!prev.growing) problems.push(`${n}: growing became true without B changing`);
        if (s.nevacuate < prev.nevacuate) problems.push(`${n}: nevacuate went back ${prev.nevacuate} -> ${s.nevacuate}`);
        if (!checkedMid && s.B >= 11 && s.nevacuate >= s.oldBuckets / 2) {
          checkedMid = true;
          checkIntRange(m, n, 1000, problems, `middle of growth to B=${s.B}`);
          checkpoints++;
          growingCheckpoints++;
          if (s.B === 15 || s.B === 18) checkIntIteration(m, n, problems, `middle of growth to B=${s.B}`);
        }
      } else if (prev.growing) {
        // A growth just finished: it took at most one insert per old bucket.
        if (n - growthStart > prev.oldBuckets) problems.push(`${n}: growth took ${n - growthStart} inserts for ${prev.oldBuckets} old buckets`);
        if (s.B >= 11) {
          checkIntRange(m, n, 1000, problems, `end of growth to B=${s.B}`);
          checkpoints++;
        }
      }
      if (!s.growing && s.count > growsAt(s.B) - 1) problems.push(`${n}: over the load factor without growing`);
      prev = s;
    }
    expect(problems).toEqual([]);
    // 1e6 entries need 2^18 buckets at 6.5 per bucket: B went 2, 4, 6, 8 (four times while small), then
    // through every B from 9 to 18 once.
    expect(m.stats().B).toBe(bFor(N));
    expect(bFromEmpty(N)).toBe(bFor(N));
    expect(growthsSeen).toEqual([2, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    expect(checkpoints).toBeGreaterThanOrEqual(20);
    expect(growingCheckpoints).toBeGreaterThanOrEqual(14);
    checkIntRange(m, N, 100_000, problems, 'at 1e6');
    checkIntIteration(m, N, problems, 'at 1e6');
    expect(problems).toEqual([]);
    m.dispose();
  });

  it('deletes alone drive an evacuation to its end, and content stays exact', () => {
    for (const target of [10, 12, 14]) {
      withSeed(target, () => {
        const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: target });
        const n = growsAt(target - 1); // this insert starts the doubling to B = target
        for (let i = 0; i < n; i++) m.set(ikey(i), i);
        let s = m.stats();
        expect(s.B).toBe(target);
        expect(s.growing).toBe(true);
        expect(s.oldBuckets).toBe(s.buckets / 2);
        const problems: string[] = [];
        let deleted = 0;
        let prevNev = s.nevacuate;
        const rand = rng(target);
        const gone = new Uint8Array(n);
        while (s.growing && deleted < n) {
          let i = Math.floor(rand() * n);
          while (gone[i]) i = (i + 1) % n;
          gone[i] = 1;
          if (!m.delete(ikey(i))) problems.push(`delete of key #${i} returned false`);
          deleted++;
          s = m.stats();
          if (s.growing && s.nevacuate < prevNev) problems.push('nevacuate went back');
          prevNev = s.nevacuate;
          if (deleted === 50) {
            for (let j = 0; j < n; j++) if (m.get(ikey(j)) !== (gone[j] ? undefined : j)) problems.push(`key #${j} wrong during growth`);
          }
        }
        expect(s.growing).toBe(false);
        expect(deleted).toBeLessThanOrEqual(s.buckets / 2);
        expect(s.count).toBe(n - deleted);
        for (let j = 0; j < n; j++) if (m.get(ikey(j)) !== (gone[j] ? undefined : j) || m.has(ikey(j)) !== !gone[j]) problems.push(`key #${j} wrong after growth`);
        expect(problems.slice(0, 10)).toEqual([]);
        m.dispose();
      });
    }
  });
});

// ---- small maps: four times over in one step -------------------------------------

describe('small maps grow four times over in one step (assembly/grow.ts rehashAll)', () => {
  const model = (n: number) => new Map(Array.from({ length: n }, (_, i) => [i, i * 3]));
  const check = (m: HashMap<number, number>, want: Map<number, number>) => {
    expect(m.size).toBe(want.size);
    for (const [k, v] of want) if (m.get(k) !== v) expect([k, m.get(k)]).toEqual([k, v]);
    expect(new Map(m)).toEqual(want);
  };

  it('where the four-times array does not fit maxBytes, the map doubles instead and keeps every entry', () => {
    const fill = (m: HashMap<number, number>, n: number) => {
      for (let i = 0; i < n; i++) m.set(i, i * 3);
    };
    const free = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: 5 });
    fill(free, growsAt(6) - 1);
    expect(free.stats().B).toBe(6);
    const before = free.stats().bytes;
    free.set(growsAt(6) - 1, (growsAt(6) - 1) * 3);
    expect(free.stats().B).toBe(8);
    // Room next to the old array for the doubled one (128 buckets of 80 bytes: 10,240 bytes, 12,288 in
    // whole pages), not for the array four times over (20,480 bytes).
    const maxBytes = before + 3 * 64 * 80;
    const tight = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: 5, maxBytes });
    fill(tight, growsAt(6));
    const s = tight.stats();
    expect([s.B, s.growing]).toEqual([7, false]);
    check(tight, model(growsAt(6)));
    free.dispose();
    tight.dispose();
  });

  it('an overflow bucket the new array cannot get undoes the four-times growth; the map doubles instead, and clear() gives every byte back', () => {
    const seed = 11;
    const S = expandSeed(seed);
    // 40 keys that share bucket 0 of 2^8 (so of 2^6 too) need 4 overflow buckets in either array.
    const crowd: number[] = [];
    for (let k = 1_000_000; crowd.length < 40; k++) if (bucketOf('int32', k, S, 8) === 0) crowd.push(k);
    const others: number[] = [];
    for (let k = 0; others.length < growsAt(6) - crowd.length; k++) others.push(k);
    const keys = [...others, ...crowd];
    const outcomes = new Set<string>();
    const fresh = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed });
    const emptyBytes = fresh.stats().bytes;
    for (let i = 0; i < keys.length - 1; i++) fresh.set(keys[i], i);
    const base = fresh.stats().bytes; // at B = 6, before the insert that grows it
    expect(fresh.stats().B).toBe(6);
    fresh.dispose();
    // maxBytes from "the new array and not one overflow bucket" to "all of them": each must either grow
    // four times over or fall back to doubling, with the same entries either way.
    for (let extra = 0; extra <= 6 * 80; extra += 16) {
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed, maxBytes: base + 256 * 80 + extra });
      const want = new Map<number, number>();
      for (let i = 0; i < keys.length; i++) {
        m.set(keys[i], i);
        want.set(keys[i], i);
      }
      const s = m.stats();
      outcomes.add(`B ${s.B}`);
      expect(s.growing).toBe(false);
      check(m, want);
      m.clear();
      expect(m.stats().bytes).toBe(emptyBytes);
      m.dispose();
    }
    // Both happened: some budgets had the new array but not its overflow buckets.
    expect([...outcomes].sort()).toEqual(['B 7', 'B 8']);
  });

  it('string keys: tombstones left by a doubling under an iterator are dropped by the next small growth, and their blocks freed', () => {
    const key = (i: number) => `a longer key, number ${i}`; // past the inline limit: each key has a block
    const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', seed: 3 });
    const emptyBytes = m.stats().bytes;
    const want = new Map<string, number>();
    const put = (i: number) => {
      m.set(key(i), i);
      want.set(key(i), i);
    };
    for (let i = 0; i < 300; i++) put(i);
    const it = m.keys();
    it.next();
    for (let i = 300; i < growsAt(6) + 50; i++) put(i); // a doubling to B = 7 under the live iterator
    while (!it.next().done);
    let s = m.stats();
    expect([s.B, s.liveIterators]).toEqual([7, 0]);
    for (let i = growsAt(6) + 50; i < growsAt(7) + 5 && m.stats().growing; i++) put(i); // finish it
    s = m.stats();
    expect(s.tombstones).toBeGreaterThan(0);
    for (let i = want.size; i < growsAt(7); i++) put(i); // the growth to B = 8, with no iterator: in one step
    s = m.stats();
    expect([s.B, s.growing, s.tombstones]).toEqual([8, false, 0]);
    expect(m.size).toBe(want.size);
    for (const [k, v] of want) if (m.get(k) !== v) expect([k, m.get(k)]).toEqual([k, v]);
    m.clear();
    expect(m.stats().bytes).toBe(emptyBytes);
    m.dispose();
  });
});

// ---- same-size growth ----------------------------------------------------------

describe('same-size grow', () => {
  const configs: { key: KeyKind; value: ValueKind; size: number; seed: number }[] = [
    { key: 'int32', value: 'int32', size: 400, seed: 1 },
    { key: 'float64', value: 'any', size: 400, seed: 2 },
    { key: 'int32', value: 'float64', size: 3000, seed: 3 },
    { key: 'bigint64', value: 'uint32', size: 1600, seed: 4 },
  ];
  for (const cfg of configs) {
    it(`${cfg.key} => ${cfg.value}, ${cfg.size} entries: delete churn at constant size leads to a same-size grow that frees overflow buckets`, () => {
      withSeed(cfg.seed, () => {
        const rand = rng(cfg.seed);
        const m = new HashMap<unknown, unknown>(null, { key: cfg.key, value: cfg.value, seed: cfg.seed, capacity: cfg.size });
        const model = new Map<unknown, unknown>();
        const live: (number | bigint)[] = [];
        let next = 0;
        for (; next < cfg.size; next++) {
          const k = distinctKey(cfg.key, next);
          m.set(k, valueFor(cfg.value, next));
          model.set(k, valueFor(cfg.value, next));
          live.push(k);
        }
        const B = m.stats().B;
        const problems: string[] = [];
        let started = -1;
        let before: HashMapStats | null = null;
        let after: HashMapStats | null = null;
        let maxOverflow = 0;
        let checkedDuring = false;
        for (let op = 0; op < 400_000 && after === null && problems.length === 0; op++) {
          const j = Math.floor(rand() * live.length);
          if (!m.delete(live[j])) problems.push(`delete of a live key returned false at op ${op}`);
          model.delete(live[j]);
          const k = distinctKey(cfg.key, next);
          const v = valueFor(cfg.value, next);
          next++;
          live[j] = k;
          const pre = m.stats();
          m.set(k, v);
          model.set(k, v);
          const s = m.stats();
          statsInvariants(s, cfg.size, problems, `op ${op}`);
          if (s.B !== B) problems.push(`op ${op}: B changed ${B} -> ${s.B} at constant size`);
          maxOverflow = Math.max(maxOverflow, s.overflowBuckets);
          if (s.growing && !s.sameSizeGrow) problems.push(`op ${op}: a doubling at constant size`);
          if (s.sameSizeGrow && started < 0) {
            started = op;
            before = pre;
            // it starts when there are as many overflow buckets as buckets (2^min(B, 15))
            if (pre.overflowBuckets < 2 ** Math.min(B, 15)) problems.push(`op ${op}: same-size grow with only ${pre.overflowBuckets} overflow buckets`);
            if (s.oldBuckets !== s.buckets) problems.push(`op ${op}: oldBuckets ${s.oldBuckets} during a same-size grow`);
          }
          if (started >= 0 && s.growing && !checkedDuring && s.nevacuate >= s.oldBuckets / 2) {
            checkedDuring = true;
            expectContent(m, model, `during the same-size grow (op ${op})`);
          }
          if (started >= 0 && !s.growing) after = s;
          if (started < 0 && pre.overflowBuckets >= 2 ** Math.min(B, 15) + 1) problems.push(`op ${op}: too many overflow buckets and no same-size grow`);
        }
        expect(problems).toEqual([]);
        expect(started, 'no same-size grow happened').toBeGreaterThanOrEqual(0);
        expect(after, 'the same-size grow never finished').not.toBeNull();
        expect(checkedDuring || cfg.size < 1000).toBe(true);
        // Re-packing freed most overflow buckets and their memory.
        expect(after!.overflowBuckets).toBeLessThan(before!.overflowBuckets / 2);
        expect(after!.bytes).toBeLessThan(before!.bytes);
        expect(after!.B).toBe(B);
        expect(maxOverflow).toBeGreaterThanOrEqual(2 ** Math.min(B, 15) - 1);
        expectContent(m, model, 'after the same-size grow');
        // More churn after it keeps the content exact.
        for (let op = 0; op < 5000; op++) {
          const j = Math.floor(rand() * live.length);
          m.delete(live[j]);
          model.delete(live[j]);
          const k = distinctKey(cfg.key, next);
          live[j] = k;
          m.set(k, valueFor(cfg.value, next));
          model.set(k, valueFor(cfg.value, next));
          next++;
        }
        expectContent(m, model, 'after more churn');
        // and clear() gives back every overflow bucket: the bytes of a new map of the same capacity
        m.clear();
        const fresh = new HashMap<unknown, unknown>(null, { key: cfg.key, value: cfg.value, capacity: cfg.size });
        expect(m.stats().bytes).toBe(fresh.stats().bytes);
        expect(m.stats().overflowBuckets).toBe(0);
        fresh.dispose();
        m.dispose();
      });
    });
  }
});

// ---- capacity ----------------------------------------------------------------

describe('capacity option', () => {
  const sizes = [1, 8, 9, 13, 14, 27, 100, 833, 1000, 6656, 6657, 50_000, 212_992, 300_000];
  sizes.forEach((N, idx) => {
    const kk = KEY_KINDS[idx % KEY_KINDS.length];
    const vk = VALUE_KINDS[(idx * 2) % VALUE_KINDS.length];
    it(`capacity ${N} (${kk} => ${vk}): no growth while ${N} entries go in`, () => {
      const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, capacity: N, seed: idx });
      const s0 = m.stats();
      expect(s0.B).toBe(bFor(N));
      const problems: string[] = [];
      for (let i = 0; i < N; i++) {
        m.set(distinctKey(kk, i), valueFor(vk, i));
        // stats() on every insert for small maps, every 64th for large ones
        if (N <= 10_000 || i % 64 === 0 || i === N - 1) {
          const s = m.stats();
          if (s.B !== s0.B || s.growing) {
            problems.push(`insert ${i + 1}: ${JSON.stringify(s)}`);
            break;
          }
        }
      }
      expect(problems).toEqual([]);
      expect(m.size).toBe(N);
      for (let i = 0; i < N; i++) {
        if (!Object.is(m.get(distinctKey(kk, i)), valueFor(vk, i))) {
          problems.push(`key #${i}`);
          break;
        }
      }
      expect(problems).toEqual([]);
      // A capacity right at the threshold is the smallest B: the next new key grows the map.
      if (N === growsAt(s0.B) - 1) {
        m.set(distinctKey(kk, N), valueFor(vk, N));
        expect(m.stats().B).toBe(grownB(s0.B));
      }
      m.dispose();
    });
  });

  it('capacity 0 is an empty single-bucket map that grows normally', () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: 0 });
    expect(m.stats().B).toBe(0);
    for (let i = 0; i < 100; i++) m.set(i, i);
    expect(m.stats().B).toBe(bFromEmpty(100));
    m.dispose();
  });
});

// ---- memory ------------------------------------------------------------------

describe('memory', () => {
  const cases: { key: KeyKind; value: ValueKind; capacity?: number }[] = [
    { key: 'int32', value: 'int32' },
    { key: 'float64', value: 'float64' },
    { key: 'bigint64', value: 'any', capacity: 5000 },
    { key: 'uint32', value: 'biguint64', capacity: 100 },
  ];
  for (const c of cases) {
    it(`${c.key} => ${c.value}${c.capacity ? `, capacity ${c.capacity}` : ''}: clear() returns stats().bytes to a new map's`, () => {
      const opts = { key: c.key, value: c.value, ...(c.capacity ? { capacity: c.capacity } : {}) };
      const fresh = new HashMap<unknown, unknown>(null, opts);
      const empty = fresh.stats();
      fresh.dispose();
      const m = new HashMap<unknown, unknown>(null, opts);
      expect(m.stats().bytes).toBe(empty.bytes);
      // Cleared at rest, in the middle of a doubling, and with an iterator live (tombstones).
      for (const [n, how] of [
        [100_000, 'at rest'],
        [growsAt(12) + 50, 'mid-growth'],
        [30_000, 'iterator'],
      ] as const) {
        for (let i = 0; i < n; i++) m.set(distinctKey(c.key, i), valueFor(c.value, i));
        let it: Iterator<unknown> | null = null;
        if (how === 'iterator') {
          it = m.keys();
          it.next();
          for (let i = n; i < 4 * n; i++) m.set(distinctKey(c.key, i), valueFor(c.value, i));
        }
        const full = m.stats();
        if (how === 'mid-growth' && (c.capacity ?? 0) < n) expect(full.growing).toBe(true);
        expect(full.bytes).toBeGreaterThan(empty.bytes);
        m.clear();
        const s = m.stats();
        expect(s.count).toBe(0);
        expect(m.size).toBe(0);
        expect(s.B).toBe(empty.B);
        expect(s.growing).toBe(false);
        expect(s.overflowBuckets).toBe(0);
        expect(s.tombstones).toBe(0);
        expect(s.bytes, `bytes after clear (${how})`).toBe(empty.bytes);
        if (it) {
          expect(it.next().done).toBe(true);
          expect(m.stats().liveIterators).toBe(0);
        }
        // still fully usable
        m.set(distinctKey(c.key, 1), valueFor(c.value, 1));
        expect(m.get(distinctKey(c.key, 1))).toEqual(valueFor(c.value, 1));
        m.delete(distinctKey(c.key, 1));
      }
      m.dispose();
    });
  }

  it('1000 maps of 1000 entries, created and disposed in turn, stop raising the heap top after the first few', () => {
    const run = (j: number, seeded: boolean, kk: KeyKind, vk: ValueKind) => {
      const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, ...(seeded ? { seed: 77 } : {}) });
      for (let i = 0; i < 1000; i++) m.set(distinctKey(kk, i + j), valueFor(vk, i));
      if (j % 50 === 0) {
        let n = 0;
        for (const e of m) n += e ? 1 : 0;
        expect(n).toBe(1000);
      }
      for (let i = 0; i < 1000; i += 3) m.delete(distinctKey(kk, i + j));
      m.dispose();
    };
    // Same seed and keys each time: every map needs exactly the same blocks, so the top must not move at all.
    for (let j = 0; j < 10; j++) run(0, true, 'int32', 'int32');
    const top = heapTop();
    for (let j = 0; j < 1000; j++) run(0, true, 'int32', 'int32');
    expect(heapTop()).toBe(top);
    // Random seeds and other kinds: the peak count of overflow buckets varies a little from map to map,
    // but a leak of even 16 bytes per map would add 16 KB over 1000 maps.
    for (const [kk, vk] of [
      ['int32', 'any'],
      ['float64', 'float64'],
      ['bigint64', 'int32'],
    ] as [KeyKind, ValueKind][]) {
      for (let j = 0; j < 10; j++) run(j, false, kk, vk);
      const top2 = heapTop();
      for (let j = 0; j < 1000; j++) run(j, false, kk, vk);
      expect(heapTop() - top2, `${kk} => ${vk}`).toBeLessThan(16 * 1024);
    }
  });

  it("a disposed map's memory is reused by the next one: a big map and then many small ones", () => {
    const big = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: 1 });
    for (let i = 0; i < 300_000; i++) big.set(ikey(i), i);
    const bytes = big.stats().bytes;
    big.dispose();
    const top = heapTop();
    // 20 maps of 10k int32 entries hold well under what the big one gave back
    const maps: HashMap<number, number>[] = [];
    for (let j = 0; j < 20; j++) {
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: j });
      for (let i = 0; i < 10_000; i++) m.set(ikey(i), i);
      maps.push(m);
    }
    const held = maps.reduce((a, m) => a + m.stats().bytes, 0);
    expect(held).toBeLessThan(bytes);
    // Segments are page-sized classes: small maps cannot always reuse a big map's blocks exactly,
    // but most of what they need must come from freed memory.
    expect(heapTop() - top).toBeLessThan(held);
    for (const m of maps) m.dispose();
  });
});

// ---- every key kind ------------------------------------------------------------

describe('every key kind grows correctly', () => {
  const N = 200_000;
  KEY_KINDS.forEach((kk, idx) => {
    const vk = VALUE_KINDS[(idx + 1) % VALUE_KINDS.length];
    it(`${kk} => ${vk}: 2e5 entries`, () => {
      const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk, seed: 100 + idx });
      const problems: string[] = [];
      let prevB = 0;
      let growths = 0;
      let checked = false;
      let midChecks = 0;
      for (let i = 0; i < N; i++) {
        m.set(distinctKey(kk, i), valueFor(vk, i));
        if (i % 16 === 0 || i === N - 1) {
          const s = m.stats();
          statsInvariants(s, i + 1, problems, `${kk} insert ${i + 1}`);
          if (s.B !== prevB) {
            growths++;
            checked = false;
          }
          prevB = s.B;
          // once per growth of a large map, while it is half evacuated: every key so far, and a few absent ones
          if (s.growing && s.B >= 12 && !checked && s.nevacuate >= s.oldBuckets / 2) {
            checked = true;
            midChecks++;
            for (let j = 0; j <= i; j++) {
              if (!Object.is(m.get(distinctKey(kk, j)), valueFor(vk, j))) {
                problems.push(`mid-growth B=${s.B}: key #${j}`);
                break;
              }
            }
            for (let j = i + 1; j < i + 200; j++) if (m.has(distinctKey(kk, j))) problems.push(`mid-growth: absent key #${j} found`);
          }
        }
        if (problems.length) break;
      }
      expect(problems).toEqual([]);
      expect(midChecks).toBeGreaterThanOrEqual(4);
      expect(growths).toBeGreaterThanOrEqual(10);
      expect(m.stats().B).toBe(bFor(N));
      expect(m.size).toBe(N);
      const seen = new Set<unknown>();
      for (const [k, v] of m) {
        if (seen.has(k)) problems.push(`twice: ${String(k)}`);
        seen.add(k);
        if (problems.length > 5) break;
        void v;
      }
      expect(seen.size).toBe(N);
      for (let i = 0; i < N; i++) {
        if (!Object.is(m.get(distinctKey(kk, i)), valueFor(vk, i))) problems.push(`key #${i}`);
        if (problems.length > 5) break;
      }
      for (let i = N; i < N + 10_000; i++) if (m.has(distinctKey(kk, i))) problems.push(`absent key #${i} found`);
      // delete every other key, all lookups still right
      for (let i = 0; i < N; i += 2) if (!m.delete(distinctKey(kk, i))) problems.push(`delete #${i}`);
      for (let i = 0; i < N; i++) {
        const want = i % 2 === 0 ? undefined : valueFor(vk, i);
        if (!Object.is(m.get(distinctKey(kk, i)), want)) problems.push(`after deletes, key #${i}`);
        if (problems.length > 5) break;
      }
      expect(problems).toEqual([]);
      expect(m.size).toBe(N / 2);
      m.dispose();
    });
  });
});

// Regression: a growth must always finish. advanceMark looks at most 1024 buckets past nevacuate;
// when it stopped on a bucket that was already evacuated (writes that touch old buckets in bucket
// order, as a for...of that updates every value does, evacuate a long run ahead of nevacuate), the
// mark never moved again, the growth never ended and the map never grew again.
describe('every growth finishes', () => {
  it('after writes evacuate a run of more than 1024 old buckets ahead of nevacuate', () => {
    const seed = 7;
    const S64 = expandSeed(seed);
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed });
    let next = 0;
    while (!(m.stats().growing && m.stats().B === 13)) m.set(next++, 1);
    const oldB = 12;
    // One key per old bucket, then write them in bucket order from old bucket 1500 on: a run of 1300
    // evacuated buckets far ahead of nevacuate.
    const byBucket = new Map<number, number>();
    for (let k = 0; byBucket.size < 1 << oldB; k++) {
      const b = bucketOf('int32', k, S64, oldB);
      if (!byBucket.has(b)) byBucket.set(b, k);
    }
    for (let b = 1500; b < 2800; b++) m.set(byBucket.get(b)!, 2);
    for (let j = 0; j < 5000 && m.stats().growing; j++) m.set(byBucket.get(0)!, 3);
    expect(m.stats().growing).toBe(false);
    for (let j = 0; j < 150_000; j++) m.set(next++, 4);
    const s = m.stats();
    expect(s.B).toBeGreaterThan(13);
    expect(s.count / s.buckets).toBeLessThanOrEqual(6.5);
    for (let k = 0; k < next; k += 31) expect(m.has(k)).toBe(true);
    m.dispose();
  });
});

describe('growth frees what it does not use', () => {
  it('after growing through long chains, overflow buckets are exactly what the chains need', () => {
    // Crafted keys: 400 keys in one bucket of a 2^6-bucket array, then growth splits that chain
    // repeatedly (each split reserves overflow buckets for the worst case and frees the unused ones).
    const seed = 11;
    const S64 = expandSeed(seed);
    const keys: number[] = [];
    for (let k = 0; keys.length < 400; k++) if (bucketOf('int32', k, S64, 6) === 5) keys.push(k);
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed });
    for (const k of keys) m.set(k, k);
    for (let k = -1; m.stats().B < 9 || m.stats().growing; k--) m.set(k, k);
    const s = m.stats();
    // Exact need: for each chain, ceil(len / 8) - 1 overflow buckets (re-packed chains, no iterator live).
    const lens = new Map<number, number>();
    for (const [k] of m) {
      const b = bucketOf('int32', k, S64, s.B);
      lens.set(b, (lens.get(b) ?? 0) + 1);
    }
    let need = 0;
    for (const n of lens.values()) need += Math.max(0, Math.ceil(n / 8) - 1);
    expect(s.overflowBuckets).toBeGreaterThanOrEqual(need);
    // Chains that only shrank keep their buckets until re-packed; but no reserved Y bucket is left empty:
    // the count stays within what the chains ever needed, far below one spare bucket per split.
    expect(s.overflowBuckets - need).toBeLessThan(8);
    m.dispose();
  });
});
