// openid-client (panva; OpenID-certified relying party) against the real `lanyard` binary, for the flows that
// return an ID token from the authorization endpoint: the hybrid flow (`response_type=code id_token`, in the
// fragment and as a form post) and the implicit flow (`response_type=id_token`), each with the library's strict
// ID token validation (signature against the JWKS, iss, aud, azp, exp, iat, nonce, c_hash, s_hash, auth_time).
// The other implicit and hybrid response types are not offered by openid-client 6; the conformance suite
// (crates/lanyard/tests/conformance) covers them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as oidc from 'openid-client';

import { Browser, REDIRECT_URI, assign, createUser, startLanyard } from './lanyard.mjs';

describe('openid-client: implicit and hybrid flows', { timeout: 120_000 }, () => {
  let server;
  let issuer;
  let uid;
  let app;

  before(async () => {
    server = await startLanyard();
    issuer = new URL(server.url('/oauth2/default'));
    uid = await createUser(server, 'ada@example.com');
    // An app that opts in to the implicit grant (off by default) with the response types it uses. Given a client
    // secret, openid-client sends it in the body: the app registers client_secret_post (Lanyard, as Okta, accepts
    // only the method an app registered).
    app = await server.api('POST', '/api/v1/apps?activate=true', {
      label: 'Interop hybrid',
      signOnMode: 'OPENID_CONNECT',
      name: 'oidc_client',
      credentials: { oauthClient: { token_endpoint_auth_method: 'client_secret_post' } },
      settings: {
        oauthClient: {
          application_type: 'web',
          grant_types: ['authorization_code', 'implicit', 'refresh_token'],
          response_types: ['code', 'id_token', 'token'],
          redirect_uris: [REDIRECT_URI],
        },
      },
    });
    await assign(server, app.id, uid);
  });

  after(async () => {
    if (server) {
      const errors = server.errors();
      await server.stop();
      assert.deepEqual(errors, [], 'the server logged no errors');
    }
  });

  /** A configuration for `app` with one of the library's response type switches. */
  function configure(responseType) {
    return oidc.discovery(issuer, app.id, app.credentials.oauthClient.client_secret, undefined, {
      execute: [oidc.allowInsecureRequests, responseType],
    });
  }

  /** A new browser through the hosted sign-in page; the answer (a URL, or a form for form_post) and the checks. */
  async function authorize(config, extra = {}) {
    const pkceCodeVerifier = oidc.randomPKCECodeVerifier();
    const expectedState = oidc.randomState();
    const expectedNonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: 'S256',
      state: expectedState,
      nonce: expectedNonce,
      ...extra,
    });
    const callback = await new Browser().signInThroughHostedPage(url, 'ada@example.com');
    return { url, callback, checks: { pkceCodeVerifier, expectedState, expectedNonce } };
  }

  test('hybrid: code id_token in the fragment, then the code exchange', async () => {
    const config = await configure(oidc.useCodeIdTokenResponseType);
    const { url, callback, checks } = await authorize(config);
    assert.equal(url.searchParams.get('response_type'), 'code id_token');
    assert.equal(callback.search, '', 'nothing in the query');
    const fragment = new URLSearchParams(callback.hash.slice(1));
    assert.ok(fragment.get('code') && fragment.get('id_token'));
    assert.equal(fragment.get('iss'), issuer.href);
    // The library validates the authorization endpoint's ID token (c_hash, nonce, s_hash), redeems the code and
    // validates the token endpoint's ID token.
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    assert.equal(tokens.claims().sub, uid);
    assert.equal(tokens.claims().nonce, checks.expectedNonce);
    assert.ok(tokens.access_token && tokens.refresh_token);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, uid);
    assert.equal(info.email, 'ada@example.com');
  });

  test('hybrid: code id_token as a form post', async () => {
    const config = await configure(oidc.useCodeIdTokenResponseType);
    const { callback, checks } = await authorize(config, { response_mode: 'form_post' });
    assert.equal(callback.method, 'POST');
    assert.equal(callback.action, REDIRECT_URI);
    const request = new Request(callback.action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(callback.fields),
    });
    const tokens = await oidc.authorizationCodeGrant(config, request, checks);
    assert.equal(tokens.claims().sub, uid);
  });

  test('hybrid: the library refuses an answer for another nonce or state', async () => {
    const config = await configure(oidc.useCodeIdTokenResponseType);
    const first = await authorize(config);
    await assert.rejects(oidc.authorizationCodeGrant(config, first.callback, { ...first.checks, expectedNonce: oidc.randomNonce() }));
    const second = await authorize(config);
    await assert.rejects(oidc.authorizationCodeGrant(config, second.callback, { ...second.checks, expectedState: oidc.randomState() }));
  });

  test('implicit: id_token in the fragment and as a form post, with the profile claims in it', async () => {
    const config = await configure(oidc.useIdTokenResponseType);
    const { url, callback, checks } = await authorize(config);
    assert.equal(url.searchParams.get('response_type'), 'id_token');
    assert.equal(callback.search, '', 'nothing in the query');
    const claims = await oidc.implicitAuthentication(config, callback, checks.expectedNonce, {
      expectedState: checks.expectedState,
    });
    assert.equal(claims.sub, uid);
    assert.equal(claims.aud, app.id);
    assert.equal(claims.email, 'ada@example.com', 'no access token: the claims are in the ID token');
    assert.equal(claims.given_name, 'Ada');
    assert.ok(claims.auth_time > 0);

    const post = await authorize(config, { response_mode: 'form_post' });
    const request = new Request(post.callback.action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(post.callback.fields),
    });
    const posted = await oidc.implicitAuthentication(config, request, post.checks.expectedNonce, {
      expectedState: post.checks.expectedState,
    });
    assert.equal(posted.sub, uid);
    await assert.rejects(
      oidc.implicitAuthentication(config, (await authorize(config)).callback, oidc.randomNonce()),
      'another nonce is refused',
    );
  });
});
