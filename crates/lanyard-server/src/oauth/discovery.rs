//! Discovery: `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server` (RFC 8414), one
//! document per server, serialised once per keyring refresh.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::api::error::ApiError;
use crate::http::json_bytes;
use crate::keyring::Entry;
use crate::state::AppState;

fn render(entry: &Arc<Entry>) -> Response {
    let mut r = json_bytes(StatusCode::OK, entry.discovery.clone());
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

pub async fn org(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(render(&super::org_server(&state).await?))
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(render(&super::custom_server(&state, &id).await?))
}
