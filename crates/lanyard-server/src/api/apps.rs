//! `/api/v1/apps`: OpenID Connect apps in Okta's shape — create (`?activate=`), read, list (`q` = label prefix),
//! replace, lifecycle, delete (only once deactivated, as Okta); client secrets (`/credentials/secrets`, at most two,
//! both usable while rotating; the value is shown once, only its SHA-256 is kept); users assigned directly
//! (`/users`) and groups (`/groups`). Only assigned users may sign in to an app. Every change to an app or its secrets
//! drops this node's cached client (`crate::clients`), so client authentication follows at once.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use lanyard_core::apps::{client_from_body, mint_secret};
use lanyard_core::clock::okta_format;
use lanyard_core::id::{new_id, prefix};
use lanyard_core::model::{App, AppGroup, AppUser, ClientSecret, LifecycleStatus};
use lanyard_core::store::StoreError;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::extract::OktaJson;
use super::pagination::{PageQuery, list_response};
use super::users::find as find_user;
use crate::state::AppState;
use crate::syslog::{Audit, user_target};

const APPS_LIMIT: u32 = 200;
/// Okta allows two secrets per app: the current one and the next while rotating.
const MAX_SECRETS: usize = 2;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/apps", get(list).post(create))
        .route("/apps/{id}", get(read).put(replace).delete(delete))
        .route("/apps/{id}/lifecycle/{op}", post(lifecycle))
        .route(
            "/apps/{id}/credentials/secrets",
            get(list_secrets).post(create_secret),
        )
        .route(
            "/apps/{id}/credentials/secrets/{sid}",
            get(read_secret).delete(delete_secret),
        )
        .route(
            "/apps/{id}/credentials/secrets/{sid}/lifecycle/{op}",
            post(secret_lifecycle),
        )
        .route("/apps/{id}/users", get(list_users).post(assign_user))
        .route(
            "/apps/{id}/users/{uid}",
            get(read_user).post(assign_user_at).delete(unassign_user),
        )
        .route("/apps/{id}/groups", get(list_groups))
        .route(
            "/apps/{id}/groups/{gid}",
            get(read_group).put(assign_group).delete(unassign_group),
        )
}

pub fn app_target(a: &App) -> lanyard_core::syslog::Party {
    lanyard_core::syslog::Party::new(&a.id, "AppInstance", &a.name, &a.label)
}

