use std::fmt;

use crate::clock::Timestamp;
use crate::crypto::{Jwk, SigningAlg};

/// Where a signing key is in its life, in Okta's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    /// Published ahead of use, so verifiers that cache the JWKS already hold it when it becomes active.
    Next,
    /// Signs new tokens. One per authorization server and algorithm.
    Active,
    /// Retired from signing; still published until `retire_at`, when every token it signed has expired.
    Expired,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Next => "NEXT",
            KeyStatus::Active => "ACTIVE",
            KeyStatus::Expired => "EXPIRED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "NEXT" => Some(KeyStatus::Next),
            "ACTIVE" => Some(KeyStatus::Active),
            "EXPIRED" => Some(KeyStatus::Expired),
            _ => None,
        }
    }
}

/// A signing key as stored: the public JWK in clear, the private key sealed with the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub kid: String,
    pub auth_server_id: String,
    pub alg: SigningAlg,
    pub status: KeyStatus,
    pub public_jwk: Jwk,
    /// `nonce || AES-256-GCM(PKCS#8) || tag`, with the kid as associated data.
    pub sealed_private_key: Vec<u8>,
    pub created: Timestamp,
    pub activated: Option<Timestamp>,
    pub rotated: Option<Timestamp>,
    /// When an expired key stops being published.
    pub retire_at: Option<Timestamp>,
}

impl fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRecord")
            .field("kid", &self.kid)
            .field("auth_server_id", &self.auth_server_id)
            .field("alg", &self.alg)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl KeyRecord {
    /// Whether the key belongs in the JWKS at `now`.
    pub fn is_published(&self, now: Timestamp) -> bool {
        match self.status {
            KeyStatus::Next | KeyStatus::Active => true,
            KeyStatus::Expired => self.retire_at.is_some_and(|t| t > now),
        }
    }
}
