// HTTPS in front of Lanyard, as in production, for applications that insist on an https issuer (Authlib, and so
// Synapse, checks RFC 8414's "issuer MUST use the https scheme", letting plain http through only on loopback) and
// verify its certificate: a certificate for 127.0.0.1 made with openssl, and a TLS-terminating reverse proxy on
// 127.0.0.1 — what a deployment puts in front of Lanyard. Lanyard itself runs as usual, with
// `--base-url https://127.0.0.1:PORT` so that its issuer and links name the proxy.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

/**
 * A self-signed certificate for `127.0.0.1` and `localhost` (CA:TRUE, so that OpenSSL-based clients take the file
 * itself as their trust root, e.g. with `SSL_CERT_FILE`), valid for a day; `{ certFile, keyFile, cert, key }` in `dir`.
 */
export function selfSignedCert(dir) {
  const certFile = path.join(dir, 'tls-cert.pem');
  const keyFile = path.join(dir, 'tls-key.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', keyFile, '-out', certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * An HTTPS reverse proxy on `127.0.0.1:port` to the plain-HTTP `target` (e.g. Lanyard's bound `http://127.0.0.1:N`),
 * passing the request through as it came (Host included) with `X-Forwarded-Proto: https` and `X-Forwarded-For`.
 * `close()` stops it.
 */
export async function tlsProxy({ port, target, cert, key }) {
  const upstream = new URL(target);
  const server = https.createServer({ cert, key }, (req, res) => {
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': req.socket.remoteAddress },
      },
      (answer) => {
        res.writeHead(answer.statusCode, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    out.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${e.message}`);
    });
    req.pipe(out);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
