//! The operations on users every door shares (the Users API today; the console and `apply` next): create, update,
//! lifecycle, delete — Okta's status rules ([`super::lifecycle`]), the password policy and history
//! ([`crate::password::choose`]), and the side effects of each change: a suspended or deactivated user's sessions
//! end, a reset voids the password and issues a reset link, an unlock forgets the failed sign-ins, a provisioned
//! user gets an activation link, and only a deactivated user is deleted (a DELETE of any other deactivates it).
//!
//! Each operation takes the narrow store capabilities it needs ([`AccountStore`]), the clock, randomness and the
//! password hashing ([`Env`]), and returns what changed — the user, the sessions it ended (for the caller to tell
//! their apps), the links it issued (for the caller to email or hand back), the system log events it caused — or an
//! [`AccountError`]. No HTTP and no Okta error codes here: the API edge maps [`AccountError`] to them.

use serde_json::{Map, Value};

use super::lifecycle::{self, Operation, Refused};
use super::{activation, profile, recovery};
use crate::clock::Clock;
use crate::id::{new_id, prefix};
use crate::model::{EndedSession, PasswordRecord, User, UserStatus};
use crate::password::PasswordPolicy;
use crate::password::choose::{self, Hashing, HashingFailed, Rejected, login_of};
use crate::random::Random;
use crate::signin::Secret;
use crate::store::{
    FactorStore, LockoutStore, OneTimeTokenStore, SessionAppStore, StoreError, UserStore,
};

/// What the operations on users need from the world besides the store.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
    pub hashing: &'a dyn Hashing,
    pub password_policy: &'a PasswordPolicy,
}

/// The store capabilities the operations on users use: the users and their passwords, one-time links, factors
/// (reset), failure counts (unlock) and sessions (ended with their apps).
pub trait AccountStore:
    UserStore + OneTimeTokenStore + FactorStore + LockoutStore + SessionAppStore
{
}

impl<T> AccountStore for T where
    T: UserStore + OneTimeTokenStore + FactorStore + LockoutStore + SessionAppStore + ?Sized
{
}

/// Why an operation on a user did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// No user has this id or login.
    NotFound,
    /// The profile is not valid: a cause per problem, `field: message`.
    InvalidProfile(Vec<String>),
    /// A full replacement without a profile.
    ProfileRequired,
    /// Another user has this login, whatever its case.
    LoginTaken,
    /// The password breaks the policy or repeats a recent one: a cause per problem.
    PasswordRejected(Vec<String>),
    /// The user's status does not allow the operation.
    Lifecycle(Refused),
    /// Hashing the password failed.
    Hashing(HashingFailed),
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Store(e)
    }
}

impl From<Rejected> for AccountError {
    fn from(r: Rejected) -> Self {
        match r {
            Rejected::Policy(causes) => AccountError::PasswordRejected(causes),
            Rejected::Hashing(e) => AccountError::Hashing(e),
        }
    }
}

/// A login taken by another user reads as such; any other store error as itself.
fn taken_or(e: StoreError) -> AccountError {
    match e {
        StoreError::Conflict(_) => AccountError::LoginTaken,
        e => AccountError::Store(e),
    }
}

/// A system log event: its type and message, as Okta names them.
pub type Event = (&'static str, &'static str);

const CREATE_EVENT: Event = ("user.lifecycle.create", "Create okta user");
const PROFILE_EVENT: Event = (
    "user.account.update_profile",
    "Update user profile for Okta",
);
const PASSWORD_EVENT: Event = ("user.account.update_password", "Update password for user");
const DELETE_EVENT: Event = ("user.lifecycle.delete.completed", "Delete Okta user");

fn check_profile(p: &Map<String, Value>) -> Result<(), AccountError> {
    let causes = profile::validate(p);
    if causes.is_empty() {
        Ok(())
    } else {
        Err(AccountError::InvalidProfile(causes))
    }
}

/// A user by id, or by login (case-insensitively).
pub async fn find(
    store: &(impl UserStore + ?Sized),
    id_or_login: &str,
) -> Result<User, AccountError> {
    if let Some(u) = store.user(id_or_login).await? {
        return Ok(u);
    }
    store
        .user_by_login(id_or_login)
        .await?
        .ok_or(AccountError::NotFound)
}

