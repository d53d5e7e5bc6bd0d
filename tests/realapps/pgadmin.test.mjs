// catalog/pgadmin.toml proven against the real pgAdmin 4 (PyPI `pgadmin4`, pinned in tests/realapps/pgadmin/
// requirements.txt, installed by tests/realapps/pgadmin/install) in server mode, configured only from Lanyard's setup:
// the `config` snippet is pgAdmin's config_local.py verbatim, with local-test plumbing (paths, port) appended below
// it. Then, in headless Chromium: pgAdmin on http://localhost:PORT → "Login with Lanyard" → Lanyard's sign-in page on
// http://127.0.0.1:PORT → signed in → back in pgAdmin as ada@example.com; a user outside the allowed group is turned
// away by pgAdmin (OAUTH2_ADDITIONAL_CLAIMS on the groups claim); signing out of pgAdmin ends the Lanyard session too.
//
// Run: tests/realapps/pgadmin/install && LANYARD_BIN=… node --test tests/realapps/pgadmin.test.mjs

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  PASSWORD,
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

const venv = path.join(installDir('pgadmin'), 'venv');
const python = path.join(venv, 'bin', 'python');

/** pgAdmin's own directory (config.py, pgAdmin4.py), whatever Python 3 minor version the venv was built with. */
function pgadminDir() {
  const lib = path.join(venv, 'lib');
  const py = readdirSync(lib).find((d) => /^python3\.\d+$/.test(d));
  return path.join(lib, py, 'site-packages', 'pgadmin4');
}

