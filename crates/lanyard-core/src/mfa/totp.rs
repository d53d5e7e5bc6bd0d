//! TOTP (RFC 6238 over RFC 4226 HOTP): Okta's `token:software:totp` factor, which is Google Authenticator.
//!
//! The defaults are Google Authenticator's: HMAC-SHA-1, six digits, 30-second steps counted from the Unix epoch,
//! and one step of clock skew either way. The shared secret is 160 random bits (RFC 4226 §4 recommends 160, requires
//! at least 128) and travels to the authenticator as upper-case, unpadded base32 inside an `otpauth://` URI, shown
//! as a QR code.
//!
//! [`verify`] returns the time step a code matched; the caller stores it and passes it back as `last_used_step`
//! next time, so every code is accepted once only (RFC 6238 §5.2).

use std::fmt;

use aws_lc_rs::hmac;
use data_encoding::BASE32_NOPAD;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};

use crate::random::Random;

/// Length of a generated secret in bytes: 160 bits, the size RFC 4226 recommends and Okta issues.
pub const SECRET_LEN: usize = 20;
/// The shortest secret accepted: RFC 4226 §4 requires at least 128 bits.
pub const MIN_SECRET_LEN: usize = 16;
/// The longest secret accepted: 1024 bits, twice a SHA-512 block, far beyond any authenticator's.
pub const MAX_SECRET_LEN: usize = 128;
/// The largest clock skew [`TotpConfig::new`] accepts, in steps either way.
pub const MAX_SKEW_STEPS: u64 = 10;

/// Why a secret or a configuration was refused. Deliberately terse: the detail helps no one.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum TotpError {
    #[error("the secret is not valid base32")]
    InvalidBase32,
    #[error("the secret must be between 16 and 128 bytes long")]
    SecretLength,
    #[error("invalid TOTP configuration: {0}")]
    InvalidConfig(&'static str),
    #[error("the URI is too long for a QR code")]
    QrCapacity,
}

/// A TOTP shared secret. `Debug` prints nothing of it; the bytes are wiped on drop.
#[derive(Clone)]
pub struct TotpSecret(Box<[u8]>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl Drop for TotpSecret {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

impl TotpSecret {
    /// A fresh secret of [`SECRET_LEN`] random bytes.
    pub fn generate(random: &dyn Random) -> Self {
        let mut bytes = vec![0u8; SECRET_LEN].into_boxed_slice();
        random.fill(&mut bytes);
        TotpSecret(bytes)
    }

    /// A secret from its raw bytes, as stored. Between [`MIN_SECRET_LEN`] and [`MAX_SECRET_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpError> {
        if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&bytes.len()) {
            return Err(TotpError::SecretLength);
        }
        Ok(TotpSecret(bytes.into()))
    }

    /// Parses base32 (RFC 4648) leniently, as people type it: either case, ASCII whitespace anywhere (`"jbsw y3dp"`),
    /// trailing `=` padding or none. Padding, when present, must be complete and correct; any other character, a
    /// length no base32 text has, or non-zero trailing bits are refused, as is a secret outside
    /// [`MIN_SECRET_LEN`]..=[`MAX_SECRET_LEN`] bytes.
    pub fn from_base32(text: &str) -> Result<Self, TotpError> {
        let mut clean: Vec<u8> = text
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| b.to_ascii_uppercase())
            .collect();
        let result = Self::decode_clean(&clean);
        wipe(&mut clean);
        result
    }

    fn decode_clean(clean: &[u8]) -> Result<Self, TotpError> {
        let data_len = clean.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
        let (data, padding) = clean.split_at(data_len);
        // Padding fills the last 8-character block; `decode_len` below refuses lengths with no valid padding.
        if !padding.is_empty() && (padding.len() >= 8 || !clean.len().is_multiple_of(8)) {
            return Err(TotpError::InvalidBase32);
        }
        let len = BASE32_NOPAD
            .decode_len(data.len())
            .map_err(|_| TotpError::InvalidBase32)?;
        if len > MAX_SECRET_LEN {
            return Err(TotpError::SecretLength);
        }
        let mut bytes = vec![0u8; len].into_boxed_slice();
        match BASE32_NOPAD.decode_mut(data, &mut bytes) {
            Ok(n) if n == len && len >= MIN_SECRET_LEN => Ok(TotpSecret(bytes)),
            Ok(_) => {
                wipe(&mut bytes);
                Err(TotpError::SecretLength)
            }
            Err(_) => {
                wipe(&mut bytes);
                Err(TotpError::InvalidBase32)
            }
        }
    }

    /// Upper-case base32 without padding: what Okta returns as `sharedSecret` and what goes in the `otpauth://` URI.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// The raw bytes, for storage (encrypted at rest by the caller).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The HMAC behind the codes. Authenticators other than Google's honour SHA-256 and SHA-512 too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum TotpAlgorithm {
    #[default]
    #[serde(rename = "SHA1")]
    Sha1,
    #[serde(rename = "SHA256")]
    Sha256,
    #[serde(rename = "SHA512")]
    Sha512,
}

