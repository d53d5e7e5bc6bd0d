//! `/api/v1/authorizationServers/{id}/policies[/{policyId}]` and `…/policies/{policyId}/rules[/{ruleId}]`: access
//! policies and their rules — list, create, read, replace, delete, activate, deactivate. Priorities stay dense
//! (1, 2, …): a create or replace at a priority already held shifts the others down, a delete closes the gap; a
//! create without a priority goes last, a replace without one keeps its place. Bodies are validated and stored in
//! canonical form by `lanyard_core::authz::policy`, whose `evaluate` the token endpoint calls.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::authz::policy::{POLICY_TYPE, RULE_TYPE, validate_policy, validate_rule};
use lanyard_core::clock::okta_format;
use lanyard_core::id::{new_id, prefix};
use lanyard_core::model::{AuthorizationServer, LifecycleStatus, Policy, PolicyRule};
use lanyard_core::syslog::Party;
use serde_json::{Value, json};

use super::{custom_server, invalid, record, server_href};
use crate::api::error::ApiError;
use crate::api::extract::OktaJson;
use crate::api::openapi::{Object, Routes, doc};
use crate::api::{lifecycle_link, rule_target};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/authorizationServers/{id}/policies",
            list,
            doc().list::<Object>(),
        )
        .post(
            "/authorizationServers/{id}/policies",
            create,
            doc().body::<Object>().created::<Object>(),
        )
        .get(
            "/authorizationServers/{id}/policies/{pid}",
            read,
            doc().ok::<Object>(),
        )
        .put(
            "/authorizationServers/{id}/policies/{pid}",
            replace,
            doc().body::<Object>().ok::<Object>(),
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
            doc().list::<Object>(),
        )
        .post(
            "/authorizationServers/{id}/policies/{pid}/rules",
            create_rule,
            doc().body::<Object>().created::<Object>(),
        )
        .get(
            "/authorizationServers/{id}/policies/{pid}/rules/{rid}",
            read_rule,
            doc().ok::<Object>(),
        )
        .put(
            "/authorizationServers/{id}/policies/{pid}/rules/{rid}",
            replace_rule,
            doc().body::<Object>().ok::<Object>(),
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

fn policy_json(state: &AppState, p: &Policy) -> Value {
    let href = format!(
        "{}/policies/{}",
        server_href(state, &p.auth_server_id),
        p.id
    );
    let mut v = json!({
        "type": POLICY_TYPE,
        "id": p.id,
        "status": p.status.as_str(),
        "name": p.name,
        "description": p.description,
        "priority": p.priority,
        "system": p.system,
        "conditions": p.conditions,
        "created": okta_format(p.created),
        "lastUpdated": okta_format(p.last_updated),
        "_links": {
            "self": { "href": href, "hints": { "allow": ["GET", "PUT", "DELETE"] } },
            "rules": { "href": format!("{href}/rules"), "hints": { "allow": ["GET", "POST"] } },
        }
    });
    let (op, link) = lifecycle_link(&href, p.status);
    v["_links"][op] = link;
    v
}

fn rule_json(state: &AppState, auth_server_id: &str, r: &PolicyRule) -> Value {
    let href = format!(
        "{}/policies/{}/rules/{}",
        server_href(state, auth_server_id),
        r.policy_id,
        r.id
    );
    let mut v = json!({
        "type": RULE_TYPE,
        "id": r.id,
        "status": r.status.as_str(),
        "name": r.name,
        "priority": r.priority,
        "system": r.system,
        "conditions": r.conditions,
        "actions": r.actions,
        "created": okta_format(r.created),
        "lastUpdated": okta_format(r.last_updated),
        "_links": { "self": { "href": href, "hints": { "allow": ["GET", "PUT", "DELETE"] } } }
    });
    let (op, link) = lifecycle_link(&href, r.status);
    v["_links"][op] = link;
    v
}

fn policy_target(p: &Policy) -> Party {
    Party::new(&p.id, "Policy", &p.name, &p.name)
}

async fn find(
    state: &AppState,
    id: &str,
    pid: &str,
) -> Result<(AuthorizationServer, Policy), ApiError> {
    let server = custom_server(state, id).await?;
    let policy = state
        .store
        .policy(id, pid)
        .await?
        .ok_or_else(|| ApiError::not_found(pid, "Policy"))?;
    Ok((server, policy))
}

async fn find_rule(
    state: &AppState,
    id: &str,
    pid: &str,
    rid: &str,
) -> Result<(AuthorizationServer, PolicyRule), ApiError> {
    let (server, _) = find(state, id, pid).await?;
    let rule = state
        .store
        .policy_rule(pid, rid)
        .await?
        .ok_or_else(|| ApiError::not_found(rid, "PolicyRule"))?;
    Ok((server, rule))
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
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
    let server = custom_server(&state, &id).await?;
    let f = validate_policy(&body).map_err(invalid)?;
    let now = state.clock.now();
    let policy = Policy {
        id: new_id(prefix::POLICY, now, state.random.as_ref()),
        auth_server_id: id.clone(),
        name: f.name,
        description: f.description,
        priority: f.priority.unwrap_or(i64::MAX),
        status: f.status.unwrap_or(LifecycleStatus::Active),
        system: false,
        conditions: f.clients.to_json(),
        created: now,
        last_updated: now,
    };
    let stored = state
        .store
        .insert_policy(&policy)
        .await?
        .ok_or_else(|| ApiError::not_found(&id, "AuthorizationServer"))?;
    record(
        &state,
        &audit,
        "policy.lifecycle.create",
        "Create policy",
        &server,
        Some(policy_target(&stored)),
    );
    Ok((StatusCode::CREATED, Json(policy_json(&state, &stored))).into_response())
}

async fn read(
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, policy) = find(&state, &id, &pid).await?;
    Ok(Json(policy_json(&state, &policy)))
}

