//! Lanyard's HTTP layer: thin axum handlers that parse a request, call the core, and render the answer.
//!
//! - [`oauth`]: the OAuth 2.0 / OpenID Connect endpoints, one file per endpoint, for the org server
//!   (`/oauth2/v1/…`, discovery at `/.well-known/…`) and custom servers (`/oauth2/{id}/v1/…`).
//! - [`api`]: the management API in Okta's dialect (`/api/v1/…`), one file per resource.
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics`.
//! - [`keyring`]: the in-memory view of each authorization server's keys and metadata, refreshed from the store.
//! - [`key_admin`]: creating and rotating signing keys, shared by the server, its schedule and the CLI.

pub mod activation;
pub mod api;
pub mod backchannel;
pub mod catalog;
pub mod clients;
pub mod config;
pub mod cors;
pub mod email;
pub mod http;
pub mod key_admin;
pub mod key_stock;
pub mod keyring;
pub mod login;
pub mod logout;
pub mod metrics;
pub mod oauth;
pub mod ops;
pub mod outbound;
pub mod pages;
pub mod passwords;
pub mod recovery;
pub mod revocations;
pub mod session;
pub mod signin_flow;
pub mod signon_cache;
pub mod snapshot;
pub mod state;
pub mod syslog;
pub mod webauthn;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use config::ServerConfig;
pub use state::AppState;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .merge(oauth::router())
        .merge(oauth::registration::routes(state.clone()))
        .nest("/api/v1", api::router(state.clone()))
        .merge(ops::router(&state))
        .merge(api::catalog::public_routes())
        .merge(login::router())
        .merge(pages::router())
        .fallback(http::not_found)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(max_body))
        // Sign-in attempts (the Authn API, the hosted sign-in pages' forms) per client IP, before any routing:
        // every route merged above is covered, whichever router it comes from.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::rate_limit::signin_throttle,
        ))
        // Browsers on other origins: preflights answered before routing, answers marked for the origins allowed.
        .layer(axum::middleware::from_fn_with_state(state.clone(), cors::cors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::security_headers,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(
            // Method and path only: query strings can carry secrets (codes, session tokens).
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

/// How long graceful shutdown waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
