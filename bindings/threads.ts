// Proof that a thread died: what lets another thread undo the write a dead thread left half done in a
// shared map (docs/design.md, "Dead threads"). Each thread that instantiates the shared build on a
// memory has a thread record there (the core's, assembly/wlog.ts), which the lock words name; a record
// marked dead is proof, and only a thread that sees proof, or a holder silent for recoveryTime, undoes.
// What each platform gives:
//
//   - Node: a worker's 'exit' event reaches the thread that created it, after terminate(),
//     process.exit() in the worker, or an uncaught error. Every thread that loads the package listens
//     for the workers it creates (the process's 'worker' event) and, when one exits, marks that
//     thread's records dead (by Node's threadId, which each record holds) in every shared memory it
//     has, and in those it meets later. Node is reached through globalThis and
//     process.getBuiltinModule, so that no bundler sees a Node import.
//   - Browsers: Web Locks. Each thread asks, when it loads the package, for a lock of its own
//     (`tophash:thread:<random id>`) and keeps it for as long as it lives; its records carry
//     the id from the start, and say so once its lock's callback has run (the lock was held).
//     The browser releases the lock when the worker or page is gone (for a busy worker, some
//     time after terminate(): only then has it stopped). Every thread watches the other threads
//     it finds on a memory it uses (it looks for new ones every WATCH_MS), and a thread that
//     waits for a holder watches it at once. To watch a thread is to know its lock held (its
//     record says so, or `navigator.locks.query()` shows it held) and then ask for it: being
//     granted it proves that thread dead, and marks its record. A lock not known held proves
//     nothing (its owner's request may not have been granted yet), so no thread can be granted
//     a live thread's lock before that thread: the first holder of each name is its owner. Once
//     granted, the lock is its owner's whether or not the owner ever runs its callback. But a
//     worker's request reaches the browser only when the worker's event loop runs: a worker
//     that writes in a loop straight from its first task after loading the package has no lock,
//     and its death is presumed after recoveryTime.

import type { Core } from './load.js';
import { SWEEP_NONE, SWEEP_BUSY } from './contract.js';

