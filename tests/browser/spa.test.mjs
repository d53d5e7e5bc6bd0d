// A single-page app in headless Chromium, written with Okta's own browser SDK (@okta/okta-auth-js, its published
// browser bundle, unmodified): it lives on another origin than Lanyard, redirects to the hosted sign-in with code +
// PKCE, and then — from JavaScript, through CORS — redeems the code at the token endpoint, verifies the ID token
// against the JWKS, reads userinfo, refreshes its tokens with the refresh token and revokes them. Nothing but the
// SDK talks to Lanyard; any console error fails the test.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { PASSWORD, createUser, launchChromium, startLanyard, watchConsole } from './lanyard.mjs';

// The package's published browser bundle (its `exports` do not name it: read it from the installed package).
const SDK = readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules/@okta/okta-auth-js/dist/okta-auth-js.min.js'),
  'utf8',
);

/** The app's own script: an OktaAuth for `config`, and what the page does on load. */
function appScript(config) {
  return `
const config = ${JSON.stringify(config)};
const authClient = new OktaAuth({
  issuer: config.issuer,
  clientId: config.clientId,
  redirectUri: location.origin + '/callback',
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  pkce: true,
  testing: { disableHttpsCheck: true },
});
const out = (id, text) => { document.getElementById(id).textContent = text; };
document.getElementById('signin').addEventListener('click', () => authClient.signInWithRedirect());
(async () => {
  if (!authClient.isLoginRedirect()) return;
  const { tokens } = await authClient.token.parseFromUrl();
  authClient.tokenManager.setTokens(tokens);
  out('email', tokens.idToken.claims.email);
  const info = await authClient.token.getUserInfo(tokens.accessToken, tokens.idToken);
  out('userinfo', info.email);
  const renewed = await authClient.token.renewTokens();
  out('renewed', renewed.accessToken.accessToken !== tokens.accessToken.accessToken ? 'new tokens' : 'same tokens');
  authClient.tokenManager.setTokens(renewed);
  const again = await authClient.token.getUserInfo(renewed.accessToken, renewed.idToken);
  out('userinfo-again', again.email);
  await authClient.revokeRefreshToken(renewed.refreshToken);
  out('revoked', 'revoked');
})().catch((e) => out('error', String(e && (e.errorSummary || e.message) || e)));
`;
}

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPA</title>
<script src="/okta-auth-js.min.js"></script></head><body>
<button id="signin">Sign in</button>
<p>Email: <span id="email"></span></p><p>Userinfo: <span id="userinfo"></span></p>
<p>Renewed: <span id="renewed"></span></p><p>Userinfo again: <span id="userinfo-again"></span></p>
<p>Revoked: <span id="revoked"></span></p><p>Error: <span id="error"></span></p>
<script src="/app.js"></script></body></html>`;

/** Serves the SPA on 127.0.0.1 (another origin than Lanyard's localhost); the app's config is set later. */
async function startSpa() {
  let config = {};
  const http = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const send = (type, body) => {
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (path === '/okta-auth-js.min.js') return send('text/javascript', SDK);
    if (path === '/app.js') return send('text/javascript', appScript(config));
    if (path === '/' || path === '/callback') return send('text/html; charset=utf-8', PAGE);
    res.writeHead(path === '/favicon.ico' ? 204 : 404);
    res.end();
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${http.address().port}`,
    configure: (c) => {
      config = c;
    },
    stop: () => new Promise((resolve) => http.close(resolve)),
  };
}

describe('a single-page app with @okta/okta-auth-js in Chromium', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let spa;

  before(async () => {
    server = await startLanyard({ localhost: true });
    browser = await launchChromium();
    spa = await startSpa();
  });

  after(async () => {
    await browser?.close();
    await spa?.stop();
    if (server) {
      const log = server.stderr.filter((l) => /\bERROR\b/.test(l));
      await server.stop();
      assert.deepEqual(log, [], 'the server logged no errors');
    }
  });

  test('code + PKCE, userinfo, refresh and revocation from JavaScript, through CORS', async (t) => {
    await createUser(server, 'ada@example.com');
    // A browser app whose redirect URI is on the SPA's origin: that registration is what allows the origin.
    const app = await server.api('POST', '/api/v1/apps?activate=true', {
      label: 'SPA',
      signOnMode: 'OPENID_CONNECT',
      name: 'oidc_client',
      credentials: { oauthClient: { token_endpoint_auth_method: 'none' } },
      settings: {
        oauthClient: {
          application_type: 'browser',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: [`${spa.origin}/callback`],
        },
      },
    });
    const everyone = (await server.api('GET', '/api/v1/groups?q=Everyone')).find((g) => g.profile.name === 'Everyone');
    await server.api('PUT', `/api/v1/apps/${app.id}/groups/${everyone.id}`, {});
    spa.configure({ issuer: server.url('/oauth2/default'), clientId: app.credentials.oauthClient.client_id });

    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchConsole(page);
    const crossOrigin = [];
    page.on('request', (r) => {
      if (new URL(r.url()).origin === server.base && r.resourceType() === 'fetch') crossOrigin.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });

    await page.goto(`${spa.origin}/`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.origin === server.base && u.pathname === '/signin');
    await page.getByLabel('Username', { exact: true }).fill('ada@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.origin === spa.origin && u.pathname === '/callback');
    await page.waitForFunction(() => document.getElementById('revoked').textContent || document.getElementById('error').textContent, null, {
      timeout: 20_000,
    });
    assert.equal(await page.locator('#error').textContent(), '');
    assert.equal(await page.locator('#email').textContent(), 'ada@example.com');
    assert.equal(await page.locator('#userinfo').textContent(), 'ada@example.com');
    assert.equal(await page.locator('#renewed').textContent(), 'new tokens');
    assert.equal(await page.locator('#userinfo-again').textContent(), 'ada@example.com');
    assert.equal(await page.locator('#revoked').textContent(), 'revoked');
    // Every call went from the page to Lanyard: the token endpoint twice (code, refresh), userinfo twice, keys,
    // revocation — each one cross-origin.
    for (const call of ['POST /oauth2/default/v1/token', 'GET /oauth2/default/v1/userinfo', 'POST /oauth2/default/v1/revoke']) {
      assert.ok(crossOrigin.includes(call), `${call} in ${crossOrigin.join(', ')}`);
    }
    assert.deepEqual(errors, []);
  });
});
