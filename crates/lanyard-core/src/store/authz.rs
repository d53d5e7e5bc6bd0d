//! Storage of what the Authorization Servers API changes: custom servers, their scopes and claims, and writes of
//! access policies and rules (reads of servers and policies are in [`super::AuthServerStore`] and
//! [`super::PolicyStore`]). Kept apart from `mod.rs` so the backends implement them in their own file.

use async_trait::async_trait;

use super::StoreResult;
use crate::clock::Timestamp;
use crate::model::{
    AuthServerKind, AuthorizationServer, Claim, Page, PageRequest, Policy, PolicyRule, Scope,
};

/// Creating, changing and deleting authorization servers.
#[async_trait]
pub trait AuthServerAdminStore: Send + Sync {
    /// Inserts a new server and its (system) scopes in one transaction; `Conflict` if the id is taken.
    async fn insert_auth_server(
        &self,
        server: &AuthorizationServer,
        scopes: &[Scope],
    ) -> StoreResult<()>;
    /// Sets name, description, audiences, status and `last_updated`; false if there is no such server.
    async fn update_auth_server(&self, server: &AuthorizationServer) -> StoreResult<bool>;
    /// Deletes the server with its scopes, claims, policies, rules and keys, and remembers that it was deleted
    /// (so that bootstrap does not bring `default` back); false if there was no such server.
    async fn delete_auth_server(&self, id: &str, at: Timestamp) -> StoreResult<bool>;
    /// Whether a server with this id was deleted.
    async fn auth_server_deleted(&self, id: &str) -> StoreResult<bool>;
    /// Servers of one kind whose name starts with `name_prefix` (ASCII letters compared without case), in id
    /// order.
    async fn search_auth_servers(
        &self,
        kind: AuthServerKind,
        name_prefix: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<AuthorizationServer>>;
}

/// Scopes of authorization servers. Names are unique per server.
#[async_trait]
pub trait ScopeStore: Send + Sync {
    /// The server's scopes by name.
    async fn scopes(&self, auth_server_id: &str) -> StoreResult<Vec<Scope>>;
    async fn scope(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Scope>>;
    /// `Conflict` when the server has a scope of that name.
    async fn insert_scope(&self, scope: &Scope) -> StoreResult<()>;
    /// Inserts those whose id and name are free (bootstrap's system scopes); returns how many.
    async fn insert_scopes_if_absent(&self, scopes: &[Scope]) -> StoreResult<u64>;
    /// Replaces every field but the id, server, `system` and `created`; false if there is none; `Conflict` on a
    /// taken name.
    async fn update_scope(&self, scope: &Scope) -> StoreResult<bool>;
    async fn delete_scope(&self, auth_server_id: &str, id: &str) -> StoreResult<bool>;
}

/// Custom claims of authorization servers. Names are unique per server and claim type.
#[async_trait]
pub trait ClaimStore: Send + Sync {
    /// The server's claims by name, then type.
    async fn claims(&self, auth_server_id: &str) -> StoreResult<Vec<Claim>>;
    async fn claim(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Claim>>;
    /// `Conflict` when the server has a claim of that name and type.
    async fn insert_claim(&self, claim: &Claim) -> StoreResult<()>;
    /// Replaces every field but the id, server, `system` and `created`; false if there is none; `Conflict` on a
    /// taken name.
    async fn update_claim(&self, claim: &Claim) -> StoreResult<bool>;
    async fn delete_claim(&self, auth_server_id: &str, id: &str) -> StoreResult<bool>;
}

/// Writes of access policies and rules. Priorities stay dense (1, 2, …): the store places the written item at
/// its `priority` (past the end: last) with [`crate::authz::priority::place`], shifting the others, under a lock on
/// the parent (server or policy) row so that concurrent writers serialise; a delete closes the gap.
#[async_trait]
pub trait PolicyAdminStore: Send + Sync {
    async fn policy(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Policy>>;
    /// The stored policy, with its final priority; `None` if the server does not exist.
    async fn insert_policy(&self, policy: &Policy) -> StoreResult<Option<Policy>>;
    /// Sets name, description, priority, status, conditions and `last_updated`; `None` if there is no such policy
    /// on that server.
    async fn update_policy(&self, policy: &Policy) -> StoreResult<Option<Policy>>;
    async fn delete_policy(&self, auth_server_id: &str, id: &str) -> StoreResult<bool>;
    async fn policy_rule(&self, policy_id: &str, id: &str) -> StoreResult<Option<PolicyRule>>;
    /// The stored rule, with its final priority; `None` if the policy does not exist.
    async fn insert_rule(&self, rule: &PolicyRule) -> StoreResult<Option<PolicyRule>>;
    /// Sets name, priority, status, conditions, actions and `last_updated`; `None` if there is no such rule in
    /// that policy.
    async fn update_rule(&self, rule: &PolicyRule) -> StoreResult<Option<PolicyRule>>;
    async fn delete_rule(&self, policy_id: &str, id: &str) -> StoreResult<bool>;
}
