//! `/admin/tokens`: the management API tokens — name, owner, when made, last used and expiring — never the tokens
//! nor any part of them (the store holds only their SHA-256). An administrator who may change things creates a
//! token for themselves (a Super Administrator only: `Administrator::may_create_api_tokens`; `lanyard_core::api_token::create`, as `lanyard api-token create` does; the page that
//! answers the form shows the token, this once: it is in no URL, no log, and nowhere to show again) and revokes
//! any token (`lanyard_core::api_token::revoke`, as `DELETE /api/v1/api-tokens/{id}`).

use crate::pages::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::api_token::{self, CreateRefused};
use lanyard_core::model::PageRequest;
use lanyard_core::syslog::Party;
use serde::Deserialize;

use super::forms::{FieldError, Manager, done, error_for};
use super::users::Button;
use super::{Admin, Chrome, next_href, when, when_opt};
use crate::csrf_field;
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, html};
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

/// Why an Organization Administrator makes no token.
const SUPER_ADMIN_ONLY: &str = "Only a Super Administrator may create API tokens: a token has full access to the \
     management API.";

#[derive(Deserialize, Default)]
pub struct Params {
    after: Option<String>,
}

struct TokenRow {
    id: String,
    name: String,
    owner: String,
    created: String,
    last_used: String,
    expires: String,
}

/// A token just made: shown this once.
struct NewToken {
    id: String,
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct List {
    c: Chrome,
    rows: Vec<TokenRow>,
    next: Option<String>,
    created: Option<NewToken>,
    /// Whether the administrator may make tokens (a Super Administrator).
    may_create: bool,
    /// The name posted, when it was refused.
    name: String,
    errors: Vec<FieldError>,
}

impl List {
    fn error(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

pub async fn list(
    admin: Admin,
    State(state): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    render(&state, &admin, p.after, None, String::new(), Vec::new()).await
}

async fn render(
    state: &AppState,
    admin: &Admin,
    after: Option<String>,
    created: Option<NewToken>,
    name: String,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let page = state
        .store
        .list_api_tokens(&PageRequest {
            limit: PAGE_SIZE,
            after: after.filter(|a| !a.is_empty()),
        })
        .await?;
    let mut rows = Vec::with_capacity(page.items.len());
    for t in page.items {
        let owner = match &t.user_id {
            Some(uid) => match state.store.user(uid).await? {
                Some(u) => u.login,
                None => uid.clone(),
            },
            None => "the command line (lanyard api-token create)".to_owned(),
        };
        rows.push(TokenRow {
            id: t.id,
            name: t.name,
            owner,
            created: when(t.created),
            last_used: when_opt(t.last_used),
            expires: t.expires_at.map(when).unwrap_or_else(|| "never".to_owned()),
        });
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(admin.respond(html(
        status,
        List {
            c: Chrome::new(state, admin, "tokens"),
            next: next_href("/admin/tokens", &[], page.next.as_deref()),
            rows,
            created,
            may_create: admin.0.may_create_api_tokens(),
            name,
            errors,
        }
        .render(),
    )))
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}
csrf_field!(NewTokenForm);

fn token_target(id: &str, name: &str) -> Party {
    Party::new(id, "Token", name, "API token")
}

/// A new token for the signed-in administrator: the page that answers shows it, this once (no redirect: it is kept
/// nowhere to show again).
pub async fn create(
    m: Manager,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<NewTokenForm>,
) -> Result<Response, PageError> {
    if !m.admin.0.may_create_api_tokens() {
        return Err(super::forms::refused(
            StatusCode::FORBIDDEN,
            SUPER_ADMIN_ONLY,
            "/admin/tokens",
        ));
    }
    let made = api_token::create(
        state.store.as_ref(),
        &form.name,
        Some(m.admin.0.user.id.clone()),
        None,
        state.random.as_ref(),
        state.clock.now(),
    )
    .await;
    let (secret, record) = match made {
        Ok(m) => m,
        Err(CreateRefused::Name(why)) => {
            let errors = vec![FieldError {
                field: "name".into(),
                message: why.to_owned(),
            }];
            return render(&state, &m.admin, None, None, form.name, errors).await;
        }
        Err(CreateRefused::Store(e)) => return Err(e.into()),
    };
    tracing::info!(token_id = %record.id, "API token created in the console");
    let (kind, message) = api_token::CREATED;
    state.syslog.record(
        m.audit
            .event(&state, kind, message)
            .target(token_target(&record.id, &record.name)),
    );
    let created = NewToken {
        id: record.id,
        name: record.name,
        secret: secret.expose().to_owned(),
    };
    render(
        &state,
        &m.admin,
        None,
        Some(created),
        String::new(),
        Vec::new(),
    )
    .await
}

pub async fn revoke(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let token = state.store.api_token(&id).await?;
    // No token of the caller's own: `current` names none here.
    let revoked = api_token::revoke(state.store.as_ref(), &id, "").await?;
    let (Some(id), Some(token)) = (revoked, token) else {
        return Err(PageError::not_found().with_link("/admin/tokens", "Back to API tokens"));
    };
    tracing::info!(token_id = %id, "API token revoked in the console");
    let (kind, message) = api_token::REVOKED;
    state.syslog.record(
        m.audit
            .event(&state, kind, message)
            .target(token_target(&id, &token.name)),
    );
    Ok(done("/admin/tokens", "token-revoked"))
}
