//! `/api/v1/authorizationServers`: read servers, their signing keys and access policies; rotate keys.
//! (Creating and editing servers, scopes, claims and policies arrives with the authorization server issue.)

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use lanyard_core::clock::okta_format;
use lanyard_core::model::{AuthServerKind, AuthorizationServer, KeyRecord, Policy, PolicyRule};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::OktaJson;
use super::pagination::{PageQuery, list_response};
use crate::key_admin::{KeyMaker, next_rotation};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/authorizationServers", get(list))
        .route("/authorizationServers/{id}", get(read))
        .route(
            "/authorizationServers/{id}/credentials/keys",
            get(list_keys),
        )
        .route(
            "/authorizationServers/{id}/credentials/keys/{kid}",
            get(read_key),
        )
        .route(
            "/authorizationServers/{id}/credentials/lifecycle/keyRotate",
            post(rotate_keys),
        )
        .route("/authorizationServers/{id}/policies", get(list_policies))
        .route(
            "/authorizationServers/{id}/policies/{pid}",
            get(read_policy),
        )
        .route(
            "/authorizationServers/{id}/policies/{pid}/rules",
            get(list_rules),
        )
}

fn server_json(s: &AuthorizationServer, keys: &[KeyRecord], state: &AppState) -> Value {
    let base = &state.config.base_url;
    let href = format!("{base}/api/v1/authorizationServers/{}", s.id);
    let active = keys
        .iter()
        .find(|k| k.alg == s.signing_alg && k.status == lanyard_core::model::KeyStatus::Active);
    let mut signing = json!({
        "rotationMode": if state.config.key_rotation_interval.is_some() { "AUTO" } else { "MANUAL" },
        "use": "sig",
    });
    if let Some(k) = active {
        signing["kid"] = json!(k.kid);
        signing["lastRotated"] = json!(okta_format(k.activated.unwrap_or(k.created)));
    }
    if let Some(t) = next_rotation(keys, state.config.key_rotation_interval) {
        signing["nextRotation"] = json!(okta_format(t));
    }
    json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "audiences": s.audiences,
        "issuer": s.issuer(base),
        "issuerMode": "ORG_URL",
        "status": s.status.as_str(),
        "created": okta_format(s.created),
        "lastUpdated": okta_format(s.last_updated),
        "credentials": { "signing": signing },
        "_links": {
            "self": { "href": href },
            "keys": { "href": format!("{href}/credentials/keys") },
            "policies": { "href": format!("{href}/policies") },
            "metadata": [
                { "name": "oauth-authorization-server", "href": format!("{}/.well-known/oauth-authorization-server", s.issuer(base)) },
                { "name": "openid-configuration", "href": format!("{}/.well-known/openid-configuration", s.issuer(base)) }
            ]
        }
    })
}

fn key_json(k: &KeyRecord, base: &str) -> Value {
    let mut v = serde_json::to_value(&k.public_jwk).unwrap_or_else(|_| json!({}));
    v["status"] = json!(k.status.as_str());
    v["_links"] = json!({ "self": {
        "href": format!("{base}/api/v1/authorizationServers/{}/credentials/keys/{}", k.auth_server_id, k.kid),
        "hints": { "allow": ["GET"] }
    }});
    v
}

fn policy_json(p: &Policy, base: &str) -> Value {
    json!({
        "type": "OAUTH_AUTHORIZATION_POLICY",
        "id": p.id,
        "status": p.status.as_str(),
        "name": p.name,
        "description": p.description,
        "priority": p.priority,
        "system": p.system,
        "conditions": p.conditions,
        "created": okta_format(p.created),
        "lastUpdated": okta_format(p.last_updated),
        "_links": { "self": { "href": format!("{base}/api/v1/authorizationServers/{}/policies/{}", p.auth_server_id, p.id) } }
    })
}

