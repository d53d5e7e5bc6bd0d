// catalog/jupyterhub.toml proven against the real JupyterHub with oauthenticator's GenericOAuthenticator and its
// proxy configurable-http-proxy (installed by tests/realapps/jupyterhub/install): jupyterhub_config.py is the app's
// `config` snippet verbatim plus local-test plumbing only; in Chromium the Hub on http://localhost:PORT sends the
// browser to Lanyard on http://127.0.0.1:PORT, and back at the Hub the user is signed in — named by the
// manifest's username claim, an admin through the admin group, its refresh token kept, and used by the Hub once
// Lanyard refuses the access token — and signs out through Lanyard's end-session endpoint back to the Hub's login
// page. Under ~20 s once installed.
//
// Run: tests/realapps/jupyterhub/install && LANYARD_BIN=… node --test tests/realapps/jupyterhub.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  artifact,
  catalogApp,
  freePort,
  installDir,
  launchChromium,
  signInAtLanyard,
  snippet,
  startLanyard,
  startProcess,
  watchConsole,
} from './harness.mjs';

const dir = installDir('jupyterhub');
const jupyterhub = path.join(dir, 'venv', 'bin', 'jupyterhub');
const proxy = path.join(dir, 'node_modules', '.bin', 'configurable-http-proxy');
const refreshAge = 1;

