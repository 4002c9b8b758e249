// The iterator pool gives idle slots back (issue 20, item 6). A slot is a page of the allocator's
// page runs; the pool keeps a few idle ones and frees the others, so 400,000 iterators dropped half
// read, once collected, leave the memory they took for any later block: here, a map with capacity
// 2^27 (the largest a fresh process can make; with every slot kept, the pool held 2 GiB and the map
// did not fit). A file of its own: the process must start with the whole address space free.
import { describe, it, expect } from 'vitest';
import { HashMap } from '../bindings/index.js';
import { iterPoolSize } from './helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;

describe('iterator pool', () => {
  it('400,000 iterators dropped half read: once collected, a map of capacity 2^27 fits', { timeout: 120_000 }, async () => {
    const m = new HashMap<number, number>(null, { key: 'int32', value: 'int32' });
    for (let i = 0; i < 100; i++) m.set(i, i); // more than a small map's copy (ITER_SMALL_MAX): each iterator takes a slot
    for (let i = 0; i < 400_000; i++) m.keys().next();
    expect(m.stats().liveIterators).toBeGreaterThan(100_000);
    for (let i = 0; i < 10 && m.stats().liveIterators > 0; i++) {
      gc!();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(m.stats().liveIterators).toBe(0);
    expect(iterPoolSize()).toBeLessThanOrEqual(8);
    const big = new HashMap<number, number>(null, { key: 'int32', value: 'int32', capacity: 2 ** 27 });
    big.set(1, 2);
    expect(big.get(1)).toBe(2);
    big.dispose();
    m.dispose();
  });
});