/// A new user as `POST /api/v1/users` gives it.
#[derive(Debug, Default)]
pub struct NewUser<'a> {
    pub profile: Map<String, Value>,
    pub password: Option<&'a str>,
    /// `activate` (true unless `false`): STAGED when not.
    pub activate: bool,
    /// `nextLogin=changePassword`: an activated user with a password starts PASSWORD_EXPIRED.
    pub change_password_next: bool,
    /// A PROVISIONED user (activated without a password) gets an activation link.
    pub activation_link: bool,
}

/// A created user.
#[derive(Debug)]
pub struct Created {
    pub user: User,
    /// The activation link's token, when one was issued.
    pub activation: Option<Secret>,
}

impl Created {
    /// What the creation logs: the creation, and the activation of a user who starts ACTIVE.
    pub fn events(&self) -> Vec<Event> {
        let mut events = vec![CREATE_EVENT];
        if self.user.status == UserStatus::Active {
            events.push(Operation::Activate.event());
        }
        events
    }
}

/// Creates a user in the status Okta starts it in ([`lifecycle::initial_status`]).
pub async fn create<S: AccountStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    new: NewUser<'_>,
) -> Result<Created, AccountError> {
    check_profile(&new.profile)?;
    let password = match new.password {
        Some(p) => Some(
            choose::new_record(
                env.hashing,
                env.password_policy,
                p,
                &new.profile,
                None,
                env.clock.now(),
            )
            .await?,
        ),
        None => None,
    };
    let status =
        lifecycle::initial_status(new.activate, password.is_some(), new.change_password_next);
    let now = env.clock.now();
    let user = User {
        id: new_id(prefix::USER, now, env.random),
        status,
        login: login_of(&new.profile),
        profile: new.profile,
        created: now,
        activated: matches!(status, UserStatus::Active | UserStatus::PasswordExpired)
            .then_some(now),
        status_changed: (status != UserStatus::Staged).then_some(now),
        last_login: None,
        last_updated: now,
        password_changed: password.as_ref().map(|_| now),
    };
    store
        .insert_user(&user, password.as_ref())
        .await
        .map_err(taken_or)?;
    let activation = if user.status == UserStatus::Provisioned && new.activation_link {
        Some(activation::new_link(store, env.random, env.clock.now(), &user.id).await?)
    } else {
        None
    };
    Ok(Created { user, activation })
}

/// Changes to a user (`POST` partial, `PUT` full).
#[derive(Debug, Default)]
pub struct Changes<'a> {
    pub profile: Option<Map<String, Value>>,
    pub password: Option<&'a str>,
    /// Partial: the profile's attributes are merged into the current ones. Full: the profile replaces it, and is
    /// required.
    pub partial: bool,
}

/// An updated user.
#[derive(Debug)]
pub struct Updated {
    pub user: User,
    pub profile_changed: bool,
    pub password_changed: bool,
}

impl Updated {
    pub fn events(&self) -> Vec<Event> {
        let mut events = Vec::new();
        if self.profile_changed {
            events.push(PROFILE_EVENT);
        }
        if self.password_changed {
            events.push(PASSWORD_EVENT);
        }
        events
    }
}

