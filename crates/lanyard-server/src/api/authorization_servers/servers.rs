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
use lanyard_core::authz::servers::{system_scopes, validate_server};
use lanyard_core::crypto::SigningAlg;
use lanyard_core::id::{new_id, prefix};
use lanyard_core::model::{AuthServerKind, AuthorizationServer, LifecycleStatus};
use serde::Deserialize;
use serde_json::Value;

use super::{ServerBody, custom_server, invalid, record, server_json};
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
    let f = validate_server(&body).map_err(invalid)?;
    let now = state.clock.now();
    let server = AuthorizationServer {
        id: new_id(prefix::AUTH_SERVER, now, state.random.as_ref()),
        kind: AuthServerKind::Custom,
        name: f.name,
        description: f.description,
        audiences: f.audiences,
        status: LifecycleStatus::Active,
        signing_alg: f.signing_alg.unwrap_or(SigningAlg::RS256),
        created: now,
        last_updated: now,
    };
    state
        .store
        .insert_auth_server(&server, &system_scopes(&server.id, now))
        .await?;
    // Its keys at once; should this fail, the key schedule completes them.
    let maker = KeyMaker {
        master: state.master.clone(),
        random: state.random.clone(),
        clock: state.clock.clone(),
    };
    maker
        .ensure(state.store.as_ref(), &server.id)
        .await
        .map_err(|e| ApiError::internal(format!("keys for {}: {e}", server.id)))?;
    state.keyring.invalidate(&server.id);
    tracing::info!(auth_server = %server.id, "authorization server created");
    record(
        &state,
        &audit,
        "oauth2.as.created",
        "Create authorization server",
        &server,
        None,
    );
    let keys = state.store.keys(&server.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(server_json(&server, &keys, &state)),
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

/// Saves `server` (which exists) and drops the cached entry.
async fn save(state: &AppState, server: &AuthorizationServer) -> Result<(), ApiError> {
    if !state.store.update_auth_server(server).await? {
        return Err(ApiError::not_found(&server.id, "AuthorizationServer"));
    }
    state.keyring.invalidate(&server.id);
    Ok(())
}

/// PUT: `name`, `description` and `audiences` are replaced; the status changes only through the lifecycle calls.
async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let mut server = custom_server(&state, &id).await?;
    let f = validate_server(&body).map_err(invalid)?;
    server.name = f.name;
    server.description = f.description;
    server.audiences = f.audiences;
    if let Some(alg) = f.signing_alg {
        server.signing_alg = alg;
    }
    server.last_updated = state.clock.now();
    save(&state, &server).await?;
    record(
        &state,
        &audit,
        "oauth2.as.updated",
        "Update authorization server",
        &server,
        None,
    );
    let keys = state.store.keys(&id).await?;
    Ok(Json(server_json(&server, &keys, &state)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let server = custom_server(&state, &id).await?;
    if !state
        .store
        .delete_auth_server(&server.id, state.clock.now())
        .await?
    {
        return Err(ApiError::not_found(&id, "AuthorizationServer"));
    }
    state.keyring.invalidate(&server.id);
    tracing::info!(auth_server = %server.id, "authorization server deleted");
    record(
        &state,
        &audit,
        "oauth2.as.deleted",
        "Delete authorization server",
        &server,
        None,
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: AppState,
    audit: Audit,
    id: String,
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let mut server = custom_server(&state, &id).await?;
    if server.status != status {
        server.status = status;
        server.last_updated = state.clock.now();
        save(&state, &server).await?;
        let (kind, message) = match status {
            LifecycleStatus::Active => ("oauth2.as.activated", "Activate authorization server"),
            LifecycleStatus::Inactive => {
                ("oauth2.as.deactivated", "Deactivate authorization server")
            }
        };
        record(&state, &audit, kind, message, &server, None);
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
