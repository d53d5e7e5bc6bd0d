//! The pushed authorization request endpoint (RFC 9126; `/oauth2/v1/par`, `/oauth2/{id}/v1/par`): form body, client
//! authentication exactly as at the token endpoint, the request (or its request object) validated as the
//! authorization endpoint would up front, then held server-side for 60 s, single use, bound to the client and the
//! server: `201 {"request_uri": "urn:ietf:params:oauth:request_uri:…", "expires_in": 60}`, never cached. Errors in
//! RFC 6749 §5.2 form.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::oauth::authorize::{check_client, validate};
use lanyard_core::oauth::grants::storage;
use lanyard_core::oauth::request_object::{self as ro, PUSHED_LIFETIME};
use lanyard_core::oauth_error::OAuthError;
use serde_json::json;

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
    Ok(answer(push(&state, &entry, &headers, &body).await))
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::custom_server(&state, &id).await?;
    Ok(answer(push(&state, &entry, &headers, &body).await))
}

async fn push(
    state: &AppState,
    entry: &Entry,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let form = form(headers, body)?;
    let known = authenticate(state, entry, "par", headers, &form).await?;
    let app = &known.app;
    let outer = ro::pushed_params(&form, &app.client.client_id)?;
    let now = state.clock.now();
    let params = match outer.get("request") {
        Some(jwt) => {
            let issuer = entry.server.issuer(&state.config.base_url);
            let object = ro::verify(
                jwt,
                app,
                &super::client_keys::AppKeys(&state.outbound),
                &issuer,
                now,
            )
            .await?;
            ro::assemble(&outer, &object.claims)?
        }
        None => outer,
    };
    // What /authorize would refuse, refused now: the redirect URI, response type and mode, scope, PKCE, prompt…
    let to = check_client(&params, Some(app)).map_err(|e| e.0)?;
    validate(&params, app, &to)?;
    let (request_uri, record) = ro::hold(
        &params,
        &app.client.client_id,
        &entry.server.id,
        PUSHED_LIFETIME,
        now,
        state.random.as_ref(),
    );
    super::request_object::hold(state, &record)
        .await
        .map_err(storage)?;
    let body = json!({
        "request_uri": request_uri,
        "expires_in": PUSHED_LIFETIME.num_seconds(),
    });
    let mut r = (StatusCode::CREATED, Json(body)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(r)
}
