// The real `lanyard` binary for the JavaScript tests (tests/browser and tests/interop/node): a server on a fresh data
// dir with a management API token, and a user. Node's built-in modules only, so both test packages can import it.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The binary under test: `LANYARD_BIN`, else `target/debug/lanyard` (under `CARGO_TARGET_DIR` when set). */
export const lanyardBin = process.env.LANYARD_BIN
  ? path.resolve(process.env.LANYARD_BIN)
  : path.join(process.env.CARGO_TARGET_DIR ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR) : path.join(repoRoot, 'target'), 'debug', 'lanyard');

export const PASSWORD = 'Correct-Horse-9';

/** The environment for the binary: none of the caller's `LANYARD_*` settings leak in. */
export function cleanEnv() {
  const env = { ...process.env, RUST_LOG: 'warn,sqlx=warn' };
  for (const k of Object.keys(env)) if (k.startsWith('LANYARD_')) delete env[k];
  return env;
}

/**
 * Starts `lanyard serve --listen 127.0.0.1:0 --data-dir <fresh temp dir>` and waits for its
 * `listening on http://…` line; mints a management API token with `lanyard api-token create`.
 */
export async function startLanyard({ args = [], localhost = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanyard-test-'));
  const dataDir = path.join(dir, 'data');
  // WebAuthn needs a domain name: `localhost: true` serves on a free port with the base URL http://localhost:PORT.
  let listen = ['--listen', '127.0.0.1:0'];
  let publicBase;
  if (localhost) {
    const port = await freePort();
    listen = ['--listen', `127.0.0.1:${port}`, '--base-url', `http://localhost:${port}`];
    publicBase = `http://localhost:${port}`;
  }
  const child = spawn(lanyardBin, ['serve', ...listen, '--data-dir', dataDir, ...args], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise((_, reject) => child.once('error', reject));
  const banner = new Promise((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
  });
  let timer;
  const bound = await Promise.race([
    banner,
    spawnError,
    exited.then(({ code, signal }) => {
      throw new Error(`lanyard serve exited (${code ?? signal}) before listening:\n${stderr.join('\n')}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lanyard serve printed no banner within 60 s:\n${stderr.join('\n')}`)), 60_000);
    }),
  ]).catch((e) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  clearTimeout(timer);
  const base = publicBase ?? bound;
  const token = execFileSync(lanyardBin, ['api-token', 'create', '--name', 't', '--data-dir', dataDir], {
    env: cleanEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
  return {
    base,
    dir,
    token,
    stderr,
    url: (p) => `${base}${p}`,
    /** A management API call with the SSWS token; the parsed JSON body (`null` when empty). */
    async api(method, p, body) {
      const r = await fetch(`${base}${p}`, {
        method,
        headers: {
          Authorization: `SSWS ${token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    /** The server's ERROR lines so far. */
    errors: () => stderr.filter((l) => /\bERROR\b/.test(l)),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 10_000).unref())]);
        if (!done) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      // LANYARD_KEEP_TEST_DIR=1 keeps the data dir and the screenshots for a look afterwards.
      if (process.env.LANYARD_KEEP_TEST_DIR) console.error(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port free at the time of asking, on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Creates an active user with the standard password; its id. */
export async function createUser(server, login, firstName = 'Ada', lastName = 'Lovelace') {
  const user = await server.api('POST', '/api/v1/users', {
    profile: { firstName, lastName, email: login, login },
    credentials: { password: { value: PASSWORD } },
  });
  return user.id;
}

