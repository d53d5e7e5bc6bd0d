//! `/admin/policies`: the org's sign-on policies (`OKTA_SIGN_ON`) in the order a sign-in evaluates them, each with
//! its rules — the same records `/api/v1/policies?type=OKTA_SIGN_ON&expand=rules` answers; `/admin/policies/{pid}`:
//! a policy and its rules. An administrator who may change things creates a policy (`/admin/policies/new`), edits
//! its name, description, groups and priority, activates, deactivates or deletes it: the Policies API's operations
//! (`lanyard_core::signin::policy_admin`), fed the body the API would be sent, so the same rules refuse the same
//! things, next to the form's fields. The system Default Policy may be edited but covers everyone, stays last, and
//! cannot be deactivated or deleted (the page says so). Its rules are `policy_rules.rs`.

use std::collections::HashMap;

use crate::pages::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::authz::Invalid;
use lanyard_core::change::{Refused, Resource};
use lanyard_core::model::{LifecycleStatus, PageRequest, PolicyRule, SignOnPolicy};
use lanyard_core::signin::policy::{POLICY_TYPE, policy_groups, stored_rule};
use lanyard_core::signin::policy_admin::{self as ops, Changed};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::forms::{FieldError, Manager, done, error_for, refused};
use super::users::Button;
use super::{Admin, Chrome, when};
use crate::pages::csrf::{CsrfField, CsrfForm};
use crate::pages::{PageError, html};
use crate::state::AppState;
use crate::syslog::Audit;

/// Groups offered on a policy's form.
const GROUPS_SHOWN: u32 = 200;

/// A rule as the policy pages list it.
pub struct RuleLine {
    pub id: String,
    pub name: String,
    pub priority: i64,
    pub status: &'static str,
    pub system: bool,
    /// What it does, in words: access, factor, session.
    pub summary: String,
    pub excluded: usize,
}

impl RuleLine {
    fn of(r: &PolicyRule) -> Self {
        let (summary, excluded) = match stored_rule(r) {
            Some((c, a)) => {
                let mut s = a.access.as_str().to_owned();
                if a.require_factor {
                    let mode = a.factor_prompt_mode.map_or("ALWAYS", |m| m.as_str());
                    s.push_str(&format!(", factor required ({mode})"));
                }
                s.push_str(&format!(
                    ", session idle {} min, lifetime {}",
                    a.session.max_session_idle_minutes,
                    match a.session.max_session_lifetime_minutes {
                        0 => "unlimited".to_owned(),
                        n => format!("{n} min"),
                    }
                ));
                (s, c.users_exclude.len())
            }
            None => ("(not understood: it matches no one)".to_owned(), 0),
        };
        RuleLine {
            id: r.id.clone(),
            name: r.name.clone(),
            priority: r.priority,
            status: r.status.as_str(),
            system: r.system,
            summary,
            excluded,
        }
    }
}

struct PolicyLine {
    id: String,
    name: String,
    description: String,
    priority: i64,
    status: &'static str,
    system: bool,
    groups: String,
    rules: Vec<RuleLine>,
}

#[derive(Template)]
#[template(path = "admin/policies.html")]
struct Policies {
    c: Chrome,
    policies: Vec<PolicyLine>,
}

/// Group names by id, for the pages.
async fn group_names(state: &AppState) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .store
        .list_groups(None, &PageRequest::first(GROUPS_SHOWN))
        .await?
        .items
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect())
}

fn name_of(names: &[(String, String)], id: &str) -> String {
    names
        .iter()
        .find(|(g, _)| g == id)
        .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
}

pub async fn page(admin: Admin, State(state): State<AppState>) -> Result<Response, PageError> {
    let store = state.store.as_ref();
    let names = group_names(&state).await?;
    let mut listed = store.signon_policies().await?;
    listed.sort_by_key(|p| p.priority);
    let mut policies = Vec::with_capacity(listed.len());
    for p in listed {
        let mut rules = store.signon_rules(&p.id).await?;
        rules.sort_by_key(|r| r.priority);
        policies.push(PolicyLine {
            groups: policy_groups(&p)
                .iter()
                .map(|g| name_of(&names, g))
                .collect::<Vec<_>>()
                .join(", "),
            id: p.id,
            name: p.name,
            description: p.description,
            priority: p.priority,
            status: p.status.as_str(),
            system: p.system,
            rules: rules.iter().map(RuleLine::of).collect(),
        });
    }
    Ok(admin.page(
        Policies {
            c: Chrome::new(&state, &admin, "policies"),
            policies,
        }
        .render(),
    ))
}

/// A group offered on the form, and whether the policy covers it.
struct GroupBox {
    id: String,
    name: String,
    checked: bool,
}

/// The policy's form as posted: the CSRF field, `name`, `description`, `priority`, and `group.<id>` per group
/// chosen.
#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

impl CsrfField for PolicyForm {
    fn csrf(&self) -> &str {
        self.fields.get("csrf").map_or("", String::as_str)
    }
}

