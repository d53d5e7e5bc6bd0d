//! A custom authorization server's access policies and their rules in the console:
//! `/admin/servers/{id}/policies/new` and `POST /admin/servers/{id}/policies` (add a policy),
//! `/admin/servers/{id}/policies/{pid}` (the policy's form and its rules; its POST saves the policy),
//! `POST …/{pid}/lifecycle/{activate|deactivate}`, `POST …/{pid}/delete`; and the same for a rule under
//! `…/{pid}/rules`. The operations are the Policies API's (`lanyard_core::authz::admin::policies`): priorities
//! stay dense, a rule names only the server's scopes, lifetimes within Okta's bounds; a refusal comes back with its
//! causes next to the fields.

use crate::pages::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::authz::admin::policies as ops;
use lanyard_core::authz::policy::{
    ALL_CLIENTS, ANY_SCOPE, ClientsCondition, EVERYONE, GrantType, ScopeCondition, TokenLifetimes,
    stored_rule,
};
use lanyard_core::model::{LifecycleStatus, PageRequest, Policy, PolicyRule};
use serde_json::{Value, json};

use super::forms::{FieldError, Manager, done, error_for};
use super::servers::{
    Choice, Posted, choices, custom, env, field_causes, record, refused_page, server_path,
};
use super::users::Button;
use super::{Admin, Chrome};
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, html};
use crate::state::AppState;

/// Apps and groups offered as checkboxes.
const CHOICES_SHOWN: u32 = 200;

fn policy_path(id: &str, pid: &str) -> String {
    format!("/admin/servers/{id}/policies/{pid}")
}

/// `0` / a number as the API takes it; anything else as typed, for the operation to refuse.
fn number(v: &str) -> Value {
    match v.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(v),
    }
}

/// A policy as the form shows and posts it.
#[derive(Default)]
pub struct PolicyForm {
    name: String,
    description: String,
    priority: String,
    clients: Vec<String>,
}

impl PolicyForm {
    fn of(p: &Policy) -> Self {
        PolicyForm {
            name: p.name.clone(),
            description: p.description.clone(),
            priority: p.priority.to_string(),
            clients: match ClientsCondition::from_stored(&p.conditions) {
                ClientsCondition::All => vec![ALL_CLIENTS.to_owned()],
                ClientsCondition::Only(ids) => ids,
            },
        }
    }

    fn posted(p: &Posted) -> Self {
        PolicyForm {
            name: p.one("name"),
            description: p.one("description"),
            priority: p.one("priority"),
            clients: p.all("clients"),
        }
    }

    fn body(&self) -> Value {
        let mut b = json!({
            "type": "OAUTH_AUTHORIZATION_POLICY",
            "name": self.name,
            "description": self.description,
            "conditions": {"clients": {"include": self.clients}},
        });
        if !self.priority.is_empty() {
            b["priority"] = number(&self.priority);
        }
        b
    }
}

fn policy_field(path: &str) -> &'static str {
    match path {
        "description" => "description",
        "priority" => "priority",
        p if p.starts_with("conditions") => "clients",
        _ => "name",
    }
}

/// The apps as checkboxes, "All clients" first.
async fn client_choices(state: &AppState, checked: &[String]) -> Result<Vec<Choice>, PageError> {
    let apps = state
        .store
        .list_apps(None, &PageRequest::first(CHOICES_SHOWN))
        .await?;
    let mut values = vec![(ALL_CLIENTS.to_owned(), "All clients".to_owned())];
    values.extend(apps.items.into_iter().map(|a| {
        let label = format!("{} ({})", a.label, a.client.client_id);
        (a.client.client_id, label)
    }));
    Ok(choices(&values, checked))
}

/// A rule as the console lists it.
pub struct RuleLine {
    pub id: String,
    pub name: String,
    pub priority: i64,
    pub active: bool,
    pub status: &'static str,
    pub grants: String,
    pub people: String,
    pub scopes: String,
    pub lifetimes: String,
}

impl RuleLine {
    pub fn of(r: &PolicyRule) -> Self {
        let (grants, people, scopes, lifetimes) = match stored_rule(r) {
            Some((c, l)) => (
                c.grant_types
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                people_text(&c.people),
                match c.scopes {
                    ScopeCondition::Any => "any scope".to_owned(),
                    ScopeCondition::Only(s) => s.join(", "),
                },
                lifetimes_text(&l),
            ),
            None => {
                let bad = "— (cannot be read: matches nothing)".to_owned();
                (bad.clone(), bad.clone(), bad.clone(), bad)
            }
        };
        RuleLine {
            id: r.id.clone(),
            name: r.name.clone(),
            priority: r.priority,
            active: r.status == LifecycleStatus::Active,
            status: r.status.as_str(),
            grants,
            people,
            scopes,
            lifetimes,
        }
    }
}

