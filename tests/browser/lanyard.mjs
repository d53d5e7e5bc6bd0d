// Support for the browser tests: the real `lanyard` binary on a fresh data dir, its management API, TOTP codes,
// and Debian's Chromium driven by playwright-core (never a browser that Playwright downloads).

import { createHmac } from 'node:crypto';

import { chromium } from 'playwright-core';

export { lanyardBin, PASSWORD, startLanyard, createUser } from '../lanyard-process.mjs';
import { PASSWORD } from '../lanyard-process.mjs';

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
