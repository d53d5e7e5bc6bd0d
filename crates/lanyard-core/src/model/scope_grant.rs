//! Okta's scope consent grants (`/api/v1/apps/{appId}/grants`): an administrator allows a service app to ask the
//! org authorization server for one `okta.*` scope.

use crate::clock::Timestamp;

/// One `okta.*` scope granted to an app (source `ADMIN`, status `ACTIVE`: the only ones Lanyard has). Each scope at
/// most once per app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeGrant {
    /// `oag…`.
    pub id: String,
    pub app_id: String,
    /// The scope's name, `okta.users.read`.
    pub scope_id: String,
    /// The authorization server the scope is granted on: the org's, its issuer (the base URL).
    pub issuer: String,
    pub created: Timestamp,
    /// Who granted it: the API token's user, else the token's id.
    pub created_by: String,
}
