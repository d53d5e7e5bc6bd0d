//! `/api/v1/users`. The directory arrives with its own issue; here the list, in Okta's shape, paginated.

use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::response::Response;
use axum::routing::get;
use lanyard_core::clock::okta_format;
use lanyard_core::model::User;
use serde_json::{Value, json};

use super::error::ApiError;
use super::pagination::{PageQuery, list_response};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/users", get(list))
}

/// A user in Okta's shape.
pub fn user_json(u: &User, base: &str) -> Value {
    let opt = |t: Option<lanyard_core::clock::Timestamp>| t.map(okta_format);
    json!({
        "id": u.id,
        "status": u.status.as_str(),
        "created": okta_format(u.created),
        "activated": opt(u.activated),
        "statusChanged": opt(u.status_changed),
        "lastLogin": opt(u.last_login),
        "lastUpdated": okta_format(u.last_updated),
        "passwordChanged": opt(u.password_changed),
        "type": { "id": "default" },
        "profile": u.profile,
        "credentials": { "provider": { "type": "OKTA", "name": "OKTA" } },
        "_links": { "self": { "href": format!("{base}/api/v1/users/{}", u.id) } }
    })
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let req = q.to_request(200, 200)?;
    let page = state.store.list_users(&req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|u| user_json(u, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}
