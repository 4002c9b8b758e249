// Loaded as a classic script before a page's modules: keeps what the page passes to console.log in
// window.__logs (each call's arguments as strings, joined by a space), for the test to read.
(() => {
  const logs = (window.__logs = []);
  const log = console.log.bind(console);
  console.log = (...args) => {
    logs.push(args.map(String).join(' '));
    log(...args);
  };
})();
