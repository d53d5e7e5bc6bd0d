//! Operations: health, readiness, metrics, graceful shutdown, request size limits, structured logs.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let (status, _, body) = get_json(&s.url("/healthz")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, _, body) = get_json(&s.url("/readyz")).await;
    assert_eq!(status, 200);
    assert_eq!(body["database"], "sqlite");

    for _ in 0..3 {
        get_json(&s.url("/oauth2/default/v1/keys")).await;
    }
    get_json(&s.url("/oauth2/nope/v1/keys")).await;
    let r = client().get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("text")
    );
    let text = r.text().await.unwrap();
    assert!(
        text.contains(r#"lanyard_http_requests_total{route="/oauth2/{id}/v1/keys",method="GET",status="200"} 3"#),
        "{text}"
    );
    assert!(text.contains(
        r#"lanyard_http_requests_total{route="/oauth2/{id}/v1/keys",method="GET",status="404"} 1"#
    ));
    assert!(text.contains("lanyard_http_request_duration_seconds_bucket{"));
    assert!(
        text.contains(
            r#"lanyard_signing_keys{auth_server="default",alg="RS256",status="ACTIVE"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("lanyard_build_info"));
}

/// `--metrics-listen` serves `/metrics` on its own address (for a network the public cannot reach); the main
/// address then has none.
#[tokio::test]
async fn metrics_can_be_served_on_an_address_of_their_own() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = data_dir();
    let metrics_addr = format!("127.0.0.1:{port}");
    let s = serve(dir.path(), &["--metrics-listen", &metrics_addr]);
    get_json(&s.url("/oauth2/default/v1/keys")).await;
    let r = client().get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 404, "not on the main address");
    let r = client()
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("lanyard_http_requests_total{"), "{text}");
    // Nothing else is served there.
    let r = client()
        .get(format!("http://{metrics_addr}/oauth2/default/v1/keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The main address still answers everything else, health included.
    assert_eq!(get_json(&s.url("/healthz")).await.0, 200);
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let dir = data_dir();
    let mut s = serve(dir.path(), &[]);
    let addr = s.addr.trim_start_matches("http://").to_owned();
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // Half a request: the head and part of the body…
    conn.write_all(b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\ngrant_type=").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // …then the signal…
    assert!(
        std::process::Command::new("kill")
            .arg("-TERM")
            .arg(s.pid().to_string())
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    // …then the rest: the request still gets its answer.
    conn.write_all(b"client_credentials").unwrap();
    let mut response = Vec::new();
    let _ = conn.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.starts_with("HTTP/1.1 401"),
        "in-flight request lost: {text:?}"
    );
    assert!(text.contains("invalid_client"));
    assert!(s.terminate().success(), "clean exit after SIGTERM");
    // New connections are refused once the server has stopped.
    assert!(TcpStream::connect(&addr).is_err());
}

#[tokio::test]
async fn oversized_request_heads_are_refused() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let r = client()
        .get(s.url("/healthz"))
        .header("x-big", "a".repeat(100 * 1024))
        .send()
        .await;
    match r {
        Ok(r) => assert_eq!(r.status(), 431),
        Err(e) => assert!(
            e.is_request() || e.is_connect() || e.to_string().contains("connection"),
            "{e}"
        ),
    }
    assert_eq!(
        get_json(&s.url("/healthz")).await.0,
        200,
        "the server still serves"
    );
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_carry_no_query_strings() {
    let dir = data_dir();
    let mut s = lanyard()
        .serve_with(
            &["--data-dir", path_str(dir.path()), "--log-format", "json"],
            |c| {
                c.env(
                    "RUST_LOG",
                    "debug,sqlx=warn,hyper=warn,hyper_util=warn,h2=warn",
                );
            },
        )
        .unwrap();
    client()
        .get(s.url("/healthz?secret=hunter2"))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(s.terminate().success());
    let lines = s.stderr();
    assert!(
        lines.iter().any(|l| l.contains("/healthz")),
        "requests are logged with their path: {lines:?}"
    );
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v.get("level").is_some() && v.get("timestamp").is_some(),
            "{line}"
        );
        assert!(
            !line.contains("hunter2"),
            "a query string reached the log: {line}"
        );
    }
}

