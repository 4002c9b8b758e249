// Two builds of the package in one process, case by case (docs/performance.md, "Beyond the standard run"):
//   node bench/studies/ab.js <old dist/index.js> <new dist/index.js> [rounds]
// Build the old one in a worktree first: git worktree add /tmp/old <commit>, link node_modules,
// npm run build. Each case runs for both builds alternately, the order flipped every round; the
// figure is the median over the rounds (9 unless given), in ns an operation, and new / old
// (below 1: the new build is faster). Timing both in one process, interleaved, cancels most of the
// machine's drift, which moves single rows of `npm run bench` by tens of percent between runs.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { median } from '../lib.js';

const [oldPath, newPath, roundsArg] = process.argv.slice(2);
if (!oldPath || !newPath) throw new Error('usage: node bench/studies/ab.js <old dist/index.js> <new dist/index.js> [rounds]');
const load = (p) => import(pathToFileURL(resolve(p)).href);
const libs = [await load(oldPath), await load(newPath)];
const ROUNDS = Number(roundsArg ?? 9);
const Q = 1 << 20;

const keys = (n) => {
  const k = new Int32Array(n);
  for (let i = 0; i < n; i++) k[i] = Math.imul(i, 2654435761) | 0;
  return k;
};

/** The cases of one build: each a function doing `ops` operations. */
function cases({ HashMap }, keys, Q) {
  const out = {};
  const add = (name, ops, f) => (out[name] = { ops, f });
  const k6 = keys(1e6);
  const m = new HashMap(null, { key: 'int32', value: 'int32' });
  for (let i = 0; i < k6.length; i++) m.set(k6[i], i);
  add('int32 get 1e6', k6.length, () => {
    let x = 0;
    for (let i = 0; i < k6.length; i++) x += m.get(k6[i]);
    return x;
  });
  const q6 = new Int32Array(1 << 20);
  for (let i = 0; i < q6.length; i++) q6[i] = k6[Math.imul(i, 40503) % k6.length];
  const out6 = new Int32Array(q6.length);
  add('int32 getMany 1e6', q6.length, () => m.getMany(q6, out6));
  add('int32 hasMany 1e6', q6.length, () => m.hasMany(q6));
  const m5 = new HashMap(null, { key: 'int32', value: 'int32' });
  for (let i = 0; i < 1e5; i++) m5.set(k6[i], i);
  const q5 = q6.map((_, i) => k6[Math.imul(i, 40503) % 1e5]);
  add('int32 getMany 1e5', q5.length, () => m5.getMany(q5, out6));
  add('int32 set existing 1e6', k6.length, () => {
    for (let i = 0; i < k6.length; i++) m.set(k6[i], i);
  });
  for (const n of [1e3, 1e5, 1e6]) {
    const f = new HashMap(null, { key: 'float64', value: 'float64' });
    for (let i = 0; i < n; i++) f.set(i * 1.5, i);
    const q = new Float64Array(Q);
    for (let i = 0; i < Q; i++) q[i] = (i % n) * 1.5 + 0.25;
    add(`float64 get, missing, ${n}`, Q, () => {
      let x = 0;
      for (let i = 0; i < Q; i++) x += f.get(q[i]) === undefined ? 1 : 0;
      return x;
    });
  }
  const words = Array.from({ length: 1e5 }, (_, i) => 'key-' + (i * 7919).toString(36));
  const s = new HashMap(null, { key: 'string', value: 'int32' });
  for (let i = 0; i < words.length; i++) s.set(words[i], i);
  add('string get 1e5', words.length * 5, () => {
    let x = 0;
    for (let r = 0; r < 5; r++) for (let i = 0; i < words.length; i++) x += s.get(words[i]);
    return x;
  });
  add('string set existing 1e5', words.length * 5, () => {
    for (let r = 0; r < 5; r++) for (let i = 0; i < words.length; i++) s.set(words[i], i);
  });
  const k3 = keys(1000);
  const m3 = new HashMap(null, { key: 'int32', value: 'int32' });
  for (let i = 0; i < k3.length; i++) m3.set(k3[i], i);
  add('int32 set existing 1e3', 1000 * 200, () => {
    for (let r = 0; r < 200; r++) for (let i = 0; i < k3.length; i++) m3.set(k3[i], i);
  });
  add('int32 delete + set 1e3', 1000 * 200, () => {
    for (let r = 0; r < 200; r++)
      for (let i = 0; i < k3.length; i++) {
        m3.delete(k3[i]);
        m3.set(k3[i], i);
      }
  });
  add('int32 insert 1e3, capacity', 1000 * 200, () => {
    for (let r = 0; r < 200; r++) {
      const b = new HashMap(null, { key: 'int32', value: 'int32', capacity: 1000 });
      for (let i = 0; i < k3.length; i++) b.set(k3[i], i);
      b.dispose();
    }
  });
  add('int32 build 1e3 from empty', 1000 * 200, () => {
    for (let r = 0; r < 200; r++) {
      const b = new HashMap(null, { key: 'int32', value: 'int32' });
      for (let i = 0; i < k3.length; i++) b.set(k3[i], i);
      b.dispose();
    }
  });
  add('float64 build 1e3 from empty', 1000 * 200, () => {
    for (let r = 0; r < 200; r++) {
      const b = new HashMap(null, { key: 'float64', value: 'float64' });
      for (let i = 0; i < 1000; i++) b.set(i + 0.5, i);
      b.dispose();
    }
  });
  return out;
}

// Each build gets its own copy of the cases' code (an indirect eval of their source): closures made from
// one function literal share V8's type feedback, so one copy would make every call site see both
// builds' classes, and time neither as a program using one build would.
const all = libs.map((lib) => (0, eval)(`(${cases.toString()})`)(lib, keys, Q));
const times = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const name of Object.keys(all[0])) {
    for (const b of r % 2 ? [0, 1] : [1, 0]) {
      const t0 = performance.now();
      all[b][name].f();
      (times[name] ??= [[], []])[b].push(performance.now() - t0);
    }
  }
}
console.log('case'.padEnd(30), 'old ns'.padStart(8), 'new ns'.padStart(8), '  new/old');
for (const [name, [a, b]] of Object.entries(times)) {
  const ops = all[0][name].ops;
  const [ta, tb] = [median(a), median(b)];
  console.log(name.padEnd(30), ((ta * 1e6) / ops).toFixed(1).padStart(8), ((tb * 1e6) / ops).toFixed(1).padStart(8), `  ${(tb / ta).toFixed(2)}`);
}