/// An app in Okta's shape; `secret` is the value of a secret just minted, shown this once.
pub fn app_json(a: &App, base: &str, secret: Option<&str>) -> Value {
    let href = format!("{base}/api/v1/apps/{}", a.id);
    let c = &a.client;
    let mut oauth_settings = Map::new();
    oauth_settings.insert("client_uri".into(), Value::Null);
    oauth_settings.insert("logo_uri".into(), Value::Null);
    for (k, v) in &c.extra {
        oauth_settings.insert(k.clone(), v.clone());
    }
    oauth_settings.insert("redirect_uris".into(), json!(c.redirect_uris));
    oauth_settings.insert(
        "post_logout_redirect_uris".into(),
        json!(c.post_logout_redirect_uris),
    );
    oauth_settings.insert("response_types".into(), json!(c.response_types));
    oauth_settings.insert("grant_types".into(), json!(c.grant_types));
    oauth_settings.insert(
        "application_type".into(),
        json!(c.application_type.as_str()),
    );
    oauth_settings.insert("consent_method".into(), json!(c.consent_method));
    oauth_settings.insert("issuer_mode".into(), json!("ORG_URL"));
    oauth_settings.insert(
        "dpop_bound_access_tokens".into(),
        json!(c.dpop_bound_access_tokens),
    );
    let l = &c.logout;
    if let Some(u) = &l.backchannel_logout_uri {
        oauth_settings.insert("backchannel_logout_uri".into(), json!(u));
        oauth_settings.insert(
            "backchannel_logout_session_required".into(),
            json!(l.backchannel_logout_session_required),
        );
    }
    if let Some(u) = &l.frontchannel_logout_uri {
        oauth_settings.insert("frontchannel_logout_uri".into(), json!(u));
        oauth_settings.insert(
            "frontchannel_logout_session_required".into(),
            json!(l.frontchannel_logout_session_required),
        );
    }
    if let Some(u) = &c.initiate_login_uri {
        oauth_settings.insert("initiate_login_uri".into(), json!(u));
    }
    if let Some(j) = &c.jwks {
        oauth_settings.insert("jwks".into(), j.clone());
    }
    if let Some(u) = &c.jwks_uri {
        oauth_settings.insert("jwks_uri".into(), json!(u));
    }
    let mut oauth_credentials = json!({
        "autoKeyRotation": true,
        "client_id": c.client_id,
        "token_endpoint_auth_method": c.token_endpoint_auth_method.as_str(),
        "pkce_required": c.pkce_required,
    });
    if let Some(s) = secret {
        oauth_credentials["client_secret"] = json!(s);
    }
    let (op, op_name) = match a.status {
        LifecycleStatus::Active => ("deactivate", "deactivate"),
        LifecycleStatus::Inactive => ("activate", "activate"),
    };
    json!({
        "id": a.id,
        "name": a.name,
        "label": a.label,
        "status": a.status.as_str(),
        "created": okta_format(a.created),
        "lastUpdated": okta_format(a.last_updated),
        "signOnMode": a.sign_on_mode,
        "accessibility": { "selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null },
        "visibility": { "autoSubmitToolbar": false, "hide": { "iOS": false, "web": false } },
        "features": [],
        "credentials": {
            "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
            "signing": {},
            "oauthClient": oauth_credentials,
        },
        "settings": { "app": {}, "oauthClient": oauth_settings },
        "_links": {
            "self": { "href": href },
            "users": { "href": format!("{href}/users") },
            "groups": { "href": format!("{href}/groups") },
            op_name: { "href": format!("{href}/lifecycle/{op}"), "hints": { "allow": ["POST"] } },
        },
    })
}

async fn find(state: &AppState, id: &str) -> Result<App, ApiError> {
    state
        .store
        .app(id)
        .await?
        .ok_or_else(|| ApiError::not_found(id, "AppInstance"))
}

#[derive(Deserialize)]
struct AppIn {
    name: Option<String>,
    label: Option<String>,
    #[serde(rename = "signOnMode")]
    sign_on_mode: Option<String>,
    #[serde(default)]
    credentials: Map<String, Value>,
    #[serde(default)]
    settings: Map<String, Value>,
}

/// Checks the app-level fields; returns the label.
fn check_app(body: &AppIn) -> Result<String, ApiError> {
    let mut causes = Vec::new();
    match body.name.as_deref() {
        Some("oidc_client") | None => {}
        Some(other) => causes.push(format!(
            "name: only OpenID Connect apps (oidc_client) are supported, not {other:?}"
        )),
    }
    match body.sign_on_mode.as_deref() {
        Some("OPENID_CONNECT") | None => {}
        Some(other) => causes.push(format!(
            "signOnMode: only OPENID_CONNECT is supported, not {other:?}"
        )),
    }
    let label = body.label.clone().unwrap_or_default();
    if label.trim().is_empty() {
        causes.push("label: The field cannot be left blank".into());
    } else if label.chars().count() > 100 {
        causes.push("label: must be at most 100 characters".into());
    }
    if causes.is_empty() {
        Ok(label)
    } else {
        Err(ApiError::validation(
            causes[0].split(':').next().unwrap_or("app").to_owned(),
            causes,
        ))
    }
}

fn client_causes(causes: Vec<String>) -> ApiError {
    let field = causes
        .first()
        .and_then(|c| c.split(':').next())
        .unwrap_or("settings")
        .to_owned();
    ApiError::validation(field, causes)
}

/// A `sector_identifier_uri` must list the app's redirect URIs (OIDC Registration §5).
async fn check_sector(
    state: &AppState,
    client: &lanyard_core::model::OAuthClient,
) -> Result<(), ApiError> {
    crate::oauth::registration::check_sector(state, client)
        .await
        .map_err(|e| ApiError::validation("sector_identifier_uri", vec![e.description]))
}

fn client_id_taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::validation(
            "client_id",
            vec![
                "client_id: An object with this field already exists in the current organization"
                    .into(),
            ],
        ),
        other => other.into(),
    }
}

