// Iteration tests: Go's four iteration guarantees (docs: shared/reference/go-map.md, "What iteration
// must guarantee") checked against a model Map while the map is mutated, grown, cleared and disposed
// under live iterators; slot release and pool reuse; order randomisation; batched-fetch revalidation;
// tombstones left by growth under a live iterator.
//
// Every randomised test runs under withSeed, so a failure prints the seed that replays it.
import { describe, it, expect } from 'vitest';
import { HashMap } from '../bindings/index.js';
import type { NumericKeyKind as KeyKind, NumericValueKind as ValueKind } from './helpers.js';
import { ITER_SMALL_MAX } from '../bindings/contract.js';
import { rng, keyMaker, valueMaker, normKey, withSeed, seeded, heapTop, iterPoolSize } from './helpers.js';

/** The largest map an iterator copies whole at its start instead of walking it live (bindings/iterators.ts). */
const SMALL_MAX = ITER_SMALL_MAX;

type K = number | bigint;
type M = HashMap<K, unknown>;

/** Base seed; set ITER_SEED to replay or to explore other seeds. */
const BASE = Number(process.env.ITER_SEED ?? 1);

/** Key/value kind pairs: every key kind, numeric value kinds of both sizes, and 'any'. */
const COMBOS: [KeyKind, ValueKind][] = [
  ['int32', 'int32'],
  ['int32', 'any'],
  ['float64', 'float64'],
  ['float64', 'any'],
  ['bigint64', 'bigint64'],
  ['bigint64', 'any'],
  ['uint32', 'float64'],
  ['biguint64', 'int32'],
];

function fail(msg: string): never {
  throw new Error(msg);
}

function show(x: unknown): string {
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'object' && x !== null) {
    return JSON.stringify(x, (_, y) => (typeof y === 'bigint' ? `${y}n` : y === undefined ? 'undefined' : y));
  }
  return Object.is(x, -0) ? '-0' : String(x);
}

// ---- model -----------------------------------------------------------------

/**
 * A model Map plus, for every present key, the id of its current "life": a life starts when the key
 * is inserted as a new entry and ends when it is deleted (or cleared). Go's guarantees are stated per
 * life: a key deleted and re-added during an iteration is a new entry and may be produced again.
 */
class Model {
  readonly map = new Map<K, unknown>();
  readonly life = new Map<K, number>();
  private readonly arr: K[] = [];
  private readonly idx = new Map<K, number>();
  private seq = 0;

  get size(): number {
    return this.map.size;
  }

  set(k: K, v: unknown): void {
    k = normKey(k);
    if (!this.map.has(k)) {
      this.idx.set(k, this.arr.length);
      this.arr.push(k);
      this.life.set(k, ++this.seq);
    }
    this.map.set(k, v);
  }

  delete(k: K): boolean {
    k = normKey(k);
    const i = this.idx.get(k);
    if (i === undefined) return false;
    const last = this.arr.pop()!;
    if (i < this.arr.length) {
      this.arr[i] = last;
      this.idx.set(last, i);
    }
    this.idx.delete(k);
    this.life.delete(k);
    this.map.delete(k);
    return true;
  }

  clear(): void {
    this.map.clear();
    this.life.clear();
    this.arr.length = 0;
    this.idx.clear();
  }

  randomKey(rand: () => number): K | undefined {
    return this.arr.length === 0 ? undefined : this.arr[Math.floor(rand() * this.arr.length)];
  }
}

/** Checks one iteration against the model, per produced entry and at its end. */
class Tracker {
  /** Lives present when the iteration started: those still alive at the end must have been produced. */
  readonly startLives: Map<K, number>;
  readonly produced = new Set<number>();
  readonly producedKeys: K[] = [];
  count = 0;

  constructor(
    readonly model: Model,
    readonly label: string,
  ) {
    this.startLives = new Map(model.life);
  }

  /** One produced entry; `v` is checked unless `withValue` is false (keys()). */
  produce(k: K, v: unknown, withValue = true): void {
    this.count++;
    const life = this.model.life.get(k);
    if (life === undefined) {
      fail(`${this.label}: produced key ${show(k)} which is not in the map (deleted before it was reached, or never there)`);
    }
    if (this.produced.has(life)) {
      const origin = this.startLives.get(k) === life ? 'present since the start' : 'added (or deleted and re-added) during the iteration';
      fail(`${this.label}: key ${show(k)} produced twice in the same life, an entry ${origin} (entry #${this.count})`);
    }
    this.produced.add(life);
    this.producedKeys.push(k);
    if (withValue) {
      const want = this.model.map.get(k);
      if (!Object.is(v, want)) fail(`${this.label}: key ${show(k)} produced with value ${show(v)}, current value is ${show(want)}`);
    }
  }

  /** The iteration has ended: every entry present for the whole iteration was produced. */
  finish(): void {
    let missing = 0;
    let example: K | undefined;
    for (const [k, life] of this.startLives) {
      if (this.model.life.get(k) === life && !this.produced.has(life)) {
        missing++;
        example ??= k;
      }
    }
    if (missing > 0) {
      fail(`${this.label}: ${missing} entries present for the whole iteration were never produced, e.g. key ${show(example)}`);
    }
  }
}

/** Random content changes, each mirrored in the model (and the map's answers checked against it). */
class Mutator {
  readonly key: () => K;
  readonly val: () => unknown;
  constructor(
    readonly m: M,
    readonly model: Model,
    readonly rand: () => number,
    kk: KeyKind,
    vk: ValueKind,
    range: number,
  ) {
    this.key = keyMaker(kk, rand, range) as () => K;
    this.val = valueMaker(vk, rand);
  }

  insert(): void {
    const k = this.key();
    const v = this.val();
    this.m.set(k, v);
    this.model.set(k, v);
  }

  update(): void {
    const k = this.model.randomKey(this.rand);
    if (k === undefined) return this.insert();
    const v = this.val();
    this.m.set(k, v);
    this.model.set(k, v);
  }

  delete(): void {
    // Mostly a present key; sometimes a random one, which may be absent.
    const k = this.rand() < 0.85 ? this.model.randomKey(this.rand) : this.key();
    if (k === undefined) return;
    const had = this.model.delete(k);
    if (this.m.delete(k) !== had) fail(`delete(${show(k)}) disagrees with the model (model had it: ${had})`);
  }

  /** Delete a key and insert it again with a new value: a new entry for the guarantees. */
  reAdd(): void {
    const k = this.model.randomKey(this.rand);
    if (k === undefined) return;
    this.model.delete(k);
    this.m.delete(k);
    const v = this.val();
    this.m.set(k, v);
    this.model.set(k, v);
  }

  /** One random change: insert / delete / update / delete-and-re-add with the given weights. */
  step(wIns: number, wDel: number, wUpd: number, wRe = 0): void {
    const r = this.rand() * (wIns + wDel + wUpd + wRe);
    if (r < wIns) this.insert();
    else if (r < wIns + wDel) this.delete();
    else if (r < wIns + wDel + wUpd) this.update();
    else this.reAdd();
  }

