//! Requests to URLs others named, through the real binary with its default outbound policy: a `jwks_uri`, a
//! `sector_identifier_uri`, a registered `request_uri` and a `backchannel_logout_uri` on loopback — in any spelling —
//! are never connected to, and what the requester learns does not say whether anything answers there. (With
//! `--outbound-allow loopback`, the other test files fetch from local listeners as a lab would.)

mod common;
#[path = "conformance/op/listener.rs"]
mod listener;

use common::*;
use lanyard_core::crypto::{SigningAlg, SigningKey, jws};
use listener::Listener;
use reqwest::Method;
use serde_json::{Value, json};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The port of a listener, in the spellings an attacker would try.
fn spellings(l: &Listener, path: &str) -> Vec<String> {
    let port = l.base.rsplit(':').next().unwrap().to_owned();
    vec![
        l.url(path),
        format!("http://2130706433:{port}{path}"),
        format!("http://127.1:{port}{path}"),
        format!("http://localhost:{port}{path}"),
    ]
}

#[tokio::test]
async fn urls_inside_are_never_fetched_by_default() {
    let env = Env::start();
    let l = Listener::start().await;
    let key = SigningKey::generate(SigningAlg::ES256).unwrap();
    let token_url = env.s.url("/oauth2/v1/token");

    for (i, uri) in spellings(&l, "/jwks").into_iter().enumerate() {
        // A service app whose keys are at a jwks_uri inside: its assertion cannot be checked.
        let (status, app) = env
            .admin(
                Method::POST,
                "/api/v1/apps",
                Some(json!({"label": format!("Inside {i}"), "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
                    "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
                    "settings": {"oauthClient": {"application_type": "service",
                        "grant_types": ["client_credentials"], "jwks_uri": uri}}})),
            )
            .await;
        if status != 200 {
            // Refused at registration (not https, not loopback as written): nothing to fetch either.
            assert_eq!(status, 400, "{uri}: {app}");
            continue;
        }
        let id = app["credentials"]["oauthClient"]["client_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let assertion = jws::sign(
            &key,
            None,
            &json!({"iss": id, "sub": id, "aud": token_url, "jti": format!("j{i}"), "exp": now() + 60}),
        )
        .unwrap();
        let r = client()
            .post(&token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{uri}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
    }

    // A sector identifier inside: refused without saying why.
    let (status, e) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(
                json!({"label": "Sector", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
                "settings": {"oauthClient": {"redirect_uris": ["http://localhost:3000/cb"],
                    "subject_type": "pairwise", "sector_identifier_uri": l.url("/sector.json")}}}),
            ),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_okta_error(&e, "E0000001");
    let causes = e["errorCauses"].to_string();
    assert!(causes.contains("could not be fetched"), "{causes}");
    for leak in [
        "refused",
        "connect",
        "timed out",
        "127.0.0.1",
        "not allowed",
    ] {
        assert!(!causes.contains(leak), "{leak} in {causes}");
    }

    // A registered request_uri inside: the client hears invalid_request_uri.
    let (status, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps?activate=true",
            Some(
                json!({"label": "Objects", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
                "settings": {"oauthClient": {"redirect_uris": ["http://localhost:3000/cb"],
                    "request_uris": [l.url("/r/1")]}}}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    let id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap();
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", id)
        .append_pair("request_uri", &l.url("/r/1"))
        .append_pair("redirect_uri", "http://localhost:3000/cb")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .finish();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(env.s.url(&format!("/oauth2/v1/authorize?{q}")))
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("error=invalid_request_uri"), "{location}");

    // A back-channel logout URI inside: the notice is not sent, and the system log says so once.
    let uid = env.create_user("ada@example.com").await;
    let (status, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps?activate=true",
            Some(
                json!({"label": "Bcl", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
                "settings": {"oauthClient": {"redirect_uris": ["http://localhost:3000/cb"],
                    "backchannel_logout_uri": l.url("/bcl")}}}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    let app_id = app["id"].as_str().unwrap();
    env.admin(
        Method::POST,
        &format!("/api/v1/apps/{app_id}/users"),
        Some(json!({"id": uid, "scope": "USER"})),
    )
    .await;
    let client_id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap();
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["sessionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", "http://localhost:3000/cb")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("state", "s")
        .append_pair("nonce", "n")
        .append_pair(
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        )
        .append_pair("code_challenge_method", "S256")
        .append_pair("sessionToken", &token)
        .finish();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(env.s.url(&format!("/oauth2/v1/authorize?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/users/{uid}/sessions"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let url = env
        .s
        .url("/api/v1/logs?filter=eventType%20eq%20%22app.oauth2.backchannel_logout%22");
    assert!(
        eventually(10, || async {
            let (_, _, events) = api_get(&url, &env.token).await;
            events
                .as_array()
                .is_some_and(|a| a.len() == 1 && a[0]["outcome"]["result"] == "FAILURE")
        })
        .await,
        "the undelivered notice is logged once (not retried: the policy will not change)"
    );

    assert!(l.received("/jwks").is_empty(), "no jwks_uri fetch");
    assert!(l.received("/sector.json").is_empty());
    assert!(l.received("/r/1").is_empty());
    assert!(l.received("/bcl").is_empty());
}
