//! The integration catalog as this server offers it: the built-in entries (`lanyard_catalog::builtin`) and this
//! org's own (`CatalogStore`), an app made from an entry, the values its setup is rendered with, and each entry's
//! logo — a generated monogram tile, as no vendor's brand assets are shipped.

use std::sync::Arc;

use lanyard_catalog::Entry;
use lanyard_catalog::setup::Values;
use lanyard_core::model::{App, AuthServerKind, LifecycleStatus};

use crate::api::error::ApiError;
use crate::state::AppState;

/// This node's copy of the whole catalog — built-in entries and this org's own, parsed and checked once — in key
/// order, as a [`crate::snapshot::Snapshot`] (this node's changes drop it at once; another node's apply within the
/// keyring's TTL).
pub struct CatalogCache {
    store: Arc<dyn lanyard_core::store::Store>,
    copy: crate::snapshot::Snapshot<Vec<Arc<Entry>>>,
}

impl CatalogCache {
    pub fn new(store: Arc<dyn lanyard_core::store::Store>, ttl: std::time::Duration) -> Self {
        CatalogCache {
            store,
            copy: crate::snapshot::Snapshot::new(ttl),
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
                    out.extend(own.iter().filter_map(private));
                    out.sort_by(|a, b| a.name().cmp(b.name()));
                }
                Ok(out)
            })
            .await?)
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

/// Makes sure the server catalog apps use knows every scope `entry`'s application requests: a custom server gets
/// the ones it lacks ([`lanyard_catalog::instance::scopes_to_add`]); the org server's scopes are fixed, so an entry
/// asking for another is refused with the reason.
pub async fn ensure_scopes(state: &AppState, entry: &Entry) -> Result<(), ApiError> {
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
            None => Ok(()),
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
    let existing = state.store.scopes(&s.id).await?;
    let add = lanyard_catalog::instance::scopes_to_add(
        &entry.manifest,
        &s.id,
        &existing,
        state.clock.now(),
    );
    if !add.is_empty() {
        state.store.insert_scopes_if_absent(&add).await?;
        state.keyring.invalidate(&s.id);
    }
    Ok(())
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

#[cfg(test)]
mod tests {
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
}
