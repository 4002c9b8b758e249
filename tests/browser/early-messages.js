// Messages posted to a module worker right after new Worker(...): the worker imports the package
// statically, and the package loads with no top-level await, so the worker's body has set its
// handlers before the first message is dispatched. Every message arrives, in order, as the browser's
// own event (trusted: nothing held or dispatched again), with its transferred port, at the worker's
// onmessage and its 'message' listener (early-messages-worker.js).
import { check, run } from './harness.js';

/** What the worker is sent: plain data, an object, a transferred port, and the end mark. */
function post(w) {
  const channel = new MessageChannel();
  w.postMessage(1);
  w.postMessage({ two: 2 });
  w.postMessage('port', [channel.port2]);
  w.postMessage('end');
  return channel.port1;
}

/** The worker's first message (its report), or its error. */
function reply(w) {
  return new Promise((resolve, reject) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
  });
}

/** The first message on a port. */
function first(port) {
  return new Promise((resolve) => (port.onmessage = (e) => resolve(e.data)));
}

const SENT = [
  { data: 1, ports: 0, trusted: true },
  { data: { two: 2 }, ports: 0, trusted: true },
  { data: 'port', ports: 1, trusted: true },
  { data: 'end', ports: 0, trusted: true },
];

run(async () => {
  const w = new Worker(new URL('./early-messages-worker.js', import.meta.url), { type: 'module' });
  const port = post(w);
  const [report, pong] = await Promise.all([reply(w), first(port)]);
  w.terminate();
  check(JSON.stringify(report.got) === JSON.stringify(SENT), () => `the worker got ${JSON.stringify(report.got)}`);
  check(report.listened === SENT.length, () => `the worker's listener got ${report.listened} messages`);
  check(report.loaded, 'the package loaded in the worker');
  check(pong === 'pong', 'the transferred port answered');
  return report;
});
