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
use lanyard_core::change::{Refused, Resource};
use lanyard_core::clock::okta_format;
use lanyard_core::model::{LifecycleStatus, PolicyRule, SignOnPolicy};
use lanyard_core::signin::policy::{POLICY_TYPE, RULE_TYPE, is_policy_type, policy_types};
use lanyard_core::signin::policy_admin as ops;
use lanyard_core::signin::policy_admin::Changed;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use super::{invalid, lifecycle_link};
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

/// An operation refused, in Okta's terms: 404 E0000007, 400 E0000001 with the causes, and 403 E0000006 (the reason
/// as its cause) for what the system policy and rule cannot undergo.
fn refused(e: Refused) -> ApiError {
    match e {
        Refused::NotFound(Resource::PolicyRule, id) => ApiError::not_found(&id, "PolicyRule"),
        Refused::NotFound(_, id) => ApiError::not_found(&id, "Policy"),
        Refused::Invalid(i) => invalid(i),
        Refused::Forbidden(why) => {
            let mut e = ApiError::of(OktaCode::Forbidden);
            e.causes.push(why.to_owned());
            e
        }
        Refused::Keys(e) => ApiError::internal(e.to_string()),
        Refused::Store(e) => e.into(),
    }
}

fn env(state: &AppState) -> ops::Env<'_> {
    ops::Env {
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    }
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

/// Logs a change's event (the request's actor; the policy and the rule as targets) and drops this node's copy of
/// the policies: its sign-ins see the change from the next one.
fn record(state: &AppState, audit: &Audit, changed: &Changed) {
    let Some((kind, message)) = changed.event else {
        return;
    };
    state.signon.invalidate();
    let mut e = audit.event(state, kind, message);
    for t in changed.targets() {
        e = e.target(t);
    }
    state.syslog.record(e);
}

async fn find(state: &AppState, pid: &str) -> Result<SignOnPolicy, ApiError> {
    ops::find(state.store.as_ref(), pid).await.map_err(refused)
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
    let activate = q.activate.as_deref() != Some("false");
    let made = ops::create(state.store.as_ref(), env(&state), &body, activate)
        .await
        .map_err(refused)?;
    record(&state, &audit, &made);
    Ok((
        StatusCode::OK,
        Json(policy_json(&state, &made.policy, None)),
    )
        .into_response())
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

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(pid): Path<String>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let replaced = ops::replace(state.store.as_ref(), env(&state), &pid, &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &replaced);
    Ok(Json(policy_json(&state, &replaced.policy, None)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(pid): Path<String>,
) -> Result<StatusCode, ApiError> {
    let deleted = ops::delete(state.store.as_ref(), &pid)
        .await
        .map_err(refused)?;
    record(&state, &audit, &deleted);
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: AppState,
    audit: Audit,
    pid: String,
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let changed = ops::set_status(state.store.as_ref(), env(&state), &pid, status)
        .await
        .map_err(refused)?;
    record(&state, &audit, &changed);
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

async fn create_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path(pid): Path<String>,
    Query(q): Query<CreateQuery>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Response, ApiError> {
    let activate = q.activate.as_deref() != Some("false");
    let made = ops::create_rule(state.store.as_ref(), env(&state), &pid, &body, activate)
        .await
        .map_err(refused)?;
    record(&state, &audit, &made);
    let rule = made
        .into_rule()
        .ok_or_else(|| ApiError::internal("no rule"))?;
    Ok((StatusCode::OK, Json(rule_json(&state, &rule))).into_response())
}

async fn read_rule(
    State(state): State<AppState>,
    Path((pid, rid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, rule) = ops::find_rule(state.store.as_ref(), &pid, &rid)
        .await
        .map_err(refused)?;
    Ok(Json(rule_json(&state, &rule)))
}

async fn replace_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((pid, rid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let replaced = ops::replace_rule(state.store.as_ref(), env(&state), (&pid, &rid), &body)
        .await
        .map_err(refused)?;
    record(&state, &audit, &replaced);
    let rule = replaced
        .into_rule()
        .ok_or_else(|| ApiError::internal("no rule"))?;
    Ok(Json(rule_json(&state, &rule)))
}

async fn delete_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((pid, rid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let deleted = ops::delete_rule(state.store.as_ref(), (&pid, &rid))
        .await
        .map_err(refused)?;
    record(&state, &audit, &deleted);
    Ok(StatusCode::NO_CONTENT)
}

async fn set_rule_status(
    state: AppState,
    audit: Audit,
    (pid, rid): (String, String),
    status: LifecycleStatus,
) -> Result<StatusCode, ApiError> {
    let changed = ops::set_rule_status(state.store.as_ref(), env(&state), (&pid, &rid), status)
        .await
        .map_err(refused)?;
    record(&state, &audit, &changed);
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
