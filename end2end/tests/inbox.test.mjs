// The live team inbox: customers write from the Cloud API sandbox to the demo organization's
// number; agents find the conversation, read the thread, and reply.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { query } from '../support/server.mjs';
import { AGENT_TAB, DEMO_AGENT, eventually, expectText, followSidebarLink, login } from '../support/app.mjs';

const { test } = suite('inbox');

const DEMO_PHONE_NUMBER_ID = '109876543210001';

/** Waits until `run` has connected the demo channel to the sandbox (it does so just after start). */
async function demoChannelSubscribed(server) {
  await eventually(() => {
    assert.equal(query(server.databaseUrl, "SELECT subscribed FROM channels WHERE name = 'Demo Company WhatsApp'"), 't');
  }, { timeout: 30_000 });
}

/** A customer writes to the demo business from the sandbox. */
async function customerWrites(server, waId, profileName, message) {
  const res = await fetch(`${server.sandboxUrl}/sandbox/customers/${waId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone_number_id: DEMO_PHONE_NUMBER_ID, profile_name: profileName, message }),
  });
  const text = await res.text();
  assert.ok(res.ok, `sandbox refused the customer's message: ${res.status} ${text}`);
  return JSON.parse(text).wamid;
}

test('a customer message reaches the inbox; the agent opens the thread', async ({ url, page, server }) => {
  await demoChannelSubscribed(server);
  await customerWrites(server, '4915755512345', 'Ines Inbox', { type: 'text', text: { body: 'Is my *order* ready?' } });
  await customerWrites(server, '4915755512345', 'Ines Inbox', {
    type: 'location',
    location: { latitude: 52.52, longitude: 13.405, name: 'Alexanderplatz' },
  });

  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await followSidebarLink(page, 'Inbox');
  const row = page.getByTestId('conversation').filter({ hasText: 'Ines Inbox' });
  await eventually(async () => {
    await page.getByRole('button', { name: 'Refresh conversations' }).click();
    await expectText(row, 'Location: Alexanderplatz', { timeout: 2_000 });
  }, { timeout: 20_000 });
  await expectText(row, '2');

  await row.click();
  await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name: 'Ines Inbox' }).waitFor();
  const messages = page.getByTestId('message');
  await expectText(messages.first(), 'Is my order ready?');
  assert.equal(await messages.first().locator('.wa-bold').innerText(), 'order');
  await expectText(messages.nth(1), 'Alexanderplatz');
  assert.match(await messages.nth(1).getByRole('link', { name: 'Open the map' }).getAttribute('href'), /mlat=52.52/);
  await expectText(page.getByTestId('window-status'), 'left');

  // Filters and search.
  await page.getByRole('tab', { name: 'Resolved' }).click();
  await page.getByText('No conversations here yet').waitFor();
  await page.getByRole('tab', { name: 'All' }).click();
  await page.getByLabel('Search conversations').fill('alexanderplatz');
  await page.getByLabel('Search conversations').press('Enter');
  await expectText(page.getByTestId('conversation').first(), 'Ines Inbox');
  await page.getByLabel('Search conversations').fill('nothing like this');
  await page.getByLabel('Search conversations').press('Enter');
  await page.getByText('No conversation matches this search.').waitFor();
});
