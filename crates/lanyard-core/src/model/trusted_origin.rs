//! Okta's Trusted Origins: web origins an administrator allows to call Lanyard from a browser (`CORS`) and to be
//! sent back to after a sign-in or sign-out redirect (`REDIRECT`).

use crate::clock::Timestamp;
use crate::model::LifecycleStatus;

/// A trusted origin. `origin` is normalised (`scheme://host[:port]`, lower case, default port omitted) and
/// unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedOrigin {
    pub id: String,
    pub name: String,
    pub origin: String,
    /// Browsers on this origin may call the OAuth endpoints and the Authn API (CORS).
    pub cors: bool,
    /// Redirects after sign-in and sign-out (`redirectUrl`, `fromURI`) may go to this origin.
    pub redirect: bool,
    pub status: LifecycleStatus,
    pub created: Timestamp,
    /// Who created it: the API token's user, else the token's id.
    pub created_by: String,
    pub last_updated: Timestamp,
    pub last_updated_by: String,
}
