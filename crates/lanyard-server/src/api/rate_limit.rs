//! Per-node fixed-window rate limiting, with Okta's headers on every response it counts: `X-Rate-Limit-Limit`,
//! `X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset` (epoch seconds). A refused request gets 429 E0000047; hyper adds
//! the `Date` header the Okta SDKs compute their back-off from.
//!
//! Two limiters, each a [`RateLimiter`] in the [`AppState`]:
//!
//! - [`middleware`]: the management API (`/api/v1/…`), per token (or per client IP without one).
//! - [`signin_throttle`]: sign-in attempts per client IP ([`is_signin_attempt`]: every `POST` to the Authn API
//!   `/api/v1/authn…` and to the hosted pages `/signin…`), so that nobody can guess passwords or send reset
//!   emails at speed. `lib.rs` applies it to the whole application, outside the routers, so every such route is
//!   covered without the page router doing anything. It runs before the management limiter: on a sign-in route
//!   the headers describe the sign-in limit, unless the management limiter is the one that refused.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::state::AppState;

const WINDOW_SECS: i64 = 60;

pub struct RateLimiter {
    limit: u32,
    window: Mutex<(i64, HashMap<[u8; 32], u32>)>,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// When the window resets, epoch seconds.
    pub reset: i64,
}

impl RateLimiter {
    pub fn new(limit_per_minute: u32) -> Self {
        RateLimiter {
            limit: limit_per_minute.max(1),
            window: Mutex::new((0, HashMap::new())),
        }
    }

    /// Counts one request by `key` at `now` (epoch seconds).
    pub fn check(&self, key: [u8; 32], now: i64) -> Decision {
        let start = now - now.rem_euclid(WINDOW_SECS);
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.0 != start {
            // A new window: forget the old one entirely, so the map never grows past one minute of clients.
            *w = (start, HashMap::new());
        }
        let used = w.1.entry(key).or_insert(0);
        let allowed = *used < self.limit;
        if allowed {
            *used += 1;
        }
        Decision {
            allowed,
            limit: self.limit,
            remaining: self.limit - *used,
            reset: start + WINDOW_SECS,
        }
    }
}

/// The peer's address as a key (the same for every request without one, which only tests send).
fn ip_key(req: &Request) -> [u8; 32] {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    lanyard_core::crypto::sha256(format!("ip:{ip}").as_bytes())
}

/// The client a request is counted against: its credential if it presents one, else its address.
fn client_key(req: &Request) -> [u8; 32] {
    match req.headers().get(header::AUTHORIZATION) {
        Some(v) => lanyard_core::crypto::sha256(v.as_bytes()),
        None => ip_key(req),
    }
}

fn set_headers(h: &mut HeaderMap, d: &Decision) {
    h.insert("x-rate-limit-limit", HeaderValue::from(d.limit));
    h.insert("x-rate-limit-remaining", HeaderValue::from(d.remaining));
    h.insert("x-rate-limit-reset", HeaderValue::from(d.reset));
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let now = state.clock.now().timestamp();
    let d = state.rate_limiter.check(client_key(&req), now);
    let mut response = if d.allowed {
        next.run(req).await
    } else {
        ApiError::rate_limited().into_response()
    };
    set_headers(response.headers_mut(), &d);
    response
}

/// Whether a request is a sign-in attempt, counted against the per-IP sign-in limit: a `POST` to the Authn API
/// (`/api/v1/authn` and everything under it: factors, recovery, password change and reset) or to a hosted sign-in
/// page (`/signin` and everything under it), or an entry of a device's user code (`/activate`, RFC 8628 §5.1).
/// Showing a page (`GET`) is not an attempt.
pub fn is_signin_attempt(method: &Method, path: &str) -> bool {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    method == Method::POST && (under("/api/v1/authn") || under("/signin") || under("/activate"))
}

/// Whether the sign-in limit's headers go on a response: always, unless the sign-in limit let the request through
/// and something further in (the management API's limiter) refused it with a 429 whose headers explain that.
fn signin_headers_apply(d: &Decision, status: StatusCode) -> bool {
    !d.allowed || status != StatusCode::TOO_MANY_REQUESTS
}

/// Per-client-IP throttling of sign-in attempts ([`is_signin_attempt`]); passes everything else through, and
/// everything when the limit is off (`--signin-rate-limit 0`).
pub async fn signin_throttle(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limiter) = state.signin_rate_limiter.as_ref() else {
        return next.run(req).await;
    };
    if !is_signin_attempt(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let d = limiter.check(ip_key(&req), state.clock.now().timestamp());
    let mut response = if d.allowed {
        next.run(req).await
    } else {
        tracing::info!(path = %req.uri().path(), "sign-in attempts over the per-IP limit");
        if crate::http::is_api_path(req.uri().path()) {
            ApiError::rate_limited().into_response()
        } else {
            // The hosted pages' forms: a page.
            crate::pages::PageError::too_many_attempts().into_response()
        }
    };
    if signin_headers_apply(&d, response.status()) {
        set_headers(response.headers_mut(), &d);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_and_resets_with_the_window() {
        let rl = RateLimiter::new(2);
        let k = [1u8; 32];
        let t = 1_000_020;
        assert_eq!(
            rl.check(k, t),
            Decision {
                allowed: true,
                limit: 2,
                remaining: 1,
                reset: 1_000_080
            }
        );
        assert!(rl.check(k, t).allowed);
        let refused = rl.check(k, t + 1);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert!(
            rl.check([2u8; 32], t).allowed,
            "other clients are counted apart"
        );
        assert!(rl.check(k, t + 60).allowed, "a new window starts afresh");
    }

    #[test]
    fn sign_in_attempts_are_posts_to_the_authn_api_and_the_sign_in_pages() {
        for path in [
            "/api/v1/authn",
            "/api/v1/authn/factors/uft1/verify",
            "/api/v1/authn/recovery/password",
            "/api/v1/authn/recovery/token",
            "/api/v1/authn/credentials/change_password",
            "/api/v1/authn/credentials/reset_password",
            "/signin",
            "/signin/reset-password/abc",
            "/activate",
        ] {
            assert!(is_signin_attempt(&Method::POST, path), "{path}");
            assert!(!is_signin_attempt(&Method::GET, path), "GET {path}");
        }
        for path in [
            "/api/v1/authnx",
            "/api/v1/users",
            "/api/v1/sessions",
            "/signing",
            "/activated",
            "/login/signout",
            "/oauth2/v1/token",
        ] {
            assert!(!is_signin_attempt(&Method::POST, path), "{path}");
        }
    }

    #[test]
    fn the_sign_in_headers_describe_the_limit_that_decided() {
        let rl = RateLimiter::new(1);
        let allowed = rl.check([3u8; 32], 1_000_020);
        let refused = rl.check([3u8; 32], 1_000_021);
        assert!(signin_headers_apply(&allowed, StatusCode::OK));
        assert!(signin_headers_apply(&allowed, StatusCode::UNAUTHORIZED));
        assert!(signin_headers_apply(
            &refused,
            StatusCode::TOO_MANY_REQUESTS
        ));
        assert!(
            !signin_headers_apply(&allowed, StatusCode::TOO_MANY_REQUESTS),
            "the management limiter refused: its headers stay"
        );
    }
}