#[derive(Deserialize, Default)]
struct CreateQuery {
    activate: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Query(q): Query<CreateQuery>,
    OktaJson(body): OktaJson<AppIn>,
) -> Result<Json<Value>, ApiError> {
    let label = check_app(&body)?;
    let now = state.clock.now();
    let id = new_id(prefix::APP, now, state.random.as_ref());
    let client =
        client_from_body(&body.credentials, &body.settings, &id, None).map_err(client_causes)?;
    check_sector(&state, &client).await?;
    let activate = !matches!(q.activate.as_deref(), Some("false"));
    let app = App {
        id,
        name: "oidc_client".into(),
        label,
        status: if activate {
            LifecycleStatus::Active
        } else {
            LifecycleStatus::Inactive
        },
        sign_on_mode: "OPENID_CONNECT".into(),
        client,
        created: now,
        last_updated: now,
    };
    let minted = app
        .client
        .token_endpoint_auth_method
        .uses_secret()
        .then(|| mint_secret(state.random.as_ref()));
    let stored = minted.as_ref().map(|m| ClientSecret {
        id: new_id(prefix::CLIENT_SECRET, now, state.random.as_ref()),
        app_id: app.id.clone(),
        hash: m.hash,
        prefix: m.prefix.clone(),
        status: LifecycleStatus::Active,
        created: now,
        last_updated: now,
    });
    state
        .store
        .insert_app(&app, stored.as_ref())
        .await
        .map_err(client_id_taken)?;
    state.app_changed(&app.client.client_id);
    tracing::info!(app = %app.id, client_id = %app.client.client_id, "app created");
    let e = audit.event(&state, "application.lifecycle.create", "Add application");
    state.syslog.record(e.target(app_target(&app)));
    Ok(Json(app_json(
        &app,
        &state.config.base_url,
        minted.as_ref().map(|m| m.value.as_str()),
    )))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let req = q.page.to_request(20, APPS_LIMIT)?;
    let prefix = q.q.as_deref().filter(|p| !p.is_empty());
    let page = state.store.list_apps(prefix, &req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|a| app_json(a, base, None)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let app = find(&state, &id).await?;
    Ok(Json(app_json(&app, &state.config.base_url, None)))
}

/// PUT replaces the label and the OAuth settings; the client id and secrets stay.
async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<AppIn>,
) -> Result<Json<Value>, ApiError> {
    let mut app = find(&state, &id).await?;
    let label = check_app(&body)?;
    let client = client_from_body(
        &body.credentials,
        &body.settings,
        &app.id,
        Some(&app.client),
    )
    .map_err(client_causes)?;
    check_sector(&state, &client).await?;
    if client.token_endpoint_auth_method.uses_secret()
        && !app.client.token_endpoint_auth_method.uses_secret()
        && state.store.client_secrets(&app.id).await?.is_empty()
    {
        return Err(ApiError::validation(
            "token_endpoint_auth_method",
            vec!["token_endpoint_auth_method: the app has no client secret; create one at /credentials/secrets first".into()],
        ));
    }
    app.label = label;
    app.client = client;
    app.last_updated = state.clock.now();
    if !state.store.update_app(&app).await? {
        return Err(ApiError::not_found(&id, "AppInstance"));
    }
    state.app_changed(&app.client.client_id);
    let e = audit.event(&state, "application.lifecycle.update", "Update application");
    state.syslog.record(e.target(app_target(&app)));
    Ok(Json(app_json(&app, &state.config.base_url, None)))
}

async fn lifecycle(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, op)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (status, event, message) = match op.as_str() {
        "activate" => (
            LifecycleStatus::Active,
            "application.lifecycle.activate",
            "Activate application",
        ),
        "deactivate" => (
            LifecycleStatus::Inactive,
            "application.lifecycle.deactivate",
            "Deactivate application",
        ),
        _ => {
            return Err(ApiError::not_found_path(&format!(
                "/api/v1/apps/{id}/lifecycle/{op}"
            )));
        }
    };
    let mut app = find(&state, &id).await?;
    if app.status != status {
        app.status = status;
        app.last_updated = state.clock.now();
        state.store.update_app(&app).await?;
        state.app_changed(&app.client.client_id);
        state
            .syslog
            .record(audit.event(&state, event, message).target(app_target(&app)));
    }
    Ok(Json(json!({})))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let app = find(&state, &id).await?;
    if app.status == LifecycleStatus::Active {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000056",
            "Delete application forbidden.",
        )
        .with_detail("an active app must be deactivated first"));
    }
    state.store.delete_app(&app.id).await?;
    state.app_changed(&app.client.client_id);
    let e = audit.event(&state, "application.lifecycle.delete", "Delete application");
    state.syslog.record(e.target(app_target(&app)));
    Ok(StatusCode::NO_CONTENT)
}

// --- client secrets ---

fn secret_json(s: &ClientSecret, base: &str, value: Option<&str>) -> Value {
    let href = format!(
        "{base}/api/v1/apps/{}/credentials/secrets/{}",
        s.app_id, s.id
    );
    let mut v = json!({
        "id": s.id,
        "status": s.status.as_str(),
        "created": okta_format(s.created),
        "lastUpdated": okta_format(s.last_updated),
        "secret_hash": lanyard_core::random::b64url(&s.hash[..16]),
        "client_secret": format!("{}{}", s.prefix, "*".repeat(8)),
        "_links": { "self": { "href": href } },
    });
    if let Some(value) = value {
        v["client_secret"] = json!(value);
    }
    v
}

