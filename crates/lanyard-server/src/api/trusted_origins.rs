//! `/api/v1/trustedOrigins`: Okta's Trusted Origins — create, list (`q`, `filter`, `limit`, `after`), read, replace,
//! delete, `lifecycle/activate` and `lifecycle/deactivate`. What an origin allows is `lanyard_core::trusted_origins`;
//! every change drops this node's copy of the browser origins ([`crate::cors`]) and is logged.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use lanyard_core::clock::okta_format;
use lanyard_core::model::{LifecycleStatus, Page, TrustedOrigin};
use lanyard_core::syslog::Party;
use lanyard_core::trusted_origins::{self as trusted, Change, Refused};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::ApiPrincipal;
use super::error::ApiError;
use super::extract::OktaJson;
use super::pagination::{PageQuery, list_response};
use crate::api::openapi::{HintedHref, Object, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/trustedOrigins",
            list,
            doc().query::<ListQuery>().list::<OriginBody>(),
        )
        .post(
            "/trustedOrigins",
            create,
            doc().body::<Object>().ok::<OriginBody>(),
        )
        .get("/trustedOrigins/{id}", read, doc().ok::<OriginBody>())
        .put(
            "/trustedOrigins/{id}",
            replace,
            doc().body::<Object>().ok::<OriginBody>(),
        )
        .delete("/trustedOrigins/{id}", delete, doc().no_content())
        .post(
            "/trustedOrigins/{id}/lifecycle/{op}",
            lifecycle,
            doc().ok::<OriginBody>(),
        )
}

/// A trusted origin in Okta's shape: what `origin_json` sends, and its schema.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "TrustedOrigin")]
pub struct OriginBody {
    id: String,
    name: String,
    origin: String,
    scopes: Vec<OriginScope>,
    #[schemars(extend("enum" = ["ACTIVE", "INACTIVE"]))]
    status: &'static str,
    created: String,
    created_by: String,
    last_updated: String,
    last_updated_by: String,
    #[serde(rename = "_links")]
    links: OriginLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct OriginScope {
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["CORS", "REDIRECT"]))]
    scope_type: &'static str,
}

/// `self`, and the lifecycle operation the status allows (`deactivate` when active, `activate` when not).
#[derive(Serialize, JsonSchema)]
pub struct OriginLinks {
    #[serde(rename = "self")]
    this: HintedHref,
    #[serde(skip_serializing_if = "Option::is_none")]
    activate: Option<HintedHref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deactivate: Option<HintedHref>,
}

/// A trusted origin in Okta's shape.
fn origin_json(t: &TrustedOrigin, base: &str) -> Value {
    let href = format!("{base}/api/v1/trustedOrigins/{}", t.id);
    let mut scopes = Vec::new();
    if t.cors {
        scopes.push(OriginScope { scope_type: "CORS" });
    }
    if t.redirect {
        scopes.push(OriginScope {
            scope_type: "REDIRECT",
        });
    }
    let flip = |op: &str| Some(HintedHref::new(format!("{href}/lifecycle/{op}"), &["POST"]));
    let (activate, deactivate) = match t.status {
        LifecycleStatus::Active => (None, flip("deactivate")),
        LifecycleStatus::Inactive => (flip("activate"), None),
    };
    let body = OriginBody {
        id: t.id.clone(),
        name: t.name.clone(),
        origin: t.origin.clone(),
        scopes,
        status: t.status.as_str(),
        created: okta_format(t.created),
        created_by: t.created_by.clone(),
        last_updated: okta_format(t.last_updated),
        last_updated_by: t.last_updated_by.clone(),
        links: OriginLinks {
            this: HintedHref::new(href.clone(), &["GET", "PUT", "DELETE"]),
            activate,
            deactivate,
        },
    };
    serde_json::to_value(body).unwrap_or_default()
}

fn refused(e: Refused, id: &str) -> ApiError {
    match e {
        Refused::Invalid(invalid) => super::invalid(invalid),
        Refused::NotFound => ApiError::not_found(id, "TrustedOrigin"),
        Refused::Taken => ApiError::validation(
            "origin",
            vec![
                "origin: An object with this field already exists in the current organization"
                    .into(),
            ],
        ),
        Refused::Store(e) => e.into(),
    }
}

/// Who makes a change: the API token's user, else the token.
fn change<'a>(state: &AppState, me: &'a ApiPrincipal) -> Change<'a> {
    Change {
        by: me.user_id.as_deref().unwrap_or(&me.token_id),
        now: state.clock.now(),
    }
}

fn target(t: &TrustedOrigin) -> Party {
    Party::new(&t.id, "TrustedOrigin", &t.origin, &t.name)
}

