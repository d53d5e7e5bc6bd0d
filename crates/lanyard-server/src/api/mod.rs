//! The management API in Okta's dialect, under `/api/v1`. One file per resource.

pub mod api_tokens;
pub mod app_links;
pub mod apps;
pub mod auth;
pub mod authn;
pub mod authorization_servers;
pub mod catalog;
pub mod error;
pub mod extract;
pub mod factors;
pub mod groups;
pub mod logs;
pub mod openapi;
pub mod pagination;
pub mod policies;
pub mod rate_limit;
pub mod recovery;
pub mod roles;
pub mod sessions;
pub mod trusted_origins;
pub mod user_grants;
pub mod users;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use lanyard_core::authz::Invalid;
use lanyard_core::model::LifecycleStatus;
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::error::ApiError;
use crate::api::openapi::Routes;
use crate::state::AppState;

/// The routes an API token (or an app's access token with the right scope) opens.
fn secured_routes() -> Routes {
    Routes::new()
        .merge(api_tokens::routes())
        .merge(apps::routes())
        .merge(app_links::routes())
        .merge(factors::routes())
        .merge(sessions::routes())
        .merge(users::routes())
        .merge(user_grants::routes())
        .merge(groups::routes())
        .merge(roles::routes())
        .merge(logs::routes())
        .merge(authorization_servers::routes())
        .merge(policies::routes())
        .merge(trusted_origins::routes())
        .merge(catalog::routes())
}

/// Sign-in itself, the caller's own session and this API's description need no API token (and take no app's
/// access token).
fn public_routes() -> Routes {
    Routes::new()
        .merge(authn::routes())
        .merge(recovery::routes())
        .merge(sessions::public_routes())
        .merge(app_links::public_routes())
        .get(
            "/openapi.json",
            openapi::serve,
            openapi::doc().ok::<openapi::Object>(),
        )
        .public()
}

/// Every operation of the API, as the router serves them: what `/api/v1/openapi.json` documents.
pub fn operations() -> Vec<openapi::Operation> {
    let mut ops = secured_routes().into_parts().1;
    ops.extend(public_routes().into_parts().1);
    ops
}

pub fn router(state: AppState) -> Router<AppState> {
    let (public, _) = public_routes().into_parts();
    let public = public.route_layer(from_fn(auth::refuse_access_tokens_on_me));
    let (secured, _) = secured_routes().into_parts();
    secured
        // Every route above: an app's access token needs the scope its resource declares (`okta_scopes`).
        .route_layer(from_fn(auth::require_scope))
        .method_not_allowed_fallback(|| async { error::ApiError::method_not_allowed() })
        .layer(from_fn_with_state(state.clone(), auth::require_token))
        .merge(public)
        .method_not_allowed_fallback(|| async { error::ApiError::method_not_allowed() })
        .layer(from_fn_with_state(state, rate_limit::middleware))
        .layer(from_fn(okta_rejections))
        .layer(from_fn(no_store))
}

/// axum's own extractors refuse in plain text (a path segment that is not UTF-8, a query parameter given twice);
/// the API answers every error in Okta's form: 400 E0000001 with axum's reason as the cause.
async fn okta_rejections(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let r = next.run(req).await.into_response();
    let plain = r.status().is_client_error()
        && r.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/plain"));
    if !plain {
        return r;
    }
    let status = r.status();
    let reason = axum::body::to_bytes(r.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    ApiError::validation("request", vec![reason])
        .with_status(status)
        .into_response()
}

/// Management responses are never cached.
async fn no_store(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut r = next.run(req).await.into_response();
    r.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache, no-store"));
    r
}

/// 400 E0000001 from the core's validation causes.
pub(crate) fn invalid(e: Invalid) -> ApiError {
    ApiError::validation(e.field(), e.causes())
}

/// The lifecycle link of an object at `href` in `_links` (flattened into them): `deactivate` while it is active,
/// `activate` while it is not; neither for a system object.
#[derive(Serialize, JsonSchema, Default)]
pub(crate) struct LifecycleLinks {
    #[serde(skip_serializing_if = "Option::is_none")]
    activate: Option<openapi::HintedHref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deactivate: Option<openapi::HintedHref>,
}

impl LifecycleLinks {
    pub(crate) fn of(href: &str, status: LifecycleStatus) -> Self {
        let link = |op: &str| {
            Some(openapi::HintedHref::new(
                format!("{href}/lifecycle/{op}"),
                &["POST"],
            ))
        };
        match status {
            LifecycleStatus::Active => LifecycleLinks {
                activate: None,
                deactivate: link("deactivate"),
            },
            LifecycleStatus::Inactive => LifecycleLinks {
                activate: link("activate"),
                deactivate: None,
            },
        }
    }
}