async fn save(
    state: &AppState,
    audit: &Audit,
    server: &AuthorizationServer,
    policy: Policy,
    event: (&str, &str),
) -> Result<Policy, ApiError> {
    let stored = state
        .store
        .update_policy(&policy)
        .await?
        .ok_or_else(|| ApiError::not_found(&policy.id, "Policy"))?;
    record(
        state,
        audit,
        event.0,
        event.1,
        server,
        Some(policy_target(&stored)),
    );
    Ok(stored)
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let (server, existing) = find(&state, &id, &pid).await?;
    let f = validate_policy(&body).map_err(invalid)?;
    let policy = Policy {
        name: f.name,
        description: f.description,
        priority: f.priority.unwrap_or(existing.priority),
        status: f.status.unwrap_or(existing.status),
        conditions: f.clients.to_json(),
        last_updated: state.clock.now(),
        ..existing
    };
    let stored = save(
        &state,
        &audit,
        &server,
        policy,
        ("policy.lifecycle.update", "Update policy"),
    )
    .await?;
    Ok(Json(policy_json(&state, &stored)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (server, policy) = find(&state, &id, &pid).await?;
    if !state.store.delete_policy(&id, &pid).await? {
        return Err(ApiError::not_found(&pid, "Policy"));
    }
    record(
        &state,
        &audit,
        "policy.lifecycle.delete",
        "Delete policy",
        &server,
        Some(policy_target(&policy)),
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: AppState,
    audit: Audit,
    (id, pid): (String, String),
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let (server, existing) = find(&state, &id, &pid).await?;
    if existing.status != status {
        let event = match status {
            LifecycleStatus::Active => ("policy.lifecycle.activate", "Activate policy"),
            LifecycleStatus::Inactive => ("policy.lifecycle.deactivate", "Deactivate policy"),
        };
        let policy = Policy {
            status,
            last_updated: state.clock.now(),
            ..existing
        };
        save(&state, &audit, &server, policy, event).await?;
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
) -> Result<Json<Vec<Value>>, ApiError> {
    find(&state, &id, &pid).await?;
    let rules = state.store.policy_rules(&pid).await?;
    Ok(Json(
        rules.iter().map(|r| rule_json(&state, &id, r)).collect(),
    ))
}

/// The server's scope names, which a rule's scope condition may name.
async fn scope_names(state: &AppState, id: &str) -> Result<Vec<String>, ApiError> {
    Ok(state
        .store
        .scopes(id)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect())
}

async fn create_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Response, ApiError> {
    let (server, _) = find(&state, &id, &pid).await?;
    let f = validate_rule(&body, &scope_names(&state, &id).await?).map_err(invalid)?;
    let now = state.clock.now();
    let rule = PolicyRule {
        id: new_id(prefix::RULE, now, state.random.as_ref()),
        policy_id: pid.clone(),
        name: f.name,
        priority: f.priority.unwrap_or(i64::MAX),
        status: f.status.unwrap_or(LifecycleStatus::Active),
        system: false,
        conditions: f.conditions.to_json(),
        actions: f.lifetimes.to_json(),
        created: now,
        last_updated: now,
    };
    let stored = state
        .store
        .insert_rule(&rule)
        .await?
        .ok_or_else(|| ApiError::not_found(&pid, "Policy"))?;
    record(
        &state,
        &audit,
        "policy.rule.add",
        "Add policy rule",
        &server,
        Some(rule_target(&stored)),
    );
    Ok((StatusCode::CREATED, Json(rule_json(&state, &id, &stored))).into_response())
}

async fn read_rule(
    State(state): State<AppState>,
    Path((id, pid, rid)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, rule) = find_rule(&state, &id, &pid, &rid).await?;
    Ok(Json(rule_json(&state, &id, &rule)))
}

async fn save_rule(
    state: &AppState,
    audit: &Audit,
    server: &AuthorizationServer,
    rule: PolicyRule,
    event: (&str, &str),
) -> Result<PolicyRule, ApiError> {
    let stored = state
        .store
        .update_rule(&rule)
        .await?
        .ok_or_else(|| ApiError::not_found(&rule.id, "PolicyRule"))?;
    record(
        state,
        audit,
        event.0,
        event.1,
        server,
        Some(rule_target(&stored)),
    );
    Ok(stored)
}

async fn replace_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid, rid)): Path<(String, String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let (server, existing) = find_rule(&state, &id, &pid, &rid).await?;
    let f = validate_rule(&body, &scope_names(&state, &id).await?).map_err(invalid)?;
    let rule = PolicyRule {
        name: f.name,
        priority: f.priority.unwrap_or(existing.priority),
        status: f.status.unwrap_or(existing.status),
        conditions: f.conditions.to_json(),
        actions: f.lifetimes.to_json(),
        last_updated: state.clock.now(),
        ..existing
    };
    let stored = save_rule(
        &state,
        &audit,
        &server,
        rule,
        ("policy.rule.update", "Update policy rule"),
    )
    .await?;
    Ok(Json(rule_json(&state, &id, &stored)))
}

async fn delete_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, pid, rid)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (server, rule) = find_rule(&state, &id, &pid, &rid).await?;
    if !state.store.delete_rule(&pid, &rid).await? {
        return Err(ApiError::not_found(&rid, "PolicyRule"));
    }
    record(
        &state,
        &audit,
        "policy.rule.delete",
        "Delete policy rule",
        &server,
        Some(rule_target(&rule)),
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn set_rule_status(
    state: AppState,
    audit: Audit,
    (id, pid, rid): (String, String, String),
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let (server, existing) = find_rule(&state, &id, &pid, &rid).await?;
    if existing.status != status {
        let event = match status {
            LifecycleStatus::Active => ("policy.rule.activate", "Activate policy rule"),
            LifecycleStatus::Inactive => ("policy.rule.deactivate", "Deactivate policy rule"),
        };
        let rule = PolicyRule {
            status,
            last_updated: state.clock.now(),
            ..existing
        };
        save_rule(&state, &audit, &server, rule, event).await?;
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
