// The module worker of early-messages.js. It imports the package statically, then records what its
// onmessage and a 'message' listener get, answers a transferred port, and on 'end' posts the record.
import { HashMap } from '../../dist/index.js';

const got = [];
let listened = 0;
addEventListener('message', () => listened++);
onmessage = (e) => {
  got.push({ data: e.data, ports: e.ports.length, trusted: e.isTrusted });
  if (e.ports.length > 0) e.ports[0].postMessage('pong');
  if (e.data === 'end') postMessage({ got, listened, loaded: typeof HashMap.attach === 'function' });
};
