//! `/api/v1/apps/{id}/setup`: the application's side of an app made from the catalog — every value it needs
//! (client id, issuer, endpoints, the variables it was made with) as JSON, and the entry's setup rendered with them,
//! one snippet per deployment style (`?style=` answers that snippet alone, as text, for scripts). The client secret
//! appears only in the answers that mint one (the app's creation, a new secret); here a placeholder says where to
//! get it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::model::App;
use serde::Deserialize;
use serde_json::{Value, json};

use super::find;
use crate::api::error::ApiError;
use crate::api::openapi::{Routes, doc};
use crate::catalog::{SetupBody, setup_body as render};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new().get(
        "/apps/{id}/setup",
        read,
        // The whole setup as JSON, or with `style` the one snippet as text.
        doc()
            .query::<SetupQuery>()
            .ok::<SetupBody>()
            .text("text/plain"),
    )
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct SetupQuery {
    style: Option<String>,
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SetupQuery>,
) -> Result<Response, ApiError> {
    let app = find(&state, &id).await?;
    let Some(setup) = render(&state, &app, None).await? else {
        return Err(
            ApiError::not_found_path(&format!("/api/v1/apps/{id}/setup")).with_detail(
                "the app was not made from a catalog integration, or its integration was removed",
            ),
        );
    };
    let Some(style) = q.style else {
        return Ok(Json(setup).into_response());
    };
    let Some(snippet) = setup.snippets.iter().find(|s| s.style == style) else {
        let styles: Vec<&str> = setup.snippets.iter().map(|s| s.style.as_str()).collect();
        return Err(ApiError::validation(
            "style",
            vec![format!(
                "style: this integration documents {}",
                styles.join(", ")
            )],
        ));
    };
    let content = &snippet.content;
    let mut r = content.to_owned().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(r)
}

/// Adds `_embedded.setup` to an app's (or a new secret's) answer when the app was made from the catalog.
pub(super) async fn embed(
    state: &AppState,
    app: &App,
    secret: Option<&str>,
    out: &mut Value,
) -> Result<(), ApiError> {
    if let Some(setup) = crate::catalog::setup(state, app, secret).await? {
        out["_embedded"] = json!({ "setup": setup });
    }
    Ok(())
}
