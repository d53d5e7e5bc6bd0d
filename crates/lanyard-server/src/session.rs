//! SSO sessions over HTTP: the `sid` cookie (HttpOnly, SameSite=Lax, Secure when the base URL is https), creating a
//! session from a one-time session token, finding the live session of a request, and a session's step-up (its
//! `amr` grows by the factor proved; its cookie is replaced, as after any change of privilege).

use axum::http::{HeaderMap, HeaderValue};
use lanyard_core::model::Session;
use lanyard_core::signin::sso::{self, Origin};

use crate::state::AppState;
use lanyard_core::store::StoreError;

pub const COOKIE: &str = "sid";

/// The `Set-Cookie` value for a new session.
pub fn set_cookie(state: &AppState, value: &str) -> HeaderValue {
    let secure = if state.config.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let max_age = state.signin_policy.session_lifetime.num_seconds();
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static("sid=; Path=/"))
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.config.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .unwrap_or(HeaderValue::from_static("sid=; Path=/; Max-Age=0"))
}

/// The session cookie's value in a request, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    crate::http::cookie(headers, COOKIE)
}

/// Starts a session for `user_id`; returns it and the cookie value ([`sso::start`]).
pub async fn start(
    state: &AppState,
    user_id: &str,
    amr: Vec<String>,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<(Session, String), StoreError> {
    let (session, secret) = sso::start(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        state.signin_policy.session_lifetime,
        user_id,
        amr,
        Origin { ip, user_agent },
    )
    .await?;
    Ok((session, secret.value))
}

/// Exchanges a one-time session token (from the Authn API) for a session ([`sso::redeem`]).
pub async fn from_session_token(
    state: &AppState,
    token: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<Option<(Session, String)>, StoreError> {
    let redeemed = sso::redeem(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        state.signin_policy.session_lifetime,
        token,
        Origin { ip, user_agent },
    )
    .await?;
    Ok(redeemed.map(|(session, secret)| (session, secret.value)))
}

/// Records a step-up of `session` (a second factor proved in it): `methods` join its `amr` (with `mfa`), in the
/// database (every node sees it), under a new cookie value, returned; `None` when the session ended or another
/// step-up replaced its cookie meanwhile ([`sso::elevate`]).
pub async fn elevate(
    state: &AppState,
    session: &Session,
    methods: &[&str],
) -> Result<Option<String>, StoreError> {
    let secret = sso::elevate(
        state.store.as_ref(),
        state.random.as_ref(),
        session,
        methods,
    )
    .await?;
    Ok(secret.map(|s| s.value))
}

/// The live session of a request (its idle clock restarted), if it has one ([`sso::current`]).
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, StoreError> {
    let Some(value) = cookie_value(headers) else {
        return Ok(None);
    };
    sso::current(
        state.store.as_ref(),
        state.clock.now(),
        &state.signin_policy,
        &value,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; sid=abc; b=2"),
        );
        assert_eq!(cookie_value(&h).as_deref(), Some("abc"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("sidx=1; sid="));
        assert_eq!(cookie_value(&h), None);
    }
}
