// catalog/matrix_synapse.toml proven against the real Matrix Synapse homeserver (PyPI matrix-synapse, SQLite),
// installed by tests/realapps/synapse/install. Synapse is configured ONLY from Lanyard's setup: the `config` snippet
// (public_baseurl and the oidc_providers entry) goes into homeserver.yaml verbatim, after local-test plumbing that
// the snippet does not cover. Then in headless Chromium: Synapse's own SSO flow (GET /_matrix/client/v3/login/sso/
// redirect?redirectUrl=…) → Lanyard's sign-in page → Synapse's callback → its "Continue to your account" page → the
// redirectUrl, a tiny page served here on localhost that exchanges the loginToken at /_matrix/client/v3/login and
// shows the signed-in Matrix user and their display name. Then Lanyard's sign-out ends the Matrix session by
// back-channel logout, as the guide promises.
//
// Two sites, as in production: Synapse and the client page on http://localhost, Lanyard on https://127.0.0.1 behind
// a TLS proxy (tests/realapps/tls.mjs), its certificate trusted by Synapse through SSL_CERT_FILE as Synapse's docs
// say for a private CA. Authlib, which Synapse uses, refuses an issuer that is not https; it lets plain http through
// on loopback only, which would prove less than a deployment needs.
//
// Run: tests/realapps/synapse/install && LANYARD_BIN=… node --test tests/realapps/synapse.test.mjs

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
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
} from './harness.mjs';
import { selfSignedCert, tlsProxy } from './tls.mjs';

const venv = installDir('synapse');
const python = path.join(venv, 'bin', 'python');
const SERVER_NAME = 'localhost';

/**
 * homeserver.yaml: the local-test plumbing, then Lanyard's snippet as it came. The plumbing, key by key:
 * - server_name: the Matrix domain, the part after the colon in user IDs (`@ada…:localhost`).
 * - pid_file, media_store_path, signing_key_path, database: everything in this run's temporary dir; SQLite. The
 *   signing key is made by Synapse on its first start (it generates missing files before it runs).
 * - listeners: plain HTTP on 127.0.0.1:port, the client API (which also serves /_synapse/client, the OIDC callback
 *   and back-channel logout), no X-Forwarded-For (nothing proxies Synapse here).
 * - macaroon_secret_key, form_secret: fresh random secrets per run (Synapse would derive them otherwise).
 * - report_stats: false (no phoning home), trusted_key_servers: [] (no federation key fetches from matrix.org; this
 *   machine reaches no other host).
 * - enable_registration: false — accounts come only from single sign-on; the default, written out.
 * No rate limit needs relaxing: one SSO login and one token login per run are under the defaults.
 */
function homeserverYaml(dir, port, setupSnippet) {
  const plumbing = `# Local-test plumbing (tests/realapps/synapse.test.mjs)
server_name: "${SERVER_NAME}"
pid_file: "${dir}/homeserver.pid"
listeners:
  - port: ${port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "${dir}/homeserver.db"
media_store_path: "${dir}/media_store"
signing_key_path: "${dir}/${SERVER_NAME}.signing.key"
macaroon_secret_key: "${randomBytes(24).toString('hex')}"
form_secret: "${randomBytes(24).toString('hex')}"
report_stats: false
trusted_key_servers: []
enable_registration: false

# From Lanyard: GET /api/v1/apps/{id}/setup?style=config, verbatim
`;
  return plumbing + setupSnippet;
}

/**
 * The Matrix client standing in for Element: `/` sends the browser to Synapse's SSO redirect with itself as
 * redirectUrl; `/done?loginToken=…` exchanges the token (m.login.token) and shows the user ID and display name.
 */
