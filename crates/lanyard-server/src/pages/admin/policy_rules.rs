//! `/admin/policies/{pid}/rules/…`: a sign-on policy's rules. An administrator who may change things adds a rule
//! (`…/rules/new`) and edits one — the users it does not apply to, access ALLOW or DENY, whether a factor is
//! required, when it is asked again and for how long it counts, the session's settings —, activates, deactivates or
//! deletes it: the Policies API's rule operations (`lanyard_core::signin::policy_admin`), fed the body the API would
//! be sent. The system Default Rule may be edited (to require a factor from everyone, say) but not deactivated or
//! deleted; the page says so.

use std::collections::HashMap;

use crate::pages::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::change::Refused;
use lanyard_core::model::{LifecycleStatus, PolicyRule, SignOnPolicy};
use lanyard_core::signin::policy::{
    Access, DEFAULT_FACTOR_LIFETIME_MINUTES, FactorPromptMode, RULE_TYPE, SignOnActions,
    stored_rule,
};
use lanyard_core::signin::policy_admin as ops;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::forms::{FieldError, Manager, done, error_for};
use super::policies::{env, invalid_fields, number, policy_refused, record};
use super::users::Button;
use super::{Admin, Chrome, when};
use crate::pages::csrf::{CsrfField, CsrfForm};
use crate::pages::{PageError, html};
use crate::state::AppState;

/// The form's fields, named as the last part of the API body's paths (so causes land next to them).
const RULE_FIELDS: &[&str] = &[
    "name",
    "priority",
    "exclude",
    "access",
    "requireFactor",
    "factorPromptMode",
    "factorLifetime",
    "rememberDeviceByDefault",
    "usePersistentCookie",
    "maxSessionIdleMinutes",
    "maxSessionLifetimeMinutes",
];

/// The rule's form as posted: checkboxes are present when ticked.
#[derive(Deserialize)]
pub struct RuleForm {
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

impl CsrfField for RuleForm {
    fn csrf(&self) -> &str {
        self.fields.get("csrf").map_or("", String::as_str)
    }
}

impl RuleForm {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |s| s.trim())
    }

    fn ticked(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The excluded users as typed: one a line (or separated by commas or spaces).
    fn excluded(&self) -> Vec<String> {
        self.get("exclude")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .take(super::servers::Posted::MAX_VALUES)
            .map(str::to_owned)
            .collect()
    }
}

/// What the form shows: a stored rule's values, or those posted.
struct Values {
    name: String,
    priority: String,
    exclude: String,
    access: String,
    require_factor: bool,
    factor_prompt_mode: String,
    factor_lifetime: String,
    remember_device: bool,
    persistent_cookie: bool,
    idle: String,
    lifetime: String,
}

impl Values {
    fn new() -> Self {
        Self::of_actions(String::new(), String::new(), String::new(), {
            let mut a = SignOnActions::default_rule();
            a.session.max_session_lifetime_minutes = 0;
            a
        })
    }

    fn of_actions(name: String, priority: String, exclude: String, a: SignOnActions) -> Self {
        Values {
            name,
            priority,
            exclude,
            access: a.access.as_str().to_owned(),
            require_factor: a.require_factor,
            factor_prompt_mode: a
                .factor_prompt_mode
                .unwrap_or(FactorPromptMode::Always)
                .as_str()
                .to_owned(),
            factor_lifetime: a
                .factor_lifetime
                .unwrap_or(DEFAULT_FACTOR_LIFETIME_MINUTES)
                .to_string(),
            remember_device: a.remember_device_by_default,
            persistent_cookie: a.session.use_persistent_cookie,
            idle: a.session.max_session_idle_minutes.to_string(),
            lifetime: a.session.max_session_lifetime_minutes.to_string(),
        }
    }

    fn posted(f: &RuleForm) -> Self {
        Values {
            name: f.get("name").to_owned(),
            priority: f.get("priority").to_owned(),
            exclude: f.get("exclude").to_owned(),
            access: f.get("access").to_owned(),
            require_factor: f.ticked("requireFactor"),
            factor_prompt_mode: f.get("factorPromptMode").to_owned(),
            factor_lifetime: f.get("factorLifetime").to_owned(),
            remember_device: f.ticked("rememberDeviceByDefault"),
            persistent_cookie: f.ticked("usePersistentCookie"),
            idle: f.get("maxSessionIdleMinutes").to_owned(),
            lifetime: f.get("maxSessionLifetimeMinutes").to_owned(),
        }
    }
}

