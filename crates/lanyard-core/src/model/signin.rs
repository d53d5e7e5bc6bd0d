//! What sign-in keeps: SSO sessions, one-time tokens (session tokens, state tokens, reset links), MFA factors, and
//! the failed-attempt counter behind lockout. Secrets are never stored: sessions and one-time tokens by the SHA-256
//! of their value, TOTP secrets sealed with the master key.

use std::fmt;

use serde_json::Value;

use crate::clock::Timestamp;

/// A server-side SSO session, found by the SHA-256 of the cookie value.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// Okta-style id (`102…`), shown by `/api/v1/sessions/me`; not a secret.
    pub id: String,
    pub token_hash: [u8; 32],
    pub user_id: String,
    pub created: Timestamp,
    /// Moved forward on use; the session ends after `idle` without use.
    pub last_seen: Timestamp,
    /// The absolute end, whatever the use.
    pub expires_at: Timestamp,
    /// Authentication methods used (`pwd`, `otp`, `hwk`, …), OIDC's `amr`.
    pub amr: Vec<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// An app that received an authorization code or tokens in an SSO session: one of those told when the session ends
/// (OIDC Back-Channel and Front-Channel Logout). Each app is recorded once per session and authorization server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionApp {
    pub session_id: String,
    pub client_id: String,
    /// The authorization server that issued to the app: its issuer is the `iss` the app knows the session by.
    pub auth_server_id: String,
    /// When the app first signed in with the session.
    pub created: Timestamp,
}

/// A session just ended, with the apps that were signed into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSession {
    pub id: String,
    pub user_id: String,
    /// In the order they signed in.
    pub apps: Vec<SessionApp>,
}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The Authn API's `sessionToken`: exchanged once for a session at `/authorize` or the session endpoints.
    SessionToken,
    /// The Authn API's `stateToken`: carries a sign-in through MFA or a password change.
    StateToken,
    /// A password reset link.
    PasswordReset,
    /// An activation link.
    Activation,
    /// A WebAuthn registration in progress (webauthn-rs's state), found by the SHA-256 of a random handle.
    WebAuthnRegistration,
    /// A WebAuthn authentication in progress (webauthn-rs's state), found by a hash derived from the sign-in's
    /// state token ([`crate::signin::factors::assertion_key`]).
    WebAuthnAuthentication,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::SessionToken => "session_token",
            TokenKind::StateToken => "state_token",
            TokenKind::PasswordReset => "password_reset",
            TokenKind::Activation => "activation",
            TokenKind::WebAuthnRegistration => "webauthn_registration",
            TokenKind::WebAuthnAuthentication => "webauthn_authentication",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "session_token" => TokenKind::SessionToken,
            "state_token" => TokenKind::StateToken,
            "password_reset" => TokenKind::PasswordReset,
            "activation" => TokenKind::Activation,
            "webauthn_registration" => TokenKind::WebAuthnRegistration,
            "webauthn_authentication" => TokenKind::WebAuthnAuthentication,
            _ => return None,
        })
    }
}

/// A short-lived, single-use token, stored by the SHA-256 of its value.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    pub token_hash: [u8; 32],
    pub kind: TokenKind,
    pub user_id: String,
    pub created: Timestamp,
    pub expires_at: Timestamp,
    /// What the token carries (for a state token: the sign-in's progress, the methods used so far).
    pub data: Value,
}

impl fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneTimeToken")
            .field("kind", &self.kind)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// Okta's factor types Lanyard supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorType {
    /// `token:software:totp`, RFC 6238.
    Totp,
    /// `webauthn`.
    WebAuthn,
}

impl FactorType {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorType::Totp => "token:software:totp",
            FactorType::WebAuthn => "webauthn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "token:software:totp" => Some(FactorType::Totp),
            "webauthn" => Some(FactorType::WebAuthn),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorStatus {
    PendingActivation,
    Active,
}

impl FactorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorStatus::PendingActivation => "PENDING_ACTIVATION",
            FactorStatus::Active => "ACTIVE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING_ACTIVATION" => Some(FactorStatus::PendingActivation),
            "ACTIVE" => Some(FactorStatus::Active),
            _ => None,
        }
    }
}

/// An enrolled MFA factor.
#[derive(Clone, PartialEq, Eq)]
pub struct Factor {
    /// `uft…` for TOTP, `fwf…` for WebAuthn, as Okta's.
    pub id: String,
    pub user_id: String,
    pub factor_type: FactorType,
    /// `GOOGLE` or `OKTA` for TOTP, `FIDO` for WebAuthn.
    pub provider: String,
    pub status: FactorStatus,
    /// The TOTP secret or the WebAuthn credential, sealed with the master key (associated data: the factor id).
    pub sealed_secret: Vec<u8>,
    /// The last TOTP time step accepted: a code is usable once.
    pub last_used_step: Option<i64>,
    /// Public, non-secret details (the WebAuthn credential id, the authenticator's name, …).
    pub profile: Value,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

impl fmt::Debug for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Factor")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("factor_type", &self.factor_type)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The result of counting a failed sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    /// Consecutive failures, this one included.
    pub attempts: u32,
    /// Whether this failure locked the account (status LOCKED_OUT, until `lockout_until`).
    pub locked: bool,
}
