// Forgot password: the reset mail lands in the dev mailbox (no SMTP configured), its link sets a
// new password, and the new password works.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import {
  AGENT_TAB,
  DEMO_AGENT,
  expectText,
  followSidebarLink,
  login,
  loginAsOwner,
  open,
  pathOf,
  submitLogin,
} from '../support/app.mjs';

const { test } = suite('passwords');

test('a forgotten password is reset through the link in the dev mailbox', async ({ url, page, newSession }) => {
  // The agent asks for a reset link.
  await open(page, url, '/forgot-password');
  await page.getByLabel('Email', { exact: true }).fill(DEMO_AGENT.email);
  await page.getByRole('button', { name: 'Send reset link', exact: true }).click();
  const sent = page.getByRole('status').filter({ hasText: 'a reset link is on its way' });
  await sent.waitFor();
  await expectText(sent, DEMO_AGENT.email);

  // The owner finds the mail in the dev mailbox.
  const { page: ownerPage } = await newSession();
  await loginAsOwner(ownerPage, url);
  await followSidebarLink(ownerPage, 'Dev mailbox');
  await ownerPage.getByRole('heading', { name: 'Dev mailbox', level: 1 }).waitFor();
  const mail = ownerPage.getByRole('article').filter({ hasText: `To ${DEMO_AGENT.email}` }).filter({ hasText: '/reset-password/' }).first();
  await mail.waitFor();
  const hrefs = await mail.getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  const resetLink = hrefs.find((h) => /\/reset-password\/[^/\s]+$/.test(h ?? ''));
  assert.ok(resetLink, `no /reset-password/<token> link in the mail; links: ${hrefs.join(', ')}`);
  const resetUrl = new URL(resetLink);
  assert.equal(resetUrl.origin, url, 'the link points to this Parley (PARLEY_PUBLIC_URL)');

  // The agent opens the link and chooses a new password.
  const newPassword = 'a-brand-new-password';
  await open(page, url, resetUrl.pathname);
  await expectText(page.locator('main'), `Choose a new password for ${DEMO_AGENT.email}.`);
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByRole('button', { name: 'Save password', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Your password is set. You can log in now.' }).waitFor();

  // The link works once.
  await open(page, url, resetUrl.pathname);
  await page.getByRole('alert').filter({ hasText: /\S/ }).first().waitFor();
  assert.equal(await page.getByLabel('New password', { exact: true }).count(), 0, 'a used link must not offer the form again');

  // The old password no longer works; the new one does.
  await submitLogin(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' }).waitFor();
  assert.equal(pathOf(page), '/login');

  await login(page, url, { email: DEMO_AGENT.email, password: newPassword, tab: AGENT_TAB });
  await page.getByRole('heading', { name: 'Welcome, Andre' }).waitFor();
});
