//! SSO sessions over HTTP: the `sid` cookie (HttpOnly, SameSite=Lax, Secure when the base URL is https), creating a
//! session from a one-time session token, finding the live session of a request, and a session's step-up (its
//! `amr` grows by the factor proved; its cookie is replaced, as after any change of privilege).

use axum::http::{HeaderMap, HeaderValue};
use lanyard_core::id::random_base62_into;
use lanyard_core::model::{Session, TokenKind};
use lanyard_core::signin;

use crate::api::error::ApiError;
use crate::state::AppState;

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

/// Starts a session for `user_id`; returns it and the cookie value.
pub async fn start(
    state: &AppState,
    user_id: &str,
    amr: Vec<String>,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<(Session, String), ApiError> {
    let now = state.clock.now();
    let secret = signin::mint(state.random.as_ref());
    let mut id = String::from("102");
    random_base62_into(&mut id, 22, state.random.as_ref());
    let session = Session {
        id,
        token_hash: secret.hash,
        user_id: user_id.to_owned(),
        created: now,
        last_seen: now,
        expires_at: now + state.signin_policy.session_lifetime,
        amr,
        ip,
        user_agent,
    };
    state.store.insert_session(&session).await?;
    Ok((session, secret.value))
}

/// Exchanges a one-time session token (from the Authn API) for a session.
pub async fn from_session_token(
    state: &AppState,
    token: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<Option<(Session, String)>, ApiError> {
    let now = state.clock.now();
    let Some(t) = state
        .store
        .consume_one_time_token(&signin::hash(token), TokenKind::SessionToken, now)
        .await?
    else {
        return Ok(None);
    };
    let amr: Vec<String> = t.data["amr"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|| vec!["pwd".into()]);
    start(state, &t.user_id, amr, ip, user_agent)
        .await
        .map(Some)
}

/// Records a step-up of `session` (a second factor proved in it): `methods` join its `amr` (with `mfa`), in the
/// database (every node sees it), under a new cookie value, returned; `None` when the session ended or another
/// step-up replaced its cookie meanwhile. The session keeps its id (`sid`), its apps and its `auth_time`.
pub async fn elevate(
    state: &AppState,
    session: &Session,
    methods: &[&str],
) -> Result<Option<String>, ApiError> {
    let mut amr = session.amr.clone();
    for m in methods.iter().chain(&["mfa"]) {
        if !amr.iter().any(|a| a == m) {
            amr.push((*m).to_owned());
        }
    }
    let secret = signin::mint(state.random.as_ref());
    let done = state
        .store
        .elevate_session(&session.id, &session.token_hash, &secret.hash, &amr)
        .await?;
    Ok(done.then_some(secret.value))
}

/// The live session of a request (its idle clock restarted), if it has one.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, ApiError> {
    let Some(value) = cookie_value(headers) else {
        return Ok(None);
    };
    let Some(session) = state.store.session_by_hash(&signin::hash(&value)).await? else {
        return Ok(None);
    };
    let now = state.clock.now();
    if !signin::session_alive(
        session.last_seen,
        session.expires_at,
        &state.signin_policy,
        now,
    ) {
        state.store.delete_session(&session.id).await?;
        return Ok(None);
    }
    state.store.touch_session(&session.id, now).await?;
    Ok(Some(Session {
        last_seen: now,
        ..session
    }))
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
