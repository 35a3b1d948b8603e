// The contact panel beside the thread: the demo agent renames the customer (the list and the
// header follow, in the owner's browser too, live), tags them (the owner's panel follows), writes
// a note, sets a custom field and records their opt-in.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { customerWrites, demoChannelSubscribed, openConversation } from '../support/customers.mjs';
import { AGENT_TAB, DEMO_AGENT, DEMO_OWNER, OWNER_TAB, eventually, expectText, login } from '../support/app.mjs';

const { test } = suite('contacts');

test('an agent edits the contact beside the thread', async ({ url, page, server, newSession }) => {
  await demoChannelSubscribed(server);
  await customerWrites(server, '4915755530001', 'Carla Contact', { type: 'text', text: { body: 'Hello there' } });

  // The owner watches the same conversation from another browser.
  const { page: owner } = await newSession();
  await login(owner, url, { ...DEMO_OWNER, tab: OWNER_TAB });
  await openConversation(owner, url, 'Carla Contact');
  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await openConversation(page, url, 'Carla Contact');
  const panel = page.getByRole('complementary', { name: 'Contact', exact: true });
  await expectText(panel.getByTestId('contact-name'), 'Carla Contact');
  await expectText(panel.getByTestId('contact-number'), '+4915755530001');
  await expectText(panel.getByTestId('contact-history'), '1 conversation · 1 message');

  // Renamed: the header and the conversation list show the new name.
  await panel.getByRole('button', { name: "Edit the contact's name" }).click();
  await panel.getByLabel('Contact name').fill('Carla Customer');
  await panel.getByLabel('Contact name').press('Enter');
  await page.getByRole('heading', { name: 'Carla Customer' }).waitFor();
  await expectText(page.getByTestId('conversation').filter({ hasText: 'Carla Customer' }), 'Hello there');
  await expectText(panel.getByTestId('contact-name'), 'Carla Customer');
  // The owner's list and header follow without reloading.
  await owner.getByRole('heading', { name: 'Carla Customer' }).waitFor({ timeout: 20_000 });
  await expectText(owner.getByTestId('conversation').filter({ hasText: 'Carla Customer' }), 'Hello there');

  // Tags: Enter adds (normalized), × removes.
  const tags = panel.getByTestId('contact-tags');
  await panel.getByLabel('Add a tag').fill('VIP');
  await panel.getByLabel('Add a tag').press('Enter');
  await expectText(tags, 'vip');
  await panel.getByLabel('Add a tag').fill('Wholesale lead');
  await panel.getByLabel('Add a tag').press('Enter');
  await expectText(tags, 'wholesale-lead');
  await panel.getByRole('button', { name: 'Remove the tag vip' }).click();
  await eventually(async () => assert.equal(await tags.locator('li').count(), 1));
  // The owner's panel follows the tags without reloading.
  const ownerPanel = owner.getByRole('complementary', { name: 'Contact', exact: true });
  await expectText(ownerPanel.getByTestId('contact-tags'), 'wholesale-lead', { timeout: 20_000 });

  // A note, signed by the agent.
  await panel.getByLabel('New note').fill('Prefers calls in the morning');
  await panel.getByRole('button', { name: 'Add note' }).click();
  await expectText(panel.getByTestId('contact-notes'), 'Prefers calls in the morning');
  await expectText(panel.getByTestId('contact-notes'), 'Andre Agent');

  // A custom field.
  await panel.getByLabel('Field name').fill('Plan');
  await panel.getByLabel('Value', { exact: true }).fill('Gold');
  await panel.getByRole('button', { name: 'Save field' }).click();
  await expectText(panel.getByTestId('contact-fields'), 'Plan');
  await expectText(panel.getByTestId('contact-fields'), 'Gold');

  // Opt-in, with where it came from.
  await expectText(panel.getByTestId('contact-opt-in'), 'Unknown');
  await panel.getByLabel('Opt-in status').selectOption('opted_in');
  await panel.getByLabel('Source').fill('Asked in chat');
  await panel.getByRole('button', { name: 'Save opt-in' }).click();
  await expectText(panel.getByTestId('contact-opt-in'), 'Opted in');
  await expectText(panel, 'Asked in chat');

  // The note's author deletes it, after confirming.
  await panel.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete note' }).click();
  await panel.getByText('No notes yet.').waitFor();
});
