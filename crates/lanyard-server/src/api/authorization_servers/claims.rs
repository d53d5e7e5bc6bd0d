//! `/api/v1/authorizationServers/{id}/claims[/{claimId}]`: list, create, read, replace, delete custom claims.
//! What a claim means in a token is `lanyard_core::authz::claims`'s.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::authz::admin::claims as ops;
use lanyard_core::model::{Claim, ClaimValueType};
use schemars::JsonSchema;
use serde::Serialize;
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
            "/authorizationServers/{id}/claims",
            list,
            doc().list::<ClaimBody>(),
        )
        .post(
            "/authorizationServers/{id}/claims",
            create,
            doc().body::<Object>().created::<ClaimBody>(),
        )
        .get(
            "/authorizationServers/{id}/claims/{cid}",
            read,
            doc().ok::<ClaimBody>(),
        )
        .put(
            "/authorizationServers/{id}/claims/{cid}",
            replace,
            doc().body::<Object>().ok::<ClaimBody>(),
        )
        .delete(
            "/authorizationServers/{id}/claims/{cid}",
            delete,
            doc().no_content(),
        )
}

/// A custom authorization server's claim in Okta's shape: what `claim_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "OAuth2Claim")]
pub struct ClaimBody {
    id: String,
    name: String,
    status: &'static str,
    claim_type: &'static str,
    value_type: &'static str,
    value: String,
    always_include_in_token: bool,
    conditions: ClaimConditions,
    system: bool,
    /// For a `GROUPS` claim: how `value` matches group names.
    #[serde(rename = "group_filter_type", skip_serializing_if = "Option::is_none")]
    group_filter_type: Option<&'static str>,
    #[serde(rename = "_links")]
    links: ClaimLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct ClaimConditions {
    scopes: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct ClaimLinks {
    #[serde(rename = "self")]
    this: HintedHref,
}

fn claim_json(state: &AppState, c: &Claim) -> Value {
    let body = ClaimBody {
        id: c.id.clone(),
        name: c.name.clone(),
        status: c.status.as_str(),
        claim_type: c.claim_type.as_str(),
        value_type: c.value_type.as_str(),
        value: c.value.clone(),
        always_include_in_token: c.always_include_in_token,
        conditions: ClaimConditions {
            scopes: c.scopes.clone(),
        },
        system: c.system,
        group_filter_type: c
            .group_filter_type
            .filter(|_| c.value_type == ClaimValueType::Groups)
            .map(|f| f.as_str()),
        links: ClaimLinks {
            this: HintedHref::new(
                format!("{}/claims/{}", server_href(state, &c.auth_server_id), c.id),
                &["GET", "PUT", "DELETE"],
            ),
        },
    };
    serde_json::to_value(body).unwrap_or_default()
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
