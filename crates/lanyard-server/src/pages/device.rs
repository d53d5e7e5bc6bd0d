//! The verification page of the device authorization grant (RFC 8628 §3.3), at Okta's `/activate`: a signed-in
//! user enters the code their device shows (any case, with or without the dash; `verification_uri_complete` fills
//! it in), sees which app asks for what, and approves or denies. Without a session the browser goes to the sign-in
//! page and comes back here, the code kept. Posts are CSRF-protected and counted with the sign-in attempts per
//! client IP (`api::rate_limit::is_signin_attempt`), which bounds guessing of user codes.

use crate::pages::extract::Query;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lanyard_core::model::{
    App, AuthServerKind, DeviceCode, GrantType, LifecycleStatus, PageRequest, Session, User,
    UserStatus,
};
use lanyard_core::oauth::device::{display_user_code, normalise_user_code, user_code_hash};
use lanyard_core::oauth::device_approval;
use lanyard_core::oauth::policy;
use serde::Deserialize;

use super::signin::MessagePage;
use super::{csrf_ok, csrf_token, html};
use crate::pages::PageError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/activate", get(show).post(submit))
}

#[derive(Template)]
#[template(path = "device_entry.html")]
struct EntryPage<'a> {
    org: &'a str,
    csrf: &'a str,
    login: &'a str,
    user_code: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "device_confirm.html")]
struct ConfirmPage<'a> {
    org: &'a str,
    csrf: &'a str,
    login: &'a str,
    app: &'a str,
    /// The normalised code, carried by the form.
    user_code: &'a str,
    /// The code as the device shows it.
    shown_code: &'a str,
    /// Each scope with its description, if the server has one.
    scopes: Vec<(String, Option<String>)>,
}

const WRONG_CODE: &str =
    "That code is not valid or has expired. Check the code on your device and try again.";

#[derive(Deserialize, Default)]
struct ShowQuery {
    user_code: Option<String>,
}

#[derive(Deserialize)]
struct DeviceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_code: String,
    /// `approve` or `deny` on the confirmation page; absent when the code was just entered.
    #[serde(default)]
    decision: String,
}

/// The signed-in user and their session, or a redirect to sign in and come back to `/activate` with the code.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    user_code: &str,
) -> Result<Result<(Session, User), Response>, PageError> {
    if let Some(session) = crate::session::current(state, headers).await?
        && let Some(user) = state.store.user(&session.user_id).await?
        && user.status == UserStatus::Active
    {
        return Ok(Ok((session, user)));
    }
    let back = if user_code.is_empty() {
        "/activate".to_owned()
    } else {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("user_code", user_code)
            .finish();
        format!("/activate?{q}")
    };
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("fromURI", &back)
        .finish();
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/signin?{q}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(Err(r))
}

fn with_cookie(mut r: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

fn message(state: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    let org = state.org_name();
    let page = MessagePage {
        org: &org,
        title,
        message: text,
        link: None,
    };
    html(status, page.render())
}

fn entry_page(
    state: &AppState,
    csrf: &str,
    user: &User,
    user_code: &str,
    error: Option<&str>,
) -> Response {
    let org = state.org_name();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = EntryPage {
        org: &org,
        csrf,
        login: &user.login,
        user_code,
        error,
    };
    html(status, page.render())
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let typed = q.user_code.unwrap_or_default();
    let (session, user) = match signed_in(&state, &headers, &typed).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let (csrf, cookie) = csrf_token(&state, &headers);
    let page = if typed.is_empty() {
        entry_page(&state, &csrf, &user, "", None)
    } else {
        // `verification_uri_complete`: straight to the confirmation, where the user compares the codes.
        step(&state, &csrf, &session, &user, &typed, "").await?
    };
    Ok(with_cookie(page, cookie))
}

async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<DeviceForm>,
) -> Result<Response, PageError> {
    let (session, user) = match signed_in(&state, &headers, &form.user_code).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    if !csrf_ok(&state, &headers, &form.csrf) {
        let (csrf, cookie) = csrf_token(&state, &headers);
        let page = entry_page(
            &state,
            &csrf,
            &user,
            &form.user_code,
            Some("This form has expired. Please enter the code again."),
        );
        return Ok(with_cookie(page, cookie));
    }
    step(
        &state,
        &form.csrf,
        &session,
        &user,
        &form.user_code,
        &form.decision,
    )
    .await
}

