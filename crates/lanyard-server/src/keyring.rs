//! Each node's in-memory view of an authorization server: its record, its keys (ACTIVE ones opened for signing),
//! and its discovery and JWKS documents serialised once. Entries are re-read from the store when older than the
//! configured TTL — one request refreshes while the others keep the previous entry — and dropped at once when this
//! node changes them (keys, the server record, its scopes), so rotations and changes by other nodes or by the CLI are
//! visible within the TTL and the node's own at once. A custom server's discovery lists its ALL_CLIENTS scopes. Each
//! entry also remembers the access tokens its keys verified (introspection), so a token seen again within the entry's
//! life skips its signature check; expiry and revocation are still checked every time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use bytes::Bytes;
use lanyard_core::authz::scopes::published as published_scopes;
use lanyard_core::clock::Clock;
use lanyard_core::crypto::{MasterKey, SigningAlg, SigningKey};
use lanyard_core::discovery::{Capabilities, metadata};
use lanyard_core::keys;
use lanyard_core::model::{AuthServerKind, AuthorizationServer, KeyRecord, KeyStatus};
use lanyard_core::oauth::introspection::VerifiedTokens;
use lanyard_core::store::{Store, StoreResult};
use serde_json::{Map, Value};

use crate::config::ServerConfig;
use crate::metrics::Metrics;

pub struct Entry {
    pub server: AuthorizationServer,
    /// The server's issuer, the base of its endpoints (`…/oauth2/v1`, `…/oauth2/{id}/v1`) and its access tokens'
    /// audiences (a custom server's own; the org server's is the base URL), worked out once per load: the token
    /// endpoint needs them on every request.
    pub issuer: String,
    pub endpoint_base: String,
    pub audiences: Vec<String>,
    pub keys: Vec<KeyRecord>,
    /// The public JWK of every key in `keys`, for verifying the server's own tokens.
    pub public_keys: Vec<lanyard_core::crypto::Jwk>,
    pub active: HashMap<SigningAlg, Arc<SigningKey>>,
    pub jwks: Bytes,
    /// A strong validator of the JWKS, for `If-None-Match`.
    pub jwks_etag: String,
    pub discovery: Bytes,
    /// A custom server's scopes, claims and access policies (empty for the org server).
    pub rules: lanyard_core::oauth::policy::ServerRules,
    /// The server's access tokens whose signature this entry's keys verified (introspection, revocation). It lives
    /// as long as the entry: a reload (at the TTL, or on a change) starts it empty.
    pub verified: VerifiedCache,
    loaded: Instant,
}

/// At most this many verified tokens per server; when full, it starts over.
const MAX_VERIFIED: usize = 4096;

type Claims = Arc<Map<String, Value>>;

/// Verified access tokens by the SHA-256 of the token, with their claims.
#[derive(Default)]
pub struct VerifiedCache(Mutex<HashMap<[u8; 32], Claims>>);

impl VerifiedTokens for VerifiedCache {
    fn get(&self, token: &str) -> Option<Claims> {
        let key = lanyard_core::crypto::sha256(token.as_bytes());
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }

    fn put(&self, token: &str, claims: Claims) {
        let key = lanyard_core::crypto::sha256(token.as_bytes());
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_VERIFIED {
            map.clear();
        }
        map.insert(key, claims);
    }
}

impl Entry {
    /// The key that signs with `alg` now.
    pub fn signing_key(&self, alg: SigningAlg) -> Option<&Arc<SigningKey>> {
        self.active.get(&alg)
    }
}

pub struct Keyring {
    store: Arc<dyn Store>,
    master: Arc<MasterKey>,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
    metrics: Metrics,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    reloading: tokio::sync::Mutex<()>,
}

