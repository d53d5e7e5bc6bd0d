//! What the token, introspection and revocation endpoints share: reading a form body, authenticating the client
//! for one authorization server, and the view of that server the protocol core needs.

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use lanyard_core::crypto::Jwk;
use lanyard_core::oauth::client_auth::{self, KnownClient, Presented};
use lanyard_core::oauth::params::Params;
use lanyard_core::oauth::tokens::Issuer;
use lanyard_core::oauth_error::{ErrorCode, OAuthError};

use crate::keyring::Entry;
use crate::state::AppState;

/// The form body of a request (`application/x-www-form-urlencoded` required).
pub fn form(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "The request must be application/x-www-form-urlencoded.",
        ));
    }
    Params::parse(body)
}

/// Authenticates the client of a request to `endpoint` (e.g. `token`) of the server in `entry`.
pub async fn authenticate(
    state: &AppState,
    entry: &Entry,
    endpoint: &str,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Arc<KnownClient>, OAuthError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let presented = client_auth::presented(authorization, params)?;
    // Only a client assertion has an audience to check.
    let audiences = if matches!(presented, Presented::Assertion { .. }) {
        let base = &entry.endpoint_base;
        vec![
            format!("{base}/{endpoint}"),
            format!("{base}/token"),
            entry.issuer.clone(),
        ]
    } else {
        Vec::new()
    };
    client_auth::authenticate(
        state.store.as_ref(),
        &state.clients,
        &super::client_keys::AppKeys(&state.outbound),
        &presented,
        &audiences,
        state.clock.now(),
    )
    .await
}

/// The signing view of the server, for the core.
pub fn issuer<'a>(
    state: &'a AppState,
    entry: &'a Entry,
    issuer: &'a str,
    audiences: &'a [String],
) -> Result<Issuer<'a>, OAuthError> {
    let key = entry.signing_key(entry.server.signing_alg).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "No signing key is ready.",
        )
        .with_detail(format!("server {} has no active key", entry.server.id))
    })?;
    Ok(Issuer {
        issuer,
        audiences,
        org_id: &state.config.org_id,
        access_token_key: key,
        id_token_key: key,
        pairwise: None,
    })
}

/// The signing view of the server for one client: its ID tokens signed with the algorithm it registered
/// (`id_token_signed_response_alg`), else the server's, with the `sub` of its subject type. Every server holds an
/// active key per algorithm.
pub fn issuer_for<'a>(
    state: &'a AppState,
    entry: &'a Entry,
    iss: &'a str,
    audiences: &'a [String],
    client: &lanyard_core::model::OAuthClient,
) -> Result<Issuer<'a>, OAuthError> {
    let mut out = issuer(state, entry, iss, audiences)?;
    if let Some(alg) = client.id_token_signed_response_alg() {
        out.id_token_key = entry.signing_key(alg).ok_or_else(|| {
            OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                "No signing key is ready.",
            )
            .with_detail(format!(
                "server {} has no active {alg} key",
                entry.server.id
            ))
        })?;
    }
    out.pairwise = pairwise(state, client);
    Ok(out)
}

/// The pairwise mapping of `client` (OIDC Core §8), if it registered `subject_type: pairwise`.
pub fn pairwise(
    state: &AppState,
    client: &lanyard_core::model::OAuthClient,
) -> Option<lanyard_core::oauth::subject::Pairwise> {
    lanyard_core::oauth::subject::pairwise_for(client, || state.pairwise_key)
}

/// Every public key the server publishes.
pub fn public_keys(entry: &Entry) -> &[Jwk] {
    &entry.public_keys
}

/// The user a verified `id_token_hint` names, in the form of the client it was issued to (its `azp`/`aud`): a
/// pairwise client's `sub` names a user only through that client's sector. `known` spares a read when the hint's
/// client is the request's. `ExpectedSubject::names(user_id)` then tells whether a session's user is the one.
pub async fn hinted_user(
    state: &AppState,
    claims: &serde_json::Map<String, serde_json::Value>,
    known: Option<&lanyard_core::model::App>,
) -> Result<lanyard_core::oauth::subject::ExpectedSubject, lanyard_core::store::StoreError> {
    use lanyard_core::oauth::id_token_hint::{hinted_client, hinted_subject};
    let pairwise = match hinted_client(claims) {
        Some(id) => match known.filter(|a| a.client.client_id == id) {
            Some(app) => pairwise(state, &app.client),
            None => state
                .store
                .app_by_client_id(id)
                .await?
                .and_then(|other| pairwise(state, &other.client)),
        },
        None => None,
    };
    Ok(lanyard_core::oauth::subject::ExpectedSubject {
        sub: hinted_subject(claims).to_owned(),
        pairwise,
    })
}
