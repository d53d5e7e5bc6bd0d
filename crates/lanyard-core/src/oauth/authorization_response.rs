//! What the authorization endpoint sends back for each response type (OAuth 2.0 Multiple Response Types, OIDC
//! Core §3.1.2.5, §3.2.2.5, §3.3.2.5): a code, an access token, an ID token, or several of them. Tokens issued here
//! follow the server's policies as the token endpoint's do — evaluated for the `implicit` grant type, and for
//! `authorization_code` as well when a code comes with them — and are minted by the same functions
//! ([`user_access_token`], [`user_id_token`]). An ID token from this endpoint carries `nonce`, `auth_time`, `acr`,
//! the claims the `claims` parameter asks of it, `at_hash` with an access token, `c_hash` with a code and `s_hash`
//! with a `state`. No refresh token is ever
//! issued here; a code issued with tokens is redeemed at the token endpoint as usual.

use crate::id::{new_id, prefix};
use crate::model::{App, Grant, GrantType, User};
use crate::oauth::acr::acr_for;
use crate::oauth::authorize::{Authenticated, AuthorizationRequest, new_code};
use crate::oauth::grants::{
    GrantContext, IdTokenFor, active_user, storage, user_access_token, user_id_token,
};
use crate::oauth::policy::{Asker, Decision, decide};
use crate::oauth_error::{ErrorCode, OAuthError};

/// The server's decision for `req` by `user` (in the groups `group_ids`): the policy is evaluated for each grant
/// type the response type involves — `authorization_code` for a code, `implicit` for tokens — and all must allow
/// it. The decision for the tokens issued here is returned (that of the code when there are none).
pub fn decision(
    ctx: &GrantContext<'_>,
    app: &App,
    req: &AuthorizationRequest,
    user_id: &str,
    group_ids: &[String],
) -> Result<Decision, OAuthError> {
    let mut out = None;
    for grant in req.response_type.grant_types() {
        let d = decide(
            ctx.server,
            ctx.rules,
            &Asker {
                client_id: &app.client.client_id,
                grant,
                user: Some((user_id, group_ids)),
            },
            &req.scopes,
        )?;
        out = Some(d);
    }
    out.ok_or_else(|| {
        OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "The response type is not supported by the authorization server.",
        )
    })
}

