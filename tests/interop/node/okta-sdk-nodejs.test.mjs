// @okta/okta-sdk-nodejs (Okta's management SDK) against the real `lanyard` binary: users, an OIDC app, the
// assignment, lists with pagination; then the app it made signs the user in.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import okta from '@okta/okta-sdk-nodejs';

import { PASSWORD, REDIRECT_URI, claims, startLanyard, tokensFor } from './lanyard.mjs';

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
});