describe('pgAdmin 4 signs in with Lanyard, configured from its catalog setup', { timeout: 180_000 }, () => {
  let server;
  let pgadmin;
  let browser;
  let tmp;
  let baseUrl;
  let made;
  let outsider;
  let logFile;
  /** Console errors and uncaught exceptions on Lanyard's pages (pgAdmin's own are kept apart, see below). */
  const lanyardErrors = [];
  const pgadminErrors = [];

  before(async () => {
    assert.ok(existsSync(python), `pgAdmin is not installed: run tests/realapps/pgadmin/install (no ${python})`);
    server = await startLanyard();
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    // allowedGroup is the harness's group (ada's), so OAUTH2_ADDITIONAL_CLAIMS lets her in.
    made = await catalogApp(server, 'pgadmin', { baseUrl, allowedGroup: 'admins' });

    // Bob may use the app at Lanyard (his group `staff` is assigned to it) but is not in the allowed group.
    const staff = await server.api('POST', '/api/v1/groups', { profile: { name: 'staff' } });
    const bob = await server.api('POST', '/api/v1/users?activate=true', {
      profile: { firstName: 'Bob', lastName: 'Outside', email: 'bob@example.com', login: 'bob@example.com' },
      credentials: { password: { value: PASSWORD } },
    });
    await server.api('PUT', `/api/v1/groups/${staff.id}/users/${bob.id}`);
    await server.api('PUT', `/api/v1/apps/${made.app.id}/groups/${staff.id}`, {});
    outsider = 'bob@example.com';

    tmp = mkdtempSync(path.join(tmpdir(), 'lanyard-pgadmin-'));
    const data = path.join(tmp, 'data');
    logFile = path.join(data, 'pgadmin4.log');
    mkdirSync(data);
    const confDir = path.join(tmp, 'conf');
    mkdirSync(confDir);
    const py = (s) => JSON.stringify(s); // a JSON string is a valid Python string literal for these paths
    const config =
      snippet(made.setup, 'config') +
      [
        '',
        '# ---- local-test plumbing (tests/realapps/pgadmin.test.mjs), not part of Lanyard\'s setup ----',
        '# The multi-user web mode, the one OAuth2 sign-in is for (already the default outside the desktop runtime).',
        'SERVER_MODE = True',
        '# The port chosen for this run; pgAdmin listens on 127.0.0.1 (its default DEFAULT_SERVER), reached as localhost.',
        `DEFAULT_SERVER_PORT = ${port}`,
        '# Everything pgAdmin writes goes to this run\'s temp dir, not /var/lib/pgadmin and /var/log/pgadmin.',
        `DATA_DIR = ${py(data)}`,
        `LOG_FILE = ${py(logFile)}`,
        `SQLITE_PATH = ${py(path.join(data, 'pgadmin4.db'))}`,
        `SESSION_DB_PATH = ${py(path.join(data, 'sessions'))}`,
        `STORAGE_DIR = ${py(path.join(data, 'storage'))}`,
        '# This machine has no internet: ask neither www.pgadmin.org for newer versions nor gravatar.com for avatars.',
        'UPGRADE_CHECK_ENABLED = False',
        'SHOW_GRAVATAR_IMAGE = False',
        '# pgAdmin logs OAuth2 sign-ins at INFO ("OAUTH2 user … logged in."): the test reads them from LOG_FILE.',
        'import logging',
        'FILE_LOG_LEVEL = logging.INFO',
        '',
      ].join('\n');
    writeFileSync(path.join(confDir, 'config_local.py'), config);

    // pgAdmin imports config_local as a module: from its own directory if one is there, else from PYTHONPATH. The
    // install stays untouched (and shareable between runs) by putting this run's file on PYTHONPATH; a file left next
    // to config.py would win, so there must be none.
    const dir = pgadminDir();
    assert.ok(!existsSync(path.join(dir, 'config_local.py')), `remove ${dir}/config_local.py: it would shadow this run's`);
    pgadmin = await startProcess(python, [path.join(dir, 'pgAdmin4.py')], {
      name: 'pgAdmin',
      cwd: tmp,
      env: {
        PYTHONPATH: confDir,
        // The internal administrator pgAdmin creates with its configuration database on first start (server mode
        // insists on one); set here, it does not prompt.
        PGADMIN_SETUP_EMAIL: 'admin@example.com',
        PGADMIN_SETUP_PASSWORD: 'Internal-Admin-9',
      },
      ready: `http://127.0.0.1:${port}/misc/ping`,
      timeoutMs: 120_000,
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await pgadmin?.stop();
    if (server) {
      const log = server.errors();
      await server.stop();
      assert.deepEqual(log, [], 'Lanyard logged no errors');
    }
    if (tmp && !process.env.LANYARD_KEEP_TEST_DIR) rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * Runs `fn` on a page of a fresh browser context; when it fails, a screenshot (`failed`) and the logs of both
   * sides are added to the error.
   */
  async function inBrowser(failed, fn) {
    const { context, page, atLanyard } = await newPage();
    try {
      await fn({ context, page, atLanyard });
    } catch (e) {
      await page.screenshot({ path: artifact(failed) }).catch(() => {});
      e.message += `\nat ${page.url()} (screenshot ${failed})${diagnostics()}`;
      throw e;
    } finally {
      await context.close();
    }
  }

  /** A fresh browser context whose console errors are sorted by the origin of the page they came from. */
  async function newPage() {
    const context = await browser.newContext();
    const page = await context.newPage();
    const lanyardOrigin = new URL(server.base).origin;
    const sort = (where, text) => (where.startsWith(lanyardOrigin) ? lanyardErrors : pgadminErrors).push(text);
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      sort(m.location().url || page.url(), `console: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => sort(page.url(), `pageerror: ${e.message} (${page.url()})`));
    // The pages the browser was sent to at Lanyard (authorize, end session), as URLs.
    const atLanyard = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.url().startsWith(lanyardOrigin)) atLanyard.push(new URL(r.url()));
    });
    return { context, page, atLanyard };
  }

  /** From pgAdmin's login page through Lanyard's sign-in page and back to pgAdmin. */
  async function signInThroughLanyard(page, login, { screenshot } = {}) {
    await page.goto(baseUrl);
    const button = page.getByRole('button', { name: 'Login with Lanyard' });
    await button.waitFor();
    if (screenshot) await page.screenshot({ path: artifact(screenshot) });
    await button.click();
    await page.waitForURL((u) => u.href.startsWith(server.base), { timeout: 20_000 });
    await signInAtLanyard(page, login);
    await page.waitForURL((u) => u.href.startsWith(baseUrl) && !u.pathname.startsWith('/oauth2/'), { timeout: 30_000 });
  }

  /** pgAdmin's log file so far. */
  const pgadminLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  function diagnostics() {
    return (
      `\npgAdmin's output:\n${pgadmin.output()}\npgAdmin's log:\n${pgadminLog().split('\n').slice(-40).join('\n')}` +
      `\nLanyard's log:\n${server.stderr.slice(-30).join('\n')}`
    );
  }

  test('a member of the allowed group signs in and pgAdmin shows her; signing out ends the Lanyard session', async () => {
    await inBrowser('pgadmin-failed.png', async ({ context, page, atLanyard }) => {
      await signInThroughLanyard(page, made.login, { screenshot: 'pgadmin-login.png' });
      // pgAdmin asked as the manifest says: its callback, PKCE with S256, OpenID Connect with a nonce.
      const authorize = atLanyard.find((u) => u.href.startsWith(made.setup.values.authorizationEndpoint));
      assert.ok(authorize, `pgAdmin sent the browser to Lanyard's authorize endpoint: ${atLanyard.join(' ')}`);
      const q = Object.fromEntries(authorize.searchParams);
      assert.equal(q.client_id, made.setup.values.clientId);
      assert.equal(q.redirect_uri, `${baseUrl}/oauth2/authorize`);
      assert.equal(q.response_type, 'code');
      assert.equal(q.scope, 'openid profile email');
      assert.equal(q.code_challenge_method, 'S256');
      assert.ok(q.code_challenge && q.nonce && q.state, `PKCE, nonce and state: ${authorize}`);
      // pgAdmin's main window. An OAuth2 user has no pgAdmin password to encrypt saved server passwords with, so
      // pgAdmin first asks her for a master password (MASTER_PASSWORD_REQUIRED, its default): she sets one.
      const dialog = page.locator('[role=dialog]', { hasText: 'Set Master Password' });
      await dialog.waitFor({ timeout: 30_000 });
      await dialog.locator('input[type=password]').fill('Master-Password-9');
      await dialog.locator('button', { hasText: 'OK' }).click();
      await dialog.waitFor({ state: 'hidden' });
      // The user menu names the signed-in user: the username pgAdmin took from the email claim, and the OAuth2
      // provider (OAUTH2_NAME) she came through.
      const user = page.locator('button', { hasText: `${made.login} (lanyard)` });
      await user.waitFor();
      await page.getByText(/^Loading pgAdmin/).waitFor({ state: 'hidden', timeout: 30_000 });
      await page.screenshot({ path: artifact('pgadmin.png') });
      assert.match(pgadminLog(), new RegExp(`OAUTH2 user ${made.login.replace(/\./g, '\\.')} logged in`));

      // Sign out from the user menu: pgAdmin forgets the user and sends the browser to Lanyard's end-session
      // endpoint (OAUTH2_LOGOUT_URL), which ends Lanyard's session and returns to pgAdmin.
      await user.click();
      await page.getByText('Logout', { exact: true }).click();
      await page.waitForURL((u) => u.href.startsWith(`${baseUrl}/login`), { timeout: 20_000 });
      const logout = atLanyard.find((u) => u.href.startsWith(made.setup.values.endSessionEndpoint));
      assert.ok(logout, `pgAdmin sent the browser to Lanyard's end-session endpoint: ${atLanyard.join(' ')}`);
      assert.equal(logout.searchParams.get('post_logout_redirect_uri'), `${baseUrl}/`);
      assert.ok(logout.searchParams.get('id_token_hint'), `with the ID token as a hint: ${logout}`);
      assert.equal(
        (await context.cookies(server.base)).find((c) => c.name === 'sid')?.value ?? '',
        '',
        'no Lanyard session is left',
      );
      // Signing in again asks for the password again at Lanyard.
      await page.getByRole('button', { name: 'Login with Lanyard' }).click();
      await page.waitForURL((u) => u.href.startsWith(server.base), { timeout: 20_000 });
      await page.getByLabel('Password', { exact: true }).waitFor();
    });
  });

  test('a user outside the allowed group is turned away by pgAdmin (OAUTH2_ADDITIONAL_CLAIMS on groups)', async () => {
    await inBrowser('pgadmin-outsider-failed.png', async ({ page }) => {
      await signInThroughLanyard(page, outsider);
      await page.getByText('The user is not authorized to login').first().waitFor({ timeout: 20_000 });
      assert.ok(new URL(page.url()).pathname.startsWith('/login'), `still at pgAdmin's login page: ${page.url()}`);
      assert.match(pgadminLog(), /user bob@example\.com is not authorized to access pgAdmin based on OAUTH2 config/);
    });
  });

  test("no console errors on Lanyard's pages", () => {
    // pgAdmin's own pages are not Lanyard's to judge (they are listed for a look, not failed on).
    if (pgadminErrors.length) console.error(`pgAdmin's console:\n${pgadminErrors.join('\n')}`);
    assert.deepEqual(lanyardErrors, []);
  });
});
