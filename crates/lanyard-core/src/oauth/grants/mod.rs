//! The token endpoint's grants, one file each. Each declares the parameters it reads (its whitelist); the rest of
//! a request is ignored (RFC 6749 §3.2).

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod refresh_token;
pub mod token_exchange;

use serde::Serialize;

use crate::authz::{ClaimSubject, ClaimTarget, custom_claims};
use crate::clock::Timestamp;
use crate::model::{
    App, AuthServerKind, AuthorizationServer, Grant, GrantType, PageRequest, RefreshToken, User,
    UserStatus,
};
use crate::oauth::dpop::Proof;
use crate::oauth::params::Params;
use crate::oauth::policy::{Asker, ID_TOKEN_LIFETIME, ServerRules, decide};
use crate::oauth::tokens::{
    AccessTokenInput, IdTokenInput, Issuer, MintedAccessToken, half_hash, mint_access_token,
    mint_id_token, opaque,
};
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::Random;
use crate::store::{GroupStore, Store, StoreError, UserStore};

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
            | GrantType::TokenExchange
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
    require_dpop_if_configured(ctx, app)?;
    grant_allowed(app, grant)?;
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
        GrantType::DeviceCode => {
            device_code::exchange(ctx, app, &params.only(device_code::PARAMS)).await
        }
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "The authorization grant type is not supported by the authorization server.",
        )),
    }
}

/// Refuses a grant type the app may not use (`unauthorized_client`).
pub fn grant_allowed(app: &App, grant: GrantType) -> Result<(), OAuthError> {
    if app.client.allows(grant) {
        return Ok(());
    }
    Err(OAuthError::new(
        ErrorCode::UnauthorizedClient,
        "The client is not authorized to use the provided grant type.",
    )
    .with_detail(format!("{} not in the app's grant types", grant.as_str())))
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
    /// The `claims` request of the authorization, if any.
    pub claims: Option<&'a crate::model::ClaimsRequest>,
    /// The `acr` of the sign-in.
    pub acr: Option<&'a str>,
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
    let (group_ids, group_names) = user_groups(ctx, app, &user.id).await?;
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
    let who = (&user, group_names.as_slice());

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
        dpop_jkt: ctx.dpop.map(|p| p.jkt.clone()),
        origin: a.grant,
        claims: a.claims.cloned(),
        acr: a.acr.map(str::to_owned),
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

    let access = user_access_token(
        ctx,
        app,
        who,
        a.scopes,
        &grant.id,
        decision.access_token_lifetime,
    )?;
    let id_token = if a.scopes.iter().any(|s| s == "openid") {
        Some(user_id_token(
            ctx,
            app,
            who,
            &IdTokenFor {
                scopes: a.scopes,
                nonce: a.nonce,
                session_id: a.session_id,
                auth_time: a.auth_time,
                amr: a.amr,
                access_token: Some(&access.token),
                code: None,
                acr: a.acr,
                claims: a.claims,
                state: None,
            },
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        token_type: token_type(ctx),
        expires_in: decision.access_token_lifetime.num_seconds(),
        access_token: access.token,
        scope: a.scopes.join(" "),
        refresh_token: refresh.map(|r| r.value),
        id_token,
        issued_token_type: None,
    })
}

/// A user's access token (the token endpoint's and the authorization endpoint's): Okta's shape, the server's
/// RESOURCE claims for the scopes, `cnf.jkt` when the request proved a DPoP key; `who` is the user and the names
/// of their groups.
pub fn user_access_token(
    ctx: &GrantContext<'_>,
    app: &App,
    who: (&User, &[String]),
    scopes: &[String],
    grant_id: &str,
    lifetime: chrono::Duration,
) -> Result<MintedAccessToken, OAuthError> {
    mint_access_token(
        &ctx.issuer,
        ctx.now,
        ctx.random,
        AccessTokenInput {
            client_id: &app.client.client_id,
            user: Some(who.0),
            scopes,
            grant_id: Some(grant_id),
            lifetime,
            extra: with_cnf(
                ctx,
                claims_for(ctx, app, scopes, ClaimTarget::AccessToken, Some(who)),
            ),
        },
    )
}

/// What an ID token says besides the user: the sign-in, and what its hashes bind it to.
pub struct IdTokenFor<'a> {
    pub scopes: &'a [String],
    pub nonce: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub auth_time: Timestamp,
    pub amr: &'a [String],
    /// `at_hash`: the access token issued with it.
    pub access_token: Option<&'a str>,
    /// `c_hash`: the code issued with it (authorization endpoint, hybrid flows).
    pub code: Option<&'a str>,
    /// `s_hash`: the request's `state` (authorization endpoint).
    pub state: Option<&'a str>,
    /// `acr`: the authentication context class of the sign-in.
    pub acr: Option<&'a str>,
    /// The `claims` request of the authorization, if any.
    pub claims: Option<&'a crate::model::ClaimsRequest>,
}

