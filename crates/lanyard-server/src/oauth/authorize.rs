//! The authorization endpoint, GET and POST (`/oauth2/v1/authorize`, `/oauth2/{id}/v1/authorize`): parse, let the
//! core validate, find the browser's session (or make one from the Authn API's `sessionToken`), send it to the
//! sign-in page when it has none (or to the MFA step when `acr_values` ask more of it than it has: a step-up),
//! check the user may use the app, and answer with what the response type asks
//! (a code, tokens, an ID token: `lanyard_core::oauth::authorization_response`) in the query, the fragment or a
//! self-submitting form — `iss` on every response (RFC 9207). An unknown client or redirect URI gets an error
//! page, never a redirect.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::pages::extract::Path;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::model::{GrantType, Session, UserStatus};
use lanyard_core::oauth::acr::Requirement;
use lanyard_core::oauth::authorization_response;
use lanyard_core::oauth::authorize::{
    Authenticated, AuthorizationRequest, ResponseMode, ReturnTo, check_client, validate,
};
use lanyard_core::oauth::consent::{self, ConsentOf};
use lanyard_core::oauth::grants::{self, GrantContext};
use lanyard_core::oauth::id_token_hint::verify_id_token_hint;
use lanyard_core::oauth::params::Params;
use lanyard_core::oauth::request_object::require_pushed;
use lanyard_core::oauth::subject::ExpectedSubject;
use lanyard_core::oauth_error::{ErrorCode, OAuthError};

use crate::api::error::ApiError;
use crate::keyring::Entry;
use crate::pages::{Csp, PageError};
use crate::state::AppState;

pub async fn org(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let entry = super::org_server(&state).await?;
    Ok(handle(&state, entry, peer, &method, &uri, &headers, &body).await)
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let entry = super::custom_server(&state, &id).await?;
    Ok(handle(&state, entry, peer, &method, &uri, &headers, &body).await)
}

fn page(e: &OAuthError) -> Response {
    if let Some(d) = &e.detail {
        tracing::info!(error = %e.code, detail = %lanyard_core::log_safe(d), "authorization request refused");
    }
    PageError::new(
        StatusCode::BAD_REQUEST,
        "This sign-in request is not valid",
        format!("{} ({})", e.description, e.code),
    )
    .into_response()
}

