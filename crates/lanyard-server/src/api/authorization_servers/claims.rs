//! `/api/v1/authorizationServers/{id}/claims[/{claimId}]`: list, create, read, replace, delete custom claims.
//! What a claim means in a token is `lanyard_core::authz::claims`'s.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::authz::claims::{ClaimFields, validate_claim};
use lanyard_core::id::{new_id, prefix};
use lanyard_core::model::{AuthorizationServer, Claim, ClaimValueType};
use lanyard_core::store::StoreError;
use lanyard_core::syslog::Party;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{custom_server, invalid, name_taken, record, server_href};
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

fn target(c: &Claim) -> Party {
    Party::new(&c.id, "OAuth2Claim", &c.name, &c.name)
}

fn conflict_or(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => name_taken("claim of this type"),
        other => other.into(),
    }
}

/// The body, validated against the server's scope names.
async fn fields(state: &AppState, id: &str, body: &Value) -> Result<ClaimFields, ApiError> {
    let scopes: Vec<String> = state
        .store
        .scopes(id)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    validate_claim(body, &scopes).map_err(invalid)
}

async fn find(
    state: &AppState,
    id: &str,
    cid: &str,
) -> Result<(AuthorizationServer, Claim), ApiError> {
    let server = custom_server(state, id).await?;
    let claim = state
        .store
        .claim(id, cid)
        .await?
        .ok_or_else(|| ApiError::not_found(cid, "OAuth2Claim"))?;
    Ok((server, claim))
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
    let server = custom_server(&state, &id).await?;
    let f = fields(&state, &id, &body).await?;
    let now = state.clock.now();
    let claim = Claim {
        id: new_id(prefix::CLAIM, now, state.random.as_ref()),
        auth_server_id: id.clone(),
        name: f.name,
        status: f.status,
        claim_type: f.claim_type,
        value_type: f.value_type,
        value: f.value,
        always_include_in_token: f.always_include_in_token,
        scopes: f.scopes,
        group_filter_type: f.group_filter_type,
        system: false,
        created: now,
        last_updated: now,
    };
    state
        .store
        .insert_claim(&claim)
        .await
        .map_err(conflict_or)?;
    record(
        &state,
        &audit,
        "oauth2.claim.created",
        "Create OAuth 2.0 claim",
        &server,
        Some(target(&claim)),
    );
    Ok((StatusCode::CREATED, Json(claim_json(&state, &claim))).into_response())
}

async fn read(
    State(state): State<AppState>,
    Path((id, cid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, claim) = find(&state, &id, &cid).await?;
    Ok(Json(claim_json(&state, &claim)))
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, cid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let (server, existing) = find(&state, &id, &cid).await?;
    let f = fields(&state, &id, &body).await?;
    let claim = Claim {
        name: f.name,
        status: f.status,
        claim_type: f.claim_type,
        value_type: f.value_type,
        value: f.value,
        always_include_in_token: f.always_include_in_token,
        scopes: f.scopes,
        group_filter_type: f.group_filter_type,
        last_updated: state.clock.now(),
        ..existing
    };
    if !state
        .store
        .update_claim(&claim)
        .await
        .map_err(conflict_or)?
    {
        return Err(ApiError::not_found(&cid, "OAuth2Claim"));
    }
    record(
        &state,
        &audit,
        "oauth2.claim.updated",
        "Update OAuth 2.0 claim",
        &server,
        Some(target(&claim)),
    );
    Ok(Json(claim_json(&state, &claim)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, cid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (server, claim) = find(&state, &id, &cid).await?;
    if !state.store.delete_claim(&id, &cid).await? {
        return Err(ApiError::not_found(&cid, "OAuth2Claim"));
    }
    record(
        &state,
        &audit,
        "oauth2.claim.deleted",
        "Delete OAuth 2.0 claim",
        &server,
        Some(target(&claim)),
    );
    Ok(StatusCode::NO_CONTENT)
}
