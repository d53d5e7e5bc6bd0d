//! Cross-origin requests from browsers (CORS), as Okta answers them:
//!
//! - discovery and the JWKS are public documents: any origin may read them, without credentials;
//! - the OAuth endpoints a single-page app calls from JavaScript — token, revoke, introspect, userinfo, device
//!   authorization, PAR — answer origins an administrator trusts for CORS and the origins of active `browser`
//!   apps' redirect URIs ([`BrowserOrigins`]), without credentials (they take none: the client authenticates in
//!   the request, and a token is a header);
//! - the Authn API and `/api/v1/sessions/me`, which work with the session cookie, answer trusted CORS origins
//!   only, with `Access-Control-Allow-Credentials: true`;
//! - nothing else answers another origin (the management API above all: an API token never belongs in a browser).
//!
//! Preflights (`OPTIONS` with `Access-Control-Request-Method`) are answered here, before routing. Only requests
//! that carry an `Origin` consult the origins, and those come from this node's copy ([`Snapshot`], the keyring's
//! TTL): a server-side client's token request costs nothing more, and a browser's costs no query.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lanyard_core::store::{Store, StoreResult};
use lanyard_core::trusted_origins::BrowserOrigins;

use crate::snapshot::Snapshot;
use crate::state::AppState;

/// The headers a browser may send cross-origin (beyond the CORS-safelisted ones).
const ALLOW_HEADERS: &str =
    "Accept, Authorization, Content-Type, DPoP, X-Okta-User-Agent-Extended, X-Requested-With";
/// How long a browser may keep a preflight's answer (Chromium keeps at most two hours).
const MAX_AGE: &str = "600";

/// This node's copy of the browser origins.
pub struct OriginCache {
    store: Arc<dyn Store>,
    copy: Snapshot<BrowserOrigins>,
}

impl OriginCache {
    pub fn new(store: Arc<dyn Store>, ttl: std::time::Duration) -> Self {
        OriginCache {
            store,
            copy: Snapshot::new(ttl),
        }
    }

    /// Drops the copy: a trusted origin or an app changed on this node.
    pub fn invalidate(&self) {
        self.copy.invalidate();
    }

    pub async fn get(&self) -> StoreResult<Arc<BrowserOrigins>> {
        self.copy
            .get(|| async {
                let trusted = self.store.trusted_origins().await?;
                let uris = self.store.browser_app_redirect_uris().await?;
                Ok(BrowserOrigins::build(
                    &trusted,
                    uris.iter().map(String::as_str),
                ))
            })
            .await
    }
}

/// How an endpoint answers other origins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Any origin, no credentials.
    Public,
    /// Trusted CORS origins and browser apps' redirect origins, no credentials.
    OAuth,
    /// Trusted CORS origins, with the session cookie.
    Session,
}

/// The endpoint a path names, with the methods it takes cross-origin.
fn kind(path: &str) -> Option<(Kind, &'static str)> {
    if path.starts_with("/api/v1/authn") {
        return Some((Kind::Session, "POST"));
    }
    if path == "/api/v1/sessions/me" {
        return Some((Kind::Session, "GET, DELETE"));
    }
    if path.starts_with("/api/v1/sessions/me/") {
        return Some((Kind::Session, "POST"));
    }
    if matches!(
        path,
        "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server"
    ) {
        return Some((Kind::Public, "GET"));
    }
    let rest = path.strip_prefix("/oauth2/")?;
    // `/oauth2/v1/…` (the org server) or `/oauth2/{id}/…` (a custom server).
    let (_, endpoint) = match rest.strip_prefix("v1/") {
        Some(e) => ("", e),
        None => {
            let (id, tail) = rest.split_once('/')?;
            if id.is_empty() {
                return None;
            }
            if tail.starts_with(".well-known/") && !tail[".well-known/".len()..].contains('/') {
                return Some((Kind::Public, "GET"));
            }
            (id, tail.strip_prefix("v1/")?)
        }
    };
    match endpoint {
        "keys" => Some((Kind::Public, "GET")),
        "token" | "revoke" | "introspect" | "device/authorize" | "par" => {
            Some((Kind::OAuth, "POST"))
        }
        "userinfo" => Some((Kind::OAuth, "GET, POST")),
        _ => None,
    }
}

/// The CORS layer (see the module's documentation).
pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (Some(origin), Some((kind, methods))) = (origin, kind(req.uri().path())) else {
        return next.run(req).await;
    };
    let allowed = match kind {
        Kind::Public => true,
        Kind::OAuth | Kind::Session => match state.origins.get().await {
            Ok(o) => match kind {
                Kind::Session => o.may_call_with_session(&origin),
                _ => o.may_call_oauth(&origin),
            },
            Err(e) => {
                // Closed: a browser on another origin is refused until the origins can be read.
                tracing::warn!(error = %e, "the browser origins could not be read");
                false
            }
        },
    };
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut r = if allowed {
            let mut r = StatusCode::NO_CONTENT.into_response();
            let h = r.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(methods),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(MAX_AGE),
            );
            allow(h, kind, &origin);
            r
        } else {
            tracing::info!(origin = ?origin, path = %req.uri().path(), "cross-origin request refused");
            StatusCode::FORBIDDEN.into_response()
        };
        vary(r.headers_mut(), kind);
        return r;
    }
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    if allowed {
        allow(h, kind, &origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "DPoP-Nonce, WWW-Authenticate, X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Reset",
            ),
        );
    }
    vary(h, kind);
    r
}

/// The headers that let the page on `origin` read the answer.
fn allow(h: &mut HeaderMap, kind: Kind, origin: &str) {
    let value = match kind {
        Kind::Public => Some(HeaderValue::from_static("*")),
        Kind::OAuth | Kind::Session => HeaderValue::from_str(origin).ok(),
    };
    if let Some(v) = value {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    if kind == Kind::Session {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

/// Answers that depend on the origin say so to caches.
fn vary(h: &mut HeaderMap, kind: Kind) {
    if kind != Kind::Public {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_what_they_allow() {
        for (path, expected) in [
            ("/oauth2/v1/token", Some(Kind::OAuth)),
            ("/oauth2/default/v1/token", Some(Kind::OAuth)),
            ("/oauth2/aus1/v1/revoke", Some(Kind::OAuth)),
            ("/oauth2/default/v1/userinfo", Some(Kind::OAuth)),
            ("/oauth2/default/v1/device/authorize", Some(Kind::OAuth)),
            ("/oauth2/v1/par", Some(Kind::OAuth)),
            ("/oauth2/v1/keys", Some(Kind::Public)),
            ("/oauth2/default/v1/keys", Some(Kind::Public)),
            ("/.well-known/openid-configuration", Some(Kind::Public)),
            (
                "/oauth2/default/.well-known/oauth-authorization-server",
                Some(Kind::Public),
            ),
            ("/api/v1/authn", Some(Kind::Session)),
            ("/api/v1/authn/factors/x/verify", Some(Kind::Session)),
            ("/api/v1/sessions/me", Some(Kind::Session)),
            ("/api/v1/sessions/me/lifecycle/refresh", Some(Kind::Session)),
            // Never: the management API, pages, the authorization and end-session endpoints (navigations).
            ("/api/v1/users", None),
            ("/api/v1/sessions/abc", None),
            ("/oauth2/default/v1/authorize", None),
            ("/oauth2/default/v1/logout", None),
            ("/oauth2/v1/clients", None),
            ("/signin", None),
            ("/oauth2//v1/token", None),
            ("/oauth2/default/.well-known/x/y", None),
        ] {
            assert_eq!(kind(path).map(|(k, _)| k), expected, "{path}");
        }
    }
}
