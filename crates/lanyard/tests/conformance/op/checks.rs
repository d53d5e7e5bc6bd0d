//! The checks the OIDF suite applies in every flow (`docs/conformance.md`, "Checks applied in every flow" and
//! "ID token"), written once and called by every module.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{AuthRequest, Op, Outcome, decode, half_hash, verify};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// An authorization response: `state` echoed; `iss`, when present, the issuer; implicit and hybrid answers never
/// in the query; an ID token, code or access token only where the response type asks for it.
pub fn authorization_response(op: &Op, req: &AuthRequest, outcome: &Outcome) {
    let p = outcome.params();
    assert_eq!(
        p.get("state").map(String::as_str),
        req.get("state"),
        "state echoed: {p:?}"
    );
    if let Some(iss) = p.get("iss") {
        assert_eq!(iss, &op.issuer, "iss is the issuer (RFC 9207)");
    }
    let response_type = req.get("response_type").unwrap_or_default();
    let mode = req.get("response_mode");
    let front = response_type
        .split(' ')
        .any(|t| t == "token" || t == "id_token");
    if let Outcome::Redirect { query, .. } = outcome
        && (front || mode == Some("fragment"))
    {
        assert!(
            !query.contains_key("code") && !query.contains_key("error"),
            "implicit/hybrid responses never put code or error in the query: {query:?}"
        );
    }
    if mode == Some("form_post") {
        assert!(
            matches!(outcome, Outcome::FormPost(_)),
            "form_post answers with a form: {outcome:?}"
        );
    }
    if p.contains_key("error") {
        return;
    }
    let types: Vec<&str> = response_type.split(' ').collect();
    assert_eq!(
        p.contains_key("code"),
        types.contains(&"code"),
        "code: {p:?}"
    );
    assert_eq!(
        p.contains_key("id_token"),
        types.contains(&"id_token"),
        "id_token: {p:?}"
    );
    assert_eq!(
        p.contains_key("access_token"),
        types.contains(&"token"),
        "access_token: {p:?}"
    );
    if let Some(code) = p.get("code") {
        // ≥ 128 bits: at least 22 base64url characters.
        assert!(code.len() >= 22, "code too short: {code}");
    }
    if let Some(e) = p.get("expires_in") {
        expires_in(&Value::String(e.clone()));
    }
}

/// Error responses carry only the parameters RFC 6749 and its extensions name.
pub fn error_params(p: &BTreeMap<String, String>) {
    for k in p.keys() {
        assert!(
            [
                "error",
                "error_description",
                "error_uri",
                "state",
                "session_state",
                "iss"
            ]
            .contains(&k.as_str()),
            "unexpected parameter {k} in an error response: {p:?}"
        );
    }
}

fn expires_in(v: &Value) {
    let n = match v {
        Value::Number(n) => n.as_i64().expect("integer expires_in"),
        Value::String(s) => s.parse::<i64>().expect("integer expires_in"),
        other => panic!("expires_in: {other}"),
    };
    assert!(n > 0 && n < 365 * 24 * 3600, "expires_in {n}");
}

