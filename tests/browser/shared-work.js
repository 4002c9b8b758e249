// What each thread of shared.js does (the page's main thread and each worker run the same code).
export const ROUNDS = 40;
export const KEYS = 1000;
/** Keys of the 'grown' map per thread. */
export const GROWN = 20000;

/** Word key k: short Latin-1 (inline in the slot), long Latin-1 and non-Latin-1 in turn. */
export function word(k) {
  switch (k % 3) {
    case 0:
      return `w${k}`;
    case 1:
      return `a-much-longer-word-${k}`;
    default:
      return `слово-${k}`;
  }
}

/** Thread id's writes: returns the getOrSet value it saw per key and how many operations it made. */
export function work({ counts, words, race, grown }, id) {
  let ops = 0;
  const seen = new Int32Array(KEYS);
  for (let r = 0; r < ROUNDS; r++) {
    // Start at a different key in each thread and round, so that threads meet on keys and miss them.
    const start = (r * 337 + id * 501) % KEYS;
    for (let j = 0; j < KEYS; j++) {
      const k = (start + j) % KEYS;
      counts.add(k, 1);
      words.add(word(k), 1);
      ops += 2;
      if (r === 0) {
        seen[k] = race.getOrSet(k, id + 1);
        ops++;
      }
    }
    // Part of this thread's range of the growing map.
    const per = GROWN / ROUNDS;
    for (let i = r * per; i < (r + 1) * per; i++) {
      const k = id * GROWN + i;
      grown.set(k, k / 2);
      ops++;
    }
  }
  return { race: Array.from(seen), ops };
}