#[tokio::test]
async fn expired_records_are_swept_on_schedule() {
    use lanyard_core::clock::{Clock, SystemClock};
    use lanyard_core::model::{OneTimeToken, PushedRequest, TokenKind};

    let env = Env::start_with(&["--sweep-interval", "1s"]);
    let uid = env.create_user("ada@example.com").await;
    // Records written straight into the running server's database: of each kind one that expired a second ago
    // (the server would refuse it, but nothing else deletes it) and one that lives an hour.
    let store = lanyard_store::open(
        &lanyard_store::Database::Sqlite(env.dir.path().join("lanyard.db")),
        1,
    )
    .await
    .unwrap();
    let now = SystemClock.now();
    let expired = now - chrono::Duration::seconds(1);
    let live = now + chrono::Duration::hours(1);
    let long_ago = now - chrono::Duration::hours(1);
    for (n, expires_at) in [(1u8, expired), (2, live)] {
        store
            .insert_one_time_token(&OneTimeToken {
                token_hash: [n; 32],
                kind: TokenKind::StateToken,
                user_id: uid.clone(),
                created: long_ago,
                expires_at,
                data: serde_json::json!({}),
            })
            .await
            .unwrap();
        store
            .insert_pushed_request(&PushedRequest {
                hash: [n; 32],
                client_id: "client".into(),
                auth_server_id: "default".into(),
                params: vec![],
                created: long_ago,
                expires_at,
            })
            .await
            .unwrap();
    }
    // Read as of an hour ago, when both were live: absent means deleted.
    let present = |n: u8| {
        let store = store.clone();
        async move {
            let token = store
                .one_time_token(&[n; 32], TokenKind::StateToken, long_ago)
                .await
                .unwrap();
            let request = store
                .pushed_request(&[n; 32], "client", "default", long_ago)
                .await
                .unwrap();
            (token.is_some(), request.is_some())
        }
    };
    assert_eq!(present(1).await, (true, true));
    assert!(
        eventually(10, || async { present(1).await == (false, false) }).await,
        "the expired records were not swept"
    );
    assert_eq!(present(2).await, (true, true));
}

/// A line of the text log without its ANSI colours.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ … final byte in @..~
            for d in chars.by_ref() {
                if ('@'..='~').contains(&d) && d != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Request data carrying CR/LF (a `client_id`, an Authn API username, an authorization request's `client_id`)
/// never forges a line of the text log: what reaches the log is escaped.
#[tokio::test]
async fn request_data_cannot_forge_lines_of_the_text_log() {
    const FORGED: &str = "2099-01-01T00:00:00.000000Z  INFO lanyard: FORGED";
    let dir = data_dir();
    let mut s = lanyard()
        .serve_with(&["--data-dir", path_str(dir.path())], |c| {
            c.env(
                "RUST_LOG",
                "debug,sqlx=warn,hyper=warn,hyper_util=warn,h2=warn",
            );
        })
        .unwrap();
    let evil = format!("evil\r\n{FORGED} token\r\n");
    let r = client()
        .post(s.url("/oauth2/default/v1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", evil.as_str()),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .post(s.url("/api/v1/authn"))
        .json(&serde_json::json!({"username": format!("bob\n{FORGED} authn\n"), "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let authorize = format!(
        "/oauth2/default/v1/authorize?response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fa.example%2Fcb&client_id={}",
        url::form_urlencoded::byte_serialize(format!("x\n{FORGED} authorize\n").as_bytes())
            .collect::<String>()
    );
    let r = client().get(s.url(&authorize)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(s.terminate().success());
    let lines: Vec<String> = s.stderr().iter().map(|l| plain(l)).collect();
    for line in &lines {
        assert!(
            !line.trim_start().starts_with(FORGED),
            "a forged line in the log: {line:?}\n{lines:#?}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("OAuth request refused")
            && l.contains(&format!("evil\\u{{d}}\\u{{a}}{FORGED}"))),
        "the client_id reached the log escaped: {lines:#?}"
    );
}
