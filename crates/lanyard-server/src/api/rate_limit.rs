//! Per-node fixed-window rate limiting of the management API, with Okta's headers on every response:
//! `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset` (epoch seconds). A refused request gets 429
//! E0000047; hyper adds the `Date` header the Okta SDKs compute their back-off from.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
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

/// The client a request is counted against: its credential if it presents one, else its address.
fn client_key(req: &Request) -> [u8; 32] {
    match req.headers().get(header::AUTHORIZATION) {
        Some(v) => lanyard_core::crypto::sha256(v.as_bytes()),
        None => {
            let ip = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_default();
            lanyard_core::crypto::sha256(format!("ip:{ip}").as_bytes())
        }
    }
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let now = state.clock.now().timestamp();
    let d = state.rate_limiter.check(client_key(&req), now);
    let mut response = if d.allowed {
        next.run(req).await
    } else {
        ApiError::rate_limited().into_response()
    };
    let h = response.headers_mut();
    h.insert("x-rate-limit-limit", HeaderValue::from(d.limit));
    h.insert("x-rate-limit-remaining", HeaderValue::from(d.remaining));
    h.insert("x-rate-limit-reset", HeaderValue::from(d.reset));
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
}