  fill(n: number): void {
    for (let i = 0; i < n; i++) this.insert();
  }
}

/** The map's content equals the model's, by lookups and by one fresh full iteration. */
function sameContent(m: M, model: Model, label: string): void {
  if (m.size !== model.size) fail(`${label}: size ${m.size}, model ${model.size}`);
  for (const [k, v] of model.map) {
    if (!m.has(k)) fail(`${label}: key ${show(k)} missing`);
    if (!Object.is(m.get(k), v)) fail(`${label}: key ${show(k)} has ${show(m.get(k))}, model ${show(v)}`);
  }
  const t = new Tracker(model, `${label} (fresh iteration)`);
  for (const [k, v] of m) t.produce(k, v);
  t.finish();
  if (t.count !== model.size) fail(`${label}: fresh iteration produced ${t.count} entries, model has ${model.size}`);
  if (m.stats().liveIterators !== 0) fail(`${label}: liveIterators ${m.stats().liveIterators} after a completed iteration`);
}

type Style = 'next' | 'forof' | 'keys' | 'forEach';
const STYLES: Style[] = ['next', 'forof', 'keys', 'forEach'];

/**
 * Iterate m in the given style, calling `between(false)` after each produced entry (and, for 'next',
 * `between(true)` once between creating the iterator and its first next()), checking every entry with
 * a Tracker. Returns the tracker.
 */
function iterate(m: M, model: Model, style: Style, label: string, between: (beforeFirst: boolean) => void): Tracker {
  const t = new Tracker(model, `${label} [${style}]`);
  switch (style) {
    case 'next': {
      const it = m.entries();
      between(true); // a change between creating the iterator and its first next()
      t.startLives.clear();
      for (const [k, l] of model.life) t.startLives.set(k, l);
      for (;;) {
        const r = it.next();
        if (r.done) break;
        t.produce(r.value[0], r.value[1]);
        between(false);
      }
      break;
    }
    case 'forof':
      for (const [k, v] of m) {
        t.produce(k, v);
        between(false);
      }
      break;
    case 'keys':
      for (const k of m.keys()) {
        t.produce(k, undefined, false);
        between(false);
      }
      break;
    case 'forEach':
      m.forEach((v, k) => {
        t.produce(k, v);
        between(false);
      });
      break;
  }
  t.finish();
  return t;
}

function newMap(kk: KeyKind, vk: ValueKind, extra: { seed?: number; capacity?: number } = {}): M {
  return new HashMap(null, { key: kk, value: vk, ...extra });
}

/**
 * Two maps with the same seed and the same operations (`prepare`) iterate in the same order: build one
 * to learn that order (`seq`), dispose it, and return its twin with its model and mutator.
 */
function twinWithOrder(kk: KeyKind, vk: ValueKind, mapSeed: number, prepare: (mut: Mutator, model: Model) => void) {
  const build = () => {
    const m = newMap(kk, vk, { seed: mapSeed });
    const model = new Model();
    const mut = new Mutator(m, model, rng(mapSeed), kk, vk, 1 << 30);
    prepare(mut, model);
    return { m, model, mut };
  };
  const a = build();
  const seq = [...a.m.keys()];
  a.m.dispose();
  return { seq, ...build() };
}

// ---- 1. guarantees under random mutation -----------------------------------

describe('guarantees under random inserts / deletes / updates during iteration', () => {
  COMBOS.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}`, () => {
      const seed = BASE * 1000 + ci;
      seeded(seed, (rand) => {
        const m = newMap(kk, vk, { seed });
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk, 4000);
        mut.fill(Math.floor(rand() * 2500));
        for (let round = 0; round < 40; round++) {
          const style = STYLES[round % STYLES.length];
          // Rate: expected changes per produced entry, from none to heavy churn.
          const rate = [0, 0.2, 1, 3][Math.floor(rand() * 4)];
          const wRe = round % 3 === 0 ? 0.3 : 0;
          iterate(m, model, style, `round ${round}`, () => {
            let n = rate < 1 ? (rand() < rate ? 1 : 0) : Math.floor(rand() * (2 * rate + 1));
            while (n-- > 0) mut.step(0.4, 0.35, 0.25, wRe);
          });
          if (m.stats().liveIterators !== 0) fail(`round ${round}: iterator not released at its end`);
          if (round % 6 === 5) sameContent(m, model, `after round ${round}`);
          // Keep the size moving between rounds, sometimes down to (almost) empty.
          if (rand() < 0.15) while (model.size > 3) mut.delete();
          else mut.fill(Math.floor(rand() * 400));
        }
        sameContent(m, model, 'end');
        m.dispose();
      });
    });
  });

  it('unseeded maps emptied and refilled around iterations (reseeding); replays only approximately', () => {
    const seed = BASE * 1000 + 40;
    seeded(seed, (rand) => {
      for (const [kk, vk] of [
        ['int32', 'int32'],
        ['float64', 'any'],
        ['bigint64', 'bigint64'],
      ] as [KeyKind, ValueKind][]) {
        const m = newMap(kk, vk); // random hash seed; it changes whenever the map becomes empty
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk, 5000);
        for (let round = 0; round < 16; round++) {
          mut.fill(Math.floor(rand() * 1200));
          let emptied = false;
          iterate(m, model, STYLES[round % 4], `${kk}=>${vk} round ${round}`, (before) => {
            if (before) return;
            // Empty the map during the iteration now and then (no reseed may happen under a live iterator).
            if (!emptied && rand() < 0.01) {
              emptied = true;
              while (model.size > 0) mut.delete();
              mut.fill(Math.floor(rand() * 100));
            } else {
              mut.step(0.4, 0.4, 0.2);
            }
          });
          // Empty it with no iterator live (the seed may change), then go on.
          if (round % 3 === 0) while (model.size > 0) mut.delete();
          sameContent(m, model, `${kk}=>${vk} after round ${round}`);
        }
        m.dispose();
      }
    });
  });

  it('clear() in the middle of an iteration, then refilling: only live entries, each at most once', () => {
    const seed = BASE * 1000 + 50;
    seeded(seed, (rand) => {
      for (const [kk, vk] of [
        ['int32', 'any'],
        ['bigint64', 'float64'],
      ] as [KeyKind, ValueKind][]) {
        // The second map is unseeded, so that clear() also changes its hash seed (not exactly replayable).
        const m = newMap(kk, vk, kk === 'int32' ? { seed } : {});
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk, 3000);
        for (let round = 0; round < 20; round++) {
          mut.fill(200 + Math.floor(rand() * 1500));
          let steps = 0;
          const clearAt = Math.floor(rand() * 50);
          const t = iterate(m, model, STYLES[round % 4], `${kk}=>${vk} round ${round}`, (before) => {
            if (before) return;
            if (steps++ === clearAt) {
              m.clear();
              model.clear();
              if (rand() < 0.5) mut.fill(Math.floor(rand() * 300)); // refill: these are new entries
            } else if (rand() < 0.5) {
              mut.step(0.5, 0.3, 0.2);
            }
          });
          // The clear ended the core iteration; at most the already fetched batch (revalidated) and
          // nothing more: a full batch is 64 entries.
          expect(t.count).toBeLessThanOrEqual(clearAt + 1 + 64 + 1);
          expect(m.stats().liveIterators).toBe(0);
          sameContent(m, model, `${kk}=>${vk} after round ${round}`);
        }
        m.dispose();
      }
    });
  });
});

// ---- 2. growth in the middle of an iteration --------------------------------

describe('guarantees while the map doubles several times during the iteration', () => {
  COMBOS.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}`, () => {
      const seed = BASE * 1000 + 100 + ci;
      seeded(seed, (rand) => {
        for (let round = 0; round < 6; round++) {
          const m = newMap(kk, vk, { seed: seed * 16 + round });
          const model = new Model();
          const mut = new Mutator(m, model, rand, kk, vk, 1 << 30);
          // Above ITER_SMALL_MAX, so that the iterator walks the map live (a smaller map is copied whole at
          // the start: see 'small maps' below), and at most 52 entries, so that it starts at B <= 4 (a small map
          // grows four times over: 27 entries take it from B = 2 to B = 4).
          const initial = SMALL_MAX + 1 + Math.floor(rand() * (52 - SMALL_MAX));
          mut.fill(initial);
          // Grow to 6000..26000 entries (2^10..2^12 buckets) during the iteration: past one 512-bucket segment.
          const target = 6000 + Math.floor(rand() * 20000);
          const perStep = Math.ceil(target / initial);
          let b0 = -1;
          let growingSeen = 0;
          let maxB = 0;
          let steps = 0;
          const style = STYLES[round % STYLES.length];
          iterate(m, model, style, `round ${round}`, (before) => {
            if (before) return;
            if (b0 < 0) b0 = m.stats().B; // the B the core iterator started with (no change happened yet)
            steps++;
            if (model.size < target) {
              for (let i = 0; i < perStep; i++) {
                mut.step(0.85, 0.1, 0.05, 0.02);
                if (m.stats().growing) growingSeen++;
              }
            } else {
              mut.step(0.3, 0.4, 0.3);
            }
            const s = m.stats();
            maxB = Math.max(maxB, s.B);
            if (s.liveIterators !== 1) fail(`liveIterators ${s.liveIterators} during the iteration`);
          });
          expect(b0).toBeLessThanOrEqual(4);
          expect(growingSeen).toBeGreaterThan(0);
          expect(maxB - b0).toBeGreaterThanOrEqual(3);
          expect(steps).toBeGreaterThan(0);
          // Tombstones are expected: growth happened with a live iterator.
          expect(m.stats().tombstones).toBeGreaterThan(0);
          sameContent(m, model, `round ${round} end`);
          m.dispose();
        }
      });
    });
  });
});

