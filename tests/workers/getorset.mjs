// Test 3: threads race getOrSet(k, own id) on the same fresh keys, round after round; every thread
// records the id it got back for every key in a shared Int32Array.
import { HashMap } from '../../dist/index.js';
import { workerData, run, barrier, check, show, strKey } from './common.mjs';

/** The value thread `id` offers: for string values, inline and block strings by id. */
export function offer(mode, id) {
  return mode === 'str' ? (id % 2 === 0 ? `t${id}` : `thread number ${id}, a string value too long to be inline`) : id;
}

run(() => {
  const { handle, ctl, results, id, nThreads, rounds, perRound, mode } = workerData;
  const i32 = new Int32Array(ctl);
  const res = new Int32Array(results);
  const total = rounds * perRound;
  const m = HashMap.attach(handle);
  const keyOf = mode === 'str' ? strKey : (n) => n * 0.5 - 1000; // float64 keys
  const offers = [];
  for (let t = 0; t < nThreads; t++) offers.push(offer(mode, t));
  const mine = offers[id];
  for (let r = 0; r < rounds; r++) {
    barrier(i32, 0, nThreads);
    for (let i = 0; i < perRound; i++) {
      const n = r * perRound + i;
      const got = m.getOrSet(keyOf(n), mine);
      const winner = offers.indexOf(got);
      check(winner >= 0, () => `getOrSet(${show(keyOf(n))}, ${show(mine)}) returned ${show(got)}, which no thread offered`);
      res[id * total + n] = winner;
    }
  }
  m.dispose();
  return {};
});
