//! The operations `apply` and `export` call: the management API's own, through an [`Operations`] door.
//!
//! [`InProcess`] sends each operation to the server's router in this process (tower's `oneshot`), authenticated by
//! a short-lived API token minted for the run, so every validation, default and side effect — the system log, this
//! node's caches, key generation for a new authorization server — is exactly the API's, and follows the API as its
//! rules move into the core. A door to a running node over HTTP would implement the same trait.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, header};
use http_body_util::BodyExt;
use lanyard_core::clock::Clock;
use serde_json::Value;
use tower::ServiceExt;

/// An answer: the status, the JSON body (`null` when empty) and, for lists, the next page's path.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub next: Option<String>,
}

/// The management API's operations, by method and path under `/api/v1`.
pub trait Operations: Clone + Send + Sync + 'static {
    fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> impl Future<Output = anyhow::Result<Reply>> + Send;
}

/// Calls an operation that must succeed; a refusal becomes an error naming `what` and the API's causes.
pub async fn must<O: Operations>(
    ops: &O,
    what: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let r = ops.call(method, path, body).await?;
    if (200..300).contains(&r.status) {
        return Ok(r.body);
    }
    let mut message = r.body["errorSummary"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {}", r.status));
    if let Some(causes) = r.body["errorCauses"].as_array() {
        for c in causes {
            if let Some(s) = c["errorSummary"].as_str() {
                message.push_str("; ");
                message.push_str(s);
            }
        }
    }
    bail!("{what}: {message}")
}

/// Every item of a list, page after page.
pub async fn list_all<O: Operations>(ops: &O, path: &str) -> anyhow::Result<Vec<Value>> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut next = Some(format!("{path}{sep}limit=200"));
    let mut out = Vec::new();
    while let Some(p) = next.take() {
        let r = ops.call(Method::GET, &p, None).await?;
        if r.status != 200 {
            bail!("GET {p}: HTTP {}: {}", r.status, r.body);
        }
        match r.body {
            Value::Array(items) => out.extend(items),
            other => bail!("GET {p}: expected a list, got {other}"),
        }
        next = r.next;
    }
    Ok(out)
}

/// The management API of this process's router.
#[derive(Clone)]
pub struct InProcess {
    router: Router,
    token: std::sync::Arc<str>,
}

/// The API token an in-process run acts with: minted for the run, revoked when it ends.
pub struct RunToken {
    pub id: String,
    pub secret: String,
}

impl RunToken {
    /// Mints a token named `name`, valid for an hour at most.
    pub async fn mint(
        store: &dyn lanyard_core::store::Store,
        name: &str,
    ) -> anyhow::Result<RunToken> {
        let now = lanyard_core::clock::SystemClock.now();
        let (secret, record) = lanyard_core::api_token::mint(
            name,
            None,
            Some(chrono::Duration::hours(1)),
            &lanyard_core::random::SystemRandom,
            now,
        );
        store
            .insert_api_token(&record)
            .await
            .context("cannot mint the run's API token")?;
        Ok(RunToken {
            id: record.id,
            secret: secret.expose().to_owned(),
        })
    }

    pub async fn revoke(self, store: &dyn lanyard_core::store::Store) -> anyhow::Result<()> {
        store.delete_api_token(&self.id).await?;
        Ok(())
    }
}

impl std::fmt::Debug for RunToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunToken({})", self.id)
    }
}

impl InProcess {
    pub fn new(router: Router, token: &RunToken) -> Self {
        InProcess {
            router,
            token: token.secret.as_str().into(),
        }
    }
}

impl Operations for InProcess {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Reply> {
        let uri = format!("/api/v1{path}");
        let body = match body {
            Some(v) => Body::from(serde_json::to_vec(&v)?),
            None => Body::empty(),
        };
        let req = Request::builder()
            .method(method.clone())
            .uri(&uri)
            .header(header::AUTHORIZATION, format!("SSWS {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 0))))
            .body(body)
            .with_context(|| format!("{method} {uri}"))?;
        let resp = match self.router.clone().oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = resp.status().as_u16();
        let next = resp
            .headers()
            .get_all(header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(next_link);
        let bytes = resp
            .into_body()
            .collect()
            .await
            .with_context(|| format!("{method} {uri}: reading the answer"))?
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Reply { status, body, next })
    }
}

/// The path under `/api/v1` of a `Link: <…>; rel="next"` header.
fn next_link(value: &str) -> Option<String> {
    value.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        if !rel.contains("rel=\"next\"") {
            return None;
        }
        let url = url.trim().trim_start_matches('<').trim_end_matches('>');
        let at = url.find("/api/v1/")?;
        Some(url[at + "/api/v1".len()..].to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_read_from_the_link_header() {
        assert_eq!(
            next_link(
                r#"<http://x/api/v1/users?limit=2>; rel="self", <http://x/api/v1/users?after=a&limit=2>; rel="next""#
            ),
            Some("/users?after=a&limit=2".into())
        );
        assert_eq!(next_link(r#"<http://x/api/v1/users>; rel="self""#), None);
    }
}
