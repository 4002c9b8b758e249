// A Web Worker of dead-worker.js: attaches the page's map and writes keys of its own range in a
// loop (value: twice the key, so that any entry can be checked) until the page terminates it; or,
// with `iterate`, starts that many iterations, reads one entry of each, and idles. It lets its event
// loop run once first: a worker's request for its Web Lock reaches the browser only then (a worker
// that loops from its first task has none, and is presumed dead after recoveryTime).
import { HashMap } from '../../dist/index.js';

const held = [];

self.onmessage = async ({ data: { handle, base, keys, iterate } }) => {
  const m = HashMap.attach(handle);
  await new Promise((r) => setTimeout(r, 0));
  if (iterate) {
    // Iterators read half way and kept: the worker then idles until it is terminated.
    for (let i = 0; i < iterate; i++) {
      const it = m.keys();
      it.next();
      held.push(it);
    }
    postMessage('iterating');
    return;
  }
  for (let i = 0; ; i++) {
    const k = base + (i % keys);
    if (i % 3 === 2) m.delete(k);
    else m.set(k, 2 * k);
    if (i === 20_000) postMessage('writing');
  }
};
