//! What the administrative operations share: the system log event a change causes, and why a change did not happen
//! ([`Refused`]). The API edge maps a refusal to Okta's error codes; nothing here knows them.

use crate::authz::Invalid;
use crate::keys::KeyError;
use crate::store::StoreError;

/// A system log event: its type and message, as Okta names them.
pub type Event = (&'static str, &'static str);

/// What an operation looked for and did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    AuthorizationServer,
    Scope,
    Claim,
    /// An access policy or a sign-on policy.
    Policy,
    /// A rule of either.
    PolicyRule,
}

/// Why an administrative change did not happen.
#[derive(Debug)]
pub enum Refused {
    /// No such object (its kind and the id asked for).
    NotFound(Resource, String),
    /// The body is not valid, or the change breaks a rule about one of its fields (a name taken, a system scope
    /// renamed): a cause per problem.
    Invalid(Invalid),
    /// The object cannot undergo this (a system scope deleted, the Default Policy deactivated): why.
    Forbidden(&'static str),
    /// Making an authorization server's signing keys failed.
    Keys(KeyError),
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Refused::Store(e)
    }
}

impl From<Invalid> for Refused {
    fn from(e: Invalid) -> Self {
        Refused::Invalid(e)
    }
}

impl From<KeyError> for Refused {
    fn from(e: KeyError) -> Self {
        Refused::Keys(e)
    }
}

impl Refused {
    pub(crate) fn not_found(what: Resource, id: &str) -> Self {
        Refused::NotFound(what, id.to_owned())
    }
}

/// A taken name reads as a cause on `name`; any other store error as itself.
pub(crate) fn name_taken_or(e: StoreError, message: &str) -> Refused {
    match e {
        StoreError::Conflict(_) => Refused::Invalid(Invalid::one("name", message)),
        e => Refused::Store(e),
    }
}
