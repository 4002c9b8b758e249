// A module worker of held.js that sets onmessage before it loads the package (a dynamic import):
// the package must leave its messages alone (they stay the browser's own, trusted events). It
// answers a transferred port and on 'end' posts what it got, as held-worker.js does.
const got = [];
onmessage = (e) => {
  got.push({ data: e.data, ports: e.ports.length, trusted: e.isTrusted });
  if (e.ports.length > 0) e.ports[0].postMessage('pong');
  if (e.data === 'end') postMessage({ got });
};
await import('../../dist/index.js');
