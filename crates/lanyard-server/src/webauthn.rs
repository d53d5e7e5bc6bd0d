//! WebAuthn ceremonies against the store, shared by the factors API, the Authn API and the hosted pages. Each
//! ceremony's state (webauthn-rs's, serialised) waits in the database as a one-time token, so that whichever node
//! the browser reaches next can finish it, once, within `SigninPolicy::webauthn_ceremony_ttl`.

use lanyard_core::mfa::webauthn::{
    Assertion, RelyingParty, StoredPasskey as Passkey, WebAuthnError,
};
use lanyard_core::model::{Factor, FactorStatus, FactorType, OneTimeToken, TokenKind, User};
use lanyard_core::signin::factors::{self, passkey};
use lanyard_core::signin::{Secret, mint};
use serde_json::{Value, json};

use crate::api::error::ApiError;
use crate::state::AppState;

/// The relying party, or the error a client gets when the base URL cannot have one.
pub fn relying_party(state: &AppState) -> Result<&RelyingParty, ApiError> {
    state.webauthn.as_deref().ok_or_else(|| {
        ApiError::validation(
            "Api validation failed: factorType",
            vec!["factorType: webauthn is not available: the server's base URL must have a domain name, not an IP address".into()],
        )
    })
}

/// A user's ACTIVE WebAuthn factors and their passkeys.
pub async fn passkeys(state: &AppState, user_id: &str) -> Result<Vec<(Factor, Passkey)>, ApiError> {
    Ok(state
        .store
        .factors(user_id)
        .await?
        .into_iter()
        .filter_map(|f| passkey(&f, &state.master).map(|p| (f, p)))
        .collect())
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

/// The WebAuthn factors a challenge covers: `scope` is a factor id, or `*` for all of the user's.
fn in_scope(all: Vec<(Factor, Passkey)>, scope: &str) -> Vec<(Factor, Passkey)> {
    all.into_iter()
        .filter(|(f, _)| scope == "*" || f.id == scope)
        .collect()
}

/// Starts an authentication with the user's passkeys in `scope` for the sign-in `state_token` carries (replacing
/// any earlier challenge of that sign-in and scope): the request options (`publicKey`), or `None` when the scope
/// holds no passkey.
pub async fn challenge(
    state: &AppState,
    user: &User,
    state_token: &str,
    scope: &str,
) -> Result<Option<Value>, ApiError> {
    let rp = relying_party(state)?;
    let chosen = in_scope(passkeys(state, &user.id).await?, scope);
    if chosen.is_empty() {
        return Ok(None);
    }
    let keys: Vec<Passkey> = chosen.into_iter().map(|(_, p)| p).collect();
    let (options, ceremony) = rp
        .start_authentication(&keys)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    // Asking again replaces the previous challenge of this sign-in (concurrent asks: the last one wins).
    let key = factors::assertion_key(state_token, scope);
    store_state(
        state,
        user,
        TokenKind::WebAuthnAuthentication,
        key,
        json!({ "state": ceremony }),
    )
    .await?;
    Ok(Some(options))
}

/// Why an assertion was not accepted.
#[derive(Debug)]
pub enum AssertionFailure {
    /// No challenge waits for this sign-in (never asked, expired, or already answered).
    NoChallenge,
    /// The assertion does not verify, or names a credential outside the challenge.
    Refused,
}

/// Checks an assertion against the challenge waiting for the sign-in and `scope` (spent whatever the outcome).
/// `credential_id` (base64url) says which passkey answered; with a single-factor scope it may be omitted, as in
/// Okta's API. On success the passkey's counter and flags are saved, and its factor returned.
pub async fn verify(
    state: &AppState,
    user: &User,
    state_token: &str,
    scope: &str,
    credential_id: Option<&str>,
    assertion: &Assertion<'_>,
) -> Result<Result<Factor, AssertionFailure>, ApiError> {
    let rp = relying_party(state)?;
    let now = state.clock.now();
    let key = factors::assertion_key(state_token, scope);
    let token = state
        .store
        .consume_one_time_token(&key, TokenKind::WebAuthnAuthentication, now)
        .await?;
    let Some(token) = token.filter(|t| t.user_id == user.id) else {
        return Ok(Err(AssertionFailure::NoChallenge));
    };
    let chosen = in_scope(passkeys(state, &user.id).await?, scope);
    let presented = match credential_id.filter(|c| !c.is_empty()) {
        Some(text) => match lanyard_core::mfa::webauthn::decode_b64(text, "credentialId") {
            Ok(bytes) => Some(bytes),
            Err(_) => return Ok(Err(AssertionFailure::Refused)),
        },
        None => None,
    };
    let found = chosen.into_iter().find(|(_, p)| match &presented {
        Some(id) => p.cred_id().as_slice() == id.as_slice(),
        None => scope != "*",
    });
    let Some((mut factor, mut passkey)) = found else {
        return Ok(Err(AssertionFailure::Refused));
    };
    let cred_id = passkey.cred_id().as_slice().to_vec();
    let result = match rp.finish_authentication(&token.data["state"], &cred_id, assertion) {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(user = %user.id, factor = %factor.id, error = %e, "WebAuthn assertion refused");
            return Ok(Err(AssertionFailure::Refused));
        }
    };
    if passkey.update_credential(&result) == Some(true) {
        factors::set_passkey(
            &mut factor,
            &passkey,
            &state.master,
            state.random.as_ref(),
            now,
        )
        .map_err(|e| ApiError::internal(e.to_string()))?;
        state.store.update_factor(&factor).await?;
    }
    Ok(Ok(factor))
}

/// Whether a factor is a WebAuthn one that can sign in.
pub fn is_active_webauthn(f: &Factor) -> bool {
    f.factor_type == FactorType::WebAuthn && f.status == FactorStatus::Active
}