// ---- 3. iteration started in the middle of a growth ---------------------------

/** Insert until a doubling to 2^targetB buckets is in progress, then some writes that keep it in progress. */
function insertUntilGrowing(mut: Mutator, rand: () => number, targetB: number): void {
  for (;;) {
    mut.insert();
    const s = mut.m.stats();
    if (s.growing && s.B >= targetB) break;
  }
  // Evacuate part of the old array: writes move nevacuate on.
  const more = Math.floor(rand() * mut.m.stats().oldBuckets);
  for (let i = 0; i < more && (i % 8 !== 0 || mut.m.stats().growing); i++) mut.step(0.6, 0.3, 0.1);
  if (!mut.m.stats().growing) insertUntilGrowing(mut, rand, mut.m.stats().B + 1);
}

describe('iteration started in the middle of a growth', () => {
  COMBOS.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}`, () => {
      const seed = BASE * 1000 + 200 + ci;
      seeded(seed, (rand) => {
        for (let round = 0; round < 6; round++) {
          const m = newMap(kk, vk, { seed: seed * 16 + round });
          const model = new Model();
          const mut = new Mutator(m, model, rand, kk, vk, 1 << 30);
          // The doubling in progress goes to B = 3..9, or 10 (past one 512-bucket segment: the directory path).
          insertUntilGrowing(mut, rand, round === 5 ? 10 : 3 + Math.floor(rand() * 7));
          const s0 = m.stats();
          expect(s0.growing).toBe(true);
          expect(s0.sameSizeGrow).toBe(false);
          // Changes during the iteration: mostly churn; every other round, bursts of inserts that finish
          // this growth and start more.
          let burst = round % 2 === 0 ? 0 : 16;
          const stopBurstAt = model.size * 3; // one or two more doublings, then plain churn
          let sawFinish = false;
          let first = true;
          const label = `round ${round} (B ${s0.B}, nevacuate ${s0.nevacuate}/${s0.oldBuckets})`;
          // Start with next() so that the core iterator provably starts while growing.
          const it = m.entries();
          const t = new Tracker(model, label);
          for (;;) {
            if (first) expect(m.stats().growing).toBe(true);
            const r = it.next();
            if (first) {
              first = false;
              expect(m.stats().liveIterators).toBe(r.done ? 0 : 1);
            }
            if (r.done) break;
            t.produce(r.value[0], r.value[1]);
            const n = 1 + Math.floor(rand() * 3) + burst;
            for (let i = 0; i < n; i++) {
              if (burst) mut.step(0.85, 0.1, 0.05, 0.02);
              else mut.step(0.4, 0.35, 0.25, 0.05);
              if (!m.stats().growing) sawFinish = true;
            }
            if (burst && model.size > stopBurstAt) burst = 0;
          }
          t.finish();
          if (round % 2 === 1) expect(sawFinish).toBe(true);
          sameContent(m, model, `${label} end`);
          m.dispose();
        }
      });
    });
  });

  it('iteration started during a same-size grow (overflow re-packing)', () => {
    const seed = BASE * 1000 + 250;
    seeded(seed, (rand) => {
      let started = 0;
      for (const [kk, vk] of [
        ['int32', 'int32'],
        ['bigint64', 'any'],
        ['float64', 'float64'],
      ] as [KeyKind, ValueKind][]) {
        const m = newMap(kk, vk, { capacity: 400, seed });
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk, 1 << 30);
        const cap = 6.5 * m.stats().buckets;
        // Churn near full load: deletes leave overflow buckets behind, inserts add more, until a same-size grow starts.
        let guard = 0;
        while (!m.stats().sameSizeGrow && guard++ < 400_000) {
          if (model.size < cap - 20) mut.insert();
          else mut.delete();
        }
        if (!m.stats().sameSizeGrow) continue;
        started++;
        let wasSameSize = false;
        const t = iterate(m, model, 'next', `${kk}=>${vk} same-size`, (before) => {
          // Called just before the first next(): the core iterator starts during the same-size grow.
          if (before) wasSameSize = m.stats().sameSizeGrow;
          else mut.step(0.4, 0.4, 0.2);
        });
        expect(wasSameSize).toBe(true);
        expect(t.count).toBeGreaterThan(0);
        sameContent(m, model, `${kk}=>${vk} same-size end`);
        m.dispose();
      }
      expect(started).toBeGreaterThan(0);
    });
  });
});

// ---- 4. several iterators at once ------------------------------------------

describe('several iterators alive at once, interleaved with changes', () => {
  COMBOS.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}`, () => {
      const seed = BASE * 1000 + 300 + ci;
      seeded(seed, (rand) => {
        const m = newMap(kk, vk, { seed });
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk, 1 << 30);
        mut.fill(50 + Math.floor(rand() * 500));
        type Live = { it: Iterator<[K, unknown]>; t: Tracker; started: boolean; keysOnly: boolean };
        const live: Live[] = [];
        let finished = 0;
        let abandoned = 0;
        let maxLive = 0;
        let growths = 0; // growths that started with two or more iterators live
        let nextBurst = 1000;
        let wasGrowing = false;
        for (let step = 0; step < 80_000 && finished < 60; step++) {
          const r = rand();
          if (live.length < 6 && (live.length === 0 || r < 0.01)) {
            const keysOnly = rand() < 0.3;
            const it = keysOnly ? (m.keys() as unknown as Iterator<[K, unknown]>) : m.entries();
            live.push({ it, t: new Tracker(model, `iterator #${finished + abandoned + live.length} (step ${step})`), started: false, keysOnly });
          } else if (r < 0.6 && live.length > 0) {
            const i = Math.floor(rand() * live.length);
            const L = live[i];
            if (!L.started) {
              // Entries present when the core iterator starts are those present at its first next().
              L.started = true;
              L.t.startLives.clear();
              for (const [k, l] of model.life) L.t.startLives.set(k, l);
            }
            const res = L.it.next();
            if (res.done) {
              L.t.finish();
              live.splice(i, 1);
              finished++;
            } else if (L.keysOnly) {
              L.t.produce(res.value as unknown as K, undefined, false);
            } else {
              L.t.produce(res.value[0], res.value[1]);
            }
          } else if (r < 0.6003 && live.length > 0) {
            const i = Math.floor(rand() * live.length);
            live[i].it.return!();
            live.splice(i, 1);
            abandoned++;
          } else {
            // Now and then insert until a doubling starts; its evacuation then runs during the following
            // interleaved steps, with several iterators live. In between, churn shrinks the map back.
            if (step >= nextBurst && live.filter((L) => L.started).length >= 2) {
              nextBurst = step + 8000;
              while (!m.stats().growing) mut.insert();
            }
            if (model.size > 500) mut.step(0.25, 0.55, 0.2, 0.03);
            else mut.step(0.45, 0.35, 0.2, 0.03);
          }
          const s = m.stats();
          const started = live.filter((L) => L.started).length;
          if (s.growing && !wasGrowing && started >= 2) growths++;
          wasGrowing = s.growing;
          maxLive = Math.max(maxLive, started);
          if (s.liveIterators !== started) fail(`step ${step}: liveIterators ${s.liveIterators}, started and not ended: ${started}`);
        }
        for (const L of live) L.it.return!();
        expect(m.stats().liveIterators).toBe(0);
        expect(finished).toBeGreaterThanOrEqual(5);
        expect(maxLive).toBeGreaterThanOrEqual(3);
        expect(growths).toBeGreaterThan(0);
        sameContent(m, model, 'end');
        m.dispose();
      });
    });
  });
});

