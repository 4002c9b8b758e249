// The demo page: (1) four Web Workers count the words of a generated text into one shared map while
// the page reads it; (2) HashMap against the browser's own Map at 100,000 entries, drawn as a bar
// chart. Plain ESM, the package itself and nothing else. `?quick` runs a short version (the tests).
//
// window.__demo tells a test (tests/browser.test.ts) or a screenshot script how it went.
import { HashMap } from '../dist/index.js';
import { makeText, wordsOf } from './text.js';

const quick = new URLSearchParams(location.search).has('quick');
const WORKERS = 4;
const WORDS_PER_WORKER = quick ? 40_000 : 1_000_000;
const N = 100_000;
const ROUNDS = quick ? 3 : 7;
const OPS = quick ? 2 ** 16 : 2 ** 19;

const state = (window.__demo = { done: false, shared: null, bench: null, errors: [] });
const $ = (id) => document.getElementById(id);
const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
const fmt = (x) => x.toLocaleString('en-US');
const el = (tag, attrs = {}, text) => {
  const e = tag === 'svg' || attrs.svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k !== 'svg') e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
const tableOf = (table, head, rows) => {
  table.replaceChildren(el('tr'), ...rows.map(() => el('tr')));
  head.forEach((h) => table.rows[0].append(el('th', {}, h)));
  rows.forEach((r, i) => r.forEach((c) => table.rows[i + 1].append(el('td', {}, c))));
};

function environment() {
  const brand = navigator.userAgentData?.brands?.find((b) => !/Not.A.Brand/i.test(b.brand));
  const browser = brand ? `${brand.brand} ${brand.version}` : navigator.userAgent;
  $('env').textContent = `${browser}, ${navigator.hardwareConcurrency} logical cores; cross-origin isolated: ` + `${crossOriginIsolated ? 'yes (shared maps available)' : 'no'}`;
}

// ---- 1. the shared map ---------------------------------------------------------------------------

