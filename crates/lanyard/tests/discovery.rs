//! Discovery and JWKS documents, checked against the OpenID Foundation's "Discovery" list (https aside) and
//! Okta's layout.

mod common;

use common::*;
use serde_json::Value;

fn check_metadata(doc: &Value, issuer: &str) {
    assert_eq!(doc["issuer"], issuer);
    for ep in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
        assert!(
            doc[ep].as_str().is_some_and(|u| u.starts_with(issuer)),
            "{ep} missing or off-issuer: {doc}"
        );
    }
    for (key, value) in doc.as_object().unwrap() {
        if key.ends_with("_endpoint") || key == "jwks_uri" {
            let url = value.as_str().unwrap();
            assert!(
                !url.contains('?') && !url.contains('#'),
                "{key} has a query or fragment"
            );
        }
    }
    let has = |field: &str, v: &str| {
        doc[field]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == v))
    };
    assert!(has("response_types_supported", "code"));
    assert!(has("subject_types_supported", "public"));
    assert!(has("id_token_signing_alg_values_supported", "RS256"));
    assert!(has("scopes_supported", "openid"));
    assert!(has("grant_types_supported", "authorization_code"));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert!(
        doc["claims_supported"]
            .as_array()
            .is_some_and(|a| a.iter().any(|c| c == "sub"))
    );
    for grant in [
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        assert!(has("grant_types_supported", grant), "{grant}");
    }
    for method in [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ] {
        assert!(
            has("token_endpoint_auth_methods_supported", method),
            "{method}"
        );
    }
    for present in [
        "introspection_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
    ] {
        assert!(doc[present].is_string(), "{present}");
    }
    assert_eq!(
        doc["device_authorization_endpoint"],
        doc["token_endpoint"]
            .as_str()
            .unwrap()
            .replace("/token", "/device/authorize")
    );
    // Dynamic registration: one endpoint for the org, as Okta's.
    let base = doc["issuer"].as_str().unwrap();
    let org = base.split("/oauth2/").next().unwrap();
    assert_eq!(
        doc["registration_endpoint"],
        format!("{org}/oauth2/v1/clients")
    );
}

#[tokio::test]
async fn org_and_custom_discovery_follow_okta_layout_and_the_conformance_checks() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let base = s.addr.clone();

    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let (status, headers, doc) = get_json(&s.url(path)).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/json");
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        check_metadata(&doc, &base);
        assert_eq!(doc["jwks_uri"], format!("{base}/oauth2/v1/keys"));
        assert_eq!(doc["token_endpoint"], format!("{base}/oauth2/v1/token"));
    }
    for suffix in ["openid-configuration", "oauth-authorization-server"] {
        let url = s.url(&format!("/oauth2/default/.well-known/{suffix}"));
        let (status, headers, doc) = get_json(&url).await;
        assert_eq!(status, 200);
        assert_eq!(headers["access-control-allow-origin"], "*");
        let issuer = format!("{base}/oauth2/default");
        assert_eq!(
            url.trim_end_matches(&format!("/.well-known/{suffix}")),
            issuer,
            "issuer = discovery URL minus the suffix"
        );
        check_metadata(&doc, &issuer);
        assert_eq!(doc["jwks_uri"], format!("{issuer}/v1/keys"));
    }
}

#[tokio::test]
async fn unknown_servers_get_okta_404s_and_the_org_server_has_no_custom_path() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    for path in [
        "/oauth2/nope/.well-known/openid-configuration",
        "/oauth2/nope/v1/keys",
        "/oauth2/org/v1/keys",
    ] {
        let (status, headers, body) = get_json(&s.url(path)).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(headers["content-type"], "application/json");
        assert_okta_error(&body, "E0000007");
    }
    let (status, _, body) = get_json(&s.url("/api/v1/no/such/path")).await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    // Outside the APIs a browser gets a page (`pages.rs::browsers_get_error_pages_and_the_apis_keep_their_json`).
    let r = client().get(s.url("/no/such/path")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn jwks_hold_only_public_signing_keys_with_distinct_kids_and_revalidate() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    for path in ["/oauth2/v1/keys", "/oauth2/default/v1/keys"] {
        let r = client().get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        let cache = r.headers()["cache-control"].to_str().unwrap().to_owned();
        assert!(cache.contains("max-age="), "{cache}");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let jwks: Value = r.json().await.unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert!(keys.len() >= 3);
        let mut seen = std::collections::HashSet::new();
        for k in keys {
            assert!(
                seen.insert(k["kid"].as_str().unwrap().to_owned()),
                "duplicate kid"
            );
            assert_eq!(k["use"], "sig");
            for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
                assert!(
                    k.get(private).is_none(),
                    "private member {private} published"
                );
            }
            match k["alg"].as_str().unwrap() {
                "RS256" => assert!(k["kty"] == "RSA" && k["n"].is_string() && k["e"] == "AQAB"),
                "ES256" => assert!(
                    k["kty"] == "EC"
                        && k["crv"] == "P-256"
                        && k["x"].is_string()
                        && k["y"].is_string()
                ),
                "EdDSA" => {
                    assert!(k["kty"] == "OKP" && k["crv"] == "Ed25519" && k["x"].is_string())
                }
                other => panic!("unexpected alg {other}"),
            }
        }
        assert_eq!(
            keys[0]["alg"], "RS256",
            "the default signing key comes first"
        );
        let again = client()
            .get(s.url(path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
    let (_, _, org) = get_json(&s.url("/oauth2/v1/keys")).await;
    let (_, _, custom) = get_json(&s.url("/oauth2/default/v1/keys")).await;
    assert!(
        kids(&org).iter().all(|k| !kids(&custom).contains(k)),
        "each server has keys of its own"
    );
}

#[tokio::test]
async fn the_authorization_endpoint_shows_an_error_page_for_an_unknown_client_and_never_redirects()
{
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let url = s.url("/oauth2/default/v1/authorize?client_id=nope&response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&state=x");
    let r = client().get(url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("<html lang=\"en\">") && !page.contains("evil.example"));
}

#[tokio::test]
async fn the_token_endpoint_answers_in_rfc_6749_form() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let r = client()
        .post(s.url("/oauth2/v1/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=x&client_secret=y")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let r = client()
        .post(s.url("/oauth2/default/v1/token"))
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}
