// Support for the browser tests: the real `lanyard` binary on a fresh data dir, its management API, TOTP codes,
// and Debian's Chromium driven by playwright-core (never a browser that Playwright downloads).

import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The binary under test: `LANYARD_BIN`, else `target/debug/lanyard` (under `CARGO_TARGET_DIR` when set). */
export const lanyardBin = process.env.LANYARD_BIN
  ? path.resolve(process.env.LANYARD_BIN)
  : path.join(process.env.CARGO_TARGET_DIR ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR) : path.join(repoRoot, 'target'), 'debug', 'lanyard');

export const PASSWORD = 'Correct-Horse-9';

/** The environment for the binary: none of the caller's `LANYARD_*` settings leak in. */
function cleanEnv() {
  const env = { ...process.env, RUST_LOG: 'warn,sqlx=warn' };
  for (const k of Object.keys(env)) if (k.startsWith('LANYARD_')) delete env[k];
  return env;
}

/**
 * Starts `lanyard serve --listen 127.0.0.1:0 --data-dir <fresh temp dir>` and waits for its
 * `listening on http://…` line; mints a management API token with `lanyard api-token create`.
 */
export async function startLanyard({ args = [], localhost = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanyard-browser-'));
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

/** RFC 4648 base32 (no padding needed) to bytes. */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out = [];
  let bits = 0;
  let value = 0;
  for (const c of text.toUpperCase().replace(/[\s=-]/g, '')) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (HMAC-SHA1, 30-second steps) for the step holding `unixSeconds`. */
export function totp(secret, unixSeconds, { digits = 6, step = 30 } = {}) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / step)));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

/** Enrols and activates a TOTP factor for a user through the API; the factor's id and secret. */
export async function enrolTotp(server, userId) {
  const factor = await server.api('POST', `/api/v1/users/${userId}/factors`, {
    factorType: 'token:software:totp',
    provider: 'GOOGLE',
  });
  const secret = base32Decode(factor._embedded.activation.sharedSecret);
  await server.api('POST', `/api/v1/users/${userId}/factors/${factor.id}/lifecycle/activate`, {
    passCode: totp(secret, Date.now() / 1000),
  });
  return { factorId: factor.id, secret };
}

/**
 * Debian's Chromium, headless, with nothing that reaches beyond this machine. `launch` gives every browser a fresh,
 * empty profile of its own (a temporary user data dir, removed on close; Playwright refuses `--user-data-dir`).
 */
export async function launchChromium() {
  return chromium.launch({
    executablePath: process.env.LANYARD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

/** Collects a page's console errors and uncaught exceptions. */
export function watchConsole(page) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const { url } = m.location();
    errors.push(`console: ${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}