// ---- 5. release of iterator slots --------------------------------------------

describe('iterator slots are released: break, return(), throw', () => {
  it('for...of with break 1e5 times: liveIterators 0, bytes, heap and pool flat', () => {
    const seed = BASE * 1000 + 400;
    seeded(seed, (rand) => {
      const m = newMap('int32', 'any');
      const model = new Model();
      const mut = new Mutator(m, model, rand, 'int32', 'any', 1 << 30);
      mut.fill(1000);
      // Warm up: make sure the pool has a free slot, so a leak would show as growth.
      for (const _ of m) break;
      const pool0 = iterPoolSize();
      const bytes0 = m.stats().bytes;
      const heap0 = heapTop();
      let sum = 0;
      for (let i = 0; i < 100_000; i++) {
        switch (i % 3) {
          case 0:
            for (const [k] of m) {
              sum += k as number;
              break;
            }
            break;
          case 1:
            for (const k of m.keys()) {
              sum += k as number;
              break;
            }
            break;
          case 2:
            for (const v of m.values()) {
              sum += v === undefined ? 0 : 1;
              break;
            }
            break;
        }
      }
      expect(sum).not.toBeNaN();
      const s = m.stats();
      expect(s.liveIterators).toBe(0);
      expect(s.bytes).toBe(bytes0);
      expect(iterPoolSize()).toBe(pool0);
      expect(heapTop()).toBe(heap0);
      sameContent(m, model, 'after 1e5 breaks');
      m.dispose();
    });
  });

  it('return(), throw, early return from a function, destructuring and forEach throw release the slot', () => {
    const m = newMap('float64', 'float64');
    for (let i = 0; i < 500; i++) m.set(i * 0.5, i);
    const pool0 = iterPoolSize();

    const it = m.entries();
    expect(m.stats().liveIterators).toBe(0); // a slot is taken only by the first next()
    expect(it.next().done).toBe(false);
    expect(m.stats().liveIterators).toBe(1);
    expect(it.return!()).toEqual({ value: undefined, done: true });
    expect(m.stats().liveIterators).toBe(0);
    expect(it.next()).toEqual({ value: undefined, done: true });
    expect(it.return!()).toEqual({ value: undefined, done: true }); // a second return() is harmless
    expect(m.stats().liveIterators).toBe(0);

    // return() before any next(): nothing taken, nothing produced afterwards.
    const it2 = m.keys();
    it2.return!();
    expect(it2.next().done).toBe(true);
    expect(m.stats().liveIterators).toBe(0);

    for (let i = 0; i < 2000; i++) {
      expect(() => {
        for (const _ of m) throw new Error('boom');
      }).toThrow('boom');
      expect(() =>
        m.forEach(() => {
          throw new Error('cb');
        }),
      ).toThrow('cb');
      const first = (() => {
        for (const [k] of m) return k;
        return undefined;
      })();
      expect(typeof first).toBe('number');
      const [a, b] = m;
      expect(a).not.toEqual(b);
      const [v] = m.values();
      expect(typeof v).toBe('number');
      // A labelled continue out of an inner loop closes the inner iterator too.
      outer: for (let j = 0; j < 2; j++) {
        for (const _ of m.keys()) continue outer;
      }
    }
    expect(m.stats().liveIterators).toBe(0);
    expect(iterPoolSize()).toBeLessThanOrEqual(pool0 + 4);

    // Many iterators alive at once make the pool grow; releasing them makes them reusable.
    const many = Array.from({ length: 37 }, () => m.keys());
    for (const x of many) x.next();
    expect(m.stats().liveIterators).toBe(37);
    for (const x of many) x.return!();
    expect(m.stats().liveIterators).toBe(0);
    const pool1 = iterPoolSize();
    for (let r = 0; r < 50; r++) {
      const again = Array.from({ length: 37 }, () => m.keys());
      for (const x of again) x.next();
      for (const x of again) x.return!();
    }
    expect(iterPoolSize()).toBe(pool1);
    expect(m.stats().liveIterators).toBe(0);

    // An iteration that runs to its end releases by itself.
    let n = 0;
    for (const _ of m) n++;
    expect(n).toBe(500);
    expect(m.stats().liveIterators).toBe(0);
    m.dispose();
  });
});