impl TotpAlgorithm {
    /// The name in the Key Uri Format's `algorithm` parameter: `SHA1`, `SHA256` or `SHA512`.
    pub fn as_str(self) -> &'static str {
        match self {
            TotpAlgorithm::Sha1 => "SHA1",
            TotpAlgorithm::Sha256 => "SHA256",
            TotpAlgorithm::Sha512 => "SHA512",
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            // HOTP's SHA-1 is HMAC-SHA-1, which stays sound; this is the algorithm every authenticator speaks.
            TotpAlgorithm::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            TotpAlgorithm::Sha256 => hmac::HMAC_SHA256,
            TotpAlgorithm::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

/// The parameters of a TOTP factor. [`Default`] is Google Authenticator's: SHA-1, 6 digits, 30 s, ±1 step.
///
/// The fields are private so that every value is valid: build other settings with [`TotpConfig::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TotpConfig {
    digits: u32,
    step_secs: u64,
    skew_steps: u64,
    algorithm: TotpAlgorithm,
}

impl Default for TotpConfig {
    fn default() -> Self {
        TotpConfig {
            digits: 6,
            step_secs: 30,
            skew_steps: 1,
            algorithm: TotpAlgorithm::Sha1,
        }
    }
}

impl TotpConfig {
    /// Validated settings: 6 to 8 digits (RFC 4226 requires 6 at least; the Key Uri Format allows 6 or 8),
    /// a step of at least one second, and at most [`MAX_SKEW_STEPS`] steps of skew.
    pub fn new(
        algorithm: TotpAlgorithm,
        digits: u32,
        step_secs: u64,
        skew_steps: u64,
    ) -> Result<Self, TotpError> {
        if !(6..=8).contains(&digits) {
            return Err(TotpError::InvalidConfig("digits must be 6, 7 or 8"));
        }
        if step_secs == 0 {
            return Err(TotpError::InvalidConfig(
                "the time step must be at least one second",
            ));
        }
        if skew_steps > MAX_SKEW_STEPS {
            return Err(TotpError::InvalidConfig(
                "the clock skew allowance is too large",
            ));
        }
        Ok(TotpConfig {
            digits,
            step_secs,
            skew_steps,
            algorithm,
        })
    }

    pub fn digits(&self) -> u32 {
        self.digits
    }

    pub fn step_secs(&self) -> u64 {
        self.step_secs
    }

    pub fn skew_steps(&self) -> u64 {
        self.skew_steps
    }

