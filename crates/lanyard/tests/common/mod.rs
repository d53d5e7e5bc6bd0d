//! Helpers for the tests that drive the real binary over HTTP.
#![allow(dead_code)]

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