// ---- 6. clear() and dispose() ------------------------------------------------

describe('iterators after clear() and dispose()', () => {
  it('after clear() live and not yet started iterators end', () => {
    const seed = BASE * 1000 + 500;
    seeded(seed, (rand) => {
      for (const [kk, vk] of COMBOS) {
        const m = newMap(kk, vk, { seed });
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk, 1 << 30);
        mut.fill(300 + Math.floor(rand() * 3000));
        const its = [m.entries(), m.keys(), m.values(), m.entries()];
        const notStarted = m.keys();
        // Advance to various points: first batch, second batch, middle of a batch.
        const adv = [1, 8, 9, 40 + Math.floor(rand() * 100)];
        its.forEach((x, i) => {
          for (let j = 0; j < adv[i]; j++) expect(x.next().done).toBe(false);
        });
        expect(m.stats().liveIterators).toBe(4);
        m.clear();
        for (const x of its) expect(x.next()).toEqual({ value: undefined, done: true });
        expect(notStarted.next()).toEqual({ value: undefined, done: true });
        expect(m.stats().liveIterators).toBe(0);
        // The map is usable afterwards, and a new iteration sees exactly the new content.
        model.clear();
        mut.fill(100);
        sameContent(m, model, `${kk}=>${vk} after clear`);
        // Clear with a live iterator, then refill: what it still produces must be live and current.
        const it = m.entries();
        const t = new Tracker(model, `${kk}=>${vk} clear+refill`);
        for (let j = 0; j < 3; j++) {
          const r = it.next();
          if (!r.done) t.produce(r.value[0], r.value[1]);
        }
        m.clear();
        model.clear();
        mut.fill(200);
        for (let r = it.next(); !r.done; r = it.next()) t.produce(r.value[0], r.value[1]);
        // clear() ends it: nothing more, not even the entries of its first batch whose keys came back.
        expect(t.count).toBe(3);
        expect(m.stats().liveIterators).toBe(0);
        m.dispose();
      }
    });
  });

  it('clear() ends live iterators, also the entries they fetched ahead when the same keys are set again (issue 12)', () => {
    for (const shared of [false, true]) {
      for (const advance of [1, 7, 8, 9, 70]) {
        const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared });
        for (let i = 0; i < 500; i++) m.set(i, i);
        const its = [m.entries(), m.keys(), m.values()];
        for (const it of its) for (let j = 0; j < advance; j++) expect(it.next().done).toBe(false);
        m.clear();
        for (let i = 0; i < 500; i++) m.set(i, -i);
        for (const it of its) expect(it.next(), `shared ${shared}, after ${advance}`).toEqual({ value: undefined, done: true });
        // forEach: a callback that clears and refills ends the walk.
        let calls = 0;
        m.forEach(() => {
          if (++calls === 3) {
            m.clear();
            for (let i = 0; i < 500; i++) m.set(i, i);
          }
        });
        expect(calls, `forEach, shared ${shared}`).toBe(3);
        expect(m.stats().liveIterators).toBe(0);
        m.dispose();
      }
    }
  });

  it('after dispose() next() throws TypeError, and the slot goes back to the pool', () => {
    for (const [kk, vk] of COMBOS) {
      const m = newMap(kk, vk);
      const key = keyMaker(kk, rng(7), 1 << 20);
      const val = valueMaker(vk, rng(8));
      for (let i = 0; i < 200; i++) m.set(key() as K, val());
      const started = m.entries();
      started.next();
      const mid = m.keys();
      for (let i = 0; i < 20; i++) mid.next();
      const fresh = m.values();
      const finished = m.keys();
      for (let r = finished.next(); !r.done; r = finished.next());
      m.dispose();
      for (const x of [started, mid, fresh, finished] as Iterator<unknown>[]) {
        expect(() => x.next()).toThrow(TypeError);
        expect(() => x.next()).toThrow(TypeError);
      }
      expect(() => m.keys()).toThrow(TypeError);
      expect(() => m.entries()).toThrow(TypeError);
      expect(() => m.forEach(() => {})).toThrow(TypeError);
      expect(() => [...m]).toThrow(TypeError);
      expect(() => m.stats()).toThrow(TypeError);
      m.dispose(); // a second dispose does nothing
    }
    // Slots of iterators of disposed maps are reused: the pool stays flat over many cycles.
    const cycle = () => {
      const m = newMap('int32', 'int32');
      for (let i = 0; i < 100; i++) m.set(i, i);
      const a = m.entries();
      const b = m.keys();
      a.next();
      b.next();
      m.dispose();
      expect(() => a.next()).toThrow(TypeError);
      expect(() => b.next()).toThrow(TypeError);
    };
    cycle();
    const pool0 = iterPoolSize();
    const heap0 = heapTop();
    for (let i = 0; i < 2000; i++) cycle();
    expect(iterPoolSize()).toBe(pool0);
    expect(heapTop()).toBe(heap0);
  });
});

// ---- 7. reuse is never observable ------------------------------------------

