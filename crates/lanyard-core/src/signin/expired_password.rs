//! The sign-in step of an expired password (PASSWORD_EXPIRED): the right password earns a state token of this step
//! ([`STEP`]) instead of a session, and the user must choose a new password — the policy and the history apply —
//! before the sign-in goes on (the sign-on policy then decides again, as after any password).
//!
//! The first step of the sign-in state machine moved out of the server (see `docs/signin-flow.md`).

use super::state_token;
use crate::directory::accounts::{AccountError, Env};
use crate::model::{TokenKind, User, UserStatus};
use crate::password::choose;
use crate::store::{OneTimeTokenStore, UserStore};

/// The state token data of this step.
pub const STEP: &str = "password_expired";

/// The outcome of changing an expired password.
#[derive(Debug)]
pub enum Change {
    /// Changed: the user is ACTIVE, the state token spent.
    Success(User),
    /// The state token is wrong, expired, spent or of another step, or the user's password is no longer expired.
    InvalidState,
    /// The old password, when asked for, is wrong (the state token still works).
    WrongPassword,
}

/// Changes the expired password of the sign-in a state token carries. `old` is checked when given (the Authn API
/// asks for it, as Okta's; the hosted page does not ask again, its state token having been issued moments after
/// the password was verified). `Err(PasswordRejected)` when the new password breaks the policy or repeats a
/// recent one: the state token still works.
pub async fn change<S>(
    store: &S,
    env: Env<'_>,
    presented: &str,
    old: Option<&str>,
    new: &str,
) -> Result<Change, AccountError>
where
    S: UserStore + OneTimeTokenStore + ?Sized,
{
    let now = env.clock.now();
    let Some((token, mut user)) = state_token(store, presented, STEP, now).await? else {
        return Ok(Change::InvalidState);
    };
    if user.status != UserStatus::PasswordExpired {
        return Ok(Change::InvalidState);
    }
    let Some(record) = store.password(&user.id).await? else {
        return Ok(Change::InvalidState);
    };
    if let Some(old) = old
        && !matches!(env.hashing.verify(old, &record.hash).await, Ok(true))
    {
        return Ok(Change::WrongPassword);
    }
    let fresh = choose::new_record(
        env.hashing,
        env.password_policy,
        new,
        &user.profile,
        Some(&record),
        env.clock.now(),
    )
    .await?;
    if store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Ok(Change::InvalidState);
    }
    store.set_password(&user.id, &fresh).await?;
    user.status = UserStatus::Active;
    user.status_changed = Some(now);
    user.password_changed = Some(now);
    user.last_updated = now;
    store.update_user(&user).await?;
    Ok(Change::Success(user))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::{World, ada};
    use crate::directory::accounts::{NewUser, create};
    use crate::random::SystemRandom;
    use crate::signin::issue;
    use chrono::Duration;
    use serde_json::json;

    async fn expired(w: &World) -> (User, String) {
        let user = create(
            &w.store,
            w.env(),
            NewUser {
                profile: ada(),
                password: Some("Correct-Horse-9"),
                activate: true,
                change_password_next: true,
                ..NewUser::default()
            },
        )
        .await
        .unwrap()
        .user;
        assert_eq!(user.status, UserStatus::PasswordExpired);
        let (token, _) = issue(
            &w.store,
            &SystemRandom,
            w.clock.now(),
            &user.id,
            TokenKind::StateToken,
            Duration::minutes(5),
            json!({ "step": STEP }),
        )
        .await
        .unwrap();
        (user, token.value)
    }

    #[tokio::test]
    async fn the_old_password_when_asked_then_the_policy_then_active_once() {
        let w = World::new();
        let (user, token) = expired(&w).await;
        let wrong = change(
            &w.store,
            w.env(),
            &token,
            Some("Wrong-Horse-9"),
            "New-Horse-10",
        )
        .await
        .unwrap();
        assert!(matches!(wrong, Change::WrongPassword));
        let same = change(&w.store, w.env(), &token, None, "Correct-Horse-9").await;
        assert!(
            matches!(same, Err(AccountError::PasswordRejected(_))),
            "the history applies"
        );
        let done = change(
            &w.store,
            w.env(),
            &token,
            Some("Correct-Horse-9"),
            "New-Horse-10",
        )
        .await
        .unwrap();
        let Change::Success(changed) = done else {
            panic!("{done:?}")
        };
        assert_eq!(changed.status, UserStatus::Active);
        assert_eq!(changed.password_changed, Some(w.clock.now()));
        let stored = w.store.user(&user.id).await.unwrap().unwrap();
        assert_eq!(stored.status, UserStatus::Active);
        let again = change(&w.store, w.env(), &token, None, "Newer-Horse-11")
            .await
            .unwrap();
        assert!(matches!(again, Change::InvalidState), "spent");
    }

    #[tokio::test]
    async fn another_steps_token_or_an_expired_one_is_no_use() {
        let w = World::new();
        let (user, token) = expired(&w).await;
        let (mfa, _) = issue(
            &w.store,
            &SystemRandom,
            w.clock.now(),
            &user.id,
            TokenKind::StateToken,
            Duration::minutes(5),
            json!({ "step": "mfa" }),
        )
        .await
        .unwrap();
        let other = change(&w.store, w.env(), &mfa.value, None, "New-Horse-10")
            .await
            .unwrap();
        assert!(matches!(other, Change::InvalidState));
        w.clock.advance(Duration::minutes(6));
        let late = change(&w.store, w.env(), &token, None, "New-Horse-10")
            .await
            .unwrap();
        assert!(matches!(late, Change::InvalidState));
    }
}
