//! `/api/v1/authorizationServers/{id}/scopes[/{scopeId}]`: list (`q` = name prefix), create, read, replace,
//! delete. System scopes (`openid`, `profile`, …) keep their name and cannot be deleted. Discovery's
//! `scopes_supported` lists the ALL_CLIENTS scopes, so every change drops the node's cached discovery document.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::authz::admin::scopes as ops;
use lanyard_core::model::{Consent, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{custom_server, env, record, refused, server_href};
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
    let made = ops::create(state.store.as_ref(), env(&state), &id, &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &made);
    Ok((StatusCode::CREATED, Json(scope_json(&state, &made.item))).into_response())
}

async fn read(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, scope) = ops::find(state.store.as_ref(), &id, &sid)
        .await
        .map_err(refused)?;
    Ok(Json(scope_json(&state, &scope)))
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, sid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let replaced = ops::replace(state.store.as_ref(), env(&state), &id, &sid, &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &replaced);
    Ok(Json(scope_json(&state, &replaced.item)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, sid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let deleted = ops::delete(state.store.as_ref(), &id, &sid)
        .await
        .map_err(refused)?;
    record(&state, &audit, &deleted);
    Ok(StatusCode::NO_CONTENT)
}
