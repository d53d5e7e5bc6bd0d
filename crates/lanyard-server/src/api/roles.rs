//! `/api/v1/users/{id}/roles`: assign, list, read and unassign the standard administrator roles that apply to the
//! whole org (`SUPER_ADMIN`, `ORG_ADMIN`, `READ_ONLY_ADMIN`), in Okta's shapes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lanyard_core::clock::okta_format;
use lanyard_core::directory::roles;
use lanyard_core::directory::roles::RoleRefused;
use lanyard_core::model::RoleAssignment;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use super::users::find as find_user;
use crate::api::openapi::{Href, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get("/users/{id}/roles", list, doc().list::<RoleBody>())
        .post(
            "/users/{id}/roles",
            assign,
            doc().body::<RoleIn>().created::<RoleBody>(),
        )
        .get("/users/{id}/roles/{role_id}", read, doc().ok::<RoleBody>())
        .delete("/users/{id}/roles/{role_id}", unassign, doc().no_content())
}

/// A role assignment in Okta's shape: what `role_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Role")]
pub struct RoleBody {
    id: String,
    label: &'static str,
    #[serde(rename = "type")]
    role_type: &'static str,
    status: &'static str,
    created: String,
    last_updated: String,
    assignment_type: &'static str,
    #[serde(rename = "_links")]
    links: RoleLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct RoleLinks {
    assignee: Href,
    #[serde(rename = "self")]
    this: Href,
}

/// A role assignment in Okta's shape.
pub fn role_json(r: &RoleAssignment, base: &str) -> Value {
    let user = format!("{base}/api/v1/users/{}", r.user_id);
    let body = RoleBody {
        id: r.id.clone(),
        label: r.role_type.label(),
        role_type: r.role_type.as_str(),
        status: "ACTIVE",
        created: okta_format(r.created),
        last_updated: okta_format(r.last_updated),
        assignment_type: "USER",
        links: RoleLinks {
            this: Href::new(format!("{user}/roles/{}", r.id)),
            assignee: Href::new(user),
        },
    };
    serde_json::to_value(body).unwrap_or_default()
}

#[derive(schemars::JsonSchema, Deserialize)]
struct RoleIn {
    #[serde(rename = "type")]
    role_type: Option<String>,
}

/// A refusal in Okta's terms.
fn refused(e: RoleRefused, user: &str, role_id: &str) -> ApiError {
    match e {
        RoleRefused::NoUser => ApiError::not_found(user, "User"),
        RoleRefused::InvalidType(cause) => ApiError::validation("type", vec![cause]),
        RoleRefused::AlreadyHeld(user_id, t) => ApiError::of(OktaCode::DuplicateRole)
            .with_detail(format!("{user_id} already holds {}", t.as_str())),
        RoleRefused::NoRole => ApiError::not_found(role_id, "Role"),
        RoleRefused::Store(e) => e.into(),
    }
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = find_user(&state, &id).await?;
    let roles = state.store.user_roles(&user.id).await?;
    let base = &state.config.base_url;
    Ok(Json(Value::Array(
        roles.iter().map(|r| role_json(r, base)).collect(),
    )))
}

async fn assign(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<RoleIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (user, role) = roles::assign(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.random.as_ref(),
        &id,
        body.role_type.as_deref(),
    )
    .await
    .map_err(|e| refused(e, &id, ""))?;
    tracing::info!(user = %user.id, role = role.role_type.as_str(), "role assigned");
    audit.record(&state, &[roles::granted(&user)]);
    Ok((
        StatusCode::CREATED,
        Json(role_json(&role, &state.config.base_url)),
    ))
}

async fn read(
    State(state): State<AppState>,
    Path((id, role_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let user = find_user(&state, &id).await?;
    let role = state
        .store
        .user_role(&user.id, &role_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&role_id, "Role"))?;
    Ok(Json(role_json(&role, &state.config.base_url)))
}

async fn unassign(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, role_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let user = roles::unassign(state.store.as_ref(), &id, &role_id)
        .await
        .map_err(|e| refused(e, &id, &role_id))?;
    tracing::info!(user = %user.id, role = %role_id, "role unassigned");
    audit.record(&state, &[roles::revoked(&user)]);
    Ok(StatusCode::NO_CONTENT)
}
