//! WebAuthn (passkeys and security keys): Okta's `webauthn` factor, provider `FIDO`, over webauthn-rs's `Passkey`
//! ceremonies (user verification required, no attestation requested).
//!
//! The relying party is the public base URL: its host is the RP id, its scheme, host and port the one origin
//! accepted. WebAuthn has no place for IP addresses, so a base URL such as `http://127.0.0.1:8080` has no relying
//! party ([`RelyingParty::new`] says why); `http://localhost:…` is a secure context for browsers and works.
//!
//! A ceremony is two requests, which may reach different nodes: [`RelyingParty::start_registration`] and
//! [`RelyingParty::start_authentication`] return the options for the browser and the server-side state, which the
//! caller stores (as JSON) and hands back, once, to the matching `finish_*`. Each challenge is webauthn-rs's own:
//! 32 bytes from the operating system's generator, the one piece of randomness that is not an input here.
//!
//! Okta's requests carry the binary fields (`attestation`, `clientData`, `authenticatorData`, `signatureData`) as
//! base64 text: [`decode_b64`] accepts the URL-safe and the standard alphabets, with or without padding.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use webauthn_rs::Webauthn;

pub use webauthn_rs::prelude::Passkey as StoredPasskey;
use webauthn_rs::prelude::{
    AuthenticationResult, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, WebauthnBuilder,
};

use crate::crypto::sha256;

/// The largest binary field accepted from a client, decoded (attestation objects with certificate chains fit).
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Why a ceremony failed. Deliberately terse towards clients; `detail` is for the server's log.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WebAuthnError {
    /// The base URL cannot be a WebAuthn relying party.
    #[error("WebAuthn is unavailable: {0}")]
    Unavailable(String),
    /// A field is missing or not base64.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The stored ceremony state cannot be read back.
    #[error("invalid ceremony state")]
    State,
    /// The browser's response does not verify (wrong challenge, origin, signature, user not verified, …).
    #[error("the credential was refused: {0}")]
    Refused(String),
}

/// The relying party: this deployment, as authenticators know it.
#[derive(Clone)]
pub struct RelyingParty {
    webauthn: Webauthn,
    rp_id: String,
    origin: String,
}

impl fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingParty")
            .field("rp_id", &self.rp_id)
            .field("origin", &self.origin)
            .finish()
    }
}

impl RelyingParty {
    /// The relying party of `base_url` (`https://id.example.com/sso` → RP id `id.example.com`, origin
    /// `https://id.example.com`), shown to people as `name`. Fails for a host that is an IP address.
    pub fn new(base_url: &str, name: &str) -> Result<Self, WebAuthnError> {
        let url = Url::parse(base_url)
            .map_err(|_| WebAuthnError::Unavailable(format!("{base_url:?} is not a URL")))?;
        let Some(domain) = url.domain().map(str::to_owned) else {
            return Err(WebAuthnError::Unavailable(format!(
                "the base URL's host must be a domain name (e.g. localhost), not an IP address: {base_url}"
            )));
        };
        let origin_text = url.origin().ascii_serialization();
        let origin = Url::parse(&origin_text)
            .map_err(|_| WebAuthnError::Unavailable(format!("no origin for {base_url:?}")))?;
        let webauthn = WebauthnBuilder::new(&domain, &origin)
            .and_then(|b| b.rp_name(name).build())
            .map_err(|e| WebAuthnError::Unavailable(e.to_string()))?;
        Ok(RelyingParty {
            webauthn,
            rp_id: domain,
            origin: origin_text,
        })
    }

    /// The RP id: the base URL's host.
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// The one origin accepted: scheme, host and port of the base URL.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Starts registering a passkey for a user who already has `existing` (excluded, so an authenticator is not
    /// registered twice). Returns the `publicKey` creation options for the browser and the state to keep.
    pub fn start_registration(
        &self,
        user_id: &str,
        login: &str,
        display_name: &str,
        existing: &[Passkey],
    ) -> Result<(Value, Value), WebAuthnError> {
        let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
        let name = if display_name.is_empty() {
            login
        } else {
            display_name
        };
        let (ccr, state) = self
            .webauthn
            .start_passkey_registration(user_handle(user_id), login, name, Some(exclude))
            .map_err(|e| WebAuthnError::Refused(e.to_string()))?;
        let options = serde_json::to_value(&ccr.public_key).map_err(|_| WebAuthnError::State)?;
        let state = serde_json::to_value(&state).map_err(|_| WebAuthnError::State)?;
        Ok((options, state))
    }

