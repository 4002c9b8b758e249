// mulberry32: a small, fast, seedable generator; every failing test prints its seed so that the run
// can be replayed. Plain JavaScript, one copy for every test context: the vitest suites
// (tests/helpers.ts), the worker threads (tests/workers/common.mjs) and the browser pages
// (tests/browser/harness.js, served by tests/browser/server.ts).

/** A generator of floats in [0, 1) from a 32-bit seed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
