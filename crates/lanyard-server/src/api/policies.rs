//! `/api/v1/policies`: Okta sign-on policies (`type=OKTA_SIGN_ON`) and their rules (`SIGN_ON`) — list, create,
//! read, replace, delete, activate, deactivate; `expand=rules` embeds the rules. Priorities stay dense (1, 2, …) and
//! the system Default Policy and its Default Rule stay last; they may be edited (an administrator requires MFA for
//! everyone by setting the Default Rule's `requireFactor`) but not deleted or deactivated (403 E0000006), and the
//! Default Policy keeps covering everyone. Okta's other policy types list as empty and cannot be created (400 with a
//! cause). Bodies are validated by `lanyard_core::signin::policy`, whose evaluation the sign-in runs.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::clock::okta_format;
use lanyard_core::id::{new_id, prefix};
use lanyard_core::model::group::everyone_id;
use lanyard_core::model::{LifecycleStatus, PolicyRule, SignOnPolicy};
use lanyard_core::signin::policy::{
    POLICY_TYPE, RULE_TYPE, is_policy_type, policy_conditions, policy_groups, policy_types,
    validate_policy, validate_rule,
};
use lanyard_core::syslog::Party;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use super::{invalid, lifecycle_link, rule_target};
use crate::api::openapi::{Object, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/policies",
            list,
            doc().query::<ListQuery>().list::<Object>(),
        )
        .post(
            "/policies",
            create,
            doc().query::<CreateQuery>().body::<Object>().ok::<Object>(),
        )
        .get(
            "/policies/{pid}",
            read,
            doc().query::<ReadQuery>().ok::<Object>(),
        )
        .put(
            "/policies/{pid}",
            replace,
            doc().body::<Object>().ok::<Object>(),
        )
        .delete("/policies/{pid}", delete, doc().no_content())
        .post(
            "/policies/{pid}/lifecycle/activate",
            activate,
            doc().no_content(),
        )
        .post(
            "/policies/{pid}/lifecycle/deactivate",
            deactivate,
            doc().no_content(),
        )
        .get("/policies/{pid}/rules", list_rules, doc().list::<Object>())
        .post(
            "/policies/{pid}/rules",
            create_rule,
            doc().query::<CreateQuery>().body::<Object>().ok::<Object>(),
        )
        .get(
            "/policies/{pid}/rules/{rid}",
            read_rule,
            doc().ok::<Object>(),
        )
        .put(
            "/policies/{pid}/rules/{rid}",
            replace_rule,
            doc().body::<Object>().ok::<Object>(),
        )
        .delete(
            "/policies/{pid}/rules/{rid}",
            delete_rule,
            doc().no_content(),
        )
        .post(
            "/policies/{pid}/rules/{rid}/lifecycle/activate",
            activate_rule,
            doc().no_content(),
        )
        .post(
            "/policies/{pid}/rules/{rid}/lifecycle/deactivate",
            deactivate_rule,
            doc().no_content(),
        )
}

/// 403 E0000006 for what the system policy and rule cannot undergo.
fn forbidden(detail: &str) -> ApiError {
    let mut e = ApiError::of(OktaCode::Forbidden);
    e.causes.push(detail.to_owned());
    e
}

fn policy_href(state: &AppState, id: &str) -> String {
    format!("{}/api/v1/policies/{id}", state.config.base_url)
}

fn policy_json(state: &AppState, p: &SignOnPolicy, rules: Option<&[PolicyRule]>) -> Value {
    let href = policy_href(state, &p.id);
    let allow = if p.system {
        json!(["GET", "PUT"])
    } else {
        json!(["GET", "PUT", "DELETE"])
    };
    let mut v = json!({
        "id": p.id,
        "type": POLICY_TYPE,
        "status": p.status.as_str(),
        "name": p.name,
        "description": p.description,
        "priority": p.priority,
        "system": p.system,
        "conditions": p.conditions,
        "created": okta_format(p.created),
        "lastUpdated": okta_format(p.last_updated),
        "_links": {
            "self": { "href": href, "hints": { "allow": allow } },
            "rules": { "href": format!("{href}/rules"), "hints": { "allow": ["GET", "POST"] } },
        }
    });
    if !p.system {
        let (op, link) = lifecycle_link(&href, p.status);
        v["_links"][op] = link;
    }
    if let Some(rules) = rules {
        v["_embedded"] = json!({
            "rules": rules.iter().map(|r| rule_json(state, r)).collect::<Vec<_>>()
        });
    }
    v
}

