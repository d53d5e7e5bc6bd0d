// @okta/okta-auth-js (Okta's sign-in SDK) in Node against the real `lanyard` binary: signInWithCredentials (the
// Authn API) → the authorize URL the library builds with the sessionToken, prompt=none and PKCE → exchangeCodeForTokens
// (with its ID token validation and signature check) → refresh, introspection and revocation through the library.
//
// In Node the library needs no browser globals: its `node` export uses Node's fetch and webcrypto and keeps its
// transaction in memory (it warns about that). What it cannot do outside a browser is the redirect itself:
// getWithRedirect would set window.location. The test does what the redirect would — it builds the same URL
// with the library's own getOAuthUrls + buildAuthorizeParams, GETs it (no cookies: the sessionToken signs in),
// and reads the code from the Location header.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { OktaAuth, buildAuthorizeParams, getOAuthUrls } from '@okta/okta-auth-js';

import { Browser, PASSWORD, REDIRECT_URI, assign, createApp, createUser, startLanyard } from './lanyard.mjs';

describe('@okta/okta-auth-js', { timeout: 120_000 }, () => {
  let server;
  let uid;

  before(async () => {
    server = await startLanyard();
    uid = await createUser(server, 'ada@example.com');
  });

  after(async () => {
    if (server) {
      const errors = server.errors();
      await server.stop();
      assert.deepEqual(errors, [], 'the server logged no errors');
    }
  });

  function oktaAuth(clientId, scopes) {
    return new OktaAuth({
      issuer: server.url('/oauth2/default'),
      clientId,
      redirectUri: REDIRECT_URI,
      scopes,
      pkce: true,
      testing: { disableHttpsCheck: true },
    });
  }

  /** An OktaAuth whose token manager's timers are stopped after the test (else they keep Node running). */
  function oktaAuthFor(t, clientId, scopes) {
    const auth = oktaAuth(clientId, scopes);
    t.after(async () => {
      auth.tokenManager.clear();
      await auth.stop();
    });
    return auth;
  }

  /** signInWithCredentials → the authorize URL with the sessionToken → the code; the token params and the code. */
  async function authorize(auth) {
    const tx = await auth.signInWithCredentials({ username: 'ada@example.com', password: PASSWORD });
    assert.equal(tx.status, 'SUCCESS');
    assert.ok(tx.sessionToken);
    assert.equal(tx.user.profile.login, 'ada@example.com');
    const params = await auth.token.prepareTokenParams({ sessionToken: tx.sessionToken, prompt: 'none', responseMode: 'query' });
    assert.equal(params.codeChallengeMethod, 'S256', 'the library found S256 in discovery');
    const url = getOAuthUrls(auth).authorizeUrl + buildAuthorizeParams(params);
    const r = await fetch(url, { redirect: 'manual' });
    assert.equal(r.status, 302);
    const back = new URL(r.headers.get('location'));
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI);
    assert.equal(back.searchParams.get('state'), params.state);
    assert.equal(back.searchParams.get('error'), null, back.searchParams.get('error_description'));
    return { params, code: back.searchParams.get('code') };
  }

  test('signInWithCredentials → sessionToken → authorize (prompt=none, query) → exchangeCodeForTokens', async (t) => {
    const app = await createApp(server, { tokenEndpointAuthMethod: 'none' });
    await assign(server, app.id, uid);
    const auth = oktaAuthFor(t, app.id, ['openid', 'profile', 'email', 'offline_access']);
    const { params, code } = await authorize(auth);

    const { tokens } = await auth.token.exchangeCodeForTokens({ ...params, authorizationCode: code });
    assert.ok(tokens.accessToken && tokens.idToken && tokens.refreshToken);
    assert.equal(tokens.idToken.claims.sub, uid);
    assert.equal(tokens.idToken.claims.aud, app.id);
    assert.equal(tokens.idToken.claims.nonce, params.nonce);
    assert.equal(tokens.idToken.issuer, server.url('/oauth2/default'));
    assert.deepEqual([...tokens.accessToken.scopes].sort(), ['email', 'offline_access', 'openid', 'profile']);
    // The library's own verification: claims and the signature against the server's keys.
    await auth.token.verify(tokens.idToken);
    const tampered = { ...tokens.idToken, idToken: tokens.idToken.idToken.replace(/\.[^.]+$/, '.AAAA') };
    await assert.rejects(auth.token.verify(tampered));

    // Refresh through the library.
    auth.tokenManager.setTokens(tokens);
    const renewed = await auth.token.renewTokensWithRefresh({ scopes: tokens.accessToken.scopes }, tokens.refreshToken);
    assert.ok(renewed.accessToken);
    assert.notEqual(renewed.accessToken.accessToken, tokens.accessToken.accessToken);
    if (renewed.idToken) assert.equal(renewed.idToken.claims.sub, uid);
    auth.tokenManager.setTokens(renewed);

    // Introspection and revocation through the library.
    const intro = await auth.token.introspect('accessToken', renewed.accessToken);
    assert.equal(intro.active, true);
    assert.equal(intro.uid, uid);
    await auth.revokeAccessToken(renewed.accessToken);
    assert.equal((await auth.token.introspect('accessToken', renewed.accessToken)).active, false);
    await auth.revokeRefreshToken(renewed.refreshToken);
    assert.equal((await auth.token.introspect('refreshToken', renewed.refreshToken)).active, false);
  });

  test('getSignOutRedirectUrl (where signOut sends the browser) ends the SSO session and comes back with state', async (t) => {
    const signedOut = 'http://localhost:3000/signed-out';
    const app = await createApp(server, { tokenEndpointAuthMethod: 'none', settings: { post_logout_redirect_uris: [signedOut] } });
    await assign(server, app.id, uid);
    const auth = oktaAuthFor(t, app.id, ['openid', 'profile']);
    const tx = await auth.signInWithCredentials({ username: 'ada@example.com', password: PASSWORD });
    const params = await auth.token.prepareTokenParams({ sessionToken: tx.sessionToken, prompt: 'none', responseMode: 'query' });
    // In a browser this time: the SSO session's cookie is kept.
    const browser = new Browser();
    const r = await browser.request(getOAuthUrls(auth).authorizeUrl + buildAuthorizeParams(params));
    assert.equal(r.status, 302);
    const code = new URL(r.headers.get('location')).searchParams.get('code');
    const { tokens } = await auth.token.exchangeCodeForTokens({ ...params, authorizationCode: code });
    auth.tokenManager.setTokens(tokens);
    const me = () => browser.request(server.url('/api/v1/sessions/me'), { headers: { Accept: 'application/json' } });
    assert.equal((await me()).status, 200);

    const url = new URL(auth.getSignOutRedirectUrl({ postLogoutRedirectUri: signedOut, state: 'bye' }));
    assert.equal(`${url.origin}${url.pathname}`, server.url('/oauth2/default/v1/logout'));
    assert.equal(url.searchParams.get('id_token_hint'), tokens.idToken.idToken);
    const out = await browser.request(url);
    assert.equal(out.status, 302, await out.text());
    assert.equal(out.headers.get('location'), `${signedOut}?state=bye`);
    assert.equal((await me()).status, 404, 'the SSO session ended');
  });

  test('a wrong password is refused by signInWithCredentials with Okta\'s error', async (t) => {
    const app = await createApp(server, { tokenEndpointAuthMethod: 'none' });
    const auth = oktaAuthFor(t, app.id, ['openid']);
    await assert.rejects(auth.signInWithCredentials({ username: 'ada@example.com', password: 'Wrong-Horse-1' }), (e) => {
      assert.equal(e.errorCode, 'E0000004');
      return true;
    });
  });
});
