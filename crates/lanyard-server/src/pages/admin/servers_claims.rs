//! A custom authorization server's claims in the console: `/admin/servers/{id}/claims/new` (the form),
//! `POST /admin/servers/{id}/claims` (add), `/admin/servers/{id}/claims/{cid}` (the form, and its POST: save),
//! `POST …/{cid}/delete`. The operations are the Claims API's (`lanyard_core::authz::admin::claims`): a name not
//! reserved and unique per token, an expression that parses, a group filter for GROUPS claims, the server's scopes
//! only; a refusal comes back with its causes next to the fields.

use crate::pages::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::authz::admin::claims as ops;
use lanyard_core::model::{Claim, ClaimType, ClaimValueType, GroupFilterType};
use serde_json::{Value, json};

use super::forms::{FieldError, Manager, done, error_for};
use super::servers::{
    Choice, Posted, choices, custom, env, field_causes, record, refused_page, server_path,
};
use super::users::Button;
use super::{Admin, Chrome};
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, html};
use crate::state::AppState;

/// A claim as the form shows and posts it.
#[derive(Default)]
pub struct ClaimForm {
    name: String,
    claim_type: String,
    value_type: String,
    group_filter_type: String,
    value: String,
    always: bool,
    scopes: Vec<String>,
    /// Kept as it is (the form does not change it).
    status: String,
}

impl ClaimForm {
    fn of(c: &Claim) -> Self {
        ClaimForm {
            name: c.name.clone(),
            claim_type: c.claim_type.as_str().to_owned(),
            value_type: c.value_type.as_str().to_owned(),
            group_filter_type: c
                .group_filter_type
                .map(|g| g.as_str().to_owned())
                .unwrap_or_default(),
            value: c.value.clone(),
            always: c.always_include_in_token,
            scopes: c.scopes.clone(),
            status: c.status.as_str().to_owned(),
        }
    }

    fn new_claim() -> Self {
        ClaimForm {
            claim_type: ClaimType::Resource.as_str().to_owned(),
            value_type: ClaimValueType::Expression.as_str().to_owned(),
            always: true,
            ..ClaimForm::default()
        }
    }

    fn posted(p: &Posted) -> Self {
        ClaimForm {
            name: p.one("name"),
            claim_type: p.one("claimType"),
            value_type: p.one("valueType"),
            group_filter_type: p.one("groupFilterType"),
            value: p.one("value"),
            always: p.checked("alwaysIncludeInToken"),
            scopes: p.all("scopes"),
            status: p.one("status"),
        }
    }

    /// The body the Claims API takes. The group filter goes only with GROUPS (the form keeps its select for both).
    fn body(&self) -> Value {
        let mut b = json!({
            "name": self.name,
            "claimType": self.claim_type,
            "valueType": self.value_type,
            "value": self.value,
            "alwaysIncludeInToken": self.always,
            "conditions": {"scopes": self.scopes},
        });
        if self.value_type == ClaimValueType::Groups.as_str() && !self.group_filter_type.is_empty()
        {
            b["group_filter_type"] = json!(self.group_filter_type);
        }
        if !self.status.is_empty() {
            b["status"] = json!(self.status);
        }
        b
    }
}

/// The form field of a cause's path.
fn field(path: &str) -> &'static str {
    match path {
        "claimType" => "claimType",
        "valueType" => "valueType",
        "group_filter_type" => "groupFilterType",
        "value" => "value",
        "alwaysIncludeInToken" => "alwaysIncludeInToken",
        "conditions.scopes" | "conditions" => "scopes",
        _ => "name",
    }
}

#[derive(Template)]
#[template(path = "admin/claim-form.html")]
struct FormPage {
    c: Chrome,
    server_id: String,
    server_name: String,
    claim_id: Option<String>,
    form: ClaimForm,
    claim_types: &'static [ClaimType],
    value_types: &'static [ClaimValueType],
    filters: &'static [GroupFilterType],
    scopes: Vec<Choice>,
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
    claim_id: Option<String>,
    form: ClaimForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let server = custom(state, id).await?;
    let names: Vec<(String, String)> = state
        .store
        .scopes(id)
        .await?
        .into_iter()
        .map(|s| (s.name.clone(), s.name))
        .collect();
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
            claim_id,
            scopes: choices(&names, &form.scopes),
            form,
            claim_types: ClaimType::ALL,
            value_types: ClaimValueType::ALL,
            filters: GroupFilterType::ALL,
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
        ClaimForm::new_claim(),
        Vec::new(),
    )
    .await
}

pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(posted): CsrfForm<Posted>,
) -> Result<Response, PageError> {
    let back = server_path(&id);
    let form = ClaimForm::posted(&posted);
    match ops::create(state.store.as_ref(), env(&state), &id, &form.body()).await {
        Ok(made) => {
            record(&state, &m, &made);
            Ok(done(&back, "claim-created"))
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
    Path((id, cid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (_, claim) = ops::find(state.store.as_ref(), &id, &cid)
        .await
        .map_err(|e| refused_page(e, &server_path(&id)))?;
    render(
        &state,
        &m.admin,
        &id,
        Some(claim.id.clone()),
        ClaimForm::of(&claim),
        Vec::new(),
    )
    .await
}

pub async fn update(
    m: Manager,
    State(state): State<AppState>,
    Path((id, cid)): Path<(String, String)>,
    CsrfForm(posted): CsrfForm<Posted>,
) -> Result<Response, PageError> {
    let back = server_path(&id);
    // Saving a claim keeps its status: that is changed by its own buttons, never by a field of this form.
    let (_, stored) = ops::find(state.store.as_ref(), &id, &cid)
        .await
        .map_err(|e| refused_page(e, &back))?;
    let form = ClaimForm {
        status: stored.status.as_str().to_owned(),
        ..ClaimForm::posted(&posted)
    };
    match ops::replace(state.store.as_ref(), env(&state), &id, &cid, &form.body()).await {
        Ok(changed) => {
            record(&state, &m, &changed);
            Ok(done(&back, "claim-saved"))
        }
        Err(e) => {
            let errors = field_causes(e, &back, field)?;
            render(&state, &m.admin, &id, Some(cid), form, errors).await
        }
    }
}

pub async fn delete(
    m: Manager,
    State(state): State<AppState>,
    Path((id, cid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = server_path(&id);
    let gone = ops::delete(state.store.as_ref(), &id, &cid)
        .await
        .map_err(|e| refused_page(e, &back))?;
    record(&state, &m, &gone);
    Ok(done(&back, "claim-deleted"))
}
