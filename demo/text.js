// The generated text of the shared-map demo: each worker makes its own part from a seed, and the
// page makes all of them again to count the words with a plain Map and check the shared map's totals.

/** Syllables of the made-up words: frequent words are short, as in real text. */
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'pe', 'da', 'shi', 'ba', 'no', 'ze', 'fu', 'ri'];
/** Distinct words the text draws from. */
export const VOCABULARY = 5000;

/** The word of frequency rank r (0 is the most frequent); some carry a non-ASCII letter. */
export function wordOf(r) {
  let s = '';
  let x = r + 1;
  do {
    s += SYLLABLES[x & 15];
    x >>>= 4;
  } while (x > 0);
  if (r % 41 === 7) s += 'ë';
  if (r % 59 === 11) s = `ж${s}`;
  return s;
}

/** mulberry32. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Part `part` of the text: `words` words with Zipf-like frequencies, in sentences. */
export function makeText(part, words) {
  const r = rng(0x7ed5 + part * 7919);
  const out = [];
  for (let i = 0, sentence = 0; i < words; i++) {
    let w = wordOf(Math.floor(VOCABULARY ** r()) - 1);
    if (sentence === 0) w = w[0].toUpperCase() + w.slice(1);
    if (++sentence > 6 + r() * 10 || i === words - 1) {
      w += r() < 0.8 ? '.' : '!';
      sentence = 0;
    } else if (r() < 0.06) w += ',';
    out.push(w);
  }
  return out.join(' ');
}

/** The words of a text, lower-cased. */
export function wordsOf(text) {
  return text.toLowerCase().match(/\p{L}+/gu) ?? [];
}
