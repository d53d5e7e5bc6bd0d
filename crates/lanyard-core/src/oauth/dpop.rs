//! DPoP (RFC 9449): checking a proof (`typ: dpop+jwt`, an asymmetric `alg`, the public `jwk` in the header, `jti`,
//! `htm`, `htu`, `iat`, `ath` for an access token, the server's `nonce`), each proof's `jti` usable once, and the
//! server's nonces: stateless, an HMAC of the current time window under a key derived from the master key, so every
//! node accepts every node's nonces.

use serde_json::Value;

use crate::clock::Timestamp;
use crate::crypto::verify::UnverifiedJws;
use crate::crypto::{Jwk, constant_time_eq, sha256};
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::b64url;
use crate::store::GrantStore;

/// How far a proof's `iat` may be from now.
const IAT_WINDOW_SECS: i64 = 60;
/// A nonce is valid in its window and the next (so 5 to 10 minutes).
const NONCE_WINDOW_SECS: i64 = 300;

/// A checked proof: the thumbprint of its key (`cnf.jkt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub jkt: String,
}

fn invalid(detail: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, "The DPoP proof is invalid.").with_detail(detail)
}

/// The server's current nonce.
pub fn nonce(key: &[u8; 32], now: Timestamp) -> String {
    nonce_for(key, now.timestamp().div_euclid(NONCE_WINDOW_SECS))
}

fn nonce_for(key: &[u8; 32], window: i64) -> String {
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&k, &window.to_be_bytes());
    b64url(&tag.as_ref()[..18])
}

fn nonce_ok(key: &[u8; 32], presented: &str, now: Timestamp) -> bool {
    let w = now.timestamp().div_euclid(NONCE_WINDOW_SECS);
    [w, w - 1]
        .iter()
        .any(|&w| constant_time_eq(nonce_for(key, w).as_bytes(), presented.as_bytes()))
}

/// The request a proof must match.
pub struct Expected<'a> {
    pub method: &'a str,
    /// The endpoint's URL, without query or fragment.
    pub url: &'a str,
    /// The access token the request carries (resource requests): the proof's `ath` must be its hash.
    pub access_token: Option<&'a str>,
    /// The key to check nonces with; `None` when the endpoint does not require a nonce.
    pub nonce_key: Option<&'a [u8; 32]>,
}

