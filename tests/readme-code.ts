// The code blocks of README.md that the tests run as they are (the shared-map examples, the page
// without a bundler, the esbuild command, the TypeScript examples). A block is named by its first
// line, a comment holding its file name:
//   ```js
//   // worker.js
// so the README shows users the file each block goes in, and the tests find it by that name.
import { readFileSync } from 'node:fs';

const README = new URL('../README.md', import.meta.url);
/** A fenced code block: its info string and its body. */
const FENCE = /^```([^\n]*)\n([\s\S]*?)^```$/gm;

/**
 * The body of the README's code block whose first line is `// <name>` (or, for HTML, `<!-- <name> -->`:
 * `open` '<!--', `close` '-->'); throws unless exactly one is.
 */
export function readmeFile(name: string, open = '//', close = ''): string {
  const text = readFileSync(README, 'utf8');
  const first = `${open} ${name}${close === '' ? '' : ` ${close}`}`;
  const found = [...text.matchAll(FENCE)].map((m) => m[2]).filter((body) => body.split('\n', 1)[0].trim() === first);
  if (found.length !== 1) throw new Error(`README.md: ${found.length} code blocks start with '${first}', want 1`);
  return found[0];
}

/** The bodies of the README's code blocks whose info string is `lang` (```ts, ```sh), in order. */
export function readmeBlocks(lang: string): string[] {
  const text = readFileSync(README, 'utf8');
  return [...text.matchAll(FENCE)].filter((m) => m[1].trim() === lang).map((m) => m[2]);
}
