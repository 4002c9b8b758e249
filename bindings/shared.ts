// Maps shared between threads: the shared build of the core on a shared
// WebAssembly.Memory, handles that travel to workers, reference counts, and the
// JS half of the lock protocol (the wasm half is assembly/lock.ts; the whole
// protocol is in docs/design.md, "Concurrency protocol").
//
// A thread instantiates the shared build once per shared memory it meets: its
// own (made when it creates its first shared map), and each memory it first
// attaches a handle from. A handle carries the memory, the memory's random id
// (a Memory posted twice arrives as two objects, so the id tells they are one),
// the compiled shared build (structured-clonable like the memory: the attaching
// thread instantiates it instead of its own compilation), the map's address and
// its 48-bit id, and its kinds.
//
// A writer takes the map by making its sequence count odd (one compare-and-swap)
// for the duration of its one wasm call; readers call the plain lookup between
// two reads of an even count and retry when it moved (or when the call trapped
// on a half-made change). Waits spin briefly, then block with Atomics.wait where
// the thread may (not on a browser page's main thread: there it spins), and
// give up with a LockTimeoutError after `lockTimeout` milliseconds.

import { Core, compile, wasmUrl, core as privateCore, type CoreExports } from './load.js';

/** A lock wait passed the map's lockTimeout; the operation changed nothing. */
export class LockTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockTimeoutError';
  }
}

const HDR_WAITERS = privateCore.x.HDR_WAITERS.value as number;
const HDR_WANT = privateCore.x.HDR_WANT.value as number;
const HDR_SEQ = privateCore.x.HDR_SEQ.value as number;
const HDR_REFS = privateCore.x.HDR_REFS.value as number;
const HDR_KINDS = privateCore.x.HDR_KINDS.value as number;
const RECOVER_TAKEN = privateCore.x.RECOVER_TAKEN.value as number;
const RECOVER_BROKEN = privateCore.x.RECOVER_BROKEN.value as number;
const WLOCK_ROOT_BUSY = privateCore.x.WLOCK_ROOT_BUSY.value as number;
/** Pages a shared memory may grow to: all a wasm32 memory can address. Reserved as address space, not memory. */
const MAX_PAGES = 65536;
/** Loads of a busy word before a thread waits: a writer holds a map for about a microsecond. */
const SPINS = 1000;
/** Longest single wait (ms): a waiter looks again this often even if no writer notified it. */
const WAIT_SLICE_MS = 2;
/** Bits of a map's reference word below its id. */
const REF_BITS = 16n;
const REF_MASK = (1n << REF_BITS) - 1n;

const sharedModule = await compile(wasmUrl('tophash-shared.wasm'));
/** Modules known to be a shared build of this version: this thread's own, and those handles brought that passed isSharedBuild. */
const sharedBuilds = new WeakSet<WebAssembly.Module>([sharedModule]);
/** The imports and exports of this thread's shared build, as isSharedBuild compares them (made at its first use). */
let sharedInterface = '';

/** Whether this thread may block in Atomics.wait (a browser page's main thread may not). */
export const canBlock: boolean = (() => {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
})();

/** Shared memory needs SharedArrayBuffer: a browser page has it only when cross-origin isolated. */
export function checkSharingAvailable(): void {
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error(
      'HashMap: shared maps need SharedArrayBuffer, which this page does not have: serve it cross-origin isolated, ' + "with the headers 'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp'",
    );
  }
}

const cores = new Map<number, Core>();
let homeId = 0;

function instantiate(memory: WebAssembly.Memory, module: WebAssembly.Module): Core {
  const imports = { env: { memory, now: () => performance.now() } };
  const x = new WebAssembly.Instance(module, imports).exports as unknown as CoreExports;
  x.canBlock.value = canBlock ? 1 : 0;
  if (x.wlog_init() !== 1) throw new RangeError("HashMap: out of memory for this thread's write log of shared maps");
  return new Core(module, x, memory, true);
}

function moduleInterface(m: WebAssembly.Module): string {
  return JSON.stringify([WebAssembly.Module.imports(m), WebAssembly.Module.exports(m)]);
}

