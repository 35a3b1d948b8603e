// The live team inbox: customers write from the Cloud API sandbox to the demo organization's
// number; agents find the conversation, read the thread, and reply.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { customerChat, customerWrites, demoChannelSubscribed, openConversation } from '../support/customers.mjs';
import { AGENT_TAB, DEMO_AGENT, DEMO_OWNER, OWNER_TAB, eventually, expectText, followSidebarLink, login, unique } from '../support/app.mjs';

const { test } = suite('inbox');

test('a customer message reaches the inbox; the agent opens the thread', async ({ url, page, server }) => {
  await demoChannelSubscribed(server);
  await customerWrites(server, '4915755512345', 'Ines Inbox', { type: 'text', text: { body: 'Is my *order* ready?' } });

  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await followSidebarLink(page, 'Inbox');
  const row = page.getByTestId('conversation').filter({ hasText: 'Ines Inbox' });
  await eventually(async () => {
    await page.getByRole('button', { name: 'Refresh conversations' }).click();
    await expectText(row, 'Is my *order* ready?', { timeout: 2_000 });
  }, { timeout: 20_000 });
  // Meta promises no order between webhooks (the sandbox posts queued ones at once), so the
  // second message is written once the first is in: the thread's order is then certain.
  await customerWrites(server, '4915755512345', 'Ines Inbox', {
    type: 'location',
    location: { latitude: 52.52, longitude: 13.405, name: 'Alexanderplatz' },
  });
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
  // By the customer's name, in any letter case, and by part of their number.
  for (const term of ['ines inb', '5512345']) {
    await page.getByLabel('Search conversations').fill(term);
    await page.getByLabel('Search conversations').press('Enter');
    await eventually(async () => {
      assert.equal(await page.getByTestId('conversation').count(), 1, term);
      await expectText(page.getByTestId('conversation').first(), 'Ines Inbox', { timeout: 2_000 });
    });
  }
  await page.getByLabel('Search conversations').fill('nothing like this');
  await page.getByLabel('Search conversations').press('Enter');
  await page.getByText('No conversation matches this search.').waitFor();
});

test('two agents see a customer live; a reply reaches the customer and its ticks turn blue', async ({ url, page, server, newSession }) => {
  await demoChannelSubscribed(server);
  const waId = '4915755599999';
  await customerWrites(server, waId, 'Lara Live', { type: 'text', text: { body: 'Hello, anyone there?' } });

  // Agent A (the demo agent) and B (the owner) both open the conversation.
  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  const { page: owner } = await newSession();
  await login(owner, url, { email: 'owner@demo.parley.test', password: 'parley-demo-owner' });
  for (const p of [page, owner]) {
    await p.goto(`${url}/inbox`);
    const row = p.getByTestId('conversation').filter({ hasText: 'Lara Live' });
    await eventually(async () => {
      await p.getByRole('button', { name: 'Refresh conversations' }).click();
      await row.waitFor({ timeout: 2_000 });
    }, { timeout: 20_000 });
    await row.click();
    await p.getByRole('heading', { name: 'Lara Live' }).waitFor();
  }
  // A, who opened it first, sees that the owner is looking at it too.
  await expectText(page.getByTestId('presence'), 'Olivia Owner is here too', { timeout: 20_000 });

  // The customer writes again: both agents see it without reloading.
  await customerWrites(server, waId, 'Lara Live', { type: 'text', text: { body: 'I need help with my _invoice_' } });
  for (const p of [page, owner]) {
    await expectText(p.getByTestId('message').last(), 'I need help with my invoice', { timeout: 20_000 });
  }

  // Agent A replies with Enter; B sees A typing; the customer's phone receives the reply; the
  // ticks go up to blue.
  const composer = page.getByLabel('Message', { exact: true });
  await composer.pressSequentially('Hi Lara');
  await expectText(owner.getByTestId('typing'), 'Andre Agent is typing…', { timeout: 10_000 });
  assert.equal((await page.getByTestId('typing').innerText()).trim(), '', 'nobody sees themselves typing');
  await composer.fill('Hi Lara, *sure*!');
  await composer.press('Enter');
  const reply = page.getByTestId('message').filter({ hasText: 'Hi Lara, sure!' });
  await reply.waitFor();
  await eventually(async () => {
    const chat = await customerChat(server, waId);
    assert.ok(chat.some((m) => m.direction === 'outbound' && m.message?.text?.body === 'Hi Lara, *sure*!'), JSON.stringify(chat));
  }, { timeout: 20_000 });
  await eventually(async () => {
    assert.equal(await reply.locator('.ticks').getAttribute('data-status'), 'read');
  }, { timeout: 30_000 });
  assert.match(await reply.locator('.ticks').getAttribute('class'), /ticks-read/);
  // The other agent sees the reply too, live.
  await expectText(owner.getByTestId('message').last(), 'Hi Lara, sure!', { timeout: 20_000 });

  // Agent A takes control: the owner sees who has the conversation, live.
  await page.getByRole('button', { name: 'Take control' }).click();
  await expectText(page.getByTestId('assignment'), 'You have this conversation');
  await expectText(owner.getByTestId('assignment'), 'Andre Agent has this conversation', { timeout: 20_000 });
  await page.getByRole('tab', { name: 'Mine' }).click();
  await expectText(page.getByTestId('conversation').first(), 'Lara Live');

  // Resolved, it leaves the open conversations.
  await page.getByLabel('Status of this conversation').selectOption('resolved');
  await owner.getByRole('tab', { name: 'Resolved' }).click();
  await expectText(owner.getByTestId('conversation').first(), 'Lara Live', { timeout: 20_000 });
  await eventually(async () => {
    assert.equal(await page.getByTestId('conversation').filter({ hasText: 'Lara Live' }).count(), 0);
  });
});

