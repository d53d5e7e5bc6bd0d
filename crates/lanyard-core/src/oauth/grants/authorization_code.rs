//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5): the code is single use — a second use
//! revokes everything the first produced (RFC 6749 §4.1.2) — and bound to its client, redirect URI and PKCE
//! challenge.

use crate::model::{App, CodeRedemption, GrantType};
use crate::oauth::grants::{
    GrantContext, TokenResponse, UserAuthorization, issue_user_tokens, storage,
};
use crate::oauth::params::Params;
use crate::oauth::pkce;
use crate::oauth::tokens::hash_of;
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
    issue_user_tokens(
        ctx,
        app,
        &UserAuthorization {
            grant_id: &code.grant_id,
            grant: GrantType::AuthorizationCode,
            user_id: &code.user_id,
            scopes: &code.scopes,
            nonce: code.nonce.as_deref(),
            session_id: code.session_id.as_deref(),
            auth_time: code.auth_time,
            amr: &code.amr,
            claims: code.claims.as_ref(),
            acr: code.acr.as_deref(),
        },
    )
    .await
}
