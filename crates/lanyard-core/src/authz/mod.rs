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

pub mod admin;
pub mod claims;
pub mod fields;
pub mod policy;
pub mod priority;
pub mod scopes;
pub mod servers;

pub use claims::{ClaimSubject, ClaimTarget, app_claims, app_claims_need_groups, custom_claims};
pub use fields::{Cause, Invalid};
pub use policy::{
    AccessRequest, CompiledPolicies, Grant, GrantType, RequestUser, TokenLifetimes, evaluate,
};
pub use scopes::{ResolvedScopes, resolve_scopes};

use crate::model::{Policy, PolicyRule};
use crate::store::{PolicyStore, StoreResult};

/// The server's policies with their rules, as [`evaluate`] takes them: one read of the policies, one per policy for
/// its rules.
pub async fn load_policies<S: PolicyStore + ?Sized>(
    store: &S,
    auth_server_id: &str,
) -> StoreResult<Vec<(Policy, Vec<PolicyRule>)>> {
    let mut out = Vec::new();
    for p in store.policies(auth_server_id).await? {
        let rules = store.policy_rules(&p.id).await?;
        out.push((p, rules));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::bootstrap;
    use crate::clock::SystemClock;
    use crate::model::group::everyone_id;
    use crate::random::SystemRandom;
    use crate::store::ScopeStore;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn the_default_server_grants_every_client_a_default_rule_token() {
        let store = MemoryStore::new();
        bootstrap(&store, &SystemClock, &SystemRandom, "Acme")
            .await
            .unwrap();
        let scopes = store.scopes("default").await.unwrap();
        let resolved =
            resolve_scopes(&scopes::parse_scope_param("openid profile"), &scopes).unwrap();
        assert!(resolved.consent.is_empty());
        let policies = load_policies(&store, "default").await.unwrap();
        let groups = vec![everyone_id()];
        let req = AccessRequest {
            client_id: "0oaanyclient",
            grant_type: GrantType::AuthorizationCode,
            user: Some(RequestUser {
                id: "00uada",
                group_ids: &groups,
            }),
            scopes: &resolved.scopes,
        };
        let grant = evaluate(&policies, &req).unwrap();
        assert_eq!(grant.scopes, vec!["openid", "profile"]);
        assert_eq!(grant.lifetimes.access_token(), chrono::Duration::hours(1));
        assert_eq!(grant.lifetimes.refresh_token(), None);
        assert_eq!(
            grant.lifetimes.refresh_token_window(),
            chrono::Duration::days(7)
        );
        // No default scope on `default`: a client credentials request must name its scopes.
        assert_eq!(
            resolve_scopes(&[], &scopes).unwrap_err().code,
            crate::oauth_error::ErrorCode::InvalidScope
        );
    }
}
