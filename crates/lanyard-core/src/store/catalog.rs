//! An org's own catalog entries (a vendor's integration, validated like the built-in ones), by key.

use async_trait::async_trait;

use super::StoreResult;
use crate::clock::Timestamp;

/// A private catalog entry: its manifest's text, as submitted, and who added it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntryRecord {
    pub name: String,
    pub manifest: String,
    pub revision: String,
    pub created: Timestamp,
    pub created_by: String,
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Adds an entry; `Conflict` when the key is taken.
    async fn insert_catalog_entry(&self, entry: &CatalogEntryRecord) -> StoreResult<()>;
    async fn catalog_entry(&self, name: &str) -> StoreResult<Option<CatalogEntryRecord>>;
    /// Every private entry, in key order (few: an org's own integrations).
    async fn catalog_entries(&self) -> StoreResult<Vec<CatalogEntryRecord>>;
    async fn delete_catalog_entry(&self, name: &str) -> StoreResult<bool>;
}
