// The JS half of a shared map's lock protocol: MapLock, one per map (a root and each of its tables)
// and thread, over the map header's sequence count, waiters and claim words. The wasm half is
// assembly/lock.ts; the whole protocol is in docs/design.md, "Concurrency protocol".

import { HDR_WAITERS, HDR_WANT, HDR_SEQ, RECOVER_TAKEN, RECOVER_BROKEN, WLOCK_ROOT_BUSY, WATCH_MOVED, WATCH_DEAD } from './contract.js';
import type { Core } from './load.js';
import { canBlock, canProbe, probeHolder } from './threads.js';

/** A lock wait passed the map's lockTimeout (the operation changed nothing), or this thread was presumed dead while it held the map. */
export class LockTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockTimeoutError';
  }
}

/** Loads of a busy word before a thread waits: a writer holds a map for about a microsecond. */
const SPINS = 1000;
/** Longest single wait (ms): a waiter looks again this often even if no writer notified it. */
const WAIT_SLICE_MS = 2;

/** A wait this long for one map makes a thread starving: it claims the map (H_WANT), and other writers defer to it. A writer holds a map for about a microsecond. */
const STARVE_MS = 1;
/** How long a starving thread's claim holds unless it renews it (it does while it waits, and clears it when done). */
const CLAIM_MS = 20;
/** Longest a writer defers to other threads' claims in one operation: then it competes anyway, so that no claim, not even one left by a dead thread, holds writers back for long. */
const DEFER_MS = 10;
/** A thread that starved on a map stays in starving mode this long: its next reads and writes claim at once (an iteration's many steps, a loop of gets). */
const STICKY_MS = 100;

/** A holder seen at the same beat this long (ms) has its death asked about, where that is asynchronous (a browser's Web Locks): a writer holds a map for about a microsecond. */
const PROBE_MS = 20;

/** Wall-clock milliseconds, low 32 bits: the one clock all threads share (performance.now() has an origin per thread). */
const wallMs = (): number => Date.now() | 0;

/** What a wait waits for (MapLock #wait): an even count (a reader, a thread waiting for the root); this thread's hold of the lock (a writer); the table free, for a whole-map writer that holds the root. */
const WAIT_EVEN = 0;
const WAIT_LOCK = 1;
const WAIT_FREE = 2;
type WaitMode = typeof WAIT_EVEN | typeof WAIT_LOCK | typeof WAIT_FREE;