impl PolicyForm {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |s| s.trim())
    }

    fn groups(&self) -> Vec<String> {
        let mut g: Vec<String> = self
            .fields
            .keys()
            .filter_map(|k| k.strip_prefix("group."))
            .map(str::to_owned)
            .collect();
        g.sort();
        g
    }

    /// The body `POST`/`PUT /api/v1/policies` would be sent. A system policy's groups are not the form's (it covers
    /// everyone) nor is its priority (it stays last).
    fn body(&self, system: bool) -> Value {
        let mut b = Map::new();
        b.insert("type".into(), json!(POLICY_TYPE));
        b.insert("name".into(), json!(self.get("name")));
        b.insert("description".into(), json!(self.get("description")));
        if !system {
            if let Some(p) = number(self.get("priority")) {
                b.insert("priority".into(), p);
            }
            b.insert(
                "conditions".into(),
                json!({ "people": { "groups": { "include": self.groups() } } }),
            );
        }
        Value::Object(b)
    }
}

/// A number field: absent when blank, the text itself when not a whole number (the core says why).
pub fn number(text: &str) -> Option<Value> {
    let t = text.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.parse::<i64>().map_or_else(|_| json!(t), |n| json!(n)))
    }
}

/// A refused body's causes next to the form's fields (`fields`: the form's names, the last part of a cause's
/// path); the others above the form.
pub fn invalid_fields(i: &Invalid, fields: &[&str]) -> Vec<FieldError> {
    i.0.iter()
        .map(|c| {
            let last = c.field.rsplit('.').next().unwrap_or(&c.field);
            if fields.contains(&last) {
                FieldError {
                    field: last.to_owned(),
                    message: c.message.clone(),
                }
            } else {
                FieldError {
                    field: String::new(),
                    message: c.to_string(),
                }
            }
        })
        .collect()
}

/// An operation on a policy or rule refused, as a page.
pub fn policy_refused(e: Refused, back: &str) -> PageError {
    match e {
        Refused::NotFound(Resource::PolicyRule, _) => {
            PageError::not_found().with_link(back, "Back to the policy")
        }
        Refused::NotFound(..) => {
            PageError::not_found().with_link("/admin/policies", "Back to sign-on policies")
        }
        Refused::Invalid(i) => refused(
            StatusCode::BAD_REQUEST,
            i.0.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            back,
        ),
        Refused::Forbidden(why) => refused(StatusCode::FORBIDDEN, why, back),
        Refused::Keys(e) => crate::api::error::ApiError::internal(e.to_string()).into(),
        Refused::Store(e) => e.into(),
    }
}

pub fn env(state: &AppState) -> ops::Env<'_> {
    ops::Env {
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    }
}

/// Logs a change with the administrator as actor, and drops this node's copy of the policies (as the API does).
pub fn record(state: &AppState, audit: &Audit, changed: &Changed) {
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

const POLICY_FIELDS: &[&str] = &["name", "description", "priority", "include"];

struct PolicyView {
    id: String,
    status: &'static str,
    active: bool,
    system: bool,
    created: String,
    updated: String,
    rules: Vec<RuleLine>,
}

#[derive(Template)]
#[template(path = "admin/signon-policy.html")]
struct PolicyPage {
    c: Chrome,
    /// None: the new policy form.
    policy: Option<PolicyView>,
    name: String,
    description: String,
    priority: String,
    groups: Vec<GroupBox>,
    errors: Vec<FieldError>,
}

impl PolicyPage {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }

    fn is_system(&self) -> bool {
        self.policy.as_ref().is_some_and(|p| p.system)
    }
}

/// What the form shows: the stored policy's values, or those posted.
struct Values {
    name: String,
    description: String,
    priority: String,
    groups: Vec<String>,
}

impl Values {
    fn of(p: &SignOnPolicy) -> Self {
        Values {
            name: p.name.clone(),
            description: p.description.clone(),
            priority: p.priority.to_string(),
            groups: policy_groups(p),
        }
    }

    fn posted(f: &PolicyForm) -> Self {
        Values {
            name: f.get("name").to_owned(),
            description: f.get("description").to_owned(),
            priority: f.get("priority").to_owned(),
            groups: f.groups(),
        }
    }
}

