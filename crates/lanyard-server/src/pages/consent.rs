//! The consent page (`/signin/consent`): an authorization request for an app that asks for consent comes here
//! with `fromURI` pointing back at it. The page names the app and the scopes; Allow records the consent (Okta's user
//! grants, revocable through `/api/v1/users/{id}/grants`) and returns to the request; Don't allow sends the client
//! `access_denied`. CSRF-protected like every form.

use crate::pages::extract::Query;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lanyard_core::oauth::consent::{self, ConsentOf};
use serde::Deserialize;

use super::{Csp, CsrfForm, csrf_token, html};
use crate::oauth::authorize::{consent_ask, consent_denied};
use crate::pages::PageError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/signin/consent", get(show).post(decide))
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    org: &'a str,
    csrf: &'a str,
    from_uri: &'a str,
    app: &'a str,
    scopes: &'a [(String, String)],
}

#[derive(Deserialize)]
struct ShowQuery {
    #[serde(default, rename = "fromURI")]
    from_uri: String,
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn gone(state: &AppState) -> Response {
    let org = state.org_name();
    html(
        StatusCode::BAD_REQUEST,
        super::signin::MessagePage {
            org: &org,
            title: "This request is no longer valid",
            message: "Go back to the application and sign in again.",
            link: None,
        }
        .render(),
    )
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let Some(ask) = consent_ask(&state, &q.from_uri).await? else {
        return Ok(gone(&state));
    };
    if crate::session::current(&state, &headers).await?.is_none() {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("fromURI", &q.from_uri);
        return Ok(see_other(&format!("/signin?{}", s.finish())));
    }
    let (csrf, cookie) = csrf_token(&state, &headers);
    let org = state.org_name();
    // Both answers redirect to the app's redirect URI (Allow by way of the authorization endpoint).
    let mut r = Csp::page().forms_to(&ask.to.redirect_uri).on(html(
        StatusCode::OK,
        ConsentPage {
            org: &org,
            csrf: &csrf,
            from_uri: &q.from_uri,
            app: &ask.app.label,
            scopes: &ask.scopes,
        }
        .render(),
    ));
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "fromURI")]
    from_uri: String,
    #[serde(default)]
    decision: String,
}

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, PageError> {
    let Some(session) = crate::session::current(&state, &headers).await? else {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("fromURI", &form.from_uri);
        return Ok(see_other(&format!("/signin?{}", s.finish())));
    };
    let Some(ask) = consent_ask(&state, &form.from_uri).await? else {
        return Ok(gone(&state));
    };
    if form.decision != "allow" {
        return Ok(consent_denied(&ask));
    }
    let of = ConsentOf {
        user_id: &session.user_id,
        client_id: &ask.app.client.client_id,
        auth_server_id: &ask.auth_server_id,
    };
    let scopes = ask.scopes.iter().map(|(scope, _)| scope.as_str());
    consent::grant(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        of,
        scopes,
    )
    .await?;
    Ok(see_other(&form.from_uri))
}

crate::csrf_field!(DecisionForm);