/**
 * Whether m is a compiled shared build of this version of the core: a WebAssembly.Module with the
 * very imports and exports of this thread's own (a posted Module arrives as a new object, so it is
 * compared once, then remembered). The private build, or another version's, is not.
 */
export function isSharedBuild(m: unknown): m is WebAssembly.Module {
  if (!(m instanceof WebAssembly.Module)) return false;
  if (sharedBuilds.has(m)) return true;
  sharedInterface ||= moduleInterface(sharedModule);
  if (moduleInterface(m) !== sharedInterface) return false;
  sharedBuilds.add(m);
  return true;
}

function randomU32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** This thread's own shared memory and its Core, made at the first shared map it creates. */
export function homeCore(): { core: Core; memoryId: number } {
  checkSharingAvailable();
  if (homeId === 0) {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    homeId = randomU32() || 1;
    cores.set(homeId, instantiate(memory, sharedModule));
  }
  return { core: cores.get(homeId)!, memoryId: homeId };
}

/** The Core for a handle's memory, instantiated from the handle's module at the first handle from that memory. */
export function coreFor(memoryId: number, memory: WebAssembly.Memory, module: WebAssembly.Module): Core {
  let c = cores.get(memoryId);
  if (c === undefined) cores.set(memoryId, (c = instantiate(memory, module)));
  return c;
}

/** What a handle carries. */
/** What a shared map's handle holds (bindings/public.d.ts shows users an opaque SharedHandle). */
export interface HandleFields {
  readonly memory: WebAssembly.Memory;
  /** The compiled shared build of the core, which `attach` instantiates on the memory. */
  readonly module: WebAssembly.Module;
  readonly memoryId: number;
  readonly address: number;
  readonly id: number;
  readonly key: string;
  readonly value: string;
  readonly lockTimeout: number;
}

/** A fresh map's kinds (so that attach can check a handle's) and reference word: a random 48-bit id, one reference. Returns the id. */
export function initRefs(c: Core, h: number, kk: number, vk: number): number {
  const u8 = c.heap(h + HDR_KINDS + 2).u8;
  u8[h + HDR_KINDS] = kk;
  u8[h + HDR_KINDS + 1] = vk;
  const id = (randomU32() & 0xffff) * 2 ** 32 + randomU32() || 1;
  const i64 = c.heap(h + HDR_REFS + 8).i64;
  Atomics.store(i64, (h + HDR_REFS) / 8, (BigInt(id) << REF_BITS) | 1n);
  return id;
}

/** Add a reference for an attach; false if the map at h is not (any more) the map with this id and kinds. */
export function addRef(c: Core, h: number, id: number, kk: number, vk: number): boolean {
  const u8 = c.heap(h + HDR_REFS + 8).u8;
  if (u8[h + HDR_KINDS] !== kk || u8[h + HDR_KINDS + 1] !== vk) return false;
  const i64 = c.heap(h + HDR_REFS + 8).i64;
  const i = (h + HDR_REFS) / 8;
  const want = BigInt(id);
  for (;;) {
    const v = Atomics.load(i64, i);
    if (BigInt.asUintN(64, v) >> REF_BITS !== want || (v & REF_MASK) === 0n) return false;
    if ((v & REF_MASK) === REF_MASK) throw new RangeError('HashMap: too many threads attached to this map');
    if (Atomics.compareExchange(i64, i, v, v + 1n) === v) return true;
  }
}

/** Drop a reference; true when it was the last (the caller then frees the map). */
export function dropRef(c: Core, h: number): boolean {
  const i64 = c.heap(h + HDR_REFS + 8).i64;
  const i = (h + HDR_REFS) / 8;
  for (;;) {
    const v = Atomics.load(i64, i);
    const last = (v & REF_MASK) === 1n;
    if (Atomics.compareExchange(i64, i, v, last ? 0n : v - 1n) === v) return last;
  }
}

