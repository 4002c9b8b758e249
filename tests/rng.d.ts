/** mulberry32 (tests/rng.js): a generator of floats in [0, 1) from a 32-bit seed. */
export function rng(seed: number): () => number;
