//! `/admin/apps`: the apps, found by a prefix of their label (the API's `q`); `/admin/apps/{id}`: an app's client
//! settings, its assignments, and — for an app made from the catalog — its filled-in setup, the same content as
//! `GET /api/v1/apps/{id}/setup` (`crate::catalog::setup`); `/admin/catalog`: the integration catalog, searched
//! and narrowed to a category as the Catalog API does (`lanyard_catalog::page`). An administrator who may change
//! things assigns groups and users, makes a new client secret (shown on the page that answers, once) and
//! deactivates or deletes the older one, and deactivates, activates or deletes the app: the Apps API's operations
//! (`lanyard_core::apps`). Adding an app from the catalog is `catalog.rs`.

use crate::pages::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::apps::assignments::{self, AssignError};
use lanyard_core::apps::instances::{self, AppError};
use lanyard_core::model::{App, LifecycleStatus, PageRequest};
use serde::Deserialize;
use serde_json::Value;

use super::forms::{Manager, done, refused};
use super::users::Button;
use super::{Admin, Chrome, next_href, when};
use crate::csrf_field;
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, html};
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;
/// Assignments shown on an app's page.
const ASSIGNMENTS_SHOWN: u32 = 200;

pub use super::PrefixQuery as ListParams;

struct AppRow {
    id: String,
    label: String,
    made_from: String,
    kind: &'static str,
    status: &'static str,
    client_id: String,
    created: String,
}

