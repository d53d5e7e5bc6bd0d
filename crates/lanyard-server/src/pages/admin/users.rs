//! `/admin/users`: the users, found by a prefix of their name or email (the API's `q`) or by an expression in the
//! API's `search` language (the same parser, `lanyard_core::directory::filter`), a page at a time; and
//! `/admin/users/{id}`: a user's profile, status, administrator roles, groups, apps and factors.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::directory::filter::{self, USER_SEARCH};
use lanyard_core::directory::users::UserQuery;
use lanyard_core::model::{PageRequest, User};
use serde::Deserialize;
use serde_json::Value;

use super::{Admin, Chrome, next_href, when, when_opt};
use crate::pages::{PageError, html};
use crate::state::AppState;

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
    href: String,
    name: String,
    detail: String,
}

struct FactorRow {
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
    let store = state.store.as_ref();
    let Some(user) = store.user(&id).await? else {
        return Err(PageError::not_found().with_link("/admin/users", "Back to users"));
    };
    let mut profile: Vec<(String, String)> = user
        .profile
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    profile.sort();
    let groups = store.user_groups(&id, &PageRequest::first(200)).await?;
    let apps = store.apps_for_user(&id).await?;
    let factors = store.factors(&id).await?;
    let roles = store
        .user_roles(&id)
        .await?
        .into_iter()
        .map(|r| r.role_type.label())
        .collect();
    Ok(super::page(
        Detail {
            c: Chrome::new(&state, &admin, "users"),
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
                    href: format!("/admin/groups/{}", g.id),
                    name: g.name,
                    detail: g.group_type.as_str().to_owned(),
                })
                .collect(),
            apps: apps
                .into_iter()
                .map(|a| Named {
                    href: format!("/admin/apps/{}", a.id),
                    name: a.label,
                    detail: a.status.as_str().to_owned(),
                })
                .collect(),
            factors: factors
                .into_iter()
                .map(|f| FactorRow {
                    factor_type: f.factor_type.as_str(),
                    provider: f.provider,
                    status: f.status.as_str(),
                    created: when(f.created),
                })
                .collect(),
        }
        .render(),
    ))
}
