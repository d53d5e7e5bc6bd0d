//! Token revocation (RFC 7009) at `/v1/revoke`: a client-authenticated form POST with `token`; 200 with an empty
//! body whether or not the token was known.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::oauth::introspection::OwnServer;
use lanyard_core::oauth::revocation::revoke;
use lanyard_core::oauth_error::OAuthError;

use super::client::{authenticate, form, public_keys};
use super::error::answer;
use crate::api::error::ApiError;
use crate::keyring::Entry;
use crate::state::AppState;

pub async fn org(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::org_server(&state).await?;
    Ok(answer(handle(&state, &entry, &headers, &body).await))
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::custom_server(&state, &id).await?;
    Ok(answer(handle(&state, &entry, &headers, &body).await))
}

async fn handle(
    state: &AppState,
    entry: &Entry,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let params = form(headers, body)?;
    let caller = authenticate(state, entry, "revoke", headers, &params).await?;
    let token = params.require("token")?;
    let issuer = entry.issuer.clone();
    let keys = public_keys(entry);
    let own = OwnServer {
        id: &entry.server.id,
        issuer: &issuer,
        keys,
        verified: &entry.verified,
    };
    revoke(
        state.store.as_ref(),
        &own,
        &caller.app,
        token,
        state.clock.now(),
    )
    .await?;
    let mut r = StatusCode::OK.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
