//! `/api/v1/apps/{id}/credentials/secrets`: an app's client secrets — at most two, both usable while rotating; the
//! value is shown once, only its SHA-256 is kept.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lanyard_core::apps::instances;
use lanyard_core::clock::okta_format;
use lanyard_core::model::{App, ClientSecret};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{app_refused, find};
use crate::api::error::ApiError;
use crate::api::openapi::{Href, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/apps/{id}/credentials/secrets",
            list_secrets,
            doc().list::<SecretBody>(),
        )
        .post(
            "/apps/{id}/credentials/secrets",
            create_secret,
            doc().ok::<SecretBody>(),
        )
        .get(
            "/apps/{id}/credentials/secrets/{sid}",
            read_secret,
            doc().ok::<SecretBody>(),
        )
        .delete(
            "/apps/{id}/credentials/secrets/{sid}",
            delete_secret,
            doc().no_content(),
        )
        .post(
            "/apps/{id}/credentials/secrets/{sid}/lifecycle/{op}",
            secret_lifecycle,
            doc().ok::<SecretBody>(),
        )
}

/// An app's client secret in Okta's shape (the secret itself only when just made, else its prefix and stars): what
/// `secret_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "OAuth2ClientSecret")]
pub struct SecretBody {
    id: String,
    status: &'static str,
    created: String,
    last_updated: String,
    #[serde(rename = "secret_hash")]
    secret_hash: String,
    #[serde(rename = "client_secret")]
    client_secret: String,
    #[serde(rename = "_links")]
    links: SecretLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct SecretLinks {
    #[serde(rename = "self")]
    this: Href,
}

fn secret_json(s: &ClientSecret, base: &str, value: Option<&str>) -> Value {
    let href = format!(
        "{base}/api/v1/apps/{}/credentials/secrets/{}",
        s.app_id, s.id
    );
    let body = SecretBody {
        id: s.id.clone(),
        status: s.status.as_str(),
        created: okta_format(s.created),
        last_updated: okta_format(s.last_updated),
        secret_hash: lanyard_core::random::b64url(&s.hash[..16]),
        client_secret: value
            .map_or_else(|| format!("{}{}", s.prefix, "*".repeat(8)), str::to_owned),
        links: SecretLinks {
            this: Href::new(href),
        },
    };
    serde_json::to_value(body).unwrap_or_default()
}

async fn find_secret(state: &AppState, app: &App, sid: &str) -> Result<ClientSecret, ApiError> {
    state
        .store
        .client_secrets(&app.id)
        .await?
        .into_iter()
        .find(|s| s.id == sid)
        .ok_or_else(|| ApiError::not_found(sid, "ClientSecret"))
}

async fn list_secrets(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let app = find(&state, &id).await?;
    let base = &state.config.base_url;
    let secrets = state.store.client_secrets(&app.id).await?;
    Ok(Json(Value::Array(
        secrets.iter().map(|s| secret_json(s, base, None)).collect(),
    )))
}

async fn read_secret(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let app = find(&state, &id).await?;
    let s = find_secret(&state, &app, &sid).await?;
    Ok(Json(secret_json(&s, &state.config.base_url, None)))
}

async fn create_secret(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let made = instances::create_secret(state.store.as_ref(), state.apps(), &id)
        .await
        .map_err(|e| app_refused(e, &id))?;
    state.app_changed(&made.app.client.client_id);
    audit.record(&state, &made.changes);
    let value = made.minted.value.as_str();
    let mut out = secret_json(&made.secret, &state.config.base_url, Some(value));
    // An app from the catalog: its settings again, with the new secret in them.
    super::setup::embed(&state, &made.app, Some(value), &mut out).await?;
    Ok(Json(out))
}

/// An operation on secret `sid` refused: an unknown secret is named as such.
fn secret_refused(e: instances::AppError, id: &str, sid: &str) -> ApiError {
    match e {
        instances::AppError::SecretNotFound => ApiError::not_found(sid, "ClientSecret"),
        e => app_refused(e, id),
    }
}

async fn secret_lifecycle(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, sid, op)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let active = match op.as_str() {
        "activate" => true,
        "deactivate" => false,
        _ => {
            return Err(ApiError::not_found_path(&format!(
                "/api/v1/apps/{id}/credentials/secrets/{sid}/lifecycle/{op}"
            )));
        }
    };
    let changed =
        instances::set_secret_status(state.store.as_ref(), state.apps(), &id, &sid, active)
            .await
            .map_err(|e| secret_refused(e, &id, &sid))?;
    state.app_changed(&changed.app.client.client_id);
    audit.record(&state, &changed.changes);
    Ok(Json(secret_json(
        &changed.secret,
        &state.config.base_url,
        None,
    )))
}

async fn delete_secret(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, sid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let changed = instances::delete_secret(state.store.as_ref(), &id, &sid)
        .await
        .map_err(|e| secret_refused(e, &id, &sid))?;
    state.app_changed(&changed.app.client.client_id);
    audit.record(&state, &changed.changes);
    Ok(StatusCode::NO_CONTENT)
}
