//! JSON Web Keys (RFC 7517) and thumbprints (RFC 7638).

use serde::{Deserialize, Serialize};

use super::sha256;
use crate::random::b64url;

/// A public JWK. Only the members Lanyard publishes; private members are never represented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Jwk {
    pub kty: String,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

impl Jwk {
    fn empty(kty: &str) -> Self {
        Jwk {
            kty: kty.to_owned(),
            use_: None,
            alg: None,
            kid: None,
            crv: None,
            n: None,
            e: None,
            x: None,
            y: None,
        }
    }

    pub fn rsa(n: String, e: String) -> Self {
        Jwk {
            n: Some(n),
            e: Some(e),
            ..Self::empty("RSA")
        }
    }

    pub fn ec_p256(x: String, y: String) -> Self {
        Jwk {
            crv: Some("P-256".into()),
            x: Some(x),
            y: Some(y),
            ..Self::empty("EC")
        }
    }

    pub fn ed25519(x: String) -> Self {
        Jwk {
            crv: Some("Ed25519".into()),
            x: Some(x),
            ..Self::empty("OKP")
        }
    }

    /// RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order, base64url.
    pub fn thumbprint(&self) -> String {
        let s = |v: &Option<String>| {
            serde_json::to_string(v.as_deref().unwrap_or_default()).unwrap_or_default()
        };
        let canonical = match self.kty.as_str() {
            "RSA" => format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, s(&self.e), s(&self.n)),
            "EC" => format!(
                r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
                s(&self.crv),
                s(&self.x),
                s(&self.y)
            ),
            "OKP" => format!(
                r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
                s(&self.crv),
                s(&self.x)
            ),
            other => format!(
                r#"{{"kty":{}}}"#,
                serde_json::to_string(other).unwrap_or_default()
            ),
        };
        b64url(&sha256(canonical.as_bytes()))
    }
}

/// A JWK Set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1.
        let jwk = Jwk::rsa(
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into(),
            "AQAB".into(),
        );
        assert_eq!(
            jwk.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
