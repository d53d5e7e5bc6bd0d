//! The integration catalog as this server offers it: the built-in entries (`lanyard_catalog::builtin`) and this
//! org's own (`CatalogStore`), an app made from an entry, the values its setup is rendered with, and each entry's
//! logo — a generated monogram tile, as no vendor's brand assets are shipped.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use lanyard_catalog::Entry;
use lanyard_catalog::setup::Values;
use lanyard_core::model::{App, AuthServerKind, LifecycleStatus};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::api::error::ApiError;
use crate::api::openapi::Href;
use crate::state::AppState;

/// Something kept per entry key with the revision it was made from.
type ByKey<T> = HashMap<String, (String, T)>;

/// This node's copy of the whole catalog — built-in entries and this org's own, parsed and checked once — in key
/// order, as a [`crate::snapshot::Snapshot`] (this node's changes drop it at once; another node's apply within the
/// keyring's TTL). A reload parses and checks only the entries whose revision it has not seen: the rest are taken
/// from the copy before, so that a thousand private entries cost one query, not a thousand parses.
pub struct CatalogCache {
    store: Arc<dyn lanyard_core::store::Store>,
    copy: crate::snapshot::Snapshot<Vec<Arc<Entry>>>,
    /// This org's own entries as last parsed, by key: (revision, entry; `None` when it no longer passes).
    parsed: Mutex<ByKey<Option<Arc<Entry>>>>,
    /// Each entry as lists show it, rendered once per revision: by key, (revision, JSON).
    listed: Mutex<ByKey<Arc<str>>>,
}

impl CatalogCache {
    pub fn new(store: Arc<dyn lanyard_core::store::Store>, ttl: std::time::Duration) -> Self {
        CatalogCache {
            store,
            copy: crate::snapshot::Snapshot::new(ttl),
            parsed: Default::default(),
            listed: Default::default(),
        }
    }

    /// An entry was added or removed on this node.
    pub fn invalidate(&self) {
        self.copy.invalidate();
    }

    /// Every entry, in key order.
    pub async fn all(&self) -> Result<Arc<Vec<Arc<Entry>>>, ApiError> {
        Ok(self
            .copy
            .get(|| async {
                let own = self.store.catalog_entries().await?;
                let mut out: Vec<Arc<Entry>> = lanyard_catalog::builtin().to_vec();
                if !own.is_empty() {
                    out.extend(self.parse(&own));
                    out.sort_by(|a, b| a.name().cmp(b.name()));
                }
                Ok(out)
            })
            .await?)
    }

    /// The records as entries: the ones seen before at the same revision from the last parse, the others parsed now.
    /// Keys no longer present are forgotten.
    fn parse(&self, own: &[lanyard_core::store::CatalogEntryRecord]) -> Vec<Arc<Entry>> {
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = HashMap::with_capacity(own.len());
        let mut out = Vec::with_capacity(own.len());
        for r in own {
            let entry = match parsed.remove(&r.name) {
                Some((revision, entry)) if revision == r.revision => entry,
                _ => private(r),
            };
            out.extend(entry.clone());
            next.insert(r.name.clone(), (r.revision.clone(), entry));
        }
        *parsed = next;
        out
    }

    /// `entries` as lists show them, each rendered by `render` the first time its revision is listed and kept (the
    /// rendering depends on nothing but the entry and this node's base URL). A page of 200 then costs copies, not
    /// 200 serializations.
    pub fn listed(
        &self,
        entries: &[Arc<Entry>],
        render: impl Fn(&Entry) -> String,
    ) -> Vec<Arc<str>> {
        let mut listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
        if listed.len() > 4 * lanyard_catalog::builtin().len() + 10_000 {
            // Keys of removed entries pile up only through many adds and removals; start again rather than track.
            listed.clear();
        }
        entries
            .iter()
            .map(|e| match listed.get(e.name()) {
                Some((revision, json)) if *revision == e.revision => json.clone(),
                _ => {
                    let json: Arc<str> = render(e).into();
                    listed.insert(e.name().to_owned(), (e.revision.clone(), json.clone()));
                    json
                }
            })
            .collect()
    }

    /// The entry `name`, built in or this org's own.
    pub async fn entry(&self, name: &str) -> Result<Option<Arc<Entry>>, ApiError> {
        if let Some(e) = lanyard_catalog::builtin_entry(name) {
            return Ok(Some(e.clone()));
        }
        let all = self.all().await?;
        Ok(all
            .binary_search_by(|e| e.name().cmp(name))
            .ok()
            .map(|i| all[i].clone()))
    }
}

