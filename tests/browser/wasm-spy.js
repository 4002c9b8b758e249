// Loaded as a classic script before the package: records in window.__wasmLoads every compilation of a
// wasm module: synchronous (new WebAssembly.Module, with its size) or asynchronous
// (compileStreaming, instantiateStreaming, compile, instantiate).
(() => {
  const loads = (window.__wasmLoads = []);
  const W = WebAssembly;
  const describe = (b) => (b instanceof W.Module ? 'a Module' : b && typeof b.url === 'string' ? b.url : `${b?.byteLength} bytes`);
  for (const name of ['compileStreaming', 'instantiateStreaming', 'compile', 'instantiate']) {
    const f = W[name];
    if (typeof f !== 'function') continue;
    W[name] = function (...args) {
      loads.push({ fn: name, what: describe(args[0]) });
      return f.apply(this, args);
    };
  }
  W.Module = new Proxy(W.Module, {
    construct(target, args, newTarget) {
      loads.push({ fn: 'Module', what: describe(args[0]) });
      return Reflect.construct(target, args, newTarget);
    },
  });
})();
