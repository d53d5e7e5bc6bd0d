//! Custom authorization servers themselves in the console: `/admin/servers/new` and its POST (create:
//! name, description, audiences — with its system scopes and keys), `/admin/servers/{id}/settings` (the form, and its
//! POST: save), `POST /admin/servers/{id}/lifecycle/{activate|deactivate}`, `POST /admin/servers/{id}/delete`. The
//! operations are the Authorization Servers API's (`lanyard_core::authz::admin::servers`); the org server offers
//! none of them.

use crate::pages::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::authz::admin::servers as ops;
use lanyard_core::model::{AuthorizationServer, LifecycleStatus};
use serde::Deserialize;
use serde_json::{Value, json};

use super::forms::{FieldError, Manager, done, error_for};
use super::servers::{custom, env, field_causes, record, refused_page, server_path};
use super::users::Button;
use super::{Admin, Chrome};
use crate::csrf_field;
use crate::key_admin::KeyMaker;
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, html};
use crate::state::AppState;

/// A server as the form posts it; audiences separated by spaces.
#[derive(Deserialize, Default)]
pub struct ServerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    audiences: String,
}
csrf_field!(ServerForm);

impl ServerForm {
    fn of(s: &AuthorizationServer) -> Self {
        ServerForm {
            name: s.name.clone(),
            description: s.description.clone(),
            audiences: s.audiences.join(" "),
            ..ServerForm::default()
        }
    }

    fn body(&self) -> Value {
        let audiences: Vec<&str> = self.audiences.split_whitespace().collect();
        json!({
            "name": self.name.trim(),
            "description": self.description.trim(),
            "audiences": audiences,
        })
    }
}

fn field(path: &str) -> &'static str {
    match path {
        "description" => "description",
        p if p.starts_with("audiences") => "audiences",
        _ => "name",
    }
}

#[derive(Template)]
#[template(path = "admin/server-form.html")]
struct FormPage {
    c: Chrome,
    /// The server when editing one: its id and name.
    server: Option<(String, String)>,
    form: ServerForm,
    errors: Vec<FieldError>,
}

impl FormPage {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

fn render(
    state: &AppState,
    admin: &Admin,
    server: Option<&AuthorizationServer>,
    form: ServerForm,
    errors: Vec<FieldError>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    admin.respond(html(
        status,
        FormPage {
            c: Chrome::new(state, admin, "servers"),
            server: server.map(|s| (s.id.clone(), s.name.clone())),
            form,
            errors,
        }
        .render(),
    ))
}

pub async fn new_form(m: Manager, State(state): State<AppState>) -> Response {
    render(&state, &m.admin, None, ServerForm::default(), Vec::new())
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<ServerForm>,
) -> Result<Response, PageError> {
    let made = ops::create(
        state.store.as_ref(),
        &KeyMaker::of(&state),
        env(&state),
        &form.body(),
    )
    .await;
    match made {
        Ok(made) => {
            tracing::info!(auth_server = %made.item.id, "authorization server created in the console");
            record(&state, &m, &made);
            Ok(done(&server_path(&made.item.id), "server-created"))
        }
        Err(e) => {
            let errors = field_causes(e, "/admin/servers/new", field)?;
            Ok(render(&state, &m.admin, None, form, errors))
        }
    }
}

pub async fn edit_form(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let server = custom(&state, &id).await?;
    Ok(render(
        &state,
        &m.admin,
        Some(&server),
        ServerForm::of(&server),
        Vec::new(),
    ))
}

pub async fn update(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ServerForm>,
) -> Result<Response, PageError> {
    let back = server_path(&id);
    match ops::replace(state.store.as_ref(), env(&state), &id, &form.body()).await {
        Ok(changed) => {
            record(&state, &m, &changed);
            Ok(done(&back, "server-saved"))
        }
        Err(e) => {
            let errors = field_causes(e, &back, field)?;
            let server = custom(&state, &id).await?;
            Ok(render(&state, &m.admin, Some(&server), form, errors))
        }
    }
}

pub async fn lifecycle(
    m: Manager,
    State(state): State<AppState>,
    Path((id, op)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let (status, key) = match op.as_str() {
        "activate" => (LifecycleStatus::Active, "server-activated"),
        "deactivate" => (LifecycleStatus::Inactive, "server-deactivated"),
        _ => return Err(PageError::not_found()),
    };
    let back = server_path(&id);
    let changed = ops::set_status(state.store.as_ref(), env(&state), &id, status)
        .await
        .map_err(|e| refused_page(e, &back))?;
    record(&state, &m, &changed);
    Ok(done(&back, key))
}

pub async fn delete(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let gone = ops::delete(state.store.as_ref(), env(&state), &id)
        .await
        .map_err(|e| refused_page(e, &server_path(&id)))?;
    tracing::info!(auth_server = %gone.server.id, "authorization server deleted in the console");
    record(&state, &m, &gone);
    Ok(done("/admin/servers", "server-deleted"))
}