function sortKeyed<T>(xs: T[], keyOf: (x: T) => K): T[] {
  return xs.slice().sort((a, b) => {
    const x = keyOf(a);
    const y = keyOf(b);
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

describe('reuse is never observable; the iterator protocol', () => {
  COMBOS.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}`, () => {
      const seed = BASE * 1000 + 600 + ci;
      seeded(seed, (rand) => {
        const m = newMap(kk, vk, { seed });
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk, 50_000);
        mut.fill(1 + Math.floor(rand() * 3000)); // several batches of 64
        const want = sortKeyed([...model.map.entries()], (e) => e[0]);

        const a = Array.from(m);
        const b = [...m.entries()];
        const c = [...m];
        expect(a).not.toBe(b);
        expect(a.length).toBe(model.size);
        const all = [...a, ...b, ...c];
        expect(new Set(all).size).toBe(all.length); // every entry array is a fresh object
        for (const x of [a, b, c]) {
          const got = sortKeyed(x, (e) => e[0]);
          expect(got.length).toBe(want.length);
          for (let i = 0; i < got.length; i++) {
            const e = got[i];
            if (!Array.isArray(e) || e.length !== 2 || !Object.is(e[0], want[i][0]) || !Object.is(e[1], want[i][1])) {
              fail(`entry ${show(e)} where the model has [${show(want[i][0])}, ${show(want[i][1])}]`);
            }
          }
        }
        // Writing to a produced entry array changes nothing.
        a[0][1] = 'scribbled';
        (a[0] as unknown[]).push('extra');
        expect(Object.is(m.get(b[0][0]), model.map.get(b[0][0]))).toBe(true);

        // Result objects are fresh too.
        const it = m.entries();
        const r1 = it.next();
        const r2 = it.next();
        if (model.size >= 2) {
          expect(r1).not.toBe(r2);
          expect(r1.value).not.toBe(r2.value);
        }
        it.return!();

        // keys(), values(), forEach agree with the model (as multisets; values compared by identity).
        const keys = sortKeyed([...m.keys()], (k) => k);
        expect(keys.length).toBe(want.length);
        keys.forEach((k, i) => {
          if (!Object.is(k, want[i][0])) fail(`keys(): ${show(k)} where the model has ${show(want[i][0])}`);
        });
        const vals = [...m.values()];
        expect(vals.length).toBe(model.size);
        const count = new Map<unknown, number>();
        for (const v of model.map.values()) count.set(v, (count.get(v) ?? 0) + 1);
        for (const v of vals) {
          const n = count.get(v);
          if (!n) fail(`values() produced ${show(v)}, which is not a current value (or too many times)`);
          count.set(v, n - 1);
        }
        const thisArg = { tag: 'this' };
        const seen = new Map<K, unknown>();
        let calls = 0;
        m.forEach(function (this: unknown, v, k, map) {
          if (this !== thisArg || map !== m) fail('forEach: wrong thisArg or map argument');
          if (seen.has(k)) fail(`forEach: key ${show(k)} twice`);
          seen.set(k, v);
          calls++;
        }, thisArg);
        expect(calls).toBe(model.size);
        for (const [k, v] of seen) if (!Object.is(v, model.map.get(k))) fail(`forEach: ${show(k)} => ${show(v)}, model ${show(model.map.get(k))}`);
        // forEach with an arrow function and no thisArg, as Map allows.
        let n = 0;
        m.forEach(() => n++);
        expect(n).toBe(model.size);

        // Iterators are iterable themselves, tagged, and inherit from %IteratorPrototype%.
        for (const x of [m.keys(), m.values(), m.entries(), m[Symbol.iterator]()] as IterableIterator<unknown>[]) {
          expect(x[Symbol.iterator]()).toBe(x);
          expect(Object.prototype.toString.call(x)).toBe('[object HashMap Iterator]');
          expect(typeof x.next).toBe('function');
        }
        const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
        expect(Object.prototype.isPrototypeOf.call(proto, m.keys())).toBe(true);
        const half = m.keys();
        half.next();
        expect([...half].length).toBe(model.size - 1); // spreading a started iterator continues it
        expect(m.stats().liveIterators).toBe(0);
        m.dispose();
      });
    });
  });
});

// ---- 8. order ----------------------------------------------------------------

function order(m: M): string {
  return [...m.keys()].map(String).join(',');
}

describe('iteration order', () => {
  it('is randomised: iterations of an unseeded map with >100 entries differ', () => {
    for (const [kk, vk] of COMBOS) {
      const m = newMap(kk, vk);
      const key = keyMaker(kk, rng(11), 1 << 20);
      const val = valueMaker(vk, rng(12));
      while (m.size < 150) m.set(key(), val());
      const orders = new Set<string>();
      for (let i = 0; i < 8; i++) orders.add(order(m));
      expect(orders.size).toBeGreaterThan(1);
      m.dispose();
    }
    // Also for a seeded map: each iteration draws a new start from the map's generator.
    const s = newMap('int32', 'int32', { seed: 42 });
    for (let i = 0; i < 200; i++) s.set(i, i);
    const orders = new Set<string>();
    for (let i = 0; i < 8; i++) orders.add(order(s));
    expect(orders.size).toBeGreaterThan(1);
    s.dispose();
  });

  it('is reproducible with a fixed seed: the same operations on two maps give the same orders', () => {
    const seed = BASE * 1000 + 700;
    withSeed(seed, () => {
      for (const [kk, vk] of COMBOS) {
        const run = (): string[] => {
          const rand = rng(seed);
          const m = newMap(kk, vk, { seed: 0xdecaf + seed });
          const model = new Model();
          const mut = new Mutator(m, model, rand, kk, vk, 20_000);
          const out: string[] = [];
          for (let round = 0; round < 12; round++) {
            for (let i = 0; i < 1500; i++) mut.step(0.6, 0.3, 0.1);
            if (round === 6) {
              m.clear();
              model.clear();
            }
            // Iterations consume the map's generator; one is mutated while it runs (growth included).
            const got: string[] = [];
            iterate(m, model, 'forof', `${kk}=>${vk} round ${round}`, () => {
              if (round % 4 === 3) mut.step(0.7, 0.2, 0.1);
            });
            for (const [k, v] of m) got.push(`${String(k)}=${show(v)}`);
            out.push(got.join(','));
          }
          m.dispose();
          return out;
        };
        const x = run();
        const y = run();
        expect(x.length).toBe(y.length);
        for (let i = 0; i < x.length; i++) {
          if (x[i] !== y[i]) fail(`${kk}=>${vk}: order differs between two maps with the same seed at round ${i}`);
        }
      }
    });
  });
});

// ---- 9. batched fetch revalidation -----------------------------------------

describe('batched fetch revalidation', () => {
  it('changes right after a batch is fetched: no deleted key, no stale value', () => {
    const seed = BASE * 1000 + 800;
    seeded(seed, (rand) => {
      for (const [kk, vk] of COMBOS) {
        for (let round = 0; round < 6; round++) {
          const mapSeed = Math.floor(rand() * 2 ** 32);
          const n = 100 + Math.floor(rand() * 900);
          // Learn the order on one map; the twin (same seed, same operations) iterates in the same order.
          const { seq, m, model, mut } = twinWithOrder(kk, vk, mapSeed, (mu) => mu.fill(n));
          // Batches: the first fetch takes 8 entries, later ones 64. Change entries inside the batch
          // that was just fetched: right after next() #1 (batch 1) and next() #9 (batch 2).
          const it = m.entries();
          const t = new Tracker(model, `${kk}=>${vk} round ${round}`);
          const deleted = new Set<K>();
          const updated = new Map<K, unknown>();
          const pos = new Map<K, number>(seq.map((k, j) => [k, j]));
          const done = new Set<number>();
          for (let r = it.next(); !r.done; r = it.next()) {
            t.produce(r.value[0], r.value[1]);
            // seq[0] is the first entry of batch 1 (8 entries), seq[8] the first of batch 2 (64 entries).
            const i = pos.get(r.value[0]);
            if ((i === 0 || i === 8) && !done.has(i)) {
              done.add(i);
              const end = i === 0 ? 8 : 8 + 64;
              for (let j = i + 1; j < end && j < seq.length; j++) {
                const k = seq[j];
                const what = rand();
                if (what < 0.4) {
                  m.delete(k);
                  model.delete(k);
                  deleted.add(k);
                } else if (what < 0.8) {
                  const v = mut.val();
                  m.set(k, v);
                  model.set(k, v);
                  updated.set(k, v);
                } else if (what < 0.9) {
                  // Delete and re-add with a new value: if produced, only with the new value.
                  m.delete(k);
                  model.delete(k);
                  const v = mut.val();
                  m.set(k, v);
                  model.set(k, v);
                }
              }
              // Also an insert and a delete elsewhere, which change the modification counter.
              mut.insert();
            }
            const k = normKey(r.value[0]);
            if (deleted.has(k) && !model.map.has(k)) fail(`deleted key ${show(k)} produced`);
          }
          t.finish();
          expect(done.has(0)).toBe(true);
          expect(done.has(8)).toBe(true);
          expect(deleted.size + updated.size).toBeGreaterThan(0);
          m.dispose();
        }
      }
    });
  });

  it('a batched key deleted and re-added is one new entry: produced at most once (minimal case)', () => {
    // Map seed 5, int32 keys 0..299 with i % 3 != 0 deleted (holes in the buckets). The first next()
    // fetches a batch of 8 entries; key 276 is the 8th of them. Deleting 276 and setting it again puts
    // it into a free slot that the core iterator has not visited yet. Its old entry was deleted before
    // it was reached, so at most the new entry may be produced, once.
    const build = () => {
      const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', seed: 5 });
      for (let i = 0; i < 300; i++) m.set(i, i);
      for (let i = 0; i < 300; i++) if (i % 3) m.delete(i);
      return m;
    };
    const twin = build();
    const seq = [...twin.keys()];
    twin.dispose();
    const m = build();
    const it = m.entries();
    const first = it.next();
    expect(first.value).toEqual([seq[0], seq[0]]);
    const k = seq[7];
    expect(m.delete(k)).toBe(true);
    m.set(k, -1);
    const rest = [...it];
    const produced = rest.filter(([x]) => x === k);
    expect(produced.length, `key ${k} produced ${produced.length} times after one delete + set`).toBeLessThanOrEqual(1);
    for (const [, v] of produced) expect(v).toBe(-1);
    m.dispose();
  });

  it('batched keys deleted and re-added: each new entry produced at most once (randomised)', () => {
    const seed = BASE * 1000 + 850;
    seeded(seed, (rand) => {
      for (const [kk, vk] of COMBOS) {
        for (let round = 0; round < 8; round++) {
          const mapSeed = Math.floor(rand() * 2 ** 32);
          const { seq, m, model, mut } = twinWithOrder(kk, vk, mapSeed, (mu, model) => {
            mu.fill(300);
            while (model.size > 100) mu.delete(); // leave holes in the buckets
          });
          const it = m.entries();
          const t = new Tracker(model, `${kk}=>${vk} round ${round}`);
          const r0 = it.next();
          t.produce(r0.value![0], r0.value![1]);
          // Delete and set again some of the other 7 keys of the fetched batch.
          for (let j = 1; j < 8; j++) {
            if (rand() < 0.5) continue;
            const k = seq[j];
            const v = mut.val();
            model.delete(k);
            m.delete(k);
            m.set(k, v);
            model.set(k, v);
          }
          for (let r = it.next(); !r.done; r = it.next()) t.produce(r.value[0], r.value[1]);
          t.finish();
          m.dispose();
        }
      }
    });
  });

  it('a key deleted after its batch was fetched and the map then emptied is not produced', () => {
    for (const [kk, vk] of COMBOS) {
      const m = newMap(kk, vk);
      const key = keyMaker(kk, rng(3), 1 << 20);
      const val = valueMaker(vk, rng(4));
      for (let i = 0; i < 300; i++) m.set(key(), val());
      const it = m.keys();
      const first = it.next();
      expect(first.done).toBe(false);
      for (const k of [...m.keys()]) m.delete(k);
      expect(m.size).toBe(0);
      expect(it.next().done).toBe(true);
      expect(m.stats().liveIterators).toBe(0);
      m.dispose();
    }
  });
});

// ---- 10. tombstones --------------------------------------------------------

describe('tombstones left by growth under a live iterator', () => {
  COMBOS.filter((_, i) => i < 6).forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}`, () => {
      const seed = BASE * 1000 + 900 + ci;
      seeded(seed, (rand) => {
        const m = newMap(kk, vk, { seed });
        const model = new Model();
        const mut = new Mutator(m, model, rand, kk, vk, 40_000);
        mut.fill(20 + Math.floor(rand() * 200));
        // Grow with a live iterator: evacuations leave EVACUATED_Y tombstones.
        const it = m.entries();
        const t = new Tracker(model, 'growing iteration');
        let r = it.next();
        expect(r.done).toBe(false);
        t.produce(r.value![0], r.value![1]);
        const b0 = m.stats().B;
        while (model.size < 8000) mut.insert();
        expect(m.stats().B).toBeGreaterThanOrEqual(b0 + 3);
        for (r = it.next(); !r.done; r = it.next()) {
          t.produce(r.value[0], r.value[1]);
          mut.step(0.5, 0.3, 0.2);
        }
        t.finish();
        const s1 = m.stats();
        expect(s1.liveIterators).toBe(0);
        expect(s1.tombstones).toBeGreaterThan(0);
        sameContent(m, model, 'right after the iteration');

        // No iterator live: inserts reuse tombstones, deletes, more growth; the content stays exact.
        let minTomb = s1.tombstones;
        for (let i = 0; i < 30_000; i++) {
          mut.step(0.45, 0.45, 0.1, 0.02);
          if (i % 5000 === 0) {
            const s = m.stats();
            if (s.count !== model.size) fail(`op ${i}: count ${s.count}, model ${model.size}`);
            if (s.tombstones > 8 * (s.buckets + s.overflowBuckets)) fail(`op ${i}: tombstones ${s.tombstones} (more than there are slots)`);
            minTomb = Math.min(minTomb, s.tombstones);
          }
          if (i % 10_000 === 0) sameContent(m, model, `churn op ${i}`);
        }
        // Tombstones are reclaimed once no iterator is live.
        expect(minTomb).toBeLessThan(s1.tombstones);
        sameContent(m, model, 'after churn');

        // Another growth under a live iterator with tombstones already present, then a fresh exact iteration.
        const b1 = m.stats().B;
        const t2 = iterate(m, model, 'next', 'second growing iteration', (before) => {
          if (before) return;
          if (m.stats().B < b1 + 1 || m.stats().growing) for (let i = 0; i < 10; i++) mut.step(0.9, 0.05, 0.05);
          else mut.step(0.3, 0.4, 0.3);
        });
        expect(m.stats().B).toBeGreaterThan(b1);
        expect(t2.count).toBeGreaterThan(0);
        sameContent(m, model, 'end');
        // Deleting everything empties the map for real, even with tombstones around.
        for (const k of [...model.map.keys()]) {
          expect(m.delete(k)).toBe(true);
          model.delete(k);
        }
        expect(m.size).toBe(0);
        expect([...m]).toEqual([]);
        mut.fill(500);
        sameContent(m, model, 'refilled');
        m.dispose();
      });
    });
  });
});

