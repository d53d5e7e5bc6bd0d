//! `/admin/servers`: the org authorization server and the custom ones; `/admin/servers/{id}`: a server's scopes,
//! claims, access policies with their rules, and signing keys (with when each ACTIVE key is due for rotation), and
//! the token preview's form (`servers_preview.rs`). An administrator who may change things rotates a custom server's
//! keys now (`crate::key_admin`, as `keyRotate`), and changes its scopes (`servers_scopes.rs`), claims
//! (`servers_claims.rs`), access policies and rules (`servers_policies.rs`): the Authorization Servers API's
//! operations (`lanyard_core::authz::admin`), logged and dropping the server's cached entry as the API does.

use crate::pages::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::authz::admin::Changed;
use lanyard_core::authz::policy::ClientsCondition;
use lanyard_core::change::Refused;
use lanyard_core::model::{
    AuthServerKind, AuthorizationServer, GrantType, KeyStatus, LifecycleStatus, PageRequest,
};
use lanyard_core::syslog::{Change, Party};

use super::forms::{self, FieldError, Manager, done};
use super::servers_policies::RuleLine;
use super::servers_preview::{Opt, PreviewQuery, app_options, grant_options};
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
    id: String,
    name: String,
    description: String,
    consent: &'static str,
    default: bool,
    published: bool,
    system: bool,
}

struct ClaimRow {
    id: String,
    name: String,
    claim_type: &'static str,
    value_type: &'static str,
    value: String,
    status: &'static str,
    scopes: String,
}

struct KeyRow {
    kid: String,
    alg: &'static str,
    status: &'static str,
    created: String,
    activated: String,
    rotation_due: String,
}

/// An access policy and its rules, with what the console's forms need.
struct AccessLine {
    id: String,
    name: String,
    description: String,
    priority: i64,
    status: &'static str,
    active: bool,
    clients: String,
    rules: Vec<RuleLine>,
}

#[derive(Template)]
#[template(path = "admin/server.html")]
struct Detail {
    c: Chrome,
    server: ServerRow,
    server_id: String,
    scopes: Vec<ScopeRow>,
    claims: Vec<ClaimRow>,
    policies: Vec<AccessLine>,
    keys: Vec<KeyRow>,
    /// A custom server, whose keys an administrator may rotate (the org server's rotate on their schedule), and
    /// whose scopes, claims and policies they may change.
    rotatable: bool,
    /// The token preview's form.
    q: PreviewQuery,
    apps: Vec<Opt>,
    grants: Vec<Opt>,
}

impl Detail {
    /// Whether the administrator may change this server's configuration here.
    fn editable(&self) -> bool {
        self.rotatable && !self.c.read_only
    }
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
            id: s.id,
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
            id: c.id,
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
            .iter()
            .map(RuleLine::of)
            .collect();
        policies.push(AccessLine {
            clients: match ClientsCondition::from_stored(&p.conditions) {
                ClientsCondition::All => "all clients".to_owned(),
                ClientsCondition::Only(ids) => ids.join(", "),
            },
            active: p.status == LifecycleStatus::Active,
            id: p.id,
            name: p.name,
            description: p.description,
            priority: p.priority,
            status: p.status.as_str(),
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
            server_id: server.id.clone(),
            scopes,
            claims,
            policies,
            keys,
            rotatable: server.kind != AuthServerKind::Org,
            apps: app_options(&state, "").await?,
            grants: grant_options(GrantType::AuthorizationCode.as_str()),
            q: PreviewQuery::default(),
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

/// A change to a server's configuration, logged with the administrator as actor, the server's cached entry dropped
/// (the API's own bookkeeping).
pub fn record<T>(state: &AppState, m: &Manager, changed: &Changed<T>) {
    crate::api::authorization_servers::record(state, &m.audit, changed);
}

/// What the operations need besides the store.
pub fn env(state: &AppState) -> lanyard_core::authz::admin::Env<'_> {
    crate::api::authorization_servers::env(state)
}

/// The page of `/admin/servers/{id}`.
pub fn server_path(id: &str) -> String {
    format!("/admin/servers/{id}")
}

/// A refused change as a page: a missing object, or why it cannot undergo the change.
pub fn refused_page(e: Refused, back: &str) -> PageError {
    match e {
        Refused::NotFound(..) => {
            PageError::not_found().with_link("/admin/servers", "Back to authorization servers")
        }
        Refused::Invalid(i) => forms::refused(StatusCode::BAD_REQUEST, i.to_string(), back),
        Refused::Forbidden(why) => forms::refused(StatusCode::FORBIDDEN, capitalized(why), back),
        Refused::Keys(e) => crate::api::error::ApiError::internal(e.to_string()).into(),
        Refused::Store(e) => e.into(),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str()),
        None => String::new(),
    }
}

/// A refused body's causes next to the form's fields (`field` names the form field of a cause's path), or the
/// page saying why.
pub fn field_causes(
    e: Refused,
    back: &str,
    field: fn(&str) -> &'static str,
) -> Result<Vec<FieldError>, PageError> {
    match e {
        Refused::Invalid(i) => Ok(i
            .0
            .into_iter()
            .map(|c| FieldError {
                field: field(&c.field).to_owned(),
                message: c.message,
            })
            .collect()),
        e => Err(refused_page(e, back)),
    }
}

/// A posted form as its name–value pairs, for forms with lists (checkboxes of one name).
#[derive(Default)]
pub struct Posted {
    csrf: String,
    pairs: Vec<(String, String)>,
}

impl<'de> serde::Deserialize<'de> for Posted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(String, String)>::deserialize(d)?;
        let csrf = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        Ok(Posted { csrf, pairs })
    }
}

