//! What an authorization server grants: the scopes a request may have and the token lifetimes. Today the org
//! server knows the standard OpenID Connect scopes and custom servers every scope they are asked for, with Okta's
//! default lifetimes; the authorization servers' scopes and access policies replace this in one place.

use chrono::Duration;

use crate::discovery::STANDARD_SCOPES;
use crate::model::{AuthServerKind, AuthorizationServer, GrantType};
use crate::oauth_error::{ErrorCode, OAuthError};

/// What a request is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub scopes: Vec<String>,
    pub access_token_lifetime: Duration,
    /// How long a refresh token works unused.
    pub refresh_window: Duration,
    /// The absolute end of a grant's refresh tokens.
    pub refresh_lifetime: Duration,
}

/// Okta's defaults: one-hour access tokens, refresh tokens used at least weekly, for at most five years.
pub fn default_decision(scopes: Vec<String>) -> Decision {
    Decision {
        scopes,
        access_token_lifetime: Duration::hours(1),
        refresh_window: Duration::days(7),
        refresh_lifetime: Duration::days(5 * 365),
    }
}

pub const ID_TOKEN_LIFETIME: Duration = Duration::hours(1);

/// Decides the scopes of a request. `requested` is empty when the request named none.
pub fn decide(
    server: &AuthorizationServer,
    grant: GrantType,
    requested: &[String],
) -> Result<Decision, OAuthError> {
    if grant == GrantType::ClientCredentials {
        if requested.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
            ));
        }
        if let Some(s) = requested
            .iter()
            .find(|s| STANDARD_SCOPES.contains(&s.as_str()))
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("The scope '{s}' cannot be granted to a client on its own behalf."),
            ));
        }
    }
    if server.kind == AuthServerKind::Org
        && let Some(s) = requested
            .iter()
            .find(|s| !STANDARD_SCOPES.contains(&s.as_str()))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "One or more scopes are not configured for the authorization server resource.",
        )
        .with_detail(format!("unknown scope {s}")));
    }
    Ok(default_decision(requested.to_vec()))
}