/// The pending code the user typed and its app, if both are still good.
async fn lookup(state: &AppState, typed: &str) -> Result<Option<(DeviceCode, App)>, PageError> {
    let Some(normalised) = normalise_user_code(typed) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let Some(code) = state
        .store
        .pending_device_code(&user_code_hash(&normalised), now)
        .await?
    else {
        return Ok(None);
    };
    Ok(state
        .store
        .app_by_client_id(&code.client_id)
        .await?
        .filter(|a| a.status == LifecycleStatus::Active)
        .map(|a| (code, a)))
}

/// One step of the page: the code entered (→ the confirmation), or the decision on it.
async fn step(
    state: &AppState,
    csrf: &str,
    session: &Session,
    user: &User,
    typed: &str,
    decision: &str,
) -> Result<Response, PageError> {
    let Some((code, app)) = lookup(state, typed).await? else {
        return Ok(entry_page(state, csrf, user, typed, Some(WRONG_CODE)));
    };
    if !state.store.user_assigned_to_app(&app.id, &user.id).await? {
        return Ok(message(
            state,
            StatusCode::FORBIDDEN,
            "You cannot use this app",
            &format!(
                "You are not assigned to {}. Ask your administrator for access.",
                app.label
            ),
        ));
    }
    let normalised = normalise_user_code(typed).unwrap_or_default();
    let hash = user_code_hash(&normalised);
    let now = state.clock.now();
    match decision {
        "approve" => {
            if let Err(e) = policy_allows(state, &code, &app, user).await? {
                tracing::info!(error = %e.code, detail = ?e.detail, "device approval refused by policy");
                return Ok(message(
                    state,
                    StatusCode::FORBIDDEN,
                    "Access denied",
                    &format!("{} cannot be connected: {}", app.label, e.description),
                ));
            }
            // The device's ID token carries this session's sid: its app hears when the session ends.
            if !device_approval::approve(state.store.as_ref(), now, &hash, &code, session).await? {
                return Ok(entry_page(state, csrf, user, typed, Some(WRONG_CODE)));
            }
            Ok(message(
                state,
                StatusCode::OK,
                "Device connected",
                &format!(
                    "{} is now connected. You can return to your device.",
                    app.label
                ),
            ))
        }
        "deny" => {
            if !device_approval::deny(state.store.as_ref(), now, &hash).await? {
                return Ok(entry_page(state, csrf, user, typed, Some(WRONG_CODE)));
            }
            Ok(message(
                state,
                StatusCode::OK,
                "Request denied",
                &format!("{} was not connected.", app.label),
            ))
        }
        _ => {
            let org = state.org_name();
            let descriptions = match state.keyring.entry(&code.auth_server_id).await? {
                Some(e) => e.rules.scopes.clone(),
                None => Vec::new(),
            };
            let scopes = code
                .scopes
                .iter()
                .map(|s| {
                    let d = descriptions
                        .iter()
                        .find(|x| x.name == *s)
                        .and_then(|x| x.description.clone().or(x.display_name.clone()));
                    (s.clone(), d)
                })
                .collect();
            let page = ConfirmPage {
                org: &org,
                csrf,
                login: &user.login,
                app: &app.label,
                user_code: &normalised,
                shown_code: &display_user_code(&normalised),
                scopes,
            };
            Ok(html(StatusCode::OK, page.render()))
        }
    }
}

/// Whether the server's policy lets this user give the app the code's scopes (checked again when the tokens are
/// issued; checked here so that the user learns it now).
async fn policy_allows(
    state: &AppState,
    code: &DeviceCode,
    app: &App,
    user: &User,
) -> Result<Result<(), lanyard_core::oauth_error::OAuthError>, PageError> {
    let Some(entry) = state.keyring.entry(&code.auth_server_id).await? else {
        return Ok(Err(lanyard_core::oauth_error::OAuthError::new(
            lanyard_core::oauth_error::ErrorCode::AccessDenied,
            "the authorization server is gone.",
        )));
    };
    let group_ids: Vec<String> = if entry.server.kind == AuthServerKind::Custom {
        state
            .store
            .user_groups(&user.id, &PageRequest::first(10_000))
            .await?
            .items
            .into_iter()
            .map(|g| g.id)
            .collect()
    } else {
        Vec::new()
    };
    let asker = policy::Asker {
        client_id: &app.client.client_id,
        grant: GrantType::DeviceCode,
        user: Some((&user.id, &group_ids)),
    };
    Ok(policy::decide(&entry.server, &entry.rules, &asker, &code.scopes).map(|_| ()))
}
