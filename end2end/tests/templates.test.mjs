// Templates in the inbox: outside the customer-service window the composer offers only the
// channel's approved templates (the demo business's, reviewed by the sandbox and synced); the agent
// fills one in, sees it as the customer will, and sends it; the customer's phone shows it filled in.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { query } from '../support/server.mjs';
import { customerChat, customerWrites as writes, openConversation as openCustomerConversation } from '../support/customers.mjs';
import { AGENT_TAB, DEMO_AGENT, eventually, expectText, login } from '../support/app.mjs';

const { test } = suite('templates');

/** The customer sends a text. */
const customerWrites = (server, waId, name, body) => writes(server, waId, name, { type: 'text', text: { body } });

/** The seed submits the demo templates; the sandbox approves them and says so by webhook, and
 * each webhook gets the channel's templates synced. */
async function demoTemplatesApproved(server) {
  await eventually(() => {
    assert.equal(query(server.databaseUrl, "SELECT count(*) FROM templates WHERE status = 'APPROVED'"), '3');
  }, { timeout: 60_000 });
}

/** The agent logs in and opens the customer's conversation. */
async function openConversation(page, url, name) {
  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await openCustomerConversation(page, url, name);
}

test('outside the 24-hour window an agent sends an approved template, filled in and previewed', async ({ url, page, server }) => {
  await demoTemplatesApproved(server);

  const waId = '4915755577777';
  await customerWrites(server, waId, 'Wera Window', 'Any news about my order?');
  await eventually(() => {
    assert.equal(query(server.databaseUrl, `SELECT count(*) FROM contacts WHERE wa_id = '${waId}'`), '1');
  }, { timeout: 20_000 });
  // The customer's last message, as Parley knows it, was 30 hours ago: the window is closed.
  query(server.databaseUrl, `UPDATE conversations SET last_inbound_at = now() - interval '30 hours'
    WHERE contact_id = (SELECT id FROM contacts WHERE wa_id = '${waId}')`);

  await openConversation(page, url, 'Wera Window');

  await expectText(page.getByTestId('window-status'), 'closed');
  await expectText(page.getByTestId('window-closed'), 'only lets you send an approved template');
  assert.equal(await page.getByLabel('Message', { exact: true }).count(), 0, 'no free text outside the window');

  // The picker: searchable by name, with language and category.
  const options = page.getByTestId('template-option');
  await eventually(async () => assert.equal(await options.count(), 3));
  await page.getByLabel('Search templates by name').fill('order');
  await eventually(async () => assert.equal(await options.count(), 1));
  await expectText(options.first(), 'en_US · utility');
  await options.first().click();

  // Sending with nothing filled in says, per field, what is missing.
  await page.getByRole('button', { name: 'Send template' }).click();
  await expectText(page.locator('#template-field-body-1-error'), 'Fill in Body {{1}}');
  await expectText(page.locator('#template-field-header-1-error'), 'Fill in Header {{1}}');

  await page.getByLabel('Header {{1}}').fill('#2001');
  await page.getByLabel('Body {{1}}').fill('Wera');
  await page.getByLabel('Body {{2}}').fill('#2001');
  await page.getByLabel('Body {{3}}').fill('Monday');
  assert.equal((await page.locator('#template-field-body-1-error').innerText()).trim(), '', 'the error clears as the field is filled');
  const preview = page.getByTestId('template-preview');
  await expectText(preview, 'Order #2001');
  await expectText(preview, 'Hi Wera, your order #2001 is on its way and should arrive on Monday.');
  await expectText(preview, 'Where is it?');
  await page.getByRole('button', { name: 'Send template' }).click();

  const bubble = page.getByTestId('message').filter({ hasText: 'Hi Wera, your order #2001' });
  await bubble.waitFor({ timeout: 20_000 });
  await expectText(bubble, 'Template · order_update');
  await eventually(async () => {
    const status = await bubble.locator('.ticks').getAttribute('data-status');
    assert.ok(['sent', 'delivered', 'read'].includes(status), `status ${status}`);
  }, { timeout: 30_000 });

  await eventually(async () => {
    const chat = await customerChat(server, waId);
    const template = chat.find((m) => m.direction === 'outbound' && m.type === 'template');
    assert.ok(template, JSON.stringify(chat));
    assert.equal(template.rendered.header.text, 'Order #2001');
    assert.equal(template.rendered.body, 'Hi Wera, your order #2001 is on its way and should arrive on Monday.');
  }, { timeout: 20_000 });
});

test('while the window is open, templates are one click away and prefilled from the contact', async ({ url, page, server }) => {
  await demoTemplatesApproved(server);
  const waId = '4915755588888';
  await customerWrites(server, waId, 'Otto Open', 'Hello!');

  await openConversation(page, url, 'Otto Open');

  await page.getByLabel('Message', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Template', exact: true }).click();
  await page.getByRole('button', { name: 'Refresh templates' }).click();
  await expectText(page.getByTestId('template-sync-result'), '3 templates, 3 approved');
  await page.getByTestId('template-option').filter({ hasText: 'welcome' }).click();
  assert.equal(await page.getByLabel('Body {{first_name}}').inputValue(), 'Otto');
  await expectText(page.getByTestId('template-preview'), 'Hello Otto, welcome to Demo Company!');
  await page.getByRole('button', { name: 'Send template' }).click();
  await page.getByTestId('message').filter({ hasText: 'Hello Otto, welcome' }).waitFor({ timeout: 20_000 });
  assert.equal(await page.getByTestId('template-picker').count(), 0, 'the picker closes once sent');
});
