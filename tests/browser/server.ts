// The static server of tests/browser.test.ts (node:http, no dependency). It serves the repository's
// dist/, build/ (the package's build/wasm.js), demo/ and tests/browser/ with the MIME types a browser
// needs (text/javascript for modules).
//
// Routes: a path is served cross-origin isolated (COOP same-origin, COEP require-corp, CORP
// same-origin on every response) unless it starts with /plain/ (stripped before the file is looked
// up): no isolation headers, the page is not cross-origin isolated, as on an ordinary server; and /readme/<file> serves the README's code block for <file> (tests/readme-code.ts) with one change:
// its bare import specifier 'tophash' becomes '/dist/index.js', the built package. (A page's import
// map would do that for the page, but Chromium's module workers do not use it: the README's worker
// failed to load with one.)
import { createServer, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { readmeFile } from '../readme-code.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Top-level folders of the repository that may be served. */
const ROOTS = ['dist', 'build', 'demo', 'tests/browser', 'tests/rng.js'];
/** The route of the README's code blocks. */
const README_ROUTE = 'readme/';
/** The package's name as the README imports it, and the built package it stands for here. */
export const PACKAGE_IMPORT = "from 'tophash'";
export const BUILT_IMPORT = "from '/dist/index.js'";

export interface TestServer {
  readonly origin: string;
  /** Every request, as method + the path requested (with its route prefix). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** The README's code block for `name`, importing the built package; or 404. */
function sendReadmeFile(res: ServerResponse, headers: Record<string, string>, name: string): void {
  let body: string;
  try {
    body = readmeFile(name).replaceAll(PACKAGE_IMPORT, BUILT_IMPORT);
  } catch (e) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(String(e));
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(name)] ?? 'text/plain' }).end(body);
}

/** Serve `repo` on 127.0.0.1, on a free port. */
export async function startServer(repo: string): Promise<TestServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push(`${req.method} ${url.pathname}`);
      let p = decodeURIComponent(url.pathname);
      const isolated = !p.startsWith('/plain/');
      if (!isolated) p = p.slice('/plain'.length);
      const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
      if (isolated) {
        headers['Cross-Origin-Opener-Policy'] = 'same-origin';
        headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
        headers['Cross-Origin-Resource-Policy'] = 'same-origin';
      }
      const rel = path.posix.normalize(p).replace(/^\/+/, '');
      if (rel.startsWith(README_ROUTE)) {
        sendReadmeFile(res, headers, rel.slice(README_ROUTE.length));
        return;
      }
      const file = path.join(repo, rel);
      if (!ROOTS.some((r) => rel === r || rel.startsWith(`${r}/`)) || !file.startsWith(repo + path.sep)) {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      try {
        if (!(await stat(file)).isFile()) throw new Error('not a file');
        const body = await readFile(file);
        const ext = path.extname(file);
        const type = TYPES[ext] ?? 'application/octet-stream';
        res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(body.length) }).end(body);
      } catch {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
