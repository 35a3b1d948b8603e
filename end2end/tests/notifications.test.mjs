// The notification center and handing conversations over: the owner assigns a customer's
// conversation to an agent with a note; the agent, on another page, is told live (badge, tab
// title), opens it from the notification, and hears of the customer's next message. The list
// narrows by team and by channel.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { customerWrites as writes, demoChannelSubscribed, openConversation } from '../support/customers.mjs';
import { AGENT_TAB, DEMO_AGENT, DEMO_OWNER, eventually, expectText, login } from '../support/app.mjs';

const { test } = suite('notifications');

/** The customer sends a text. */
const customerWrites = (server, waId, name, body) => writes(server, waId, name, { type: 'text', text: { body } });

const badge = (page) => page.getByTestId('notification-badge');

test('an agent is told live of a conversation handed to them, with the note, and of the customer writing', async ({ url, page, server, newSession }) => {
  await demoChannelSubscribed(server);
  const waId = '4915755577777';
  await customerWrites(server, waId, 'Nora Notify', 'Can someone call me back?');

  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  const bell = page.getByRole('button', { name: /^Notifications/ });
  await bell.waitFor();
  assert.equal(await badge(page).count(), 0);
  await bell.click();
  await page.getByText('Nothing yet.').waitFor();
  await bell.click();

  const { page: owner } = await newSession();
  await login(owner, url, DEMO_OWNER);
  await openConversation(owner, url, 'Nora Notify');
  await owner.getByRole('button', { name: 'Assign…' }).click();
  const dialog = owner.getByRole('dialog', { name: 'Assign this conversation' });
  await dialog.getByLabel('Assign to').selectOption({ label: 'Andre Agent' });
  await dialog.getByLabel('Note for them (optional)').fill('Wants a call back about the refund');
  await dialog.getByRole('button', { name: 'Assign', exact: true }).click();
  await expectText(owner.getByTestId('assignment'), 'Andre Agent has this conversation');
  await expectText(owner.getByTestId('transfer-note'), 'Olivia Owner: “Wants a call back about the refund”');

  // The agent, still on the dashboard, sees the badge and the tab title change.
  await expectText(badge(page), '1', { timeout: 20_000 });
  await eventually(async () => assert.match(await page.title(), /^\(1\) Parley/));
  await bell.click();
  const item = page.getByTestId('notification').first();
  await expectText(item, 'Olivia Owner assigned you the conversation with Nora Notify');
  await expectText(item, 'Wants a call back about the refund');
  await item.click();
  await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name: 'Nora Notify' }).waitFor();
  await expectText(page.getByTestId('assignment'), 'You have this conversation');
  await eventually(async () => assert.equal(await badge(page).count(), 0));
  await eventually(async () => assert.equal(await page.title(), 'Parley'));

  // Away from the conversation, the customer writes again: the assignee is told.
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await customerWrites(server, waId, 'Nora Notify', 'Are you there?');
  await expectText(badge(page), '1', { timeout: 20_000 });
  await bell.click();
  await expectText(page.getByTestId('notification').first(), 'New message from Nora Notify');
  await page.getByRole('button', { name: 'Mark all as read' }).click();
  await eventually(async () => assert.equal(await badge(page).count(), 0));

  // Handed to the Support team: the list narrows to the team, and to the channel.
  await owner.getByRole('button', { name: 'Assign…' }).click();
  await dialog.getByLabel('Assign to').selectOption({ label: 'Support' });
  await dialog.getByRole('button', { name: 'Assign', exact: true }).click();
  await expectText(owner.getByTestId('assignment'), 'Team Support has this conversation');
  await owner.getByRole('tab', { name: 'All' }).first().click();
  await owner.getByLabel('Team').selectOption({ label: 'Support' });
  await eventually(async () => {
    const rows = owner.getByTestId('conversation');
    assert.equal(await rows.count(), 1);
    await expectText(rows.first(), 'Nora Notify', { timeout: 2_000 });
  });
  await owner.getByLabel('Channel').selectOption({ label: 'Demo Company WhatsApp' });
  await expectText(owner.getByTestId('conversation').first(), 'Support');
});
