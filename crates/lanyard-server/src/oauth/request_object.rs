//! Request objects and held requests at the authorization endpoint (`lanyard_core::oauth::request_object` says
//! what is accepted): turning `request` and `request_uri` into the request's parameters before it is validated,
//! fetching a request object by reference, and keeping such a request server-side while the browser signs in or
//! consents, so that the way back names it by a fresh one-time reference instead of carrying it in the URL.
//!
//! A `request_uri` is fetched through the node's `Outbound` (only addresses the outbound policy permits — a name is
//! judged by every address it resolves to —, 5 s, no redirects), at most 16 KiB, not cached. A client that
//! registered no `request_uris` may name only https URLs on other hosts than `localhost`.

use lanyard_core::oauth::params::Params;
use lanyard_core::oauth::request_object::{
    self as ro, Carrier, HELD_PREFIX, KEPT_LIFETIME, MAX_FETCHED,
};
use lanyard_core::oauth_error::{ErrorCode, OAuthError};

use crate::api::error::ApiError;
use crate::keyring::Entry;
use crate::state::AppState;

/// Fetches the request object at `uri` for `client`: a registered `request_uri`, or (for a client that registered
/// none) an https URL on a public host — either way through the node's [`crate::outbound::Outbound`].
async fn fetch(
    state: &AppState,
    uri: &str,
    client: &lanyard_core::model::OAuthClient,
) -> Result<String, OAuthError> {
    ro::check_request_uri(uri, client)?;
    let failed = |detail: String| {
        OAuthError::new(
            ErrorCode::InvalidRequestUri,
            "The request object could not be fetched from the request_uri.",
        )
        .with_detail(format!("{}: {detail}", lanyard_core::log_safe(uri)))
    };
    let body = state
        .outbound
        .get(
            uri,
            "application/oauth-authz-req+jwt, application/jwt",
            MAX_FETCHED,
        )
        .await
        .map_err(|e| failed(e.detail()))?;
    let text = String::from_utf8(body).map_err(|_| failed("not UTF-8".into()))?;
    Ok(text.trim().to_owned())
}

/// An authorization request's parameters, once `request` and `request_uri` are resolved.
pub struct Resolved {
    pub params: Params,
    /// They came from a request the server held (pushed, or kept across sign-in): PAR's requirement is met.
    pub held: bool,
    /// They came from a request object or a held request: a detour keeps them server-side.
    pub keep: bool,
    /// The client, when resolving had to read it (a request object): the authorization endpoint need not read it
    /// again for the same `client_id`.
    pub app: Option<lanyard_core::model::App>,
}

/// Why a request object could not be used, and where that is said.
pub enum Refusal {
    /// No redirect URI can be trusted: an error page.
    Page(OAuthError),
    /// To the client, at the redirect URI `params` name if it is one the client registered (else a page).
    Client(Params, OAuthError),
}

