//! Config OP plan (`oidcc-config-certification-test-plan`): discovery and the JWKS.

use crate::common;
use crate::op::{Op, checks};

/// oidcc-discovery-endpoint-verification: the discovery document's required members and their values.
#[tokio::test]
async fn discovery_endpoint_verification() {
    let op = Op::start().await;
    let r = common::client()
        .get(op.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let m = &op.meta;
    assert_eq!(
        m["issuer"].as_str().unwrap().trim_end_matches('/'),
        op.url("").trim_end_matches('/'),
        "issuer is the discovery URL without the well-known suffix"
    );
    let has = |name: &str, v: &str| {
        m[name]
            .as_array()
            .unwrap_or_else(|| panic!("{name}"))
            .iter()
            .any(|x| x == v)
    };
    assert!(has("response_types_supported", "code"));
    assert!(has("subject_types_supported", "public"));
    assert!(has("id_token_signing_alg_values_supported", "RS256"));
    assert!(has("scopes_supported", "openid"));
    assert!(m["claims_supported"].is_array());
    assert!(has("code_challenge_methods_supported", "S256"));
    for name in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    ] {
        assert!(m[name].is_string(), "{name}");
    }
}

/// oidcc-server-rotate-keys is in the Dynamic plan; here the JWKS itself: public keys only, distinct kids.
#[tokio::test]
async fn jwks_structure() {
    let op = Op::start().await;
    checks::jwks_structure(&op.jwks().await);
}