/// Updates a user's profile and/or password. An administrator setting a password lets a PROVISIONED or
/// PASSWORD_EXPIRED user sign in (ACTIVE).
pub async fn update<S: AccountStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id_or_login: &str,
    changes: Changes<'_>,
) -> Result<Updated, AccountError> {
    let mut user = find(store, id_or_login).await?;
    let now = env.clock.now();
    let profile_changed = changes.profile.is_some();
    match changes.profile {
        Some(p) if changes.partial => profile::merge(&mut user.profile, p),
        Some(p) => user.profile = p,
        None if !changes.partial => return Err(AccountError::ProfileRequired),
        None => {}
    }
    check_profile(&user.profile)?;
    user.login = login_of(&user.profile);
    user.last_updated = now;
    if let Some(p) = changes.password {
        let previous = store.password(&user.id).await?;
        let record: PasswordRecord = choose::new_record(
            env.hashing,
            env.password_policy,
            p,
            &user.profile,
            previous.as_ref(),
            env.clock.now(),
        )
        .await?;
        store.set_password(&user.id, &record).await?;
        user.password_changed = Some(now);
        if matches!(
            user.status,
            UserStatus::Provisioned | UserStatus::PasswordExpired
        ) {
            user.status = UserStatus::Active;
            user.status_changed = Some(now);
            user.activated.get_or_insert(now);
        }
    }
    if !store.update_user(&user).await.map_err(taken_or)? {
        return Err(AccountError::NotFound);
    }
    Ok(Updated {
        user,
        profile_changed,
        password_changed: changes.password.is_some(),
    })
}

/// How a lifecycle operation is asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct LifecycleOptions {
    /// `reset_password`: end the user's sessions now (by default they end when the new password is set).
    pub revoke_sessions: bool,
}

/// A lifecycle operation done.
#[derive(Debug)]
pub struct Changed {
    pub user: User,
    pub op: Operation,
    /// The sessions it ended, for the caller to tell their apps.
    pub ended_sessions: Vec<EndedSession>,
    /// A new activation link's token (activating or reactivating a user without a password).
    pub activation: Option<Secret>,
    /// A new reset link's token (`reset_password`).
    pub reset: Option<Secret>,
}

impl Changed {
    pub fn event(&self) -> Event {
        self.op.event()
    }
}

/// Applies a lifecycle operation with its side effects: `reset_factors` deletes the factors, `unlock` forgets the
/// failed sign-ins, `deactivate` and `suspend` end the user's sessions (as `reset_password` does with
/// `revoke_sessions`), `reset_password` issues a reset link voiding the earlier ones, and activating or
/// reactivating a user without a password issues an activation link voiding the earlier ones.
pub async fn lifecycle<S: AccountStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id_or_login: &str,
    op: Operation,
    options: LifecycleOptions,
) -> Result<Changed, AccountError> {
    let mut user = find(store, id_or_login).await?;
    let has_password = user.password_changed.is_some();
    lifecycle::apply(&mut user, op, has_password, env.clock.now())
        .map_err(AccountError::Lifecycle)?;
    store.update_user(&user).await?;
    let mut ended_sessions = Vec::new();
    match op {
        Operation::ResetFactors => {
            store.delete_user_factors(&user.id).await?;
        }
        Operation::Unlock => store.reset_failures(&user.id).await?,
        // A user who can no longer sign in loses the sessions they have.
        Operation::Deactivate | Operation::Suspend => {
            ended_sessions = store.end_user_sessions(&user.id).await?;
        }
        Operation::ResetPassword if options.revoke_sessions => {
            ended_sessions = store.end_user_sessions(&user.id).await?;
        }
        _ => {}
    }
    let reset = match op {
        Operation::ResetPassword => {
            Some(recovery::new_reset_link(store, env.random, env.clock.now(), &user.id).await?)
        }
        _ => None,
    };
    let activation = match op {
        Operation::Activate | Operation::Reactivate if user.status == UserStatus::Provisioned => {
            Some(activation::new_link(store, env.random, env.clock.now(), &user.id).await?)
        }
        _ => None,
    };
    Ok(Changed {
        user,
        op,
        ended_sessions,
        activation,
        reset,
    })
}

/// What a DELETE did.
#[derive(Debug)]
pub enum Deletion {
    /// The user was deactivated: a second DELETE deletes it.
    Deactivated(User),
    /// The (deactivated) user is gone.
    Deleted(User),
}

impl Deletion {
    pub fn event(&self) -> Event {
        match self {
            Deletion::Deactivated(_) => Operation::Deactivate.event(),
            Deletion::Deleted(_) => DELETE_EVENT,
        }
    }
}

