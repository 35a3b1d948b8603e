// Organizations: creating a second one and switching between them; editing the organization's
// profile.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import {
  DEMO_ORGANIZATION,
  expectFieldError,
  expectText,
  expectValue,
  followSidebarLink,
  loginAsOwner,
  navigateBy,
  open,
  openUserMenu,
  organizationSwitcher,
  pathOf,
  register,
  sidebar,
  unique,
  watchServerCalls,
} from '../support/app.mjs';

const { test } = suite('organizations');

test('an owner creates a second organization and switches back to the first', async ({ url, page }) => {
  const second = `Second Org ${unique()}`;
  await loginAsOwner(page, url);
  await expectText(organizationSwitcher(page), DEMO_ORGANIZATION);

  // User menu → Create organization.
  const menu = await openUserMenu(page, 'Olivia Owner');
  await menu.getByRole('menuitem', { name: 'Create organization' }).click();
  await page.waitForURL(`${url}/organizations/new`);
  await page.getByLabel('Organization name', { exact: true }).fill(second);
  await navigateBy(page, `${url}/`, () => page.getByRole('button', { name: 'Create organization', exact: true }).click());

  // The new organization is the current one.
  await page.getByRole('heading', { name: /^Welcome, / }).waitFor();
  await expectText(organizationSwitcher(page), second);

  // Switch back through the organization switcher.
  await organizationSwitcher(page).click();
  const switcherMenu = sidebar(page).getByRole('menu');
  await navigateBy(page, `${url}/`, () => switcherMenu.getByRole('menuitem', { name: DEMO_ORGANIZATION }).click());
  await expectText(organizationSwitcher(page), DEMO_ORGANIZATION);
  assert.equal(pathOf(page), '/');

  // Both organizations stay in the switcher.
  await organizationSwitcher(page).click();
  await sidebar(page).getByRole('menu').getByRole('menuitem', { name: second }).waitFor();
});

test('an owner edits the organization profile and the sidebar follows', async ({ url, page }) => {
  const id = unique();
  await register(page, url, {
    name: 'Carla Dias',
    email: `carla-${id}@example.com`,
    password: 'correct horse battery',
    organization: `Carla Ltd ${id}`,
  });
  await followSidebarLink(page, 'Organization');
  await page.getByRole('heading', { name: 'Organization', level: 1 }).waitFor();
  const name = page.getByLabel('Name', { exact: true });
  const website = page.getByLabel('Website', { exact: true });
  await expectValue(name, `Carla Ltd ${id}`);

  // An invalid website is caught in the browser, beside its field, without a request.
  const calls = watchServerCalls(page);
  await website.fill('not a website');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expectFieldError(page, 'Website', 'Enter a full web address, like https://example.com');
  await page.waitForTimeout(500);
  calls.stop();
  assert.deepEqual(calls.calls.map((c) => c.path), []);

  // A valid change is saved, and the sidebar shows the new name.
  const renamed = `Carla & Co ${id}`;
  await name.fill(renamed);
  await website.fill('https://carla.example.com');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: "The organization's profile is saved." }).waitFor();
  await expectText(organizationSwitcher(page), renamed);
  assert.equal(await page.getByLabel('Website', { exact: true }).getAttribute('aria-invalid'), 'false');

  // It is stored: a fresh load shows it.
  await open(page, url, '/settings/organization');
  await expectValue(page.getByLabel('Name', { exact: true }), renamed);
  await expectValue(page.getByLabel('Website', { exact: true }), 'https://carla.example.com');
  await expectText(organizationSwitcher(page), renamed);
});
