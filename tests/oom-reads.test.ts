// Reads need no fresh memory (issue 12): once the wasm memory has run out, an existing map can still be
// iterated (for...of, keys(), forEach), read and written in batches (getMany, hasMany, deleteMany),
// looked up by string keys, measured (size, stats) and emptied by delete; and once a big map is
// disposed, a new empty map can be made and grown in what it gave back. What reads need is taken
// when the first map of a module instance is made (bindings/hashmap.ts reserveReadMemory): the first
// iterator slots, the batch scratch and the string query areas.
//
// The private memory is filled up to its 4 GiB with maps made by capacity (fresh memory is zero, so
// they are made in milliseconds and their pages never touched), until not even an empty map fits.
import { describe, it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { HashMap } from '../bindings/index.js';

describe('reads after memory has run out', () => {
  it('iteration, batches, string lookups, size and stats of existing maps work; delete works', () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32' });
    for (let i = 0; i < 1000; i++) m.set(i, i * 2);
    const s = new HashMap<string, string>(null, { key: 'string', value: 'string' });
    for (let i = 0; i < 100; i++) s.set(`key number ${i}`, `value ${i}`);
    const fillers: HashMap<number, number>[] = [];
    try {
      for (let capacity = 2 ** 27; ;) {
        try {
          fillers.push(new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity }));
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
          if (capacity === 0) break;
          capacity = capacity >= 16 ? capacity / 4 : 0;
        }
      }
      // Memory is out: not even an empty map can be made.
      expect(() => new HashMap(null, { key: 'int32', value: 'int32' })).toThrow(RangeError);

      let n = 0;
      for (const [k, v] of m) {
        expect(v).toBe(k * 2);
        n++;
      }
      expect(n).toBe(1000);
      expect([...m.keys()].length).toBe(1000);
      let sum = 0;
      m.forEach((v) => (sum += v));
      expect(sum).toBe(999 * 1000);
      const keys = new Int32Array([0, 1, 999, 1000, -1]);
      expect(Array.from(m.getMany(keys))).toEqual([0, 2, 1998, 0, 0]);
      expect(Array.from(m.hasMany(keys))).toEqual([1, 1, 1, 0, 0]);
      expect(m.size).toBe(1000);
      expect(m.stats().count).toBe(1000);
      expect(s.get('key number 42')).toBe('value 42');
      expect(s.has('key number 99')).toBe(true);
      expect([...s.values()].length).toBe(100);
      expect(m.deleteMany(new Int32Array([0, 1, 2]))).toBe(3);
      expect(m.delete(3)).toBe(true);
      expect(s.delete('key number 0')).toBe(true);
      expect(m.size).toBe(996);
      expect(s.size).toBe(99);
      // Freed large memory serves small blocks too: once one filler is gone, an empty map can be made
      // (its header, directory and bucket are small blocks) and grown.
      fillers.shift()!.dispose();
      const fresh = new HashMap<number, number>(null, { key: 'int32', value: 'int32' });
      for (let i = 0; i < 10_000; i++) fresh.set(i, i);
      expect(fresh.size).toBe(10_000);
      expect(fresh.get(9999)).toBe(9999);
      fresh.dispose();
    } finally {
      for (const f of fillers) f.dispose();
      m.dispose();
      s.dispose();
    }
  });

  // A key longer than the thread's query area (1,024 code units at first: it grows for longer keys)
  // needs a longer area, and memory for it may be out: the key is then hashed through the area as it
  // is, a chunk at a time, and the stored keys of its hash, length and encoding compared char by char
  // (bindings/strings.ts putKey). The keys are set by another thread, so that this thread's area is
  // still short; the memory (a shared one here) is then filled up.
  it('get, has and delete of string keys far longer than the query area, on a shared map', { timeout: 120_000 }, async () => {
    const m = new HashMap<string, number>(null, { key: 'string', value: 'int32', shared: true });
    const latin1 = 'k'.repeat(50_000) + 'one';
    const wide = '\u4e2d'.repeat(3000) + 'two';
    const sameLength = 'k'.repeat(50_000) + 'six'; // as long as `latin1`, and Latin-1 too
    const keys = [latin1, wide, sameLength, 'short'];
    await new Promise<void>((resolve, reject) => {
      const w = new Worker(new URL('./workers/long-keys.mjs', import.meta.url), { workerData: { handle: m.handle, keys } });
      w.on('message', (msg: { type: string; message?: string }) => (msg.type === 'done' ? resolve() : reject(new Error(msg.message))));
      w.on('error', reject);
    });
    const fillers: HashMap<number, number>[] = [];
    try {
      for (let capacity = 2 ** 27; ;) {
        try {
          fillers.push(new HashMap<number, number>(null, { key: 'int32', value: 'int32', shared: true, capacity }));
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
          if (capacity === 0) break;
          capacity = capacity >= 16 ? capacity / 4 : 0;
        }
      }
      expect(() => m.set('x'.repeat(5000), 1)).toThrow(RangeError); // memory is out for a long key
      expect([m.get(latin1), m.get(wide), m.get(sameLength), m.get('short')]).toEqual([0, 1, 2, 3]);
      expect(m.has(wide)).toBe(true);
      expect(m.get('k'.repeat(50_000) + 'ten')).toBe(undefined); // same length and hash bits aside, absent
      expect(m.has('\u4e2d'.repeat(3000) + 'twO')).toBe(false);
      expect(m.get('k'.repeat(100_000))).toBe(undefined);
      expect(m.delete(latin1)).toBe(true);
      expect(m.delete(latin1)).toBe(false);
      expect([m.has(latin1), m.get(sameLength), m.size]).toEqual([false, 2, 3]);
    } finally {
      for (const f of fillers) f.dispose();
      m.dispose();
    }
  });
});
