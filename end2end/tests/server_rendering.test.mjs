// Signed-in pages arrive drawn by the server: the first HTML already holds the frame and the
// page, so a person sees them before the WebAssembly has loaded, and the browser then hydrates
// exactly that page. Rendering them panics nowhere on the server.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import { customerWrites, demoChannelSubscribed, openConversation } from '../support/customers.mjs';
import { DEMO_OWNER, OWNER_TAB, login, open, pathOf } from '../support/app.mjs';

const { test } = suite('server-rendering');

test('every signed-in page arrives drawn by the server and hydrates as sent', async ({ url, page, server }) => {
  await demoChannelSubscribed(server);
  await customerWrites(server, '4915755530001', 'Sasha Server', { type: 'text', text: { body: 'Drawn where?' } });
  await login(page, url, { ...DEMO_OWNER, tab: OWNER_TAB });
  await openConversation(page, url, 'Sasha Server');
  const conversation = pathOf(page);

  const logStart = server.logSize();
  const complaints = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') complaints.push(`${pathOf(page)}: ${m.text()}`);
  });
  page.on('pageerror', (e) => complaints.push(`${pathOf(page)}: ${e.message}`));

  const pages = [
    ['/', 'Welcome, '],
    ['/inbox', 'aria-label="Search conversations"'],
    [conversation, 'Drawn where?'],
    ['/starred', 'Starred messages'],
    ['/quick-replies', 'Quick replies'],
    ['/settings/organization', '<h1>Organization</h1>'],
    ['/settings/channels', 'WhatsApp channels'],
    ['/settings/team', 'Team members'],
    ['/settings/roles', '<h1>Roles</h1>'],
    ['/settings/teams', '<h1>Teams</h1>'],
    ['/profile', 'Your profile'],
    ['/organizations/new', 'Create an organization'],
  ];
  for (const [path, content] of pages) {
    // The HTML as the server sends it, streamed to its end, with this person's session.
    const response = await page.request.get(url + path, { timeout: 20_000 });
    assert.equal(response.status(), 200, path);
    const html = await response.text();
    assert.ok(html.includes('aria-label="Main navigation"'), `${path}: the server drew the signed-in frame`);
    assert.ok(!html.includes('Loading…</div>'), `${path}: not the loading screen`);
    assert.ok(html.includes(content), `${path}: the server drew the page (${content})`);
    await open(page, url, path);
  }
  assert.deepEqual(complaints, [], 'each page hydrated without a warning or an error');
  assert.doesNotMatch(server.readLog(logStart), /panicked|overflowed/, 'and the server rendered each without a panic');
});
