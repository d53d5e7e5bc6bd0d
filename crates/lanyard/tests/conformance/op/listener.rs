//! A relying party's own web server, for what the OP sends or loads there: back-channel logout POSTs and the
//! front-channel logout pages a browser loads. It records every request and answers 200 — or, to test retries,
//! the statuses queued with [`Listener::answer_next`].

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};

/// One request the RP received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Received {
    /// The form body's fields (every value, so a repeated field shows).
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    statuses: Mutex<VecDeque<u16>>,
}

/// An HTTP server on 127.0.0.1 (a random port) for the test's lifetime.
pub struct Listener {
    pub base: String,
    shared: Arc<Shared>,
}

impl Listener {
    pub async fn start() -> Listener {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", tcp.local_addr().expect("addr"));
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let s = s.clone();
                async move {
                    let query =
                        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                            .into_owned()
                            .collect();
                    let headers = headers
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().to_owned(),
                                v.to_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect();
                    s.received.lock().unwrap().push(Received {
                        method: method.to_string(),
                        path: uri.path().to_owned(),
                        query,
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let status = s.statuses.lock().unwrap().pop_front().unwrap_or(200);
                    (
                        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                        [("cache-control", "no-store")],
                    )
                }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(tcp, app).await;
        });
        Listener { base, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next requests get these statuses, in order; then 200 again.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.shared.statuses.lock().unwrap().extend(statuses);
    }

    /// Every request to `path` so far.
    pub fn received(&self, path: &str) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits up to `secs` for `n` requests to `path`; those received.
    pub async fn wait_for(&self, path: &str, n: usize, secs: u64) -> Vec<Received> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let got = self.received(path);
            if got.len() >= n || std::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
