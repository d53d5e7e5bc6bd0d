//! Dynamic client registration at `/oauth2/v1/clients`, Okta's path, for the whole org (every server's discovery
//! points there): `POST` registers a client (RFC 7591) — with a management API token (`SSWS`, or the same token as a
//! `Bearer` initial access token), or by anyone when the operator opened registration (`--registration open`);
//! `GET`, `PUT` and `DELETE` on the `registration_client_uri` read, replace and delete it with its registration
//! access token (RFC 7592). Each read and update answers a new registration access token and retires the previous
//! one (RFC 7592 §2.1, §2.2: only the token's hash is kept, so it cannot be shown again).
//!
//! A registered client is an app of the Apps API (`lanyard_core::oauth::registration` maps the metadata and the app
//! core validates it), assigned to the `Everyone` group so that users can sign in to it: a client nobody may use
//! would be of no use to the party that registered it. Administrators may change its assignments, like any app's.
//! A `sector_identifier_uri` is fetched and must list every redirect URI (OIDC Registration §5).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lanyard_core::model::{App, OAuthClient};
use lanyard_core::oauth::registration::{
    RegistrationError, check_sector_document, client_information,
};
use lanyard_core::oauth::registration_ops::{self as ops, Registered, SectorCheck};
use lanyard_core::syslog::Party;
use serde_json::Value;

use crate::api::apps::app_target;
use crate::api::error::ApiError;
use crate::config::Registration;
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/oauth2/v1/clients", post(register))
        .route(
            "/oauth2/v1/clients/{client_id}",
            axum::routing::get(read).put(update).delete(remove),
        )
        // Counted like management API calls: per credential, else per client IP.
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::api::rate_limit::middleware,
        ))
}

/// A JSON answer that is never cached (it may hold secrets).
fn json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

fn refused(e: &RegistrationError) -> Response {
    tracing::info!(error = e.error, detail = %lanyard_core::log_safe(&e.description), "client registration refused");
    json(StatusCode::BAD_REQUEST, &e.to_json())
}

/// 401 with the Bearer challenge (RFC 6750 §3), for a missing or wrong token.
fn unauthorized(error: Option<&str>) -> Response {
    let (challenge, body) = match error {
        Some(e) => (
            format!("Bearer realm=\"lanyard\", error=\"{e}\""),
            serde_json::json!({"error": e, "error_description": "The access token is invalid."}),
        ),
        None => (
            "Bearer realm=\"lanyard\"".to_owned(),
            serde_json::json!({"error": "invalid_token", "error_description": "An access token is required."}),
        ),
    };
    let mut r = json(StatusCode::UNAUTHORIZED, &body);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    (v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "))
        .then(|| v[7..].trim())
        .filter(|t| !t.is_empty())
}

fn audit(actor: Party, peer: std::net::SocketAddr, headers: &HeaderMap) -> Audit {
    Audit {
        actor,
        ip: Some(peer.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect()),
    }
}

/// The client metadata of a request body: a JSON object sent as `application/json`.
fn metadata(headers: &HeaderMap, body: &[u8]) -> Result<Value, RegistrationError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(RegistrationError::metadata(
            "the client metadata must be sent as application/json",
        ));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| RegistrationError::metadata("the client metadata is not valid JSON"))?;
    if !v.is_object() {
        return Err(RegistrationError::metadata(
            "the client metadata must be a JSON object",
        ));
    }
    Ok(v)
}

/// Fetches a client's `sector_identifier_uri`, if it has one, and checks that it lists every redirect URI.
pub async fn check_sector(state: &AppState, client: &OAuthClient) -> Result<(), RegistrationError> {
    let Some(uri) = client.sector_identifier_uri() else {
        return Ok(());
    };
    let doc = super::client_keys::fetch_json(&state.outbound, uri)
        .await
        .map_err(|e| {
            tracing::info!(detail = %lanyard_core::log_safe(&e.detail()), "sector_identifier_uri not fetched");
            // What failed is not said: the registrant learns nothing of what answers inside.
            RegistrationError::metadata(format!("sector_identifier_uri: {e}"))
        })?;
    check_sector_document(&doc, &client.redirect_uris)
}

/// The `sector_identifier_uri` check, fetched through the node's outbound client.
struct Sector<'a>(&'a AppState);

#[async_trait::async_trait]
impl SectorCheck for Sector<'_> {
    async fn check(&self, client: &OAuthClient) -> Result<(), RegistrationError> {
        check_sector(self.0, client).await
    }
}

fn env<'a>(state: &'a AppState, sector: &'a Sector<'a>) -> ops::Env<'a> {
    ops::Env {
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
        sector,
    }
}

/// An operation refused: RFC 7591's 400 for the metadata, else an error of the management API's.
fn refusal(e: ops::Refused) -> Result<Response, ApiError> {
    match e {
        ops::Refused::Metadata(e) => Ok(refused(&e)),
        ops::Refused::Gone(id) => Err(ApiError::not_found(&id, "AppInstance")),
        ops::Refused::Store(e) => Err(e.into()),
    }
}

