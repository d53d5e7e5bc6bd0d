//! The public keys of `private_key_jwt` clients: the app's registered `jwks`, or its `jwks_uri` fetched through
//! [`Outbound`] (only addresses the outbound policy permits, 5 s, no redirects), at most 64 KiB, and kept for 5
//! minutes per URI. When an assertion names a `kid` the cached set lacks (a client that rotated its keys), the
//! keys are fetched again at once — but such early fetches happen at most every 10 s per URI, so that assertions
//! naming unknown keys cannot make Lanyard fetch a client's keys at speed.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use crate::outbound::{Outbound, Refused};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use lanyard_core::crypto::Jwk;
use lanyard_core::crypto::verify::jwks_keys;
use lanyard_core::model::App;
use lanyard_core::oauth::client_auth::{ClientKeys, failed};
use lanyard_core::oauth_error::OAuthError;

const TTL: Duration = Duration::from_secs(300);
const REFETCH_AFTER: Duration = Duration::from_secs(10);
const MAX_BYTES: usize = 64 * 1024;

struct Cached {
    fetched: Instant,
    keys: Vec<Jwk>,
    /// When an unknown `kid` last made Lanyard fetch the keys again before their time.
    forced: Option<Instant>,
}

static CACHE: LazyLock<Mutex<HashMap<String, Cached>>> = LazyLock::new(Default::default);

/// Registered keys, else the `jwks_uri`'s, fetched through the node's [`Outbound`].
pub struct AppKeys<'a>(pub &'a Outbound);

/// A JSON document a client published (its JWK Set, its `sector_identifier_uri`), at most 64 KiB.
pub async fn fetch_json(out: &Outbound, uri: &str) -> Result<serde_json::Value, Refused> {
    out.get_json(uri, MAX_BYTES).await
}

#[async_trait]
impl ClientKeys for AppKeys<'_> {
    async fn keys(&self, app: &App, wanted_kid: Option<&str>) -> Result<Vec<Jwk>, OAuthError> {
        if let Some(jwks) = &app.client.jwks {
            return Ok(jwks_keys(jwks));
        }
        let Some(uri) = app.client.jwks_uri.as_deref() else {
            return Ok(Vec::new());
        };
        let (stale, forced) = {
            let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            match cache.get(uri) {
                Some(c) => {
                    let lacks_kid = wanted_kid
                        .is_some_and(|k| !c.keys.iter().any(|j| j.kid.as_deref() == Some(k)));
                    let may_force = c.forced.is_none_or(|f| f.elapsed() >= REFETCH_AFTER);
                    if c.fetched.elapsed() < TTL {
                        if !(lacks_kid && may_force) {
                            return Ok(c.keys.clone());
                        }
                        (true, Some(Instant::now()))
                    } else {
                        (true, c.forced)
                    }
                }
                None => (false, None),
            }
        };
        match fetch_json(self.0, uri).await.map(|doc| jwks_keys(&doc)) {
            Ok(keys) => {
                CACHE.lock().unwrap_or_else(|e| e.into_inner()).insert(
                    uri.to_owned(),
                    Cached {
                        fetched: Instant::now(),
                        keys: keys.clone(),
                        forced,
                    },
                );
                Ok(keys)
            }
            Err(e) => {
                // A failed forced fetch counts too.
                if let Some(c) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get_mut(uri) {
                    c.forced = forced;
                }
                tracing::warn!(client_id = %lanyard_core::log_safe(&app.client.client_id), error = %lanyard_core::log_safe(&e.detail()), stale, "cannot fetch the client's jwks_uri");
                Err(failed(format!("jwks_uri unavailable: {}", e.detail())))
            }
        }
    }
}
