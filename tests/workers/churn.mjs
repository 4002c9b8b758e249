// Test 4: set/delete/getOrSet/clear in a tight loop on a shared map with a small lockTimeout.
// role 'victim': runs until the main thread terminates it (mid-write, most likely holding the lock).
// role 'survivor': the same loop, checking every answer, until the main thread sets ctl[STOP]; then
// reports 'ok', or 'timeout' if it met LockTimeoutError (and the next operation threw it too).
import { HashMap, LockTimeoutError } from '../../dist/index.js';
import { workerData, run, post, check, show, rng, strKey, strKeyNum, strVal, strValParse } from './common.mjs';

export const STOP = 0;

const { handle, ctl: ctlBuf, role, keys, mode, seed } = workerData;
const ctl = new Int32Array(ctlBuf);
const keyOf = mode === 'str' ? strKey : (n) => n;
const valOf = mode === 'str' ? strVal : (n, r) => n + r / 16;
/** Whether v is a value written for key number n. */
const valid =
  mode === 'str'
    ? (n, v) => {
        const p = strValParse(v);
        return p !== null && p.n === n && p.ver < 16;
      }
    : (n, v) => typeof v === 'number' && v >= n && v < n + 1 && Number.isInteger((v - n) * 16);

let lastStep = '';

function step(m, rand) {
  const n = Math.floor(rand() * keys);
  const k = keyOf(n);
  const r = rand();
  lastStep = r < 0.45 ? 'set' : r < 0.75 ? 'delete' : r < 0.85 ? 'getOrSet' : r < 0.9997 ? 'get' : 'clear';
  if (r < 0.45) {
    check(m.set(k, valOf(n, Math.floor(rand() * 16))) === m, 'set must return the map');
  } else if (r < 0.75) {
    const d = m.delete(k);
    check(typeof d === 'boolean', () => `delete returned ${show(d)}`);
  } else if (r < 0.85) {
    const v = m.getOrSet(k, valOf(n, Math.floor(rand() * 16)));
    check(valid(n, v), () => `getOrSet(${show(k)}) returned ${show(v)}`);
  } else if (r < 0.9997) {
    const v = m.get(k);
    check(v === undefined || valid(n, v), () => `get(${show(k)}) returned ${show(v)}`);
  } else {
    m.clear();
  }
}

run(() => {
  const m = HashMap.attach(handle);
  const rand = rng(seed);
  let ops = 0;
  if (role === 'victim') {
    for (;;) {
      step(m, rand);
      if (++ops === 2000) post({ type: 'started' });
    }
  }
  try {
    while (Atomics.load(ctl, STOP) === 0) {
      step(m, rand);
      if (++ops === 2000) post({ type: 'started' });
    }
  } catch (e) {
    if (!(e instanceof LockTimeoutError)) throw e;
    // Once the lock is lost for good, every later operation must say so too.
    let again = null;
    try {
      m.get(keyOf(0));
    } catch (e2) {
      again = e2;
    }
    check(again instanceof LockTimeoutError, () => `after a LockTimeoutError (${lastStep}: ${e.message}), the next get gave ${again === null ? 'an answer' : String(again)}`);
    return { outcome: 'timeout', ops };
  }
  if (ops < 2000) post({ type: 'started' });
  // Validate the survivor's last view: size and iteration agree, every entry is well-formed.
  let count = 0;
  for (const [k, v] of m) {
    const n = mode === 'str' ? strKeyNum(k) : k;
    check(Number.isInteger(n) && n >= 0 && n < keys && valid(n, v), () => `iteration produced ${show(k)} => ${show(v)}`);
    count++;
  }
  m.dispose();
  return { outcome: 'ok', ops, count };
});
