//! `/admin/users`: the users, found by a prefix of their name or email (the API's `q`) or by an expression in the
//! API's `search` language (the same parser, `lanyard_core::directory::filter`), a page at a time; and
//! `/admin/users/{id}`: a user's profile, status, administrator roles, groups, apps and factors. An administrator who
//! may change things creates users (`/admin/users/new`), edits a profile, runs the lifecycle operations (activate,
//! deactivate, suspend, unsuspend, unlock, reset the password — a reset link is emailed —, remove the factors),
//! removes one factor, deletes a deactivated user, and adds or removes them from groups: the Users and Factors
//! APIs' operations (`lanyard_core::directory::accounts`, `lanyard_core::directory::groups`,
//! `lanyard_core::mfa::user_factors`).

use crate::pages::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::directory::accounts::{self, AccountError, Changes, LifecycleOptions, NewUser};
use lanyard_core::directory::filter::{self, USER_SEARCH};
use lanyard_core::directory::groups::{self, GroupError};
use lanyard_core::directory::lifecycle::Operation;
use lanyard_core::directory::users::UserQuery;
use lanyard_core::mfa::user_factors::{self, FactorRefused};
use lanyard_core::model::{PageRequest, User, UserStatus};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::forms::{self, FieldError, Manager, account_refused, done, error_for, field_errors};
use super::{Admin, Chrome, next_href, when, when_opt};
use crate::csrf_field;
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, html};
use crate::state::AppState;
use crate::syslog::{Audit, user_target};

/// Users on one page of the list.
const PAGE_SIZE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    search: String,
    after: Option<String>,
}

pub struct Row {
    pub id: String,
    pub name: String,
    pub login: String,
    pub status: &'static str,
    pub created: String,
    pub last_login: String,
}

