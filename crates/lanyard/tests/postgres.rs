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
