// For tests/shared.test.ts (clear under concurrent writes): set(k, k) and delete(k) of random keys
// below `keys`, string or int32 keys, until the main thread sets ctl[0] (ctl[1] counts the workers
// that have started); returns how many writes.
import { HashMap } from '../../dist/index.js';
import { workerData, run, rng } from './common.mjs';

run(() => {
  const { handle, ctl, keys, seed, str } = workerData;
  const i32 = new Int32Array(ctl);
  const m = HashMap.attach(handle);
  const rand = rng(seed);
  let n = 0;
  Atomics.add(i32, 1, 1);
  Atomics.notify(i32, 1);
  while (Atomics.load(i32, 0) === 0) {
    const k = Math.floor(rand() * keys);
    if (rand() < 0.7) m.set(str ? `k${k}` : k, k);
    else m.delete(str ? `k${k}` : k);
    n++;
  }
  m.dispose();
  return { writes: n };
});
