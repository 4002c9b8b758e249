// A writer for tests/toarrays.test.ts: set(k, 2k) for k = 0, 1, 2, ... in order, one key at a time
// (so that every state of the map holds exactly the keys 0 .. j - 1 for some j), until the main thread
// sets ctl[1] or `count` keys are in; ctl[0] counts the keys set.
import { HashMap } from '../../dist/index.js';
import { workerData, run } from './common.mjs';

run(() => {
  const { handle, ctl, count } = workerData;
  const i32 = new Int32Array(ctl);
  const m = HashMap.attach(handle);
  let k = 0;
  while (k < count && Atomics.load(i32, 1) === 0) {
    m.set(k, 2 * k);
    k++;
    Atomics.store(i32, 0, k);
  }
  m.dispose();
  return { set: k };
});
