//! Okta sign-on policies (`type: OKTA_SIGN_ON`): which users a policy applies to and, through its rules (stored as
//! [`super::PolicyRule`], `type: SIGN_ON`), whether they may sign in and with which factors. What they mean is
//! [`crate::signin::policy`]'s.

use crate::clock::Timestamp;
use crate::model::LifecycleStatus;

/// An Okta sign-on policy (`conditions` kept as JSON, Okta's shape: `people.groups.include`).
#[derive(Debug, Clone, PartialEq)]
pub struct SignOnPolicy {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Dense, 1 first; the system policy is always last.
    pub priority: i64,
    pub status: LifecycleStatus,
    /// The Default Policy: applies to everyone, last; cannot be deleted or deactivated.
    pub system: bool,
    pub conditions: serde_json::Value,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}
