//! Who may use the admin console, and what they may do there: an ACTIVE user holding `SUPER_ADMIN` or `ORG_ADMIN`
//! may change things, one holding only `READ_ONLY_ADMIN` may look, anyone else is refused.

use crate::model::{RoleType, User, UserStatus};
use crate::store::{RoleStore, StoreResult, UserStore};

/// What a signed-in administrator may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleAccess {
    /// Look and change (`SUPER_ADMIN`, `ORG_ADMIN`).
    Manage,
    /// Look only (`READ_ONLY_ADMIN`).
    ReadOnly,
}

impl ConsoleAccess {
    /// Whether this administrator may change anything.
    pub fn may_change(self) -> bool {
        self == ConsoleAccess::Manage
    }

    /// How the console names it.
    pub fn label(self) -> &'static str {
        match self {
            ConsoleAccess::Manage => "may change settings",
            ConsoleAccess::ReadOnly => "read only",
        }
    }
}

/// The access a user of `status` holding `roles` has, if any: the strongest of their roles; none unless ACTIVE.
pub fn access(status: UserStatus, roles: &[RoleType]) -> Option<ConsoleAccess> {
    if status != UserStatus::Active {
        return None;
    }
    if roles
        .iter()
        .any(|r| matches!(r, RoleType::SuperAdmin | RoleType::OrgAdmin))
    {
        Some(ConsoleAccess::Manage)
    } else if roles.contains(&RoleType::ReadOnlyAdmin) {
        Some(ConsoleAccess::ReadOnly)
    } else {
        None
    }
}

/// A user who may open the console, with their roles.
#[derive(Debug, Clone, PartialEq)]
pub struct Administrator {
    pub user: User,
    pub roles: Vec<RoleType>,
    pub access: ConsoleAccess,
}

impl Administrator {
    /// Whether they may make management API tokens: a Super Administrator only, since a token has full access to
    /// the management API (an Organization Administrator would gain what their role does not give, such as
    /// granting roles).
    pub fn may_create_api_tokens(&self) -> bool {
        self.access.may_change() && self.roles.contains(&RoleType::SuperAdmin)
    }
}

/// Whether the user `user_id` (the browser's signed-in user) may open the console: `Ok(None)` when not.
pub async fn administrator(
    users: &dyn UserStore,
    roles: &dyn RoleStore,
    user_id: &str,
) -> StoreResult<Option<Administrator>> {
    let Some(user) = users.user(user_id).await? else {
        return Ok(None);
    };
    let mut held: Vec<RoleType> = roles
        .user_roles(user_id)
        .await?
        .into_iter()
        .map(|r| r.role_type)
        .collect();
    held.sort();
    Ok(access(user.status, &held).map(|access| Administrator {
        user,
        roles: held,
        access,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RoleAssignment;
    use crate::store::memory::MemoryStore;

    #[test]
    fn the_strongest_role_decides_and_only_active_users_get_in() {
        use RoleType::*;
        let active = UserStatus::Active;
        assert_eq!(access(active, &[SuperAdmin]), Some(ConsoleAccess::Manage));
        assert_eq!(access(active, &[OrgAdmin]), Some(ConsoleAccess::Manage));
        assert_eq!(
            access(active, &[ReadOnlyAdmin]),
            Some(ConsoleAccess::ReadOnly)
        );
        assert_eq!(
            access(active, &[ReadOnlyAdmin, OrgAdmin]),
            Some(ConsoleAccess::Manage)
        );
        assert_eq!(access(active, &[]), None);
        for other in [
            UserStatus::Suspended,
            UserStatus::LockedOut,
            UserStatus::Deprovisioned,
            UserStatus::Recovery,
            UserStatus::PasswordExpired,
            UserStatus::Provisioned,
            UserStatus::Staged,
        ] {
            assert_eq!(access(other, &[SuperAdmin]), None, "{other:?}");
        }
        assert!(ConsoleAccess::Manage.may_change());
        assert!(!ConsoleAccess::ReadOnly.may_change());
    }

    #[test]
    fn only_a_super_administrator_makes_api_tokens() {
        use RoleType::*;
        let now = crate::clock::from_millis(1_800_000_000_000);
        let admin = |roles: Vec<RoleType>| Administrator {
            user: User {
                id: "00u1".into(),
                status: UserStatus::Active,
                login: "ada@example.com".into(),
                profile: Default::default(),
                created: now,
                activated: Some(now),
                status_changed: None,
                last_login: None,
                last_updated: now,
                password_changed: None,
            },
            access: access(UserStatus::Active, &roles).unwrap(),
            roles,
        };
        assert!(admin(vec![SuperAdmin]).may_create_api_tokens());
        assert!(admin(vec![SuperAdmin, ReadOnlyAdmin]).may_create_api_tokens());
        assert!(!admin(vec![OrgAdmin]).may_create_api_tokens());
        assert!(!admin(vec![ReadOnlyAdmin]).may_create_api_tokens());
    }

    #[tokio::test]
    async fn administrators_are_read_from_the_store() {
        let store = MemoryStore::new();
        let now = crate::clock::from_millis(1_800_000_000_000);
        let mut user = User {
            id: "00u1".into(),
            status: UserStatus::Active,
            login: "ada@example.com".into(),
            profile: Default::default(),
            created: now,
            activated: Some(now),
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
        };
        store.insert_user(&user, None).await.unwrap();
        assert_eq!(administrator(&store, &store, "00u1").await.unwrap(), None);
        assert_eq!(administrator(&store, &store, "nobody").await.unwrap(), None);
        store
            .insert_role(&RoleAssignment {
                id: "ra11".into(),
                user_id: "00u1".into(),
                role_type: RoleType::ReadOnlyAdmin,
                created: now,
                last_updated: now,
            })
            .await
            .unwrap();
        let admin = administrator(&store, &store, "00u1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(admin.access, ConsoleAccess::ReadOnly);
        assert_eq!(admin.roles, vec![RoleType::ReadOnlyAdmin]);
        user.status = UserStatus::Suspended;
        store.update_user(&user).await.unwrap();
        assert_eq!(administrator(&store, &store, "00u1").await.unwrap(), None);
    }
}
