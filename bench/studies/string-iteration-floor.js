// Where a for...of over string keys spends its time, against the cost of making a new JS string:
//   node --expose-gc bench/studies/string-iteration-floor.js
// 1e5 keys of 10 Latin-1 characters (int32 values): Map's for...of, HashMap's for...of, keys() and
// values() (each decodes every key: a value's entry is revalidated by its key when the map changes),
// and, in plain JS, String.fromCharCode of 10 byte codes read from a Uint8Array per key: the least a
// string handed out from wasm memory costs. Medians of 9 runs, a gc() before each.
import { HashMap } from '../../dist/index.js';
import { median, now, gc } from '../lib.js';

const n = 1e5;
const keys = [];
let s = 3;
for (let i = 0; i < n; i++) {
  s = (Math.imul(s, 1103515245) + 12345) | 0;
  keys.push(`k${(s >>> 0).toString(36).padStart(9, '0')}`);
}
const map = new Map(keys.map((k, i) => [k, i]));
const hm = new HashMap(map, { key: 'string', value: 'int32' });

function time(f) {
  const t = [];
  for (let r = 0; r < 9; r++) {
    gc();
    const t0 = now();
    f();
    t.push(now() - t0);
  }
  return (median(t) * 1e6) / n;
}

const u8 = new Uint8Array(16 * n);
for (let i = 0; i < n; i++) for (let j = 0; j < 10; j++) u8[16 * i + j] = keys[i].charCodeAt(j);
const f = String.fromCharCode;
const rows = {
  'Map for...of': time(() => {
    let c = 0;
    for (const [k, v] of map) c = (c + k.length + v) | 0;
    return c;
  }),
  'HashMap for...of': time(() => {
    let c = 0;
    for (const [k, v] of hm) c = (c + k.length + v) | 0;
    return c;
  }),
  'HashMap keys()': time(() => {
    let c = 0;
    for (const k of hm.keys()) c = (c + k.length) | 0;
    return c;
  }),
  'HashMap values()': time(() => {
    let c = 0;
    for (const v of hm.values()) c = (c + v) | 0;
    return c;
  }),
  'a new 10-char string (JS only)': time(() => {
    let c = 0;
    for (let i = 0; i < n; i++) {
      const p = 16 * i;
      c = (c + f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9]).length) | 0;
    }
    return c;
  }),
};
for (const [name, ns] of Object.entries(rows)) console.log(`${name.padEnd(32)} ${ns.toFixed(1).padStart(6)} ns an entry`);
hm.dispose();