/// The entry `name`: built in, or this org's own.
pub async fn entry(state: &AppState, name: &str) -> Result<Option<Arc<Entry>>, ApiError> {
    state.catalog.entry(name).await
}

/// An org's own entry from its record (one that no longer passes the checks is left out).
pub fn private(r: &lanyard_core::store::CatalogEntryRecord) -> Option<Arc<Entry>> {
    match Entry::from_text(&r.manifest, None, false) {
        Ok(e) => Some(Arc::new(e)),
        Err(problems) => {
            tracing::warn!(entry = %r.name, problems = problems.len(), "a private catalog entry no longer passes its checks");
            None
        }
    }
}

/// The authorization server catalog apps sign in with: `default` while it exists and is active (its claims and
/// policies apply, as for any app), else the org server.
pub async fn server(state: &AppState) -> Result<Arc<crate::keyring::Entry>, ApiError> {
    if let Some(e) = state.keyring.entry("default").await?
        && e.server.kind == AuthServerKind::Custom
        && e.server.status == LifecycleStatus::Active
    {
        return Ok(e);
    }
    crate::oauth::org_server(state).await
}

/// The scopes `entry` needs that the catalog apps' authorization server lacks, for the app operation to add
/// (`lanyard_core::apps::instances`); then [`scopes_added`]. Refused when catalog apps fall back to the org server
/// and the entry needs a scope it does not have.
pub async fn scopes_to_add(
    state: &AppState,
    entry: &Entry,
) -> Result<Vec<lanyard_core::model::Scope>, ApiError> {
    let server = server(state).await?;
    let s = &server.server;
    if s.kind == AuthServerKind::Org {
        return match entry
            .manifest
            .client
            .scopes
            .iter()
            .find(|x| !lanyard_core::discovery::ORG_SCOPES.contains(&x.as_str()))
        {
            None => Ok(Vec::new()),
            Some(x) => Err(ApiError::validation(
                "name",
                vec![format!(
                    "name: {} requests the scope {x}, which the org authorization server does not have; \
                     catalog apps use the default authorization server, which is gone or inactive",
                    entry.manifest.display_name
                )],
            )),
        };
    }
    // The scopes this node's copy of the server holds (the keyring's TTL): nothing to add when nothing is missing,
    // which is every app after the first of its kind. Adding is "if absent", so a copy a little behind adds nothing
    // twice.
    Ok(lanyard_catalog::instance::scopes_to_add(
        &entry.manifest,
        &s.id,
        &server.rules.scopes,
        state.clock.now(),
    ))
}

/// Scopes were added to these servers: this node's copies of them are dropped.
pub fn scopes_added(state: &AppState, scopes: &[lanyard_core::model::Scope]) {
    let mut ids: Vec<&str> = scopes.iter().map(|s| s.auth_server_id.as_str()).collect();
    ids.dedup();
    for id in ids {
        state.keyring.invalidate(id);
    }
}

/// The values an app's setup is rendered with; `secret` is the client secret when it may be shown, else the
/// text says where to get one.
pub async fn values(state: &AppState, app: &App, secret: Option<&str>) -> Result<Values, ApiError> {
    let server = server(state).await?;
    let issuer = server.issuer.clone();
    let endpoint_base = server.endpoint_base.clone();
    let client_secret = match (secret, app.client.token_endpoint_auth_method.uses_secret()) {
        (Some(s), _) => s.to_owned(),
        (None, true) => format!(
            "<the client secret: shown once, when the app was made; make a new one with POST /api/v1/apps/{}/credentials/secrets>",
            app.id
        ),
        (None, false) => String::new(),
    };
    let scopes = match entry(state, &app.name).await? {
        Some(e) => e.manifest.client.scopes.clone(),
        None => vec!["openid".into()],
    };
    Ok(Values {
        client_id: app.client.client_id.clone(),
        client_secret,
        issuer,
        endpoint_base,
        redirect_uri: app
            .client
            .redirect_uris
            .first()
            .cloned()
            .unwrap_or_default(),
        scopes,
    })
}

/// An entry's logo: a monogram tile of its display name.
pub fn logo_svg(entry: &Entry) -> String {
    monogram(&entry.manifest.display_name, &entry.manifest.name)
}

