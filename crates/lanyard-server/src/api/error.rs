//! Okta's error body: `errorCode`, `errorSummary`, `errorLink`, `errorId`, `errorCauses`. What a client sees is
//! the summary and causes; an internal detail goes to the log under the same `errorId`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::store::StoreError;

/// The Okta error codes this API answers with, each with its usual status and Okta's summary. An error may say
/// more than the summary (`ApiError::validation` names the field) or answer another status (an invalid state
/// token is 403 where an invalid API token is 401), but its code is always one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OktaCode {
    /// E0000001, 400: the request's values are not valid.
    ApiValidationFailed,
    /// E0000003, 400: the body is not JSON (413 when too large).
    MalformedBody,
    /// E0000004, 401: sign-in failed.
    AuthenticationFailed,
    /// E0000005, 401: no (valid) session.
    InvalidSession,
    /// E0000006, 403.
    Forbidden,
    /// E0000007, 404.
    NotFound,
    /// E0000009, 500 (503 when the database is unavailable).
    Internal,
    /// E0000011, 401 for an API token (403 for a state or recovery token).
    InvalidToken,
    /// E0000014, 403: an expired password's change refused (wrong old password).
    CredentialsUpdateFailed,
    /// E0000016, 403: activating a user who is already active.
    ActivationFailed,
    /// E0000022, 405.
    MethodNotAllowed,
    /// E0000031, 400: a `filter`, `search` or `q` that cannot be used.
    InvalidSearch,
    /// E0000032, 403: unlocking a user who is not locked out.
    UnlockNotAllowed,
    /// E0000038, 403: the user's status does not allow the operation.
    OperationNotAllowed,
    /// E0000047, 429.
    RateLimited,
    /// E0000056, 403: deleting an active app.
    DeleteAppForbidden,
    /// E0000068, 403: a wrong passcode or answer.
    InvalidPasscode,
    /// E0000090, 409: the user already holds the role.
    DuplicateRole,
}

impl OktaCode {
    /// The code as Okta writes it (`errorCode`, `errorLink`).
    pub fn as_str(self) -> &'static str {
        match self {
            OktaCode::ApiValidationFailed => "E0000001",
            OktaCode::MalformedBody => "E0000003",
            OktaCode::AuthenticationFailed => "E0000004",
            OktaCode::InvalidSession => "E0000005",
            OktaCode::Forbidden => "E0000006",
            OktaCode::NotFound => "E0000007",
            OktaCode::Internal => "E0000009",
            OktaCode::InvalidToken => "E0000011",
            OktaCode::CredentialsUpdateFailed => "E0000014",
            OktaCode::ActivationFailed => "E0000016",
            OktaCode::MethodNotAllowed => "E0000022",
            OktaCode::InvalidSearch => "E0000031",
            OktaCode::UnlockNotAllowed => "E0000032",
            OktaCode::OperationNotAllowed => "E0000038",
            OktaCode::RateLimited => "E0000047",
            OktaCode::DeleteAppForbidden => "E0000056",
            OktaCode::InvalidPasscode => "E0000068",
            OktaCode::DuplicateRole => "E0000090",
        }
    }

    /// The status the code usually answers with.
    pub fn status(self) -> StatusCode {
        match self {
            OktaCode::ApiValidationFailed | OktaCode::MalformedBody | OktaCode::InvalidSearch => {
                StatusCode::BAD_REQUEST
            }
            OktaCode::AuthenticationFailed | OktaCode::InvalidSession | OktaCode::InvalidToken => {
                StatusCode::UNAUTHORIZED
            }
            OktaCode::Forbidden
            | OktaCode::CredentialsUpdateFailed
            | OktaCode::ActivationFailed
            | OktaCode::UnlockNotAllowed
            | OktaCode::OperationNotAllowed
            | OktaCode::DeleteAppForbidden
            | OktaCode::InvalidPasscode => StatusCode::FORBIDDEN,
            OktaCode::NotFound => StatusCode::NOT_FOUND,
            OktaCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            OktaCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            OktaCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            OktaCode::DuplicateRole => StatusCode::CONFLICT,
        }
    }

    /// Okta's `errorSummary` for the code, when the error says nothing more.
    pub fn summary(self) -> &'static str {
        match self {
            OktaCode::ApiValidationFailed => "Api validation failed",
            OktaCode::MalformedBody => "The request body was not well-formed.",
            OktaCode::AuthenticationFailed => "Authentication failed",
            OktaCode::InvalidSession => "Invalid session",
            OktaCode::Forbidden => "You do not have permission to perform the requested action",
            OktaCode::NotFound => "Not found: Resource not found",
            OktaCode::Internal => "Internal Server Error",
            OktaCode::InvalidToken => "Invalid token provided",
            OktaCode::CredentialsUpdateFailed => "Update of credentials failed",
            OktaCode::ActivationFailed => "Activation failed because the user is already active",
            OktaCode::MethodNotAllowed => "The endpoint does not support the provided HTTP method",
            OktaCode::InvalidSearch => "Invalid search criteria.",
            OktaCode::UnlockNotAllowed => "Unlock is not allowed for this user.",
            OktaCode::OperationNotAllowed => {
                "This operation is not allowed in the user's current status."
            }
            OktaCode::RateLimited => "API call exceeded rate limit due to too many requests.",
            OktaCode::DeleteAppForbidden => "Delete application forbidden.",
            OktaCode::InvalidPasscode => "Invalid Passcode/Answer",
            OktaCode::DuplicateRole => "Duplicate administrator role assignment.",
        }
    }
}

