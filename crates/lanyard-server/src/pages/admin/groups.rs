//! `/admin/groups`: the groups, found by a prefix of their name (the API's `q`), a page at a time; and
//! `/admin/groups/{id}`: a group and its members, a page at a time.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lanyard_core::model::PageRequest;
use serde::Deserialize;

use super::users::Row;
use super::{Admin, Chrome, next_href, when};
use crate::pages::PageError;
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

pub use super::PrefixQuery as ListParams;

struct GroupRow {
    id: String,
    name: String,
    kind: &'static str,
    description: String,
    created: String,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct List {
    c: Chrome,
    q: String,
    rows: Vec<GroupRow>,
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
        .list_groups(
            Some(q.as_str()).filter(|q| !q.is_empty()),
            &p.page(PAGE_SIZE),
        )
        .await?;
    Ok(super::page(
        List {
            c: Chrome::new(&state, &admin, "groups"),
            next: next_href("/admin/groups", &[("q", &q)], page.next.as_deref()),
            q,
            rows: page
                .items
                .into_iter()
                .map(|g| GroupRow {
                    id: g.id,
                    name: g.name,
                    kind: g.group_type.as_str(),
                    description: g.description.unwrap_or_default(),
                    created: when(g.created),
                })
                .collect(),
        }
        .render(),
    ))
}

#[derive(Deserialize, Default)]
pub struct MemberParams {
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/group.html")]
struct Detail {
    c: Chrome,
    group: GroupRow,
    members: Vec<Row>,
    next: Option<String>,
}

pub async fn detail(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<MemberParams>,
) -> Result<Response, PageError> {
    let Some(g) = state.store.group(&id).await? else {
        return Err(PageError::not_found().with_link("/admin/groups", "Back to groups"));
    };
    let members = state
        .store
        .list_group_members(
            &id,
            &PageRequest {
                limit: PAGE_SIZE,
                after: p.after.filter(|a| !a.is_empty()),
            },
        )
        .await?;
    let path = format!("/admin/groups/{id}");
    Ok(super::page(
        Detail {
            c: Chrome::new(&state, &admin, "groups"),
            next: next_href(&path, &[], members.next.as_deref()),
            group: GroupRow {
                id: g.id,
                name: g.name,
                kind: g.group_type.as_str(),
                description: g.description.unwrap_or_default(),
                created: when(g.created),
            },
            members: members.items.iter().map(Row::of).collect(),
        }
        .render(),
    ))
}
