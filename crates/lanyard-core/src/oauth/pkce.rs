//! PKCE (RFC 7636): only S256 is accepted (`plain` protects nothing against an attacker who sees the request).

use crate::crypto::{constant_time_eq, sha256};
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::b64url;

/// Checks the challenge of an authorization request; returns it.
pub fn check_challenge(challenge: &str, method: Option<&str>) -> Result<String, OAuthError> {
    match method {
        Some("S256") => {}
        None => {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                "code_challenge_method must be S256.",
            ));
        }
        Some(_) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                "Only the S256 code_challenge_method is supported.",
            ));
        }
    }
    if challenge.len() != 43 || !challenge.bytes().all(is_unreserved) {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters).",
        ));
    }
    Ok(challenge.to_owned())
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Whether `verifier` (43–128 unreserved characters) hashes to `challenge`.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(is_unreserved)
        && constant_time_eq(
            b64url(&sha256(verifier.as_bytes())).as_bytes(),
            challenge.as_bytes(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify(verifier, challenge));
        assert!(!verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            challenge
        ));
        assert!(!verify("short", challenge));
        assert_eq!(check_challenge(challenge, Some("S256")).unwrap(), challenge);
        assert!(check_challenge(challenge, Some("plain")).is_err());
        assert!(check_challenge(challenge, None).is_err());
        assert!(check_challenge("abc", Some("S256")).is_err());
    }
}