impl Keyring {
    pub fn new(
        store: Arc<dyn Store>,
        master: Arc<MasterKey>,
        clock: Arc<dyn Clock>,
        config: ServerConfig,
        metrics: Metrics,
    ) -> Self {
        Keyring {
            store,
            master,
            clock,
            config,
            metrics,
            entries: RwLock::default(),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self, id: &str) -> Option<Arc<Entry>> {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// The entry of server `id`, or `None` if there is no such server.
    pub async fn entry(&self, id: &str) -> StoreResult<Option<Arc<Entry>>> {
        if let Some(e) = self.cached(id) {
            if e.loaded.elapsed() < self.config.keyring_ttl {
                return Ok(Some(e));
            }
            // Stale: one request refreshes; the others keep serving the previous entry meanwhile.
            return match self.reloading.try_lock() {
                Ok(_guard) => match self.reload(id).await {
                    Ok(fresh) => Ok(fresh),
                    Err(err) => {
                        tracing::warn!(error = %err, auth_server = id, "keyring refresh failed; serving the previous entry");
                        Ok(Some(e))
                    }
                },
                Err(_) => Ok(Some(e)),
            };
        }
        let _guard = self.reloading.lock().await;
        if let Some(e) = self.cached(id) {
            return Ok(Some(e));
        }
        self.reload(id).await
    }

    /// Drops the cached entry of `id` so the next request reads the store.
    pub fn invalidate(&self, id: &str) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    async fn reload(&self, id: &str) -> StoreResult<Option<Arc<Entry>>> {
        let Some(server) = self.store.auth_server(id).await? else {
            self.invalidate(id);
            return Ok(None);
        };
        let keys = self.store.keys(id).await?;
        let previous = self.cached(id);
        let mut active = HashMap::new();
        for k in keys.iter().filter(|k| k.status == KeyStatus::Active) {
            // Reuse keys already opened; open new ones with the master key.
            let reused = previous
                .as_ref()
                .and_then(|p| p.active.get(&k.alg))
                .filter(|s| s.kid() == k.kid)
                .cloned();
            match reused
                .map(Ok)
                .unwrap_or_else(|| keys::open(k, &self.master).map(Arc::new))
            {
                Ok(key) => {
                    active.insert(k.alg, key);
                }
                Err(e) => {
                    tracing::error!(kid = %k.kid, error = %e, "cannot open signing key (wrong master key?)")
                }
            }
        }
        let now = self.clock.now();
        let jwks = serde_json::to_vec(&keys::jwks(&keys, now)).unwrap_or_default();
        let jwks_etag = format!(
            "\"{}\"",
            lanyard_core::random::b64url(&lanyard_core::crypto::sha256(&jwks)[..16])
        );
        let mut doc = metadata(&server, &self.config.base_url, &Capabilities::current());
        let rules =
            lanyard_core::oauth::policy::ServerRules::load(self.store.as_ref(), &server).await?;
        if server.kind == AuthServerKind::Custom {
            // A custom server lists its own scopes (those published to all clients).
            doc.scopes_supported = published_scopes(&rules.scopes);
        }
        let discovery = serde_json::to_vec(&doc).unwrap_or_default();
        self.record_metrics(&server.id, &keys);
        let base_url = &self.config.base_url;
        let entry = Arc::new(Entry {
            issuer: server.issuer(base_url),
            endpoint_base: server.endpoint_base(base_url),
            audiences: if server.audiences.is_empty() {
                vec![base_url.clone()]
            } else {
                server.audiences.clone()
            },
            server,
            public_keys: keys.iter().map(|k| k.public_jwk.clone()).collect(),
            keys,
            active,
            jwks: Bytes::from(jwks),
            jwks_etag,
            discovery: Bytes::from(discovery),
            rules,
            verified: VerifiedCache::default(),
            loaded: Instant::now(),
        });
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), entry.clone());
        Ok(Some(entry))
    }

    fn record_metrics(&self, server: &str, keys: &[KeyRecord]) {
        let mut counts = Vec::new();
        for alg in SigningAlg::ALL {
            for status in [KeyStatus::Active, KeyStatus::Next, KeyStatus::Expired] {
                let n = keys
                    .iter()
                    .filter(|k| k.alg == alg && k.status == status)
                    .count() as i64;
                counts.push((alg.as_str(), status.as_str(), n));
            }
        }
        self.metrics.set_keys(server, &counts);
    }
}