    /// Finishes a registration with the browser's `attestationObject` and `clientDataJSON` (base64) against the
    /// state [`RelyingParty::start_registration`] returned.
    pub fn finish_registration(
        &self,
        state: &Value,
        attestation: &str,
        client_data: &str,
    ) -> Result<Passkey, WebAuthnError> {
        let state: PasskeyRegistration =
            serde_json::from_value(state.clone()).map_err(|_| WebAuthnError::State)?;
        // The credential id is read from the attested credential data; `id` and `rawId` are not consulted.
        let credential: RegisterPublicKeyCredential = serde_json::from_value(serde_json::json!({
            "id": "",
            "rawId": "",
            "type": "public-key",
            "response": {
                "attestationObject": URL_SAFE_NO_PAD.encode(decode_b64(attestation, "attestation")?),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(decode_b64(client_data, "clientData")?),
            },
        }))
        .map_err(|_| WebAuthnError::Malformed("attestation"))?;
        self.webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|e| WebAuthnError::Refused(e.to_string()))
    }

    /// Starts an authentication with any of `passkeys`. Returns the `publicKey` request options for the browser
    /// and the state to keep.
    pub fn start_authentication(
        &self,
        passkeys: &[Passkey],
    ) -> Result<(Value, Value), WebAuthnError> {
        let (rcr, state) = self
            .webauthn
            .start_passkey_authentication(passkeys)
            .map_err(|e| WebAuthnError::Refused(e.to_string()))?;
        let options = serde_json::to_value(&rcr.public_key).map_err(|_| WebAuthnError::State)?;
        let state = serde_json::to_value(&state).map_err(|_| WebAuthnError::State)?;
        Ok((options, state))
    }

    /// Finishes an authentication: the assertion the browser returned for credential `credential_id` (raw bytes)
    /// against the state [`RelyingParty::start_authentication`] returned. The result's counter and backup flags
    /// go back into the stored passkey ([`Passkey::update_credential`]).
    pub fn finish_authentication(
        &self,
        state: &Value,
        credential_id: &[u8],
        assertion: &Assertion<'_>,
    ) -> Result<AuthenticationResult, WebAuthnError> {
        let state: PasskeyAuthentication =
            serde_json::from_value(state.clone()).map_err(|_| WebAuthnError::State)?;
        let user_handle = match assertion.user_handle {
            Some(h) if !h.is_empty() => Some(URL_SAFE_NO_PAD.encode(decode_b64(h, "userHandle")?)),
            _ => None,
        };
        let id = URL_SAFE_NO_PAD.encode(credential_id);
        let credential: PublicKeyCredential = serde_json::from_value(serde_json::json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "authenticatorData": URL_SAFE_NO_PAD.encode(decode_b64(assertion.authenticator_data, "authenticatorData")?),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(decode_b64(assertion.client_data, "clientData")?),
                "signature": URL_SAFE_NO_PAD.encode(decode_b64(assertion.signature, "signatureData")?),
                "userHandle": user_handle,
            },
        }))
        .map_err(|_| WebAuthnError::Malformed("signatureData"))?;
        self.webauthn
            .finish_passkey_authentication(&credential, &state)
            .map_err(|e| WebAuthnError::Refused(e.to_string()))
    }
}

/// What a browser returns from `navigator.credentials.get`, each field base64 as Okta's API carries it.
#[derive(Clone, Copy)]
pub struct Assertion<'a> {
    pub client_data: &'a str,
    pub authenticator_data: &'a str,
    pub signature: &'a str,
    pub user_handle: Option<&'a str>,
}

impl fmt::Debug for Assertion<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Assertion(..)")
    }
}

