//! The first administrator, made from the command line (`lanyard admin create`) on an org whose console nobody can
//! open yet: the user with this login — created when there is none, ACTIVE with a password or PROVISIONED with an
//! activation link to choose one — holding an administrator role. Running it again for the same login and role
//! changes nothing, so a setup script may run it at every start.
//!
//! The rules are the Users and Roles APIs' own ([`accounts::create`], [`roles::assign`]): the profile and password
//! policy apply, a login is taken once whatever its case.

use serde_json::{Map, Value};

use super::accounts::{self, AccountError, AccountStore, Env, NewUser};
use super::activation;
use super::roles::{self, RoleRefused};
use crate::model::{RoleAssignment, RoleType, User, UserStatus};
use crate::signin::Secret;
use crate::store::RoleStore;
use crate::syslog::{Change, Party};

/// Who is to be the administrator (its `Debug` shows whether a password was given, not the password).
pub struct Wanted<'a> {
    pub login: &'a str,
    /// For a new user: the profile's names (required by the profile's rules).
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    /// For a new user: the password, checked against the policy. Without one the user gets an activation link.
    pub password: Option<&'a str>,
    pub role: RoleType,
}

impl std::fmt::Debug for Wanted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wanted")
            .field("login", &self.login)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("password", &self.password.is_some())
            .field("role", &self.role)
            .finish()
    }
}

/// What was done (its `Debug` shows no activation token).
pub struct Made {
    pub user: User,
    /// Whether the user was created now.
    pub created: bool,
    /// The role assigned now; `None` when the user already held it.
    pub role: Option<RoleAssignment>,
    /// The activation link's token of a user without a password: new, or made earlier and never activated.
    pub activation: Option<Secret>,
    /// What to write to the system log.
    pub changes: Vec<Change>,
}

impl std::fmt::Debug for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Made")
            .field("user", &self.user.id)
            .field("created", &self.created)
            .field("role", &self.role.as_ref().map(|r| &r.id))
            .field("activation", &self.activation.is_some())
            .finish()
    }
}

/// Why no administrator was made.
#[derive(Debug)]
pub enum Refused {
    /// The user exists: a password given for it would be silently ignored, so it is refused.
    PasswordForExistingUser,
    Account(AccountError),
    Role(RoleRefused),
}

impl From<AccountError> for Refused {
    fn from(e: AccountError) -> Self {
        Refused::Account(e)
    }
}

fn profile(w: &Wanted<'_>) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("login".into(), w.login.into());
    p.insert("email".into(), w.login.into());
    for (key, value) in [("firstName", w.first_name), ("lastName", w.last_name)] {
        if let Some(v) = value {
            p.insert(key.into(), v.into());
        }
    }
    p
}

/// Makes `wanted.login` an administrator with `wanted.role`, creating the user first when there is none.
pub async fn make<S: AccountStore + RoleStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    wanted: Wanted<'_>,
) -> Result<Made, Refused> {
    let mut changes = Vec::new();
    let (user, created, activation) = match accounts::find(store, wanted.login).await {
        Ok(user) => {
            if wanted.password.is_some() {
                return Err(Refused::PasswordForExistingUser);
            }
            // A user made earlier who never chose a password (the link was lost, or ran out) gets a new link; it
            // voids the earlier ones.
            let activation = if user.status == UserStatus::Provisioned {
                Some(
                    activation::new_link(store, env.random, env.clock.now(), &user.id)
                        .await
                        .map_err(AccountError::from)?,
                )
            } else {
                None
            };
            (user, false, activation)
        }
        Err(AccountError::NotFound) => {
            let new = accounts::create(
                store,
                env,
                NewUser {
                    profile: profile(&wanted),
                    password: wanted.password,
                    activate: true,
                    change_password_next: false,
                    activation_link: true,
                },
            )
            .await?;
            let target = user_party(&new.user);
            for (kind, message) in new.events() {
                changes.push(Change::new(kind, message).target(target.clone()));
            }
            (new.user, true, new.activation)
        }
        Err(e) => return Err(e.into()),
    };
    // A role already held (also one granted meanwhile by a run alongside) is the store's conflict: nothing to do.
    let role = match roles::assign(
        store,
        env.clock,
        env.random,
        &user.id,
        Some(wanted.role.as_str()),
    )
    .await
    {
        Ok((_, role)) => {
            changes.push(roles::granted(&user));
            Some(role)
        }
        Err(RoleRefused::AlreadyHeld(..)) => None,
        Err(e) => return Err(Refused::Role(e)),
    };
    Ok(Made {
        user,
        created,
        role,
        activation,
        changes,
    })
}

