//! Sessions in Okta's API: `/api/v1/sessions/me` (by the SSO cookie; no API token) and, with an API token, creating a
//! session from a session token, reading and ending sessions by id, and ending all of a user's sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::clock::okta_format;
use lanyard_core::model::Session;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use crate::api::openapi::{HintedHref, Href, Routes, doc};
use crate::session;
use crate::state::AppState;
use crate::syslog::Audit;

/// Routes that authenticate by the session cookie.
pub fn public_routes() -> Routes {
    Routes::new()
        .get("/sessions/me", me, doc().ok::<SessionBody>())
        .delete("/sessions/me", end_me, doc().no_content())
        .post(
            "/sessions/me/lifecycle/refresh",
            me,
            doc().ok::<SessionBody>(),
        )
}

/// Routes behind an API token.
pub fn routes() -> Routes {
    Routes::new()
        .post(
            "/sessions",
            create,
            doc().body::<CreateBody>().ok::<SessionBody>(),
        )
        .get("/sessions/{id}", read, doc().ok::<SessionBody>())
        .delete("/sessions/{id}", end, doc().no_content())
        .delete(
            "/users/{id}/sessions",
            end_user_sessions,
            doc().no_content(),
        )
}

/// A session in Okta's shape: what `session_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Session")]
pub struct SessionBody {
    id: String,
    user_id: String,
    login: String,
    created_at: String,
    expires_at: String,
    status: &'static str,
    last_password_verification: String,
    last_factor_verification: Option<String>,
    amr: Vec<String>,
    idp: SessionIdp,
    mfa_active: bool,
    #[serde(rename = "_links")]
    links: SessionLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct SessionIdp {
    id: &'static str,
    #[serde(rename = "type")]
    idp_type: &'static str,
}

#[derive(Serialize, JsonSchema)]
pub struct SessionLinks {
    #[serde(rename = "self")]
    this: HintedHref,
    user: Href,
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
    let mfa = s.amr.iter().any(|m| m == "mfa");
    let body = SessionBody {
        id: s.id.clone(),
        user_id: s.user_id.clone(),
        login,
        created_at: okta_format(s.created),
        expires_at: okta_format(idle_end.min(s.expires_at)),
        status: "ACTIVE",
        last_password_verification: okta_format(s.created),
        last_factor_verification: mfa.then(|| okta_format(s.created)),
        amr: s.amr.clone(),
        idp: SessionIdp {
            id: "00o",
            idp_type: "OKTA",
        },
        mfa_active: mfa,
        links: SessionLinks {
            this: HintedHref::new(
                format!("{base}/api/v1/sessions/{}", s.id),
                &["GET", "DELETE"],
            ),
            user: Href::new(format!("{base}/api/v1/users/{}", s.user_id)),
        },
    };
    Ok(serde_json::to_value(body).unwrap_or_default())
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
