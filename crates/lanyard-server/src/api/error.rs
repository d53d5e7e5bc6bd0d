//! Okta's error body: `errorCode`, `errorSummary`, `errorLink`, `errorId`, `errorCauses`. What a client sees is
//! the summary and causes; an internal detail goes to the log under the same `errorId`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub summary: String,
    pub causes: Vec<String>,
    /// For the log only.
    pub detail: Option<String>,
    /// Seconds for `Retry-After` (a throttled request).
    pub retry_after: Option<u32>,
    /// A `WWW-Authenticate` value (a refused credential, a missing scope); boxed to keep the error small.
    pub challenge: Option<Box<str>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, summary: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
            detail: None,
            retry_after: None,
            challenge: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// 400 E0000001 with one cause per problem.
    pub fn validation(summary: impl Into<String>, causes: Vec<String>) -> Self {
        ApiError {
            causes,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "E0000001",
                format!("Api validation failed: {}", summary.into()),
            )
        }
    }

    /// 400 E0000003: the body is not JSON, or not JSON of the expected shape at its syntax level.
    pub fn malformed_body(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        )
        .with_detail(detail)
    }

    pub fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E0000003",
            "The request body was too large.",
        )
    }

    /// 401 E0000011, Okta's code and summary (the SDKs parse them), with a cause and a `WWW-Authenticate`
    /// challenge that say what to send.
    pub fn invalid_token() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        );
        e.causes = vec![
            "Send 'Authorization: SSWS <api token>' (mint one with `lanyard api-token create --name NAME`), or \
             'Authorization: Bearer <access token>' (or DPoP with a proof) from the org authorization server \
             (POST /oauth2/v1/token, client_credentials with private_key_jwt, okta.* scopes granted to the app)."
                .into(),
        ];
        e.challenge = Some(format!(
            "SSWS realm=\"{REALM}\", Bearer realm=\"{REALM}\", DPoP realm=\"{REALM}\" algs=\"RS256 ES256 EdDSA\""
        ).into());
        e
    }

    /// 403 E0000006: an access token without the scope the endpoint needs (named in the cause and the challenge,
    /// RFC 6750 §3.1 `insufficient_scope`).
    pub fn missing_scope(scope: &str, scheme: &str) -> Self {
        let mut e = Self::forbidden(format!(
            "The access token lacks the scope this endpoint needs: {scope} (a .manage scope includes its .read)"
        ));
        e.challenge = Some(
            format!(
                "{scheme} realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\", \
             error_description=\"The access token provided does not contain the required scopes.\""
            )
            .into(),
        );
        e
    }

    /// 403 E0000006 with one cause.
    pub fn forbidden(cause: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        );
        e.causes = vec![cause.into()];
        e
    }

    /// 404 E0000007 for a resource of `kind` (`User`, `AuthorizationServer`, …) named `id`.
    pub fn not_found(id: &str, kind: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {id} ({kind})"),
        )
    }

    pub fn not_found_path(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {path} (Resource)"),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    /// 429 E0000047.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
    }

    /// 500 E0000009, detail logged.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0000009",
            "Internal Server Error",
        )
        .with_detail(detail)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "E0000009",
                "The service is temporarily unavailable.",
            )
            .with_detail(e.to_string()),
            StoreError::InvalidInput(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "E0000001",
                "Api validation failed: a value contains a character that is not allowed.",
            )
            .with_detail(e.to_string()),
            _ => Self::internal(e.to_string()),
        }
    }
}

/// The realm of the management API's challenges.
const REALM: &str = "Lanyard management API";

/// `oae` and 22 base62 characters, like Okta's.
fn error_id() -> String {
    let mut id = String::from("oae");
    lanyard_core::id::random_base62_into(&mut id, 22, &lanyard_core::random::SystemRandom);
    id
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let id = error_id();
        if self.status.is_server_error() {
            tracing::error!(error_id = %id, code = self.code, detail = ?self.detail, "request failed");
        } else if let Some(detail) = &self.detail {
            tracing::info!(error_id = %id, code = self.code, detail = %lanyard_core::log_safe(detail), "request refused");
        }
        let causes: Vec<_> = self
            .causes
            .iter()
            .map(|c| json!({ "errorSummary": c }))
            .collect();
        let body = json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": id,
            "errorCauses": causes,
        });
        let mut r = (self.status, axum::Json(body)).into_response();
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store"),
        );
        if let Some(value) = self
            .challenge
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(seconds) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        r
    }
}