fn user_party(user: &User) -> Party {
    Party::new(&user.id, "User", &user.login, user.full_name())
}

#[cfg(test)]
mod tests {
    use super::super::accounts::tests::World;
    use super::*;
    use crate::clock::Clock;

    fn ada(password: Option<&'static str>) -> Wanted<'static> {
        Wanted {
            login: "ada@example.com",
            first_name: Some("Ada"),
            last_name: Some("Lovelace"),
            password,
            role: RoleType::SuperAdmin,
        }
    }

    #[test]
    fn debug_shows_no_password() {
        let shown = format!("{:?}", ada(Some("Correct-Horse-9")));
        assert!(
            !shown.contains("Correct-Horse-9") && shown.contains("password: true"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn a_new_user_without_a_password_is_provisioned_with_a_link_and_the_role() {
        let w = World::new();
        let made = make(&w.store, w.env(), ada(None)).await.unwrap();
        assert!(made.created);
        assert_eq!(made.user.status, UserStatus::Provisioned);
        assert!(made.activation.is_some());
        let roles = w.store.user_roles(&made.user.id).await.unwrap();
        assert_eq!(roles.len(), 1);
        assert_eq!(roles[0].role_type, RoleType::SuperAdmin);
        let kinds: Vec<_> = made.changes.iter().map(|c| c.event_type).collect();
        assert_eq!(
            kinds,
            ["user.lifecycle.create", "user.account.privilege.grant"]
        );
    }

    #[tokio::test]
    async fn a_user_who_never_activated_gets_a_new_link_that_voids_the_old_one() {
        let w = World::new();
        let first = make(&w.store, w.env(), ada(None)).await.unwrap();
        let old = first.activation.unwrap();
        let again = make(&w.store, w.env(), ada(None)).await.unwrap();
        assert!(!again.created && again.role.is_none());
        let new = again.activation.expect("a new link");
        let now = w.clock.now();
        assert!(
            activation::check(&w.store, &old.value, now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            activation::check(&w.store, &new.value, now)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_new_user_with_a_password_is_active_and_the_policy_applies() {
        let w = World::new();
        let refused = make(&w.store, w.env(), ada(Some("short"))).await;
        assert!(matches!(
            refused,
            Err(Refused::Account(AccountError::PasswordRejected(_)))
        ));
        let made = make(&w.store, w.env(), ada(Some("Correct-Horse-9")))
            .await
            .unwrap();
        assert_eq!(made.user.status, UserStatus::Active);
        assert!(made.activation.is_none());
    }

    #[tokio::test]
    async fn an_existing_user_gets_the_role_once_and_keeps_the_password() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let wanted = || Wanted {
            login: "ADA@example.com",
            first_name: None,
            last_name: None,
            password: None,
            role: RoleType::OrgAdmin,
        };
        let made = make(&w.store, w.env(), wanted()).await.unwrap();
        assert!(!made.created);
        assert_eq!(made.user.id, user.id);
        assert!(made.role.is_some());
        let again = make(&w.store, w.env(), wanted()).await.unwrap();
        assert!(again.role.is_none() && again.changes.is_empty());
        assert_eq!(w.store.user_roles(&user.id).await.unwrap().len(), 1);
        let with_password = Wanted {
            password: Some("Another-Horse-9"),
            ..wanted()
        };
        assert!(matches!(
            make(&w.store, w.env(), with_password).await,
            Err(Refused::PasswordForExistingUser)
        ));
    }

    #[tokio::test]
    async fn a_new_user_needs_its_names() {
        let w = World::new();
        let refused = make(
            &w.store,
            w.env(),
            Wanted {
                first_name: None,
                ..ada(None)
            },
        )
        .await;
        let Err(Refused::Account(AccountError::InvalidProfile(causes))) = refused else {
            panic!("{refused:?}")
        };
        assert!(causes.iter().any(|c| c.contains("firstName")), "{causes:?}");
    }
}