    pub fn algorithm(&self) -> TotpAlgorithm {
        self.algorithm
    }
}

/// The time step containing `unix_time`: RFC 6238's `T = (time - T0) / X` with `T0 = 0`.
pub fn step_at(config: &TotpConfig, unix_time: u64) -> u64 {
    unix_time / config.step_secs
}

/// The code for `unix_time`, zero-padded to `config.digits()`.
pub fn code_at(secret: &TotpSecret, config: &TotpConfig, unix_time: u64) -> String {
    let key = hmac::Key::new(config.algorithm.hmac(), secret.as_bytes());
    hotp(&key, step_at(config, unix_time), config.digits)
}

/// Checks `code` against the steps within `config.skew_steps()` of `unix_time`'s and returns the step it matched,
/// which the caller must store and pass back as `last_used_step`: a step at or before `last_used_step` is refused,
/// so each code is accepted once and a code older than one already used never is.
///
/// `code` must be exactly `config.digits()` ASCII digits (strip spaces before calling); anything else is refused
/// before any work. Every candidate step is computed and compared, in constant time, whatever matches; should a
/// code match several steps, the latest is returned, so that the code cannot be replayed against the later one.
pub fn verify(
    secret: &TotpSecret,
    config: &TotpConfig,
    code: &str,
    unix_time: u64,
    last_used_step: Option<u64>,
) -> Option<u64> {
    if code.len() != config.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let key = hmac::Key::new(config.algorithm.hmac(), secret.as_bytes());
    let current = step_at(config, unix_time);
    let mut matched = None;
    for step in
        current.saturating_sub(config.skew_steps)..=current.saturating_add(config.skew_steps)
    {
        let expected = hotp(&key, step, config.digits);
        let equal =
            aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), code.as_bytes())
                .is_ok();
        let fresh = last_used_step.is_none_or(|last| step > last);
        if equal & fresh {
            matched = Some(step);
        }
    }
    matched
}

/// The Key Uri Format (`otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=…&digits=…&period=…`) that
/// authenticator apps scan. Issuer and account are percent-encoded as RFC 3986 requires (everything but unreserved
/// characters: a space is `%20`, `@` is `%40`, a colon inside either is `%3A`), so only the separating colon is
/// literal. With an empty issuer the label is the account alone and there is no `issuer` parameter.
pub fn otpauth_uri(
    issuer: &str,
    account: &str,
    secret: &TotpSecret,
    config: &TotpConfig,
) -> String {
    let mut uri = String::from("otpauth://totp/");
    if !issuer.is_empty() {
        percent_encode_into(&mut uri, issuer);
        uri.push(':');
    }
    percent_encode_into(&mut uri, account);
    uri.push_str("?secret=");
    uri.push_str(&secret.to_base32());
    if !issuer.is_empty() {
        uri.push_str("&issuer=");
        percent_encode_into(&mut uri, issuer);
    }
    uri.push_str("&algorithm=");
    uri.push_str(config.algorithm.as_str());
    uri.push_str(&format!(
        "&digits={}&period={}",
        config.digits, config.step_secs
    ));
    uri
}

/// `uri` as a QR code in SVG, to inline in an HTML page: no XML declaration (it starts with `<svg`), black on
/// white, error correction level M, the standard four-module quiet zone, at least 200×200 pixels. The URI is
/// encoded in the modules only, never written as text, so the markup needs no escaping.
///
/// Fails only when `uri` is beyond a QR code's capacity (some 2,300 bytes), i.e. for absurd issuers or accounts.
pub fn qr_svg(uri: &str) -> Result<String, TotpError> {
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M)
        .map_err(|_| TotpError::QrCapacity)?;
    let image = code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // The renderer prefixes an XML declaration, which has no place inside HTML.
    Ok(match image.find("<svg") {
        Some(start) => image[start..].to_owned(),
        None => image,
    })
}

