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
});