fn strip(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// A URL without query and fragment, its percent-encoded octets decoded (but `%2F`, which would change the path's
/// segments): `htu` and the request's URL compare equal when they differ only in what a client or its HTTP library
/// chose to escape (Okta's Python SDK names `users/a%40b.c` in `htu` and sends `users/a@b.c`), RFC 9449 §4.3's
/// syntax-based normalisation.
fn normalised(url: &str) -> Vec<u8> {
    let bytes = strip(url).as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            let b = (h * 16 + l) as u8;
            if b != b'/' {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Checks a `DPoP` header value. A missing or stale nonce is `use_dpop_nonce` (the caller sends the current one in
/// a `DPoP-Nonce` header).
pub async fn check(
    store: &dyn GrantStore,
    proof: &str,
    expected: &Expected<'_>,
    now: Timestamp,
) -> Result<Proof, OAuthError> {
    let jws = UnverifiedJws::parse(proof).map_err(|e| invalid(format!("not a JWS: {e}")))?;
    if jws.typ() != Some("dpop+jwt") {
        return Err(invalid("typ must be dpop+jwt"));
    }
    jws.alg().map_err(|_| invalid("unsupported alg"))?;
    let jwk_value = jws
        .header
        .get("jwk")
        .ok_or_else(|| invalid("no jwk in the header"))?;
    if jwk_value.get("d").is_some() {
        return Err(invalid("the jwk holds a private key"));
    }
    let jwk: Jwk = serde_json::from_value(jwk_value.clone()).map_err(|_| invalid("bad jwk"))?;
    jws.verify(std::slice::from_ref(&Jwk {
        kid: None,
        ..jwk.clone()
    }))
    .map_err(|e| invalid(format!("signature: {e}")))?;
    let c = &jws.claims;
    let s = |k: &str| c.get(k).and_then(Value::as_str);
    let jti = s("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| invalid("no jti"))?;
    if s("htm") != Some(expected.method) {
        return Err(invalid("htm does not match the request method"));
    }
    match s("htu") {
        Some(htu) if normalised(htu) == normalised(expected.url) => {}
        _ => return Err(invalid("htu does not match the request URL")),
    }
    let iat = c
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("no iat"))?;
    if (iat - now.timestamp()).abs() > IAT_WINDOW_SECS {
        return Err(invalid("iat is too far from now"));
    }
    if let Some(token) = expected.access_token {
        let ath = b64url(&sha256(token.as_bytes()));
        if !s("ath").is_some_and(|a| constant_time_eq(a.as_bytes(), ath.as_bytes())) {
            return Err(invalid("ath does not match the access token"));
        }
    }
    if let Some(key) = expected.nonce_key
        && !s("nonce").is_some_and(|n| nonce_ok(key, n, now))
    {
        return Err(OAuthError::new(
            ErrorCode::UseDpopNonce,
            "Authorization server requires nonce in DPoP proof.",
        ));
    }
    let jkt = jwk.thumbprint();
    let until = crate::clock::from_millis((now.timestamp() + IAT_WINDOW_SECS * 2) * 1000);
    let first = store
        .record_jti(&format!("dpop:{jkt}:{jti}"), until)
        .await
        .map_err(crate::oauth::grants::storage)?;
    if !first {
        return Err(invalid("jti replayed"));
    }
    Ok(Proof { jkt })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{SigningAlg, SigningKey};
    use crate::store::memory::MemoryStore;
    use serde_json::json;

    /// A proof signed by `key` with its public JWK in the header.
    pub fn proof(key: &SigningKey, claims: Value) -> String {
        use base64::Engine;
        let b = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
        };
        let header = json!({"typ": "dpop+jwt", "alg": key.alg().as_str(), "jwk": key.public_jwk()});
        let input = format!("{}.{}", b(&header), b(&claims));
        let sig = key.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", b64url(&sig))
    }

    #[tokio::test]
    async fn proofs_are_checked_and_used_once() {
        let store = MemoryStore::new();
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let now = crate::clock::from_millis(1_700_000_000_000);
        let nk = [7u8; 32];
        let exp = Expected {
            method: "POST",
            url: "http://x/oauth2/v1/token",
            access_token: None,
            nonce_key: Some(&nk),
        };
        let claims = |jti: &str, nonce: Option<String>| json!({"jti": jti, "htm": "POST", "htu": "http://x/oauth2/v1/token", "iat": now.timestamp(), "nonce": nonce});
        // Without a nonce: use_dpop_nonce.
        let e = check(&store, &proof(&key, claims("a", None)), &exp, now)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UseDpopNonce);
        let p = check(
            &store,
            &proof(&key, claims("b", Some(nonce(&nk, now)))),
            &exp,
            now,
        )
        .await
        .unwrap();
        assert_eq!(p.jkt, key.public_jwk().thumbprint());
        // The same jti again.
        let e = check(
            &store,
            &proof(&key, claims("b", Some(nonce(&nk, now)))),
            &exp,
            now,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidDpopProof);
        // A nonce from the previous window still works; an older one does not.
        let earlier = now - chrono::Duration::seconds(NONCE_WINDOW_SECS);
        assert!(
            check(
                &store,
                &proof(&key, claims("c", Some(nonce(&nk, earlier)))),
                &exp,
                now
            )
            .await
            .is_ok()
        );
        let old = now - chrono::Duration::seconds(3 * NONCE_WINDOW_SECS);
        assert!(
            check(
                &store,
                &proof(&key, claims("d", Some(nonce(&nk, old)))),
                &exp,
                now
            )
            .await
            .is_err()
        );
    }

    #[tokio::test]
    async fn method_url_time_and_token_binding_are_enforced() {
        let store = MemoryStore::new();
        let key = SigningKey::generate(SigningAlg::EdDSA).unwrap();
        let now = crate::clock::from_millis(1_700_000_000_000);
        let exp = Expected {
            method: "GET",
            url: "http://x/userinfo",
            access_token: Some("tok"),
            nonce_key: None,
        };
        let ath = b64url(&sha256(b"tok"));
        let ok = json!({"jti": "1", "htm": "GET", "htu": "http://x/userinfo?x=1", "iat": now.timestamp(), "ath": ath});
        assert!(
            check(&store, &proof(&key, ok.clone()), &exp, now)
                .await
                .is_ok()
        );
        // Escaped and unescaped octets are the same URL.
        let exp_at = Expected {
            url: "http://x/users/a@b.c",
            ..Expected { ..exp }
        };
        let mut escaped = ok.clone();
        escaped["htu"] = json!("http://x/users/a%40b.c");
        escaped["jti"] = json!("escaped");
        assert!(
            check(&store, &proof(&key, escaped), &exp_at, now)
                .await
                .is_ok()
        );
        let exp = Expected {
            method: "GET",
            url: "http://x/userinfo",
            access_token: Some("tok"),
            nonce_key: None,
        };
        for (k, v) in [
            ("htm", json!("POST")),
            ("htu", json!("http://y/userinfo")),
            ("htu", json!("http://x/user%2Finfo")),
            ("iat", json!(now.timestamp() - 120)),
            ("ath", json!("nope")),
        ] {
            let mut c = ok.clone();
            c[k] = v;
            c["jti"] = json!(format!("j-{k}"));
            let e = check(&store, &proof(&key, c), &exp, now).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidDpopProof, "{k}");
        }
        // Not a DPoP proof at all.
        let plain = crate::crypto::jws::sign(&key, Some("JWT"), &ok).unwrap();
        assert!(check(&store, &plain, &exp, now).await.is_err());
    }
}