/// A successful token response.
pub fn token_response(body: &Value) {
    assert!(
        body["access_token"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    let tt = body["token_type"].as_str().unwrap_or_default();
    assert!(
        tt.eq_ignore_ascii_case("bearer") || tt.eq_ignore_ascii_case("dpop"),
        "{body}"
    );
    if !body["expires_in"].is_null() {
        expires_in(&body["expires_in"]);
    }
    assert!(body.get("state").is_none(), "no state in a token response");
}

/// An ID token: the signature (one matching key in the JWKS), and every claim rule of the OIDF suite. Its claims.
pub fn id_token(
    issuer: &str,
    jwks: &Value,
    client_id: &str,
    token: &str,
    nonce: Option<&str>,
) -> Map<String, Value> {
    jwks_structure(jwks);
    let (header, claims) = decode(token);
    let alg = header["alg"].as_str().expect("alg");
    assert_ne!(alg, "none", "unsigned ID tokens only where registered");
    let kid = header["kid"].as_str().expect("a kid in the header");
    let matching: Vec<&Value> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|k| {
            k["kid"] == kid
                && k.get("use").is_none_or(|u| u == "sig")
                && k.get("alg").is_none_or(|a| a == alg)
        })
        .collect();
    assert_eq!(matching.len(), 1, "exactly one key matches kid {kid}");
    let kty = matching[0]["kty"].as_str().unwrap_or_default();
    let expected_kty = match alg {
        a if a.starts_with("RS") || a.starts_with("PS") => "RSA",
        a if a.starts_with("ES") => "EC",
        "EdDSA" => "OKP",
        other => panic!("unexpected alg {other}"),
    };
    assert_eq!(kty, expected_kty, "key type matches alg");
    verify(token, jwks).expect("signed by the published key");

    assert_eq!(claims["iss"], issuer, "iss is the issuer");
    match &claims["aud"] {
        Value::String(a) => assert_eq!(a, client_id),
        Value::Array(a) => {
            assert!(a.iter().any(|x| x == client_id), "aud holds the client");
            if a.len() > 1 {
                assert_eq!(claims["azp"], client_id, "azp with several audiences");
            }
        }
        other => panic!("aud: {other}"),
    }
    let t = now();
    let exp = claims["exp"].as_i64().expect("exp a number");
    let iat = claims["iat"].as_i64().expect("iat a number");
    assert!(exp > t - 300, "exp not more than 5 min in the past");
    assert!((iat - t).abs() <= 300, "iat within 5 min of now");
    if let Some(at) = claims.get("auth_time") {
        let at = at.as_i64().expect("auth_time a number");
        assert!(at <= t + 5 && at > t - 365 * 24 * 3600, "auth_time {at}");
    }
    if let Some(acr) = claims.get("acr") {
        assert!(acr.as_str().is_some_and(|s| !s.is_empty()), "acr: {acr}");
    }
    let sub = claims["sub"].as_str().expect("sub a string");
    assert!(
        !sub.is_empty() && sub.len() <= 255 && sub.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "sub: {sub:?}"
    );
    match nonce {
        Some(n) => assert_eq!(claims["nonce"], n, "nonce echoed"),
        None => assert!(claims.get("nonce").is_none(), "no nonce when none was sent"),
    }
    standard_claims(&claims);
    claims
}

/// `at_hash` / `c_hash` / `s_hash` of `claims` match `value` under the ID token's alg.
pub fn half_hash_claim(token: &str, claim: &str, value: &str) {
    let (header, claims) = decode(token);
    let alg = header["alg"].as_str().expect("alg");
    assert_eq!(
        claims.get(claim).and_then(Value::as_str),
        Some(half_hash(alg, value).as_str()),
        "{claim} of the ID token"
    );
}

/// Standard claims, when present, have the types OIDC Core §5.1 gives them.
pub fn standard_claims(claims: &Map<String, Value>) {
    for name in [
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "email",
        "gender",
        "zoneinfo",
        "locale",
        "phone_number",
    ] {
        if let Some(v) = claims.get(name) {
            assert!(
                v.as_str().is_some_and(|s| !s.trim().is_empty()),
                "{name} a non-blank string: {v}"
            );
        }
    }
    for name in ["email_verified", "phone_number_verified"] {
        if let Some(v) = claims.get(name) {
            assert!(v.is_boolean(), "{name} a boolean: {v}");
        }
    }
    if let Some(v) = claims.get("birthdate") {
        let s = v.as_str().expect("birthdate a string");
        let ok = (s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-')
            || (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()));
        assert!(ok, "birthdate: {s}");
    }
    if let Some(v) = claims.get("address") {
        let a = v.as_object().expect("address an object");
        for (k, m) in a {
            assert!(m.is_string(), "address.{k} a string");
        }
    }
    if let Some(v) = claims.get("updated_at") {
        let n = v.as_i64().expect("updated_at a number");
        assert!(n >= 631_152_000 && n <= now() + 5, "updated_at {n}");
    }
}

/// A userinfo answer (OIDC Core §5.3.2): 200, JSON, an object whose `sub` is the ID token's, standard claims of
/// the right types. Its claims.
pub fn userinfo_response(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &str,
    id_token: &Map<String, Value>,
) -> Map<String, Value> {
    assert_eq!(status, 200, "userinfo: {body}");
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "userinfo content type {ct}"
    );
    let info: Value = serde_json::from_str(body).expect("userinfo is JSON");
    let info = info.as_object().expect("userinfo is an object").clone();
    assert!(
        info.get("sub")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty()),
        "userinfo has a sub: {info:?}"
    );
    assert_eq!(
        info["sub"], id_token["sub"],
        "userinfo's sub is the ID token's"
    );
    standard_claims(&info);
    info
}

