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
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
            doc().query::<ListQuery>().list::<Summary>(),
        )
        .post(
            "/catalog/apps",
            create,
            // The manifest's TOML as the body, or `{"manifest": "<TOML>"}`.
            doc()
                .text_body("application/toml")
                .body::<Object>()
                .created::<Full>(),
        )
        .get("/catalog/apps/{name}", read, doc().ok::<Full>())
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
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CatalogAppSummary")]
pub struct Summary<'a> {
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
    #[schemars(extend("enum" = ["simulated", "proven"]))]
    support: &'static str,
    variables: Vec<Variable<'a>>,
    #[serde(rename = "verifiedVersion")]
    verified_version: &'a str,
    website: &'a str,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CatalogAppLinks")]
pub struct Links {
    logo: Link,
    manifest: Link,
    #[serde(rename = "self")]
    this: Link,
}

/// A link with its media type, when it is not JSON.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CatalogAppLink")]
pub struct Link {
    href: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    media_type: Option<&'static str>,
}

/// A variable an app made from the entry is given.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CatalogAppVariable")]
pub struct Variable<'a> {
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
    #[schemars(with = "String", extend("enum" = ["url", "hostname", "string", "enum"]))]
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

/// A whole entry (`GET /catalog/apps/{name}`, and the `POST` that adds one): the summary, the verification, the
/// client an app made from it gets, its claims, its setup's styles and its guide.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CatalogApp")]
pub struct Full<'a> {
    #[serde(flatten)]
    summary: Summary<'a>,
    verified: FullVerified<'a>,
    client: FullClient<'a>,
    claims: Vec<FullClaim<'a>>,
    setup: Vec<FullSetup<'a>>,
    /// The steps to follow, in Markdown (a template).
    guide: &'a str,
}

/// The version the entry was verified against, and where.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CatalogAppVerified")]
pub struct FullVerified<'a> {
    version: &'a str,
    docs: &'a str,
    source: Option<&'a str>,
    notes: &'a str,
}

/// The client an app made from the entry gets.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CatalogAppClient")]
pub struct FullClient<'a> {
    application_type: &'a str,
    redirect_uris: &'a [String],
    post_logout_redirect_uris: &'a [String],
    initiate_login_uri: Option<&'a str>,
    grant_types: &'a [String],
    scopes: &'a [String],
    #[schemars(extend("enum" = ["required", "supported", "unsupported"]))]
    pkce: &'static str,
    auth_methods: &'a [String],
    id_token_algs: &'a [String],
    refresh_tokens: bool,
    backchannel_logout_uri: Option<&'a str>,
    fixed_client_id: Option<&'a str>,
    /// What an app made from this entry gets: the strongest of what it supports.
    token_endpoint_auth_method: &'static str,
    id_token_signed_response_alg: &'static str,
    pkce_required: bool,
}

/// A claim an app made from the entry puts in its tokens.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CatalogAppClaim")]
pub struct FullClaim<'a> {
    name: &'a str,
    value: &'a str,
    /// The tokens it goes in.
    #[serde(rename = "in")]
    targets: &'a [String],
    scope: Option<&'a str>,
}

/// A deployment style of the entry's setup.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CatalogAppSetupStyle")]
pub struct FullSetup<'a> {
    style: &'a str,
    title: &'a str,
    file: Option<&'a str>,
    language: &'a str,
}

/// The whole entry.
fn full<'a>(e: &'a Entry, base: &str) -> Full<'a> {
    let m = &e.manifest;
    let c = &m.client;
    Full {
        summary: summary(e, base),
        verified: FullVerified {
            version: &m.verified.version,
            docs: &m.verified.docs,
            source: m.verified.source.as_deref(),
            notes: &m.verified.notes,
        },
        client: FullClient {
            application_type: &c.application_type,
            redirect_uris: &c.redirect_uris,
            post_logout_redirect_uris: &c.post_logout_redirect_uris,
            initiate_login_uri: c.initiate_login_uri.as_deref(),
            grant_types: &c.grant_types,
            scopes: &c.scopes,
            pkce: c.pkce.as_str(),
            auth_methods: &c.auth_methods,
            id_token_algs: &c.id_token_algs,
            refresh_tokens: c.refresh_tokens,
            backchannel_logout_uri: c.backchannel_logout_uri.as_deref(),
            fixed_client_id: c.fixed_client_id.as_deref(),
            token_endpoint_auth_method: lanyard_catalog::instance::strongest_auth(m),
            id_token_signed_response_alg: lanyard_catalog::instance::id_token_alg(m),
            pkce_required: c.pkce != lanyard_catalog::manifest::Pkce::Unsupported,
        },
        claims: m
            .claims
            .iter()
            .map(|c| FullClaim {
                name: &c.name,
                value: &c.value,
                targets: &c.targets,
                scope: c.scope.as_deref(),
            })
            .collect(),
        setup: m
            .setup
            .iter()
            .map(|s| FullSetup {
                style: &s.style,
                title: &s.title,
                file: s.file.as_deref(),
                language: &s.language,
            })
            .collect(),
        guide: &m.guide,
    }
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
) -> Result<Response, ApiError> {
    let e = find(&state, &name).await?;
    Ok(Json(full(&e, &state.config.base_url)).into_response())
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
) -> Result<Response, ApiError> {
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
    )
        .into_response())
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
