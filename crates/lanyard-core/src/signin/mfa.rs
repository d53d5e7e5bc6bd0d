//! The MFA step of a sign-in (a state token of [`MFA_STEP`]) or of a session's step-up (one of [`STEP_UP`], naming
//! the session): a TOTP passcode checked under the limits of [`super::attempts`] — the factor's wait is checked
//! before the code; a wrong answer counts against the state token (the sign-in ends at
//! [`attempts::STATE_ATTEMPTS`]), the factor, the user's lockout and the client's address — and the activation of
//! a factor enrolled during the sign-in ([`super::enrolment`]), under the same limits. WebAuthn answers are
//! [`super::passkeys`]'s, with the same counting.
//!
//! The fourth step of the sign-in state machine moved out of the server (see `docs/signin-flow.md`).

use super::after_password::{ENROLL_STEP, MFA_STEP};
use super::attempts::{self, Counted};
use super::factors::check_passcode;
use super::{Event, Secret, SigninPolicy, issue, state_token};
use crate::clock::Timestamp;
use crate::crypto::MasterKey;
use crate::model::{FactorStatus, FactorType, TokenKind, User};
use crate::random::Random;
use crate::store::{
    AttemptStore, FactorStore, LockoutStore, OneTimeTokenStore, StoreResult, UserStore,
};

/// The state token step of a session's step-up; its data names the session (`sessionId`).
pub const STEP_UP: &str = "step_up";

/// The store capabilities the MFA step uses: the state token and its user, the factors, the failure counts and the
/// lockout.
pub trait MfaStore:
    OneTimeTokenStore + UserStore + FactorStore + AttemptStore + LockoutStore
{
}

impl<T> MfaStore for T where
    T: OneTimeTokenStore + UserStore + FactorStore + AttemptStore + LockoutStore + ?Sized
{
}

/// Whose MFA step a state token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaOf {
    /// A sign-in's: success starts a session.
    SignIn,
    /// A session's step-up: success upgrades that session.
    StepUp { session_id: String },
}

impl MfaOf {
    /// The state token step it is carried by.
    pub fn step(&self) -> &'static str {
        match self {
            MfaOf::SignIn => MFA_STEP,
            MfaOf::StepUp { .. } => STEP_UP,
        }
    }
}

/// The MFA step a live state token carries (a sign-in's or a step-up's), and its user.
pub async fn mfa_of<S>(
    store: &S,
    now: Timestamp,
    presented: &str,
) -> StoreResult<Option<(MfaOf, User)>>
where
    S: OneTimeTokenStore + UserStore + ?Sized,
{
    if let Some((_, user)) = state_token(store, presented, MFA_STEP, now).await? {
        return Ok(Some((MfaOf::SignIn, user)));
    }
    Ok(state_token(store, presented, STEP_UP, now)
        .await?
        .and_then(|(token, user)| {
            let session_id = token.data["sessionId"].as_str()?.to_owned();
            Some((MfaOf::StepUp { session_id }, user))
        }))
}

/// Whether a user has a second factor a step-up can verify: an active TOTP factor, or an active passkey when
/// WebAuthn is available.
pub async fn can_step_up<S>(store: &S, webauthn: bool, user_id: &str) -> StoreResult<bool>
where
    S: FactorStore + ?Sized,
{
    let factors = store.factors(user_id).await?;
    Ok(factors.iter().any(|f| {
        f.status == FactorStatus::Active
            && (f.factor_type == FactorType::Totp
                || (webauthn && super::passkeys::is_active_webauthn(f)))
    }))
}

/// Starts the step-up of session `session_id` for its user: a state token of [`STEP_UP`] naming the session,
/// living `ttl`.
pub async fn begin_step_up<S>(
    store: &S,
    random: &dyn Random,
    now: Timestamp,
    ttl: chrono::Duration,
    user_id: &str,
    session_id: &str,
) -> StoreResult<Secret>
where
    S: OneTimeTokenStore + ?Sized,
{
    let (secret, _) = issue(
        store,
        random,
        now,
        user_id,
        TokenKind::StateToken,
        ttl,
        serde_json::json!({ "step": STEP_UP, "sessionId": session_id }),
    )
    .await?;
    Ok(secret)
}

/// The outcome of a second factor.
#[derive(Debug, PartialEq)]
pub enum Mfa {
    Success(User),
    WrongCode,
    InvalidState,
    UnknownFactor,
    /// A WebAuthn answer with no challenge waiting (never asked, expired, or already answered).
    NoChallenge,
    /// The factor failed too often lately: no answer is checked for this long.
    TooManyAttempts {
        wait: chrono::Duration,
    },
    /// That wrong answer was the state token's last ([`attempts::STATE_ATTEMPTS`]), or locked the account: the
    /// sign-in ended, and starts again with the password.
    Ended,
}