describe('JupyterHub (GenericOAuthenticator) signs in through Lanyard', { timeout: 120_000 }, () => {
  let server;
  let hub;
  let browser;
  let work;
  let made;
  let hubBase;

  before(async () => {
    for (const f of [jupyterhub, proxy]) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run tests/realapps/jupyterhub/install first`);
    }
    server = await startLanyard();
    const [port, hubPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    hubBase = `http://localhost:${port}`;
    made = await catalogApp(server, 'jupyterhub', { baseUrl: hubBase });

    work = mkdtempSync(path.join(tmpdir(), 'lanyard-jupyterhub-'));
    const config = [
      snippet(made.setup, 'config'),
      '# ---- local-test plumbing (the proof), nothing else ----',
      // The public URL the proxy serves (the port of baseUrl), the Hub's own port and the proxy's API port: free ports,
      // on loopback, instead of the defaults 8000, 8081 and 8001.
      `c.JupyterHub.bind_url = "http://127.0.0.1:${port}"`,
      `c.JupyterHub.hub_bind_url = "http://127.0.0.1:${hubPort}"`,
      `c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:${apiPort}"`,
      // The proxy the install script put under target/realapps/jupyterhub (not on PATH).
      `c.ConfigurableHTTPProxy.command = [${JSON.stringify(proxy)}]`,
      // No notebook server is spawned here; should one be, the default LocalProcessSpawner would need a system user
      // per Hub user, the 'simple' one does not.
      `c.JupyterHub.spawner_class = "simple"`,
      // The Hub looks at a signed-in user again (refresh_user: userinfo, else the refresh token) after
      // auth_refresh_age, 300 s by default: a second here, so the refresh is seen within the test.
      `c.Authenticator.auth_refresh_age = ${refreshAge}`,
      '',
    ].join('\n');
    // The database (jupyterhub.sqlite), cookie secret and proxy pid file go to the working directory: a temp dir.
    writeFileSync(path.join(work, 'jupyterhub_config.py'), config);

    hub = await startProcess(jupyterhub, ['-f', 'jupyterhub_config.py'], {
      cwd: work,
      // Guide step 4: auth state (and so the refresh token) is kept only with an encryption key.
      env: { JUPYTERHUB_CRYPT_KEY: randomBytes(32).toString('hex') },
      // Through the proxy, once it routes to the Hub: until then the proxy itself answers 404.
      ready: async () => (await fetch(`http://127.0.0.1:${port}/hub/health`, { signal: AbortSignal.timeout(2000) })).ok,
      timeoutMs: 60_000,
      name: 'jupyterhub',
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await hub?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    if (server) {
      const errors = server.errors();
      await server.stop();
      assert.deepEqual(errors, [], 'Lanyard logged no errors');
    }
  });

  /** The Hub's user model (GET /hub/api/users/{name}) through the browser's session, as the Hub's own pages ask:
   * a cookie-authenticated API call carries the _xsrf cookie back in X-XSRFToken. */
  async function hubUser(page, name) {
    const r = await page.evaluate(async (name) => {
      const xsrf = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/)?.[1] ?? '';
      const r = await fetch(`/hub/api/users/${encodeURIComponent(name)}`, { headers: { 'X-XSRFToken': xsrf } });
      return { status: r.status, body: await r.text() };
    }, name);
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body);
  }

  test('sign in through Lanyard, the user at the Hub, its tokens refreshed, sign out through Lanyard', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const consoleErrors = watchConsole(page);
    // Each step; the Hub's output (its last lines) is printed when one fails.
    const step = (name, fn) =>
      t.test(name, async (st) => {
        st.after(() => {
          if (st.passed === false) process.stderr.write(`jupyterhub output:\n${hub.output()}\n`);
        });
        await fn();
      });
    const { values } = made.setup;
    let model;

    await step('sign in', async () => {
      // The Hub's home page: not signed in, so its login page, with the one button the snippet's login_service names.
      await page.goto(`${hubBase}/hub/home`);
      const authorizeRequest = page.waitForRequest((r) => r.url().startsWith(`${values.authorizationEndpoint}?`));
      await page.getByRole('button', { name: 'Sign in with Lanyard' }).click();

      // Lanyard's authorize endpoint, asked for this client with PKCE and the registered redirect URI, and then its
      // hosted sign-in page, on the other site.
      const authorize = new URL((await authorizeRequest).url());
      assert.equal(authorize.searchParams.get('client_id'), values.clientId);
      assert.equal(authorize.searchParams.get('redirect_uri'), `${hubBase}/hub/oauth_callback`);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      const scopes = authorize.searchParams.get('scope').split(' ');
      assert.deepEqual(scopes, ['openid', 'profile', 'email', 'offline_access']);
      await page.waitForURL((u) => u.origin === server.base);
      await signInAtLanyard(page, made.login, made.password);

      // Back at the Hub's home page (the `next` it kept through the callback), signed in as preferred_username.
      await page.waitForURL(`${hubBase}/hub/home`, { timeout: 30_000 });
      await page.locator('#logout').waitFor();
      assert.equal((await page.locator('nav').getByText(made.login, { exact: true }).textContent()).trim(), made.login);
      await page.screenshot({ path: artifact('jupyterhub.png'), fullPage: true });
    });

    await step("the Hub's user: admin through admin_groups, the groups claim, the refresh token kept", async () => {
      model = await hubUser(page, made.login);
      assert.equal(model.name, made.login);
      assert.equal(model.admin, true, 'a member of admins is a JupyterHub admin');
      // (Lanyard's groups claim names every group of the user, Okta's built-in Everyone too.)
      assert.deepEqual([...model.groups].sort(), ['Everyone', 'admins']);
      assert.ok(model.auth_state, 'auth state is kept (enable_auth_state, JUPYTERHUB_CRYPT_KEY)');
      assert.ok(model.auth_state.refresh_token, 'the refresh token is kept (offline_access)');
      assert.equal(model.auth_state.oauth_user.preferred_username, made.login);
      assert.deepEqual([...model.auth_state.oauth_user.groups].sort(), ['Everyone', 'admins']);
    });

    await step('the Hub refreshes its tokens through the refresh token (guide step 4)', async () => {
      // The access token revoked at Lanyard (as the client): the Hub's next look at the user finds it refused at the
      // userinfo endpoint, and the Hub uses the refresh token (HTTP Basic, basic_auth) instead of asking the user.
      const old = model.auth_state;
      const credentials = `${encodeURIComponent(values.clientId)}:${encodeURIComponent(values.clientSecret)}`;
      const basic = Buffer.from(credentials).toString('base64');
      const revoked = await fetch(values.revocationEndpoint, {
        method: 'POST',
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: old.access_token, token_type_hint: 'access_token' }),
      });
      assert.equal(revoked.status, 200);
      const userinfo = (token) => fetch(values.userinfoEndpoint, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal((await userinfo(old.access_token)).status, 401, 'the revoked access token is refused at userinfo');

      await new Promise((r) => setTimeout(r, refreshAge * 1000 + 200));
      await page.goto(`${hubBase}/hub/home`);
      assert.equal(new URL(page.url()).pathname, '/hub/home', 'still signed in at the Hub');
      await page.locator('#logout').waitFor();

      const fresh = (await hubUser(page, made.login)).auth_state;
      assert.notEqual(fresh.access_token, old.access_token, 'a new access token');
      assert.ok(fresh.refresh_token, 'a refresh token');
      assert.notEqual(fresh.refresh_token, old.refresh_token, 'Lanyard rotated the refresh token');
      assert.equal((await userinfo(fresh.access_token)).status, 200, 'the new access token works at userinfo');
    });

    await step('sign out through Lanyard', async () => {
      // The Hub sends the browser to Lanyard's end-session endpoint (logout_redirect_url: a fixed URL with client_id
      // and no id_token_hint, so Lanyard asks before it ends the session), which sends it back to the Hub's login
      // page (the registered post-logout redirect URI).
      await page.locator('#logout').click();
      await page.waitForURL((u) => `${u.origin}${u.pathname}` === values.endSessionEndpoint);
      await page.getByRole('heading', { name: 'Sign out of Lanyard?' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${hubBase}/hub/login`, { timeout: 30_000 });
      await page.goto(`${hubBase}/hub/home`);
      await page.waitForURL((u) => u.pathname === '/hub/login');
      // Lanyard's session ended too: signing in again, from the entry's initiate-login URI (what a dashboard tile
      // opens; Lanyard registers it only for an https site), asks for the password.
      const entry = await server.api('GET', '/api/v1/catalog/apps/jupyterhub');
      await page.goto(entry.client.initiateLoginUri.replace('{baseUrl}', hubBase));
      await page.waitForURL((u) => u.origin === server.base);
      await page.getByLabel('Password', { exact: true }).waitFor();
    });

    // Console errors on Lanyard's pages fail the proof; the Hub's pages showed none either, so they are held to the
    // same (no filter by origin is needed).
    const lanyard = consoleErrors.filter((e) => e.includes(`(${server.base}`));
    assert.deepEqual(lanyard, [], "no console errors on Lanyard's pages");
    assert.deepEqual(consoleErrors, [], "no console errors on the Hub's pages");
  });
});