async fn find_secret(state: &AppState, app: &App, sid: &str) -> Result<ClientSecret, ApiError> {
    state
        .store
        .client_secrets(&app.id)
        .await?
        .into_iter()
        .find(|s| s.id == sid)
        .ok_or_else(|| ApiError::not_found(sid, "ClientSecret"))
}

async fn list_secrets(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let app = find(&state, &id).await?;
    let base = &state.config.base_url;
    let secrets = state.store.client_secrets(&app.id).await?;
    Ok(Json(Value::Array(
        secrets.iter().map(|s| secret_json(s, base, None)).collect(),
    )))
}

async fn read_secret(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let app = find(&state, &id).await?;
    let s = find_secret(&state, &app, &sid).await?;
    Ok(Json(secret_json(&s, &state.config.base_url, None)))
}

async fn create_secret(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let app = find(&state, &id).await?;
    if !app.client.token_endpoint_auth_method.uses_secret() {
        return Err(ApiError::validation(
            "token_endpoint_auth_method",
            vec![format!(
                "token_endpoint_auth_method: the app authenticates with {}, not a client secret",
                app.client.token_endpoint_auth_method.as_str()
            )],
        ));
    }
    if state.store.client_secrets(&app.id).await?.len() >= MAX_SECRETS {
        return Err(ApiError::validation(
            "client_secret",
            vec![
                "client_secret: an app holds at most two secrets; delete an inactive one first"
                    .into(),
            ],
        ));
    }
    let now = state.clock.now();
    let minted = mint_secret(state.random.as_ref());
    let secret = ClientSecret {
        id: new_id(prefix::CLIENT_SECRET, now, state.random.as_ref()),
        app_id: app.id.clone(),
        hash: minted.hash,
        prefix: minted.prefix.clone(),
        status: LifecycleStatus::Active,
        created: now,
        last_updated: now,
    };
    state.store.insert_client_secret(&secret).await?;
    state.app_changed(&app.client.client_id);
    let e = audit.event(
        &state,
        "app.oauth2.client.secret.create",
        "Create client secret",
    );
    state.syslog.record(e.target(app_target(&app)));
    Ok(Json(secret_json(
        &secret,
        &state.config.base_url,
        Some(&minted.value),
    )))
}

async fn secret_lifecycle(
    State(state): State<AppState>,
    Path((id, sid, op)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let status = match op.as_str() {
        "activate" => LifecycleStatus::Active,
        "deactivate" => LifecycleStatus::Inactive,
        _ => {
            return Err(ApiError::not_found_path(&format!(
                "/api/v1/apps/{id}/credentials/secrets/{sid}/lifecycle/{op}"
            )));
        }
    };
    let app = find(&state, &id).await?;
    let mut secret = find_secret(&state, &app, &sid).await?;
    if status == LifecycleStatus::Inactive && secret.status == LifecycleStatus::Active {
        let active = state
            .store
            .client_secrets(&app.id)
            .await?
            .iter()
            .filter(|s| s.status == LifecycleStatus::Active)
            .count();
        if active <= 1 {
            return Err(ApiError::validation(
                "client_secret",
                vec!["client_secret: the app's only active secret cannot be deactivated".into()],
            ));
        }
    }
    secret.status = status;
    secret.last_updated = state.clock.now();
    state.store.update_client_secret(&secret).await?;
    state.app_changed(&app.client.client_id);
    Ok(Json(secret_json(&secret, &state.config.base_url, None)))
}

async fn delete_secret(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let app = find(&state, &id).await?;
    let secret = find_secret(&state, &app, &sid).await?;
    if secret.status == LifecycleStatus::Active {
        return Err(ApiError::validation(
            "client_secret",
            vec!["client_secret: deactivate the secret before deleting it".into()],
        ));
    }
    state
        .store
        .delete_client_secret(&app.id, &secret.id)
        .await?;
    state.app_changed(&app.client.client_id);
    Ok(StatusCode::NO_CONTENT)
}

// --- users ---

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

#[derive(Deserialize, Default)]
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

// --- groups ---

fn app_group_json(a: &AppGroup, base: &str) -> Value {
    json!({
        "id": a.group_id,
        "lastUpdated": okta_format(a.last_updated),
        "priority": a.priority,
        "profile": {},
        "_links": {
            "app": { "href": format!("{base}/api/v1/apps/{}", a.app_id) },
            "group": { "href": format!("{base}/api/v1/groups/{}", a.group_id) },
        },
    })
}

#[derive(Deserialize, Default)]
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