interface WorkerLike {
  readonly threadId: number;
  once(event: 'exit', f: () => void): void;
}
interface NodeProcessLike {
  on(event: 'worker', f: (w: WorkerLike) => void): void;
  getBuiltinModule(id: string): { threadId?: number } | undefined;
  readonly arch?: string;
  readonly env?: Record<string, string | undefined>;
}
interface LockManagerLike {
  request(name: string, f: (lock: unknown) => Promise<void> | void): Promise<void>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

const nodeProcess: NodeProcessLike | undefined = (() => {
  const p = (globalThis as { process?: Partial<NodeProcessLike> }).process;
  return typeof p?.on === 'function' && typeof p.getBuiltinModule === 'function' ? (p as NodeProcessLike) : undefined;
})();
const locks: LockManagerLike | undefined = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;

interface UserAgentDataLike {
  getHighEntropyValues(hints: string[]): Promise<{ architecture?: string }>;
}

/**
 * Whether this CPU is known to keep loads in order and stores in order (x86), so that the shared build
 * without fences is correct here (docs/design.md, "Memory order"). Node tells its CPU (process.arch)
 * at once. Of the browsers, Chromium does when asked (navigator.userAgentData, which answers
 * asynchronously: the question goes out when the package loads, and until the answer is in, this is
 * false). Any other browser (Safari, Firefox: their user agents call Apple Silicon Macs 'Intel') and
 * any other host get the fenced build. TOPHASH_FENCES=1 in Node's environment takes the fenced build
 * on x86 too (to test and time it).
 */
export function strongOrder(): boolean {
  return x86;
}

let x86 = nodeProcess !== undefined && (nodeProcess.arch === 'x64' || nodeProcess.arch === 'ia32') && nodeProcess.env?.TOPHASH_FENCES !== '1';
if (nodeProcess === undefined) {
  const ua = (globalThis as { navigator?: { userAgentData?: UserAgentDataLike } }).navigator?.userAgentData;
  ua?.getHighEntropyValues(['architecture']).then(
    (v) => void (x86 = v.architecture === 'x86'),
    () => undefined,
  );
}

/** This thread's id in its records: Node's worker_threads.threadId (0 on the main thread, which outlives every worker); 0 elsewhere. */
export const threadId: number = nodeProcess?.getBuiltinModule('node:worker_threads')?.threadId ?? 0;

/** The shared-build Cores of this thread, one a memory (bindings/shared.ts adds each as it makes it). */
const cores: Core[] = [];
/** Node: ids of the workers this thread created that have exited. */
const exited: number[] = [];

nodeProcess?.on('worker', (w) => {
  const tid = w.threadId;
  w.once('exit', () => {
    exited.push(tid);
    for (const c of cores) if (c.x.thread_dead(tid) > 0) sweep(c);
  });
});

/** How often, and how many times, a sweep tries again a dead thread's iterator whose table is held. */
const SWEEP_RETRY_MS = 20;
const SWEEP_TRIES = 500;

/**
 * Release the iterator slots of the threads known dead on Core c (the core's iter_sweep_dead, one a
 * call): their tables count them out, so that tombstones are reused and chains re-packed again, and
 * the slots go back to the pool. One whose table is held is tried again later, for 10 s at most (a
 * table held by a dead writer is freed by the next thread that waits for it).
 */
function sweep(c: Core, tries = 0): void {
  const x = c.x;
  for (;;) {
    const r = x.iter_sweep_dead();
    if (r === SWEEP_NONE) return;
    if (r === SWEEP_BUSY) {
      if (tries < SWEEP_TRIES) (setTimeout(() => sweep(c, tries + 1), SWEEP_RETRY_MS) as { unref?: () => void }).unref?.();
      return;
    }
  }
}

/** The name of the Web Lock a thread holds for its life. */
const lockName = (id: number): string => `tophash:thread:${id}`;

/** Whether probeHolder can prove anything here (a browser with Web Locks): the waits call it only then. */
export const canProbe = locks !== undefined;

/**
 * A record's lock word: the thread's Web Lock id (31 bits, never 0), and HELD_BIT once the thread has
 * run its lock's callback (so the lock was held: being free later proves the thread dead).
 */
const HELD_BIT = 0x8000_0000;
const ID_MASK = 0x7fff_ffff;
/** This thread's Web Lock id. Its records carry it from the start; the lock is asked for now and kept for the thread's life. */
const lockId = crypto.getRandomValues(new Uint32Array(1))[0] & ID_MASK || 1;
let held = false;
locks
  ?.request(lockName(lockId), () => {
    held = true;
    for (const c of cores) c.x.thread_named((lockId | HELD_BIT) >>> 0);
    return new Promise<void>(() => {});
  })
  .catch(() => {});

/** How often a browser thread looks for other threads' records it does not watch yet (ms). */
const WATCH_MS = 1000;

/** A Core of the shared build was just made: its thread's record joins the proofs (its Web Lock id, exits already seen marked), and in a browser this thread watches the others'. */
export function watchThreads(c: Core): void {
  cores.push(c);
  for (const tid of exited) c.x.thread_dead(tid);
  if (locks !== undefined) {
    c.x.thread_named(held ? (lockId | HELD_BIT) >>> 0 : lockId);
    watchRecords(c);
    setInterval(() => watchRecords(c), WATCH_MS);
  }
}

/** Ask for the Web Lock of every other thread on c's memory whose record carries one (probeHolder), so that its death is proved once it comes. */
function watchRecords(c: Core): void {
  const own = c.x.thread_record() >>> 0;
  for (let r = c.x.thread_after(0) >>> 0; r !== 0; r = c.x.thread_after(r) >>> 0) if (r !== own) probeHolder(c, r);
}

/** The Web Locks this thread asks for, each with the records (of one thread, on each memory) its grant proves dead. */
const watched = new Map<string, { c: Core; record: number }[]>();

/**
 * Another thread's record on c's memory: in a browser, if its thread's Web Lock is known to have been
 * held (the record says so, or `navigator.locks.query()` shows it held now), ask for that lock, once;
 * being granted it, now or when the browser releases it, proves that thread dead: its records are
 * marked and its iterators released. A lock not known held is looked at again at the next call.
 * Nothing to do in Node.
 */
export function probeHolder(c: Core, record: number): void {
  if (locks === undefined) return;
  const word = c.x.thread_lock_id(record) >>> 0;
  const id = word & ID_MASK;
  if (id === 0 || id === lockId) return;
  const name = lockName(id);
  let records = watched.get(name);
  if (records !== undefined) {
    if (!records.some((r) => r.c === c && r.record === record)) records.push({ c, record });
    return;
  }
  watched.set(name, (records = [{ c, record }]));
  const l = locks;
  const prove = () =>
    l.request(name, () => {
      for (const r of records) if (r.c.x.thread_record_dead(r.record) === 1) sweep(r.c);
    });
  const known = (word & HELD_BIT) !== 0 ? Promise.resolve(true) : l.query().then((state) => (state.held ?? []).some((h) => h.name === name));
  known
    .then((wasHeld) => {
      if (wasHeld) return prove();
      watched.delete(name);
    })
    .catch(() => watched.delete(name));
}

/** Whether this thread may block in Atomics.wait (a browser page's main thread may not). */
export const canBlock: boolean = (() => {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
})();
