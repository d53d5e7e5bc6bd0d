//! The OAuth 2.0 / OpenID Connect endpoints, one file per endpoint, in Okta's layout: the org server at
//! `/oauth2/v1/…` with discovery at `/.well-known/…`; custom servers at `/oauth2/{id}/v1/…` with discovery at
//! `/oauth2/{id}/.well-known/…`.

pub mod authorize;
pub mod client;
pub mod client_keys;
pub mod device;
pub mod discovery;
pub mod error;
pub mod introspect;
pub mod keys;
pub mod logout;
pub mod par;
pub mod registration;
pub mod request_object;
pub mod revoke;
pub mod token;
pub mod userinfo;

use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use axum::routing::{get, post};
use lanyard_core::model::AuthServerKind;
use lanyard_core::model::auth_server::ORG_SERVER_ID;
use tower_http::cors::{Any, CorsLayer};

use crate::api::error::ApiError;
use crate::keyring::Entry;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    // Discovery and keys are public documents browsers fetch cross-origin (SPAs).
    let public = Router::new()
        .route("/.well-known/openid-configuration", get(discovery::org))
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::org),
        )
        .route(
            "/oauth2/{id}/.well-known/openid-configuration",
            get(discovery::custom),
        )
        .route(
            "/oauth2/{id}/.well-known/oauth-authorization-server",
            get(discovery::custom),
        )
        .route("/oauth2/v1/keys", get(keys::org))
        .route("/oauth2/{id}/v1/keys", get(keys::custom))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET]),
        );
    Router::new()
        .merge(public)
        .route(
            "/oauth2/v1/authorize",
            get(authorize::org).post(authorize::org),
        )
        .route(
            "/oauth2/{id}/v1/authorize",
            get(authorize::custom).post(authorize::custom),
        )
        .route("/oauth2/v1/device/authorize", post(device::org))
        .route("/oauth2/{id}/v1/device/authorize", post(device::custom))
        .route("/oauth2/v1/par", post(par::org))
        .route("/oauth2/{id}/v1/par", post(par::custom))
        .route("/oauth2/v1/token", post(token::org))
        .route("/oauth2/{id}/v1/token", post(token::custom))
        .merge(
            Router::new()
                .route(
                    "/oauth2/v1/userinfo",
                    get(userinfo::org).post(userinfo::org),
                )
                .route(
                    "/oauth2/{id}/v1/userinfo",
                    get(userinfo::custom).post(userinfo::custom),
                )
                // SPAs call userinfo from the browser with their token.
                .layer(
                    CorsLayer::new()
                        .allow_origin(Any)
                        .allow_methods([Method::GET, Method::POST])
                        .allow_headers([
                            axum::http::header::AUTHORIZATION,
                            axum::http::header::CONTENT_TYPE,
                            axum::http::HeaderName::from_static("dpop"),
                        ]),
                ),
        )
        .route("/oauth2/v1/introspect", post(introspect::org))
        .route("/oauth2/{id}/v1/introspect", post(introspect::custom))
        .route("/oauth2/v1/logout", get(logout::org).post(logout::org))
        .route(
            "/oauth2/{id}/v1/logout",
            get(logout::custom).post(logout::custom),
        )
        .route("/oauth2/v1/revoke", post(revoke::org))
        .route("/oauth2/{id}/v1/revoke", post(revoke::custom))
}

/// The org server's entry.
pub async fn org_server(state: &AppState) -> Result<Arc<Entry>, ApiError> {
    state
        .keyring
        .entry(ORG_SERVER_ID)
        .await?
        .ok_or_else(|| ApiError::internal("the org authorization server is missing"))
}

/// A custom server's entry by the id in the path; 404 for the org server's internal id, unknown or inactive ones.
pub async fn custom_server(state: &AppState, id: &str) -> Result<Arc<Entry>, ApiError> {
    match state.keyring.entry(id).await? {
        Some(e)
            if e.server.kind == AuthServerKind::Custom
                && e.server.status == lanyard_core::model::LifecycleStatus::Active =>
        {
            Ok(e)
        }
        _ => Err(ApiError::not_found(id, "AuthorizationServer")),
    }
}
