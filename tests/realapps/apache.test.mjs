// The catalog entry apache_mod_auth_openidc proven against the real Apache HTTP Server and mod_auth_openidc (Debian's
// apache2 and libapache2-mod-auth-openidc, installed by tests/realapps/apache/install). Lanyard makes the app from the
// catalog for an Apache on http://localhost:PORT; the test writes a configuration for an Apache of its own (its own
// ServerRoot, PidFile and logs in a temp dir, only the modules it needs) whose OIDC part is the entry's `config`
// snippet as rendered — with only what the guide tells the admin to do: the key pair made with the guide's openssl
// command (step 3), the crypto passphrase replaced (step 4), and the commented `Require claim groups:` rule swapped
// in for `Require valid-user` (step 5). The one adaptation the snippet does not offer: the key pair lives in the temp
// dir, so the two key paths the guide names (/etc/apache2/oidc/client.{key,crt}) are rewritten to it. The client
// authenticates with private_key_jwt: Lanyard reads Apache's public key from {protectedPath}/redirect_uri?jwks=rsa on
// loopback. In headless Chromium: the protected page on localhost → Lanyard's sign-in page on 127.0.0.1 → back at
// Apache, whose page (SSI) shows REMOTE_USER and the claims, also passed as request headers; the guide's sign-out URL
// ends both sessions; a user outside the group signs in at Lanyard and is refused by Apache. Any console error fails.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  artifact,
  catalogApp,
  createUser,
  freePort,
  launchChromium,
  repoRoot,
  signInAtLanyard,
  snippet,
  startLanyard,
  startProcess,
  watchConsole,
} from './harness.mjs';
import { lanyardBin } from '../lanyard-process.mjs';

const APACHE = process.env.LANYARD_APACHE2 || '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
// The paths the guide's step 3 and the snippet name for the key pair.
const GUIDE_KEY = '/etc/apache2/oidc/client.key';
const GUIDE_CRT = '/etc/apache2/oidc/client.crt';
const OUTSIDER = 'bob@example.com';

const ENTRY = 'apache_mod_auth_openidc';

/**
 * The catalog key to make the app from: the built-in entry, which must be this checkout's
 * catalog/apache_mod_auth_openidc.toml (the binary embeds the catalog when it is built). A binary older than the
 * manifest fails the test — unless LANYARD_REALAPPS_CATALOG_FROM_FILE=1, which adds the file through the catalog API
 * (`POST /api/v1/catalog/apps`, the same checks) under the key `<entry>_file` and proves that instead.
 */
async function entryUnderTest(server) {
  const file = readFileSync(path.join(repoRoot, 'catalog', `${ENTRY}.toml`), 'utf8');
  const r = await fetch(server.url(`/api/v1/catalog/apps/${ENTRY}/manifest`), { headers: { Authorization: `SSWS ${server.token}` } });
  assert.equal(r.status, 200, `GET /api/v1/catalog/apps/${ENTRY}/manifest`);
  if ((await r.text()) === file) return ENTRY;
  assert.ok(
    process.env.LANYARD_REALAPPS_CATALOG_FROM_FILE,
    `${lanyardBin} embeds another ${ENTRY} than catalog/${ENTRY}.toml: rebuild it, or set LANYARD_REALAPPS_CATALOG_FROM_FILE=1`,
  );
  const key = `${ENTRY}_file`;
  const manifest = file.replace(`name = "${ENTRY}"`, `name = "${key}"`);
  assert.notEqual(manifest, file);
  await server.api('POST', '/api/v1/catalog/apps', { manifest });
  console.error(`# proving catalog/${ENTRY}.toml as ${key} (added through the catalog API: the binary's is older)`);
  return key;
}

/** The protected page: what Apache tells the application about the signed-in user (mod_include's SSI). */
const PROTECTED_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Protected</title></head><body>
<h1>Protected by mod_auth_openidc</h1>
<p>REMOTE_USER: <span id="remote-user"><!--#echo var="REMOTE_USER" --></span></p>
<p>Name: <span id="name"><!--#echo var="OIDC_CLAIM_name" --></span></p>
<p>Email: <span id="email"><!--#echo var="OIDC_CLAIM_email" --></span></p>
<p>Groups: <span id="groups"><!--#echo var="OIDC_CLAIM_groups" --></span></p>
</body></html>
`;

const HOME_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Home</title></head><body>
<h1>Signed out</h1></body></html>
`;

