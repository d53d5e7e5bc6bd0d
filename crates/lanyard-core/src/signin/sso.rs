//! The SSO session of a browser, and what leads to one: a completed sign-in's one-time session token (the Authn
//! API's, redeemed once), the session itself (its cookie's secret stored as a hash; found again by it, its idle
//! clock restarted, or ended when idle or too old), a step-up that elevates it, and the device a sign-in completed
//! in, remembered as the user's ([`super::attempts::DEVICE_MEMORY`]). How sessions end is [`super::sessions`]'.

use chrono::Duration;
use serde_json::json;

use super::{Secret, SigninPolicy, attempts, hash, issue, mint, session_alive};
use crate::clock::Timestamp;
use crate::id::random_base62_into;
use crate::model::{Session, TokenKind, User};
use crate::random::Random;
use crate::store::{AttemptStore, OneTimeTokenStore, SessionStore, StoreResult, UserStore};

/// Where a session is opened from, for the administrator's view of it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A one-time session token for a signed-in user (whose `lastLogin` it records), living `ttl` and carrying the
/// methods used (`amr`). `None` when the user may no longer sign in: an administrator's suspension during the
/// password check wins over this sign-in.
pub async fn session_token<S>(
    store: &S,
    random: &dyn Random,
    now: Timestamp,
    ttl: Duration,
    user: &User,
    amr: &[&str],
) -> StoreResult<Option<(Secret, Timestamp)>>
where
    S: UserStore + OneTimeTokenStore + ?Sized,
{
    if !store.record_login(&user.id, now).await? {
        return Ok(None);
    }
    let issued = issue(
        store,
        random,
        now,
        &user.id,
        TokenKind::SessionToken,
        ttl,
        json!({ "amr": amr }),
    )
    .await?;
    Ok(Some(issued))
}

/// Starts a session for `user_id`, living `lifetime` at most: the session and its cookie's secret.
pub async fn start<S>(
    store: &S,
    random: &dyn Random,
    now: Timestamp,
    lifetime: Duration,
    user_id: &str,
    amr: Vec<String>,
    from: Origin,
) -> StoreResult<(Session, Secret)>
where
    S: SessionStore + ?Sized,
{
    let secret = mint(random);
    let mut id = String::from("102");
    random_base62_into(&mut id, 22, random);
    let session = Session {
        id,
        token_hash: secret.hash,
        user_id: user_id.to_owned(),
        created: now,
        last_seen: now,
        expires_at: now + lifetime,
        amr,
        ip: from.ip,
        user_agent: from.user_agent,
    };
    store.insert_session(&session).await?;
    Ok((session, secret))
}

/// Redeems a one-time session token (spent, whatever follows) for a session with the token's methods (`pwd` when
/// it names none); `None` when no such live token exists.
pub async fn redeem<S>(
    store: &S,
    random: &dyn Random,
    now: Timestamp,
    lifetime: Duration,
    token: &str,
    from: Origin,
) -> StoreResult<Option<(Session, Secret)>>
where
    S: SessionStore + OneTimeTokenStore + ?Sized,
{
    let Some(t) = store
        .consume_one_time_token(&hash(token), TokenKind::SessionToken, now)
        .await?
    else {
        return Ok(None);
    };
    let amr: Vec<String> = t.data["amr"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|| vec!["pwd".into()]);
    start(store, random, now, lifetime, &t.user_id, amr, from)
        .await
        .map(Some)
}

/// The live session whose cookie's secret is `presented`, its idle clock restarted; a session found idle or too
/// old is ended.
pub async fn current<S>(
    store: &S,
    now: Timestamp,
    policy: &SigninPolicy,
    presented: &str,
) -> StoreResult<Option<Session>>
where
    S: SessionStore + ?Sized,
{
    let Some(session) = store.session_by_hash(&hash(presented)).await? else {
        return Ok(None);
    };
    if !session_alive(session.last_seen, session.expires_at, policy, now) {
        store.delete_session(&session.id).await?;
        return Ok(None);
    }
    store.touch_session(&session.id, now).await?;
    Ok(Some(Session {
        last_seen: now,
        ..session
    }))
}

/// Records a step-up of `session` (a second factor proved in it): `methods` join its `amr` (with `mfa`), under a new
/// cookie secret, returned; `None` when the session ended or another step-up replaced its cookie meanwhile. The
/// session keeps its id (`sid`), its apps and its `auth_time`.
pub async fn elevate<S>(
    store: &S,
    random: &dyn Random,
    session: &Session,
    methods: &[&str],
) -> StoreResult<Option<Secret>>
where
    S: SessionStore + ?Sized,
{
    let mut amr = session.amr.clone();
    for m in methods.iter().chain(&["mfa"]) {
        if !amr.iter().any(|a| a == m) {
            amr.push((*m).to_owned());
        }
    }
    let secret = mint(random);
    let done = store
        .elevate_session(&session.id, &session.token_hash, &secret.hash, &amr)
        .await?;
    Ok(done.then_some(secret))
}

