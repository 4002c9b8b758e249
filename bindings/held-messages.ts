// Messages that reach a Web Worker while the package loads.
//
// The package compiles its wasm modules with top-level await (load.ts, shared.ts). Chromium
// dispatches messages to a module worker as soon as the worker's module graph starts evaluating,
// while that await still holds back the worker's own module body: a message posted right after
// `new Worker(...)` arrives before the worker has set `onmessage`, and is dropped without an error.
//
// This module is the first of the package to run (index.ts imports it before anything else), before
// any await. In a dedicated worker whose `onmessage` is not set, it listens for 'message' and holds
// each event that arrives, stopping its propagation. When the package has loaded, index.ts calls
// releaseHeldMessages(); a task later (a timer of 0 ms runs after the microtasks in which the
// modules that import the package run their bodies and set their handlers) the listener goes and the
// held events are dispatched again, in order, as new MessageEvents on the worker's global, where
// `onmessage` and any 'message' listeners get them.
//
// An event that finds an `onmessage` handler already set (by a module that does not wait for the
// package) is left alone, unless earlier ones are held: it then waits with them, to keep the order.
// Node's worker_threads queue messages until a listener exists, and have no WorkerGlobalScope: there
// this module does nothing.

/** The timer delay that puts the release after the pending microtasks. */
const NEXT_TASK_MS = 0;

const held: MessageEvent[] = [];
let holding = false;

/** Whether this code runs in a dedicated Web Worker (not a page, a shared worker or Node). */
function inDedicatedWorker(): boolean {
  const scope = (globalThis as { DedicatedWorkerGlobalScope?: abstract new () => unknown }).DedicatedWorkerGlobalScope;
  return typeof scope === 'function' && globalThis instanceof scope;
}

function hold(e: Event): void {
  if (held.length === 0 && globalThis.onmessage != null) return;
  e.stopImmediatePropagation();
  held.push(e as MessageEvent);
}

/** The same message again, as a new event: its data, ports, origin, lastEventId and source. */
function redispatch(e: MessageEvent): void {
  const { data, origin, lastEventId, source } = e;
  globalThis.dispatchEvent(new MessageEvent('message', { data, ports: [...e.ports], origin, lastEventId, source }));
}

function release(): void {
  globalThis.removeEventListener('message', hold);
  holding = false;
  for (const e of held.splice(0)) redispatch(e);
}

/** The package has loaded: hand the held messages on once the importing modules have run. */
export function releaseHeldMessages(): void {
  if (holding) setTimeout(release, NEXT_TASK_MS);
}

if (inDedicatedWorker() && globalThis.onmessage == null) {
  globalThis.addEventListener('message', hold);
  holding = true;
}
