//! The token endpoint. No client can be registered yet (apps arrive with the authorization server issue), so every
//! request fails client authentication, in RFC 6749 §5.2 form.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::response::Response;
use lanyard_core::oauth_error::{ErrorCode, OAuthError};

use super::error::OAuthErrorResponse;
use crate::api::error::ApiError;
use crate::state::AppState;

fn answer(body: &[u8]) -> Response {
    let has_grant =
        url::form_urlencoded::parse(body).any(|(k, v)| k == "grant_type" && !v.is_empty());
    let err = if has_grant {
        OAuthError::new(ErrorCode::InvalidClient, "Client authentication failed.")
            .with_detail("no clients are registered")
    } else {
        OAuthError::new(
            ErrorCode::InvalidRequest,
            "The grant_type parameter is missing.",
        )
    };
    OAuthErrorResponse(err).into_response()
}

pub async fn org(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    super::org_server(&state).await?;
    Ok(answer(&body))
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    super::custom_server(&state, &id).await?;
    Ok(answer(&body))
}
