// Attachments: an agent uploads a photo (the composer refuses a format WhatsApp would not take,
// before uploading), gives it a caption and sends it; the customer's phone receives it by Meta's
// media id. A file the organization already keeps (here the customer's own document) is picked
// from "Stored files" and sent back. An upload nobody sent can be deleted there.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { suite } from '../support/suite.mjs';
import { customerChat, customerWrites, demoChannelSubscribed, openConversation } from '../support/customers.mjs';
import { AGENT_TAB, DEMO_AGENT, eventually, expectText, login, open, pathOf } from '../support/app.mjs';

const { test } = suite('attachments');

const PNG = readFileSync(new URL('../../server/sandbox/assets/sample.png', import.meta.url));

/** A customer sends a PDF; the demo agent opens their conversation once the file is downloaded. */
async function customerSentDocument({ url, page, server }, waId, name, filename) {
  await demoChannelSubscribed(server);
  await customerWrites(server, waId, name, {
    type: 'document',
    document: { filename, mime_type: 'application/pdf', bytes_base64: Buffer.from(`%PDF-1.4 ${filename}`).toString('base64') },
  });
  await login(page, url, { ...DEMO_AGENT, tab: AGENT_TAB });
  await openConversation(page, url, name);
  await page.getByTestId('message').filter({ hasText: filename }).getByRole('link', { name: 'Download' }).waitFor({ timeout: 30_000 });
}

test('an agent sends a photo with a caption, then a stored document', async ({ url, page, server }) => {
  const waId = '4915755544444';
  await customerSentDocument({ url, page, server }, waId, 'Ari Attach', 'order-form.pdf');

  const input = page.getByTestId('attach-input');
  await input.setInputFiles({ name: 'cat.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') });
  await expectText(page.getByRole('alert').filter({ hasText: 'image/gif' }), 'WhatsApp does not accept files of type "image/gif"');
  assert.equal(await page.getByTestId('attachment').count(), 0, 'nothing was attached');

  await input.setInputFiles({ name: 'cake.png', mimeType: 'image/png', buffer: PNG });
  await expectText(page.getByTestId('attachment'), 'cake.png');
  const composer = page.getByLabel('Message', { exact: true });
  assert.equal(await composer.getAttribute('placeholder'), 'Add a caption (optional)');
  await composer.fill('Your cake 🎂');
  await composer.press('Enter');

  // The photo shows in the thread from Parley's own copy, and the attachment is gone from the composer.
  const sent = page.getByTestId('message').filter({ hasText: 'Your cake 🎂' });
  const photo = sent.locator('img.bubble-image');
  await photo.waitFor({ timeout: 20_000 });
  await eventually(async () => assert.ok(await photo.evaluate((img) => img.complete && img.naturalWidth > 0), 'the photo loads'));
  assert.equal(await page.getByTestId('attachment').count(), 0);
  const received = await eventually(async () => {
    const image = (await customerChat(server, waId)).find((m) => m.direction === 'outbound' && m.message.type === 'image');
    assert.ok(image, "the customer's phone has the photo");
    return image.message.image;
  }, { timeout: 20_000 });
  assert.equal(received.caption, 'Your cake 🎂');
  assert.match(received.id, /^\d+$/, "sent by Meta's media id");

  // The customer's own document, picked from the stored files, goes back to them.
  await page.getByRole('button', { name: 'Stored files' }).click();
  const picker = page.getByTestId('stored-files');
  await expectText(picker, 'cake.png');
  await picker.getByRole('button').filter({ hasText: 'order-form.pdf' }).click();
  await expectText(page.getByTestId('attachment'), 'order-form.pdf');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await eventually(async () => {
    const documents = (await customerChat(server, waId)).filter((m) => m.direction === 'outbound' && m.message.type === 'document');
    assert.equal(documents.length, 1);
    assert.equal(documents[0].message.document.filename, 'order-form.pdf');
  }, { timeout: 20_000 });
});

test('an upload nobody sent is deleted from the stored files once confirmed; customers\' files stay', async ({ url, page, server }) => {
  await customerSentDocument({ url, page, server }, '4915755544455', 'Dora Delete', 'contract.pdf');
  await page.getByTestId('attach-input').setInputFiles({ name: 'wrong-photo.png', mimeType: 'image/png', buffer: PNG });
  await expectText(page.getByTestId('attachment'), 'wrong-photo.png');
  // Changed their mind: the upload is left unsent.
  await open(page, url, pathOf(page));

  await page.getByRole('button', { name: 'Stored files' }).click();
  const picker = page.getByTestId('stored-files');
  const upload = picker.getByRole('listitem').filter({ hasText: 'wrong-photo.png' });
  await upload.waitFor();
  const customers = picker.getByRole('listitem').filter({ hasText: 'contract.pdf' });
  assert.equal(await customers.getByRole('button', { name: /^Delete/ }).count(), 0, "a customer's file cannot be deleted");

  await upload.getByRole('button', { name: 'Delete wrong-photo.png' }).click();
  const confirm = upload.getByRole('group');
  await expectText(confirm, 'Delete it for the whole team?');
  await confirm.getByRole('button', { name: 'Keep' }).click();
  assert.equal(await upload.getByRole('group').count(), 0, 'kept');
  await upload.getByRole('button', { name: 'Delete wrong-photo.png' }).click();
  await upload.getByRole('group').getByRole('button', { name: 'Delete', exact: true }).click();
  await upload.waitFor({ state: 'detached' });

  // Gone for good: not in the picker when it is opened again.
  await picker.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Stored files' }).click();
  await customers.waitFor();
  assert.equal(await picker.getByRole('listitem').filter({ hasText: 'wrong-photo.png' }).count(), 0);
});
