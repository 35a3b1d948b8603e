// One Parley server and one browser per test file; a fresh browser profile per test. On a
// failure: a screenshot of every open page in end2end/screenshots/, the server's log lines from
// during the test, and the browser's console errors, all printed with the failure.

import { after, before, test as nodeTest } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { newBrowser, newContext } from './browser.mjs';
import { END2END_DIR, startParley } from './server.mjs';

export const SCREENSHOTS_DIR = path.join(END2END_DIR, 'screenshots');

const DEFAULT_TEST_TIMEOUT_MS = 120_000;
/** Time kept back from a test's budget to take screenshots and print logs after a timeout. */
const REPORT_MARGIN_MS = 15_000;

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the server and browser for the test file that calls it (once, at top level).
 * @param {string} label names the file's log and screenshots
 */
export function suite(label) {
  let server;
  let browser;

  before(async () => {
    server = await startParley(label);
    browser = await newBrowser();
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  }, { timeout: 60_000 });

  /**
   * A browser test. `fn` receives { url, page, context, newSession, server, t }:
   * `page` lives in a fresh profile; `newSession()` opens another profile (another person) and
   * returns { context, page }. Profiles are closed after the test.
   */
  function test(name, fn, { timeout = DEFAULT_TEST_TIMEOUT_MS } = {}) {
    nodeTest(name, { timeout }, async (t) => {
      const logStart = server.logSize();
      const contexts = [];
      const consoleLines = [];
      const newSession = async () => {
        const context = await newContext(browser);
        contexts.push(context);
        const index = contexts.length;
        context.on('page', (p) => watchConsole(p, index));
        const page = await context.newPage();
        watchConsole(page, index);
        return { context, page };
      };
      const watchedPages = new WeakSet();
      function watchConsole(p, index) {
        if (watchedPages.has(p)) return;
        watchedPages.add(p);
        p.on('console', (msg) => {
          if (msg.type() === 'error' || msg.type() === 'warning') {
            consoleLines.push(`[session ${index}] console.${msg.type()}: ${msg.text()}`);
          }
        });
        p.on('pageerror', (err) => consoleLines.push(`[session ${index}] page error: ${err.message}`));
      }

      try {
        const { context, page } = await newSession();
        await withDeadline(
          Promise.resolve().then(() => fn({ url: server.url, page, context, newSession, server, t })),
          Math.max(timeout - REPORT_MARGIN_MS, 5_000),
          `test "${name}"`,
        );
      } catch (err) {
        const shots = await screenshots(label, name, contexts);
        const report = [
          `---- ${label} › ${name} failed`,
          shots.length ? `screenshots: ${shots.join(', ')}` : 'screenshots: none (no open page)',
          `server log (${server.logFile}), lines written during the test:`,
          server.readLog(logStart).trimEnd() || '(nothing)',
          'browser console errors:',
          consoleLines.join('\n') || '(none)',
          '----',
        ].join('\n');
        process.stderr.write(`${report}\n`);
        t.diagnostic(`screenshots: ${shots.join(', ') || 'none'}; server log: ${server.logFile}`);
        throw err;
      } finally {
        await Promise.all(contexts.map((c) => c.close().catch(() => {})));
      }
    });
  }

  return {
    test,
    get url() {
      return server.url;
    },
  };
}

async function screenshots(label, name, contexts) {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const base = `${slug(label)}--${slug(name)}`;
  const pages = contexts.flatMap((c) => c.pages()).filter((p) => !p.isClosed());
  const files = [];
  for (const [i, p] of pages.entries()) {
    const file = path.join(SCREENSHOTS_DIR, i === 0 ? `${base}.png` : `${base}-${i + 1}.png`);
    try {
      await p.screenshot({ path: file, fullPage: true, timeout: 10_000 });
      files.push(path.relative(process.cwd(), file));
    } catch {
      // A page that cannot be captured (crashed, closing) is skipped.
    }
  }
  return files;
}
