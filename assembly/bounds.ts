// Reads that stay inside memory (shared build): a reader runs while a writer changes the map under it,
// and may load a torn pointer. It must neither read outside memory nor loop forever: a block reached
// through a pointer is checked against the memory's size (inMemory, bucketAt, checkedBucket), and a
// chain walk is bounded by the overflow buckets the map has (chainLimit). A reader that gets 0 from a
// check, or traps anyway, is retried by its caller once the map's count has moved (lock.ts). In the
// private build every check compiles away.

import { H_SEG0, H_DIR, SEG_SHIFT, SEG_MASK, hget } from "./layout";

/** Whether [p, p + size) lies in memory: a reader checks a block it found through a pointer that may be torn. */
// @ts-ignore: decorator
@inline export function inMemory(p: usize, size: usize): bool {
  if (!ASC_FEATURE_THREADS) return true;
  return <u64>p + <u64>size <= <u64>memory.size() << 16;
}

/** Most buckets a chain walk may visit: unbounded in the private build; in the shared build the overflow buckets the map has, plus its first, so that a torn pointer cycle cannot loop forever. */
// @ts-ignore: decorator
@inline export function chainLimit(noverflow: u32): u32 {
  if (!ASC_FEATURE_THREADS) return 0xFFFFFFFF;
  return noverflow + 1;
}

/** Address of bucket i, or 0 if its segment is not allocated yet. */
// @ts-ignore: decorator
@inline export function bucketAt(h: usize, i: u32, bsize: usize): usize {
  let only = <usize>hget(h, H_SEG0);
  if (only != 0) return checkedBucket(only + <usize>i * bsize, bsize);
  return dirBucket(<usize>hget(h, H_DIR), i, bsize);
}

/** Address of bucket i of an array with a directory (more than one segment) at `dir`, or 0 if its segment is not allocated yet. */
// @ts-ignore: decorator
@inline export function dirBucket(dir: usize, i: u32, bsize: usize): usize {
  let slot = dir + ((<usize>(i >> SEG_SHIFT)) << 2);
  if (ASC_FEATURE_THREADS && !inMemory(slot, 4)) return 0;
  let seg = <usize>load<u32>(slot);
  return seg == 0 ? 0 : checkedBucket(seg + <usize>(i & SEG_MASK) * bsize, bsize);
}

/** b, or 0 in the shared build when a torn read made it point past memory (a reader then retries). */
// @ts-ignore: decorator
@inline export function checkedBucket(b: usize, bsize: usize): usize {
  if (ASC_FEATURE_THREADS && !inMemory(b, bsize)) return 0;
  return b;
}
