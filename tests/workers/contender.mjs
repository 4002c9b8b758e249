// One of several live threads that contend for a shared int32 -> int32 map for `ms` milliseconds
// (tests/live-holders.test.ts): each round adds 1 to counter i & 15 and sets a key of its own range
// [ownBase, ownBase + ownKeys) to i. A LockTimeoutError means the operation changed nothing; the
// worker counts only what returned: its adds per counter, and the last value it set on each own key.
import { HashMap } from '../../dist/index.js';
import { workerData, run } from './common.mjs';

const { handle, ms, ownBase, ownKeys } = workerData;

run(() => {
  const m = HashMap.attach(handle);
  const adds = new Array(16).fill(0);
  const own = new Map();
  let timeouts = 0;
  let rounds = 0;
  const timedOut = (e) => {
    if (e?.name !== 'LockTimeoutError') throw e;
    timeouts++;
  };
  const end = performance.now() + ms;
  for (let i = 0; performance.now() < end; i++, rounds++) {
    try {
      m.add(i & 15, 1);
      adds[i & 15]++;
    } catch (e) {
      timedOut(e);
    }
    const k = ownBase + (i % ownKeys);
    try {
      m.set(k, i);
      own.set(k, i);
    } catch (e) {
      timedOut(e);
    }
  }
  return { adds, own: [...own], timeouts, rounds };
});
