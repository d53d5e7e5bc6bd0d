// openid-client 6 (panva) with pushed authorization requests (RFC 9126, `buildAuthorizationUrlWithPAR`) and signed
// request objects (RFC 9101, `buildAuthorizationUrlWithJAR`), and both together, against the real `lanyard` binary:
// the library pushes or signs, the browser walks the hosted sign-in page, and the library's strict checks (state,
// iss, PKCE, the ID token's signature, iss, aud, nonce) pass on the answer.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import * as oidc from 'openid-client';

import { Browser, REDIRECT_URI, assign, createApp, createUser, startLanyard } from './lanyard.mjs';

// Lanyard serves plain http on 127.0.0.1 in tests: openid-client refuses that unless told.
const insecure = { execute: [oidc.allowInsecureRequests] };
// Given a client secret and no other client authentication, openid-client sends it in the body
// (client_secret_post); Lanyard, as Okta, accepts only the method an app registered, so the apps register that one.
const POST = { tokenEndpointAuthMethod: 'client_secret_post' };

describe('openid-client PAR and JAR', { timeout: 120_000 }, () => {
  let server;
  let issuer;
  let uid;

  before(async () => {
    server = await startLanyard();
    issuer = new URL(server.url('/oauth2/default'));
    uid = await createUser(server, 'ada@example.com');
  });

  after(async () => {
    if (server) {
      const errors = server.errors();
      await server.stop();
      assert.deepEqual(errors, [], 'the server logged no errors');
    }
  });

  /** A new authorization request's parameters and the checks for its answer. */
  async function request() {
    const code_verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    return {
      params: {
        redirect_uri: REDIRECT_URI,
        scope: 'openid profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(code_verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      },
      checks: { pkceCodeVerifier: code_verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
    };
  }

  /** An app whose public RS256 key is registered (`jwks`); its configuration with the private key for JAR. */
  async function jarApp() {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'jar-1', alg: 'RS256', use: 'sig' };
    const app = await createApp(server, { ...POST, jwks: { keys: [jwk] } });
    await assign(server, app.id, uid);
    const key = await crypto.subtle.importKey(
      'jwk',
      { ...privateKey.export({ format: 'jwk' }), alg: 'RS256' },
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const config = await oidc.discovery(issuer, app.id, app.credentials.oauthClient.client_secret, undefined, insecure);
    return { app, config, key: { key, kid: 'jar-1' } };
  }

  test('discovery advertises PAR and request objects', async () => {
    const app = await createApp(server, POST);
    const config = await oidc.discovery(issuer, app.id, app.credentials.oauthClient.client_secret, undefined, insecure);
    const meta = config.serverMetadata();
    assert.equal(meta.pushed_authorization_request_endpoint, server.url('/oauth2/default/v1/par'));
    assert.equal(meta.request_parameter_supported, true);
    assert.ok(meta.request_object_signing_alg_values_supported.includes('RS256'));
  });

  test('buildAuthorizationUrlWithPAR: the request is pushed, the URL carries only client_id and request_uri', async () => {
    const app = await createApp(server, POST);
    await assign(server, app.id, uid);
    const config = await oidc.discovery(issuer, app.id, app.credentials.oauthClient.client_secret, undefined, insecure);
    const { params, checks } = await request();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, params);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
    const callback = await new Browser().signInThroughHostedPage(url, 'ada@example.com');
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    assert.equal(tokens.claims().sub, uid);
    assert.equal(tokens.claims().aud, app.id);
    // Used once: the same URL again is an error page, no redirect.
    const again = await new Browser().request(url);
    assert.equal(again.status, 400);
  });

  test('buildAuthorizationUrlWithJAR: a request object signed with the registered key', async () => {
    const { app, config, key } = await jarApp();
    const { params, checks } = await request();
    const url = await oidc.buildAuthorizationUrlWithJAR(config, params, key);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request']);
    const callback = await new Browser().signInThroughHostedPage(url, 'ada@example.com');
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    assert.equal(tokens.claims().sub, uid);
    assert.equal(tokens.claims().aud, app.id);
  });

  test('JAR and PAR together: the signed request object is pushed', async () => {
    const { config, key } = await jarApp();
    const { params, checks } = await request();
    const { searchParams } = await oidc.buildAuthorizationUrlWithJAR(config, params, key);
    const url = await oidc.buildAuthorizationUrlWithPAR(config, searchParams);
    const callback = await new Browser().signInThroughHostedPage(url, 'ada@example.com');
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    assert.equal(tokens.claims().sub, uid);
  });

  test('a request object signed by another key is refused at the redirect URI', async () => {
    const { config } = await jarApp();
    const other = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const { params } = await request();
    const url = await oidc.buildAuthorizationUrlWithJAR(config, params, { key: other.privateKey, kid: 'jar-1' });
    const callback = await new Browser().followUntil(url, REDIRECT_URI);
    assert.equal(callback.searchParams.get('error'), 'invalid_request_object');
    assert.equal(callback.searchParams.get('state'), params.state);
  });
});