/// The WebAuthn user handle of a user: the first 16 bytes of the SHA-256 of their id, as a UUID. Stable, so every
/// passkey of one user carries the same handle, and free of personal data, as the specification asks.
pub fn user_handle(user_id: &str) -> Uuid {
    let digest = sha256(user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// A credential id as Okta shows it (`profile.credentialId`): base64url without padding.
pub fn credential_id_text(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice())
}

/// Base64 as clients send it: URL-safe or standard alphabet, padded or not, at most [`MAX_FIELD_BYTES`] decoded.
pub fn decode_b64(text: &str, field: &'static str) -> Result<Vec<u8>, WebAuthnError> {
    let clean: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    if clean.is_empty() || clean.len() > MAX_FIELD_BYTES / 3 * 4 + 4 {
        return Err(WebAuthnError::Malformed(field));
    }
    URL_SAFE_NO_PAD
        .decode(clean.as_bytes())
        .map_err(|_| WebAuthnError::Malformed(field))
}

/// A passkey as stored (JSON, to be sealed by the caller).
pub fn passkey_to_bytes(passkey: &Passkey) -> Vec<u8> {
    serde_json::to_vec(passkey).unwrap_or_default()
}

/// A stored passkey.
pub fn passkey_from_bytes(bytes: &[u8]) -> Result<Passkey, WebAuthnError> {
    serde_json::from_slice(bytes).map_err(|_| WebAuthnError::State)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard_testkit::authenticator::SoftAuthenticator;

    fn rp() -> RelyingParty {
        RelyingParty::new("http://localhost:8080", "Lanyard").unwrap()
    }

    #[test]
    fn the_relying_party_is_the_base_urls_host_and_origin() {
        let rp = RelyingParty::new("https://id.example.com/sso/", "Acme").unwrap();
        assert_eq!(rp.rp_id(), "id.example.com");
        assert_eq!(rp.origin(), "https://id.example.com");
        let local = rp_for("http://localhost:8080");
        assert_eq!(local.rp_id(), "localhost");
        assert_eq!(local.origin(), "http://localhost:8080");
        for ip in ["http://127.0.0.1:8080", "http://[::1]:8080"] {
            assert!(
                matches!(
                    RelyingParty::new(ip, "x"),
                    Err(WebAuthnError::Unavailable(_))
                ),
                "{ip}"
            );
        }
        assert!(format!("{rp:?}").contains("id.example.com"));
    }

    fn rp_for(url: &str) -> RelyingParty {
        RelyingParty::new(url, "Lanyard").unwrap()
    }

    #[test]
    fn user_handles_are_stable_and_distinct() {
        assert_eq!(user_handle("00u1"), user_handle("00u1"));
        assert_ne!(user_handle("00u1"), user_handle("00u2"));
    }

    #[test]
    fn base64_is_read_in_either_alphabet() {
        let bytes = [0xfbu8, 0xff, 0x3e, 0x01];
        assert_eq!(decode_b64("-_8-AQ", "x").unwrap(), bytes);
        assert_eq!(decode_b64("+/8+AQ==", "x").unwrap(), bytes);
        assert_eq!(decode_b64("", "x"), Err(WebAuthnError::Malformed("x")));
        assert_eq!(decode_b64("!!", "x"), Err(WebAuthnError::Malformed("x")));
        let huge = "A".repeat(MAX_FIELD_BYTES * 2);
        assert!(decode_b64(&huge, "x").is_err());
    }

    #[test]
    fn a_passkey_registers_and_authenticates_once_per_challenge() {
        let rp = rp();
        let mut authenticator = SoftAuthenticator::new("localhost", "http://localhost:8080");
        let (options, state) = rp
            .start_registration("00u1", "ada@example.com", "Ada Lovelace", &[])
            .unwrap();
        assert_eq!(options["rp"]["id"], "localhost");
        assert_eq!(options["rp"]["name"], "Lanyard");
        assert_eq!(options["user"]["name"], "ada@example.com");
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "required"
        );
        let challenge = options["challenge"].as_str().unwrap();
        assert_eq!(decode_b64(challenge, "c").unwrap().len(), 32);

        let (attestation, client_data) = authenticator.register(challenge);
        let mut passkey = rp
            .finish_registration(&state, &attestation, &client_data)
            .unwrap();
        assert_eq!(credential_id_text(&passkey), authenticator.credential_id());
        // Stored and read back.
        let stored = passkey_from_bytes(&passkey_to_bytes(&passkey)).unwrap();
        assert_eq!(credential_id_text(&stored), credential_id_text(&passkey));

        // A second registration excludes the first credential.
        let (options, _) = rp
            .start_registration("00u1", "ada@example.com", "", &[passkey.clone()])
            .unwrap();
        assert_eq!(
            options["excludeCredentials"][0]["id"],
            authenticator.credential_id()
        );

        let (options, state) = rp.start_authentication(&[passkey.clone()]).unwrap();
        assert_eq!(
            options["allowCredentials"][0]["id"],
            authenticator.credential_id()
        );
        let challenge = options["challenge"].as_str().unwrap();
        let signed = authenticator.sign(challenge);
        let assertion = Assertion {
            client_data: &signed.client_data,
            authenticator_data: &signed.authenticator_data,
            signature: &signed.signature,
            user_handle: None,
        };
        let result = rp
            .finish_authentication(&state, &authenticator.credential_id_bytes(), &assertion)
            .unwrap();
        assert_eq!(result.counter(), 1);
        assert_eq!(passkey.update_credential(&result), Some(true));

        // The same assertion against a fresh challenge fails, as does a tampered signature.
        let (_, state2) = rp.start_authentication(&[passkey.clone()]).unwrap();
        assert!(matches!(
            rp.finish_authentication(&state2, &authenticator.credential_id_bytes(), &assertion),
            Err(WebAuthnError::Refused(_))
        ));
        let mut bad = signed.signature.clone();
        bad.replace_range(10..12, if &bad[10..12] == "AA" { "BB" } else { "AA" });
        let tampered = Assertion {
            signature: &bad,
            ..assertion
        };
        assert!(
            rp.finish_authentication(&state, &authenticator.credential_id_bytes(), &tampered)
                .is_err()
        );
    }

    #[test]
    fn another_origin_or_garbage_is_refused() {
        let rp = rp();
        let (options, state) = rp.start_registration("00u1", "a@b.c", "", &[]).unwrap();
        let challenge = options["challenge"].as_str().unwrap();
        let mut phished = SoftAuthenticator::new("localhost", "http://evil.example:8080");
        let (att, cd) = phished.register(challenge);
        assert!(matches!(
            rp.finish_registration(&state, &att, &cd),
            Err(WebAuthnError::Refused(_))
        ));
        assert_eq!(
            rp.finish_registration(&state, "not base64!", "eyJ9"),
            Err(WebAuthnError::Malformed("attestation"))
        );
        assert!(matches!(
            rp.finish_registration(&state, "AAAA", "AAAA"),
            Err(WebAuthnError::Refused(_))
        ));
        assert_eq!(
            rp.finish_registration(&serde_json::json!({"x": 1}), "AAAA", "AAAA"),
            Err(WebAuthnError::State)
        );
    }
}
