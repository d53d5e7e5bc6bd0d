//! What an authorization server grants a request: the scopes and the token lifetimes. A custom server resolves the
//! requested scopes against its own ([`crate::authz::resolve_scopes`]) and evaluates its access policies
//! ([`crate::authz::evaluate`]); the org server knows the standard OpenID Connect scopes and grants Okta's default
//! lifetimes (it has no configurable policies, as in Okta).

use chrono::Duration;

use crate::authz::{self, AccessRequest, RequestUser};
use crate::discovery::{ORG_SCOPES, STANDARD_SCOPES};
use crate::model::{AuthServerKind, AuthorizationServer, Claim, GrantType, Scope};
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::store::{ClaimStore, PolicyStore, ScopeStore, StoreResult};

/// A server's scopes, claims and access policies, as loaded (and cached) by the caller. Empty for the org server.
#[derive(Debug, Clone, Default)]
pub struct ServerRules {
    pub scopes: Vec<Scope>,
    pub claims: Vec<Claim>,
    /// The access policies, compiled once per load ([`authz::CompiledPolicies::new`]).
    pub policies: authz::CompiledPolicies,
}

impl ServerRules {
    /// A server's rules as the token endpoint evaluates them: a custom server's scopes, claims and compiled access
    /// policies; nothing for the org server.
    pub async fn load<S>(store: &S, server: &AuthorizationServer) -> StoreResult<Self>
    where
        S: ScopeStore + ClaimStore + PolicyStore + ?Sized,
    {
        let mut rules = ServerRules::default();
        if server.kind == AuthServerKind::Custom {
            let id = &server.id;
            rules.scopes = store.scopes(id).await?;
            rules.claims = store.claims(id).await?;
            rules.policies = authz::CompiledPolicies::new(&authz::load_policies(store, id).await?);
        }
        Ok(rules)
    }
}

/// What a request is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub scopes: Vec<String>,
    pub access_token_lifetime: Duration,
    /// How long a refresh token works unused.
    pub refresh_window: Duration,
    /// The absolute end of a grant's refresh tokens.
    pub refresh_lifetime: Duration,
    /// Granted scopes whose consent is not IMPLICIT.
    pub consent: Vec<String>,
    /// The ids of the access policy and of its rule that granted it (none for the org server, which has no
    /// policies).
    pub matched: Option<(String, String)>,
}

/// The longest a grant lives, even when the policy says "unlimited": five years, Okta's maximum.
pub const MAX_GRANT_LIFETIME: Duration = Duration::days(5 * 365);

/// Okta's defaults: one-hour access tokens, refresh tokens used at least weekly.
pub fn default_decision(scopes: Vec<String>) -> Decision {
    Decision {
        scopes,
        access_token_lifetime: Duration::hours(1),
        refresh_window: Duration::days(7),
        refresh_lifetime: MAX_GRANT_LIFETIME,
        consent: Vec::new(),
        matched: None,
    }
}

pub const ID_TOKEN_LIFETIME: Duration = Duration::hours(1);

/// Who asks, for [`decide`].
pub struct Asker<'a> {
    pub client_id: &'a str,
    /// The grant type the policy is evaluated for (for a refresh: the one that issued the refresh token).
    pub grant: GrantType,
    /// The user and the ids of their groups (`Everyone` included); `None` for client credentials.
    pub user: Option<(&'a str, &'a [String])>,
}

fn policy_grant(g: GrantType) -> Option<authz::GrantType> {
    Some(match g {
        GrantType::AuthorizationCode => authz::GrantType::AuthorizationCode,
        GrantType::ClientCredentials => authz::GrantType::ClientCredentials,
        GrantType::Implicit => authz::GrantType::Implicit,
        GrantType::Password => authz::GrantType::Password,
        GrantType::DeviceCode => authz::GrantType::DeviceCode,
        GrantType::TokenExchange => authz::GrantType::TokenExchange,
        GrantType::RefreshToken => return None,
    })
}

/// Decides the scopes and lifetimes of a request. `requested` is empty when the request named none.
pub fn decide(
    server: &AuthorizationServer,
    rules: &ServerRules,
    asker: &Asker<'_>,
    requested: &[String],
) -> Result<Decision, OAuthError> {
    if asker.grant == GrantType::ClientCredentials
        && let Some(s) = requested
            .iter()
            .find(|s| STANDARD_SCOPES.contains(&s.as_str()))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("The scope '{s}' cannot be granted to a client on its own behalf."),
        ));
    }
    if server.kind == AuthServerKind::Org {
        if requested.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
            ));
        }
        if let Some(s) = requested.iter().find(|s| !ORG_SCOPES.contains(&s.as_str())) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "One or more scopes are not configured for the authorization server resource.",
            )
            .with_detail(format!("unknown scope {s}")));
        }
        return Ok(default_decision(requested.to_vec()));
    }
    let resolved = authz::resolve_scopes(requested, &rules.scopes)?;
    let grant_type = policy_grant(asker.grant).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::ServerError,
            "The request could not be evaluated.",
        )
        .with_detail("refresh_token is evaluated with the original grant type")
    })?;
    let granted = rules.policies.evaluate(&AccessRequest {
        client_id: asker.client_id,
        grant_type,
        user: asker
            .user
            .map(|(id, group_ids)| RequestUser { id, group_ids }),
        scopes: &resolved.scopes,
    })?;
    let l = &granted.lifetimes;
    Ok(Decision {
        scopes: granted.scopes,
        access_token_lifetime: l.access_token(),
        refresh_window: l.refresh_token_window(),
        refresh_lifetime: l
            .refresh_token()
            .unwrap_or(MAX_GRANT_LIFETIME)
            .min(MAX_GRANT_LIFETIME),
        consent: resolved.consent,
        matched: Some((granted.policy_id, granted.rule_id)),
    })
}
