// Print the benchmark tables (markdown) of docs/performance.md from a run's raw figures, or with
// --summary the README's short table:
//   node bench/readme-tables.js [--summary] [bench/results/latest.json]
// so that the tables in the docs are exactly a run's figures, not copied by hand.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const summary = args.includes('--summary');
const file = args.find((a) => !a.startsWith('--')) ?? new URL('./results/latest.json', import.meta.url);
const r = JSON.parse(readFileSync(file, 'utf8'));

const CASES = [
  ['get-hit', 'get, present key'],
  ['get-miss', 'get, missing key'],
  ['set', 'set, existing key'],
  ['insert-capacity', 'insert into a map built with `capacity`'],
  ['build-fresh', 'build from empty, fresh process'],
  ['build-2nd', 'build from empty, 2nd after `dispose`'],
  ['churn', 'delete + reinsert churn'],
  ['iterate', '`for...of`'],
  ['getMany', '`getMany` (Map: a `get` loop)'],
  ['setMany', '`setMany`, existing keys'],
  ['hasMany', '`hasMany`, half missing'],
  ['deleteMany', '`deleteMany`, every key'],
];
const STRING_CASES = [
  ['get-hit', 'get, present, the same string objects the map was filled with'],
  ['get-fresh', 'get, present, equal strings built fresh for each lookup'],
  ['get-miss', 'get, missing key'],
  ['set', 'set, existing key'],
  ['insert-capacity', 'insert into a map built with `capacity`'],
  ['build-fresh', 'build from empty, fresh process'],
  ['build-2nd', 'build from empty, 2nd after `dispose`'],
  ['churn', 'delete + reinsert churn'],
  ['iterate', '`for...of`'],
];
const SIZES = [1e3, 1e5, 1e6];
const label = (n) => `1e${Math.round(Math.log10(n))}`;
const ratio = (kind, n, c) => r.results.find((x) => x.kind === kind && x.n === n && x.case === c)?.ratio;
const f2 = (x) => (x === undefined ? '-' : x.toFixed(2));

function table(kinds, cases) {
  const cols = kinds.flatMap((k) => SIZES.map((n) => [k, n]));
  const out = [`| case | ${cols.map(([k, n]) => `${k} ${label(n)}`).join(' | ')} |`, `|${'---|'.repeat(cols.length + 1)}`];
  for (const [c, name] of cases) {
    if (cols.every(([k, n]) => ratio(k, n, c) === undefined)) continue;
    out.push(`| ${name} | ${cols.map(([k, n]) => f2(ratio(k, n, c))).join(' | ')} |`);
  }
  return out.join('\n');
}

/** The README's table: the rows a user weighs first, at the sizes that tell them apart, and memory. */
const SUMMARY_COLUMNS = [
  ['int32', 1e3],
  ['int32', 1e6],
  ['float64', 1e6],
  ['string', 1e5],
  ['string', 1e6],
];
const SUMMARY_ROWS = [
  ['get-hit', 'get, present key (strings: the stored string objects)'],
  ['get-fresh', 'get, present key, strings built afresh'],
  ['get-miss', 'get, missing key'],
  ['set', 'set, existing key'],
  ['build-2nd', 'build from empty'],
  ['iterate', '`for...of`'],
  ['getMany', '`getMany` (Map: a `get` loop)'],
];

function summaryTable() {
  const head = SUMMARY_COLUMNS.map(([k, n]) => `${k} ${label(n)}`);
  const out = [`| Map time / HashMap time | ${head.join(' | ')} |`, `|${'---|'.repeat(head.length + 1)}`];
  for (const [c, name] of SUMMARY_ROWS) out.push(`| ${name} | ${SUMMARY_COLUMNS.map(([k, n]) => f2(ratio(k, n, c))).join(' | ')} |`);
  const mem = r.memory.kinds;
  const memOf = (k) => (mem[k] === undefined ? '-' : `${mem[k].ratio.toFixed(2)}x`);
  out.push(`| memory, HashMap / Map (1 to 2 million entries) | | ${memOf('int32')} | ${memOf('float64')} | | ${memOf('string')} |`);
  return out.join('\n');
}

if (summary) {
  console.log(summaryTable());
  process.exit(0);
}

console.log(`Run: ${r.date}, ${r.machine.cores}-core ${r.machine.cpu}, Node ${r.machine.node.slice(1)} (V8 ${r.machine.v8.split('-')[0]}), ${Math.round(r.durationS)} s\n`);
console.log(table(['int32', 'float64'], CASES));
console.log();
console.log(table(['string'], STRING_CASES));
console.log();
const mem = r.memory.kinds;
const memName = { int32: 'int32', float64: 'float64', string: '10-character string -> int32' };
console.log('| keys and values | Map | HashMap | HashMap / Map |\n|---|---|---|---|');
for (const k of Object.keys(mem)) console.log(`| ${memName[k] ?? k} | ${mem[k].map.toFixed(1)} B/entry | ${mem[k].hashMap.toFixed(1)} B/entry | ${mem[k].ratio.toFixed(2)}x |`);
console.log();
const s = r.shared;
const M = (x) => `${(x / 1e6).toFixed(1)} M/s`;
console.log('| case | 1 thread | 2 threads | 2 / 1 | raw `Atomics.add` 2 / 1 | fraction of raw |\n|---|---|---|---|---|---|');
for (const g of s.scaling.filter((x) => x.op === 'get')) {
  console.log(`| \`get\`, ${label(g.n)} entries, random present keys | ${M(g.opsPerSec[0])} | ${M(g.opsPerSec[1])} | ${g.ratio.toFixed(2)}x | | |`);
}
for (const w of s.writes) {
  const op = w.op === 'add' ? '`add(k, 1)`' : '`set`';
  console.log(`| ${op}, ${label(w.n)} keys | ${M(w.opsPerSec[0])} | ${M(w.opsPerSec[1])} | ${w.ratio.toFixed(2)}x | ${w.rawRatio.toFixed(2)}x | ${w.fraction.toFixed(2)} |`);
}
console.log();
for (const x of s.single) {
  console.log(`one thread, get ${label(x.n)}: private ${x.privateNs.toFixed(1)} ns, shared ${x.sharedNs.toFixed(1)} ns, shared / private ${x.ratio.toFixed(2)}x`);
}

if (r.iteration) {
  console.log('\n| case | Map | HashMap | Map / HashMap | minimal JS iterator (Map / it) |\n|---|---|---|---|---|');
  for (const x of r.iteration.rows) {
    console.log(`| ${x.case} | ${x.mapNs.toFixed(1)} ns | ${x.hashMapNs.toFixed(1)} ns | ${x.ratio.toFixed(2)} | ${x.floorNs === undefined ? '' : `${x.floorNs.toFixed(1)} ns (${x.floorRatio.toFixed(2)})`} |`);
  }
}
