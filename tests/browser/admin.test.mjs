// The admin console in Chromium: an administrator signs in through the hosted sign-in page (sent there by /admin and
// back), walks every section from the navigation and the detail pages behind them, and axe-core finds no serious or
// critical violation on any of them; the system log's live tail picks up a new event without losing its filter, and
// without JavaScript the same page offers a Refresh link; a read-only administrator can look; an ordinary user
// cannot open /admin; an administrator adds Grafana from the catalog by filling its variables, assigns a group and
// reads the setup snippet, and creates a user through the forms (axe on every form, its refusals included), while a
// read-only administrator sees no form and is refused a change; an administrator creates an OIDC app by hand and sees
// its secret once, adds a sign-on policy whose rule requires a factor, creates an API token (shown once) and revokes
// it, adds a scope and a claim to a custom authorization server, makes an access policy with a rule, and previews a
// token for a user and an app, the claim in it. A screenshot of every console page is kept in
// target/test-artifacts/admin-*.png. Any console error fails a test.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import axe from 'axe-core';

import { PASSWORD, createUser, launchChromium, startLanyard, watchConsole } from './lanyard.mjs';

const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../target/test-artifacts');

const SECTIONS = [
  ['Overview', '/admin', 'Overview'],
  ['Users', '/admin/users', 'Users'],
  ['Groups', '/admin/groups', 'Groups'],
  ['Apps', '/admin/apps', 'Apps'],
  ['Catalog', '/admin/catalog', 'Integration catalog'],
  ['Authorization servers', '/admin/servers', 'Authorization servers'],
  ['Sign-on policies', '/admin/policies', 'Sign-on policies'],
  ['System log', '/admin/logs', 'System log'],
  ['API tokens', '/admin/tokens', 'API tokens'],
  ['Settings', '/admin/settings', 'Settings'],
];

const FAILED_SIGNINS = 'eventType eq "user.session.start" and outcome.result eq "FAILURE"';

/** axe-core's serious and critical violations on the page, as readable lines. */
async function axeViolations(page) {
  // Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  await page.evaluate(axe.source);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'], runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function failSignIn(server, login) {
  const r = await fetch(server.url('/api/v1/authn'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: login, password: 'Wrong-Password-1' }),
  });
  assert.equal(r.status, 401);
}

