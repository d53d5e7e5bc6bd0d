//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5): the code is single use — a second use
//! revokes everything the first produced (RFC 6749 §4.1.2) — and bound to its client, redirect URI and PKCE
//! challenge.

use crate::authz::ClaimTarget;
use crate::model::App;
use crate::model::{CodeRedemption, Grant, GrantType, RefreshToken};
use crate::oauth::grants::{
    GrantContext, TokenResponse, active_user, claims_for, storage, token_type, user_groups,
    with_cnf,
};
use crate::oauth::params::Params;
use crate::oauth::pkce;
use crate::oauth::policy::{Asker, ID_TOKEN_LIFETIME, decide};
use crate::oauth::tokens::{
    AccessTokenInput, IdTokenInput, hash_of, mint_access_token, mint_id_token, opaque,
};
use crate::oauth_error::{ErrorCode, OAuthError};

pub const PARAMS: &[&str] = &["grant_type", "code", "redirect_uri", "code_verifier"];

fn invalid(detail: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "The authorization code is invalid or has expired.",
    )
    .with_detail(detail.to_owned())
}

pub async fn exchange(
    ctx: &GrantContext<'_>,
    app: &App,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let value = params.require("code")?;
    let redirect_uri = params.require("redirect_uri")?;
    let code = match ctx
        .store
        .redeem_code(&hash_of(value), ctx.now)
        .await
        .map_err(storage)?
    {
        CodeRedemption::Redeemed(c) => c,
        CodeRedemption::Replayed(c) => {
            // RFC 6749 §4.1.2: revoke what the first use produced.
            ctx.store
                .revoke_grant(&c.grant_id, ctx.now)
                .await
                .map_err(storage)?;
            return Err(invalid("code replayed; its grant is revoked"));
        }
        CodeRedemption::Invalid => return Err(invalid("unknown or expired code")),
    };
    if code.client_id != app.client.client_id || code.auth_server_id != ctx.server.id {
        return Err(invalid("code issued to another client or server"));
    }
    if code.redirect_uri != redirect_uri {
        return Err(OAuthError::new(
            ErrorCode::InvalidGrant,
            "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
        ));
    }
    match (&code.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) if pkce::verify(verifier, challenge) => {}
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidGrant,
                "PKCE verification failed.",
            ));
        }
        (Some(_), None) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                "PKCE verification failed: the 'code_verifier' parameter is required.",
            ));
        }
        // A verifier for a code issued without a challenge: a downgrade attempt (RFC 9700 §2.1.1).
        (None, Some(_)) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidGrant,
                "PKCE verification failed: the authorization request had no code_challenge.",
            ));
        }
        (None, None) => {}
    }
    let user = active_user(ctx.store, &code.user_id).await?;
    let (group_ids, group_names) = user_groups(ctx, &user.id).await?;
    let decision = decide(
        ctx.server,
        ctx.rules,
        &Asker {
            client_id: &app.client.client_id,
            grant: GrantType::AuthorizationCode,
            user: Some((&user.id, &group_ids)),
        },
        &code.scopes,
    )?;
    let who = Some((&user, group_names.as_slice()));

    let refresh = (app.client.allows(GrantType::RefreshToken)
        && code.scopes.iter().any(|s| s == "offline_access"))
    .then(|| opaque(ctx.random));
    let grant = Grant {
        id: code.grant_id.clone(),
        auth_server_id: ctx.server.id.clone(),
        client_id: app.client.client_id.clone(),
        user_id: Some(user.id.clone()),
        scopes: code.scopes.clone(),
        session_id: code.session_id.clone(),
        auth_time: Some(code.auth_time),
        amr: code.amr.clone(),
        created: ctx.now,
        expires_at: ctx.now + decision.refresh_lifetime,
        revoked_at: None,
        dpop_jkt: ctx.dpop.map(|p| p.jkt.clone()),
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
            scopes: &code.scopes,
            grant_id: Some(&grant.id),
            lifetime: decision.access_token_lifetime,
            extra: with_cnf(
                ctx,
                claims_for(ctx, &code.scopes, ClaimTarget::AccessToken, who),
            ),
        },
    )?;
    let id_token = if code.scopes.iter().any(|s| s == "openid") {
        Some(mint_id_token(
            &ctx.issuer,
            ctx.now,
            ctx.random,
            IdTokenInput {
                client_id: &app.client.client_id,
                user: &user,
                scopes: &code.scopes,
                nonce: code.nonce.as_deref(),
                auth_time: Some(code.auth_time),
                amr: &code.amr,
                session_id: code.session_id.as_deref(),
                access_token: Some(&access.token),
                code: None,
                lifetime: ID_TOKEN_LIFETIME,
                extra: claims_for(
                    ctx,
                    &code.scopes,
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
        token_type: token_type(ctx),
        expires_in: decision.access_token_lifetime.num_seconds(),
        access_token: access.token,
        scope: code.scopes.join(" "),
        refresh_token: refresh.map(|r| r.value),
        id_token,
        issued_token_type: None,
    })
}
