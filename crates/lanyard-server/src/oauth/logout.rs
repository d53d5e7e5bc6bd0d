//! The end-session endpoint, GET and POST (`/oauth2/v1/logout`, `/oauth2/{id}/v1/logout`): OpenID Connect
//! RP-Initiated Logout 1.0, as the core decides it (`lanyard_core::oauth::logout`). A request that cannot be
//! trusted is confirmed by the user first (a CSRF-protected form posted back here with `confirm=yes`); a refused one
//! (a hint this server did not sign, an unregistered `post_logout_redirect_uri`, …) gets an error page and never a
//! redirect. Signing out ends the session everywhere (`crate::logout`): the cookie goes, back-channel notices go
//! out, the signed-out page loads the front-channel frames, then the browser returns to the app when it asked.

use std::sync::Arc;

use crate::pages::extract::Path;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use lanyard_core::oauth::logout::{
    Current, Decision, LogoutRequest, Refusal, client_of, decide, verify_hint,
};
use lanyard_core::oauth::params::Params;

use crate::keyring::Entry;
use crate::logout;
use crate::pages::PageError;
use crate::pages::{csrf_ok, csrf_token};
use crate::state::AppState;
use crate::syslog::Audit;

pub async fn org(
    State(state): State<AppState>,
    audit: Audit,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let entry = super::org_server(&state).await?;
    handle(&state, entry, &audit, &method, &uri, &headers, &body).await
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    audit: Audit,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let entry = super::custom_server(&state, &id).await?;
    handle(&state, entry, &audit, &method, &uri, &headers, &body).await
}

async fn handle(
    state: &AppState,
    entry: Arc<Entry>,
    audit: &Audit,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, PageError> {
    let action = uri.path();
    let session = crate::session::current(state, headers).await?;
    let sign_out = session.as_ref().map(|_| action);
    let params = if method == Method::POST {
        super::client::form(headers, body)
    } else {
        Params::parse(uri.query().unwrap_or_default().as_bytes())
    };
    let params = match params {
        Ok(p) => p,
        Err(e) => return Ok(logout::refused(state, &e.description, sign_out)),
    };
    // The answer to our own confirmation form.
    let confirmed = method == Method::POST && params.get("confirm") == Some("yes");
    if confirmed && !csrf_ok(state, headers, params.get("csrf").unwrap_or_default()) {
        return Ok(logout::refused(
            state,
            "This sign-out form has expired. Please try again.",
            sign_out,
        ));
    }
    let req = LogoutRequest::from_params(&params);
    let refuse = |r: Refusal| {
        tracing::info!(reason = r.description(), "logout request refused");
        Ok(logout::refused(state, r.description(), sign_out))
    };
    let issuer = entry.issuer.clone();
    let hint = match req.id_token_hint.as_deref() {
        None => None,
        Some(t) => match verify_hint(t, &issuer, &entry.public_keys) {
            Ok(h) => Some(h),
            Err(r) => return refuse(r),
        },
    };
    let client_id = match client_of(&req, hint.as_ref()) {
        Ok(c) => c,
        Err(r) => return refuse(r),
    };
    let app = match &client_id {
        None => None,
        Some(id) => match state.store.app_by_client_id(id).await? {
            Some(app) => Some(app),
            None => return refuse(Refusal::UnknownClient),
        },
    };
    // A pairwise app's hint names its user by that app's pairwise `sub` (the app is the hint's: `client_of`).
    let hint = hint.map(|h| match &app {
        Some(a) if a.client.client_id == h.client_id => lanyard_core::oauth::logout::Hint {
            pairwise: super::client::pairwise(state, &a.client),
            ..h
        },
        _ => h,
    });
    let user = match &session {
        Some(s) => state.store.user(&s.user_id).await?,
        None => None,
    };
    let current = session.as_ref().map(|s| Current {
        session_id: &s.id,
        user_id: &s.user_id,
        login: user.as_ref().map(|u| u.login.as_str()).unwrap_or_default(),
    });
    let decision = match decide(&req, hint.as_ref(), app.as_ref(), current, confirmed) {
        Ok(d) => d,
        Err(r) => return refuse(r),
    };
    match decision {
        Decision::Confirm => {
            let (csrf, cookie) = csrf_token(state, headers);
            let mut r = logout::confirm(
                state,
                action,
                &csrf,
                app.as_ref().map(|a| a.label.as_str()),
                user.as_ref().map(|u| u.login.as_str()),
                &req.pairs(),
                req.post_logout_redirect_uri.as_deref(),
            );
            if let Some(c) = cookie {
                r.headers_mut().append(header::SET_COOKIE, c);
            }
            Ok(r)
        }
        Decision::SignOut { redirect } => {
            let ended = match &session {
                Some(s) => logout::end(state, &s.id).await?,
                None => None,
            };
            let frames = match &ended {
                Some(e) => {
                    logout::log_end(state, audit, &e.user_id).await;
                    logout::frontchannel_frames(state, e).await?
                }
                None => Vec::new(),
            };
            let mut r = logout::signed_out(state, &frames, redirect.as_deref());
            r.headers_mut()
                .append(header::SET_COOKIE, crate::session::clear_cookie(state));
            Ok(r)
        }
    }
}
