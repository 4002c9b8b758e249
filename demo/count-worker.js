// A Web Worker of the demo: attaches the page's shared map, makes its part of the text, and on the
// page's signal adds 1 per word. progress[part] (shared memory) tells the page how far it got.
import { HashMap } from '../dist/index.js';
import { makeText, wordsOf } from './text.js';

let job;
self.onmessage = ({ data }) => {
  try {
    if (data.type === 'job') {
      const t0 = performance.now();
      const words = wordsOf(makeText(data.part, data.words));
      job = { ...data, words, map: HashMap.attach(data.handle), genMs: performance.now() - t0 };
      postMessage({ type: 'ready' });
    } else if (data.type === 'go') {
      const { map, words, progress, part } = job;
      const t0 = performance.now();
      for (let i = 0; i < words.length; i++) {
        map.add(words[i], 1);
        if ((i & 1023) === 1023) Atomics.store(progress, part, i + 1);
      }
      Atomics.store(progress, part, words.length);
      const ms = performance.now() - t0;
      map.dispose();
      postMessage({ type: 'done', counted: words.length, ms, genMs: job.genMs });
      job = undefined;
    }
  } catch (e) {
    postMessage({ type: 'error', error: `${e?.name}: ${e?.message}` });
  }
};
