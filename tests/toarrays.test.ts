// m.toArrays(): every entry as two new typed arrays of the kinds' array types, filled by the core a
// chunk per call (a dump: assembly/iter.ts dumpStart/iterFill). Model-based: random operation
// sequences on a HashMap and a plain Map, then toArrays must give exactly the model's pairs, each
// once, with the right array types; for every pair of numeric kinds, empty, after deletes, in the
// middle of a growth, across more than one chunk, on a shared map while a worker writes (one
// consistent snapshot), and a TypeError for kinds it does not take.
import { describe, it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { HashMap } from '../bindings/index.js';
import { KEY_KINDS, keyMaker, valueMaker, normKey, seeded, type NumericKeyKind, type NumericValueKind } from './helpers.js';

const VALUES: NumericValueKind[] = ['int32', 'uint32', 'float64', 'bigint64', 'biguint64'];
const ARRAY: Record<NumericKeyKind, string> = { int32: 'Int32Array', uint32: 'Uint32Array', float64: 'Float64Array', bigint64: 'BigInt64Array', biguint64: 'BigUint64Array' };

type Arr = ArrayLike<number | bigint> & { constructor: { name: string } };

/** toArrays' pairs against the model's: same count, every key once, each with the model's value. */
function expectPairs(m: { toArrays(): [unknown, unknown]; size: number }, model: Map<unknown, unknown>, kk: NumericKeyKind, vk: NumericValueKind): void {
  const [keys, vals] = m.toArrays() as [Arr, Arr];
  expect(keys.constructor.name).toBe(ARRAY[kk]);
  expect(vals.constructor.name).toBe(ARRAY[vk as NumericKeyKind]);
  expect(keys.length).toBe(model.size);
  expect(vals.length).toBe(model.size);
  expect(m.size).toBe(model.size);
  const seen = new Set<unknown>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    expect(seen.has(k), `key ${String(k)} twice`).toBe(false);
    seen.add(k);
    expect(model.has(k), `key ${String(k)} not in the model`).toBe(true);
    expect(Object.is(vals[i], model.get(k)) || (vals[i] !== vals[i] && model.get(k) !== model.get(k)), `value of ${String(k)}`).toBe(true);
  }
}

describe('toArrays: every pair of numeric kinds, against a Map', () => {
  for (const kk of KEY_KINDS) {
    for (const vk of VALUES) {
      it(`${kk} => ${vk}`, () => {
        for (const seed of [1, 2]) {
          seeded(seed * 31 + KEY_KINDS.indexOf(kk) * 7 + VALUES.indexOf(vk), (rand) => {
            const m = new HashMap<unknown, unknown>(null, { key: kk, value: vk });
            try {
              const model = new Map<unknown, unknown>();
              expectPairs(m, model, kk, vk); // empty
              const key = keyMaker(kk, rand, 3000);
              const val = valueMaker(vk, rand);
              for (let step = 0; step < 6000; step++) {
                const k = normKey(key());
                if (rand() < 0.3) {
                  m.delete(k);
                  model.delete(k);
                } else {
                  const v = val() as number | bigint;
                  m.set(k, v);
                  model.set(k, v);
                }
                if (step % 1500 === 1499) expectPairs(m, model, kk, vk);
              }
              expectPairs(m, model, kk, vk);
            } finally {
              m.dispose();
            }
          });
        }
      });
    }
  }
});

