//! Each node's cache of the clients that authenticate at the token, introspection and revocation endpoints: per
//! client id, the app and its secret hashes, read from the store when absent or older than the TTL (the keyring's,
//! 5 s by default). A token request by a known client then reads nothing from the store.
//!
//! This node's own changes through the Apps API (the app, its status, its secrets) drop the client's entry at once,
//! so a deactivated secret or app fails on this node from the next request; another node's changes take effect here
//! within the TTL, as the keyring's do. Unknown client ids are not cached (each costs a read, as before), and an entry
//! loaded while a change was being made is not kept (a generation count tells), so a change is never hidden behind
//! a read that started before it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use lanyard_core::oauth::client_auth::{ClientDirectory, KnownClient, load_client};
use lanyard_core::store::{Store, StoreResult};

/// More entries than this and the cache starts over (there are rarely that many clients in use at once).
const MAX_ENTRIES: usize = 10_000;

pub struct ClientCache {
    store: Arc<dyn Store>,
    ttl: Duration,
    entries: RwLock<HashMap<String, (Arc<KnownClient>, Instant)>>,
    /// Bumped by every invalidation: a load that saw another generation at its start is not cached.
    generation: AtomicU64,
}

impl ClientCache {
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        ClientCache {
            store,
            ttl,
            entries: RwLock::default(),
            generation: AtomicU64::new(0),
        }
    }

    /// Drops the entry of `client_id`: the next request reads the store.
    pub fn invalidate(&self, client_id: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.remove(client_id);
    }

    fn cached(&self, client_id: &str) -> Option<Arc<KnownClient>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(client_id)
            .filter(|(_, loaded)| loaded.elapsed() < self.ttl)
            .map(|(c, _)| c.clone())
    }
}

#[async_trait]
impl ClientDirectory for ClientCache {
    async fn client(&self, client_id: &str) -> StoreResult<Option<Arc<KnownClient>>> {
        if let Some(c) = self.cached(client_id) {
            return Ok(Some(c));
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let loaded_at = Instant::now();
        let Some(known) = load_client(self.store.as_ref(), client_id).await? else {
            return Ok(None);
        };
        let known = Arc::new(known);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        // Under the lock: an invalidation since the load started may have changed what was read.
        if self.generation.load(Ordering::SeqCst) == generation {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(client_id.to_owned(), (known.clone(), loaded_at));
        }
        Ok(Some(known))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard_core::clock::{Clock, SystemClock};
    use lanyard_core::model::{
        App, ApplicationType, ClientAuthMethod, ClientSecret, GrantType, LifecycleStatus,
        OAuthClient,
    };
    use lanyard_core::store::memory::MemoryStore;

    async fn store_with_client() -> (Arc<dyn Store>, App, ClientSecret) {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let now = SystemClock.now();
        let app = App {
            id: "0oa1".into(),
            name: "oidc_client".into(),
            label: "Svc".into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client: OAuthClient {
                client_id: "client1".into(),
                application_type: ApplicationType::Service,
                token_endpoint_auth_method: ClientAuthMethod::ClientSecretBasic,
                pkce_required: false,
                grant_types: vec![GrantType::ClientCredentials],
                response_types: vec!["token".into()],
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                consent_method: "TRUSTED".into(),
                jwks: None,
                jwks_uri: None,
                initiate_login_uri: None,
                dpop_bound_access_tokens: false,
                logout: Default::default(),
                extra: Default::default(),
                registration: None,
                catalog: None,
                claims: Vec::new(),
            },
            created: now,
            last_updated: now,
        };
        let secret = ClientSecret {
            id: "ocs1".into(),
            app_id: app.id.clone(),
            hash: lanyard_core::crypto::sha256(b"s3cret"),
            prefix: "s3".into(),
            status: LifecycleStatus::Active,
            created: now,
            last_updated: now,
        };
        store.insert_app(&app, Some(&secret)).await.unwrap();
        (store, app, secret)
    }

    #[tokio::test]
    async fn entries_live_until_the_ttl_or_an_invalidation() {
        let (store, _app, mut secret) = store_with_client().await;
        let cache = ClientCache::new(store.clone(), Duration::from_secs(3600));
        let first = cache.client("client1").await.unwrap().unwrap();
        assert_eq!(first.secrets.len(), 1);
        // A change in the store (as another node would make it) is not seen before the TTL…
        secret.status = LifecycleStatus::Inactive;
        store.update_client_secret(&secret).await.unwrap();
        let again = cache.client("client1").await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // …and at once after this node's invalidation.
        cache.invalidate("client1");
        let fresh = cache.client("client1").await.unwrap().unwrap();
        assert_eq!(fresh.secrets[0].status, LifecycleStatus::Inactive);
        // Unknown clients are not cached.
        assert!(cache.client("nobody").await.unwrap().is_none());
        assert!(cache.cached("nobody").is_none());
    }

    #[tokio::test]
    async fn a_zero_ttl_reads_the_store_every_time() {
        let (store, _app, _secret) = store_with_client().await;
        let cache = ClientCache::new(store, Duration::ZERO);
        let a = cache.client("client1").await.unwrap().unwrap();
        let b = cache.client("client1").await.unwrap().unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
    }
}