/// The client information of a registered, read or updated client.
fn information(state: &AppState, status: StatusCode, r: &Registered) -> Response {
    let secret = r.secret.as_ref().map(|m| m.value.as_str());
    let info = client_information(&r.app, secret, &r.token, &state.config.base_url);
    json(status, &info)
}

/// The client as the actor of its own changes.
fn client_party(app: &App) -> Party {
    Party::new(
        &app.id,
        "PublicClientApp",
        &app.client.client_id,
        &app.label,
    )
}

/// Who registers: a management API token's holder, or anyone when registration is open.
async fn registrant(state: &AppState, headers: &HeaderMap) -> Result<Party, Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::api::auth::ssws_token(v).or_else(|| bearer(headers)));
    let principal = match presented {
        Some(token) => crate::api::auth::principal(state, token)
            .await
            .map_err(|e| ApiError::from(e).into_response())?,
        None => None,
    };
    match (principal, state.config.registration) {
        (Some(p), _) => Ok(Party::new(
            &p.token_id,
            "SystemPrincipal",
            format!("api-token:{}", p.token_name),
            &p.token_name,
        )),
        (None, Registration::Open) => Ok(Party::new(
            "anonymous",
            "SystemPrincipal",
            "dynamic-registration",
            "Open dynamic client registration",
        )),
        (None, Registration::Token) => Err(unauthorized(presented.map(|_| "invalid_token"))),
    }
}

async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let actor = match registrant(&state, &headers).await {
        Ok(a) => a,
        Err(r) => return Ok(r),
    };
    let metadata = match metadata(&headers, &body) {
        Ok(m) => m,
        Err(e) => return Ok(refused(&e)),
    };
    let sector = Sector(&state);
    let made = match ops::register(state.store.as_ref(), env(&state, &sector), &metadata).await {
        Ok(made) => made,
        Err(e) => return refusal(e),
    };
    let app = &made.app;
    state.app_changed(&app.client.client_id);
    tracing::info!(app = %app.id, client_id = %app.client.client_id, "client registered");
    let a = audit(actor, peer, &headers);
    let (kind, message) = ops::CREATED;
    let e = a.event(&state, kind, message);
    state.syslog.record(e.target(app_target(app)));
    Ok(information(&state, StatusCode::CREATED, &made))
}

/// The app of `client_id` if the request carries its registration access token; else the 401 to answer (the
/// same whether the client is unknown or the token wrong, RFC 7592 §2.1).
async fn registered(
    state: &AppState,
    headers: &HeaderMap,
    client_id: &str,
) -> Result<Result<App, Response>, ApiError> {
    let Some(token) = bearer(headers) else {
        return Ok(Err(unauthorized(None)));
    };
    match ops::registered(state.store.as_ref(), client_id, token).await? {
        Some(app) => Ok(Ok(app)),
        None => Ok(Err(unauthorized(Some("invalid_token")))),
    }
}

async fn read(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let app = match registered(&state, &headers, &client_id).await? {
        Ok(app) => app,
        Err(r) => return Ok(r),
    };
    let sector = Sector(&state);
    let read = match ops::read(state.store.as_ref(), env(&state, &sector), app).await {
        Ok(r) => r,
        Err(e) => return refusal(e),
    };
    state.app_changed(&read.app.client.client_id);
    Ok(information(&state, StatusCode::OK, &read))
}

async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app = match registered(&state, &headers, &client_id).await? {
        Ok(app) => app,
        Err(r) => return Ok(r),
    };
    let metadata = match metadata(&headers, &body) {
        Ok(m) => m,
        Err(e) => return Ok(refused(&e)),
    };
    let sector = Sector(&state);
    let updated =
        match ops::update(state.store.as_ref(), env(&state, &sector), app, &metadata).await {
            Ok(u) => u,
            Err(e) => return refusal(e),
        };
    let app = &updated.app;
    state.app_changed(&app.client.client_id);
    let a = audit(client_party(app), peer, &headers);
    let (kind, message) = ops::UPDATED;
    let e = a.event(&state, kind, message);
    state.syslog.record(e.target(app_target(app)));
    Ok(information(&state, StatusCode::OK, &updated))
}

async fn remove(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let app = match registered(&state, &headers, &client_id).await? {
        Ok(app) => app,
        Err(r) => return Ok(r),
    };
    ops::delete(state.store.as_ref(), &app).await?;
    state.app_changed(&app.client.client_id);
    tracing::info!(app = %app.id, client_id = %app.client.client_id, "registered client deleted");
    let a = audit(client_party(&app), peer, &headers);
    let (kind, message) = ops::DELETED;
    let e = a.event(&state, kind, message);
    state.syslog.record(e.target(app_target(&app)));
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
