// @okta/oidc-middleware (Okta's Express integration, on openid-client 5 and Passport) against the real `lanyard`
// binary: an Express app with express-session signs a user in through the hosted sign-in page (the middleware's
// code flow with its own state, nonce, ID token validation and userinfo call), then logs out through its POST
// /logout route — which revokes the tokens and sends the browser to `end_session_endpoint` with `id_token_hint`,
// `post_logout_redirect_uri` and `client_id` — and comes back signed out of Lanyard too. The app also registered
// a back-channel logout URI: the logout token Lanyard POSTs there is checked with Node's own crypto.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createPublicKey, verify } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import oidcMiddleware from '@okta/oidc-middleware';
import express from 'express';
import session from 'express-session';

import { Browser, PASSWORD, assign, claims, createApp, createUser, forms, startLanyard } from './lanyard.mjs';

/**
 * Follows redirects from `url` (and fills in Lanyard's sign-in page when it appears and `login` is given) until a
 * page answers: that response's status, final URL and body.
 */
async function browse(browser, url, { init, login } = {}) {
  let current = new URL(url);
  let r = await browser.request(current, init);
  for (let hops = 0; hops < 20; hops++) {
    if (r.status >= 300 && r.status < 400) {
      current = new URL(r.headers.get('location'), current);
      r = await browser.request(current, { headers: { Accept: 'text/html' } });
      continue;
    }
    const body = await r.text();
    const signin = r.status === 200 && current.pathname === '/signin' && forms(body).find((f) => 'password' in f.fields);
    if (signin && login) {
      const fields = { ...signin.fields, username: login, password: PASSWORD };
      current = new URL(signin.action ?? current.href, current);
      r = await browser.request(current, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      login = undefined;
      continue;
    }
    return { status: r.status, url: current, body };
  }
  throw new Error(`too many redirects from ${url}`);
}

const { ExpressOIDC } = oidcMiddleware; // a CommonJS module

/** Verifies a JWS with a JWK set using Node's crypto (RS256, ES256 or EdDSA); its header and claims. */
function verifyJws(jws, jwks) {
  const [h, c, s] = jws.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `a published key ${header.kid}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${c}`);
  const sig = Buffer.from(s, 'base64url');
  const algorithm = { RS256: 'RSA-SHA256', ES256: 'SHA256', EdDSA: null }[header.alg];
  const ok = verify(algorithm, data, header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
  assert.ok(ok, 'the signature verifies');
  return { header, claims: JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) };
}