/// A monogram tile: the initials of `title` on a colour derived from `seed`, as SVG.
pub fn monogram(title: &str, seed: &str) -> String {
    let words: Vec<&str> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let initials: String = match words.as_slice() {
        [] => "?".into(),
        [one] => one.chars().take(2).collect(),
        [a, b, ..] => a.chars().take(1).chain(b.chars().take(1)).collect(),
    };
    let initials = initials.to_uppercase();
    let digest = lanyard_core::crypto::sha256(seed.as_bytes());
    let hue = (u16::from(digest[0]) << 8 | u16::from(digest[1])) % 360;
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\" viewBox=\"0 0 64 64\" role=\"img\" \
         aria-label=\"{name}\"><rect width=\"64\" height=\"64\" rx=\"12\" fill=\"hsl({hue},55%,38%)\"/>\
         <text x=\"32\" y=\"41\" font-family=\"system-ui,sans-serif\" font-size=\"24\" font-weight=\"600\" \
         text-anchor=\"middle\" fill=\"#fff\">{initials}</text></svg>",
        name = esc(title),
        initials = esc(&initials),
    )
}

/// An SVG logo as an answer: cached for a day, and inert when opened on its own.
pub fn svg_response(svg: String) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut r = svg.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    r
}

/// The setup of `app` — what `GET /api/v1/apps/{id}/setup` answers and the admin console shows (`None` when it was not made from the catalog, or its entry is gone); `secret` is a client
/// secret just minted.
pub async fn setup(
    state: &AppState,
    app: &App,
    secret: Option<&str>,
) -> Result<Option<Value>, ApiError> {
    Ok(setup_body(state, app, secret)
        .await?
        .map(|s| serde_json::to_value(s).unwrap_or_default()))
}

/// The setup of an app made from the catalog: what `setup_body` sends.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AppSetup")]
pub struct SetupBody {
    /// The catalog entry's name.
    pub name: String,
    pub display_name: String,
    /// The entry's revision the app was made from.
    pub revision: String,
    /// Whether that is the entry's current revision (a PUT of the app re-makes it from the current one).
    pub up_to_date: bool,
    /// Every value the setup uses, by name: the client's (`client_id`, `issuer`, ...) and the variables the app
    /// was made with.
    pub values: BTreeMap<String, String>,
    pub snippets: Vec<SetupSnippet>,
    /// The steps to follow, in Markdown.
    pub guide: String,
    #[serde(rename = "_links")]
    pub links: SetupLinks,
}

/// One deployment style's snippet of a setup.
#[derive(Serialize, JsonSchema)]
pub struct SetupSnippet {
    pub style: String,
    pub title: String,
    /// Where it goes, when it is a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub language: String,
    pub content: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetupLinks {
    #[serde(rename = "self")]
    pub this: Href,
    pub app: Href,
    pub catalog_app: Href,
}

/// [`setup`], typed.
pub async fn setup_body(
    state: &AppState,
    app: &App,
    secret: Option<&str>,
) -> Result<Option<SetupBody>, ApiError> {
    let Some(made) = &app.client.catalog else {
        return Ok(None);
    };
    let Some(entry) = crate::catalog::entry(state, &app.name).await? else {
        return Ok(None);
    };
    let values = crate::catalog::values(state, app, secret).await?;
    let rendered = lanyard_catalog::setup::render(&entry.manifest, &made.variables, &values)
        .map_err(|p| ApiError::internal(format!("catalog entry {}: {p}", entry.name())))?;
    let mut all = BTreeMap::new();
    for (k, v) in values.all() {
        all.insert(k.to_owned(), v);
    }
    for (k, v) in &made.variables {
        all.insert(k.clone(), v.clone());
    }
    let base = &state.config.base_url;
    let href = format!("{base}/api/v1/apps/{}", app.id);
    Ok(Some(SetupBody {
        name: entry.name().to_owned(),
        display_name: entry.manifest.display_name.clone(),
        revision: made.revision.clone(),
        up_to_date: made.revision == entry.revision,
        values: all,
        snippets: rendered
            .snippets
            .into_iter()
            .map(|s| SetupSnippet {
                style: s.style,
                title: s.title,
                file: s.file,
                language: s.language,
                content: s.content,
            })
            .collect(),
        guide: rendered.guide,
        links: SetupLinks {
            this: Href::new(format!("{href}/setup")),
            catalog_app: Href::new(format!("{base}/api/v1/catalog/apps/{}", entry.name())),
            app: Href::new(href),
        },
    }))
}

#[cfg(test)]
mod tests {
    use lanyard_core::store::memory::MemoryStore;
    use lanyard_core::store::{CatalogEntryRecord, CatalogStore, Store};

