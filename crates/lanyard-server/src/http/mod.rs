//! HTTP plumbing shared by every endpoint: the connection loop, JSON responses, the fallback.

pub mod serve;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::api::error::ApiError;

/// A pre-serialised JSON body with `Content-Type: application/json`.
pub fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The value of cookie `name` in a request, if it has a non-empty one.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (n, value) = pair.trim().split_once('=')?;
            (n == name && !value.is_empty()).then(|| value.to_owned())
        })
}

/// Unknown paths: under the APIs (`/api/`, `/oauth2/`, `/.well-known/`), 404 with Okta's error body; anywhere else
/// a browser may land, the "Page not found" page.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    let path = uri.path();
    if is_api_path(path) {
        ApiError::not_found_path(path).into_response()
    } else {
        crate::pages::PageError::not_found().into_response()
    }
}

/// Whether a path belongs to an API (JSON errors) rather than to the pages a browser shows.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/oauth2/") || path.starts_with("/.well-known/")
}
