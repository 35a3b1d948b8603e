// The customer's side, through the Cloud API sandbox: a customer writes to the demo business,
// and what their phone shows of the chat.

import assert from 'node:assert/strict';
import { query } from './server.mjs';
import { eventually } from './app.mjs';

export const DEMO_PHONE_NUMBER_ID = '109876543210001';

/** Waits until `run` has connected the demo channel to the sandbox (it does so just after start). */
export async function demoChannelSubscribed(server) {
  await eventually(() => {
    assert.equal(query(server.databaseUrl, "SELECT subscribed FROM channels WHERE name = 'Demo Company WhatsApp'"), 't');
  }, { timeout: 30_000 });
}

/** A customer writes to the demo business from the sandbox; returns the message's wamid. */
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

/** What the customer's phone shows of their chat with the demo business. */
export async function customerChat(server, waId) {
  const res = await fetch(`${server.sandboxUrl}/sandbox/customers/${waId}/messages?phone_number_id=${DEMO_PHONE_NUMBER_ID}`);
  assert.ok(res.ok, `sandbox chat: ${res.status}`);
  return (await res.json()).messages;
}
