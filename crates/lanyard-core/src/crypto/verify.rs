//! Verifying compact JWS (RFC 7515) against public JWKs: client assertions (`private_key_jwt`), our own tokens
//! at introspection, hints and proofs. Only asymmetric algorithms Lanyard knows; `none` and HMAC are refused.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::{Jwk, SigningAlg};

/// The clock skew allowed on the time claims (`exp`, `nbf`, `iat`) of JWTs from outside: client assertions and
/// request objects.
pub const LEEWAY_SECS: i64 = 30;

/// A compact JWS split and decoded, not yet verified.
#[derive(Debug, Clone)]
pub struct UnverifiedJws<'a> {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("unsupported algorithm")]
    Algorithm,
    #[error("no matching key")]
    NoKey,
    #[error("bad signature")]
    Signature,
    #[error("a critical header parameter Lanyard does not understand")]
    Critical,
}

fn decode_json(part: &str) -> Result<Map<String, Value>, JwsError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(JwsError::Malformed),
    }
}

impl<'a> UnverifiedJws<'a> {
    /// Splits and decodes `token`. A header with `crit` is refused here, for every JWS Lanyard reads (client
    /// assertions, request objects, hints, DPoP proofs, its own tokens): `crit` names extensions the recipient must
    /// understand, Lanyard understands none, and RFC 7515 §4.1.11 then requires the JWS be rejected.
    pub fn parse(token: &'a str) -> Result<Self, JwsError> {
        if token.len() > 16 * 1024 {
            return Err(JwsError::Malformed);
        }
        let (signing_input, sig) = token.rsplit_once('.').ok_or(JwsError::Malformed)?;
        let (h, c) = signing_input.split_once('.').ok_or(JwsError::Malformed)?;
        if c.contains('.') {
            return Err(JwsError::Malformed);
        }
        let header = decode_json(h)?;
        if header.contains_key("crit") {
            return Err(JwsError::Critical);
        }
        Ok(UnverifiedJws {
            header,
            claims: decode_json(c)?,
            signing_input,
            signature: URL_SAFE_NO_PAD
                .decode(sig)
                .map_err(|_| JwsError::Malformed)?,
        })
    }

    /// The header's `alg`, if Lanyard supports it.
    pub fn alg(&self) -> Result<SigningAlg, JwsError> {
        self.header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(|a| a.parse().ok())
            .ok_or(JwsError::Algorithm)
    }

    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }

    /// Verifies with the first key of `keys` that fits the header (`kid` when given, the algorithm's key type).
    pub fn verify(&self, keys: &[Jwk]) -> Result<(), JwsError> {
        let alg = self.alg()?;
        let kid = self.kid();
        let mut candidates = keys.iter().filter(|k| {
            kid.is_none_or(|kid| k.kid.as_deref() == Some(kid))
                && key_fits(k, alg)
                && k.use_.as_deref().is_none_or(|u| u == "sig")
        });
        let key = candidates.next().ok_or(JwsError::NoKey)?;
        verify_with(key, alg, self.signing_input.as_bytes(), &self.signature)
    }
}

fn key_fits(k: &Jwk, alg: SigningAlg) -> bool {
    let alg_ok = k.alg.as_deref().is_none_or(|a| a == alg.as_str());
    alg_ok
        && match alg {
            SigningAlg::RS256 => k.kty == "RSA",
            SigningAlg::ES256 => k.kty == "EC" && k.crv.as_deref() == Some("P-256"),
            SigningAlg::EdDSA => k.kty == "OKP" && k.crv.as_deref() == Some("Ed25519"),
        }
}

fn b64(v: &Option<String>) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(v.as_deref().ok_or(JwsError::NoKey)?)
        .map_err(|_| JwsError::NoKey)
}

fn verify_with(key: &Jwk, alg: SigningAlg, input: &[u8], sig: &[u8]) -> Result<(), JwsError> {
    let ok = match alg {
        SigningAlg::RS256 => aws_lc_rs::rsa::PublicKeyComponents {
            n: b64(&key.n)?,
            e: b64(&key.e)?,
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, input, sig)
        .is_ok(),
        SigningAlg::ES256 => {
            let mut point = vec![4u8];
            point.extend(b64(&key.x)?);
            point.extend(b64(&key.y)?);
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(input, sig)
                .is_ok()
        }
        SigningAlg::EdDSA => UnparsedPublicKey::new(&ED25519, b64(&key.x)?)
            .verify(input, sig)
            .is_ok(),
    };
    if ok { Ok(()) } else { Err(JwsError::Signature) }
}

/// Parses a JWK Set's keys, skipping members Lanyard cannot use.
pub fn jwks_keys(set: &Value) -> Vec<Jwk> {
    set.get("keys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{SigningKey, jws};
    use serde_json::json;

    #[test]
    fn signatures_of_every_algorithm_verify_and_tampering_is_caught() {
        for alg in SigningAlg::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let token = jws::sign(&key, Some("JWT"), &json!({"sub": "a"})).unwrap();
            let parsed = UnverifiedJws::parse(&token).unwrap();
            assert_eq!(parsed.claims["sub"], "a");
            assert_eq!(parsed.typ(), Some("JWT"));
            parsed
                .verify(std::slice::from_ref(key.public_jwk()))
                .unwrap();

            let other = SigningKey::generate(alg).unwrap();
            let mut jwk = other.public_jwk().clone();
            jwk.kid = key.public_jwk().kid.clone();
            assert_eq!(parsed.verify(&[jwk]), Err(JwsError::Signature), "{alg}");

            let (head, _) = token.split_once('.').unwrap();
            let forged = format!(
                "{head}.{}.{}",
                URL_SAFE_NO_PAD.encode(br#"{"sub":"b"}"#),
                token.rsplit_once('.').unwrap().1
            );
            let forged = UnverifiedJws::parse(&forged).unwrap();
            assert_eq!(
                forged.verify(std::slice::from_ref(key.public_jwk())),
                Err(JwsError::Signature)
            );
        }
    }

    #[test]
    fn none_and_hmac_are_refused_and_garbage_is_malformed() {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let c = URL_SAFE_NO_PAD.encode(br#"{}"#);
        let t = format!("{h}.{c}.");
        assert_eq!(
            UnverifiedJws::parse(&t).unwrap().verify(&[]),
            Err(JwsError::Algorithm)
        );
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        let t = format!("{h}.{c}.AAAA");
        assert_eq!(
            UnverifiedJws::parse(&t).unwrap().verify(&[]),
            Err(JwsError::Algorithm)
        );
        assert!(UnverifiedJws::parse("abc").is_err());
        // RFC 7515 §4.1.11: `crit` (Lanyard understands no extension), whatever it lists, even nothing.
        for crit in [r#"["exp"]"#, r#"["b64"]"#, "[]", "null"] {
            let h = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"ES256","crit":{crit}}}"#));
            assert_eq!(
                UnverifiedJws::parse(&format!("{h}.{c}.AAAA")).unwrap_err(),
                JwsError::Critical
            );
        }
        assert!(UnverifiedJws::parse("a.b.c.d").is_err());
    }
}