/// Drops this node's copy of the browser origins and logs the change.
fn changed(state: &AppState, audit: &Audit, t: &TrustedOrigin, event: &str, message: &str) {
    state.origins.invalidate();
    state
        .syslog
        .record(audit.event(state, event, message).target(target(t)));
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    filter: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// A list filter Okta's clients send: `name eq "…"`, `origin eq "…"` or `status eq "ACTIVE"|"INACTIVE"`.
fn filter(expr: &str) -> Result<impl Fn(&TrustedOrigin) -> bool, ApiError> {
    let bad = || {
        ApiError::validation(
            "filter",
            vec![format!(
                "filter: must be name, origin or status eq \"value\", not {expr:?}"
            )],
        )
    };
    let mut parts = expr.trim().splitn(3, ' ');
    let (Some(attr), Some("eq"), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let value = value
        .trim()
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(bad)?
        .to_owned();
    let attr = match attr {
        "name" | "origin" | "status" => attr.to_owned(),
        _ => return Err(bad()),
    };
    Ok(move |t: &TrustedOrigin| match attr.as_str() {
        "name" => t.name == value,
        "origin" => t.origin == value,
        _ => t.status.as_str() == value,
    })
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let req = q.page.to_request(20, 200)?;
    let keep = match q.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(f) => Some(filter(f)?),
        None => None,
    };
    let needle = q.q.as_deref().map(str::to_lowercase).unwrap_or_default();
    // Few: all of them, filtered and paged here in id order.
    let rows: Vec<TrustedOrigin> = state
        .store
        .trusted_origins()
        .await?
        .into_iter()
        .filter(|t| req.after.as_ref().is_none_or(|a| t.id > *a))
        .filter(|t| {
            needle.is_empty()
                || t.name.to_lowercase().contains(&needle)
                || t.origin.contains(&needle)
        })
        .filter(|t| keep.as_ref().is_none_or(|k| k(t)))
        .take(req.limit as usize + 1)
        .collect();
    let page = Page::from_overfetch(rows, req.limit, |t| t.id.clone());
    let base = &state.config.base_url;
    let body = page.items.iter().map(|t| origin_json(t, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Extension(me): Extension<ApiPrincipal>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let t = trusted::create(
        state.store.as_ref(),
        state.random.as_ref(),
        change(&state, &me),
        &body,
    )
    .await
    .map_err(|e| refused(e, ""))?;
    changed(
        &state,
        &audit,
        &t,
        "security.trusted_origin.create",
        "Create trusted origin",
    );
    Ok(Json(origin_json(&t, &state.config.base_url)))
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let t = state
        .store
        .trusted_origin(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(&id, "TrustedOrigin"))?;
    Ok(Json(origin_json(&t, &state.config.base_url)))
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Extension(me): Extension<ApiPrincipal>,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let t = trusted::replace(state.store.as_ref(), change(&state, &me), &id, &body)
        .await
        .map_err(|e| refused(e, &id))?;
    changed(
        &state,
        &audit,
        &t,
        "security.trusted_origin.update",
        "Update trusted origin",
    );
    Ok(Json(origin_json(&t, &state.config.base_url)))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let t = state
        .store
        .trusted_origin(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(&id, "TrustedOrigin"))?;
    trusted::delete(state.store.as_ref(), &id)
        .await
        .map_err(|e| refused(e, &id))?;
    changed(
        &state,
        &audit,
        &t,
        "security.trusted_origin.delete",
        "Delete trusted origin",
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn lifecycle(
    State(state): State<AppState>,
    audit: Audit,
    Extension(me): Extension<ApiPrincipal>,
    Path((id, op)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (status, event, message) = match op.as_str() {
        "activate" => (
            LifecycleStatus::Active,
            "security.trusted_origin.activate",
            "Activate trusted origin",
        ),
        "deactivate" => (
            LifecycleStatus::Inactive,
            "security.trusted_origin.deactivate",
            "Deactivate trusted origin",
        ),
        _ => return Err(ApiError::not_found_path(&format!("lifecycle/{op}"))),
    };
    let t = trusted::set_status(state.store.as_ref(), change(&state, &me), &id, status)
        .await
        .map_err(|e| refused(e, &id))?;
    changed(&state, &audit, &t, event, message);
    Ok(Json(origin_json(&t, &state.config.base_url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_filters_are_okta_s_eq_expressions() {
        let t = TrustedOrigin {
            id: "tos1".into(),
            name: "SPA".into(),
            origin: "https://spa.example".into(),
            cors: true,
            redirect: false,
            status: LifecycleStatus::Active,
            created: lanyard_core::clock::from_millis(0),
            created_by: "u".into(),
            last_updated: lanyard_core::clock::from_millis(0),
            last_updated_by: "u".into(),
        };
        assert!(filter("name eq \"SPA\"").unwrap()(&t));
        assert!(filter("origin eq \"https://spa.example\"").unwrap()(&t));
        assert!(filter("status eq \"ACTIVE\"").unwrap()(&t));
        assert!(!filter("status eq \"INACTIVE\"").unwrap()(&t));
        for bad in ["name sw \"S\"", "id eq \"x\"", "name eq SPA", "name"] {
            assert!(filter(bad).is_err(), "{bad}");
        }
    }
}
