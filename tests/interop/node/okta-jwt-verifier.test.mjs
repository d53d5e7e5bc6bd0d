// @okta/jwt-verifier (Okta's resource-server verifier) against the real `lanyard` binary: it accepts Lanyard's
// access and ID tokens, fetching keys from `{issuer}/v1/keys`, and rejects tampered, foreign and mis-addressed ones.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OktaJwtVerifier from '@okta/jwt-verifier';

import { addScope, assign, clientCredentials, createApp, createUser, startLanyard, tokensFor } from './lanyard.mjs';

/** Flips one character of a JWT part (0 header, 1 claims, 2 signature) while keeping it valid base64url. */
function tamper(jwt, part) {
  const parts = jwt.split('.');
  if (part === 1) {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    claims.sub = 'mallory@example.com';
    parts[1] = Buffer.from(JSON.stringify(claims)).toString('base64url');
  } else {
    const s = parts[part];
    const i = Math.floor(s.length / 2);
    parts[part] = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  }
  return parts.join('.');
}

describe('@okta/jwt-verifier', { timeout: 120_000 }, () => {
  let server;
  let verifier;
  let app;
  let uid;

  before(async () => {
    server = await startLanyard();
    verifier = new OktaJwtVerifier({ issuer: server.url('/oauth2/default'), testing: { disableHttpsCheck: true } });
    uid = await createUser(server, 'ada@example.com');
    app = await createApp(server);
    await assign(server, app.id, uid);
  });

  after(async () => {
    if (server) {
      const errors = server.errors();
      await server.stop();
      assert.deepEqual(errors, [], 'the server logged no errors');
    }
  });

  test('accepts a user access token for api://default and the ID token for the client', async () => {
    const tokens = await tokensFor(server, app, 'ada@example.com', { nonce: 'n-0S6_WzA2Mj' });
    const at = await verifier.verifyAccessToken(tokens.access_token, 'api://default');
    assert.equal(at.header.alg, 'RS256');
    assert.ok(at.header.kid);
    assert.equal(at.claims.iss, server.url('/oauth2/default'));
    assert.equal(at.claims.sub, 'ada@example.com');
    assert.equal(at.claims.uid, uid);
    assert.equal(at.claims.cid, app.id);
    assert.equal(at.claims.ver, 1);
    assert.ok(at.claims.scp.includes('openid'));
    // An array of audiences works as well.
    await verifier.verifyAccessToken(tokens.access_token, ['api://other', 'api://default']);

    const id = await verifier.verifyIdToken(tokens.id_token, app.id, 'n-0S6_WzA2Mj');
    assert.equal(id.claims.sub, uid);
    assert.equal(id.claims.aud, app.id);
  });

  test('accepts a client-credentials access token and asserts its claims', async () => {
    await addScope(server, 'reports:read');
    const svc = await createApp(server, { grantTypes: ['client_credentials'], applicationType: 'service' });
    const { access_token } = await clientCredentials(server, svc, 'reports:read');
    const strict = new OktaJwtVerifier({
      issuer: server.url('/oauth2/default'),
      testing: { disableHttpsCheck: true },
      assertClaims: { cid: svc.id, 'scp.includes': ['reports:read'] },
    });
    const jwt = await strict.verifyAccessToken(access_token, 'api://default');
    assert.equal(jwt.claims.sub, svc.id);
    const other = new OktaJwtVerifier({
      issuer: server.url('/oauth2/default'),
      testing: { disableHttpsCheck: true },
      assertClaims: { 'scp.includes': ['reports:write'] },
    });
    await assert.rejects(other.verifyAccessToken(access_token, 'api://default'));
  });

  test('rejects tampered tokens, another audience, another issuer, and a nonce that does not match', async () => {
    const tokens = await tokensFor(server, app, 'ada@example.com', { nonce: 'n1' });
    for (const part of [0, 1, 2]) {
      await assert.rejects(verifier.verifyAccessToken(tamper(tokens.access_token, part), 'api://default'), `tampered part ${part}`);
    }
    await assert.rejects(verifier.verifyAccessToken(tokens.access_token, 'api://other'), /audience/i);
    await assert.rejects(verifier.verifyIdToken(tokens.id_token, 'someone-else', 'n1'), /audience/i);
    await assert.rejects(verifier.verifyIdToken(tokens.id_token, app.id, 'n2'), /nonce/i);
    // A verifier for another issuer on the same host: the signature may check out, the issuer does not.
    const org = new OktaJwtVerifier({
      issuer: server.base,
      jwksUri: server.url('/oauth2/default/v1/keys'),
      testing: { disableHttpsCheck: true },
    });
    await assert.rejects(org.verifyAccessToken(tokens.access_token, 'api://default'), /issuer/i);
  });

  test('verifies ID tokens from the org authorization server with its jwksUri', async () => {
    const tokens = await tokensFor(server, app, 'ada@example.com', { authServer: 'org', scope: 'openid profile' });
    const org = new OktaJwtVerifier({
      issuer: server.base,
      jwksUri: server.url('/oauth2/v1/keys'),
      testing: { disableHttpsCheck: true },
    });
    const id = await org.verifyIdToken(tokens.id_token, app.id);
    assert.equal(id.claims.iss, server.base);
    assert.equal(id.claims.sub, uid);
    // The default server's keys are not the org's.
    await assert.rejects(verifier.verifyIdToken(tokens.id_token, app.id));
  });

  test('follows a key rotation: new tokens carry the new kid, old ones still verify', async () => {
    const before = await tokensFor(server, app, 'ada@example.com');
    const oldKid = (await verifier.verifyAccessToken(before.access_token, 'api://default')).header.kid;
    await server.api('POST', '/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate');
    // Nodes re-read keys within 5 seconds of a change; this single node signs with the new key at once.
    const after = await tokensFor(server, app, 'ada@example.com');
    const jwt = await verifier.verifyAccessToken(after.access_token, 'api://default');
    assert.notEqual(jwt.header.kid, oldKid, 'signed with the rotated key, fetched by kid');
    await verifier.verifyAccessToken(before.access_token, 'api://default');
  });
});
