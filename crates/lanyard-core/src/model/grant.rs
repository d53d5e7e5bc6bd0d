//! What the authorization server remembers about what it issued: authorization codes, grants (one per
//! authorization, the family every refresh token and user access token of it belongs to), refresh tokens and
//! revoked access tokens. Codes and refresh tokens are stored by the SHA-256 of their value only.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Timestamp;

/// One claim of an OpenID Connect `claims` request (OIDC Core §5.5.1): `null`, or `essential`, `value`, `values`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub essential: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

impl ClaimRequest {
    /// The values asked for (`value`, then `values`), the string ones, in order.
    pub fn wanted(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.value.iter().filter_map(Value::as_str).collect();
        out.extend(self.values.iter().flatten().filter_map(Value::as_str));
        out
    }
}

/// The `claims` request parameter (OIDC Core §5.5): claims asked for by name, for the ID token and for userinfo,
/// beyond those the scopes release. Parsed by `oauth::claims::parse_claims_request`; carried by the code and the
/// grant so every ID token and userinfo answer of the grant honours it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub id_token: BTreeMap<String, ClaimRequest>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub userinfo: BTreeMap<String, ClaimRequest>,
}

/// An authorization code: single use, short-lived, bound to its client, redirect URI, PKCE challenge and nonce.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub hash: [u8; 32],
    /// The grant the code starts: a second use of the code revokes it.
    pub grant_id: String,
    pub auth_server_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// The S256 challenge; codes without one were issued to confidential clients that skipped PKCE.
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub session_id: Option<String>,
    pub auth_time: Timestamp,
    pub amr: Vec<String>,
    /// The `claims` request parameter, if the request had one.
    pub claims: Option<ClaimsRequest>,
    /// The authentication context class the sign-in satisfied (ID tokens' `acr`).
    pub acr: Option<String>,
    pub created: Timestamp,
    pub expires_at: Timestamp,
    /// Set when the code was redeemed.
    pub used_at: Option<Timestamp>,
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// The code was valid and is now used.
    Redeemed(AuthorizationCode),
    /// The code had been used before: whatever it produced must be revoked.
    Replayed(AuthorizationCode),
    /// No such code, or it expired.
    Invalid,
}

/// One authorization of a client by a user (or by itself, for client credentials with refresh): the family of
/// refresh tokens and access tokens it produces. Revoking it ends them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub auth_server_id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scopes: Vec<String>,
    pub session_id: Option<String>,
    pub auth_time: Option<Timestamp>,
    pub amr: Vec<String>,
    pub created: Timestamp,
    /// The absolute end of the family's refresh tokens (the policy's refresh token lifetime).
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// The thumbprint of the DPoP key the grant was issued to: its refresh tokens need proofs with that key.
    pub dpop_jkt: Option<String>,
    /// The grant type that started the family (authorization code, device code): a refresh is evaluated against
    /// the server's policies as that grant type, as Okta does.
    pub origin: crate::model::GrantType,
    /// The `claims` request of the authorization that started the family.
    pub claims: Option<ClaimsRequest>,
    /// The `acr` of the sign-in that started the family, which every ID token of it repeats.
    pub acr: Option<String>,
}

/// A refresh token: opaque, stored by hash, rotated on every use.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub hash: [u8; 32],
    pub grant_id: String,
    pub created: Timestamp,
    /// When the token stops working unused (the policy's refresh window, capped by the grant's end).
    pub expires_at: Timestamp,
    /// Set when it was exchanged for a new one; a rotated token presented again is a replay.
    pub rotated_at: Option<Timestamp>,
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("grant_id", &self.grant_id)
            .field("expires_at", &self.expires_at)
            .field("rotated_at", &self.rotated_at)
            .finish_non_exhaustive()
    }
}

/// A scope a user consented to for an app on an authorization server (Okta's user grant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub auth_server_id: String,
    pub scope: String,
    pub created: Timestamp,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshRotation {
    /// The token was current and is now rotated to the new one.
    Rotated(Grant),
    /// The token had already been rotated (a replay): the caller revokes the grant.
    Replayed(Grant),
    /// Unknown, expired, or its grant revoked or ended.
    Invalid,
}
