//! Custom authorization servers: list (`q` = name prefix, `limit`, `after`), create (with the system scopes and
//! signing keys at once), read, replace, delete, activate, deactivate. `default` is an ordinary custom server here:
//! it can be changed, deactivated and deleted, as in Okta, and a deleted `default` is not recreated at the next
//! start. Every change drops the node's cached entry, so discovery, JWKS and the OAuth endpoints follow at once
//! (other nodes within the keyring's TTL). `credentials.signing.alg` (`RS256`, the default, `ES256` or `EdDSA`; a
//! Lanyard extension) chooses the algorithm of the server's tokens; a replace without it keeps the current one.

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::authz::admin::servers as ops;
use lanyard_core::model::{AuthServerKind, LifecycleStatus};
use serde::Deserialize;
use serde_json::Value;

use super::{ServerBody, custom_server, env, record, refused, server_json};
use crate::api::error::ApiError;
use crate::api::extract::OktaJson;
use crate::api::openapi::{Object, Routes, doc};
use crate::api::pagination::{PageQuery, list_response};
use crate::key_admin::KeyMaker;
use crate::state::AppState;
use crate::syslog::Audit;

/// Okta's page size for authorization servers: 200 by default and at most.
const LIMIT: u32 = 200;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/authorizationServers",
            list,
            doc().query::<ListQuery>().list::<ServerBody>(),
        )
        .post(
            "/authorizationServers",
            create,
            doc().body::<Object>().created::<ServerBody>(),
        )
        .get("/authorizationServers/{id}", read, doc().ok::<ServerBody>())
        .put(
            "/authorizationServers/{id}",
            replace,
            doc().body::<Object>().ok::<ServerBody>(),
        )
        .delete("/authorizationServers/{id}", delete, doc().no_content())
        .post(
            "/authorizationServers/{id}/lifecycle/activate",
            activate,
            doc().no_content(),
        )
        .post(
            "/authorizationServers/{id}/lifecycle/deactivate",
            deactivate,
            doc().no_content(),
        )
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let req = q.page.to_request(LIMIT, LIMIT)?;
    let prefix = q.q.as_deref().filter(|p| !p.is_empty());
    let page = state
        .store
        .search_auth_servers(AuthServerKind::Custom, prefix, &req)
        .await?;
    let mut body = Vec::with_capacity(page.items.len());
    for s in &page.items {
        let keys = state.store.keys(&s.id).await?;
        body.push(server_json(s, &keys, &state));
    }
    Ok(list_response(
        &state.config.base_url,
        &uri,
        page.next.as_deref(),
        body,
    ))
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    OktaJson(body): OktaJson<Value>,
) -> Result<Response, ApiError> {
    let made = ops::create(
        state.store.as_ref(),
        &KeyMaker::of(&state),
        env(&state),
        &body,
    )
    .await
    .map_err(refused)?;
    let server = &made.item;
    tracing::info!(auth_server = %server.id, "authorization server created");
    record(&state, &audit, &made);
    let keys = state.store.keys(&server.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(server_json(server, &keys, &state)),
    )
        .into_response())
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let server = custom_server(&state, &id).await?;
    let keys = state.store.keys(&id).await?;
    Ok(Json(server_json(&server, &keys, &state)))
}

/// PUT: `name`, `description` and `audiences` are replaced; the status changes only through the lifecycle calls.
async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let replaced = ops::replace(state.store.as_ref(), env(&state), &id, &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &replaced);
    let keys = state.store.keys(&id).await?;
    Ok(Json(server_json(&replaced.item, &keys, &state)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let deleted = ops::delete(state.store.as_ref(), env(&state), &id)
        .await
        .map_err(refused)?;
    tracing::info!(auth_server = %deleted.server.id, "authorization server deleted");
    record(&state, &audit, &deleted);
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: AppState,
    audit: Audit,
    id: String,
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let changed = ops::set_status(state.store.as_ref(), env(&state), &id, status)
        .await
        .map_err(refused)?;
    if changed.event.is_some() {
        record(&state, &audit, &changed);
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn activate(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_status(state, audit, id, LifecycleStatus::Active).await
}

async fn deactivate(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_status(state, audit, id, LifecycleStatus::Inactive).await
}
