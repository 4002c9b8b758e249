// A worker's set of one very long string key (tests/live-holders.test.ts): `length` characters, value
// 7; it posts 'start' just before the set and returns what its own get reads after it (a read of a
// key this long takes longer than lockTimeout while the main thread writes: it tries again).
import { HashMap } from '../../dist/index.js';
import { workerData, run, post } from './common.mjs';

const { handle, length } = workerData;

run(() => {
  const m = HashMap.attach(handle);
  const key = 'k'.repeat(length);
  post({ type: 'start' });
  const t0 = performance.now();
  m.set(key, 7);
  const ms = performance.now() - t0;
  for (;;) {
    try {
      return { ms, got: m.get(key) };
    } catch (e) {
      if (e?.name !== 'LockTimeoutError') throw e;
    }
  }
});
