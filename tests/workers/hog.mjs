// A writer that hogs a shared map until the main thread sets ctl[1] (ctl[0] says it has started):
//   'setMany'  setMany of `pairs` int32 pairs back to back (each call holds the map's lock for its
//              whole length, about a millisecond)
//   'tight'    set of string keys in a tight loop (the lock is held for about a microsecond and
//              retaken a fraction of a microsecond later: a waiter that sleeps misses every gap)
// Returns how many calls it made.
import { HashMap } from '../../dist/index.js';
import { workerData, run } from './common.mjs';

run(() => {
  const { handle, ctl, pairs, base, mode } = workerData;
  const i32 = new Int32Array(ctl);
  const m = HashMap.attach(handle);
  let rounds = 0;
  Atomics.store(i32, 0, 1);
  Atomics.notify(i32, 0);
  if (mode === 'tight') {
    while (Atomics.load(i32, 1) === 0) m.set(`hog ${rounds++ % pairs}`, rounds);
  } else {
    const keys = new Int32Array(pairs).map((_, i) => base + i);
    const vals = new Int32Array(pairs);
    while (Atomics.load(i32, 1) === 0) {
      vals[0] = rounds;
      m.setMany(keys, vals);
      rounds++;
    }
  }
  m.dispose();
  return { rounds };
});
