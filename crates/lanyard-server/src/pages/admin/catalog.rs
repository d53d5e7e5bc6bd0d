//! `/admin/catalog/{name}`: adding an integration from the catalog — a form made from the entry's variables (its
//! label, type, choices, default, description and example) and the app's label; posted, the app is made as the Apps
//! API makes it from `name` and `settings.app` (`lanyard_catalog::instance::client`, then
//! `lanyard_core::apps::instances::create`), and the answer is the new app's page with its filled-in setup and its
//! client secret, shown this once. A refused form comes back with the causes next to the fields.

use std::collections::HashMap;
use std::sync::Arc;

use crate::pages::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_catalog::Entry;
use lanyard_catalog::manifest::VarType;
use lanyard_core::apps::instances::{self, AppError, NewApp};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::forms::{FieldError, Manager, error_for, field_errors};
use super::{Admin, Chrome};
use crate::pages::csrf::{CsrfField, CsrfForm};
use crate::pages::{PageError, html};
use crate::state::AppState;

/// One variable's field.
struct VarField {
    name: String,
    label: String,
    kind: &'static str,
    required: bool,
    choices: Vec<String>,
    value: String,
    description: String,
    example: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/catalog-new.html")]
struct NewForm {
    c: Chrome,
    name: String,
    display_name: String,
    description: String,
    label: String,
    variables: Vec<VarField>,
    errors: Vec<FieldError>,
}

impl NewForm {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

/// The form posted: the CSRF field, `label`, and `var.<name>` per variable.
#[derive(Deserialize)]
pub struct CatalogForm {
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

impl CsrfField for CatalogForm {
    fn csrf(&self) -> &str {
        self.fields.get("csrf").map_or("", String::as_str)
    }
}

impl CatalogForm {
    fn label(&self) -> &str {
        self.fields.get("label").map_or("", |s| s.trim())
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.fields.get(&format!("var.{name}")).map(|s| s.trim())
    }

    /// The variables as `settings.app` gives them: the blank ones left out.
    fn settings_app(&self, entry: &Entry) -> Map<String, Value> {
        entry
            .manifest
            .variables
            .iter()
            .filter_map(|v| {
                let given = self.var(&v.name).filter(|s| !s.is_empty())?;
                Some((v.name.clone(), Value::String(given.to_owned())))
            })
            .collect()
    }
}

async fn entry(state: &AppState, name: &str) -> Result<Arc<Entry>, PageError> {
    crate::catalog::entry(state, name)
        .await?
        .ok_or_else(|| PageError::not_found().with_link("/admin/catalog", "Back to the catalog"))
}

fn render(
    state: &AppState,
    admin: &Admin,
    entry: &Entry,
    posted: Option<&CatalogForm>,
    errors: Vec<FieldError>,
) -> Response {
    let m = &entry.manifest;
    let variables = m
        .variables
        .iter()
        .map(|v| VarField {
            name: v.name.clone(),
            label: v.label.clone(),
            kind: match v.kind {
                VarType::Url => "url",
                _ => "text",
            },
            required: v.required,
            choices: v.values.clone().unwrap_or_default(),
            value: match posted {
                Some(f) => f.var(&v.name).unwrap_or_default().to_owned(),
                None => v.default.clone().unwrap_or_default(),
            },
            description: v.description.clone(),
            example: v.example.clone(),
            error: error_for(&errors, &v.name).map(str::to_owned),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    admin.respond(html(
        status,
        NewForm {
            c: Chrome::new(state, admin, "catalog"),
            name: entry.name().to_owned(),
            display_name: m.display_name.clone(),
            description: m.description.clone(),
            label: posted.map_or_else(|| m.display_name.clone(), |f| f.label().to_owned()),
            variables,
            errors,
        }
        .render(),
    ))
}

/// The form: only for an administrator who may change things.
pub async fn new_form(
    m: Manager,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let entry = entry(&state, &name).await?;
    Ok(render(&state, &m.admin, &entry, None, Vec::new()))
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<CatalogForm>,
) -> Result<Response, PageError> {
    let entry = entry(&state, &name).await?;
    // Causes of no field of the form go above it.
    let refuse = |mut errors: Vec<FieldError>| -> Result<Response, PageError> {
        for e in &mut errors {
            if e.field != "label" && !entry.manifest.variables.iter().any(|v| v.name == e.field) {
                e.field = String::new();
            }
        }
        Ok(render(&state, &m.admin, &entry, Some(&form), errors))
    };
    let label = match instances::check_app(Some(form.label()), None) {
        Ok(l) => l,
        Err(AppError::Invalid { causes, .. }) => return refuse(field_errors(&causes, "label")),
        Err(e) => return Err(super::apps::app_refused(e, "/admin/catalog")),
    };
    let env = state.apps();
    let id = instances::new_app_id(env);
    let client =
        match lanyard_catalog::instance::client(&entry, &form.settings_app(&entry), &id, None) {
            Ok(c) => c,
            Err(problems) => {
                let causes: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                return refuse(field_errors(&causes, ""));
            }
        };
    let scopes = match crate::catalog::scopes_to_add(&state, &entry).await {
        Ok(s) => s,
        Err(e) => {
            return refuse(vec![FieldError {
                field: String::new(),
                message: e.causes.join("; "),
            }]);
        }
    };
    let new = NewApp {
        id,
        name: entry.name().to_owned(),
        label,
        client,
        active: true,
        chosen_secret: None,
        scopes: scopes.clone(),
    };
    let created = match instances::create(state.store.as_ref(), env, new).await {
        Ok(c) => c,
        Err(AppError::Invalid { causes, .. }) => return refuse(field_errors(&causes, "")),
        Err(e) => return Err(super::apps::app_refused(e, "/admin/catalog")),
    };
    if created.scopes_added {
        crate::catalog::scopes_added(&state, &scopes);
    }
    let app = &created.app;
    state.app_changed(&app.client.client_id);
    tracing::info!(app = %app.id, entry = %name, "app added from the catalog in the console");
    m.audit.record(&state, &created.changes);
    let secret = created.secret.as_ref().map(|s| s.value.as_str());
    super::apps::render_detail(&state, &m.admin, &app.id, secret, true).await
}
