// What a half-read iterator costs a map's memory (docs/performance.md, "Beyond the standard run"):
//   node bench/studies/half-read-iterator.js
// 200,000 random set/delete pairs on an int32 map, with and without one iterator read 100 entries
// deep and kept; prints stats() of each.

import { HashMap } from '../../dist/index.js';
for (const hold of [false, true]) {
  const m = new HashMap(null, { key: 'int32', value: 'int32' });
  for (let i = 0; i < 1000; i++) m.set(i, i);
  let it = null;
  if (hold) {
    it = m.keys();
    for (let i = 0; i < 100; i++) it.next();
  }
  let s = 7;
  for (let r = 0; r < 200000; r++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    const k = (s >>> 8) % 300000;
    m.set(k, r);
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    m.delete((s >>> 8) % 300000);
  }
  const st = m.stats();
  console.log(hold ? 'half-read iterator held' : 'no iterator', 'count', st.count, 'bytes', st.bytes, 'overflow', st.overflowBuckets, 'tombstones', st.tombstones);
  if (it) it.return();
  m.dispose();
}
