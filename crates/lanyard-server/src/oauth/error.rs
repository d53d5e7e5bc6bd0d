//! OAuth errors as JSON (RFC 6749 §5.2): `error`, `error_description`; `Cache-Control: no-store`; a
//! `WWW-Authenticate` challenge on 401. The internal detail is logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::oauth_error::OAuthError;
use serde_json::json;

pub struct OAuthErrorResponse(pub OAuthError);

impl IntoResponse for OAuthErrorResponse {
    fn into_response(self) -> Response {
        let e = self.0;
        if let Some(detail) = &e.detail {
            tracing::info!(error = %e.code, detail = %lanyard_core::log_safe(detail), "OAuth request refused");
        }
        let status =
            StatusCode::from_u16(e.code.token_endpoint_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut r = (
            status,
            Json(json!({ "error": e.code.as_str(), "error_description": e.description })),
        )
            .into_response();
        let h = r.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"lanyard\""),
            );
        }
        r
    }
}

/// An endpoint's result as a response: the errors in RFC 6749 §5.2 form.
pub fn answer(r: Result<Response, OAuthError>) -> Response {
    r.unwrap_or_else(|e| OAuthErrorResponse(e).into_response())
}