function clientPage(synapse) {
  const done = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Matrix client</title></head>
<body>
<h1>Matrix client</h1>
<p>Signed in as <strong id="user">…</strong> (<span id="name">…</span>) on device <span id="device">…</span></p>
<pre id="error"></pre>
<script>
(async () => {
  const synapse = ${JSON.stringify(synapse)};
  try {
    const token = new URL(location.href).searchParams.get('loginToken');
    if (!token) throw new Error('no loginToken in ' + location.href);
    const r = await fetch(synapse + '/_matrix/client/v3/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.token', token }),
    });
    const login = await r.json();
    if (!r.ok) throw new Error('login: ' + r.status + ' ' + JSON.stringify(login));
    const p = await fetch(synapse + '/_matrix/client/v3/profile/' + encodeURIComponent(login.user_id), {
      headers: { Authorization: 'Bearer ' + login.access_token },
    });
    const profile = await p.json();
    if (!p.ok) throw new Error('profile: ' + p.status + ' ' + JSON.stringify(profile));
    document.getElementById('user').textContent = login.user_id;
    document.getElementById('name').textContent = profile.displayname;
    document.getElementById('device').textContent = login.device_id;
    document.body.dataset.accessToken = login.access_token;
  } catch (e) {
    document.getElementById('error').textContent = String(e);
  }
})();
</script>
</body></html>`;
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/done') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(done);
    } else {
      res.writeHead(404).end();
    }
  });
}

describe('Synapse (catalog/matrix_synapse.toml) signs in through Lanyard', { timeout: 120_000 }, () => {
  let dir;
  let lanyard;
  let proxy;
  let synapse;
  let client;
  let browser;
  let app;
  let synapseUrl;
  let clientUrl;

  before(async () => {
    assert.ok(existsSync(python), `Synapse is not installed at ${venv}: run tests/realapps/synapse/install`);
    dir = mkdtempSync(path.join(tmpdir(), 'lanyard-synapse-'));
    const tls = selfSignedCert(dir);

    // Lanyard, reached by browsers and by Synapse at https://127.0.0.1:tlsPort; the management API goes straight to
    // its plain listener. Back-channel logout notices may reach loopback (where Synapse is), as in a lab.
    const tlsPort = await freePort();
    lanyard = await startLanyard({
      args: ['--base-url', `https://127.0.0.1:${tlsPort}`, '--outbound-allow', 'loopback'],
    });
    proxy = await tlsProxy({ port: tlsPort, target: lanyard.base, ...tls });

    const synapsePort = await freePort();
    synapseUrl = `http://localhost:${synapsePort}`;
    app = await catalogApp(lanyard, 'matrix_synapse', { baseUrl: synapseUrl });
    assert.equal(app.setup.values.issuer, `${proxy.url}/oauth2/default`);
    assert.equal(app.setup.values.redirectUri, `${synapseUrl}/_synapse/client/oidc/callback`);

    const config = path.join(dir, 'homeserver.yaml');
    writeFileSync(config, homeserverYaml(dir, synapsePort, snippet(app.setup, 'config')));
    synapse = await startProcess(python, ['-m', 'synapse.app.homeserver', '--config-path', config], {
      cwd: dir,
      name: 'synapse',
      // Synapse's HTTP client trusts the OpenSSL default roots, which SSL_CERT_FILE names: here the proxy's
      // certificate alone. Nothing goes through a proxy.
      env: { SSL_CERT_FILE: tls.certFile, no_proxy: '127.0.0.1,localhost', NO_PROXY: '127.0.0.1,localhost' },
      ready: `http://127.0.0.1:${synapsePort}/health`,
      timeoutMs: 60_000,
    });
    // Synapse's log from its start's last lines on (startProcess keeps only a tail), kept beside the screenshot.
    const log = createWriteStream(artifact('synapse.log'));
    log.write(`${synapse.output()}\n`);
    synapse.child.stdout.pipe(log, { end: false });
    synapse.child.stderr.pipe(log, { end: false });

    const clientPort = await freePort();
    client = clientPage(synapseUrl);
    await new Promise((r) => client.listen(clientPort, '127.0.0.1', r));
    clientUrl = `http://localhost:${clientPort}`;

    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => (client ? client.close(() => r()) : r()));
    await synapse?.stop();
    await proxy?.close();
    if (lanyard) {
      const errors = lanyard.errors();
      await lanyard.stop();
      assert.deepEqual(errors, [], 'Lanyard logged no errors');
    }
    if (dir && !process.env.LANYARD_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
  });

  test('Synapse offers Lanyard as its identity provider', async () => {
    const r = await fetch(`${synapseUrl}/_matrix/client/v3/login`);
    const flows = (await r.json()).flows;
    const sso = flows.find((f) => f.type === 'm.login.sso');
    assert.ok(sso, `an SSO flow in ${JSON.stringify(flows)}`);
    assert.deepEqual(sso.identity_providers, [{ id: 'oidc-lanyard', name: 'Lanyard' }]);
  });

  test('SSO redirect → Lanyard sign-in → a new Matrix user in the client; Lanyard sign-out ends it', async (t) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true }); // the proxy's self-signed certificate
    t.after(() => context.close());
    const page = await context.newPage();
    // Console errors and uncaught exceptions, with the page they came from and the resource they name.
    const errors = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push({ page: page.url(), source: m.location().url, text: m.text() });
    });
    page.on('pageerror', (e) => errors.push({ page: page.url(), source: '', text: e.message }));

    const redirectUrl = `${clientUrl}/done`;
    await page.goto(
      `${synapseUrl}/_matrix/client/v3/login/sso/redirect/oidc-lanyard?redirectUrl=${encodeURIComponent(redirectUrl)}`,
    );
    await page.waitForURL((u) => u.origin === proxy.url, { timeout: 15_000 });
    await signInAtLanyard(page, app.login, app.password);

    // Synapse registers the new user from the userinfo claims and asks before handing the client a login token.
    await page.waitForURL((u) => u.origin === synapseUrl, { timeout: 15_000 });
    await page.getByRole('heading', { name: 'Continue to your account' }).waitFor({ timeout: 15_000 });
    const expected = `@ada=40example.com:${SERVER_NAME}`; // preferred_username ada@example.com, '@' escaped
    const shown = await page.locator('main').textContent();
    assert.ok(shown.includes(expected) && shown.includes('Ada Lovelace'), `the new user on Synapse's page: ${shown}`);
    await page.getByRole('link', { name: 'Continue', exact: true }).click();

    await page.waitForURL((u) => u.href.startsWith(`${redirectUrl}?loginToken=`), { timeout: 15_000 });
    await page.locator('#user').filter({ hasText: '@' }).or(page.locator('#error').filter({ hasText: /./ })).waitFor();
    assert.equal(await page.locator('#error').textContent(), '');
    assert.equal(await page.locator('#user').textContent(), expected);
    assert.equal(await page.locator('#name').textContent(), 'Ada Lovelace');
    await page.screenshot({ path: artifact('synapse.png'), fullPage: true });

    // The user Synapse made is the one who signed in: linked to Lanyard's subject (the user's id) in its database,
    // with Lanyard's email.
    const query = 'SELECT auth_provider, external_id, user_id FROM user_external_ids';
    const script = `import json, sqlite3, sys
print(json.dumps(sqlite3.connect(sys.argv[1]).execute("${query}").fetchall()))`;
    const linked = execFileSync(python, ['-c', script, path.join(dir, 'homeserver.db')], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(linked), [['oidc-lanyard', app.userId, expected]]);
    const accessToken = await page.locator('body').getAttribute('data-access-token');
    const auth = { Authorization: `Bearer ${accessToken}` };
    const whoami = await (await fetch(`${synapseUrl}/_matrix/client/v3/account/whoami`, { headers: auth })).json();
    assert.equal(whoami.user_id, expected);
    const threepids = await (await fetch(`${synapseUrl}/_matrix/client/v3/account/3pid`, { headers: auth })).json();
    assert.deepEqual(
      threepids.threepids.map((p) => [p.medium, p.address]),
      [['email', app.login]],
    );

    // Signing out of Lanyard ends the Matrix session: Lanyard POSTs a logout token to Synapse's
    // /_synapse/client/oidc/backchannel_logout, and Synapse logs out the devices of that sid.
    await page.goto(`${proxy.url}/login/signout`);
    let status;
    for (let i = 0; i < 40; i++) {
      status = (await fetch(`${synapseUrl}/_matrix/client/v3/account/whoami`, { headers: auth })).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 401, 'the access token no longer works after signing out of Lanyard');

    // Lanyard's pages are spotless. Synapse's are not, offline: its page template shows matrix.org's logo (no such
    // host here) and Chromium asks each site for /favicon.ico (404); those are told, not failed.
    const lanyardErrors = errors.filter((e) => e.page.startsWith(proxy.url) || e.source.startsWith(proxy.url));
    assert.deepEqual(lanyardErrors, [], "no console errors on Lanyard's pages");
    for (const e of errors) t.diagnostic(`console error on ${e.page}: ${e.text} (${e.source})`);
  });
});