/// A user's ID token (the token endpoint's and the authorization endpoint's): the standard claims of the scopes,
/// the server's IDENTITY claims — all of them when no access token comes with it or after it (OIDC Core §5.4,
/// `response_type=id_token`), else only those `alwaysIncludeInToken`, the rest being left to userinfo.
pub fn user_id_token(
    ctx: &GrantContext<'_>,
    app: &App,
    who: (&User, &[String]),
    t: &IdTokenFor<'_>,
) -> Result<String, OAuthError> {
    let with_access_token = t.access_token.is_some() || t.code.is_some();
    let mut extra = claims_for(
        ctx,
        app,
        t.scopes,
        ClaimTarget::IdToken { with_access_token },
        Some(who),
    );
    if let Some(state) = t.state {
        let alg = ctx.issuer.id_token_key.alg();
        extra.insert(
            "s_hash".into(),
            serde_json::Value::String(half_hash(alg, state)),
        );
    }
    mint_id_token(
        &ctx.issuer,
        ctx.now,
        ctx.random,
        IdTokenInput {
            client_id: &app.client.client_id,
            user: who.0,
            scopes: t.scopes,
            nonce: t.nonce,
            auth_time: Some(t.auth_time),
            amr: t.amr,
            session_id: t.session_id,
            access_token: t.access_token,
            code: t.code,
            acr: t.acr,
            claims: t.claims,
            lifetime: ID_TOKEN_LIFETIME,
            extra,
        },
    )
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
pub async fn active_user(
    store: &(impl UserStore + ?Sized),
    user_id: &str,
) -> Result<User, OAuthError> {
    match store.user(user_id).await.map_err(storage)? {
        Some(u) if matches!(u.status, UserStatus::Active | UserStatus::PasswordExpired) => Ok(u),
        _ => Err(OAuthError::new(
            ErrorCode::InvalidGrant,
            "The user is no longer allowed to sign in.",
        )),
    }
}

/// The ids and names of a user's groups (`Everyone` included), which a custom server's policies and group claims,
/// and an app's own groups claim, read; nothing for the org server unless the app has a groups claim.
pub async fn user_groups(
    ctx: &GrantContext<'_>,
    app: &App,
    user_id: &str,
) -> Result<(Vec<String>, Vec<String>), OAuthError> {
    groups_for(ctx.store, ctx.server, app, user_id).await
}

/// [`user_groups`], from the store and the server it takes.
pub async fn groups_for(
    store: &(impl GroupStore + ?Sized),
    server: &AuthorizationServer,
    app: &App,
    user_id: &str,
) -> Result<(Vec<String>, Vec<String>), OAuthError> {
    if server.kind == AuthServerKind::Org
        && !crate::authz::app_claims_need_groups(&app.client.claims)
    {
        return Ok((Vec::new(), Vec::new()));
    }
    let page = store
        .user_groups(user_id, &PageRequest::first(10_000))
        .await
        .map_err(storage)?;
    Ok(page.items.into_iter().map(|g| (g.id, g.name)).unzip())
}

/// The custom claims of the server, then the app's own, for `target`, about `user` (none for client credentials).
pub fn claims_for(
    ctx: &GrantContext<'_>,
    app: &App,
    scopes: &[String],
    target: ClaimTarget,
    user: Option<(&User, &[String])>,
) -> serde_json::Map<String, serde_json::Value> {
    rule_claims(ctx.rules, app, scopes, target, user)
}

/// [`claims_for`], from the server's rules it takes.
pub fn rule_claims(
    rules: &ServerRules,
    app: &App,
    scopes: &[String],
    target: ClaimTarget,
    user: Option<(&User, &[String])>,
) -> serde_json::Map<String, serde_json::Value> {
    if rules.claims.is_empty() && app.client.claims.is_empty() {
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
    let mut out = custom_claims(&rules.claims, scopes, target, subject.as_ref());
    out.extend(crate::authz::app_claims(
        &app.client.claims,
        scopes,
        target,
        subject.as_ref(),
    ));
    out
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

#[cfg(test)]
pub(crate) mod tests {
    //! The grants against the in-memory store: no HTTP, no SQL, a fixed clock and counter randomness.
    use super::*;
    use crate::clock::from_millis;
    use crate::crypto::{SigningAlg, SigningKey};
    use crate::model::*;
    use crate::oauth::authorize::{Authenticated, AuthorizationRequest, new_code};
    use crate::oauth::tokens::hash_of;
    use crate::random::TestRandom;
    use crate::store::memory::MemoryStore;
    use crate::store::{GrantStore, UserStore};

    pub(crate) fn app() -> App {
        let now = from_millis(0);
        App {
            id: "0oa1".into(),
            name: "oidc_client".into(),
            label: "A".into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client: OAuthClient {
                client_id: "c1".into(),
                application_type: ApplicationType::Web,
                token_endpoint_auth_method: ClientAuthMethod::ClientSecretBasic,
                pkce_required: false,
                grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                response_types: vec!["code".into()],
                redirect_uris: vec!["https://a/cb".into()],
                post_logout_redirect_uris: vec![],
                consent_method: "TRUSTED".into(),
                jwks: None,
                jwks_uri: None,
                initiate_login_uri: None,
                dpop_bound_access_tokens: false,
                logout: Default::default(),
                extra: Default::default(),
                registration: None,
                catalog: None,
                claims: Vec::new(),
            },
            created: now,
            last_updated: now,
        }
    }

    fn org_server() -> AuthorizationServer {
        AuthorizationServer {
            id: "org".into(),
            kind: AuthServerKind::Org,
            name: "org".into(),
            description: String::new(),
            audiences: vec![],
            status: LifecycleStatus::Active,
            signing_alg: SigningAlg::ES256,
            created: from_millis(0),
            last_updated: from_millis(0),
        }
    }

    #[tokio::test]
    async fn a_code_gives_tokens_once_and_a_refresh_replay_revokes_the_family() {
        let store = MemoryStore::new();
        let now = from_millis(1_700_000_000_000);
        let user = User {
            id: "00u1".into(),
            status: UserStatus::Active,
            login: "ada@example.com".into(),
            profile: Default::default(),
            created: now,
            activated: Some(now),
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
        };
        store.insert_user(&user, None).await.unwrap();
        let server = org_server();
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let aud = vec!["http://x".to_owned()];
        let rules = ServerRules::default();
        let random = TestRandom::default();
        let ctx = GrantContext {
            store: &store,
            now,
            random: &random,
            server: &server,
            rules: &rules,
            issuer: Issuer {
                issuer: "http://x",
                audiences: &aud,
                org_id: "00o1",
                access_token_key: &key,
                id_token_key: &key,
                pairwise: None,
            },
            public_keys: &[],
            dpop: None,
        };
        let req = AuthorizationRequest {
            response_type: crate::oauth::authorize::ResponseType::CODE,
            client_id: "c1".into(),
            redirect_uri: "https://a/cb".into(),
            scopes: vec!["openid".into(), "offline_access".into()],
            nonce: Some("n".into()),
            code_challenge: None,
            prompt: vec![],
            max_age: None,
            login_hint: None,
            session_token: None,
            claims: None,
            acr_values: vec![],
            id_token_hint: None,
        };
        let who = Authenticated {
            user_id: "00u1",
            session_id: None,
            auth_time: now,
            amr: &["pwd".to_owned()],
        };
        let (code, record) = new_code(
            "org",
            &req,
            req.scopes.clone(),
            &who,
            "oag1".into(),
            now,
            &random,
        );
        store.insert_code(&record).await.unwrap();
        let form = |pairs: &[(&str, &str)]| {
            Params::from_pairs(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            )
            .unwrap()
        };
        let p = form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://a/cb"),
        ]);
        let first = exchange(&ctx, &app(), GrantType::AuthorizationCode, &p)
            .await
            .unwrap();
        assert!(first.id_token.is_some());
        let r1 = first.refresh_token.clone().unwrap();
        // The code again: refused, and its grant revoked.
        let again = exchange(&ctx, &app(), GrantType::AuthorizationCode, &p)
            .await
            .unwrap_err();
        assert_eq!(again.code, ErrorCode::InvalidGrant);
        assert!(
            store
                .grant("oag1")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        let r = exchange(
            &ctx,
            &app(),
            GrantType::RefreshToken,
            &form(&[("grant_type", "refresh_token"), ("refresh_token", &r1)]),
        )
        .await
        .unwrap_err();
        assert_eq!(r.code, ErrorCode::InvalidGrant);
        assert!(
            store
                .refresh_token_grant(&hash_of(&r1))
                .await
                .unwrap()
                .is_some()
        );
        // A client without the grant type.
        let mut cc = app();
        cc.client.grant_types = vec![GrantType::AuthorizationCode];
        let e = exchange(
            &ctx,
            &cc,
            GrantType::RefreshToken,
            &form(&[("refresh_token", "x")]),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }
}
