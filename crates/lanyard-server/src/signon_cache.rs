//! Each node's copy of the Okta sign-on policies and the rules of the ACTIVE ones, which every sign-in evaluates:
//! read from the store when absent or older than the TTL (the keyring's, 5 s by default), so a sign-in costs no
//! policy query. This node's own changes through the Policies API drop the copy at once; another node's take
//! effect here within the TTL, as for the keyring and the client cache. A copy loaded while a change was being made
//! is not kept (a generation count tells), so a change is never hidden behind a read that started before it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use lanyard_core::model::{LifecycleStatus, PolicyRule, SignOnPolicy};
use lanyard_core::store::{Store, StoreResult};

/// The sign-on policies, by priority, and the rules of each ACTIVE one.
#[derive(Debug, Default)]
pub struct SignOnSet {
    pub policies: Vec<SignOnPolicy>,
    pub rules: HashMap<String, Vec<PolicyRule>>,
}

impl SignOnSet {
    pub fn rules(&self, policy_id: &str) -> &[PolicyRule] {
        self.rules.get(policy_id).map(Vec::as_slice).unwrap_or(&[])
    }
}

pub struct SignOnCache {
    store: Arc<dyn Store>,
    ttl: Duration,
    current: RwLock<Option<(Arc<SignOnSet>, Instant)>>,
    generation: AtomicU64,
}

impl SignOnCache {
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        SignOnCache {
            store,
            ttl,
            current: RwLock::default(),
            generation: AtomicU64::new(0),
        }
    }

    /// Drops the copy: the next sign-in reads the store.
    pub fn invalidate(&self) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        *current = None;
    }

    pub async fn get(&self) -> StoreResult<Arc<SignOnSet>> {
        if let Some((set, loaded)) = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && loaded.elapsed() < self.ttl
        {
            return Ok(set.clone());
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let policies = self.store.signon_policies().await?;
        let mut rules = HashMap::new();
        for p in policies
            .iter()
            .filter(|p| p.status == LifecycleStatus::Active)
        {
            rules.insert(p.id.clone(), self.store.signon_rules(&p.id).await?);
        }
        let set = Arc::new(SignOnSet { policies, rules });
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            *current = Some((set.clone(), Instant::now()));
        }
        Ok(set)
    }
}
