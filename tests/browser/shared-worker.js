// A Web Worker of shared.js: attaches the page's shared maps (their handles come in the page's one
// message, posted right after new Worker(...)), waits for the start signal, writes (shared-work.js),
// disposes of its handles and posts what it saw.
import { HashMap } from '../../dist/index.js';
import { work } from './shared-work.js';

self.onmessage = ({ data: { id, handles, go } }) => {
  try {
    const maps = Object.fromEntries(Object.entries(handles).map(([name, h]) => [name, HashMap.attach(h)]));
    Atomics.add(go, 0, 1);
    // Workers may block: wait for the page's start signal.
    while (Atomics.load(go, 1) === 0) Atomics.wait(go, 1, 0, 100);
    const result = work(maps, id);
    for (const m of Object.values(maps)) m.dispose();
    postMessage({ type: 'done', result: { ...result, isolated: self.crossOriginIsolated } });
  } catch (e) {
    postMessage({ type: 'error', error: `${e?.name}: ${e?.message}\n${e?.stack}` });
  }
};
