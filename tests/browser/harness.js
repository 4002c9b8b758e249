// In-page harness of the browser tests (tests/browser.test.ts). A page script runs its checks in
// run(fn); the result, or the first failure, is left in window.__result for the test to read.

/** Throw unless cond: every check of a page goes through this. */
export function check(cond, msg) {
  if (!cond) throw new Error(typeof msg === 'function' ? msg() : msg);
}

/** x for a failure message: -0, bigints and strings told apart. */
export function show(x) {
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'string') return JSON.stringify(x);
  return Object.is(x, -0) ? '-0' : String(x);
}

/** Whether f throws an instance of type (exactly that class when exact), with a message matching re. */
export function throws(f, type, re = /./, exact = false) {
  try {
    f();
  } catch (e) {
    check(e instanceof type && (!exact || e.constructor === type), () => `expected ${type.name}, got ${e?.name}: ${e?.message}`);
    check(re.test(String(e.message)), () => `message ${JSON.stringify(e.message)} does not match ${re}`);
    return e;
  }
  throw new Error(`expected ${type.name} (${re}), nothing was thrown`);
}

/** mulberry32, the generator of every test context, so a failure can be replayed. */
export { rng } from '../rng.js';

/** Run the page's checks; window.__result is { ok: true, result } or { ok: false, error }. */
export function run(fn) {
  Promise.resolve()
    .then(fn)
    .then(
      (result) => (window.__result = { ok: true, result }),
      (e) => (window.__result = { ok: false, error: `${e?.name ?? 'Error'}: ${e?.message ?? e}\n${e?.stack ?? ''}` }),
    );
}
