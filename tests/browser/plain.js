// Served without the isolation headers (the test server's /plain/ route): private maps work, and
// `shared: true` throws an Error that names the two headers the page lacks.
import { check, throws, run } from './harness.js';

run(async () => {
  const { HashMap } = await import('../../dist/index.js');
  check(globalThis.crossOriginIsolated === false, 'this page should not be cross-origin isolated');
  check(typeof SharedArrayBuffer === 'undefined', 'SharedArrayBuffer should be missing on a non-isolated page');

  const m = new HashMap(null, { key: 'string', value: 'int32' });
  m.add('a', 2);
  m.add('a', 3);
  check(m.get('a') === 5 && m.size === 1, 'a private map works without isolation');
  m.dispose();

  const e = throws(() => new HashMap(null, { key: 'int32', value: 'int32', shared: true }), Error, /Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/s, true);
  return { name: e.name, message: e.message, isolated: globalThis.crossOriginIsolated };
});
