//! Each node's copy of the Okta sign-on policies and the rules of the ACTIVE ones, which every sign-in evaluates:
//! a [`Snapshot`], so a sign-in costs no policy query. This node's own changes through the Policies API drop the
//! copy at once; another node's take effect here within the TTL, as for the keyring and the client cache.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lanyard_core::model::{LifecycleStatus, PolicyRule, SignOnPolicy};
use lanyard_core::store::{Store, StoreResult};

use crate::snapshot::Snapshot;

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
    copy: Snapshot<SignOnSet>,
}

impl SignOnCache {
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        SignOnCache {
            store,
            copy: Snapshot::new(ttl),
        }
    }

    /// Drops the copy: the next sign-in reads the store.
    pub fn invalidate(&self) {
        self.copy.invalidate();
    }

    pub async fn get(&self) -> StoreResult<Arc<SignOnSet>> {
        self.copy
            .get(|| async {
                let policies = self.store.signon_policies().await?;
                let mut rules = HashMap::new();
                for p in policies
                    .iter()
                    .filter(|p| p.status == LifecycleStatus::Active)
                {
                    rules.insert(p.id.clone(), self.store.signon_rules(&p.id).await?);
                }
                Ok(SignOnSet { policies, rules })
            })
            .await
    }
}
