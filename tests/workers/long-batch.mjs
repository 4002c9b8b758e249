// A worker's long whole-map write (tests/live-holders.test.ts): one setMany of `n` keys from `base`,
// value i ^ 0x5a5a for key base + i. It posts 'start' just before the call.
import { HashMap } from '../../dist/index.js';
import { workerData, run, post } from './common.mjs';

const { handle, n, base } = workerData;

run(() => {
  const m = HashMap.attach(handle);
  const keys = new Int32Array(n);
  const vals = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = base + i;
    vals[i] = i ^ 0x5a5a;
  }
  post({ type: 'start' });
  const t0 = performance.now();
  m.setMany(keys, vals);
  return { ms: performance.now() - t0 };
});
