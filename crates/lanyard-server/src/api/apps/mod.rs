//! `/api/v1/apps`: OpenID Connect apps in Okta's shape — create (`?activate=`), read, list (`q` = label prefix),
//! replace, lifecycle, delete (only once deactivated, as Okta). An app is configured by hand (`name: oidc_client`,
//! `settings.oauthClient`) or made from a catalog entry (`name` = the entry's key, `settings.app` = its variables),
//! the way Okta creates integration-network apps; such an app's client comes from the entry, and `/setup` renders
//! the application's side. Client secrets (`secrets.rs`), assigned users and groups (`assignments.rs`). Every change
//! to an app drops this node's cached client (`crate::clients`), so client authentication follows at once.

use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_catalog::Entry;
use lanyard_core::apps::instances;
use lanyard_core::apps::instances::{AppError, NewApp, OIDC_CLIENT};
use lanyard_core::apps::{check_client_id, chosen_secret, client_from_body, requested_client_id};
use lanyard_core::clock::okta_format;
use lanyard_core::model::{App, LifecycleStatus, OAuthClient};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

mod assignments;
pub(crate) mod grants;
mod secrets;
mod setup;

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use super::pagination::{PageQuery, list_response};
use crate::api::openapi::{Empty, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

const APPS_LIMIT: u32 = 200;

pub fn routes() -> Routes {
    Routes::new()
        .get("/apps", list, doc().query::<ListQuery>().list::<AppBody>())
        .post(
            "/apps",
            create,
            doc().query::<CreateQuery>().body::<AppIn>().ok::<AppBody>(),
        )
        .get("/apps/{id}", read, doc().ok::<AppBody>())
        .put("/apps/{id}", replace, doc().body::<AppIn>().ok::<AppBody>())
        .delete("/apps/{id}", delete, doc().no_content())
        .post("/apps/{id}/lifecycle/{op}", lifecycle, doc().ok::<Empty>())
        .merge(secrets::routes())
        .merge(grants::routes())
        .merge(assignments::routes())
        .merge(setup::routes())
}

pub fn app_target(a: &App) -> lanyard_core::syslog::Party {
    instances::target(a)
}

/// An operation on app `id` refused, in Okta's terms.
pub(crate) fn app_refused(e: AppError, id: &str) -> ApiError {
    match e {
        AppError::NotFound => ApiError::not_found(id, "AppInstance"),
        AppError::SecretNotFound => ApiError::not_found(id, "ClientSecret"),
        AppError::Invalid { field, causes } => ApiError::validation(field, causes),
        AppError::ClientIdTaken => ApiError::validation(
            "client_id",
            vec![
                "client_id: An object with this field already exists in the current organization"
                    .into(),
            ],
        ),
        AppError::DeleteActive => ApiError::of(OktaCode::DeleteAppForbidden)
            .with_detail("an active app must be deactivated first"),
        AppError::Store(e) => e.into(),
    }
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
    let op = match a.status {
        LifecycleStatus::Active => "deactivate",
        LifecycleStatus::Inactive => "activate",
    };
    let mut links = json!({
        "self": { "href": href },
        "users": { "href": format!("{href}/users") },
        "groups": { "href": format!("{href}/groups") },
        op: { "href": format!("{href}/lifecycle/{op}"), "hints": { "allow": ["POST"] } },
    });
    let mut settings_app = Map::new();
    if let Some(r) = &c.catalog {
        for (k, v) in &r.variables {
            settings_app.insert(k.clone(), json!(v));
        }
        links["setup"] = json!({ "href": format!("{href}/setup") });
        links["catalogApp"] = json!({ "href": format!("{base}/api/v1/catalog/apps/{}", a.name) });
        links["logo"] = json!([{
            "name": "medium",
            "href": format!("{base}/catalog/apps/{}/logo.svg", a.name),
            "type": "image/svg+xml",
        }]);
    }
    let object = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let body = AppBody {
        id: a.id.clone(),
        name: a.name.clone(),
        label: a.label.clone(),
        status: a.status.as_str(),
        created: okta_format(a.created),
        last_updated: okta_format(a.last_updated),
        sign_on_mode: a.sign_on_mode.clone(),
        accessibility: object(
            json!({ "selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null }),
        ),
        visibility: object(
            json!({ "autoSubmitToolbar": false, "hide": { "iOS": false, "web": false } }),
        ),
        features: Vec::new(),
        credentials: AppCredentials {
            user_name_template: object(
                json!({ "template": "${source.login}", "type": "BUILT_IN" }),
            ),
            signing: Map::new(),
            oauth_client: object(oauth_credentials),
        },
        settings: AppSettings {
            app: settings_app,
            oauth_client: oauth_settings,
        },
        links: object(links),
    };
    serde_json::to_value(body).unwrap_or_default()
}

/// An app in Okta's shape: what `app_json` sends, and its schema. The client's settings, the catalog variables and
/// the links are open objects.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Application")]
pub struct AppBody {
    id: String,
    name: String,
    label: String,
    #[schemars(extend("enum" = ["ACTIVE", "INACTIVE"]))]
    status: &'static str,
    created: String,
    last_updated: String,
    sign_on_mode: String,
    accessibility: Map<String, Value>,
    visibility: Map<String, Value>,
    features: Vec<String>,
    credentials: AppCredentials,
    settings: AppSettings,
    #[serde(rename = "_links")]
    links: Map<String, Value>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppCredentials {
    user_name_template: Map<String, Value>,
    signing: Map<String, Value>,
    /// `client_id`, `token_endpoint_auth_method`, `pkce_required`, `autoKeyRotation`; `client_secret` only when just
    /// made.
    oauth_client: Map<String, Value>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// A catalog app's variables.
    app: Map<String, Value>,
    /// The OAuth client's metadata (`redirect_uris`, `grant_types`, …).
    oauth_client: Map<String, Value>,
}

pub(super) async fn find(state: &AppState, id: &str) -> Result<App, ApiError> {
    instances::find(state.store.as_ref(), id)
        .await
        .map_err(|e| app_refused(e, id))
}

#[derive(schemars::JsonSchema, Deserialize)]
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

/// What an app body makes: an app configured by hand, or one made from a catalog entry.
enum Kind {
    Custom,
    Catalog(Arc<Entry>),
}

/// The kind `name` asks for: `oidc_client` (or none) or a catalog entry's key.
async fn kind(state: &AppState, name: Option<&str>) -> Result<Kind, ApiError> {
    match name {
        None | Some(OIDC_CLIENT) => Ok(Kind::Custom),
        Some(key) => match crate::catalog::entry(state, key).await? {
            Some(e) => Ok(Kind::Catalog(e)),
            None => Err(ApiError::validation(
                "name",
                vec![format!(
                    "name: {key:?} is neither oidc_client nor an integration of the catalog (GET /api/v1/catalog/apps)"
                )],
            )),
        },
    }
}

/// Checks the app-level fields; returns the label.
fn check_app(body: &AppIn) -> Result<String, ApiError> {
    instances::check_app(body.label.as_deref(), body.sign_on_mode.as_deref())
        .map_err(|e| app_refused(e, ""))
}

/// The client a body makes. A catalog app's comes from its entry and `settings.app` (on a replace without
/// `settings.app`, the variables it was made with); `settings.oauthClient` is then ignored, as the entry decides it.
fn make_client(
    kind: &Kind,
    body: &AppIn,
    app_id: &str,
    previous: Option<&OAuthClient>,
) -> Result<OAuthClient, ApiError> {
    let entry = match kind {
        Kind::Custom => {
            return client_from_body(&body.credentials, &body.settings, app_id, previous)
                .map_err(client_causes);
        }
        Kind::Catalog(e) => e,
    };
    let given = match body.settings.get("app") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => previous
            .and_then(|p| p.catalog.as_ref())
            .map(|r| {
                r.variables
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect()
            })
            .unwrap_or_default(),
        Some(_) => {
            return Err(ApiError::validation(
                "settings.app",
                vec!["settings.app: must be an object of the integration's variables".into()],
            ));
        }
    };
    // A new catalog app may have the client id the caller chose (as an app configured by hand may), unless the
    // entry fixes one.
    let default_id = match (previous, requested_client_id(&body.credentials)) {
        (None, Some(id)) => {
            check_client_id(id).map_err(|c| client_causes(vec![c]))?;
            id
        }
        _ => app_id,
    };
    lanyard_catalog::instance::client(entry, &given, default_id, previous).map_err(|problems| {
        let field = problems
            .first()
            .map(|p| p.path.clone())
            .unwrap_or_else(|| "settings.app".into());
        ApiError::validation(field, problems.iter().map(|p| p.to_string()).collect())
    })
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

#[derive(schemars::JsonSchema, Deserialize, Default)]
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
    let kind = kind(&state, body.name.as_deref()).await?;
    let env = state.apps();
    let id = instances::new_app_id(env);
    let client = make_client(&kind, &body, &id, None)?;
    check_sector(&state, &client).await?;
    let scopes = match &kind {
        Kind::Catalog(e) => crate::catalog::scopes_to_add(&state, e).await?,
        Kind::Custom => Vec::new(),
    };
    let new = NewApp {
        id,
        name: match &kind {
            Kind::Custom => OIDC_CLIENT.to_owned(),
            Kind::Catalog(e) => e.name().to_owned(),
        },
        label,
        client,
        active: !matches!(q.activate.as_deref(), Some("false")),
        // A secret the caller chose (Okta's `credentials.oauthClient.client_secret`), else a minted one.
        chosen_secret: chosen_secret(&body.credentials).map_err(client_causes)?,
        scopes: scopes.clone(),
    };
    let created = instances::create(state.store.as_ref(), env, new)
        .await
        .map_err(|e| app_refused(e, ""))?;
    if created.scopes_added {
        crate::catalog::scopes_added(&state, &scopes);
    }
    let app = &created.app;
    state.app_changed(&app.client.client_id);
    tracing::info!(app = %app.id, client_id = %app.client.client_id, "app created");
    audit.record(&state, &created.changes);
    let secret = created.secret.as_ref().map(|m| m.value.as_str());
    let mut out = app_json(app, &state.config.base_url, secret);
    setup::embed(&state, app, secret, &mut out).await?;
    Ok(Json(out))
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
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
    let app = find(&state, &id).await?;
    let label = check_app(&body)?;
    let kind = kind(&state, Some(body.name.as_deref().unwrap_or(&app.name))).await?;
    if body.name.as_deref().is_some_and(|n| n != app.name) {
        return Err(ApiError::validation(
            "name",
            vec![format!(
                "name: an app's integration cannot change (this app is {}); make a new app instead",
                app.name
            )],
        ));
    }
    let client = make_client(&kind, &body, &app.id, Some(&app.client))?;
    let scopes = match &kind {
        Kind::Catalog(e) => crate::catalog::scopes_to_add(&state, e).await?,
        Kind::Custom => Vec::new(),
    };
    check_sector(&state, &client).await?;
    let changed = instances::replace(
        state.store.as_ref(),
        state.apps(),
        app,
        label,
        client,
        scopes.clone(),
    )
    .await
    .map_err(|e| app_refused(e, &id))?;
    if changed.scopes_added {
        crate::catalog::scopes_added(&state, &scopes);
    }
    state.app_changed(&changed.app.client.client_id);
    audit.record(&state, &changed.changes);
    Ok(Json(app_json(&changed.app, &state.config.base_url, None)))
}

async fn lifecycle(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, op)): Path<(String, String)>,
) -> Result<Json<Empty>, ApiError> {
    let active = match op.as_str() {
        "activate" => true,
        "deactivate" => false,
        _ => {
            return Err(ApiError::not_found_path(&format!(
                "/api/v1/apps/{id}/lifecycle/{op}"
            )));
        }
    };
    let changed = instances::set_status(state.store.as_ref(), state.apps(), &id, active)
        .await
        .map_err(|e| app_refused(e, &id))?;
    if !changed.changes.is_empty() {
        state.app_changed(&changed.app.client.client_id);
        audit.record(&state, &changed.changes);
    }
    Ok(Json(Empty {}))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let changed = instances::delete(state.store.as_ref(), &id)
        .await
        .map_err(|e| app_refused(e, &id))?;
    state.app_changed(&changed.app.client.client_id);
    audit.record(&state, &changed.changes);
    Ok(StatusCode::NO_CONTENT)
}
