//! Config OP plan (`oidcc-config-certification-test-plan`): one module, the discovery document and the JWKS it
//! points to.

use serde_json::Value;

use crate::common;
use crate::op::{Op, checks};

/// RFC 6749 §3.3 scope-token: `%x21 / %x23-5B / %x5D-7E`.
fn scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// A BCP 47 language tag, loosely (`CheckDiscEndpointLocalesSyntax`): alphanumeric subtags of 1–8 characters.
fn language_tag(s: &str) -> bool {
    !s.is_empty()
        && s.split('-')
            .all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The members of the document that are URLs of the OP.
fn endpoints(m: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    m.iter()
        .filter(|(k, _)| k.ends_with("_endpoint") || *k == "jwks_uri")
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// oidcc-discovery-endpoint-verification: the discovery document's required members and their values, and the
/// JWKS (`ValidateServerJWKs`, `EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys`, distinct `kid`s). The
/// https rules (`CheckDiscEndpointIssuerIsValidUrl`, `CheckDiscEndpointAllEndpointsAreHttps`) are checked on a
/// second OP with an https base URL, as in production; the first runs on plain http like every test here.
#[tokio::test]
async fn discovery_endpoint_verification() {
    let op = Op::start().await;
    let url = op.url("/.well-known/openid-configuration");
    let r = common::client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/json"), "{ct}");
    let doc: Value = r.json().await.unwrap();
    let m = doc.as_object().expect("an object");

    // CheckDiscEndpointDiscoveryUrl, CheckDiscEndpointIssuer: the issuer is the discovery URL without the suffix.
    let base = url
        .strip_suffix("/.well-known/openid-configuration")
        .expect("the well-known path");
    assert_eq!(m["issuer"], base, "issuer");

    let list = |name: &str| -> Vec<String> {
        m.get(name)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{name} an array"))
            .iter()
            .map(|v| {
                v.as_str()
                    .unwrap_or_else(|| panic!("{name}: strings"))
                    .to_owned()
            })
            .collect()
    };
    let has = |name: &str, v: &str| list(name).iter().any(|x| x == v);
    // OIDCCCheckDiscEndpointResponseTypesSupported: an OpenID Connect response type.
    assert!(has("response_types_supported", "code"));
    // CheckDiscEndpointSubjectTypesSupported: public or pairwise, nothing else.
    let subjects = list("subject_types_supported");
    assert!(!subjects.is_empty());
    assert!(
        subjects.iter().all(|s| s == "public" || s == "pairwise"),
        "{subjects:?}"
    );
    // OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported: RS256; never none here (Lanyard signs every ID token).
    assert!(has("id_token_signing_alg_values_supported", "RS256"));
    assert!(!has("id_token_signing_alg_values_supported", "none"));
    // OIDCCCheckDiscEndpointUserinfoSigningAlgValuesSupported, only when present.
    if m.contains_key("userinfo_signing_alg_values_supported") {
        assert!(!list("userinfo_signing_alg_values_supported").is_empty());
    }
    // CheckDiscEndpointAuthorizationEndpoint, TokenEndpoint, UserinfoEndpoint, CheckJwksUri: present, this OP's.
    for name in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    ] {
        let v = m[name].as_str().unwrap_or_else(|| panic!("{name}"));
        assert!(v.starts_with(base), "{name}: {v}");
    }
    // CheckDiscEndpointRegistrationEndpoint: only when present.
    if let Some(r) = m.get("registration_endpoint") {
        assert!(r.as_str().is_some_and(|r| r.starts_with(base)), "{r}");
    }
    // FetchServerKeys, ValidateServerJWKs, EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys.
    let (status, headers, jwks) = common::get_json(m["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    checks::jwks_structure(&jwks);
    for k in jwks["keys"].as_array().unwrap() {
        match k["kty"].as_str().unwrap() {
            "RSA" => assert!(k["n"].is_string() && k["e"].is_string(), "{k}"),
            "EC" => assert!(k["crv"].is_string() && k["x"].is_string() && k["y"].is_string()),
            "OKP" => assert!(k["crv"].is_string() && k["x"].is_string()),
            other => panic!("key type {other}"),
        }
        if let Some(u) = k.get("use") {
            assert_eq!(u, "sig", "{k}");
        }
    }
    // CheckDiscEndpointRequestParameterSupported, RequestUriParameterSupported, ClaimsParameterSupported: booleans
    // (INFO in the suite); what Lanyard implements.
    assert_eq!(m["request_parameter_supported"], true);
    assert_eq!(m["request_uri_parameter_supported"], true);
    assert_eq!(m["claims_parameter_supported"], true);
    // CheckDiscEndpointRequestObjectSigningAlgValuesSupportedIncludesRS256, only when present (it is).
    assert!(has("request_object_signing_alg_values_supported", "RS256"));
    // OIDCCCheckDiscEndpointClaimsSupported: present, and naming what the ID token and userinfo carry.
    for claim in [
        "sub",
        "iss",
        "auth_time",
        "acr",
        "name",
        "email",
        "address",
        "phone_number",
    ] {
        assert!(has("claims_supported", claim), "{claim}");
    }
    // OIDCCCheckDiscEndpointGrantTypesSupported (the static variant): the code grant.
    assert!(has("grant_types_supported", "authorization_code"));
    // CheckDiscEndpointScopesSupportedContainsOpenId, CheckDiscEndpointScopesSupportedSyntax.
    assert!(has("scopes_supported", "openid"));
    for s in list("scopes_supported") {
        assert!(scope_token(&s), "scope {s:?}");
    }
    // CheckDiscEndpointLocalesSyntax, only when present.
    for name in ["ui_locales_supported", "claims_locales_supported"] {
        if m.contains_key(name) {
            for l in list(name) {
                assert!(language_tag(&l), "{name}: {l}");
            }
        }
    }
    // EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray (and S256 in it).
    assert!(has("code_challenge_methods_supported", "S256"));

    // CheckDiscEndpointIssuerIsValidUrl and CheckDiscEndpointAllEndpointsAreHttps, as deployed behind https.
    let public = "https://op.example.com";
    let prod = Op::start_with(&["--base-url", public]).await;
    let issuer = url::Url::parse(&prod.issuer).expect("the issuer is a URL");
    assert_eq!(issuer.scheme(), "https");
    assert!(issuer.query().is_none() && issuer.fragment().is_none());
    assert!(issuer.username().is_empty() && issuer.password().is_none());
    let prod_meta = prod.meta.as_object().unwrap();
    let urls = endpoints(prod_meta);
    assert!(urls.len() >= 4, "{urls:?}");
    for (name, v) in urls {
        assert!(v.starts_with(&format!("{public}/")), "{name} is https: {v}");
    }
}
