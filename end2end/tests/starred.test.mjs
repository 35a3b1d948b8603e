// Working a conversation beyond plain replies: stars (each agent's own, found again on the
// Starred page), the chatbot switch, quoting a message in a reply, and emoji reactions.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { customerChat, customerWrites, demoChannelSubscribed, openConversation as openCustomerConversation } from '../support/customers.mjs';
import { AGENT_TAB, DEMO_AGENT, eventually, expectText, followSidebarLink, login, open, pathOf } from '../support/app.mjs';

const { test } = suite('starred');

/** Logs the demo agent in and opens the customer's conversation once it has arrived. */
async function openConversation(page, url, name) {
  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await openCustomerConversation(page, url, name);
}

test('an agent stars a customer message and finds it again on the Starred page', async ({ url, page, context, server }) => {
  await demoChannelSubscribed(server);
  const waId = '4915755524680';
  await customerWrites(server, waId, 'Stella Star', { type: 'text', text: { body: 'My order number is 4711' } });
  await customerWrites(server, waId, 'Stella Star', { type: 'text', text: { body: 'Thanks!' } });
  await openConversation(page, url, 'Stella Star');

  // The same conversation in a second tab of the same agent.
  const otherTab = await context.newPage();
  await open(otherTab, url, pathOf(page));
  const starIn = (p) => p.getByTestId('message').filter({ hasText: 'My order number is 4711' }).getByRole('button', { name: 'Star' });
  assert.equal(await starIn(otherTab).getAttribute('aria-pressed'), 'false');

  const star = starIn(page);
  assert.equal(await star.getAttribute('aria-pressed'), 'false');
  await star.focus();
  await star.press('Enter');
  await eventually(async () => assert.equal(await star.getAttribute('aria-pressed'), 'true'));
  await eventually(async () => assert.equal(await starIn(otherTab).getAttribute('aria-pressed'), 'true', 'the other tab follows'));
  await otherTab.close();

  await followSidebarLink(page, 'Starred');
  await page.getByRole('heading', { name: 'Starred messages' }).waitFor();
  const item = page.getByTestId('starred-message').filter({ hasText: '4711' });
  await expectText(item, 'Stella Star ▸ You');
  assert.equal(await page.getByTestId('starred-message').count(), 1, 'only the starred message is listed');

  // Filtering by a channel the message is not from leaves the empty state.
  const channels = page.getByLabel('Channel');
  assert.ok((await channels.locator('option').count()) >= 2, 'all channels, then each channel');
  await channels.selectOption({ label: 'Demo Company WhatsApp' });
  await item.waitFor();
  await channels.selectOption({ label: 'All channels' });

  await item.click();
  await page.waitForURL(/\/inbox\/[0-9a-f-]{36}\?message=[0-9a-f-]{36}$/);
  await expectText(page.locator('.bubble-highlight'), 'My order number is 4711');

  // The conversation list narrows to conversations with a starred message.
  await customerWrites(server, '4915755524699', 'Otto Other', { type: 'text', text: { body: 'Hi there' } });
  await page.getByRole('tab', { name: 'All' }).first().click();
  await eventually(async () => {
    await page.getByRole('button', { name: 'Refresh conversations' }).click();
    assert.equal(await page.getByTestId('conversation').count(), 2);
  }, { timeout: 20_000 });
  await page.getByRole('button', { name: '★ Starred' }).click();
  await eventually(async () => {
    const rows = page.getByTestId('conversation');
    assert.equal(await rows.count(), 1);
    await expectText(rows.first(), 'Stella Star', { timeout: 2_000 });
  });
});

