//! Password recovery, whichever door it comes through (the Authn API, the hosted reset page, an administrator's
//! `reset_password`).
//!
//! A reset ends in a **reset link**: a one-time [`TokenKind::PasswordReset`] token that lives
//! [`RESET_TOKEN_MINUTES`], stored as its SHA-256 only; each new link voids the user's earlier ones
//! ([`new_reset_link`]). An administrator's reset puts the user in RECOVERY first
//! ([`super::accounts::lifecycle`]); a user's own request ([`recoverable`]) gets a link only when they may recover
//! ([`can_recover`]), and the caller answers the same either way. Then the link is used in two steps:
//!
//! 1. [`begin_reset`] spends the reset token and issues a short-lived state token (`{"step":"password_reset"}`).
//!    A page that only shows the form (a `GET`, which mail scanners also fetch) calls [`check_reset_token`], which
//!    spends nothing.
//! 2. [`finish_reset`] checks the new password against the policy and the history (a refusal leaves the state
//!    token usable), sets it, makes the user ACTIVE (a reset unlocks), forgets failed sign-ins, ends their sessions
//!    and voids every outstanding token of theirs.
//!
//! A wrong, expired or spent token, or a user who may no longer recover, is `Ok(None)` at every step.

use chrono::Duration;
use serde_json::json;

use super::accounts::{AccountError, Env, Event};
use super::lifecycle::{Operation, can_recover};
use crate::clock::Timestamp;
use crate::model::{EndedSession, TokenKind, User, UserStatus};
use crate::password::choose;
use crate::random::Random;
use crate::signin::{self, Secret};
use crate::store::{LockoutStore, OneTimeTokenStore, SessionAppStore, StoreResult, UserStore};

/// How long a reset link works.
pub const RESET_TOKEN_MINUTES: u32 = 60;

/// The state token data that marks step 2 of a reset.
pub const STEP: &str = "password_reset";

/// Voids the user's earlier reset links and issues a new one.
pub async fn new_reset_link(
    store: &(impl OneTimeTokenStore + ?Sized),
    random: &dyn Random,
    now: Timestamp,
    user_id: &str,
) -> StoreResult<Secret> {
    signin::replace_link(
        store,
        random,
        now,
        user_id,
        TokenKind::PasswordReset,
        Duration::minutes(i64::from(RESET_TOKEN_MINUTES)),
    )
    .await
}

/// "Forgot password" for `username` (a login): the user to send a reset link to, if they exist and may recover.
/// Their status does not change: until the reset, the current password still works.
pub async fn recoverable(
    store: &(impl UserStore + ?Sized),
    username: &str,
) -> StoreResult<Option<User>> {
    Ok(store
        .user_by_login(username.trim())
        .await?
        .filter(|u| can_recover(u.status)))
}

/// The user a live reset token belongs to, if they may still recover. Spends nothing.
pub async fn check_reset_token<S>(
    store: &S,
    token: &str,
    now: Timestamp,
) -> StoreResult<Option<User>>
where
    S: OneTimeTokenStore + UserStore + ?Sized,
{
    let Some(found) = store
        .one_time_token(&signin::hash(token), TokenKind::PasswordReset, now)
        .await?
    else {
        return Ok(None);
    };
    Ok(store
        .user(&found.user_id)
        .await?
        .filter(|u| can_recover(u.status)))
}

/// Step 2 of a reset, as [`begin_reset`] hands it out.
#[derive(Debug)]
pub struct ResetStep {
    /// The state token [`finish_reset`] takes (stored hashed).
    pub state_token: Secret,
    pub expires_at: Timestamp,
    pub user: User,
}

/// Spends a reset token and issues the state token (living `state_ttl`) that lets [`finish_reset`] set the new
/// password. A reset token works once.
pub async fn begin_reset<S>(
    store: &S,
    random: &dyn Random,
    now: Timestamp,
    recovery_token: &str,
    state_ttl: Duration,
) -> StoreResult<Option<ResetStep>>
where
    S: OneTimeTokenStore + UserStore + ?Sized,
{
    let Some(token) = store
        .consume_one_time_token(&signin::hash(recovery_token), TokenKind::PasswordReset, now)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = store
        .user(&token.user_id)
        .await?
        .filter(|u| can_recover(u.status))
    else {
        return Ok(None);
    };
    let (state_token, expires_at) = signin::issue(
        store,
        random,
        now,
        &user.id,
        TokenKind::StateToken,
        state_ttl,
        json!({ "step": STEP }),
    )
    .await?;
    Ok(Some(ResetStep {
        state_token,
        expires_at,
        user,
    }))
}

/// A finished reset.
#[derive(Debug)]
pub struct Reset {
    /// Now ACTIVE.
    pub user: User,
    /// The sessions the old password opened, ended: for the caller to tell their apps.
    pub ended_sessions: Vec<EndedSession>,
}

/// The system log event of a reset (the user is the actor).
pub fn event() -> Event {
    Operation::ResetPassword.event()
}

