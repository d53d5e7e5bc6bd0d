// Whole flows in headless Chromium, from an app on another origin back to that app, as a user lives them: the app
// redirects to Lanyard's authorization endpoint, the user signs in on the hosted pages (password, TOTP, a passkey,
// enrolment, step-up, consent, an expired password), the browser lands back on the app with a code (query or
// form_post) that the app redeems; RP-initiated logout returns to the app; device approval ends on Lanyard. Every
// page of every flow must log no console error: Chromium applies a page's `form-action` to each redirect that
// follows its form's submission, so a strict CSP on the sign-in page once stopped every sign-in short of the app.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORD, base32Decode, createUser, enrolTotp, launchChromium, startLanyard, totp, watchConsole } from './lanyard.mjs';
import { startRelyingParty } from './relying-party.mjs';

describe('flows to an app on another origin, in Chromium', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let rp;
  const others = [];

  before(async () => {
    // WebAuthn needs a domain name: Lanyard at http://localhost:PORT, the app at http://127.0.0.1:OTHER.
    server = await startLanyard({ localhost: true });
    browser = await launchChromium();
    rp = await startRelyingParty(server);
  });

  after(async () => {
    await browser?.close();
    await rp?.stop();
    for (const o of others) await o.stop();
    if (server) {
      const log = server.stderr.filter((l) => /\bERROR\b/.test(l));
      await server.stop();
      assert.deepEqual(log, [], 'the server logged no errors');
    }
  });

  /** A fresh browser profile and its page, with every console error collected. */
  async function fresh(t, options = {}) {
    const context = await browser.newContext(options);
    t.after(() => context.close());
    const page = await context.newPage();
    return { context, page, errors: watchConsole(page) };
  }

  async function typePassword(page, username, password = PASSWORD) {
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Waits for the app's signed-in page; the email it shows. */
  async function landedOnApp(page, app = rp) {
    await page.waitForURL((u) => u.origin === app.origin && u.pathname === '/callback', { timeout: 20_000 });
    await page.locator('#signed-in').waitFor();
    return page.locator('#email').textContent();
  }

  test('code + PKCE: the hosted sign-in returns to the app, and RP-initiated logout returns to it too', async (t) => {
    await createUser(server, 'ada@example.com');
    const { context, page, errors } = await fresh(t);
    await page.goto(rp.login());
    assert.equal(new URL(page.url()).pathname, '/signin');
    await typePassword(page, 'ada@example.com');
    assert.equal(await landedOnApp(page), 'ada@example.com');
    assert.deepEqual(rp.log.at(-1).claims.amr, ['pwd']);

    // The app's sign-out link carries its ID token as the hint: Lanyard signs out at once and returns.
    await page.locator('#logout').click();
    await page.waitForURL((u) => u.origin === rp.origin && u.pathname === '/signed-out');
    assert.equal(await page.locator('#signed-out').textContent(), 'Signed out');
    assert.equal((await context.cookies(server.base)).find((c) => c.name === 'sid'), undefined);
    assert.deepEqual(errors, []);
  });

  test('RP-initiated logout confirmed on Lanyard’s form returns to the app', async (t) => {
    await createUser(server, 'lin@example.com', 'Lin', 'Clark');
    const { context, page, errors } = await fresh(t);
    await page.goto(rp.login());
    await typePassword(page, 'lin@example.com');
    await landedOnApp(page);
    // No hint: Lanyard asks first, and its form's answer redirects to the app.
    await page.goto(rp.logoutWithoutHint());
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.origin === rp.origin && u.pathname === '/signed-out');
    assert.equal(await page.locator('#signed-out').textContent(), 'Signed out');
    assert.equal((await context.cookies(server.base)).find((c) => c.name === 'sid'), undefined);
    assert.deepEqual(errors, []);
  });

  test('form_post: the sign-in ends in a form the browser posts to the app', async (t) => {
    await createUser(server, 'grace@example.com', 'Grace', 'Hopper');
    const { page, errors } = await fresh(t);
    await page.goto(rp.login({ response_mode: 'form_post' }));
    await typePassword(page, 'grace@example.com');
    assert.equal(await landedOnApp(page), 'grace@example.com');
    assert.deepEqual(errors, []);
  });

  test('form_post without JavaScript: the user presses Continue', async (t) => {
    await createUser(server, 'barbara@example.com', 'Barbara', 'Liskov');
    const { page, errors } = await fresh(t, { javaScriptEnabled: false });
    await page.goto(rp.login({ response_mode: 'form_post' }));
    await typePassword(page, 'barbara@example.com');
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.equal(await landedOnApp(page), 'barbara@example.com');
    assert.deepEqual(errors, []);
  });

  test('consent: the app asks, the user allows, the app gets the code', async (t) => {
    await server.api('POST', '/api/v1/authorizationServers/default/scopes', {
      name: 'photos.read',
      displayName: 'See your photos',
      consent: 'REQUIRED',
    });
    const consenting = await startRelyingParty(server, {
      label: 'Photo App',
      settings: { consent_method: 'REQUIRED' },
    });
    others.push(consenting);
    await createUser(server, 'joan@example.com', 'Joan', 'Clarke');
    const { page, errors } = await fresh(t);
    await page.goto(consenting.login({ scope: 'openid email photos.read' }));
    await typePassword(page, 'joan@example.com');
    await page.waitForURL((u) => u.pathname === '/signin/consent');
    assert.match(await page.locator('main').textContent(), /See your photos/);
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    assert.equal(await landedOnApp(page, consenting), 'joan@example.com');
    assert.match(consenting.log.at(-1).tokens.scope, /photos\.read/);

    // Asked again, the user declines: the app learns it (access_denied, at its redirect URI).
    await page.goto(consenting.login({ scope: 'openid email photos.read', prompt: 'consent' }));
    await page.getByRole('button', { name: "Don't allow" }).click();
    await page.waitForURL((u) => u.origin === consenting.origin && u.pathname === '/callback');
    assert.equal(await page.locator('#error').textContent(), 'access_denied');
    assert.deepEqual(errors, []);
  });

  test('TOTP: the MFA step returns to the app', async (t) => {
    const uid = await createUser(server, 'alan@example.com', 'Alan', 'Turing');
    const { secret } = await enrolTotp(server, uid);
    const { page, errors } = await fresh(t);
    await page.goto(rp.login());
    await typePassword(page, 'alan@example.com');
    // The activation spent the current step's code: the next step's.
    await page.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000 + 30));
    await page.getByRole('button', { name: 'Verify' }).click();
    assert.equal(await landedOnApp(page), 'alan@example.com');
    assert.deepEqual(rp.log.at(-1).claims.amr, ['pwd', 'otp', 'mfa']);
    assert.deepEqual(errors, []);
  });

  test('enrolment a sign-on policy requires, during the app’s sign-in, returns to the app', async (t) => {
    const uid = await createUser(server, 'hedy@example.com', 'Hedy', 'Lamarr');
    const group = await server.api('POST', '/api/v1/groups', { profile: { name: 'Enrol in flow' } });
    await server.api('PUT', `/api/v1/groups/${group.id}/users/${uid}`);
    const policy = await server.api('POST', '/api/v1/policies', {
      type: 'OKTA_SIGN_ON',
      name: 'MFA for Enrol in flow',
      conditions: { people: { groups: { include: [group.id] } } },
    });
    await server.api('POST', `/api/v1/policies/${policy.id}/rules`, {
      type: 'SIGN_ON',
      name: 'Require a factor',
      actions: { signon: { access: 'ALLOW', requireFactor: true, factorPromptMode: 'ALWAYS' } },
    });
    const { page, errors } = await fresh(t);
    await page.goto(rp.login());
    await typePassword(page, 'hedy@example.com');
    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    const secret = base32Decode(await page.locator('#sharedSecret').textContent());
    await page.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000));
    await page.getByRole('button', { name: 'Verify' }).click();
    assert.equal(await landedOnApp(page), 'hedy@example.com');
    assert.deepEqual(errors, []);
  });

  test('an expired password changed during the app’s sign-in returns to the app', async (t) => {
    const uid = await createUser(server, 'radia@example.com', 'Radia', 'Perlman');
    await server.api('POST', `/api/v1/users/${uid}/lifecycle/expire_password`);
    const { page, errors } = await fresh(t);
    await page.goto(rp.login());
    await typePassword(page, 'radia@example.com');
    await page.getByLabel('New password', { exact: true }).fill('Another-Horse-42');
    await page.getByLabel('Repeat the new password', { exact: true }).fill('Another-Horse-42');
    await page.getByRole('button', { name: 'Change password' }).click();
    assert.equal(await landedOnApp(page), 'radia@example.com');
    assert.deepEqual(errors, []);
  });

  test('step-up: acr_values asking for two factors of a password session go through the MFA step and back', async (t) => {
    const uid = await createUser(server, 'frances@example.com', 'Frances', 'Allen');
    const { page, errors } = await fresh(t);
    // A password session first (no factor yet), then a factor, then an app that asks for two.
    await page.goto(rp.login());
    await typePassword(page, 'frances@example.com');
    await landedOnApp(page);
    const { secret } = await enrolTotp(server, uid);
    await page.goto(rp.login({ acr_values: 'urn:okta:loa:2fa:any' }));
    await page.waitForURL((u) => u.pathname === '/signin/step-up');
    await page.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000 + 30));
    await page.getByRole('button', { name: 'Verify' }).click();
    await landedOnApp(page);
    assert.equal(rp.log.at(-1).claims.acr, 'urn:okta:loa:2fa:any');
    assert.deepEqual(errors, []);
  });

  test('a passkey as the second factor returns to the app', async (t) => {
    await createUser(server, 'margaret@example.com', 'Margaret', 'Hamilton');
    const { context, page, errors } = await fresh(t);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    // Sign in to the app, add a passkey on Lanyard's security page, sign out through the app.
    await page.goto(rp.login());
    await typePassword(page, 'margaret@example.com');
    await landedOnApp(page);
    await page.goto(server.url('/app/security'));
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(server.url('/app/security?added=1'));
    await page.goto(server.url('/login/signout'));
    // Now the app's sign-in asks for the passkey after the password.
    await page.goto(rp.login());
    await typePassword(page, 'margaret@example.com');
    await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
    assert.equal(await landedOnApp(page), 'margaret@example.com');
    assert.deepEqual(rp.log.at(-1).claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.deepEqual(errors, []);
  });

  test('device approval: sign in from /activate, approve, and the device gets its tokens', async (t) => {
    await createUser(server, 'katherine@example.com', 'Katherine', 'Johnson');
    const device = await server.api('POST', '/api/v1/apps?activate=true', {
      label: 'TV App',
      signOnMode: 'OPENID_CONNECT',
      name: 'oidc_client',
      credentials: { oauthClient: { token_endpoint_auth_method: 'none' } },
      settings: {
        oauthClient: {
          application_type: 'native',
          grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
          response_types: [],
          redirect_uris: [],
        },
      },
    });
    const everyone = (await server.api('GET', '/api/v1/groups?q=Everyone')).find((g) => g.profile.name === 'Everyone');
    await server.api('PUT', `/api/v1/apps/${device.id}/groups/${everyone.id}`, {});
    const clientId = device.credentials.oauthClient.client_id;
    const started = await (
      await fetch(server.url('/oauth2/default/v1/device/authorize'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: clientId, scope: 'openid profile' }),
      })
    ).json();
    const { page, errors } = await fresh(t);
    await page.goto(started.verification_uri_complete);
    await typePassword(page, 'katherine@example.com');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: /connected/i }).waitFor();
    const token = await fetch(server.url('/oauth2/default/v1/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: started.device_code,
        client_id: clientId,
      }),
    });
    assert.equal(token.status, 200, await token.clone().text());
    assert.ok((await token.json()).id_token);
    assert.deepEqual(errors, []);
  });
});
