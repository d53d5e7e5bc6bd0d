//! Sessions in Okta's API: `/api/v1/sessions/me` (by the SSO cookie; no API token) and, with an API token, creating a
//! session from a session token, reading and ending sessions by id, and ending all of a user's sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::clock::okta_format;
use lanyard_core::model::Session;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use crate::api::openapi::{Object, Routes, doc};
use crate::session;
use crate::state::AppState;
use crate::syslog::Audit;

/// Routes that authenticate by the session cookie.
pub fn public_routes() -> Routes {
    Routes::new()
        .get("/sessions/me", me, doc().ok::<Object>())
        .delete("/sessions/me", end_me, doc().no_content())
        .post("/sessions/me/lifecycle/refresh", me, doc().ok::<Object>())
}

/// Routes behind an API token.
pub fn routes() -> Routes {
    Routes::new()
        .post(
            "/sessions",
            create,
            doc().body::<CreateBody>().ok::<Object>(),
        )
        .get("/sessions/{id}", read, doc().ok::<Object>())
        .delete("/sessions/{id}", end, doc().no_content())
        .delete(
            "/users/{id}/sessions",
            end_user_sessions,
            doc().no_content(),
        )
}

async fn session_json(state: &AppState, s: &Session) -> Result<Value, ApiError> {
    let base = &state.config.base_url;
    let login = state
        .store
        .user(&s.user_id)
        .await?
        .map(|u| u.login)
        .unwrap_or_default();
    let idle_end = s.last_seen + state.signin_policy.session_idle;
    Ok(json!({
        "id": s.id,
        "userId": s.user_id,
        "login": login,
        "createdAt": okta_format(s.created),
        "expiresAt": okta_format(idle_end.min(s.expires_at)),
        "status": "ACTIVE",
        "lastPasswordVerification": okta_format(s.created),
        "lastFactorVerification": s.amr.iter().any(|m| m == "mfa").then(|| okta_format(s.created)),
        "amr": s.amr,
        "idp": { "id": "00o", "type": "OKTA" },
        "mfaActive": s.amr.iter().any(|m| m == "mfa"),
        "_links": {
            "self": { "href": format!("{base}/api/v1/sessions/{}", s.id), "hints": { "allow": ["GET", "DELETE"] } },
            "user": { "href": format!("{base}/api/v1/users/{}", s.user_id) }
        }
    }))
}

fn no_session() -> ApiError {
    ApiError::not_found("me", "Session")
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let s = session::current(&state, &headers)
        .await?
        .ok_or_else(no_session)?;
    Ok(Json(session_json(&state, &s).await?))
}

async fn end_me(
    State(state): State<AppState>,
    audit: Audit,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = session::current(&state, &headers)
        .await?
        .ok_or_else(no_session)?;
    if let Some(ended) = crate::logout::end(&state, &s.id).await? {
        crate::logout::log_end(&state, &audit, &ended.user_id).await;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session::clear_cookie(&state));
    Ok(r)
}

#[derive(schemars::JsonSchema, Deserialize)]
struct CreateBody {
    #[serde(rename = "sessionToken")]
    session_token: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    OktaJson(body): OktaJson<CreateBody>,
) -> Result<Json<Value>, ApiError> {
    let token = body.session_token.unwrap_or_default();
    let (s, _) =
        session::from_session_token(&state, &token, audit.ip.clone(), audit.user_agent.clone())
            .await?
            .ok_or_else(|| {
                ApiError::of(OktaCode::InvalidSession)
                    .with_detail("unknown, used or expired session token")
            })?;
    Ok(Json(session_json(&state, &s).await?))
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = state
        .store
        .session(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(&id, "Session"))?;
    if !lanyard_core::signin::session_alive(
        s.last_seen,
        s.expires_at,
        &state.signin_policy,
        state.clock.now(),
    ) {
        return Err(ApiError::not_found(&id, "Session"));
    }
    Ok(Json(session_json(&state, &s).await?))
}

async fn end(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let s = state
        .store
        .session(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(&id, "Session"))?;
    if let Some(ended) = crate::logout::end(&state, &s.id).await? {
        crate::logout::log_end(&state, &audit, &ended.user_id).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn end_user_sessions(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = super::users::find(&state, &id).await?;
    crate::logout::end_all(&state, &user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
