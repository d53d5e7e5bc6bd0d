//! `/api/v1/apps/{id}/users` and `/groups`: who may sign in to an app — users assigned directly (`POST /users` with
//! the id, or `POST`/`PUT /users/{uid}`), and groups (`PUT /groups/{gid}`).

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::apps::assignments;
use lanyard_core::apps::assignments::AssignError;
use lanyard_core::clock::okta_format;
use lanyard_core::model::{AppGroup, AppUser};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{app_refused, find};
use crate::api::error::ApiError;
use crate::api::extract::OktaJson;
use crate::api::openapi::{Href, Routes, doc};
use crate::api::pagination::{PageQuery, list_response};
use crate::api::users::find as find_user;
use crate::state::AppState;
use crate::syslog::Audit;

/// An assignment refused, in Okta's terms: `who` is the user or group asked for, `kind` what is missing when it
/// is not assigned.
fn refused(e: AssignError, app_id: &str, who: &str, kind: &str) -> ApiError {
    match e {
        AssignError::App(e) => app_refused(e, app_id),
        AssignError::UserNotFound => ApiError::not_found(who, "User"),
        AssignError::GroupNotFound => ApiError::not_found(who, "UserGroup"),
        AssignError::NotAssigned => ApiError::not_found(who, kind),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/apps/{id}/users",
            list_users,
            doc().query::<PageQuery>().list::<AppUserBody>(),
        )
        .post(
            "/apps/{id}/users",
            assign_user,
            doc().optional_body::<AppUserIn>().ok::<AppUserBody>(),
        )
        .get(
            "/apps/{id}/users/{uid}",
            read_user,
            doc().ok::<AppUserBody>(),
        )
        .post(
            "/apps/{id}/users/{uid}",
            assign_user_at,
            doc().optional_body::<AppUserIn>().ok::<AppUserBody>(),
        )
        .put(
            "/apps/{id}/users/{uid}",
            assign_user_at,
            doc().optional_body::<AppUserIn>().ok::<AppUserBody>(),
        )
        .delete("/apps/{id}/users/{uid}", unassign_user, doc().no_content())
        .get(
            "/apps/{id}/groups",
            list_groups,
            doc().query::<PageQuery>().list::<AppGroupBody>(),
        )
        .get(
            "/apps/{id}/groups/{gid}",
            read_group,
            doc().ok::<AppGroupBody>(),
        )
        .put(
            "/apps/{id}/groups/{gid}",
            assign_group,
            doc().optional_body::<AppGroupIn>().ok::<AppGroupBody>(),
        )
        .delete(
            "/apps/{id}/groups/{gid}",
            unassign_group,
            doc().no_content(),
        )
}

