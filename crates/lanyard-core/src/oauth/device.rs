//! The device authorization endpoint (RFC 8628 §3.1–3.3) and the user codes of the verification page.
//!
//! A device code is 256 random bits (stored by SHA-256). A user code is eight letters from a consonant-only
//! alphabet (no vowels, so no words; no look-alikes such as 0/O or 1/I), shown as `XXXX-XXXX`; what the user types
//! is upper-cased and stripped of dashes and spaces before it is hashed, so case and dashes do not matter. Twenty
//! letters to the eighth power is about 2^34.6 codes, each alive for ten minutes; the verification page requires a
//! signed-in session and its form posts are throttled per client IP with the sign-in attempts (60 a minute by
//! default), which keeps guessing a live code out of reach (RFC 8628 §5.1).

use chrono::Duration;
use serde::Serialize;

use crate::clock::Timestamp;
use crate::crypto::sha256;
use crate::id::{new_id, prefix};
use crate::model::{
    App, AuthorizationServer, DeviceCode, DeviceCodeStatus, GrantType, LifecycleStatus,
};
use crate::oauth::params::Params;
use crate::oauth::policy::{Asker, ServerRules, decide};
use crate::oauth::tokens::opaque;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::Random;
use crate::store::{DeviceStore, StoreError};

/// The parameters the device authorization endpoint reads besides client authentication.
pub const PARAMS: &[&str] = &["scope"];

/// The letters of user codes: consonants only (RFC 8628 §6.1).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const USER_CODE_LEN: usize = 8;
/// How long a device code lives.
pub const LIFETIME: Duration = Duration::seconds(600);
/// The polling interval a client starts with, seconds.
pub const INTERVAL: i64 = 5;
/// Okta's path of the verification page.
pub const VERIFICATION_PATH: &str = "/activate";

/// A new user code, normalised (eight letters, no dash).
pub fn new_user_code(random: &dyn Random) -> String {
    let mut out = String::with_capacity(USER_CODE_LEN);
    let n = USER_CODE_ALPHABET.len() as u8;
    // Rejection sampling: bytes of 240 and over would favour the first letters.
    let limit = u8::MAX - (u8::MAX % n) - 1;
    let mut buf = [0u8; 16];
    while out.len() < USER_CODE_LEN {
        random.fill(&mut buf);
        for b in buf {
            if b <= limit && out.len() < USER_CODE_LEN {
                out.push(USER_CODE_ALPHABET[usize::from(b % n)] as char);
            }
        }
    }
    out
}

/// A normalised user code as shown to people: `BCDF-GHJK`.
pub fn display_user_code(normalised: &str) -> String {
    if normalised.len() == USER_CODE_LEN && normalised.is_ascii() {
        format!("{}-{}", &normalised[..4], &normalised[4..])
    } else {
        normalised.to_owned()
    }
}

/// What the user typed, normalised: upper case, without dashes and white space; `None` when it cannot be a user
/// code (then no lookup is needed).
pub fn normalise_user_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (s.len() == USER_CODE_LEN && s.bytes().all(|b| USER_CODE_ALPHABET.contains(&b))).then_some(s)
}

/// The stored form of a normalised user code.
pub fn user_code_hash(normalised: &str) -> [u8; 32] {
    sha256(normalised.as_bytes())
}

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// What [`start`] needs.
pub struct DeviceRequest<'a> {
    pub server: &'a AuthorizationServer,
    pub rules: &'a ServerRules,
    /// The authenticated client.
    pub app: &'a App,
    /// The request's parameters (only [`PARAMS`] are read).
    pub params: &'a Params,
    /// The deployment's public URL, without a trailing slash.
    pub base_url: &'a str,
    pub now: Timestamp,
}

/// Checks a device authorization request and makes its codes: the response and the record to store. The scopes
/// are checked against the server's policies for the client and the device grant (the user is not known yet: the
/// policy is evaluated again with the user when the tokens are issued).
pub fn start(
    req: &DeviceRequest<'_>,
    random: &dyn Random,
) -> Result<(DeviceAuthorization, DeviceCode), OAuthError> {
    let client = &req.app.client;
    if req.app.status != LifecycleStatus::Active {
        return Err(crate::oauth::client_auth::failed("inactive client"));
    }
    if !client.allows(GrantType::DeviceCode) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "The client is not authorized to use the provided grant type.",
        )
        .with_detail("device_code not in the app's grant types"));
    }
    let decision = decide(
        req.server,
        req.rules,
        &Asker {
            client_id: &client.client_id,
            grant: GrantType::DeviceCode,
            user: None,
        },
        &req.params.only(PARAMS).list("scope"),
    )?;
    let device = opaque(random);
    let user_code = new_user_code(random);
    let shown = display_user_code(&user_code);
    let verification_uri = format!("{}{VERIFICATION_PATH}", req.base_url);
    let complete = format!(
        "{verification_uri}?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("user_code", &shown)
            .finish()
    );
    let record = DeviceCode {
        hash: device.hash,
        user_code_hash: user_code_hash(&user_code),
        grant_id: new_id(prefix::GRANT, req.now, random),
        auth_server_id: req.server.id.clone(),
        client_id: client.client_id.clone(),
        scopes: decision.scopes,
        status: DeviceCodeStatus::Pending,
        interval: INTERVAL,
        last_polled: None,
        approval: None,
        created: req.now,
        expires_at: req.now + LIFETIME,
    };
    Ok((
        DeviceAuthorization {
            device_code: device.value,
            user_code: shown,
            verification_uri,
            verification_uri_complete: complete,
            expires_in: LIFETIME.num_seconds(),
            interval: INTERVAL,
        },
        record,
    ))
}

/// How many user codes are drawn before giving up on a collision with a live one (each is 1 in 2^34).
const ATTEMPTS: usize = 3;

/// Answers a device authorization request: [`start`], and its codes stored — another user code is drawn when one
/// collides with a live one.
pub async fn authorize(
    store: &dyn DeviceStore,
    req: &DeviceRequest<'_>,
    random: &dyn Random,
) -> Result<DeviceAuthorization, OAuthError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (response, record) = start(req, random)?;
        match store.insert_device_code(&record).await {
            Ok(()) => return Ok(response),
            Err(StoreError::Conflict(_)) if attempt < ATTEMPTS => continue,
            Err(e) => return Err(crate::oauth::grants::storage(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::TestRandom;

    #[test]
    fn user_codes_use_the_alphabet_and_normalise_from_what_people_type() {
        let r = TestRandom::default();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let c = new_user_code(&r);
            assert_eq!(c.len(), 8);
            assert!(c.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)), "{c}");
            let shown = display_user_code(&c);
            assert_eq!(shown.len(), 9);
            assert_eq!(&shown[4..5], "-");
            assert_eq!(
                normalise_user_code(&shown.to_lowercase()).as_deref(),
                Some(c.as_str())
            );
            assert_eq!(normalise_user_code(&c).as_deref(), Some(c.as_str()));
            seen.insert(c);
        }
        assert!(seen.len() > 190, "codes repeat too often");
        assert_eq!(
            normalise_user_code(" bcdf - ghjk ").as_deref(),
            Some("BCDFGHJK")
        );
        // Vowels, digits, wrong lengths are not codes.
        for bad in [
            "BCDF-GHJA",
            "BCDF-GHJ1",
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "",
            "ÄCDF-GHJK",
        ] {
            assert_eq!(normalise_user_code(bad), None, "{bad}");
        }
    }
}
