//! `/api/v1/authorizationServers`: custom authorization servers (`servers.rs`), their scopes (`scopes.rs`),
//! custom claims (`claims.rs`), access policies and rules (`policies.rs`), and here their signing keys and key
//! rotation. The org server is not part of this API (404), as in Okta. Bodies are validated by
//! `lanyard_core::authz`; its causes become Okta's 400 E0000001 `errorCauses`.

mod claims;
mod policies;
mod scopes;
mod servers;

use axum::Json;
use axum::extract::{Path, State};
use lanyard_core::authz::admin;
use lanyard_core::authz::admin::Changed;
use lanyard_core::authz::admin::servers as server_ops;
use lanyard_core::change::{Refused, Resource};
use lanyard_core::clock::okta_format;
use lanyard_core::crypto::jwk::Jwk;
use lanyard_core::model::{AuthorizationServer, KeyRecord};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use crate::key_admin::{KeyMaker, next_rotation};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .merge(servers::routes())
        .merge(scopes::routes())
        .merge(claims::routes())
        .merge(policies::routes())
        .get(
            "/authorizationServers/{id}/credentials/keys",
            list_keys,
            doc().list::<KeyBody>(),
        )
        .get(
            "/authorizationServers/{id}/credentials/keys/{kid}",
            read_key,
            doc().ok::<KeyBody>(),
        )
        .post(
            "/authorizationServers/{id}/credentials/lifecycle/keyRotate",
            rotate_keys,
            doc().optional_body::<RotateBody>().list::<KeyBody>(),
        )
}

use super::invalid;
use crate::api::LifecycleLinks;
use crate::api::openapi::{HintedHref, Href, Routes, doc};

/// Okta's name of what was not found.
fn resource_name(r: Resource) -> &'static str {
    match r {
        Resource::AuthorizationServer => "AuthorizationServer",
        Resource::Scope => "OAuth2Scope",
        Resource::Claim => "OAuth2Claim",
        Resource::Policy => "Policy",
        Resource::PolicyRule => "PolicyRule",
    }
}

/// An operation refused, in Okta's terms: 404 E0000007, 400 E0000001 with the causes, 403 E0000006 with the reason
/// as detail.
pub(super) fn refused(e: Refused) -> ApiError {
    match e {
        Refused::NotFound(what, id) => ApiError::not_found(&id, resource_name(what)),
        Refused::Invalid(i) => invalid(i),
        Refused::Forbidden(why) => ApiError::of(OktaCode::Forbidden).with_detail(why.to_owned()),
        Refused::Keys(e) => ApiError::internal(e.to_string()),
        Refused::Store(e) => e.into(),
    }
}

/// What the operations need besides the store.
pub(crate) fn env(state: &AppState) -> admin::Env<'_> {
    admin::Env {
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    }
}

/// Logs a change's event (with the request's actor, the server and the object as targets) and drops the server's
/// cached entry: every change reaches this node's token endpoint at once (others within the TTL).
pub(crate) fn record<T>(state: &AppState, audit: &Audit, changed: &Changed<T>) {
    if let Some((kind, message)) = changed.event {
        let mut e = audit.event(state, kind, message);
        for t in changed.targets() {
            e = e.target(t);
        }
        state.syslog.record(e);
    }
    state.keyring.invalidate(&changed.server.id);
}

/// `{base}/api/v1/authorizationServers/{id}`.
pub(super) fn server_href(state: &AppState, id: &str) -> String {
    format!("{}/api/v1/authorizationServers/{id}", state.config.base_url)
}

pub(super) fn server_json(s: &AuthorizationServer, keys: &[KeyRecord], state: &AppState) -> Value {
    let base = &state.config.base_url;
    let href = format!("{base}/api/v1/authorizationServers/{}", s.id);
    let active = keys
        .iter()
        .find(|k| k.alg == s.signing_alg && k.status == lanyard_core::model::KeyStatus::Active);
    let signing = ServerSigning {
        rotation_mode: if state.config.key_rotation_interval.is_some() {
            "AUTO"
        } else {
            "MANUAL"
        },
        key_use: "sig",
        alg: s.signing_alg.as_str(),
        kid: active.map(|k| k.kid.clone()),
        last_rotated: active.map(|k| okta_format(k.activated.unwrap_or(k.created))),
        next_rotation: next_rotation(keys, state.config.key_rotation_interval).map(okta_format),
    };
    let issuer = s.issuer(base);
    let links = ServerLinks {
        keys: Href::new(format!("{href}/credentials/keys")),
        scopes: Href::new(format!("{href}/scopes")),
        claims: Href::new(format!("{href}/claims")),
        policies: Href::new(format!("{href}/policies")),
        rotate_key: HintedHref::new(format!("{href}/credentials/lifecycle/keyRotate"), &["POST"]),
        metadata: [
            NamedHref {
                name: "oauth-authorization-server",
                href: format!("{issuer}/.well-known/oauth-authorization-server"),
            },
            NamedHref {
                name: "openid-configuration",
                href: format!("{issuer}/.well-known/openid-configuration"),
            },
        ],
        lifecycle: LifecycleLinks::of(&href, s.status),
        this: HintedHref::new(href, &["GET", "DELETE", "PUT"]),
    };
    let body = ServerBody {
        id: s.id.clone(),
        name: s.name.clone(),
        description: s.description.clone(),
        audiences: s.audiences.clone(),
        issuer: s.issuer(base),
        issuer_mode: "ORG_URL",
        status: s.status.as_str(),
        created: okta_format(s.created),
        last_updated: okta_format(s.last_updated),
        credentials: ServerCredentials { signing },
        links,
    };
    serde_json::to_value(body).unwrap_or_default()
}

