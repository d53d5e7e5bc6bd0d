//! Primary authentication: username and password, under the limits of [`super::attempts`] — a source over its
//! failures waits before any work is done for it; a login with no account is counted like an account and answers
//! `LOCKED_OUT` when one would; a lock holds for everyone but the user's own known devices (where the right
//! password ends it); a lockout that ran out ends by itself. The password is checked with the same work whether or
//! not the user exists, and re-hashed when its parameters are outdated. Unknown users, wrong passwords, users who
//! cannot sign in and sign-ins the policy denies get one answer ([`Primary::Failed`]); the log tells them apart.
//!
//! Then the sign-on policy decides (a port: [`SignOn`], so a sign-in costs no policy query), before anything else
//! is asked: an expired password's change ([`super::expired_password`]), or [`after_password`].
//!
//! The fifth step of the sign-in state machine moved out of the server (see `docs/signin-flow.md`).

use async_trait::async_trait;
use serde_json::json;

use super::after_password::{self, Next};
use super::attempts::{self, Counted};
use super::mfa::{Attempt, count_source_failure, count_user_failure};
use super::policy::{self as signon, Decision, Step};
use super::{Event, Gate, Secret, SigninError, effective_status, expired_password, gate, issue};
use crate::clock::Timestamp;
use crate::model::{Factor, TokenKind, User, UserStatus};
use crate::password::choose::Hashing;
use crate::random::Random;
use crate::store::{
    AttemptStore, FactorStore, LockoutStore, OneTimeTokenStore, StoreResult, UserStore,
};

/// The store capabilities primary authentication uses: users and passwords, the lockout, the failure counts and
/// known devices, the factors (what comes next) and state tokens.
pub trait PrimaryStore:
    UserStore + LockoutStore + AttemptStore + FactorStore + OneTimeTokenStore
{
}

impl<T> PrimaryStore for T where
    T: UserStore + LockoutStore + AttemptStore + FactorStore + OneTimeTokenStore + ?Sized
{
}

/// The sign-on policy's decision for a user (the server's: its copy of the policies, the user's groups when a
/// policy names one).
#[async_trait]
pub trait SignOn: Send + Sync {
    async fn decision(&self, user: &User) -> Result<Option<Decision>, SigninError>;
}

/// The outcome of username and password.
#[derive(Debug)]
pub enum Primary {
    /// Signed in: hand out a session token or start a session.
    Success { user: User },
    /// A second factor is needed; the state token carries the sign-in.
    MfaRequired {
        user: User,
        factors: Vec<Factor>,
        state_token: Secret,
        expires_at: Timestamp,
    },
    /// The sign-on policy requires a factor and the user has none: the state token carries the sign-in to the
    /// enrolment of a TOTP factor ([`super::enrolment`], then [`super::mfa::activate_enrolment`]).
    MfaEnroll {
        user: User,
        state_token: Secret,
        expires_at: Timestamp,
    },
    /// The password must be changed first; the state token carries the sign-in.
    PasswordExpired {
        user: User,
        state_token: Secret,
        expires_at: Timestamp,
    },
    /// The account is locked (or, for a login without an account, answers as one would after as many failures).
    LockedOut,
    /// Too many failures from this client's address: it must wait this long before trying again.
    Throttled { wait: chrono::Duration },
    /// Wrong username or password, a user who cannot sign in, or a sign-in the sign-on policy denies: one answer
    /// for all.
    Failed,
}

/// An outcome and what led to it, for the log (and the lockout notice).
#[derive(Debug)]
pub struct Signed {
    pub outcome: Primary,
    pub events: Vec<Event>,
}

/// What primary authentication needs besides the store: randomness (state tokens), password hashing, the sign-on
/// decision.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    pub random: &'a dyn Random,
    pub hashing: &'a dyn Hashing,
    pub sign_on: &'a dyn SignOn,
}

fn failed(login: &str, user: Option<&User>, reason: &'static str) -> Event {
    Event::LoginFailed {
        login: login.to_owned(),
        user: user.map(|u| Box::new(u.clone())),
        reason,
    }
}

