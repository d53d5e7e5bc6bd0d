//! The authorization endpoint. No client can be registered yet, so every request names an unknown client, and an
//! unknown client gets an error page — never a redirect (RFC 6749 §4.1.2.1).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::api::error::ApiError;
use crate::http::error_page;
use crate::state::AppState;

fn answer() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Unknown application",
        "The client_id of this sign-in request is not registered.",
    )
}

pub async fn org(State(state): State<AppState>) -> Result<Response, ApiError> {
    super::org_server(&state).await?;
    Ok(answer())
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    super::custom_server(&state, &id).await?;
    Ok(answer())
}
