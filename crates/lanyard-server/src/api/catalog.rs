//! `/api/v1/catalog/apps`: the integration catalog — list (`q`, `category`, `signOnMode`, `limit`, `after`, Okta's
//! `Link` headers), read one entry (`/{name}`) and its manifest (`/{name}/manifest`, TOML), add this org's own entry
//! from a manifest (`POST`, validated like the built-in ones; usable at once, exportable to contribute upstream) and
//! remove it (`DELETE`; built-in entries stay). Each entry's logo is public at `/catalog/apps/{name}/logo.svg`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use lanyard_catalog::Entry;
use lanyard_catalog::manifest::line_of;
use lanyard_core::catalog_entries::{self, EntryRefused, NewEntry};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::ApiPrincipal;
use super::error::{ApiError, OktaCode};
use super::pagination::{PageQuery, link_headers};
use crate::api::openapi::{Object, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/catalog/apps",
            list,
            doc().query::<ListQuery>().list::<Object>(),
        )
        .post(
            "/catalog/apps",
            create,
            // The manifest's TOML as the body, or `{"manifest": "<TOML>"}`.
            doc()
                .text_body("application/toml")
                .body::<Object>()
                .created::<Object>(),
        )
        .get("/catalog/apps/{name}", read, doc().ok::<Object>())
        .delete("/catalog/apps/{name}", delete, doc().no_content())
        .get(
            "/catalog/apps/{name}/manifest",
            manifest,
            doc().text("application/toml"),
        )
}

/// The public logo route, outside the API (a dashboard shows it to users without an API token).
pub fn public_routes() -> Router<AppState> {
    Router::new().route("/catalog/apps/{name}/logo.svg", get(logo))
}

/// An entry as lists show it (Okta's camelCase), serialized straight from the entry: a page of 200 would otherwise
/// build, serialize and drop a tree of some 7,000 JSON values. The fields are in key order, as a
/// [`serde_json::Value`] object (a sorted map) writes them.
#[derive(Serialize)]
struct Summary<'a> {
    #[serde(rename = "_links")]
    links: Links,
    #[serde(rename = "builtIn")]
    builtin: bool,
    category: &'a str,
    description: &'a str,
    #[serde(rename = "displayName")]
    display_name: &'a str,
    name: &'a str,
    revision: &'a str,
    #[serde(rename = "signOnModes")]
    sign_on_modes: &'a [String],
    support: &'static str,
    variables: Vec<Variable<'a>>,
    #[serde(rename = "verifiedVersion")]
    verified_version: &'a str,
    website: &'a str,
}

#[derive(Serialize)]
struct Links {
    logo: Link,
    manifest: Link,
    #[serde(rename = "self")]
    this: Link,
}

#[derive(Serialize)]
struct Link {
    href: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    media_type: Option<&'static str>,
}

#[derive(Serialize)]
struct Variable<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<&'a str>,
    description: &'a str,
    example: &'a str,
    label: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<&'a str>,
    required: bool,
    #[serde(rename = "type")]
    kind: lanyard_catalog::manifest::VarType,
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<&'a [String]>,
}

fn summary<'a>(e: &'a Entry, base: &str) -> Summary<'a> {
    let m = &e.manifest;
    let href = format!("{base}/api/v1/catalog/apps/{}", e.name());
    Summary {
        links: Links {
            logo: Link {
                href: format!("{base}/catalog/apps/{}/logo.svg", e.name()),
                media_type: Some("image/svg+xml"),
            },
            manifest: Link {
                href: format!("{href}/manifest"),
                media_type: Some("application/toml"),
            },
            this: Link {
                href,
                media_type: None,
            },
        },
        builtin: e.builtin,
        category: &m.category,
        description: &m.description,
        display_name: &m.display_name,
        name: &m.name,
        revision: &e.revision,
        sign_on_modes: &m.sign_on_modes,
        support: m.support.as_str(),
        variables: m
            .variables
            .iter()
            .map(|v| Variable {
                default: v.default.as_deref(),
                description: &v.description,
                example: &v.example,
                label: &v.label,
                name: &v.name,
                pattern: v.pattern.as_deref(),
                required: v.required,
                kind: v.kind,
                values: v.values.as_deref(),
            })
            .collect(),
        verified_version: &m.verified.version,
        website: &m.website,
    }
}

