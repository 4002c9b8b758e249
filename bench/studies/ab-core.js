// Two builds of the wasm core in one process, called raw from JavaScript (docs/performance.md,
// "Beyond the standard run"):
//   node bench/studies/ab-core.js <old package root> <new package root> [n]
// Build the old one in a worktree first (git worktree add /tmp/old <commit>, link node_modules,
// npm run build). The cases call the core's exports for int32 -> int32 (and float64 -> float64) maps
// of n keys (832 unless given: just below a growth threshold) without the bindings, so that a change of
// the core shows without the noise of the JavaScript around it. Each build's loops are compiled from
// source of their own (new Function), so that no call site sees both builds; rounds alternate the
// order; the figure is the median of 13 rounds, ns a key, and new / old (below 1: the new one is faster).
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { median } from '../lib.js';

const [oldRoot, newRoot, nArg] = process.argv.slice(2);
if (!oldRoot || !newRoot) throw new Error('usage: node bench/studies/ab-core.js <old package root> <new package root> [n]');
const cores = [];
for (const root of [oldRoot, newRoot]) cores.push((await import(pathToFileURL(resolve(root, 'dist/load.js')).href)).core);
const R = 300;
const n = Number(nArg ?? 832);
const ROUNDS = 15;
const WARM = 2;
const keys = new Int32Array(n);
for (let i = 0; i < n; i++) keys[i] = Math.imul(i, 2654435761) | 0;

// map_new(keySize, valSize, capacity, seedLo, seedHi, fixedSeed, maxBytes)
const src = {
  'insert, capacity n': `for (let r = 0; r < R; r++) { const h = x.map_new(4, 4, n, 1, 2, false, 0x7fffffff); for (let i = 0; i < n; i++) x.set_i32_i32(h, keys[i], i); x.map_free(h); }`,
  'build from empty': `for (let r = 0; r < R; r++) { const h = x.map_new(4, 4, 0, 1, 2, false, 0x7fffffff); for (let i = 0; i < n; i++) x.set_i32_i32(h, keys[i], i); x.map_free(h); }`,
  'set, present key': `for (let r = 0; r < R; r++) for (let i = 0; i < n; i++) x.set_i32_i32(H, keys[i], i);`,
  'get, present key': `let s = 0; for (let r = 0; r < R; r++) for (let i = 0; i < n; i++) s += x.get_i32_i32(H, keys[i]); return s;`,
  'delete + set': `for (let r = 0; r < R; r++) for (let i = 0; i < n; i++) { x.del_i32_v4(H, keys[i]); x.set_i32_i32(H, keys[i], i); }`,
  'float64 build from empty': `for (let r = 0; r < R; r++) { const h = x.map_new(8, 8, 0, 1, 2, false, 0x7fffffff); for (let i = 0; i < n; i++) x.set_f64_f64(h, i + 0.5, i); x.map_free(h); }`,
};
const builds = cores.map((core) => {
  const x = core.x;
  const H = x.map_new(4, 4, n, 1, 2, false, 0x7fffffff);
  for (let i = 0; i < n; i++) x.set_i32_i32(H, keys[i], i);
  const fns = {};
  for (const [name, body] of Object.entries(src)) fns[name] = new Function('x', 'H', 'keys', 'R', 'n', body).bind(null, x, H, keys, R, n);
  return fns;
});
const times = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(src)) {
    for (const b of round % 2 ? [0, 1] : [1, 0]) {
      const t0 = performance.now();
      builds[b][name]();
      const t = performance.now() - t0;
      if (round >= WARM) (times[name] ??= [[], []])[b].push(t);
    }
  }
}
console.log(`raw core, ${n} keys`.padEnd(26), 'old ns'.padStart(8), 'new ns'.padStart(8), '  new/old');
for (const [name, [a, b]] of Object.entries(times)) {
  const [ta, tb] = [median(a), median(b)].map((t) => (t * 1e6) / R / n);
  console.log(name.padEnd(26), ta.toFixed(2).padStart(8), tb.toFixed(2).padStart(8), `  ${(tb / ta).toFixed(2)}`);
}
