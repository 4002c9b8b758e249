// Headless Debian Chromium (/usr/bin/chromium, or CHROMIUM_PATH) driven by playwright-core, never a
// downloaded browser: what tests/browser.test.ts and tests/bundlers.test.ts share. Without Chromium
// those suites are skipped with a loud warning, except under CI=true, where a missing Chromium fails.
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true';
/** Launch options that work with Debian's Chromium here (see the toolchain notes). */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launch Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
}

/**
 * Where Chromium is missing: a failing test under CI=true, else a banner and a skipped test. `suite`
 * names the test file for the banner.
 */
export function reportMissingChromium(suite: string): void {
  if (HAVE_CHROMIUM) return;
  describe(`${suite} (Chromium missing)`, () => {
    if (IN_CI) {
      it('Chromium is installed (CI=true: required)', () => {
        throw new Error(`CI=true and no Chromium at ${CHROMIUM}: ${suite} cannot run. .ci/run installs it with apt-get install chromium.`);
      });
    } else {
      const line = '*'.repeat(100);
      console.warn(
        [
          '',
          line,
          `*  BROWSER SUITE NOT RUN: no Chromium at ${CHROMIUM}.`,
          `*  ${suite} was skipped; the Node suites ran.`,
          "*  Install Debian's Chromium:   sudo apt-get install chromium     (or set CHROMIUM_PATH)",
          '*  Under CI=true a missing Chromium is a failure.',
          line,
          '',
        ].join('\n'),
      );
      it.skip(`${suite}: no Chromium at ${CHROMIUM} (apt-get install chromium)`, () => {});
    }
  });
}

/** What runPage saw. */
export interface PageRun {
  /** The `result` expression, evaluated once `done` held. */
  value: unknown;
  /** Console errors, page errors, failed requests and HTTP errors, as lines. */
  problems: string[];
  /** Whether the page was cross-origin isolated. */
  isolated: boolean;
  /** The page's response headers. */
  headers: Record<string, string>;
  /** The `extra` expression, evaluated after `result`. */
  extra: unknown;
}

/** Open url in a new context of `browser` (running `init` first in every document, if given), wait until `done` holds, and report what the page did. */
export async function runPage(browser: Browser, url: string, done = 'window.__result !== undefined', result = 'window.__result', timeout = 45_000, extra = 'null', init?: string): Promise<PageRun> {
  const context: BrowserContext = await browser.newContext();
  if (init !== undefined) await context.addInitScript(init);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  try {
    const response = await page.goto(url);
    await page.waitForFunction(done, undefined, { timeout, polling: 100 });
    const value = await page.evaluate(result);
    const isolated = (await page.evaluate('globalThis.crossOriginIsolated')) as boolean;
    return { value, problems, isolated, headers: response?.headers() ?? {}, extra: await page.evaluate(extra) };
  } catch (e) {
    throw new Error(`${url}: ${(e as Error).message}\n${problems.join('\n')}`);
  } finally {
    await context.close();
  }
}
