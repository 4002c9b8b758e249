// Runs a browser bundle made by bundleForBrowser (pack.ts) in Node the way a browser would: the
// folder is served over HTTP and assets/app.js is evaluated as an ES module whose import.meta.url is
// its http: URL, so the package's loader takes its browser path (fetch of ../build/*.wasm) and not
// the file: path Node would take. A vm.SourceTextModule gives the module that URL: run with
//   node --experimental-vm-modules --no-warnings tests/pack/run-bundle.mjs <bundle folder>
// It prints one JSON line: { result (from the bundle's runChecks), requests (served files) }.
// The bundle must be self-contained: any import statement left in it fails the link step.
import vm from 'node:vm';
import { serve } from './serve.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: run-bundle.mjs <bundle folder>');
if (typeof vm.SourceTextModule !== 'function') throw new Error('run-bundle.mjs needs node --experimental-vm-modules');

const server = await serve(dir);
try {
  const url = new URL('assets/app.js', server.url).href;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const mod = new vm.SourceTextModule(await res.text(), {
    identifier: url,
    initializeImportMeta(meta) {
      meta.url = url;
    },
    importModuleDynamically(spec) {
      throw new Error(`the bundle imports ${spec} at run time: it is not self-contained`);
    },
  });
  await mod.link((spec) => {
    throw new Error(`the bundle imports ${spec}: it is not self-contained`);
  });
  await mod.evaluate(); // includes the package's top-level await: both wasm files fetched and compiled
  const ns = /** @type {{ runChecks: (o?: object) => Promise<unknown> }} */ (mod.namespace);
  const result = await ns.runChecks({ worker: false });
  process.stdout.write(JSON.stringify({ result, requests: server.requests }) + '\n');
} finally {
  await server.close();
}
