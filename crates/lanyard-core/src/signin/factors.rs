//! MFA factors: enrolling and verifying TOTP (`token:software:totp`), with the secret sealed by the master key.

use crate::clock::Timestamp;
use crate::crypto::{CryptoError, MasterKey};
use crate::id::random_base62_into;
use crate::mfa::totp::{self, TotpConfig, TotpSecret};
use crate::model::{Factor, FactorStatus, FactorType};
use crate::random::Random;

/// Okta's factor id prefixes.
pub fn new_factor_id(kind: FactorType, random: &dyn Random) -> String {
    let mut id = String::from(match kind {
        FactorType::Totp => "uft",
        FactorType::WebAuthn => "fwf",
    });
    random_base62_into(&mut id, 17, random);
    id
}

/// A new TOTP factor awaiting activation, and its secret (shown once, to enrol the authenticator).
pub fn enroll_totp(
    user_id: &str,
    provider: &str,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
) -> Result<(Factor, TotpSecret), CryptoError> {
    let id = new_factor_id(FactorType::Totp, random);
    let secret = TotpSecret::generate(random);
    let sealed = master.encrypt(id.as_bytes(), secret.as_bytes(), random)?;
    let factor = Factor {
        id,
        user_id: user_id.to_owned(),
        factor_type: FactorType::Totp,
        provider: provider.to_owned(),
        status: FactorStatus::PendingActivation,
        sealed_secret: sealed,
        last_used_step: None,
        profile: serde_json::json!({}),
        created: now,
        last_updated: now,
    };
    Ok((factor, secret))
}

/// The TOTP secret of a factor.
pub fn totp_secret(factor: &Factor, master: &MasterKey) -> Result<TotpSecret, CryptoError> {
    let bytes = master.decrypt(factor.id.as_bytes(), &factor.sealed_secret)?;
    TotpSecret::from_bytes(&bytes).map_err(|_| CryptoError::InvalidKey("not a TOTP secret"))
}

/// The time step a passcode matches for this factor at `now`, or `None`. Steps at or before the last accepted one
/// never match; the caller must still record the step atomically (`FactorStore::use_totp_step`).
pub fn check_passcode(
    factor: &Factor,
    master: &MasterKey,
    passcode: &str,
    now: Timestamp,
) -> Option<i64> {
    if factor.factor_type != FactorType::Totp {
        return None;
    }
    let secret = totp_secret(factor, master).ok()?;
    let unix = u64::try_from(now.timestamp()).ok()?;
    let last = factor.last_used_step.and_then(|s| u64::try_from(s).ok());
    let code: String = passcode.chars().filter(|c| !c.is_whitespace()).collect();
    totp::verify(&secret, &TotpConfig::default(), &code, unix, last)
        .and_then(|s| i64::try_from(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemRandom;
    use chrono::{Duration, Utc};

    #[test]
    fn an_enrolled_secret_opens_only_with_the_master_key_and_codes_verify_once() {
        let master = MasterKey::generate(&SystemRandom);
        let now = Utc::now();
        let (mut factor, secret) =
            enroll_totp("00u1", "GOOGLE", &master, &SystemRandom, now).unwrap();
        assert!(factor.id.starts_with("uft") && factor.id.len() == 20);
        assert_eq!(factor.status, FactorStatus::PendingActivation);
        assert_eq!(
            totp_secret(&factor, &master).unwrap().to_base32(),
            secret.to_base32()
        );
        assert!(totp_secret(&factor, &MasterKey::generate(&SystemRandom)).is_err());

        let code = totp::code_at(&secret, &TotpConfig::default(), now.timestamp() as u64);
        let step = check_passcode(&factor, &master, &code, now).unwrap();
        factor.last_used_step = Some(step);
        assert_eq!(
            check_passcode(&factor, &master, &code, now),
            None,
            "a code is usable once"
        );
        assert_eq!(check_passcode(&factor, &master, "000000x", now), None);
        let later = now + Duration::seconds(90);
        assert_eq!(
            check_passcode(&factor, &master, &code, later),
            None,
            "too old"
        );
    }
}
