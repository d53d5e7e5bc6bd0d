//! `/api/v1/users/{id}/appLinks` (API token) and `/api/v1/users/me/appLinks` (the SSO session cookie): the apps a
//! user may launch, in Okta's shape — what the dashboard shows ([`lanyard_core::dashboard`]); `linkUrl` launches
//! the app for the signed-in user.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use lanyard_core::dashboard::app_links;
use lanyard_core::model::User;
use serde_json::{Value, json};

use super::error::{ApiError, OktaCode};
use super::users::find as find_user;
use crate::api::openapi::{Object, Routes, doc};
use crate::pages::dashboard::link_urls;
use crate::state::AppState;

/// Behind an API token.
pub fn routes() -> Routes {
    Routes::new().get("/users/{id}/appLinks", for_user, doc().list::<Object>())
}

/// By the session cookie.
pub fn public_routes() -> Routes {
    Routes::new().get("/users/me/appLinks", for_me, doc().list::<Object>())
}

async fn links(state: &AppState, user: &User) -> Result<Json<Value>, ApiError> {
    let issuer = crate::catalog::server(state).await?.issuer.clone();
    let links = app_links(state.store.as_ref(), &user.id, &issuer, &user.login, None).await?;
    let base = &state.config.base_url;
    Ok(Json(Value::Array(
        links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let (link_url, logo_url) = link_urls(base, l);
                json!({
                    "id": l.app.id,
                    "label": l.app.label,
                    "linkUrl": link_url,
                    "logoUrl": logo_url,
                    "appName": l.app.name,
                    "appInstanceId": l.app.id,
                    "appAssignmentId": user.id,
                    "credentialsSetup": false,
                    "hidden": false,
                    "sortOrder": i,
                })
            })
            .collect(),
    )))
}

async fn for_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = find_user(&state, &id).await?;
    links(&state, &user).await
}

async fn for_me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let session = crate::session::current(&state, &headers)
        .await?
        .ok_or_else(|| {
            ApiError::of(OktaCode::InvalidSession)
                .with_detail("no session cookie: /users/me/appLinks is for a signed-in browser")
        })?;
    let user = find_user(&state, &session.user_id).await?;
    links(&state, &user).await
}
