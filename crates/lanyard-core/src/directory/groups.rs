//! The operations on groups every door shares (the Groups API, the admin console): create, replace the profile,
//! delete, add and remove members. The built-in `Everyone` group holds every user implicitly: it cannot be changed
//! or deleted, and its members cannot be added or removed.
//!
//! Each operation takes the store capabilities it needs, the clock and randomness, and returns what changed with
//! the system log events it caused ([`crate::syslog::Change`]), or a [`GroupError`]: no HTTP here.

use serde_json::{Map, Value};

use super::accounts::{self, AccountError};
use crate::clock::Clock;
use crate::id::{new_id, prefix};
use crate::model::group::validate_profile;
use crate::model::{Group, GroupType, User};
use crate::random::Random;
use crate::store::{GroupStore, StoreError, UserStore};
use crate::syslog::{Change, Party};

/// Why an operation on a group did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupError {
    /// No group has this id.
    NotFound,
    /// No user has this id or login.
    UserNotFound,
    /// The built-in group cannot be changed: what was asked (`update`, `delete`, `membership change`).
    BuiltIn(&'static str),
    /// The profile is not valid: a cause per problem, `field: message`.
    InvalidProfile(Vec<String>),
    /// Another group has this name.
    NameTaken,
    Store(StoreError),
}

impl From<StoreError> for GroupError {
    fn from(e: StoreError) -> Self {
        GroupError::Store(e)
    }
}

fn taken_or(e: StoreError) -> GroupError {
    match e {
        StoreError::Conflict(_) => GroupError::NameTaken,
        e => GroupError::Store(e),
    }
}

/// A group as an event target.
pub fn target(g: &Group) -> Party {
    Party::new(&g.id, "UserGroup", &g.name, &g.name)
}

/// A user as an event target.
pub fn user_target(u: &User) -> Party {
    Party::new(&u.id, "User", &u.login, u.full_name())
}

/// A group by id.
pub async fn find(store: &(impl GroupStore + ?Sized), id: &str) -> Result<Group, GroupError> {
    store.group(id).await?.ok_or(GroupError::NotFound)
}

/// A group that may be changed: it exists and is not built in.
async fn find_changeable(
    store: &(impl GroupStore + ?Sized),
    id: &str,
    what: &'static str,
) -> Result<Group, GroupError> {
    let group = find(store, id).await?;
    if group.is_built_in() {
        return Err(GroupError::BuiltIn(what));
    }
    Ok(group)
}

/// A group changed, with the events it logs.
#[derive(Debug)]
pub struct Changed {
    pub group: Group,
    pub changes: Vec<Change>,
}

/// Creates a group from its profile (`name`, `description`).
pub async fn create(
    store: &(impl GroupStore + ?Sized),
    clock: &dyn Clock,
    random: &dyn Random,
    profile: &Map<String, Value>,
) -> Result<Changed, GroupError> {
    let profile = validate_profile(profile).map_err(GroupError::InvalidProfile)?;
    let now = clock.now();
    let group = Group {
        id: new_id(prefix::GROUP, now, random),
        group_type: GroupType::Okta,
        name: profile.name,
        description: profile.description,
        created: now,
        last_updated: now,
        last_membership_updated: now,
    };
    store.insert_group(&group).await.map_err(taken_or)?;
    let changes =
        vec![Change::new("group.lifecycle.create", "Create okta group").target(target(&group))];
    Ok(Changed { group, changes })
}

/// Replaces a group's profile: a description left out is removed.
pub async fn replace(
    store: &(impl GroupStore + ?Sized),
    clock: &dyn Clock,
    id: &str,
    profile: &Map<String, Value>,
) -> Result<Changed, GroupError> {
    let mut group = find_changeable(store, id, "update").await?;
    let profile = validate_profile(profile).map_err(GroupError::InvalidProfile)?;
    group.name = profile.name;
    group.description = profile.description;
    group.last_updated = clock.now();
    if !store.update_group(&group).await.map_err(taken_or)? {
        return Err(GroupError::NotFound);
    }
    let changes = vec![
        Change::new("group.profile.update", "Update okta group profile").target(target(&group)),
    ];
    Ok(Changed { group, changes })
}

/// Deletes a group (its memberships and app assignments go with it).
pub async fn delete(store: &(impl GroupStore + ?Sized), id: &str) -> Result<Changed, GroupError> {
    let group = find_changeable(store, id, "delete").await?;
    if !store.delete_group(&group.id).await? {
        return Err(GroupError::NotFound);
    }
    let changes =
        vec![Change::new("group.lifecycle.delete", "Delete okta group").target(target(&group))];
    Ok(Changed { group, changes })
}

/// A membership added or removed (or already as asked: then `changes` is empty).
#[derive(Debug)]
pub struct Membership {
    pub group: Group,
    pub user: User,
    pub changed: bool,
    pub changes: Vec<Change>,
}