impl std::fmt::Display for OktaCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: OktaCode,
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
    /// The code with its usual status and Okta's summary.
    pub fn of(code: OktaCode) -> Self {
        Self::new(code.status(), code, code.summary())
    }

    /// The code with another status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// A cause (`errorCauses`).
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    pub fn new(status: StatusCode, code: OktaCode, summary: impl Into<String>) -> Self {
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
                OktaCode::ApiValidationFailed,
                format!("Api validation failed: {}", summary.into()),
            )
        }
    }

    /// 400 E0000003: the body is not JSON, or not JSON of the expected shape at its syntax level.
    pub fn malformed_body(detail: impl Into<String>) -> Self {
        Self::of(OktaCode::MalformedBody).with_detail(detail)
    }

    pub fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            OktaCode::MalformedBody,
            "The request body was too large.",
        )
    }

    /// 401 E0000011, Okta's code and summary (the SDKs parse them), with a cause and a `WWW-Authenticate`
    /// challenge that say what to send.
    pub fn invalid_token() -> Self {
        let mut e = Self::of(OktaCode::InvalidToken);
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
        let mut e = Self::of(OktaCode::Forbidden);
        e.causes = vec![cause.into()];
        e
    }

    /// 404 E0000007 for a resource of `kind` (`User`, `AuthorizationServer`, …) named `id`.
    pub fn not_found(id: &str, kind: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            OktaCode::NotFound,
            format!("Not found: Resource not found: {id} ({kind})"),
        )
    }

    pub fn not_found_path(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            OktaCode::NotFound,
            format!("Not found: Resource not found: {path} (Resource)"),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::of(OktaCode::MethodNotAllowed)
    }

    /// 429 E0000047.
    pub fn rate_limited() -> Self {
        Self::of(OktaCode::RateLimited)
    }

    /// 500 E0000009, detail logged.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::of(OktaCode::Internal).with_detail(detail)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                OktaCode::Internal,
                "The service is temporarily unavailable.",
            )
            .with_detail(e.to_string()),
            StoreError::InvalidInput(_) => Self::new(
                StatusCode::BAD_REQUEST,
                OktaCode::ApiValidationFailed,
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
            tracing::error!(error_id = %id, code = %self.code, detail = ?self.detail, "request failed");
        } else if let Some(detail) = &self.detail {
            tracing::info!(error_id = %id, code = %self.code, detail = %lanyard_core::log_safe(detail), "request refused");
        }
        let body = super::openapi::ErrorBody {
            error_code: self.code.as_str().to_owned(),
            error_summary: self.summary,
            error_link: self.code.as_str().to_owned(),
            error_id: id,
            error_causes: self
                .causes
                .into_iter()
                .map(|c| super::openapi::ErrorCause { error_summary: c })
                .collect(),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [OktaCode; 18] = [
        OktaCode::ApiValidationFailed,
        OktaCode::MalformedBody,
        OktaCode::AuthenticationFailed,
        OktaCode::InvalidSession,
        OktaCode::Forbidden,
        OktaCode::NotFound,
        OktaCode::Internal,
        OktaCode::InvalidToken,
        OktaCode::CredentialsUpdateFailed,
        OktaCode::ActivationFailed,
        OktaCode::MethodNotAllowed,
        OktaCode::InvalidSearch,
        OktaCode::UnlockNotAllowed,
        OktaCode::OperationNotAllowed,
        OktaCode::RateLimited,
        OktaCode::DeleteAppForbidden,
        OktaCode::InvalidPasscode,
        OktaCode::DuplicateRole,
    ];

    #[test]
    fn codes_are_oktas_distinct_and_client_mistakes_are_never_5xx() {
        let mut seen = std::collections::HashSet::new();
        for code in ALL {
            let text = code.as_str();
            assert!(
                text.len() == 8
                    && text.starts_with('E')
                    && text[1..].bytes().all(|b| b.is_ascii_digit()),
                "{text}"
            );
            assert!(seen.insert(text), "{text} twice");
            assert_eq!(code.to_string(), text);
            assert!(!code.summary().is_empty());
            assert_eq!(
                code.status().is_server_error(),
                code == OktaCode::Internal,
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn the_body_carries_the_code_and_its_summary() {
        let r = ApiError::of(OktaCode::InvalidToken)
            .with_status(StatusCode::FORBIDDEN)
            .with_cause("why")
            .into_response();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let bytes = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["errorCode"], "E0000011");
        assert_eq!(body["errorLink"], "E0000011");
        assert_eq!(body["errorSummary"], "Invalid token provided");
        assert_eq!(body["errorCauses"][0]["errorSummary"], "why");
        let validation = ApiError::validation("login", vec![]);
        assert_eq!(
            (validation.status, validation.code),
            (StatusCode::BAD_REQUEST, OktaCode::ApiValidationFailed)
        );
        assert_eq!(validation.summary, "Api validation failed: login");
    }
}
