//! `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693), on behalf of a user along a chain of
//! services, as Okta offers it: a client allowed the grant presents a user's access token issued by this server
//! (`subject_token`, of type `access_token`) and names this server's audience; it gets an access token for the same
//! user, for itself (`cid`), with the scopes the server's policies allow it for the token-exchange grant. The new
//! token belongs to the subject token's grant: revoking that family ends it too.

use serde_json::Value;

use crate::authz::ClaimTarget;
use crate::model::{App, GrantType};
use crate::oauth::grants::{
    GrantContext, TokenResponse, active_user, claims_for, storage, token_type, user_groups,
    with_cnf,
};
use crate::oauth::introspection::{NotRemembered, OwnServer, verified_access_token};
use crate::oauth::params::Params;
use crate::oauth::policy::{Asker, decide};
use crate::oauth::tokens::{AccessTokenInput, grant_of_jti, mint_access_token};
use crate::oauth_error::{ErrorCode, OAuthError};

pub const PARAMS: &[&str] = &[
    "grant_type",
    "subject_token",
    "subject_token_type",
    "audience",
    "scope",
    "requested_token_type",
    "actor_token",
];

pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

fn invalid(detail: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "The subject token is invalid, expired or revoked.",
    )
    .with_detail(detail.to_owned())
}

pub async fn exchange(
    ctx: &GrantContext<'_>,
    app: &App,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    if params.require("subject_token_type")? != ACCESS_TOKEN_TYPE {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "Only access tokens can be exchanged (subject_token_type).",
        ));
    }
    if params
        .get("requested_token_type")
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "Only access tokens can be requested (requested_token_type).",
        ));
    }
    if params.get("actor_token").is_some() {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "Actor tokens are not supported.",
        ));
    }
    let audience = params.require("audience")?;
    if !ctx.issuer.audiences.iter().any(|a| a == audience) {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "The audience is not this authorization server's.",
        ));
    }
    let own = OwnServer {
        id: &ctx.server.id,
        issuer: ctx.issuer.issuer,
        keys: ctx.public_keys,
        verified: &NotRemembered,
    };
    let subject = params.require("subject_token")?;
    let claims = verified_access_token(&own, subject, ctx.now)
        .ok_or_else(|| invalid("not an unexpired access token of this server"))?;
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let grant_id = grant_of_jti(jti);
    if ctx
        .store
        .access_token_revoked(jti, grant_id)
        .await
        .map_err(storage)?
    {
        return Err(invalid("subject token revoked"));
    }
    let uid = claims
        .get("uid")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("a client's own token has no user to act for"))?;
    let user = active_user(ctx.store, uid).await?;
    let (group_ids, group_names) = user_groups(ctx, app, &user.id).await?;
    let requested = params.list("scope");
    if requested.is_empty() {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "The 'scope' parameter is required for a token exchange.",
        ));
    }
    let decision = decide(
        ctx.server,
        ctx.rules,
        &Asker {
            client_id: &app.client.client_id,
            grant: GrantType::TokenExchange,
            user: Some((&user.id, &group_ids)),
        },
        &requested,
    )?;
    let who = Some((&user, group_names.as_slice()));
    let access = mint_access_token(
        &ctx.issuer,
        ctx.now,
        ctx.random,
        AccessTokenInput {
            client_id: &app.client.client_id,
            user: Some(&user),
            scopes: &decision.scopes,
            grant_id,
            lifetime: decision.access_token_lifetime,
            extra: with_cnf(
                ctx,
                claims_for(ctx, app, &decision.scopes, ClaimTarget::AccessToken, who),
            ),
        },
    )?;
    Ok(TokenResponse {
        token_type: token_type(ctx),
        expires_in: decision.access_token_lifetime.num_seconds(),
        access_token: access.token,
        scope: decision.scopes.join(" "),
        refresh_token: None,
        id_token: None,
        issued_token_type: Some(ACCESS_TOKEN_TYPE),
    })
}
