// `npm run demo`: serves the demo page (demo/) and the package (dist/, and build/wasm.js) on
// 127.0.0.1, cross-origin isolated (the two headers below), so that the page and its Web Workers
// can share a map. Plain node:http, no dependency.
//
//   node demo/serve.mjs [--port N]     (default 8787; if taken, any free port)
//
// Prints the page's address.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ROOTS = ['dist', 'build', 'demo'];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const server = createServer(async (req, res) => {
  const headers = { ...ISOLATION, 'Cache-Control': 'no-store' };
  const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (pathname === '/' || pathname === '/demo') {
    res.writeHead(302, { ...headers, Location: '/demo/' }).end();
    return;
  }
  let rel = path.posix.normalize(decodeURIComponent(pathname)).replace(/^\/+/, '');
  if (rel.endsWith('/') || rel === 'demo') rel = path.posix.join(rel, 'index.html');
  const file = path.join(REPO, rel);
  try {
    if (!ROOTS.some((r) => rel.startsWith(`${r}/`)) || !file.startsWith(REPO)) throw new Error('outside');
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    const body = await readFile(file);
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': body.length }).end(body);
  } catch {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${pathname}\n`);
  }
});

const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : 8787;
server.on('error', (e) => {
  if (e.code === 'EADDRINUSE' && port !== 0) server.listen(0, '127.0.0.1');
  else throw e;
});
server.listen(port, '127.0.0.1', async () => {
  // The bindings and the wasm come from `npm run build`.
  for (const f of ['dist/index.js', 'build/wasm.js']) {
    await stat(path.join(REPO, f)).catch(() => console.warn(`warning: ${f} is missing: run \`npm run build\` first`));
  }
  console.log(`tophash demo: http://127.0.0.1:${server.address().port}/demo/  (Ctrl-C to stop)`);
});
