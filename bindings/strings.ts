// Strings across the JS/wasm boundary: writing a key or value into a query
// area, and reading a stored string back.
//
// A string goes in as its UTF-16 code units, written with a charCodeAt loop
// into a Uint16Array view at the query area's STR_Q_CHARS (faster for short
// strings than TextEncoder.encodeInto, which also refuses shared memory in
// Chromium and would lose lone surrogates). The core builds the
// slot field from them (assembly/strings.ts). There are two query areas, one for
// a key and one for a value, so that `set` can pass both; each grows when a
// longer string comes and is never shrunk.
//
// A string comes out of a field address (the core's get_*_str, or the
// iterator's batch buffer): inline and Latin-1 block strings are one byte per
// char, others two. String.fromCharCode over the code units rebuilds it exactly,
// lone surrogates included (TextDecoder would replace them, and its 'latin1' is
// really windows-1252).

// A string field (the core's contract: bindings/contract.ts): byte 0 is the inline length, or a tag
// with TAG_BLOCK set (TAG_WIDE: two bytes a char) for a block whose address is at F_PTR and length at
// F_LEN, its chars at BK_CHARS in the block.
import { STR_Q_CHARS as Q_CHARS, STR_Q_SLACK as Q_SLACK, STR_FIELD_SIZE as STR_FIELD, STR_TAG_BLOCK as TAG_BLOCK, STR_TAG_WIDE as TAG_WIDE, STR_F_PTR as F_PTR, STR_F_LEN as F_LEN, STR_BK_CHARS as BK_CHARS } from './contract.js';

export { STR_FIELD };
import type { Core, Heap } from './load.js';

/** Code units a query area holds at first: most keys are short, and growing is cheap. */
const FIRST_UNITS = 1024;
/** Arguments per String.fromCharCode call when decoding a long string: well under engines' argument limits. */
const DECODE_CHUNK = 8192;

/** A query area in a Core's memory: its address and how many code units it can take. */
export class QueryArea {
  readonly #core: Core;
  addr = 0;
  units = 0;
  /** Index of the chars in `u16`, and the view itself (renewed when it no longer reaches the area). */
  at = 0;
  end = 0;
  u16: Uint16Array = new Uint16Array(0);

  constructor(core: Core) {
    this.#core = core;
  }

  /** Write `s` into the area (growing it if needed) and return the area's address. */
  put(s: string): number {
    const n = s.length;
    if (n > this.units) this.#grow(n);
    let u16 = this.u16;
    if (u16.length * 2 < this.end) u16 = this.u16 = this.#core.heap(this.end).u16;
    const at = this.at;
    for (let i = 0; i < n; i++) u16[at + i] = s.charCodeAt(i);
    return this.addr;
  }

  /**
   * put, for a key that is only looked up (get, has, delete) in map h (a shared map's root): when no
   * area as long as the key can be had (memory ran out), the key is looked up through the area as it
   * is (#findLong), so that reads never fail for lack of memory. Returns the area's address (holding
   * the key, or the stored key's field), or 0 when the map has no such key.
   */
  putKey(h: number, s: string): number {
    if (s.length <= this.units || this.#grows(s.length)) return this.put(s);
    return this.#findLong(h, s);
  }

  /** A shared map's table for key s: `f` (the core's table_str) over the key put here, or when no area as long can be had, over its hash in chunks. */
  tableOf(h: number, s: string, f: (h: number, q: number, n: number) => number): number {
    if (s.length <= this.units || this.#grows(s.length)) return f(h, this.put(s), s.length);
    this.#hashLong(h, s);
    return this.#core.x.str_long_table(h);
  }

  /** Whether the area could grow to n code units (it has, then); false when memory for it ran out, with at least FIRST_UNITS left. */
  #grows(n: number): boolean {
    try {
      this.#grow(n);
      return true;
    } catch (e) {
      if (!(e instanceof RangeError) || this.units === 0) throw e;
      return false;
    }
  }

  /** Hash key s through the area a chunk at a time (the core's str_long_begin, str_long_feed: the hash a whole key gets). */
  #hashLong(h: number, s: string): boolean {
    const x = this.#core.x;
    let wide = false;
    for (let i = 0; i < s.length && !wide; i++) wide = s.charCodeAt(i) > 0xff;
    x.str_long_begin(h, s.length, wide ? 1 : 0);
    const step = this.units & ~7;
    for (let from = 0; from < s.length; from += step) {
      const n = Math.min(step, s.length - from);
      const u16 = this.#core.heap(this.end).u16;
      for (let i = 0; i < n; i++) u16[this.at + i] = s.charCodeAt(from + i);
      x.str_long_feed(this.addr, n);
    }
    return wide;
  }

  /** Look long key s up in map h with the area as it is: the stored keys of its hash, length and encoding, compared char by char; the equal one's field is then the area's query (str_use_field). */
  #findLong(h: number, s: string): number {
    const x = this.#core.x;
    const wide = this.#hashLong(h, s);
    const out = this.addr + Q_CHARS; // the chars are hashed: their room takes the candidates
    const n = x.str_long_find(h, out, (this.units * 2) >>> 2);
    for (let k = 0; k < n; k++) {
      const f = this.#core.heap(out + 4 * k + 4).u32[(out >>> 2) + k];
      if (sameChars(this.#core, f, s, wide)) {
        x.str_use_field(this.addr, f);
        return this.addr;
      }
    }
    return 0;
  }

  /** Take the area's first size now (FIRST_UNITS code units) if it has none. */
  reserve(): void {
    if (this.units === 0) this.#grow(1);
  }

