// Test 1: many atomic adds on overlapping keys. Returns every value add returned, in order.
import { HashMap } from '../../dist/index.js';
import { workerData, run, barrier, check, show, strKey } from './common.mjs';

run(() => {
  const { handle, ctl, nThreads, ops, keys, mode, delta } = workerData;
  const i32 = new Int32Array(ctl);
  const m = HashMap.attach(handle);
  const out = new Float64Array(ops);
  const last = new Float64Array(keys);
  const keyOf = mode === 'str' ? strKey : (n) => n;
  barrier(i32, 0, nThreads);
  for (let i = 0; i < ops; i++) {
    const n = i % keys;
    const r = m.add(keyOf(n), delta);
    // Nobody subtracts: what one thread sees of one key only grows.
    if (!(r > last[n])) check(false, `add(${show(keyOf(n))}, ${delta}) returned ${show(r)} after ${last[n]}`);
    last[n] = r;
    out[i] = r;
  }
  m.dispose();
  return { out, transfer: [out.buffer] };
});
