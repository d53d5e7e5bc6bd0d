//! User lifecycle in Okta's terms: which transitions each status allows and what they change. Pure: the
//! operations of [`super::accounts`] load the user, call [`apply`], store the result and carry out the side effects.

use crate::clock::Timestamp;
use crate::model::{User, UserStatus};

/// A lifecycle operation (`POST /api/v1/users/{id}/lifecycle/{operation}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Activate,
    Reactivate,
    Deactivate,
    Suspend,
    Unsuspend,
    Unlock,
    ExpirePassword,
    /// Voids the password: the user goes to RECOVERY until they choose a new one through a reset link.
    ResetPassword,
    ResetFactors,
}

impl Operation {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "activate" => Operation::Activate,
            "reactivate" => Operation::Reactivate,
            "deactivate" => Operation::Deactivate,
            "suspend" => Operation::Suspend,
            "unsuspend" => Operation::Unsuspend,
            "unlock" => Operation::Unlock,
            "expire_password" => Operation::ExpirePassword,
            "reset_password" => Operation::ResetPassword,
            "reset_factors" => Operation::ResetFactors,
            _ => return None,
        })
    }
}

impl Operation {
    /// The system log's event type and message for this operation, as Okta names them.
    pub fn event(self) -> (&'static str, &'static str) {
        match self {
            Operation::Activate => ("user.lifecycle.activate", "Activate Okta user"),
            Operation::Reactivate => ("user.lifecycle.reactivate", "Reactivate Okta user"),
            Operation::Deactivate => ("user.lifecycle.deactivate", "Deactivate Okta user"),
            Operation::Suspend => ("user.lifecycle.suspend", "Suspend Okta user"),
            Operation::Unsuspend => ("user.lifecycle.unsuspend", "Unsuspend Okta user"),
            Operation::Unlock => ("user.account.unlock", "Unlock user account"),
            Operation::ExpirePassword => ("user.account.expire_password", "Expire user password"),
            Operation::ResetPassword => ("user.account.reset_password", "Reset user password"),
            Operation::ResetFactors => ("user.mfa.factor.reset_all", "Reset all factors for user"),
        }
    }
}

/// Why an operation is not allowed in the user's current status. The API edge gives each its Okta error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Activating a user who is not STAGED or DEPROVISIONED.
    AlreadyActive,
    /// Reactivating a user who is not PROVISIONED.
    NotProvisioned,
    /// Suspending a user who is not ACTIVE.
    NotActive,
    /// Unsuspending a user who is not SUSPENDED.
    NotSuspended,
    /// Unlocking a user who is not LOCKED_OUT.
    NotLockedOut,
    /// Expiring the password of a user who has none, or whose status has no password to expire.
    NoPasswordToExpire,
    /// Any other operation the status does not allow (a password reset of a STAGED user, …).
    NotAllowed,
}

impl Refused {
    /// The reason, in Okta's wording where Okta has one.
    pub fn message(self) -> &'static str {
        match self {
            Refused::AlreadyActive => "Activation failed because the user is already active",
            Refused::NotProvisioned => {
                "This operation is not allowed in the user's current status. Only PROVISIONED users can be reactivated."
            }
            Refused::NotActive => "Cannot suspend a user that is not active",
            Refused::NotSuspended => "Cannot unsuspend a user that is not suspended",
            Refused::NotLockedOut => "Unlock is not allowed for this user.",
            Refused::NoPasswordToExpire => {
                "This operation is not allowed in the user's current status. The user has no password to expire."
            }
            Refused::NotAllowed => "This operation is not allowed in the user's current status.",
        }
    }
}

/// The status a new user starts in (`POST /api/v1/users?activate=…`).
pub fn initial_status(
    activate: bool,
    has_password: bool,
    change_password_next: bool,
) -> UserStatus {
    match (activate, has_password) {
        (false, _) => UserStatus::Staged,
        (true, false) => UserStatus::Provisioned,
        (true, true) if change_password_next => UserStatus::PasswordExpired,
        (true, true) => UserStatus::Active,
    }
}

