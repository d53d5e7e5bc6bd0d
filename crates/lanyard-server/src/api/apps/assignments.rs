//! `/api/v1/apps/{id}/users` and `/groups`: who may sign in to an app — users assigned directly (`POST /users` with
//! the id, or `POST`/`PUT /users/{uid}`), and groups (`PUT /groups/{gid}`).

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::clock::okta_format;
use lanyard_core::model::{AppGroup, AppUser};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{app_target, find};
use crate::api::error::ApiError;
use crate::api::extract::OktaJson;
use crate::api::openapi::{Href, Object, Routes, doc};
use crate::api::pagination::{PageQuery, list_response};
use crate::api::users::find as find_user;
use crate::state::AppState;
use crate::syslog::{Audit, user_target};

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/apps/{id}/users",
            list_users,
            doc().query::<PageQuery>().list::<Object>(),
        )
        .post(
            "/apps/{id}/users",
            assign_user,
            doc().optional_body::<AppUserIn>().ok::<Object>(),
        )
        .get("/apps/{id}/users/{uid}", read_user, doc().ok::<Object>())
        .post(
            "/apps/{id}/users/{uid}",
            assign_user_at,
            doc().optional_body::<AppUserIn>().ok::<Object>(),
        )
        .put(
            "/apps/{id}/users/{uid}",
            assign_user_at,
            doc().optional_body::<AppUserIn>().ok::<Object>(),
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

fn app_user_json(a: &AppUser, base: &str) -> Value {
    json!({
        "id": a.user_id,
        "externalId": null,
        "created": okta_format(a.created),
        "lastUpdated": okta_format(a.last_updated),
        "scope": "USER",
        "status": "ACTIVE",
        "statusChanged": okta_format(a.created),
        "passwordChanged": null,
        "syncState": "DISABLED",
        "credentials": { "userName": a.user_name },
        "profile": {},
        "_links": {
            "app": { "href": format!("{base}/api/v1/apps/{}", a.app_id) },
            "user": { "href": format!("{base}/api/v1/users/{}", a.user_id) },
        },
    })
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
) -> Result<Json<Value>, ApiError> {
    put_user(state, audit, id, None, body.0.unwrap_or_default()).await
}

async fn assign_user_at(
    state: State<AppState>,
    audit: Audit,
    Path((id, uid)): Path<(String, String)>,
    body: OktaJson<Option<AppUserIn>>,
) -> Result<Json<Value>, ApiError> {
    put_user(state, audit, id, Some(uid), body.0.unwrap_or_default()).await
}

async fn put_user(
    State(state): State<AppState>,
    audit: Audit,
    app_id: String,
    path_user: Option<String>,
    body: AppUserIn,
) -> Result<Json<Value>, ApiError> {
    let app = find(&state, &app_id).await?;
    let Some(uid) = path_user.or(body.id.clone()) else {
        return Err(ApiError::validation(
            "id",
            vec!["id: the user's id is required".into()],
        ));
    };
    if let Some(scope) = body.scope.as_deref()
        && scope != "USER"
    {
        return Err(ApiError::validation(
            "scope",
            vec![format!(
                "scope: only USER assignments are made here, not {scope:?}"
            )],
        ));
    }
    let user = find_user(&state, &uid).await?;
    let now = state.clock.now();
    let user_name = body
        .credentials
        .get("userName")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| user.login.clone());
    let previous = state.store.app_user(&app.id, &user.id).await?;
    let assignment = AppUser {
        app_id: app.id.clone(),
        user_id: user.id.clone(),
        user_name,
        created: previous.as_ref().map_or(now, |p| p.created),
        last_updated: now,
    };
    if !state.store.put_app_user(&assignment).await? {
        return Err(ApiError::not_found(&uid, "User"));
    }
    if previous.is_none() {
        let e = audit.event(
            &state,
            "application.user_membership.add",
            "Add user to application membership",
        );
        state
            .syslog
            .record(e.target(user_target(&user)).target(app_target(&app)));
    }
    Ok(Json(app_user_json(&assignment, &state.config.base_url)))
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
) -> Result<Json<Value>, ApiError> {
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
    let app = find(&state, &id).await?;
    let user = find_user(&state, &uid).await?;
    if !state.store.delete_app_user(&app.id, &user.id).await? {
        return Err(ApiError::not_found(&uid, "AppUser"));
    }
    let e = audit.event(
        &state,
        "application.user_membership.remove",
        "Remove user from application membership",
    );
    state
        .syslog
        .record(e.target(user_target(&user)).target(app_target(&app)));
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
    let app = find(&state, &id).await?;
    let group = state
        .store
        .group(&gid)
        .await?
        .ok_or_else(|| ApiError::not_found(&gid, "UserGroup"))?;
    let priority = body.and_then(|b| b.priority).unwrap_or(0);
    if !(0..=100).contains(&priority) {
        return Err(ApiError::validation(
            "priority",
            vec!["priority: must be between 0 and 100".into()],
        ));
    }
    let assignment = AppGroup {
        app_id: app.id.clone(),
        group_id: group.id.clone(),
        priority,
        last_updated: state.clock.now(),
    };
    if !state.store.put_app_group(&assignment).await? {
        return Err(ApiError::not_found(&gid, "UserGroup"));
    }
    let e = audit.event(
        &state,
        "application.user_membership.add",
        "Add group to application",
    );
    state.syslog.record(
        e.target(app_target(&app))
            .target(lanyard_core::syslog::Party::new(
                &group.id,
                "UserGroup",
                &group.name,
                &group.name,
            )),
    );
    Ok(Json(app_group_json(&assignment, &state.config.base_url)))
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
    Path((id, gid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let app = find(&state, &id).await?;
    if !state.store.delete_app_group(&app.id, &gid).await? {
        return Err(ApiError::not_found(&gid, "ApplicationGroupAssignment"));
    }
    Ok(StatusCode::NO_CONTENT)
}
