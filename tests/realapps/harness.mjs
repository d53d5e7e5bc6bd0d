// Support for the real-app proofs (tests/realapps): a catalog entry proven against the real application, installed
// from the package registries by its `install` script. Each proof starts Lanyard, makes the app from the catalog with
// variables pointing at the application on this machine, configures the application ONLY from
// `GET /api/v1/apps/{id}/setup` (the JSON values or one snippet per `?style=`), starts it, and signs in through it in
// headless Chromium — the application on http://localhost:PORT, Lanyard on http://127.0.0.1:PORT: two sites, as in
// production — until the application shows the signed-in user.

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export { launchChromium, watchConsole, startLanyard, createUser, PASSWORD } from '../browser/lanyard.mjs';
import { PASSWORD } from '../browser/lanyard.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where an app's install script put it: `LANYARD_REALAPPS_DIR` (default `target/realapps`) / `name`. */
export function installDir(name) {
  const root = process.env.LANYARD_REALAPPS_DIR
    ? path.resolve(process.env.LANYARD_REALAPPS_DIR)
    : path.join(repoRoot, 'target', 'realapps');
  return path.join(root, name);
}

/** Where screenshots are kept: `target/test-artifacts/realapps` (CI keeps `target/test-artifacts`). */
export function artifact(file) {
  const dir = path.join(repoRoot, 'target', 'test-artifacts', 'realapps');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, file);
}

/** A TCP port free at the time of asking, on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Makes an app from the catalog entry `name` with `variables` (`settings.app`), assigns it a new group holding a
 * new user, and returns `{ app, userId, login, password, group, setup }` — `setup` the creation's setup (with the
 * client secret, shown this once).
 */
export async function catalogApp(server, name, variables, { login = `ada@example.com`, group = 'admins' } = {}) {
  const app = await server.api('POST', '/api/v1/apps', { name, label: name, settings: { app: variables } });
  const g = await server.api('POST', '/api/v1/groups', { profile: { name: group } });
  const user = await server.api('POST', '/api/v1/users?activate=true', {
    profile: { firstName: 'Ada', lastName: 'Lovelace', email: login, login },
    credentials: { password: { value: PASSWORD } },
  });
  await server.api('PUT', `/api/v1/groups/${g.id}/users/${user.id}`);
  await server.api('PUT', `/api/v1/apps/${app.id}/groups/${g.id}`, {});
  return { app, userId: user.id, login, password: PASSWORD, group, setup: app._embedded.setup };
}

/** One snippet of an app's setup, as text (`GET /api/v1/apps/{id}/setup?style=`), with the secret filled in. */
export function snippet(setup, style) {
  const s = setup.snippets.find((x) => x.style === style);
  if (!s) throw new Error(`no ${style} snippet in ${setup.snippets.map((x) => x.style).join(', ')}`);
  return s.content;
}

/**
 * Starts a process, keeps its output, and waits until `ready` (a URL answering any HTTP status below 500, or a
 * function returning true) or fails with the output. `stop()` ends it (SIGTERM, then SIGKILL).
 */
export async function startProcess(command, args, { env = {}, cwd, ready, timeoutMs = 90_000, name = command } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = code ?? signal;
  });
  const output = () => lines.slice(-80).join('\n');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) throw new Error(`${name} exited (${exited}) before it was ready:\n${output()}`);
    if (Date.now() > deadline) {
      kill(child);
      throw new Error(`${name} was not ready within ${timeoutMs / 1000} s:\n${output()}`);
    }
    let ok = false;
    try {
      if (typeof ready === 'function') ok = await ready();
      else {
        const r = await fetch(ready, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
        ok = r.status < 500;
      }
    } catch {
      ok = false;
    }
    if (ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    child,
    output,
    async stop() {
      if (exited !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      kill(child, 'SIGTERM');
      const t = setTimeout(() => kill(child, 'SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

/** Signals the whole process group (a server's workers too). */
function kill(child, signal = 'SIGKILL') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // gone
    }
  }
}

/** Fills Lanyard's hosted sign-in page (the page the application sent the browser to) and submits it. */
export async function signInAtLanyard(page, login, password = PASSWORD) {
  await page.getByLabel('Username', { exact: true }).fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