/** The server configuration around the pasted virtual-host snippet: a non-system Apache in `dir`. */
function httpdConf({ dir, port, docroot, protectedPath, oidc }) {
  const user = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  return `# A throwaway Apache for tests/realapps/apache.test.mjs
ServerRoot "${dir}"
DefaultRuntimeDir "${dir}/run"
PidFile "${dir}/run/apache2.pid"
ErrorLog "${dir}/logs/error.log"
LogLevel warn auth_openidc:info
${user}Listen 127.0.0.1:${port}
ServerName localhost

LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authn_core_module ${MODULES}/mod_authn_core.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule authz_user_module ${MODULES}/mod_authz_user.so
LoadModule mime_module ${MODULES}/mod_mime.so
LoadModule dir_module ${MODULES}/mod_dir.so
LoadModule include_module ${MODULES}/mod_include.so
LoadModule headers_module ${MODULES}/mod_headers.so
LoadModule auth_openidc_module ${MODULES}/mod_auth_openidc.so

StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 4
MaxSpareThreads 16

TypesConfig /etc/mime.types
AddType text/html .shtml
AddOutputFilter INCLUDES .shtml
DirectoryIndex index.shtml index.html
LogFormat "%h %u \\"%r\\" %>s" short
CustomLog "${dir}/logs/access.log" short

<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "${docroot}">
    Options +IncludesNoExec
    Require all granted
</Directory>
# What a proxied application would read: the claim request headers, echoed back.
<Directory "${docroot}${protectedPath}">
    Header set X-Echo-Preferred-Username "expr=%{req:OIDC_CLAIM_preferred_username}"
    Header set X-Echo-Groups "expr=%{req:OIDC_CLAIM_groups}"
</Directory>

<VirtualHost 127.0.0.1:${port}>
    ServerName localhost
    DocumentRoot "${docroot}"

${oidc.replace(/^/gm, '    ').replace(/^ +$/gm, '')}
</VirtualHost>
`;
}

