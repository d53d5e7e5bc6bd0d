//! `/admin/servers`: the org authorization server and the custom ones; `/admin/servers/{id}`: a server's scopes,
//! claims, access policies with their rules, and signing keys (with when each ACTIVE key is due for rotation). An
//! administrator who may change things rotates a custom server's keys now (`crate::key_admin`, as `keyRotate`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::model::{AuthServerKind, AuthorizationServer, KeyStatus, PageRequest};
use lanyard_core::syslog::{Change, Party};

use super::forms::{self, Manager, done};
use super::users::Button;
use super::{Admin, Chrome, when, when_opt};
use crate::key_admin::KeyMaker;
use crate::pages::PageError;
use crate::pages::csrf::CsrfForm;
use crate::state::AppState;

struct ServerRow {
    id: String,
    name: String,
    kind: &'static str,
    issuer: String,
    audiences: String,
    status: &'static str,
    description: String,
}

impl ServerRow {
    fn of(s: &AuthorizationServer, base: &str) -> Self {
        ServerRow {
            id: s.id.clone(),
            name: s.name.clone(),
            kind: match s.kind {
                AuthServerKind::Org => "Org",
                AuthServerKind::Custom => "Custom",
            },
            issuer: s.issuer(base),
            audiences: s.audiences.join(", "),
            status: s.status.as_str(),
            description: s.description.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/servers.html")]
struct List {
    c: Chrome,
    rows: Vec<ServerRow>,
}

pub async fn list(admin: Admin, State(state): State<AppState>) -> Result<Response, PageError> {
    let mut rows = Vec::new();
    for kind in [AuthServerKind::Org, AuthServerKind::Custom] {
        let mut after = None;
        loop {
            let p = state
                .store
                .list_auth_servers(kind, &PageRequest { limit: 200, after })
                .await?;
            rows.extend(
                p.items
                    .iter()
                    .map(|s| ServerRow::of(s, &state.config.base_url)),
            );
            match p.next {
                Some(a) => after = Some(a),
                None => break,
            }
        }
    }
    Ok(super::page(
        List {
            c: Chrome::new(&state, &admin, "servers"),
            rows,
        }
        .render(),
    ))
}

struct ScopeRow {
    name: String,
    description: String,
    consent: &'static str,
    default: bool,
    published: bool,
    system: bool,
}

struct ClaimRow {
    name: String,
    claim_type: &'static str,
    value_type: &'static str,
    value: String,
    status: &'static str,
    scopes: String,
}

pub struct RuleRow {
    pub name: String,
    pub priority: i64,
    pub status: &'static str,
    pub conditions: String,
    pub actions: String,
}

/// A policy and its rules as `templates/admin/policy.html` shows them (access policies here, sign-on policies in
/// `policies.rs`).
pub struct PolicyRow {
    pub name: String,
    pub description: String,
    pub priority: i64,
    pub status: &'static str,
    pub conditions: String,
    pub rules: Vec<RuleRow>,
}

impl RuleRow {
    pub fn of(r: lanyard_core::model::PolicyRule) -> Self {
        RuleRow {
            name: r.name,
            priority: r.priority,
            status: r.status.as_str(),
            conditions: r.conditions.to_string(),
            actions: r.actions.to_string(),
        }
    }
}

struct KeyRow {
    kid: String,
    alg: &'static str,
    status: &'static str,
    created: String,
    activated: String,
    rotation_due: String,
}

#[derive(Template)]
#[template(path = "admin/server.html")]
struct Detail {
    c: Chrome,
    server: ServerRow,
    scopes: Vec<ScopeRow>,
    claims: Vec<ClaimRow>,
    policies: Vec<PolicyRow>,
    keys: Vec<KeyRow>,
    /// A custom server, whose keys an administrator may rotate (the org server's rotate on their schedule).
    rotatable: bool,
}

pub async fn detail(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let store = state.store.as_ref();
    let Some(server) = store.auth_server(&id).await? else {
        return Err(
            PageError::not_found().with_link("/admin/servers", "Back to authorization servers")
        );
    };
    let scopes = store
        .scopes(&id)
        .await?
        .into_iter()
        .map(|s| ScopeRow {
            name: s.name,
            description: s.description.unwrap_or_default(),
            consent: s.consent.as_str(),
            default: s.default,
            published: s.metadata_publish == lanyard_core::model::MetadataPublish::AllClients,
            system: s.system,
        })
        .collect();
    let claims = store
        .claims(&id)
        .await?
        .into_iter()
        .map(|c| ClaimRow {
            name: c.name,
            claim_type: c.claim_type.as_str(),
            value_type: c.value_type.as_str(),
            value: c.value,
            status: c.status.as_str(),
            scopes: if c.scopes.is_empty() {
                "any scope".to_owned()
            } else {
                c.scopes.join(", ")
            },
        })
        .collect();
    let mut policies = Vec::new();
    for p in store.policies(&id).await? {
        let rules = store
            .policy_rules(&p.id)
            .await?
            .into_iter()
            .map(RuleRow::of)
            .collect();
        policies.push(PolicyRow {
            name: p.name,
            description: p.description,
            priority: p.priority,
            status: p.status.as_str(),
            conditions: p.conditions.to_string(),
            rules,
        });
    }
    let interval = state.config.key_rotation_interval;
    let keys = store
        .keys(&id)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            rotation_due: match (k.status, interval) {
                (KeyStatus::Active, Some(i)) => when(k.activated.unwrap_or(k.created) + i),
                (KeyStatus::Active, None) => "automatic rotation off".to_owned(),
                _ => "—".to_owned(),
            },
            alg: k.alg.as_str(),
            status: k.status.as_str(),
            created: when(k.created),
            activated: when_opt(k.activated),
            kid: k.kid,
        })
        .collect();
    Ok(admin.page(
        Detail {
            c: Chrome::new(&state, &admin, "servers"),
            server: ServerRow::of(&server, &state.config.base_url),
            scopes,
            claims,
            policies,
            keys,
            rotatable: server.kind != AuthServerKind::Org,
        }
        .render(),
    ))
}

/// Rotates a custom server's signing keys now, as `keyRotate` does: the new keys sign at once, the old stay
/// published until the tokens they signed expire.
pub async fn rotate_keys(
    m: Manager,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Button>,
) -> Result<Response, PageError> {
    let back = format!("/admin/servers/{id}");
    let Some(server) = state.store.auth_server(&id).await? else {
        return Err(
            PageError::not_found().with_link("/admin/servers", "Back to authorization servers")
        );
    };
    if server.kind == AuthServerKind::Org {
        return Err(forms::refused(
            StatusCode::FORBIDDEN,
            "The org authorization server's keys rotate on their schedule only.",
            &back,
        ));
    }
    let maker = KeyMaker::of(&state);
    let activated = maker
        .rotate(state.store.as_ref(), &server)
        .await
        .map_err(|e| PageError::from(crate::api::error::ApiError::internal(e.to_string())))?;
    state.keyring.invalidate(&id);
    tracing::info!(auth_server = %id, activated = ?activated, "signing keys rotated in the console");
    let change = Change::new(
        "oauth2.as.key.rotate",
        "Rotate authorization server signing keys",
    )
    .target(Party::new(
        &server.id,
        "AuthorizationServer",
        &server.id,
        &server.name,
    ));
    m.audit.record(&state, &[change]);
    Ok(done(&back, "keys-rotated"))
}
