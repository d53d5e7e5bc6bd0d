//! Storage of Okta sign-on policies and their rules (rules are [`PolicyRule`]s, kept apart from the
//! authorization servers' access rules). Priorities stay dense (1, 2, …), as for access policies
//! ([`super::PolicyAdminStore`]), with one more rule: a system item (the Default Policy, its Default Rule) stays
//! last whatever priority is asked ([`crate::authz::priority::place_pinned`]). Writers serialise on a lock (the
//! policy row for rules; for policies, an advisory lock on PostgreSQL and SQLite's write lock).

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{PolicyRule, SignOnPolicy};

#[async_trait]
pub trait SignOnPolicyStore: Send + Sync {
    /// Inserts the policy with its rules unless a policy with that id exists (bootstrap's Default Policy); whether
    /// it inserted. Safe when several nodes start at once.
    async fn insert_signon_policy_if_absent(
        &self,
        policy: &SignOnPolicy,
        rules: &[PolicyRule],
    ) -> StoreResult<bool>;
    /// Every sign-on policy, by priority.
    async fn signon_policies(&self) -> StoreResult<Vec<SignOnPolicy>>;
    async fn signon_policy(&self, id: &str) -> StoreResult<Option<SignOnPolicy>>;
    /// The stored policy, at its final priority.
    async fn insert_signon_policy(&self, policy: &SignOnPolicy) -> StoreResult<SignOnPolicy>;
    /// Sets name, description, priority, status, conditions and `last_updated` (never `system` or `created`);
    /// `None` if there is no such policy.
    async fn update_signon_policy(
        &self,
        policy: &SignOnPolicy,
    ) -> StoreResult<Option<SignOnPolicy>>;
    /// Deletes a policy with its rules; false if there is none. (Refusing the system policy is the caller's.)
    async fn delete_signon_policy(&self, id: &str) -> StoreResult<bool>;
    /// The policy's rules, by priority.
    async fn signon_rules(&self, policy_id: &str) -> StoreResult<Vec<PolicyRule>>;
    async fn signon_rule(&self, policy_id: &str, id: &str) -> StoreResult<Option<PolicyRule>>;
    /// The stored rule, at its final priority; `None` if the policy does not exist.
    async fn insert_signon_rule(&self, rule: &PolicyRule) -> StoreResult<Option<PolicyRule>>;
    /// Sets name, priority, status, conditions, actions and `last_updated`; `None` if the policy has no such rule.
    async fn update_signon_rule(&self, rule: &PolicyRule) -> StoreResult<Option<PolicyRule>>;
    async fn delete_signon_rule(&self, policy_id: &str, id: &str) -> StoreResult<bool>;
}