    use super::*;

    #[test]
    fn logos_are_monograms_of_the_display_name() {
        let grafana = lanyard_catalog::builtin_entry("grafana").unwrap();
        let svg = logo_svg(grafana);
        assert!(
            svg.starts_with("<svg") && svg.contains(">GR</text>"),
            "{svg}"
        );
        assert!(svg.contains("aria-label=\"Grafana\""));
        let argo = lanyard_catalog::builtin_entry("argocd").unwrap();
        let svg2 = logo_svg(argo);
        assert_ne!(svg, svg2);
    }

    /// A private entry: grafana's manifest under another key.
    fn record(name: &str, description: &str) -> CatalogEntryRecord {
        let grafana = lanyard_catalog::builtin_entry("grafana").expect("grafana");
        let mut renamed = false;
        let mut described = false;
        let text: String = grafana
            .text
            .lines()
            .map(|l| {
                if !renamed && l.starts_with("name = ") {
                    renamed = true;
                    format!("name = \"{name}\"\n")
                } else if !described && l.starts_with("description = ") {
                    described = true;
                    format!("description = \"{description}\"\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let entry = Entry::from_text(&text, None, false).expect("a valid private entry");
        CatalogEntryRecord {
            name: name.into(),
            manifest: text,
            revision: entry.revision.clone(),
            created: chrono::DateTime::UNIX_EPOCH,
            created_by: "test".into(),
        }
    }

    #[tokio::test]
    async fn a_reload_parses_only_the_entries_it_has_not_seen() {
        let store = Arc::new(MemoryStore::new());
        let cache = CatalogCache::new(
            store.clone() as Arc<dyn Store>,
            std::time::Duration::from_secs(60),
        );
        store
            .insert_catalog_entry(&record("acme_one", "One"))
            .await
            .unwrap();
        store
            .insert_catalog_entry(&record("acme_two", "Two"))
            .await
            .unwrap();
        let find = |all: &[Arc<Entry>], name: &str| {
            all.iter().find(|e| e.name() == name).cloned().unwrap()
        };
        let first = cache.all().await.unwrap();
        assert_eq!(first.len(), lanyard_catalog::builtin().len() + 2);

        store.delete_catalog_entry("acme_two").await.unwrap();
        store
            .insert_catalog_entry(&record("acme_two", "Two, changed"))
            .await
            .unwrap();
        cache.invalidate();
        let second = cache.all().await.unwrap();
        assert!(
            Arc::ptr_eq(&find(&first, "acme_one"), &find(&second, "acme_one")),
            "an unchanged entry is not parsed again"
        );
        assert_eq!(
            find(&second, "acme_two").manifest.description,
            "Two, changed"
        );

        store.delete_catalog_entry("acme_one").await.unwrap();
        cache.invalidate();
        let third = cache.all().await.unwrap();
        assert!(third.iter().all(|e| e.name() != "acme_one"));
        assert_eq!(
            cache.parsed.lock().unwrap().len(),
            1,
            "a removed key is forgotten"
        );
    }

    #[tokio::test]
    async fn a_listing_is_rendered_once_per_revision() {
        let store = Arc::new(MemoryStore::new());
        let cache = CatalogCache::new(
            store.clone() as Arc<dyn Store>,
            std::time::Duration::from_secs(60),
        );
        store
            .insert_catalog_entry(&record("acme_one", "One"))
            .await
            .unwrap();
        let renders = std::sync::atomic::AtomicUsize::new(0);
        let render = |e: &Entry| {
            renders.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            format!("{}:{}", e.name(), e.manifest.description)
        };
        let one = |all: &[Arc<Entry>]| {
            all.iter()
                .filter(|e| e.name() == "acme_one")
                .cloned()
                .collect::<Vec<_>>()
        };
        let all = cache.all().await.unwrap();
        assert_eq!(&*cache.listed(&one(&all), render)[0], "acme_one:One");
        assert_eq!(&*cache.listed(&one(&all), render)[0], "acme_one:One");
        assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 1, "kept");

        store.delete_catalog_entry("acme_one").await.unwrap();
        store
            .insert_catalog_entry(&record("acme_one", "One, changed"))
            .await
            .unwrap();
        cache.invalidate();
        let all = cache.all().await.unwrap();
        assert_eq!(
            &*cache.listed(&one(&all), render)[0],
            "acme_one:One, changed",
            "a new revision is rendered anew"
        );
    }
}