/// The whole entry.
fn full(e: &Entry, base: &str) -> Value {
    let m = &e.manifest;
    let c = &m.client;
    let mut v = serde_json::to_value(summary(e, base)).unwrap_or(Value::Null);
    v["verified"] = json!({
        "version": m.verified.version,
        "docs": m.verified.docs,
        "source": m.verified.source,
        "notes": m.verified.notes,
    });
    v["client"] = json!({
        "applicationType": c.application_type,
        "redirectUris": c.redirect_uris,
        "postLogoutRedirectUris": c.post_logout_redirect_uris,
        "initiateLoginUri": c.initiate_login_uri,
        "grantTypes": c.grant_types,
        "scopes": c.scopes,
        "pkce": c.pkce.as_str(),
        "authMethods": c.auth_methods,
        "idTokenAlgs": c.id_token_algs,
        "refreshTokens": c.refresh_tokens,
        "backchannelLogoutUri": c.backchannel_logout_uri,
        "fixedClientId": c.fixed_client_id,
        // What an app made from this entry gets: the strongest of what it supports.
        "tokenEndpointAuthMethod": lanyard_catalog::instance::strongest_auth(m),
        "idTokenSignedResponseAlg": lanyard_catalog::instance::id_token_alg(m),
        "pkceRequired": c.pkce != lanyard_catalog::manifest::Pkce::Unsupported,
    });
    v["claims"] = Value::Array(
        m.claims
            .iter()
            .map(|c| json!({"name": c.name, "value": c.value, "in": c.targets, "scope": c.scope}))
            .collect(),
    );
    v["setup"] = Value::Array(
        m.setup
            .iter()
            .map(|s| json!({"style": s.style, "title": s.title, "file": s.file, "language": s.language}))
            .collect(),
    );
    v["guide"] = json!(m.guide);
    v
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    category: Option<String>,
    #[serde(rename = "signOnMode")]
    sign_on_mode: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let req = q.page.to_request(20, 200)?;
    if let Some(c) = &q.category
        && !lanyard_catalog::manifest::CATEGORIES.contains(&c.as_str())
    {
        return Err(ApiError::validation(
            "category",
            vec![format!(
                "category: must be one of {}",
                lanyard_catalog::manifest::CATEGORIES.join(", ")
            )],
        ));
    }
    let query = lanyard_catalog::Query {
        q: q.q.filter(|s| !s.trim().is_empty()),
        category: q.category,
        sign_on_mode: q.sign_on_mode,
    };
    let all = state.catalog.all().await?;
    // The copy is in key order: the page starts after the cursor, found by halving rather than by comparing every
    // key before it.
    let from = req
        .after
        .as_deref()
        .map_or(0, |a| all.partition_point(|e| e.name() <= a));
    let (entries, more) = lanyard_catalog::page(&all[from..], &query, None, req.limit as usize);
    let next = more
        .then(|| entries.last().map(|e| e.name().to_owned()))
        .flatten();
    let base = &state.config.base_url;
    let listed = state.catalog.listed(&entries, |e| {
        serde_json::to_string(&summary(e, base)).unwrap_or_else(|_| "null".into())
    });
    let mut body = String::with_capacity(2 + listed.iter().map(|j| j.len() + 1).sum::<usize>());
    body.push('[');
    for (i, json) in listed.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(json);
    }
    body.push(']');
    Ok((
        link_headers(base, uri.path(), uri.query(), next.as_deref()),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

async fn find(state: &AppState, name: &str) -> Result<Arc<Entry>, ApiError> {
    state
        .catalog
        .entry(name)
        .await?
        .ok_or_else(|| ApiError::not_found(name, "CatalogApp"))
}

async fn read(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let e = find(&state, &name).await?;
    Ok(Json(full(&e, &state.config.base_url)))
}

async fn manifest(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let e = find(&state, &name).await?;
    let mut r = e.text.clone().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/toml; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}.toml\"", e.name())) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// The manifest a `POST` carries: the body itself (TOML), or `{"manifest": "<TOML>"}`.
fn manifest_text(headers: &HeaderMap, body: &[u8]) -> Result<String, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::malformed_body("the manifest is not UTF-8"))?;
    if !json {
        return Ok(text.to_owned());
    }
    let v: Value = super::extract::parse(body)?;
    v.get("manifest")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::validation(
                "manifest",
                vec!["manifest: the manifest's TOML text is required".into()],
            )
        })
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Extension(me): Extension<ApiPrincipal>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let text = manifest_text(&headers, &body)?;
    let entry = Entry::from_text(&text, None, false).map_err(|problems| {
        let causes = problems
            .iter()
            .map(|p| match line_of(&text, &p.path) {
                Some(l) if !p.path.starts_with("line ") => format!("line {l}: {p}"),
                _ => p.to_string(),
            })
            .collect();
        ApiError::validation("manifest", causes)
    })?;
    let taken = state.catalog.entry(entry.name()).await?.is_some();
    let by = me.user_id.clone().unwrap_or_else(|| me.token_id.clone());
    let new = NewEntry {
        name: entry.name(),
        text: &text,
        revision: &entry.revision,
    };
    let record = catalog_entries::add(state.store.as_ref(), new, taken, &by, state.clock.now())
        .await
        .map_err(entry_refused)?;
    state.catalog.invalidate();
    let target = lanyard_core::syslog::Party::new(
        &record.name,
        "CatalogApp",
        &record.name,
        &entry.manifest.display_name,
    );
    state.syslog.record(
        audit
            .event(
                &state,
                "application.catalog.create",
                "Add catalog integration",
            )
            .target(target),
    );
    Ok((
        StatusCode::CREATED,
        Json(full(&entry, &state.config.base_url)),
    ))
}

/// A refused addition or removal, in Okta's terms.
fn entry_refused(e: EntryRefused) -> ApiError {
    match e {
        EntryRefused::Taken(name) => ApiError::validation(
            "name",
            vec![format!(
                "name: {name} is already in the catalog; choose another key"
            )],
        ),
        EntryRefused::BuiltIn(_) => ApiError::of(OktaCode::Forbidden)
            .with_detail("built-in catalog entries cannot be removed"),
        EntryRefused::NotFound(name) => ApiError::not_found(&name, "CatalogApp"),
        EntryRefused::Store(e) => e.into(),
    }
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let e = find(&state, &name).await?;
    catalog_entries::remove(state.store.as_ref(), &name, e.builtin)
        .await
        .map_err(entry_refused)?;
    state.catalog.invalidate();
    let target =
        lanyard_core::syslog::Party::new(&name, "CatalogApp", &name, &e.manifest.display_name);
    state.syslog.record(
        audit
            .event(
                &state,
                "application.catalog.delete",
                "Remove catalog integration",
            )
            .target(target),
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn logo(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match state.catalog.entry(&name).await {
        Ok(Some(e)) => crate::catalog::svg_response(crate::catalog::logo_svg(&e)),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
