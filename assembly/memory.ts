// Memory owned by one map: every block a map allocates or frees goes through here, so that its header
// counts the bytes it holds (H_BYTES, which maxBytes caps) and its overflow buckets (H_NOVERFLOW).
// Below map.ts, grow.ts and strings.ts, which all allocate for a map; above alloc.ts (the allocator)
// and wlog.ts (a shared write's deferred frees).

import { alloc, roundSize } from "./alloc";
import { H_BYTES, H_MAXBYTES, H_NOVERFLOW, hget, hset } from "./layout";
import { deferFree } from "./wlog";

/** Allocate for map h, within its maxBytes; 0 when memory or the cap runs out. */
export function mapAlloc(h: usize, size: usize, zero: bool): usize {
  let rounded = roundSize(size);
  let max = hget(h, H_MAXBYTES);
  let bytes = hget(h, H_BYTES);
  if (max != 0 && <u64>bytes + <u64>rounded > <u64>max) return 0;
  let p = alloc(size, zero);
  if (p != 0) hset(h, H_BYTES, bytes + <u32>rounded);
  return p;
}

/** Give back a block of map h: at once, or while a shared write is logged, once it has released the map (wlog.ts). */
export function mapFree(h: usize, p: usize, size: usize): void {
  deferFree(p, size);
  hset(h, H_BYTES, hget(h, H_BYTES) - <u32>roundSize(size));
}

/** A zeroed overflow bucket, counted in noverflow; 0 when memory runs out. */
export function newOverflow(h: usize, bsize: usize): usize {
  let b = mapAlloc(h, bsize, true);
  if (b != 0) hset(h, H_NOVERFLOW, hget(h, H_NOVERFLOW) + 1);
  return b;
}

export function freeOverflow(h: usize, b: usize, bsize: usize): void {
  mapFree(h, b, bsize);
  hset(h, H_NOVERFLOW, hget(h, H_NOVERFLOW) - 1);
}
