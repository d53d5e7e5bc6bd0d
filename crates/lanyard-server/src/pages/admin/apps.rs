//! `/admin/apps`: the apps, found by a prefix of their label (the API's `q`); `/admin/apps/{id}`: an app's client
//! settings, its assignments, and — for an app made from the catalog — its filled-in setup, the same content as
//! `GET /api/v1/apps/{id}/setup` (`crate::catalog::setup`); `/admin/catalog`: the integration catalog, searched
//! and narrowed to a category as the Catalog API does (`lanyard_catalog::page`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::model::{App, PageRequest};
use serde::Deserialize;
use serde_json::Value;

use super::{Admin, Chrome, next_href, when};
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
    href: String,
    name: String,
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
    let store = state.store.as_ref();
    let Some(app) = store.app(&id).await? else {
        return Err(PageError::not_found().with_link("/admin/apps", "Back to apps"));
    };
    let mut groups = Vec::new();
    for a in store
        .list_app_groups(&id, &PageRequest::first(ASSIGNMENTS_SHOWN))
        .await?
        .items
    {
        let name = match store.group(&a.group_id).await? {
            Some(g) => g.name,
            None => a.group_id.clone(),
        };
        groups.push(Assigned {
            href: format!("/admin/groups/{}", a.group_id),
            name,
        });
    }
    let users = store
        .list_app_users(&id, &PageRequest::first(ASSIGNMENTS_SHOWN))
        .await?
        .items
        .into_iter()
        .map(|a| Assigned {
            href: format!("/admin/users/{}", a.user_id),
            name: a.user_name,
        })
        .collect();
    let setup = crate::catalog::setup(&state, &app, None).await?;
    let c = &app.client;
    Ok(super::page(
        Detail {
            c: Chrome::new(&state, &admin, "apps"),
            auth_method: c.token_endpoint_auth_method.as_str(),
            pkce_required: c.pkce_required,
            grant_types: c.grant_types.iter().map(|g| g.as_str()).collect(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            initiate_login_uri: c.initiate_login_uri.clone().unwrap_or_default(),
            app: AppRow::of(&app),
            groups,
            users,
            setup: setup.as_ref().map(setup_view),
        }
        .render(),
    ))
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
