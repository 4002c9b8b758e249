// A thread that takes one lock of a shared map as a writer would, names itself in it (its thread
// record, the core's), and then never releases it: tests/shared.test.ts and tests/survive.test.ts
// terminate it (a writer that died holding the lock: proved dead by its exit) or leave it alive and
// idle (a holder that makes no progress: presumed dead only after recoveryTime).
//   workerData.lock: 'root', 'allocator', or a table index
// It posts 'held' once it holds the lock, then idles (its event loop stays alive).
import { HashMap } from '../../dist/index.js';
import { coreFor } from '../../dist/shared.js';
import { ALLOC_LOCK } from '../../dist/contract.js';
import { workerData, post, check } from './common.mjs';

const { handle, lock } = workerData;
const m = HashMap.attach(handle);
const c = coreFor(handle.memoryId, handle.memory, handle.module);
if (lock === 'allocator') {
  // The allocator's 64-bit lock word: the futex word (one more holder in its count, state held) and
  // this thread's record above it, as the core's lockWord writes them.
  const w = new BigInt64Array(handle.memory.buffer, (c.x.ALLOC_HEADER.value >>> 0) + ALLOC_LOCK, 1);
  for (;;) {
    const v = Atomics.load(w, 0);
    const word = Number(v & 0xffffffffn);
    if ((word & 3) !== 0) continue;
    const held = (BigInt(c.x.thread_record() >>> 0) << 32n) | BigInt(((word + 4) | 1) >>> 0);
    if (Atomics.compareExchange(w, 0, v, held) === v) break;
  }
} else {
  const h = lock === 'root' ? handle.address : c.x.map_table(handle.address, lock) >>> 0;
  check(c.x.wlock_try(h, 1) === 1, 'the lock was not free');
}
post({ type: 'held' });
setInterval(() => m.size === -1 && post({ type: 'never' }), 60_000);
