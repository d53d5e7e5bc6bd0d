//! `/api/v1/users/{id}/appLinks` (API token) and `/api/v1/users/me/appLinks` (the SSO session cookie): the apps a
//! user may launch, in Okta's shape — what the dashboard shows ([`lanyard_core::dashboard`]); `linkUrl` launches
//! the app for the signed-in user.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use lanyard_core::dashboard::app_links;
use lanyard_core::model::User;
use schemars::JsonSchema;
use serde::Serialize;

use super::error::{ApiError, OktaCode};
use super::users::find as find_user;
use crate::api::openapi::{Routes, doc};
use crate::pages::dashboard::link_urls;
use crate::state::AppState;

/// Behind an API token.
pub fn routes() -> Routes {
    Routes::new().get(
        "/users/{id}/appLinks",
        for_user,
        doc().list::<AppLinkBody>(),
    )
}

/// By the session cookie.
pub fn public_routes() -> Routes {
    Routes::new().get("/users/me/appLinks", for_me, doc().list::<AppLinkBody>())
}

/// An app a user may launch, in Okta's shape (`AppLink`): what `links` sends.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AppLink")]
pub struct AppLinkBody {
    id: String,
    label: String,
    /// Launches the app for the signed-in user.
    link_url: String,
    logo_url: String,
    app_name: String,
    app_instance_id: String,
    app_assignment_id: String,
    credentials_setup: bool,
    hidden: bool,
    sort_order: usize,
}

async fn links(state: &AppState, user: &User) -> Result<Json<Vec<AppLinkBody>>, ApiError> {
    let issuer = crate::catalog::server(state).await?.issuer.clone();
    let links = app_links(state.store.as_ref(), &user.id, &issuer, &user.login, None).await?;
    let base = &state.config.base_url;
    Ok(Json(
        links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let (link_url, logo_url) = link_urls(base, l);
                AppLinkBody {
                    id: l.app.id.clone(),
                    label: l.app.label.clone(),
                    link_url,
                    logo_url,
                    app_name: l.app.name.clone(),
                    app_instance_id: l.app.id.clone(),
                    app_assignment_id: user.id.clone(),
                    credentials_setup: false,
                    hidden: false,
                    sort_order: i,
                }
            })
            .collect(),
    ))
}

async fn for_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<AppLinkBody>>, ApiError> {
    let user = find_user(&state, &id).await?;
    links(&state, &user).await
}

async fn for_me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<AppLinkBody>>, ApiError> {
    let session = crate::session::current(&state, &headers)
        .await?
        .ok_or_else(|| {
            ApiError::of(OktaCode::InvalidSession)
                .with_detail("no session cookie: /users/me/appLinks is for a signed-in browser")
        })?;
    let user = find_user(&state, &session.user_id).await?;
    links(&state, &user).await
}
