//! The admin console's token preview (Okta's "Token Preview"): what a server's token endpoint would grant an app for
//! a user, a grant type and scopes — which access policy and rule match, or the exact refusal — and the claims of
//! the access token and the ID token it would issue, unsigned. It runs the token endpoint's own steps
//! ([`grant_allowed`], [`active_user`], [`require_assignment`], [`groups_for`], [`decide`] or client credentials'
//! [`client_credentials::decision`], [`rule_claims`], [`access_token_claims`], [`id_token_claims`]) and stops
//! before anything is signed or stored: it reads only.

use serde_json::{Map, Value};

use super::grants::{
    active_user, client_credentials, grant_allowed, groups_for, rule_claims, storage,
};
use super::policy::{Asker, Decision, ID_TOKEN_LIFETIME, ServerRules, decide};
use super::subject::{pairwise_for, subject_for};
use super::tokens::{
    AccessTokenInput, IdTokenInput, IdTokenIssuer, access_token_claims, access_token_jti,
    id_token_claims, id_token_jti,
};
use crate::authz::ClaimTarget;
use crate::clock::Timestamp;
use crate::model::{App, AuthorizationServer, GrantType, LifecycleStatus, User};
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::Random;
use crate::store::{AppStore, GroupStore, ScopeGrantStore, StoreError, UserStore};

/// The store capabilities the preview reads.
pub trait PreviewStore: AppStore + UserStore + GroupStore + ScopeGrantStore {}

impl<T> PreviewStore for T where T: AppStore + UserStore + GroupStore + ScopeGrantStore + ?Sized {}

/// The grant types a preview may be asked for: those the token or authorization endpoint issues a token for at once
/// (a refresh is evaluated with the grant type that started it; the password grant is not served at all).
pub const GRANT_TYPES: [GrantType; 4] = [
    GrantType::AuthorizationCode,
    GrantType::Implicit,
    GrantType::ClientCredentials,
    GrantType::DeviceCode,
];

/// The server a preview is for, as its token endpoint sees it.
pub struct PreviewServer<'a> {
    pub server: &'a AuthorizationServer,
    /// Its scopes, claims and compiled policies ([`ServerRules::load`], or the token endpoint's cached copy).
    pub rules: &'a ServerRules,
    /// `iss`.
    pub issuer: &'a str,
    /// Access tokens' `aud`.
    pub audiences: &'a [String],
    /// The org's id (ID tokens' `idp`).
    pub org_id: &'a str,
    /// The key of pairwise subjects, for a client that registered `subject_type: pairwise`.
    pub pairwise_key: [u8; 32],
}

/// What to preview.
pub struct PreviewRequest<'a> {
    /// The app's `client_id`.
    pub client_id: &'a str,
    /// The user's login (ignored for client credentials).
    pub login: &'a str,
    pub grant: GrantType,
    /// The scopes asked for (none: the server's default scopes).
    pub scopes: &'a [String],
}

/// What the token endpoint would issue.
#[derive(Debug)]
pub struct Preview {
    pub app: App,
    /// None for client credentials.
    pub user: Option<User>,
    /// The scopes and lifetimes granted, and the policy and rule that granted them.
    pub decision: Decision,
    pub access_token: Map<String, Value>,
    /// With `openid` only.
    pub id_token: Option<Map<String, Value>>,
}

/// Why there is nothing to preview.
#[derive(Debug)]
pub enum PreviewRefused {
    /// No app has this client id.
    UnknownApp,
    /// The app is not ACTIVE: the token endpoint does not authenticate it.
    InactiveApp,
    /// The grant type needs a user and none has this login.
    UnknownUser,
    /// The grant type is not one a preview can be asked for.
    UnsupportedGrant,
    /// What the token endpoint (or the authorization endpoint) would answer.
    Token(OAuthError),
    Store(StoreError),
}

impl From<OAuthError> for PreviewRefused {
    fn from(e: OAuthError) -> Self {
        PreviewRefused::Token(e)
    }
}

impl From<StoreError> for PreviewRefused {
    fn from(e: StoreError) -> Self {
        PreviewRefused::Store(e)
    }
}