test('the agent in control switches the bot; the others see it live and cannot', async ({ url, page, server, newSession }) => {
  await demoChannelSubscribed(server);
  await customerWrites(server, '4915755524681', 'Bruno Bot', { type: 'text', text: { body: 'Hello bot?' } });
  await openConversation(page, url, 'Bruno Bot');
  const { page: owner } = await newSession();
  await login(owner, url, { email: 'owner@demo.parley.test', password: 'parley-demo-owner' });
  await owner.goto(page.url());
  await owner.getByRole('heading', { name: 'Bruno Bot' }).waitFor();

  const toggle = page.getByTestId('bot-toggle');
  await expectText(toggle, 'Bot');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  await toggle.click();
  await eventually(async () => assert.equal(await toggle.getAttribute('aria-pressed'), 'false'));
  await expectText(toggle, 'Bot off');
  const ownersToggle = owner.getByTestId('bot-toggle');
  await eventually(async () => assert.equal(await ownersToggle.getAttribute('aria-pressed'), 'false'), { timeout: 20_000 });

  // Once the agent has the conversation, only they switch the bot.
  await page.getByRole('button', { name: 'Take control' }).click();
  await expectText(page.getByTestId('assignment'), 'You have this conversation');
  await eventually(async () => {
    assert.equal(await ownersToggle.isDisabled(), true);
    assert.match(await ownersToggle.getAttribute('title'), /Andre Agent has control/);
  }, { timeout: 20_000 });
  await toggle.click();
  await eventually(async () => assert.equal(await toggle.getAttribute('aria-pressed'), 'true'));
});

test('an agent replies quoting a message and reacts to one; reactions show under their messages', async ({ url, page, server }) => {
  await demoChannelSubscribed(server);
  const waId = '4915755524682';
  const question = await customerWrites(server, waId, 'Quinn Quote', { type: 'text', text: { body: 'Which size fits?\nI am 1.80 m' } });
  await customerWrites(server, waId, 'Quinn Quote', { type: 'text', text: { body: 'Any colour is fine' } });
  await openConversation(page, url, 'Quinn Quote');
  // Only the original has the second line: a quote shows the first.
  const asked = page.getByTestId('message').filter({ hasText: 'I am 1.80 m' });
  await asked.waitFor();

  // Reply quotes the message; Esc lets go of the quote; Reply again, and send.
  const quote = page.getByTestId('composer-quote');
  await asked.getByRole('button', { name: 'Reply' }).click();
  await expectText(quote, 'Which size fits?');
  const composer = page.getByLabel('Message', { exact: true });
  await composer.press('Escape');
  await quote.waitFor({ state: 'detached' });
  await asked.getByRole('button', { name: 'Reply' }).click();
  await composer.fill('Size M will fit');
  await composer.press('Enter');
  await quote.waitFor({ state: 'detached' });
  const reply = page.getByTestId('message').filter({ hasText: 'Size M will fit' });
  await expectText(reply.locator('.bubble-quote'), 'Quinn Quote');
  await expectText(reply.locator('.bubble-quote'), 'Which size fits?');
  let replyWamid;
  await eventually(async () => {
    const chat = await customerChat(server, waId);
    const sent = chat.find((m) => m.direction === 'outbound' && m.message?.text?.body === 'Size M will fit');
    assert.equal(sent?.message?.context?.message_id, question, JSON.stringify(chat));
    replyWamid = sent.wamid;
  }, { timeout: 20_000 });

  // The quote brings the original into view, highlighted.
  await reply.locator('.bubble-quote').click();
  await expectText(page.locator('.bubble-highlight'), 'Which size fits?');

  // 👍 from the picker on the customer's message, sent to WhatsApp and shown under it. The
  // picker shows while the pointer is over the message; each of the reply's ticks redraws the
  // thread, which would take the picker away between hovering and clicking: let them arrive first.
  await eventually(async () => {
    assert.equal(await reply.locator('.ticks').getAttribute('data-status'), 'read');
  }, { timeout: 30_000 });
  await asked.hover();
  await asked.getByRole('button', { name: 'React with 👍' }).click();
  await expectText(asked.getByTestId('reactions'), '👍', { timeout: 20_000 });
  await eventually(async () => {
    const chat = await customerChat(server, waId);
    assert.ok(chat.some((m) => m.direction === 'outbound' && m.message?.reaction?.emoji === '👍' && m.message.reaction.message_id === question), JSON.stringify(chat));
  }, { timeout: 20_000 });

  // The customer reacts to the reply: it shows under the reply, not as a message of its own.
  await customerWrites(server, waId, 'Quinn Quote', { type: 'reaction', reaction: { message_id: replyWamid, emoji: '❤️' } });
  await expectText(reply.getByTestId('reactions'), '❤️', { timeout: 20_000 });
  assert.equal(await page.locator('[data-kind="reaction"]').count(), 0, 'no reaction bubbles');
});
