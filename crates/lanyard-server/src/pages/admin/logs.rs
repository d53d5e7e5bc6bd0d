//! `/admin/logs`: the system log with the API's filters (`since`, `until`, `filter`, `q`, `sortOrder` — parsed by
//! the same code as `GET /api/v1/logs`, [`crate::api::logs::log_query`]), newest first unless asked otherwise, a
//! page at a time. The live tail is `/static/admin-logs.js`: it re-reads this page's own address (so the filter is
//! kept) every few seconds and swaps in the new rows — the one console page whose policy allows `connect-src 'self'`; without JavaScript, the "Refresh" link does the same.

use crate::pages::extract::Query;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::model::PageRequest;
use lanyard_core::syslog::SortOrder;
use serde::Deserialize;

use super::{Admin, Chrome, href, next_href, when};
use crate::api::logs::{LogFilters, log_query};
use crate::pages::{Csp, PageError, html};
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(flatten)]
    filters: LogFilters,
    after: Option<String>,
}

struct EventRow {
    when: String,
    event_type: String,
    message: String,
    outcome: String,
    actor: String,
    targets: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "admin/logs.html")]
struct Logs {
    c: Chrome,
    since: String,
    until: String,
    filter: String,
    q: String,
    descending: bool,
    error: Vec<String>,
    rows: Vec<EventRow>,
    refresh: String,
    next: Option<String>,
    first_page: bool,
}

fn trimmed(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").trim().to_owned()
}

pub async fn page(
    admin: Admin,
    State(state): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let since = trimmed(&p.filters.since);
    let until = trimmed(&p.filters.until);
    let filter = trimmed(&p.filters.filter);
    let q = trimmed(&p.filters.q);
    let sort = trimmed(&p.filters.sort_order);
    // Empty form fields mean "not given", as an absent query parameter does for the API.
    let given = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    let filters = LogFilters {
        since: given(&since),
        until: given(&until),
        filter: given(&filter),
        q: given(&q),
        sort_order: given(&sort),
    };
    let params = [
        ("since", since.as_str()),
        ("until", until.as_str()),
        ("filter", filter.as_str()),
        ("q", q.as_str()),
        ("sortOrder", sort.as_str()),
    ];
    let after = p.after.filter(|a| !a.is_empty());
    let (status, error, rows, next, descending) = match log_query(&filters, SortOrder::Descending) {
        Err(e) => (
            StatusCode::BAD_REQUEST,
            if e.causes.is_empty() {
                vec![e.summary]
            } else {
                e.causes
            },
            Vec::new(),
            None,
            sort != "ASCENDING",
        ),
        Ok(query) => {
            let descending = query.order == SortOrder::Descending;
            let page = state
                .store
                .list_log_events(
                    &query,
                    &PageRequest {
                        limit: PAGE_SIZE,
                        after: after.clone(),
                    },
                )
                .await?;
            let rows = page
                .items
                .into_iter()
                .map(|e| EventRow {
                    when: when(e.published),
                    event_type: e.event_type,
                    message: match e.reason {
                        Some(r) => format!("{} ({r})", e.display_message),
                        None => e.display_message,
                    },
                    outcome: e.outcome,
                    actor: e.actor.alternate_id,
                    targets: e
                        .targets
                        .iter()
                        .map(|t| t.display_name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    ip: e.client_ip.unwrap_or_default(),
                })
                .collect();
            (
                StatusCode::OK,
                Vec::new(),
                rows,
                next_href("/admin/logs", &params, page.next.as_deref()),
                descending,
            )
        }
    };
    let refresh = href("/admin/logs", &params, after.as_deref());
    // The live tail's script re-reads this page: it may fetch from this origin (and nowhere else).
    Ok(Csp::page().connects_to_self().on(html(
        status,
        Logs {
            c: Chrome::new(&state, &admin, "logs"),
            since,
            until,
            filter,
            q,
            descending,
            error,
            rows,
            refresh,
            next,
            first_page: after.is_none(),
        }
        .render(),
    )))
}
