//! The in-memory store's private catalog entries (see `memory.rs`).

use async_trait::async_trait;

use super::memory::MemoryStore;
use super::*;

#[async_trait]
impl CatalogStore for MemoryStore {
    async fn insert_catalog_entry(&self, entry: &CatalogEntryRecord) -> StoreResult<()> {
        let mut s = self.state();
        if s.catalog.contains_key(&entry.name) {
            return Err(StoreError::Conflict("catalog entry".into()));
        }
        s.catalog.insert(entry.name.clone(), entry.clone());
        Ok(())
    }

    async fn catalog_entry(&self, name: &str) -> StoreResult<Option<CatalogEntryRecord>> {
        Ok(self.state().catalog.get(name).cloned())
    }

    async fn catalog_entries(&self) -> StoreResult<Vec<CatalogEntryRecord>> {
        Ok(self.state().catalog.values().cloned().collect())
    }

    async fn delete_catalog_entry(&self, name: &str) -> StoreResult<bool> {
        Ok(self.state().catalog.remove(name).is_some())
    }
}
