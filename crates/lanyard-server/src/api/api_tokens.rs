//! `/api/v1/api-tokens`: list, read and revoke management API tokens (`current` names the caller's own). Tokens
//! are minted by `lanyard api-token create`, as Okta mints them in its admin console only.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use lanyard_core::api_token;
use lanyard_core::clock::okta_format;
use lanyard_core::model::ApiToken;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::auth::ApiPrincipal;
use super::error::ApiError;
use super::pagination::{PageQuery, list_response};
use crate::api::openapi::{HintedHref, Routes, doc};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/api-tokens",
            list,
            doc().query::<PageQuery>().list::<TokenBody>(),
        )
        .get("/api-tokens/{id}", read, doc().ok::<TokenBody>())
        .delete("/api-tokens/{id}", revoke, doc().no_content())
}

/// An API token's metadata (never its secret) in Okta's shape: what `token_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ApiToken")]
pub struct TokenBody {
    id: String,
    name: String,
    client_name: &'static str,
    created: String,
    last_updated: String,
    network: TokenNetwork,
    #[serde(rename = "_link")]
    link: TokenLinks,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct TokenNetwork {
    connection: &'static str,
}

#[derive(Serialize, JsonSchema)]
pub struct TokenLinks {
    #[serde(rename = "self")]
    this: HintedHref,
}

fn token_json(t: &ApiToken, base: &str) -> Value {
    let body = TokenBody {
        id: t.id.clone(),
        name: t.name.clone(),
        client_name: "Lanyard",
        created: okta_format(t.created),
        last_updated: okta_format(t.last_updated),
        network: TokenNetwork {
            connection: "ANYWHERE",
        },
        link: TokenLinks {
            this: HintedHref::new(
                format!("{base}/api/v1/api-tokens/{}", t.id),
                &["GET", "DELETE"],
            ),
        },
        user_id: t.user_id.clone(),
        expires_at: t.expires_at.map(okta_format),
        last_used: t.last_used.map(okta_format),
    };
    serde_json::to_value(body).unwrap_or_default()
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
    let revoked = api_token::revoke(state.store.as_ref(), &id, &me.token_id).await?;
    let id = revoked.ok_or_else(|| ApiError::not_found(resolve(&id, &me), "ApiToken"))?;
    tracing::info!(token_id = %id, by = %me.token_id, "API token revoked");
    let target = lanyard_core::syslog::Party::new(&id, "Token", &id, "API token");
    let (kind, message) = api_token::REVOKED;
    state
        .syslog
        .record(audit.event(&state, kind, message).target(target));
    Ok(StatusCode::NO_CONTENT)
}
