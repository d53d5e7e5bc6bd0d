//! WebAuthn ceremonies against the store, shared by the factors API, the Authn API and the hosted pages: adapters of
//! `lanyard_core::signin::passkeys`, where each ceremony's state (webauthn-rs's, serialised) waits in the database
//! as a one-time token, so that whichever node the browser reaches next can finish it, once, within
//! `SigninPolicy::webauthn_ceremony_ttl`.

use lanyard_core::mfa::webauthn::{RelyingParty, StoredPasskey as Passkey};
use lanyard_core::model::{Factor, User};
use lanyard_core::signin::Secret;
use lanyard_core::signin::passkeys::{self, Ceremony};
use serde_json::Value;

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
    Ok(passkeys::passkeys(state.store.as_ref(), &state.master, user_id).await?)
}

/// The ceremony's settings on this server.
fn ceremony(state: &AppState) -> Ceremony<'_> {
    Ceremony {
        rp: state.webauthn.as_deref(),
        master: &state.master,
        random: state.random.as_ref(),
        ttl: state.signin_policy.webauthn_ceremony_ttl,
    }
}

/// Starts registering a passkey for `user`: the creation options (`publicKey`) for the browser. The state waits
/// under the SHA-256 of `handle` (a fresh one when `None`), which is returned for the caller to hand back
/// ([`passkeys::begin_registration`]).
pub async fn begin_registration(
    state: &AppState,
    user: &User,
    handle: Option<Secret>,
) -> Result<(Value, Secret), ApiError> {
    let c = ceremony(state);
    Ok(
        passkeys::begin_registration(state.store.as_ref(), &c, state.clock.now(), user, handle)
            .await?,
    )
}

pub use lanyard_core::signin::passkeys::RegistrationFailure;

/// Finishes the registration waiting under `key` for `user` (spent whatever the outcome): the new passkey
/// ([`passkeys::finish_registration`]).
pub async fn finish_registration(
    state: &AppState,
    user: &User,
    key: &[u8; 32],
    attestation: &str,
    client_data: &str,
) -> Result<Result<Passkey, RegistrationFailure>, ApiError> {
    let c = ceremony(state);
    Ok(passkeys::finish_registration(
        state.store.as_ref(),
        &c,
        state.clock.now(),
        user,
        key,
        (attestation, client_data),
    )
    .await?)
}

/// Whether a factor is a WebAuthn one that can sign in.
pub use lanyard_core::signin::passkeys::is_active_webauthn;
