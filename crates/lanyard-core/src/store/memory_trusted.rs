//! The in-memory store's trusted origins (see `memory.rs`).

use async_trait::async_trait;

use super::memory::MemoryStore;
use super::*;
use crate::model::TrustedOrigin;

fn origin_taken(s: &memory::State, t: &TrustedOrigin) -> bool {
    s.trusted_origins
        .values()
        .any(|o| o.origin == t.origin && o.id != t.id)
}

#[async_trait]
impl TrustedOriginStore for MemoryStore {
    async fn insert_trusted_origin(&self, t: &TrustedOrigin) -> StoreResult<()> {
        let mut s = self.state();
        if s.trusted_origins.contains_key(&t.id) || origin_taken(&s, t) {
            return Err(StoreError::Conflict("trusted origin".into()));
        }
        s.trusted_origins.insert(t.id.clone(), t.clone());
        Ok(())
    }

    async fn trusted_origin(&self, id: &str) -> StoreResult<Option<TrustedOrigin>> {
        Ok(self.state().trusted_origins.get(id).cloned())
    }

    async fn trusted_origins(&self) -> StoreResult<Vec<TrustedOrigin>> {
        Ok(self.state().trusted_origins.values().cloned().collect())
    }

    async fn update_trusted_origin(&self, t: &TrustedOrigin) -> StoreResult<bool> {
        let mut s = self.state();
        if !s.trusted_origins.contains_key(&t.id) {
            return Ok(false);
        }
        if origin_taken(&s, t) {
            return Err(StoreError::Conflict("trusted origin".into()));
        }
        s.trusted_origins.insert(t.id.clone(), t.clone());
        Ok(true)
    }

    async fn delete_trusted_origin(&self, id: &str) -> StoreResult<bool> {
        Ok(self.state().trusted_origins.remove(id).is_some())
    }

    async fn browser_app_redirect_uris(&self) -> StoreResult<Vec<String>> {
        Ok(self.state().apps.active_browser_redirect_uris())
    }
}
