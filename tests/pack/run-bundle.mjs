// Runs a browser bundle made by bundleForBrowser (pack.ts) in Node the way a browser would: the
// folder is served over HTTP and assets/app.js is evaluated as an ES module whose import.meta.url is
// its http: URL, so the package's loader takes its browser path (fetch of ../build/*.wasm) and not
// the file: path Node would take. A vm.SourceTextModule gives the module that URL: run with
//   node --experimental-vm-modules --no-warnings tests/pack/run-bundle.mjs <bundle folder>
// It prints one JSON line: { result (from the bundle's runChecks), requests (served files) }.
// The bundle must be self-contained: an import of anything but its own files fails the link step.
import vm from 'node:vm';
import { serve } from './serve.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: run-bundle.mjs <bundle folder>');
if (typeof vm.SourceTextModule !== 'function') throw new Error('run-bundle.mjs needs node --experimental-vm-modules');

const server = await serve(dir);
try {
  const url = new URL('assets/app.js', server.url).href;
  /** The bundle's modules by URL: app.js and the chunks it imports (esbuild --splitting puts the code the page and its workers share in a chunk). */
  const modules = new Map();
  const load = async (moduleUrl) => {
    let mod = modules.get(moduleUrl);
    if (mod !== undefined) return mod;
    const res = await fetch(moduleUrl);
    if (!res.ok) throw new Error(`GET ${moduleUrl}: ${res.status}`);
    mod = new vm.SourceTextModule(await res.text(), {
      identifier: moduleUrl,
      initializeImportMeta(meta) {
        meta.url = moduleUrl;
      },
      importModuleDynamically(spec) {
        throw new Error(`the bundle imports ${spec} at run time: it is not self-contained`);
      },
    });
    modules.set(moduleUrl, mod);
    return mod;
  };
  const mod = await load(url);
  // Only the bundle's own files (relative imports, fetched from the server) may be imported.
  await mod.link((spec, referencing) => {
    if (!spec.startsWith('./') && !spec.startsWith('../')) throw new Error(`the bundle imports ${spec}: it is not self-contained`);
    return load(new URL(spec, referencing.identifier).href);
  });
  await mod.evaluate(); // includes the package's top-level await: both wasm files fetched and compiled
  const ns = /** @type {{ runChecks: (o?: object) => Promise<unknown> }} */ (mod.namespace);
  const result = await ns.runChecks({ worker: false });
  process.stdout.write(JSON.stringify({ result, requests: server.requests }) + '\n');
} finally {
  await server.close();
}
