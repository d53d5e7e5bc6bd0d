//! `/admin/apps/new`: an OpenID Connect app configured by hand — its label, application type, sign-in and sign-out
//! redirect URIs, grant types, client authentication (with the JWKS URL of a `private_key_jwt` client) and initiate
//! login URI. Posted, the app is made as `POST /api/v1/apps` makes one with `name: oidc_client`: the form becomes
//! the API's `credentials.oauthClient` and `settings.oauthClient`, checked by `lanyard_core::apps::client_from_body`
//! and created by `lanyard_core::apps::instances::create`. The answer is the new app's page with its client id and
//! its client secret, shown this once; a refused form comes back with the causes next to the fields.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::apps::client_from_body;
use lanyard_core::apps::instances::{self, AppError, NewApp, OIDC_CLIENT};
use lanyard_core::model::GrantType;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::forms::{FieldError, Manager, error_for, field_errors};
use super::{Admin, Chrome};
use crate::pages::csrf::{CsrfField, CsrfForm};
use crate::pages::{PageError, html};
use crate::state::AppState;

/// The application types offered, with their labels.
const TYPES: &[(&str, &str)] = &[
    ("web", "Web app (a server holds its credentials)"),
    ("browser", "Single-page app (runs in the browser; public)"),
    ("native", "Native app (desktop or mobile; public)"),
    ("service", "Service (machine to machine)"),
];

/// The grant types offered, with their labels.
const GRANTS: &[(GrantType, &str)] = &[
    (GrantType::AuthorizationCode, "Authorization code"),
    (GrantType::RefreshToken, "Refresh token"),
    (GrantType::ClientCredentials, "Client credentials"),
    (GrantType::DeviceCode, "Device authorization (device code)"),
];

/// The client authentication methods offered, with their labels.
const METHODS: &[(&str, &str)] = &[
    (
        "client_secret_basic",
        "Client secret, HTTP Basic (client_secret_basic)",
    ),
    (
        "client_secret_post",
        "Client secret in the body (client_secret_post)",
    ),
    (
        "private_key_jwt",
        "Signed JWT with the client's key (private_key_jwt)",
    ),
    (
        "none",
        "None: a public client with PKCE (browser and native apps)",
    ),
];

/// The form's fields, as the core's causes name them.
const FIELDS: &[&str] = &[
    "label",
    "application_type",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "token_endpoint_auth_method",
    "jwks_uri",
    "initiate_login_uri",
];

/// The form posted: `grant.<type>` per grant type ticked, the URI lists one a line.
#[derive(Deserialize, Default)]
pub struct AppForm {
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

impl CsrfField for AppForm {
    fn csrf(&self) -> &str {
        self.fields.get("csrf").map_or("", String::as_str)
    }
}

impl AppForm {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |s| s.trim())
    }

    fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn grants(&self) -> Vec<&'static str> {
        GRANTS
            .iter()
            .map(|(g, _)| g.as_str())
            .filter(|g| self.fields.contains_key(&format!("grant.{g}")))
            .collect()
    }

    /// The API's `credentials` and `settings` for this form.
    fn body(&self) -> (Map<String, Value>, Map<String, Value>) {
        let mut client = Map::new();
        client.insert(
            "application_type".into(),
            json!(self.get("application_type")),
        );
        client.insert("redirect_uris".into(), json!(self.lines("redirect_uris")));
        client.insert(
            "post_logout_redirect_uris".into(),
            json!(self.lines("post_logout_redirect_uris")),
        );
        client.insert("grant_types".into(), json!(self.grants()));
        for k in ["jwks_uri", "initiate_login_uri"] {
            if !self.get(k).is_empty() {
                client.insert(k.into(), json!(self.get(k)));
            }
        }
        let mut credentials = Map::new();
        credentials.insert(
            "oauthClient".into(),
            json!({ "token_endpoint_auth_method": self.get("token_endpoint_auth_method") }),
        );
        let mut settings = Map::new();
        settings.insert("oauthClient".into(), Value::Object(client));
        (credentials, settings)
    }
}

struct Choice {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "admin/app-new.html")]
struct NewForm {
    c: Chrome,
    label: String,
    types: Vec<Choice>,
    grants: Vec<Choice>,
    methods: Vec<Choice>,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    jwks_uri: String,
    initiate_login_uri: String,
    errors: Vec<FieldError>,
}

impl NewForm {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }

    /// `aria-describedby`/`aria-invalid` of field `name`, when refused.
    fn invalid(&self, name: &str) -> String {
        if self.error(name).is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"e-{name}\"")
        } else {
            String::new()
        }
    }
}

