use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::crypto::SigningAlg;

/// The id of the org authorization server (issuer = the base URL). It has no `/oauth2/{id}` path.
pub const ORG_SERVER_ID: &str = "org";
/// The id of the custom authorization server every org starts with.
pub const DEFAULT_SERVER_ID: &str = "default";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthServerKind {
    /// Okta's org authorization server: `/oauth2/v1/…`, issuer = base URL.
    Org,
    /// A custom authorization server: `/oauth2/{id}/v1/…`, issuer = `{base}/oauth2/{id}`.
    Custom,
}

impl AuthServerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthServerKind::Org => "org",
            AuthServerKind::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "org" => Some(AuthServerKind::Org),
            "custom" => Some(AuthServerKind::Custom),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LifecycleStatus {
    Active,
    Inactive,
}

impl LifecycleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStatus::Active => "ACTIVE",
            LifecycleStatus::Inactive => "INACTIVE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ACTIVE" => Some(LifecycleStatus::Active),
            "INACTIVE" => Some(LifecycleStatus::Inactive),
            _ => None,
        }
    }
}

/// An authorization server: an issuer with its own keys, scopes, claims and policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationServer {
    pub id: String,
    pub kind: AuthServerKind,
    pub name: String,
    pub description: String,
    pub audiences: Vec<String>,
    pub status: LifecycleStatus,
    /// The algorithm access tokens are signed with.
    pub signing_alg: SigningAlg,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

/// The longest any token an authorization server signs may live: Okta caps access tokens at a day, ID tokens at an
/// hour. A retired key stays published this long, plus clock skew.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::hours(24);
/// Allowance for verifiers' clocks.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

impl AuthorizationServer {
    /// The issuer identifier for a deployment whose public URL is `base_url` (no trailing slash).
    pub fn issuer(&self, base_url: &str) -> String {
        match self.kind {
            AuthServerKind::Org => base_url.to_owned(),
            AuthServerKind::Custom => format!("{base_url}/oauth2/{}", self.id),
        }
    }

    /// The prefix of this server's endpoints: `{base}/oauth2/v1` or `{issuer}/v1`.
    pub fn endpoint_base(&self, base_url: &str) -> String {
        match self.kind {
            AuthServerKind::Org => format!("{base_url}/oauth2/v1"),
            AuthServerKind::Custom => format!("{base_url}/oauth2/{}/v1", self.id),
        }
    }

    /// How long a key retired now must stay published.
    pub fn key_retention(&self) -> Duration {
        MAX_TOKEN_LIFETIME + CLOCK_SKEW
    }
}

/// An access policy of a custom authorization server, in Okta's shape (`conditions` kept as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    pub auth_server_id: String,
    pub name: String,
    pub description: String,
    pub priority: i64,
    pub status: LifecycleStatus,
    pub system: bool,
    pub conditions: serde_json::Value,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

/// A rule of an access policy (`conditions` and `actions` kept as JSON, Okta's shape).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRule {
    pub id: String,
    pub policy_id: String,
    pub name: String,
    pub priority: i64,
    pub status: LifecycleStatus,
    pub system: bool,
    pub conditions: serde_json::Value,
    pub actions: serde_json::Value,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}
