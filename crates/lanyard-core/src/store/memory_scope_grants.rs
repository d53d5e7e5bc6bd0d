//! The in-memory store's scope consent grants (see `memory.rs`).

use async_trait::async_trait;

use super::memory::MemoryStore;
use super::*;
use crate::model::ScopeGrant;

#[async_trait]
impl ScopeGrantStore for MemoryStore {
    async fn insert_scope_grant(&self, g: &ScopeGrant) -> StoreResult<()> {
        let mut s = self.state();
        let taken = s.scope_grants.contains_key(&g.id)
            || s.scope_grants
                .values()
                .any(|o| o.app_id == g.app_id && o.scope_id == g.scope_id);
        if taken {
            return Err(StoreError::Conflict("scope grant".into()));
        }
        s.scope_grants.insert(g.id.clone(), g.clone());
        Ok(())
    }

    async fn scope_grant(&self, app_id: &str, id: &str) -> StoreResult<Option<ScopeGrant>> {
        Ok(self
            .state()
            .scope_grants
            .get(id)
            .filter(|g| g.app_id == app_id)
            .cloned())
    }

    async fn scope_grants(&self, app_id: &str) -> StoreResult<Vec<ScopeGrant>> {
        Ok(self
            .state()
            .scope_grants
            .values()
            .filter(|g| g.app_id == app_id)
            .cloned()
            .collect())
    }

    async fn delete_scope_grant(&self, app_id: &str, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        if s.scope_grants.get(id).is_some_and(|g| g.app_id == app_id) {
            s.scope_grants.remove(id);
            return Ok(true);
        }
        Ok(false)
    }
}