// ---- 11. small maps: copied whole at the start -------------------------------

describe(`maps of at most ITER_SMALL_MAX (${SMALL_MAX}) entries: copied whole at the first next(), no slot`, () => {
  COMBOS.forEach(([kk, vk], ci) => {
    it(`${kk} => ${vk}: the guarantees under every change, growth to thousands included; no slot taken`, () => {
      const seed = BASE * 1000 + 1100 + ci;
      seeded(seed, (rand) => {
        const warm = newMap('int32', 'int32');
        for (let k = 0; k <= SMALL_MAX; k++) warm.set(k, k);
        expect([...warm.keys()].length).toBe(SMALL_MAX + 1); // a slot, as sameContent's iterations of larger maps take
        warm.dispose();
        const pool = iterPoolSize();
        for (let round = 0; round < 40; round++) {
          const m = newMap(kk, vk, { seed: seed * 64 + round });
          const model = new Model();
          const mut = new Mutator(m, model, rand, kk, vk, round % 4 === 1 ? 64 : 1 << 30);
          mut.fill(Math.floor(rand() * (SMALL_MAX + 1)));
          while (model.size > SMALL_MAX) mut.delete();
          const grow = round % 4 === 3;
          const t = iterate(m, model, STYLES[round % STYLES.length], `round ${round} (${model.size} entries)`, (before) => {
            if (m.stats().liveIterators !== 0) fail(`round ${round}: liveIterators ${m.stats().liveIterators} during a small iteration`);
            if (before) return;
            if (grow) while (model.size < 3000) mut.insert();
            for (let i = Math.floor(rand() * 4); i > 0; i--) mut.step(0.3, 0.3, 0.3, 0.1);
          });
          // Nothing added meanwhile is handed out: the keys are those of the start, less the deleted (a key
          // deleted and added again may come with its new value).
          for (const k of t.producedKeys) if (!t.startLives.has(k)) fail(`round ${round}: produced key ${show(k)}, added during the iteration`);
          sameContent(m, model, `round ${round} end`);
          m.dispose();
        }
        expect(iterPoolSize()).toBe(pool);
      });
    });
  });

  it('more small iterations live than the ring holds, over one map and many, across memory growth: each hands out its own entries', () => {
    const seed = BASE * 1000 + 1150;
    seeded(seed, (rand) => {
      for (const [kk, vk] of COMBOS) {
        const maps = Array.from({ length: 6 }, (_, i) => {
          const m = newMap(kk, vk, { seed: seed + i });
          const model = new Model();
          const mut = new Mutator(m, model, rand, kk, vk, 1 << 30);
          mut.fill(1 + Math.floor(rand() * SMALL_MAX));
          return { m, model, mut };
        });
        type Live = { it: Iterator<[K, unknown]>; t: Tracker; map: (typeof maps)[number] };
        const live: Live[] = [];
        const startOne = () => {
          const map = maps[Math.floor(rand() * maps.length)];
          const it = map.m.entries();
          const t = new Tracker(map.model, `iterator ${live.length}`);
          const r = it.next(); // the copy: entries of this moment
          if (!r.done) t.produce(r.value[0], r.value[1]);
          live.push({ it, t, map });
        };
        let big: M | null = null;
        for (let step = 0; step < 4000; step++) {
          const r = rand();
          if (live.length < 30 && r < 0.1) startOne();
          else if (r < 0.8 && live.length > 0) {
            const i = Math.floor(rand() * live.length);
            const L = live[i];
            const res = L.it.next();
            if (res.done) {
              L.t.finish();
              live.splice(i, 1);
            } else L.t.produce(res.value[0], res.value[1]);
          } else if (r < 0.98) {
            const map = maps[Math.floor(rand() * maps.length)];
            if (map.model.size > SMALL_MAX) map.mut.delete();
            else map.mut.step(0.3, 0.3, 0.3, 0.1);
          } else if (big === null) {
            // Grow the memory: views of it taken before are detached.
            big = newMap('int32', 'int32', { capacity: 1 << 18 });
          }
        }
        for (const L of live) {
          for (let res = L.it.next(); !res.done; res = L.it.next()) L.t.produce(res.value[0], res.value[1]);
          L.t.finish();
        }
        big?.dispose();
        for (const { m, model } of maps) {
          sameContent(m, model, `${kk} => ${vk}`);
          m.dispose();
        }
      }
    });
  });

  it('a forEach whose callback iterates other small maps, and changes its own', () => {
    const seed = BASE * 1000 + 1160;
    seeded(seed, (rand) => {
      const m = newMap('float64', 'any', { seed });
      const model = new Model();
      const mut = new Mutator(m, model, rand, 'float64', 'any', 1 << 30);
      mut.fill(SMALL_MAX);
      const others = Array.from({ length: 20 }, (_, i) => {
        const o = newMap('int32', 'int32', { seed: seed + i });
        for (let k = 0; k < 5; k++) o.set(k, k + i);
        return o;
      });
      // Without changes to m (its own check never fires), then with.
      for (const change of [false, true]) {
        const t = new Tracker(model, `forEach${change ? ', changing the map' : ''}`);
        let inner = 0;
        m.forEach((v, k) => {
          t.produce(k, v);
          for (const o of others) for (const [a, b] of o) inner += (b as number) - (a as number);
          if (change) mut.step(0, 0.3, 0.7);
        });
        t.finish();
        if (!change) expect(t.count).toBe(SMALL_MAX);
        expect(inner).toBe(t.count * 5 * ((19 * 20) / 2)); // each of the 20 maps: 5 entries of b - a = its index
      }
      sameContent(m, model, 'end');
      for (const o of [m, ...others]) o.dispose();
    });
  });

  it('abandoned small iterations hold no slot and no memory', () => {
    const m = newMap('int32', 'int32');
    for (let k = 0; k < SMALL_MAX; k++) m.set(k, -k);
    const pool = iterPoolSize();
    const top = heapTop();
    for (let i = 0; i < 10_000; i++) {
      const it = i % 2 ? m.keys() : m.entries();
      it.next();
      expect(m.stats().liveIterators).toBe(0);
    }
    expect(iterPoolSize()).toBe(pool);
    expect(heapTop()).toBe(top);
    // A map one entry larger is walked live: its iterator takes a slot until it ends.
    m.set(SMALL_MAX, 0);
    const it = m.keys();
    it.next();
    expect(m.stats().liveIterators).toBe(1);
    it.return!();
    expect(m.stats().liveIterators).toBe(0);
    m.dispose();
  });
});