/// The authorization endpoint's refusal of a user the app is not assigned to (directly or through a group).
pub fn not_assigned() -> OAuthError {
    OAuthError::new(
        ErrorCode::AccessDenied,
        "User is not assigned to the client application.",
    )
}

/// Refuses a user the app is not assigned to ([`not_assigned`]).
pub async fn require_assignment(
    store: &(impl AppStore + ?Sized),
    app: &App,
    user_id: &str,
) -> Result<(), OAuthError> {
    if store
        .user_assigned_to_app(&app.id, user_id)
        .await
        .map_err(storage)?
    {
        Ok(())
    } else {
        Err(not_assigned())
    }
}

/// Previews the tokens `req` would get from `at` at `now`. `random` only draws the `jti`s shown.
pub async fn preview<S: PreviewStore + ?Sized>(
    store: &S,
    at: &PreviewServer<'_>,
    now: Timestamp,
    random: &dyn Random,
    req: &PreviewRequest<'_>,
) -> Result<Preview, PreviewRefused> {
    if !GRANT_TYPES.contains(&req.grant) {
        return Err(PreviewRefused::UnsupportedGrant);
    }
    let app = store
        .app_by_client_id(req.client_id.trim())
        .await?
        .ok_or(PreviewRefused::UnknownApp)?;
    if app.status != LifecycleStatus::Active {
        return Err(PreviewRefused::InactiveApp);
    }
    grant_allowed(&app, req.grant)?;
    if req.grant == GrantType::ClientCredentials {
        let decision =
            client_credentials::decision(store, at.server, at.rules, &app, req.scopes).await?;
        let extra = rule_claims(
            at.rules,
            &app,
            &decision.scopes,
            ClaimTarget::AccessToken,
            None,
        );
        let access_token = access_token_claims(
            at.issuer,
            at.audiences,
            now,
            &access_token_jti(random, None),
            AccessTokenInput {
                client_id: &app.client.client_id,
                user: None,
                scopes: &decision.scopes,
                grant_id: None,
                lifetime: decision.access_token_lifetime,
                extra,
            },
        );
        return Ok(Preview {
            app,
            user: None,
            decision,
            access_token,
            id_token: None,
        });
    }
    let user = store
        .user_by_login(req.login.trim())
        .await?
        .ok_or(PreviewRefused::UnknownUser)?;
    let user = active_user(store, &user.id).await?;
    require_assignment(store, &app, &user.id).await?;
    let (group_ids, group_names) = groups_for(store, at.server, &app, &user.id).await?;
    let decision = decide(
        at.server,
        at.rules,
        &Asker {
            client_id: &app.client.client_id,
            grant: req.grant,
            user: Some((&user.id, &group_ids)),
        },
        req.scopes,
    )?;
    let who = Some((&user, group_names.as_slice()));
    let scopes = &decision.scopes;
    // The grant id a real token's `jti` carries is minted when the grant is stored: the preview names none.
    let access_token = access_token_claims(
        at.issuer,
        at.audiences,
        now,
        &access_token_jti(random, None),
        AccessTokenInput {
            client_id: &app.client.client_id,
            user: Some(&user),
            scopes,
            grant_id: None,
            lifetime: decision.access_token_lifetime,
            extra: rule_claims(at.rules, &app, scopes, ClaimTarget::AccessToken, who),
        },
    );
    let id_token = scopes.iter().any(|s| s == "openid").then(|| {
        let pairwise = pairwise_for(&app.client, || at.pairwise_key);
        let amr = ["pwd".to_owned()];
        id_token_claims(
            &IdTokenIssuer {
                issuer: at.issuer,
                org_id: at.org_id,
                sub: subject_for(pairwise.as_ref(), &user.id),
                alg: app
                    .client
                    .id_token_signed_response_alg()
                    .unwrap_or(at.server.signing_alg),
            },
            now,
            &id_token_jti(random),
            IdTokenInput {
                client_id: &app.client.client_id,
                user: &user,
                scopes,
                nonce: None,
                auth_time: Some(now),
                amr: &amr,
                session_id: None,
                access_token: None,
                code: None,
                acr: None,
                claims: None,
                lifetime: ID_TOKEN_LIFETIME,
                extra: rule_claims(
                    at.rules,
                    &app,
                    scopes,
                    ClaimTarget::IdToken {
                        with_access_token: true,
                    },
                    who,
                ),
            },
        )
    });
    Ok(Preview {
        app,
        user: Some(user),
        decision,
        access_token,
        id_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::admin::tests::World;
    use crate::authz::admin::{claims, policies, scopes};
    use crate::clock::Clock;
    use crate::model::group::everyone_id;
    use crate::model::{AppGroup, Group, GroupType, UserStatus};
    use crate::random::SystemRandom;
    use crate::store::{GroupStore, PolicyStore};
    use serde_json::json;

    const ADA: &str = "ada@example.com";

    fn app(now: Timestamp) -> App {
        let mut a = crate::oauth::grants::tests::app();
        a.id = "0oaorders".into();
        a.client.client_id = "orders-web".into();
        a.created = now;
        a.last_updated = now;
        a
    }

    /// A custom server with a scope, a RESOURCE claim and a GROUPS claim, one policy for every client whose rule
    /// grants `orders:read` (and the OIDC scopes) to Everyone for authorization code; an app assigned to Everyone;
    /// Ada in the `Staff` group.
    async fn world() -> (World, AuthorizationServer) {
        let w = World::new();
        let s = w.server("orders").await;
        let now = w.clock.now();
        scopes::create(&w.store, w.env(), &s.id, &json!({"name": "orders:read"}))
            .await
            .unwrap();
        claims::create(&w.store, w.env(), &s.id, &json!({"name": "dept", "claimType": "RESOURCE",
            "valueType": "EXPRESSION", "value": "user.profile.department", "conditions": {"scopes": ["orders:read"]}}))
            .await
            .unwrap();
        claims::create(&w.store, w.env(), &s.id, &json!({"name": "groups", "claimType": "IDENTITY",
            "valueType": "GROUPS", "group_filter_type": "STARTS_WITH", "value": "Sta", "conditions": {"scopes": []}}))
            .await
            .unwrap();
        let p = policies::create(&w.store, w.env(), &s.id, &json!({"type": "OAUTH_AUTHORIZATION_POLICY",
            "name": "Orders", "description": "d", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}}))
            .await
            .unwrap();
        policies::create_rule(
            &w.store,
            w.env(),
            &s.id,
            &p.item.id,
            &json!({"type": "RESOURCE_ACCESS",
            "name": "Staff read", "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
            "grantTypes": {"include": ["authorization_code"]},
            "scopes": {"include": ["openid", "profile", "orders:read"]}}}),
        )
        .await
        .unwrap();
        w.store
            .insert_group_if_absent(&Group::everyone(now))
            .await
            .unwrap();
        let user = User {
            id: "00uada".into(),
            status: UserStatus::Active,
            login: ADA.into(),
            profile: json!({"firstName": "Ada", "lastName": "Lovelace", "email": ADA, "department": "Maths"})
                .as_object()
                .unwrap()
                .clone(),
            created: now,
            activated: Some(now),
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
        };
        w.store.insert_user(&user, None).await.unwrap();
        let staff = Group {
            id: "00gstaff".into(),
            group_type: GroupType::Okta,
            name: "Staff".into(),
            description: None,
            created: now,
            last_updated: now,
            last_membership_updated: now,
        };
        w.store.insert_group(&staff).await.unwrap();
        w.store
            .add_group_member(&staff.id, &user.id, now)
            .await
            .unwrap();
        w.store.insert_app(&app(now), None).await.unwrap();
        w.store
            .put_app_group(&AppGroup {
                app_id: "0oaorders".into(),
                group_id: everyone_id(),
                priority: 0,
                last_updated: now,
            })
            .await
            .unwrap();
        (w, s)
    }

    async fn run(
        w: &World,
        s: &AuthorizationServer,
        login: &str,
        grant: GrantType,
        scopes: &[&str],
    ) -> Result<Preview, PreviewRefused> {
        let rules = ServerRules::load(&w.store, s).await.unwrap();
        let aud = s.audiences.clone();
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        preview(
            &w.store,
            &PreviewServer {
                server: s,
                rules: &rules,
                issuer: "http://x/oauth2/orders",
                audiences: &aud,
                org_id: "00o1",
                pairwise_key: [7; 32],
            },
            w.clock.now(),
            &SystemRandom,
            &PreviewRequest {
                client_id: "orders-web",
                login,
                grant,
                scopes: &scopes,
            },
        )
        .await
    }

    #[tokio::test]
    async fn a_matching_rule_gives_the_token_endpoint_s_claims_with_the_custom_and_groups_claims() {
        let (w, s) = world().await;
        let p = run(
            &w,
            &s,
            ADA,
            GrantType::AuthorizationCode,
            &["openid", "orders:read"],
        )
        .await
        .unwrap();
        let (policy_id, rule_id) = p.decision.matched.clone().unwrap();
        let policy = w.store.policies(&s.id).await.unwrap().remove(0);
        assert_eq!(policy_id, policy.id);
        assert_eq!(
            w.store.policy_rules(&policy.id).await.unwrap()[0].id,
            rule_id
        );
        let at = &p.access_token;
        assert_eq!(at["sub"], ADA);
        assert_eq!(at["uid"], "00uada");
        assert_eq!(at["cid"], "orders-web");
        assert_eq!(at["aud"], "api://x");
        assert_eq!(at["scp"], json!(["openid", "orders:read"]));
        assert_eq!(at["dept"], "Maths", "the RESOURCE claim of orders:read");
        assert_eq!(
            at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap(),
            3600
        );
        assert!(at["jti"].as_str().unwrap().starts_with("AT."));
        let id = p.id_token.unwrap();
        assert_eq!(id["sub"], "00uada");
        assert_eq!(id["aud"], "orders-web");
        assert_eq!(id["groups"], json!(["Staff"]), "the GROUPS claim, filtered");
        assert!(
            id.get("dept").is_none(),
            "RESOURCE claims are the access token's"
        );
        // Without openid: no ID token.
        let p = run(&w, &s, ADA, GrantType::AuthorizationCode, &["orders:read"])
            .await
            .unwrap();
        assert!(p.id_token.is_none());
    }

    #[tokio::test]
    async fn refusals_are_the_token_endpoint_s() {
        let (w, s) = world().await;
        let code = |r: Result<Preview, PreviewRefused>| match r {
            Err(PreviewRefused::Token(e)) => (e.code, e.detail),
            other => panic!("{other:?}"),
        };
        // A scope the rule does not allow: no rule matches.
        let (c, detail) = code(
            run(
                &w,
                &s,
                ADA,
                GrantType::AuthorizationCode,
                &["openid", "email"],
            )
            .await,
        );
        assert_eq!(c, ErrorCode::AccessDenied);
        assert!(detail.unwrap().starts_with("no_matching_rule"));
        // A scope the server does not have.
        let (c, _) = code(run(&w, &s, ADA, GrantType::AuthorizationCode, &["nope"]).await);
        assert_eq!(c, ErrorCode::InvalidScope);
        // A grant type the app may not use.
        let (c, _) = code(run(&w, &s, ADA, GrantType::ClientCredentials, &["orders:read"]).await);
        assert_eq!(c, ErrorCode::UnauthorizedClient);
        assert!(matches!(
            run(
                &w,
                &s,
                "nobody@example.com",
                GrantType::AuthorizationCode,
                &["openid"]
            )
            .await,
            Err(PreviewRefused::UnknownUser)
        ));
        for grant in [GrantType::RefreshToken, GrantType::Password] {
            assert!(matches!(
                run(&w, &s, ADA, grant, &["openid"]).await,
                Err(PreviewRefused::UnsupportedGrant)
            ));
        }
        // The app no longer assigned to Everyone: the authorization endpoint's refusal.
        w.store
            .delete_app_group("0oaorders", &everyone_id())
            .await
            .unwrap();
        let (c, _) = code(run(&w, &s, ADA, GrantType::AuthorizationCode, &["openid"]).await);
        assert_eq!(c, ErrorCode::AccessDenied);
    }
}
