//! `/api/v1/groups`: create, read, list by name prefix (`q`), replace the profile, delete; members (add, remove,
//! list); and `/api/v1/users/{id}/groups`. The built-in `Everyone` group holds every user implicitly: it cannot be
//! changed or deleted, and adding or removing its members is refused (403 E0000006), since no call can change who
//! belongs to it.

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::clock::okta_format;
use lanyard_core::directory::groups;
use lanyard_core::directory::groups::GroupError;
use lanyard_core::model::Group;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use super::pagination::{PageQuery, list_response};
use super::users::find as find_user;
use super::users::user_json;
use crate::api::openapi::{Href, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

/// Okta's page sizes: groups (and a user's groups) default to and stop at 10,000, members at 1,000.
const GROUPS_LIMIT: u32 = 10_000;
const MEMBERS_LIMIT: u32 = 1_000;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/groups",
            list,
            doc().query::<ListQuery>().list::<GroupBody>(),
        )
        .post("/groups", create, doc().body::<GroupIn>().ok::<GroupBody>())
        .get("/groups/{gid}", read, doc().ok::<GroupBody>())
        .put(
            "/groups/{gid}",
            replace,
            doc().body::<GroupIn>().ok::<GroupBody>(),
        )
        .delete("/groups/{gid}", delete, doc().no_content())
        .get(
            "/groups/{gid}/users",
            members,
            doc().query::<PageQuery>().list::<super::users::UserBody>(),
        )
        .put("/groups/{gid}/users/{uid}", add_member, doc().no_content())
        .delete(
            "/groups/{gid}/users/{uid}",
            remove_member,
            doc().no_content(),
        )
        .get(
            "/users/{id}/groups",
            user_groups,
            doc().query::<PageQuery>().list::<GroupBody>(),
        )
}

