//! `/admin/servers/{id}/preview` (Okta's "Token Preview"): a GET form — it changes nothing, so a preview can be
//! bookmarked — choosing an app, a user, a grant type and scopes; the answer is `lanyard_core::oauth::preview`'s:
//! the access policy and rule that would match, or the exact refusal of the token endpoint, and the claims of the
//! access token and the ID token it would issue. The server's rules are the token endpoint's cached entry, so the
//! preview sees what the token endpoint sees. Nothing is signed, stored or logged; read-only administrators may
//! preview too.

use crate::pages::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use lanyard_core::model::{GrantType, PageRequest};
use lanyard_core::oauth::preview::{
    self, GRANT_TYPES, Preview, PreviewRefused, PreviewRequest, PreviewServer,
};
use serde::Deserialize;

use super::{Admin, Chrome};
use crate::pages::PageError;
use crate::state::AppState;

/// Apps offered in the form.
const APPS_SHOWN: u32 = 200;

/// The form's query: the app's client id, the user's login, the grant type, the scopes (space-separated).
#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub grant: String,
    #[serde(default)]
    pub scope: String,
}

/// An option of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The answer shown.
enum Outcome {
    /// The form only: nothing asked yet.
    Nothing,
    Refused(String),
    Issued(Box<Issued>),
}

struct Issued {
    policy: String,
    rule: String,
    scopes: String,
    lifetimes: String,
    access_token: String,
    id_token: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/preview.html")]
struct Page {
    c: Chrome,
    server_id: String,
    server_name: String,
    q: PreviewQuery,
    apps: Vec<Opt>,
    grants: Vec<Opt>,
    outcome: Outcome,
}

impl Page {
    fn refusal(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Refused(r) => Some(r),
            _ => None,
        }
    }

    fn issued(&self) -> Option<&Issued> {
        match &self.outcome {
            Outcome::Issued(i) => Some(i),
            _ => None,
        }
    }

    fn asked(&self) -> bool {
        !matches!(self.outcome, Outcome::Nothing)
    }
}

/// The select of the app's client ids.
pub async fn app_options(state: &AppState, chosen: &str) -> Result<Vec<Opt>, PageError> {
    let apps = state
        .store
        .list_apps(None, &PageRequest::first(APPS_SHOWN))
        .await?;
    Ok(apps
        .items
        .into_iter()
        .map(|a| Opt {
            selected: a.client.client_id == chosen,
            label: format!("{} ({})", a.label, a.client.client_id),
            value: a.client.client_id,
        })
        .collect())
}

/// The select of the grant types a preview may be asked for.
pub fn grant_options(chosen: &str) -> Vec<Opt> {
    GRANT_TYPES
        .iter()
        .map(|g| Opt {
            value: g.as_str().to_owned(),
            label: g.as_str().to_owned(),
            selected: g.as_str() == chosen,
        })
        .collect()
}

fn refusal_text(e: PreviewRefused) -> Result<String, PageError> {
    Ok(match e {
        PreviewRefused::UnknownApp => "No app has this client id.".to_owned(),
        PreviewRefused::InactiveApp => {
            "The app is not active: the token endpoint does not authenticate it (invalid_client)."
                .to_owned()
        }
        PreviewRefused::UnknownUser => "No user has this username.".to_owned(),
        PreviewRefused::UnsupportedGrant => "Choose one of the grant types offered.".to_owned(),
        PreviewRefused::Token(e) => match e.detail {
            Some(d) => format!("{}: {} ({d})", e.code, e.description),
            None => format!("{}: {}", e.code, e.description),
        },
        PreviewRefused::Store(e) => return Err(e.into()),
    })
}

fn json(m: &serde_json::Map<String, serde_json::Value>) -> String {
    serde_json::to_string_pretty(m).unwrap_or_default()
}

async fn issued(state: &AppState, server_id: &str, p: Preview) -> Result<Issued, PageError> {
    let (policy, rule) = match &p.decision.matched {
        Some((pid, rid)) => {
            let policy = state.store.policy(server_id, pid).await?;
            let rule = state.store.policy_rule(pid, rid).await?;
            (
                policy.map_or_else(|| pid.clone(), |x| x.name),
                rule.map_or_else(|| rid.clone(), |x| x.name),
            )
        }
        None => (
            "— (the org authorization server has no access policies)".to_owned(),
            "—".to_owned(),
        ),
    };
    let d = &p.decision;
    Ok(Issued {
        policy,
        rule,
        scopes: d.scopes.join(" "),
        lifetimes: format!(
            "access token {} min; refresh token window {} min",
            d.access_token_lifetime.num_minutes(),
            d.refresh_window.num_minutes()
        ),
        access_token: json(&p.access_token),
        id_token: p.id_token.as_ref().map(json),
    })
}

pub async fn page(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, PageError> {
    let Some(entry) = state.keyring.entry(&id).await? else {
        return Err(
            PageError::not_found().with_link("/admin/servers", "Back to authorization servers")
        );
    };
    let outcome = if q.client.trim().is_empty() {
        Outcome::Nothing
    } else {
        let scopes: Vec<String> = q.scope.split_whitespace().map(str::to_owned).collect();
        let Some(grant) = GrantType::parse(q.grant.trim()) else {
            return render(
                &state,
                &admin,
                &entry.server,
                q,
                Outcome::Refused(refusal_text(PreviewRefused::UnsupportedGrant)?),
            )
            .await;
        };
        let asked = preview::preview(
            state.store.as_ref(),
            &PreviewServer {
                server: &entry.server,
                rules: &entry.rules,
                issuer: &entry.issuer,
                audiences: &entry.audiences,
                org_id: &state.config.org_id,
                pairwise_key: state.pairwise_key,
            },
            state.clock.now(),
            state.random.as_ref(),
            &PreviewRequest {
                client_id: &q.client,
                login: &q.login,
                grant,
                scopes: &scopes,
            },
        )
        .await;
        match asked {
            Ok(p) => Outcome::Issued(Box::new(issued(&state, &id, p).await?)),
            Err(e) => Outcome::Refused(refusal_text(e)?),
        }
    };
    render(&state, &admin, &entry.server, q, outcome).await
}

async fn render(
    state: &AppState,
    admin: &Admin,
    server: &lanyard_core::model::AuthorizationServer,
    q: PreviewQuery,
    outcome: Outcome,
) -> Result<Response, PageError> {
    Ok(admin.page(
        Page {
            c: Chrome::new(state, admin, "servers"),
            server_id: server.id.clone(),
            server_name: server.name.clone(),
            apps: app_options(state, &q.client).await?,
            grants: grant_options(&q.grant),
            q,
            outcome,
        }
        .render(),
    ))
}