/// RFC 4226 §5.3: HMAC of the big-endian counter, dynamic truncation to 31 bits, the last `digits` decimal digits.
fn hotp(key: &hmac::Key, counter: u64, digits: u32) -> String {
    let tag = hmac::sign(key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    // The low nibble of the last byte picks the offset: at most 15, so offset + 4 fits even SHA-1's 20 bytes.
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let truncated = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff;
    let value = truncated % 10u32.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// Percent-encodes everything but RFC 3986's unreserved characters, upper-case hex, UTF-8 bytes.
fn percent_encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Overwrites secret bytes with zeros in a way the optimiser keeps.
fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference to a `u8`.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::TestRandom;

    const SEED_SHA1: &[u8] = b"12345678901234567890";
    const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
    const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    fn secret(bytes: &[u8]) -> TotpSecret {
        TotpSecret::from_bytes(bytes).unwrap()
    }

    fn eight_digits(algorithm: TotpAlgorithm) -> TotpConfig {
        TotpConfig::new(algorithm, 8, 30, 1).unwrap()
    }

    /// The code `steps` steps away from `now`'s under the default configuration.
    fn code_for_step(s: &TotpSecret, now: u64, steps: i64) -> String {
        code_at(
            s,
            &TotpConfig::default(),
            now.checked_add_signed(steps * 30).unwrap(),
        )
    }

    #[test]
    fn rfc6238_appendix_b() {
        let vectors: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, sha1, sha256, sha512) in vectors {
            assert_eq!(
                code_at(&secret(SEED_SHA1), &eight_digits(TotpAlgorithm::Sha1), t),
                sha1,
                "SHA1 T={t}"
            );
            assert_eq!(
                code_at(
                    &secret(SEED_SHA256),
                    &eight_digits(TotpAlgorithm::Sha256),
                    t
                ),
                sha256,
                "SHA256 T={t}"
            );
            assert_eq!(
                code_at(
                    &secret(SEED_SHA512),
                    &eight_digits(TotpAlgorithm::Sha512),
                    t
                ),
                sha512,
                "SHA512 T={t}"
            );
        }
    }

    #[test]
    fn rfc6238_vectors_verify_with_their_step() {
        let config = eight_digits(TotpAlgorithm::Sha1);
        let s = secret(SEED_SHA1);
        assert_eq!(
            verify(&s, &config, "07081804", 1111111109, None),
            Some(1111111109 / 30)
        );
        assert_eq!(
            verify(&s, &config, "65353130", 20000000000, None),
            Some(20000000000 / 30)
        );
    }

    #[test]
    fn rfc4226_appendix_d() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, SEED_SHA1);
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(&key, counter as u64, 6), *code, "counter {counter}");
        }
        // TOTP is HOTP of the step: 30 s steps make counter 1 the interval [30, 60).
        let s = secret(SEED_SHA1);
        assert_eq!(code_at(&s, &TotpConfig::default(), 30), "287082");
        assert_eq!(code_at(&s, &TotpConfig::default(), 59), "287082");
        assert_eq!(code_at(&s, &TotpConfig::default(), 60), "359152");
    }

    #[test]
    fn google_authenticator_defaults() {
        let config = TotpConfig::default();
        assert_eq!(config.digits(), 6);
        assert_eq!(config.step_secs(), 30);
        assert_eq!(config.skew_steps(), 1);
        assert_eq!(config.algorithm(), TotpAlgorithm::Sha1);
        assert_eq!(TotpConfig::new(TotpAlgorithm::Sha1, 6, 30, 1), Ok(config));
        assert_eq!(step_at(&config, 0), 0);
        assert_eq!(step_at(&config, 29), 0);
        assert_eq!(step_at(&config, 30), 1);
        assert_eq!(step_at(&config, 1111111109), 37037036);
    }

    #[test]
    fn codes_are_zero_padded() {
        // RFC 6238's T = 1111111109 gives 7081804 in eight digits.
        let s = secret(SEED_SHA1);
        assert_eq!(
            code_at(&s, &eight_digits(TotpAlgorithm::Sha1), 1111111109),
            "07081804"
        );
        for t in (0..3000u64).map(|i| i * 30) {
            let code = code_at(&s, &TotpConfig::default(), t);
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn invalid_configs_are_refused() {
        for (digits, step, skew) in [
            (5, 30, 1),
            (9, 30, 1),
            (0, 30, 1),
            (6, 0, 1),
            (6, 30, MAX_SKEW_STEPS + 1),
        ] {
            assert!(
                matches!(
                    TotpConfig::new(TotpAlgorithm::Sha1, digits, step, skew),
                    Err(TotpError::InvalidConfig(_))
                ),
                "{digits} {step} {skew}"
            );
        }
        assert!(TotpConfig::new(TotpAlgorithm::Sha512, 8, 60, 0).is_ok());
        assert!(TotpConfig::new(TotpAlgorithm::Sha256, 7, 1, MAX_SKEW_STEPS).is_ok());
    }

    #[test]
    fn one_step_of_skew_either_way() {
        let s = TotpSecret::generate(&TestRandom::default());
        let config = TotpConfig::default();
        let now = 1_700_000_015;
        let current = step_at(&config, now);
        assert_eq!(
            verify(&s, &config, &code_for_step(&s, now, 0), now, None),
            Some(current)
        );
        assert_eq!(
            verify(&s, &config, &code_for_step(&s, now, -1), now, None),
            Some(current - 1)
        );
        assert_eq!(
            verify(&s, &config, &code_for_step(&s, now, 1), now, None),
            Some(current + 1)
        );
        for far in [-2, 2, -3, 3, -100] {
            let code = code_for_step(&s, now, far);
            // Skip the one-in-a-million chance that a far code collides with one in the window.
            let in_window = (-1..=1).any(|d| code_for_step(&s, now, d) == code);
            if !in_window {
                assert_eq!(
                    verify(&s, &config, &code, now, None),
                    None,
                    "{far} steps away"
                );
            }
        }
    }

    #[test]
    fn zero_skew_accepts_the_current_step_only() {
        let s = secret(SEED_SHA1);
        let config = TotpConfig::new(TotpAlgorithm::Sha1, 6, 30, 0).unwrap();
        // Steps 1, 2 and 3 of RFC 4226: 287082, 359152, 969429.
        assert_eq!(verify(&s, &config, "359152", 60, None), Some(2));
        assert_eq!(verify(&s, &config, "287082", 60, None), None);
        assert_eq!(verify(&s, &config, "969429", 60, None), None);
    }

    #[test]
    fn window_at_the_epoch_does_not_underflow() {
        let s = secret(SEED_SHA1);
        let config = TotpConfig::default();
        assert_eq!(verify(&s, &config, "755224", 0, None), Some(0));
        assert_eq!(verify(&s, &config, "287082", 0, None), Some(1));
        assert_eq!(verify(&s, &config, "755224", 59, None), Some(0));
        // And at the other end of time, nothing overflows.
        let end = code_at(&s, &config, u64::MAX);
        assert_eq!(
            verify(&s, &config, &end, u64::MAX, None),
            Some(u64::MAX / 30)
        );
    }

    #[test]
    fn a_code_is_accepted_once() {
        let s = TotpSecret::generate(&TestRandom::default());
        let config = TotpConfig::default();
        let now = 1_700_000_000;
        let code = code_for_step(&s, now, 0);
        let step = verify(&s, &config, &code, now, None).unwrap();
        // The same code again, within the same step or the next.
        assert_eq!(verify(&s, &config, &code, now, Some(step)), None);
        assert_eq!(verify(&s, &config, &code, now + 30, Some(step)), None);
        // The next step's code is still fine.
        let next = code_for_step(&s, now, 1);
        assert_eq!(
            verify(&s, &config, &next, now + 30, Some(step)),
            Some(step + 1)
        );
    }

    #[test]
    fn an_older_code_after_a_newer_one_is_refused() {
        let s = TotpSecret::generate(&TestRandom::default());
        let config = TotpConfig::default();
        let now = 1_700_000_000;
        let newer = verify(&s, &config, &code_for_step(&s, now, 1), now, None).unwrap();
        let older = code_for_step(&s, now, 0);
        if older != code_for_step(&s, now, 1) {
            assert_eq!(verify(&s, &config, &older, now, Some(newer)), None);
            assert_eq!(
                verify(&s, &config, &code_for_step(&s, now, -1), now, Some(newer)),
                None
            );
        }
        // Without the record of the newer one, the older code would have passed.
        assert_eq!(verify(&s, &config, &older, now, None), Some(newer - 1));
    }

    #[test]
    fn malformed_codes_are_refused() {
        let s = secret(SEED_SHA1);
        let config = TotpConfig::default();
        // "287082" is valid at t = 30.
        assert_eq!(verify(&s, &config, "287082", 30, None), Some(1));
        for bad in [
            "",
            "28708",
            "2870822",
            "0287082",
            "28708a",
            "287 082",
            " 287082",
            "287082 ",
            "+28708",
            "-28708",
            "２８７０８２",
            "28708\u{0}",
            "٢٨٧٠٨٢",
            "ABCDEF",
            "287082\n",
        ] {
            assert_eq!(verify(&s, &config, bad, 30, None), None, "{bad:?}");
        }
    }

    #[test]
    fn generated_secrets_are_160_bits_and_distinct() {
        let random = TestRandom::default();
        let a = TotpSecret::generate(&random);
        let b = TotpSecret::generate(&random);
        assert_eq!(a.as_bytes().len(), SECRET_LEN);
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_eq!(a.to_base32().len(), 32);
        let system = TotpSecret::generate(&crate::random::SystemRandom);
        assert_eq!(system.as_bytes().len(), 20);
    }

    #[test]
    fn base32_round_trip() {
        let s = TotpSecret::generate(&TestRandom::default());
        let text = s.to_base32();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
            "{text}"
        );
        assert!(!text.contains('='));
        assert_eq!(
            TotpSecret::from_base32(&text).unwrap().as_bytes(),
            s.as_bytes()
        );
        assert_eq!(
            TotpSecret::from_bytes(s.as_bytes()).unwrap().to_base32(),
            text
        );
        // RFC 6238's seed, as authenticator apps would show it.
        assert_eq!(
            secret(SEED_SHA1).to_base32(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn base32_parsing_is_lenient_about_case_spaces_and_padding() {
        let expected = secret(SEED_SHA1);
        for text in [
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
            "  GEZDgnbvGY3TqojqGEZD GNBV GY3T QOJQ\n",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\t",
        ] {
            assert_eq!(
                TotpSecret::from_base32(text).unwrap().as_bytes(),
                expected.as_bytes(),
                "{text:?}"
            );
        }
        // 17 bytes need padding: 28 characters and 4 `=`.
        let seventeen = secret(b"12345678901234567");
        let unpadded = seventeen.to_base32();
        assert_eq!(unpadded.len(), 28);
        for text in [
            unpadded.clone(),
            format!("{unpadded}===="),
            format!("{} ====", unpadded.to_lowercase()),
        ] {
            assert_eq!(
                TotpSecret::from_base32(&text).unwrap().as_bytes(),
                seventeen.as_bytes(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn base32_refuses_anything_else() {
        let good = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        for bad in [
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",         // 1 is not base32
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ0",         // nor 0
            "GEZDGNBV-GY3TQOJQ-GEZDGNBV-GY3TQOJQ",      // nor a dash
            "GEZDGNBVGY3TQOJQ=GEZDGNBVGY3TQOJQ",        // padding in the middle
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ========", // a block of padding alone
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ",          // 31 characters: no whole number of bytes
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQÉ",        // non-ASCII
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ=",        // padding where none belongs
        ] {
            assert_eq!(
                TotpSecret::from_base32(bad).unwrap_err(),
                TotpError::InvalidBase32,
                "{bad:?}"
            );
        }
        // 17 bytes: the padding must be exactly four.
        let unpadded = secret(b"12345678901234567").to_base32();
        for pad in ["=", "==", "===", "=====", "======"] {
            let text = format!("{unpadded}{pad}");
            assert_eq!(
                TotpSecret::from_base32(&text).unwrap_err(),
                TotpError::InvalidBase32,
                "{text:?}"
            );
        }
        // Non-zero trailing bits: 28 characters carry 4 bits of slack, so a last character of B (00001) is not canonical.
        let mut noncanonical = unpadded[..27].to_owned();
        noncanonical.push('B');
        assert!(TotpSecret::from_base32(&noncanonical).is_err());
        assert!(TotpSecret::from_base32(good).is_ok());
    }

    #[test]
    fn secret_length_is_bounded() {
        assert_eq!(
            TotpSecret::from_base32("").unwrap_err(),
            TotpError::SecretLength
        );
        assert_eq!(
            TotpSecret::from_base32("   ").unwrap_err(),
            TotpError::SecretLength
        );
        assert_eq!(
            TotpSecret::from_base32("!!!!").unwrap_err(),
            TotpError::InvalidBase32
        );
        // 80 bits, as some old issuers used: below RFC 4226's 128.
        assert_eq!(
            TotpSecret::from_base32("JBSWY3DPEHPK3PXP").unwrap_err(),
            TotpError::SecretLength
        );
        assert_eq!(
            TotpSecret::from_bytes(&[7; 15]).unwrap_err(),
            TotpError::SecretLength
        );
        assert!(TotpSecret::from_bytes(&[7; MIN_SECRET_LEN]).is_ok());
        assert!(TotpSecret::from_bytes(&[7; MAX_SECRET_LEN]).is_ok());
        assert_eq!(
            TotpSecret::from_bytes(&[7; MAX_SECRET_LEN + 1]).unwrap_err(),
            TotpError::SecretLength
        );
        let long = BASE32_NOPAD.encode(&[7; MAX_SECRET_LEN + 1]);
        assert_eq!(
            TotpSecret::from_base32(&long).unwrap_err(),
            TotpError::SecretLength
        );
    }

    #[test]
    fn debug_prints_nothing_of_the_secret() {
        let s = secret(SEED_SHA1);
        let debug = format!("{s:?}");
        assert_eq!(debug, "TotpSecret(..)");
        assert!(!debug.contains("GEZD"));
    }

    #[test]
    fn otpauth_uri_for_google_authenticator() {
        let s = secret(SEED_SHA1);
        assert_eq!(
            otpauth_uri("Lanyard", "alice", &s, &TotpConfig::default()),
            "otpauth://totp/Lanyard:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Lanyard\
             &algorithm=SHA1&digits=6&period=30"
        );
        let config = TotpConfig::new(TotpAlgorithm::Sha512, 8, 60, 1).unwrap();
        assert!(
            otpauth_uri("Lanyard", "alice", &s, &config)
                .ends_with("&algorithm=SHA512&digits=8&period=60")
        );
    }

    #[test]
    fn otpauth_uri_percent_encodes_label_and_issuer() {
        let s = secret(SEED_SHA1);
        let uri = otpauth_uri(
            "ACME Co: Dev",
            "john.doe+mfa@example.com",
            &s,
            &TotpConfig::default(),
        );
        assert_eq!(
            uri,
            "otpauth://totp/ACME%20Co%3A%20Dev:john.doe%2Bmfa%40example.com\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co%3A%20Dev&algorithm=SHA1&digits=6&period=30"
        );
        // Exactly one literal colon after the scheme: the issuer/account separator.
        assert_eq!(uri["otpauth:".len()..].matches(':').count(), 1);
        // Query delimiters, slashes, `#`, `%` and non-ASCII in the inputs are all escaped.
        let uri = otpauth_uri("A&B=C/D", "100%#?é~_-.", &s, &TotpConfig::default());
        assert!(
            uri.starts_with("otpauth://totp/A%26B%3DC%2FD:100%25%23%3F%C3%A9~_-.?secret="),
            "{uri}"
        );
        assert!(uri.contains("&issuer=A%26B%3DC%2FD&"), "{uri}");
    }

    #[test]
    fn otpauth_uri_without_issuer() {
        let s = secret(SEED_SHA1);
        assert_eq!(
            otpauth_uri("", "bob smith", &s, &TotpConfig::default()),
            "otpauth://totp/bob%20smith?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn qr_svg_is_inline_svg() {
        let s = TotpSecret::generate(&TestRandom::default());
        let uri = otpauth_uri("Lanyard", "alice@example.com", &s, &TotpConfig::default());
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("<path") && svg.contains(" d=\"M"));
        assert!(svg.contains("<rect"));
        assert!(
            !svg.contains(&s.to_base32()),
            "the secret is in the modules, not in the text"
        );
        let width: u32 = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(width >= 200, "{width}");
    }

    #[test]
    fn qr_svg_refuses_what_no_qr_code_holds() {
        assert_eq!(
            qr_svg(&"x".repeat(5000)).unwrap_err(),
            TotpError::QrCapacity
        );
    }

    #[test]
    fn algorithm_names() {
        assert_eq!(TotpAlgorithm::Sha1.as_str(), "SHA1");
        assert_eq!(TotpAlgorithm::Sha256.as_str(), "SHA256");
        assert_eq!(TotpAlgorithm::Sha512.as_str(), "SHA512");
        assert_eq!(
            serde_json::to_string(&TotpAlgorithm::Sha256).unwrap(),
            "\"SHA256\""
        );
        assert_eq!(
            serde_json::from_str::<TotpAlgorithm>("\"SHA512\"").unwrap(),
            TotpAlgorithm::Sha512
        );
    }
}
