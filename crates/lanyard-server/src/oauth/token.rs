//! The token endpoint (`/oauth2/v1/token`, `/oauth2/{id}/v1/token`): form body, client authentication, the grant
//! (`lanyard_core::oauth::grants`), a JSON answer that is never cached. Errors in RFC 6749 §5.2 form.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::oauth::grants::{self, GrantContext};
use lanyard_core::oauth_error::OAuthError;

use super::client::{audiences, authenticate, form, issuer};
use super::error::OAuthErrorResponse;
use crate::api::error::ApiError;
use crate::keyring::Entry;
use crate::state::AppState;

pub async fn org(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::org_server(&state).await?;
    Ok(answer(token(&state, &entry, &headers, &body).await))
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::custom_server(&state, &id).await?;
    Ok(answer(token(&state, &entry, &headers, &body).await))
}

fn answer(r: Result<Response, OAuthError>) -> Response {
    r.unwrap_or_else(|e| OAuthErrorResponse(e).into_response())
}

async fn token(
    state: &AppState,
    entry: &Entry,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let params = form(headers, body)?;
    let grant = grants::grant_type(&params)?;
    let app = authenticate(state, entry, "token", headers, &params).await?;
    let iss = entry.server.issuer(&state.config.base_url);
    let aud = audiences(state, entry);
    let ctx = GrantContext {
        store: state.store.as_ref(),
        now: state.clock.now(),
        random: state.random.as_ref(),
        server: &entry.server,
        rules: &entry.rules,
        issuer: issuer(state, entry, &iss, &aud)?,
    };
    let response = grants::exchange(&ctx, &app.app, grant, &params).await?;
    state.metrics.token_issued(grant.as_str());
    let mut r = Json(response).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(r)
}