fn rule_json(state: &AppState, r: &PolicyRule) -> Value {
    let href = format!("{}/rules/{}", policy_href(state, &r.policy_id), r.id);
    let allow = if r.system {
        json!(["GET", "PUT"])
    } else {
        json!(["GET", "PUT", "DELETE"])
    };
    let mut v = json!({
        "id": r.id,
        "type": RULE_TYPE,
        "status": r.status.as_str(),
        "name": r.name,
        "priority": r.priority,
        "system": r.system,
        "conditions": r.conditions,
        "actions": r.actions,
        "created": okta_format(r.created),
        "lastUpdated": okta_format(r.last_updated),
        "_links": {
            "self": { "href": href, "hints": { "allow": allow } },
            "policy": { "href": policy_href(state, &r.policy_id) },
        }
    });
    if !r.system {
        let (op, link) = lifecycle_link(&href, r.status);
        v["_links"][op] = link;
    }
    v
}

fn policy_target(p: &SignOnPolicy) -> Party {
    Party::new(&p.id, "PolicyEntity", &p.name, &p.name)
}

/// Records an event about a policy (and one of its rules).
fn record(
    state: &AppState,
    audit: &Audit,
    event: (&str, &str),
    policy: &SignOnPolicy,
    rule: Option<&PolicyRule>,
) {
    // Every change is recorded here: this node's sign-ins see it from the next one.
    state.signon.invalidate();
    let mut e = audit
        .event(state, event.0, event.1)
        .target(policy_target(policy));
    if let Some(r) = rule {
        e = e.target(rule_target(r));
    }
    state.syslog.record(e);
}

async fn find(state: &AppState, pid: &str) -> Result<SignOnPolicy, ApiError> {
    state
        .store
        .signon_policy(pid)
        .await?
        .ok_or_else(|| ApiError::not_found(pid, "Policy"))
}

async fn find_rule(
    state: &AppState,
    pid: &str,
    rid: &str,
) -> Result<(SignOnPolicy, PolicyRule), ApiError> {
    let policy = find(state, pid).await?;
    let rule = state
        .store
        .signon_rule(pid, rid)
        .await?
        .ok_or_else(|| ApiError::not_found(rid, "PolicyRule"))?;
    Ok((policy, rule))
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct ListQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    expand: Option<String>,
}

fn wants_rules(expand: Option<&str>) -> bool {
    expand.is_some_and(|e| e.split(',').any(|x| x.trim() == "rules"))
}

async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let kind = q.kind.unwrap_or_default();
    if !is_policy_type(&kind) {
        let why = if kind.is_empty() {
            "is required"
        } else {
            "is not a policy type"
        };
        return Err(ApiError::validation(
            "type",
            vec![format!("type: {why}: one of {}", policy_types())],
        ));
    }
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(LifecycleStatus::parse(s).ok_or_else(|| {
            ApiError::validation(
                "status",
                vec![format!("status: must be ACTIVE or INACTIVE, not {s:?}")],
            )
        })?),
    };
    if kind != POLICY_TYPE {
        // Okta's other policy types: none here.
        return Ok(Json(Vec::new()));
    }
    let expand = wants_rules(q.expand.as_deref());
    let mut out = Vec::new();
    for p in state.store.signon_policies().await? {
        if status.is_some_and(|s| s != p.status) {
            continue;
        }
        let rules = if expand {
            Some(state.store.signon_rules(&p.id).await?)
        } else {
            None
        };
        out.push(policy_json(&state, &p, rules.as_deref()));
    }
    Ok(Json(out))
}

