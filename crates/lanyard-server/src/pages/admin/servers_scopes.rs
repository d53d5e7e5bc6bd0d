//! A custom authorization server's scopes in the console: `/admin/servers/{id}/scopes/new` (the form),
//! `POST /admin/servers/{id}/scopes` (add), `/admin/servers/{id}/scopes/{sid}` (the form, and its POST: save),
//! `POST …/{sid}/delete`. The operations are the Scopes API's (`lanyard_core::authz::admin::scopes`): a name is
//! unique per server, a system scope keeps its name and cannot be deleted — the form says so, and a refusal comes
//! back with its causes next to the fields.

use crate::pages::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::authz::admin::scopes as ops;
use lanyard_core::model::{Consent, MetadataPublish, Scope};
use serde::Deserialize;
use serde_json::{Value, json};

use super::forms::{FieldError, Manager, done, error_for};
use super::servers::{custom, env, field_causes, record, refused_page, server_path};
use super::users::Button;
use super::{Admin, Chrome};
use crate::csrf_field;
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, html};
use crate::state::AppState;

/// A scope as the form posts it.
#[derive(Deserialize, Default)]
pub struct ScopeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "displayName")]
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    default: Option<String>,
    #[serde(default, rename = "metadataPublish")]
    metadata_publish: Option<String>,
}
csrf_field!(ScopeForm);

impl ScopeForm {
    fn of(s: &Scope) -> Self {
        ScopeForm {
            name: s.name.clone(),
            display_name: s.display_name.clone().unwrap_or_default(),
            description: s.description.clone().unwrap_or_default(),
            consent: s.consent.as_str().to_owned(),
            default: s.default.then(|| "on".to_owned()),
            metadata_publish: (s.metadata_publish == MetadataPublish::AllClients)
                .then(|| "on".to_owned()),
            ..ScopeForm::default()
        }
    }

    fn new_scope() -> Self {
        ScopeForm {
            consent: Consent::Implicit.as_str().to_owned(),
            metadata_publish: Some("on".to_owned()),
            ..ScopeForm::default()
        }
    }

    /// The body the Scopes API takes.
    fn body(&self) -> Value {
        let mut b = json!({
            "name": self.name.trim(),
            "consent": self.consent.trim(),
            "default": self.default.is_some(),
            "metadataPublish": if self.metadata_publish.is_some() {
                MetadataPublish::AllClients.as_str()
            } else {
                MetadataPublish::NoClients.as_str()
            },
        });
        for (k, v) in [
            ("displayName", &self.display_name),
            ("description", &self.description),
        ] {
            if !v.trim().is_empty() {
                b[k] = json!(v.trim());
            }
        }
        b
    }

    fn is_default(&self) -> bool {
        self.default.is_some()
    }

    fn published(&self) -> bool {
        self.metadata_publish.is_some()
    }
}

/// The form field of a cause's path.
fn field(path: &str) -> &'static str {
    match path {
        "displayName" => "displayName",
        "description" => "description",
        "consent" => "consent",
        "metadataPublish" => "metadataPublish",
        "default" => "default",
        _ => "name",
    }
}

#[derive(Template)]
#[template(path = "admin/scope-form.html")]
struct FormPage {
    c: Chrome,
    server_id: String,
    server_name: String,
    /// The scope's id when editing one.
    scope_id: Option<String>,
    system: bool,
    form: ScopeForm,
    consents: &'static [Consent],
    errors: Vec<FieldError>,
}

impl FormPage {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

async fn render(
    state: &AppState,
    admin: &Admin,
    id: &str,
    scope: Option<&Scope>,
    form: ScopeForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let server = custom(state, id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(admin.respond(html(
        status,
        FormPage {
            c: Chrome::new(state, admin, "servers"),
            server_id: server.id,
            server_name: server.name,
            scope_id: scope.map(|s| s.id.clone()),
            system: scope.is_some_and(|s| s.system),
            form,
            consents: Consent::ALL,
            errors,
        }
        .render(),
    )))
}

pub async fn new_form(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render(
        &state,
        &m.admin,
        &id,
        None,
        ScopeForm::new_scope(),
        Vec::new(),
    )
    .await
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ScopeForm>,
) -> Result<Response, PageError> {
    let back = server_path(&id);
    match ops::create(state.store.as_ref(), env(&state), &id, &form.body()).await {
        Ok(made) => {
            record(&state, &m, &made);
            Ok(done(&back, "scope-created"))
        }
        Err(e) => {
            let errors = field_causes(e, &back, field)?;
            render(&state, &m.admin, &id, None, form, errors).await
        }
    }
}

pub async fn edit_form(
    m: Manager,
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (_, scope) = ops::find(state.store.as_ref(), &id, &sid)
        .await
        .map_err(|e| refused_page(e, &server_path(&id)))?;
    render(
        &state,
        &m.admin,
        &id,
        Some(&scope),
        ScopeForm::of(&scope),
        Vec::new(),
    )
    .await
}

pub async fn update(
    m: Manager,
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ScopeForm>,
) -> Result<Response, PageError> {
    let back = server_path(&id);
    match ops::replace(state.store.as_ref(), env(&state), &id, &sid, &form.body()).await {
        Ok(changed) => {
            record(&state, &m, &changed);
            Ok(done(&back, "scope-saved"))
        }
        Err(e) => {
            let errors = field_causes(e, &back, field)?;
            let (_, scope) = ops::find(state.store.as_ref(), &id, &sid)
                .await
                .map_err(|e| refused_page(e, &back))?;
            render(&state, &m.admin, &id, Some(&scope), form, errors).await
        }
    }
}

pub async fn delete(
    m: Manager,
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = server_path(&id);
    let gone = ops::delete(state.store.as_ref(), &id, &sid)
        .await
        .map_err(|e| refused_page(e, &back))?;
    record(&state, &m, &gone);
    Ok(done(&back, "scope-deleted"))
}