fn set_status(user: &mut User, status: UserStatus, now: Timestamp) {
    if user.status != status {
        user.status = status;
        user.status_changed = Some(now);
    }
    user.last_updated = now;
}

/// Applies `op` to `user` at `now`. `has_password` tells activation whether the user can sign in at once (ACTIVE)
/// or must first set a password (PROVISIONED).
pub fn apply(
    user: &mut User,
    op: Operation,
    has_password: bool,
    now: Timestamp,
) -> Result<(), Refused> {
    use UserStatus::*;
    match (op, user.status) {
        (Operation::Activate, Staged | Deprovisioned) => {
            set_status(user, if has_password { Active } else { Provisioned }, now);
            if has_password {
                user.activated = Some(now);
            }
            Ok(())
        }
        (Operation::Activate, _) => Err(Refused::AlreadyActive),
        (Operation::Reactivate, Provisioned) => {
            user.last_updated = now;
            Ok(())
        }
        (Operation::Reactivate, _) => Err(Refused::NotProvisioned),
        (Operation::Deactivate, Deprovisioned) => Ok(()),
        (Operation::Deactivate, _) => {
            set_status(user, Deprovisioned, now);
            Ok(())
        }
        (Operation::Suspend, Active) => {
            set_status(user, Suspended, now);
            Ok(())
        }
        (Operation::Suspend, _) => Err(Refused::NotActive),
        (Operation::Unsuspend, Suspended) => {
            set_status(user, Active, now);
            Ok(())
        }
        (Operation::Unsuspend, _) => Err(Refused::NotSuspended),
        (Operation::Unlock, LockedOut) => {
            set_status(user, Active, now);
            Ok(())
        }
        (Operation::Unlock, _) => Err(Refused::NotLockedOut),
        (Operation::ExpirePassword, Active | PasswordExpired | LockedOut | Recovery)
            if has_password =>
        {
            set_status(user, PasswordExpired, now);
            Ok(())
        }
        (Operation::ExpirePassword, _) => Err(Refused::NoPasswordToExpire),
        (
            Operation::ResetPassword,
            Active | PasswordExpired | LockedOut | Recovery | Provisioned,
        ) => {
            set_status(user, Recovery, now);
            Ok(())
        }
        (Operation::ResetPassword, _) => Err(Refused::NotAllowed),
        (Operation::ResetFactors, Deprovisioned) => Err(Refused::NotAllowed),
        (Operation::ResetFactors, _) => {
            user.last_updated = now;
            Ok(())
        }
    }
}

/// Statuses in which a user may sign in with a password (PASSWORD_EXPIRED signs in only to change it).
pub fn can_sign_in(status: UserStatus) -> bool {
    matches!(status, UserStatus::Active | UserStatus::PasswordExpired)
}

