//! Browser endpoints outside the APIs: `/login/sessionCookieRedirect` (a session token becomes the SSO cookie, as
//! Okta's) and `/login/signout`. Redirects go only to this server's own origin: anything else gets an error page.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::pages::PageError;
use crate::session;
use crate::state::AppState;
use crate::syslog::Audit;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/sessionCookieRedirect", get(session_cookie_redirect))
        .route("/login/signout", get(signout))
}

/// Where a redirect to `target` goes if it stays on this server's origin: the parsed URL's serialisation
/// ([`lanyard_core::redirect::same_origin_target`]), never the raw text; `None` otherwise.
pub fn own_origin(state: &AppState, target: &str) -> Option<String> {
    lanyard_core::redirect::same_origin_target(&state.config.base_url, target)
}

/// Where a redirect after sign-in or sign-out goes for `target`: this server's own origin, or an origin an
/// administrator trusts for redirects (Okta's trusted REDIRECT origins); `None` otherwise.
async fn redirect_target(state: &AppState, target: &str) -> Option<String> {
    if let Some(own) = own_origin(state, target) {
        return Some(own);
    }
    match state.origins.get().await {
        Ok(origins) => origins.redirect_target(target),
        Err(e) => {
            tracing::warn!(error = %e, "the trusted origins could not be read");
            None
        }
    }
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize)]
struct CookieRedirect {
    token: Option<String>,
    #[serde(rename = "redirectUrl")]
    redirect_url: Option<String>,
}

async fn session_cookie_redirect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<CookieRedirect>,
) -> Result<Response, PageError> {
    let target = match &q.redirect_url {
        Some(url) => redirect_target(&state, url).await,
        None => own_origin(&state, "/"),
    };
    let Some(target) = target else {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Invalid redirect",
            "The redirect URL is not allowed.",
        ));
    };
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some((_, cookie)) = session::from_session_token(
        &state,
        &q.token.unwrap_or_default(),
        Some(peer.ip().to_string()),
        ua,
    )
    .await?
    else {
        return Err(PageError::new(
            StatusCode::UNAUTHORIZED,
            "Sign-in link expired",
            "This sign-in link is no longer valid. Please sign in again.",
        ));
    };
    let mut r = redirect(&target);
    r.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(&state, &cookie));
    Ok(r)
}

#[derive(Deserialize)]
struct Signout {
    #[serde(rename = "fromURI")]
    from_uri: Option<String>,
}

/// Okta's sign-out URL: the session ends at once (no confirmation), everywhere (`crate::logout`).
async fn signout(
    State(state): State<AppState>,
    audit: Audit,
    headers: HeaderMap,
    Query(q): Query<Signout>,
) -> Result<Response, PageError> {
    let mut frames = Vec::new();
    if let Some(s) = session::current(&state, &headers).await?
        && let Some(ended) = crate::logout::end(&state, &s.id).await?
    {
        crate::logout::log_end(&state, &audit, &ended.user_id).await;
        frames = crate::logout::frontchannel_frames(&state, &ended).await?;
    }
    let to = match q.from_uri {
        Some(u) => redirect_target(&state, &u).await,
        None => None,
    };
    let mut r = crate::logout::signed_out(&state, &frames, to.as_deref());
    r.headers_mut()
        .append(header::SET_COOKIE, session::clear_cookie(&state));
    Ok(r)
}
