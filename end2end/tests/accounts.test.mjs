// Getting in and out: registration, logging out, the two login tabs, and the login form's checks.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import {
  AGENT_TAB,
  DEMO_AGENT,
  DEMO_ORGANIZATION,
  DEMO_OWNER,
  OWNER_TAB,
  expectFieldError,
  expectText,
  login,
  logout,
  open,
  organizationSwitcher,
  pathOf,
  register,
  submitLogin,
  unique,
  watchServerCalls,
} from '../support/app.mjs';

const { test } = suite('accounts');

test('registering creates the owner and the organization and lands on the dashboard', async ({ url, page }) => {
  const id = unique();
  await register(page, url, {
    name: 'Ana Lima',
    email: `ana-${id}@example.com`,
    password: 'correct horse battery',
    organization: `Acme ${id}`,
  });

  assert.equal(pathOf(page), '/');
  await page.getByRole('heading', { name: 'Welcome, Ana' }).waitFor();
  await expectText(organizationSwitcher(page), `Acme ${id}`);
  // The owner of a new organization can manage it.
  await page.getByRole('link', { name: 'Team members', exact: true }).waitFor();
});

test('logging out returns to the login page and the app is closed afterwards', async ({ url, page }) => {
  const id = unique();
  await register(page, url, {
    name: 'Bruno Costa',
    email: `bruno-${id}@example.com`,
    password: 'correct horse battery',
    organization: `Bruno's shop ${id}`,
  });

  await logout(page, url, 'Bruno Costa');
  assert.equal(pathOf(page), '/login');
  await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();

  await page.goto(`${url}/`);
  await page.waitForURL(`${url}/login`);
  await page.getByRole('tab', { name: OWNER_TAB }).waitFor();
});

test('the demo owner logs in through the owner / admin tab', async ({ url, page }) => {
  await login(page, url, { ...DEMO_OWNER, tab: OWNER_TAB });
  assert.equal(pathOf(page), '/');
  await expectText(organizationSwitcher(page), DEMO_ORGANIZATION);
});

test('the owner on the agent tab is pointed to the owner / admin tab', async ({ url, page }) => {
  await submitLogin(page, url, { ...DEMO_OWNER, tab: AGENT_TAB });
  const alert = page.getByRole('alert').filter({ hasText: OWNER_TAB });
  await alert.waitFor();
  await expectText(alert, `Use the \u201c${OWNER_TAB}\u201d tab`);
  assert.equal(pathOf(page), '/login');
});

test('the agent on the owner / admin tab is pointed to the agent tab', async ({ url, page }) => {
  await submitLogin(page, url, { ...DEMO_AGENT, tab: OWNER_TAB });
  const alert = page.getByRole('alert').filter({ hasText: AGENT_TAB });
  await alert.waitFor();
  await expectText(alert, `Use the \u201c${AGENT_TAB}\u201d tab`);
  assert.equal(pathOf(page), '/login');
});

test('a wrong password is refused with a clear message', async ({ url, page }) => {
  await submitLogin(page, url, { email: DEMO_OWNER.email, password: 'not-the-password', tab: OWNER_TAB });
  const alert = page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' });
  await alert.waitFor();
  assert.equal(pathOf(page), '/login');
});

test('an invalid email is caught in the browser, beside the field, without a request', async ({ url, page }) => {
  await open(page, url, '/login');
  const calls = watchServerCalls(page);
  await page.getByLabel('Email', { exact: true }).fill('not-an-email');
  await page.getByLabel('Password', { exact: true }).fill('whatever-it-is');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();

  await expectFieldError(page, 'Email', 'Enter a valid email address, like name@example.com');
  // The password was fine: no error beside it.
  assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'false');
  // Give a request that should not exist a moment to show up.
  await page.waitForTimeout(500);
  calls.stop();
  assert.deepEqual(calls.calls.map((c) => c.path), []);
  assert.equal(pathOf(page), '/login');
});
