// A writer that is terminated at a random moment (tests/survive.test.ts): it attaches a shared map and
// writes keys of its own range [base, base + keys) in a loop until it is stopped: sets that make the
// map grow, deletes, adds (number values), getOrSets, setMany and deleteMany (number kinds), never
// clear (the main thread's keys must survive). It posts 'started' once it has written for a while.
//   mode 'num': int32 -> float64      mode 'str': string -> string
// Values carry the key, so that the main thread can tell a well-formed entry.
import { HashMap } from '../../dist/index.js';
import { workerData, run, post, rng, strKey, strVal } from './common.mjs';

const { handle, base, keys, mode, seed, startAfter } = workerData;

run(() => {
  const m = HashMap.attach(handle);
  const rand = rng(seed);
  const keyOf = mode === 'str' ? (n) => strKey(base + n) : (n) => base + n;
  const valOf = mode === 'str' ? (n, v) => strVal(base + n, v) : (n, v) => base + n + v / 16;
  const batchKeys = new Int32Array(64);
  const batchVals = new Float64Array(64);
  for (let ops = 0; ; ops++) {
    if (ops === startAfter) post({ type: 'started' });
    const n = Math.floor(rand() * keys);
    const r = rand();
    if (r < 0.5) m.set(keyOf(n), valOf(n, Math.floor(rand() * 16)));
    else if (r < 0.75) m.delete(keyOf(n));
    else if (r < 0.85) m.getOrSet(keyOf(n), valOf(n, 0));
    else if (mode === 'num' && r < 0.9) {
      // add keeps the value's key part: + 1/16 while the version is below 15, else back to 0
      const v = m.get(keyOf(n));
      if (v !== undefined) m.add(keyOf(n), (v - (base + n)) * 16 < 15 ? 1 / 16 : -(v - (base + n)));
    } else if (mode === 'num' && r < 0.95) {
      const from = Math.floor(rand() * (keys - 64));
      for (let i = 0; i < 64; i++) {
        batchKeys[i] = base + from + i;
        batchVals[i] = base + from + i + Math.floor(rand() * 16) / 16;
      }
      if (r < 0.93) m.setMany(batchKeys, batchVals);
      else m.deleteMany(batchKeys);
    } else {
      m.get(keyOf(n));
    }
  }
});
