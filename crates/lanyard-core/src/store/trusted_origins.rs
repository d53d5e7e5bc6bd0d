//! The trusted origins' storage, and what every node's CORS cache reads.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::TrustedOrigin;

/// Trusted origins (few: tens, not thousands), by id; each origin once.
#[async_trait]
pub trait TrustedOriginStore: Send + Sync {
    /// `Conflict` when the origin is already trusted.
    async fn insert_trusted_origin(&self, origin: &TrustedOrigin) -> StoreResult<()>;
    async fn trusted_origin(&self, id: &str) -> StoreResult<Option<TrustedOrigin>>;
    /// Every trusted origin, in id order.
    async fn trusted_origins(&self) -> StoreResult<Vec<TrustedOrigin>>;
    /// Replaces one; false when there is no such id; `Conflict` when another holds its origin.
    async fn update_trusted_origin(&self, origin: &TrustedOrigin) -> StoreResult<bool>;
    async fn delete_trusted_origin(&self, id: &str) -> StoreResult<bool>;
    /// The redirect URIs of every ACTIVE `browser` app: the origins single-page apps call the OAuth endpoints from.
    async fn browser_app_redirect_uris(&self) -> StoreResult<Vec<String>>;
}
