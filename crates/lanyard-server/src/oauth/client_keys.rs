//! The public keys of `private_key_jwt` clients: the app's registered `jwks`, or its `jwks_uri` fetched over HTTPS
//! (http only for loopback addresses, as redirect URIs), with a 5 s timeout, at most 64 KiB, no redirects, and kept
//! for 5 minutes per URI. When an assertion names a `kid` the cached set lacks (a client that rotated its keys), the
//! keys are fetched again at once — but such early fetches happen at most every 10 s per URI, so that assertions
//! naming unknown keys cannot make Lanyard fetch a client's keys at speed.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
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

static HTTP: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("lanyard/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
});

/// Registered keys, else the `jwks_uri`'s.
pub struct AppKeys;

/// A JSON document a client published (its JWK Set, its `sector_identifier_uri`): a GET with the limits above (5 s,
/// 64 KiB, no redirects). Callers check the scheme when the URI is registered (https, or http on loopback).
pub async fn fetch_json(uri: &str) -> Result<serde_json::Value, String> {
    let mut r = HTTP.get(uri).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("status {}", r.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| e.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err("the document is too large".into());
        }
    }
    serde_json::from_slice(&body).map_err(|_| "the document is not JSON".to_owned())
}

async fn fetch(uri: &str) -> Result<Vec<Jwk>, String> {
    Ok(jwks_keys(&fetch_json(uri).await?))
}

#[async_trait]
impl ClientKeys for AppKeys {
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
        match fetch(uri).await {
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
                tracing::warn!(client_id = %app.client.client_id, error = %lanyard_core::log_safe(&e.to_string()), stale, "cannot fetch the client's jwks_uri");
                Err(failed(format!("jwks_uri unavailable: {e}")))
            }
        }
    }
}
