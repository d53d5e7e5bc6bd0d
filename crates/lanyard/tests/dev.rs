//! The hidden `lanyard dev` commands through the real binary: `seed-users` makes users that sign in through the
//! Authn API of a server started on the same data dir, and `hash-rate` measures.

use std::path::Path;

use lanyard_store::Database;
use lanyard_testkit::server::{Lanyard, data_dir, path_str};
use serde_json::{Value, json};

const PASSWORD: &str = "Correct-Horse-9";

fn lanyard() -> Lanyard {
    Lanyard::new(env!("CARGO_BIN_EXE_lanyard"))
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = lanyard().run(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn seed(dir: &Path, count: &str, password: &str) -> (bool, String, String) {
    run(&[
        "dev",
        "seed-users",
        "--count",
        count,
        "--password",
        password,
        "--data-dir",
        path_str(dir),
    ])
}

async fn authn(base: &str, username: &str, password: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/authn"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The stored password hash of `login`, read beside the running server.
async fn stored_hash(dir: &Path, login: &str) -> String {
    let store = lanyard_store::open(&Database::Sqlite(dir.join("lanyard.db")), 1)
        .await
        .unwrap();
    let user = store.user_by_login(login).await.unwrap().unwrap();
    store.password(&user.id).await.unwrap().unwrap().hash
}

#[tokio::test]
async fn seeded_users_sign_in_through_the_authn_api() {
    let dir = data_dir();
    let (ok, stdout, stderr) = seed(dir.path(), "50", PASSWORD);
    assert!(ok, "{stderr}");
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(fields[0], "seeded=50", "{stdout}");
    assert!(
        fields.contains(&"first=bench000001@example.com"),
        "{stdout}"
    );
    assert!(fields.contains(&"last=bench000050@example.com"), "{stdout}");
    let hash_before = stored_hash(dir.path(), "bench000037@example.com").await;
    assert!(
        hash_before.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "the server's parameters: {hash_before}"
    );

    let mut server = lanyard()
        .serve(&["--data-dir", path_str(dir.path())])
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = authn(&server.addr, "bench000037@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS", "{body}");
    assert!(body["sessionToken"].as_str().is_some_and(|t| !t.is_empty()));
    let user = &body["_embedded"]["user"];
    assert_eq!(user["profile"]["login"], "bench000037@example.com");
    assert_eq!(user["profile"]["firstName"], "Seeded");
    assert_eq!(user["profile"]["lastName"], "User 37");
    // Hashed at the server's parameters: the sign-in did not re-hash and re-store the password.
    assert_eq!(
        stored_hash(dir.path(), "bench000037@example.com").await,
        hash_before
    );
    // The users API sees it as any user.
    let (status, _) = authn(&server.addr, "BENCH000050@example.com", PASSWORD).await;
    assert_eq!(status, 200);
    for (username, password) in [
        ("bench000037@example.com", "Wrong-Passw0rd-7"),
        ("bench000051@example.com", PASSWORD),
        ("bench000000@example.com", PASSWORD),
    ] {
        let (status, body) = authn(&server.addr, username, password).await;
        assert_eq!(status, 401, "{username}: {body}");
        assert_eq!(body["errorCode"], "E0000004");
    }
    assert!(server.terminate().success());

    // The same logins again: refused, with a hint.
    let (ok, _, stderr) = seed(dir.path(), "5", PASSWORD);
    assert!(!ok);
    assert!(stderr.contains("exist already"), "{stderr}");
}

#[test]
fn seed_users_refuses_what_the_users_api_would() {
    let dir = data_dir();
    let db = dir.path().join("data");
    for (count, password, expected) in [
        ("10", "short", "password policy"),
        ("10", "Seeded-Passw0rd-7", "password policy"),
        ("10", "bench000001-Passw0rd", "password policy"),
        ("0", PASSWORD, "between 1 and"),
        ("-3", PASSWORD, "--count"),
    ] {
        let (ok, _, stderr) = seed(&db, count, password);
        assert!(!ok, "{count} {password}");
        assert!(stderr.contains(expected), "{count} {password}: {stderr}");
    }
    let (ok, _, stderr) = run(&[
        "dev",
        "seed-users",
        "--count",
        "3",
        "--password",
        PASSWORD,
        "--prefix",
        "a b",
        "--data-dir",
        path_str(&db),
    ]);
    assert!(!ok);
    assert!(stderr.contains("prefix"), "{stderr}");
    assert!(!db.join("lanyard.db").exists());
}

#[test]
fn hash_rate_measures_the_servers_hasher() {
    let (ok, stdout, stderr) = run(&["dev", "hash-rate", "--seconds", "0.5"]);
    assert!(ok, "{stderr}");
    let field = |k: &str| {
        stdout
            .split_whitespace()
            .find_map(|f| f.strip_prefix(&format!("{k}=")).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {k} in {stdout}"))
    };
    assert!(field("hashes_per_second").parse::<f64>().unwrap() > 0.0);
    assert!(field("hashes").parse::<u64>().unwrap() >= 1);
    assert!(field("concurrency").parse::<u64>().unwrap() >= 1);
    assert_eq!(field("params"), "m=19456,t=2,p=1");
    #[cfg(target_os = "linux")]
    assert!(field("hashes_per_cpu_second").parse::<f64>().unwrap() > 0.0);
    let (ok, _, _) = run(&["dev", "hash-rate", "--seconds", "0"]);
    assert!(!ok);
}

#[test]
fn dev_is_hidden_from_help() {
    let (ok, stdout, _) = run(&["--help"]);
    assert!(ok);
    assert!(
        stdout.contains("serve") && !stdout.contains("dev"),
        "{stdout}"
    );
    let (ok, stdout, _) = run(&["dev", "--help"]);
    assert!(ok);
    assert!(
        stdout.contains("seed-users") && stdout.contains("hash-rate"),
        "{stdout}"
    );
}
