//! `/api/v1/authorizationServers/{id}/policies[/{policyId}]` and `…/policies/{policyId}/rules[/{ruleId}]`: access
//! policies and their rules — list, create, read, replace, delete, activate, deactivate. Priorities stay dense
//! (1, 2, …): a create or replace at a priority already held shifts the others down, a delete closes the gap; a
//! create without a priority goes last, a replace without one keeps its place. Bodies are validated and stored in
//! canonical form by `lanyard_core::authz::policy`, whose `evaluate` the token endpoint calls.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::authz::admin::policies as ops;
use lanyard_core::authz::policy::{self, POLICY_TYPE, RULE_TYPE};
use lanyard_core::clock::okta_format;
use lanyard_core::model::{LifecycleStatus, Policy, PolicyRule};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{custom_server, env, record, refused, server_href};
use crate::api::LifecycleLinks;
use crate::api::error::ApiError;
use crate::api::extract::OktaJson;
use crate::api::openapi::{HintedHref, Object, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/authorizationServers/{id}/policies",
            list,
            doc().list::<PolicyBody>(),
        )
        .post(
            "/authorizationServers/{id}/policies",
            create,
            doc().body::<Object>().created::<PolicyBody>(),
        )
        .get(
            "/authorizationServers/{id}/policies/{pid}",
            read,
            doc().ok::<PolicyBody>(),
        )
        .put(
            "/authorizationServers/{id}/policies/{pid}",
            replace,
            doc().body::<Object>().ok::<PolicyBody>(),
        )
        .delete(
            "/authorizationServers/{id}/policies/{pid}",
            delete,
            doc().no_content(),
        )
        .post(
            "/authorizationServers/{id}/policies/{pid}/lifecycle/activate",
            activate,
            doc().no_content(),
        )
        .post(
            "/authorizationServers/{id}/policies/{pid}/lifecycle/deactivate",
            deactivate,
            doc().no_content(),
        )
        .get(
            "/authorizationServers/{id}/policies/{pid}/rules",
            list_rules,
            doc().list::<RuleBody>(),
        )
        .post(
            "/authorizationServers/{id}/policies/{pid}/rules",
            create_rule,
            doc().body::<Object>().created::<RuleBody>(),
        )
        .get(
            "/authorizationServers/{id}/policies/{pid}/rules/{rid}",
            read_rule,
            doc().ok::<RuleBody>(),
        )
        .put(
            "/authorizationServers/{id}/policies/{pid}/rules/{rid}",
            replace_rule,
            doc().body::<Object>().ok::<RuleBody>(),
        )
        .delete(
            "/authorizationServers/{id}/policies/{pid}/rules/{rid}",
            delete_rule,
            doc().no_content(),
        )
        .post(
            "/authorizationServers/{id}/policies/{pid}/rules/{rid}/lifecycle/activate",
            activate_rule,
            doc().no_content(),
        )
        .post(
            "/authorizationServers/{id}/policies/{pid}/rules/{rid}/lifecycle/deactivate",
            deactivate_rule,
            doc().no_content(),
        )
}

/// An access policy of an authorization server in Okta's shape (`AuthorizationServerPolicy`): what `policy_json`
/// sends.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AuthorizationServerPolicy")]
pub struct PolicyBody {
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["OAUTH_AUTHORIZATION_POLICY"]))]
    kind: &'static str,
    id: String,
    #[schemars(extend("enum" = ["ACTIVE", "INACTIVE"]))]
    status: &'static str,
    name: String,
    description: String,
    priority: i64,
    system: bool,
    /// The clients it applies to. As stored: `lanyard_core::authz::policy` writes it.
    #[schemars(with = "policy::StoredPolicyConditions")]
    conditions: Value,
    created: String,
    last_updated: String,
    #[serde(rename = "_links")]
    links: PolicyLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct PolicyLinks {
    #[serde(rename = "self")]
    this: HintedHref,
    rules: HintedHref,
    #[serde(flatten)]
    lifecycle: LifecycleLinks,
}

/// A rule of an access policy in Okta's shape (`AuthorizationServerPolicyRule`): what `rule_json` sends.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AuthorizationServerPolicyRule")]
pub struct RuleBody {
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["RESOURCE_ACCESS"]))]
    kind: &'static str,
    id: String,
    #[schemars(extend("enum" = ["ACTIVE", "INACTIVE"]))]
    status: &'static str,
    name: String,
    priority: i64,
    system: bool,
    /// As stored: `lanyard_core::authz::policy` writes it.
    #[schemars(with = "policy::StoredRuleConditions")]
    conditions: Value,
    #[schemars(with = "policy::StoredActions")]
    actions: Value,
    created: String,
    last_updated: String,
    #[serde(rename = "_links")]
    links: RuleLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct RuleLinks {
    #[serde(rename = "self")]
    this: HintedHref,
    #[serde(flatten)]
    lifecycle: LifecycleLinks,
}

const ALLOW: &[&str] = &["GET", "PUT", "DELETE"];

