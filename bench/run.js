// npm run bench [-- --full]: HashMap against the native Map.
//
// What runs, in order, each part in fresh child processes so that one part's
// heap, JIT state and wasm memory cannot disturb the next:
//   1. Timed section, one child per key kind (child-section.js): every case at
//      1e3, 1e5 and 1e6 entries, Map and HashMap timed alternately in that one
//      process, several rounds, medians. Key kinds: int32, float64 (non-integer,
//      boxed by Map) and 10-character strings (to int32 values; no typed-array
//      batch cases, and lookups both with the stored string objects and with
//      equal strings built afresh, see KINDS in lib.js).
//   2. Build from empty, first build in a fresh process (child-build.js): one
//      process per measurement, Map and HashMap alternately, median.
//   3. Memory per entry (rss-child.js): RSS added by building from empty, one
//      process per measurement, averaged over 1.0, 1.3, 1.6 and 1.9 million
//      entries so that neither table's doubling sawtooth decides the result;
//      int32 -> int32, float64 -> float64 and string -> int32.
//   4. Go reference (bench/go), when `go` is on the PATH.
//   5. Shared maps (child-shared.js, its worker threads in shared-worker.js):
//      get throughput of 1 and 2 worker threads on one shared map (1e5 and 1e6
//      int32 entries), add(k, 1) of 1 and 2 threads on 1000 keys (the cost of
//      the map's lock), and one thread's get on a shared map against a private
//      one.
//   5b. Iteration (child-iteration.js): for...of, keys(), forEach, a for...of
//      over each of 1000 maps of 10 entries, toArrays() against a for...of over
//      Map filling two typed arrays, string keys; next to a minimal JS iterator.
//   6. --full only: 2^25 entries (child-big.js), and GC pauses with a 1e6-entry
//      map alive (child-gc.js).
// Output: the table below, bench/results/latest.json (raw round times and the
// machine), and bench/results/ratios.svg (chart.js).
//
// Method: random key order (never sequential); each timed task loops over many
// keys (about 2^20 operations a task, 2^21 with --full) so the timer and call
// overheads do not matter; every loop is compiled once per map type (see
// compileLoops in lib.js) so that call sites do not share type feedback; the
// two maps are timed alternately, for several rounds; we report medians and the
// ratio Map time / HashMap time (above 1: HashMap is faster). Only ratios of one
// run mean much on a noisy VM.
//
// Why each key kind runs in its own process rather than with per-kind copies of
// the loops: separate loop copies keep our call sites monomorphic, but not the
// HashMap wrapper's own methods (HashMap.prototype.get, set, the iterator...),
// which every map of every kind shares. Timing int32 and float64 maps in one
// process would make those polymorphic, and later sections would be measured
// on a heap full of an earlier section's boxed numbers. A process per kind gives
// each kind what a program using that kind would see.
//
// Why our own timing loop and not tinybench or mitata (and no dependency):
// each task is already a loop of ~10^6 operations, so a harness's per-call
// machinery and statistics add nothing; what the issue needs a harness does not
// do: alternating pairs of tasks over shared state, per-map-type copies of the
// loops, and the cases that only make sense one per process (first build in a
// fresh process, RSS, GC pauses, 2^25 entries). performance.now() around each
// task, and medians, is all the timing there is.
import { fork, execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { KINDS, SIZES, CASE_LABELS, valueKindOf, median, mean, progress, sizeLabel, formatRow, memoryLabel, sharedLines, sharedTargets } from './lib.js';
import { ratiosSvg } from './chart.js';

const full = process.argv.includes('--full');
const started = Date.now();
process.env.TOPHASH_BENCH_T0 = String(started); // children stamp their progress lines from the same start

// Repetition: the default run finishes in about 3 minutes on a quiet 2-core VM (under 5 on a host
// half as fast); --full runs longer for tighter figures.
const SECTION = full ? { rounds: 9, ops: 2 ** 21, buildKeys: 2e6 } : { rounds: 5, ops: 2 ** 20, buildKeys: 1e6 };
const FRESH_BUILD_PROCESSES = full ? 9 : 5; // per kind, size and map type
// float64 keys (Map boxes them: a 1e6 round takes about 12 s, three times int32's) and string keys
// (making strings, hashing them, a fresh key each build) cost several times more per operation:
// fewer rounds and fresh-build processes in the default run keep it under 5 minutes. int32 keeps
// five rounds: most targets are int32's.
const FEWER = { rounds: 3 };
const KIND_SECTION = full ? {} : { float64: { ...SECTION, ...FEWER }, string: { ...SECTION, ...FEWER } };
const KIND_FRESH_BUILD_PROCESSES = full ? {} : { float64: 3, string: 3 };
const MEM_SIZES = [1.0e6, 1.3e6, 1.6e6, 1.9e6];
const MEM_REPEATS = full ? 3 : 1; // processes per kind, size and map type (median of them)
const GC_REPEATS = 3; // --full: processes per kind and variant (median of them)
// Shared maps (child-shared.js has the other settings): about 15 s in the default run.
const SHARED = full ? { rounds: 11, getOps: [2 ** 22, 2 ** 21], addOps: 2 ** 20, singleOps: 2 ** 21 } : { rounds: 7 };
// Key kinds in the order they run (see KINDS in lib.js).
const KIND_ORDER = ['int32', 'float64', 'string'];

const here = (f) => fileURLToPath(new URL(f, import.meta.url));

/** Fork a bench child (stdout and stderr go to the terminal), resolve with the message it sends. */
function child(script, args, execArgv = ['--expose-gc']) {
  return new Promise((resolve, reject) => {
    let msg;
    const cp = fork(here(script), args.map(String), { execArgv, stdio: 'inherit' });
    cp.on('message', (m) => (msg = m));
    cp.on('error', reject);
    cp.on('exit', (code, signal) => {
      if (msg !== undefined) resolve(msg);
      else reject(new Error(`bench: ${script} ${args.join(' ')} exited with ${signal ?? code} and no result`));
    });
  });
}

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model?.trim() ?? 'unknown',
  cores: cpus.length,
  node: process.version,
  v8: process.versions.v8,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
};
console.log(`tophash bench (${full ? 'full' : 'default'} run): HashMap vs Map; ratio = Map time / HashMap time, above 1 = HashMap faster`);
console.log(`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`);
const fewer = KIND_ORDER.filter((k) => KIND_SECTION[k] && KIND_SECTION[k].rounds !== SECTION.rounds)
  .map((k) => `, ${k} ${KIND_SECTION[k].rounds}`)
  .join('');