/// Username and password, from a client whose device cookie hashes to `device` (if it has one).
pub async fn primary<S>(
    store: &S,
    ports: Ports<'_>,
    at: &Attempt<'_>,
    device: Option<&[u8; 32]>,
    username: &str,
    password: &str,
) -> Result<Signed, SigninError>
where
    S: PrimaryStore + ?Sized,
{
    let mut events = Vec::new();
    let outcome = authenticate(store, ports, at, device, username, password, &mut events).await?;
    Ok(Signed { outcome, events })
}

async fn authenticate<S>(
    store: &S,
    ports: Ports<'_>,
    at: &Attempt<'_>,
    device: Option<&[u8; 32]>,
    username: &str,
    password: &str,
    events: &mut Vec<Event>,
) -> Result<Primary, SigninError>
where
    S: PrimaryStore + ?Sized,
{
    if username.is_empty() || password.is_empty() {
        return Ok(Primary::Failed);
    }
    let now = at.now;
    // A source over its failures waits, before any work is done for it.
    if let Some(wait) = source_wait(store, at).await? {
        tracing::info!(
            wait_seconds = wait.num_seconds(),
            "sign-in from a throttled source refused"
        );
        return Ok(Primary::Throttled { wait });
    }
    let user = store.user_by_login(username).await?;
    let record = match &user {
        Some(u) => store.password(&u.id).await?,
        None => None,
    };
    // The same work whether or not the user exists or has a password.
    let verified = match &record {
        Some(r) => ports.hashing.check(password, &r.hash).await.ok(),
        None => {
            ports.hashing.check_nothing(password).await;
            None
        }
    };
    let Some(mut user) = user else {
        count_source_failure(store, at).await?;
        return Ok(unknown_login(store, at, username, events).await?);
    };
    let lockout_until = if user.status == UserStatus::LockedOut {
        store.lockout_until(&user.id).await?
    } else {
        None
    };
    let status = effective_status(user.status, lockout_until, now);
    if status != user.status {
        // The lockout has run out: the account unlocks itself.
        user.status = status;
        user.status_changed = Some(now);
        user.last_updated = now;
        store.update_user(&user).await?;
        store.reset_failures(&user.id).await?;
    }
    // A lock holds for everyone but the user's own known devices.
    let locked = match gate(user.status) {
        Gate::LockedOut if known_device(store, &user, device, now).await? => true,
        Gate::LockedOut => {
            count_source_failure(store, at).await?;
            events.push(failed(username, Some(&user), "LOCKED_OUT"));
            return Ok(Primary::LockedOut);
        }
        Gate::Refuse => {
            count_source_failure(store, at).await?;
            events.push(failed(username, Some(&user), "INVALID_CREDENTIALS"));
            return Ok(Primary::Failed);
        }
        Gate::Proceed | Gate::PasswordExpired => false,
    };
    if !verified.as_ref().is_some_and(|v| v.ok) {
        count_source_failure(store, at).await?;
        events.push(failed(username, Some(&user), "INVALID_CREDENTIALS"));
        if !locked {
            count_user_failure(store, at, &user, events).await?;
        }
        return Ok(Primary::Failed);
    }
    // The failures are forgotten only when the whole sign-in succeeds (`after_password`, a right second factor):
    // the right password alone does not wipe out the wrong second-factor answers of someone who has it.
    if locked {
        // The right password from one of the user's own devices: the lock is over.
        store.reset_failures(&user.id).await?;
        user.status = UserStatus::Active;
        user.status_changed = Some(now);
        user.last_updated = now;
        store.update_user(&user).await?;
        tracing::info!(user = %user.id, "a locked account signed in from a known device, and is unlocked");
    }
    if verified.is_some_and(|v| v.needs_rehash) {
        // The parameters changed since this hash was made: store it again at the current ones.
        if let (Ok(hash), Some(mut r)) = (ports.hashing.hash(password).await, record) {
            r.hash = hash;
            store.set_password(&user.id, &r).await?;
        }
    }
    // The policy decides before anything else is asked: a denied user is not asked for a new password.
    let decision = ports.sign_on.decision(&user).await?;
    if signon::next_step(decision.as_ref(), false) == Step::Deny {
        events.push(denied(&user, decision));
        return Ok(Primary::Failed);
    }
    if user.status == UserStatus::PasswordExpired {
        let (state_token, expires_at) = issue(
            store,
            ports.random,
            now,
            &user.id,
            TokenKind::StateToken,
            at.policy.state_token_ttl,
            json!({ "step": expired_password::STEP }),
        )
        .await?;
        return Ok(Primary::PasswordExpired {
            user,
            state_token,
            expires_at,
        });
    }
    let next = after_password(store, ports.random, at, user, decision).await?;
    events.extend(next.events);
    Ok(next.outcome)
}

