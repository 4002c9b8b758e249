// Messages posted to a module worker right after new Worker(...), while the worker still loads the
// package (bindings/held-messages.ts): every one arrives, in order, with its transferred port, at the
// worker's onmessage and its 'message' listener (held-worker.js); a worker whose onmessage was set
// before the package loaded gets the browser's own events, untouched (held-early-worker.js).
import { check, run } from './harness.js';

/** What each worker is sent: plain data, an object, a transferred port, and the end mark. */
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
  { data: 1, ports: 0 },
  { data: { two: 2 }, ports: 0 },
  { data: 'port', ports: 1 },
  { data: 'end', ports: 0 },
];

run(async () => {
  const late = new Worker(new URL('./held-worker.js', import.meta.url), { type: 'module' });
  const latePort = post(late);
  const early = new Worker(new URL('./held-early-worker.js', import.meta.url), { type: 'module' });
  const earlyPort = post(early);
  const [lateReport, earlyReport, latePong, earlyPong] = await Promise.all([reply(late), reply(early), first(latePort), first(earlyPort)]);
  late.terminate();
  early.terminate();

  const want = (trusted) => JSON.stringify(SENT.map((s) => ({ ...s, trusted })));
  check(JSON.stringify(lateReport.got) === want(false), () => `held worker got ${JSON.stringify(lateReport.got)}`);
  check(lateReport.listened === SENT.length, () => `held worker's listener got ${lateReport.listened} messages`);
  check(lateReport.loaded, 'held worker: the package loaded');
  check(JSON.stringify(earlyReport.got) === want(true), () => `early worker got ${JSON.stringify(earlyReport.got)}`);
  check(latePong === 'pong' && earlyPong === 'pong', 'both transferred ports answered');
  return { late: lateReport, early: earlyReport };
});
