// The allocator's freed memory serves later requests (issue 12): large blocks (segments, directories)
// are runs of pages that coalesce with free neighbours and split for smaller requests
// (assembly/alloc.ts), so what one map gave back serves a map of other kinds and sizes. And a soak:
// thousands of random creates, disposes, clears and growths over random kinds and capacities, live
// memory kept under 2 GiB of the 4 GiB, must never run out of memory, and every map must hold what
// its model says.
import { describe, it, expect } from 'vitest';
import { HashMap } from '../bindings/index.js';
import { rng, heapTop } from './helpers.js';

const top = (): number => heapTop() >>> 0;
/** What small blocks of other size classes (headers, small directories) may take of new memory. */
const SMALL_SLACK = 64 * 1024;

describe('the allocator reuses freed memory across sizes', () => {
  it("a disposed map's array serves a map of other kinds and a smaller size without new memory", () => {
    const a = new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: 2 ** 21 });
    a.set(1, 1);
    const before = top();
    a.dispose();
    // 144-byte buckets instead of 80: other segment sizes, carved from a's coalesced pages.
    const b = new HashMap<number, number>(null, { key: 'float64', value: 'float64', capacity: 2 ** 19 });
    b.set(2.5, 3.5);
    expect(b.get(2.5)).toBe(3.5);
    // Only small blocks (b's directory is of another size class than a's) may come from new memory.
    expect(top() - before).toBeLessThan(SMALL_SLACK);
    expect(b.stats().bytes).toBeGreaterThan(16 * SMALL_SLACK);
    b.dispose();
  });

  it('neighbouring freed segments coalesce and serve one block larger than any of them', () => {
    const maps = Array.from({ length: 4 }, () => new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: 2 ** 18 }));
    const before = top();
    for (const m of maps) m.dispose();
    // A 4 MiB string value: its block (and the 8 MiB query area the string is written into first)
    // are far larger than the freed 40 KiB segments, but fit in their coalesced run.
    const s = new HashMap<number, string>(null, { key: 'int32', value: 'string' });
    const long = 'x'.repeat(4 << 20);
    s.set(1, long);
    expect(s.get(1) === long).toBe(true);
    expect(top() - before).toBeLessThan(SMALL_SLACK);
    s.dispose();
  });
});

describe('allocator soak', () => {
  it('2,000 random creates, disposes, clears and growths, live memory under 2 GiB: no out-of-memory, every map as its model says', () => {
    const seed = 0xa110c;
    const rand = rng(seed);
    const KINDS = [
      { key: 'int32', value: 'int32' },
      { key: 'float64', value: 'float64' },
      { key: 'bigint64', value: 'int32' },
      { key: 'int32', value: 'string' },
      { key: 'string', value: 'float64' },
    ] as const;
    const LIVE_MAX = 2 ** 31;
    type Entry = { m: HashMap<unknown, unknown>; model: Map<unknown, unknown>; kind: (typeof KINDS)[number]; next: number };
    const live: Entry[] = [];
    const keyOf = (e: Entry, i: number): unknown => (e.kind.key === 'int32' ? i : e.kind.key === 'float64' ? i + 0.5 : e.kind.key === 'bigint64' ? BigInt(i) : `k${i}`);
    const valOf = (e: Entry, i: number): unknown => (e.kind.value === 'string' ? `value ${i}` : e.kind.value === 'int32' ? i | 0 : i / 4);
    const liveBytes = () => live.reduce((s, e) => s + e.m.stats().bytes, 0);
    let creates = 0;
    try {
      for (let step = 0; step < 2000; step++) {
        const where = `seed ${seed}, step ${step}`;
        const r = rand();
        if (r < 0.35 || live.length === 0) {
          // Capacities log-uniform up to 2^24 entries (about 320 MiB of array); now and then 2^25 (about 640 MiB).
          const capacity = rand() < 0.01 ? 2 ** 25 : Math.floor(2 ** (rand() * 24));
          const kind = KINDS[Math.floor(rand() * KINDS.length)];
          // Keep live memory under LIVE_MAX: dispose of the oldest maps first.
          const bytesOfNew = capacity * 24;
          while (live.length > 0 && liveBytes() + bytesOfNew > LIVE_MAX) live.shift()!.m.dispose();
          let m: HashMap<unknown, unknown>;
          try {
            m = new HashMap<unknown, unknown>(null, { ...kind, capacity });
          } catch (e) {
            throw new Error(`${where}: making a map of capacity ${capacity} with ${liveBytes()} live bytes: ${String(e)}`);
          }
          live.push({ m, model: new Map(), kind, next: 0 });
          creates++;
        } else if (r < 0.6) {
          const i = Math.floor(rand() * live.length);
          live.splice(i, 1)[0].m.dispose();
        } else if (r < 0.7) {
          const e = live[Math.floor(rand() * live.length)];
          e.m.clear();
          e.model.clear();
        } else {
          // Grow a map by inserting (and now and then deleting) entries.
          const e = live[Math.floor(rand() * live.length)];
          const n = 1 + Math.floor(rand() * 3000);
          for (let j = 0; j < n; j++) {
            const i = e.next++;
            try {
              e.m.set(keyOf(e, i), valOf(e, i));
            } catch (err) {
              throw new Error(`${where}: set in a map of ${e.m.size} with ${liveBytes()} live bytes: ${String(err)}`);
            }
            e.model.set(keyOf(e, i), valOf(e, i));
            if (rand() < 0.1) {
              const k = keyOf(e, Math.floor(rand() * e.next));
              expect(e.m.delete(k)).toBe(e.model.delete(k));
            }
          }
        }
      }
      for (const [idx, e] of live.entries()) {
        expect(e.m.size, `map ${idx}`).toBe(e.model.size);
        for (const [k, v] of e.model) if (e.m.get(k) !== v) throw new Error(`map ${idx}: get(${String(k)}) = ${String(e.m.get(k))}, model ${String(v)}`);
        let n = 0;
        for (const [k, v] of e.m) {
          if (e.model.get(k) !== v) throw new Error(`map ${idx}: iteration gave ${String(k)} => ${String(v)}`);
          n++;
        }
        expect(n).toBe(e.model.size);
      }
      expect(creates).toBeGreaterThan(500);
    } finally {
      for (const e of live) e.m.dispose();
    }
  });
});
