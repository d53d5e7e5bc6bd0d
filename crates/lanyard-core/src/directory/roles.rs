//! Administrator roles of users (Okta's `/api/v1/users/{id}/roles`): assign and unassign. A user holds each role type
//! at most once; the role types are [`RoleType::ALL`]. Who may do what with a role is [`crate::admin`]'s.

use super::accounts::{self, AccountError};
use crate::clock::Clock;
use crate::id::new_id;
use crate::model::role::ROLE_ID_PREFIX;
use crate::model::{RoleAssignment, RoleType, User};
use crate::random::Random;
use crate::store::{RoleStore, StoreError, UserStore};
use crate::syslog::{Change, Party};

/// Why a role was not assigned or unassigned.
#[derive(Debug)]
pub enum RoleRefused {
    /// No user has this id or login.
    NoUser,
    /// The role type is missing or unknown: the cause.
    InvalidType(String),
    /// The user (by id) already holds a role of this type.
    AlreadyHeld(String, RoleType),
    /// The user holds no role with this id.
    NoRole,
    Store(StoreError),
}

impl From<StoreError> for RoleRefused {
    fn from(e: StoreError) -> Self {
        RoleRefused::Store(e)
    }
}

impl From<AccountError> for RoleRefused {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(e) => RoleRefused::Store(e),
            _ => RoleRefused::NoUser,
        }
    }
}

/// A role type named in a request body: required, one of [`RoleType::ALL`].
pub fn role_type(name: Option<&str>) -> Result<RoleType, RoleRefused> {
    match name {
        None | Some("") => Err(RoleRefused::InvalidType(
            "type: The field cannot be left blank".into(),
        )),
        Some(t) => RoleType::parse(t).ok_or_else(|| {
            let supported: Vec<&str> = RoleType::ALL.iter().map(|t| t.as_str()).collect();
            RoleRefused::InvalidType(format!(
                "type: Invalid role type {t:?}; supported: {}",
                supported.join(", ")
            ))
        }),
    }
}

/// The system log's record of a role given to `user` (Okta's event).
pub fn granted(user: &User) -> Change {
    Change::new("user.account.privilege.grant", "Grant user privilege").target(party(user))
}

/// The system log's record of a role taken from `user`.
pub fn revoked(user: &User) -> Change {
    Change::new("user.account.privilege.revoke", "Revoke user privilege").target(party(user))
}

fn party(user: &User) -> Party {
    Party::new(&user.id, "User", &user.login, user.full_name())
}

/// Assigns the role type named `type_name` to the user with this id or login; log it with [`granted`].
pub async fn assign<S: UserStore + RoleStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    random: &dyn Random,
    id_or_login: &str,
    type_name: Option<&str>,
) -> Result<(User, RoleAssignment), RoleRefused> {
    let user = accounts::find(store, id_or_login).await?;
    let role_type = role_type(type_name)?;
    let now = clock.now();
    let role = RoleAssignment {
        id: new_id(ROLE_ID_PREFIX, now, random),
        user_id: user.id.clone(),
        role_type,
        created: now,
        last_updated: now,
    };
    store.insert_role(&role).await.map_err(|e| match e {
        StoreError::Conflict(_) => RoleRefused::AlreadyHeld(user.id.clone(), role_type),
        other => RoleRefused::Store(other),
    })?;
    Ok((user, role))
}

/// Unassigns one of the user's roles; log it with [`revoked`].
pub async fn unassign<S: UserStore + RoleStore + ?Sized>(
    store: &S,
    id_or_login: &str,
    role_id: &str,
) -> Result<User, RoleRefused> {
    let user = accounts::find(store, id_or_login).await?;
    if !store.delete_role(&user.id, role_id).await? {
        return Err(RoleRefused::NoRole);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::super::accounts::tests::World;
    use super::*;
    use crate::random::SystemRandom;

    #[tokio::test]
    async fn a_role_type_is_held_once_and_must_be_known() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let (_, role) = assign(
            &w.store,
            &w.clock,
            &SystemRandom,
            "ada@example.com",
            Some("ORG_ADMIN"),
        )
        .await
        .unwrap();
        assert_eq!(role.user_id, user.id);
        assert!(matches!(
            assign(
                &w.store,
                &w.clock,
                &SystemRandom,
                &user.id,
                Some("ORG_ADMIN")
            )
            .await,
            Err(RoleRefused::AlreadyHeld(_, RoleType::OrgAdmin))
        ));
        for bad in [None, Some(""), Some("GOD")] {
            assert!(matches!(
                assign(&w.store, &w.clock, &SystemRandom, &user.id, bad).await,
                Err(RoleRefused::InvalidType(_))
            ));
        }
        assert!(matches!(
            assign(
                &w.store,
                &w.clock,
                &SystemRandom,
                "nobody",
                Some("ORG_ADMIN")
            )
            .await,
            Err(RoleRefused::NoUser)
        ));
        unassign(&w.store, &user.id, &role.id).await.unwrap();
        assert!(w.store.user_roles(&user.id).await.unwrap().is_empty());
        assert!(matches!(
            unassign(&w.store, &user.id, &role.id).await,
            Err(RoleRefused::NoRole)
        ));
    }
}
