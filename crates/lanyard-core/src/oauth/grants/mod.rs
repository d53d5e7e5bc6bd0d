//! The token endpoint's grants, one file each. Each declares the parameters it reads (its whitelist); the rest of
//! a request is ignored (RFC 6749 §3.2).

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;
pub mod token_exchange;

use serde::Serialize;

use crate::authz::{ClaimSubject, ClaimTarget, custom_claims};
use crate::clock::Timestamp;
use crate::model::{
    App, AuthServerKind, AuthorizationServer, GrantType, PageRequest, User, UserStatus,
};
use crate::oauth::dpop::Proof;
use crate::oauth::params::Params;
use crate::oauth::policy::ServerRules;
use crate::oauth::tokens::Issuer;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::Random;
use crate::store::{Store, StoreError};

/// What a grant needs from the world.
pub struct GrantContext<'a> {
    pub store: &'a dyn Store,
    pub now: Timestamp,
    pub random: &'a dyn Random,
    pub server: &'a AuthorizationServer,
    /// The server's scopes, claims and policies (empty for the org server).
    pub rules: &'a ServerRules,
    pub issuer: Issuer<'a>,
    /// Every public key the server publishes (to verify its own tokens).
    pub public_keys: &'a [crate::crypto::Jwk],
    /// The request's checked DPoP proof, if it sent one.
    pub dpop: Option<&'a Proof>,
}

/// A successful token response (RFC 6749 §5.1; OIDC Core §3.1.3.3). Never carries `state`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub token_type: &'static str,
    pub expires_in: i64,
    pub access_token: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// RFC 8693's `issued_token_type`, for token exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// The grants the token endpoint serves, and their whitelists.
pub fn grant_type(params: &Params) -> Result<GrantType, OAuthError> {
    let name = params.require("grant_type")?;
    match GrantType::parse(name) {
        Some(
            g @ (GrantType::AuthorizationCode
            | GrantType::RefreshToken
            | GrantType::ClientCredentials
            | GrantType::TokenExchange),
        ) => Ok(g),
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!(
                "The authorization grant type '{name}' is not supported by the authorization server."
            ),
        )),
    }
}

/// Runs the request's grant for the authenticated client `app`.
pub async fn exchange(
    ctx: &GrantContext<'_>,
    app: &App,
    grant: GrantType,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    require_dpop_if_configured(ctx, app)?;
    if !app.client.allows(grant) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "The client is not authorized to use the provided grant type.",
        )
        .with_detail(format!("{} not in the app's grant types", grant.as_str())));
    }
    match grant {
        GrantType::AuthorizationCode => {
            authorization_code::exchange(ctx, app, &params.only(authorization_code::PARAMS)).await
        }
        GrantType::RefreshToken => {
            refresh_token::exchange(ctx, app, &params.only(refresh_token::PARAMS)).await
        }
        GrantType::ClientCredentials => {
            client_credentials::exchange(ctx, app, &params.only(client_credentials::PARAMS)).await
        }
        GrantType::TokenExchange => {
            token_exchange::exchange(ctx, app, &params.only(token_exchange::PARAMS)).await
        }
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "The authorization grant type is not supported by the authorization server.",
        )),
    }
}

/// A storage failure as the client sees it.
pub fn storage(e: StoreError) -> OAuthError {
    let code = match e {
        StoreError::Unavailable(_) => ErrorCode::TemporarilyUnavailable,
        _ => ErrorCode::ServerError,
    };
    OAuthError::new(
        code,
        "The authorization server could not complete the request.",
    )
    .with_detail(e.to_string())
}

/// The user a grant is for, if they may still get tokens.
pub async fn active_user(store: &dyn Store, user_id: &str) -> Result<User, OAuthError> {
    match store.user(user_id).await.map_err(storage)? {
        Some(u) if matches!(u.status, UserStatus::Active | UserStatus::PasswordExpired) => Ok(u),
        _ => Err(OAuthError::new(
            ErrorCode::InvalidGrant,
            "The user is no longer allowed to sign in.",
        )),
    }
}

/// The ids and names of a user's groups (`Everyone` included), which a custom server's policies and group claims
/// read; nothing for the org server.
pub async fn user_groups(
    ctx: &GrantContext<'_>,
    user_id: &str,
) -> Result<(Vec<String>, Vec<String>), OAuthError> {
    if ctx.server.kind == AuthServerKind::Org {
        return Ok((Vec::new(), Vec::new()));
    }
    let page = ctx
        .store
        .user_groups(user_id, &PageRequest::first(10_000))
        .await
        .map_err(storage)?;
    Ok(page.items.into_iter().map(|g| (g.id, g.name)).unzip())
}

/// The custom claims of the server for `target`, about `user` (none for client credentials).
pub fn claims_for(
    ctx: &GrantContext<'_>,
    scopes: &[String],
    target: ClaimTarget,
    user: Option<(&User, &[String])>,
) -> serde_json::Map<String, serde_json::Value> {
    if ctx.rules.claims.is_empty() {
        return serde_json::Map::new();
    }
    let profile = user.map(|(u, _)| serde_json::Value::Object(u.profile.clone()));
    let subject = match (user, profile.as_ref()) {
        (Some((u, names)), Some(profile)) => Some(ClaimSubject {
            id: &u.id,
            login: &u.login,
            status: u.status.as_str(),
            profile,
            group_names: names,
        }),
        _ => None,
    };
    custom_claims(&ctx.rules.claims, scopes, target, subject.as_ref())
}

/// `Bearer`, or `DPoP` when the request proved possession of a key.
pub fn token_type(ctx: &GrantContext<'_>) -> &'static str {
    if ctx.dpop.is_some() { "DPoP" } else { "Bearer" }
}

/// The access token's custom claims plus `cnf.jkt` for a DPoP-bound token.
pub fn with_cnf(
    ctx: &GrantContext<'_>,
    mut claims: serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    if let Some(p) = ctx.dpop {
        claims.insert("cnf".into(), serde_json::json!({ "jkt": p.jkt }));
    }
    claims
}

/// Refuses a token request without a DPoP proof from an app that requires DPoP-bound tokens.
pub fn require_dpop_if_configured(ctx: &GrantContext<'_>, app: &App) -> Result<(), OAuthError> {
    if app.client.dpop_bound_access_tokens && ctx.dpop.is_none() {
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "The client requires DPoP-bound access tokens: the DPoP header is missing.",
        ));
    }
    Ok(())
}
