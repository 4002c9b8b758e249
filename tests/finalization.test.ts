// Maps and iterators dropped without dispose()/return() are freed by their FinalizationRegistry.
import { describe, it, expect } from 'vitest';
import { HashMap } from '../bindings/index.js';
import { heapTop, iterPoolSize } from './helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Collect garbage and let the finalization callbacks run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('FinalizationRegistry', () => {
  it('runs with gc exposed', () => {
    expect(typeof gc).toBe('function');
  });

  it('frees maps dropped without dispose(): their memory is reused by later maps', async () => {
    const build = () => {
      for (let i = 0; i < 50; i++) {
        const m = new HashMap(null, { key: 'int32', value: 'float64' });
        for (let k = 0; k < 20_000; k++) m.set(k, k + 0.5);
      }
    };
    build();
    await collect();
    const top = heapTop() >>> 0;
    // 50 more maps of ~20k entries each would need about 16 MB of fresh memory if nothing was freed.
    for (let round = 0; round < 3; round++) {
      build();
      await collect();
    }
    expect((heapTop() >>> 0) - top).toBeLessThan(2_000_000);
  });

  it('releases the slot of an iterator abandoned half way', async () => {
    const m = new HashMap(null, { key: 'int32', value: 'int32' });
    for (let k = 0; k < 1000; k++) m.set(k, k);
    const abandon = () => {
      for (let i = 0; i < 100; i++) {
        const it = m.keys();
        it.next();
      }
    };
    abandon();
    expect(m.stats().liveIterators).toBe(100);
    await collect();
    expect(m.stats().liveIterators).toBe(0);
    const pool = iterPoolSize();
    abandon();
    await collect();
    expect(m.stats().liveIterators).toBe(0);
    expect(iterPoolSize()).toBe(pool); // released slots were reused
    m.dispose();
  });

  it('an abandoned iteration of a small map (copied whole, no slot) does not keep the map alive', async () => {
    const refs: WeakRef<object>[] = [];
    const make = () => {
      for (const value of ['int32', 'any'] as const) {
        const m = new HashMap(null, { key: 'int32', value });
        m.set(1, 1);
        m.keys().next(); // abandoned: its entries stay in a ring area of the core
        for (let k = 0; k < 1000; k++) m.set(k, k); // then the map grows
        refs.push(new WeakRef(m));
      }
    };
    make();
    await collect();
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true]);
  });

  it('an abandoned iterator of a map that is then dropped too frees both, in either order', async () => {
    const make = () => {
      const m = new HashMap(null, { key: 'float64', value: 'any' });
      for (let k = 0; k < 5000; k++) m.set(k / 3, { k });
      const it = m.entries();
      it.next();
    };
    for (let i = 0; i < 20; i++) make();
    await collect();
    const top = heapTop() >>> 0;
    for (let i = 0; i < 20; i++) make();
    await collect();
    expect((heapTop() >>> 0) - top).toBeLessThan(1_000_000);
  });
});