/// Statuses in which a user may reset a forgotten password with an emailed link: those who have a password to
/// replace (a lockout too: a reset unlocks). Not STAGED or PROVISIONED (they activate instead), nor SUSPENDED or
/// DEPROVISIONED. An administrator's reset of a PROVISIONED user puts it in RECOVERY, where it may.
pub fn can_recover(status: UserStatus) -> bool {
    matches!(
        status,
        UserStatus::Active
            | UserStatus::PasswordExpired
            | UserStatus::LockedOut
            | UserStatus::Recovery
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    fn user(status: UserStatus) -> User {
        let t = Utc::now();
        User {
            id: "00u1".into(),
            status,
            login: "a@example.com".into(),
            profile: Default::default(),
            created: t,
            activated: None,
            status_changed: None,
            last_login: None,
            last_updated: t,
            password_changed: None,
        }
    }

    #[test]
    fn new_users_start_where_okta_puts_them() {
        assert_eq!(initial_status(false, true, false), UserStatus::Staged);
        assert_eq!(initial_status(true, false, false), UserStatus::Provisioned);
        assert_eq!(initial_status(true, true, false), UserStatus::Active);
        assert_eq!(
            initial_status(true, true, true),
            UserStatus::PasswordExpired
        );
    }

    #[test]
    fn every_transition_and_refusal() {
        let now = Utc::now() + Duration::seconds(5);
        let mut u = user(UserStatus::Staged);
        apply(&mut u, Operation::Activate, true, now).unwrap();
        assert_eq!(
            (u.status, u.activated, u.status_changed),
            (UserStatus::Active, Some(now), Some(now))
        );
        assert_eq!(
            apply(&mut u, Operation::Activate, true, now).unwrap_err(),
            Refused::AlreadyActive
        );
        apply(&mut u, Operation::Suspend, true, now).unwrap();
        assert_eq!(u.status, UserStatus::Suspended);
        assert!(apply(&mut u, Operation::Suspend, true, now).is_err());
        apply(&mut u, Operation::Unsuspend, true, now).unwrap();
        assert_eq!(u.status, UserStatus::Active);
        assert_eq!(
            apply(&mut u, Operation::Unlock, true, now).unwrap_err(),
            Refused::NotLockedOut
        );
        apply(&mut u, Operation::ExpirePassword, true, now).unwrap();
        assert_eq!(u.status, UserStatus::PasswordExpired);
        apply(&mut u, Operation::Deactivate, true, now).unwrap();
        assert_eq!(u.status, UserStatus::Deprovisioned);
        apply(&mut u, Operation::Deactivate, true, now).unwrap();
        apply(&mut u, Operation::Activate, false, now).unwrap();
        assert_eq!(u.status, UserStatus::Provisioned);
        apply(&mut u, Operation::Reactivate, false, now).unwrap();
        assert!(apply(&mut u, Operation::ExpirePassword, false, now).is_err());
        let mut locked = user(UserStatus::LockedOut);
        apply(&mut locked, Operation::Unlock, true, now).unwrap();
        assert_eq!(locked.status, UserStatus::Active);
        assert!(
            apply(
                &mut user(UserStatus::Active),
                Operation::Reactivate,
                true,
                now
            )
            .is_err()
        );
    }

    #[test]
    fn reset_password_puts_users_with_a_password_to_set_in_recovery() {
        let now = Utc::now() + Duration::seconds(5);
        assert_eq!(
            Operation::parse("reset_password"),
            Some(Operation::ResetPassword)
        );
        assert_eq!(
            Operation::ResetPassword.event().0,
            "user.account.reset_password"
        );
        for from in [
            UserStatus::Active,
            UserStatus::PasswordExpired,
            UserStatus::LockedOut,
            UserStatus::Recovery,
            UserStatus::Provisioned,
        ] {
            let mut u = user(from);
            apply(&mut u, Operation::ResetPassword, true, now).unwrap();
            assert_eq!(u.status, UserStatus::Recovery, "from {from:?}");
            assert_eq!(u.last_updated, now);
            if from != UserStatus::Recovery {
                assert_eq!(u.status_changed, Some(now));
            }
        }
        for from in [
            UserStatus::Staged,
            UserStatus::Suspended,
            UserStatus::Deprovisioned,
        ] {
            let mut u = user(from);
            let refused = apply(&mut u, Operation::ResetPassword, true, now).unwrap_err();
            assert_eq!(refused, Refused::NotAllowed, "from {from:?}");
            assert_eq!(u.status, from, "unchanged");
        }
    }

    #[test]
    fn users_with_a_password_may_recover_it() {
        for s in [
            UserStatus::Active,
            UserStatus::PasswordExpired,
            UserStatus::LockedOut,
            UserStatus::Recovery,
        ] {
            assert!(can_recover(s), "{s:?}");
        }
        for s in [
            UserStatus::Staged,
            UserStatus::Provisioned,
            UserStatus::Suspended,
            UserStatus::Deprovisioned,
        ] {
            assert!(!can_recover(s), "{s:?}");
        }
    }

    #[test]
    fn only_active_and_expired_users_sign_in() {
        assert!(can_sign_in(UserStatus::Active));
        assert!(can_sign_in(UserStatus::PasswordExpired));
        for s in [
            UserStatus::Staged,
            UserStatus::Provisioned,
            UserStatus::Suspended,
            UserStatus::LockedOut,
            UserStatus::Deprovisioned,
        ] {
            assert!(!can_sign_in(s));
        }
    }
}