describe('the admin console in Chromium', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let ids;

  before(async () => {
    server = await startLanyard();
    browser = await launchChromium();
    const admin = await createUser(server, 'admin@example.com', 'Ada', 'Admin');
    await server.api('POST', `/api/v1/users/${admin}/roles`, { type: 'SUPER_ADMIN' });
    const viewer = await createUser(server, 'viewer@example.com', 'Vera', 'Viewer');
    await server.api('POST', `/api/v1/users/${viewer}/roles`, { type: 'READ_ONLY_ADMIN' });
    const member = await createUser(server, 'member@example.com', 'Mia', 'Member');
    const group = await server.api('POST', '/api/v1/groups', { profile: { name: 'grafana-users' } });
    await server.api('PUT', `/api/v1/groups/${group.id}/users/${member}`);
    const app = await server.api('POST', '/api/v1/apps', {
      name: 'grafana',
      label: 'Grafana',
      settings: { app: { baseUrl: 'https://grafana.example.com' } },
    });
    await server.api('PUT', `/api/v1/apps/${app.id}/groups/${group.id}`, {});
    await failSignIn(server, 'member@example.com');
    ids = { member, group: group.id, app: app.id };
  });

  after(async () => {
    await browser?.close();
    if (server) {
      const log = server.errors();
      await server.stop();
      assert.deepEqual(log, [], 'the server logged no errors');
    }
  });

  async function signInAt(page, target, login) {
    await page.goto(server.url(target));
    assert.match(page.url(), /\/signin\?fromURI=/, 'sent to the hosted sign-in page');
    await page.getByLabel('Username', { exact: true }).fill(login);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(server.url(target));
  }

  async function keep(page, name, t) {
    mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, `admin-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    assert.equal(readFileSync(file).subarray(1, 4).toString(), 'PNG');
    t.diagnostic(`screenshot: ${file}`);
  }

  async function check(page, name, heading, t) {
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), heading);
    assert.equal(await page.getByRole('navigation', { name: 'Console sections' }).count(), 1);
    assert.equal(await page.getByRole('main').count(), 1);
    assert.deepEqual(await axeViolations(page), [], `axe on ${name}`);
    await keep(page, name, t);
  }

  test('an administrator signs in through the hosted page and walks every page (axe, screenshots)', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/admin', 'admin@example.com');
    assert.equal(await page.title(), 'Overview · Admin · Lanyard');
    assert.equal(await page.locator('[data-count="Apps"]').textContent(), '1');
    assert.match(await page.locator('#failures').textContent(), /member@example\.com/);

    const nav = page.getByRole('navigation', { name: 'Console sections' });
    for (const [label, href, heading] of SECTIONS) {
      await nav.getByRole('link', { name: label, exact: true }).click();
      await page.waitForURL(server.url(href));
      assert.equal(await nav.locator('[aria-current="page"]').textContent(), label);
      await check(page, label.toLowerCase().replaceAll(' ', '-'), heading, t);
    }

    // Users: search with the API's expression language, then a user's page.
    await page.goto(server.url('/admin/users'));
    await page.getByLabel(/Or an expression/).fill('profile.lastName eq "Member"');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/search=profile\.lastName/);
    assert.equal(await page.locator('#users tbody tr').count(), 1);
    await page.getByRole('link', { name: 'Mia Member' }).click();
    await page.waitForURL(server.url(`/admin/users/${ids.member}`));
    assert.match(await page.locator('#user-groups').textContent(), /grafana-users/);
    assert.match(await page.locator('#user-apps').textContent(), /Grafana/);
    await check(page, 'user', 'Mia Member', t);

    // A group and its members.
    await page.getByRole('link', { name: 'grafana-users' }).click();
    await page.waitForURL(server.url(`/admin/groups/${ids.group}`));
    assert.match(await page.locator('#members').textContent(), /member@example\.com/);
    await check(page, 'group', 'grafana-users', t);

    // An app: its assignment and its filled-in setup, as the API renders it.
    await page.goto(server.url(`/admin/apps/${ids.app}`));
    const setup = await server.api('GET', `/api/v1/apps/${ids.app}/setup`);
    const shown = await page.locator('.snippet pre').first().textContent();
    assert.equal(shown, setup.snippets[0].content);
    assert.match(await page.locator('#app-groups').textContent(), /grafana-users/);
    await check(page, 'app', 'Grafana', t);

    // The catalog, narrowed by search and category.
    await page.goto(server.url('/admin/catalog'));
    await page.getByLabel('Search', { exact: true }).fill('grafana');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=grafana/);
    assert.equal(await page.locator('[data-entry="grafana"]').count(), 1);
    assert.equal(await page.locator('[data-entry="gitlab"]').count(), 0);
    const logoLoaded = await page
      .locator('[data-entry="grafana"] img')
      .evaluate((img) => img.complete && img.naturalWidth > 0);
    assert.ok(logoLoaded, 'the logo loads under the page policy');

    // An authorization server: scopes, policies, keys.
    await page.goto(server.url('/admin/servers'));
    await page.getByRole('link', { name: 'default', exact: true }).click();
    await page.waitForURL(server.url('/admin/servers/default'));
    assert.match(await page.locator('#scopes').textContent(), /openid/);
    assert.ok((await page.locator('#keys tbody tr').count()) >= 1);
    await check(page, 'server', 'default', t);

    assert.deepEqual(errors, []);
  });

  test('the live tail shows a new event without losing the filter', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    const target = `/admin/logs?filter=${encodeURIComponent(FAILED_SIGNINS)}`;
    await signInAt(page, target, 'admin@example.com');
    assert.equal(await page.locator('#filter').inputValue(), FAILED_SIGNINS);
    const before = await page.locator('#events tbody tr').count();
    await page.getByLabel(/Live tail/).check();
    await failSignIn(server, 'nobody-yet@example.com');
    await page.locator('#events tbody tr', { hasText: 'nobody-yet@example.com' }).waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('#events tbody tr').count(), before + 1);
    assert.equal(page.url(), server.url(target), 'the page was not left: the address, and with it the filter, is kept');
    assert.equal(await page.locator('#filter').inputValue(), FAILED_SIGNINS);
    assert.match(await page.locator('#tail-status').textContent(), /Updated at/);
    // Only failures: the tail's rows went through the filter.
    for (const outcome of await page.locator('#events tbody tr td:nth-child(4)').allTextContents()) {
      assert.equal(outcome, 'FAILURE');
    }
    await page.getByLabel(/Live tail/).uncheck();
    assert.deepEqual(errors, []);
  });

  test('without JavaScript the console works, and the log has a Refresh link that keeps the filter', async (t) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    const target = `/admin/logs?filter=${encodeURIComponent(FAILED_SIGNINS)}`;
    await signInAt(page, target, 'admin@example.com');
    assert.equal(await page.locator('#live-toggle').isVisible(), false, 'no live tail without JavaScript');
    await failSignIn(server, 'later@example.com');
    // The system log is written in batches: refresh until the event is there.
    for (let i = 0; i < 20; i += 1) {
      await page.getByRole('link', { name: 'Refresh' }).click();
      await page.waitForLoadState();
      if ((await page.locator('#events tbody tr', { hasText: 'later@example.com' }).count()) > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(await page.locator('#events tbody tr', { hasText: 'later@example.com' }).count(), 1);
    assert.equal(new URL(page.url()).searchParams.get('filter'), FAILED_SIGNINS, 'the filter is kept');
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Users' }).click();
    await page.waitForURL(server.url('/admin/users'));
    assert.deepEqual(errors, []);
  });

  test('an administrator adds Grafana from the catalog, assigns a group and reads the setup snippet', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/admin/apps', 'admin@example.com');
    await page.getByRole('link', { name: 'Add from catalog' }).click();
    await page.waitForURL(server.url('/admin/catalog'));
    await page.getByLabel('Search', { exact: true }).fill('grafana');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=grafana/);
    await page.getByRole('link', { name: 'Add Grafana' }).click();
    await page.waitForURL(server.url('/admin/catalog/grafana'));
    await check(page, 'catalog-add', 'Add Grafana', t);

    // Without the required URL: the form again, the cause next to the field.
    await page.getByLabel('App label').fill('Grafana (console)');
    await page.getByRole('button', { name: 'Add Grafana' }).click();
    await page.locator('#e-baseUrl').waitFor();
    assert.equal(await page.getByLabel('Grafana URL').getAttribute('aria-invalid'), 'true');
    await check(page, 'catalog-add-refused', 'Add Grafana', t);

    await page.getByLabel('Grafana URL').fill('https://grafana.example.com');
    await page.getByRole('button', { name: 'Add Grafana' }).click();
    await page.locator('#client-secret').waitFor();
    const clientId = await page.locator('#client-id').textContent();
    const secret = await page.locator('#client-secret').textContent();
    const snippet = await page.locator('.snippet pre').first().textContent();
    assert.match(snippet, /\[auth\.generic_oauth\]/);
    assert.ok(snippet.includes(`client_id = ${clientId}`), snippet);
    assert.ok(snippet.includes(`client_secret = ${secret}`), 'the snippet has the secret, this once');
    assert.ok(snippet.includes('https://grafana.example.com'), snippet);
    await check(page, 'app-created', 'Grafana (console)', t);

    await page.getByLabel('Group', { exact: true }).selectOption({ label: 'grafana-users' });
    await page.getByRole('button', { name: 'Assign group' }).click();
    await page.waitForURL(/done=group-assigned/);
    assert.equal(await page.locator('#flash').textContent(), 'The group was assigned to the app.');
    assert.match(await page.locator('#app-groups').textContent(), /grafana-users/);
    assert.equal(await page.locator('#client-secret').count(), 0, 'the secret is not shown again');
    assert.ok((await page.locator('.snippet pre').first().textContent()).includes(`client_id = ${clientId}`));
    await check(page, 'app-assigned', 'Grafana (console)', t);
    const app = (await server.api('GET', '/api/v1/apps?q=Grafana%20(console)'))[0];
    assert.equal(app.credentials.oauthClient.client_id, clientId);
    const groups = await server.api('GET', `/api/v1/apps/${app.id}/groups`);
    assert.deepEqual(groups.map((g) => g.id), [ids.group]);
    // The browser reports the refused form's 400 document itself; nothing else.
    assert.deepEqual(errors.filter((e) => !e.includes('400 (Bad Request)')), []);
    assert.equal(errors.length, 1);
  });

  test('an administrator creates a user through the form', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/admin/users', 'admin@example.com');
    await page.getByRole('link', { name: 'New user' }).click();
    await page.waitForURL(server.url('/admin/users/new'));
    await check(page, 'user-new', 'New user', t);
    await page.getByLabel('First name').fill('Lin');
    await page.getByLabel('Last name').fill('Console');
    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('#e-email').waitFor();
    await check(page, 'user-new-refused', 'New user', t);
    await page.getByLabel('Email', { exact: true }).fill('lin@example.com');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.waitForURL(/done=user-created/);
    assert.equal(await page.locator('#user-login').textContent(), 'lin@example.com');
    await check(page, 'user-created', 'Lin Console', t);
    assert.deepEqual(errors.filter((e) => !e.includes('400 (Bad Request)')), []);
    assert.equal(errors.length, 1);
  });

  test('an administrator creates an OIDC app by hand and sees its secret once', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/admin/apps', 'admin@example.com');
    await page.getByRole('link', { name: 'New OIDC app' }).click();
    await page.waitForURL(server.url('/admin/apps/new'));
    await check(page, 'app-new', 'New OIDC app', t);

    // A single-page app asking for client credentials, with a relative redirect URI: the causes at the fields.
    await page.getByLabel('App label').fill('Billing');
    await page.getByLabel('Application type').selectOption('browser');
    await page.getByLabel('Sign-in redirect URIs (one a line)').fill('/callback');
    await page.getByLabel('Client credentials').check();
    await page.getByLabel('How the app authenticates').selectOption('none');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.locator('#e-redirect_uris').waitFor();
    assert.equal(await page.locator('#e-grant_types').count(), 1);
    assert.equal(await page.getByLabel('Sign-in redirect URIs (one a line)').getAttribute('aria-invalid'), 'true');
    await check(page, 'app-new-refused', 'New OIDC app', t);

    await page.getByLabel('Application type').selectOption('web');
    await page.getByLabel('Sign-in redirect URIs (one a line)').fill('https://billing.example.com/callback');
    await page.getByLabel('Client credentials').uncheck();
    await page.getByLabel('Refresh token').check();
    await page.getByLabel('How the app authenticates').selectOption('client_secret_basic');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.locator('#client-secret').waitFor();
    const clientId = await page.locator('#client-id').textContent();
    const secret = await page.locator('#client-secret').textContent();
    assert.ok(secret.length >= 32);
    await check(page, 'app-new-created', 'Billing', t);
    const app = (await server.api('GET', '/api/v1/apps?q=Billing'))[0];
    assert.equal(app.name, 'oidc_client');
    assert.equal(app.credentials.oauthClient.client_id, clientId);
    assert.deepEqual(app.settings.oauthClient.grant_types, ['authorization_code', 'refresh_token']);
    await page.goto(server.url(`/admin/apps/${app.id}`));
    assert.equal(await page.locator('#client-secret').count(), 0, 'the secret is not shown again');
    assert.equal(await page.locator('#client-id').textContent(), clientId);
    assert.deepEqual(errors.filter((e) => !e.includes('400 (Bad Request)')), []);
    assert.equal(errors.length, 1);
  });

  test('an administrator adds a sign-on policy with a rule that requires a factor', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/admin/policies', 'admin@example.com');
    await page.getByRole('link', { name: 'New sign-on policy' }).click();
    await page.waitForURL(server.url('/admin/policies/new'));
    await check(page, 'policy-new', 'New sign-on policy', t);
    await page.getByLabel('Name', { exact: true }).fill('Grafana users');
    await page.getByLabel('grafana-users').check();
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.waitForURL(/done=policy-created/);
    assert.equal(await page.locator('#flash').textContent(), 'The sign-on policy was created.');
    await check(page, 'policy', 'Grafana users', t);

    await page.getByRole('link', { name: 'Add a rule' }).click();
    await page.waitForURL(/\/rules\/new$/);
    await check(page, 'rule-new', 'New rule of Grafana users', t);
    // A factor required of a sign-in that is denied anyway: refused next to the field.
    await page.getByLabel('Name', { exact: true }).fill('Factor for everyone');
    await page.getByLabel('Access', { exact: true }).selectOption('DENY');
    await page.getByLabel('Require a second factor').check();
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('#e-requireFactor').waitFor();
    await check(page, 'rule-new-refused', 'New rule of Grafana users', t);
    await page.getByLabel('Access', { exact: true }).selectOption('ALLOW');
    await page.getByLabel('Ask for the factor').selectOption('SESSION');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.waitForURL(/done=rule-created/);
    assert.match(await page.locator('#policy-rules').textContent(), /factor required \(SESSION\)/);
    await check(page, 'policy-with-rule', 'Grafana users', t);
    const policy = (await server.api('GET', '/api/v1/policies?type=OKTA_SIGN_ON&expand=rules')).find(
      (p) => p.name === 'Grafana users',
    );
    assert.deepEqual(policy.conditions.people.groups.include, [ids.group]);
    const rule = policy._embedded.rules[0];
    assert.equal(rule.actions.signon.requireFactor, true);
    assert.equal(rule.actions.signon.factorPromptMode, 'SESSION');
    await page.getByRole('link', { name: 'Factor for everyone' }).click();
    await page.waitForURL(server.url(`/admin/policies/${policy.id}/rules/${rule.id}`));
    await check(page, 'rule', 'Factor for everyone', t);
    // Put back as it was, for the other tests: the policy goes.
    await server.api('DELETE', `/api/v1/policies/${policy.id}`);
    assert.deepEqual(errors.filter((e) => !e.includes('400 (Bad Request)')), []);
    assert.equal(errors.length, 1);
  });

  test('an administrator creates an API token, sees it once, and revokes it', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/admin/tokens', 'admin@example.com');
    await page.getByLabel('Token name').fill('ci from the console');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#api-token').waitFor();
    const token = await page.locator('#api-token').textContent();
    assert.equal(token.length, 45);
    await check(page, 'token-created', 'API tokens', t);
    const users = (token) =>
      fetch(server.url('/api/v1/users'), { headers: { Authorization: `SSWS ${token}`, Accept: 'application/json' } });
    assert.equal((await users(token)).status, 200);
    await page.goto(server.url('/admin/tokens'));
    assert.equal(await page.locator('#api-token').count(), 0, 'shown once');
    assert.ok(!(await page.content()).includes(token));
    await page.getByRole('button', { name: 'Revoke ci from the console' }).click();
    await page.waitForURL(/done=token-revoked/);
    assert.equal(await page.locator('#flash').textContent(), 'The API token was revoked.');
    await check(page, 'token-revoked', 'API tokens', t);
    assert.equal((await users(token)).status, 401);
    assert.deepEqual(errors, []);
  });

  test('an administrator configures a custom authorization server and previews a token', async (t) => {
    const ada = await createUser(server, 'ada@example.com', 'Ada', 'Lovelace');
    await server.api('POST', `/api/v1/users/${ada}`, { profile: { department: 'Maths' } });
    const staff = await server.api('POST', '/api/v1/groups', { profile: { name: 'Staff' } });
    await server.api('PUT', `/api/v1/groups/${staff.id}/users/${ada}`);
    const app = await server.api('POST', '/api/v1/apps', {
      label: 'Orders web',
      signOnMode: 'OPENID_CONNECT',
      name: 'oidc_client',
      credentials: { oauthClient: { token_endpoint_auth_method: 'client_secret_basic' } },
      settings: {
        oauthClient: { application_type: 'web', grant_types: ['authorization_code'], redirect_uris: ['https://orders.example.com/cb'] },
      },
    });
    await server.api('PUT', `/api/v1/apps/${app.id}/groups/${staff.id}`, {});
    const clientId = app.credentials.oauthClient.client_id;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/admin/servers', 'admin@example.com');

    // The server itself: its form, a refusal without audiences, then added.
    await page.getByRole('link', { name: 'Add an authorization server' }).click();
    await check(page, 'server-new', 'Add an authorization server', t);
    await page.getByLabel('Name', { exact: true }).fill('orders');
    await page.getByLabel('Description').fill('Orders API');
    await page.getByRole('button', { name: 'Add authorization server' }).click();
    await page.locator('#e-audiences').waitFor();
    await check(page, 'server-new-refused', 'Add an authorization server', t);
    await page.getByLabel(/^Audiences/).fill('api://orders');
    await page.getByRole('button', { name: 'Add authorization server' }).click();
    await page.waitForURL(/done=server-created/);
    const srv = { id: new URL(page.url()).pathname.split('/').pop() };
    await check(page, 'server', 'orders', t);

    // A scope: the form, a duplicate refused next to its field, then added.
    await page.getByRole('link', { name: 'Add a scope' }).click();
    await check(page, 'scope-new', 'Add a scope', t);
    await page.getByLabel('Name', { exact: true }).fill('openid');
    await page.getByRole('button', { name: 'Add scope' }).click();
    await page.locator('#e-name').waitFor();
    assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
    await check(page, 'scope-refused', 'Add a scope', t);
    await page.getByLabel('Name', { exact: true }).fill('orders:read');
    await page.getByLabel('Description').fill('Read the orders');
    await page.getByRole('button', { name: 'Add scope' }).click();
    await page.waitForURL(/done=scope-created/);
    assert.equal(await page.locator('#flash').textContent(), 'The scope was added.');
    // A system scope's form says why its name stays.
    await page.getByRole('link', { name: 'Edit openid' }).click();
    await page.locator('#system-note').waitFor();
    await check(page, 'scope-system', 'Edit scope openid', t);
    await page.getByRole('link', { name: 'Cancel' }).click();

    // A claim for that scope: a reserved name refused, then added.
    await page.getByRole('link', { name: 'Add a claim' }).click();
    await check(page, 'claim-new', 'Add a claim', t);
    await page.getByLabel('Name', { exact: true }).fill('sub');
    await page.getByLabel(/^Value: an expression/).fill('user.profile.department');
    await page.getByLabel('orders:read', { exact: true }).check();
    await page.getByRole('button', { name: 'Add claim' }).click();
    await page.locator('#e-name').waitFor();
    await check(page, 'claim-refused', 'Add a claim', t);
    await page.getByLabel('Name', { exact: true }).fill('dept');
    await page.getByRole('button', { name: 'Add claim' }).click();
    await page.waitForURL(/done=claim-created/);
    assert.match(await page.locator('#claims').textContent(), /dept/);

    // An access policy for every client, and a rule in it.
    await page.getByRole('link', { name: 'Add an access policy' }).click();
    await check(page, 'policy-new', 'Add an access policy', t);
    await page.getByLabel('Name', { exact: true }).fill('Orders');
    await page.getByLabel('Description').fill('Staff read orders');
    await page.getByRole('button', { name: 'Add policy' }).click();
    await page.waitForURL(/done=access-policy-created/);
    await check(page, 'policy', 'Access policy Orders (ACTIVE)', t);
    await page.getByRole('link', { name: 'Add a rule' }).click();
    await check(page, 'rule-new', 'Add a rule to Orders', t);
    await page.getByLabel('Name', { exact: true }).fill('Staff read');
    await page.getByLabel('Access token', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('#e-accessTokenLifetimeMinutes').waitFor();
    await check(page, 'rule-refused', 'Add a rule to Orders', t);
    await page.getByLabel('Access token', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.waitForURL(/done=rule-created/);
    assert.match(await page.locator('#rules').textContent(), /Staff read/);

    // The token preview: the rule that matches and the claim in the access token.
    await page.goto(server.url(`/admin/servers/${srv.id}`));
    await page.getByLabel('App', { exact: true }).selectOption({ label: `Orders web (${clientId})` });
    await page.getByRole('textbox', { name: /^User/ }).fill('ada@example.com');
    await page.getByRole('textbox', { name: /^Scopes/ }).fill('openid orders:read');
    await page.getByRole('button', { name: 'Preview token' }).click();
    await page.waitForURL(/\/preview\?/);
    assert.equal(await page.locator('#preview-policy').textContent(), 'Orders');
    assert.equal(await page.locator('#preview-rule').textContent(), 'Staff read');
    const claims = JSON.parse(await page.locator('#access-token').textContent());
    assert.equal(claims.dept, 'Maths');
    assert.deepEqual(claims.scp, ['openid', 'orders:read']);
    assert.equal(claims.exp - claims.iat, 30 * 60);
    assert.equal(JSON.parse(await page.locator('#id-token').textContent()).sub, ada);
    await check(page, 'preview', 'Token preview', t);
    // A scope the server does not have: the token endpoint's refusal.
    await page.getByRole('textbox', { name: /^Scopes/ }).fill('openid nope');
    await page.getByRole('button', { name: 'Preview token' }).click();
    await page.locator('#preview-refused').waitFor();
    assert.match(await page.locator('#preview-refused').textContent(), /invalid_scope/);
    await check(page, 'preview-refused', 'Token preview', t);
    // The browser reports the refused forms' 400 documents themselves; nothing else.
    assert.deepEqual(errors.filter((e) => !e.includes('400 (Bad Request)')), []);
    assert.equal(errors.length, 4);
  });

  test('a read-only administrator can look', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/admin', 'viewer@example.com');
    assert.equal(await page.locator('#read-only').textContent(), 'Read only');
    assert.match(await page.locator('#admin-roles').textContent(), /Read-only Administrator/);
    for (const [, href, heading] of SECTIONS) {
      const r = await page.goto(server.url(href));
      assert.equal(r.status(), 200, href);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), heading);
    }
    await page.goto(server.url('/admin'));
    await check(page, 'read-only-overview', 'Overview', t);
    // Look but not save: no form that changes anything, and a change posted anyway is refused.
    for (const href of [`/admin/apps/${ids.app}`, `/admin/users/${ids.member}`, `/admin/groups/${ids.group}`]) {
      await page.goto(server.url(href));
      assert.equal(await page.locator('form[method="post"]').count(), 0, href);
      assert.equal(await page.getByRole('button', { name: /Assign|Save|Delete|Deactivate/ }).count(), 0, href);
    }
    await check(page, 'read-only-group', 'grafana-users', t);
    const refused = await page.request.post(server.url(`/admin/apps/${ids.app}/lifecycle/deactivate`), {
      form: { csrf: '' },
      headers: { Origin: server.url('').replace(/\/$/, '') },
    });
    assert.equal(refused.status(), 403);
    assert.match(await refused.text(), /You have read-only access/);
    assert.equal((await server.api('GET', `/api/v1/apps/${ids.app}`)).status, 'ACTIVE', 'nothing changed');
    assert.deepEqual(errors, []);
  });

  test('an ordinary user cannot open /admin', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await page.goto(server.url('/admin'));
    await page.getByLabel('Username', { exact: true }).fill('member@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(server.url('/admin'));
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'You need an administrator role');
    const r = await page.goto(server.url('/admin/users'));
    assert.equal(r.status(), 403);
    assert.equal(await page.getByRole('navigation', { name: 'Console sections' }).count(), 0);
    assert.deepEqual(await axeViolations(page), []);
    await keep(page, 'refused', t);
    // The browser reports the 403 documents themselves; nothing else.
    assert.deepEqual(errors.filter((e) => !e.includes('403')), []);
  });
});