console.log(`${SECTION.rounds} rounds${fewer}, ~${SECTION.ops} operations a task, medians; sizes ${SIZES.map(sizeLabel).join(', ')}; key kinds ${KIND_ORDER.join(', ')}\n`);

const results = [];

// 1. Timed sections.
for (const kind of KIND_ORDER) {
  progress(`section ${kind}: starting (a child process of its own)`);
  const { rows } = await child('child-section.js', [kind, JSON.stringify(KIND_SECTION[kind] ?? SECTION)]);
  results.push(...rows);
}

// 2. First build in a fresh process.
progress(
  `build from empty, 1st build in a fresh process: ${FRESH_BUILD_PROCESSES} processes per map, kind and size` +
    Object.entries(KIND_FRESH_BUILD_PROCESSES)
      .map(([k, p]) => ` (${k}: ${p})`)
      .join(''),
);
for (const kind of KIND_ORDER) {
  const processes = KIND_FRESH_BUILD_PROCESSES[kind] ?? FRESH_BUILD_PROCESSES;
  for (const n of SIZES) {
    const ms = { map: [], hashmap: [] };
    for (let p = 0; p < processes; p++) {
      for (const which of p % 2 ? ['hashmap', 'map'] : ['map', 'hashmap']) {
        ms[which].push((await child('child-build.js', [which, kind, n])).ms);
      }
    }
    const mapNs = (median(ms.map) * 1e6) / n;
    const hashMapNs = (median(ms.hashmap) * 1e6) / n;
    const row = { kind, n, case: 'build-fresh', ops: n, mapNs, hashMapNs, ratio: mapNs / hashMapNs, mapMs: ms.map, hashMapMs: ms.hashmap };
    results.push(row);
    progress(`  ${kind} ${sizeLabel(n)}: Map ${median(ms.map).toFixed(2)} ms, HashMap ${median(ms.hashmap).toFixed(2)} ms, ratio ${row.ratio.toFixed(2)}`);
  }
}

