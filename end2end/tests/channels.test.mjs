// WhatsApp channels: an owner connects a number of the Cloud API sandbox (as they would one of
// Meta's), validates and subscribes it; a customer writes from the sandbox's phone simulator and
// the message is stored by Parley.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { query } from '../support/server.mjs';
import {
  AGENT_TAB,
  DEMO_AGENT,
  eventually,
  expectText,
  followSidebarLink,
  login,
  register,
  sidebar,
  unique,
} from '../support/app.mjs';

const { test } = suite('channels');

/** A test business at the sandbox, as Meta's developer dashboard hands one out. */
async function sandboxBusiness(sandboxUrl) {
  const digits = String(Date.now()).slice(-9);
  const business = {
    phone_number_id: `1${digits}`,
    waba_id: `2${digits}`,
    app_id: `3${digits}`,
    app_secret: `app-secret-${unique()}`,
    access_token: `access-token-${unique()}`,
    display_phone_number: '+1 555-010-7777',
    verified_name: 'E2E Shop',
  };
  const { phone_number_id: id, ...body } = business;
  const res = await fetch(`${sandboxUrl}/sandbox/businesses/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(res.ok, `sandbox refused the business: ${res.status} ${await res.text()}`);
  return business;
}

test('an owner connects, validates and subscribes a channel; a customer message arrives', async ({ url, page, server, newSession }) => {
  const business = await sandboxBusiness(server.sandboxUrl);
  const u = unique();
  await register(page, url, { name: 'Chana Channel', email: `chana-${u}@shop.example`, password: 'a long enough password', organization: `Shop ${u}` });

  await followSidebarLink(page, 'WhatsApp channels');
  await page.getByRole('heading', { name: 'No WhatsApp number connected yet' }).waitFor();
  await page.getByRole('button', { name: 'Add channel' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name', { exact: true }).fill('Shop WhatsApp');
  await dialog.getByRole('button', { name: 'Add channel' }).click();

  const card = page.locator('[data-testid="channel"]', { hasText: 'Shop WhatsApp' });
  await expectText(card.getByTestId('channel-status'), 'Pending');
  await expectText(page.getByRole('status').first(), 'shown only once');
  const callbackUrl = await card.getByLabel('Callback URL', { exact: true }).inputValue();
  assert.match(callbackUrl, new RegExp(`^${url}/webhooks/whatsapp/[A-Za-z0-9_-]+$`));

  // Validating with fields missing says which.
  await card.getByRole('button', { name: 'Validate & Update' }).click();
  await expectText(card.getByTestId('channel-status-message'), 'Fill in the');

  // A wrong access token: Invalid, with Meta's (the sandbox's) message.
  await card.getByLabel('Phone number id', { exact: true }).fill(business.phone_number_id);
  await card.getByLabel('WhatsApp Business Account id', { exact: true }).fill(business.waba_id);
  await card.getByLabel('App id', { exact: true }).fill(business.app_id);
  await card.getByLabel('App secret', { exact: true }).fill(business.app_secret);
  await card.getByLabel('Access token', { exact: true }).fill('not-the-right-token');
  await card.getByLabel('Graph API base URL', { exact: true }).fill(`${server.sandboxUrl}/v21.0`);
  await card.getByRole('button', { name: 'Save', exact: true }).click();
  await expectText(page.getByRole('status').first(), 'settings saved');
  await card.getByRole('button', { name: 'Validate & Update' }).click();
  await expectText(card.getByTestId('channel-status'), 'Invalid');
  await expectText(card.getByTestId('channel-status-message'), '190');

  // The right token: Good, then Subscribed.
  await card.getByLabel('Access token', { exact: true }).fill(business.access_token);
  await card.getByRole('button', { name: 'Save', exact: true }).click();
  await expectText(card.getByTestId('channel-status'), 'Pending');
  await card.getByRole('button', { name: 'Validate & Update' }).click();
  await expectText(card.getByTestId('channel-status'), 'Good');
  await expectText(card, business.display_phone_number);
  await card.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await card.getByTestId('channel-subscribed').waitFor();

  // Secrets never come back to the browser, not even after a reload.
  await page.reload();
  const html = await page.content();
  assert.ok(!html.includes(business.app_secret), 'the app secret reached the browser');
  assert.ok(!html.includes(business.access_token), 'the access token reached the browser');
  await expectText(page.locator('[data-testid="channel"]', { hasText: 'Shop WhatsApp' }), 'Subscribed');

  // A customer writes from the phone simulator.
  const { page: phone } = await newSession();
  await phone.goto(`${server.sandboxUrl}/simulator`);
  await phone.locator('#business').selectOption(business.phone_number_id);
  await phone.locator('#customer').fill('+49 151 2345 6789');
  await phone.locator('#profile-name').fill('Erika Kundin');
  await phone.locator('#composer').fill('hello');
  await phone.locator('#send').click();
  await phone.locator('.bubble.out', { hasText: 'hello' }).waitFor();

  await eventually(() => {
    const rows = query(server.databaseUrl, `
      SELECT c.profile_name, m.direction
      FROM messages m JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id
      WHERE m.body = 'hello'`);
    assert.equal(rows, 'Erika Kundin|inbound');
  }, { timeout: 20_000 });
});

test('an agent does not see channel settings', async ({ url, page }) => {
  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  assert.equal(await sidebar(page).getByRole('link', { name: 'WhatsApp channels' }).count(), 0);
  await page.goto(`${url}/settings/channels`);
  await page.getByText('You do not have permission').first().waitFor();
});