/// Sends `params` back to the client: a redirect, or for `form_post` a self-submitting form.
fn respond(to: &ReturnTo, params: &[(&str, &str)]) -> Response {
    match to.mode {
        ResponseMode::FormPost => form_post(to, params),
        _ => {
            let mut r = StatusCode::FOUND.into_response();
            match HeaderValue::from_str(&to.url(params)) {
                Ok(v) => {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                Err(_) => {
                    return page(&OAuthError::new(
                        ErrorCode::InvalidRequest,
                        "The redirect URI cannot be used.",
                    ));
                }
            }
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
    }
}

fn error_response(to: &ReturnTo, e: &OAuthError, issuer: &str) -> Response {
    if let Some(d) = &e.detail {
        tracing::info!(error = %e.code, detail = %lanyard_core::log_safe(d), "authorization request refused");
    }
    respond(to, &to.error_params(e, issuer))
}

const FORM_POST_SCRIPT: &str = "document.forms[0].submit()";

/// OAuth 2.0 Form Post Response Mode: a form that submits itself, with a button for browsers without JavaScript.
fn form_post(to: &ReturnTo, params: &[(&str, &str)]) -> Response {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut inputs = String::new();
    let state = to.state.as_deref().map(|s| ("state", s));
    for (k, v) in params.iter().copied().chain(state) {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        ));
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signing in…</title></head>\
         <body><form method=\"post\" action=\"{action}\">{inputs}<noscript><p>JavaScript is off: press the button to continue.</p>\
         <button type=\"submit\">Continue</button></noscript></form><script>{FORM_POST_SCRIPT}</script></body></html>",
        action = esc(&to.redirect_uri),
    );
    let mut r = (StatusCode::OK, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The one script, by its hash; the form goes to the redirect URI only.
    Csp::page()
        .without_styles()
        .inline_script(FORM_POST_SCRIPT)
        .forms_to(&to.redirect_uri)
        .on(r)
}

fn params_of(
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Params, OAuthError> {
    if method == Method::POST {
        super::client::form(headers, body)
    } else {
        Params::parse(uri.query().unwrap_or_default().as_bytes())
    }
}

/// Sends the browser to the sign-in page, to come back to this request (as a GET, without `sessionToken` and
/// `prompt=login` or `select_account`, which it has then satisfied), prefilled with `login_hint`.
async fn to_signin(
    state: &AppState,
    entry: &Entry,
    back: &Back<'_>,
    login_hint: Option<&str>,
) -> Result<Response, PageError> {
    let from = back
        .location(state, entry, &["login", "select_account"])
        .await?;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("fromURI", &from);
    if let Some(hint) = login_hint {
        query.append_pair("login_hint", hint);
    }
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/signin?{}", query.finish())) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// A request object that cannot be used: the error to the client when the request names a redirect URI it
/// registered, else an error page.
async fn refuse(
    state: &AppState,
    issuer: &str,
    refusal: super::request_object::Refusal,
) -> Result<Response, PageError> {
    use super::request_object::Refusal;
    let (params, e) = match refusal {
        Refusal::Page(e) => return Ok(page(&e)),
        Refusal::Client(params, e) => (params, e),
    };
    let app = match params.get("client_id") {
        Some(id) => state.store.app_by_client_id(id).await?,
        None => None,
    };
    Ok(match check_client(&params, app.as_ref()) {
        Ok(to) => error_response(&to, &e, issuer),
        Err(_) => page(&e),
    })
}

async fn handle(
    state: &AppState,
    entry: Arc<Entry>,
    peer: SocketAddr,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    match authorize(state, &entry, peer, method, uri, headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn authorize(
    state: &AppState,
    entry: &Entry,
    peer: SocketAddr,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, PageError> {
    let issuer = entry.issuer.clone();
    let outer = match params_of(method, uri, headers, body) {
        Ok(p) => p,
        Err(e) => return Ok(page(&e)),
    };
    // A request object (`request`, `request_uri`) or a held request becomes the request's parameters first.
    let resolved = match super::request_object::resolve(state, entry, &issuer, outer).await? {
        Ok(r) => r,
        Err(refusal) => return refuse(state, &issuer, refusal).await,
    };
    let params = resolved.params;
    let app = match params.get("client_id") {
        // A request object's client was read (and found active) a moment ago.
        Some(id) => match resolved.app.filter(|a| a.client.client_id == id) {
            Some(app) => Some(app),
            None => state.store.app_by_client_id(id).await?,
        },
        None => None,
    };
    let to = match check_client(&params, app.as_ref()) {
        Ok(to) => to,
        Err(e) => return Ok(page(&e.0)),
    };
    let Some(app) = app else {
        return Ok(page(&OAuthError::new(
            ErrorCode::InvalidClient,
            "Unknown client.",
        )));
    };
    if let Err(e) = require_pushed(&app.client, resolved.held) {
        return Ok(error_response(&to, &e, &issuer));
    }
    let req = match validate(&params, &app, &to) {
        Ok(r) => r,
        Err(e) => return Ok(error_response(&to, &e, &issuer)),
    };
    let back = Back {
        uri,
        params: &params,
        keep: resolved.keep,
    };

    // The session: from a one-time session token, else the browser's cookie.
    let mut new_cookie = None;
    let session = match &req.session_token {
        Some(token) => {
            let ip = Some(peer.ip().to_string());
            let ua = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect());
            match crate::session::from_session_token(state, token, ip, ua).await? {
                Some((s, cookie)) => {
                    new_cookie = Some(cookie);
                    Some(s)
                }
                None => None,
            }
        }
        None => crate::session::current(state, headers).await?,
    };
    // The user the client expects (an `id_token_hint`'s `sub`, or a `claims` request's `sub` value): a session
    // of anyone else does not count (OIDC Core §3.1.2.1, §5.5.1).
    let expected = match expected_subject(state, entry, &issuer, &app, &req).await? {
        Ok(e) => e,
        Err(e) => return Ok(error_response(&to, &e, &issuer)),
    };
    let now = state.clock.now();
    let from_token = new_cookie.is_some();
    let session = session
        .filter(|s| from_token || req.session_fresh_enough(s.created, now))
        .filter(|s| expected.as_ref().is_none_or(|e| e.names(&s.user_id)));
    let Some(session) = session else {
        if req.prompt_none() || req.session_token.is_some() {
            let e = OAuthError::new(
                ErrorCode::LoginRequired,
                "The client specified not to prompt, but the user is not logged in.",
            );
            return Ok(error_response(&to, &e, &issuer));
        }
        // Prefill the page: the request's login_hint, else the login of the user the client expects.
        let hinted = match (&req.login_hint, &expected) {
            (Some(h), _) => Some(h.clone()),
            (None, Some(e)) => match e.user_id() {
                Some(id) => state.store.user(id).await?.map(|u| u.login),
                None => None,
            },
            (None, None) => None,
        };
        return to_signin(state, entry, &back, hinted.as_deref()).await;
    };

    let mut r = issue(state, entry, &issuer, &app, &req, &to, &session, &back).await?;
    if let Some(cookie) = new_cookie {
        r.headers_mut().append(
            header::SET_COOKIE,
            crate::session::set_cookie(state, &cookie),
        );
    }
    Ok(r)
}

/// The user the client expects, from a verified `id_token_hint` or a `claims` request's `sub` value, in the form
/// the client sees users (a pairwise client's `sub` names a user only through its sector, OIDC Core §8); a hint
/// that is not one of this server's ID tokens is `invalid_request`.
async fn expected_subject(
    state: &AppState,
    entry: &Entry,
    issuer: &str,
    app: &lanyard_core::model::App,
    req: &AuthorizationRequest,
) -> Result<Result<Option<ExpectedSubject>, OAuthError>, ApiError> {
    let hinted = match &req.id_token_hint {
        Some(hint) => match verify_id_token_hint(hint, issuer, super::client::public_keys(entry)) {
            Ok(claims) => Some(claims),
            Err(e) => return Ok(Err(e)),
        },
        None => None,
    };
    let hinted = match hinted {
        Some(claims) => Some(super::client::hinted_user(state, &claims, Some(app)).await?),
        None => None,
    };
    let claimed = req.claimed_subject().map(|sub| ExpectedSubject {
        sub: sub.to_owned(),
        pairwise: super::client::pairwise(state, &app.client),
    });
    Ok(match (hinted, claimed) {
        (Some(h), Some(c)) if h.sub != c.sub => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "The 'id_token_hint' and the 'sub' claim requested name different users.",
        )),
        (Some(h), _) => Ok(Some(h)),
        (None, c) => Ok(c),
    })
}

/// The request as it arrived, to come back to after a detour (sign-in, consent).
struct Back<'a> {
    uri: &'a axum::http::Uri,
    params: &'a Params,
    /// The parameters came from a request object or a held request: the way back names them by a held request
    /// instead of carrying them.
    keep: bool,
}

impl Back<'_> {
    /// Where the browser comes back to after a detour that satisfied the `drop` values of `prompt`.
    async fn location(
        &self,
        state: &AppState,
        entry: &Entry,
        drop: &[&str],
    ) -> Result<String, ApiError> {
        if !self.keep {
            return Ok(self.path(drop));
        }
        let params = self.remaining(drop);
        let query = super::request_object::keep(state, entry, &params).await?;
        Ok(format!("{}?{query}", self.uri.path()))
    }

    /// This request as a GET path, without the one-time `sessionToken` and without the `drop` values of `prompt`
    /// (the others stay).
    fn path(&self, drop: &[&str]) -> String {
        format!("{}?{}", self.uri.path(), self.remaining(drop).to_query())
    }

    /// The parameters without `sessionToken` and the `drop` values of `prompt`.
    fn remaining(&self, drop: &[&str]) -> Params {
        let back = self.params.without("sessionToken");
        let prompt = back.list("prompt");
        let kept: Vec<&str> = prompt
            .iter()
            .map(String::as_str)
            .filter(|p| !drop.contains(p))
            .collect();
        if kept.len() == prompt.len() {
            back
        } else {
            back.with("prompt", &kept.join(" "))
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn issue(
    state: &AppState,
    entry: &Entry,
    issuer: &str,
    app: &lanyard_core::model::App,
    req: &AuthorizationRequest,
    to: &ReturnTo,
    session: &Session,
    back: &Back<'_>,
) -> Result<Response, PageError> {
    let user = state.store.user(&session.user_id).await?;
    let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
        let e = OAuthError::new(ErrorCode::AccessDenied, "The user cannot sign in.");
        return Ok(error_response(to, &e, issuer));
    };
    if !state.store.user_assigned_to_app(&app.id, &user.id).await? {
        let e = lanyard_core::oauth::preview::not_assigned();
        return Ok(error_response(to, &e, issuer));
    }
    if let Some(r) = step_up(state, entry, issuer, req, to, session, back).await? {
        return Ok(r);
    }
    let aud = entry.audiences.clone();
    let signer = match super::client::issuer_for(state, entry, issuer, &aud, &app.client) {
        Ok(i) => i,
        Err(e) => return Ok(error_response(to, &e, issuer)),
    };
    let ctx = GrantContext {
        store: state.store.as_ref(),
        now: state.clock.now(),
        random: state.random.as_ref(),
        server: &entry.server,
        rules: &entry.rules,
        issuer: signer,
        public_keys: super::client::public_keys(entry),
        dpop: None,
    };
    let group_ids = match grants::user_groups(&ctx, app, &user.id).await {
        Ok((ids, _)) => ids,
        Err(e) => return Ok(error_response(to, &e, issuer)),
    };
    let decision = match authorization_response::decision(&ctx, app, req, &user.id, &group_ids) {
        Ok(d) => d,
        Err(e) => return Ok(error_response(to, &e, issuer)),
    };
    // Consent, when the app asks for it: the scopes that need it and were not consented to before (all of them
    // with prompt=consent).
    let of = ConsentOf {
        user_id: &user.id,
        client_id: &app.client.client_id,
        auth_server_id: &entry.server.id,
    };
    let required = app.client.consent_method == "REQUIRED";
    if consent::needed(
        state.store.as_ref(),
        of,
        required,
        &decision.consent,
        req.prompt_consent(),
    )
    .await?
    {
        if req.prompt_none() {
            let e = OAuthError::new(
                ErrorCode::ConsentRequired,
                "The client specified not to prompt, but the user's consent is required.",
            );
            return Ok(error_response(to, &e, issuer));
        }
        let from = back.location(state, entry, &["consent"]).await?;
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("fromURI", &from);
        let mut r = StatusCode::FOUND.into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("/signin/consent?{}", q.finish())) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(r);
    }
    let who = Authenticated {
        user_id: &user.id,
        session_id: Some(&session.id),
        auth_time: session.created,
        amr: &session.amr,
    };
    let params =
        match authorization_response::respond(&ctx, app, req, &who, &decision, to.state.as_deref())
            .await
        {
            Ok(p) => p,
            Err(e) => return Ok(error_response(to, &e, issuer)),
        };
    if req.response_type.front_channel() {
        state.metrics.token_issued(GrantType::Implicit.as_str());
    }
    crate::logout::signed_in(state, &session.id, &app.client.client_id, &entry.server.id).await?;
    let mut pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.push(("iss", issuer));
    Ok(respond(to, &pairs))
}

/// When the classes the client asks for (`acr_values`, an `acr` claim request) ask more of the session than it
/// has: the answer instead of tokens. A second factor is a step-up — the MFA step for the signed-in user, then back
/// to this request — unless `prompt=none` (`interaction_required`, OIDC Core §3.1.2.6). A user without a factor to
/// verify, or an essential `acr` request no sign-in here can meet, is `unmet_authentication_requirements` (OpenID
/// Connect Unmet Authentication Requirements 1.0): no factor is enrolled on the strength of a session alone.
async fn step_up(
    state: &AppState,
    entry: &Entry,
    issuer: &str,
    req: &AuthorizationRequest,
    to: &ReturnTo,
    session: &Session,
    back: &Back<'_>,
) -> Result<Option<Response>, PageError> {
    let unmet = || {
        let e = OAuthError::new(
            ErrorCode::UnmetAuthenticationRequirements,
            "The authentication the client asked for cannot be met.",
        );
        Ok(Some(error_response(to, &e, issuer)))
    };
    match req.acr_requirement(&session.amr) {
        Requirement::Met => Ok(None),
        Requirement::Unmet => unmet(),
        Requirement::StepUp => {
            if !crate::signin_flow::can_step_up(state, &session.user_id).await? {
                return unmet();
            }
            if req.prompt_none() {
                let e = OAuthError::new(
                    ErrorCode::InteractionRequired,
                    "The client specified not to prompt, but the user must verify a second factor.",
                );
                return Ok(Some(error_response(to, &e, issuer)));
            }
            // As for sign-in and consent: a request that came as a request object or a pushed request comes back
            // by a held reference, its parameters never in the URL.
            let from = back.location(state, entry, &[]).await?;
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("fromURI", &from);
            let mut r = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/signin/step-up?{}", q.finish())) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(Some(r))
        }
    }
}

/// What the consent page asks: the app, where the answer goes, and the scopes that need consent.
pub struct ConsentAsk {
    pub app: lanyard_core::model::App,
    pub auth_server_id: String,
    pub issuer: String,
    pub to: ReturnTo,
    /// Name and display name of each scope to consent to.
    pub scopes: Vec<(String, String)>,
}

/// An authorization request a hosted page was opened for, re-read from the page's `fromURI`: its server, its
/// parameters (a held request's, when it came as a request object or a pushed request), its app, and where its
/// answer goes — a redirect URI the app registered.
pub struct Pending {
    pub entry: Arc<Entry>,
    pub params: Params,
    pub app: lanyard_core::model::App,
    pub to: ReturnTo,
}

/// The authorization request behind `from_uri` (a path of this origin, `/oauth2/…/v1/authorize?…`, or its full
/// URL): `None` if it is not one, or names no app and registered redirect URI.
pub async fn pending(state: &AppState, from_uri: &str) -> Result<Option<Pending>, PageError> {
    let path = from_uri
        .strip_prefix(state.config.base_url.as_str())
        .unwrap_or(from_uri);
    let Some((path, query)) = path.split_once('?') else {
        return Ok(None);
    };
    let entry = match path {
        "/oauth2/v1/authorize" => super::org_server(state).await?,
        _ => match path
            .strip_prefix("/oauth2/")
            .and_then(|p| p.strip_suffix("/v1/authorize"))
            .filter(|id| !id.is_empty() && !id.contains('/'))
        {
            Some(id) => match super::custom_server(state, id).await {
                Ok(e) => e,
                Err(_) => return Ok(None),
            },
            None => return Ok(None),
        },
    };
    let Ok(params) = Params::parse(query.as_bytes()) else {
        return Ok(None);
    };
    let Some(params) = super::request_object::peek(state, &entry, params).await? else {
        return Ok(None);
    };
    let app = match params.get("client_id") {
        Some(id) => state.store.app_by_client_id(id).await?,
        None => None,
    };
    let Ok(to) = check_client(&params, app.as_ref()) else {
        return Ok(None);
    };
    let Some(app) = app else { return Ok(None) };
    Ok(Some(Pending {
        entry,
        params,
        app,
        to,
    }))
}

/// Re-reads the authorization request a consent page was opened for ([`pending`]): `None` if it is not one, or not
/// valid any more.
pub async fn consent_ask(
    state: &AppState,
    from_uri: &str,
) -> Result<Option<ConsentAsk>, PageError> {
    let Some(Pending {
        entry,
        params,
        app,
        to,
    }) = pending(state, from_uri).await?
    else {
        return Ok(None);
    };
    let Ok(req) = validate(&params, &app, &to) else {
        return Ok(None);
    };
    let scopes = entry
        .rules
        .scopes
        .iter()
        .filter(|s| {
            s.consent != lanyard_core::model::Consent::Implicit && req.scopes.contains(&s.name)
        })
        .map(|s| {
            (
                s.name.clone(),
                s.display_name.clone().unwrap_or_else(|| s.name.clone()),
            )
        })
        .collect();
    Ok(Some(ConsentAsk {
        issuer: entry.issuer.clone(),
        auth_server_id: entry.server.id.clone(),
        app,
        to,
        scopes,
    }))
}

/// The client learns the user declined.
pub fn consent_denied(ask: &ConsentAsk) -> Response {
    let e = OAuthError::new(ErrorCode::AccessDenied, "The user denied the request.");
    error_response(&ask.to, &e, &ask.issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_drops_only_the_prompts_a_detour_satisfied() {
        let uri: axum::http::Uri = "/oauth2/v1/authorize".parse().unwrap();
        let params =
            Params::parse(b"client_id=c&prompt=login%20consent&sessionToken=t&state=s").unwrap();
        let back = Back {
            uri: &uri,
            params: &params,
            keep: false,
        };
        let path = back.path(&["login", "select_account"]);
        let q = Params::parse(path.split_once('?').unwrap().1.as_bytes()).unwrap();
        assert_eq!(q.get("prompt"), Some("consent"));
        assert_eq!(q.get("sessionToken"), None);
        assert_eq!(q.get("state"), Some("s"));
        let path = back.path(&["login", "consent"]);
        assert!(!path.contains("prompt"), "{path}");
        let untouched = back.path(&["none"]);
        assert!(untouched.contains("prompt=login+consent"), "{untouched}");
    }
}