/// A group in Okta's shape: what `group_json` sends, and its schema in the OpenAPI document.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Group")]
pub struct GroupBody {
    id: String,
    created: String,
    last_updated: String,
    last_membership_updated: String,
    object_class: [&'static str; 1],
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["OKTA_GROUP", "BUILT_IN"]))]
    group_type: &'static str,
    profile: GroupProfileBody,
    #[serde(rename = "_links")]
    links: GroupLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct GroupProfileBody {
    name: String,
    description: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct GroupLinks {
    #[serde(rename = "self")]
    this: Href,
    users: Href,
}

/// A group in Okta's shape.
pub fn group_json(g: &Group, base: &str) -> Value {
    let href = format!("{base}/api/v1/groups/{}", g.id);
    let body = GroupBody {
        id: g.id.clone(),
        created: okta_format(g.created),
        last_updated: okta_format(g.last_updated),
        last_membership_updated: okta_format(g.last_membership_updated),
        object_class: ["okta:user_group"],
        group_type: g.group_type.as_str(),
        profile: GroupProfileBody {
            name: g.name.clone(),
            description: g.description.clone(),
        },
        links: GroupLinks {
            users: Href::new(format!("{href}/users")),
            this: Href::new(href),
        },
    };
    serde_json::to_value(body).unwrap_or_default()
}

/// An operation on group `gid` (and user `uid`) refused, in Okta's terms: the built-in group cannot be changed
/// (403 E0000006).
pub(crate) fn refused(e: GroupError, gid: &str, uid: &str) -> ApiError {
    match e {
        GroupError::NotFound => ApiError::not_found(gid, "UserGroup"),
        GroupError::UserNotFound => ApiError::not_found(uid, "User"),
        GroupError::BuiltIn(what) => ApiError::of(OktaCode::Forbidden)
            .with_detail(format!("{what} of the built-in group refused")),
        GroupError::InvalidProfile(causes) => {
            let first = causes
                .first()
                .and_then(|c| c.split(':').next())
                .unwrap_or("profile")
                .to_owned();
            ApiError::validation(first, causes)
        }
        GroupError::NameTaken => ApiError::validation(
            "name",
            vec![
                "name: An object with this field already exists in the current organization".into(),
            ],
        ),
        GroupError::Store(e) => e.into(),
    }
}

async fn find(state: &AppState, id: &str) -> Result<Group, ApiError> {
    groups::find(state.store.as_ref(), id)
        .await
        .map_err(|e| refused(e, id, ""))
}

#[derive(schemars::JsonSchema, Deserialize)]
struct GroupIn {
    profile: Option<Map<String, Value>>,
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    filter: Option<String>,
    search: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    for (param, value) in [("filter", &q.filter), ("search", &q.search)] {
        if value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
            let mut e = ApiError::of(OktaCode::InvalidSearch);
            e.causes.push(format!(
                "{param}: not supported for groups; q finds groups by the start of their name"
            ));
            return Err(e);
        }
    }
    let req = q.page.to_request(GROUPS_LIMIT, GROUPS_LIMIT)?;
    let prefix = q.q.as_deref().filter(|p| !p.is_empty());
    let page = state.store.list_groups(prefix, &req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|g| group_json(g, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    OktaJson(body): OktaJson<GroupIn>,
) -> Result<Json<Value>, ApiError> {
    let profile = body.profile.unwrap_or_default();
    let made = groups::create(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.random.as_ref(),
        &profile,
    )
    .await
    .map_err(|e| refused(e, "", ""))?;
    tracing::info!(group = %made.group.id, "group created");
    audit.record(&state, &made.changes);
    Ok(Json(group_json(&made.group, &state.config.base_url)))
}

async fn read(
    State(state): State<AppState>,
    Path(gid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let group = find(&state, &gid).await?;
    Ok(Json(group_json(&group, &state.config.base_url)))
}

/// PUT replaces the profile: a description left out is removed.
async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(gid): Path<String>,
    OktaJson(body): OktaJson<GroupIn>,
) -> Result<Json<Value>, ApiError> {
    let profile = body.profile.unwrap_or_default();
    let changed = groups::replace(state.store.as_ref(), state.clock.as_ref(), &gid, &profile)
        .await
        .map_err(|e| refused(e, &gid, ""))?;
    tracing::info!(group = %changed.group.id, "group updated");
    audit.record(&state, &changed.changes);
    Ok(Json(group_json(&changed.group, &state.config.base_url)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(gid): Path<String>,
) -> Result<StatusCode, ApiError> {
    let changed = groups::delete(state.store.as_ref(), &gid)
        .await
        .map_err(|e| refused(e, &gid, ""))?;
    tracing::info!(group = %changed.group.id, "group deleted");
    audit.record(&state, &changed.changes);
    Ok(StatusCode::NO_CONTENT)
}

async fn members(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(gid): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let req = q.to_request(MEMBERS_LIMIT, MEMBERS_LIMIT)?;
    let group = find(&state, &gid).await?;
    let page = state.store.list_group_members(&group.id, &req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|u| user_json(u, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}

/// Adding a member twice is not an error.
async fn add_member(
    state: State<AppState>,
    audit: Audit,
    path: Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    change_membership(state, audit, path, true).await
}

/// Removing a user who is not a member is not an error.
async fn remove_member(
    state: State<AppState>,
    audit: Audit,
    path: Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    change_membership(state, audit, path, false).await
}

/// Adds or removes a member; logs only an actual change.
async fn change_membership(
    State(state): State<AppState>,
    audit: Audit,
    Path((gid, uid)): Path<(String, String)>,
    add: bool,
) -> Result<StatusCode, ApiError> {
    let m = groups::set_membership(state.store.as_ref(), state.clock.as_ref(), &gid, &uid, add)
        .await
        .map_err(|e| refused(e, &gid, &uid))?;
    if m.changed {
        tracing::info!(group = %m.group.id, user = %m.user.id, add, "group membership changed");
    }
    audit.record(&state, &m.changes);
    Ok(StatusCode::NO_CONTENT)
}

/// The user's groups, `Everyone` included.
async fn user_groups(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let req = q.to_request(GROUPS_LIMIT, GROUPS_LIMIT)?;
    let user = find_user(&state, &id).await?;
    let page = state.store.user_groups(&user.id, &req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|g| group_json(g, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}
