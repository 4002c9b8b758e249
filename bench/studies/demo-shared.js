// The demo's shared word count, timed in headless Chromium (/usr/bin/chromium), three page loads:
//   node bench/studies/demo-shared.js [repo root, default .]
// Serves the repo's demo/ (demo/serve.mjs), waits for the page's shared-map result and prints the
// four workers' adds/s (words / wall time from their release to the last one's end).
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
const repo = process.argv[2] ?? '.';
const proc = spawn(process.execPath, [`${repo}/demo/serve.mjs`, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
const url = await new Promise((res, rej) => {
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
    const m = /http:\/\/127\.0\.0\.1:\d+\/demo\//.exec(out);
    if (m) res(m[0]);
  });
  setTimeout(() => rej(new Error(out)), 15000);
});
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const runs = [];
for (let i = 0; i < 3; i++) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction('window.__demo && window.__demo.shared', null, { timeout: 120000, polling: 200 });
  const s = await page.evaluate('window.__demo.shared');
  runs.push(s);
  await page.close();
}
console.log(repo, runs.map((s) => `${s.exact ? 'exact' : 'WRONG'} ${s.total} words in ${s.ms.toFixed(0)} ms = ${(s.total / s.ms / 1000).toFixed(2)} M adds/s`).join(' | '));
await browser.close();
proc.kill();
