//! Helpers for the tests that drive the real binary over HTTP.
#![allow(dead_code)]

pub mod browser;

use std::path::Path;

pub use lanyard_testkit::server::{Lanyard, Server, data_dir, path_str};
use serde_json::Value;

pub fn lanyard() -> Lanyard {
    Lanyard::new(env!("CARGO_BIN_EXE_lanyard"))
}

/// `lanyard serve --data-dir DIR` plus `args`.
pub fn serve(dir: &Path, args: &[&str]) -> Server {
    let mut all = vec!["--data-dir", path_str(dir)];
    all.extend_from_slice(args);
    lanyard().serve(&all).unwrap_or_else(|e| panic!("{e}"))
}

/// `lanyard api-token create` on a data dir; the token.
pub fn api_token(dir: &Path) -> String {
    let out = lanyard().run(&[
        "api-token",
        "create",
        "--name",
        "test",
        "--data-dir",
        path_str(dir),
    ]);
    assert!(
        out.status.success(),
        "api-token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// GET with an SSWS token; status and JSON body.
pub async fn api_get(url: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = client()
        .get(url)
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, headers, body)
}

pub async fn get_json(url: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = client().get(url).send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (
        status,
        headers,
        r.json::<Value>().await.unwrap_or(Value::Null),
    )
}

/// The kids in a JWKS document.
pub fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// Asserts an Okta error body.
pub fn assert_okta_error(body: &Value, code: &str) {
    assert_eq!(body["errorCode"], code, "body: {body}");
    assert_eq!(body["errorLink"], code);
    assert!(body["errorSummary"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        body["errorId"]
            .as_str()
            .is_some_and(|s| s.starts_with("oae"))
    );
    assert!(body["errorCauses"].is_array());
}

/// Polls `check` until it holds or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    false
}

/// The password test users get.
pub const PASSWORD: &str = "Correct-Horse-9";

/// A running server on a fresh data dir, with a management API token.
pub struct Env {
    pub s: Server,
    pub token: String,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn start() -> Env {
        Env::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Env {
        let dir = data_dir();
        let s = serve(dir.path(), args);
        let token = api_token(dir.path());
        Env { s, token, dir }
    }

    /// A management API call; the status and the JSON body (`null` when empty).
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = client()
            .request(method, self.s.url(path))
            .header("Authorization", format!("SSWS {}", self.token));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates an active user Ada Lovelace with `login` and [`PASSWORD`]; its id.
    pub async fn create_user(&self, login: &str) -> String {
        let body = serde_json::json!({
            "profile": {"firstName": "Ada", "lastName": "Lovelace", "email": login, "login": login},
            "credentials": {"password": {"value": PASSWORD}}
        });
        let (status, user) = self
            .admin(reqwest::Method::POST, "/api/v1/users", Some(body))
            .await;
        assert_eq!(status, 200, "{user}");
        user["id"].as_str().expect("id").to_owned()
    }
}
