//! `/api/v1/api-tokens`: list, read and revoke management API tokens (`current` names the caller's own). Tokens
//! are minted by `lanyard api-token create`, as Okta mints them in its admin console only.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use lanyard_core::clock::okta_format;
use lanyard_core::model::ApiToken;
use serde_json::{Value, json};

use super::auth::ApiPrincipal;
use super::error::ApiError;
use super::pagination::{PageQuery, list_response};
use crate::api::openapi::{Object, Routes, doc};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/api-tokens",
            list,
            doc().query::<PageQuery>().list::<Object>(),
        )
        .get("/api-tokens/{id}", read, doc().ok::<Object>())
        .delete("/api-tokens/{id}", revoke, doc().no_content())
}

fn token_json(t: &ApiToken, base: &str) -> Value {
    let mut v = json!({
        "id": t.id,
        "name": t.name,
        "clientName": "Lanyard",
        "created": okta_format(t.created),
        "lastUpdated": okta_format(t.last_updated),
        "network": { "connection": "ANYWHERE" },
        "_link": { "self": { "href": format!("{base}/api/v1/api-tokens/{}", t.id), "hints": { "allow": ["GET", "DELETE"] } } }
    });
    if let Some(user) = &t.user_id {
        v["userId"] = json!(user);
    }
    if let Some(exp) = t.expires_at {
        v["expiresAt"] = json!(okta_format(exp));
    }
    if let Some(used) = t.last_used {
        v["lastUsed"] = json!(okta_format(used));
    }
    v
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let req = q.to_request(20, 200)?;
    let page = state.store.list_api_tokens(&req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|t| token_json(t, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}

fn resolve<'a>(id: &'a str, me: &'a ApiPrincipal) -> &'a str {
    if id == "current" { &me.token_id } else { id }
}

async fn read(
    State(state): State<AppState>,
    Extension(me): Extension<ApiPrincipal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = resolve(&id, &me);
    let token = state
        .store
        .api_token(id)
        .await?
        .ok_or_else(|| ApiError::not_found(id, "ApiToken"))?;
    Ok(Json(token_json(&token, &state.config.base_url)))
}

async fn revoke(
    State(state): State<AppState>,
    audit: crate::syslog::Audit,
    Extension(me): Extension<ApiPrincipal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = resolve(&id, &me);
    if state.store.delete_api_token(id).await? {
        tracing::info!(token_id = %id, by = %me.token_id, "API token revoked");
        let target = lanyard_core::syslog::Party::new(id, "Token", id, "API token");
        state.syslog.record(
            audit
                .event(&state, "system.api_token.revoke", "Revoke API token")
                .target(target),
        );
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(id, "ApiToken"))
    }
}
