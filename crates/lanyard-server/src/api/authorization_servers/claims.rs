//! `/api/v1/authorizationServers/{id}/claims[/{claimId}]`: list, create, read, replace, delete custom claims.
//! What a claim means in a token is `lanyard_core::authz::claims`'s.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use lanyard_core::authz::admin::claims as ops;
use lanyard_core::model::{Claim, ClaimValueType};
use serde_json::{Value, json};

use super::{custom_server, env, record, refused, server_href};
use crate::api::error::ApiError;
use crate::api::extract::OktaJson;
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/authorizationServers/{id}/claims", get(list).post(create))
        .route(
            "/authorizationServers/{id}/claims/{cid}",
            get(read).put(replace).delete(delete),
        )
}

fn claim_json(state: &AppState, c: &Claim) -> Value {
    let mut v = json!({
        "id": c.id,
        "name": c.name,
        "status": c.status.as_str(),
        "claimType": c.claim_type.as_str(),
        "valueType": c.value_type.as_str(),
        "value": c.value,
        "alwaysIncludeInToken": c.always_include_in_token,
        "conditions": { "scopes": c.scopes },
        "system": c.system,
        "_links": { "self": {
            "href": format!("{}/claims/{}", server_href(state, &c.auth_server_id), c.id),
            "hints": { "allow": ["GET", "PUT", "DELETE"] }
        }}
    });
    if c.value_type == ClaimValueType::Groups
        && let Some(f) = c.group_filter_type
    {
        v["group_filter_type"] = json!(f.as_str());
    }
    v
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    custom_server(&state, &id).await?;
    let claims = state.store.claims(&id).await?;
    Ok(Json(claims.iter().map(|c| claim_json(&state, c)).collect()))
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
    Ok((StatusCode::CREATED, Json(claim_json(&state, &made.item))).into_response())
}

async fn read(
    State(state): State<AppState>,
    Path((id, cid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, claim) = ops::find(state.store.as_ref(), &id, &cid)
        .await
        .map_err(refused)?;
    Ok(Json(claim_json(&state, &claim)))
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, cid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let replaced = ops::replace(state.store.as_ref(), env(&state), &id, &cid, &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &replaced);
    Ok(Json(claim_json(&state, &replaced.item)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, cid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let deleted = ops::delete(state.store.as_ref(), &id, &cid)
        .await
        .map_err(refused)?;
    record(&state, &audit, &deleted);
    Ok(StatusCode::NO_CONTENT)
}
