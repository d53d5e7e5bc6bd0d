//! `Authorization: SSWS <token>` (and `SSWS<token>`, as Okta's Python SDK sends it). The token is looked up by its
//! SHA-256; its last use is recorded off the request path, at most once a minute per token and node.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lanyard_core::api_token;

use super::error::ApiError;
use crate::state::AppState;

/// Who is calling the management API.
#[derive(Debug, Clone)]
pub struct ApiPrincipal {
    pub token_id: String,
    pub token_name: String,
    pub user_id: Option<String>,
}

/// The SSWS token in an `Authorization` header value, if it is one.
pub fn ssws_token(value: &str) -> Option<&str> {
    let rest = value
        .strip_prefix("SSWS")
        .or_else(|| value.strip_prefix("ssws"))?;
    let token = rest.trim_start_matches(' ').trim_end();
    (!token.is_empty()).then_some(token)
}

/// Remembers when each token's last use was written, so it is written at most once a minute.
#[derive(Default)]
pub struct TouchThrottle(Mutex<HashMap<String, Instant>>);

impl TouchThrottle {
    fn due(&self, token_id: &str) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match seen.get(token_id) {
            Some(t) if now.duration_since(*t) < Duration::from_secs(60) => false,
            _ => {
                if seen.len() > 10_000 {
                    seen.clear();
                }
                seen.insert(token_id.to_owned(), now);
                true
            }
        }
    }
}

pub async fn require_token(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(ssws_token);
    let Some(presented) = presented else {
        return ApiError::invalid_token()
            .with_detail("no SSWS token")
            .into_response();
    };
    let principal = match principal(&state, presented).await {
        Ok(Some(p)) => p,
        Ok(None) => return ApiError::invalid_token().into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// The caller a management API token stands for, if it is a valid one (its use recorded).
pub async fn principal(
    state: &AppState,
    presented: &str,
) -> Result<Option<ApiPrincipal>, lanyard_core::store::StoreError> {
    let now = state.clock.now();
    let record = match state
        .store
        .api_token_by_hash(&api_token::hash(presented))
        .await?
    {
        Some(t) if api_token::is_valid(&t, now) => t,
        _ => return Ok(None),
    };
    if state.token_touch.due(&record.id) {
        let store = state.store.clone();
        let id = record.id.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_token(&id, now).await {
                tracing::debug!(error = %e, "could not record API token use");
            }
        });
    }
    Ok(Some(ApiPrincipal {
        token_id: record.id,
        token_name: record.name,
        user_id: record.user_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ssws_spellings_are_accepted() {
        assert_eq!(ssws_token("SSWS 00abc"), Some("00abc"));
        assert_eq!(ssws_token("SSWS00abc"), Some("00abc"));
        assert_eq!(ssws_token("SSWS "), None);
        assert_eq!(ssws_token("Bearer 00abc"), None);
    }
}
