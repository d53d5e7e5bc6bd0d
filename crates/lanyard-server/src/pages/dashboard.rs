//! The end-user dashboard: `/app/UserHome` (and `/app`, where a signed-in user lands without a destination) shows a
//! tile per app the user may launch ([`lanyard_core::dashboard`]) with its logo and label, and a search (`?q=`);
//! plain links and a GET form, so it needs no JavaScript. A tile leads to `/home/{name}/{id}`, which checks the
//! session and the assignment again and sends the browser to where the app starts a sign-in. Each app's logo is at
//! `/home/{name}/{id}/logo.svg`: its catalog entry's tile, else a monogram of its label.

use crate::pages::extract::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lanyard_core::dashboard::{AppLink, app_links, launch_url};
use serde::Deserialize;

use super::html;
use crate::pages::PageError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app", get(home))
        .route("/app/UserHome", get(home))
        .route("/home/{name}/{id}", get(launch))
        .route("/home/{name}/{id}/logo.svg", get(logo))
}

struct Tile {
    id: String,
    label: String,
    href: String,
    logo: String,
}

#[derive(Template)]
#[template(path = "user_home.html")]
struct UserHome<'a> {
    org: &'a str,
    name: &'a str,
    login: &'a str,
    q: &'a str,
    tiles: Vec<Tile>,
}

#[derive(Deserialize, Default)]
struct HomeQuery {
    q: Option<String>,
}

/// Where a tile of `link` leads (Okta's `linkUrl`), and its logo, on this server.
pub fn link_urls(base: &str, link: &AppLink) -> (String, String) {
    let href = format!("{base}/home/{}/{}", link.app.name, link.app.id);
    let logo = format!("{href}/logo.svg");
    (href, logo)
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<HomeQuery>,
) -> Result<Response, PageError> {
    let Some(user) = signed_in(&state, &headers).await? else {
        return Ok(to_sign_in(uri.path()));
    };
    let q = q.q.unwrap_or_default();
    let issuer = crate::catalog::server(&state).await?.issuer.clone();
    let links = app_links(
        state.store.as_ref(),
        &user.id,
        &issuer,
        &user.login,
        Some(&q),
    )
    .await?;
    let tiles = links
        .iter()
        .map(|l| {
            // Relative links: the page works behind any host name the base URL is reached by.
            let (href, logo) = link_urls("", l);
            Tile {
                id: l.app.id.clone(),
                label: l.app.label.clone(),
                href,
                logo,
            }
        })
        .collect();
    let org = state.org_name();
    Ok(html(
        StatusCode::OK,
        UserHome {
            org: &org,
            name: &user.full_name(),
            login: &user.login,
            q: q.trim(),
            tiles,
        }
        .render(),
    ))
}

/// The browser's signed-in user.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<lanyard_core::model::User>, PageError> {
    Ok(match crate::session::current(state, headers).await? {
        Some(s) => state.store.user(&s.user_id).await?,
        None => None,
    })
}

/// To the sign-in page, and back to `path` (this origin's) afterwards.
pub(crate) fn to_sign_in(path: &str) -> Response {
    let back: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/signin?fromURI={back}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A tile: the signed-in user, if the app is theirs, goes to where the app starts a sign-in.
async fn launch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let Some(user) = signed_in(&state, &headers).await? else {
        return Ok(to_sign_in(&format!("/home/{name}/{id}")));
    };
    let app = state.store.app(&id).await?.filter(|a| a.name == name);
    let Some(app) = app else {
        return Err(PageError::not_found());
    };
    if !state.store.user_assigned_to_app(&app.id, &user.id).await? {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Not your app",
            "This app is not assigned to you. Ask your administrator for access.",
        )
        .with_link("/app/UserHome", "Back to your apps"));
    }
    let issuer = crate::catalog::server(&state).await?.issuer.clone();
    let Some(to) = launch_url(&app, &issuer, &user.login) else {
        return Err(PageError::new(
            StatusCode::NOT_FOUND,
            "Cannot be opened from here",
            "This app is not active, or it is not opened in a browser.",
        )
        .with_link("/app/UserHome", "Back to your apps"));
    };
    let mut r = StatusCode::SEE_OTHER.into_response();
    let v = HeaderValue::from_str(&to)
        .map_err(|_| PageError::internal("launch URL is not a header value"))?;
    r.headers_mut().insert(header::LOCATION, v);
    Ok(r)
}

async fn logo(State(state): State<AppState>, Path((name, id)): Path<(String, String)>) -> Response {
    let app = match state.store.app(&id).await {
        Ok(Some(a)) if a.name == name => a,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let svg = match crate::catalog::entry(&state, &app.name).await {
        Ok(Some(e)) => crate::catalog::logo_svg(&e),
        _ => crate::catalog::monogram(&app.label, &app.id),
    };
    crate::catalog::svg_response(svg)
}
