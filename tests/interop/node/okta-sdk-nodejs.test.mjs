// @okta/okta-sdk-nodejs (Okta's management SDK) against the real `lanyard` binary: users, an OIDC app, the
// assignment, lists with pagination; then the app it made signs the user in. In `PrivateKey` mode the SDK gets its
// own access token from the org authorization server (client credentials, `private_key_jwt`, `okta.*` scopes an
// administrator granted through the Grants API) and is held to those scopes.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import okta from '@okta/okta-sdk-nodejs';

import { PASSWORD, REDIRECT_URI, claims, createApp, startLanyard, tokensFor } from './lanyard.mjs';

/** Everything a Collection yields (it follows the `next` links itself). */
async function all(collection) {
  const out = [];
  for await (const item of collection) out.push(item);
  return out;
}

describe('@okta/okta-sdk-nodejs', { timeout: 120_000 }, () => {
  let server;
  let client;

  before(async () => {
    server = await startLanyard();
    client = new okta.Client({ orgUrl: server.base, token: server.token });
  });

  after(async () => {
    if (server) {
      const errors = server.errors();
      await server.stop();
      assert.deepEqual(errors, [], 'the server logged no errors');
    }
  });

  test('creates a user and an OIDC app, assigns the user, lists both; the app then signs the user in', async () => {
    const user = await client.userApi.createUser({
      body: {
        profile: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', login: 'ada@example.com' },
        credentials: { password: { value: PASSWORD } },
      },
      activate: true,
    });
    assert.match(user.id, /^00u/);
    assert.equal(user.status, 'ACTIVE');
    assert.equal((await client.userApi.getUser({ userId: 'ada@example.com' })).id, user.id);

    const app = await client.applicationApi.createApplication({
      application: {
        label: 'Node SDK app',
        signOnMode: 'OPENID_CONNECT',
        name: 'oidc_client',
        credentials: { oauthClient: { token_endpoint_auth_method: 'client_secret_basic' } },
        settings: {
          oauthClient: {
            application_type: 'web',
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            redirect_uris: [REDIRECT_URI],
          },
        },
      },
      activate: true,
    });
    assert.match(app.id, /^0oa/);
    assert.equal(app.status, 'ACTIVE');
    assert.equal(app.signOnMode, 'OPENID_CONNECT');
    const { client_id, client_secret } = app.credentials.oauthClient;
    assert.equal(client_id, app.id);
    assert.ok(client_secret);

    const appUser = await client.applicationApi.assignUserToApplication({
      appId: app.id,
      appUser: { id: user.id, scope: 'USER', credentials: { userName: 'ada@example.com' } },
    });
    assert.equal(appUser.id, user.id);
    assert.equal(appUser.scope, 'USER');
    const members = await all(await client.applicationApi.listApplicationUsers({ appId: app.id }));
    assert.deepEqual(members.map((m) => m.id), [user.id]);

    // Two more apps, listed one a page: the SDK follows the Link headers.
    for (const label of ['Second', 'Third']) {
      await client.applicationApi.createApplication({
        application: {
          label,
          signOnMode: 'OPENID_CONNECT',
          name: 'oidc_client',
          credentials: { oauthClient: { token_endpoint_auth_method: 'client_secret_basic' } },
          settings: { oauthClient: { application_type: 'service', grant_types: ['client_credentials'], redirect_uris: [] } },
        },
      });
    }
    const apps = await all(await client.applicationApi.listApplications({ limit: 1 }));
    assert.deepEqual(apps.map((a) => a.label).sort(), ['Node SDK app', 'Second', 'Third']);
    const found = await all(await client.applicationApi.listApplications({ q: 'Node' }));
    assert.deepEqual(found.map((a) => a.id), [app.id]);
    const users = await all(await client.userApi.listUsers({ q: 'ada' }));
    assert.deepEqual(users.map((u) => u.id), [user.id]);

    // The app made through the SDK works: the assigned user gets tokens for it.
    const tokens = await tokensFor(server, app, 'ada@example.com');
    assert.equal(claims(tokens.id_token).aud, app.id);
    assert.equal(claims(tokens.access_token).uid, user.id);
  });

  test('errors come back as OktaApiError with Okta\'s error code', async () => {
    await assert.rejects(client.userApi.getUser({ userId: 'nobody@example.com' }), (e) => {
      assert.equal(e.status, 404);
      assert.equal(e.errorCode, 'E0000007');
      return true;
    });
  });

  test('PrivateKey mode: okta.users.read lists users and is refused creating one (403 E0000006); SSWS still works', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'sdk-key', alg: 'RS256', use: 'sig' };
    const app = await createApp(server, {
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    const grant = await server.api('POST', `/api/v1/apps/${app.id}/grants`, { issuer: server.base, scopeId: 'okta.users.read' });
    assert.equal(grant.scopeId, 'okta.users.read');
    assert.equal(grant.source, 'ADMIN');
    await server.api('POST', '/api/v1/users?activate=true', {
      profile: { firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com', login: 'grace@example.com' },
    });

    const scoped = new okta.Client({
      orgUrl: server.base,
      authorizationMode: 'PrivateKey',
      clientId: app.credentials.oauthClient.client_id,
      scopes: ['okta.users.read'],
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }),
      keyId: 'sdk-key',
    });
    const users = await all(await scoped.userApi.listUsers());
    assert.ok(users.some((u) => u.profile.login === 'grace@example.com'), 'the users are listed');
    assert.equal((await scoped.userApi.getUser({ userId: 'grace@example.com' })).profile.firstName, 'Grace');

    await assert.rejects(
      scoped.userApi.createUser({
        body: { profile: { firstName: 'No', lastName: 'Scope', email: 'no@example.com', login: 'no@example.com' } },
      }),
      (e) => {
        assert.equal(e.status, 403);
        assert.equal(e.errorCode, 'E0000006');
        assert.match(JSON.stringify(e.errorCauses), /okta\.users\.manage/);
        return true;
      },
    );
    // A scope the admin never granted: the token request is refused (invalid_scope); the SDK, left without a token,
    // surfaces that or the API's 401.
    const greedy = new okta.Client({
      orgUrl: server.base,
      authorizationMode: 'PrivateKey',
      clientId: app.id,
      scopes: ['okta.users.manage'],
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }),
      keyId: 'sdk-key',
    });
    await assert.rejects(all(await greedy.userApi.listUsers()), (e) => {
      assert.ok([400, 401].includes(e.status), `${e.status} ${e.message}`);
      return true;
    });

    // The SSWS client still reaches everything.
    const created = await client.userApi.createUser({
      body: { profile: { firstName: 'Still', lastName: 'Works', email: 'ssws@example.com', login: 'ssws@example.com' } },
    });
    assert.match(created.id, /^00u/);
  });
});
