//! The JWKS (`/v1/keys`): ACTIVE, NEXT and still-retained EXPIRED public keys, with an ETag and a cache lifetime
//! shorter than the time a NEXT key is published before it signs.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;
use crate::http::json_bytes;
use crate::keyring::Entry;
use crate::state::AppState;

fn render(entry: &Arc<Entry>, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&entry.jwks_etag).unwrap_or(HeaderValue::from_static("\"\""));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == entry.jwks_etag || t.trim() == "*")
        });
    let mut r = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        json_bytes(StatusCode::OK, entry.jwks.clone())
    };
    let h = r.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300, must-revalidate"),
    );
    r
}

pub async fn org(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    Ok(render(&super::org_server(&state).await?, &headers))
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(render(&super::custom_server(&state, &id).await?, &headers))
}
