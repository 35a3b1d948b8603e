// What a person does in Parley, as steps the tests share: log in, register, log out, read a
// field's error. Locators go by role and label, as a person (or a screen reader) finds things.

import assert from 'node:assert/strict';
import { navigateBy, open, waitForHydration } from './browser.mjs';

export const DEMO_ORGANIZATION = 'Demo Company';
export const DEMO_OWNER = { email: 'owner@demo.parley.test', password: 'parley-demo-owner' };
export const DEMO_AGENT = { email: 'agent@demo.parley.test', password: 'parley-demo-agent' };

export const OWNER_TAB = 'Owner / admin login';
export const AGENT_TAB = 'Agent login';

const POLL_TIMEOUT_MS = 15_000;

/** Polls `check` (which throws while unmet) until it passes or `timeout` ms have gone by. */
export async function eventually(check, { timeout = POLL_TIMEOUT_MS, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Waits until `locator`'s text contains `expected` (a string or RegExp). */
export async function expectText(locator, expected, options) {
  await eventually(async () => {
    const text = (await locator.innerText({ timeout: 2_000 })).replace(/\s+/g, ' ').trim();
    if (expected instanceof RegExp) {
      assert.match(text, expected);
    } else {
      assert.ok(text.includes(expected), `expected ${JSON.stringify(text)} to contain ${JSON.stringify(expected)}`);
    }
  }, options);
}

/** Waits until the input's value is `expected`. */
export async function expectValue(locator, expected, options) {
  await eventually(async () => assert.equal(await locator.inputValue({ timeout: 2_000 }), expected), options);
}

/** The path (and query) of the page's URL. */
export function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

/** The sidebar of the signed-in frame. */
export function sidebar(page) {
  return page.getByRole('complementary', { name: 'Main navigation' });
}

/** The button that shows the current organization and opens the switcher. */
export function organizationSwitcher(page) {
  return sidebar(page).getByRole('button', { name: 'Switch organization' });
}

/** The error shown beside the input labelled `label` (via its aria-describedby). */
export function fieldError(scope, label) {
  const input = scope.getByLabel(label, { exact: true });
  return {
    input,
    async text() {
      const id = await input.getAttribute('aria-describedby');
      assert.ok(id, `the field "${label}" has no aria-describedby pointing to its error`);
      const root = 'page' in scope && typeof scope.page === 'function' ? scope.page() : scope;
      return (await root.locator(`[id="${id}"]`).innerText()).trim();
    },
  };
}

/** Waits until the field labelled `label` shows an error matching `expected` and is marked invalid. */
export async function expectFieldError(scope, label, expected) {
  const field = fieldError(scope, label);
  await eventually(async () => {
    const text = await field.text();
    if (expected instanceof RegExp) assert.match(text, expected);
    else assert.equal(text, expected);
    assert.equal(await field.input.getAttribute('aria-invalid'), 'true');
  });
}

/** Collects the server-function calls (POST /api/...) the page makes, while it is watched. */
export function watchServerCalls(page) {
  const calls = [];
  const onRequest = (req) => {
    const u = new URL(req.url());
    if (req.method() === 'POST' && u.pathname.startsWith('/api/')) {
      calls.push({ url: req.url(), path: u.pathname, body: req.postData() ?? '', headers: req.headers() });
    }
  };
  page.on('request', onRequest);
  return { calls, stop: () => page.off('request', onRequest) };
}

/** Opens the login page and fills the form on the chosen tab, without submitting it. */
export async function fillLogin(page, baseUrl, { email, password, tab = OWNER_TAB }) {
  await open(page, baseUrl, '/login');
  const tabButton = page.getByRole('tab', { name: tab, exact: true });
  await tabButton.click();
  await eventually(async () => assert.equal(await tabButton.getAttribute('aria-selected'), 'true'));
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
}

/** Fills the login form on the chosen tab and submits it (no wait for the outcome). */
export async function submitLogin(page, baseUrl, credentials) {
  await fillLogin(page, baseUrl, credentials);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

/** Logs in and waits for the dashboard of the signed-in frame. */
export async function login(page, baseUrl, credentials) {
  await fillLogin(page, baseUrl, credentials);
  await navigateBy(page, `${baseUrl}/`, () => page.getByRole('button', { name: 'Log in', exact: true }).click());
  await page.getByRole('heading', { name: /^Welcome, / }).waitFor();
}

export const loginAsOwner = (page, baseUrl) => login(page, baseUrl, { ...DEMO_OWNER, tab: OWNER_TAB });

/** Registers a new owner and organization; lands on the dashboard. */
export async function register(page, baseUrl, { name, email, password, organization }) {
  await open(page, baseUrl, '/register');
  await page.getByLabel('Your name', { exact: true }).fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Organization name', { exact: true }).fill(organization);
  await navigateBy(page, `${baseUrl}/`, () => page.getByRole('button', { name: 'Create account', exact: true }).click());
  await page.getByRole('heading', { name: /^Welcome, / }).waitFor();
}

/** Opens the user menu (the button named after the signed-in person). */
export async function openUserMenu(page, personName) {
  await page.locator('header').getByRole('button', { name: personName }).click();
  return page.getByRole('menu');
}

/** User menu → Log out; lands on /login. */
export async function logout(page, baseUrl, personName) {
  const menu = await openUserMenu(page, personName);
  await navigateBy(page, `${baseUrl}/login`, () => menu.getByRole('menuitem', { name: 'Log out' }).click());
}

/** Sidebar link → its page, by client-side navigation. */
export async function followSidebarLink(page, name) {
  await sidebar(page).getByRole('link', { name, exact: true }).click();
}

export { open, navigateBy, waitForHydration };

/** A unique-enough suffix for names and emails made in a test. */
export function unique() {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}