/// Adds (`add`) or removes user `user` (id or login) to or from group `id`. Adding a member twice, or removing a
/// user who is not a member, changes nothing and is not an error.
pub async fn set_membership(
    store: &(impl GroupStore + UserStore + ?Sized),
    clock: &dyn Clock,
    id: &str,
    user: &str,
    add: bool,
) -> Result<Membership, GroupError> {
    let group = find_changeable(store, id, "membership change").await?;
    let user = accounts::find(store, user).await.map_err(|e| match e {
        AccountError::Store(e) => GroupError::Store(e),
        _ => GroupError::UserNotFound,
    })?;
    let now = clock.now();
    let changed = if add {
        store.add_group_member(&group.id, &user.id, now).await?
    } else {
        store.remove_group_member(&group.id, &user.id, now).await?
    };
    let mut changes = Vec::new();
    if changed {
        let c = if add {
            Change::new("group.user_membership.add", "Add user to group membership")
        } else {
            Change::new(
                "group.user_membership.remove",
                "Remove user from group membership",
            )
        };
        changes.push(c.target(user_target(&user)).target(target(&group)));
    }
    Ok(Membership {
        group,
        user,
        changed,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::directory::accounts::tests::World;
    use crate::model::PageRequest;
    use crate::random::SystemRandom;
    use serde_json::json;

    fn profile(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[tokio::test]
    async fn groups_are_created_renamed_and_deleted_with_their_events() {
        let w = World::new();
        let clock: &FixedClock = &w.clock;
        let made = create(
            &w.store,
            clock,
            &SystemRandom,
            &profile(json!({"name": "Engineering", "description": "builders"})),
        )
        .await
        .unwrap();
        assert_eq!(made.group.name, "Engineering");
        assert_eq!(made.changes[0].event_type, "group.lifecycle.create");
        assert_eq!(made.changes[0].targets[0].id, made.group.id);

        let again = create(
            &w.store,
            clock,
            &SystemRandom,
            &profile(json!({"name": "Engineering"})),
        )
        .await;
        assert_eq!(again.unwrap_err(), GroupError::NameTaken);
        let bad = create(&w.store, clock, &SystemRandom, &profile(json!({}))).await;
        assert!(matches!(bad, Err(GroupError::InvalidProfile(c)) if c[0].starts_with("name:")));

        let renamed = replace(
            &w.store,
            clock,
            &made.group.id,
            &profile(json!({"name": "Eng"})),
        )
        .await
        .unwrap();
        assert_eq!(renamed.group.name, "Eng");
        assert_eq!(renamed.group.description, None, "left out: removed");
        assert_eq!(
            w.store.group(&made.group.id).await.unwrap().unwrap().name,
            "Eng"
        );
        assert_eq!(renamed.changes[0].event_type, "group.profile.update");

        let gone = delete(&w.store, &made.group.id).await.unwrap();
        assert_eq!(gone.changes[0].event_type, "group.lifecycle.delete");
        assert!(w.store.group(&made.group.id).await.unwrap().is_none());
        assert_eq!(
            delete(&w.store, &made.group.id).await.unwrap_err(),
            GroupError::NotFound
        );
    }

    #[tokio::test]
    async fn members_are_added_once_and_everyone_cannot_change() {
        let w = World::new();
        let user = w.user(Some("correct-Horse-42"), true).await;
        let g = create(
            &w.store,
            &w.clock,
            &SystemRandom,
            &profile(json!({"name": "Ops"})),
        )
        .await
        .unwrap()
        .group;
        let added = set_membership(&w.store, &w.clock, &g.id, &user.login, true)
            .await
            .unwrap();
        assert!(added.changed);
        assert_eq!(added.changes[0].event_type, "group.user_membership.add");
        assert_eq!(added.changes[0].targets.len(), 2);
        let twice = set_membership(&w.store, &w.clock, &g.id, &user.id, true)
            .await
            .unwrap();
        assert!(!twice.changed && twice.changes.is_empty());
        let members = w
            .store
            .list_group_members(&g.id, &PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(members.items.len(), 1);
        let removed = set_membership(&w.store, &w.clock, &g.id, &user.id, false)
            .await
            .unwrap();
        assert_eq!(
            removed.changes[0].event_type,
            "group.user_membership.remove"
        );
        assert_eq!(
            set_membership(&w.store, &w.clock, &g.id, "nobody", true)
                .await
                .unwrap_err(),
            GroupError::UserNotFound
        );

        let everyone = Group::everyone(w.clock.now());
        w.store.insert_group(&everyone).await.unwrap();
        for e in [
            replace(
                &w.store,
                &w.clock,
                &everyone.id,
                &profile(json!({"name": "x"})),
            )
            .await
            .unwrap_err(),
            delete(&w.store, &everyone.id).await.unwrap_err(),
            set_membership(&w.store, &w.clock, &everyone.id, &user.id, true)
                .await
                .unwrap_err(),
        ] {
            assert!(matches!(e, GroupError::BuiltIn(_)), "{e:?}");
        }
    }
}