test("an agent who does not assign cannot reply while a colleague has the conversation", async ({ url, page, server, newSession }) => {
  await demoChannelSubscribed(server);
  await customerWrites(server, '4915755566666', 'Cora Control', { type: 'text', text: { body: 'Who is helping me?' } });

  // The owner adds a second agent, Bea, with the built-in Agent role (no right to assign).
  const bea = { name: 'Bea Backup', email: `bea-${unique()}@example.com`, password: 'bea-initial-password' };
  const { page: owner } = await newSession();
  await login(owner, url, { ...DEMO_OWNER, tab: OWNER_TAB });
  await followSidebarLink(owner, 'Team members');
  await owner.getByRole('row').filter({ hasText: DEMO_OWNER.email }).waitFor();
  await owner.getByLabel('Name', { exact: true }).fill(bea.name);
  await owner.getByLabel('Email', { exact: true }).fill(bea.email);
  await owner.getByLabel('Role', { exact: true }).selectOption({ label: 'Agent' });
  await owner.getByRole('radio', { name: 'Set an initial password' }).check();
  await owner.getByLabel('Initial password', { exact: true }).fill(bea.password);
  await owner.getByRole('button', { name: 'Add member', exact: true }).click();
  await owner.getByRole('status').filter({ hasText: `${bea.name} was added.` }).waitFor();

  // Andre takes control; Bea, looking at the same conversation, sees who has it and no composer.
  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await openConversation(page, url, 'Cora Control');
  const { page: beaPage } = await newSession();
  await login(beaPage, url, { email: bea.email, password: bea.password, tab: AGENT_TAB });
  await openConversation(beaPage, url, 'Cora Control');
  await expectText(beaPage.getByTestId('assignment'), 'Unassigned');
  await page.getByRole('button', { name: 'Take control' }).click();
  await expectText(page.getByTestId('assignment'), 'You have this conversation');
  await expectText(beaPage.getByTestId('assignment'), 'Andre Agent has this conversation', { timeout: 20_000 });
  await expectText(beaPage.locator('.composer-closed'), 'Andre Agent has this conversation: only they reply.');
  assert.equal(await beaPage.getByLabel('Message', { exact: true }).count(), 0, 'Bea has nowhere to type');
  assert.equal(await beaPage.getByRole('button', { name: 'Take control' }).count(), 0, 'nor may she take it over');

  // Andre releases it: Bea may reply again, live.
  await page.getByRole('button', { name: 'Release' }).click();
  await beaPage.getByLabel('Message', { exact: true }).waitFor({ timeout: 20_000 });
  await beaPage.getByLabel('Message', { exact: true }).fill('Bea here, happy to help');
  await beaPage.getByLabel('Message', { exact: true }).press('Enter');
  await expectText(page.getByTestId('message').last(), 'Bea here, happy to help', { timeout: 20_000 });
});

test("a customer's photo shows in the thread and their document downloads", async ({ url, page, server }) => {
  await demoChannelSubscribed(server);
  const waId = '4915755533333';
  await customerWrites(server, waId, 'Pia Picture', { type: 'image', image: { caption: 'My cake order' } });
  const pdf = '%PDF-1.4 invoice 4711';
  await customerWrites(server, waId, 'Pia Picture', {
    type: 'document',
    document: { filename: 'invoice-4711.pdf', mime_type: 'application/pdf', bytes_base64: Buffer.from(pdf).toString('base64') },
  });

  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await openConversation(page, url, 'Pia Picture');
  // Parley fetches the files from WhatsApp in the background; the thread shows them once stored.
  const photo = page.getByTestId('message').filter({ hasText: 'My cake order' }).locator('img.bubble-image');
  await photo.waitFor({ timeout: 30_000 });
  await eventually(async () => assert.ok(await photo.evaluate((img) => img.complete && img.naturalWidth > 0), 'the photo loads'));
  const download = page.getByTestId('message').filter({ hasText: 'invoice-4711.pdf' }).getByRole('link', { name: 'Download' });
  await download.waitFor({ timeout: 30_000 });
  const file = await page.request.get(new URL(await download.getAttribute('href'), url).toString());
  assert.equal(file.status(), 200);
  assert.equal(await file.text(), pdf);
  // Without the agent's session, the file is not there.
  assert.equal((await fetch(new URL(await download.getAttribute('href'), url))).status, 404);
});
