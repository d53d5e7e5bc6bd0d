// Passkeys on the hosted pages in headless Chromium, with Chromium's virtual authenticator (CDP's WebAuthn
// domain) standing in for a platform authenticator: register a passkey at /app/security, sign out, sign in with the
// password and the passkey; and, with JavaScript off, the MFA step says so and offers the TOTP code instead.
// WebAuthn needs a domain name, so the server runs with the base URL http://localhost:PORT.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORD, createUser, enrolTotp, launchChromium, startLanyard, totp, watchConsole } from './lanyard.mjs';

describe('passkeys in Chromium', { timeout: 180_000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startLanyard({ localhost: true });
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

  async function signIn(page, username) {
    await page.goto(server.url('/signin'));
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('load');
  }

  /** A browser context whose page has a virtual, user-verifying platform authenticator. */
  async function withAuthenticator(t) {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    return { context, page, cdp, authenticatorId };
  }

  /** Signs in (password only), adds a passkey at /app/security, signs out. */
  async function addPasskey(t, login) {
    const { page, cdp, authenticatorId } = await withAuthenticator(t);
    const errors = watchConsole(page);
    await signIn(page, login);
    await page.waitForURL(server.url('/app'));
    await page.getByRole('link', { name: 'Passkeys' }).click();
    await page.waitForURL(server.url('/app/security'));
    assert.equal(await page.locator('#no-passkeys').count(), 1);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(server.url('/app/security?added=1'));
    assert.equal(await page.locator('#notice').textContent(), 'Passkey added.');
    assert.equal(await page.locator('#passkeys li').count(), 1);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the authenticator holds the new credential');
    assert.equal(credentials[0].rpId, 'localhost');
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForLoadState('load');
    assert.deepEqual(errors, []);
    return { page, errors };
  }

  test('registers a passkey, then signs in with password and passkey', async (t) => {
    const uid = await createUser(server, 'ada@example.com');
    const { page, errors } = await addPasskey(t, 'ada@example.com');

    const factors = await server.api('GET', `/api/v1/users/${uid}/factors`);
    assert.equal(factors.length, 1);
    assert.equal(factors[0].factorType, 'webauthn');
    assert.equal(factors[0].provider, 'FIDO');
    assert.equal(factors[0].status, 'ACTIVE');

    // The same browser signs in again: after the password, the passkey.
    await signIn(page, 'ada@example.com');
    const button = page.getByRole('button', { name: 'Use a passkey or security key' });
    await button.waitFor();
    assert.equal(await page.getByLabel('Verification code').count(), 0, 'no TOTP factor, no code field');
    assert.equal(
      (await (await page.request.get(server.url('/api/v1/sessions/me'))).status()),
      404,
      'no session before the second factor',
    );
    await button.click();
    await page.waitForURL(server.url('/app'));
    assert.equal(await page.locator('#login').textContent(), 'ada@example.com');
    const me = await page.request.get(server.url('/api/v1/sessions/me'));
    assert.equal(me.status(), 200);
    const session = await me.json();
    assert.equal(session.userId, uid);
    assert.deepEqual(session.amr, ['pwd', 'hwk', 'mfa']);
    assert.deepEqual(errors, []);

    // The system log records the sign-in via MFA (written in batches, off the request path).
    const filter = encodeURIComponent('eventType eq "user.authentication.auth_via_mfa"');
    let logged = false;
    for (let i = 0; i < 50 && !logged; i++) {
      const events = await server.api('GET', `/api/v1/logs?filter=${filter}`);
      logged = events.some((e) => e.outcome.result === 'SUCCESS' && e.actor.id === uid);
      if (!logged) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(logged, 'user.authentication.auth_via_mfa SUCCESS is logged');
  });

  test('without JavaScript the MFA step says so and the TOTP code still works', async (t) => {
    const uid = await createUser(server, 'grace@example.com', 'Grace', 'Hopper');
    await addPasskey(t, 'grace@example.com');
    const { secret } = await enrolTotp(server, uid);

    const context = await browser.newContext({ javaScriptEnabled: false });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signIn(page, 'grace@example.com');
    await page.getByLabel('Verification code').waitFor();
    assert.match(await page.locator('#passkey-needs-js').textContent(), /needs JavaScript\. Enter a code/);
    assert.equal(await page.getByRole('button', { name: 'Use a passkey or security key' }).isVisible(), false);
    await page.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000 + 30));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(server.url('/app'));
    const session = await (await page.request.get(server.url('/api/v1/sessions/me'))).json();
    assert.deepEqual(session.amr, ['pwd', 'otp', 'mfa']);
    assert.deepEqual(errors, []);
  });
});
