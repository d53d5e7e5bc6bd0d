//! `GET /api/v1/logs`: the system log, with `since`, `until`, `filter`, `q`, `limit`, `sortOrder` and `after`.

use axum::extract::{OriginalUri, Query, State};
use axum::response::Response;
use lanyard_core::clock::okta_format;
use lanyard_core::directory::filter::{self, LOG_FILTER};
use lanyard_core::directory::users::timestamp;
use lanyard_core::syslog::{LogEvent, LogQuery, Party, SortOrder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{ApiError, OktaCode};
use super::pagination::{PageQuery, list_response};
use crate::api::openapi::{Empty, Routes, doc};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new().get(
        "/logs",
        list,
        doc().query::<LogParams>().list::<LogEventBody>(),
    )
}

/// An event in Okta's shape (`LogEvent`): what `event_json` sends. What Lanyard does not know (the client's device
/// and place, the transaction's id, ...) is null, as Okta sends it.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "LogEvent")]
pub struct LogEventBody {
    uuid: String,
    published: String,
    event_type: String,
    version: &'static str,
    display_message: String,
    #[schemars(extend("enum" = ["DEBUG", "INFO", "WARN", "ERROR"]))]
    severity: &'static str,
    legacy_event_type: (),
    actor: LogParty,
    client: LogClient,
    outcome: LogOutcome,
    target: Vec<LogParty>,
    transaction: LogTransaction,
    debug_context: LogDebugContext,
    authentication_context: LogAuthenticationContext,
    /// Nothing known.
    security_context: Empty,
    request: LogRequest,
}

/// The actor, or a target.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "LogActor")]
pub struct LogParty {
    id: String,
    /// `User`, `SystemPrincipal`, `PublicClientApp`, `UserGroup`, `AuthorizationServer`, ...
    #[serde(rename = "type")]
    kind: String,
    alternate_id: String,
    display_name: String,
    detail_entry: (),
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogClient {
    ip_address: Option<String>,
    user_agent: LogUserAgent,
    /// Okta's `"null"` (a string).
    zone: &'static str,
    device: (),
    id: (),
    geographical_context: (),
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogUserAgent {
    raw_user_agent: Option<String>,
    os: (),
    browser: (),
}

#[derive(Serialize, JsonSchema)]
pub struct LogOutcome {
    /// `SUCCESS`, `FAILURE`, `SKIPPED`, `ALLOW`, `DENY`, `CHALLENGE`, `UNKNOWN`.
    result: String,
    reason: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct LogTransaction {
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["WEB", "JOB"]))]
    kind: &'static str,
    id: (),
    /// Free-form (empty here).
    detail: Map<String, Value>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogDebugContext {
    /// Free-form (empty here).
    debug_data: Map<String, Value>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogAuthenticationContext {
    authentication_step: u32,
    external_session_id: (),
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogRequest {
    /// Empty.
    ip_chain: [(); 0],
}

fn party(p: &Party) -> LogParty {
    LogParty {
        id: p.id.clone(),
        kind: p.kind.clone(),
        alternate_id: p.alternate_id.clone(),
        display_name: p.display_name.clone(),
        detail_entry: (),
    }
}

/// An event in Okta's shape.
pub fn event_json(e: &LogEvent) -> LogEventBody {
    LogEventBody {
        uuid: e.uuid.clone(),
        published: okta_format(e.published),
        event_type: e.event_type.clone(),
        version: "0",
        display_message: e.display_message.clone(),
        severity: e.severity.as_str(),
        legacy_event_type: (),
        actor: party(&e.actor),
        client: LogClient {
            ip_address: e.client_ip.clone(),
            user_agent: LogUserAgent {
                raw_user_agent: e.user_agent.clone(),
                os: (),
                browser: (),
            },
            zone: "null",
            device: (),
            id: (),
            geographical_context: (),
        },
        outcome: LogOutcome {
            result: e.outcome.clone(),
            reason: e.reason.clone(),
        },
        target: e.targets.iter().map(party).collect(),
        transaction: LogTransaction {
            kind: "WEB",
            id: (),
            detail: Map::new(),
        },
        debug_context: LogDebugContext {
            debug_data: Map::new(),
        },
        authentication_context: LogAuthenticationContext {
            authentication_step: 0,
            external_session_id: (),
        },
        security_context: Empty {},
        request: LogRequest { ip_chain: [] },
    }
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
    let body = page.items.iter().map(event_json).collect();
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

#[cfg(test)]
mod tests {
    use lanyard_core::random::SystemRandom;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_has_okta_fields() {
        let e = LogEvent::new(
            "user.lifecycle.create",
            "Create okta user",
            Party::new("00T1", "SystemPrincipal", "api-token:ci", "ci"),
            chrono::Utc::now(),
            &SystemRandom,
        )
        .target(Party::new("00u1", "User", "ada@example.com", "Ada"))
        .failure("INVALID_CREDENTIALS")
        .client(Some("127.0.0.1".into()), Some("curl".into()));
        let j = serde_json::to_value(event_json(&e)).unwrap();
        assert_eq!(j["outcome"]["result"], "FAILURE");
        assert_eq!(j["outcome"]["reason"], "INVALID_CREDENTIALS");
        assert_eq!(j["severity"], "WARN");
        assert_eq!(j["version"], "0");
        assert_eq!(j["client"]["ipAddress"], "127.0.0.1");
        assert_eq!(j["client"]["userAgent"]["rawUserAgent"], "curl");
        assert_eq!(j["client"]["zone"], "null");
        assert_eq!(j["client"]["geographicalContext"], json!(null));
        assert_eq!(j["legacyEventType"], json!(null));
        assert_eq!(j["actor"]["type"], "SystemPrincipal");
        assert_eq!(j["actor"]["detailEntry"], json!(null));
        assert_eq!(j["target"][0]["alternateId"], "ada@example.com");
        assert_eq!(
            j["transaction"],
            json!({ "type": "WEB", "id": null, "detail": {} })
        );
        assert_eq!(j["debugContext"], json!({ "debugData": {} }));
        assert_eq!(j["securityContext"], json!({}));
        assert_eq!(j["request"], json!({ "ipChain": [] }));
        assert_eq!(
            j["authenticationContext"],
            json!({ "authenticationStep": 0, "externalSessionId": null })
        );
        assert!(j["published"].as_str().unwrap().ends_with('Z'));
    }
}
