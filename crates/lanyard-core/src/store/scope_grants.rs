//! The storage of scope consent grants: which `okta.*` scopes an administrator granted to which app.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::ScopeGrant;

/// Scope consent grants (a few per service app), by app.
#[async_trait]
pub trait ScopeGrantStore: Send + Sync {
    /// `Conflict` when the app already has a grant of that scope (or the id is taken).
    async fn insert_scope_grant(&self, grant: &ScopeGrant) -> StoreResult<()>;
    /// The app's grant `id`; `None` when there is none, or it is another app's.
    async fn scope_grant(&self, app_id: &str, id: &str) -> StoreResult<Option<ScopeGrant>>;
    /// Every grant of the app, in id order.
    async fn scope_grants(&self, app_id: &str) -> StoreResult<Vec<ScopeGrant>>;
    /// Deletes the app's grant `id`; false when there is none.
    async fn delete_scope_grant(&self, app_id: &str, id: &str) -> StoreResult<bool>;
}
