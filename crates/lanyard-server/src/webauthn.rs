//! WebAuthn ceremonies against the store, shared by the factors API, the Authn API and the hosted pages. Each
//! ceremony's state (webauthn-rs's, serialised) waits in the database as a one-time token, so that whichever node
//! the browser reaches next can finish it, once, within `SigninPolicy::webauthn_ceremony_ttl`.

use lanyard_core::mfa::webauthn::{RelyingParty, StoredPasskey as Passkey, WebAuthnError};
use lanyard_core::model::{Factor, OneTimeToken, TokenKind, User};
use lanyard_core::signin::{Secret, mint};
use serde_json::{Value, json};

use crate::api::error::ApiError;
use crate::state::AppState;

/// The relying party, or the error a client gets when the base URL cannot have one.
pub fn relying_party(state: &AppState) -> Result<&RelyingParty, ApiError> {
    state.webauthn.as_deref().ok_or_else(unavailable)
}

/// The error a client gets when the base URL cannot have a relying party.
pub fn unavailable() -> ApiError {
    ApiError::validation(
        "Api validation failed: factorType",
        vec!["factorType: webauthn is not available: the server's base URL must have a domain name, not an IP address".into()],
    )
}

/// A user's ACTIVE WebAuthn factors and their passkeys.
pub async fn passkeys(state: &AppState, user_id: &str) -> Result<Vec<(Factor, Passkey)>, ApiError> {
    Ok(
        lanyard_core::signin::passkeys::passkeys(state.store.as_ref(), &state.master, user_id)
            .await?,
    )
}

async fn store_state(
    state: &AppState,
    user: &User,
    kind: TokenKind,
    key: [u8; 32],
    data: Value,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let token = OneTimeToken {
        token_hash: key,
        kind,
        user_id: user.id.clone(),
        created: now,
        expires_at: now + state.signin_policy.webauthn_ceremony_ttl,
        data,
    };
    state.store.replace_one_time_token(&token).await?;
    Ok(())
}

/// Starts registering a passkey for `user`: the creation options (`publicKey`) for the browser. The state waits
/// under the SHA-256 of `handle` (a fresh one when `None`), which is returned for the caller to hand back.
pub async fn begin_registration(
    state: &AppState,
    user: &User,
    handle: Option<Secret>,
) -> Result<(Value, Secret), ApiError> {
    let rp = relying_party(state)?;
    let existing: Vec<Passkey> = passkeys(state, &user.id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let name = user.full_name();
    let (options, ceremony) = rp
        .start_registration(&user.id, &user.login, &name, &existing)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let handle = handle.unwrap_or_else(|| mint(state.random.as_ref()));
    store_state(
        state,
        user,
        TokenKind::WebAuthnRegistration,
        handle.hash,
        json!({ "state": ceremony }),
    )
    .await?;
    Ok((options, handle))
}

/// Why a registration was not accepted.
#[derive(Debug)]
pub enum RegistrationFailure {
    /// No registration waits under that handle (never started, expired, or already attempted).
    Expired,
    /// A field is not base64.
    Malformed(&'static str),
    /// The attestation does not verify.
    Refused,
    /// The user has this credential already.
    Duplicate,
}

/// Finishes the registration waiting under `key` for `user` (spent whatever the outcome): the new passkey.
pub async fn finish_registration(
    state: &AppState,
    user: &User,
    key: &[u8; 32],
    attestation: &str,
    client_data: &str,
) -> Result<Result<Passkey, RegistrationFailure>, ApiError> {
    let rp = relying_party(state)?;
    let now = state.clock.now();
    let token = state
        .store
        .consume_one_time_token(key, TokenKind::WebAuthnRegistration, now)
        .await?;
    let Some(token) = token.filter(|t| t.user_id == user.id) else {
        return Ok(Err(RegistrationFailure::Expired));
    };
    let passkey = match rp.finish_registration(&token.data["state"], attestation, client_data) {
        Ok(p) => p,
        Err(WebAuthnError::Malformed(field)) => {
            return Ok(Err(RegistrationFailure::Malformed(field)));
        }
        Err(e) => {
            tracing::info!(user = %user.id, error = %e, "WebAuthn registration refused");
            return Ok(Err(RegistrationFailure::Refused));
        }
    };
    if passkeys(state, &user.id)
        .await?
        .iter()
        .any(|(_, p)| p.cred_id() == passkey.cred_id())
    {
        return Ok(Err(RegistrationFailure::Duplicate));
    }
    Ok(Ok(passkey))
}

/// Whether a factor is a WebAuthn one that can sign in.
pub use lanyard_core::signin::passkeys::is_active_webauthn;