/** The locks of a shared map (a root and its tables: assembly/stripes.ts), as this thread uses them. */
export interface SharedLocks {
  /** The root's: operations on the whole map. */
  readonly root: MapLock;
  /** Each table's: operations on one key, which the key's table serves. */
  readonly tables: readonly MapLock[];
  /** The tables' addresses, in the order of `tables`. */
  readonly addrs: readonly number[];
}

/** The locks of the shared map at root h. */
export function sharedLocks(c: Core, h: number, timeoutMs: number): SharedLocks {
  const root = new MapLock(c, h, timeoutMs);
  const tables: MapLock[] = [];
  const addrs: number[] = [];
  const n = c.x.MAP_TABLES.value as number;
  for (let i = 0; i < n; i++) {
    const t = c.x.map_table(h, i) >>> 0;
    addrs.push(t);
    tables.push(new MapLock(c, t, timeoutMs, root));
  }
  return { root, tables, addrs };
}

/** A wait this long for one map makes a thread starving: it claims the map (H_WANT), and other writers defer to it. A writer holds a map for about a microsecond. */
const STARVE_MS = 1;
/** How long a starving thread's claim holds unless it renews it (it does while it waits, and clears it when done). */
const CLAIM_MS = 20;
/** Longest a writer defers to other threads' claims in one operation: then it competes anyway, so that no claim, not even one left by a dead thread, holds writers back for long. */
const DEFER_MS = 10;
/** A thread that starved on a map stays in starving mode this long: its next reads and writes claim at once (an iteration's many steps, a loop of gets). */
const STICKY_MS = 100;

/** Wall-clock milliseconds, low 32 bits: the one clock all threads share (performance.now() has an origin per thread). */
const wallMs = (): number => Date.now() | 0;

/**
 * The lock protocol of one shared map, as this thread uses it: its one home (docs/design.md,
 * "Concurrency protocol").
 *
 * The sequence count is the writers' lock: a writer takes the map by moving the count from even to odd
 * with one compare-and-swap, and gives it back by making it even again. So a thread that dies at any
 * point of a write leaves the count odd, and every later operation (reads wait for an even count)
 * times out: never a half-locked map where reads work and writes do not. Readers write nothing
 * shared: they run the plain lookup between two reads of an even count and retry when it moved.
 *
 * Fairness: a compare-and-swap lets a thread that releases and retakes the lock in a loop win every
 * time, and a reader never validates against such a stream. So a thread that has waited STARVE_MS
 * (for the lock, or for a read that validates) claims the map: it stores a deadline CLAIM_MS ahead
 * in the H_WANT word and renews it while it waits. Until the claim is cleared or passes, writers that
 * are not starving themselves defer to it, DEFER_MS at most per write (the core's locked writes answer
 * busy, and the JS side waits); so the releasing writer does not retake the lock, and the starving
 * thread gets its turn within one hold of the lock. Starving writers compete among themselves by
 * compare-and-swap. A thread that starved stays in starving mode for STICKY_MS, so that an
 * iteration's many steps each claim at once. A claim left by a dead thread passes by itself.
 */
export class MapLock {
  readonly #core: Core;
  readonly #waiters: number;
  readonly #seq: number;
  readonly #want: number;
  readonly #h: number;
  readonly timeoutMs: number;
  /** A table's lock: its map's root lock (whole-map writes hold the root, and table reads validate against it too); null for a root. */
  readonly #root: MapLock | null;
  /** A root's lock: the locks of its tables, which a whole-map write waits to be free; empty for a table. */
  readonly #tables: MapLock[] = [];
  /** A root's lock: the counts a whole-map read began at (#snapshot), the root's first. */
  readonly #seqs: number[] = [];
  /** The root's count a table read began at (#beginRead). */
  #rootSeq = 0;
  #i32: Int32Array;
  /** performance.now() until which this thread is in starving mode on this map. */
  #stickyUntil = 0;
  /** The claim this thread has stored in the map's H_WANT word (during one operation), or 0. */
  #claimed = 0;
  /** Dead holders whose writes this thread undid while waiting for this lock (#waitEven): a table's waiter restarts its clock after one on the root. */
  #recoveries = 0;