impl crate::pages::csrf::CsrfField for Posted {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl Posted {
    /// The first value of `name`, trimmed (empty when absent).
    pub fn one(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every non-empty value of `name`, and the words of each (a field may hold several, space-separated), each
    /// once, at most [`Posted::MAX_VALUES`] of them: a form listing more is not one a person filled in, and the
    /// core refuses what it cannot use.
    pub fn all(&self, name: &str) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split([' ', ',', '\n', '\r', '\t']))
            .filter(|w| !w.is_empty() && seen.insert(*w))
            .take(Self::MAX_VALUES)
            .map(str::to_owned)
            .collect()
    }

    /// The most values [`Posted::all`] reads of one field.
    pub const MAX_VALUES: usize = 1000;

    /// Whether the checkbox `name` is checked.
    pub fn checked(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}

/// A checkbox of a list: its value, its label, whether it is checked.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// `values` as checkboxes, those in `checked` checked.
///
/// A checked value the list does not offer (it names only the first 200 apps, groups or scopes) is offered too, checked
/// and labelled by itself: saving the form sends every checked box, and a value left out would be dropped.
pub fn choices(values: &[(String, String)], checked: &[String]) -> Vec<Choice> {
    let mut out: Vec<Choice> = values
        .iter()
        .map(|(v, l)| Choice {
            checked: checked.contains(v),
            value: v.clone(),
            label: l.clone(),
        })
        .collect();
    for c in checked {
        if !values.iter().any(|(v, _)| v == c) {
            out.push(Choice {
                checked: true,
                value: c.clone(),
                label: c.clone(),
            });
        }
    }
    out
}

/// A custom server an administrator may change, or the page saying why not.
pub async fn custom(state: &AppState, id: &str) -> Result<AuthorizationServer, PageError> {
    lanyard_core::authz::admin::custom_server(state.store.as_ref(), id)
        .await
        .map_err(|e| refused_page(e, "/admin/servers"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checked_value_the_list_does_not_offer_stays_checked() {
        let values = vec![
            ("a".to_owned(), "A".to_owned()),
            ("b".to_owned(), "B".to_owned()),
        ];
        let shown = choices(&values, &["b".to_owned(), "z".to_owned()]);
        let seen: Vec<(&str, &str, bool)> = shown
            .iter()
            .map(|c| (c.value.as_str(), c.label.as_str(), c.checked))
            .collect();
        assert_eq!(
            seen,
            [("a", "A", false), ("b", "B", true), ("z", "z", true)]
        );
    }

    #[test]
    fn posted_lists_hold_every_value_once() {
        let p: Posted = serde_json::from_value(serde_json::json!([
            ["csrf", "t"],
            ["grantTypes", "implicit"],
            ["grantTypes", "password"],
            ["scopes", "a b,c"],
            ["scopes", "a"],
            ["x", ""]
        ]))
        .unwrap();
        assert_eq!(p.csrf, "t");
        assert_eq!(p.all("grantTypes"), vec!["implicit", "password"]);
        assert_eq!(p.all("scopes"), vec!["a", "b", "c"]);
        assert!(p.checked("grantTypes") && !p.checked("x") && !p.checked("y"));
        assert_eq!(p.one("missing"), "");
    }

    #[test]
    fn a_field_gives_at_most_max_values_words() {
        let many: String = (0..5000).map(|i| format!("w{i} ")).collect();
        let p: Posted =
            serde_json::from_value(serde_json::json!([["csrf", "t"], ["scopes", many]])).unwrap();
        let all = p.all("scopes");
        assert_eq!(all.len(), Posted::MAX_VALUES);
        assert_eq!(all[0], "w0");
    }
}