/// Sets `new_password` for the reset a state token (from [`begin_reset`]) carries. `Err(PasswordRejected)` when it
/// breaks the policy or repeats a recent one: the state token then still works.
pub async fn finish_reset<S>(
    store: &S,
    env: Env<'_>,
    state_token: &str,
    new_password: &str,
) -> Result<Option<Reset>, AccountError>
where
    S: OneTimeTokenStore + UserStore + LockoutStore + SessionAppStore + ?Sized,
{
    let now = env.clock.now();
    let Some((token, mut user)) = signin::state_token(store, state_token, STEP, now).await? else {
        return Ok(None);
    };
    if !can_recover(user.status) {
        return Ok(None);
    }
    let previous = store.password(&user.id).await?;
    let fresh = choose::new_record(
        env.hashing,
        env.password_policy,
        new_password,
        &user.profile,
        previous.as_ref(),
        env.clock.now(),
    )
    .await?;
    if store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    store.set_password(&user.id, &fresh).await?;
    store.reset_failures(&user.id).await?;
    if user.status != UserStatus::Active {
        user.status = UserStatus::Active;
        user.status_changed = Some(now);
    }
    user.activated.get_or_insert(now);
    user.password_changed = Some(now);
    user.last_updated = now;
    if !store.update_user(&user).await? {
        return Ok(None);
    }
    // Whatever the old password opened is closed.
    let ended_sessions = store.end_user_sessions(&user.id).await?;
    for kind in [
        TokenKind::PasswordReset,
        TokenKind::StateToken,
        TokenKind::SessionToken,
    ] {
        store.delete_user_one_time_tokens(&user.id, kind).await?;
    }
    Ok(Some(Reset {
        user,
        ended_sessions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::directory::accounts::{LifecycleOptions, lifecycle};
    use crate::random::SystemRandom;

    const TTL: Duration = Duration::minutes(5);

    #[tokio::test]
    async fn only_users_with_a_password_to_replace_may_recover() {
        let w = World::new();
        let active = w.user(Some("Correct-Horse-9"), true).await;
        assert_eq!(
            recoverable(&w.store, " ADA@example.com ")
                .await
                .unwrap()
                .map(|u| u.id),
            Some(active.id.clone())
        );
        assert!(recoverable(&w.store, "nobody").await.unwrap().is_none());
        lifecycle(
            &w.store,
            w.env(),
            &active.id,
            Operation::Suspend,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        assert!(
            recoverable(&w.store, "ada@example.com")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_link_resets_once_unlocks_and_ends_what_the_old_password_opened() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let session = w.session(&user).await;
        let now = w.clock.now();
        w.store
            .record_failure(&user.id, 1, now, now + Duration::hours(1), now)
            .await
            .unwrap();
        let link = new_reset_link(&w.store, &SystemRandom, now, &user.id)
            .await
            .unwrap();
        assert!(
            check_reset_token(&w.store, &link.value, now)
                .await
                .unwrap()
                .is_some()
        );
        let step = begin_reset(&w.store, &SystemRandom, now, &link.value, TTL)
            .await
            .unwrap()
            .expect("a live link");
        assert!(
            begin_reset(&w.store, &SystemRandom, now, &link.value, TTL)
                .await
                .unwrap()
                .is_none(),
            "spent"
        );
        let token = &step.state_token.value;
        let reused = finish_reset(&w.store, w.env(), token, "Correct-Horse-9").await;
        assert!(
            matches!(reused, Err(AccountError::PasswordRejected(_))),
            "the history applies"
        );
        let reset = finish_reset(&w.store, w.env(), token, "Brand-New-Pass-7")
            .await
            .unwrap()
            .expect("the state token still worked");
        assert_eq!(reset.user.status, UserStatus::Active, "unlocked");
        assert_eq!(reset.ended_sessions.len(), 1);
        assert_eq!(reset.ended_sessions[0].id, session.id);
        let count = w
            .store
            .record_failure(&user.id, 5, now, now + Duration::hours(1), now)
            .await
            .unwrap();
        assert_eq!(count.attempts, 1, "failures forgotten");
        assert!(
            finish_reset(&w.store, w.env(), token, "Another-Pass-8")
                .await
                .unwrap()
                .is_none(),
            "the state token is spent"
        );
    }

    #[tokio::test]
    async fn links_expire_after_an_hour_and_a_new_one_voids_the_old() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let now = w.clock.now();
        let first = new_reset_link(&w.store, &SystemRandom, now, &user.id)
            .await
            .unwrap();
        let second = new_reset_link(&w.store, &SystemRandom, now, &user.id)
            .await
            .unwrap();
        assert!(
            check_reset_token(&w.store, &first.value, now)
                .await
                .unwrap()
                .is_none()
        );
        let later = now + Duration::minutes(i64::from(RESET_TOKEN_MINUTES)) + Duration::seconds(1);
        assert!(
            check_reset_token(&w.store, &second.value, later)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            begin_reset(&w.store, &SystemRandom, later, &second.value, TTL)
                .await
                .unwrap()
                .is_none()
        );
    }
}
