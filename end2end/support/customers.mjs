// Customers of the demo organization, played through the Cloud API sandbox: they write to the
// demo business's number, and the webhook brings their messages into Parley's inbox.

import assert from 'node:assert/strict';
import { eventually } from './app.mjs';
import { query } from './server.mjs';

export const DEMO_PHONE_NUMBER_ID = '109876543210001';

/** Waits until `run` has connected the demo channel to the sandbox (it does so just after start). */
export async function demoChannelSubscribed(server) {
  await eventually(() => {
    assert.equal(query(server.databaseUrl, "SELECT subscribed FROM channels WHERE name = 'Demo Company WhatsApp'"), 't');
  }, { timeout: 30_000 });
}

/** A customer writes to the demo business from the sandbox. */
export async function customerWrites(server, waId, profileName, message) {
  const res = await fetch(`${server.sandboxUrl}/sandbox/customers/${waId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone_number_id: DEMO_PHONE_NUMBER_ID, profile_name: profileName, message }),
  });
  const text = await res.text();
  assert.ok(res.ok, `sandbox refused the customer's message: ${res.status} ${text}`);
  return JSON.parse(text).wamid;
}

/** Opens the inbox and the conversation whose row shows `name`, refreshing until it arrives. */
export async function openConversation(page, url, name) {
  await page.goto(`${url}/inbox`);
  const row = page.getByTestId('conversation').filter({ hasText: name });
  await eventually(async () => {
    await page.getByRole('button', { name: 'Refresh conversations' }).click();
    await row.waitFor({ timeout: 2_000 });
  }, { timeout: 20_000 });
  await row.click();
  await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name }).waitFor();
  // Opening marks the conversation read, which redraws the thread once: let that settle before
  // typing into it.
  await page.waitForTimeout(1_000);
}

/** What the customer's phone shows of their chat with the demo business. */
export async function customerChat(server, waId) {
  const res = await fetch(`${server.sandboxUrl}/sandbox/customers/${waId}/messages?phone_number_id=${DEMO_PHONE_NUMBER_ID}`);
  assert.ok(res.ok, `sandbox chat: ${res.status}`);
  return (await res.json()).messages;
}