fn render(state: &AppState, admin: &Admin, form: &AppForm, errors: Vec<FieldError>) -> Response {
    let choices = |list: &[(&'static str, &'static str)], chosen: &str| {
        list.iter()
            .map(|(value, label)| Choice {
                value,
                label,
                chosen: *value == chosen,
            })
            .collect()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let ticked = form.grants();
    admin.respond(html(
        status,
        NewForm {
            c: Chrome::new(state, admin, "apps"),
            label: form.get("label").to_owned(),
            types: choices(TYPES, form.get("application_type")),
            grants: GRANTS
                .iter()
                .map(|(g, label)| Choice {
                    value: g.as_str(),
                    label,
                    chosen: ticked.contains(&g.as_str()),
                })
                .collect(),
            methods: choices(METHODS, form.get("token_endpoint_auth_method")),
            redirect_uris: form.get("redirect_uris").to_owned(),
            post_logout_redirect_uris: form.get("post_logout_redirect_uris").to_owned(),
            jwks_uri: form.get("jwks_uri").to_owned(),
            initiate_login_uri: form.get("initiate_login_uri").to_owned(),
            errors,
        }
        .render(),
    ))
}

/// Causes next to the form's fields (`jwks`, the key set the form does not take, next to the JWKS URL); the others
/// above the form.
fn errors_of(causes: &[String]) -> Vec<FieldError> {
    let mut errors = field_errors(causes, "");
    for e in &mut errors {
        if e.field == "jwks" {
            e.field = "jwks_uri".into();
        }
        if !FIELDS.contains(&e.field.as_str()) {
            e.message = format!("{}: {}", e.field, e.message);
            e.field = String::new();
        }
    }
    errors
}

/// The form: a web app with the authorization code grant, a client secret sent with HTTP Basic.
pub async fn new_form(m: Manager, State(state): State<AppState>) -> Response {
    let form = AppForm {
        fields: [
            ("application_type", "web"),
            ("grant.authorization_code", "on"),
            ("token_endpoint_auth_method", "client_secret_basic"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    };
    render(&state, &m.admin, &form, Vec::new())
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<AppForm>,
) -> Result<Response, PageError> {
    let env = state.apps();
    let id = instances::new_app_id(env);
    let mut causes = Vec::new();
    let label = match instances::check_app(Some(form.get("label")), None) {
        Ok(l) => Some(l),
        Err(AppError::Invalid { causes: c, .. }) => {
            causes.extend(c);
            None
        }
        Err(e) => return Err(super::apps::app_refused(e, "/admin/apps/new")),
    };
    let (credentials, settings) = form.body();
    let client = match client_from_body(&credentials, &settings, &id, None) {
        Ok(c) => Some(c),
        Err(c) => {
            causes.extend(c);
            None
        }
    };
    let (Some(label), Some(client)) = (label, client) else {
        return Ok(render(&state, &m.admin, &form, errors_of(&causes)));
    };
    let new = NewApp {
        id,
        name: OIDC_CLIENT.to_owned(),
        label,
        client,
        active: true,
        chosen_secret: None,
        scopes: Vec::new(),
    };
    let created = match instances::create(state.store.as_ref(), env, new).await {
        Ok(c) => c,
        Err(AppError::Invalid { causes, .. }) => {
            return Ok(render(&state, &m.admin, &form, errors_of(&causes)));
        }
        Err(e) => return Err(super::apps::app_refused(e, "/admin/apps/new")),
    };
    let app = &created.app;
    state.app_changed(&app.client.client_id);
    tracing::info!(app = %app.id, client_id = %app.client.client_id, "app created by hand in the console");
    m.audit.record(&state, &created.changes);
    let secret = created.secret.as_ref().map(|s| s.value.as_str());
    super::apps::render_detail(&state, &m.admin, &app.id, secret, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_makes_the_api_s_client_and_causes_land_next_to_their_fields() {
        let form = AppForm {
            fields: [
                ("application_type", "browser"),
                (
                    "redirect_uris",
                    " https://spa.example.com/cb \r\n\r\n/relative\n",
                ),
                ("grant.authorization_code", "on"),
                ("grant.client_credentials", "on"),
                ("token_endpoint_auth_method", "none"),
                ("jwks_uri", ""),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        };
        let (cred, settings) = form.body();
        let client = &settings["oauthClient"];
        assert_eq!(
            client["redirect_uris"],
            json!(["https://spa.example.com/cb", "/relative"])
        );
        assert_eq!(
            client["grant_types"],
            json!(["authorization_code", "client_credentials"])
        );
        assert!(client.get("jwks_uri").is_none());
        assert_eq!(cred["oauthClient"]["token_endpoint_auth_method"], "none");
        let causes = client_from_body(&cred, &settings, "0oa1", None).unwrap_err();
        let errors = errors_of(&causes);
        assert!(error_for(&errors, "redirect_uris").is_some(), "{causes:?}");
        assert!(error_for(&errors, "grant_types").is_some(), "{causes:?}");
    }
}
