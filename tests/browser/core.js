// Core operations and iteration of private maps, in the page's main thread: every key kind against
// a native Map (random operations), the Map API, add/getOrSet, batch operations, strings, growth,
// Go's iteration rules under mutation, and the errors. The package is imported relative to this
// file, so a route prefix of the test server (/plain/, /octet/) applies to the package and its wasm.
import { check, show, throws, rng, run } from './harness.js';

run(async () => {
  const { HashMap, LockTimeoutError } = await import('../../dist/index.js');
  let checks = 0;
  const ok = (cond, msg) => {
    check(cond, msg);
    checks++;
  };
  const eq = (a, b, what) => ok(Object.is(a, b), () => `${what}: expected ${show(b)}, got ${show(a)}`);

  // ---- the Map API on one map -----------------------------------------------------------------
  {
    const m = new HashMap(null, { key: 'int32', value: 'float64' });
    eq(m.set(1, 1.5), m, 'set returns the map');
    m.set(2, 2.5).set(-7, -0.25);
    eq(m.get(1), 1.5, 'get 1');
    eq(m.get(3), undefined, 'get missing');
    eq(m.has(2), true, 'has 2');
    eq(m.has(3), false, 'has 3');
    eq(m.size, 3, 'size');
    eq(m.delete(1), true, 'delete present');
    eq(m.delete(1), false, 'delete absent');
    eq(m.size, 2, 'size after delete');
    eq(m.get(1.5), undefined, 'get of a key the kind cannot hold');
    eq(Object.prototype.toString.call(m), '[object HashMap]', 'toStringTag');
    eq(m.keyKind, 'int32', 'keyKind');
    eq(m.valueKind, 'float64', 'valueKind');
    eq(m.shared, false, 'private map is not shared');
    throws(() => m.set(1.5, 1), RangeError);
    throws(() => m.set(2 ** 31, 1), RangeError);
    throws(() => m.set('1', 1), TypeError);
    throws(() => m.set(1, 'x'), TypeError);
    throws(() => m.handle, TypeError);
    eq(m.size, 2, 'failed sets changed nothing');
    m.clear();
    eq(m.size, 0, 'clear');
    eq(m.get(2), undefined, 'get after clear');
    m.dispose();
    m.dispose();
    throws(() => m.get(1), TypeError);
    ok(typeof LockTimeoutError === 'function' && new LockTimeoutError('x') instanceof Error, 'LockTimeoutError exported');
  }

  // ---- SameValueZero, NaN, -0 -------------------------------------------------------------------
  {
    const m = new HashMap([
      [NaN, 'nan'],
      [-0, 'zero'],
    ]);
    eq(m.get(NaN), 'nan', 'NaN finds NaN');
    eq(m.get(0), 'zero', '+0 finds -0');
    eq(
      [...m.keys()].some((k) => Object.is(k, -0)),
      false,
      '-0 reads back as +0',
    );
    const obj = { any: 'value' };
    m.set(2.5, obj);
    eq(m.get(2.5), obj, "'any' values keep identity");
    m.dispose();
  }

  // ---- random operations against Map, every key kind -------------------------------------------
  const kinds = [
    { key: 'int32', value: 'int32', k: (r) => ((r() * 40000) | 0) - 20000, v: (r) => (r() * 2 ** 32) | 0 },
    { key: 'uint32', value: 'float64', k: (r) => (Math.floor(r() * 40000) * 99991) % 2 ** 32, v: (r) => r() * 1e6 - 5e5 },
    { key: 'float64', value: 'any', k: (r) => Math.floor(r() * 40000) / 7, v: (r) => ({ n: r() }) },
    { key: 'bigint64', value: 'biguint64', k: (r) => BigInt(Math.floor(r() * 40000)) * -0x1_0000_0001n, v: (r) => BigInt(Math.floor(r() * 2 ** 53)) * 1000n },
    { key: 'biguint64', value: 'uint32', k: (r) => BigInt(Math.floor(r() * 40000)) << 30n, v: (r) => Math.floor(r() * 2 ** 32) },
    { key: 'string', value: 'string', k: (r) => strKey(Math.floor(r() * 40000)), v: (r) => strKey(Math.floor(r() * 1e6)) },
  ];
  for (const [i, kind] of kinds.entries()) {
    const r = rng(1000 + i);
    const m = new HashMap(null, { key: kind.key, value: kind.value });
    const model = new Map();
    for (let op = 0; op < 40000; op++) {
      const x = r();
      const k = kind.k(r);
      if (x < 0.5) {
        const v = kind.v(r);
        m.set(k, v);
        model.set(k, v);
      } else if (x < 0.7) {
        eq(m.get(k), model.get(k), `${kind.key}->${kind.value} get ${show(k)}`);
      } else if (x < 0.8) {
        eq(m.has(k), model.has(k), `${kind.key}->${kind.value} has ${show(k)}`);
      } else {
        eq(m.delete(k), model.delete(k), `${kind.key}->${kind.value} delete ${show(k)}`);
      }
      if (m.size !== model.size) throw new Error(`${kind.key}->${kind.value}: size ${m.size}, Map ${model.size}`);
    }
    sameContent(m, model, `${kind.key}->${kind.value}`);
    eq(m.stats().count, model.size, 'stats().count');
    m.dispose();
  }

  // ---- strings that are not short Latin-1 -------------------------------------------------------
  {
    const m = new HashMap(null, { key: 'string', value: 'string' });
    const samples = ['', 'a', 'eleven char', 'twelve chars', 'ключ', '😀 emoji', 'lone \ud800 surrogate', '\udfff', 'x'.repeat(1000), 'ÿ'.repeat(11)];
    for (const [i, s] of samples.entries()) m.set(s, samples[(i + 1) % samples.length]);
    for (const [i, s] of samples.entries()) eq(m.get(s), samples[(i + 1) % samples.length], `string key ${show(s.slice(0, 20))}`);
    eq(m.size, samples.length, 'string map size');
    eq(new Set(m.keys()).size, samples.length, 'string keys iterate once each');
    m.dispose();
  }

  // ---- add and getOrSet ------------------------------------------------------------------------
  {
    const m = new HashMap(null, { key: 'string', value: 'int32' });
    for (let i = 0; i < 1000; i++) m.add(`w${i % 10}`, 1);
    for (let i = 0; i < 10; i++) eq(m.get(`w${i}`), 100, `add total w${i}`);
    eq(m.add('w0', -100), 0, 'add returns the sum');
    throws(() => m.add('w1', 2 ** 31), RangeError);
    eq(m.get('w1'), 100, 'a failed add changed nothing');
    eq(m.getOrSet('new', 7), 7, 'getOrSet stores');
    eq(m.getOrSet('new', 8), 7, 'getOrSet keeps');
    m.dispose();
    const a = new HashMap(null, { key: 'int32' });
    throws(() => a.add(1, 1), TypeError);
    a.dispose();
  }

  // ---- batch operations ------------------------------------------------------------------------
  {
    const n = 50000;
    const m = new HashMap(null, { key: 'int32', value: 'float64' });
    const keys = new Int32Array(n).map((_, i) => i * 3 - 70000);
    const vals = new Float64Array(n).map((_, i) => i / 4);
    m.setMany(keys, vals);
    eq(m.size, n, 'setMany size');
    const out = m.getMany(keys);
    ok(out instanceof Float64Array && out.every((v, i) => v === i / 4), 'getMany values');
    const probe = new Int32Array([keys[5], 1, keys[n - 1]]);
    const got = m.getMany(probe, undefined, -1);
    ok(got[0] === 5 / 4 && got[1] === -1 && got[2] === (n - 1) / 4, 'getMany missing value');
    ok(m.hasMany(probe).join() === '1,0,1', 'hasMany');
    eq(m.deleteMany(keys.subarray(0, 1000)), 1000, 'deleteMany');
    eq(m.size, n - 1000, 'size after deleteMany');
    throws(() => m.setMany(new Float64Array(1), new Float64Array(1)), TypeError);
    m.dispose();
  }

  // ---- growth ----------------------------------------------------------------------------------
  {
    const m = new HashMap(null, { key: 'float64', value: 'int32' });
    for (let i = 0; i < 100000; i++) m.set(i + 0.5, i);
    const s = m.stats();
    eq(s.count, 100000, 'grown count');
    ok(s.B >= 14 && s.buckets === 2 ** s.B, () => `B ${s.B} for 1e5 entries`);
    let sum = 0;
    for (const v of m.values()) sum += v;
    eq(sum, (99999 * 100000) / 2, 'sum of values after growth');
    m.dispose();
  }

  // ---- iteration: the Map API and Go's rules under mutation -------------------------------------
  {
    const m = new HashMap(null, { key: 'int32', value: 'int32' });
    for (let i = 0; i < 1000; i++) m.set(i, i * 2);
    const seen = new Set();
    for (const [k, v] of m) {
      ok(!seen.has(k) && v === k * 2, () => `for...of produced ${k} => ${v}`);
      seen.add(k);
    }
    eq(seen.size, 1000, 'for...of count');
    eq([...m.keys()].length, 1000, 'keys()');
    eq(
      [...m.values()].reduce((a, b) => a + b, 0),
      999 * 1000,
      'values()',
    );
    eq(
      [...m.entries()].every(([k, v]) => v === 2 * k),
      true,
      'entries()',
    );
    const ctx = { n: 0 };
    m.forEach(function (v, k, map) {
      this.n += v === 2 * k && map === m ? 1 : 0;
    }, ctx);
    eq(ctx.n, 1000, 'forEach with thisArg');

    // Delete every odd key not yet produced, insert new keys (the map grows under the iterator):
    // every even key exactly once, no odd key after its deletion, no key twice.
    const produced = new Map();
    const deleted = new Set();
    let step = 0;
    for (const [k] of m) {
      produced.set(k, (produced.get(k) ?? 0) + 1);
      ok(!deleted.has(k), () => `deleted key ${k} was produced`);
      if (step++ === 0) {
        for (let j = 1; j < 1000; j += 2) if (j !== k && m.delete(j)) deleted.add(j);
        for (let j = 1000; j < 20000; j++) m.set(j, 2 * j);
      }
    }
    for (let j = 0; j < 1000; j += 2) eq(produced.get(j), 1, `even key ${j} produced once`);
    for (const [k, c] of produced) ok(c === 1, () => `key ${k} produced ${c} times`);
    eq(m.stats().liveIterators, 0, 'iterators released');

    // A break releases the iterator; clear() ends live iterators.
    for (const _ of m) break;
    eq(m.stats().liveIterators, 0, 'break releases');
    const it = m.keys();
    it.next();
    m.clear();
    eq(it.next().done, true, 'clear ends iteration');
    m.dispose();
  }

  // ---- reproducible order with a seed -----------------------------------------------------------
  {
    const order = () => {
      const m = new HashMap(null, { key: 'int32', value: 'int32', seed: 12345 });
      for (let i = 0; i < 500; i++) m.set(i, i);
      const ks = [...m.keys()].join();
      m.dispose();
      return ks;
    };
    eq(order(), order(), 'seeded iteration order');
  }

  return {
    checks,
    isolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
    wasmLoads: window.__wasmLoads,
  };
});

function strKey(n) {
  switch (n % 3) {
    case 0:
      return `k${n}`;
    case 1:
      return `a-much-longer-key-${n}`;
    default:
      return `ключ-${n}`;
  }
}

function sameContent(m, model, what) {
  if (m.size !== model.size) throw new Error(`${what}: size ${m.size}, Map ${model.size}`);
  for (const [k, v] of model) if (!Object.is(m.get(k), v)) throw new Error(`${what}: get ${show(k)} is ${show(m.get(k))}, Map ${show(v)}`);
  const seen = new Map();
  for (const [k, v] of m) {
    if (seen.has(k)) throw new Error(`${what}: ${show(k)} produced twice`);
    seen.set(k, v);
    if (!Object.is(model.get(k), v)) throw new Error(`${what}: iteration gave ${show(k)} => ${show(v)}, Map has ${show(model.get(k))}`);
  }
  if (seen.size !== model.size) throw new Error(`${what}: iteration produced ${seen.size} of ${model.size}`);
}
