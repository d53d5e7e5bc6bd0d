//! `grant_type=refresh_token` (RFC 6749 §6): every use rotates the token; presenting a rotated token again revokes
//! the whole grant (RFC 9700 §4.14.2). The scope may narrow, never widen. With `openid` a new ID token comes back
//! with the same `sub`, `aud`, `azp` and `auth_time`.

use crate::authz::ClaimTarget;
use crate::model::{App, RefreshRotation, RefreshToken};
use crate::oauth::grants::{
    GrantContext, TokenResponse, active_user, claims_for, storage, token_type, user_groups,
    with_cnf,
};
use crate::oauth::params::Params;
use crate::oauth::policy::{Asker, ID_TOKEN_LIFETIME, decide};
use crate::oauth::tokens::{
    AccessTokenInput, IdTokenInput, hash_of, mint_access_token, mint_id_token, opaque,
};
use crate::oauth_error::{ErrorCode, OAuthError};

pub const PARAMS: &[&str] = &["grant_type", "refresh_token", "scope"];

fn invalid(detail: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "The refresh token is invalid or expired.",
    )
    .with_detail(detail.to_owned())
}

pub async fn exchange(
    ctx: &GrantContext<'_>,
    app: &App,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let presented = hash_of(params.require("refresh_token")?);
    // Another client's token is refused without touching it.
    let Some((_, grant)) = ctx
        .store
        .refresh_token_grant(&presented)
        .await
        .map_err(storage)?
    else {
        return Err(invalid("unknown refresh token"));
    };
    if grant.client_id != app.client.client_id || grant.auth_server_id != ctx.server.id {
        return Err(invalid("refresh token of another client or server"));
    }
    // A family issued to a DPoP key refreshes only with proofs of that key (RFC 9449 §5).
    if let Some(jkt) = &grant.dpop_jkt
        && ctx.dpop.map(|p| &p.jkt) != Some(jkt)
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "The refresh token is bound to a DPoP key: a proof with that key is required.",
        ));
    }
    let requested = params.list("scope");
    if let Some(s) = requested.iter().find(|s| !grant.scopes.contains(s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "The requested scope is invalid, unknown, or malformed.",
        )
        .with_detail(format!("{s} was not granted")));
    }
    let scopes = if requested.is_empty() {
        grant.scopes.clone()
    } else {
        requested
    };
    // The user may have been deactivated, or the policy changed, since the grant: both are checked before the
    // token is rotated.
    let Some(user_id) = grant.user_id.clone() else {
        return Err(invalid("grant without a user"));
    };
    let user = match active_user(ctx.store, &user_id).await {
        Ok(u) => u,
        Err(e) => {
            ctx.store
                .revoke_grant(&grant.id, ctx.now)
                .await
                .map_err(storage)?;
            return Err(e);
        }
    };
    let (group_ids, group_names) = user_groups(ctx, app, &user.id).await?;
    let decision = decide(
        ctx.server,
        ctx.rules,
        &Asker {
            client_id: &app.client.client_id,
            grant: grant.origin,
            user: Some((&user.id, &group_ids)),
        },
        &scopes,
    )?;
    let who = Some((&user, group_names.as_slice()));
    let next = opaque(ctx.random);
    let record = RefreshToken {
        hash: next.hash,
        grant_id: grant.id.clone(),
        created: ctx.now,
        expires_at: (ctx.now + decision.refresh_window).min(grant.expires_at),
        rotated_at: None,
    };
    let grant = match ctx
        .store
        .rotate_refresh_token(&presented, &record, ctx.now)
        .await
        .map_err(storage)?
    {
        RefreshRotation::Rotated(g) => g,
        RefreshRotation::Replayed(g) => {
            ctx.store
                .revoke_grant(&g.id, ctx.now)
                .await
                .map_err(storage)?;
            return Err(invalid(
                "rotated refresh token replayed; its grant is revoked",
            ));
        }
        RefreshRotation::Invalid => return Err(invalid("expired token or revoked grant")),
    };
    let Some(user_id) = grant.user_id.as_deref() else {
        return Err(invalid("grant without a user"));
    };
    let user = match active_user(ctx.store, user_id).await {
        Ok(u) => u,
        Err(e) => {
            ctx.store
                .revoke_grant(&grant.id, ctx.now)
                .await
                .map_err(storage)?;
            return Err(e);
        }
    };
    let access = mint_access_token(
        &ctx.issuer,
        ctx.now,
        ctx.random,
        AccessTokenInput {
            client_id: &app.client.client_id,
            user: Some(&user),
            scopes: &scopes,
            grant_id: Some(&grant.id),
            lifetime: decision.access_token_lifetime,
            extra: with_cnf(
                ctx,
                claims_for(ctx, app, &scopes, ClaimTarget::AccessToken, who),
            ),
        },
    )?;
    let id_token = if scopes.iter().any(|s| s == "openid") {
        Some(mint_id_token(
            &ctx.issuer,
            ctx.now,
            ctx.random,
            IdTokenInput {
                client_id: &app.client.client_id,
                user: &user,
                scopes: &scopes,
                nonce: None,
                auth_time: grant.auth_time,
                amr: &grant.amr,
                session_id: grant.session_id.as_deref(),
                access_token: Some(&access.token),
                code: None,
                acr: grant.acr.as_deref(),
                claims: grant.claims.as_ref(),
                lifetime: ID_TOKEN_LIFETIME,
                extra: claims_for(
                    ctx,
                    app,
                    &scopes,
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
        scope: scopes.join(" "),
        refresh_token: Some(next.value),
        id_token,
        issued_token_type: None,
    })
}
