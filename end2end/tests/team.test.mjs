// Roles and members: an owner makes a custom role and an agent holding it; the agent sees only
// what the role grants, and the server refuses the rest even when asked directly.

import assert from 'node:assert/strict';
import { suite } from '../support/suite.mjs';
import {
  AGENT_TAB,
  DEMO_ORGANIZATION,
  DEMO_OWNER,
  expectFieldError,
  expectText,
  followSidebarLink,
  login,
  loginAsOwner,
  open,
  organizationSwitcher,
  sidebar,
  unique,
  watchServerCalls,
} from '../support/app.mjs';

const { test } = suite('team');

/** Replays a server-function call with the cookies of `context`, from the app's own origin. */
async function replay(context, baseUrl, call) {
  const response = await context.request.post(call.url, {
    headers: {
      Origin: baseUrl,
      'Content-Type': call.headers['content-type'] || 'application/x-www-form-urlencoded',
      Accept: call.headers.accept || '*/*',
    },
    data: call.body,
    failOnStatusCode: false,
    maxRedirects: 0,
    timeout: 15_000,
  });
  return { status: response.status(), ok: response.ok(), body: await response.text() };
}

test('an agent with a custom role sees only what the role grants, and the server refuses the rest', async ({
  url,
  page: ownerPage,
  context: ownerContext,
  newSession,
}) => {
  const id = unique();
  const roleName = `Support lead ${id}`;
  const agent = { name: 'Sam Support', email: `sam-${id}@example.com`, password: 'sam-initial-password' };

  // The owner creates the role.
  await loginAsOwner(ownerPage, url);
  await followSidebarLink(ownerPage, 'Roles');
  await ownerPage.getByRole('heading', { name: 'Roles', level: 1 }).waitFor();
  await ownerPage.getByLabel('Role name', { exact: true }).fill(roleName);
  await ownerPage.getByRole('checkbox', { name: 'Contacts: View', exact: true }).check();
  await ownerPage.getByRole('checkbox', { name: 'Inbox: View', exact: true }).check();
  await ownerPage.getByRole('button', { name: 'Create role', exact: true }).click();
  await ownerPage.getByRole('status').filter({ hasText: `The role ${roleName} was created.` }).waitFor();
  const roleRow = ownerPage.getByRole('row').filter({ hasText: roleName });
  await expectText(roleRow, 'Contacts: View');
  await expectText(roleRow, 'Inbox: View');

  // The owner opens the team page (in the app, so the browser asks for the member list) and
  // adds the agent with an initial password.
  const calls = watchServerCalls(ownerPage);
  await followSidebarLink(ownerPage, 'Team members');
  await ownerPage.getByRole('heading', { name: 'Team members', level: 1 }).waitFor();
  await ownerPage.getByRole('row').filter({ hasText: DEMO_OWNER.email }).waitFor();
  await ownerPage.getByLabel('Name', { exact: true }).fill(agent.name);
  await ownerPage.getByLabel('Email', { exact: true }).fill(agent.email);
  await ownerPage.getByLabel('Role', { exact: true }).selectOption({ label: roleName });
  await ownerPage.getByRole('radio', { name: 'Set an initial password' }).check();
  await ownerPage.getByLabel('Initial password', { exact: true }).fill(agent.password);
  await ownerPage.getByRole('button', { name: 'Add member', exact: true }).click();
  await ownerPage.getByRole('status').filter({ hasText: `${agent.name} was added.` }).waitFor();
  const agentRow = ownerPage.getByRole('row').filter({ hasText: agent.email });
  await expectText(agentRow, roleName);
  calls.stop();

  const listCall = calls.calls.find((c) => c.path.startsWith('/api/list_members'));
  assert.ok(listCall, `the team page did not call list_members; calls seen: ${calls.calls.map((c) => c.path).join(', ')}`);

  // The replayed call works for the owner: the replay itself is sound.
  const asOwner = await replay(ownerContext, url, listCall);
  assert.equal(asOwner.status, 200, `owner's replay: ${asOwner.status} ${asOwner.body}`);
  assert.ok(asOwner.body.includes(agent.email), `the member list should hold ${agent.email}: ${asOwner.body}`);

  // The agent logs in through the agent tab and does not see the team settings.
  const { context: agentContext, page: agentPage } = await newSession();
  await login(agentPage, url, { email: agent.email, password: agent.password, tab: AGENT_TAB });
  await agentPage.getByRole('heading', { name: 'Welcome, Sam' }).waitFor();
  const nav = sidebar(agentPage);
  await nav.getByRole('link', { name: 'Dashboard', exact: true }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Team members' }).count(), 0, 'the agent should not see "Team members"');
  assert.equal(await nav.getByRole('link', { name: 'Roles' }).count(), 0, 'the agent should not see "Roles"');

  // Typing the address shows the no-access message, not the page.
  await open(agentPage, url, '/settings/team');
  await agentPage.getByRole('heading', { name: 'No access' }).waitFor();
  await agentPage.getByRole('alert').filter({ hasText: 'You do not have permission to open this page.' }).waitFor();
  assert.equal(await agentPage.getByRole('button', { name: 'Add member' }).count(), 0);
  assert.equal(await agentPage.getByText(DEMO_OWNER.email).count(), 0, 'no member data reaches the agent');

  // And the server refuses the member list to the agent's session.
  const asAgent = await replay(agentContext, url, listCall);
  assert.ok(!asAgent.ok, `the agent's call must not succeed: ${asAgent.status} ${asAgent.body}`);
  assert.equal(JSON.parse(asAgent.body), 'Forbidden', `expected the Forbidden error, got ${asAgent.status} ${asAgent.body}`);
  assert.ok(!asAgent.body.includes(DEMO_OWNER.email));
});

test('a member added with an invite link chooses a password through it and logs in', async ({ url, page: ownerPage, newSession }) => {
  const id = unique();
  const member = { name: 'Iris Invited', email: `iris-${id}@example.com`, password: 'iris-chosen-password' };

  await loginAsOwner(ownerPage, url);
  await followSidebarLink(ownerPage, 'Team members');
  await ownerPage.getByRole('heading', { name: 'Team members', level: 1 }).waitFor();
  await ownerPage.getByLabel('Name', { exact: true }).fill(member.name);
  await ownerPage.getByLabel('Email', { exact: true }).fill(member.email);
  await ownerPage.getByLabel('Role', { exact: true }).selectOption({ label: 'Agent' });
  await ownerPage.getByRole('radio', { name: 'Send an invite link' }).check();
  assert.equal(await ownerPage.getByLabel('Initial password', { exact: true }).count(), 0, 'no password field for an invite');
  await ownerPage.getByRole('button', { name: 'Add member', exact: true }).click();
  await ownerPage.getByRole('status').filter({ hasText: `${member.name} was added. An invite link was sent to ${member.email}` }).waitFor();
  const inviteLink = await ownerPage.getByRole('textbox', { name: 'Invite link' }).inputValue();
  const inviteUrl = new URL(inviteLink);
  assert.equal(inviteUrl.origin, url, `the invite link points to this Parley: ${inviteLink}`);
  assert.match(inviteUrl.pathname, /^\/invite\/[^/]+$/);
  await expectText(ownerPage.getByRole('row').filter({ hasText: member.email }), 'Invited');

  // The invited person, in their own browser, chooses a password through the link.
  const { page } = await newSession();
  await open(page, url, inviteUrl.pathname);
  await expectText(page.locator('main'), `Welcome, ${member.name}!`);
  await page.getByLabel('New password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Save password', exact: true }).click();
  await expectFieldError(page, 'New password', 'Password must be at least 10 characters');
  await page.getByLabel('New password', { exact: true }).fill(member.password);
  await page.getByRole('button', { name: 'Save password', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Your password is set. You can log in now.' }).waitFor();

  await login(page, url, { email: member.email, password: member.password, tab: AGENT_TAB });
  await page.getByRole('heading', { name: 'Welcome, Iris' }).waitFor();
  await expectText(organizationSwitcher(page), DEMO_ORGANIZATION);
});