fn denied(user: &User, decision: Option<Decision>) -> Event {
    Event::Denied {
        user: Box::new(user.clone()),
        decision: decision.map(Box::new),
    }
}

/// Where a verified password (or a changed expired one) leads under the policy's `decision`
/// ([`after_password::next`]): denied, the MFA step, enrolment, or signed in.
pub async fn after_password<S>(
    store: &S,
    random: &dyn Random,
    at: &Attempt<'_>,
    user: User,
    decision: Option<Decision>,
) -> StoreResult<Signed>
where
    S: FactorStore + OneTimeTokenStore + LockoutStore + ?Sized,
{
    let next = after_password::next(
        store,
        random,
        at.now,
        at.policy.state_token_ttl,
        &user,
        decision.as_ref(),
    )
    .await?;
    let (outcome, events) = match next {
        Next::Deny => (Primary::Failed, vec![denied(&user, decision)]),
        Next::Mfa {
            factors,
            state_token,
            expires_at,
        } => (
            Primary::MfaRequired {
                user,
                factors,
                state_token,
                expires_at,
            },
            Vec::new(),
        ),
        Next::Enroll {
            state_token,
            expires_at,
        } => (
            Primary::MfaEnroll {
                user,
                state_token,
                expires_at,
            },
            Vec::new(),
        ),
        Next::Success => {
            let events = vec![Event::signed_in(&user, false)];
            (Primary::Success { user }, events)
        }
    };
    Ok(Signed { outcome, events })
}

/// A login with no account: counted like an account under the login's key, and answered `LOCKED_OUT` once an
/// account would be — the same threshold, the same duration — so the answer never tells whether it exists.
async fn unknown_login<S>(
    store: &S,
    at: &Attempt<'_>,
    username: &str,
    events: &mut Vec<Event>,
) -> StoreResult<Primary>
where
    S: AttemptStore + ?Sized,
{
    let now = at.now;
    let key = attempts::key(Counted::UnknownLogin, &attempts::login_key(username));
    if let Some(f) = store.failures(&key).await?
        && attempts::login_locked(
            f.count,
            f.last,
            at.policy.lockout_threshold,
            at.policy.lockout_duration,
            now,
        )
    {
        events.push(failed(username, None, "LOCKED_OUT"));
        return Ok(Primary::LockedOut);
    }
    store
        .count_failure(
            &key,
            now,
            now - attempts::FAILURE_MEMORY,
            now + attempts::FAILURE_MEMORY,
        )
        .await?;
    events.push(failed(username, None, "INVALID_CREDENTIALS"));
    Ok(Primary::Failed)
}