/// The response parameters for `req`, granted `decision` (from [`decision`]), for the user `who` signed in as:
/// `code`, `access_token` with `token_type`, `expires_in` and `scope`, `id_token` — as the response type asks.
/// `state` and `iss` are the caller's to add. Stores the code, and the grant an access token belongs to (so that
/// revoking the user's grants or sessions ends it).
pub async fn respond(
    ctx: &GrantContext<'_>,
    app: &App,
    req: &AuthorizationRequest,
    who: &Authenticated<'_>,
    decision: &Decision,
    state: Option<&str>,
) -> Result<Vec<(&'static str, String)>, OAuthError> {
    let rt = req.response_type;
    let mut out = Vec::with_capacity(6);
    let code = if rt.code {
        let grant_id = new_id(prefix::GRANT, ctx.now, ctx.random);
        let (value, record) = new_code(
            &ctx.server.id,
            req,
            decision.scopes.clone(),
            who,
            grant_id,
            ctx.now,
            ctx.random,
        );
        ctx.store.insert_code(&record).await.map_err(storage)?;
        out.push(("code", value.clone()));
        Some(value)
    } else {
        None
    };
    if !rt.front_channel() {
        return Ok(out);
    }
    let user = active_user(ctx.store, who.user_id)
        .await
        .map_err(|_| OAuthError::new(ErrorCode::AccessDenied, "The user cannot sign in."))?;
    let (_, group_names) = crate::oauth::grants::user_groups(ctx, app, &user.id).await?;
    let subject: (&User, &[String]) = (&user, &group_names);
    let scopes = &decision.scopes;
    let acr = acr_for(who.amr, &req.wanted_acr());
    let access = if rt.token {
        let grant = Grant {
            id: new_id(prefix::GRANT, ctx.now, ctx.random),
            auth_server_id: ctx.server.id.clone(),
            client_id: app.client.client_id.clone(),
            user_id: Some(user.id.clone()),
            scopes: scopes.clone(),
            session_id: who.session_id.map(str::to_owned),
            auth_time: Some(who.auth_time),
            amr: who.amr.to_vec(),
            created: ctx.now,
            // No refresh token: the grant ends with its access token.
            expires_at: ctx.now + decision.access_token_lifetime,
            revoked_at: None,
            dpop_jkt: None,
            origin: GrantType::Implicit,
            // What userinfo releases for the access token: the `claims` request's userinfo member.
            claims: req.claims.clone(),
            acr: Some(acr.clone()),
        };
        ctx.store
            .insert_grant(&grant, None)
            .await
            .map_err(storage)?;
        let access = user_access_token(
            ctx,
            app,
            subject,
            scopes,
            &grant.id,
            decision.access_token_lifetime,
        )?;
        out.push(("access_token", access.token.clone()));
        out.push(("token_type", "Bearer".to_owned()));
        out.push((
            "expires_in",
            decision.access_token_lifetime.num_seconds().to_string(),
        ));
        out.push(("scope", scopes.join(" ")));
        Some(access.token)
    } else {
        None
    };
    if rt.id_token {
        let id_token = user_id_token(
            ctx,
            app,
            subject,
            &IdTokenFor {
                scopes,
                nonce: req.nonce.as_deref(),
                session_id: who.session_id,
                auth_time: who.auth_time,
                amr: who.amr,
                access_token: access.as_deref(),
                code: code.as_deref(),
                state,
                acr: Some(&acr),
                claims: req.claims.as_ref(),
            },
        )?;
        out.push(("id_token", id_token));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! Each response type against the in-memory store: what comes back, the hashes binding the ID token to the
    //! rest, and a hybrid flow's code redeemed at the token endpoint for an ID token about the same user.
    use super::*;
    use crate::clock::from_millis;
    use crate::crypto::verify::UnverifiedJws;
    use crate::crypto::{SigningAlg, SigningKey};
    use crate::model::*;
    use crate::oauth::authorize::{check_client, validate};
    use crate::oauth::grants::{exchange, issue_user_tokens};
    use crate::oauth::params::Params;
    use crate::oauth::policy::ServerRules;
    use crate::oauth::tokens::{Issuer, half_hash};
    use crate::random::TestRandom;
    use crate::store::UserStore;
    use crate::store::memory::MemoryStore;
    use serde_json::{Map, Value, json};

    fn app() -> App {
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
                grant_types: vec![GrantType::AuthorizationCode, GrantType::Implicit],
                response_types: vec!["code".into(), "id_token".into(), "token".into()],
                redirect_uris: vec!["https://a/cb".into()],
                post_logout_redirect_uris: vec![],
                consent_method: "TRUSTED".into(),
                jwks: None,
                jwks_uri: None,
                initiate_login_uri: None,
                dpop_bound_access_tokens: false,
                logout: Default::default(),
                registration: None,
                catalog: None,
                claims: Vec::new(),
                extra: Map::new(),
            },
            created: now,
            last_updated: now,
        }
    }

    struct World {
        store: MemoryStore,
        key: SigningKey,
        aud: Vec<String>,
        server: AuthorizationServer,
        rules: ServerRules,
        random: TestRandom,
    }

    impl World {
        async fn new() -> World {
            let store = MemoryStore::new();
            let now = from_millis(1_700_000_000_000);
            let user = User {
                id: "00u1".into(),
                status: UserStatus::Active,
                login: "ada@example.com".into(),
                profile:
                    json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                created: now,
                activated: Some(now),
                status_changed: None,
                last_login: None,
                last_updated: now,
                password_changed: None,
            };
            store.insert_user(&user, None).await.unwrap();
            World {
                store,
                key: SigningKey::generate(SigningAlg::RS256).unwrap(),
                aud: vec!["http://x".to_owned()],
                server: AuthorizationServer {
                    id: "org".into(),
                    kind: AuthServerKind::Org,
                    name: "org".into(),
                    description: String::new(),
                    audiences: vec![],
                    status: LifecycleStatus::Active,
                    signing_alg: SigningAlg::RS256,
                    created: now,
                    last_updated: now,
                },
                rules: ServerRules::default(),
                random: TestRandom::default(),
            }
        }

        fn ctx(&self) -> GrantContext<'_> {
            GrantContext {
                store: &self.store,
                now: from_millis(1_700_000_000_000),
                random: &self.random,
                server: &self.server,
                rules: &self.rules,
                issuer: Issuer {
                    issuer: "http://x",
                    audiences: &self.aud,
                    org_id: "00o1",
                    access_token_key: &self.key,
                    id_token_key: &self.key,
                    pairwise: None,
                },
                public_keys: &[],
                dpop: None,
            }
        }

        /// Validates `query` for [`app`] and answers it for Ada.
        async fn answer(&self, query: &str) -> Vec<(&'static str, String)> {
            let params = Params::parse(
                format!("client_id=c1&redirect_uri=https://a/cb&state=s1&nonce=n1&{query}")
                    .as_bytes(),
            )
            .unwrap();
            let a = app();
            let to = check_client(&params, Some(&a)).unwrap();
            let req = validate(&params, &a, &to).unwrap();
            let ctx = self.ctx();
            let d = decision(&ctx, &a, &req, "00u1", &[]).unwrap();
            let amr = ["pwd".to_owned()];
            let who = Authenticated {
                user_id: "00u1",
                session_id: Some("102sess"),
                auth_time: from_millis(1_699_999_000_000),
                amr: &amr,
            };
            respond(&ctx, &a, &req, &who, &d, to.state.as_deref())
                .await
                .unwrap()
        }
    }

    fn names(p: &[(&'static str, String)]) -> Vec<&'static str> {
        p.iter().map(|(k, _)| *k).collect()
    }

    fn get<'a>(p: &'a [(&'static str, String)], name: &str) -> &'a str {
        p.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in {p:?}"))
    }

    fn claims(token: &str, key: &SigningKey) -> Map<String, Value> {
        let jws = UnverifiedJws::parse(token).unwrap();
        jws.verify(std::slice::from_ref(key.public_jwk())).unwrap();
        jws.claims.clone()
    }

    #[tokio::test]
    async fn each_response_type_returns_what_it_names() {
        let w = World::new().await;
        let scope = "scope=openid%20profile%20email";
        let p = w.answer(&format!("response_type=code&{scope}")).await;
        assert_eq!(names(&p), ["code"]);
        let p = w.answer(&format!("response_type=id_token&{scope}")).await;
        assert_eq!(names(&p), ["id_token"]);
        let p = w
            .answer(&format!("response_type=token%20id_token&{scope}"))
            .await;
        assert_eq!(
            names(&p),
            [
                "access_token",
                "token_type",
                "expires_in",
                "scope",
                "id_token"
            ]
        );
        assert_eq!(get(&p, "token_type"), "Bearer");
        assert_eq!(get(&p, "expires_in"), "3600");
        assert_eq!(get(&p, "scope"), "openid profile email");
        let p = w
            .answer(&format!("response_type=code%20id_token&{scope}"))
            .await;
        assert_eq!(names(&p), ["code", "id_token"]);
        let p = w
            .answer(&format!("response_type=code%20token&{scope}"))
            .await;
        assert_eq!(
            names(&p),
            ["code", "access_token", "token_type", "expires_in", "scope"]
        );
        let p = w
            .answer(&format!("response_type=code%20id_token%20token&{scope}"))
            .await;
        assert_eq!(
            names(&p),
            [
                "code",
                "access_token",
                "token_type",
                "expires_in",
                "scope",
                "id_token"
            ]
        );
        assert!(!names(&p).contains(&"refresh_token"));
    }

    #[tokio::test]
    async fn id_tokens_from_the_authorization_endpoint_are_bound_to_what_comes_with_them() {
        let w = World::new().await;
        let p = w
            .answer("response_type=code%20id_token%20token&scope=openid%20email")
            .await;
        let c = claims(get(&p, "id_token"), &w.key);
        assert_eq!(c["sub"], "00u1");
        assert_eq!(c["nonce"], "n1");
        assert_eq!(c["auth_time"], 1_699_999_000);
        assert_eq!(c["sid"], "102sess");
        assert_eq!(
            c["at_hash"],
            half_hash(SigningAlg::RS256, get(&p, "access_token"))
        );
        assert_eq!(c["c_hash"], half_hash(SigningAlg::RS256, get(&p, "code")));
        assert_eq!(c["s_hash"], half_hash(SigningAlg::RS256, "s1"));
        assert_eq!(c["acr"], "urn:okta:loa:1fa:pwd", "the sign-in's class");
        // The access token: the token endpoint's shape, for the user.
        let at = claims(get(&p, "access_token"), &w.key);
        assert_eq!(at["uid"], "00u1");
        assert_eq!(at["cid"], "c1");
        assert_eq!(at["scp"], json!(["openid", "email"]));
        // id_token alone: no hashes, the claims of the scopes in the ID token itself (OIDC Core §5.4).
        let p = w
            .answer("response_type=id_token&scope=openid%20profile%20email")
            .await;
        let c = claims(get(&p, "id_token"), &w.key);
        assert!(c.get("at_hash").is_none() && c.get("c_hash").is_none());
        assert_eq!(c["email"], "ada@example.com");
        assert_eq!(c["given_name"], "Ada");
        assert_eq!(c["preferred_username"], "ada@example.com");
    }

    #[tokio::test]
    async fn a_hybrid_code_is_redeemed_for_tokens_about_the_same_user() {
        let w = World::new().await;
        let p = w.answer("response_type=code%20id_token&scope=openid").await;
        let front = claims(get(&p, "id_token"), &w.key);
        let form = Params::parse(
            format!(
                "grant_type=authorization_code&code={}&redirect_uri=https://a/cb",
                get(&p, "code")
            )
            .as_bytes(),
        )
        .unwrap();
        let tokens = exchange(&w.ctx(), &app(), GrantType::AuthorizationCode, &form)
            .await
            .unwrap();
        let back = claims(tokens.id_token.as_deref().unwrap(), &w.key);
        assert_eq!(back["sub"], front["sub"]);
        assert_eq!(back["nonce"], "n1");
        assert_eq!(back["auth_time"], front["auth_time"]);
        assert!(back.get("c_hash").is_none());
    }

    #[tokio::test]
    async fn implicit_access_tokens_belong_to_a_grant_that_revocation_ends() {
        let w = World::new().await;
        let p = w
            .answer("response_type=id_token%20token&scope=openid")
            .await;
        let at = claims(get(&p, "access_token"), &w.key);
        let jti = at["jti"].as_str().unwrap();
        let grant_id = crate::oauth::tokens::grant_of_jti(jti).unwrap();
        use crate::store::GrantStore;
        let grant = w.store.grant(grant_id).await.unwrap().unwrap();
        assert_eq!(grant.origin, GrantType::Implicit);
        assert_eq!(grant.user_id.as_deref(), Some("00u1"));
        assert!(
            !w.store
                .access_token_revoked(jti, Some(grant_id))
                .await
                .unwrap()
        );
        w.store
            .revoke_grant(grant_id, from_millis(1_700_000_000_001))
            .await
            .unwrap();
        assert!(
            w.store
                .access_token_revoked(jti, Some(grant_id))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_custom_server_s_policy_is_evaluated_for_the_implicit_grant() {
        use crate::authz::policy::{ClientsCondition, validate_rule};
        let mut w = World::new().await;
        w.server.kind = AuthServerKind::Custom;
        w.server.id = "aus1".into();
        let now = from_millis(0);
        let policy = Policy {
            id: "00p1".into(),
            auth_server_id: "aus1".into(),
            name: "p".into(),
            description: String::new(),
            priority: 1,
            status: LifecycleStatus::Active,
            system: false,
            conditions: ClientsCondition::All.to_json(),
            created: now,
            last_updated: now,
        };
        let rule = |grants: &[&str]| {
            let body = json!({"name": "r",
                "conditions": {"grantTypes": {"include": grants}, "scopes": {"include": ["*"]}},
                "actions": {"token": {"accessTokenLifetimeMinutes": 5}}});
            let f = validate_rule(&body, &["openid".to_owned()]).unwrap();
            PolicyRule {
                id: "0pr1".into(),
                policy_id: "00p1".into(),
                name: "r".into(),
                priority: 1,
                status: LifecycleStatus::Active,
                system: false,
                conditions: f.conditions.to_json(),
                actions: f.lifetimes.to_json(),
                created: now,
                last_updated: now,
            }
        };
        w.rules.scopes = crate::authz::servers::system_scopes("aus1", now);
        w.rules.policies = crate::authz::CompiledPolicies::new(&[(
            policy.clone(),
            vec![rule(&["authorization_code"])],
        )]);
        let a = app();
        let parse = |rt: &str| {
            let params = Params::parse(
                format!(
                    "client_id=c1&redirect_uri=https://a/cb&nonce=n&response_type={rt}&scope=openid"
                )
                .as_bytes(),
            )
            .unwrap();
            let to = check_client(&params, Some(&a)).unwrap();
            validate(&params, &a, &to).unwrap()
        };
        let implicit = parse("id_token%20token");
        assert_eq!(implicit.response_type.grant_types(), [GrantType::Implicit]);
        let hybrid = parse("code%20id_token");
        let code = parse("code");
        // A rule for the code flow only: no tokens from the authorization endpoint, hybrid included.
        assert!(decision(&w.ctx(), &a, &code, "00u1", &[]).is_ok());
        assert!(decision(&w.ctx(), &a, &implicit, "00u1", &[]).is_err());
        assert!(decision(&w.ctx(), &a, &hybrid, "00u1", &[]).is_err());
        w.rules.policies = crate::authz::CompiledPolicies::new(&[(
            policy,
            vec![rule(&["authorization_code", "implicit"])],
        )]);
        let d = decision(&w.ctx(), &a, &implicit, "00u1", &[]).unwrap();
        assert_eq!(d.access_token_lifetime, chrono::Duration::minutes(5));
        assert!(decision(&w.ctx(), &a, &hybrid, "00u1", &[]).is_ok());
    }

    #[tokio::test]
    async fn the_token_endpoint_tokens_are_unchanged_by_the_shared_minting() {
        let w = World::new().await;
        let ctx = w.ctx();
        let amr = ["pwd".to_owned()];
        let scopes = ["openid".to_owned(), "email".to_owned()];
        let t = issue_user_tokens(
            &ctx,
            &app(),
            &crate::oauth::grants::UserAuthorization {
                grant_id: "oag9",
                grant: GrantType::AuthorizationCode,
                user_id: "00u1",
                scopes: &scopes,
                nonce: None,
                session_id: None,
                auth_time: ctx.now,
                amr: &amr,
                claims: None,
                acr: None,
            },
        )
        .await
        .unwrap();
        let c = claims(t.id_token.as_deref().unwrap(), &w.key);
        assert_eq!(c["at_hash"], half_hash(SigningAlg::RS256, &t.access_token));
        assert!(c.get("s_hash").is_none() && c.get("nonce").is_none());
    }
}
