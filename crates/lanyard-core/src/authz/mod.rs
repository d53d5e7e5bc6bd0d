//! What a custom authorization server's configuration means: validation of servers, scopes, claims, access
//! policies and rules as the management API receives them (Okta's shapes, causes naming the field), and the pure
//! functions the token endpoint calls —
//!
//! 1. [`scopes::resolve_scopes`]: the requested scopes against the server's (unknown → `invalid_scope`, none →
//!    the server's default scopes), and which of them may need the user's consent;
//! 2. [`policy::evaluate`]: the server's ACTIVE policies by priority, the first whose clients match and that holds
//!    an ACTIVE rule (by priority) matching the grant type, the user and every requested scope → a [`policy::Grant`]
//!    (scopes and token lifetimes); none → `access_denied`;
//! 3. [`claims::custom_claims`]: the custom claims a token carries for the granted scopes.
//!
//! Nothing here touches HTTP or SQL.

pub mod claims;
pub mod fields;
pub mod policy;
pub mod priority;
pub mod scopes;
pub mod servers;

pub use claims::{ClaimSubject, ClaimTarget, custom_claims};
pub use fields::{Cause, Invalid};
pub use policy::{AccessRequest, Grant, GrantType, RequestUser, TokenLifetimes, evaluate};
pub use scopes::{ResolvedScopes, resolve_scopes};
