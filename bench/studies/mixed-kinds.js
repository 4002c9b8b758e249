// What a program that uses maps of several kinds pays per call (docs/performance.md, "Beyond the
// standard run"):
//   node bench/studies/mixed-kinds.js
// `npm run bench` times each key kind in a process of its own, as a program that uses one kind. Here
// a child process times get and set of present keys on a 1,000-entry int32 -> int32 map after 0 to 3
// maps of other kinds have been used in the same process: HashMap's methods then call the core's
// functions of several kinds of maps from the same call sites, which V8 no longer specialises to one.
// Medians of 9 passes, ns an operation.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const OTHER_KINDS = [
  ['float64', 'float64'],
  ['uint32', 'int32'],
  ['int32', 'float64'],
];

if (process.argv[2] === 'child') {
  const { HashMap } = await import('../../dist/index.js');
  const { medianTime } = await import('../lib.js');
  const n = 1000;
  const R = 2000;
  const keys = new Int32Array(n);
  for (let i = 0; i < n; i++) keys[i] = Math.imul(i, 2654435761) | 0;
  const used = Number(process.argv[3]);
  for (const [key, value] of OTHER_KINDS.slice(0, used)) {
    const o = new HashMap(null, { key, value });
    for (let r = 0; r < 200; r++) for (let i = 0; i < n; i++) o.set(i, o.get(i) ?? i);
    o.dispose();
  }
  const m = new HashMap(null, { key: 'int32', value: 'int32' });
  for (let i = 0; i < n; i++) m.set(keys[i], i);
  const perOp = (f) => (medianTime(f, 9, 2) * 1e6) / (R * n);
  const set = perOp(() => {
    for (let r = 0; r < R; r++) for (let i = 0; i < n; i++) m.set(keys[i], i);
  });
  const get = perOp(() => {
    let s = 0;
    for (let r = 0; r < R; r++) for (let i = 0; i < n; i++) s += m.get(keys[i]);
    return s;
  });
  process.send({ set, get });
} else {
  const self = fileURLToPath(import.meta.url);
  let base = null;
  for (let used = 0; used <= OTHER_KINDS.length; used++) {
    const r = await new Promise((done, fail) => {
      const c = fork(self, ['child', String(used)]);
      c.on('message', done);
      c.on('error', fail);
    });
    base ??= r;
    console.log(`${used + 1} kind${used ? 's' : ''} of map used: set ${r.set.toFixed(1)} ns (${(r.set / base.set).toFixed(2)}x), get ${r.get.toFixed(1)} ns (${(r.get / base.get).toFixed(2)}x)`);
  }
}