describe('Apache HTTP Server with mod_auth_openidc (catalog: apache_mod_auth_openidc)', { timeout: 120_000 }, () => {
  let server;
  let apache;
  let browser;
  let dir;
  let app;
  let baseUrl;
  const protectedPath = '/protected';

  before(async () => {
    assert.ok(existsSync(APACHE), `${APACHE} missing: run tests/realapps/apache/install`);
    assert.ok(existsSync(`${MODULES}/mod_auth_openidc.so`), 'mod_auth_openidc missing: run tests/realapps/apache/install');
    // Lanyard fetches the client's JWKS (private_key_jwt) from Apache on localhost.
    server = await startLanyard({ args: ['--outbound-allow', 'loopback'] });
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    app = await catalogApp(server, await entryUnderTest(server), { baseUrl, allowedGroup: 'admins' });
    assert.equal(app.app.credentials.oauthClient.token_endpoint_auth_method, 'private_key_jwt');
    // A second user the app is assigned to through another group: the group rule of step 5 must refuse them.
    const staff = await server.api('POST', '/api/v1/groups', { profile: { name: 'staff' } });
    const outsider = await createUser(server, OUTSIDER, 'Bob', 'Builder');
    await server.api('PUT', `/api/v1/groups/${staff.id}/users/${outsider}`);
    await server.api('PUT', `/api/v1/apps/${app.app.id}/groups/${staff.id}`, {});

    dir = mkdtempSync(path.join(tmpdir(), 'lanyard-apache-'));
    for (const d of ['run', 'logs', 'oidc', 'htdocs', `htdocs${protectedPath}`]) mkdirSync(path.join(dir, d), { recursive: true });
    // Apache's workers (www-data when started as root) read the documents; the key stays the starting user's.
    chmodSync(dir, 0o755);
    const docroot = path.join(dir, 'htdocs');
    writeFileSync(path.join(docroot, 'index.html'), HOME_PAGE);
    writeFileSync(path.join(docroot, 'favicon.ico'), ''); // the site's icon (else a 404 on every page, 401s too)
    writeFileSync(path.join(docroot, protectedPath.slice(1), 'index.shtml'), PROTECTED_PAGE);

    // Guide step 3: the key pair, with the guide's openssl command; only its place is the temp dir.
    const key = path.join(dir, 'oidc', 'client.key');
    const crt = path.join(dir, 'oidc', 'client.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=apache-oidc', '-keyout', key, '-out', crt], {
      stdio: 'ignore',
    });
    chmodSync(key, 0o600);
    chmodSync(path.join(dir, 'oidc'), 0o700);

    // The snippet as rendered, with what the guide says to change and the key paths moved.
    let oidc = snippet(app.setup, 'config');
    const groupRule = `<Location ${protectedPath}>\n    AuthType openid-connect\n    Require valid-user\n    # Require claim groups:admins\n`;
    for (const s of ['"<a long random passphrase>"', GUIDE_KEY, GUIDE_CRT, groupRule]) {
      assert.ok(oidc.includes(s), `the config snippet has no ${JSON.stringify(s)}:\n${oidc}`);
    }
    oidc = oidc
      .replace('"<a long random passphrase>"', `"${randomBytes(32).toString('base64url')}"`) // guide step 4
      .replace(GUIDE_KEY, key)
      .replace(GUIDE_CRT, crt)
      // guide step 5: admit only the group (the redirect URI's own location left as it is)
      .replace(groupRule, `<Location ${protectedPath}>\n    AuthType openid-connect\n    Require claim groups:admins\n`);
    const conf = path.join(dir, 'apache2.conf');
    writeFileSync(conf, httpdConf({ dir, port, docroot, protectedPath, oidc }));

    // apachectl configtest, then Apache in the foreground.
    execFileSync(APACHE, ['-f', conf, '-t'], { stdio: 'pipe' });
    apache = await startProcess(APACHE, ['-f', conf, '-DFOREGROUND'], { ready: `${baseUrl}/`, name: 'apache2', timeoutMs: 30_000 });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await apache?.stop();
    await server?.stop();
    if (dir && !process.env.LANYARD_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.error(`kept ${dir}`);
  });

  const apacheLog = () => (dir ? readFileSync(path.join(dir, 'logs', 'error.log'), 'utf8') : '');

  test('Apache publishes the key Lanyard verifies its private_key_jwt with', async () => {
    const r = await fetch(`${baseUrl}${protectedPath}/redirect_uri?jwks=rsa`);
    assert.equal(r.status, 200);
    const jwks = await r.json();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].kty, 'RSA');
    assert.equal(app.app.settings.oauthClient.jwks_uri, `${baseUrl}${protectedPath}/redirect_uri?jwks=rsa`);
  });

  test('signs in through Lanyard and Apache shows the user; the guide’s sign-out URL signs out of both', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchConsole(page);
    try {
      await page.goto(`${baseUrl}${protectedPath}/`);
      // mod_auth_openidc sends the browser to Lanyard (another site) for the sign-in.
      await page.waitForURL((u) => u.origin === server.base);
      const landed = page.waitForResponse((r) => r.url() === `${baseUrl}${protectedPath}/`, { timeout: 20_000 });
      await signInAtLanyard(page, app.login);
      const response = await landed;
      assert.equal(response.status(), 200, apacheLog());
      await page.waitForURL(`${baseUrl}${protectedPath}/`);
      assert.equal(await page.locator('#remote-user').textContent(), app.login);
      assert.equal(await page.locator('#name').textContent(), 'Ada Lovelace');
      assert.equal(await page.locator('#email').textContent(), app.login);
      assert.ok((await page.locator('#groups').textContent()).split(',').includes('admins'));
      // The same claims as request headers (what a proxied application reads), echoed back by mod_headers.
      const headers = await response.allHeaders();
      assert.equal(headers['x-echo-preferred-username'], app.login);
      assert.ok(headers['x-echo-groups'].split(',').includes('admins'), headers['x-echo-groups']);
      await page.screenshot({ path: artifact('apache.png'), fullPage: true });

      // Guide step 5: {baseUrl}{protectedPath}/redirect_uri?logout={baseUrl}/ — Lanyard's end-session and back.
      await page.goto(`${baseUrl}${protectedPath}/redirect_uri?logout=${encodeURIComponent(`${baseUrl}/`)}`);
      await page.waitForURL(`${baseUrl}/`, { timeout: 20_000 });
      await page.getByRole('heading', { name: 'Signed out' }).waitFor();
      // Both sessions are gone: the protected page asks Lanyard for a sign-in again.
      await page.goto(`${baseUrl}${protectedPath}/`);
      await page.waitForURL((u) => u.origin === server.base);
      await page.getByLabel('Password', { exact: true }).waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('the guide’s group rule refuses a user the app is assigned to outside the group', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchConsole(page);
    try {
      await page.goto(`${baseUrl}${protectedPath}/`);
      await page.waitForURL((u) => u.origin === server.base);
      const landed = page.waitForResponse((r) => r.url() === `${baseUrl}${protectedPath}/`, { timeout: 20_000 });
      await signInAtLanyard(page, OUTSIDER);
      const response = await landed;
      assert.equal(response.status(), 401, apacheLog());
      assert.doesNotMatch(await page.content(), /Protected by mod_auth_openidc/);
      // Chromium reports the refused page itself; nothing else may log an error.
      const refused = `console: Failed to load resource: the server responded with a status of 401 (Unauthorized) (${baseUrl}${protectedPath}/)`;
      assert.deepEqual(errors.filter((e) => e !== refused), []);
    } finally {
      await context.close();
    }
  });

  test('no errors on either side', () => {
    assert.deepEqual(server.errors(), []);
    // The outsider's refusal is authz_core's AH01631; anything else at error level (or worse) is a failure.
    const refused = `AH01631: user ${OUTSIDER}: authorization failure for "${protectedPath}/"`;
    const bad = apacheLog()
      .split('\n')
      .filter((l) => /:(error|crit|alert|emerg)\]/.test(l) && !l.includes(refused));
    assert.deepEqual(bad, [], apacheLog());
  });
});
