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
use lanyard_core::model::{App, OAuthClient};
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
use crate::api::LifecycleLinks;
use crate::api::openapi::{Empty, Href, Routes, doc};
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
    let l = &c.logout;
    // Every other member the app was created with, echoed back (`client_uri` and `logo_uri` null when not given);
    // the members below take the place of any of the same name.
    let mut other = Map::new();
    other.insert("client_uri".into(), Value::Null);
    other.insert("logo_uri".into(), Value::Null);
    for (k, v) in &c.extra {
        other.insert(k.clone(), v.clone());
    }
    let settings = AppOAuthSettings {
        redirect_uris: c.redirect_uris.clone(),
        post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
        response_types: c.response_types.clone(),
        grant_types: c
            .grant_types
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect(),
        application_type: c.application_type.as_str(),
        consent_method: c.consent_method.clone(),
        issuer_mode: "ORG_URL",
        dpop_bound_access_tokens: c.dpop_bound_access_tokens,
        backchannel_logout_session_required: l
            .backchannel_logout_uri
            .as_ref()
            .map(|_| l.backchannel_logout_session_required),
        backchannel_logout_uri: l.backchannel_logout_uri.clone(),
        frontchannel_logout_session_required: l
            .frontchannel_logout_uri
            .as_ref()
            .map(|_| l.frontchannel_logout_session_required),
        frontchannel_logout_uri: l.frontchannel_logout_uri.clone(),
        initiate_login_uri: c.initiate_login_uri.clone(),
        jwks: c.jwks.clone(),
        jwks_uri: c.jwks_uri.clone(),
        other: Map::new(),
    };
    if let Ok(Value::Object(set)) = serde_json::to_value(&settings) {
        for k in set.keys() {
            other.remove(k);
        }
    }
    let settings = AppOAuthSettings { other, ..settings };
    let catalog_links = c.catalog.as_ref().map(|_| {
        (
            Href::new(format!("{href}/setup")),
            Href::new(format!("{base}/api/v1/catalog/apps/{}", a.name)),
            vec![LogoLink {
                name: "medium",
                href: format!("{base}/catalog/apps/{}/logo.svg", a.name),
                media_type: "image/svg+xml",
            }],
        )
    });
    let (setup, catalog_app, logo) = match catalog_links {
        Some((s, c, l)) => (Some(s), Some(c), Some(l)),
        None => (None, None, None),
    };
    let body = AppBody {
        id: a.id.clone(),
        name: a.name.clone(),
        label: a.label.clone(),
        status: a.status.as_str(),
        created: okta_format(a.created),
        last_updated: okta_format(a.last_updated),
        sign_on_mode: a.sign_on_mode.clone(),
        accessibility: Accessibility {
            self_service: false,
            error_redirect_url: None,
            login_redirect_url: None,
        },
        visibility: Visibility {
            auto_submit_toolbar: false,
            hide: Hide {
                ios: false,
                web: false,
            },
        },
        features: Vec::new(),
        credentials: AppCredentials {
            user_name_template: UserNameTemplate {
                template: "${source.login}",
                kind: "BUILT_IN",
            },
            signing: Empty {},
            oauth_client: AppOAuthCredentials {
                auto_key_rotation: true,
                client_id: c.client_id.clone(),
                token_endpoint_auth_method: c.token_endpoint_auth_method.as_str(),
                pkce_required: c.pkce_required,
                client_secret: secret.map(str::to_owned),
            },
        },
        settings: AppSettings {
            app: c
                .catalog
                .as_ref()
                .map(|r| r.variables.clone())
                .unwrap_or_default(),
            oauth_client: settings,
        },
        links: AppLinks {
            users: Href::new(format!("{href}/users")),
            groups: Href::new(format!("{href}/groups")),
            lifecycle: LifecycleLinks::of(&href, a.status),
            this: Href::new(href),
            setup,
            catalog_app,
            logo,
        },
    };
    serde_json::to_value(body).unwrap_or_default()
}

/// An app in Okta's shape: what `app_json` sends, and its schema.
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
    accessibility: Accessibility,
    visibility: Visibility,
    features: Vec<String>,
    credentials: AppCredentials,
    settings: AppSettings,
    #[serde(rename = "_links")]
    links: AppLinks,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ApplicationAccessibility")]