impl AppRow {
    fn of(a: &App) -> Self {
        AppRow {
            id: a.id.clone(),
            label: a.label.clone(),
            made_from: if a.client.catalog.is_some() {
                a.name.clone()
            } else {
                "by hand".to_owned()
            },
            kind: a.client.application_type.as_str(),
            status: a.status.as_str(),
            client_id: a.client.client_id.clone(),
            created: when(a.created),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct List {
    c: Chrome,
    q: String,
    rows: Vec<AppRow>,
    next: Option<String>,
}

pub async fn list(
    admin: Admin,
    State(state): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let q = p.prefix();
    let page = state
        .store
        .list_apps(
            Some(q.as_str()).filter(|q| !q.is_empty()),
            &p.page(PAGE_SIZE),
        )
        .await?;
    Ok(super::page(
        List {
            c: Chrome::new(&state, &admin, "apps"),
            next: next_href("/admin/apps", &[("q", &q)], page.next.as_deref()),
            q,
            rows: page.items.iter().map(AppRow::of).collect(),
        }
        .render(),
    ))
}

struct Assigned {
    id: String,
    href: String,
    name: String,
}

/// A group that may be assigned, or a client secret's row.
struct Choice {
    id: String,
    name: String,
}

struct SecretRow {
    id: String,
    prefix: String,
    active: bool,
    status: &'static str,
    created: String,
}

struct Snippet {
    title: String,
    file: String,
    content: String,
}

struct Setup {
    display_name: String,
    up_to_date: bool,
    values: Vec<(String, String)>,
    snippets: Vec<Snippet>,
    guide: String,
}

#[derive(Template)]
#[template(path = "admin/app.html")]
struct Detail {
    c: Chrome,
    app: AppRow,
    auth_method: &'static str,
    pkce_required: bool,
    grant_types: Vec<&'static str>,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    initiate_login_uri: String,
    groups: Vec<Assigned>,
    users: Vec<Assigned>,
    setup: Option<Setup>,
    /// Groups not assigned yet.
    assignable: Vec<Choice>,
    uses_secret: bool,
    secrets: Vec<SecretRow>,
    /// A client secret just made: shown this once.
    new_secret: Option<String>,
    /// Just made from the catalog.
    created: bool,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The console's view of a setup answer (`crate::catalog::setup`).
fn setup_view(v: &Value) -> Setup {
    let mut values: Vec<(String, String)> = v["values"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    values.sort();
    Setup {
        display_name: text(&v["displayName"]),
        up_to_date: v["upToDate"].as_bool().unwrap_or(true),
        values,
        snippets: v["snippets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| Snippet {
                title: text(&s["title"]),
                file: text(&s["file"]),
                content: text(&s["content"]),
            })
            .collect(),
        guide: text(&v["guide"]),
    }
}

pub async fn detail(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_detail(&state, &admin, &id, None, false).await
}

/// An app's page; `secret`: a client secret just made, shown this once (in the setup too); `created`: the app was
/// just made.
pub async fn render_detail(
    state: &AppState,
    admin: &Admin,
    id: &str,
    secret: Option<&str>,
    created: bool,
) -> Result<Response, PageError> {
    let store = state.store.as_ref();
    let Some(app) = store.app(id).await? else {
        return Err(PageError::not_found().with_link("/admin/apps", "Back to apps"));
    };
    let mut groups = Vec::new();
    for a in store
        .list_app_groups(id, &PageRequest::first(ASSIGNMENTS_SHOWN))
        .await?
        .items
    {
        let name = match store.group(&a.group_id).await? {
            Some(g) => g.name,
            None => a.group_id.clone(),
        };
        groups.push(Assigned {
            href: format!("/admin/groups/{}", a.group_id),
            id: a.group_id,
            name,
        });
    }
    let assignable = store
        .list_groups(None, &PageRequest::first(ASSIGNMENTS_SHOWN))
        .await?
        .items
        .into_iter()
        .filter(|g| !groups.iter().any(|a| a.id == g.id))
        .map(|g| Choice {
            id: g.id,
            name: g.name,
        })
        .collect();
    let users = store
        .list_app_users(id, &PageRequest::first(ASSIGNMENTS_SHOWN))
        .await?
        .items
        .into_iter()
        .map(|a| Assigned {
            href: format!("/admin/users/{}", a.user_id),
            id: a.user_id,
            name: a.user_name,
        })
        .collect();
    let secrets = store
        .client_secrets(id)
        .await?
        .into_iter()
        .map(|s| SecretRow {
            id: s.id,
            prefix: s.prefix,
            active: s.status == LifecycleStatus::Active,
            status: s.status.as_str(),
            created: when(s.created),
        })
        .collect();
    let setup = crate::catalog::setup(state, &app, secret).await?;
    let c = &app.client;
    Ok(admin.respond(html(
        StatusCode::OK,
        Detail {
            c: Chrome::new(state, admin, "apps"),
            auth_method: c.token_endpoint_auth_method.as_str(),
            pkce_required: c.pkce_required,
            grant_types: c.grant_types.iter().map(|g| g.as_str()).collect(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            initiate_login_uri: c.initiate_login_uri.clone().unwrap_or_default(),
            uses_secret: c.token_endpoint_auth_method.uses_secret(),
            app: AppRow::of(&app),
            groups,
            users,
            setup: setup.as_ref().map(setup_view),
            assignable,
            secrets,
            new_secret: secret.map(str::to_owned),
            created,
        }
        .render(),
    )))
}

/// An operation on an app refused, as a page.
pub fn app_refused(e: AppError, back: &str) -> PageError {
    match e {
        AppError::NotFound => PageError::not_found().with_link("/admin/apps", "Back to apps"),
        AppError::SecretNotFound => PageError::not_found().with_link(back, "Back to the app"),
        AppError::Invalid { causes, .. } => {
            refused(StatusCode::BAD_REQUEST, causes.join("; "), back)
        }
        AppError::ClientIdTaken => refused(
            StatusCode::BAD_REQUEST,
            "Another app already has this client id.",
            back,
        ),
        AppError::DeleteActive => refused(
            StatusCode::CONFLICT,
            "An active app cannot be deleted: deactivate it first.",
            back,
        ),
        AppError::Store(e) => e.into(),
    }
}

fn assign_refused(e: AssignError, back: &str) -> PageError {
    match e {
        AssignError::App(e) => app_refused(e, back),
        AssignError::UserNotFound => refused(
            StatusCode::BAD_REQUEST,
            "There is no user with this username.",
            back,
        ),
        AssignError::GroupNotFound => {
            refused(StatusCode::BAD_REQUEST, "There is no such group.", back)
        }
        AssignError::NotAssigned => refused(
            StatusCode::BAD_REQUEST,
            "It is not assigned to this app.",
            back,
        ),
    }
}

pub async fn lifecycle(
    m: Manager,
    State(state): State<AppState>,
    Path((id, op)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/apps/{id}");
    let (active, key) = match op.as_str() {
        "activate" => (true, "app-activated"),
        "deactivate" => (false, "app-deactivated"),
        _ => return Err(PageError::not_found().with_link(back, "Back to the app")),
    };
    let changed = instances::set_status(state.store.as_ref(), state.apps(), &id, active)
        .await
        .map_err(|e| app_refused(e, &back))?;
    if !changed.changes.is_empty() {
        state.app_changed(&changed.app.client.client_id);
        m.audit.record(&state, &changed.changes);
    }
    Ok(done(&back, key))
}

pub async fn delete(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/apps/{id}");
    let gone = instances::delete(state.store.as_ref(), &id)
        .await
        .map_err(|e| app_refused(e, &back))?;
    state.app_changed(&gone.app.client.client_id);
    m.audit.record(&state, &gone.changes);
    Ok(done("/admin/apps", "app-deleted"))
}

#[derive(Deserialize)]
pub struct GroupChoice {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    group: String,
}
csrf_field!(GroupChoice);

pub async fn assign_group(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<GroupChoice>,
) -> Result<Response, PageError> {
    let back = format!("/admin/apps/{id}");
    let made = assignments::assign_group(
        state.store.as_ref(),
        state.clock.as_ref(),
        &id,
        form.group.trim(),
        0,
    )
    .await
    .map_err(|e| assign_refused(e, &back))?;
    m.audit.record(&state, &made.changes);
    Ok(done(&back, "group-assigned"))
}

pub async fn unassign_group(
    m: Manager,
    State(state): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/apps/{id}");
    let (_, changes) = assignments::unassign_group(state.store.as_ref(), &id, &gid)
        .await
        .map_err(|e| assign_refused(e, &back))?;
    m.audit.record(&state, &changes);
    Ok(done(&back, "unassigned"))
}

#[derive(Deserialize)]
pub struct UserChoice {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
}
csrf_field!(UserChoice);

pub async fn assign_user(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<UserChoice>,
) -> Result<Response, PageError> {
    let back = format!("/admin/apps/{id}");
    let made = assignments::assign_user(
        state.store.as_ref(),
        state.clock.as_ref(),
        &id,
        form.user.trim(),
        None,
    )
    .await
    .map_err(|e| assign_refused(e, &back))?;
    m.audit.record(&state, &made.changes);
    Ok(done(&back, "user-assigned"))
}

pub async fn unassign_user(
    m: Manager,
    State(state): State<AppState>,
    Path((id, uid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/apps/{id}");
    let (_, _, changes) = assignments::unassign_user(state.store.as_ref(), &id, &uid)
        .await
        .map_err(|e| assign_refused(e, &back))?;
    m.audit.record(&state, &changes);
    Ok(done(&back, "unassigned"))
}

/// A new client secret: the page that answers shows it, this once (no redirect: it is kept nowhere to show again).
pub async fn new_secret(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/apps/{id}");
    let made = instances::create_secret(state.store.as_ref(), state.apps(), &id)
        .await
        .map_err(|e| app_refused(e, &back))?;
    state.app_changed(&made.app.client.client_id);
    m.audit.record(&state, &made.changes);
    render_detail(&state, &m.admin, &id, Some(&made.minted.value), false).await
}

pub async fn secret_op(
    m: Manager,
    State(state): State<AppState>,
    Path((id, sid, op)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/apps/{id}");
    let store = state.store.as_ref();
    let (changed, key) = match op.as_str() {
        "activate" | "deactivate" => {
            let active = op == "activate";
            let c = instances::set_secret_status(store, state.apps(), &id, &sid, active).await;
            let key = if active {
                "secret-activated"
            } else {
                "secret-deactivated"
            };
            (c, key)
        }
        "delete" => (
            instances::delete_secret(store, &id, &sid).await,
            "secret-deleted",
        ),
        _ => return Err(PageError::not_found().with_link(back, "Back to the app")),
    };
    let changed = changed.map_err(|e| app_refused(e, &back))?;
    state.app_changed(&changed.app.client.client_id);
    m.audit.record(&state, &changed.changes);
    Ok(done(&back, key))
}

#[derive(Deserialize, Default)]
pub struct CatalogParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
    after: Option<String>,
}

struct EntryRow {
    name: String,
    display_name: String,
    category: String,
    description: String,
    website: String,
    builtin: bool,
}

#[derive(Template)]
#[template(path = "admin/catalog.html")]
struct Catalog {
    c: Chrome,
    q: String,
    category: String,
    categories: &'static [&'static str],
    error: Option<String>,
    rows: Vec<EntryRow>,
    next: Option<String>,
}

pub async fn catalog(
    admin: Admin,
    State(state): State<AppState>,
    Query(p): Query<CatalogParams>,
) -> Result<Response, PageError> {
    let q = p.q.trim().to_owned();
    let category = p.category.trim().to_owned();
    let categories = lanyard_catalog::manifest::CATEGORIES;
    let (status, error, rows, next) = if !category.is_empty()
        && !categories.contains(&category.as_str())
    {
        (
            StatusCode::BAD_REQUEST,
            Some(format!(
                "There is no category “{category}”: choose one from the list."
            )),
            Vec::new(),
            None,
        )
    } else {
        let query = lanyard_catalog::Query {
            q: Some(q.clone()).filter(|q| !q.is_empty()),
            category: Some(category.clone()).filter(|c| !c.is_empty()),
            sign_on_mode: None,
        };
        let all = state.catalog.all().await?;
        let after = p.after.as_deref().filter(|a| !a.is_empty());
        let from = after.map_or(0, |a| all.partition_point(|e| e.name() <= a));
        let (entries, more) = lanyard_catalog::page(&all[from..], &query, None, PAGE_SIZE as usize);
        let next = more
            .then(|| entries.last().map(|e| e.name().to_owned()))
            .flatten();
        let rows = entries
            .iter()
            .map(|e| EntryRow {
                name: e.name().to_owned(),
                display_name: e.manifest.display_name.clone(),
                category: e.manifest.category.clone(),
                description: e.manifest.description.clone(),
                website: e.manifest.website.clone(),
                builtin: e.builtin,
            })
            .collect();
        (
            StatusCode::OK,
            None,
            rows,
            next_href(
                "/admin/catalog",
                &[("q", &q), ("category", &category)],
                next.as_deref(),
            ),
        )
    };
    Ok(html(
        status,
        Catalog {
            c: Chrome::new(&state, &admin, "catalog"),
            q,
            category,
            categories,
            error,
            rows,
            next,
        }
        .render(),
    ))
}
