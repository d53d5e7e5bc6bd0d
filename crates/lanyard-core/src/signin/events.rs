//! What a sign-in step did that the system log records — and, for a lockout, that the user is told. The core's
//! operations return these with their outcomes; the server writes the log events (with the client's address and
//! user agent) and sends the notice. Nothing secret is in them.

use super::policy::Decision;
use crate::model::User;

/// One thing a sign-in step did, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A failed username and password (`user.session.start`, failure `reason`: `INVALID_CREDENTIALS` or
    /// `LOCKED_OUT`); `user` is `None` for a login with no account, which the log names by `login`.
    LoginFailed {
        login: String,
        user: Option<Box<User>>,
        reason: &'static str,
    },
    /// The sign-on policy denied the sign-in (`user.session.start`, failure `SIGN_ON_POLICY_DENY`), naming the
    /// policy and rule that decided, if one did.
    Denied {
        user: Box<User>,
        decision: Option<Box<Decision>>,
    },
    /// A wrong second-factor answer (`user.authentication.auth_via_mfa`, failure `INVALID_CREDENTIALS`).
    MfaFailed(Box<User>),
    /// Failures locked the account (`user.account.lock`): the user gets the lockout notice.
    Locked(Box<User>),
    /// A factor enrolled during the sign-in was activated (`user.mfa.factor.activate`).
    FactorActivated(Box<User>),
    /// Signed in (`user.session.start`; `user.authentication.auth_via_mfa` when by a second factor).
    SignedIn { user: Box<User>, via_mfa: bool },
}

impl Event {
    pub(crate) fn signed_in(user: &User, via_mfa: bool) -> Self {
        Event::SignedIn {
            user: Box::new(user.clone()),
            via_mfa,
        }
    }
}
