// The worker of bench/studies/shared-string-add.js: 200,000 add(word, 1) a round on random words.
import { parentPort, workerData } from 'node:worker_threads';
import { HashMap } from '../../dist/index.js';
const m = HashMap.attach(workerData.handle);
const ctl = new Int32Array(workerData.ctl);
const words = Array.from({ length: 5000 }, (_, i) => 'word' + ((i * 2654435761) >>> 0).toString(36));
parentPort.on('message', (t) => {
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  while (Atomics.load(ctl, 1) < t.gen) Atomics.wait(ctl, 1, Atomics.load(ctl, 1));
  const t0 = performance.now();
  let s = workerData.seed;
  for (let i = 0; i < 200000; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    m.add(words[(s >>> 8) % 5000], 1);
  }
  parentPort.postMessage({ ms: performance.now() - t0 });
});
