//! `GET /api/v1/logs`: the system log, with `since`, `until`, `filter`, `q`, `limit`, `sortOrder` and `after`.

use axum::extract::{OriginalUri, Query, State};
use axum::response::Response;
use lanyard_core::directory::filter::{self, LOG_FILTER};
use lanyard_core::directory::users::timestamp;
use lanyard_core::syslog::{LogQuery, SortOrder};
use serde::Deserialize;

use super::error::{ApiError, OktaCode};
use super::pagination::{PageQuery, list_response};
use crate::api::openapi::{Object, Routes, doc};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new().get("/logs", list, doc().query::<LogParams>().list::<Object>())
}

#[derive(schemars::JsonSchema, Deserialize)]
struct LogParams {
    #[serde(flatten)]
    filters: LogFilters,
    #[serde(flatten)]
    page: PageQuery,
}

/// The system log's filters as a request gives them — the management API's query, and the admin console's form.
#[derive(schemars::JsonSchema, Deserialize, Default, Debug, Clone)]
pub struct LogFilters {
    pub since: Option<String>,
    pub until: Option<String>,
    pub filter: Option<String>,
    pub q: Option<String>,
    #[serde(rename = "sortOrder")]
    pub sort_order: Option<String>,
}

fn bad(field: &str, message: String) -> ApiError {
    ApiError::validation(field, vec![format!("{field}: {message}")])
}

fn time(
    field: &str,
    text: Option<&str>,
) -> Result<Option<lanyard_core::clock::Timestamp>, ApiError> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => timestamp(t).map(Some).ok_or_else(|| {
            bad(
                field,
                format!("{t:?} is not an ISO 8601 timestamp such as 2026-01-31T00:00:00.000Z"),
            )
        }),
    }
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(p): Query<LogParams>,
) -> Result<Response, ApiError> {
    let query = log_query(&p.filters, SortOrder::Ascending)?;
    let req = p.page.to_request(100, 1000)?;
    let page = state.store.list_log_events(&query, &req).await?;
    let body = page.items.iter().map(|e| e.to_json()).collect();
    Ok(list_response(
        &state.config.base_url,
        &uri,
        page.next.as_deref(),
        body,
    ))
}

/// The query `f` asks for (`sortOrder` absent: `default_order`), or the API's error naming what is wrong.
pub fn log_query(f: &LogFilters, default_order: SortOrder) -> Result<LogQuery, ApiError> {
    let since = time("since", f.since.as_deref())?;
    let until = time("until", f.until.as_deref())?;
    let filter = match f.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(text) => Some(filter::parse(text, &LOG_FILTER).map_err(|e| {
            let mut err = ApiError::of(OktaCode::InvalidSearch);
            err.causes.push(e.to_string());
            err
        })?),
        None => None,
    };
    let q: Vec<String> =
        f.q.as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
    if q.len() > 10 || q.iter().any(|w| w.chars().count() > 40) {
        return Err(bad(
            "q",
            "at most 10 keywords of at most 40 characters each".into(),
        ));
    }
    let order = match f.sort_order.as_deref() {
        None => default_order,
        Some("ASCENDING") => SortOrder::Ascending,
        Some("DESCENDING") => SortOrder::Descending,
        Some(other) => {
            return Err(bad(
                "sortOrder",
                format!("must be ASCENDING or DESCENDING, not {other:?}"),
            ));
        }
    };
    Ok(LogQuery {
        since,
        until,
        filter,
        q,
        order,
    })
}
