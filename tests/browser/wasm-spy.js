// Loaded as a classic script before the package: records how the wasm modules are compiled
// (WebAssembly.compileStreaming on a response, or compile/instantiate on bytes) in window.__wasmLoads.
(() => {
  const loads = (window.__wasmLoads = []);
  const W = WebAssembly;
  const wrap = (name, describe) => {
    const f = W[name];
    if (typeof f !== 'function') return;
    W[name] = function (...args) {
      loads.push({ fn: name, what: describe(args[0]) });
      return f.apply(this, args);
    };
  };
  const fromResponse = (r) => (r && typeof r.url === 'string' ? r.url : String(r));
  const fromBytes = (b) => (b instanceof W.Module ? 'a Module' : `${b?.byteLength} bytes`);
  wrap('compileStreaming', fromResponse);
  wrap('instantiateStreaming', fromResponse);
  wrap('compile', fromBytes);
  wrap('instantiate', fromBytes);
})();
