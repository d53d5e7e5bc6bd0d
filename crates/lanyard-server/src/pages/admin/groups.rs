//! `/admin/groups`: the groups, found by a prefix of their name (the API's `q`), a page at a time; and
//! `/admin/groups/{id}`: a group and its members, a page at a time. An administrator who may change things creates
//! a group, edits its name and description, deletes it, and adds and removes members: the Groups API's operations
//! (`lanyard_core::directory::groups`). The built-in `Everyone` offers none of these.

use crate::pages::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::directory::groups::{self, GroupError};
use lanyard_core::model::{Group, PageRequest};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::forms::{FieldError, Manager, done, error_for, field_errors};
use super::users::{Button, Row, group_refused};
use super::{Admin, Chrome, next_href, when};
use crate::csrf_field;
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, html};
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

pub use super::PrefixQuery as ListParams;

struct GroupRow {
    id: String,
    name: String,
    kind: &'static str,
    description: String,
    created: String,
    built_in: bool,
}

impl GroupRow {
    fn of(g: Group) -> Self {
        GroupRow {
            built_in: g.is_built_in(),
            id: g.id,
            name: g.name,
            kind: g.group_type.as_str(),
            description: g.description.unwrap_or_default(),
            created: when(g.created),
        }
    }
}

/// A group's profile as the forms post it.
#[derive(Deserialize, Default)]
pub struct GroupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}
csrf_field!(GroupForm);

impl GroupForm {
    fn profile(&self) -> Map<String, Value> {
        let mut p = Map::new();
        p.insert("name".into(), Value::String(self.name.trim().to_owned()));
        let d = self.description.trim();
        if !d.is_empty() {
            p.insert("description".into(), Value::String(d.to_owned()));
        }
        p
    }
}

/// A refused profile's causes next to the fields, or the page saying why.
fn form_errors(e: GroupError, back: &str) -> Result<Vec<FieldError>, PageError> {
    match e {
        GroupError::InvalidProfile(c) => Ok(field_errors(&c, "name")),
        GroupError::NameTaken => Ok(vec![FieldError {
            field: "name".into(),
            message: "Another group already has this name.".into(),
        }]),
        e => Err(group_refused(e, back)),
    }
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct List {
    c: Chrome,
    q: String,
    rows: Vec<GroupRow>,
    next: Option<String>,
    form: GroupForm,
    errors: Vec<FieldError>,
}

impl List {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

pub async fn list(
    admin: Admin,
    State(state): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    render_list(&state, &admin, &p, GroupForm::default(), Vec::new()).await
}

async fn render_list(
    state: &AppState,
    admin: &Admin,
    p: &ListParams,
    form: GroupForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let q = p.prefix();
    let page = state
        .store
        .list_groups(
            Some(q.as_str()).filter(|q| !q.is_empty()),
            &p.page(PAGE_SIZE),
        )
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(admin.respond(html(
        status,
        List {
            c: Chrome::new(state, admin, "groups"),
            next: next_href("/admin/groups", &[("q", &q)], page.next.as_deref()),
            q,
            rows: page.items.into_iter().map(GroupRow::of).collect(),
            form,
            errors,
        }
        .render(),
    )))
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<GroupForm>,
) -> Result<Response, PageError> {
    match groups::create(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.random.as_ref(),
        &form.profile(),
    )
    .await
    {
        Ok(made) => {
            m.audit.record(&state, &made.changes);
            Ok(done(
                &format!("/admin/groups/{}", made.group.id),
                "group-created",
            ))
        }
        Err(e) => {
            let errors = form_errors(e, "/admin/groups")?;
            render_list(&state, &m.admin, &ListParams::default(), form, errors).await
        }
    }
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
    form: GroupForm,
    errors: Vec<FieldError>,
}

impl Detail {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

pub async fn detail(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<MemberParams>,
) -> Result<Response, PageError> {
    render_detail(&state, &admin, &id, p, None, Vec::new()).await
}

async fn render_detail(
    state: &AppState,
    admin: &Admin,
    id: &str,
    p: MemberParams,
    posted: Option<GroupForm>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let id = id.to_owned();
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
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let form = posted.unwrap_or_else(|| GroupForm {
        name: g.name.clone(),
        description: g.description.clone().unwrap_or_default(),
        ..GroupForm::default()
    });
    Ok(admin.respond(html(
        status,
        Detail {
            c: Chrome::new(state, admin, "groups"),
            next: next_href(&path, &[], members.next.as_deref()),
            group: GroupRow::of(g),
            members: members.items.iter().map(Row::of).collect(),
            form,
            errors,
        }
        .render(),
    )))
}

pub async fn update(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<GroupForm>,
) -> Result<Response, PageError> {
    let back = format!("/admin/groups/{id}");
    match groups::replace(
        state.store.as_ref(),
        state.clock.as_ref(),
        &id,
        &form.profile(),
    )
    .await
    {
        Ok(changed) => {
            m.audit.record(&state, &changed.changes);
            Ok(done(&back, "group-saved"))
        }
        Err(e) => {
            let errors = form_errors(e, &back)?;
            render_detail(
                &state,
                &m.admin,
                &id,
                MemberParams::default(),
                Some(form),
                errors,
            )
            .await
        }
    }
}

pub async fn delete(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/groups/{id}");
    let gone = groups::delete(state.store.as_ref(), &id)
        .await
        .map_err(|e| group_refused(e, &back))?;
    m.audit.record(&state, &gone.changes);
    Ok(done("/admin/groups", "group-deleted"))
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
}
csrf_field!(MemberForm);

pub async fn add_member(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<MemberForm>,
) -> Result<Response, PageError> {
    let back = format!("/admin/groups/{id}");
    let changed = groups::set_membership(
        state.store.as_ref(),
        state.clock.as_ref(),
        &id,
        form.user.trim(),
        true,
    )
    .await
    .map_err(|e| group_refused(e, &back))?;
    m.audit.record(&state, &changed.changes);
    Ok(done(&back, "member-added"))
}

pub async fn remove_member(
    m: Manager,
    State(state): State<AppState>,
    Path((id, uid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/groups/{id}");
    let changed =
        groups::set_membership(state.store.as_ref(), state.clock.as_ref(), &id, &uid, false)
            .await
            .map_err(|e| group_refused(e, &back))?;
    m.audit.record(&state, &changed.changes);
    Ok(done(&back, "member-removed"))
}
