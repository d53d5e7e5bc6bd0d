// The hosted sign-in pages in a real browser: Debian's headless Chromium, driven by playwright-core, against the
// real `lanyard` binary. Run with `node --test tests/browser/` after `cargo build` (or set LANYARD_BIN).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  PASSWORD,
  base32Decode,
  createUser,
  enrolTotp,
  launchChromium,
  startLanyard,
  totp,
  watchConsole,
} from './lanyard.mjs';

test('the TOTP helper matches RFC 6238 test vectors (SHA-1)', () => {
  const secret = Buffer.from('12345678901234567890');
  for (const [t, code] of [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1234567890, '89005924'],
    [20000000000, '65353130'],
  ]) {
    assert.equal(totp(secret, t, { digits: 8 }), code);
  }
});

describe('hosted sign-in in Chromium', { timeout: 180_000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startLanyard();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (server) {
      const log = server.stderr.filter((l) => /\bERROR\b/.test(l));
      await server.stop();
      assert.deepEqual(log, [], 'the server logged no errors');
    }
  });

  /** Opens /signin, types the credentials into the labelled fields and presses the button. */
  async function signIn(page, username, password) {
    await page.goto(server.url('/signin'));
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('load');
  }

  async function sid(context) {
    return (await context.cookies(server.base)).find((c) => c.name === 'sid');
  }

  test('signs in, shows the login on /app, and signs out', async (t) => {
    const uid = await createUser(server, 'ada@example.com');
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);

    await signIn(page, 'ada@example.com', PASSWORD);
    await page.waitForURL(server.url('/app'));
    assert.equal(await page.locator('#login').textContent(), 'ada@example.com');
    assert.match(await page.getByRole('heading', { level: 1 }).textContent(), /Welcome, Ada Lovelace/);

    const cookie = await sid(context);
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie.httpOnly, true, 'sid is HttpOnly');
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    const csrf = (await context.cookies(server.base)).find((c) => c.name === 'lanyard_csrf');
    assert.ok(csrf?.httpOnly, 'the CSRF cookie is HttpOnly too');

    // The page's own cookies authenticate the sessions API (page.request shares the context's cookie jar).
    const me = await page.request.get(server.url('/api/v1/sessions/me'));
    assert.equal(me.status(), 200);
    const session = await me.json();
    assert.equal(session.userId, uid);
    assert.deepEqual(session.amr, ['pwd']);

    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForLoadState('load');
    assert.equal(await sid(context), undefined, 'signing out clears the cookie');
    assert.equal((await page.request.get(server.url('/api/v1/sessions/me'))).status(), 404);

    await page.goto(server.url('/app'));
    const url = new URL(page.url());
    assert.equal(url.pathname, '/signin', 'signed out: /app sends the browser to sign in');
    assert.equal(url.searchParams.get('fromURI'), '/app');
    assert.deepEqual(errors, []);
  });

  test('a wrong password shows the error and sets no session cookie', async (t) => {
    await createUser(server, 'grace@example.com', 'Grace', 'Hopper');
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);

    await signIn(page, 'grace@example.com', 'Wrong-Horse-1');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /username or the password is wrong/);
    assert.equal(new URL(page.url()).pathname, '/signin');
    assert.equal(await sid(context), undefined, 'no session');
    // The username is kept and the cursor waits in the password field.
    assert.equal(await page.getByLabel('Username', { exact: true }).inputValue(), 'grace@example.com');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');

    // The second try works from the error page.
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(server.url('/app'));
    assert.ok(await sid(context));
    // The refused attempt is answered 401, which Chromium logs as a failed load of the document; nothing else.
    assert.deepEqual(errors, [
      `console: Failed to load resource: the server responded with a status of 401 (Unauthorized) (${server.url('/signin')})`,
    ]);
  });

  test('signs in with JavaScript disabled', async (t) => {
    await createUser(server, 'edsger@example.com', 'Edsger', 'Dijkstra');
    const context = await browser.newContext({ javaScriptEnabled: false });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);

    await signIn(page, 'edsger@example.com', PASSWORD);
    await page.waitForURL(server.url('/app'));
    assert.equal(await page.locator('#login').textContent(), 'edsger@example.com');
    assert.ok((await sid(context))?.httpOnly);
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForLoadState('load');
    assert.equal(await sid(context), undefined);
    assert.deepEqual(errors, []);
  });

  test('asks for a TOTP code and signs in with it', async (t) => {
    const uid = await createUser(server, 'alan@example.com', 'Alan', 'Turing');
    const { secret } = await enrolTotp(server, uid);
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);

    await signIn(page, 'alan@example.com', PASSWORD);
    const code = page.getByLabel('Verification code');
    await code.waitFor();
    assert.equal(await code.getAttribute('name'), 'passCode');
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'passCode');
    assert.equal(await sid(context), undefined, 'no session before the second factor');

    await code.fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /code didn't work/);
    assert.equal(await sid(context), undefined);

    // The activation spent the current step's code: use the next step's.
    await page.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000 + 30));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(server.url('/app'));
    assert.equal(await page.locator('#login').textContent(), 'alan@example.com');
    const cookie = await sid(context);
    assert.ok(cookie?.httpOnly);
    const session = await (await page.request.get(server.url('/api/v1/sessions/me'))).json();
    assert.deepEqual(session.amr, ['pwd', 'otp', 'mfa']);
    // The wrong code is answered 403, which Chromium logs as a failed load of the document; nothing else.
    assert.deepEqual(errors, [
      `console: Failed to load resource: the server responded with a status of 403 (Forbidden) (${server.url('/signin/verify')})`,
    ]);
  });

  test('enrols the TOTP factor a sign-on policy requires, then signs in', async (t) => {
    const uid = await createUser(server, 'barbara@example.com', 'Barbara', 'Liskov');
    // A policy for a group of one: the other tests' users are not affected.
    const group = await server.api('POST', '/api/v1/groups', { profile: { name: 'Needs MFA' } });
    await server.api('PUT', `/api/v1/groups/${group.id}/users/${uid}`);
    const policy = await server.api('POST', '/api/v1/policies', {
      type: 'OKTA_SIGN_ON',
      name: 'MFA for Needs MFA',
      conditions: { people: { groups: { include: [group.id] } } },
    });
    await server.api('POST', `/api/v1/policies/${policy.id}/rules`, {
      type: 'SIGN_ON',
      name: 'Require a factor',
      actions: { signon: { access: 'ALLOW', requireFactor: true, factorPromptMode: 'ALWAYS' } },
    });
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);

    await signIn(page, 'barbara@example.com', PASSWORD);
    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    // The QR code is inline SVG, labelled for assistive technology; the key is there to type.
    const qr = page.getByRole('img', { name: /QR code for adding barbara@example.com/ });
    assert.ok(await qr.isVisible());
    const box = await qr.locator('svg').boundingBox();
    assert.ok(box && box.width >= 150 && box.height >= 150, `a scannable QR code (${JSON.stringify(box)})`);
    assert.match(await page.locator('#otpauthLink').getAttribute('href'), /^otpauth:\/\/totp\/Lanyard:barbara%40example\.com\?secret=/);
    const secret = base32Decode(await page.locator('#sharedSecret').textContent());
    const code = page.getByLabel('Verification code');
    assert.equal(await code.getAttribute('name'), 'passCode');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'passCode');
    assert.equal(await sid(context), undefined, 'no session before the factor is set up');

    await code.fill(totp(secret, Date.now() / 1000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(server.url('/app'));
    assert.equal(await page.locator('#login').textContent(), 'barbara@example.com');
    const session = await (await page.request.get(server.url('/api/v1/sessions/me'))).json();
    assert.deepEqual(session.amr, ['pwd', 'otp', 'mfa']);
    const factors = await server.api('GET', `/api/v1/users/${uid}/factors`);
    assert.deepEqual(factors.map((f) => [f.factorType, f.status]), [['token:software:totp', 'ACTIVE']]);
    assert.deepEqual(errors, []);
  });

  test('the sign-in page renders without console errors (screenshot)', async (t) => {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    const failed = [];
    page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));

    const response = await page.goto(server.url('/signin'));
    assert.equal(response.status(), 200);
    await page.waitForLoadState('load');
    assert.equal(await page.title(), 'Sign in · Lanyard');
    // The stylesheet loaded under the page's Content Security Policy.
    const styled = await page.evaluate(() => document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0);
    assert.ok(styled, 'lanyard.css applies');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'username', 'autofocus on the username');
    const file = path.join(server.dir, 'signin.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(png.length > 2000, 'a non-trivial screenshot');
    t.diagnostic(`screenshot: ${file} (${png.length} bytes)`);
    assert.deepEqual(errors, []);
    assert.deepEqual(failed, []);
  });
});
