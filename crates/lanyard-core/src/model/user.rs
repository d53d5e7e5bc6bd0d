use serde_json::{Map, Value};

use crate::clock::Timestamp;

/// Okta's user statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Staged,
    Provisioned,
    Active,
    Recovery,
    PasswordExpired,
    LockedOut,
    Suspended,
    Deprovisioned,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::Recovery => "RECOVERY",
            UserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "STAGED" => UserStatus::Staged,
            "PROVISIONED" => UserStatus::Provisioned,
            "ACTIVE" => UserStatus::Active,
            "RECOVERY" => UserStatus::Recovery,
            "PASSWORD_EXPIRED" => UserStatus::PasswordExpired,
            "LOCKED_OUT" => UserStatus::LockedOut,
            "SUSPENDED" => UserStatus::Suspended,
            "DEPROVISIONED" => UserStatus::Deprovisioned,
            _ => return None,
        })
    }
}

/// A person in the directory. `profile` holds Okta's standard attributes and custom ones.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub status: UserStatus,
    pub login: String,
    pub profile: Map<String, Value>,
    pub created: Timestamp,
    pub activated: Option<Timestamp>,
    pub status_changed: Option<Timestamp>,
    pub last_login: Option<Timestamp>,
    pub last_updated: Timestamp,
    pub password_changed: Option<Timestamp>,
}

/// A user's password, as stored: the PHC string of the current hash and the previous hashes (newest first) that the
/// policy's history rule checks.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordRecord {
    pub hash: String,
    pub history: Vec<String>,
    pub changed: Timestamp,
}

impl std::fmt::Debug for PasswordRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordRecord")
            .field("changed", &self.changed)
            .finish_non_exhaustive()
    }
}

impl User {
    /// A profile attribute as a string, if it is one.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.profile.get(name).and_then(Value::as_str)
    }

    /// `firstName lastName`, either left out when absent (empty when both are).
    pub fn full_name(&self) -> String {
        [self.attr("firstName"), self.attr("lastName")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}