/// An outcome and what led to it, for the log.
#[derive(Debug)]
pub struct Answered {
    pub outcome: Mfa,
    pub events: Vec<Event>,
}

impl From<Mfa> for Answered {
    fn from(outcome: Mfa) -> Self {
        Answered {
            outcome,
            events: Vec::new(),
        }
    }
}

/// When an attempt is made, under which limits, and from where.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub now: Timestamp,
    pub policy: &'a SigninPolicy,
    /// The key the client's address is counted under ([`attempts::source_key`]), unless it is not counted (no
    /// address, or per-address limits off).
    pub source: Option<[u8; 32]>,
}

/// How long the factor counted as `counted_as` makes its user wait before an answer is checked again, if it does.
pub(crate) async fn factor_wait<S>(
    store: &S,
    counted_as: &str,
    now: Timestamp,
) -> StoreResult<Option<chrono::Duration>>
where
    S: AttemptStore + ?Sized,
{
    let key = attempts::key(Counted::Factor, counted_as.as_bytes());
    Ok(match store.failures(&key).await? {
        Some(f) => attempts::factor_wait(f.count, f.last, now),
        None => None,
    })
}

/// Counts a failed attempt against the client's address, when it is counted.
pub(crate) async fn count_source_failure<S>(store: &S, at: &Attempt<'_>) -> StoreResult<()>
where
    S: AttemptStore + ?Sized,
{
    if let Some(key) = at.source {
        store
            .count_failure(
                &key,
                at.now,
                at.now - attempts::SOURCE_MEMORY,
                at.now + attempts::SOURCE_MEMORY,
            )
            .await?;
    }
    Ok(())
}

/// Counts a failure toward the user's lockout (forgotten after [`attempts::FAILURE_MEMORY`] without one); whether
/// it locked the account, which then adds [`Event::Locked`] to `events`.
pub(crate) async fn count_user_failure<S>(
    store: &S,
    at: &Attempt<'_>,
    user: &User,
    events: &mut Vec<Event>,
) -> StoreResult<bool>
where
    S: LockoutStore + ?Sized,
{
    let count = store
        .record_failure(
            &user.id,
            at.policy.lockout_threshold,
            at.now,
            at.policy.lock_until(at.now),
            at.now - attempts::FAILURE_MEMORY,
        )
        .await?;
    if count.locked {
        events.push(Event::Locked(Box::new(user.clone())));
    }
    Ok(count.locked)
}

/// A wrong answer to the factor counted as `counted_as` in the sign-in (or step-up) of the state token hashing to
/// `token_hash`: counted against the state token, the factor, the user's lockout and the client's address. The
/// sign-in ends at the state token's limit or when the count locks the account.
pub(crate) async fn wrong_answer<S>(
    store: &S,
    at: &Attempt<'_>,
    user: &User,
    token_hash: &[u8; 32],
    counted_as: &str,
) -> StoreResult<Answered>
where
    S: MfaStore + ?Sized,
{
    let now = at.now;
    let mut events = vec![Event::MfaFailed(Box::new(user.clone()))];
    store
        .count_failure(
            &attempts::key(Counted::Factor, counted_as.as_bytes()),
            now,
            now - attempts::FAILURE_MEMORY,
            now + attempts::FAILURE_MEMORY,
        )
        .await?;
    count_source_failure(store, at).await?;
    let locked = count_user_failure(store, at, user, &mut events).await?;
    let counted = store
        .count_token_attempt(token_hash, attempts::STATE_ATTEMPTS, now)
        .await?;
    let outcome = match counted {
        Some(n) if n < attempts::STATE_ATTEMPTS && !locked => Mfa::WrongCode,
        _ => {
            store
                .consume_one_time_token(token_hash, TokenKind::StateToken, now)
                .await?;
            tracing::info!(user = %user.id, locked, "a sign-in ended after wrong second-factor answers");
            Mfa::Ended
        }
    };
    Ok(Answered { outcome, events })
}

/// A right answer: the state token is spent (a mistyped code may be retried while it lives), the factor's
/// failures and the user's are forgotten. `None` when the token was spent meanwhile.
pub(crate) async fn right_answer<S>(
    store: &S,
    now: Timestamp,
    token_hash: &[u8; 32],
    counted_as: &str,
    user: &User,
) -> StoreResult<Option<()>>
where
    S: MfaStore + ?Sized,
{
    if store
        .consume_one_time_token(token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    store
        .clear_failures(&attempts::key(Counted::Factor, counted_as.as_bytes()))
        .await?;
    store.reset_failures(&user.id).await?;
    Ok(Some(()))
}

/// Verifies a TOTP passcode for the MFA step `of` a state token carries (an ACTIVE factor of its user); spends the
/// token on success only.
pub async fn verify_totp<S>(
    store: &S,
    master: &MasterKey,
    at: &Attempt<'_>,
    of: &MfaOf,
    presented: &str,
    factor_id: &str,
    passcode: &str,
) -> StoreResult<Answered>
where
    S: MfaStore + ?Sized,
{
    let now = at.now;
    let Some((token, user)) = state_token(store, presented, of.step(), now).await? else {
        return Ok(Mfa::InvalidState.into());
    };
    let factor = store
        .factor(&user.id, factor_id)
        .await?
        .filter(|f| f.status == FactorStatus::Active);
    let Some(factor) = factor else {
        return Ok(Mfa::UnknownFactor.into());
    };
    if let Some(wait) = factor_wait(store, &factor.id, now).await? {
        return Ok(Mfa::TooManyAttempts { wait }.into());
    }
    let accepted = match check_passcode(&factor, master, passcode, now) {
        Some(step) => store.use_totp_step(&factor.id, step, now).await?,
        None => false,
    };
    if !accepted {
        return wrong_answer(store, at, &user, &token.token_hash, &factor.id).await;
    }
    if right_answer(store, now, &token.token_hash, &factor.id, &user)
        .await?
        .is_none()
    {
        return Ok(Mfa::InvalidState.into());
    }
    Ok(Answered {
        events: vec![Event::signed_in(&user, true)],
        outcome: Mfa::Success(user),
    })
}

/// Activates the factor enrolled during a sign-in (the one the state token of [`ENROLL_STEP`] names, still
/// PENDING_ACTIVATION) with a passcode from the authenticator, under the MFA step's limits: this completes the
/// sign-in (with MFA). Spends the state token on success only, so a mistyped code may be retried.
pub async fn activate_enrolment<S>(
    store: &S,
    master: &MasterKey,
    at: &Attempt<'_>,
    presented: &str,
    factor_id: &str,
    passcode: &str,
) -> StoreResult<Answered>
where
    S: MfaStore + ?Sized,
{
    let now = at.now;
    let Some((token, user)) = state_token(store, presented, ENROLL_STEP, now).await? else {
        return Ok(Mfa::InvalidState.into());
    };
    if token.data["factorId"].as_str() != Some(factor_id) {
        return Ok(Mfa::UnknownFactor.into());
    }
    let factor = store
        .factor(&user.id, factor_id)
        .await?
        .filter(|f| f.status == FactorStatus::PendingActivation);
    let Some(mut factor) = factor else {
        return Ok(Mfa::UnknownFactor.into());
    };
    if let Some(wait) = factor_wait(store, &factor.id, now).await? {
        return Ok(Mfa::TooManyAttempts { wait }.into());
    }
    let accepted = match check_passcode(&factor, master, passcode, now) {
        Some(step) => store.use_totp_step(&factor.id, step, now).await?,
        None => false,
    };
    if !accepted {
        return wrong_answer(store, at, &user, &token.token_hash, &factor.id).await;
    }
    if store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Ok(Mfa::InvalidState.into());
    }
    factor.status = FactorStatus::Active;
    factor.last_updated = now;
    store.update_factor(&factor).await?;
    store
        .clear_failures(&attempts::key(Counted::Factor, factor.id.as_bytes()))
        .await?;
    store.reset_failures(&user.id).await?;
    Ok(Answered {
        events: vec![
            Event::FactorActivated(Box::new(user.clone())),
            Event::signed_in(&user, true),
        ],
        outcome: Mfa::Success(user),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::mfa::totp::{self, TotpConfig};
    use crate::model::{Factor, UserStatus};
    use crate::random::SystemRandom;
    use crate::signin::{enrolment, factors, issue};
    use chrono::Duration;
    use serde_json::json;

    /// An active TOTP factor for `user`, and its secret.
    pub(crate) async fn totp_factor(
        w: &World,
        master: &MasterKey,
        user: &User,
    ) -> (Factor, totp::TotpSecret) {
        let (mut factor, secret) =
            factors::enroll_totp(&user.id, "GOOGLE", master, &SystemRandom, w.clock.now()).unwrap();
        factor.status = FactorStatus::Active;
        w.store.insert_factor(&factor).await.unwrap();
        (factor, secret)
    }

    pub(crate) fn code(secret: &totp::TotpSecret, now: Timestamp) -> String {
        totp::code_at(secret, &TotpConfig::default(), now.timestamp() as u64)
    }

    pub(crate) async fn mfa_token(w: &World, user: &User, data: serde_json::Value) -> String {
        issue(
            &w.store,
            &SystemRandom,
            w.clock.now(),
            &user.id,
            TokenKind::StateToken,
            Duration::minutes(5),
            data,
        )
        .await
        .unwrap()
        .0
        .value
    }

    fn at(w: &World, policy: &'static SigninPolicy) -> Attempt<'static> {
        Attempt {
            now: w.clock.now(),
            policy,
            source: None,
        }
    }

    fn policy() -> &'static SigninPolicy {
        Box::leak(Box::new(SigninPolicy::default()))
    }

    #[tokio::test]
    async fn a_right_code_signs_in_once_and_forgets_the_failures() {
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let (factor, secret) = totp_factor(&w, &master, &user).await;
        let token = mfa_token(&w, &user, json!({ "step": MFA_STEP })).await;
        let p = policy();
        let wrong = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &token,
            &factor.id,
            "000000",
        )
        .await
        .unwrap();
        assert_eq!(wrong.outcome, Mfa::WrongCode);
        assert!(matches!(wrong.events.as_slice(), [Event::MfaFailed(_)]));
        let code = code(&secret, w.clock.now());
        let right = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &token,
            &factor.id,
            &code,
        )
        .await
        .unwrap();
        assert!(matches!(right.outcome, Mfa::Success(ref u) if u.id == user.id));
        assert!(matches!(
            right.events.as_slice(),
            [Event::SignedIn { via_mfa: true, .. }]
        ));
        let key = attempts::key(Counted::Factor, factor.id.as_bytes());
        assert!(w.store.failures(&key).await.unwrap().is_none());
        // The token is spent, and a step-up token is not a sign-in's.
        let again = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &token,
            &factor.id,
            &code,
        )
        .await
        .unwrap();
        assert_eq!(again.outcome, Mfa::InvalidState);
        let step_up = mfa_token(&w, &user, json!({ "step": STEP_UP, "sessionId": "102s" })).await;
        assert_eq!(
            mfa_of(&w.store, w.clock.now(), &step_up)
                .await
                .unwrap()
                .map(|(of, _)| of),
            Some(MfaOf::StepUp {
                session_id: "102s".into()
            })
        );
        let other = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &step_up,
            &factor.id,
            &code,
        )
        .await
        .unwrap();
        assert_eq!(other.outcome, Mfa::InvalidState);
    }

    #[tokio::test]
    async fn five_wrong_answers_end_the_sign_in_then_the_factor_makes_its_user_wait() {
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let (factor, secret) = totp_factor(&w, &master, &user).await;
        let token = mfa_token(&w, &user, json!({ "step": MFA_STEP })).await;
        let p = policy();
        let source = attempts::key(Counted::Source, b"10.0.0.1");
        let from = |w: &World| Attempt {
            source: Some(source),
            ..at(w, p)
        };
        for n in 1..=attempts::STATE_ATTEMPTS {
            let a = verify_totp(
                &w.store,
                &master,
                &from(&w),
                &MfaOf::SignIn,
                &token,
                &factor.id,
                "000000",
            )
            .await
            .unwrap();
            let expected = if n < attempts::STATE_ATTEMPTS {
                Mfa::WrongCode
            } else {
                Mfa::Ended
            };
            assert_eq!(a.outcome, expected, "answer {n}");
        }
        assert_eq!(
            w.store.failures(&source).await.unwrap().map(|f| f.count),
            Some(attempts::STATE_ATTEMPTS),
            "each counted against the address"
        );
        // The next sign-in's token: the factor waits before any code is checked, even a right one.
        let next = mfa_token(&w, &user, json!({ "step": MFA_STEP })).await;
        let right = code(&secret, w.clock.now());
        let wrong = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &next,
            &factor.id,
            "000000",
        )
        .await
        .unwrap();
        assert_eq!(
            wrong.outcome,
            Mfa::WrongCode,
            "the 6th in a row is still checked"
        );
        let waiting = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &next,
            &factor.id,
            &right,
        )
        .await
        .unwrap();
        assert_eq!(
            waiting.outcome,
            Mfa::TooManyAttempts {
                wait: Duration::minutes(1)
            }
        );
        w.clock.advance(Duration::minutes(1));
        let right = code(&secret, w.clock.now());
        let ok = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &next,
            &factor.id,
            &right,
        )
        .await
        .unwrap();
        assert!(matches!(ok.outcome, Mfa::Success(_)));
    }

    #[tokio::test]
    async fn wrong_answers_count_toward_the_lockout_which_ends_the_sign_in() {
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let (factor, _) = totp_factor(&w, &master, &user).await;
        let token = mfa_token(&w, &user, json!({ "step": MFA_STEP })).await;
        let p: &'static SigninPolicy = Box::leak(Box::new(SigninPolicy {
            lockout_threshold: 2,
            ..SigninPolicy::default()
        }));
        let first = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &token,
            &factor.id,
            "000000",
        )
        .await
        .unwrap();
        assert_eq!(first.outcome, Mfa::WrongCode);
        let second = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &token,
            &factor.id,
            "000000",
        )
        .await
        .unwrap();
        assert_eq!(second.outcome, Mfa::Ended);
        assert!(matches!(
            second.events.as_slice(),
            [Event::MfaFailed(_), Event::Locked(u)] if u.id == user.id
        ));
        let locked = w.store.user(&user.id).await.unwrap().unwrap();
        assert_eq!(locked.status, UserStatus::LockedOut);
    }

    #[tokio::test]
    async fn a_step_up_needs_an_active_factor_and_its_token_names_the_session() {
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let user = w.user(Some("Correct-Horse-9"), true).await;
        assert!(!can_step_up(&w.store, true, &user.id).await.unwrap());
        let (factor, secret) = totp_factor(&w, &master, &user).await;
        assert!(can_step_up(&w.store, false, &user.id).await.unwrap());
        let now = w.clock.now();
        let token = begin_step_up(
            &w.store,
            &SystemRandom,
            now,
            Duration::minutes(5),
            &user.id,
            "102s",
        )
        .await
        .unwrap();
        let of = MfaOf::StepUp {
            session_id: "102s".into(),
        };
        let (found, _) = mfa_of(&w.store, now, &token.value).await.unwrap().unwrap();
        assert_eq!(found, of);
        let p = policy();
        let signin = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &MfaOf::SignIn,
            &token.value,
            &factor.id,
            &code(&secret, now),
        )
        .await
        .unwrap();
        assert_eq!(
            signin.outcome,
            Mfa::InvalidState,
            "a step-up's token is not a sign-in's"
        );
        let ok = verify_totp(
            &w.store,
            &master,
            &at(&w, p),
            &of,
            &token.value,
            &factor.id,
            &code(&secret, now),
        )
        .await
        .unwrap();
        assert!(matches!(ok.outcome, Mfa::Success(_)));
    }

    #[tokio::test]
    async fn an_enrolled_factor_activates_with_a_code_under_the_same_limits() {
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let token = mfa_token(&w, &user, json!({ "step": ENROLL_STEP })).await;
        let p = policy();
        let enrolled = match enrolment::enroll_totp(
            &w.store,
            &master,
            &SystemRandom,
            w.clock.now(),
            Duration::minutes(5),
            &token,
            "GOOGLE",
        )
        .await
        .unwrap()
        {
            enrolment::Enroll::Started(e) => e,
            enrolment::Enroll::InvalidState => panic!("an enrolment expected"),
        };
        let other = activate_enrolment(&w.store, &master, &at(&w, p), &token, "uftOther", "000000")
            .await
            .unwrap();
        assert_eq!(
            other.outcome,
            Mfa::UnknownFactor,
            "only the factor the token names"
        );
        let wrong = activate_enrolment(
            &w.store,
            &master,
            &at(&w, p),
            &token,
            &enrolled.factor.id,
            "000000",
        )
        .await
        .unwrap();
        assert_eq!(wrong.outcome, Mfa::WrongCode);
        let code = code(&enrolled.secret, w.clock.now());
        let done = activate_enrolment(
            &w.store,
            &master,
            &at(&w, p),
            &token,
            &enrolled.factor.id,
            &code,
        )
        .await
        .unwrap();
        assert!(matches!(done.outcome, Mfa::Success(_)));
        assert!(matches!(
            done.events.as_slice(),
            [
                Event::FactorActivated(_),
                Event::SignedIn { via_mfa: true, .. }
            ]
        ));
        let factor = w
            .store
            .factor(&user.id, &enrolled.factor.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(factor.status, FactorStatus::Active);
        let again = activate_enrolment(
            &w.store,
            &master,
            &at(&w, p),
            &token,
            &enrolled.factor.id,
            &code,
        )
        .await
        .unwrap();
        assert_eq!(again.outcome, Mfa::InvalidState);
    }
}