fn policy_json(state: &AppState, p: &Policy) -> PolicyBody {
    let href = format!(
        "{}/policies/{}",
        server_href(state, &p.auth_server_id),
        p.id
    );
    PolicyBody {
        kind: POLICY_TYPE,
        id: p.id.clone(),
        status: p.status.as_str(),
        name: p.name.clone(),
        description: p.description.clone(),
        priority: p.priority,
        system: p.system,
        conditions: p.conditions.clone(),
        created: okta_format(p.created),
        last_updated: okta_format(p.last_updated),
        links: PolicyLinks {
            rules: HintedHref::new(format!("{href}/rules"), &["GET", "POST"]),
            lifecycle: LifecycleLinks::of(&href, p.status),
            this: HintedHref::new(href, ALLOW),
        },
    }
}

fn rule_json(state: &AppState, auth_server_id: &str, r: &PolicyRule) -> RuleBody {
    let href = format!(
        "{}/policies/{}/rules/{}",
        server_href(state, auth_server_id),
        r.policy_id,
        r.id
    );
    RuleBody {
        kind: RULE_TYPE,
        id: r.id.clone(),
        status: r.status.as_str(),
        name: r.name.clone(),
        priority: r.priority,
        system: r.system,
        conditions: r.conditions.clone(),
        actions: r.actions.clone(),
        created: okta_format(r.created),
        last_updated: okta_format(r.last_updated),
        links: RuleLinks {
            lifecycle: LifecycleLinks::of(&href, r.status),
            this: HintedHref::new(href, ALLOW),
        },
    }
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<PolicyBody>>, ApiError> {
    custom_server(&state, &id).await?;
    let policies = state.store.policies(&id).await?;
    Ok(Json(
        policies.iter().map(|p| policy_json(&state, p)).collect(),
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
    Ok((StatusCode::CREATED, Json(policy_json(&state, &made.item))).into_response())
}

async fn read(
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<PolicyBody>, ApiError> {
    let (_, policy) = ops::find(state.store.as_ref(), &id, &pid)
        .await
        .map_err(refused)?;
    Ok(Json(policy_json(&state, &policy)))
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<PolicyBody>, ApiError> {
    let replaced = ops::replace(state.store.as_ref(), env(&state), &id, &pid, &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &replaced);
    Ok(Json(policy_json(&state, &replaced.item)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let deleted = ops::delete(state.store.as_ref(), &id, &pid)
        .await
        .map_err(refused)?;
    record(&state, &audit, &deleted);
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: AppState,
    audit: Audit,
    (id, pid): (String, String),
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let changed = ops::set_status(state.store.as_ref(), env(&state), &id, &pid, status)
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
    Path(path): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set_status(state, audit, path, LifecycleStatus::Active).await
}

async fn deactivate(
    State(state): State<AppState>,
    audit: Audit,
    Path(path): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set_status(state, audit, path, LifecycleStatus::Inactive).await
}

async fn list_rules(
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<Vec<RuleBody>>, ApiError> {
    ops::find(state.store.as_ref(), &id, &pid)
        .await
        .map_err(refused)?;
    let rules = state.store.policy_rules(&pid).await?;
    Ok(Json(
        rules.iter().map(|r| rule_json(&state, &id, r)).collect(),
    ))
}

async fn create_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Response, ApiError> {
    let made = ops::create_rule(state.store.as_ref(), env(&state), &id, &pid, &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &made);
    Ok((
        StatusCode::CREATED,
        Json(rule_json(&state, &id, &made.item)),
    )
        .into_response())
}

async fn read_rule(
    State(state): State<AppState>,
    Path((id, pid, rid)): Path<(String, String, String)>,
) -> Result<Json<RuleBody>, ApiError> {
    let (_, rule) = ops::find_rule(state.store.as_ref(), &id, &pid, &rid)
        .await
        .map_err(refused)?;
    Ok(Json(rule_json(&state, &id, &rule)))
}

async fn replace_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid, rid)): Path<(String, String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<RuleBody>, ApiError> {
    let path = (id.as_str(), pid.as_str(), rid.as_str());
    let replaced = ops::replace_rule(state.store.as_ref(), env(&state), path, &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &replaced);
    Ok(Json(rule_json(&state, &id, &replaced.item)))
}

async fn delete_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid, rid)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let path = (id.as_str(), pid.as_str(), rid.as_str());
    let deleted = ops::delete_rule(state.store.as_ref(), path)
        .await
        .map_err(refused)?;
    record(&state, &audit, &deleted);
    Ok(StatusCode::NO_CONTENT)
}

async fn set_rule_status(
    state: AppState,
    audit: Audit,
    (id, pid, rid): (String, String, String),
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let path = (id.as_str(), pid.as_str(), rid.as_str());
    let changed = ops::set_rule_status(state.store.as_ref(), env(&state), path, status)
        .await
        .map_err(refused)?;
    if changed.event.is_some() {
        record(&state, &audit, &changed);
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn activate_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path(path): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    set_rule_status(state, audit, path, LifecycleStatus::Active).await
}

async fn deactivate_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path(path): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    set_rule_status(state, audit, path, LifecycleStatus::Inactive).await
}
