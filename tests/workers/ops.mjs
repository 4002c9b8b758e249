// Test 5: a worker that runs the main thread's commands on a shared map, one reply per command.
import { HashMap } from '../../dist/index.js';
import { run, nextMessage, post } from './common.mjs';

run(async () => {
  let m = null;
  for (;;) {
    const { cmd, handle, key, value, options } = await nextMessage();
    if (cmd === 'exit') return {};
    try {
      let r;
      switch (cmd) {
        case 'create':
          m = new HashMap(null, options);
          r = m.handle;
          break;
        case 'attach':
          m = HashMap.attach(handle);
          r = m.size;
          break;
        case 'set':
          m.set(key, value);
          r = m.size;
          break;
        case 'get':
          r = m.get(key);
          break;
        case 'size':
          r = m.size;
          break;
        case 'entries':
          r = [...m];
          break;
        case 'stats':
          r = m.stats();
          break;
        case 'dispose':
          m.dispose();
          break;
        case 'dispose-again':
          m.dispose();
          break;
        default:
          throw new Error(`ops.mjs: unknown command ${cmd}`);
      }
      post({ type: 'reply', ok: true, value: r });
    } catch (e) {
      post({ type: 'reply', ok: false, name: e?.constructor?.name ?? 'Error', isTypeError: e instanceof TypeError, message: String(e?.message ?? e) });
    }
  }
});