async function sharedDemo() {
  $('again-shared').disabled = true;
  const check = $('shared-check');
  check.textContent = '';
  let map;
  try {
    map = new HashMap(null, { key: 'string', value: 'int32', shared: true });
  } catch (e) {
    // A page served without the isolation headers: the package says which ones.
    $('shared-status').textContent = `${e.name}: ${e.message}`;
    $('shared-status').className = 'fail';
    state.shared = { error: e.message };
    return;
  }
  const progress = new Int32Array(new SharedArrayBuffer(4 * WORKERS));
  const total = WORKERS * WORDS_PER_WORKER;
  $('shared-status').textContent = `making the text: ${WORKERS} parts of ${fmt(WORDS_PER_WORKER)} words…`;

  const workers = [];
  const done = [];
  const ready = [];
  for (let part = 0; part < WORKERS; part++) {
    const w = new Worker(new URL('./count-worker.js', import.meta.url), { type: 'module', name: `counter ${part + 1}` });
    // Posted at once: the package holds it until the worker's module has set onmessage.
    w.postMessage({ type: 'job', part, words: WORDS_PER_WORKER, handle: map.handle, progress });
    workers.push(w);
    let readyNow;
    ready.push(new Promise((r) => (readyNow = r)));
    done.push(
      new Promise((resolve, reject) => {
        w.onerror = (ev) => reject(new Error(`worker ${part + 1}: ${ev.message}`));
        w.onmessage = ({ data }) => {
          if (data.type === 'ready') readyNow();
          else if (data.type === 'done') resolve(data);
          else reject(new Error(`worker ${part + 1}: ${data.error}`));
        };
      }),
    );
  }
  // Meanwhile the page counts the same text with a plain Map, to check the shared map's totals.
  const expected = new Map();
  for (let part = 0; part < WORKERS; part++) {
    for (const w of wordsOf(makeText(part, WORDS_PER_WORKER))) expected.set(w, (expected.get(w) ?? 0) + 1);
  }
  await Promise.race([Promise.all(ready), Promise.all(done)]);

  const t0 = performance.now();
  for (const w of workers) w.postMessage({ type: 'go' });
  let finished = false;
  const all = Promise.all(done).finally(() => (finished = true));
  all.catch(() => {});
  // Live: the page reads the shared map while the workers write to it.
  for (;;) {
    const counted = progress.reduce((a, b) => a + b, 0);
    let sum = 0;
    const top = [];
    for (const [word, n] of map) {
      sum += n;
      if (top.length < 12 || n > top[top.length - 1][1]) {
        top.push([word, n]);
        top.sort((a, b) => b[1] - a[1]);
        if (top.length > 12) top.pop();
      }
    }
    const secs = (performance.now() - t0) / 1000;
    $('progress').style.width = `${(100 * counted) / total}%`;
    $('shared-status').textContent = `${fmt(sum)} of ${fmt(total)} words in the map, ${fmt(map.size)} distinct; ` + `${fmt(Math.round(sum / Math.max(secs, 1e-3)))} words/s`;
    tableOf(
      $('top'),
      ['word (read live from the map)', 'count'],
      top.map(([w, n]) => [w, fmt(n)]),
    );
    tableOf(
      $('workers'),
      ['worker', 'words added'],
      [...progress].map((n, i) => [`${i + 1}`, fmt(n)]),
    );
    if (finished) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const results = await all;
  const ms = performance.now() - t0;
  for (const w of workers) w.terminate();

  // Exact totals: the shared map against the page's own count.
  let sum = 0;
  const wrong = [];
  for (const [w, n] of expected) if (map.get(w) !== n) wrong.push(`${w}: ${map.get(w)} (want ${n})`);
  for (const [, n] of map) sum += n;
  const exact = wrong.length === 0 && map.size === expected.size && sum === total;
  check.className = exact ? 'ok' : 'fail';
  check.textContent = exact
    ? `✓ exact: ${fmt(sum)} words, ${fmt(map.size)} distinct, every count equal to a Map counted on the page. ` + `${WORKERS} workers, ${ms.toFixed(0)} ms (${fmt(Math.round(total / (ms / 1000)))} adds/s).`
    : `✗ totals differ: ${map.size} distinct (want ${expected.size}), ${sum} words (want ${total}); ${wrong.slice(0, 5).join(', ')}`;
  state.shared = { exact, total: sum, distinct: map.size, ms, workerMs: results.map((r) => r.ms) };
  map.dispose();
  $('again-shared').disabled = false;
}

// ---- 2. HashMap vs Map ---------------------------------------------------------------------------

/** murmur3's finalizer: distinct inputs give distinct, random-looking 32-bit keys. */
function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A random permutation of 0..n-1. */
function shuffled(n, seed) {
  const a = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = fmix32(seed + i) % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// The timed loops. Each map type gets its own compiled copy (clone), so that the two maps never
// share a call site's type feedback.
function getLoop(m, q, ops) {
  let s = 0;
  for (let i = 0, j = 0, n = q.length; i < ops; i++) {
    s += m.get(q[j]);
    if (++j === n) j = 0;
  }
  return s;
}
function setLoop(m, q, ops) {
  for (let i = 0, j = 0, n = q.length; i < ops; i++) {
    m.set(q[j], i);
    if (++j === n) j = 0;
  }
  return 0;
}
/** get with a string made afresh from its character codes for each lookup, as parsed input would be. */
function freshLoop(m, q, ops, codes) {
  let s = 0;
  for (let i = 0, j = 0, n = q.length; i < ops; i++) {
    const o = q[j] * 10;
    const c = codes;
    s += m.get(String.fromCharCode(c[o], c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], c[o + 7], c[o + 8], c[o + 9]));
    if (++j === n) j = 0;
  }
  return s;
}
const clone = (f) => new Function(`return (${f})`)();

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';
function keySets() {
  const int32 = new Int32Array(N).map((_, i) => fmix32(i + 0x2545f491) | 0);
  const float64 = new Float64Array(N).map((_, i) => (fmix32(i + 0x51ed27) + 0.5) / 3);
  const codes = new Uint8Array(N * 10);
  const strings = [];
  for (let i = 0; i < N; i++) {
    const a = fmix32(i + 0x68e31da4);
    const b = fmix32(i ^ 0x1b873593);
    for (let d = 0; d < 10; d++) codes[i * 10 + d] = DIGITS.charCodeAt((d < 5 ? a >>> (6 * d) : b >>> (6 * (d - 5))) & 63);
    strings.push(String.fromCharCode(...codes.subarray(i * 10, i * 10 + 10)));
  }
  // 10 digits of 6 bits from two 32-bit mixes: distinct in practice; the maps are checked anyway.
  return { int32, float64, strings, codes };
}

const CASES = [
  { label: 'int32 get', short: 'int32 get', kind: 'int32', loop: getLoop },
  { label: 'int32 set (existing key)', short: 'int32 set', kind: 'int32', loop: setLoop },
  { label: 'float64 get (non-integer keys)', short: 'float64 get', kind: 'float64', loop: getLoop },
  { label: 'string get (the stored strings)', short: 'string get, stored', kind: 'string', loop: getLoop },
  { label: 'string get (strings made afresh)', short: 'string get, fresh', kind: 'string', loop: freshLoop },
];
const OPTIONS = { int32: { key: 'int32', value: 'int32' }, float64: { key: 'float64', value: 'float64' }, string: { key: 'string', value: 'int32' } };

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

async function benchDemo() {
  $('again-bench').disabled = true;
  $('rounds').textContent = ROUNDS;
  const status = $('bench-status');
  status.className = '';
  status.textContent = 'making keys…';
  await frame();
  const keys = keySets();
  const rows = [];
  drawChart(rows);
  for (const [ci, c] of CASES.entries()) {
    status.textContent = `timing ${c.label} (${ci + 1} of ${CASES.length})…`;
    await frame();
    const ks = keys[c.kind === 'string' ? 'strings' : c.kind];
    const order = shuffled(N, 1000 + ci);
    const fresh = c.loop === freshLoop;
    const q = fresh ? order : Array.from(order, (i) => ks[i]);
    const maps = {
      Map: new Map(),
      HashMap: new HashMap(null, OPTIONS[c.kind]),
    };
    const ms = { Map: [], HashMap: [] };
    const loops = {};
    for (const [name, m] of Object.entries(maps)) {
      for (let i = 0; i < N; i++) m.set(ks[i], i);
      loops[name] = clone(c.loop);
      loops[name](m, q, OPS >> 3, keys.codes); // warm-up
    }
    if (maps.HashMap.size !== N || maps.Map.size !== N) throw new Error(`${c.label}: ${maps.HashMap.size} keys in the HashMap, ${maps.Map.size} in the Map`);
    let check = null;
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of r % 2 ? ['HashMap', 'Map'] : ['Map', 'HashMap']) {
        const t0 = performance.now();
        const s = loops[name](maps[name], q, OPS, keys.codes);
        ms[name].push(performance.now() - t0);
        if (c.loop !== setLoop) {
          if (check === null) check = s;
          else if (s !== check) throw new Error(`${c.label}: the two maps disagree (${s} vs ${check})`);
        }
        await frame();
      }
    }
    maps.HashMap.dispose();
    const mapNs = (median(ms.Map) * 1e6) / OPS;
    const hashMapNs = (median(ms.HashMap) * 1e6) / OPS;
    rows.push({ label: c.label, short: c.short, mapNs, hashMapNs, ratio: mapNs / hashMapNs });
    drawChart(rows);
    tableOf(
      $('bench-table'),
      ['case', 'Map ns', 'HashMap ns'],
      rows.map((r) => [r.short, r.mapNs.toFixed(1), r.hashMapNs.toFixed(1)]),
    );
  }
  status.textContent = `${CASES.length} cases, ${fmt(OPS)} operations a task, ${ROUNDS} rounds each.`;
  state.bench = { rows, rounds: ROUNDS, ops: OPS };
  $('again-bench').disabled = false;
}