fn rule_json(r: &PolicyRule) -> Value {
    json!({
        "type": "RESOURCE_ACCESS",
        "id": r.id,
        "status": r.status.as_str(),
        "name": r.name,
        "priority": r.priority,
        "system": r.system,
        "conditions": r.conditions,
        "actions": r.actions,
        "created": okta_format(r.created),
        "lastUpdated": okta_format(r.last_updated),
    })
}

/// A custom authorization server (the org server has no management API, as in Okta).
async fn custom_server(state: &AppState, id: &str) -> Result<AuthorizationServer, ApiError> {
    match state.store.auth_server(id).await? {
        Some(s) if s.kind == AuthServerKind::Custom => Ok(s),
        _ => Err(ApiError::not_found(id, "AuthorizationServer")),
    }
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let req = q.to_request(200, 200)?;
    let page = state
        .store
        .list_auth_servers(AuthServerKind::Custom, &req)
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

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let server = custom_server(&state, &id).await?;
    let keys = state.store.keys(&id).await?;
    Ok(Json(server_json(&server, &keys, &state)))
}

async fn list_keys(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    custom_server(&state, &id).await?;
    let keys = state.store.keys(&id).await?;
    Ok(Json(
        keys.iter()
            .map(|k| key_json(k, &state.config.base_url))
            .collect(),
    ))
}

async fn read_key(
    State(state): State<AppState>,
    Path((id, kid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    custom_server(&state, &id).await?;
    let keys = state.store.keys(&id).await?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| ApiError::not_found(&kid, "JsonWebKey"))?;
    Ok(Json(key_json(key, &state.config.base_url)))
}

#[derive(Deserialize)]
struct RotateBody {
    #[serde(rename = "use")]
    use_: Option<String>,
}

async fn rotate_keys(
    State(state): State<AppState>,
    audit: crate::syslog::Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<Option<RotateBody>>,
) -> Result<Json<Vec<Value>>, ApiError> {
    if let Some(u) = body.and_then(|b| b.use_).filter(|u| u != "sig") {
        return Err(ApiError::validation(
            "use",
            vec![format!("use: only \"sig\" keys can be rotated, not {u:?}")],
        ));
    }
    let server = custom_server(&state, &id).await?;
    let maker = KeyMaker {
        master: state.master.clone(),
        random: state.random.clone(),
        clock: state.clock.clone(),
    };
    let activated = maker
        .rotate(state.store.as_ref(), &server)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    state.keyring.invalidate(&id);
    tracing::info!(auth_server = %id, activated = ?activated, "signing keys rotated through the API");
    let target = lanyard_core::syslog::Party::new(
        &server.id,
        "AuthorizationServer",
        &server.id,
        &server.name,
    );
    let event = audit.event(
        &state,
        "oauth2.as.key.rotate",
        "Rotate authorization server signing keys",
    );
    state.syslog.record(event.target(target));
    let keys = state.store.keys(&id).await?;
    Ok(Json(
        keys.iter()
            .map(|k| key_json(k, &state.config.base_url))
            .collect(),
    ))
}

async fn list_policies(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    custom_server(&state, &id).await?;
    let policies = state.store.policies(&id).await?;
    Ok(Json(
        policies
            .iter()
            .map(|p| policy_json(p, &state.config.base_url))
            .collect(),
    ))
}

async fn read_policy(
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    custom_server(&state, &id).await?;
    let policies = state.store.policies(&id).await?;
    let p = policies
        .iter()
        .find(|p| p.id == pid)
        .ok_or_else(|| ApiError::not_found(&pid, "Policy"))?;
    Ok(Json(policy_json(p, &state.config.base_url)))
}

async fn list_rules(
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<Vec<Value>>, ApiError> {
    custom_server(&state, &id).await?;
    if !state.store.policies(&id).await?.iter().any(|p| p.id == pid) {
        return Err(ApiError::not_found(&pid, "Policy"));
    }
    let rules = state.store.policy_rules(&pid).await?;
    Ok(Json(rules.iter().map(rule_json).collect()))
}
