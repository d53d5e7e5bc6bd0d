//! MFA factors: enrolling and verifying TOTP (`token:software:totp`), with the secret sealed by the master key, and
//! WebAuthn (`webauthn`, provider `FIDO`): one passkey per factor, sealed likewise (not secret, but tamper-evident),
//! its credential id shown in the factor's profile.
//!
//! A WebAuthn factor enrolled through the API waits, PENDING_ACTIVATION, with a random handle sealed in place of
//! the passkey: the SHA-256 of that handle is where the registration's state waits (a one-time token of kind
//! `WebAuthnRegistration`), so that activation, on any node, finds it and spends it once.

use serde_json::json;
use webauthn_rs::prelude::Passkey;

use crate::clock::Timestamp;
use crate::crypto::{CryptoError, MasterKey, sha256};
use crate::id::random_base62_into;
use crate::mfa::totp::{self, TotpConfig, TotpSecret};
use crate::mfa::webauthn::{credential_id_text, passkey_from_bytes, passkey_to_bytes};
use crate::model::{Factor, FactorStatus, FactorType};
use crate::random::Random;
use crate::signin::{Secret, mint};

/// Okta's provider of WebAuthn factors.
pub const FIDO: &str = "FIDO";

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

/// A WebAuthn factor awaiting activation, and the handle (sealed in it) whose hash keys the registration's state.
pub fn enroll_webauthn(
    user_id: &str,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
) -> Result<(Factor, Secret), CryptoError> {
    let id = new_factor_id(FactorType::WebAuthn, random);
    let handle = mint(random);
    let sealed = master.encrypt(id.as_bytes(), handle.value.as_bytes(), random)?;
    let factor = Factor {
        id,
        user_id: user_id.to_owned(),
        factor_type: FactorType::WebAuthn,
        provider: FIDO.to_owned(),
        status: FactorStatus::PendingActivation,
        sealed_secret: sealed,
        last_used_step: None,
        profile: json!({}),
        created: now,
        last_updated: now,
    };
    Ok((factor, handle))
}

/// The hash of a pending WebAuthn factor's registration handle: where its registration state is stored.
pub fn pending_registration_key(factor: &Factor, master: &MasterKey) -> Option<[u8; 32]> {
    if factor.factor_type != FactorType::WebAuthn
        || factor.status != FactorStatus::PendingActivation
    {
        return None;
    }
    let handle = master
        .decrypt(factor.id.as_bytes(), &factor.sealed_secret)
        .ok()?;
    Some(sha256(&handle))
}

/// Puts a registered passkey in a WebAuthn factor and makes it ACTIVE: sealed, with its credential id in the
/// profile (`credentialId`, base64url, as Okta's).
pub fn activate_webauthn(
    factor: &mut Factor,
    passkey: &Passkey,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
) -> Result<(), CryptoError> {
    set_passkey(factor, passkey, master, random, now)?;
    factor.status = FactorStatus::Active;
    factor.profile = json!({
        "credentialId": credential_id_text(passkey),
        "authenticatorName": "Passkey",
    });
    Ok(())
}

/// A new ACTIVE WebAuthn factor holding `passkey` (registration from a hosted page, in one step).
pub fn new_webauthn_factor(
    user_id: &str,
    passkey: &Passkey,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
) -> Result<Factor, CryptoError> {
    let (mut factor, _) = enroll_webauthn(user_id, master, random, now)?;
    activate_webauthn(&mut factor, passkey, master, random, now)?;
    Ok(factor)
}

/// Stores an updated passkey (its counter and backup flags after an assertion) in its factor.
pub fn set_passkey(
    factor: &mut Factor,
    passkey: &Passkey,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
) -> Result<(), CryptoError> {
    factor.sealed_secret =
        master.encrypt(factor.id.as_bytes(), &passkey_to_bytes(passkey), random)?;
    factor.last_updated = now;
    Ok(())
}

/// The passkey of an ACTIVE WebAuthn factor.
pub fn passkey(factor: &Factor, master: &MasterKey) -> Option<Passkey> {
    if factor.factor_type != FactorType::WebAuthn || factor.status != FactorStatus::Active {
        return None;
    }
    let bytes = master
        .decrypt(factor.id.as_bytes(), &factor.sealed_secret)
        .ok()?;
    passkey_from_bytes(&bytes).ok()
}

/// Where the state of a sign-in's WebAuthn challenge is kept: a hash of the sign-in's (secret, random) state token
/// and of what was challenged (`scope`: a factor id, or `*` for all of the user's passkeys). Asking again replaces
/// the challenge; the Authn API's verify request carries only the state token, so the key must be derivable from it.
pub fn assertion_key(state_token: &str, scope: &str) -> [u8; 32] {
    sha256(format!("webauthn-assertion\0{scope}\0{state_token}").as_bytes())
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

    #[test]
    fn webauthn_factors_hold_a_handle_then_a_passkey() {
        use crate::mfa::webauthn::RelyingParty;
        use lanyard_testkit::authenticator::SoftAuthenticator;

        let master = MasterKey::generate(&SystemRandom);
        let now = Utc::now();
        let (mut factor, handle) = enroll_webauthn("00u1", &master, &SystemRandom, now).unwrap();
        assert!(factor.id.starts_with("fwf") && factor.id.len() == 20);
        assert_eq!(factor.provider, "FIDO");
        assert_eq!(factor.status, FactorStatus::PendingActivation);
        assert_eq!(
            pending_registration_key(&factor, &master),
            Some(handle.hash)
        );
        assert_eq!(
            pending_registration_key(&factor, &MasterKey::generate(&SystemRandom)),
            None
        );
        assert!(passkey(&factor, &master).is_none(), "not active yet");

        let rp = RelyingParty::new("http://localhost:8080", "Lanyard").unwrap();
        let mut authenticator = SoftAuthenticator::new("localhost", "http://localhost:8080");
        let (options, state) = rp.start_registration("00u1", "ada", "", &[]).unwrap();
        let (att, cd) = authenticator.register(options["challenge"].as_str().unwrap());
        let pk = rp.finish_registration(&state, &att, &cd).unwrap();
        activate_webauthn(&mut factor, &pk, &master, &SystemRandom, now).unwrap();
        assert_eq!(factor.status, FactorStatus::Active);
        assert_eq!(
            factor.profile["credentialId"],
            authenticator.credential_id()
        );
        assert_eq!(pending_registration_key(&factor, &master), None);
        let opened = passkey(&factor, &master).unwrap();
        assert_eq!(opened.cred_id(), pk.cred_id());

        let other = new_webauthn_factor("00u1", &pk, &master, &SystemRandom, now).unwrap();
        assert_ne!(other.id, factor.id);
        assert_eq!(other.status, FactorStatus::Active);
        // Sealed under its own id: one factor's blob does not open as another's.
        let mut swapped = other.clone();
        swapped.sealed_secret = factor.sealed_secret.clone();
        assert!(passkey(&swapped, &master).is_none());
    }

    #[test]
    fn assertion_keys_depend_on_token_and_scope() {
        let a = assertion_key("tok", "fwf1");
        assert_eq!(a, assertion_key("tok", "fwf1"));
        assert_ne!(a, assertion_key("tok", "*"));
        assert_ne!(a, assertion_key("tok2", "fwf1"));
        assert_ne!(
            a,
            crate::signin::hash("tok"),
            "never a state token's own key"
        );
    }
}