// 3. Memory per entry.
progress(`memory: RSS added by a build from empty, a fresh process each (${MEM_REPEATS} per map, kind and size)`);
const memory = { sizes: MEM_SIZES, repeats: MEM_REPEATS, kinds: {}, raw: [] };
for (const kind of KIND_ORDER) {
  const valueKind = valueKindOf(kind);
  const perEntry = { map: [], hashmap: [] };
  for (const n of MEM_SIZES) {
    const got = { map: [], hashmap: [] };
    for (let p = 0; p < MEM_REPEATS; p++) {
      for (const which of p % 2 ? ['hashmap', 'map'] : ['map', 'hashmap']) {
        const out = execFileSync(process.execPath, ['--expose-gc', here('rss-child.js'), which, String(n), kind, valueKind], { encoding: 'utf8' });
        const r = JSON.parse(out.trim().split('\n').pop());
        memory.raw.push(r);
        got[which].push(r.rssAdded / n);
      }
    }
    perEntry.map.push(median(got.map));
    perEntry.hashmap.push(median(got.hashmap));
    progress(`  ${memoryLabel(kind, { valueKind })} ${sizeLabel(n)}: Map ${median(got.map).toFixed(1)} B/entry, HashMap ${median(got.hashmap).toFixed(1)} B/entry`);
  }
  const m = { valueKind, map: mean(perEntry.map), hashMap: mean(perEntry.hashmap) };
  m.ratio = m.hashMap / m.map;
  memory.kinds[kind] = m;
}