/** Horizontal bars of Map time / HashMap time, a dashed line at 1 (equal speed). */
function drawChart(rows) {
  const svg = $('chart');
  const W = 560,
    left = 220,
    right = 50,
    top = 24,
    barH = 26,
    gap = 12;
  const H = top + CASES.length * (barH + gap) + 20;
  svg.setAttribute('height', H);
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const max = Math.max(2, ...rows.map((r) => r.ratio * 1.1));
  const x = (v) => left + ((W - left - right) * v) / max;
  svg.replaceChildren();
  const add = (tag, attrs, text) => svg.appendChild(el(tag, { ...attrs, svg: true }, text));
  for (let t = 0; t <= max; t += max > 4 ? 1 : 0.5) {
    add('line', { x1: x(t), x2: x(t), y1: top - 6, y2: H - 18, stroke: '#eef1f5' });
    add('text', { x: x(t), y: H - 4, 'font-size': 11, 'text-anchor': 'middle', fill: '#5b6577' }, `${t}×`);
  }
  CASES.forEach((c, i) => {
    const y = top + i * (barH + gap);
    add('text', { x: left - 8, y: y + barH / 2 + 4, 'font-size': 12, 'text-anchor': 'end', fill: '#1d2433' }, c.label);
    const r = rows[i];
    if (!r) return;
    add('rect', { x: left, y, width: Math.max(1, x(r.ratio) - left), height: barH, rx: 3, fill: r.ratio >= 1 ? '#2f855a' : '#d97706', class: 'ratio-bar' });
  });
  add('line', { x1: x(1), x2: x(1), y1: top - 10, y2: H - 18, stroke: '#1d2433', 'stroke-dasharray': '4 3' });
  add('text', { x: x(1), y: top - 12, 'font-size': 11, 'text-anchor': 'middle', fill: '#1d2433' }, 'as fast as Map');
  // The figures last, with a white halo, over the dashed line.
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap) + barH / 2 + 4;
    add('text', { x: x(r.ratio) + 5, y, 'font-size': 12, 'font-weight': 600, fill: '#1d2433', stroke: '#fff', 'stroke-width': 4, 'paint-order': 'stroke' }, `${r.ratio.toFixed(2)}×`);
  });
}

// ---- run both, one after the other (so the workers do not disturb the timings) ------------------

function fail(e) {
  state.errors.push(`${e?.name}: ${e?.message}`);
  const p = el('p', { class: 'fail' }, `Error: ${e?.message ?? e}`);
  document.body.append(p);
  throw e;
}
$('again-shared').onclick = () => sharedDemo().catch(fail);
$('again-bench').onclick = () => benchDemo().catch(fail);
environment();
try {
  await sharedDemo();
  await benchDemo();
} catch (e) {
  fail(e);
} finally {
  state.done = true;
}
