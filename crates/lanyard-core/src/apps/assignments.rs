//! Who may sign in to an app: users assigned directly, and groups (their members). The operations every door shares
//! (the Apps API, the admin console); each returns the assignment with the system log events it caused.

use super::instances::{AppError, find, target};
use crate::clock::Clock;
use crate::directory::accounts::{self, AccountError};
use crate::directory::groups::{self, user_target};
use crate::model::{App, AppGroup, AppUser, Group, User};
use crate::store::{AppStore, GroupStore, UserStore};
use crate::syslog::Change;

/// Why an assignment was not made or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignError {
    App(AppError),
    UserNotFound,
    GroupNotFound,
    /// The user or group is not assigned to the app.
    NotAssigned,
}

impl From<AppError> for AssignError {
    fn from(e: AppError) -> Self {
        AssignError::App(e)
    }
}

impl From<crate::store::StoreError> for AssignError {
    fn from(e: crate::store::StoreError) -> Self {
        AssignError::App(AppError::Store(e))
    }
}

async fn find_user(store: &(impl UserStore + ?Sized), user: &str) -> Result<User, AssignError> {
    accounts::find(store, user).await.map_err(|e| match e {
        AccountError::Store(e) => AssignError::App(AppError::Store(e)),
        _ => AssignError::UserNotFound,
    })
}

/// A user's assignment made or removed.
#[derive(Debug)]
pub struct UserAssignment {
    pub app: App,
    pub user: User,
    pub assignment: AppUser,
    pub changes: Vec<Change>,
}

/// Assigns user `user` (id or login) to app `app_id`, with the user name the app knows them by (the login unless
/// given); assigning again updates the user name.
pub async fn assign_user(
    store: &(impl AppStore + UserStore + ?Sized),
    clock: &dyn Clock,
    app_id: &str,
    user: &str,
    user_name: Option<String>,
) -> Result<UserAssignment, AssignError> {
    let app = find(store, app_id).await?;
    let user = find_user(store, user).await?;
    let now = clock.now();
    let previous = store.app_user(&app.id, &user.id).await?;
    let assignment = AppUser {
        app_id: app.id.clone(),
        user_id: user.id.clone(),
        user_name: user_name.unwrap_or_else(|| user.login.clone()),
        created: previous.as_ref().map_or(now, |p| p.created),
        last_updated: now,
    };
    if !store.put_app_user(&assignment).await? {
        return Err(AssignError::UserNotFound);
    }
    let mut changes = Vec::new();
    if previous.is_none() {
        changes.push(
            Change::new(
                "application.user_membership.add",
                "Add user to application membership",
            )
            .target(user_target(&user))
            .target(target(&app)),
        );
    }
    Ok(UserAssignment {
        app,
        user,
        assignment,
        changes,
    })
}

/// Removes user `user`'s direct assignment to app `app_id`.
pub async fn unassign_user(
    store: &(impl AppStore + UserStore + ?Sized),
    app_id: &str,
    user: &str,
) -> Result<(App, User, Vec<Change>), AssignError> {
    let app = find(store, app_id).await?;
    let user = find_user(store, user).await?;
    if !store.delete_app_user(&app.id, &user.id).await? {
        return Err(AssignError::NotAssigned);
    }
    let change = Change::new(
        "application.user_membership.remove",
        "Remove user from application membership",
    )
    .target(user_target(&user))
    .target(target(&app));
    Ok((app, user, vec![change]))
}

/// A group's assignment made.
#[derive(Debug)]
pub struct GroupAssignment {
    pub app: App,
    pub group: Group,
    pub assignment: AppGroup,
    pub changes: Vec<Change>,
}

/// Assigns group `group_id` to app `app_id` with a priority from 0 to 100.
pub async fn assign_group(
    store: &(impl AppStore + GroupStore + ?Sized),
    clock: &dyn Clock,
    app_id: &str,
    group_id: &str,
    priority: i64,
) -> Result<GroupAssignment, AssignError> {
    let app = find(store, app_id).await?;
    let group = store
        .group(group_id)
        .await?
        .ok_or(AssignError::GroupNotFound)?;
    if !(0..=100).contains(&priority) {
        return Err(AppError::invalid("priority", "priority: must be between 0 and 100").into());
    }
    let assignment = AppGroup {
        app_id: app.id.clone(),
        group_id: group.id.clone(),
        priority,
        last_updated: clock.now(),
    };
    if !store.put_app_group(&assignment).await? {
        return Err(AssignError::GroupNotFound);
    }
    let change = Change::new(
        "application.user_membership.add",
        "Add group to application",
    )
    .target(target(&app))
    .target(groups::target(&group));
    Ok(GroupAssignment {
        app,
        group,
        assignment,
        changes: vec![change],
    })
}

/// Removes group `group_id`'s assignment to app `app_id`.
pub async fn unassign_group(
    store: &(impl AppStore + GroupStore + ?Sized),
    app_id: &str,
    group_id: &str,
) -> Result<(App, Vec<Change>), AssignError> {
    let app = find(store, app_id).await?;
    if !store.delete_app_group(&app.id, group_id).await? {
        return Err(AssignError::NotAssigned);
    }
    let mut change = Change::new(
        "application.user_membership.remove",
        "Remove group from application",
    )
    .target(target(&app));
    if let Some(g) = store.group(group_id).await? {
        change = change.target(groups::target(&g));
    }
    Ok((app, vec![change]))
}
