// openid-client (panva; OpenID-certified relying party) against the real `lanyard` binary: discovery, the
// authorization code flow with PKCE through the hosted sign-in page and its strict ID token validation, refresh,
// introspection, revocation, client credentials, and each client authentication method Lanyard offers.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import * as oidc from 'openid-client';

import { Browser, REDIRECT_URI, addScope, assign, claims, createApp, createUser, startLanyard } from './lanyard.mjs';

// Lanyard serves plain http on 127.0.0.1 in tests: openid-client refuses that unless told.
const insecure = { execute: [oidc.allowInsecureRequests] };
// Given a client secret and no other client authentication, openid-client sends it in the body
// (client_secret_post); Lanyard, as Okta, accepts only the method an app registered, so the apps register that one.
const POST = { tokenEndpointAuthMethod: 'client_secret_post' };

describe('openid-client', { timeout: 120_000 }, () => {
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

  /** Sends a new browser through the hosted sign-in page for `config`'s client; the callback URL and the checks. */
  async function authorize(config, extra = {}) {
    const code_verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(code_verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    const callback = await new Browser().signInThroughHostedPage(url, 'ada@example.com');
    return { callback, checks: { pkceCodeVerifier: code_verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true } };
  }

  test('discovery of the default authorization server', async () => {
    const app = await createApp(server, POST);
    const config = await oidc.discovery(issuer, app.credentials.oauthClient.client_id, app.credentials.oauthClient.client_secret, undefined, insecure);
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, issuer.href);
    assert.equal(meta.token_endpoint, server.url('/oauth2/default/v1/token'));
    assert.ok(meta.supportsPKCE(), 'S256 is advertised');
    assert.equal(config.clientMetadata().client_id, app.id);
  });

  test('authorization code + PKCE through the hosted sign-in page, refresh, introspection, revocation', async () => {
    const app = await createApp(server, POST);
    await assign(server, app.id, uid);
    const config = await oidc.discovery(issuer, app.id, app.credentials.oauthClient.client_secret, undefined, insecure);

    const { callback, checks } = await authorize(config);
    assert.equal(callback.searchParams.get('iss'), issuer.href, 'RFC 9207 iss in the response');
    // The library checks state, iss, the code exchange, and the ID token: signature against the JWKS, iss, aud, azp,
    // exp, iat, nonce, at_hash presence rules, alg.
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token);
    assert.ok(tokens.expiresIn() > 3500);
    const id = tokens.claims();
    assert.equal(id.sub, uid);
    assert.equal(id.iss, issuer.href);
    assert.equal(id.aud, app.id);
    assert.equal(id.email, 'ada@example.com');
    assert.equal(id.preferred_username, 'ada@example.com');
    assert.ok(id.auth_time > 0);

    // Refresh: a new access token, a rotated refresh token and an ID token for the same user.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.ok(refreshed.refresh_token);
    if (refreshed.id_token) assert.equal(refreshed.claims().sub, uid);
    assert.deepEqual(claims(refreshed.access_token).scp.sort(), ['email', 'offline_access', 'openid', 'profile']);

    // Introspection.
    const active = await oidc.tokenIntrospection(config, refreshed.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, app.id);
    assert.equal(active.sub, 'ada@example.com');
    assert.equal(active.uid, uid);
    assert.equal(active.token_type, 'Bearer');
    const rt = await oidc.tokenIntrospection(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal(rt.active, true);

    // Revocation: the refresh token and what it produced stop working.
    await oidc.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal((await oidc.tokenIntrospection(config, refreshed.refresh_token)).active, false);
    await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token), (e) => {
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
    await oidc.tokenRevocation(config, refreshed.access_token);
    assert.equal((await oidc.tokenIntrospection(config, refreshed.access_token)).active, false);
  });

  test('the callback is refused when state or PKCE do not match', async () => {
    const app = await createApp(server, POST);
    await assign(server, app.id, uid);
    const config = await oidc.discovery(issuer, app.id, app.credentials.oauthClient.client_secret, undefined, insecure);
    const first = await authorize(config);
    await assert.rejects(oidc.authorizationCodeGrant(config, first.callback, { ...first.checks, expectedState: oidc.randomState() }));
    const second = await authorize(config);
    await assert.rejects(
      oidc.authorizationCodeGrant(config, second.callback, { ...second.checks, pkceCodeVerifier: oidc.randomPKCECodeVerifier() }),
      (e) => {
        assert.equal(e.error, 'invalid_grant');
        return true;
      },
    );
  });

  test('response_mode=form_post and fragment are accepted by the library too', async () => {
    const app = await createApp(server, POST);
    await assign(server, app.id, uid);
    const config = await oidc.discovery(issuer, app.id, app.credentials.oauthClient.client_secret, undefined, insecure);

    // fragment: the browser lands on the redirect URI with the response after `#`.
    const frag = await authorize(config, { response_mode: 'fragment' });
    assert.equal(frag.callback.search, '');
    const fromFragment = new URL(`${REDIRECT_URI}?${frag.callback.hash.slice(1)}`);
    const tokens = await oidc.authorizationCodeGrant(config, fromFragment, frag.checks);
    assert.equal(tokens.claims().sub, uid);

    // form_post: a page whose form posts the response to the redirect URI; the library reads the POST.
    const post = await authorize(config, { response_mode: 'form_post' });
    assert.equal(post.callback.method, 'POST');
    assert.equal(post.callback.action, REDIRECT_URI);
    const request = new Request(post.callback.action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(post.callback.fields),
    });
    const posted = await oidc.authorizationCodeGrant(config, request, post.checks);
    assert.equal(posted.claims().sub, uid);
  });

  test('client_secret_basic, none (public client with PKCE) and private_key_jwt', async () => {
    // client_secret_basic (the other tests use client_secret_post, the library's default)
    const basic = await createApp(server, { tokenEndpointAuthMethod: 'client_secret_basic' });
    await assign(server, basic.id, uid);
    const basicConfig = await oidc.discovery(
      issuer,
      basic.id,
      undefined,
      oidc.ClientSecretBasic(basic.credentials.oauthClient.client_secret),
      insecure,
    );
    let flow = await authorize(basicConfig);
    assert.equal((await oidc.authorizationCodeGrant(basicConfig, flow.callback, flow.checks)).claims().sub, uid);

    // none: a SPA, PKCE only.
    const spa = await createApp(server, { tokenEndpointAuthMethod: 'none' });
    await assign(server, spa.id, uid);
    assert.equal(spa.credentials.oauthClient.client_secret, undefined);
    const spaConfig = await oidc.discovery(issuer, spa.id, undefined, oidc.None(), insecure);
    flow = await authorize(spaConfig);
    const spaTokens = await oidc.authorizationCodeGrant(spaConfig, flow.callback, flow.checks);
    assert.equal(spaTokens.claims().aud, spa.id);

    // private_key_jwt: the app registers its public key; the library signs an assertion with the private one.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'interop-1', alg: 'RS256', use: 'sig' };
    const pkj = await createApp(server, { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    await assign(server, pkj.id, uid);
    const key = await crypto.subtle.importKey('jwk', { ...privateKey.export({ format: 'jwk' }), alg: 'RS256' }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    const pkjConfig = await oidc.discovery(issuer, pkj.id, undefined, oidc.PrivateKeyJwt({ key, kid: 'interop-1' }), insecure);
    flow = await authorize(pkjConfig);
    const pkjTokens = await oidc.authorizationCodeGrant(pkjConfig, flow.callback, flow.checks);
    assert.equal(pkjTokens.claims().aud, pkj.id);
    assert.equal((await oidc.tokenIntrospection(pkjConfig, pkjTokens.access_token)).active, true);
  });

  test('client credentials with a custom scope', async () => {
    await addScope(server, 'interop:read');
    const svc = await createApp(server, { ...POST, grantTypes: ['client_credentials'], applicationType: 'service' });
    const config = await oidc.discovery(issuer, svc.id, svc.credentials.oauthClient.client_secret, undefined, insecure);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'interop:read' });
    assert.equal(tokens.id_token, undefined);
    assert.equal(tokens.refresh_token, undefined);
    const at = claims(tokens.access_token);
    assert.equal(at.sub, svc.id);
    assert.equal(at.cid, svc.id);
    assert.deepEqual(at.scp, ['interop:read']);
    const intro = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(intro.active, true);
    assert.equal(intro.scope, 'interop:read');
    // A scope the server does not have is refused.
    await assert.rejects(oidc.clientCredentialsGrant(config, { scope: 'interop:nope' }), (e) => {
      assert.equal(e.error, 'invalid_scope');
      return true;
    });
  });
});
