// The end-user dashboard in Chromium: a member of the group an app is assigned to signs in, lands on
// /app/UserHome, sees the app's tile (logo and label), and launches it from the keyboard — through the app's
// initiate-login URI (third-party-initiated login) to the app on another site, signed in. Someone outside the group
// sees no tile. The dashboard's screenshot is kept in target/test-artifacts/dashboard.png.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { PASSWORD, createUser, launchChromium, startLanyard, watchConsole } from './lanyard.mjs';
import { startRelyingParty } from './relying-party.mjs';

const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../target/test-artifacts');

describe('the dashboard in Chromium', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let rp;

  before(async () => {
    server = await startLanyard({ localhost: true });
    browser = await launchChromium();
    rp = await startRelyingParty(server, { label: 'Example App', everyone: false, initiateLogin: true });
    const member = await createUser(server, 'member@example.com', 'Mia', 'Member');
    await createUser(server, 'outsider@example.com', 'Otto', 'Outsider');
    const group = await server.api('POST', '/api/v1/groups', { profile: { name: 'example-users' } });
    await server.api('PUT', `/api/v1/groups/${group.id}/users/${member}`);
    await server.api('PUT', `/api/v1/apps/${rp.app.id}/groups/${group.id}`, {});
  });

  after(async () => {
    await browser?.close();
    await rp?.stop();
    if (server) {
      const log = server.errors();
      await server.stop();
      assert.deepEqual(log, [], 'the server logged no errors');
    }
  });

  async function signInAt(page, target, login) {
    await page.goto(server.url(target));
    await page.getByLabel('Username', { exact: true }).fill(login);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(server.url(target));
  }

  test('a member sees the tile and launches the app with the keyboard (screenshot)', async (t) => {
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/app/UserHome', 'member@example.com');
    assert.equal(await page.title(), 'My apps · Lanyard');
    const tile = page.getByRole('link', { name: 'Example App' });
    assert.equal(await tile.count(), 1);
    const logoLoaded = await tile.locator('img').evaluate((img) => img.complete && img.naturalWidth > 0);
    assert.ok(logoLoaded, 'the logo loads under the page policy');
    assert.equal(await page.locator('script').count(), 0, 'no JavaScript');
    mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    assert.equal(readFileSync(file).subarray(1, 4).toString(), 'PNG');
    t.diagnostic(`screenshot: ${file}`);

    // Search narrows the tiles, without script.
    await page.getByLabel('Search your apps').fill('nothing like it');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=nothing/);
    assert.equal(await page.getByRole('link', { name: 'Example App' }).count(), 0);
    await page.getByLabel('Search your apps').fill('example');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=example/);

    // The keyboard reaches the tile and opens it: the app is signed in on its own site.
    await page.getByRole('link', { name: 'Example App' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${rp.origin}/callback?**`);
    assert.equal(await page.locator('#email').textContent(), 'member@example.com');
    assert.equal(rp.log.at(-1).claims.email ?? rp.log.at(-1).info.email, 'member@example.com');
    assert.deepEqual(errors, []);
  });

  test('someone outside the group sees no tile', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signInAt(page, '/app/UserHome', 'outsider@example.com');
    assert.equal(await page.getByRole('link', { name: 'Example App' }).count(), 0);
    assert.match(await page.locator('#no-apps').textContent(), /No apps are assigned to you/);
    const r = await page.goto(server.url(`/home/oidc_client/${rp.app.id}`));
    assert.equal(r.status(), 403);
    assert.deepEqual(errors.filter((e) => !e.includes('403')), []);
  });
});