describe('toArrays: shapes of the map', () => {
  it('-0 and NaN keys come back as 0 and NaN; bigint values keep their bits', () => {
    const m = new HashMap<number, bigint>(
      [
        [-0, -1n],
        [NaN, 2n ** 63n - 1n],
      ],
      { key: 'float64', value: 'bigint64' },
    );
    const [k, v] = m.toArrays();
    const pairs = [...k].map((x, i) => [x, v[i]] as const).sort((a, b) => (a[0] !== a[0] ? 1 : b[0] !== b[0] ? -1 : a[0] - b[0]));
    expect(Object.is(pairs[0][0], 0)).toBe(true);
    expect(pairs[0][1]).toBe(-1n);
    expect(pairs[1][0]).toBeNaN();
    expect(pairs[1][1]).toBe(2n ** 63n - 1n);
    m.dispose();
  });

  it('in the middle of a growth, and across many chunks (8192 entries a call)', () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32' });
    const model = new Map<number, number>();
    let checkedGrowing = 0;
    for (let i = 0; i < 70_000; i++) {
      m.set(i * 3, i);
      model.set(i * 3, i);
      if (m.stats().growing && (i % 97 === 0 || checkedGrowing === 0) && checkedGrowing < 12) {
        expectPairs(m, model, 'int32', 'int32');
        checkedGrowing++;
      }
    }
    expect(checkedGrowing).toBeGreaterThan(5);
    for (let i = 0; i < 70_000; i += 2) {
      m.delete(i * 3);
      model.delete(i * 3);
    }
    expectPairs(m, model, 'int32', 'int32');
    m.dispose();
  });

  it('a live iterator is not disturbed, and the arrays are new each time', () => {
    const m = new HashMap<number, number>(
      [
        [1, 10],
        [2, 20],
        [3, 30],
      ],
      { key: 'int32', value: 'int32' },
    );
    const it = m.keys();
    const first = it.next().value;
    const a = m.toArrays();
    const b = m.toArrays();
    expect(a[0]).not.toBe(b[0]);
    a[0][0] = 99;
    expect(m.has(99)).toBe(false);
    const rest = [...it];
    expect(new Set([first, ...rest])).toEqual(new Set([1, 2, 3]));
    expect(m.stats().liveIterators).toBe(0);
    m.dispose();
  });

  it('a TypeError for string keys or values and for any values, and after dispose', () => {
    const bad = [new HashMap<string, number>(null, { key: 'string', value: 'int32' }), new HashMap<number, string>(null, { key: 'int32', value: 'string' }), new HashMap<number, unknown>(null, { key: 'int32' })];
    for (const m of bad) {
      m.set((m.keyKind === 'string' ? 'a' : 1) as never, (m.valueKind === 'string' ? 'x' : 1) as never);
      expect(() => m.toArrays()).toThrow(TypeError);
      expect(m.size).toBe(1);
      m.dispose();
    }
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32' });
    m.dispose();
    expect(() => m.toArrays()).toThrow(TypeError);
  });
});

describe('toArrays: a shared map', () => {
  it('gives the model back, for every kind of shared map of numeric kinds', () => {
    for (const kk of KEY_KINDS) {
      seeded(KEY_KINDS.indexOf(kk) + 100, (rand) => {
        const m = new HashMap<unknown, unknown>(null, { key: kk, value: 'float64', shared: true });
        const model = new Map<unknown, unknown>();
        const key = keyMaker(kk, rand, 5000);
        for (let i = 0; i < 4000; i++) {
          const k = normKey(key());
          m.set(k, i + 0.5);
          model.set(k, i + 0.5);
        }
        expectPairs(m, model, kk, 'float64');
        m.dispose();
      });
    }
  });

  it('is one consistent snapshot while a worker sets keys 0, 1, 2 ... in order', { timeout: 60_000 }, async () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true });
    const ctl = new SharedArrayBuffer(8);
    const i32 = new Int32Array(ctl);
    const count = 2_000_000; // more than it reaches: the main thread stops it after its snapshots
    const worker = new Worker(new URL('./workers/sequential.mjs', import.meta.url), { workerData: { handle: m.handle, ctl, count } });
    const done = new Promise<{ set: number }>((resolve, reject) => {
      worker.on('message', (msg: { type: string; result?: { set: number }; message?: string }) => (msg.type === 'done' ? resolve(msg.result!) : reject(new Error(msg.message))));
      worker.on('error', reject);
    });
    try {
      while (Atomics.load(i32, 0) === 0) Atomics.wait(i32, 0, 0, 20); // the worker has started writing
      let snapshots = 0;
      let partial = 0;
      while (Atomics.load(i32, 0) < count && partial < 20) {
        const [k, v] = m.toArrays();
        // A consistent snapshot of a map that gained 0, 1, 2 ... in order holds exactly 0 .. n - 1.
        const n = k.length;
        let sum = 0;
        for (let i = 0; i < n; i++) {
          if (v[i] !== 2 * k[i] || k[i] < 0 || k[i] >= n) throw new Error(`snapshot ${snapshots}: pair [${k[i]}, ${v[i]}] in a snapshot of ${n}`);
          sum += k[i];
        }
        if (sum !== (n * (n - 1)) / 2) throw new Error(`snapshot ${snapshots}: keys sum to ${sum}, not 0 + ... + ${n - 1}`);
        if (n > 0 && n < count) partial++;
        snapshots++;
      }
      Atomics.store(i32, 1, 1);
      const { set } = await done;
      expect(partial).toBeGreaterThan(5); // snapshots taken while the worker was writing
      const [k] = m.toArrays();
      expect(k.length).toBe(set);
    } finally {
      Atomics.store(i32, 1, 1);
      await worker.terminate();
      m.dispose();
    }
  });
});