fn people_text(p: &lanyard_core::authz::policy::PeopleCondition) -> String {
    let mut parts = Vec::new();
    if p.groups_include.iter().any(|g| g == EVERYONE) {
        parts.push("everyone".to_owned());
    }
    let groups: Vec<&str> = p
        .groups_include
        .iter()
        .filter(|g| *g != EVERYONE)
        .map(String::as_str)
        .collect();
    if !groups.is_empty() {
        parts.push(format!("groups {}", groups.join(", ")));
    }
    if !p.users_include.is_empty() {
        parts.push(format!("users {}", p.users_include.join(", ")));
    }
    if parts.is_empty() {
        "everyone".to_owned()
    } else {
        parts.join("; ")
    }
}

fn lifetimes_text(l: &TokenLifetimes) -> String {
    format!(
        "access token {} min; refresh token {}; window {} min",
        l.access_token_minutes,
        l.refresh_token_minutes
            .map_or("unlimited".to_owned(), |m| format!("{m} min")),
        l.refresh_token_window_minutes
    )
}

#[derive(Template)]
#[template(path = "admin/access-policy-form.html")]
struct PolicyPage {
    c: Chrome,
    server_id: String,
    server_name: String,
    /// The policy when editing one: its id and status, its rules.
    policy_id: Option<String>,
    active: bool,
    status: &'static str,
    rules: Vec<RuleLine>,
    form: PolicyForm,
    clients: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl PolicyPage {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

async fn render_policy(
    state: &AppState,
    admin: &Admin,
    id: &str,
    policy: Option<&Policy>,
    form: PolicyForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let server = custom(state, id).await?;
    let rules = match policy {
        Some(p) => state
            .store
            .policy_rules(&p.id)
            .await?
            .iter()
            .map(RuleLine::of)
            .collect(),
        None => Vec::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(admin.respond(html(
        status,
        PolicyPage {
            c: Chrome::new(state, admin, "servers"),
            server_id: server.id,
            server_name: server.name,
            policy_id: policy.map(|p| p.id.clone()),
            active: policy.is_some_and(|p| p.status == LifecycleStatus::Active),
            status: policy.map_or("", |p| p.status.as_str()),
            rules,
            clients: client_choices(state, &form.clients).await?,
            form,
            errors,
        }
        .render(),
    )))
}

pub async fn new_policy(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let form = PolicyForm {
        clients: vec![ALL_CLIENTS.to_owned()],
        ..PolicyForm::default()
    };
    render_policy(&state, &m.admin, &id, None, form, Vec::new()).await
}

pub async fn create_policy(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(posted): CsrfForm<Posted>,
) -> Result<Response, PageError> {
    let form = PolicyForm::posted(&posted);
    match ops::create(state.store.as_ref(), env(&state), &id, &form.body()).await {
        Ok(made) => {
            record(&state, &m, &made);
            Ok(done(
                &policy_path(&id, &made.item.id),
                "access-policy-created",
            ))
        }
        Err(e) => {
            let errors = field_causes(e, &server_path(&id), policy_field)?;
            render_policy(&state, &m.admin, &id, None, form, errors).await
        }
    }
}

pub async fn policy(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (_, p) = ops::find(state.store.as_ref(), &id, &pid)
        .await
        .map_err(|e| refused_page(e, &server_path(&id)))?;
    render_policy(
        &state,
        &m.admin,
        &id,
        Some(&p),
        PolicyForm::of(&p),
        Vec::new(),
    )
    .await
}

pub async fn update_policy(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
    CsrfForm(posted): CsrfForm<Posted>,
) -> Result<Response, PageError> {
    let back = policy_path(&id, &pid);
    let form = PolicyForm::posted(&posted);
    match ops::replace(state.store.as_ref(), env(&state), &id, &pid, &form.body()).await {
        Ok(changed) => {
            record(&state, &m, &changed);
            Ok(done(&back, "access-policy-saved"))
        }
        Err(e) => {
            let errors = field_causes(e, &back, policy_field)?;
            let (_, p) = ops::find(state.store.as_ref(), &id, &pid)
                .await
                .map_err(|e| refused_page(e, &back))?;
            render_policy(&state, &m.admin, &id, Some(&p), form, errors).await
        }
    }
}

/// `activate` / `deactivate` as a status and the message of one of `keys` (activated, deactivated), or a 404 page.
fn lifecycle(
    op: &str,
    keys: (&'static str, &'static str),
) -> Result<(LifecycleStatus, &'static str), PageError> {
    match op {
        "activate" => Ok((LifecycleStatus::Active, keys.0)),
        "deactivate" => Ok((LifecycleStatus::Inactive, keys.1)),
        _ => Err(PageError::not_found()),
    }
}

pub async fn policy_lifecycle(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid, op)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let (status, key) = lifecycle(
        &op,
        ("access-policy-activated", "access-policy-deactivated"),
    )?;
    let back = server_path(&id);
    let changed = ops::set_status(state.store.as_ref(), env(&state), &id, &pid, status)
        .await
        .map_err(|e| refused_page(e, &back))?;
    record(&state, &m, &changed);
    Ok(done(&back, key))
}

pub async fn delete_policy(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = server_path(&id);
    let gone = ops::delete(state.store.as_ref(), &id, &pid)
        .await
        .map_err(|e| refused_page(e, &back))?;
    record(&state, &m, &gone);
    Ok(done(&back, "access-policy-deleted"))
}

/// A rule as the form shows and posts it.
#[derive(Default)]
pub struct RuleForm {
    name: String,
    priority: String,
    grant_types: Vec<String>,
    groups: Vec<String>,
    users: String,
    scopes: Vec<String>,
    access_minutes: String,
    refresh_minutes: String,
    window_minutes: String,
}

impl RuleForm {
    fn with_lifetimes(l: &TokenLifetimes) -> Self {
        RuleForm {
            access_minutes: l.access_token_minutes.to_string(),
            refresh_minutes: l.refresh_token_minutes.unwrap_or(0).to_string(),
            window_minutes: l.refresh_token_window_minutes.to_string(),
            ..RuleForm::default()
        }
    }

    fn new_rule() -> Self {
        RuleForm {
            grant_types: vec![GrantType::AuthorizationCode.as_str().to_owned()],
            groups: vec![EVERYONE.to_owned()],
            scopes: vec![ANY_SCOPE.to_owned()],
            ..RuleForm::with_lifetimes(&TokenLifetimes::default())
        }
    }

    fn of(r: &PolicyRule) -> Self {
        let Some((c, l)) = stored_rule(r) else {
            return RuleForm {
                name: r.name.clone(),
                priority: r.priority.to_string(),
                ..RuleForm::new_rule()
            };
        };
        RuleForm {
            name: r.name.clone(),
            priority: r.priority.to_string(),
            grant_types: c
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            groups: c.people.groups_include.clone(),
            users: c.people.users_include.join(" "),
            scopes: match c.scopes {
                ScopeCondition::Any => vec![ANY_SCOPE.to_owned()],
                ScopeCondition::Only(s) => s,
            },
            ..RuleForm::with_lifetimes(&l)
        }
    }

    fn posted(p: &Posted) -> Self {
        RuleForm {
            name: p.one("name"),
            priority: p.one("priority"),
            grant_types: p.all("grantTypes"),
            groups: p.all("groups"),
            users: p.all("users").join(" "),
            scopes: p.all("scopes"),
            access_minutes: p.one("accessTokenLifetimeMinutes"),
            refresh_minutes: p.one("refreshTokenLifetimeMinutes"),
            window_minutes: p.one("refreshTokenWindowMinutes"),
        }
    }

    fn body(&self) -> Value {
        let users: Vec<&str> = self.users.split_whitespace().collect();
        let mut token = serde_json::Map::new();
        for (k, v) in [
            ("accessTokenLifetimeMinutes", &self.access_minutes),
            ("refreshTokenLifetimeMinutes", &self.refresh_minutes),
            ("refreshTokenWindowMinutes", &self.window_minutes),
        ] {
            if !v.is_empty() {
                token.insert(k.into(), number(v));
            }
        }
        let mut b = json!({
            "type": "RESOURCE_ACCESS",
            "name": self.name,
            "conditions": {
                "people": {"groups": {"include": self.groups}, "users": {"include": users}},
                "grantTypes": {"include": self.grant_types},
                "scopes": {"include": self.scopes},
            },
            "actions": {"token": token},
        });
        if !self.priority.is_empty() {
            b["priority"] = number(&self.priority);
        }
        b
    }
}

fn rule_field(path: &str) -> &'static str {
    match path {
        "priority" => "priority",
        "conditions.grantTypes.include" | "conditions.grantTypes" => "grantTypes",
        "conditions.scopes.include" | "conditions.scopes" => "scopes",
        p if p.starts_with("conditions.people.users") => "users",
        p if p.starts_with("conditions.people") => "groups",
        p if p.ends_with("accessTokenLifetimeMinutes") => "accessTokenLifetimeMinutes",
        p if p.ends_with("refreshTokenLifetimeMinutes") => "refreshTokenLifetimeMinutes",
        p if p.ends_with("refreshTokenWindowMinutes") => "refreshTokenWindowMinutes",
        _ => "name",
    }
}

#[derive(Template)]
#[template(path = "admin/rule-form.html")]
struct RulePage {
    c: Chrome,
    server_id: String,
    server_name: String,
    policy_id: String,
    policy_name: String,
    rule_id: Option<String>,
    form: RuleForm,
    grant_types: Vec<Choice>,
    groups: Vec<Choice>,
    scopes: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl RulePage {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

async fn render_rule(
    state: &AppState,
    admin: &Admin,
    (id, pid): (&str, &str),
    rule_id: Option<String>,
    form: RuleForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let (server, policy) = ops::find(state.store.as_ref(), id, pid)
        .await
        .map_err(|e| refused_page(e, &server_path(id)))?;
    let grants: Vec<(String, String)> = GrantType::ALL
        .iter()
        .map(|g| (g.as_str().to_owned(), g.as_str().to_owned()))
        .collect();
    let mut groups = vec![(EVERYONE.to_owned(), "Everyone".to_owned())];
    groups.extend(
        state
            .store
            .list_groups(None, &PageRequest::first(CHOICES_SHOWN))
            .await?
            .items
            .into_iter()
            .filter(|g| !g.is_built_in())
            .map(|g| (g.id, g.name)),
    );
    let mut scopes = vec![(ANY_SCOPE.to_owned(), "Any scope (*)".to_owned())];
    scopes.extend(
        state
            .store
            .scopes(id)
            .await?
            .into_iter()
            .map(|s| (s.name.clone(), s.name)),
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(admin.respond(html(
        status,
        RulePage {
            c: Chrome::new(state, admin, "servers"),
            server_id: server.id,
            server_name: server.name,
            policy_id: policy.id,
            policy_name: policy.name,
            rule_id,
            grant_types: choices(&grants, &form.grant_types),
            groups: choices(&groups, &form.groups),
            scopes: choices(&scopes, &form.scopes),
            form,
            errors,
        }
        .render(),
    )))
}

pub async fn new_rule(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    render_rule(
        &state,
        &m.admin,
        (&id, &pid),
        None,
        RuleForm::new_rule(),
        Vec::new(),
    )
    .await
}

pub async fn create_rule(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid)): Path<(String, String)>,
    CsrfForm(posted): CsrfForm<Posted>,
) -> Result<Response, PageError> {
    let back = policy_path(&id, &pid);
    let form = RuleForm::posted(&posted);
    match ops::create_rule(state.store.as_ref(), env(&state), &id, &pid, &form.body()).await {
        Ok(made) => {
            record(&state, &m, &made);
            Ok(done(&back, "rule-created"))
        }
        Err(e) => {
            let errors = field_causes(e, &back, rule_field)?;
            render_rule(&state, &m.admin, (&id, &pid), None, form, errors).await
        }
    }
}

pub async fn rule(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid, rid)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let (_, r) = ops::find_rule(state.store.as_ref(), &id, &pid, &rid)
        .await
        .map_err(|e| refused_page(e, &policy_path(&id, &pid)))?;
    render_rule(
        &state,
        &m.admin,
        (&id, &pid),
        Some(r.id.clone()),
        RuleForm::of(&r),
        Vec::new(),
    )
    .await
}

pub async fn update_rule(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid, rid)): Path<(String, String, String)>,
    CsrfForm(posted): CsrfForm<Posted>,
) -> Result<Response, PageError> {
    let back = policy_path(&id, &pid);
    let form = RuleForm::posted(&posted);
    match ops::replace_rule(
        state.store.as_ref(),
        env(&state),
        (&id, &pid, &rid),
        &form.body(),
    )
    .await
    {
        Ok(changed) => {
            record(&state, &m, &changed);
            Ok(done(&back, "rule-saved"))
        }
        Err(e) => {
            let errors = field_causes(e, &back, rule_field)?;
            render_rule(&state, &m.admin, (&id, &pid), Some(rid), form, errors).await
        }
    }
}

pub async fn rule_lifecycle(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid, rid, op)): Path<(String, String, String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let (status, key) = lifecycle(&op, ("rule-activated", "rule-deactivated"))?;
    let back = policy_path(&id, &pid);
    let changed =
        ops::set_rule_status(state.store.as_ref(), env(&state), (&id, &pid, &rid), status)
            .await
            .map_err(|e| refused_page(e, &back))?;
    record(&state, &m, &changed);
    Ok(done(&back, key))
}

pub async fn delete_rule(
    m: Manager,
    State(state): State<AppState>,
    Path((id, pid, rid)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = policy_path(&id, &pid);
    let gone = ops::delete_rule(state.store.as_ref(), (&id, &pid, &rid))
        .await
        .map_err(|e| refused_page(e, &back))?;
    record(&state, &m, &gone);
    Ok(done(&back, "rule-deleted"))
}
