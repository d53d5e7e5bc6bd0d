//! The operations on a user's factors the Factors API (`/api/v1/users/{id}/factors`) performs: enrol a TOTP factor
//! (one ACTIVE at most; a pending enrolment is replaced), begin a WebAuthn enrolment (a pending one is replaced;
//! active passkeys stay), activate, verify a passcode (each time step once), delete. Checking a browser's WebAuthn
//! attestation is the server's (it holds the relying party); storing the result is [`save_activated`].

use crate::mfa::webauthn::StoredPasskey as Passkey;

use crate::change::Event;
use crate::clock::Clock;
use crate::crypto::{CryptoError, MasterKey};
use crate::mfa::totp::TotpSecret;
use crate::model::{Factor, FactorStatus, FactorType};
use crate::random::Random;
use crate::signin::Secret;
use crate::signin::factors::{
    FIDO, activate_webauthn, check_passcode, enroll_totp as new_totp_factor,
    enroll_webauthn as new_webauthn_factor,
};
use crate::store::{FactorStore, StoreError};

pub const ENROLLED: Event = ("user.mfa.factor.update", "Enroll factor");
pub const ACTIVATED: Event = ("user.mfa.factor.activate", "Activate factor");
pub const RESET: Event = ("user.mfa.factor.deactivate", "Reset factor for user");

/// What the operations need besides the store.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
    pub master: &'a MasterKey,
}

/// Why a factor operation did not happen.
#[derive(Debug)]
pub enum FactorRefused {
    /// The user has no factor with this id.
    NotFound,
    /// `provider` is not one of the factor type's: the cause.
    Provider(String),
    /// The user has an ACTIVE TOTP factor already.
    ActiveTotpExists,
    AlreadyActive,
    NotActive,
    /// The passcode is wrong, or its time step was used already.
    InvalidPasscode,
    Crypto(CryptoError),
    Store(StoreError),
}

impl From<StoreError> for FactorRefused {
    fn from(e: StoreError) -> Self {
        FactorRefused::Store(e)
    }
}

impl From<CryptoError> for FactorRefused {
    fn from(e: CryptoError) -> Self {
        FactorRefused::Crypto(e)
    }
}

pub async fn find(
    store: &(impl FactorStore + ?Sized),
    user_id: &str,
    fid: &str,
) -> Result<Factor, FactorRefused> {
    store
        .factor(user_id, fid)
        .await?
        .ok_or(FactorRefused::NotFound)
}

/// Enrols a TOTP factor (provider `GOOGLE`, the default, or `OKTA`), PENDING_ACTIVATION, and returns its secret
/// (shown once). Refused when the user has an ACTIVE one; a pending one is replaced.
pub async fn enroll_totp(
    store: &(impl FactorStore + ?Sized),
    env: Env<'_>,
    user_id: &str,
    provider: Option<&str>,
) -> Result<(Factor, TotpSecret), FactorRefused> {
    let provider = provider.unwrap_or("GOOGLE").to_uppercase();
    if !matches!(provider.as_str(), "GOOGLE" | "OKTA") {
        return Err(FactorRefused::Provider(format!(
            "provider: {provider:?} is not GOOGLE or OKTA"
        )));
    }
    let existing = store.factors(user_id).await?;
    for f in existing
        .iter()
        .filter(|f| f.factor_type == FactorType::Totp)
    {
        if f.status == FactorStatus::Active {
            return Err(FactorRefused::ActiveTotpExists);
        }
        // A pending enrolment is replaced by the new one.
        store.delete_factor(user_id, &f.id).await?;
    }
    let (factor, secret) =
        new_totp_factor(user_id, &provider, env.master, env.random, env.clock.now())?;
    store.insert_factor(&factor).await?;
    Ok((factor, secret))
}

/// Checks a WebAuthn enrolment's provider (`FIDO`, the default).
pub fn webauthn_provider(provider: Option<&str>) -> Result<(), FactorRefused> {
    let provider = provider.unwrap_or(FIDO).to_uppercase();
    if provider == FIDO {
        Ok(())
    } else {
        Err(FactorRefused::Provider(format!(
            "provider: {provider:?} is not FIDO"
        )))
    }
}

/// Begins a WebAuthn enrolment: a PENDING_ACTIVATION factor, and the handle under which the server keeps the
/// registration's state. A pending enrolment is replaced; active passkeys stay (a user may have several).
pub async fn enroll_webauthn(
    store: &(impl FactorStore + ?Sized),
    env: Env<'_>,
    user_id: &str,
) -> Result<(Factor, Secret), FactorRefused> {
    for f in store.factors(user_id).await? {
        if f.factor_type == FactorType::WebAuthn && f.status == FactorStatus::PendingActivation {
            store.delete_factor(user_id, &f.id).await?;
        }
    }
    let (factor, handle) = new_webauthn_factor(user_id, env.master, env.random, env.clock.now())?;
    store.insert_factor(&factor).await?;
    Ok((factor, handle))
}