  constructor(c: Core, h: number, timeoutMs: number, root: MapLock | null = null) {
    this.#core = c;
    this.#h = h;
    this.#root = root;
    if (root !== null) root.#tables.push(this);
    this.#waiters = (h + HDR_WAITERS) >>> 2;
    this.#seq = (h + HDR_SEQ) >>> 2;
    this.#want = (h + HDR_WANT) >>> 2;
    this.timeoutMs = timeoutMs;
    // A view that reaches the header's last word the protocol uses (the claim).
    this.#i32 = c.heap(h + HDR_WANT + 4).i32;
  }

  /**
   * Run f as a write: under the map's lock, logged by the core so that another thread can undo it if
   * this one dies in the middle (assembly/wlog.ts). A wasm trap in f undoes the write (f may have
   * stopped half way); any other error releases the map as f left it (the operations leave it whole).
   */
  write<T>(f: () => T): T {
    this.#beginWrite();
    if (this.#tables.length > 0) this.#quiesce();
    let r: T;
    try {
      r = f();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) this.#core.x.write_abort();
      else this.#endWrite();
      throw e;
    }
    this.#endWrite();
    return r;
  }

  /**
   * Run f as a read: between two reads of an even count, again until they agree (a write came between,
   * or f trapped on a half-made change: a trap with the count unchanged is a real error and is thrown).
   * `beforeRetry` undoes what f did to this thread's own state. LockTimeoutError when no read validates
   * within lockTimeout.
   */
  read<T>(f: () => T, beforeRetry?: () => void): T {
    // The clock is read from the first failed attempt on: a read that validates at once reads none.
    let start = -1;
    try {
      for (;;) {
        const s = this.#beginRead();
        try {
          const r = f();
          if (this.#validate(s)) return r;
        } catch (e) {
          if (this.#validate(s)) throw e;
        }
        beforeRetry?.();
        const now = performance.now();
        if (start < 0) start = now;
        else if (now - start > 2 * this.timeoutMs) throw this.#timeout('a read that no write overlaps');
        // A thread in starving mode claims at its first failed attempt, others after STARVE_MS of them.
        if (this.#claimed !== 0 || this.#starving(now) || now - start >= STARVE_MS) {
          this.#stickyUntil = now + STICKY_MS;
          this.#claim();
          // A table's reads also fail when whole-map writes come back to back: claim the root too.
          if (this.#root !== null) this.#root.#claim();
        }
      }
    } finally {
      this.#unclaim();
      if (this.#root !== null) this.#root.#unclaim();
    }
  }

  /**
   * A read of the whole map, on a root's lock (size, stats, getMany, hasMany): between two reads of
   * the root's and every table's counts, all even; if a write came between, f runs again under the
   * root's lock (a whole-map write that writes nothing), so that it ends even while other threads keep
   * writing. LockTimeoutError as for write().
   */
  readAll<T>(f: () => T): T {
    // Optimistic attempts for STARVE_MS (a write of one table holds it for about a microsecond), then
    // under the root's lock, which stops every table's writers for the read's length.
    let start = -1;
    for (;;) {
      if (this.#snapshot()) {
        try {
          const r = f();
          if (this.#unchanged()) return r;
        } catch (e) {
          if (this.#unchanged()) throw e;
        }
      }
      const now = performance.now();
      if (start < 0) start = now;
      else if (now - start >= STARVE_MS) return this.write(f);
    }
  }

  /** Read the counts of the root and its tables into #seqs (no allocation: `size` of a shared map reads them every call); false if a write holds any of them. */
  #snapshot(): boolean {
    const seqs = this.#seqs;
    const t = this.#tables;
    const r = Atomics.load(this.#i32, this.#seq);
    if ((r & 1) !== 0) return false;
    seqs[0] = r;
    for (let i = 0; i < t.length; i++) {
      const s = Atomics.load(t[i].#i32, t[i].#seq);
      if ((s & 1) !== 0) return false;
      seqs[i + 1] = s;
    }
    return true;
  }

  /** Whether the counts are still those #snapshot read. */
  #unchanged(): boolean {
    const seqs = this.#seqs;
    if (Atomics.load(this.#i32, this.#seq) !== seqs[0]) return false;
    const t = this.#tables;
    for (let i = 0; i < t.length; i++) if (Atomics.load(t[i].#i32, t[i].#seq) !== seqs[i + 1]) return false;
    return true;
  }

  /**
   * A whole-map write holds the root (new table writes back off): wait until no table's lock is held.
   * A table held by the same write past lockTimeout has a dead holder: its write is undone and the
   * table freed (wlock_recover_free: this thread's own hold of the root stays). On LockTimeoutError the
   * root is released, nothing changed.
   */
  #quiesce(): void {
    const x = this.#core.x;
    try {
      let waited = false;
      for (;;) {
        const i = x.map_busy_table(this.#h);
        if (i < 0) break;
        waited = true;
        this.#tables[i].#waitFree();
      }
      // Still this thread's hold? A wait can be long (a dead table's lockTimeout): the renewals in
      // #waitFree keep waiters from presuming this thread dead, and this one says whether they did.
      if (waited && x.wlock_renew() !== 1) throw this.presumedDead();
    } catch (e) {
      this.#endWrite();
      throw e;
    }
  }

  /**
   * For #quiesce (this thread holds the root): wait until this table's count is even, recovering a dead
   * holder's table without holding it. While it waits it renews its own hold of the root every quarter
   * of lockTimeout (wlock_renew: the root's count moves on, still odd), so that threads waiting for the
   * root do not presume this live thread dead while it waits out a dead one.
   */
  #waitFree(): void {
    const v = this.#i32;
    const start = performance.now();
    const deadline = start + 2 * this.timeoutMs;
    let held = -1;
    let heldSince = start;
    let renewed = start;
    for (let i = 0; ; i++) {
      const s = Atomics.load(v, this.#seq);
      if ((s & 1) === 0) return;
      if (i < SPINS) continue;
      const now = performance.now();
      if (now >= deadline) throw this.#timeout('a write in progress');
      if (now - renewed >= this.timeoutMs / 4) {
        if (this.#core.x.wlock_renew() !== 1) throw this.presumedDead();
        renewed = now;
      }
      if (s !== held) {
        held = s;
        heldSince = now;
      } else if (now - heldSince >= this.timeoutMs) {
        if (this.#core.x.wlock_recover_free(this.#h, s) === RECOVER_BROKEN) throw this.#broken();
        continue;
      }
      this.#sleep(this.#seq, s, deadline);
    }
  }

  /** Take the map: make its count odd. Throws LockTimeoutError. */
  #beginWrite(): void {
    this.useTimeout();
    const v = this.#i32;
    const root = this.#root;
    // The core's locked writes answer busy while the root is claimed: a claim that has passed (left by
    // a dead thread) is cleared here, or every write of every table would keep coming this way.
    if (root !== null) root.#claimHeld();
    try {
      if (Atomics.load(v, this.#want) === 0 && this.#tryLock()) return;
    } catch (e) {
      if (root !== null) root.#unclaim();
      throw e;
    }
    this.#lockSlow(v);
  }

  /**
   * The core's compare-and-swap of the count (even -> odd), which also starts the write's log; claims
   * are the caller's business. A table whose root is held (a whole-map write) is not taken: this thread
   * then waits for the root here (claiming it when starving; the caller clears the claim) and says no.
   */
  #tryLock(): boolean {
    const r = this.#core.x.wlock_try(this.#h, 1);
    if (r === 1) return true;
    if (r === WLOCK_ROOT_BUSY) this.#root!.#waitEven();
    return false;
  }

  /**
   * The map has been locked at the same count s since `since` (performance.now()): past lockTimeout its
   * holder is presumed dead, and the core takes the lock over and undoes its write. True when this
   * thread now holds the lock; LockTimeoutError when the map cannot be recovered.
   */
  #recover(s: number, since: number, now: number): boolean {
    if (now - since < this.timeoutMs) return false;
    const r = this.#core.x.wlock_recover(this.#h, s);
    if (r === RECOVER_BROKEN) throw this.#broken();
    return r === RECOVER_TAKEN;
  }

  #broken(): LockTimeoutError {
    return new LockTimeoutError(
      'HashMap: a thread died in the middle of a write to this map that could not be logged (memory for its log ran out), ' + 'so the write cannot be undone: the map stays locked, and every operation on it ends this way',
    );
  }

  /** The error of a thread that held the map past lockTimeout, was presumed dead, and whose write another thread undid. */
  presumedDead(): LockTimeoutError {
    return new LockTimeoutError(`HashMap: this thread held the map's lock longer than lockTimeout (${this.timeoutMs} ms) and was presumed dead: ` + 'another thread undid its write; the operation changed nothing');
  }

  /** Give the instance's allocator lock this map's timeout (one setting per instance; maps may differ). */
  useTimeout(): void {
    const c = this.#core;
    if (c.allocTimeoutMs !== this.timeoutMs) {
      c.x.lockTimeoutNs.value = BigInt(Math.round(this.timeoutMs * 1e6));
      c.allocTimeoutMs = this.timeoutMs;
    }
  }

  /** Make the count even again (the core: it also does the frees the write deferred, and wakes waiters): the write is done and the map free. */
  #endWrite(): void {
    if (this.#core.x.wlock_release() !== 1) throw this.presumedDead();
  }

  /** An even count to validate a read against; waits while a write is in progress. Throws LockTimeoutError. Only inside read(), which clears a claim the wait may make. */
  #beginRead(): number {
    const root = this.#root;
    if (root !== null) {
      const r = Atomics.load(root.#i32, root.#seq);
      this.#rootSeq = (r & 1) === 0 ? r : root.#waitEven();
    }
    const s = Atomics.load(this.#i32, this.#seq);
    return (s & 1) === 0 ? s : this.#waitEven();
  }

  /** Whether no write happened since #beginRead returned s (on a table: nor a whole-map write). */
  #validate(s: number): boolean {
    const root = this.#root;
    return Atomics.load(this.#i32, this.#seq) === s && (root === null || Atomics.load(root.#i32, root.#seq) === this.#rootSeq);
  }

  /** After an operation that failed for lack of memory: a LockTimeoutError instead, if the allocator's lock was the cause. */
  allocatorTimedOut(): LockTimeoutError | null {
    const g = this.#core.x.lockTimedOut;
    if (g.value === 0) return null;
    g.value = 0;
    return this.#timeout('the allocator');
  }

  /**
   * The contended write: defer to another thread's claim (DEFER_MS at most, so that readers cannot
   * starve writers either), then compete by compare-and-swap; a thread that competes STARVE_MS
   * without winning is starving and claims the map itself.
   */
  #lockSlow(v: Int32Array): void {
    const start = performance.now();
    let deadline = start + 2 * this.timeoutMs;
    if (this.#starving(start)) this.#claim();
    let competing = -1;
    let held = -1; // the odd count being waited on, and since when
    let heldSince = start;
    try {
      for (let i = 0; this.#claimed === 0 && i < SPINS && Atomics.load(v, this.#want) === 0; i++) {
        if ((Atomics.load(v, this.#seq) & 1) === 0 && this.#tryLock()) return;
      }
      for (;;) {
        const now = performance.now();
        if (now >= deadline) throw this.#timeout('a write in progress');
        if (this.#claimed === 0 && now - start < DEFER_MS && (this.#claimHeld() || (this.#root !== null && this.#root.#claimHeld()))) {
          this.#sleep(this.#want, Atomics.load(v, this.#want), deadline);
          continue;
        }
        if (competing < 0) competing = now;
        else if (this.#claimed === 0 && now - competing >= STARVE_MS) this.#stickyUntil = now + STICKY_MS;
        if (this.#starving(now)) this.#claim();
        const s = Atomics.load(v, this.#seq);
        if ((s & 1) === 0) {
          const root = this.#root;
          const rootRecoveries = root === null ? 0 : root.#recoveries;
          if (this.#tryLock()) return;
          // The root was held by a dead thread, and undone in #tryLock's wait: each dead holder costs a
          // waiter lockTimeout, so the wait for this table starts its clock again (it used to throw
          // when a dead table holder and a dead root holder together took more than twice lockTimeout).
          if (root !== null && root.#recoveries !== rootRecoveries) deadline = performance.now() + 2 * this.timeoutMs;
          continue;
        }
        if (s !== held) {
          held = s;
          heldSince = now;
        } else if (this.#recover(s, heldSince, now)) {
          return;
        }
        this.#sleep(this.#seq, s, deadline);
      }
    } finally {
      this.#unclaim();
      if (this.#root !== null) this.#root.#unclaim();
    }
  }

  /**
   * Wait until the count is even, and return it. A holder that keeps the same count past lockTimeout is
   * presumed dead: its write is undone (#recover) and the map released. LockTimeoutError past twice
   * lockTimeout.
   */
  #waitEven(): number {
    const v = this.#i32;
    for (let i = 0; i < SPINS; i++) {
      const s = Atomics.load(v, this.#seq);
      if ((s & 1) === 0) return s;
    }
    const start = performance.now();
    const deadline = start + 2 * this.timeoutMs;
    let held = -1;
    let heldSince = start;
    for (;;) {
      const s = Atomics.load(v, this.#seq);
      if ((s & 1) === 0) return s;
      const now = performance.now();
      if (now >= deadline) throw this.#timeout('a write in progress');
      // A reader that waits this long is starving: it claims the map (read() clears the claim), and
      // keeps the claim alive while it waits.
      if (this.#claimed !== 0 || now - start >= STARVE_MS || this.#starving(now)) {
        this.#stickyUntil = now + STICKY_MS;
        this.#claim();
      }
      if (s !== held) {
        held = s;
        heldSince = now;
      } else if (this.#recover(s, heldSince, now)) {
        this.#endWrite(); // the dead write is undone; this reader only needed the map free
        this.#recoveries++;
        continue;
      }
      this.#sleep(this.#seq, s, deadline);
    }
  }

  /** Wait (a slice at most) while word i of the map holds `value`; counted in the waiters word, which releasing writers check before they notify. Spins where the thread may not block. */
  #sleep(i: number, value: number, deadline: number): void {
    if (!canBlock) return;
    const v = this.#i32;
    const left = Math.min(deadline - performance.now(), WAIT_SLICE_MS);
    if (left <= 0) return;
    Atomics.add(v, this.#waiters, 1);
    Atomics.wait(v, i, value, left);
    Atomics.sub(v, this.#waiters, 1);
  }

  /** Whether this thread is in starving mode on this map at time `now` (performance.now()). */
  #starving(now: number): boolean {
    return now < this.#stickyUntil;
  }

  /** Claim the map for a starving thread (or renew the claim): a deadline CLAIM_MS ahead, never 0. */
  #claim(): void {
    const c = (wallMs() + CLAIM_MS) | 0 || 1;
    Atomics.store(this.#i32, this.#want, c);
    this.#claimed = c;
  }

  /**
   * Clear this thread's claim, if it holds one and no other thread has replaced it. Writers that
   * deferred to it are not woken: they look again within WAIT_SLICE_MS. (Waking them made a starving
   * iterator and a writer trade the map through a futex wake per entry: 20 µs an entry.)
   */
  #unclaim(): void {
    const c = this.#claimed;
    if (c === 0) return;
    this.#claimed = 0;
    Atomics.compareExchange(this.#i32, this.#want, c, 0);
  }

  /** Whether another thread's claim still holds; a passed one is cleared, so that the core's locked writes go ahead again. */
  #claimHeld(): boolean {
    const v = this.#i32;
    const c = Atomics.load(v, this.#want);
    if (c === 0) return false;
    if (((c - wallMs()) | 0) > 0) return true;
    Atomics.compareExchange(v, this.#want, c, 0);
    return false;
  }

  #timeout(what: string): LockTimeoutError {
    return new LockTimeoutError(
      `HashMap: waited more than lockTimeout (${this.timeoutMs} ms) for ${what}; the operation changed nothing. ` +
        'A thread that dies while it writes is presumed dead after lockTimeout and its write undone; this wait saw other threads keep the map.',
    );
  }
}
