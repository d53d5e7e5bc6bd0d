//! `/welcome/{token}`: the activation link of a PROVISIONED user. Opening it shows the form (mail scanners open
//! links, so only sending the form spends it); a password the policy accepts activates the account.

use std::net::SocketAddr;

use crate::pages::extract::Path;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use lanyard_core::directory::accounts::AccountError;
use serde::Deserialize;

use super::signin::MessagePage;
use super::{csrf_ok, csrf_token, html};
use crate::api::users::refused;
use crate::pages::PageError;
use crate::signin_flow::Client;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/welcome/{token}", get(show).post(submit))
}

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage<'a> {
    org: &'a str,
    csrf: &'a str,
    token: &'a str,
    login: &'a str,
    requirements: &'a str,
    error: Option<&'a str>,
}

fn message(
    state: &AppState,
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> Response {
    let org = state.org_name();
    html(
        status,
        MessagePage {
            org: &org,
            title,
            message: text,
            link,
        }
        .render(),
    )
}

fn expired(state: &AppState) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        "This activation link is no longer valid",
        "Ask your administrator for a new one.",
        None,
    )
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    login: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (csrf, cookie) = csrf_token(state, headers);
    let org = state.org_name();
    let requirements = state.password_policy.requirements();
    let mut r = html(
        status,
        ActivatePage {
            org: &org,
            csrf: &csrf,
            token,
            login,
            requirements: &requirements,
            error,
        }
        .render(),
    );
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let Some(user) = crate::activation::check(&state, &token).await? else {
        return Ok(expired(&state));
    };
    Ok(render(&state, &headers, &token, &user.login, None, StatusCode::OK).await)
}

#[derive(Deserialize)]
struct ActivateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "newPassword")]
    new_password: String,
    #[serde(default, rename = "confirmPassword")]
    confirm_password: String,
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<ActivateForm>,
) -> Result<Response, PageError> {
    let Some(user) = crate::activation::check(&state, &token).await? else {
        return Ok(expired(&state));
    };
    let again = |error: &'static str| {
        render(
            &state,
            &headers,
            &token,
            &user.login,
            Some(error),
            StatusCode::BAD_REQUEST,
        )
    };
    if !csrf_ok(&state, &headers, &form.csrf) {
        return Ok(again("The form expired. Please try again.").await);
    }
    if form.new_password != form.confirm_password {
        return Ok(again("The two passwords differ.").await);
    }
    let client = Client::of(Some(peer), &headers);
    match crate::activation::complete(&state, &client, &token, &form.new_password).await {
        Ok(Some(_)) => Ok(message(
            &state,
            StatusCode::OK,
            "Your account is active",
            "You can now sign in with your new password.",
            Some(("/signin", "Sign in")),
        )),
        Ok(None) => Ok(expired(&state)),
        Err(AccountError::PasswordRejected(causes)) => {
            let text = causes.join(" ");
            let org = state.org_name();
            let (csrf, _) = csrf_token(&state, &headers);
            let requirements = state.password_policy.requirements();
            Ok(html(
                StatusCode::BAD_REQUEST,
                ActivatePage {
                    org: &org,
                    csrf: &csrf,
                    token: &token,
                    login: &user.login,
                    requirements: &requirements,
                    error: Some(&text),
                }
                .render(),
            ))
        }
        Err(e) => Err(refused(e, "").into()),
    }
}