/// Resolves the request object or held request `outer` carries, if any, into the request's parameters.
pub async fn resolve(
    state: &AppState,
    entry: &Entry,
    issuer: &str,
    outer: Params,
) -> Result<Result<Resolved, Refusal>, ApiError> {
    let carrier = match ro::carrier(&outer) {
        Ok(c) => c,
        Err(e) => return Ok(Err(Refusal::Client(outer.clone(), e))),
    };
    let object = match carrier {
        Carrier::Plain => {
            return Ok(Ok(Resolved {
                params: outer,
                held: false,
                keep: false,
                app: None,
            }));
        }
        Carrier::Held(uri) => {
            let Some(client_id) = outer.get("client_id") else {
                return Ok(Err(Refusal::Page(missing_client_id())));
            };
            let record = state
                .store
                .consume_pushed_request(
                    &ro::held_hash(uri),
                    client_id,
                    &entry.server.id,
                    state.clock.now(),
                )
                .await?;
            let Some(record) = record else {
                return Ok(Err(Refusal::Page(OAuthError::new(
                    ErrorCode::InvalidRequestUri,
                    "The request_uri is unknown, expired, another client's, or was used already.",
                ))));
            };
            return Ok(match ro::held_params(&record) {
                Ok(params) => Ok(Resolved {
                    params,
                    held: true,
                    keep: true,
                    app: None,
                }),
                Err(e) => Err(Refusal::Page(e)),
            });
        }
        Carrier::Value(jwt) => Ok(jwt.to_owned()),
        Carrier::Reference(uri) => Err(uri.to_owned()),
    };
    let Some(client_id) = outer.get("client_id") else {
        return Ok(Err(Refusal::Page(missing_client_id())));
    };
    let app = state
        .store
        .app_by_client_id(client_id)
        .await?
        .filter(|a| a.status == lanyard_core::model::LifecycleStatus::Active);
    let Some(app) = app else {
        return Ok(Err(Refusal::Page(OAuthError::new(
            ErrorCode::InvalidClient,
            "The client_id of this request is not a registered, active application.",
        ))));
    };
    let jwt = match object {
        Ok(jwt) => jwt,
        Err(uri) => match fetch(state, &uri, &app.client).await {
            Ok(jwt) => jwt,
            Err(e) => return Ok(Err(Refusal::Client(outer.clone(), e))),
        },
    };
    // Where an error can go: the redirect URI the request names, the object's first (unverified: it is only used
    // if the client registered it, as for any request).
    let answer_to = ro::unverified_claims(&jwt)
        .and_then(|c| ro::assemble(&outer, &c).ok())
        .unwrap_or_else(|| outer.clone());
    let keys = super::client_keys::AppKeys(&state.outbound);
    let verified = ro::verify(&jwt, &app, &keys, issuer, state.clock.now())
        .await
        .and_then(|o| ro::assemble(&outer, &o.claims));
    Ok(match verified {
        Ok(params) => Ok(Resolved {
            params,
            held: false,
            keep: true,
            app: Some(app),
        }),
        Err(e) => Err(Refusal::Client(answer_to, e)),
    })
}

fn missing_client_id() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidRequest,
        "The 'client_id' parameter is required beside 'request' and 'request_uri'.",
    )
}

/// Keeps `params` (a request that came as a request object or a held request) while the browser is away: the
/// query that brings it back.
pub async fn keep(state: &AppState, entry: &Entry, params: &Params) -> Result<String, ApiError> {
    let client_id = params.get("client_id").unwrap_or_default();
    let (uri, record) = ro::hold(
        params,
        client_id,
        &entry.server.id,
        KEPT_LIFETIME,
        state.clock.now(),
        state.random.as_ref(),
    );
    hold(state, &record).await?;
    Ok(url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", &uri)
        .finish())
}

/// Stores a held request ([`lanyard_core::oauth::request_object::keep`]).
pub async fn hold(
    state: &AppState,
    record: &lanyard_core::model::PushedRequest,
) -> Result<(), lanyard_core::store::StoreError> {
    ro::keep(state.store.as_ref(), record, state.clock.now()).await
}

/// The parameters of a request a page was opened for, without using it up: a held request is read, not taken;
/// a request object is not resolved again (`None`: the authorization endpoint never sends one there).
pub async fn peek(
    state: &AppState,
    entry: &Entry,
    params: Params,
) -> Result<Option<Params>, ApiError> {
    let uri = match params.get("request_uri") {
        None if params.get("request").is_none() => return Ok(Some(params)),
        Some(uri) if uri.starts_with(HELD_PREFIX) => uri,
        _ => return Ok(None),
    };
    let Some(client_id) = params.get("client_id") else {
        return Ok(None);
    };
    let record = state
        .store
        .pushed_request(
            &ro::held_hash(uri),
            client_id,
            &entry.server.id,
            state.clock.now(),
        )
        .await?;
    Ok(record.and_then(|r| ro::held_params(&r).ok()))
}
