// A web application on another origin than Lanyard's, for the browser tests: a confidential OpenID Connect client
// (code flow with PKCE, `client_secret_basic` at the token endpoint, server side) that a real browser signs in to
// through Lanyard's hosted pages and signs out of with RP-Initiated Logout. Node's built-in modules only.
//
// Lanyard runs on http://localhost:PORT; this app listens on http://127.0.0.1:OTHER — another host and another
// port, so another origin and another site, as an app on its own domain is.

import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

/**
 * Starts the app on 127.0.0.1 and registers it with Lanyard as an active `web` app (`settings` are merged into
 * `settings.oauthClient`), assigned to Everyone unless `everyone` is false. `app.login(params)` is the URL that
 * starts a sign-in (extra authorization request parameters allowed: `response_mode`, `acr_values`, `prompt`,
 * `scope`, …). With `initiateLogin`, the app registers `/login` as its `initiate_login_uri` and starts a sign-in
 * there when Lanyard sends a browser with its `iss` (OIDC Core §4, third-party-initiated login).
 */
export async function startRelyingParty(
  server,
  { authServer = 'default', label = 'Example App', settings = {}, everyone: toEveryone = true, initiateLogin = false } = {},
) {
  const flows = new Map(); // state → { verifier, nonce }
  const sessions = new Map(); // logout state → true
  let client;
  let origin;
  const issuer = server.url(authServer === 'org' ? '' : `/oauth2/${authServer}`);
  const endpoints = (name) => `${issuer}/v1/${name}`;
  const log = [];

  async function callback(params, res) {
    const flow = flows.get(params.get('state'));
    flows.delete(params.get('state'));
    if (!flow) return send(res, 400, page('Bad state', '<h1 id="error">Unknown state</h1>'));
    if (params.get('iss') !== issuer) return send(res, 400, page('Bad issuer', `<h1 id="error">iss ${escapeHtml(params.get('iss'))}</h1>`));
    if (params.get('error')) {
      return send(res, 200, page('Refused', `<h1 id="error">${escapeHtml(params.get('error'))}</h1>`));
    }
    const token = await fetch(endpoints('token'), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code') ?? '',
        redirect_uri: `${origin}/callback`,
        code_verifier: flow.verifier,
      }),
    });
    const tokens = await token.json();
    if (!token.ok) return send(res, 502, page('Token error', `<h1 id="error">${escapeHtml(JSON.stringify(tokens))}</h1>`));
    const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString());
    if (claims.nonce !== flow.nonce) return send(res, 400, page('Bad nonce', '<h1 id="error">nonce</h1>'));
    const info = await (await fetch(endpoints('userinfo'), { headers: { Authorization: `Bearer ${tokens.access_token}` } })).json();
    log.push({ claims, info, tokens });
    const logoutState = b64url(randomBytes(16));
    sessions.set(logoutState, true);
    const logout = new URL(endpoints('logout'));
    logout.search = new URLSearchParams({
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: `${origin}/signed-out`,
      state: logoutState,
    }).toString();
    send(
      res,
      200,
      page(
        'Signed in',
        `<h1 id="signed-in">Signed in as <span id="email">${escapeHtml(info.email ?? info.sub)}</span></h1>` +
          `<p id="acr">${escapeHtml(claims.acr ?? '')}</p><p id="amr">${escapeHtml((claims.amr ?? []).join(' '))}</p>` +
          `<p><a id="logout" href="${escapeHtml(logout.toString())}">Sign out</a></p>`,
      ),
    );
  }

  function send(res, status, html) {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html);
  }

  const http = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, origin);
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      }
      if (url.pathname === '/callback' && req.method === 'GET') return await callback(url.searchParams, res);
      if (url.pathname === '/callback' && req.method === 'POST') {
        let body = '';
        for await (const chunk of req) body += chunk;
        return await callback(new URLSearchParams(body), res);
      }
      if (url.pathname === '/login' && req.method === 'GET') {
        const params = url.searchParams;
        if (params.get('iss') !== issuer) return send(res, 400, page('Bad issuer', `<h1 id="error">iss ${escapeHtml(params.get('iss'))}</h1>`));
        const extra = params.get('login_hint') ? { login_hint: params.get('login_hint') } : {};
        res.writeHead(302, { Location: rp.login(extra), 'Cache-Control': 'no-store' });
        return res.end();
      }
      if (url.pathname === '/signed-out') {
        const known = sessions.delete(url.searchParams.get('state') ?? '');
        return send(res, known ? 200 : 400, page('Signed out', `<h1 id="signed-out">${known ? 'Signed out' : 'Unknown state'}</h1>`));
      }
      send(res, 404, page('Not found', '<h1>Not found</h1>'));
    } catch (e) {
      send(res, 500, page('Error', `<pre id="error">${escapeHtml(e.stack)}</pre>`));
    }
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${http.address().port}`;

  const app = await server.api('POST', '/api/v1/apps?activate=true', {
    label,
    signOnMode: 'OPENID_CONNECT',
    name: 'oidc_client',
    credentials: { oauthClient: { token_endpoint_auth_method: 'client_secret_basic' } },
    settings: {
      oauthClient: {
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${origin}/callback`],
        post_logout_redirect_uris: [`${origin}/signed-out`],
        ...(initiateLogin ? { initiate_login_uri: `${origin}/login` } : {}),
        ...settings,
      },
    },
  });
  if (toEveryone) await server.api('PUT', `/api/v1/apps/${app.id}/groups/${await everyone(server)}`, {});
  client = app.credentials.oauthClient;

  const rp = {
    origin,
    app,
    issuer,
    log,
    url: (p) => `${origin}${p}`,
    /** The authorization request that starts a sign-in, as the app would redirect to it. */
    login(extra = {}) {
      const state = b64url(randomBytes(16));
      const nonce = b64url(randomBytes(16));
      const verifier = b64url(randomBytes(32));
      flows.set(state, { verifier, nonce });
      const u = new URL(endpoints('authorize'));
      u.search = new URLSearchParams({
        client_id: client.client_id,
        response_type: 'code',
        redirect_uri: `${origin}/callback`,
        scope: 'openid profile email',
        state,
        nonce,
        code_challenge: b64url(createHash('sha256').update(verifier).digest()),
        code_challenge_method: 'S256',
        ...extra,
      }).toString();
      return u.toString();
    },
    /** An RP-initiated logout request naming the app by `client_id` (no hint), with a state the app expects back. */
    logoutWithoutHint() {
      const state = b64url(randomBytes(16));
      sessions.set(state, true);
      const u = new URL(endpoints('logout'));
      u.search = new URLSearchParams({
        client_id: client.client_id,
        post_logout_redirect_uri: `${origin}/signed-out`,
        state,
      }).toString();
      return u.toString();
    },
    stop: () => new Promise((resolve) => http.close(resolve)),
  };
  return rp;
}

async function everyone(server) {
  const groups = await server.api('GET', '/api/v1/groups?q=Everyone');
  return groups.find((g) => g.profile.name === 'Everyone').id;
}
