// Quick replies: an owner writes the team's canned answers on their page; in a conversation,
// typing /ship offers them, the keyboard picks one, and its text lands in the composer to be
// edited before it is sent.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { customerWrites, demoChannelSubscribed, openConversation } from '../support/customers.mjs';
import { DEMO_OWNER, OWNER_TAB, eventually, expectFieldError, expectText, expectValue, followSidebarLink, login } from '../support/app.mjs';

const { test } = suite('quick-replies');

test('a quick reply made on its page is picked with the keyboard, edited and sent', async ({ url, page, server }) => {
  await demoChannelSubscribed(server);
  await customerWrites(server, '4915755520001', 'Quinn Quick', { type: 'text', text: { body: 'Where is my parcel?' } });

  await login(page, url, { ...DEMO_OWNER, tab: OWNER_TAB });
  await followSidebarLink(page, 'Quick replies');
  await page.getByTestId('quick-replies-empty').waitFor();

  // The form checks the shortcut as the server does, and a duplicate is refused on its field.
  const create = page.getByRole('button', { name: 'Create quick reply' });
  await page.getByLabel('Shortcut', { exact: true }).fill('ship it');
  await page.getByLabel('Text', { exact: true }).fill('Your parcel ships today.');
  await create.click();
  await expectFieldError(page, 'Shortcut', 'Shortcut may contain only letters, digits, - and _ (no spaces)');
  await page.getByLabel('Shortcut', { exact: true }).fill('/ship');
  await create.click();
  await expectText(page.getByRole('status'), 'The quick reply /ship was created.');
  await page.getByLabel('Shortcut', { exact: true }).fill('hours');
  await page.getByLabel('Text', { exact: true }).fill('We are open from 9 to 5.');
  await create.click();
  await expectText(page.getByTestId('quick-reply').nth(1), '/ship');
  await page.getByLabel('Shortcut', { exact: true }).fill('SHIP');
  await page.getByLabel('Text', { exact: true }).fill('Shouting');
  await create.click();
  await expectFieldError(page, 'Shortcut', '/SHIP is already used by another quick reply');
  await page.getByLabel('Search quick replies').fill('9 to 5');
  await eventually(async () => assert.equal(await page.getByTestId('quick-reply').count(), 1));
  await expectText(page.getByTestId('quick-reply').first(), '/hours');

  // In the conversation: "/" opens the menu, typing narrows it, the keyboard picks.
  await openConversation(page, url, 'Quinn Quick');
  const composer = page.getByLabel('Message', { exact: true });
  await composer.click();
  await composer.pressSequentially('Hi! /');
  const options = page.getByTestId('quick-reply-option');
  await eventually(async () => assert.equal(await options.count(), 2));
  await expectText(options.first(), '/hours');
  await composer.pressSequentially('shi');
  await eventually(async () => assert.equal(await options.count(), 1));
  await expectText(options.first(), '/ship');
  await composer.press('ArrowDown');
  await composer.press('ArrowUp');
  await composer.press('Enter');
  await expectValue(composer, 'Hi! Your parcel ships today.');
  assert.equal(await options.count(), 0, 'the menu closed');
  assert.equal(await page.getByTestId('message').filter({ hasText: 'Your parcel ships today' }).count(), 0, 'not sent yet');

  // Escape closes the menu and leaves the text as typed.
  await composer.pressSequentially(' /ho');
  await options.first().waitFor();
  await composer.press('Escape');
  assert.equal(await options.count(), 0);
  await composer.press('Backspace');
  await composer.press('Backspace');
  await composer.press('Backspace');
  await composer.pressSequentially('See you!');
  await expectValue(composer, 'Hi! Your parcel ships today. See you!');
  await composer.press('Enter');
  await expectText(page.getByTestId('message').last(), 'Hi! Your parcel ships today. See you!', { timeout: 20_000 });
});
