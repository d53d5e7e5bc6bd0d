//! `/api/v1/users/{id}/grants`: the scopes a user consented to on the consent page (Okta's user grants) — list,
//! read, revoke one or all. A revoked consent is asked for again at the next authorization.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lanyard_core::clock::okta_format;
use lanyard_core::model::ScopeConsent;
use lanyard_core::oauth::user_grants::{self as grants, GrantRefused};
use serde_json::{Value, json};

use super::error::ApiError;
use super::users::find as find_user;
use crate::api::openapi::{Object, Routes, doc};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get("/users/{id}/grants", list, doc().list::<Object>())
        .delete("/users/{id}/grants", revoke_all, doc().no_content())
        .get("/users/{id}/grants/{gid}", read, doc().ok::<Object>())
        .delete("/users/{id}/grants/{gid}", revoke, doc().no_content())
}

async fn grant_json(state: &AppState, c: &ScopeConsent) -> Value {
    let base = &state.config.base_url;
    let (issuer, scope_id) = match state.keyring.entry(&c.auth_server_id).await {
        Ok(Some(e)) => (
            e.server.issuer(base),
            e.rules
                .scopes
                .iter()
                .find(|s| s.name == c.scope)
                .map(|s| s.id.clone()),
        ),
        _ => (String::new(), None),
    };
    json!({
        "id": c.id,
        "status": "ACTIVE",
        "created": okta_format(c.created),
        "lastUpdated": okta_format(c.created),
        "createdBy": { "id": c.user_id, "type": "User" },
        "issuer": issuer,
        "clientId": c.client_id,
        "userId": c.user_id,
        "scopeId": scope_id.unwrap_or_else(|| c.scope.clone()),
        "source": "END_USER",
        "_embedded": { "scope": { "id": c.scope } },
        "_links": {
            "self": { "href": format!("{base}/api/v1/users/{}/grants/{}", c.user_id, c.id) },
            "user": { "href": format!("{base}/api/v1/users/{}", c.user_id) },
            "authorizationServer": { "href": format!("{base}/api/v1/authorizationServers/{}", c.auth_server_id) },
        },
    })
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = find_user(&state, &id).await?;
    let mut out = Vec::new();
    for c in state.store.user_consents(&user.id).await? {
        out.push(grant_json(&state, &c).await);
    }
    Ok(Json(Value::Array(out)))
}

/// A refusal in Okta's terms.
fn refused(e: GrantRefused, user: &str, gid: &str) -> ApiError {
    match e {
        GrantRefused::NoUser => ApiError::not_found(user, "User"),
        GrantRefused::NoGrant => ApiError::not_found(gid, "OAuth2ScopeConsentGrant"),
        GrantRefused::Store(e) => e.into(),
    }
}

async fn read(
    State(state): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, c) = grants::find(state.store.as_ref(), &id, &gid)
        .await
        .map_err(|e| refused(e, &id, &gid))?;
    Ok(Json(grant_json(&state, &c).await))
}

async fn revoke(
    State(state): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    grants::revoke(state.store.as_ref(), &id, &gid)
        .await
        .map_err(|e| refused(e, &id, &gid))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_all(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    grants::revoke_all(state.store.as_ref(), &id)
        .await
        .map_err(|e| refused(e, &id, ""))?;
    Ok(StatusCode::NO_CONTENT)
}
