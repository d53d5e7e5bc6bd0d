//! `/api/v1/authorizationServers/{id}/scopes[/{scopeId}]`: list (`q` = name prefix), create, read, replace,
//! delete. System scopes (`openid`, `profile`, …) keep their name and cannot be deleted. Discovery's
//! `scopes_supported` lists the ALL_CLIENTS scopes, so every change drops the node's cached discovery document.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::authz::scopes::validate_scope;
use lanyard_core::id::{new_id, prefix};
use lanyard_core::model::{AuthorizationServer, Consent, Scope};
use lanyard_core::store::StoreError;
use lanyard_core::syslog::Party;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{custom_server, forbidden, invalid, name_taken, record, server_href};
use crate::api::error::ApiError;
use crate::api::extract::OktaJson;
use crate::api::openapi::{HintedHref, Object, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/authorizationServers/{id}/scopes",
            list,
            doc().query::<ListQuery>().list::<ScopeBody>(),
        )
        .post(
            "/authorizationServers/{id}/scopes",
            create,
            doc().body::<Object>().created::<ScopeBody>(),
        )
        .get(
            "/authorizationServers/{id}/scopes/{sid}",
            read,
            doc().ok::<ScopeBody>(),
        )
        .put(
            "/authorizationServers/{id}/scopes/{sid}",
            replace,
            doc().body::<Object>().ok::<ScopeBody>(),
        )
        .delete(
            "/authorizationServers/{id}/scopes/{sid}",
            delete,
            doc().no_content(),
        )
}

/// A custom authorization server's scope in Okta's shape: what `scope_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "OAuth2Scope")]
pub struct ScopeBody {
    id: String,
    name: String,
    display_name: Option<String>,
    description: Option<String>,
    system: bool,
    default: bool,
    consent: &'static str,
    optional: bool,
    metadata_publish: &'static str,
    #[serde(rename = "_links")]
    links: ScopeLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct ScopeLinks {
    #[serde(rename = "self")]
    this: HintedHref,
}

fn scope_json(state: &AppState, s: &Scope) -> Value {
    let body = ScopeBody {
        id: s.id.clone(),
        name: s.name.clone(),
        display_name: s.display_name.clone(),
        description: s.description.clone(),
        system: s.system,
        default: s.default,
        consent: s.consent.as_str(),
        optional: s.consent == Consent::Flexible,
        metadata_publish: s.metadata_publish.as_str(),
        links: ScopeLinks {
            this: HintedHref::new(
                format!("{}/scopes/{}", server_href(state, &s.auth_server_id), s.id),
                &["GET", "PUT", "DELETE"],
            ),
        },
    };
    serde_json::to_value(body).unwrap_or_default()
}

fn target(s: &Scope) -> Party {
    Party::new(&s.id, "OAuth2Scope", &s.name, &s.name)
}

fn conflict_or(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => name_taken("scope"),
        other => other.into(),
    }
}

async fn find(
    state: &AppState,
    id: &str,
    sid: &str,
) -> Result<(AuthorizationServer, Scope), ApiError> {
    let server = custom_server(state, id).await?;
    let scope = state
        .store
        .scope(id, sid)
        .await?
        .ok_or_else(|| ApiError::not_found(sid, "OAuth2Scope"))?;
    Ok((server, scope))
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    custom_server(&state, &id).await?;
    let prefix = q.q.unwrap_or_default().to_lowercase();
    let scopes = state.store.scopes(&id).await?;
    Ok(Json(
        scopes
            .iter()
            .filter(|s| s.name.to_lowercase().starts_with(&prefix))
            .map(|s| scope_json(&state, s))
            .collect(),
    ))
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Response, ApiError> {
    let server = custom_server(&state, &id).await?;
    let f = validate_scope(&body).map_err(invalid)?;
    let now = state.clock.now();
    let scope = Scope {
        id: new_id(prefix::SCOPE, now, state.random.as_ref()),
        auth_server_id: id.clone(),
        name: f.name,
        display_name: f.display_name,
        description: f.description,
        consent: f.consent,
        default: f.default,
        metadata_publish: f.metadata_publish,
        system: false,
        created: now,
        last_updated: now,
    };
    state
        .store
        .insert_scope(&scope)
        .await
        .map_err(conflict_or)?;
    state.keyring.invalidate(&id);
    record(
        &state,
        &audit,
        "oauth2.scope.created",
        "Create OAuth 2.0 scope",
        &server,
        Some(target(&scope)),
    );
    Ok((StatusCode::CREATED, Json(scope_json(&state, &scope))).into_response())
}

async fn read(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, scope) = find(&state, &id, &sid).await?;
    Ok(Json(scope_json(&state, &scope)))
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, sid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let (server, existing) = find(&state, &id, &sid).await?;
    let f = validate_scope(&body).map_err(invalid)?;
    if existing.system && f.name != existing.name {
        return Err(ApiError::validation(
            "name",
            vec![format!(
                "name: {:?} is a system scope and cannot be renamed",
                existing.name
            )],
        ));
    }
    let scope = Scope {
        name: f.name,
        display_name: f.display_name,
        description: f.description,
        consent: f.consent,
        default: f.default,
        metadata_publish: f.metadata_publish,
        last_updated: state.clock.now(),
        ..existing
    };
    if !state
        .store
        .update_scope(&scope)
        .await
        .map_err(conflict_or)?
    {
        return Err(ApiError::not_found(&sid, "OAuth2Scope"));
    }
    state.keyring.invalidate(&id);
    record(
        &state,
        &audit,
        "oauth2.scope.updated",
        "Update OAuth 2.0 scope",
        &server,
        Some(target(&scope)),
    );
    Ok(Json(scope_json(&state, &scope)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, sid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (server, scope) = find(&state, &id, &sid).await?;
    if scope.system {
        return Err(forbidden("a system scope cannot be deleted"));
    }
    if !state.store.delete_scope(&id, &sid).await? {
        return Err(ApiError::not_found(&sid, "OAuth2Scope"));
    }
    state.keyring.invalidate(&id);
    record(
        &state,
        &audit,
        "oauth2.scope.deleted",
        "Delete OAuth 2.0 scope",
        &server,
        Some(target(&scope)),
    );
    Ok(StatusCode::NO_CONTENT)
}
