//! Signing keys through the real binary: rotation by the API, by the CLI and on schedule; persistence; nothing
//! private readable in the database file.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

async fn statuses(s: &Server, token: &str) -> Vec<(String, String, String)> {
    let (status, _, body) = api_get(
        &s.url("/api/v1/authorizationServers/default/credentials/keys"),
        token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().into(),
                k["alg"].as_str().unwrap().into(),
                k["status"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn kid_with(list: &[(String, String, String)], alg: &str, status: &str) -> Option<String> {
    list.iter()
        .find(|(_, a, s)| a == alg && s == status)
        .map(|(k, _, _)| k.clone())
}

/// NEXT keys are made just after start; wait for them.
async fn wait_for_next_keys(s: &Server, token: &str) {
    assert!(
        eventually(20, || async {
            statuses(s, token)
                .await
                .iter()
                .filter(|k| k.2 == "NEXT")
                .count()
                == 3
        })
        .await,
        "NEXT keys were not created"
    );
}

#[tokio::test]
async fn key_rotate_api_publishes_the_new_key_and_keeps_the_old_one() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    wait_for_next_keys(&s, &token).await;
    let before = statuses(&s, &token).await;
    let old_active = kid_with(&before, "RS256", "ACTIVE").unwrap();
    let old_next = kid_with(&before, "RS256", "NEXT").unwrap();
    let (_, _, jwks) = get_json(&s.url("/oauth2/default/v1/keys")).await;
    assert!(
        kids(&jwks).contains(&old_next),
        "the NEXT key is published before it signs"
    );

    let r = client()
        .post(s.url("/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate"))
        .header("Authorization", format!("SSWS {token}"))
        .json(&serde_json::json!({ "use": "sig" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listed: Value = r.json().await.unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == old_active.as_str() && k["status"] == "EXPIRED")
    );

    let after = statuses(&s, &token).await;
    assert_eq!(
        kid_with(&after, "RS256", "ACTIVE").as_deref(),
        Some(old_next.as_str()),
        "NEXT became ACTIVE"
    );
    assert!(
        kid_with(&after, "RS256", "NEXT").is_some_and(|k| k != old_next),
        "a new NEXT key"
    );
    let (_, _, jwks) = get_json(&s.url("/oauth2/default/v1/keys")).await;
    let published = kids(&jwks);
    assert_eq!(published[0], old_next, "the new ACTIVE key is listed first");
    assert!(
        published.contains(&old_active),
        "the old key stays published until its tokens expire"
    );

    let (_, _, server) = api_get(&s.url("/api/v1/authorizationServers/default"), &token).await;
    assert_eq!(server["credentials"]["signing"]["kid"], old_next.as_str());

    let r = client()
        .post(s.url("/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate"))
        .header("Authorization", format!("SSWS {token}"))
        .json(&serde_json::json!({ "use": "enc" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_okta_error(&r.json().await.unwrap(), "E0000001");
}

#[tokio::test]
async fn cli_rotation_reaches_a_running_server_and_keys_survive_restart() {
    let dir = data_dir();
    let mut s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    wait_for_next_keys(&s, &token).await;
    let old = kid_with(&statuses(&s, &token).await, "ES256", "ACTIVE").unwrap();

    let out = lanyard().run(&[
        "keys",
        "rotate",
        "--auth-server",
        "default",
        "--data-dir",
        path_str(dir.path()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = kid_with(&statuses(&s, &token).await, "ES256", "ACTIVE").unwrap();
    assert_ne!(old, new);
    // The running node's cached JWKS follows within its refresh interval.
    let url = s.url("/oauth2/default/v1/keys");
    assert!(
        eventually(15, || async {
            kids(&get_json(&url).await.2)
                .iter()
                .filter(|k| **k == new || **k == old)
                .count()
                == 2
        })
        .await,
        "the running server did not publish the rotated key set"
    );

    assert!(s.terminate().success());
    let s = serve(dir.path(), &[]);
    let after = statuses(&s, &token).await;
    assert_eq!(
        kid_with(&after, "ES256", "ACTIVE").as_deref(),
        Some(new.as_str())
    );
    assert!(after.iter().any(|(k, _, st)| *k == old && st == "EXPIRED"));
}

#[tokio::test]
async fn keys_rotate_on_schedule() {
    let dir = data_dir();
    let s = serve(
        dir.path(),
        &[
            "--key-rotation-interval",
            "3s",
            "--key-check-interval",
            "1s",
        ],
    );
    let token = api_token(dir.path());
    wait_for_next_keys(&s, &token).await;
    let first = kid_with(&statuses(&s, &token).await, "RS256", "ACTIVE").unwrap();
    assert!(
        eventually(30, || async {
            kid_with(&statuses(&s, &token).await, "RS256", "ACTIVE").is_some_and(|k| k != first)
        })
        .await,
        "no automatic rotation"
    );
    let now_active = kid_with(&statuses(&s, &token).await, "RS256", "ACTIVE").unwrap();
    let url = s.url("/oauth2/default/v1/keys");
    assert!(
        eventually(15, || async {
            let published = kids(&get_json(&url).await.2);
            published.first() == Some(&now_active) && published.contains(&first)
        })
        .await,
        "the JWKS should lead with the new key and keep the retired one"
    );
}

/// DER markers of PKCS#8 private keys: the algorithm identifiers of RSA, EC and Ed25519 keys, and PEM armour.
fn private_key_markers() -> Vec<Vec<u8>> {
    vec![
        vec![
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
        ], // rsaEncryption
        vec![0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01], // id-ecPublicKey
        vec![0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70],             // Ed25519 AlgorithmIdentifier
        b"PRIVATE KEY".to_vec(),
    ]
}

fn contains_any(bytes: &[u8], markers: &[Vec<u8>]) -> bool {
    markers
        .iter()
        .any(|m| bytes.windows(m.len()).any(|w| w == m.as_slice()))
}

fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["lanyard.db", "lanyard.db-wal"] {
        all.extend(std::fs::read(dir.join(name)).unwrap_or_default());
    }
    all
}

#[tokio::test]
async fn the_sqlite_file_holds_no_private_key_material() {
    // The markers do find real private keys…
    for alg in lanyard_core::crypto::SigningAlg::ALL {
        let der = lanyard_core::crypto::SigningKey::generate(alg)
            .unwrap()
            .to_pkcs8()
            .unwrap();
        assert!(
            contains_any(der.as_bytes(), &private_key_markers()),
            "{alg} PKCS#8 not recognised"
        );
    }
    // …and none are in the database, though it holds 18 keys.
    let dir = data_dir();
    let mut s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    wait_for_next_keys(&s, &token).await;
    assert!(s.terminate().success());
    let bytes = database_bytes(dir.path());
    assert!(bytes.len() > 10_000);
    assert!(
        !contains_any(&bytes, &private_key_markers()),
        "private key material found in the database file"
    );
    let master = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
    assert!(
        !bytes
            .windows(master.trim().len())
            .any(|w| w == master.trim().as_bytes()),
        "the master key is in the database"
    );
}