async fn render(
    state: &AppState,
    admin: &Admin,
    policy: Option<&SignOnPolicy>,
    values: Values,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let view = match policy {
        Some(p) => {
            let mut rules = state.store.signon_rules(&p.id).await?;
            rules.sort_by_key(|r| r.priority);
            Some(PolicyView {
                id: p.id.clone(),
                status: p.status.as_str(),
                active: p.status == LifecycleStatus::Active,
                system: p.system,
                created: when(p.created),
                updated: when(p.last_updated),
                rules: rules.iter().map(RuleLine::of).collect(),
            })
        }
        None => None,
    };
    let mut groups: Vec<GroupBox> = group_names(state)
        .await?
        .into_iter()
        .map(|(id, name)| GroupBox {
            checked: values.groups.contains(&id),
            id,
            name,
        })
        .collect();
    // A group the policy covers but the list does not show (past the first GROUPS_SHOWN) is offered too, checked:
    // saving the form sends the whole list, and a group left out would be dropped from the policy.
    for id in &values.groups {
        if !groups.iter().any(|g| &g.id == id) {
            let name = state
                .store
                .group(id)
                .await?
                .map_or_else(|| id.clone(), |g| g.name);
            groups.push(GroupBox {
                id: id.clone(),
                name,
                checked: true,
            });
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(admin.respond(html(
        status,
        PolicyPage {
            c: Chrome::new(state, admin, "policies"),
            policy: view,
            name: values.name,
            description: values.description,
            priority: values.priority,
            groups,
            errors,
        }
        .render(),
    )))
}

/// The new policy form: only for an administrator who may change things.
pub async fn new_form(m: Manager, State(state): State<AppState>) -> Result<Response, PageError> {
    let values = Values {
        name: String::new(),
        description: String::new(),
        priority: String::new(),
        groups: Vec::new(),
    };
    render(&state, &m.admin, None, values, Vec::new()).await
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<PolicyForm>,
) -> Result<Response, PageError> {
    match ops::create(state.store.as_ref(), env(&state), &form.body(false), true).await {
        Ok(made) => {
            record(&state, &m.audit, &made);
            Ok(done(
                &format!("/admin/policies/{}", made.policy.id),
                "policy-created",
            ))
        }
        Err(Refused::Invalid(i)) => {
            let errors = invalid_fields(&i, POLICY_FIELDS);
            render(&state, &m.admin, None, Values::posted(&form), errors).await
        }
        Err(e) => Err(policy_refused(e, "/admin/policies")),
    }
}

pub async fn detail(
    admin: Admin,
    State(state): State<AppState>,
    Path(pid): Path<String>,
) -> Result<Response, PageError> {
    let policy = ops::find(state.store.as_ref(), &pid)
        .await
        .map_err(|e| policy_refused(e, "/admin/policies"))?;
    render(
        &state,
        &admin,
        Some(&policy),
        Values::of(&policy),
        Vec::new(),
    )
    .await
}

pub async fn update(
    m: Manager,
    State(state): State<AppState>,
    Path(pid): Path<String>,
    CsrfForm(form): CsrfForm<PolicyForm>,
) -> Result<Response, PageError> {
    let back = format!("/admin/policies/{pid}");
    let store = state.store.as_ref();
    let policy = ops::find(store, &pid)
        .await
        .map_err(|e| policy_refused(e, &back))?;
    match ops::replace(store, env(&state), &pid, &form.body(policy.system)).await {
        Ok(changed) => {
            record(&state, &m.audit, &changed);
            Ok(done(&back, "policy-saved"))
        }
        Err(Refused::Invalid(i)) => {
            let errors = invalid_fields(&i, POLICY_FIELDS);
            let mut values = Values::posted(&form);
            if policy.system {
                values.groups = policy_groups(&policy);
            }
            render(&state, &m.admin, Some(&policy), values, errors).await
        }
        Err(e) => Err(policy_refused(e, &back)),
    }
}

pub async fn lifecycle(
    m: Manager,
    State(state): State<AppState>,
    Path((pid, op)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/policies/{pid}");
    let (status, key) = match op.as_str() {
        "activate" => (LifecycleStatus::Active, "policy-activated"),
        "deactivate" => (LifecycleStatus::Inactive, "policy-deactivated"),
        _ => return Err(PageError::not_found().with_link(back, "Back to the policy")),
    };
    let changed = ops::set_status(state.store.as_ref(), env(&state), &pid, status)
        .await
        .map_err(|e| policy_refused(e, &back))?;
    record(&state, &m.audit, &changed);
    Ok(done(&back, key))
}

pub async fn delete(
    m: Manager,
    State(state): State<AppState>,
    Path(pid): Path<String>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/policies/{pid}");
    let gone = ops::delete(state.store.as_ref(), &pid)
        .await
        .map_err(|e| policy_refused(e, &back))?;
    record(&state, &m.audit, &gone);
    Ok(done("/admin/policies", "policy-deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_makes_the_api_body_and_keeps_bad_numbers_for_the_core_to_refuse() {
        let form = PolicyForm {
            fields: [
                ("csrf", "x"),
                ("name", " Admins "),
                ("description", ""),
                ("priority", "first"),
                ("group.00gb", "on"),
                ("group.00ga", "on"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        };
        let b = form.body(false);
        assert_eq!(b["name"], "Admins");
        assert_eq!(b["priority"], "first");
        assert_eq!(
            b["conditions"]["people"]["groups"]["include"],
            json!(["00ga", "00gb"])
        );
        let system = form.body(true);
        assert!(system.get("conditions").is_none() && system.get("priority").is_none());
        assert_eq!(number("2"), Some(json!(2)));
        assert_eq!(number(" "), None);
    }
}