/// An authorization server in Okta's shape: what `server_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AuthorizationServer")]
pub struct ServerBody {
    id: String,
    name: String,
    description: String,
    audiences: Vec<String>,
    issuer: String,
    issuer_mode: &'static str,
    #[schemars(extend("enum" = ["ACTIVE", "INACTIVE"]))]
    status: &'static str,
    created: String,
    last_updated: String,
    credentials: ServerCredentials,
    #[serde(rename = "_links")]
    links: ServerLinks,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AuthorizationServerLinks")]
pub struct ServerLinks {
    #[serde(rename = "self")]
    this: HintedHref,
    keys: Href,
    scopes: Href,
    claims: Href,
    policies: Href,
    rotate_key: HintedHref,
    /// The discovery documents of its issuer.
    metadata: [NamedHref; 2],
    #[serde(flatten)]
    lifecycle: LifecycleLinks,
}

/// A link with its name.
#[derive(Serialize, JsonSchema)]
pub struct NamedHref {
    name: &'static str,
    href: String,
}

#[derive(Serialize, JsonSchema)]
pub struct ServerCredentials {
    signing: ServerSigning,
}

/// The signing key in use (`kid`, `lastRotated` once there is one) and when it rotates next.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerSigning {
    rotation_mode: &'static str,
    #[serde(rename = "use")]
    key_use: &'static str,
    alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_rotated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_rotation: Option<String>,
}

/// A signing key of an authorization server in Okta's shape (`JsonWebKey`): its public JWK, its status and its
/// link; what `key_json` sends.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "JsonWebKey")]
pub struct KeyBody {
    #[serde(flatten)]
    jwk: Jwk,
    #[schemars(extend("enum" = ["NEXT", "ACTIVE", "EXPIRED"]))]
    status: &'static str,
    #[serde(rename = "_links")]
    links: KeyLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct KeyLinks {
    #[serde(rename = "self")]
    this: HintedHref,
}

fn key_json(k: &KeyRecord, base: &str) -> KeyBody {
    KeyBody {
        jwk: k.public_jwk.clone(),
        status: k.status.as_str(),
        links: KeyLinks {
            this: HintedHref::new(
                format!(
                    "{base}/api/v1/authorizationServers/{}/credentials/keys/{}",
                    k.auth_server_id, k.kid
                ),
                &["GET"],
            ),
        },
    }
}

/// A custom authorization server (the org server has no management API, as in Okta).
pub(super) async fn custom_server(
    state: &AppState,
    id: &str,
) -> Result<AuthorizationServer, ApiError> {
    admin::custom_server(state.store.as_ref(), id)
        .await
        .map_err(refused)
}

async fn list_keys(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<KeyBody>>, ApiError> {
    custom_server(&state, &id).await?;
    let keys = state.store.keys(&id).await?;
    Ok(Json(
        keys.iter()
            .map(|k| key_json(k, &state.config.base_url))
            .collect(),
    ))
}

async fn read_key(
    State(state): State<AppState>,
    Path((id, kid)): Path<(String, String)>,
) -> Result<Json<KeyBody>, ApiError> {
    custom_server(&state, &id).await?;
    let keys = state.store.keys(&id).await?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| ApiError::not_found(&kid, "JsonWebKey"))?;
    Ok(Json(key_json(key, &state.config.base_url)))
}

#[derive(schemars::JsonSchema, Deserialize)]
struct RotateBody {
    #[serde(rename = "use")]
    use_: Option<String>,
}

async fn rotate_keys(
    State(state): State<AppState>,
    audit: crate::syslog::Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<Option<RotateBody>>,
) -> Result<Json<Vec<KeyBody>>, ApiError> {
    if let Some(u) = body.and_then(|b| b.use_).filter(|u| u != "sig") {
        return Err(ApiError::validation(
            "use",
            vec![format!("use: only \"sig\" keys can be rotated, not {u:?}")],
        ));
    }
    let maker = KeyMaker::of(&state);
    let rotated = server_ops::rotate_keys(state.store.as_ref(), &maker, env(&state), &id)
        .await
        .map_err(refused)?;
    tracing::info!(auth_server = %id, activated = ?rotated.item, "signing keys rotated through the API");
    record(&state, &audit, &rotated);
    let keys = state.store.keys(&id).await?;
    Ok(Json(
        keys.iter()
            .map(|k| key_json(k, &state.config.base_url))
            .collect(),
    ))
}
