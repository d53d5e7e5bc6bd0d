//! Apps: OpenID Connect clients in Okta's shape (`name: "oidc_client"`, `signOnMode: "OPENID_CONNECT"`), their
//! client secrets (stored as SHA-256 hashes, never a slow hash: secrets are 256 random bits and checked on every
//! token request) and who is assigned to them, directly or through a group.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::LifecycleStatus;

/// Okta's four OIDC application types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationType {
    /// A server-side app: confidential, holds a secret or a key.
    Web,
    /// A single-page app: public, PKCE.
    Browser,
    /// A native app: public, PKCE, custom-scheme or loopback redirects (RFC 8252).
    Native,
    /// A machine: client credentials only.
    Service,
}

impl ApplicationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Browser => "browser",
            ApplicationType::Native => "native",
            ApplicationType::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "web" => ApplicationType::Web,
            "browser" => ApplicationType::Browser,
            "native" => ApplicationType::Native,
            "service" => ApplicationType::Service,
            _ => return None,
        })
    }

    /// Whether clients of this type cannot keep a secret.
    pub fn is_public(self) -> bool {
        matches!(self, ApplicationType::Browser | ApplicationType::Native)
    }
}

/// How a client authenticates at the token, introspection and revocation endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

impl ClientAuthMethod {
    pub const ALL: [ClientAuthMethod; 4] = [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
        ClientAuthMethod::PrivateKeyJwt,
        ClientAuthMethod::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
            ClientAuthMethod::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the method uses a client secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
        )
    }
}

/// The grant types an app may use, as Okta names them in `settings.oauthClient.grant_types`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    Implicit,
    Password,
    DeviceCode,
    TokenExchange,
}

impl GrantType {
    pub const ALL: [GrantType; 7] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Implicit,
        GrantType::Password,
        GrantType::DeviceCode,
        GrantType::TokenExchange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Implicit => "implicit",
            GrantType::Password => "password",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

impl Serialize for GrantType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GrantType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        GrantType::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown grant type {s:?}")))
    }
}

/// The name of Lanyard's resource-server setting in `settings.oauthClient` ([`OAuthClient::resource_server`]).
pub const RESOURCE_SERVER: &str = "resource_server";

/// The OAuth side of an app: what `credentials.oauthClient` and `settings.oauthClient` hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    pub application_type: ApplicationType,
    pub token_endpoint_auth_method: ClientAuthMethod,
    pub pkce_required: bool,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// `TRUSTED` (no consent page) or `REQUIRED`.
    pub consent_method: String,
    /// The client's public keys for `private_key_jwt`, a JWK Set.
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub initiate_login_uri: Option<String>,
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// Where the app is told that sessions it signed into ended.
    #[serde(default)]
    pub logout: LogoutNotices,
    /// Every other `settings.oauthClient` member the app was created with, echoed back unchanged.
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Set when the client was registered through dynamic client registration (RFC 7591): what its registration
    /// access token is checked against (RFC 7592). Never shown by the Apps API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<Registration>,
    /// Set when the app was made from a catalog entry (its key is the app's `name`): the entry's revision and the
    /// variables given (`settings.app`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogRef>,
    /// Claims this app's tokens carry for it alone (a catalog entry's, or `settings.oauthClient.app_claims`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<AppClaim>,
}

/// The catalog entry an app was made from: its revision, and the variables it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CatalogRef {
    pub revision: String,
    pub variables: std::collections::BTreeMap<String, String>,
}

/// Where an app's own claim goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimIn {
    IdToken,
    Userinfo,
    AccessToken,
}

impl ClaimIn {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "id_token" => ClaimIn::IdToken,
            "userinfo" => ClaimIn::Userinfo,
            "access_token" => ClaimIn::AccessToken,
            _ => return None,
        })
    }
}

/// A claim an app's tokens carry for that app alone: `value` is `groups` (the user's group names) or an expression
/// (`user.profile.department`); included in `targets`, and only when `scope` (if any) is granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppClaim {
    pub name: String,
    pub value: String,
    #[serde(rename = "in")]
    pub targets: Vec<ClaimIn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A dynamically registered client's hold on its registration (RFC 7592): the SHA-256 of its registration access
