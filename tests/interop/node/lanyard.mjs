// Support for the interoperability tests: the real `lanyard` binary on a fresh data dir, its management API,
// and a browser without JavaScript (fetch with a cookie jar, no redirects followed) that signs in on the hosted page.

export { lanyardBin, PASSWORD, startLanyard, createUser } from '../../lanyard-process.mjs';
import { PASSWORD } from '../../lanyard-process.mjs';

export const REDIRECT_URI = 'http://localhost:3000/callback';

/**
 * Registers an OIDC app (`web` with a secret unless `tokenEndpointAuthMethod` is `none`); the Apps API's answer.
 * `settings` and `credentials` are merged into `settings.oauthClient` and `credentials.oauthClient`.
 */
export async function createApp(
  server,
  {
    grantTypes = ['authorization_code', 'refresh_token'],
    tokenEndpointAuthMethod = 'client_secret_basic',
    applicationType,
    jwks,
    settings = {},
    credentials = {},
  } = {},
) {
  const type = applicationType ?? (tokenEndpointAuthMethod === 'none' ? 'browser' : grantTypes.includes('authorization_code') ? 'web' : 'service');
  return server.api('POST', '/api/v1/apps?activate=true', {
    label: `Interop ${type} ${tokenEndpointAuthMethod}`,
    signOnMode: 'OPENID_CONNECT',
    name: 'oidc_client',
    credentials: { oauthClient: { token_endpoint_auth_method: tokenEndpointAuthMethod, ...credentials } },
    settings: {
      oauthClient: {
        application_type: type,
        grant_types: grantTypes,
        response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
        redirect_uris: grantTypes.includes('authorization_code') ? [REDIRECT_URI] : [],
        ...(jwks ? { jwks } : {}),
        ...settings,
      },
    },
  });
}

/** Assigns a user to an app (required before the user can sign in to it). */
export async function assign(server, appId, userId) {
  await server.api('POST', `/api/v1/apps/${appId}/users`, { id: userId, scope: 'USER' });
}

/** Adds a custom scope to the `default` authorization server. */
export async function addScope(server, name) {
  await server.api('POST', '/api/v1/authorizationServers/default/scopes', { name, description: name });
}

/** HTML entities in attribute values, decoded as a browser does. */
function unescapeHtml(s) {
  return s
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The forms of a page: their action, method and the inputs' name/value pairs (as a browser would submit them). */
export function forms(html) {
  const out = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attr = (tag, name) => {
      const a = tag.match(new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i'));
      return a ? unescapeHtml(a[1]) : undefined;
    };
    const fields = {};
    for (const input of m[2].matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name) fields[name] = attr(input[0], 'value') ?? '';
    }
    out.push({ action: attr(m[1], 'action'), method: (attr(m[1], 'method') ?? 'get').toUpperCase(), fields });
  }
  return out;
}

/** A browser without JavaScript: fetch with a cookie jar; redirects are followed by hand, so each can be seen. */
export class Browser {
  cookies = new Map();

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const r = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const set of r.headers.getSetCookie()) {
      const [pair, ...attrs] = set.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return r;
  }

  /**
   * Follows redirects from `url` until one leads to `stopAt` (not fetched): that URL; or, when a page answers with
   * a form that posts to `stopAt` (response_mode=form_post), that form (`{action, method, fields}`).
   */
  async followUntil(url, stopAt, init) {
    let current = new URL(url);
    let r = await this.request(current, init);
    for (let hops = 0; hops < 10; hops++) {
      if (r.status === 200) {
        // response_mode=form_post: a page whose form posts the response to the client.
        const html = await r.text();
        const form = forms(html).find((f) => f.action?.startsWith(stopAt));
        if (form) return form;
        throw new Error(`${current} answered 200 before reaching ${stopAt}: ${html.slice(0, 2000)}`);
      }
      if (r.status < 300 || r.status >= 400) {
        throw new Error(`${current} answered ${r.status} before reaching ${stopAt}: ${(await r.text()).slice(0, 2000)}`);
      }
      current = new URL(r.headers.get('location'), current);
      if (current.href.startsWith(stopAt)) return current;
      r = await this.request(current);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * Starts at an authorization URL, follows it to the hosted sign-in page, fills in username and password as a
   * person would (the page's hidden fields — the CSRF token and fromURI — submitted as they are), and follows the
   * redirects back to the client's redirect URI: that URL, with the code (or the error); with form_post, the form.
   */
  async signInThroughHostedPage(authorizationUrl, username, password = PASSWORD, redirectUri = REDIRECT_URI) {
    let current = new URL(authorizationUrl);
    let r = await this.request(current);
    // Redirects until the sign-in page answers 200 with its form.
    for (let hops = 0; r.status >= 300 && r.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects');
      current = new URL(r.headers.get('location'), current);
      if (current.href.startsWith(redirectUri)) return current; // already signed in
      r = await this.request(current);
    }
    const html = await r.text();
    if (r.status !== 200 || current.pathname !== '/signin') {
      throw new Error(`expected the sign-in page, got ${r.status} at ${current}: ${html.slice(0, 2000)}`);
    }
    const form = forms(html).find((f) => 'username' in f.fields && 'password' in f.fields);
    if (!form) throw new Error(`no sign-in form on ${current}: ${html.slice(0, 2000)}`);
    const fields = { ...form.fields, username, password };
    const action = new URL(form.action ?? current.href, current);
    return this.followUntil(action, redirectUri, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** A JWT's claims, unverified (the libraries under test verify). */
export function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

const S256 = async (verifier) => Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');

/**
 * Tokens for a user by hand-written requests, no client library: the Authn API's sessionToken, `/authorize` with
 * `prompt=none` and PKCE, then the code at the token endpoint (client_secret_basic). `authServer` is `default`,
 * another custom server's id, or `org`.
 */
export async function tokensFor(server, app, login, { authServer = 'default', scope = 'openid profile email offline_access', nonce } = {}) {
  const authn = await fetch(server.url('/api/v1/authn'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: login, password: PASSWORD }),
  }).then((r) => r.json());
  if (authn.status !== 'SUCCESS') throw new Error(`authn: ${JSON.stringify(authn)}`);
  const prefix = authServer === 'org' ? '/oauth2/v1' : `/oauth2/${authServer}/v1`;
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const params = new URLSearchParams({
    client_id: app.id,
    response_type: 'code',
    scope,
    redirect_uri: REDIRECT_URI,
    state: 'st8',
    code_challenge: await S256(verifier),
    code_challenge_method: 'S256',
    prompt: 'none',
    sessionToken: authn.sessionToken,
    ...(nonce ? { nonce } : {}),
  });
  const r = await fetch(server.url(`${prefix}/authorize?${params}`), { redirect: 'manual' });
  const code = new URL(r.headers.get('location') ?? 'about:blank').searchParams.get('code');
  if (r.status !== 302 || !code) throw new Error(`authorize: ${r.status} ${r.headers.get('location')}`);
  const { client_id, client_secret } = app.credentials.oauthClient;
  const t = await fetch(server.url(`${prefix}/token`), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      Authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
  const body = await t.json();
  if (!t.ok) throw new Error(`token: ${t.status} ${JSON.stringify(body)}`);
  return body;
}

/** An access token for a service app by client credentials (client_secret_basic), by hand. */
export async function clientCredentials(server, app, scope) {
  const { client_id, client_secret } = app.credentials.oauthClient;
  const t = await fetch(server.url('/oauth2/default/v1/token'), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      Authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = await t.json();
  if (!t.ok) throw new Error(`token: ${t.status} ${JSON.stringify(body)}`);
  return body;
}
