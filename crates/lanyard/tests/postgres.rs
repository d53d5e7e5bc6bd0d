//! Several stateless nodes on one PostgreSQL database.

mod common;

use common::*;
use lanyard_testkit::postgres::TempDatabase;

const MASTER_KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80";

/// A node with a data dir of its own (left empty: nothing local is needed on PostgreSQL).
fn node(db: &TempDatabase, dir: &std::path::Path) -> Result<Server, String> {
    lanyard().serve_with(
        &["--data-dir", path_str(dir), "--database-url", &db.url],
        |c| {
            c.env("LANYARD_MASTER_KEY", MASTER_KEY);
        },
    )
}

#[tokio::test]
async fn two_nodes_start_together_on_an_empty_database_and_share_everything() {
    let Some(db) = TempDatabase::create().await else {
        return;
    };
    let (dir_a, dir_b) = (data_dir(), data_dir());
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| node(&db, dir_a.path()));
        let b = scope.spawn(|| node(&db, dir_b.path()));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (a.unwrap(), b.unwrap());

    let (_, _, ready) = get_json(&a.url("/readyz")).await;
    assert_eq!(ready["database"], "postgres");

    // One key set, whichever node answers.
    let url_a = a.url("/oauth2/default/v1/keys");
    let url_b = b.url("/oauth2/default/v1/keys");
    assert!(
        eventually(30, || async {
            let (ka, kb) = (
                kids(&get_json(&url_a).await.2),
                kids(&get_json(&url_b).await.2),
            );
            ka.len() == 6 && ka == kb
        })
        .await,
        "the nodes should publish one complete key set (ACTIVE and NEXT per algorithm)"
    );

    // A token minted by the CLI against the database works on both nodes at once.
    let out = lanyard()
        .command()
        .args([
            "api-token",
            "create",
            "--name",
            "ci",
            "--database-url",
            &db.url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(api_get(&a.url("/api/v1/users"), &token).await.0, 200);
    assert_eq!(api_get(&b.url("/api/v1/users"), &token).await.0, 200);

    // A rotation on one node reaches the other within its refresh interval.
    let r = client()
        .post(a.url("/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate"))
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rotated = kids(&get_json(&url_a).await.2);
    assert!(
        eventually(15, || async { kids(&get_json(&url_b).await.2) == rotated }).await,
        "the other node did not pick up the rotation"
    );
}

/// PostgreSQL cannot hold or compare text with a NUL character: such input is the client's mistake and gets a 4xx on
/// every path that looks something up by it, never a 500 (SQLite would simply find nothing).
#[tokio::test]
async fn a_nul_character_in_a_lookup_is_a_client_error_not_a_server_error() {
    let Some(db) = TempDatabase::create().await else {
        return;
    };
    let dir = data_dir();
    let s = node(&db, dir.path()).unwrap();
    let out = lanyard()
        .command()
        .args([
            "api-token",
            "create",
            "--name",
            "t",
            "--database-url",
            &db.url,
        ])
        .env("LANYARD_MASTER_KEY", MASTER_KEY)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    // The management API: a path segment.
    let (status, _, body) = api_get(&s.url("/api/v1/users/a%00b"), &token).await;
    assert_eq!(status, 400, "{body}");
    assert_okta_error(&body, "E0000001");
    // The Authn API: a username.
    let r = client()
        .post(s.url("/api/v1/authn"))
        .json(&serde_json::json!({"username": "a\u{0}b", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // OAuth: a parameter, and a Basic credential.
    let r = client()
        .get(s.url(
            "/oauth2/v1/authorize?client_id=a%00b&response_type=code&redirect_uri=https%3A%2F%2Fx%2Fcb&scope=openid",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none(), "never a redirect");
    let r = client()
        .post(s.url("/oauth2/v1/token"))
        .basic_auth("a%00b", Some("x"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .post(s.url("/oauth2/v1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "a\u{0}b"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

/// What decides security lives in the database: an address's failures on one node make it wait on the other, an
/// account locked through one is locked on the other (except for its known device), and an origin trusted on one is
/// allowed on the other within the copies' lifetime.
#[tokio::test]
async fn attempt_counts_known_devices_and_trusted_origins_hold_on_every_node() {
    let Some(db) = TempDatabase::create().await else {
        return;
    };
    let (dir_a, dir_b) = (data_dir(), data_dir());
    let a = node(&db, dir_a.path()).unwrap();
    let b = node(&db, dir_b.path()).unwrap();
    let out = lanyard()
        .command()
        .args([
            "api-token",
            "create",
            "--name",
            "t",
            "--database-url",
            &db.url,
        ])
        .env("LANYARD_MASTER_KEY", MASTER_KEY)
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let authn = |s: &Server, username: &str, password: &str, device: Option<&str>| {
        let mut req = client()
            .post(s.url("/api/v1/authn"))
            .json(&serde_json::json!({"username": username, "password": password}));
        if let Some(d) = device {
            req = req.header("Cookie", format!("lanyard_device={d}"));
        }
        req.send()
    };
    // A user, signed in once on node a: its device cookie.
    let r = client()
        .post(a.url("/api/v1/users"))
        .header("Authorization", format!("SSWS {token}"))
        .json(&serde_json::json!({"profile": {"firstName": "Ada", "lastName": "L", "email": "ada@example.com",
            "login": "ada@example.com"}, "credentials": {"password": {"value": PASSWORD}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = authn(&a, "ada@example.com", PASSWORD, None).await.unwrap();
    let device = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .ok()?
                .split(';')
                .next()?
                .strip_prefix("lanyard_device=")
                .map(str::to_owned)
        })
        .expect("a device cookie");

    // Six failures, alternating nodes: the seventh attempt waits, on either node.
    for i in 0..6 {
        let s = if i % 2 == 0 { &a } else { &b };
        let r = authn(s, &format!("x{i}@example.com"), "Wrong-Horse-1", None)
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    for s in [&a, &b] {
        let r = authn(s, "ada@example.com", PASSWORD, None).await.unwrap();
        assert_eq!(r.status(), 429);
    }
    // The known device is known on node b too (the address's wait still applies: wait it out).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = authn(&b, "ada@example.com", PASSWORD, Some(&device))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "SUCCESS", "{body}");

    // Trusted on a, allowed on b once its copy is renewed (the keyring's TTL, 5 s).
    let r = client()
        .post(a.url("/api/v1/trustedOrigins"))
        .header("Authorization", format!("SSWS {token}"))
        .json(
            &serde_json::json!({"name": "Portal", "origin": "https://portal.example",
            "scopes": [{"type": "CORS"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let preflight = || {
        client()
            .request(reqwest::Method::OPTIONS, b.url("/api/v1/sessions/me"))
            .header("Origin", "https://portal.example")
            .header("Access-Control-Request-Method", "GET")
            .send()
    };
    assert!(
        eventually(15, || async { preflight().await.unwrap().status() == 204 }).await,
        "node b never allowed the origin trusted on node a"
    );
}
