/** String key number n (tests/codecs.js). */
export function strKey(n: number): string;
/** The n of strKey(n), or -1 when s is no such key. */
export function strKeyNum(s: unknown): number;
/** String value for key n, version ver. */
export function strVal(n: number, ver: number): string;
/** { n, ver } of strVal(n, ver), or null. */
export function strValParse(s: unknown): { n: number; ver: number } | null;
