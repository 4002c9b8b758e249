// A static file server for a built page (tests/bundlers.test.ts): serves `root` on 127.0.0.1 with the
// MIME types a browser needs and the two headers that make a page cross-origin isolated, which shared
// maps need in a browser. It records every request, to show which files were fetched.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Serve `root`. Options: `isolated` (default true) adds Cross-Origin-Opener-Policy: same-origin and
 * Cross-Origin-Embedder-Policy: require-corp to every response.
 */
export async function serve(root, { isolated = true } = {}) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path));
    const headers = { 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    let status = 404;
    let body = 'not found';
    if (file === normalize(root) || file.startsWith(normalize(root) + sep)) {
      try {
        if ((await stat(file)).isFile()) {
          body = await readFile(file);
          status = 200;
          headers['Content-Type'] = TYPES[extname(file)] ?? 'application/octet-stream';
        }
      } catch {
        // 404
      }
    }
    requests.push({ path, status, type: headers['Content-Type'] ?? null });
    res.writeHead(status, headers);
    res.end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