impl Row {
    pub fn of(u: &User) -> Self {
        Row {
            id: u.id.clone(),
            name: u.full_name(),
            login: u.login.clone(),
            status: u.status.as_str(),
            created: when(u.created),
            last_login: when_opt(u.last_login),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct List {
    c: Chrome,
    q: String,
    search: String,
    error: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
}

pub async fn list(
    admin: Admin,
    State(state): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let q = p.q.trim().to_owned();
    let search = p.search.trim().to_owned();
    let query = if !search.is_empty() {
        filter::parse(&search, &USER_SEARCH).map(UserQuery::Expr)
    } else if !q.is_empty() {
        Ok(UserQuery::Prefix(q.clone()))
    } else {
        Ok(UserQuery::All)
    };
    let (status, error, rows, next) = match query {
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Some(format!("The search expression is not valid: {e}")),
            Vec::new(),
            None,
        ),
        Ok(query) => {
            let page = state
                .store
                .list_users(
                    &query,
                    &PageRequest {
                        limit: PAGE_SIZE,
                        after: p.after.filter(|a| !a.is_empty()),
                    },
                )
                .await?;
            let next = next_href(
                "/admin/users",
                &[("q", &q), ("search", &search)],
                page.next.as_deref(),
            );
            (
                StatusCode::OK,
                None,
                page.items.iter().map(Row::of).collect(),
                next,
            )
        }
    };
    Ok(html(
        status,
        List {
            c: Chrome::new(&state, &admin, "users"),
            q,
            search,
            error,
            rows,
            next,
        }
        .render(),
    ))
}

struct Named {
    id: String,
    href: String,
    name: String,
    detail: String,
    /// A group the user may be removed from (not built in).
    removable: bool,
}

/// A group the user may be added to.
struct Choice {
    id: String,
    name: String,
}

struct FactorRow {
    id: String,
    factor_type: &'static str,
    provider: String,
    status: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct Detail {
    c: Chrome,
    user: Row,
    profile: Vec<(String, String)>,
    activated: String,
    password_changed: String,
    roles: Vec<&'static str>,
    groups: Vec<Named>,
    more_groups: bool,
    apps: Vec<Named>,
    factors: Vec<FactorRow>,
    /// The lifecycle operations the user's status allows: the operation and its button's label.
    operations: Vec<(&'static str, &'static str)>,
    deletable: bool,
    /// The groups the user may join (not built in, not joined yet).
    joinable: Vec<Choice>,
    /// The profile form: its values (those posted, when it was refused) and errors.
    form: ProfileForm,
    errors: Vec<FieldError>,
}

impl Detail {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

/// A profile value as text: strings as they are, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub async fn detail(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_detail(&state, &admin, &id, None, Vec::new()).await
}

/// The lifecycle operations a user of `status` may go through, with their buttons' labels.
fn operations(status: UserStatus) -> Vec<(&'static str, &'static str)> {
    use UserStatus::*;
    match status {
        Staged => vec![("activate", "Activate")],
        Provisioned => vec![
            ("reactivate", "Send a new activation link"),
            ("deactivate", "Deactivate"),
        ],
        Active => vec![
            ("reset_password", "Reset password"),
            ("expire_password", "Expire password"),
            ("reset_factors", "Remove factors"),
            ("suspend", "Suspend"),
            ("deactivate", "Deactivate"),
        ],
        Recovery | PasswordExpired => vec![
            ("reset_password", "Reset password"),
            ("reset_factors", "Remove factors"),
            ("suspend", "Suspend"),
            ("deactivate", "Deactivate"),
        ],
        LockedOut => vec![
            ("unlock", "Unlock"),
            ("reset_password", "Reset password"),
            ("deactivate", "Deactivate"),
        ],
        Suspended => vec![("unsuspend", "Unsuspend"), ("deactivate", "Deactivate")],
        Deprovisioned => vec![("activate", "Activate")],
    }
}

async fn render_detail(
    state: &AppState,
    admin: &Admin,
    id: &str,
    posted: Option<ProfileForm>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let store = state.store.as_ref();
    let Some(user) = store.user(id).await? else {
        return Err(PageError::not_found().with_link("/admin/users", "Back to users"));
    };
    let id = user.id.as_str();
    let mut profile: Vec<(String, String)> = user
        .profile
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    profile.sort();
    let groups = store.user_groups(id, &PageRequest::first(200)).await?;
    let joinable = store
        .list_groups(None, &PageRequest::first(200))
        .await?
        .items
        .into_iter()
        .filter(|g| !g.is_built_in() && !groups.items.iter().any(|m| m.id == g.id))
        .map(|g| Choice {
            id: g.id,
            name: g.name,
        })
        .collect();
    let apps = store.apps_for_user(id).await?;
    let factors = store.factors(id).await?;
    let roles = store
        .user_roles(id)
        .await?
        .into_iter()
        .map(|r| r.role_type.label())
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let form = posted.unwrap_or_else(|| ProfileForm::of(&user));
    Ok(admin.respond(html(
        status,
        Detail {
            c: Chrome::new(state, admin, "users"),
            user: Row::of(&user),
            profile,
            activated: when_opt(user.activated),
            password_changed: when_opt(user.password_changed),
            roles,
            more_groups: groups.next.is_some(),
            groups: groups
                .items
                .into_iter()
                .map(|g| Named {
                    detail: g.group_type.as_str().to_owned(),
                    href: format!("/admin/groups/{}", g.id),
                    removable: !g.is_built_in(),
                    id: g.id,
                    name: g.name,
                })
                .collect(),
            apps: apps
                .into_iter()
                .map(|a| Named {
                    href: format!("/admin/apps/{}", a.id),
                    id: a.id,
                    name: a.label,
                    detail: a.status.as_str().to_owned(),
                    removable: false,
                })
                .collect(),
            factors: factors
                .into_iter()
                .map(|f| FactorRow {
                    id: f.id,
                    factor_type: f.factor_type.as_str(),
                    provider: f.provider,
                    status: f.status.as_str(),
                    created: when(f.created),
                })
                .collect(),
            operations: operations(user.status),
            deletable: user.status == UserStatus::Deprovisioned,
            joinable,
            form,
            errors,
        }
        .render(),
    )))
}

/// The profile attributes the console's forms edit.
const PROFILE_FIELDS: &[&str] = &["firstName", "lastName", "email", "login", "mobilePhone"];

/// A user's profile as the forms post it.
#[derive(Deserialize, Default)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "firstName")]
    first_name: String,
    #[serde(default, rename = "lastName")]
    last_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    login: String,
    #[serde(default, rename = "mobilePhone")]
    mobile_phone: String,
    /// New users only: a password (none: the user sets one through an activation link).
    #[serde(default)]
    password: String,
    /// New users only: `on` to activate now.
    #[serde(default)]
    activate: Option<String>,
}
csrf_field!(ProfileForm);

impl ProfileForm {
    fn of(u: &User) -> Self {
        let get = |k: &str| u.profile.get(k).map(text).unwrap_or_default();
        ProfileForm {
            first_name: get("firstName"),
            last_name: get("lastName"),
            email: get("email"),
            login: get("login"),
            mobile_phone: get("mobilePhone"),
            activate: Some("on".into()),
            ..ProfileForm::default()
        }
    }

    fn value(&self, name: &str) -> &str {
        match name {
            "firstName" => &self.first_name,
            "lastName" => &self.last_name,
            "email" => &self.email,
            "login" => &self.login,
            "mobilePhone" => &self.mobile_phone,
            _ => "",
        }
    }

    /// The profile it makes: blank attributes left out of a new user's (whose login is its email unless given), and
    /// removed from an existing user's.
    fn profile(&self, new: bool) -> Map<String, Value> {
        let mut p = Map::new();
        for name in PROFILE_FIELDS {
            let v = self.value(name).trim();
            if !v.is_empty() {
                p.insert((*name).to_owned(), Value::String(v.to_owned()));
            } else if !new {
                // Emptied: removed (a required attribute is then refused next to its field).
                p.insert((*name).to_owned(), Value::Null);
            }
        }
        if new
            && !p.contains_key("login")
            && let Some(e) = p.get("email").cloned()
        {
            p.insert("login".into(), e);
        }
        p
    }
}

/// A refused profile's causes next to the fields, or the page saying why.
fn profile_errors(e: AccountError, back: &str) -> Result<Vec<FieldError>, PageError> {
    match e {
        AccountError::InvalidProfile(c) => Ok(field_errors(&c, "login")),
        AccountError::PasswordRejected(c) => Ok(c
            .into_iter()
            .map(|m| FieldError {
                field: "password".into(),
                message: m.trim_start_matches("password: ").to_owned(),
            })
            .collect()),
        AccountError::LoginTaken => Ok(vec![FieldError {
            field: "login".into(),
            message: "Another user already has this username.".into(),
        }]),
        e => Err(account_refused(e, back)),
    }
}

/// Records an operation's events with the administrator as actor, the user as target.
fn record(state: &AppState, audit: &Audit, user: &User, events: &[accounts::Event]) {
    for (kind, message) in events {
        let e = audit.event(state, kind, message);
        state.syslog.record(e.target(user_target(user)));
    }
}

#[derive(Template)]
#[template(path = "admin/user-new.html")]
struct NewForm {
    c: Chrome,
    form: ProfileForm,
    errors: Vec<FieldError>,
}

impl NewForm {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

/// The new user form: only for an administrator who may change things.
pub async fn new_form(m: Manager, State(state): State<AppState>) -> Response {
    let admin = &m.admin;
    admin.page(
        NewForm {
            c: Chrome::new(&state, admin, "users"),
            form: ProfileForm {
                activate: Some("on".into()),
                ..ProfileForm::default()
            },
            errors: Vec::new(),
        }
        .render(),
    )
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<Response, PageError> {
    let new = NewUser {
        profile: form.profile(true),
        password: Some(form.password.as_str()).filter(|p| !p.is_empty()),
        activate: form.activate.is_some(),
        change_password_next: false,
        activation_link: true,
    };
    let created = match accounts::create(state.store.as_ref(), state.accounts(), new).await {
        Ok(c) => c,
        Err(e) => {
            let errors = profile_errors(e, "/admin/users/new")?;
            return Ok(m.admin.respond(html(
                StatusCode::BAD_REQUEST,
                NewForm {
                    c: Chrome::new(&state, &m.admin, "users"),
                    form: ProfileForm {
                        password: String::new(),
                        ..form
                    },
                    errors,
                }
                .render(),
            )));
        }
    };
    let user = &created.user;
    tracing::info!(user = %user.id, status = user.status.as_str(), "user created in the console");
    record(&state, &m.audit, user, &created.events());
    if let Some(token) = &created.activation {
        let url = crate::activation::activation_url(&state, &token.value);
        crate::activation::email_link(&state, user, &url);
    }
    Ok(done(&format!("/admin/users/{}", user.id), "user-created"))
}

pub async fn update(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<Response, PageError> {
    let back = format!("/admin/users/{id}");
    let changes = Changes {
        profile: Some(form.profile(false)),
        password: None,
        partial: true,
    };
    match accounts::update(state.store.as_ref(), state.accounts(), &id, changes).await {
        Ok(updated) => {
            record(&state, &m.audit, &updated.user, &updated.events());
            Ok(done(&back, "profile-saved"))
        }
        Err(e) => {
            let errors = profile_errors(e, &back)?;
            render_detail(&state, &m.admin, &id, Some(form), errors).await
        }
    }
}

/// A form with nothing but its CSRF field: a button.
#[derive(Deserialize)]
pub struct Button {
    #[serde(default)]
    csrf: String,
}
csrf_field!(Button);

pub async fn lifecycle(
    m: Manager,
    State(state): State<AppState>,
    Path((id, op)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/users/{id}");
    let Some((key, operation)) = forms::MESSAGES
        .iter()
        .map(|(k, _)| *k)
        .find(|k| *k == op)
        .and_then(|k| Operation::parse(k).map(|o| (k, o)))
    else {
        return Err(PageError::not_found().with_link(back, "Back to the user"));
    };
    let changed = accounts::lifecycle(
        state.store.as_ref(),
        state.accounts(),
        &id,
        operation,
        LifecycleOptions::default(),
    )
    .await
    .map_err(|e| account_refused(e, &back))?;
    let user = &changed.user;
    crate::logout::announce(&state, &changed.ended_sessions);
    tracing::info!(user = %user.id, operation = %op, "user lifecycle in the console");
    record(&state, &m.audit, user, &[changed.event()]);
    if let Some(token) = &changed.activation {
        let url = crate::activation::activation_url(&state, &token.value);
        crate::activation::email_link(&state, user, &url);
    }
    if let Some(token) = &changed.reset {
        let link = crate::recovery::reset_url(&state, &token.value);
        crate::recovery::email_reset_link(&state, user, &link);
    }
    Ok(done(&back, key))
}

pub async fn delete(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/users/{id}");
    let deletion = accounts::delete(state.store.as_ref(), state.accounts(), &id)
        .await
        .map_err(|e| account_refused(e, &back))?;
    match &deletion {
        accounts::Deletion::Deleted(user) => {
            record(&state, &m.audit, user, &[deletion.event()]);
            Ok(done("/admin/users", "user-deleted"))
        }
        accounts::Deletion::Deactivated(user) => {
            record(&state, &m.audit, user, &[deletion.event()]);
            Ok(done(&back, "deactivate"))
        }
    }
}

/// A membership change refused, as a page.
pub fn group_refused(e: GroupError, back: &str) -> PageError {
    match e {
        GroupError::NotFound => PageError::not_found().with_link(back, "Go back"),
        GroupError::UserNotFound => forms::refused(
            StatusCode::BAD_REQUEST,
            "There is no user with this username.",
            back,
        ),
        GroupError::BuiltIn(_) => forms::refused(
            StatusCode::FORBIDDEN,
            "The built-in group Everyone holds every user: it cannot be changed.",
            back,
        ),
        GroupError::InvalidProfile(c) => {
            forms::refused(StatusCode::BAD_REQUEST, c.join("; "), back)
        }
        GroupError::NameTaken => forms::refused(
            StatusCode::BAD_REQUEST,
            "Another group already has this name.",
            back,
        ),
        GroupError::Store(e) => e.into(),
    }
}

#[derive(Deserialize)]
pub struct GroupChoice {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    group: String,
}
csrf_field!(GroupChoice);

pub async fn add_group(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<GroupChoice>,
) -> Result<Response, PageError> {
    let back = format!("/admin/users/{id}");
    let done_ = groups::set_membership(
        state.store.as_ref(),
        state.clock.as_ref(),
        form.group.trim(),
        &id,
        true,
    )
    .await
    .map_err(|e| group_refused(e, &back))?;
    m.audit.record(&state, &done_.changes);
    Ok(done(&back, "group-joined"))
}

pub async fn remove_group(
    m: Manager,
    State(state): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/users/{id}");
    let changed =
        groups::set_membership(state.store.as_ref(), state.clock.as_ref(), &gid, &id, false)
            .await
            .map_err(|e| group_refused(e, &back))?;
    m.audit.record(&state, &changed.changes);
    Ok(done(&back, "group-left"))
}

/// Removes one of the user's factors, as `DELETE /api/v1/users/{id}/factors/{fid}` does.
pub async fn remove_factor(
    m: Manager,
    State(state): State<AppState>,
    Path((id, fid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/users/{id}");
    let store = state.store.as_ref();
    let Some(user) = store.user(&id).await? else {
        return Err(PageError::not_found().with_link("/admin/users", "Back to users"));
    };
    match user_factors::remove(store, &user.id, &fid).await {
        Ok(()) => {}
        Err(FactorRefused::Store(e)) => return Err(e.into()),
        Err(_) => {
            return Err(PageError::not_found().with_link(back, "Back to the user"));
        }
    }
    tracing::info!(user = %user.id, factor = %fid, "factor removed in the console");
    record(&state, &m.audit, &user, &[user_factors::RESET]);
    Ok(done(&back, "factor-removed"))
}