/// The causes for groups in `include` that do not exist.
async fn check_groups(state: &AppState, groups: &[String]) -> Result<Vec<String>, ApiError> {
    let mut causes = Vec::new();
    for g in groups {
        if state.store.group(g).await?.is_none() {
            causes.push(format!(
                "conditions.people.groups.include: {g:?} is not a group"
            ));
        }
    }
    Ok(causes)
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct CreateQuery {
    activate: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Query(q): Query<CreateQuery>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Response, ApiError> {
    let f = validate_policy(&body, true).map_err(invalid)?;
    let causes = check_groups(&state, &f.groups).await?;
    if !causes.is_empty() {
        return Err(ApiError::validation(
            "conditions.people.groups.include",
            causes,
        ));
    }
    let now = state.clock.now();
    let status = if q.activate.as_deref() == Some("false") {
        LifecycleStatus::Inactive
    } else {
        f.status.unwrap_or(LifecycleStatus::Active)
    };
    let policy = SignOnPolicy {
        id: new_id(prefix::POLICY, now, state.random.as_ref()),
        name: f.name,
        description: f.description,
        priority: f.priority.unwrap_or(i64::MAX),
        status,
        system: false,
        conditions: policy_conditions(&f.groups),
        created: now,
        last_updated: now,
    };
    let stored = state.store.insert_signon_policy(&policy).await?;
    record(
        &state,
        &audit,
        ("policy.lifecycle.create", "Create policy"),
        &stored,
        None,
    );
    Ok((StatusCode::OK, Json(policy_json(&state, &stored, None))).into_response())
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct ReadQuery {
    expand: Option<String>,
}

async fn read(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    Query(q): Query<ReadQuery>,
) -> Result<Json<Value>, ApiError> {
    let policy = find(&state, &pid).await?;
    let rules = if wants_rules(q.expand.as_deref()) {
        Some(state.store.signon_rules(&pid).await?)
    } else {
        None
    };
    Ok(Json(policy_json(&state, &policy, rules.as_deref())))
}

async fn save(
    state: &AppState,
    audit: &Audit,
    policy: SignOnPolicy,
    event: (&str, &str),
) -> Result<SignOnPolicy, ApiError> {
    let stored = state
        .store
        .update_signon_policy(&policy)
        .await?
        .ok_or_else(|| ApiError::not_found(&policy.id, "Policy"))?;
    record(state, audit, event, &stored, None);
    Ok(stored)
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(pid): Path<String>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let existing = find(&state, &pid).await?;
    let f = validate_policy(&body, false).map_err(invalid)?;
    let mut causes = check_groups(&state, &f.groups).await?;
    let mut groups = f.groups;
    if existing.system {
        // The Default Policy covers everyone and stays ACTIVE.
        if f.status == Some(LifecycleStatus::Inactive) {
            causes.push("status: the Default Policy cannot be deactivated".into());
        }
        if !groups.is_empty() && groups != policy_groups(&existing) {
            causes.push(
                "conditions.people.groups.include: the Default Policy applies to everyone".into(),
            );
        }
        groups = vec![everyone_id()];
    }
    if !causes.is_empty() {
        let field = causes[0].split(':').next().unwrap_or("body").to_owned();
        return Err(ApiError::validation(field, causes));
    }
    let policy = SignOnPolicy {
        name: f.name,
        description: f.description,
        priority: f.priority.unwrap_or(existing.priority),
        status: f.status.unwrap_or(existing.status),
        conditions: policy_conditions(&groups),
        last_updated: state.clock.now(),
        ..existing
    };
    let stored = save(
        &state,
        &audit,
        policy,
        ("policy.lifecycle.update", "Update policy"),
    )
    .await?;
    Ok(Json(policy_json(&state, &stored, None)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(pid): Path<String>,
) -> Result<StatusCode, ApiError> {
    let policy = find(&state, &pid).await?;
    if policy.system {
        return Err(forbidden("The Default Policy cannot be deleted."));
    }
    if !state.store.delete_signon_policy(&pid).await? {
        return Err(ApiError::not_found(&pid, "Policy"));
    }
    record(
        &state,
        &audit,
        ("policy.lifecycle.delete", "Delete policy"),
        &policy,
        None,
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: AppState,
    audit: Audit,
    pid: String,
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let existing = find(&state, &pid).await?;
    if existing.system && status == LifecycleStatus::Inactive {
        return Err(forbidden("The Default Policy cannot be deactivated."));
    }
    if existing.status != status {
        let event = match status {
            LifecycleStatus::Active => ("policy.lifecycle.activate", "Activate policy"),
            LifecycleStatus::Inactive => ("policy.lifecycle.deactivate", "Deactivate policy"),
        };
        let policy = SignOnPolicy {
            status,
            last_updated: state.clock.now(),
            ..existing
        };
        save(&state, &audit, policy, event).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn activate(
    State(state): State<AppState>,
    audit: Audit,
    Path(pid): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_status(state, audit, pid, LifecycleStatus::Active).await
}

async fn deactivate(
    State(state): State<AppState>,
    audit: Audit,
    Path(pid): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_status(state, audit, pid, LifecycleStatus::Inactive).await
}

async fn list_rules(
    State(state): State<AppState>,
    Path(pid): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    find(&state, &pid).await?;
    let rules = state.store.signon_rules(&pid).await?;
    Ok(Json(rules.iter().map(|r| rule_json(&state, r)).collect()))
}

/// The causes for excluded users that do not exist.
async fn check_users(state: &AppState, users: &[String]) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    for u in users {
        if state.store.user(u).await?.is_none() {
            causes.push(format!(
                "conditions.people.users.exclude: {u:?} is not a user"
            ));
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(
            "conditions.people.users.exclude",
            causes,
        ))
    }
}

async fn create_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path(pid): Path<String>,
    Query(q): Query<CreateQuery>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Response, ApiError> {
    let policy = find(&state, &pid).await?;
    let f = validate_rule(&body, true).map_err(invalid)?;
    check_users(&state, &f.conditions.users_exclude).await?;
    let now = state.clock.now();
    let status = if q.activate.as_deref() == Some("false") {
        LifecycleStatus::Inactive
    } else {
        f.status.unwrap_or(LifecycleStatus::Active)
    };
    let rule = PolicyRule {
        id: new_id(prefix::RULE, now, state.random.as_ref()),
        policy_id: pid.clone(),
        name: f.name,
        priority: f.priority.unwrap_or(i64::MAX),
        status,
        system: false,
        conditions: f.conditions.to_json(),
        actions: f.actions.to_json(),
        created: now,
        last_updated: now,
    };
    let stored = state
        .store
        .insert_signon_rule(&rule)
        .await?
        .ok_or_else(|| ApiError::not_found(&pid, "Policy"))?;
    record(
        &state,
        &audit,
        ("policy.rule.add", "Add policy rule"),
        &policy,
        Some(&stored),
    );
    Ok((StatusCode::OK, Json(rule_json(&state, &stored))).into_response())
}

async fn read_rule(
    State(state): State<AppState>,
    Path((pid, rid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, rule) = find_rule(&state, &pid, &rid).await?;
    Ok(Json(rule_json(&state, &rule)))
}

async fn save_rule(
    state: &AppState,
    audit: &Audit,
    policy: &SignOnPolicy,
    rule: PolicyRule,
    event: (&str, &str),
) -> Result<PolicyRule, ApiError> {
    let stored = state
        .store
        .update_signon_rule(&rule)
        .await?
        .ok_or_else(|| ApiError::not_found(&rule.id, "PolicyRule"))?;
    record(state, audit, event, policy, Some(&stored));
    Ok(stored)
}

async fn replace_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((pid, rid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let (policy, existing) = find_rule(&state, &pid, &rid).await?;
    let f = validate_rule(&body, false).map_err(invalid)?;
    if existing.system && f.status == Some(LifecycleStatus::Inactive) {
        return Err(ApiError::validation(
            "status",
            vec!["status: the Default Rule cannot be deactivated".into()],
        ));
    }
    check_users(&state, &f.conditions.users_exclude).await?;
    let rule = PolicyRule {
        name: f.name,
        priority: f.priority.unwrap_or(existing.priority),
        status: f.status.unwrap_or(existing.status),
        conditions: f.conditions.to_json(),
        actions: f.actions.to_json(),
        last_updated: state.clock.now(),
        ..existing
    };
    let stored = save_rule(
        &state,
        &audit,
        &policy,
        rule,
        ("policy.rule.update", "Update policy rule"),
    )
    .await?;
    Ok(Json(rule_json(&state, &stored)))
}

async fn delete_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((pid, rid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (policy, rule) = find_rule(&state, &pid, &rid).await?;
    if rule.system {
        return Err(forbidden("The Default Rule cannot be deleted."));
    }
    if !state.store.delete_signon_rule(&pid, &rid).await? {
        return Err(ApiError::not_found(&rid, "PolicyRule"));
    }
    record(
        &state,
        &audit,
        ("policy.rule.delete", "Delete policy rule"),
        &policy,
        Some(&rule),
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn set_rule_status(
    state: AppState,
    audit: Audit,
    (pid, rid): (String, String),
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let (policy, existing) = find_rule(&state, &pid, &rid).await?;
    if existing.system && status == LifecycleStatus::Inactive {
        return Err(forbidden("The Default Rule cannot be deactivated."));
    }
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
        save_rule(&state, &audit, &policy, rule, event).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn activate_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path(path): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set_rule_status(state, audit, path, LifecycleStatus::Active).await
}

async fn deactivate_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path(path): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set_rule_status(state, audit, path, LifecycleStatus::Inactive).await
}