/// Okta deletes only deactivated users: the first DELETE of any other user deactivates it.
pub async fn delete<S: AccountStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id_or_login: &str,
) -> Result<Deletion, AccountError> {
    let mut user = find(store, id_or_login).await?;
    if user.status == UserStatus::Deprovisioned {
        store.delete_user(&user.id).await?;
        return Ok(Deletion::Deleted(user));
    }
    let has_password = user.password_changed.is_some();
    lifecycle::apply(
        &mut user,
        Operation::Deactivate,
        has_password,
        env.clock.now(),
    )
    .map_err(AccountError::Lifecycle)?;
    store.update_user(&user).await?;
    Ok(Deletion::Deactivated(user))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::model::{Factor, Session, SessionApp, TokenKind};
    use crate::password::choose::tests::hashing;
    use crate::random::SystemRandom;
    use crate::signin;
    use crate::store::SessionStore;
    use crate::store::memory::MemoryStore;
    use chrono::{Duration, Utc};
    use serde_json::json;

    pub(crate) struct World {
        pub store: MemoryStore,
        pub clock: FixedClock,
        pub hashing: crate::password::choose::InlineHashing<'static>,
        pub policy: PasswordPolicy,
    }

    impl World {
        pub fn new() -> Self {
            World {
                store: MemoryStore::new(),
                clock: FixedClock::new(Utc::now()),
                hashing: hashing(),
                policy: PasswordPolicy::default(),
            }
        }

        pub fn env(&self) -> Env<'_> {
            Env {
                clock: &self.clock,
                random: &SystemRandom,
                hashing: &self.hashing,
                password_policy: &self.policy,
            }
        }

        pub async fn user(&self, password: Option<&str>, activate: bool) -> User {
            create(
                &self.store,
                self.env(),
                NewUser {
                    profile: ada(),
                    password,
                    activate,
                    ..NewUser::default()
                },
            )
            .await
            .unwrap()
            .user
        }

        pub async fn session(&self, user: &User) -> Session {
            let now = self.clock.now();
            let s = Session {
                id: new_id("102", now, &SystemRandom),
                user_id: user.id.clone(),
                token_hash: signin::mint(&SystemRandom).hash,
                created: now,
                last_seen: now,
                expires_at: now + Duration::hours(1),
                amr: vec!["pwd".into()],
                ip: None,
                user_agent: None,
            };
            self.store.insert_session(&s).await.unwrap();
            self.store
                .record_session_app(&SessionApp {
                    session_id: s.id.clone(),
                    client_id: "app1".into(),
                    auth_server_id: "default".into(),
                    created: now,
                })
                .await
                .unwrap();
            s
        }
    }

    pub(crate) fn ada() -> Map<String, Value> {
        json!({"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[tokio::test]
    async fn new_users_start_where_okta_puts_them_and_logins_are_unique() {
        let w = World::new();
        let active = create(
            &w.store,
            w.env(),
            NewUser {
                profile: ada(),
                password: Some("Correct-Horse-9"),
                activate: true,
                ..NewUser::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(active.user.status, UserStatus::Active);
        assert_eq!(active.user.login, "ada@example.com");
        assert!(active.activation.is_none());
        assert_eq!(
            active.events(),
            vec![CREATE_EVENT, Operation::Activate.event()]
        );
        assert!(w.store.password(&active.user.id).await.unwrap().is_some());

        let mut upper = ada();
        upper.insert("login".into(), json!("ADA@example.com"));
        let taken = create(
            &w.store,
            w.env(),
            NewUser {
                profile: upper,
                activate: true,
                ..NewUser::default()
            },
        )
        .await;
        assert_eq!(taken.unwrap_err(), AccountError::LoginTaken);

        let mut grace = ada();
        grace.insert("login".into(), json!("grace@example.com"));
        let weak = create(
            &w.store,
            w.env(),
            NewUser {
                profile: grace.clone(),
                password: Some("short"),
                activate: true,
                ..NewUser::default()
            },
        )
        .await;
        assert!(matches!(weak, Err(AccountError::PasswordRejected(c)) if c.len() == 1));
        let invalid = create(&w.store, w.env(), NewUser::default()).await;
        assert!(matches!(invalid, Err(AccountError::InvalidProfile(_))));

        let provisioned = create(
            &w.store,
            w.env(),
            NewUser {
                profile: grace,
                activate: true,
                activation_link: true,
                ..NewUser::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(provisioned.user.status, UserStatus::Provisioned);
        assert_eq!(provisioned.events(), vec![CREATE_EVENT]);
        let link = provisioned.activation.expect("an activation link");
        let owner = activation::check(&w.store, &link.value, w.clock.now())
            .await
            .unwrap();
        assert_eq!(owner.map(|u| u.id), Some(provisioned.user.id));
    }

    #[tokio::test]
    async fn updates_merge_or_replace_and_an_administrators_password_activates() {
        let w = World::new();
        let user = w.user(None, true).await;
        assert_eq!(user.status, UserStatus::Provisioned);
        w.clock.advance(Duration::seconds(1));
        let mut nick = Map::new();
        nick.insert("nickName".into(), json!("Countess"));
        let updated = update(
            &w.store,
            w.env(),
            "ADA@example.com",
            Changes {
                profile: Some(nick.clone()),
                password: Some("Analytical-Engine-1"),
                partial: true,
            },
        )
        .await
        .unwrap();
        assert_eq!(updated.user.status, UserStatus::Active);
        assert_eq!(updated.user.activated, Some(w.clock.now()));
        assert_eq!(updated.user.attr("firstName"), Some("Ada"), "merged");
        assert_eq!(updated.user.attr("nickName"), Some("Countess"));
        assert_eq!(updated.events(), vec![PROFILE_EVENT, PASSWORD_EVENT]);

        let full = update(
            &w.store,
            w.env(),
            &user.id,
            Changes {
                profile: None,
                password: None,
                partial: false,
            },
        )
        .await;
        assert_eq!(full.unwrap_err(), AccountError::ProfileRequired);
        let replaced = update(
            &w.store,
            w.env(),
            &user.id,
            Changes {
                profile: Some(ada()),
                password: None,
                partial: false,
            },
        )
        .await
        .unwrap();
        assert_eq!(replaced.user.attr("nickName"), None, "replaced");
        // The password history applies to an administrator's change too.
        let again = update(
            &w.store,
            w.env(),
            &user.id,
            Changes {
                password: Some("Analytical-Engine-1"),
                partial: true,
                ..Changes::default()
            },
        )
        .await;
        assert!(matches!(again, Err(AccountError::PasswordRejected(_))));
        let missing = update(&w.store, w.env(), "nobody", Changes::default()).await;
        assert_eq!(missing.unwrap_err(), AccountError::NotFound);
    }

    #[tokio::test]
    async fn suspending_or_deactivating_ends_the_sessions_with_their_apps() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let session = w.session(&user).await;
        let changed = lifecycle(
            &w.store,
            w.env(),
            &user.id,
            Operation::Suspend,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(changed.user.status, UserStatus::Suspended);
        assert_eq!(changed.ended_sessions.len(), 1);
        assert_eq!(changed.ended_sessions[0].id, session.id);
        assert_eq!(changed.ended_sessions[0].apps[0].client_id, "app1");
        assert!(w.store.session(&session.id).await.unwrap().is_none());

        let refused = lifecycle(
            &w.store,
            w.env(),
            &user.id,
            Operation::Suspend,
            LifecycleOptions::default(),
        )
        .await;
        assert_eq!(
            refused.unwrap_err(),
            AccountError::Lifecycle(Refused::NotActive)
        );
        lifecycle(
            &w.store,
            w.env(),
            &user.id,
            Operation::Unsuspend,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        w.session(&user).await;
        let deactivated = lifecycle(
            &w.store,
            w.env(),
            &user.id,
            Operation::Deactivate,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(deactivated.ended_sessions.len(), 1);
        assert_eq!(
            w.store.user(&user.id).await.unwrap().unwrap().status,
            UserStatus::Deprovisioned
        );
    }

    #[tokio::test]
    async fn a_reset_voids_the_password_issues_a_link_and_ends_sessions_only_when_asked() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        w.session(&user).await;
        let first = lifecycle(
            &w.store,
            w.env(),
            &user.id,
            Operation::ResetPassword,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(first.user.status, UserStatus::Recovery);
        assert!(first.ended_sessions.is_empty(), "not asked");
        let first_link = first.reset.expect("a reset link");
        let second = lifecycle(
            &w.store,
            w.env(),
            &user.id,
            Operation::ResetPassword,
            LifecycleOptions {
                revoke_sessions: true,
            },
        )
        .await
        .unwrap();
        assert_eq!(second.ended_sessions.len(), 1);
        let now = w.clock.now();
        assert!(
            recovery::check_reset_token(&w.store, &first_link.value, now)
                .await
                .unwrap()
                .is_none(),
            "a new link voids the old"
        );
        let second_link = second.reset.unwrap();
        assert!(
            recovery::check_reset_token(&w.store, &second_link.value, now)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn factors_reset_unlock_forgets_failures_and_activation_links_are_reissued() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let now = w.clock.now();
        w.store
            .insert_factor(&Factor {
                id: "uft1".into(),
                user_id: user.id.clone(),
                factor_type: crate::model::FactorType::Totp,
                provider: "GOOGLE".into(),
                status: crate::model::FactorStatus::Active,
                sealed_secret: Vec::new(),
                last_used_step: None,
                profile: json!({}),
                created: now,
                last_updated: now,
            })
            .await
            .unwrap();
        lifecycle(
            &w.store,
            w.env(),
            &user.id,
            Operation::ResetFactors,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        assert!(w.store.factors(&user.id).await.unwrap().is_empty());

        let threshold = 2;
        for _ in 0..threshold {
            w.store
                .record_failure(&user.id, threshold, now, now + Duration::hours(1), now)
                .await
                .unwrap();
        }
        assert_eq!(
            w.store.user(&user.id).await.unwrap().unwrap().status,
            UserStatus::LockedOut
        );
        let unlocked = lifecycle(
            &w.store,
            w.env(),
            &user.id,
            Operation::Unlock,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(unlocked.user.status, UserStatus::Active);
        let count = w
            .store
            .record_failure(&user.id, threshold, now, now + Duration::hours(1), now)
            .await
            .unwrap();
        assert_eq!(
            count.attempts, 1,
            "the failures before the unlock are forgotten"
        );

        let staged = {
            let mut grace = ada();
            grace.insert("login".into(), json!("grace@example.com"));
            create(
                &w.store,
                w.env(),
                NewUser {
                    profile: grace,
                    activate: false,
                    ..NewUser::default()
                },
            )
            .await
            .unwrap()
            .user
        };
        let activated = lifecycle(
            &w.store,
            w.env(),
            &staged.id,
            Operation::Activate,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(activated.user.status, UserStatus::Provisioned);
        let first = activated.activation.unwrap();
        let again = lifecycle(
            &w.store,
            w.env(),
            &staged.id,
            Operation::Reactivate,
            LifecycleOptions::default(),
        )
        .await
        .unwrap();
        let second = again.activation.unwrap();
        let now = w.clock.now();
        assert!(
            activation::check(&w.store, &first.value, now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            activation::check(&w.store, &second.value, now)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            w.store
                .one_time_token(&second.hash, TokenKind::Activation, now)
                .await
                .unwrap()
                .map(|t| t.expires_at),
            Some(now + Duration::days(activation::ACTIVATION_DAYS))
        );
    }

    #[tokio::test]
    async fn delete_deactivates_first_then_deletes() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let first = delete(&w.store, w.env(), &user.id).await.unwrap();
        assert!(
            matches!(&first, Deletion::Deactivated(u) if u.status == UserStatus::Deprovisioned)
        );
        assert_eq!(first.event(), Operation::Deactivate.event());
        assert!(w.store.user(&user.id).await.unwrap().is_some());
        let second = delete(&w.store, w.env(), "ada@example.com").await.unwrap();
        assert!(matches!(second, Deletion::Deleted(_)));
        assert_eq!(second.event(), DELETE_EVENT);
        assert!(w.store.user(&user.id).await.unwrap().is_none());
        assert_eq!(
            delete(&w.store, w.env(), &user.id).await.unwrap_err(),
            AccountError::NotFound
        );
    }
}