pub struct Accessibility {
    self_service: bool,
    error_redirect_url: Option<String>,
    login_redirect_url: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ApplicationVisibility")]
pub struct Visibility {
    auto_submit_toolbar: bool,
    hide: Hide,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ApplicationVisibilityHide")]
pub struct Hide {
    #[serde(rename = "iOS")]
    ios: bool,
    web: bool,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppCredentials {
    user_name_template: UserNameTemplate,
    /// No signing key of the app's own.
    signing: Empty,
    oauth_client: AppOAuthCredentials,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ApplicationUserNameTemplate")]
pub struct UserNameTemplate {
    template: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The OAuth client's credentials; `client_secret` only when just made.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ApplicationOAuthClientCredentials")]
pub struct AppOAuthCredentials {
    #[serde(rename = "autoKeyRotation")]
    auto_key_rotation: bool,
    client_id: String,
    token_endpoint_auth_method: &'static str,
    pkce_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// A catalog app's variables, by name.
    app: std::collections::BTreeMap<String, String>,
    oauth_client: AppOAuthSettings,
}

/// The OAuth client's metadata (RFC 7591's names): the logout members only when their URI is set.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ApplicationOAuthClientSettings")]
pub struct AppOAuthSettings {
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    response_types: Vec<String>,
    grant_types: Vec<String>,
    application_type: &'static str,
    #[schemars(extend("enum" = ["TRUSTED", "REQUIRED"]))]
    consent_method: String,
    issuer_mode: &'static str,
    dpop_bound_access_tokens: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    backchannel_logout_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backchannel_logout_session_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frontchannel_logout_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frontchannel_logout_session_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initiate_login_uri: Option<String>,
    /// The client's public keys (a JWK Set), as registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks_uri: Option<String>,
    /// Every other member the app was created with, echoed back (`client_uri`, `logo_uri`: null when not given).
    #[serde(flatten)]
    other: Map<String, Value>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ApplicationLinks")]
pub struct AppLinks {
    #[serde(rename = "self")]
    this: Href,
    users: Href,
    groups: Href,
    #[serde(flatten)]
    lifecycle: LifecycleLinks,
    /// An app made from the catalog: its setup, its entry and the entry's logo.
    #[serde(skip_serializing_if = "Option::is_none")]
    setup: Option<Href>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog_app: Option<Href>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo: Option<Vec<LogoLink>>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ApplicationLogoLink")]
pub struct LogoLink {
    name: &'static str,
    href: String,
    #[serde(rename = "type")]
    media_type: &'static str,
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

#[cfg(test)]
mod tests {
    use lanyard_core::model::LifecycleStatus;
    use serde_json::json;

    use super::*;

    /// A web app whose `settings.oauthClient` carries members of its own beside the known ones.
    fn app() -> App {
        let settings = json!({ "oauthClient": {
            "redirect_uris": ["https://a.example/cb"],
            "client_uri": "https://a.example",
            "tos_uri": "https://a.example/tos",
        }});
        let client = lanyard_core::apps::client_from_body(
            &Map::new(),
            settings.as_object().unwrap(),
            "c1",
            None,
        )
        .unwrap();
        let now = lanyard_core::clock::from_millis(0);
        App {
            id: "0oa1".into(),
            name: "oidc_client".into(),
            label: "A".into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client,
            created: now,
            last_updated: now,
        }
    }

    #[test]
    fn an_apps_own_client_members_are_echoed_beside_the_typed_ones_once() {
        let a = app();
        let v = app_json(&a, "https://id.example", None);
        let set = &v["settings"]["oauthClient"];
        assert_eq!(set["redirect_uris"], json!(["https://a.example/cb"]));
        assert_eq!(set["client_uri"], "https://a.example");
        assert_eq!(set["tos_uri"], "https://a.example/tos");
        assert_eq!(set["logo_uri"], json!(null));
        assert_eq!(set["issuer_mode"], "ORG_URL");
        assert!(set.get("backchannel_logout_uri").is_none());
        // Each member once: the typed ones are not repeated from the app's own.
        let text = serde_json::to_string(&app_json(&a, "https://id.example", None)).unwrap();
        assert_eq!(text.matches("\"redirect_uris\"").count(), 1);
        assert_eq!(text.matches("\"client_uri\"").count(), 1);

        let creds = &v["credentials"];
        assert_eq!(creds["signing"], json!({}));
        assert_eq!(creds["userNameTemplate"]["type"], "BUILT_IN");
        assert_eq!(creds["oauthClient"]["autoKeyRotation"], true);
        assert!(creds["oauthClient"].get("client_secret").is_none());
        let with_secret = app_json(&a, "https://id.example", Some("s3cret"));
        assert_eq!(
            with_secret["credentials"]["oauthClient"]["client_secret"],
            "s3cret"
        );
        assert_eq!(
            v["visibility"]["hide"],
            json!({ "iOS": false, "web": false })
        );
        assert_eq!(v["accessibility"]["errorRedirectUrl"], json!(null));
        let links = &v["_links"];
        assert_eq!(
            links["deactivate"]["href"],
            "https://id.example/api/v1/apps/0oa1/lifecycle/deactivate"
        );
        assert!(links.get("activate").is_none() && links.get("setup").is_none());
        assert_eq!(
            links["self"],
            json!({ "href": "https://id.example/api/v1/apps/0oa1" })
        );
    }
}
