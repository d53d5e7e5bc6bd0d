//! Activation of users created without a password (PROVISIONED): a one-time link token, valid
//! [`ACTIVATION_DAYS`] days and stored as its SHA-256 only; setting a first password with it makes the user ACTIVE.
//! A new link voids the earlier ones. The server turns the token into `{base}/welcome/{token}` and emails it.

use chrono::Duration;

use super::accounts::{AccountError, Env};
use super::lifecycle::Operation;
use crate::clock::Timestamp;
use crate::model::{TokenKind, User, UserStatus};
use crate::password::choose;
use crate::random::Random;
use crate::signin::{self, Secret};
use crate::store::{OneTimeTokenStore, StoreResult, UserStore};

/// How long an activation link works (Okta's default).
pub const ACTIVATION_DAYS: i64 = 7;

/// Voids the user's earlier activation links and issues a new one.
pub async fn new_link(
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
        TokenKind::Activation,
        Duration::days(ACTIVATION_DAYS),
    )
    .await
}

/// The PROVISIONED user a live activation token belongs to (the token is not spent).
pub async fn check<S>(store: &S, token: &str, now: Timestamp) -> StoreResult<Option<User>>
where
    S: OneTimeTokenStore + UserStore + ?Sized,
{
    let Some(t) = store
        .one_time_token(&signin::hash(token), TokenKind::Activation, now)
        .await?
    else {
        return Ok(None);
    };
    Ok(store
        .user(&t.user_id)
        .await?
        .filter(|u| u.status == UserStatus::Provisioned))
}

/// The system log event of an activation by link (the user is the actor).
pub fn event() -> super::accounts::Event {
    Operation::Activate.event()
}

/// Sets the first password and activates the user. `Err(PasswordRejected)` with the policy's causes (the link
/// still works); `Ok(None)` when the link is wrong, expired or spent, or the user is no longer PROVISIONED.
pub async fn complete<S>(
    store: &S,
    env: Env<'_>,
    token: &str,
    password: &str,
) -> Result<Option<User>, AccountError>
where
    S: OneTimeTokenStore + UserStore + ?Sized,
{
    let Some(mut user) = check(store, token, env.clock.now()).await? else {
        return Ok(None);
    };
    let fresh = choose::new_record(
        env.hashing,
        env.password_policy,
        password,
        &user.profile,
        None,
        env.clock.now(),
    )
    .await?;
    let now = env.clock.now();
    if store
        .consume_one_time_token(&signin::hash(token), TokenKind::Activation, now)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    store.set_password(&user.id, &fresh).await?;
    user.status = UserStatus::Active;
    user.status_changed = Some(now);
    user.activated = Some(now);
    user.password_changed = Some(now);
    user.last_updated = now;
    if !store.update_user(&user).await? {
        return Ok(None);
    }
    Ok(Some(user))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::random::SystemRandom;

    #[tokio::test]
    async fn a_link_sets_the_first_password_once() {
        let w = World::new();
        let user = w.user(None, true).await;
        let link = new_link(&w.store, &SystemRandom, w.clock.now(), &user.id)
            .await
            .unwrap();
        let weak = complete(&w.store, w.env(), &link.value, "weak").await;
        assert!(matches!(weak, Err(AccountError::PasswordRejected(_))));
        let active = complete(&w.store, w.env(), &link.value, "Correct-Horse-9")
            .await
            .unwrap()
            .expect("activated");
        assert_eq!(active.status, UserStatus::Active);
        assert_eq!(active.activated, Some(w.clock.now()));
        assert!(w.store.password(&user.id).await.unwrap().is_some());
        let spent = complete(&w.store, w.env(), &link.value, "Correct-Horse-9").await;
        assert_eq!(spent.unwrap(), None);
        assert_eq!(
            complete(&w.store, w.env(), "nonsense", "Correct-Horse-9")
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn links_expire_after_a_week_and_only_provisioned_users_use_them() {
        let w = World::new();
        let user = w.user(None, true).await;
        let link = new_link(&w.store, &SystemRandom, w.clock.now(), &user.id)
            .await
            .unwrap();
        w.clock
            .advance(Duration::days(ACTIVATION_DAYS) + Duration::seconds(1));
        assert!(
            check(&w.store, &link.value, w.clock.now())
                .await
                .unwrap()
                .is_none()
        );
        let w = World::new();
        let active = w.user(Some("Correct-Horse-9"), true).await;
        let link = new_link(&w.store, &SystemRandom, w.clock.now(), &active.id)
            .await
            .unwrap();
        assert!(
            check(&w.store, &link.value, w.clock.now())
                .await
                .unwrap()
                .is_none(),
            "an ACTIVE user has nothing to activate"
        );
    }
}