  #grow(n: number): void {
    let units = Math.max(FIRST_UNITS, this.units);
    while (units < n) units *= 2;
    const x = this.#core.x;
    const addr = x.scratch_alloc(bytesFor(units)) >>> 0;
    if (addr === 0) throw new RangeError(`HashMap: out of memory for a string of ${n} characters; the map is unchanged`);
    if (this.units !== 0) x.scratch_free(this.addr, bytesFor(this.units));
    this.addr = addr;
    this.units = units;
    this.at = (addr + Q_CHARS) >>> 1;
    this.end = addr + bytesFor(units);
    this.u16 = this.#core.heap(this.end).u16;
  }
}

/** Whether the stored block string whose field is at f holds exactly the code units of s (Latin-1 one byte each, else two). */
function sameChars(c: Core, f: number, s: string, wide: boolean): boolean {
  const block = c.heap(f + STR_FIELD).u32[(f + F_PTR) >>> 2];
  const at = block + BK_CHARS;
  const H = c.heap(at + s.length * (wide ? 2 : 1));
  if (wide) {
    const u16 = H.u16;
    for (let i = 0, j = at >>> 1; i < s.length; i++, j++) if (u16[j] !== s.charCodeAt(i)) return false;
  } else {
    const u8 = H.u8;
    for (let i = 0, j = at; i < s.length; i++, j++) if (u8[j] !== s.charCodeAt(i)) return false;
  }
  return true;
}

/** Bytes of a query area for `units` code units, with the room the core may read past them. */
function bytesFor(units: number): number {
  return Q_CHARS + 2 * units + Q_SLACK;
}

/** A Core's two query areas: one for a key, one for a value (set passes both). */
export interface QueryAreas {
  readonly key: QueryArea;
  readonly value: QueryArea;
}

/** Give the Core's query areas their first size now, if memory allows, so that string reads work once memory has run out. */
export function reserveQueryAreas(c: Core): void {
  const a = queryAreas(c);
  try {
    a.key.reserve();
    a.value.reserve();
  } catch {
    // No memory now: the first string that needs an area tries again.
  }
}

export function queryAreas(c: Core): QueryAreas {
  let a = c.cache.get('queryAreas') as QueryAreas | undefined;
  if (a === undefined) c.cache.set('queryAreas', (a = { key: new QueryArea(c), value: new QueryArea(c) }));
  return a;
}

/**
 * The string whose field is at address f in core c's memory. On a shared map a reader may meet a
 * field a writer is changing: a length or pointer out of memory then reads as '' (the reader's
 * sequence check fails and it retries).
 */
export function readString(c: Core, f: number): string {
  return readStringIn(c, c.heap(f + STR_FIELD), f);
}

/**
 * readString with views H that reach the field at f (a batch of fields reads the views once: a
 * c.heap() call per string was a noticeable part of a string key's cost in a keys() loop).
 */
function readStringIn(c: Core, H: Heap, f: number): string {
  const u8 = H.u8;
  const tag = u8[f];
  if ((tag & TAG_BLOCK) === 0) return readInline(u8, f + 1, tag);
  const ptr = H.u32[(f + F_PTR) >>> 2];
  const len = H.u32[(f + F_LEN) >>> 2];
  const chars = ptr + BK_CHARS;
  const wide = (tag & TAG_WIDE) !== 0;
  const end = chars + (wide ? 2 * len : len);
  const V = end <= u8.length ? H : c.heap(end);
  if (end > V.u8.length) return '';
  return wide ? decode(V.u16, chars >>> 1, len) : decode(V.u8, chars, len);
}

/** Up to 11 one-byte chars at p: one fromCharCode call with the codes as arguments, no array. */
function readInline(u8: Uint8Array, p: number, n: number): string {
  if (n > 11) return ''; // torn (shared maps only): the reader retries
  const f = String.fromCharCode;
  switch (n) {
    case 0:
      return '';
    case 1:
      return f(u8[p]);
    case 2:
      return f(u8[p], u8[p + 1]);
    case 3:
      return f(u8[p], u8[p + 1], u8[p + 2]);
    case 4:
      return f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3]);
    case 5:
      return f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4]);
    case 6:
      return f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5]);
    case 7:
      return f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6]);
    case 8:
      return f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7]);
    case 9:
      return f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8]);
    case 10:
      return f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9]);
    default:
      return f(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9], u8[p + 10]);
  }
}

/** `len` code units from view v at index i, in chunks that fromCharCode takes as arguments. */
function decode(v: Uint8Array | Uint16Array, i: number, len: number): string {
  if (len <= DECODE_CHUNK) return String.fromCharCode.apply(null, v.subarray(i, i + len) as unknown as number[]);
  let s = '';
  for (let j = 0; j < len; j += DECODE_CHUNK) {
    s += String.fromCharCode.apply(null, v.subarray(i + j, i + Math.min(len, j + DECODE_CHUNK)) as unknown as number[]);
  }
  return s;
}

/** Decode the n string fields whose addresses are at u32 index `base` into `out`. */
export function readStrings(c: Core, u32: Uint32Array, base: number, n: number, out: string[]): string[] {
  // One set of views for the batch, renewed when a field lies past it (a shared memory's cached views
  // keep their old length when another thread grows the memory).
  let H = c.heap(1);
  let end = H.u8.length;
  for (let i = 0; i < n; i++) {
    const f = u32[base + i];
    if (f + STR_FIELD > end) end = (H = c.heap(f + STR_FIELD)).u8.length;
    out[i] = readStringIn(c, H, f);
  }
  return out;
}
