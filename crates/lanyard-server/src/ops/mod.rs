//! Operations: `/healthz` (the process answers), `/readyz` (the database answers), `/metrics` (Prometheus: requests
//! by route pattern, method and status, latency by route, signing keys by server, algorithm and status, tokens
//! issued by grant type, the version — no user, client, token or address). `/metrics` is served with everything
//! else unless `--metrics-listen` gives it an address of its own ([`metrics_router`]); then the main address
//! answers 404 for it.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    let r = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if state.config.metrics_on_main {
        r.route("/metrics", get(metrics))
    } else {
        r
    }
}

/// `/metrics` (and the health checks) alone, for `--metrics-listen`.
pub fn metrics_router(state: AppState) -> axum::Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => {
            axum::Json(json!({ "status": "ok", "database": state.store.backend() })).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "unavailable", "database": state.store.backend() })),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut r = state.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}