/// Accepts a TOTP passcode for the factor, spending its time step.
async fn accept(
    store: &(impl FactorStore + ?Sized),
    env: Env<'_>,
    factor: &Factor,
    passcode: Option<&str>,
) -> Result<(), FactorRefused> {
    let now = env.clock.now();
    match check_passcode(factor, env.master, passcode.unwrap_or_default(), now) {
        Some(step) if store.use_totp_step(&factor.id, step, now).await? => Ok(()),
        _ => Err(FactorRefused::InvalidPasscode),
    }
}

/// Refuses activating a factor that is ACTIVE already.
pub fn check_pending(factor: &Factor) -> Result<(), FactorRefused> {
    if factor.status == FactorStatus::Active {
        Err(FactorRefused::AlreadyActive)
    } else {
        Ok(())
    }
}

/// Activates a pending TOTP factor with a passcode from the authenticator.
pub async fn activate_totp(
    store: &(impl FactorStore + ?Sized),
    env: Env<'_>,
    mut factor: Factor,
    passcode: Option<&str>,
) -> Result<Factor, FactorRefused> {
    check_pending(&factor)?;
    accept(store, env, &factor, passcode).await?;
    factor.status = FactorStatus::Active;
    factor.last_updated = env.clock.now();
    store.update_factor(&factor).await?;
    Ok(factor)
}

/// Stores a pending WebAuthn factor with the passkey the server registered, ACTIVE.
pub async fn save_activated(
    store: &(impl FactorStore + ?Sized),
    env: Env<'_>,
    mut factor: Factor,
    passkey: &Passkey,
) -> Result<Factor, FactorRefused> {
    check_pending(&factor)?;
    activate_webauthn(
        &mut factor,
        passkey,
        env.master,
        env.random,
        env.clock.now(),
    )?;
    factor.last_updated = env.clock.now();
    store.update_factor(&factor).await?;
    Ok(factor)
}

/// Verifies a passcode for an ACTIVE factor.
pub async fn verify(
    store: &(impl FactorStore + ?Sized),
    env: Env<'_>,
    factor: &Factor,
    passcode: Option<&str>,
) -> Result<(), FactorRefused> {
    if factor.status != FactorStatus::Active {
        return Err(FactorRefused::NotActive);
    }
    accept(store, env, factor, passcode).await
}

/// Deletes one of the user's factors.
pub async fn remove(
    store: &(impl FactorStore + ?Sized),
    user_id: &str,
    fid: &str,
) -> Result<(), FactorRefused> {
    if store.delete_factor(user_id, fid).await? {
        Ok(())
    } else {
        Err(FactorRefused::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::directory::accounts::tests::World;
    use crate::mfa::totp::{self, TotpConfig};
    use crate::random::SystemRandom;

    fn code(secret: &TotpSecret, clock: &FixedClock) -> String {
        let unix = u64::try_from(clock.now().timestamp()).unwrap();
        totp::code_at(secret, &TotpConfig::default(), unix)
    }

    #[tokio::test]
    async fn one_active_totp_factor_each_step_once_and_pending_enrolments_are_replaced() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let (store, clock) = (&w.store, &w.clock);
        let master = MasterKey::generate(&SystemRandom);
        let env = Env {
            clock,
            random: &SystemRandom,
            master: &master,
        };
        assert!(matches!(
            enroll_totp(store, env, &user.id, Some("duo")).await,
            Err(FactorRefused::Provider(_))
        ));
        let (first, _) = enroll_totp(store, env, &user.id, None).await.unwrap();
        let (pending, secret) = enroll_totp(store, env, &user.id, Some("okta"))
            .await
            .unwrap();
        assert_eq!(pending.provider, "OKTA");
        assert!(matches!(
            find(store, &user.id, &first.id).await,
            Err(FactorRefused::NotFound)
        ));
        assert!(matches!(
            activate_totp(store, env, pending.clone(), Some("000000x")).await,
            Err(FactorRefused::InvalidPasscode)
        ));
        let c = code(&secret, clock);
        let active = activate_totp(store, env, pending, Some(&c)).await.unwrap();
        assert_eq!(active.status, FactorStatus::Active);
        assert!(matches!(
            enroll_totp(store, env, &user.id, None).await,
            Err(FactorRefused::ActiveTotpExists)
        ));
        let active = find(store, &user.id, &active.id).await.unwrap();
        assert!(
            matches!(
                verify(store, env, &active, Some(&c)).await,
                Err(FactorRefused::InvalidPasscode)
            ),
            "a step is spent once"
        );
        clock.advance(chrono::Duration::seconds(30));
        let later = code(&secret, clock);
        verify(store, env, &active, Some(&later)).await.unwrap();
        remove(store, &user.id, &active.id).await.unwrap();
        assert!(matches!(
            remove(store, &user.id, &active.id).await,
            Err(FactorRefused::NotFound)
        ));
        assert!(webauthn_provider(None).is_ok() && webauthn_provider(Some("GOOGLE")).is_err());
    }
}