// 4. Go reference.
let go = { found: false };
const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
if (goVersion.error || goVersion.status !== 0) {
  progress('Go: `go` not found on the PATH; no Go reference line (install golang-go to get one)');
} else {
  progress(`Go: ${goVersion.stdout.trim()}; building and running bench/go (map[int32]int32 get, same keys and order)`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tophash-go-'));
  try {
    const bin = path.join(tmp, 'tophash-go-bench');
    const b = spawnSync('go', ['build', '-o', bin, '.'], { cwd: here('go/'), encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`go build failed:\n${b.stdout}${b.stderr}`);
    const r = spawnSync(bin, [String(SECTION.ops), String(SECTION.rounds)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the Go benchmark failed:\n${r.stdout}${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    for (const line of lines.slice(0, -1)) progress(`  ${line}`);
    go = { found: true, version: goVersion.stdout.trim(), ...JSON.parse(lines.at(-1)) };
    for (const g of go.results) {
      const js = results.find((x) => x.kind === 'int32' && x.n === g.n && x.case === 'get-hit');
      if (js && js.checksum !== g.checksum) progress(`  warning: Go's checksum at ${g.n} differs from the JS run's: not the same workload`);
    }
  } catch (e) {
    go = { found: true, version: goVersion.stdout.trim(), error: e.message };
    progress(`Go: ${e.message}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// 5. Shared maps, in a child process of its own (its worker threads import dist/ too).
progress('shared maps: get with 1 and 2 worker threads, add(k, 1) under contention, one thread shared vs private (a child process of its own)');
const { shared } = await child('child-shared.js', [JSON.stringify(SHARED)]);

// 5b. Iteration against Map (for...of, keys(), forEach, small maps, toArrays, strings), a child of its own.
progress('iteration: for...of, keys(), forEach, 1000 maps of 10, toArrays, string keys (a child process of its own)');
const { iteration } = await child('child-iteration.js', [JSON.stringify({ rounds: full ? 11 : 7 })]);

// 6. --full only: 2^25 entries, and GC pauses.
let big = null;
let gcPauses = null;
if (full) {
  progress('2^25 int32 entries: Map (limit 2^24), then HashMap, a process each');
  big = {
    map: await child('child-big.js', ['map'], ['--max-old-space-size=4096']),
    hashMap: await child('child-big.js', ['hashmap'], []),
  };
  progress(`GC pauses: 2e7 allocation steps with a 1e6-entry map alive (none = no map), ${GC_REPEATS} processes each`);
  gcPauses = { n: 1e6, repeats: GC_REPEATS, runs: [], summary: [] };
  for (const kind of KIND_ORDER) {
    for (const which of ['none', 'map', 'hashmap']) {
      const runs = [];
      for (let p = 0; p < GC_REPEATS; p++) runs.push(await child('child-gc.js', [which, kind, 1e6, 2e7]));
      gcPauses.runs.push(...runs);
      const s = {
        kind,
        which,
        totalMs: median(runs.map((r) => r.totalMs)),
        maxMs: median(runs.map((r) => r.maxMs)),
        count: median(runs.map((r) => r.count)),
        majorMs: median(runs.map((r) => r.byKind.major?.totalMs ?? 0)),
        majorCount: median(runs.map((r) => r.byKind.major?.count ?? 0)),
        wallMs: median(runs.map((r) => r.wallMs)),
      };
      gcPauses.summary.push(s);
      progress(
        `  ${kind} ${which.padEnd(7)}: GC pauses total ${s.totalMs.toFixed(0)} ms, max ${s.maxMs.toFixed(1)} ms, ${s.count} collections (${s.majorCount} major, ${s.majorMs.toFixed(0)} ms); workload ${(s.wallMs / 1000).toFixed(2)} s`,
      );
    }
  }
} else {
  progress('2^25 entries and GC pauses: only with --full (npm run bench -- --full)');
}

// ---- Report ----
const caseOrder = Object.keys(CASE_LABELS);
results.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.n - b.n || caseOrder.indexOf(a.case) - caseOrder.indexOf(b.case));
const find = (kind, n, c) => results.find((r) => r.kind === kind && r.n === n && r.case === c);

console.log(`\nResults: ns per operation (medians), ratio = Map / HashMap (above 1: HashMap faster)\n`);
let group = '';
for (const row of results) {
  const g = `${row.kind} ${row.n}`;
  if (group && g !== group) console.log('');
  group = g;
  console.log(formatRow(row));
}
console.log('\nMemory: RSS added per entry by a build from empty, mean over 1.0, 1.3, 1.6, 1.9 million entries');
for (const [kind, m] of Object.entries(memory.kinds)) {
  console.log(`${memoryLabel(kind, m).padEnd(16)} Map ${m.map.toFixed(1).padStart(6)} B  HashMap ${m.hashMap.toFixed(1).padStart(6)} B  HashMap/Map ${m.ratio.toFixed(2)}x`);
}
console.log('');
if (!go.found) console.log('Go reference: go not found on the PATH');
else if (go.error) console.log(`Go reference: failed (${go.error.split('\n')[0]})`);
else {
  for (const g of go.results) {
    const js = find('int32', g.n, 'get-hit');
    console.log(`Go reference (${go.go}) map[int32]int32 get ${sizeLabel(g.n).padStart(4)}: ${g.nsPerOp.toFixed(1)} ns/op; HashMap ${js.hashMapNs.toFixed(1)} ns/op = ${(js.hashMapNs / g.nsPerOp).toFixed(2)}x Go's time`);
  }
}
console.log('');
for (const line of sharedLines(shared)) console.log(line);
console.log('\nIteration (int32 -> int32 unless said), ns per entry, medians, ratio = Map / HashMap; the floor is a minimal JS iterator over two Int32Arrays:');
for (const r of iteration.rows) {
  console.log(
    `  ${r.case.padEnd(52)} Map ${r.mapNs.toFixed(1).padStart(5)} ns  HashMap ${r.hashMapNs.toFixed(1).padStart(5)} ns  ratio ${r.ratio.toFixed(2)}${r.floorNs === undefined ? '' : `  floor ${r.floorNs.toFixed(1)} ns (ratio ${r.floorRatio.toFixed(2)})`}`,
  );
}
if (big) {
  console.log(
    `\n2^25 int32 entries: Map ${big.map.error ? `fails at ${big.map.entries.toLocaleString('en-US')} entries (${big.map.error})` : `holds ${big.map.entries} entries`}; ` +
      (big.hashMap.error
        ? `HashMap fails at ${big.hashMap.entries} (${big.hashMap.error})`
        : `HashMap holds ${big.hashMap.entries.toLocaleString('en-US')} in ${(big.hashMap.bytes / 2 ** 20).toFixed(0)} MiB (stats().bytes, ${big.hashMap.bytesPerEntry} B/entry), built in ${(big.hashMap.ms / 1000).toFixed(1)} s`),
  );
}
if (gcPauses) {
  console.log('\nGC pauses (perf_hooks), 2e7 allocation steps with a 1e6-entry map alive, medians of 3 processes:');
  for (const s of gcPauses.summary) {
    console.log(
      `${s.kind.padEnd(8)} ${s.which.padEnd(8)} total ${s.totalMs.toFixed(0).padStart(5)} ms  max ${s.maxMs.toFixed(1).padStart(5)} ms  ${String(s.count).padStart(4)} collections (${s.majorCount} major, ${s.majorMs.toFixed(0)} ms)  workload ${(s.wallMs / 1000).toFixed(2)} s`,
    );
  }
}

// The issues' targets, checked against this run: the performance issue (issue 3) and string keys.
const ratioOf = (kind, n, c) => find(kind, n, c)?.ratio;
const goAt = (n) => (go.results ? go.results.find((g) => g.n === n) : undefined);
const targets = [
  ['int32 get, 1e6', ratioOf('int32', 1e6, 'get-hit'), '>=', 2.0],
  ['int32 get, 1e3', ratioOf('int32', 1e3, 'get-hit'), '>=', 2.0],
  ['int32 get, 1e5', ratioOf('int32', 1e5, 'get-hit'), '>=', 2.0],
  ['int32 set existing, 1e6', ratioOf('int32', 1e6, 'set'), '>=', 2.5],
  ['int32 build 1e6, 2nd after dispose', ratioOf('int32', 1e6, 'build-2nd'), '>=', 2.5],
  ['int32 build 1e6, fresh process', ratioOf('int32', 1e6, 'build-fresh'), '>=', 1.3],
  ['int32 churn, 1e6', ratioOf('int32', 1e6, 'churn'), '>=', 2.0],
  ['float64 get, 1e6', ratioOf('float64', 1e6, 'get-hit'), '>=', 2.5],
  ['int32 for...of, 1e6', ratioOf('int32', 1e6, 'iterate'), '>=', 1.0],
  ['int32 getMany 2^20 keys, 1e6', ratioOf('int32', 1e6, 'getMany'), '>=', 5],
  ['memory int32 (HashMap/Map)', memory.kinds.int32?.ratio, '<=', 0.6],
  ['memory float64 (HashMap/Map)', memory.kinds.float64?.ratio, '<=', 0.4],
  ['int32 get 1e6, HashMap/Go time', goAt(1e6) ? find('int32', 1e6, 'get-hit').hashMapNs / goAt(1e6).nsPerOp : undefined, '<=', 1.25],
  ['string get 1e5, same strings', ratioOf('string', 1e5, 'get-hit'), '>=', 1.0, 'string keys'],
  ['string get 1e5, fresh strings', ratioOf('string', 1e5, 'get-fresh'), '>=', 3.0, 'string keys'],
  ['string set existing, 1e5', ratioOf('string', 1e5, 'set'), '>=', 1.0, 'string keys'],
  ['memory string -> int32 (HashMap/Map)', memory.kinds.string?.ratio, '<=', 0.6, 'string keys'],
  ...behindTargets().map((t) => [...t, 'issue 23 (where it was behind)']),
  ...sharedTargets(shared).map((t) => [...t, 'shared maps']),
  ...iterationTargets(iteration).map((t) => [...t, 'iteration']),
].map(([name, value, op, target, issue = 'issue 3 (performance)']) => ({
  name,
  issue,
  value: value === undefined ? null : +value.toFixed(3),
  op,
  target,
  met: value === undefined ? null : op === '>=' ? value >= target : value <= target,
}));
for (const [i, t] of targets.entries()) {
  if (i === 0 || t.issue !== targets[i - 1].issue) console.log(`\nTargets, ${t.issue}, this run:`);
  const v = t.value === null ? 'n/a' : t.value.toFixed(2);
  console.log(`  ${t.name.padEnd(36)} ${v.padStart(5)}  target ${t.op} ${t.target}  ${t.met === null ? '(not measured)' : t.met ? 'met' : 'NOT MET'}`);
}

/** Issue 23's targets (ratios Map time / HashMap time): the rows that were behind. */
function behindTargets() {
  const toArrays = iteration.rows?.find((r) => r.case.startsWith('toArrays'))?.ratio;
  return [
    ['int32 build 1e3, 2nd after dispose', ratioOf('int32', 1e3, 'build-2nd'), '>=', 0.8],
    ['float64 build 1e3, 2nd after dispose', ratioOf('float64', 1e3, 'build-2nd'), '>=', 1.2],
    ...[1e3, 1e5, 1e6].map((n) => [`float64 get missing, ${n}`, ratioOf('float64', n, 'get-miss'), '>=', 2]),
    ['int32 getMany, 1e3 (before: 3.80)', ratioOf('int32', 1e3, 'getMany'), '>=', 3.8],
    ['int32 getMany, 1e5', ratioOf('int32', 1e5, 'getMany'), '>=', 3.5],
    ['int32 getMany, 1e6', ratioOf('int32', 1e6, 'getMany'), '>=', 3.5],
    ['string get 1e3, same strings', ratioOf('string', 1e3, 'get-hit'), '>=', 0.6],
    ['string get 1e5, same strings', ratioOf('string', 1e5, 'get-hit'), '>=', 0.6],
    ['string set existing, 1e5', ratioOf('string', 1e5, 'set'), '>=', 0.7],
    ['string for...of, 1e5', ratioOf('string', 1e5, 'iterate'), '>=', 0.3],
    ['toArrays, 1e6', toArrays, '>=', 3],
  ];
}

/** Issue 13's targets (ratios Map time / HashMap time), against this run's iteration rows. */
function iterationTargets(it) {
  const at = (prefix) => it.rows.find((r) => r.case.startsWith(prefix))?.ratio;
  return [
    ['for...of [k, v], int32, 1e6', at('for...of [k, v], int32'), '>=', 0.6],
    ['for...of [k, v], float64, 1e6', at('for...of [k, v], float64'), '>=', 0.6],
    ['keys(), 1e6', at('keys()'), '>=', 0.4],
    ['forEach, 1e6', at('forEach'), '>=', 1.5],
    ['1000 maps of 10 entries, for...of', at('for...of over each'), '>=', 0.33],
    ['toArrays against for...of into arrays, 1e6', at('toArrays'), '>=', 3],
    ['string keys for...of, 1e5', at('for...of [k, v], string'), '>=', 0.4],
  ];
}

const durationS = +((Date.now() - started) / 1000).toFixed(1);
const out = {
  date: new Date().toISOString(),
  mode: full ? 'full' : 'default',
  machine,
  settings: {
    ...SECTION,
    sizes: SIZES,
    freshBuildProcesses: FRESH_BUILD_PROCESSES,
    kinds: KIND_ORDER,
    perKind: Object.fromEntries(
      KIND_ORDER.map((k) => [
        k,
        {
          rounds: (KIND_SECTION[k] ?? SECTION).rounds,
          freshBuildProcesses: KIND_FRESH_BUILD_PROCESSES[k] ?? FRESH_BUILD_PROCESSES,
          key: KINDS[k].hashMap.key,
          value: KINDS[k].hashMap.value,
        },
      ]),
    ),
  },
  results,
  memory,
  go,
  big,
  gc: gcPauses,
  shared,
  iteration,
  targets,
  durationS,
};
mkdirSync(here('results/'), { recursive: true });
writeFileSync(here('results/latest.json'), JSON.stringify(out, null, 2) + '\n');
writeFileSync(here('results/ratios.svg'), ratiosSvg(out));
const wholeS = Math.round(durationS);
console.log(`\nraw results: bench/results/latest.json; chart: bench/results/ratios.svg; ${Math.floor(wholeS / 60)} min ${wholeS % 60} s`);
