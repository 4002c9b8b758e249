// Sets the string keys it is given (tests/oom-reads.test.ts), key i to value i, in a shared map: a
// thread of its own, so that the main thread's query area never grew to their length.
import { HashMap } from '../../dist/index.js';
import { workerData, run } from './common.mjs';

run(() => {
  const m = HashMap.attach(workerData.handle);
  workerData.keys.forEach((k, i) => m.set(k, i));
  m.dispose();
});