/**
 * The lock protocol of one shared map, as this thread uses it: its one home (docs/design.md,
 * "Concurrency protocol").
 *
 * The sequence count is the writers' lock: a writer takes the map by moving the count from even to odd
 * with one compare-and-swap (the core's, which also names the writer's thread record in the lock
 * word), and gives it back by making it even again. Readers write nothing shared: they run the plain
 * lookup between two reads of an even count and retry when it moved.
 *
 * Dead holders: a thread that dies in a write leaves the count odd. Its write is undone, by the first
 * thread that waits for the map, only once its holder is known dead (#holderDead): proved (its record
 * marked dead), or silent: the same hold at the same beat of its holder for recoveryTime. A live
 * holder's beat moves while it works, however long its write, so a live thread is never taken for
 * dead by waiting; lockTimeout only bounds how long a waiter waits before it gives up.
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
  /** How long a wait for a live holder may take (ms) before it throws LockTimeoutError. */
  readonly timeoutMs: number;
  /** How long a holder must make no progress (ms) before this thread presumes it dead, where no proof of its death came. */
  readonly recoveryMs: number;
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
  /** Dead holders whose writes this thread undid while waiting for this lock (#wait): a table's waiter restarts its clock after one on the root. */
  #recoveries = 0;
  /** The hold (odd count) and holder's beat this thread last saw while it waited, and since when (performance.now()): kept across waits (#holderDead). */
  #suspectSeq = 0;
  #suspectBeat = 0;
  #suspectSince = 0;

  constructor(c: Core, h: number, timeoutMs: number, recoveryMs: number, root: MapLock | null = null) {
    this.#core = c;
    this.#h = h;
    this.#root = root;
    if (root !== null) root.#tables.push(this);
    this.#waiters = (h + HDR_WAITERS) >>> 2;
    this.#seq = (h + HDR_SEQ) >>> 2;
    this.#want = (h + HDR_WANT) >>> 2;
    this.timeoutMs = timeoutMs;
    this.recoveryMs = recoveryMs;
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
      if (e instanceof WebAssembly.RuntimeError) throw this.aborted(e);
      this.#endWrite();
      throw e;
    }
    this.#endWrite();
    return r;
  }

  /**
   * A locked write of this thread trapped (or the stack ran out in it): the core undoes it and releases
   * the lock. Returns the error to throw: `e`, or, when the hold was no longer this thread's (it was
   * presumed dead while it stalled; assembly/lock.ts stops a batch at its next key then), presumedDead.
   */
  aborted(e: unknown): unknown {
    return this.#core.x.write_abort() === 1 ? e : this.presumedDead();
  }

  /**
   * Run f as a read: between two reads of an even count, again until they agree (a write came between,
   * or f trapped on a half-made change: a trap with the count unchanged is a real error and is thrown).
   * `beforeRetry` undoes what f did to this thread's own state. Optimistic attempts for STARVE_MS,
   * claiming the map when starving; then f runs under the map's lock (a write that writes nothing), so
   * that a read ends even when it takes longer than other threads leave between their writes (a key
   * of millions of characters). LockTimeoutError as for write().
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
        else if (now - start >= STARVE_MS) return this.write(f);
        // A thread in starving mode claims at its first failed attempt.
        if (this.#claimed !== 0 || this.#starving(now)) {
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
    this.#core.readFence();
    const seqs = this.#seqs;
    if (Atomics.load(this.#i32, this.#seq) !== seqs[0]) return false;
    const t = this.#tables;
    for (let i = 0; i < t.length; i++) if (Atomics.load(t[i].#i32, t[i].#seq) !== seqs[i + 1]) return false;
    return true;
  }

  /**
   * A whole-map write holds the root (new table writes back off): wait until no table's lock is held
   * (#wait: a table held by a dead thread has its write undone and is freed, this thread's own hold of
   * the root untouched). On LockTimeoutError the root is released, nothing changed.
   */
  #quiesce(): void {
    const x = this.#core.x;
    try {
      let waited = false;
      for (;;) {
        const i = x.map_busy_table(this.#h);
        if (i < 0) break;
        waited = true;
        this.#tables[i].#wait(WAIT_FREE);
      }
      // Still this thread's hold? A wait can be long; the beats in #wait tell waiters for the root this
      // thread is alive, and this says whether one presumed it dead anyway (it was stopped for recoveryTime).
      if (waited && x.wlock_beat() !== 1) throw this.presumedDead();
    } catch (e) {
      this.#endWrite();
      throw e;
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
    this.#wait(WAIT_LOCK);
  }

  /**
   * The core's compare-and-swap of the count (even -> odd), which also starts the write's log; claims
   * are the caller's business. A table whose root is held (a whole-map write) is not taken: this thread
   * then waits for the root here (claiming it when starving; the caller clears the claim) and says no.
   */
  #tryLock(): boolean {
    const r = this.#core.x.wlock_try(this.#h, 1);
    if (r === 1) return true;
    if (r === WLOCK_ROOT_BUSY) this.#root!.#wait(WAIT_EVEN);
    return false;
  }

  /**
   * The map is held at odd count s: whether its holder is dead, so that this thread may undo its write.
   * Proved dead: its thread record is marked so (watchThreads). Else presumed, only when this thread has
   * seen the very same hold at the very same beat of its holder for recoveryTime, counted across its
   * waits: a live holder's beat moves while it works (a batch's chunks, a wait of its own), so only a
   * thread that does not run at all for recoveryTime (stopped in a debugger, a suspended machine) can
   * be taken for dead while alive; docs/design.md says what that can cost.
   */
  #holderDead(s: number, now: number): boolean {
    const x = this.#core.x;
    const w = x.wlock_watch(this.#h, s);
    if (w === WATCH_DEAD) return true;
    if (w === WATCH_MOVED) return false;
    if (s !== this.#suspectSeq || w !== this.#suspectBeat) {
      this.#suspectSeq = s;
      this.#suspectBeat = w;
      this.#suspectSince = now;
      return false;
    }
    // A browser proves a death through the holder's Web Lock (asynchronous: a later wait sees it).
    if (canProbe && now - this.#suspectSince >= PROBE_MS) {
      const holder = x.wlock_holder(this.#h, s) >>> 0;
      if (holder !== 0) probeHolder(this.#core, holder);
    }
    return now - this.#suspectSince >= this.recoveryMs;
  }

  #broken(): LockTimeoutError {
    return new LockTimeoutError(
      'HashMap: a thread died in the middle of a write to this map that could not be logged (memory for its log ran out), ' + 'so the write cannot be undone: the map stays locked, and every operation on it ends this way',
    );
  }

  /** The error of a thread that held the map but made no progress for recoveryTime, was presumed dead, and whose write another thread undid. */
  presumedDead(): LockTimeoutError {
    return new LockTimeoutError(
      `HashMap: this thread held the map's lock but did not run for recoveryTime (${this.recoveryMs} ms), so another thread presumed it dead ` +
        'and undid its write: the operation did not happen. A thread stopped in the middle of storing one key may have stored the rest of that key after the undo (docs/design.md, "Dead threads")',
    );
  }

  /** Give the instance's allocator lock this map's timeouts (one setting per instance; maps may differ). */
  useTimeout(): void {
    const c = this.#core;
    if (c.allocTimeoutMs !== this.timeoutMs || c.allocRecoveryMs !== this.recoveryMs) {
      c.x.lockTimeoutNs.value = BigInt(Math.round(this.timeoutMs * 1e6));
      c.x.recoveryNs.value = BigInt(Math.round(this.recoveryMs * 1e6));
      c.allocTimeoutMs = this.timeoutMs;
      c.allocRecoveryMs = this.recoveryMs;
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
      this.#rootSeq = (r & 1) === 0 ? r : root.#wait(WAIT_EVEN);
    }
    const s = Atomics.load(this.#i32, this.#seq);
    return (s & 1) === 0 ? s : this.#wait(WAIT_EVEN);
  }

  /** Whether no write happened since #beginRead returned s (on a table: nor a whole-map write). */
  #validate(s: number): boolean {
    this.#core.readFence(); // the read's loads before the count's (docs/design.md, "Memory order")
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
   * The one wait of the protocol, with its rules in one place:
   *  - WAIT_EVEN: until the count is even, which it returns (a reader; a thread waiting for the root);
   *  - WAIT_LOCK: until this thread holds the lock (a writer): it first defers to other threads'
   *    claims (DEFER_MS at most, so that readers cannot starve writers either), then competes by
   *    compare-and-swap; a thread that competes STARVE_MS without winning is starving and claims the
   *    map itself; returns 0;
   *  - WAIT_FREE: until the count is even, for a whole-map writer that holds the root and waits for
   *    this table: it moves its own beat while it waits (it is alive), and a dead table holder's write
   *    is undone with the table released at once, its own hold untouched.
   * A holder known dead (#holderDead) has its write undone here, by this thread (a reader releases the
   * map then; a writer keeps it). A wait for live holders throws LockTimeoutError after lockTimeout,
   * and this thread's operation changed nothing.
   */
  #wait(mode: WaitMode): number {
    const v = this.#i32;
    const x = this.#core.x;
    const root = this.#root;
    for (let i = 0; i < SPINS; i++) {
      const s = Atomics.load(v, this.#seq);
      if ((s & 1) !== 0) continue;
      if (mode !== WAIT_LOCK) return s;
      if (this.#claimed !== 0 || Atomics.load(v, this.#want) !== 0) break;
      if (this.#tryLock()) return 0;
    }
    const start = performance.now();
    let deadline = start + this.timeoutMs;
    let competing = -1;
    if (mode === WAIT_LOCK && this.#starving(start)) this.#claim();
    try {
      for (;;) {
        const now = performance.now();
        if (now >= deadline) throw this.#timeout(mode === WAIT_FREE ? 'a write to one of its tables' : 'a write in progress');
        if (mode === WAIT_LOCK) {
          if (this.#claimed === 0 && now - start < DEFER_MS && (this.#claimHeld() || (root !== null && root.#claimHeld()))) {
            this.#sleep(this.#want, Atomics.load(v, this.#want), deadline);
            continue;
          }
          if (competing < 0) competing = now;
          else if (this.#claimed === 0 && now - competing >= STARVE_MS) this.#stickyUntil = now + STICKY_MS;
          if (this.#starving(now)) this.#claim();
        } else if (mode === WAIT_EVEN) {
          // A reader that waits this long is starving: it claims the map (read() clears the claim), and
          // keeps the claim alive while it waits.
          if (this.#claimed !== 0 || now - start >= STARVE_MS || this.#starving(now)) {
            this.#stickyUntil = now + STICKY_MS;
            this.#claim();
          }
        } else if (x.wlock_beat() !== 1) {
          throw this.presumedDead();
        }
        const s = Atomics.load(v, this.#seq);
        if ((s & 1) === 0) {
          if (mode !== WAIT_LOCK) return s;
          const rootRecoveries = root === null ? 0 : root.#recoveries;
          if (this.#tryLock()) return 0;
          // The root was held by a dead thread, and undone in #tryLock's wait: the wait for this table
          // starts its clock again.
          if (root !== null && root.#recoveries !== rootRecoveries) deadline = performance.now() + this.timeoutMs;
          continue;
        }
        if (this.#holderDead(s, now)) {
          const r = mode === WAIT_FREE ? x.wlock_recover_free(this.#h, s) : x.wlock_recover(this.#h, s);
          if (r === RECOVER_BROKEN) throw this.#broken();
          if (r === RECOVER_TAKEN) {
            this.#recoveries++;
            if (mode === WAIT_LOCK) return 0;
            if (mode === WAIT_EVEN) this.#endWrite(); // the dead write is undone; this thread only needed the map free
          }
          continue;
        }
        this.#sleep(this.#seq, s, deadline);
      }
    } finally {
      if (mode === WAIT_LOCK) {
        this.#unclaim();
        if (root !== null) root.#unclaim();
      }
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
   * iterator and a writer trade the map through a futex wake per entry.)
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
        'The holder was alive (a long write, or other threads kept the map); a thread that dies holding the map has its write undone once its death is known.',
    );
  }
}
