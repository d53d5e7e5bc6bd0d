//! The token endpoint's grants, one file each. Each declares the parameters it reads (its whitelist); the rest of
//! a request is ignored (RFC 6749 §3.2).

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod refresh_token;

use serde::Serialize;

use crate::authz::{ClaimSubject, ClaimTarget, custom_claims};
use crate::clock::Timestamp;
use crate::model::{
    App, AuthServerKind, AuthorizationServer, Grant, GrantType, PageRequest, RefreshToken, User,
    UserStatus,
};
use crate::oauth::params::Params;
use crate::oauth::policy::{Asker, ID_TOKEN_LIFETIME, ServerRules, decide};
use crate::oauth::tokens::{
    AccessTokenInput, IdTokenInput, Issuer, mint_access_token, mint_id_token, opaque,
};
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
}

/// The grants the token endpoint serves, and their whitelists.
pub fn grant_type(params: &Params) -> Result<GrantType, OAuthError> {
    let name = params.require("grant_type")?;
    match GrantType::parse(name) {
        Some(
            g @ (GrantType::AuthorizationCode
            | GrantType::RefreshToken
            | GrantType::ClientCredentials
            | GrantType::DeviceCode),
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
        GrantType::DeviceCode => {
            device_code::exchange(ctx, app, &params.only(device_code::PARAMS)).await
        }
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "The authorization grant type is not supported by the authorization server.",
        )),
    }
}

/// A user's authorization of a client, as a redeemed authorization code or an approved device code carries it.
pub struct UserAuthorization<'a> {
    /// The id of the grant (the family of tokens) to create.
    pub grant_id: &'a str,
    /// The grant type the server's policy is evaluated for.
    pub grant: GrantType,
    pub user_id: &'a str,
    pub scopes: &'a [String],
    pub nonce: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub auth_time: Timestamp,
    pub amr: &'a [String],
}

/// The tokens of a user's authorization: the policy is evaluated again for the user (who must still be allowed to
/// sign in); the grant is stored with its first refresh token (with `offline_access`, when the client may refresh);
/// an access token, and an ID token with `openid`.
pub async fn issue_user_tokens(
    ctx: &GrantContext<'_>,
    app: &App,
    a: &UserAuthorization<'_>,
) -> Result<TokenResponse, OAuthError> {
    let user = active_user(ctx.store, a.user_id).await?;
    let (group_ids, group_names) = user_groups(ctx, &user.id).await?;
    let decision = decide(
        ctx.server,
        ctx.rules,
        &Asker {
            client_id: &app.client.client_id,
            grant: a.grant,
            user: Some((&user.id, &group_ids)),
        },
        a.scopes,
    )?;
    let who = Some((&user, group_names.as_slice()));

    let refresh = (app.client.allows(GrantType::RefreshToken)
        && a.scopes.iter().any(|s| s == "offline_access"))
    .then(|| opaque(ctx.random));
    let grant = Grant {
        id: a.grant_id.to_owned(),
        auth_server_id: ctx.server.id.clone(),
        client_id: app.client.client_id.clone(),
        user_id: Some(user.id.clone()),
        scopes: a.scopes.to_vec(),
        session_id: a.session_id.map(str::to_owned),
        auth_time: Some(a.auth_time),
        amr: a.amr.to_vec(),
        created: ctx.now,
        expires_at: ctx.now + decision.refresh_lifetime,
        revoked_at: None,
    };
    let refresh_record = refresh.as_ref().map(|r| RefreshToken {
        hash: r.hash,
        grant_id: grant.id.clone(),
        created: ctx.now,
        expires_at: (ctx.now + decision.refresh_window).min(grant.expires_at),
        rotated_at: None,
    });
    ctx.store
        .insert_grant(&grant, refresh_record.as_ref())
        .await
        .map_err(storage)?;

    let access = mint_access_token(
        &ctx.issuer,
        ctx.now,
        ctx.random,
        AccessTokenInput {
            client_id: &app.client.client_id,
            user: Some(&user),
            scopes: a.scopes,
            grant_id: Some(&grant.id),
            lifetime: decision.access_token_lifetime,
            extra: claims_for(ctx, a.scopes, ClaimTarget::AccessToken, who),
        },
    )?;
    let id_token = if a.scopes.iter().any(|s| s == "openid") {
        Some(mint_id_token(
            &ctx.issuer,
            ctx.now,
            ctx.random,
            IdTokenInput {
                client_id: &app.client.client_id,
                user: &user,
                scopes: a.scopes,
                nonce: a.nonce,
                auth_time: Some(a.auth_time),
                amr: a.amr,
                session_id: a.session_id,
                access_token: Some(&access.token),
                code: None,
                lifetime: ID_TOKEN_LIFETIME,
                extra: claims_for(
                    ctx,
                    a.scopes,
                    ClaimTarget::IdToken {
                        with_access_token: true,
                    },
                    who,
                ),
            },
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        token_type: "Bearer",
        expires_in: decision.access_token_lifetime.num_seconds(),
        access_token: access.token,
        scope: a.scopes.join(" "),
        refresh_token: refresh.map(|r| r.value),
        id_token,
    })
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