/// A sign-in completed in a client whose device cookie hashes to `device` (if it has one): the device is remembered
/// as the user's for [`attempts::DEVICE_MEMORY`]. Returns the new device cookie's value when the client has none
/// yet (to set).
pub async fn remember_device<S>(
    store: &S,
    random: &dyn Random,
    now: Timestamp,
    user: &User,
    device: Option<[u8; 32]>,
) -> StoreResult<Option<String>>
where
    S: AttemptStore + ?Sized,
{
    let (hash, fresh) = match device {
        Some(h) => (h, None),
        None => {
            let minted = mint(random);
            (minted.hash, Some(minted.value))
        }
    };
    store
        .remember_device(&user.id, &hash, now, now + attempts::DEVICE_MEMORY)
        .await?;
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::model::UserStatus;
    use crate::random::SystemRandom;

    #[tokio::test]
    async fn a_session_token_is_redeemed_once_for_a_session_that_ends_when_idle() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let policy = SigninPolicy::default();
        let now = w.clock.now();
        let (token, _) = session_token(
            &w.store,
            &SystemRandom,
            now,
            Duration::minutes(5),
            &user,
            &["pwd", "otp", "mfa"],
        )
        .await
        .unwrap()
        .expect("an active user gets one");
        let lifetime = policy.session_lifetime;
        let (session, cookie) = redeem(
            &w.store,
            &SystemRandom,
            now,
            lifetime,
            &token.value,
            Origin::default(),
        )
        .await
        .unwrap()
        .expect("a session");
        assert_eq!(session.amr, ["pwd", "otp", "mfa"]);
        assert!(
            redeem(
                &w.store,
                &SystemRandom,
                now,
                lifetime,
                &token.value,
                Origin::default()
            )
            .await
            .unwrap()
            .is_none(),
            "once"
        );
        let later = now + Duration::hours(1);
        let found = current(&w.store, later, &policy, &cookie.value)
            .await
            .unwrap();
        assert_eq!(found.map(|s| s.last_seen), Some(later));
        let idle = later + policy.session_idle;
        assert!(
            current(&w.store, idle, &policy, &cookie.value)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            w.store.session(&session.id).await.unwrap().is_none(),
            "ended"
        );
    }

    #[tokio::test]
    async fn a_suspended_user_gets_no_session_token() {
        let w = World::new();
        let mut user = w.user(Some("Correct-Horse-9"), true).await;
        user.status = UserStatus::Suspended;
        w.store.update_user(&user).await.unwrap();
        let t = session_token(
            &w.store,
            &SystemRandom,
            w.clock.now(),
            Duration::minutes(5),
            &user,
            &["pwd"],
        )
        .await
        .unwrap();
        assert!(t.is_none());
    }

    #[tokio::test]
    async fn a_step_up_adds_its_methods_under_a_new_cookie_once() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let policy = SigninPolicy::default();
        let now = w.clock.now();
        let (session, old) = start(
            &w.store,
            &SystemRandom,
            now,
            policy.session_lifetime,
            &user.id,
            vec!["pwd".into()],
            Origin::default(),
        )
        .await
        .unwrap();
        let new = elevate(&w.store, &SystemRandom, &session, &["otp"])
            .await
            .unwrap()
            .expect("elevated");
        assert!(
            current(&w.store, now, &policy, &old.value)
                .await
                .unwrap()
                .is_none()
        );
        let elevated = current(&w.store, now, &policy, &new.value)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(elevated.id, session.id);
        assert_eq!(elevated.amr, ["pwd", "otp", "mfa"]);
        assert!(
            elevate(&w.store, &SystemRandom, &session, &["otp"])
                .await
                .unwrap()
                .is_none(),
            "the old cookie's step-up lost"
        );
    }

    #[tokio::test]
    async fn a_device_is_remembered_and_a_new_one_gets_a_cookie() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let now = w.clock.now();
        let value = remember_device(&w.store, &SystemRandom, now, &user, None)
            .await
            .unwrap()
            .expect("a new cookie");
        let device = crate::crypto::sha256(value.as_bytes());
        assert!(w.store.known_device(&user.id, &device, now).await.unwrap());
        let again = remember_device(&w.store, &SystemRandom, now, &user, Some(device))
            .await
            .unwrap();
        assert!(again.is_none());
    }
}
