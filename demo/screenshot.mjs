// Takes demo/screenshot.png (the picture of the demo in docs/performance.md) from a real run: starts
// demo/serve.mjs, opens the page in headless Chromium (Debian's /usr/bin/chromium, or
// CHROMIUM_PATH) through playwright-core, waits for both parts to finish, and shoots the page.
//
//   npm run build && node demo/screenshot.mjs
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const server = spawn(process.execPath, [here('serve.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /http:\/\/127\.0\.0\.1:\d+\/demo\//.exec(out);
    if (m) resolve(m[0]);
  });
  server.on('exit', (code) => reject(new Error(`demo/serve.mjs exited (${code})`)));
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.on('console', (m) => m.type() === 'error' && console.error(`console: ${m.text()}`));
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction('window.__demo && window.__demo.done', undefined, { timeout: 180_000 });
  const state = await page.evaluate('window.__demo');
  console.log(JSON.stringify(state, null, 1));
  await page.screenshot({ path: here('screenshot.png'), fullPage: true });
  console.log(`wrote ${here('screenshot.png')}`);
} finally {
  await browser.close();
  server.kill();
}
