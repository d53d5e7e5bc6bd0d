// openid-client's DPoP support (RFC 9449) against the real `lanyard` binary: a code flow whose tokens are bound to
// the client's key (the library answers the server's use_dpop_nonce challenge), a DPoP refresh, and userinfo with a
// proof; the bound access token is refused as a Bearer token.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as oidc from 'openid-client';

import { Browser, REDIRECT_URI, assign, claims, createApp, createUser, startLanyard } from './lanyard.mjs';

const insecure = { execute: [oidc.allowInsecureRequests] };
// Given a client secret and no other client authentication, openid-client sends it in the body
// (client_secret_post); Lanyard, as Okta, accepts only the method an app registered, so the apps register that one.
const POST = { tokenEndpointAuthMethod: 'client_secret_post' };

/** Runs `call`; if the server asks for its DPoP nonce first, runs it once more (the handle has learnt the nonce). */
async function withNonce(call) {
  try {
    return await call();
  } catch (err) {
    if (err?.error === 'use_dpop_nonce' || err?.cause?.error === 'use_dpop_nonce') {
      return call();
    }
    throw err;
  }
}

describe('openid-client with DPoP', { timeout: 120_000 }, () => {
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

  test('code flow, refresh and userinfo with DPoP-bound tokens', async () => {
    const app = await createApp(server, POST);
    await assign(server, app.id, uid);
    const issuer = new URL(server.url('/oauth2/default'));
    const config = await oidc.discovery(issuer, app.id, app.credentials.oauthClient.client_secret, undefined, insecure);
    assert.ok(config.serverMetadata().dpop_signing_alg_values_supported.includes('ES256'));
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(config, keyPair);

    const code_verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(code_verifier),
      code_challenge_method: 'S256',
      nonce,
    });
    const callback = await new Browser().signInThroughHostedPage(url, 'ada@example.com');
    const tokens = await withNonce(() =>
      oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: code_verifier, expectedNonce: nonce, idTokenExpected: true }, undefined, { DPoP }),
    );
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    const at = claims(tokens.access_token);
    assert.ok(at.cnf?.jkt, 'the access token is bound to a key');

    const info = await withNonce(() => oidc.fetchUserInfo(config, tokens.access_token, uid, { DPoP }));
    assert.equal(info.sub, uid);
    assert.equal(info.preferred_username, 'ada@example.com');

    // Without the proof the bound token is refused.
    const plain = await fetch(server.url('/oauth2/default/v1/userinfo'), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(plain.status, 401);

    const refreshed = await withNonce(() => oidc.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP }));
    assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
    assert.equal(claims(refreshed.access_token).cnf.jkt, at.cnf.jkt, 'the same key');
    // The refresh token of a DPoP family needs the key: without it, the server refuses.
    await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token), (err) => {
      assert.equal(err.error, 'invalid_dpop_proof');
      return true;
    });
  });
});