/// token, base64url. The token itself is shown once, when issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub token_hash: String,
}

/// OIDC Core §8: how a client's users are identified to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectType {
    /// The user's id, the same for every client (Okta's `sub`).
    Public,
    /// A value per sector identifier: clients of different sectors cannot correlate their users.
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Public => "public",
            SubjectType::Pairwise => "pairwise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(SubjectType::Public),
            "pairwise" => Some(SubjectType::Pairwise),
            _ => None,
        }
    }
}

/// Where an app is told that an SSO session it signed into ended: OpenID Connect Back-Channel Logout 1.0 (a signed
/// logout token POSTed by the server) and Front-Channel Logout 1.0 (a page loaded in an iframe of the signed-out
/// page). The `*_session_required` switches are kept and echoed; Lanyard always sends `sid` (and `iss`) anyway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutNotices {
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    #[serde(default)]
    pub frontchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub frontchannel_logout_session_required: bool,
}

impl OAuthClient {
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == ClientAuthMethod::None
    }

    /// The algorithm the app registered for its ID tokens (`settings.oauthClient.id_token_signed_response_alg`,
    /// checked when the app was saved), if any; otherwise its ID tokens use the server's algorithm.
    pub fn id_token_signed_response_alg(&self) -> Option<crate::crypto::SigningAlg> {
        self.extra
            .get("id_token_signed_response_alg")
            .and_then(serde_json::Value::as_str)
            .and_then(|a| a.parse().ok())
    }

    fn extra_str(&self, name: &str) -> Option<&str> {
        self.extra.get(name).and_then(serde_json::Value::as_str)
    }

    /// The algorithm the app registered for signed userinfo answers (`userinfo_signed_response_alg`), if any:
    /// userinfo then answers `application/jwt`.
    pub fn userinfo_signed_response_alg(&self) -> Option<crate::crypto::SigningAlg> {
        self.extra_str("userinfo_signed_response_alg")
            .and_then(|a| a.parse().ok())
    }

    /// `subject_type` (OIDC Registration §2): public unless the app registered pairwise.
    pub fn subject_type(&self) -> SubjectType {
        self.extra_str("subject_type")
            .and_then(SubjectType::parse)
            .unwrap_or(SubjectType::Public)
    }

    /// `sector_identifier_uri`, if registered.
    pub fn sector_identifier_uri(&self) -> Option<&str> {
        self.extra_str("sector_identifier_uri")
    }

    /// Lanyard's `resource_server` setting (`settings.oauthClient.resource_server`, checked to be a boolean when the
    /// app was saved; only the Apps API sets it, never dynamic registration): the app is an API that may introspect
    /// access tokens issued to other clients. Every other client learns only about its own tokens.
    pub fn resource_server(&self) -> bool {
        self.extra
            .get(RESOURCE_SERVER)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }

    /// `default_max_age` (OIDC Registration §2): the `max_age` of requests that send none.
    pub fn default_max_age(&self) -> Option<i64> {
        self.extra
            .get("default_max_age")
            .and_then(serde_json::Value::as_i64)
            .filter(|n| *n >= 0)
    }
}

/// An app (only OpenID Connect apps for now).
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub id: String,
    /// `oidc_client`.
    pub name: String,
    pub label: String,
    pub status: LifecycleStatus,
    /// `OPENID_CONNECT`.
    pub sign_on_mode: String,
    pub client: OAuthClient,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

/// A client secret, known by its SHA-256. An app may hold two ACTIVE secrets while rotating.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret {
    pub id: String,
    pub app_id: String,
    pub hash: [u8; 32],
    /// The first characters of the secret, to tell secrets apart in the API; never enough to guess it.
    pub prefix: String,
    pub status: LifecycleStatus,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecret")
            .field("id", &self.id)
            .field("app_id", &self.app_id)
            .field("prefix", &self.prefix)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A user assigned to an app directly (`scope: USER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppUser {
    pub app_id: String,
    pub user_id: String,
    pub user_name: String,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

/// A group assigned to an app: its members may use the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppGroup {
    pub app_id: String,
    pub group_id: String,
    pub priority: i64,
    pub last_updated: Timestamp,
}
