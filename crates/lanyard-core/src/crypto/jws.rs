//! Compact JWS serialization (RFC 7515) of JSON claims.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{CryptoError, SigningKey};
use crate::random::b64url;

/// Signs `claims` with `key`. The header carries `alg`, `kid` and, when given, `typ` (e.g. `at+jwt`).
pub fn sign<C: Serialize>(
    key: &SigningKey,
    typ: Option<&str>,
    claims: &C,
) -> Result<String, CryptoError> {
    let mut header = Map::with_capacity(3);
    header.insert("alg".into(), Value::from(key.alg().as_str()));
    header.insert("kid".into(), Value::from(key.kid()));
    if let Some(typ) = typ {
        header.insert("typ".into(), Value::from(typ));
    }
    let header = serde_json::to_vec(&header).map_err(|_| CryptoError::Sign)?;
    let claims = serde_json::to_vec(claims).map_err(|_| CryptoError::Sign)?;
    let mut out = String::with_capacity((header.len() + claims.len()) * 4 / 3 + 400);
    out.push_str(&b64url(&header));
    out.push('.');
    out.push_str(&b64url(&claims));
    let signature = key.sign(out.as_bytes())?;
    out.push('.');
    out.push_str(&b64url(&signature));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SigningAlg;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
    };
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn verify(key: &SigningKey, jws: &str) -> bool {
        let (input, sig) = jws.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        let jwk = key.public_jwk();
        let d = |s: &Option<String>| URL_SAFE_NO_PAD.decode(s.as_deref().unwrap()).unwrap();
        match key.alg() {
            SigningAlg::RS256 => aws_lc_rs::rsa::PublicKeyComponents {
                n: d(&jwk.n),
                e: d(&jwk.e),
            }
            .verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &sig)
            .is_ok(),
            SigningAlg::ES256 => {
                let mut point = vec![4u8];
                point.extend(d(&jwk.x));
                point.extend(d(&jwk.y));
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .verify(input.as_bytes(), &sig)
                    .is_ok()
            }
            SigningAlg::EdDSA => UnparsedPublicKey::new(&ED25519, d(&jwk.x))
                .verify(input.as_bytes(), &sig)
                .is_ok(),
        }
    }

    #[test]
    fn signatures_verify_with_the_published_jwk_and_fail_when_tampered() {
        for alg in SigningAlg::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let jws = sign(&key, Some("at+jwt"), &serde_json::json!({"sub": "a"})).unwrap();
            assert!(verify(&key, &jws), "{alg} signature should verify");
            let header: Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(jws.split('.').next().unwrap())
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(header["kid"], key.kid());
            assert_eq!(header["alg"], alg.as_str());
            let tampered = jws.replacen(".ey", ".ez", 1);
            assert!(!verify(&key, &tampered), "{alg} tampered token must fail");
        }
    }
}
