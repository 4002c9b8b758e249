// String keys and values the shared-map tests write and recognise: keys of three forms (short
// Latin-1, inline in the slot; long Latin-1, a block; non-Latin-1, a two-byte block) and values that
// carry their key and a version. One copy for the worker threads (tests/workers/common.mjs) and the
// vitest suites (tests/shared.test.ts, tests/survive.test.ts).

/**
 * String key number n: short Latin-1 (inline in the slot), long Latin-1 (a block) and non-Latin-1
 * (a two-byte block) in turn.
 */
export function strKey(n) {
  switch (n % 3) {
    case 0:
      return `k${n}`;
    case 1:
      return `a-much-longer-key-${n}`;
    default:
      return `ключ-${n}`;
  }
}

const STR_KEY_RE = /^(?:k|a-much-longer-key-|ключ-)(\d+)$/;
/** The n of strKey(n), or -1 when s is no such key. */
export function strKeyNum(s) {
  if (typeof s !== 'string') return -1;
  const m = STR_KEY_RE.exec(s);
  if (m === null) return -1;
  const n = Number(m[1]);
  return strKey(n) === s ? n : -1;
}

/** String value for key n, version ver: inline and block values in turn. */
export function strVal(n, ver) {
  return n % 2 === 0 ? `${ver}:${n}` : `a long value for key ${n}, version ${ver} ✓`;
}

const STR_VAL_RE = /^(?:(\d+):(\d+)|a long value for key (\d+), version (\d+) ✓)$/;
/** { n, ver } of strVal(n, ver), or null. */
export function strValParse(s) {
  if (typeof s !== 'string') return null;
  const m = STR_VAL_RE.exec(s);
  if (m === null) return null;
  const n = Number(m[2] ?? m[3]);
  const ver = Number(m[1] ?? m[4]);
  return strVal(n, ver) === s ? { n, ver } : null;
}
