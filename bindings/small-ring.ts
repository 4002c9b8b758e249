// Small iterations: a private map of at most SMALL entries (the core's ITER_SMALL_MAX) is iterated
// whole by one call of the core at the first next(), into an area of a ring the iterator borrows.
//
// No iterator slot is taken, so nothing needs a FinalizationRegistry entry (whose registration and
// removal cost more than all the rest of a 10-entry iteration), and nothing is copied if the iterator
// ends (or breaks) before RING later small iterations have started. The ring holds a Lease per area,
// not the iterator (which would keep its map alive): the small iteration that reuses an area copies
// the entries out of it into its Lease and bumps the map's modification counter (evictLease), which
// sends the iterator off its fast path to pick the copies up (iterators.ts #views). An abandoned
// iterator costs one copy. Such an iteration hands out the entries the map held at its start, each
// unless deleted meanwhile and with its value of the moment: none added later (Go's rules allow
// either), and it holds no slot (stats().liveIterators does not count it).

import { ITER_SMALL_MAX as SMALL, ITER_SMALL_SLACK, DUMP_CURSOR as CURSOR } from './contract.js';
import type { Core, Heap } from './load.js';
import { STRING, KIND_SIZE, kindView } from './kinds.js';
import { readStrings } from './strings.js';

export { SMALL, CURSOR };

/** Areas in a Core's ring: small iterations that may be live at once before one must copy out. */
const RING = 8;
/** Bytes of one area's half: keys, then values, SMALL + ITER_SMALL_SLACK entries of 8 bytes each. */
export const AREA_HALF = (SMALL + ITER_SMALL_SLACK) * 8;

const EMPTY: string[] = [];

/** What a lease needs of its map: where it is, its kinds, whether it is gone (map-state.ts MapState). */
interface LeasedMap {
  readonly core: Core;
  readonly kk: number;
  readonly vk: number;
  readonly h: number;
  readonly disposed: boolean;
}

/**
 * What the ring keeps of an iterator borrowing an area: enough to copy the area out when it is
 * needed again, and nothing that keeps the map object alive (its MapState is a few fields; the map's
 * finalizer drops its 'any' value table). `keys` is null until the copy.
 */
export interface Lease {
  readonly c: LeasedMap;
  /** The area's index in the ring, and the address of its keys (its values follow, AREA_HALF on). */
  readonly area: number;
  readonly kAddr: number;
  readonly n: number;
  readonly withValues: boolean;
  keys: Array<number | bigint | string> | null;
  vals: Array<number | bigint | string>;
}

/** A Core's ring of areas for small iterations: RING areas after one cursor, and the lease of each. */
export interface Ring {
  base: number;
  owners: Array<Lease | null>;
  next: number;
}

/** The Core's ring, allocated at first use; null when memory has run out (iterators then take slots). */
export function ringOf(c: Core): Ring | null {
  let ring = c.cache.get('smallRing') as Ring | undefined;
  if (ring === undefined) {
    const base = c.x.scratch_alloc(CURSOR + RING * 2 * AREA_HALF) >>> 0;
    if (base === 0) return null;
    c.cache.set('smallRing', (ring = { base, owners: new Array(RING).fill(null), next: 0 }));
  }
  return ring;
}

/** The address of the next area's keys, its previous lease (if any) copied out first. */
export function nextArea(ring: Ring): number {
  const a = ring.next;
  const prev = ring.owners[a];
  if (prev !== null) {
    ring.owners[a] = null;
    evictLease(prev);
  }
  return ring.base + CURSOR + a * 2 * AREA_HALF;
}

/** The next area is filled with n entries: move on, and lease it (null: the entries were copied out at once). */
export function fillArea(ring: Ring, c: LeasedMap, kAddr: number, n: number, withValues: boolean, lease: boolean): Lease | null {
  const a = ring.next;
  ring.next = (a + 1) % RING;
  if (!lease) return null;
  return (ring.owners[a] = { c, area: a, kAddr, n, withValues, keys: null, vals: EMPTY });
}

/** Give a lease's area back (a later small iteration need not copy it out). */
export function dropLease(ring: Ring, l: Lease): void {
  if (ring.owners[l.area] === l) ring.owners[l.area] = null;
}

/**
 * Copy a lease's entries out of its area, which another small iteration is about to fill, and make
 * the map's iterators leave their fast path (the counter moves), so that its iterator takes the copies.
 */
function evictLease(l: Lease): void {
  const c = l.c;
  const H = c.core.heap(l.kAddr + 2 * AREA_HALF);
  l.vals = l.withValues ? copyOut(c.core, H, c.vk, l.kAddr + AREA_HALF, l.n) : EMPTY;
  l.keys = copyOut(c.core, H, c.kk, l.kAddr, l.n);
  if (!c.disposed) c.core.x.map_note_change(c.h);
}

/** n keys or values of `kind` at byte address `addr` (strings: the addresses of their fields), as a new array. */
export function copyOut(c: Core, H: Heap, kind: number, addr: number, n: number): Array<number | bigint | string> {
  if (kind === STRING) return readStrings(c, H.u32, addr >>> 2, n, []);
  const out = new Array<number | bigint>(n);
  const view = kindView(H, kind);
  const base = addr / KIND_SIZE[kind];
  for (let i = 0; i < n; i++) out[i] = view[base + i];
  return out;
}
