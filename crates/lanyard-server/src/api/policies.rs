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
use lanyard_core::signin::policy::{self, POLICY_TYPE, RULE_TYPE, is_policy_type, policy_types};
use lanyard_core::signin::policy_admin as ops;
use lanyard_core::signin::policy_admin::Changed;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use super::{LifecycleLinks, invalid};
use crate::api::openapi::{HintedHref, Href, Object, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/policies",
            list,
            doc().query::<ListQuery>().list::<PolicyBody>(),
        )
        .post(
            "/policies",
            create,
            doc()
                .query::<CreateQuery>()
                .body::<Object>()
                .ok::<PolicyBody>(),
        )
        .get(
            "/policies/{pid}",
            read,
            doc().query::<ReadQuery>().ok::<PolicyBody>(),
        )
        .put(
            "/policies/{pid}",
            replace,
            doc().body::<Object>().ok::<PolicyBody>(),
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
        .get(
            "/policies/{pid}/rules",
            list_rules,
            doc().list::<RuleBody>(),
        )
        .post(
            "/policies/{pid}/rules",
            create_rule,
            doc()
                .query::<CreateQuery>()
                .body::<Object>()
                .ok::<RuleBody>(),
        )
        .get(
            "/policies/{pid}/rules/{rid}",
            read_rule,
            doc().ok::<RuleBody>(),
        )
        .put(
            "/policies/{pid}/rules/{rid}",
            replace_rule,
            doc().body::<Object>().ok::<RuleBody>(),
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

/// A sign-on policy in Okta's shape (`OktaSignOnPolicy`): what `policy_json` sends.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SignOnPolicy")]
pub struct PolicyBody {
    id: String,
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["OKTA_SIGN_ON"]))]
    kind: &'static str,
    #[schemars(extend("enum" = ["ACTIVE", "INACTIVE"]))]
    status: &'static str,
    name: String,
    description: String,
    priority: i64,
    system: bool,
    /// Who it applies to. As stored: `lanyard_core::signin::policy` writes it.
    #[schemars(with = "policy::StoredPolicyConditions")]
    conditions: Value,
    created: String,
    last_updated: String,
    #[serde(rename = "_links")]
    links: PolicyLinks,
    /// The rules, with `expand=rules`.
    #[serde(rename = "_embedded", skip_serializing_if = "Option::is_none")]
    embedded: Option<EmbeddedRules>,
}

#[derive(Serialize, JsonSchema)]
pub struct PolicyLinks {
    #[serde(rename = "self")]
    this: HintedHref,
    rules: HintedHref,
    #[serde(flatten)]
    lifecycle: LifecycleLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct EmbeddedRules {
    rules: Vec<RuleBody>,
}

/// A sign-on policy's rule in Okta's shape (`OktaSignOnPolicyRule`): what `rule_json` sends.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SignOnPolicyRule")]
pub struct RuleBody {
    id: String,
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["SIGN_ON"]))]
    kind: &'static str,
    #[schemars(extend("enum" = ["ACTIVE", "INACTIVE"]))]
    status: &'static str,
    name: String,
    priority: i64,
    system: bool,
    /// As stored: `lanyard_core::signin::policy` writes it.
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
    policy: Href,
    #[serde(flatten)]
    lifecycle: LifecycleLinks,
}

/// What a system object's link allows: it is edited, never deleted.
fn allow(system: bool) -> &'static [&'static str] {
    if system {
        &["GET", "PUT"]
    } else {
        &["GET", "PUT", "DELETE"]
    }
}

fn lifecycle(href: &str, system: bool, status: LifecycleStatus) -> LifecycleLinks {
    if system {
        LifecycleLinks::default()
    } else {
        LifecycleLinks::of(href, status)
    }
}

fn policy_json(state: &AppState, p: &SignOnPolicy, rules: Option<&[PolicyRule]>) -> PolicyBody {
    let href = policy_href(state, &p.id);
    PolicyBody {
        id: p.id.clone(),
        kind: POLICY_TYPE,
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
            lifecycle: lifecycle(&href, p.system, p.status),
            this: HintedHref::new(href, allow(p.system)),
        },
        embedded: rules.map(|rules| EmbeddedRules {
            rules: rules.iter().map(|r| rule_json(state, r)).collect(),
        }),
    }
}

fn rule_json(state: &AppState, r: &PolicyRule) -> RuleBody {
    let href = format!("{}/rules/{}", policy_href(state, &r.policy_id), r.id);
    RuleBody {
        id: r.id.clone(),
        kind: RULE_TYPE,
        status: r.status.as_str(),
        name: r.name.clone(),
        priority: r.priority,
        system: r.system,
        conditions: r.conditions.clone(),
        actions: r.actions.clone(),
        created: okta_format(r.created),
        last_updated: okta_format(r.last_updated),
        links: RuleLinks {
            policy: Href::new(policy_href(state, &r.policy_id)),
            lifecycle: lifecycle(&href, r.system, r.status),
            this: HintedHref::new(href, allow(r.system)),
        },
    }
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
    /// Required: `OKTA_SIGN_ON` (Okta's other policy types list as empty).
    #[serde(rename = "type")]
    #[schemars(required)]
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
) -> Result<Json<Vec<PolicyBody>>, ApiError> {
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
) -> Result<Json<PolicyBody>, ApiError> {
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
) -> Result<Json<PolicyBody>, ApiError> {
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
) -> Result<Json<Vec<RuleBody>>, ApiError> {
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
) -> Result<Json<RuleBody>, ApiError> {
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
) -> Result<Json<RuleBody>, ApiError> {
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