/// A user assigned to an app in Okta's shape (`AppUser`): what `app_user_json` sends. Lanyard keeps no per-app
/// profile and syncs nothing: the profile is empty, the status `ACTIVE`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AppUser")]
pub struct AppUserBody {
    id: String,
    external_id: Option<String>,
    created: String,
    last_updated: String,
    #[schemars(extend("enum" = ["USER", "GROUP"]))]
    scope: &'static str,
    status: &'static str,
    status_changed: String,
    password_changed: Option<String>,
    sync_state: &'static str,
    credentials: AppUserCredentials,
    /// The app's own attributes of the user, as the app defines them (none here).
    profile: Map<String, Value>,
    #[serde(rename = "_links")]
    links: AppUserLinks,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppUserCredentials {
    user_name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct AppUserLinks {
    app: Href,
    user: Href,
}

fn app_user_json(a: &AppUser, base: &str) -> AppUserBody {
    AppUserBody {
        id: a.user_id.clone(),
        external_id: None,
        created: okta_format(a.created),
        last_updated: okta_format(a.last_updated),
        scope: "USER",
        status: "ACTIVE",
        status_changed: okta_format(a.created),
        password_changed: None,
        sync_state: "DISABLED",
        credentials: AppUserCredentials {
            user_name: a.user_name.clone(),
        },
        profile: Map::new(),
        links: AppUserLinks {
            app: Href::new(format!("{base}/api/v1/apps/{}", a.app_id)),
            user: Href::new(format!("{base}/api/v1/users/{}", a.user_id)),
        },
    }
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct AppUserIn {
    id: Option<String>,
    scope: Option<String>,
    #[serde(default)]
    credentials: Map<String, Value>,
}

async fn assign_user(
    state: State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    body: OktaJson<Option<AppUserIn>>,
) -> Result<Json<AppUserBody>, ApiError> {
    put_user(state, audit, id, None, body.0.unwrap_or_default()).await
}

async fn assign_user_at(
    state: State<AppState>,
    audit: Audit,
    Path((id, uid)): Path<(String, String)>,
    body: OktaJson<Option<AppUserIn>>,
) -> Result<Json<AppUserBody>, ApiError> {
    put_user(state, audit, id, Some(uid), body.0.unwrap_or_default()).await
}

async fn put_user(
    State(state): State<AppState>,
    audit: Audit,
    app_id: String,
    path_user: Option<String>,
    body: AppUserIn,
) -> Result<Json<AppUserBody>, ApiError> {
    let Some(uid) = path_user.or(body.id.clone()) else {
        find(&state, &app_id).await?;
        return Err(ApiError::validation(
            "id",
            vec!["id: the user's id is required".into()],
        ));
    };
    if let Some(scope) = body.scope.as_deref()
        && scope != "USER"
    {
        find(&state, &app_id).await?;
        return Err(ApiError::validation(
            "scope",
            vec![format!(
                "scope: only USER assignments are made here, not {scope:?}"
            )],
        ));
    }
    let user_name = body
        .credentials
        .get("userName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let made = assignments::assign_user(
        state.store.as_ref(),
        state.clock.as_ref(),
        &app_id,
        &uid,
        user_name,
    )
    .await
    .map_err(|e| refused(e, &app_id, &uid, "AppUser"))?;
    audit.record(&state, &made.changes);
    Ok(Json(app_user_json(
        &made.assignment,
        &state.config.base_url,
    )))
}

async fn list_users(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let req = q.to_request(50, 500)?;
    let app = find(&state, &id).await?;
    let page = state.store.list_app_users(&app.id, &req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|a| app_user_json(a, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}

async fn read_user(
    State(state): State<AppState>,
    Path((id, uid)): Path<(String, String)>,
) -> Result<Json<AppUserBody>, ApiError> {
    let app = find(&state, &id).await?;
    let user = find_user(&state, &uid).await?;
    let a = state
        .store
        .app_user(&app.id, &user.id)
        .await?
        .ok_or_else(|| ApiError::not_found(&uid, "AppUser"))?;
    Ok(Json(app_user_json(&a, &state.config.base_url)))
}

async fn unassign_user(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, uid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (_, _, changes) = assignments::unassign_user(state.store.as_ref(), &id, &uid)
        .await
        .map_err(|e| refused(e, &id, &uid, "AppUser"))?;
    audit.record(&state, &changes);
    Ok(StatusCode::NO_CONTENT)
}

/// A group's assignment to an app in Okta's shape: what `app_group_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ApplicationGroupAssignment")]
pub struct AppGroupBody {
    id: String,
    last_updated: String,
    priority: i64,
    profile: Map<String, Value>,
    #[serde(rename = "_links")]
    links: AppGroupLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct AppGroupLinks {
    app: Href,
    group: Href,
}

fn app_group_json(a: &AppGroup, base: &str) -> Value {
    let body = AppGroupBody {
        id: a.group_id.clone(),
        last_updated: okta_format(a.last_updated),
        priority: a.priority,
        profile: Map::new(),
        links: AppGroupLinks {
            app: Href::new(format!("{base}/api/v1/apps/{}", a.app_id)),
            group: Href::new(format!("{base}/api/v1/groups/{}", a.group_id)),
        },
    };
    serde_json::to_value(body).unwrap_or_default()
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct AppGroupIn {
    priority: Option<i64>,
}

async fn assign_group(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, gid)): Path<(String, String)>,
    OktaJson(body): OktaJson<Option<AppGroupIn>>,
) -> Result<Json<Value>, ApiError> {
    let priority = body.and_then(|b| b.priority).unwrap_or(0);
    let made = assignments::assign_group(
        state.store.as_ref(),
        state.clock.as_ref(),
        &id,
        &gid,
        priority,
    )
    .await
    .map_err(|e| refused(e, &id, &gid, "ApplicationGroupAssignment"))?;
    audit.record(&state, &made.changes);
    Ok(Json(app_group_json(
        &made.assignment,
        &state.config.base_url,
    )))
}

async fn list_groups(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let req = q.to_request(20, 200)?;
    let app = find(&state, &id).await?;
    let page = state.store.list_app_groups(&app.id, &req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|a| app_group_json(a, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}

async fn read_group(
    State(state): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let app = find(&state, &id).await?;
    let a = state
        .store
        .app_group(&app.id, &gid)
        .await?
        .ok_or_else(|| ApiError::not_found(&gid, "ApplicationGroupAssignment"))?;
    Ok(Json(app_group_json(&a, &state.config.base_url)))
}

async fn unassign_group(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, gid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (_, changes) = assignments::unassign_group(state.store.as_ref(), &id, &gid)
        .await
        .map_err(|e| refused(e, &id, &gid, "ApplicationGroupAssignment"))?;
    audit.record(&state, &changes);
    Ok(StatusCode::NO_CONTENT)
}