/// The claims a scope releases (OIDC Core §5.4), as the OIDF suite lists them (`AbstractVerifyScopesReturnedInClaims`).
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "openid" => &["sub"],
        "profile" => &[
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
            "preferred_username",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// Claims of the OIDF scope lists that Lanyard never releases because an Okta profile has no such attribute
/// (`picture`, `gender`, `birthdate`) or Lanyard never verifies phone numbers (`phone_number_verified`). The OIDF
/// module answers a WARNING for them, not a failure (`docs/conformance.md`).
pub const NOT_IN_AN_OKTA_PROFILE: &[&str] =
    &["picture", "gender", "birthdate", "phone_number_verified"];

/// Every claim the `scope` releases for the test user (whose profile fills every Okta attribute) is in `claims`.
pub fn scope_claims_present(claims: &Map<String, Value>, scopes: &str) {
    for scope in scopes.split(' ') {
        for name in scope_claims(scope) {
            if NOT_IN_AN_OKTA_PROFILE.contains(name) {
                continue;
            }
            assert!(
                claims.contains_key(*name),
                "scope {scope} releases {name}: {claims:?}"
            );
        }
    }
}

/// Two ID tokens of one sign-in (`AbstractOIDCCSameAuthTwiceServerTest`): the same `sub`, and the same
/// `auth_time` when present.
pub fn same_authentication(first: &Map<String, Value>, second: &Map<String, Value>) {
    assert_eq!(first["sub"], second["sub"], "sub consistent");
    assert_eq!(
        first.get("auth_time"),
        second.get("auth_time"),
        "auth_time the same (no new sign-in)"
    );
}

/// A second sign-in (`CheckSecondIdTokenAuthTimeIsLaterIfPresent`, `CheckIdTokenAuthTimeIsRecentIfPresent`):
/// `auth_time` present, later than the first one's, and recent.
pub fn later_authentication(first: &Map<String, Value>, second: &Map<String, Value>) {
    let a1 = first["auth_time"].as_i64().expect("first auth_time");
    let a2 = second["auth_time"]
        .as_i64()
        .expect("auth_time present after a new sign-in");
    assert!(a2 > a1, "auth_time later: {a1} then {a2}");
    assert!(now() - a2 < 60, "auth_time recent: {a2}");
    assert_eq!(first["sub"], second["sub"], "sub consistent");
}

/// A token endpoint error (RFC 6749 §5.2): 400, JSON, `error` as expected, and only the members §5.2 names with
/// the characters it allows.
pub fn token_error(status: u16, body: &Value, error: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], error, "{body}");
    let printable = |s: &str| {
        s.bytes().all(|b| {
            b == 0x20 || b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)
        })
    };
    if let Some(d) = body.get("error_description") {
        assert!(
            d.as_str().is_some_and(printable),
            "error_description characters (RFC 6749 §5.2): {d}"
        );
    }
    if let Some(u) = body.get("error_uri") {
        assert!(u.as_str().is_some_and(printable), "error_uri: {u}");
    }
}

/// A JWKS: well formed, public keys only, distinct `kid`s.
pub fn jwks_structure(jwks: &Value) {
    let keys = jwks["keys"].as_array().expect("keys an array");
    assert!(!keys.is_empty());
    let mut kids = std::collections::BTreeSet::new();
    for k in keys {
        let kty = k["kty"].as_str().expect("kty");
        assert_ne!(kty, "oct", "no symmetric keys");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(k.get(private).is_none(), "no private member {private}");
        }
        let kid = k["kid"].as_str().expect("every key has a kid");
        assert!(kids.insert(kid.to_owned()), "kid {kid} twice");
    }
}
