//! `id_token_hint` (OIDC Core §3.1.2.1): an ID token this server issued, naming the user the client expects. Its
//! signature must verify with one of the server's published keys and its `iss` must be the server's; it may have
//! expired (the specification allows it, and a client sends it precisely when its session may have).

use serde_json::{Map, Value};

use crate::crypto::Jwk;
use crate::crypto::verify::UnverifiedJws;
use crate::oauth_error::{ErrorCode, OAuthError};

fn invalid(detail: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidRequest,
        "The 'id_token_hint' parameter is not an ID token issued by this authorization server.",
    )
    .with_detail(detail.to_owned())
}

/// The claims of a valid hint (`sub`, `aud`, `sid`, …), or `invalid_request`.
pub fn verify_id_token_hint(
    token: &str,
    issuer: &str,
    keys: &[Jwk],
) -> Result<Map<String, Value>, OAuthError> {
    let jws = UnverifiedJws::parse(token).map_err(|_| invalid("not a compact JWS"))?;
    jws.verify(keys).map_err(|e| invalid(&e.to_string()))?;
    if jws.claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(invalid("another issuer"));
    }
    if jws.claims.get("sub").and_then(Value::as_str).is_none() {
        return Err(invalid("no sub"));
    }
    Ok(jws.claims)
}

/// The `sub` of a hint already verified.
pub fn hinted_subject(claims: &Map<String, Value>) -> &str {
    claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The client a verified hint was issued to: its `azp`, else its `aud` (a string, or an array of one). Its `sub`
/// is in that client's form (public or pairwise, [`crate::oauth::subject`]).
pub fn hinted_client(claims: &Map<String, Value>) -> Option<&str> {
    if let Some(azp) = claims.get("azp").and_then(Value::as_str) {
        return Some(azp);
    }
    match claims.get("aud")? {
        Value::String(a) => Some(a),
        Value::Array(a) if a.len() == 1 => a[0].as_str(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{SigningAlg, SigningKey, jws};
    use serde_json::json;

    #[test]
    fn a_hint_is_one_of_ours_even_expired_and_nothing_else() {
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let other = SigningKey::generate(SigningAlg::ES256).unwrap();
        let keys = [key.public_jwk().clone()];
        let sign = |k: &SigningKey, c: serde_json::Value| {
            jws::sign(k, None, c.as_object().unwrap()).unwrap()
        };
        let ok = sign(&key, json!({"iss": "https://i", "sub": "00u1", "exp": 1}));
        let c = verify_id_token_hint(&ok, "https://i", &keys).unwrap();
        assert_eq!(hinted_subject(&c), "00u1");
        assert_eq!(hinted_client(&c), None);
        let to = |c: serde_json::Value| c.as_object().unwrap().clone();
        assert_eq!(hinted_client(&to(json!({"aud": "c1"}))), Some("c1"));
        assert_eq!(hinted_client(&to(json!({"aud": ["c1"]}))), Some("c1"));
        assert_eq!(
            hinted_client(&to(json!({"aud": ["c1", "c2"], "azp": "c2"}))),
            Some("c2")
        );
        assert_eq!(hinted_client(&to(json!({"aud": ["c1", "c2"]}))), None);
        for bad in [
            sign(&other, json!({"iss": "https://i", "sub": "00u1"})),
            sign(&key, json!({"iss": "https://elsewhere", "sub": "00u1"})),
            sign(&key, json!({"iss": "https://i"})),
            "garbage".to_owned(),
            {
                let (signed, sig) = ok.rsplit_once('.').unwrap();
                let flipped = if sig.starts_with('A') { "B" } else { "A" };
                format!("{signed}.{flipped}{}", &sig[1..])
            },
        ] {
            let e = verify_id_token_hint(&bad, "https://i", &keys).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
        }
    }
}