/// How long the client's address must still wait, if it must.
async fn source_wait<S>(store: &S, at: &Attempt<'_>) -> StoreResult<Option<chrono::Duration>>
where
    S: AttemptStore + ?Sized,
{
    let Some(key) = at.source else {
        return Ok(None);
    };
    Ok(match store.failures(&key).await? {
        Some(f) => attempts::source_wait(f.count, f.last, at.now),
        None => None,
    })
}

/// Whether the client's device is one of the user's known devices.
async fn known_device<S>(
    store: &S,
    user: &User,
    device: Option<&[u8; 32]>,
    now: Timestamp,
) -> StoreResult<bool>
where
    S: AttemptStore + ?Sized,
{
    Ok(match device {
        Some(d) => store.known_device(&user.id, d, now).await?,
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::password::choose::InlineHashing;
    use crate::password::hash::Params;
    use crate::random::SystemRandom;
    use crate::signin::SigninPolicy;
    use crate::signin::policy::Access;
    use chrono::Duration;

    const PASSWORD: &str = "Correct-Horse-9";

    struct Policy(Option<Decision>);

    #[async_trait]
    impl SignOn for Policy {
        async fn decision(&self, _: &User) -> Result<Option<Decision>, SigninError> {
            Ok(self.0.clone())
        }
    }

    fn allow() -> Policy {
        Policy(Some(Decision {
            policy_id: "00p1".into(),
            rule_id: "0pr1".into(),
            rule_name: "Rule".into(),
            policy_name: "Policy".into(),
            access: Access::Allow,
            require_factor: false,
        }))
    }

    struct Run<'a> {
        w: &'a World,
        policy: SigninPolicy,
        sign_on: Policy,
        source: Option<[u8; 32]>,
        device: Option<[u8; 32]>,
    }

    impl<'a> Run<'a> {
        fn new(w: &'a World) -> Self {
            Run {
                w,
                policy: SigninPolicy {
                    lockout_threshold: 3,
                    ..SigninPolicy::default()
                },
                sign_on: allow(),
                source: None,
                device: None,
            }
        }

        async fn sign_in(&self, username: &str, password: &str) -> Signed {
            let at = Attempt {
                now: self.w.clock.now(),
                policy: &self.policy,
                source: self.source,
            };
            let ports = Ports {
                random: &SystemRandom,
                hashing: &self.w.hashing,
                sign_on: &self.sign_on,
            };
            primary(
                &self.w.store,
                ports,
                &at,
                self.device.as_ref(),
                username,
                password,
            )
            .await
            .unwrap()
        }
    }

    fn reason(events: &[Event]) -> Option<&'static str> {
        events.iter().find_map(|e| match e {
            Event::LoginFailed { reason, .. } => Some(*reason),
            _ => None,
        })
    }

    #[tokio::test]
    async fn the_right_password_signs_in_and_others_get_one_answer() {
        let w = World::new();
        let user = w.user(Some(PASSWORD), true).await;
        let run = Run::new(&w);
        let ok = run.sign_in("ada@example.com", PASSWORD).await;
        assert!(
            matches!(ok.outcome, Primary::Success { ref user } if user.login == "ada@example.com")
        );
        assert!(matches!(
            ok.events.as_slice(),
            [Event::SignedIn { via_mfa: false, .. }]
        ));
        let wrong = run.sign_in("ada@example.com", "Wrong-Horse-9").await;
        assert!(matches!(wrong.outcome, Primary::Failed));
        assert_eq!(reason(&wrong.events), Some("INVALID_CREDENTIALS"));
        let unknown = run.sign_in("nobody@example.com", PASSWORD).await;
        assert!(matches!(unknown.outcome, Primary::Failed));
        assert!(matches!(
            unknown.events.as_slice(),
            [Event::LoginFailed { user: None, login, .. }] if login == "nobody@example.com"
        ));
        let denied = Run {
            sign_on: Policy(None),
            ..Run::new(&w)
        };
        let out = denied.sign_in("ada@example.com", PASSWORD).await;
        assert!(matches!(out.outcome, Primary::Failed));
        assert!(
            matches!(out.events.as_slice(), [Event::Denied { user: u, .. }] if u.id == user.id)
        );
        let empty = run.sign_in("ada@example.com", "").await;
        assert!(matches!(empty.outcome, Primary::Failed) && empty.events.is_empty());
    }

    #[tokio::test]
    async fn failures_lock_the_account_except_for_its_known_devices_and_the_lock_runs_out() {
        let w = World::new();
        let user = w.user(Some(PASSWORD), true).await;
        let device = [7u8; 32];
        w.store
            .remember_device(
                &user.id,
                &device,
                w.clock.now(),
                w.clock.now() + Duration::days(1),
            )
            .await
            .unwrap();
        let run = Run::new(&w);
        run.sign_in("ada@example.com", "Wrong-1").await;
        run.sign_in("ada@example.com", "Wrong-2").await;
        let third = run.sign_in("ada@example.com", "Wrong-3").await;
        assert!(matches!(third.outcome, Primary::Failed));
        assert!(
            third
                .events
                .iter()
                .any(|e| matches!(e, Event::Locked(u) if u.id == user.id)),
            "the lock is an event, for the notice"
        );
        let locked = run.sign_in("ada@example.com", PASSWORD).await;
        assert!(matches!(locked.outcome, Primary::LockedOut));
        assert_eq!(reason(&locked.events), Some("LOCKED_OUT"));
        // From a known device: the right password ends the lock.
        let known = Run {
            device: Some(device),
            ..Run::new(&w)
        };
        assert!(matches!(
            known.sign_in("ada@example.com", PASSWORD).await.outcome,
            Primary::Success { .. }
        ));
        assert_eq!(
            w.store.user(&user.id).await.unwrap().unwrap().status,
            UserStatus::Active
        );
        // Locked again; an hour later the lock has run out by itself.
        for n in 0..3 {
            run.sign_in("ada@example.com", &format!("Wrong-{n}")).await;
        }
        assert!(matches!(
            run.sign_in("ada@example.com", PASSWORD).await.outcome,
            Primary::LockedOut
        ));
        w.clock.advance(Duration::minutes(61));
        assert!(matches!(
            run.sign_in("ada@example.com", PASSWORD).await.outcome,
            Primary::Success { .. }
        ));
    }

    #[tokio::test]
    async fn unknown_logins_lock_like_accounts_and_sources_wait() {
        let w = World::new();
        let source = attempts::key(Counted::Source, b"203.0.113.9");
        let run = Run {
            source: Some(source),
            ..Run::new(&w)
        };
        for _ in 0..3 {
            assert!(matches!(
                run.sign_in("nobody@example.com", PASSWORD).await.outcome,
                Primary::Failed
            ));
        }
        let fourth = run.sign_in("Nobody@Example.com", PASSWORD).await;
        assert!(matches!(fourth.outcome, Primary::LockedOut));
        assert_eq!(reason(&fourth.events), Some("LOCKED_OUT"));
        // Six failures from the address (one past the free five): the next attempt waits, before any work.
        for _ in 0..2 {
            let more = run.sign_in("nobody@example.com", PASSWORD).await;
            assert!(matches!(more.outcome, Primary::LockedOut));
        }
        let seventh = run.sign_in("nobody@example.com", PASSWORD).await;
        assert!(
            matches!(seventh.outcome, Primary::Throttled { wait } if wait == Duration::seconds(1)),
            "{:?}",
            seventh.outcome
        );
        assert!(seventh.events.is_empty());
        w.clock.advance(Duration::seconds(1));
        assert!(!matches!(
            run.sign_in("nobody@example.com", PASSWORD).await.outcome,
            Primary::Throttled { .. }
        ));
    }

    #[tokio::test]
    async fn an_outdated_hash_is_made_again_and_an_expired_password_is_changed_first() {
        let w = World::new();
        let user = w.user(Some(PASSWORD), true).await;
        let before = w.store.password(&user.id).await.unwrap().unwrap().hash;
        let stronger = InlineHashing {
            params: Params::new(128, 1, 1).unwrap(),
            random: &SystemRandom,
        };
        let policy = SigninPolicy::default();
        let at = Attempt {
            now: w.clock.now(),
            policy: &policy,
            source: None,
        };
        let sign_on = allow();
        let ports = Ports {
            random: &SystemRandom,
            hashing: &stronger,
            sign_on: &sign_on,
        };
        let out = primary(&w.store, ports, &at, None, "ada@example.com", PASSWORD)
            .await
            .unwrap();
        assert!(matches!(out.outcome, Primary::Success { .. }));
        let after = w.store.password(&user.id).await.unwrap().unwrap().hash;
        assert_ne!(before, after);
        assert!(after.contains("m=128"), "{after}");

        let mut expired = w.store.user(&user.id).await.unwrap().unwrap();
        expired.status = UserStatus::PasswordExpired;
        w.store.update_user(&expired).await.unwrap();
        let out = Run::new(&w).sign_in("ada@example.com", PASSWORD).await;
        let Primary::PasswordExpired { state_token, .. } = out.outcome else {
            panic!("the password change expected: {:?}", out.outcome);
        };
        assert!(
            super::super::state_token(
                &w.store,
                &state_token.value,
                expired_password::STEP,
                w.clock.now()
            )
            .await
            .unwrap()
            .is_some()
        );
    }
}