describe('@okta/oidc-middleware', { timeout: 120_000 }, () => {
  let server;
  let uid;
  let web;

  before(async () => {
    // The app's back-channel endpoint is a local server: outbound requests may reach loopback, as in a lab.
    server = await startLanyard({ args: ['--outbound-allow', 'loopback'] });
    uid = await createUser(server, 'ada@example.com');
    // The app's server, listening before the app exists: its base URL goes into the registration.
    web = createServer().listen(0, '127.0.0.1');
    await once(web, 'listening');
  });

  after(async () => {
    web?.close();
    web?.closeAllConnections();
    if (server) {
      const errors = server.errors();
      await server.stop();
      assert.deepEqual(errors, [], 'the server logged no errors');
    }
  });

  test('an Express app signs a user in and logs out through end_session_endpoint, told by the back channel', async () => {
    const appBase = `http://127.0.0.1:${web.address().port}`;
    const registered = await createApp(server, {
      settings: {
        redirect_uris: [`${appBase}/authorization-code/callback`],
        post_logout_redirect_uris: [`${appBase}/`],
        backchannel_logout_uri: `${appBase}/backchannel-logout`,
        backchannel_logout_session_required: true,
      },
      // The middleware sends no PKCE.
      credentials: { pkce_required: false },
    });
    await assign(server, registered.id, uid);
    const { client_id, client_secret } = registered.credentials.oauthClient;
    const issuer = server.url('/oauth2/default');

    const oidc = new ExpressOIDC({
      issuer,
      client_id,
      client_secret,
      appBaseUrl: appBase,
      scope: 'openid profile',
      testing: { disableHttpsCheck: true },
    });
    const errors = [];
    oidc.on('error', (e) => errors.push(e));
    await once(oidc, 'ready');

    const logoutTokens = [];
    const app = express();
    app.post('/backchannel-logout', express.urlencoded({ extended: false }), (req, res) => {
      logoutTokens.push(req.body);
      res.set('Cache-Control', 'no-store').sendStatus(200);
    });
    app.use(session({ secret: 'interop test only', resave: false, saveUninitialized: false }));
    app.use(oidc.router);
    app.get('/', (req, res) => res.send(req.userContext ? 'Signed in' : 'Signed out'));
    app.get('/protected', oidc.ensureAuthenticated(), (req, res) =>
      res.json({ id: claims(req.userContext.tokens.id_token), userinfo: req.userContext.userinfo }),
    );
    web.on('request', app);

    // Sign in: the app sends the browser to Lanyard, the user signs in on the hosted page, the app gets its tokens.
    const browser = new Browser();
    const signedIn = await browse(browser, `${appBase}/protected`, {
      init: { headers: { Accept: 'text/html' } },
      login: 'ada@example.com',
    });
    assert.equal(signedIn.status, 200, signedIn.body);
    assert.equal(signedIn.url.href, `${appBase}/protected`);
    const { id, userinfo } = JSON.parse(signedIn.body);
    assert.equal(id.sub, uid);
    assert.equal(id.iss, issuer);
    assert.ok(id.sid, 'the ID token carries sid');
    assert.equal(userinfo.sub, uid);
    assert.equal(userinfo.preferred_username, 'ada@example.com');
    const lanyardSession = await browser.request(server.url('/api/v1/sessions/me'), { headers: { Accept: 'application/json' } });
    assert.equal(lanyardSession.status, 200);
    assert.equal((await lanyardSession.json()).id, id.sid, 'sid is the SSO session');

    // Log out through the middleware: revocation, then end_session_endpoint, then back to the app.
    const out = await browser.request(`${appBase}/logout`, { method: 'POST' });
    assert.equal(out.status, 302);
    const endSession = new URL(out.headers.get('location'));
    assert.equal(`${endSession.origin}${endSession.pathname}`, `${issuer}/v1/logout`);
    assert.equal(endSession.searchParams.get('client_id'), client_id);
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${appBase}/`);
    assert.ok(endSession.searchParams.get('id_token_hint'));
    const back = await browse(browser, endSession);
    assert.equal(back.url.href, `${appBase}/`, 'back at the app');
    assert.equal(back.body, 'Signed out');
    assert.equal(
      (await browser.request(server.url('/api/v1/sessions/me'), { headers: { Accept: 'application/json' } })).status,
      404,
      'the SSO session ended',
    );
    assert.deepEqual(errors, [], 'the middleware reported no errors (revocation included)');

    // The back channel: exactly the logout token's claims, signed with the server's published key.
    for (let i = 0; i < 100 && logoutTokens.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(logoutTokens.length, 1);
    assert.deepEqual(Object.keys(logoutTokens[0]), ['logout_token']);
    const jwks = await fetch(`${issuer}/v1/keys`).then((r) => r.json());
    const lt = verifyJws(logoutTokens[0].logout_token, jwks);
    assert.equal(lt.header.typ, 'logout+jwt');
    assert.deepEqual(Object.keys(lt.claims).sort(), ['aud', 'events', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
    assert.equal(lt.claims.iss, issuer);
    assert.equal(lt.claims.aud, client_id);
    assert.equal(lt.claims.sub, uid);
    assert.equal(lt.claims.sid, id.sid);
    assert.deepEqual(lt.claims.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });

    // Signed out everywhere: the protected page sends the browser to Lanyard's sign-in page again.
    const again = await browse(browser, `${appBase}/protected`, { init: { headers: { Accept: 'text/html' } } });
    assert.equal(again.url.pathname, '/signin');
    assert.equal(again.url.origin, server.base);
  });
});
