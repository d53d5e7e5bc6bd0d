//! The device authorization endpoint (RFC 8628 §3.1–3.2; `/oauth2/v1/device/authorize`,
//! `/oauth2/{id}/v1/device/authorize`): form body, client authentication as at the token endpoint (a public client
//! sends only its `client_id`), the core's checks (`lanyard_core::oauth::device`), the codes stored, a JSON answer
//! that is never cached. The user enters the user code at `/activate` (`pages/device.rs`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::oauth::device::{self, DeviceRequest};
use lanyard_core::oauth_error::OAuthError;

use super::client::{authenticate, form};
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
    Ok(answer(authorize(&state, &entry, &headers, &body).await))
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::custom_server(&state, &id).await?;
    Ok(answer(authorize(&state, &entry, &headers, &body).await))
}

async fn authorize(
    state: &AppState,
    entry: &Entry,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let params = form(headers, body)?;
    let app = authenticate(state, entry, "device/authorize", headers, &params).await?;
    let response = device::authorize(
        state.store.as_ref(),
        &DeviceRequest {
            server: &entry.server,
            rules: &entry.rules,
            app: &app.app,
            params: &params,
            base_url: &state.config.base_url,
            now: state.clock.now(),
        },
        state.random.as_ref(),
    )
    .await?;
    let mut r = Json(response).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(r)
}
