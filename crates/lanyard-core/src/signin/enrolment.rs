//! Enrolment of a TOTP factor during a sign-in, when the sign-on policy requires a factor the user lacks: a state
//! token of step [`ENROLL_STEP`] (from [`super::after_password`]) lets the user enrol one; the token then names the
//! factor, so that only it can be activated. Activation with a passcode is the MFA step's (its limits apply).
//!
//! The third step of the sign-in state machine moved out of the server (see `docs/signin-flow.md`).

use chrono::Duration;
use serde_json::json;

use super::after_password::ENROLL_STEP;
use super::policy as signon;
use super::{factors, state_token};
use crate::clock::Timestamp;
use crate::crypto::{CryptoError, MasterKey};
use crate::mfa::totp::TotpSecret;
use crate::model::{Factor, FactorStatus, FactorType, OneTimeToken, User};
use crate::random::Random;
use crate::store::{FactorStore, OneTimeTokenStore, StoreError, UserStore};

/// The system log event of a factor enrolled during a sign-in (the user is actor and target).
pub const ENROL_EVENT: (&str, &str) = ("user.mfa.factor.update", "Enroll factor");

/// A TOTP factor being enrolled during a sign-in, with its secret (for the authenticator app).
pub struct Enrolment {
    pub user: User,
    pub factor: Factor,
    pub secret: TotpSecret,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("user", &self.user.id)
            .field("factor", &self.factor.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The outcome of asking to enrol a factor.
#[derive(Debug)]
pub enum Enroll {
    Started(Box<Enrolment>),
    /// No enrolment waits behind this state token (expired, spent, another step), or the user has an active
    /// factor by now (an administrator enrolled one): this sign-in starts again.
    InvalidState,
}

/// Why an enrolment step failed (a server fault, never the user's).
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("factor secret: {0}")]
    Crypto(#[from] CryptoError),
}

/// Enrols a TOTP factor (PENDING_ACTIVATION) for the sign-in a state token carries: a new secret each time it is
/// asked (a TOTP factor from before is replaced); the state token then names the factor and lives
/// [`signon::enrolment_ttl`] from now.
pub async fn enroll_totp<S>(
    store: &S,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
    state_token_ttl: Duration,
    presented: &str,
    provider: &str,
) -> Result<Enroll, EnrolError>
where
    S: OneTimeTokenStore + UserStore + FactorStore + ?Sized,
{
    let Some((token, user)) = state_token(store, presented, ENROLL_STEP, now).await? else {
        return Ok(Enroll::InvalidState);
    };
    let existing = store.factors(&user.id).await?;
    if existing.iter().any(|f| f.status == FactorStatus::Active) {
        return Ok(Enroll::InvalidState);
    }
    for f in existing
        .iter()
        .filter(|f| f.factor_type == FactorType::Totp)
    {
        store.delete_factor(&user.id, &f.id).await?;
    }
    let (factor, secret) = factors::enroll_totp(&user.id, provider, master, random, now)?;
    store.insert_factor(&factor).await?;
    let expires_at = now + signon::enrolment_ttl(state_token_ttl);
    let token = OneTimeToken {
        data: json!({ "step": ENROLL_STEP, "factorId": factor.id }),
        expires_at,
        ..token
    };
    store.replace_one_time_token(&token).await?;
    Ok(Enroll::Started(Box::new(Enrolment {
        user,
        factor,
        secret,
        expires_at,
    })))
}

/// The enrolment a state token carries, once a factor is enrolled and until it is activated.
pub async fn pending<S>(
    store: &S,
    master: &MasterKey,
    now: Timestamp,
    presented: &str,
) -> Result<Option<Enrolment>, EnrolError>
where
    S: OneTimeTokenStore + UserStore + FactorStore + ?Sized,
{
    let Some((token, user)) = state_token(store, presented, ENROLL_STEP, now).await? else {
        return Ok(None);
    };
    let Some(factor_id) = token.data["factorId"].as_str() else {
        return Ok(None);
    };
    let Some(factor) = store
        .factor(&user.id, factor_id)
        .await?
        .filter(|f| f.status == FactorStatus::PendingActivation)
    else {
        return Ok(None);
    };
    let secret = factors::totp_secret(&factor, master)?;
    Ok(Some(Enrolment {
        user,
        factor,
        secret,
        expires_at: token.expires_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::model::TokenKind;
    use crate::random::SystemRandom;
    use crate::signin::issue;

    const TTL: Duration = Duration::minutes(5);

    async fn enrolling(w: &World, user: &User) -> String {
        let (token, _) = issue(
            &w.store,
            &SystemRandom,
            w.clock.now(),
            &user.id,
            TokenKind::StateToken,
            TTL,
            json!({ "step": ENROLL_STEP }),
        )
        .await
        .unwrap();
        token.value
    }

    fn started(e: Enroll) -> Enrolment {
        match e {
            Enroll::Started(e) => *e,
            Enroll::InvalidState => panic!("an enrolment expected"),
        }
    }

    #[tokio::test]
    async fn each_ask_replaces_the_pending_factor_and_the_token_names_the_last() {
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let token = enrolling(&w, &user).await;
        let now = w.clock.now();
        assert!(
            pending(&w.store, &master, now, &token)
                .await
                .unwrap()
                .is_none()
        );
        let first = started(
            enroll_totp(&w.store, &master, &SystemRandom, now, TTL, &token, "GOOGLE")
                .await
                .unwrap(),
        );
        assert_eq!(first.factor.status, FactorStatus::PendingActivation);
        assert_eq!(first.expires_at, now + Duration::minutes(10));
        let second = started(
            enroll_totp(&w.store, &master, &SystemRandom, now, TTL, &token, "GOOGLE")
                .await
                .unwrap(),
        );
        let factors = w.store.factors(&user.id).await.unwrap();
        assert_eq!(factors.len(), 1, "the first is replaced");
        assert_eq!(factors[0].id, second.factor.id);
        let waiting = pending(&w.store, &master, now, &token)
            .await
            .unwrap()
            .expect("the enrolment the token names");
        assert_eq!(waiting.factor.id, second.factor.id);
        assert_eq!(waiting.secret.to_base32(), second.secret.to_base32());
        // The token lives on past its first lifetime: the enrolment's.
        let later = now + TTL + Duration::seconds(1);
        assert!(
            pending(&w.store, &master, later, &token)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn an_active_factor_or_another_steps_token_ends_the_enrolment() {
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let now = w.clock.now();
        let (mfa, _) = issue(
            &w.store,
            &SystemRandom,
            now,
            &user.id,
            TokenKind::StateToken,
            TTL,
            json!({ "step": "mfa" }),
        )
        .await
        .unwrap();
        let other = enroll_totp(
            &w.store,
            &master,
            &SystemRandom,
            now,
            TTL,
            &mfa.value,
            "GOOGLE",
        )
        .await
        .unwrap();
        assert!(matches!(other, Enroll::InvalidState));
        let token = enrolling(&w, &user).await;
        let mut enrolled = started(
            enroll_totp(&w.store, &master, &SystemRandom, now, TTL, &token, "GOOGLE")
                .await
                .unwrap(),
        )
        .factor;
        enrolled.status = FactorStatus::Active;
        w.store.update_factor(&enrolled).await.unwrap();
        let again = enroll_totp(&w.store, &master, &SystemRandom, now, TTL, &token, "GOOGLE")
            .await
            .unwrap();
        assert!(matches!(again, Enroll::InvalidState));
        assert!(
            pending(&w.store, &master, now, &token)
                .await
                .unwrap()
                .is_none()
        );
    }
}
