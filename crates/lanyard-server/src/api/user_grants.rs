//! `/api/v1/users/{id}/grants`: the scopes a user consented to on the consent page (Okta's user grants) — list,
//! read, revoke one or all. A revoked consent is asked for again at the next authorization.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lanyard_core::clock::okta_format;
use lanyard_core::model::ScopeConsent;
use lanyard_core::oauth::user_grants::{self as grants, GrantRefused};
use schemars::JsonSchema;
use serde::Serialize;

use super::error::ApiError;
use super::users::find as find_user;
use crate::api::apps::grants::CreatedBy;
use crate::api::openapi::{Href, Routes, doc};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get("/users/{id}/grants", list, doc().list::<UserGrantBody>())
        .delete("/users/{id}/grants", revoke_all, doc().no_content())
        .get(
            "/users/{id}/grants/{gid}",
            read,
            doc().ok::<UserGrantBody>(),
        )
        .delete("/users/{id}/grants/{gid}", revoke, doc().no_content())
}

/// A user's consent in Okta's shape (a user grant, source `END_USER`): what `grant_json` sends.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UserGrant")]
pub struct UserGrantBody {
    id: String,
    status: &'static str,
    created: String,
    last_updated: String,
    created_by: CreatedBy,
    /// The authorization server's issuer (empty when it is gone).
    issuer: String,
    client_id: String,
    user_id: String,
    /// The scope's id (its name when the server no longer has it).
    scope_id: String,
    #[schemars(extend("enum" = ["ADMIN", "END_USER"]))]
    source: &'static str,
    #[serde(rename = "_embedded")]
    embedded: UserGrantEmbedded,
    #[serde(rename = "_links")]
    links: UserGrantLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct UserGrantEmbedded {
    scope: ScopeName,
}

/// The scope granted, by name.
#[derive(Serialize, JsonSchema)]
pub struct ScopeName {
    id: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserGrantLinks {
    #[serde(rename = "self")]
    this: Href,
    user: Href,
    authorization_server: Href,
}

async fn grant_json(state: &AppState, c: &ScopeConsent) -> UserGrantBody {
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
    UserGrantBody {
        id: c.id.clone(),
        status: "ACTIVE",
        created: okta_format(c.created),
        last_updated: okta_format(c.created),
        created_by: CreatedBy {
            id: c.user_id.clone(),
            kind: "User",
        },
        issuer,
        client_id: c.client_id.clone(),
        user_id: c.user_id.clone(),
        scope_id: scope_id.unwrap_or_else(|| c.scope.clone()),
        source: "END_USER",
        embedded: UserGrantEmbedded {
            scope: ScopeName {
                id: c.scope.clone(),
            },
        },
        links: UserGrantLinks {
            this: Href::new(format!("{base}/api/v1/users/{}/grants/{}", c.user_id, c.id)),
            user: Href::new(format!("{base}/api/v1/users/{}", c.user_id)),
            authorization_server: Href::new(format!(
                "{base}/api/v1/authorizationServers/{}",
                c.auth_server_id
            )),
        },
    }
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<UserGrantBody>>, ApiError> {
    let user = find_user(&state, &id).await?;
    let mut out = Vec::new();
    for c in state.store.user_consents(&user.id).await? {
        out.push(grant_json(&state, &c).await);
    }
    Ok(Json(out))
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
) -> Result<Json<UserGrantBody>, ApiError> {
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