/// The body `POST`/`PUT /api/v1/policies/{pid}/rules…` would be sent; `excluded`: the users' ids. A system rule's
/// priority is not the form's (it stays last).
fn body(f: &RuleForm, excluded: Vec<String>, system: bool) -> Value {
    let mut signon = Map::new();
    signon.insert("access".into(), json!(f.get("access")));
    let factor = f.ticked("requireFactor");
    signon.insert("requireFactor".into(), json!(factor));
    if factor {
        signon.insert("factorPromptMode".into(), json!(f.get("factorPromptMode")));
        if let Some(n) = number(f.get("factorLifetime")) {
            signon.insert("factorLifetime".into(), n);
        }
    }
    signon.insert(
        "rememberDeviceByDefault".into(),
        json!(f.ticked("rememberDeviceByDefault")),
    );
    let mut session = Map::new();
    session.insert(
        "usePersistentCookie".into(),
        json!(f.ticked("usePersistentCookie")),
    );
    for k in ["maxSessionIdleMinutes", "maxSessionLifetimeMinutes"] {
        if let Some(n) = number(f.get(k)) {
            session.insert(k.into(), n);
        }
    }
    signon.insert("session".into(), Value::Object(session));
    let mut b = Map::new();
    b.insert("type".into(), json!(RULE_TYPE));
    b.insert("name".into(), json!(f.get("name")));
    if !system && let Some(p) = number(f.get("priority")) {
        b.insert("priority".into(), p);
    }
    b.insert(
        "conditions".into(),
        json!({ "people": { "users": { "exclude": excluded } } }),
    );
    b.insert("actions".into(), json!({ "signon": signon }));
    Value::Object(b)
}

/// The excluded users' ids: a username typed is looked up (an id, or anything else, is passed on for the core to
/// check).
async fn excluded_ids(state: &AppState, f: &RuleForm) -> Result<Vec<String>, PageError> {
    let mut out = Vec::new();
    for u in f.excluded() {
        match state.store.user_by_login(&u).await? {
            Some(user) => out.push(user.id),
            None => out.push(u),
        }
    }
    Ok(out)
}

/// The stored rule's excluded users, by username where they still exist.
async fn excluded_logins(state: &AppState, ids: &[String]) -> Result<String, PageError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match state.store.user(id).await? {
            Some(u) => out.push(u.login),
            None => out.push(id.clone()),
        }
    }
    Ok(out.join("\n"))
}

struct RuleView {
    id: String,
    status: &'static str,
    active: bool,
    system: bool,
    created: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "admin/signon-rule.html")]
struct RulePage {
    c: Chrome,
    policy_id: String,
    policy_name: String,
    /// None: the new rule form.
    rule: Option<RuleView>,
    v: Values,
    accesses: [&'static str; 2],
    modes: [&'static str; 3],
    errors: Vec<FieldError>,
}

impl RulePage {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }

    fn is_system(&self) -> bool {
        self.rule.as_ref().is_some_and(|r| r.system)
    }

    /// `aria-describedby`/`aria-invalid` of field `name`, when refused.
    fn invalid(&self, name: &str) -> String {
        if self.error(name).is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"e-{name}\"")
        } else {
            String::new()
        }
    }
}

fn render(
    state: &AppState,
    admin: &Admin,
    policy: &SignOnPolicy,
    rule: Option<&PolicyRule>,
    v: Values,
    errors: Vec<FieldError>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    admin.respond(html(
        status,
        RulePage {
            c: Chrome::new(state, admin, "policies"),
            policy_id: policy.id.clone(),
            policy_name: policy.name.clone(),
            rule: rule.map(|r| RuleView {
                id: r.id.clone(),
                status: r.status.as_str(),
                active: r.status == LifecycleStatus::Active,
                system: r.system,
                created: when(r.created),
                updated: when(r.last_updated),
            }),
            v,
            accesses: [Access::Allow.as_str(), Access::Deny.as_str()],
            modes: [
                FactorPromptMode::Always.as_str(),
                FactorPromptMode::Session.as_str(),
                FactorPromptMode::Device.as_str(),
            ],
            errors,
        }
        .render(),
    ))
}

fn back(pid: &str) -> String {
    format!("/admin/policies/{pid}")
}

