//! Token introspection (RFC 7662) at `/v1/introspect`: a client-authenticated form POST with `token` (and an
//! optional `token_type_hint`, which only orders the lookups and is not needed here).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::oauth::introspection::{OwnServer, introspect};
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
    let caller = authenticate(state, entry, "introspect", headers, &params).await?;
    let token = params.require("token")?;
    let issuer = entry.issuer.clone();
    let keys = public_keys(entry);
    let own = OwnServer {
        id: &entry.server.id,
        issuer: &issuer,
        keys,
        verified: &entry.verified,
    };
    let body = introspect(
        state.store.as_ref(),
        &state.revocations,
        &own,
        &caller.app,
        token,
        state.clock.now(),
    )
    .await?;
    let mut r = Json(body).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
