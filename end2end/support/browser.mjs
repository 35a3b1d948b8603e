// The system Chromium through playwright-core, and the one way every test waits for the page to
// come alive (hydration).

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';

/** Bounds for every browser action; a test never waits longer than these for one step. */
export const ACTION_TIMEOUT_MS = 15_000;
export const NAVIGATION_TIMEOUT_MS = 30_000;
export const HYDRATION_TIMEOUT_MS = 30_000;

export function newBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/**
 * Runs in every document before its own scripts. Leptos hydrates with
 * `init(wasm).then(() => hydrate())`: the WASM module is instantiated, then `hydrate()` runs
 * synchronously in the microtasks that follow. A task queued when instantiation resolves runs
 * after those microtasks, so when it sets the flag, hydration has happened.
 */
function hydrationProbe() {
  window.__e2eHydrated = false;
  window.__e2eHydrationError = null;
  // Loading the app's JS or WASM failed (a 404, a panic during start-up): no point waiting.
  const failed = (what) => {
    if (!window.__e2eHydrated && !window.__e2eHydrationError) window.__e2eHydrationError = String(what);
  };
  window.addEventListener('error', (e) => failed(e.message || e.error || 'error'));
  window.addEventListener('unhandledrejection', (e) => failed((e.reason && e.reason.message) || e.reason));
  const wrap = (original) =>
    async function (...args) {
      const result = await original.apply(this, args);
      setTimeout(() => {
        window.__e2eHydrated = true;
      }, 0);
      return result;
    };
  if (typeof WebAssembly !== 'undefined') {
    if (WebAssembly.instantiateStreaming) {
      WebAssembly.instantiateStreaming = wrap(WebAssembly.instantiateStreaming);
    }
    WebAssembly.instantiate = wrap(WebAssembly.instantiate);
  }
}

/** A fresh, isolated browser profile (cookies, storage) with the hydration probe installed. */
export async function newContext(browser) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  await context.addInitScript(hydrationProbe);
  return context;
}

/**
 * Waits until the current document has loaded, its WASM has been instantiated and Leptos has
 * hydrated it, and the network has gone quiet (resources the page loads right after hydration).
 * Before this, clicks land on server-rendered HTML with no handlers behind it.
 */
export async function waitForHydration(page) {
  await page.waitForLoadState('load');
  try {
    await page.waitForFunction(() => window.__e2eHydrated === true || window.__e2eHydrationError !== null, null, {
      timeout: HYDRATION_TIMEOUT_MS,
      polling: 50,
    });
  } catch (err) {
    throw new Error(`${page.url()} did not hydrate within ${HYDRATION_TIMEOUT_MS / 1000} s: ${err.message}`);
  }
  const failure = await page.evaluate(() => (window.__e2eHydrated ? null : window.__e2eHydrationError));
  if (failure) {
    throw new Error(`${page.url()} did not hydrate: ${failure} (is target/site built? run cargo leptos build)`);
  }
  await page.waitForLoadState('networkidle', { timeout: NAVIGATION_TIMEOUT_MS }).catch(() => {});
}

/** Opens `path` of the server at `baseUrl` and waits for hydration. */
export async function open(page, baseUrl, path) {
  const response = await page.goto(new URL(path, baseUrl).toString(), { waitUntil: 'load' });
  await waitForHydration(page);
  return response;
}

/**
 * Runs `action` (e.g. a click) that makes the page leave for a full load of a URL matching
 * `url` (which may be the page's own URL, as after switching organization), and waits until a
 * new document has replaced the current one and hydrated.
 */
export async function navigateBy(page, url, action) {
  await page.evaluate(() => {
    window.__e2eLeaving = true;
  });
  await action();
  await page.waitForFunction(() => window.__e2eLeaving !== true, null, {
    timeout: NAVIGATION_TIMEOUT_MS,
    polling: 50,
  });
  await page.waitForURL(url, { waitUntil: 'load' });
  await waitForHydration(page);
}