/// The new rule form: only for an administrator who may change things.
pub async fn new_form(
    m: Manager,
    State(state): State<AppState>,
    Path(pid): Path<String>,
) -> Result<Response, PageError> {
    let policy = ops::find(state.store.as_ref(), &pid)
        .await
        .map_err(|e| policy_refused(e, "/admin/policies"))?;
    Ok(render(
        &state,
        &m.admin,
        &policy,
        None,
        Values::new(),
        Vec::new(),
    ))
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    Path(pid): Path<String>,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> Result<Response, PageError> {
    let store = state.store.as_ref();
    let policy = ops::find(store, &pid)
        .await
        .map_err(|e| policy_refused(e, "/admin/policies"))?;
    let b = body(&form, excluded_ids(&state, &form).await?, false);
    match ops::create_rule(store, env(&state), &pid, &b, true).await {
        Ok(made) => {
            record(&state, &m.audit, &made);
            Ok(done(&back(&pid), "rule-created"))
        }
        Err(Refused::Invalid(i)) => {
            let errors = invalid_fields(&i, RULE_FIELDS);
            Ok(render(
                &state,
                &m.admin,
                &policy,
                None,
                Values::posted(&form),
                errors,
            ))
        }
        Err(e) => Err(policy_refused(e, &back(&pid))),
    }
}

pub async fn detail(
    admin: Admin,
    State(state): State<AppState>,
    Path((pid, rid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (policy, rule) = ops::find_rule(state.store.as_ref(), &pid, &rid)
        .await
        .map_err(|e| policy_refused(e, &back(&pid)))?;
    let v = match stored_rule(&rule) {
        Some((c, a)) => Values::of_actions(
            rule.name.clone(),
            rule.priority.to_string(),
            excluded_logins(&state, &c.users_exclude).await?,
            a,
        ),
        None => Values {
            name: rule.name.clone(),
            priority: rule.priority.to_string(),
            ..Values::new()
        },
    };
    Ok(render(&state, &admin, &policy, Some(&rule), v, Vec::new()))
}

pub async fn update(
    m: Manager,
    State(state): State<AppState>,
    Path((pid, rid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> Result<Response, PageError> {
    let store = state.store.as_ref();
    let (policy, rule) = ops::find_rule(store, &pid, &rid)
        .await
        .map_err(|e| policy_refused(e, &back(&pid)))?;
    let b = body(&form, excluded_ids(&state, &form).await?, rule.system);
    match ops::replace_rule(store, env(&state), (&pid, &rid), &b).await {
        Ok(changed) => {
            record(&state, &m.audit, &changed);
            Ok(done(&back(&pid), "rule-saved"))
        }
        Err(Refused::Invalid(i)) => {
            let errors = invalid_fields(&i, RULE_FIELDS);
            Ok(render(
                &state,
                &m.admin,
                &policy,
                Some(&rule),
                Values::posted(&form),
                errors,
            ))
        }
        Err(e) => Err(policy_refused(e, &back(&pid))),
    }
}

pub async fn lifecycle(
    m: Manager,
    State(state): State<AppState>,
    Path((pid, rid, op)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let to = back(&pid);
    let (status, key) = match op.as_str() {
        "activate" => (LifecycleStatus::Active, "rule-activated"),
        "deactivate" => (LifecycleStatus::Inactive, "rule-deactivated"),
        _ => return Err(PageError::not_found().with_link(to, "Back to the policy")),
    };
    let changed = ops::set_rule_status(state.store.as_ref(), env(&state), (&pid, &rid), status)
        .await
        .map_err(|e| policy_refused(e, &to))?;
    record(&state, &m.audit, &changed);
    Ok(done(&to, key))
}

pub async fn delete(
    m: Manager,
    State(state): State<AppState>,
    Path((pid, rid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let to = back(&pid);
    let gone = ops::delete_rule(state.store.as_ref(), (&pid, &rid))
        .await
        .map_err(|e| policy_refused(e, &to))?;
    record(&state, &m.audit, &gone);
    Ok(done(&to, "rule-deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> RuleForm {
        RuleForm {
            fields: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn the_form_makes_the_api_body() {
        let f = form(&[
            ("name", "MFA"),
            ("priority", "1"),
            ("exclude", "ada@example.com\r\n00u2, 00u3"),
            ("access", "ALLOW"),
            ("requireFactor", "on"),
            ("factorPromptMode", "SESSION"),
            ("factorLifetime", ""),
            ("maxSessionIdleMinutes", "sixty"),
            ("maxSessionLifetimeMinutes", "0"),
        ]);
        assert_eq!(f.excluded(), ["ada@example.com", "00u2", "00u3"]);
        let b = body(&f, vec!["00u1".into()], false);
        assert_eq!(b["priority"], 1);
        assert_eq!(
            b["conditions"]["people"]["users"]["exclude"],
            json!(["00u1"])
        );
        let s = &b["actions"]["signon"];
        assert_eq!(s["requireFactor"], true);
        assert_eq!(s["factorPromptMode"], "SESSION");
        assert!(s.get("factorLifetime").is_none());
        assert_eq!(s["session"]["maxSessionIdleMinutes"], "sixty");
        assert_eq!(s["session"]["usePersistentCookie"], false);
        // No factor: no prompt mode; a system rule keeps its priority.
        let plain = body(
            &form(&[("name", "x"), ("priority", "1"), ("access", "DENY")]),
            vec![],
            true,
        );
        assert!(plain.get("priority").is_none());
        assert!(plain["actions"]["signon"].get("factorPromptMode").is_none());
        assert_eq!(plain["actions"]["signon"]["requireFactor"], false);
    }
}
