//! `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client on its own behalf; `sub` is the client
//! id; no refresh token. On the org server, Okta's `okta.*` scopes for the management API go to `private_key_jwt`
//! clients an administrator granted them to ([`crate::okta_scopes`]).

use crate::authz::ClaimTarget;
use crate::model::{App, AuthServerKind, AuthorizationServer, GrantType};
use crate::oauth::grants::{
    GrantContext, TokenResponse, claims_for, storage, token_type, with_cnf,
};
use crate::oauth::params::Params;
use crate::oauth::policy::{Asker, Decision, ServerRules, decide, default_decision};
use crate::oauth::tokens::{AccessTokenInput, mint_access_token};
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::okta_scopes;
use crate::store::ScopeGrantStore;

pub const PARAMS: &[&str] = &["grant_type", "scope"];

/// What a client credentials request for `requested` is granted: a confidential client only; the org server grants
/// the Okta management scopes the app was granted, else the server's policies decide.
pub async fn decision(
    store: &(impl ScopeGrantStore + ?Sized),
    server: &AuthorizationServer,
    rules: &ServerRules,
    app: &App,
    requested: &[String],
) -> Result<Decision, OAuthError> {
    if app.client.is_public() {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "Public clients cannot use the client_credentials grant.",
        ));
    }
    if server.kind == AuthServerKind::Org
        && requested
            .iter()
            .any(|s| okta_scopes::is_management_scope(s))
    {
        let grants = store.scope_grants(&app.id).await.map_err(storage)?;
        return Ok(default_decision(okta_scopes::grant_management_scopes(
            app, requested, &grants,
        )?));
    }
    decide(
        server,
        rules,
        &Asker {
            client_id: &app.client.client_id,
            grant: GrantType::ClientCredentials,
            user: None,
        },
        requested,
    )
}

pub async fn exchange(
    ctx: &GrantContext<'_>,
    app: &App,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let requested = params.list("scope");
    let decision = decision(ctx.store, ctx.server, ctx.rules, app, &requested).await?;
    let access = mint_access_token(
        &ctx.issuer,
        ctx.now,
        ctx.random,
        AccessTokenInput {
            client_id: &app.client.client_id,
            user: None,
            scopes: &decision.scopes,
            grant_id: None,
            lifetime: decision.access_token_lifetime,
            extra: with_cnf(
                ctx,
                claims_for(ctx, app, &decision.scopes, ClaimTarget::AccessToken, None),
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
        issued_token_type: None,
    })
}
