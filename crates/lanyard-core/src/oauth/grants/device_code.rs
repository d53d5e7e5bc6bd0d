//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4–3.5): the client polls with its device
//! code until the user decides. `authorization_pending` while undecided, `slow_down` when polled sooner than the
//! interval (which then grows by 5 s), `access_denied`, `expired_token`; once approved, the tokens the
//! authorization code grant would issue, once: a second redemption revokes what the first produced, as for codes.

use crate::model::{App, DevicePoll, GrantType};
use crate::oauth::grants::{
    GrantContext, TokenResponse, UserAuthorization, issue_user_tokens, storage,
};
use crate::oauth::params::Params;
use crate::oauth::tokens::hash_of;
use crate::oauth_error::{ErrorCode, OAuthError};

pub const PARAMS: &[&str] = &["grant_type", "device_code"];

fn invalid(detail: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "The device code is invalid or has expired.",
    )
    .with_detail(detail.to_owned())
}

pub async fn exchange(
    ctx: &GrantContext<'_>,
    app: &App,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let value = params.require("device_code")?;
    let poll = ctx
        .store
        .poll_device_code(
            &hash_of(value),
            &app.client.client_id,
            &ctx.server.id,
            ctx.now,
        )
        .await
        .map_err(storage)?;
    let code = match poll {
        DevicePoll::Approved(code) => code,
        DevicePoll::Pending => {
            return Err(OAuthError::new(
                ErrorCode::AuthorizationPending,
                "The device authorization is pending. Please try again later.",
            ));
        }
        DevicePoll::SlowDown { interval } => {
            return Err(OAuthError::new(
                ErrorCode::SlowDown,
                "The client is polling too frequently. Please slow down.",
            )
            .with_detail(format!("interval now {interval} s")));
        }
        DevicePoll::Denied => {
            return Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "The resource owner or authorization server denied the request.",
            ));
        }
        DevicePoll::Expired => {
            return Err(OAuthError::new(
                ErrorCode::ExpiredToken,
                "The device code has expired.",
            ));
        }
        DevicePoll::Replayed(code) => {
            ctx.store
                .revoke_grant(&code.grant_id, ctx.now)
                .await
                .map_err(storage)?;
            return Err(invalid("device code redeemed before; its grant is revoked"));
        }
        DevicePoll::Invalid => return Err(invalid("unknown device code, or another client's")),
    };
    let Some(approval) = code.approval.as_ref() else {
        return Err(invalid("approved device code without its approval"));
    };
    let acr = crate::oauth::acr::acr_for(&approval.amr, &[]);
    issue_user_tokens(
        ctx,
        app,
        &UserAuthorization {
            grant_id: &code.grant_id,
            grant: GrantType::DeviceCode,
            user_id: &approval.user_id,
            scopes: &code.scopes,
            nonce: None,
            session_id: approval.session_id.as_deref(),
            auth_time: approval.auth_time,
            amr: &approval.amr,
            claims: None,
            acr: Some(&acr),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::clock::{Timestamp, from_millis};
    use crate::crypto::{SigningAlg, SigningKey};
    use crate::model::{
        ApplicationType, AuthServerKind, AuthorizationServer, ClientAuthMethod, DeviceApproval,
        DeviceCodeStatus, LifecycleStatus, OAuthClient, User, UserStatus,
    };
    use crate::oauth::device::{DeviceRequest, normalise_user_code, start, user_code_hash};
    use crate::oauth::policy::ServerRules;
    use crate::oauth::tokens::Issuer;
    use crate::random::TestRandom;
    use crate::store::memory::MemoryStore;
    use crate::store::{DeviceStore, GrantStore, UserStore};

    fn at(s: i64) -> Timestamp {
        from_millis(1_700_000_000_000 + s * 1000)
    }

    fn server() -> AuthorizationServer {
        AuthorizationServer {
            id: "aus1".into(),
            kind: AuthServerKind::Org,
            name: "org".into(),
            description: String::new(),
            audiences: vec![],
            status: LifecycleStatus::Active,
            signing_alg: SigningAlg::ES256,
            created: at(0),
            last_updated: at(0),
        }
    }

    fn app(client_id: &str, grants: Vec<GrantType>) -> App {
        App {
            id: format!("0oa{client_id}"),
            name: "oidc_client".into(),
            label: "TV".into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client: OAuthClient {
                client_id: client_id.into(),
                application_type: ApplicationType::Native,
                token_endpoint_auth_method: ClientAuthMethod::None,
                pkce_required: true,
                grant_types: grants,
                response_types: vec![],
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                consent_method: "TRUSTED".into(),
                jwks: None,
                jwks_uri: None,
                initiate_login_uri: None,
                dpop_bound_access_tokens: false,
                logout: Default::default(),
                extra: serde_json::Map::new(),
                registration: None,
                catalog: None,
                claims: Vec::new(),
            },
            created: at(0),
            last_updated: at(0),
        }
    }

    struct World {
        store: MemoryStore,
        server: AuthorizationServer,
        rules: ServerRules,
        key: SigningKey,
        aud: Vec<String>,
        random: TestRandom,
        tv: App,
    }

    impl World {
        async fn new() -> World {
            let store = MemoryStore::new();
            let user = User {
                id: "00uada".into(),
                status: UserStatus::Active,
                login: "ada@example.com".into(),
                profile: serde_json::Map::new(),
                created: at(0),
                activated: Some(at(0)),
                status_changed: None,
                last_login: None,
                last_updated: at(0),
                password_changed: None,
            };
            store.insert_user(&user, None).await.unwrap();
            World {
                store,
                server: server(),
                rules: ServerRules::default(),
                key: SigningKey::generate(SigningAlg::ES256).unwrap(),
                aud: vec!["http://x".into()],
                random: TestRandom::default(),
                tv: app("tv", vec![GrantType::DeviceCode, GrantType::RefreshToken]),
            }
        }

        fn ctx(&self, now: Timestamp) -> GrantContext<'_> {
            GrantContext {
                store: &self.store,
                now,
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

        /// A stored device authorization: the device code and the user code as shown.
        async fn start(&self, scope: &str) -> (String, String) {
            let params = Params::parse(format!("scope={scope}").as_bytes()).unwrap();
            let resp = crate::oauth::device::authorize(
                &self.store,
                &DeviceRequest {
                    server: &self.server,
                    rules: &self.rules,
                    app: &self.tv,
                    params: &params,
                    base_url: "http://x",
                    now: at(0),
                },
                &self.random,
            )
            .await
            .unwrap();
            (resp.device_code, resp.user_code)
        }

        async fn poll(
            &self,
            app: &App,
            device_code: &str,
            now: i64,
        ) -> Result<TokenResponse, OAuthError> {
            let params = Params::parse(
                format!(
                    "grant_type={}&device_code={device_code}",
                    GrantType::DeviceCode.as_str()
                )
                .as_bytes(),
            )
            .unwrap();
            crate::oauth::grants::exchange(&self.ctx(at(now)), app, GrantType::DeviceCode, &params)
                .await
        }

        async fn decide(&self, user_code: &str, approve: bool, now: i64) -> bool {
            let hash = user_code_hash(&normalise_user_code(user_code).unwrap());
            let approval = DeviceApproval {
                user_id: "00uada".into(),
                session_id: Some("102sid".into()),
                auth_time: at(now - 1),
                amr: vec!["pwd".into()],
                decided_at: at(now),
            };
            self.store
                .decide_device_code(&hash, approve.then_some(&approval), at(now))
                .await
                .unwrap()
        }
    }

    fn code_of(r: Result<TokenResponse, OAuthError>) -> ErrorCode {
        r.unwrap_err().code
    }

    #[tokio::test]
    async fn pending_slow_down_then_tokens_once() {
        let w = World::new().await;
        let (dc, uc) = w.start("openid%20offline_access").await;
        assert_eq!(
            code_of(w.poll(&w.tv, &dc, 1).await),
            ErrorCode::AuthorizationPending
        );
        assert_eq!(code_of(w.poll(&w.tv, &dc, 2).await), ErrorCode::SlowDown);
        // The interval is 10 s now.
        assert_eq!(code_of(w.poll(&w.tv, &dc, 8).await), ErrorCode::SlowDown);
        assert_eq!(
            code_of(w.poll(&w.tv, &dc, 30).await),
            ErrorCode::AuthorizationPending
        );
        assert!(
            w.decide(&uc.to_lowercase().replace('-', ""), true, 40)
                .await
        );
        // Decided once.
        assert!(!w.decide(&uc, false, 41).await);
        let tokens = w.poll(&w.tv, &dc, 45).await.unwrap();
        assert_eq!(tokens.scope, "openid offline_access");
        assert!(tokens.id_token.is_some());
        assert!(tokens.refresh_token.is_some());
        let claims = crate::crypto::verify::UnverifiedJws::parse(tokens.id_token.as_ref().unwrap())
            .unwrap()
            .claims;
        assert_eq!(claims["sub"], "00uada");
        assert_eq!(claims["sid"], "102sid");
        assert_eq!(claims["auth_time"], at(39).timestamp());
        assert_eq!(claims["acr"], "urn:okta:loa:1fa:pwd");
        assert!(claims.get("nonce").is_none());

        // Single use: the second redemption revokes the grant.
        let grant_id = crate::oauth::tokens::grant_of_jti(
            crate::crypto::verify::UnverifiedJws::parse(&tokens.access_token)
                .unwrap()
                .claims["jti"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
        .to_owned();
        assert!(
            w.store
                .grant(&grant_id)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_none()
        );
        assert_eq!(
            code_of(w.poll(&w.tv, &dc, 60).await),
            ErrorCode::InvalidGrant
        );
        assert!(
            w.store
                .grant(&grant_id)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
    }

    #[tokio::test]
    async fn denied_expired_unknown_and_other_clients_codes() {
        let w = World::new().await;
        let (dc, uc) = w.start("openid").await;
        let other = app("other", vec![GrantType::DeviceCode]);
        assert_eq!(
            code_of(w.poll(&other, &dc, 1).await),
            ErrorCode::InvalidGrant
        );
        assert_eq!(
            code_of(w.poll(&w.tv, "nope", 1).await),
            ErrorCode::InvalidGrant
        );
        // Another client's attempt did not count as a poll.
        assert_eq!(
            code_of(w.poll(&w.tv, &dc, 2).await),
            ErrorCode::AuthorizationPending
        );
        assert!(w.decide(&uc, false, 10).await);
        assert_eq!(
            code_of(w.poll(&w.tv, &dc, 20).await),
            ErrorCode::AccessDenied
        );
        assert_eq!(
            code_of(w.poll(&w.tv, &dc, 600).await),
            ErrorCode::ExpiredToken
        );

        // A code nobody decided in time: expired, and it can no longer be approved.
        let (dc, uc) = w.start("openid").await;
        let hash = user_code_hash(&normalise_user_code(&uc).unwrap());
        assert!(
            w.store
                .pending_device_code(&hash, at(599))
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            w.store
                .pending_device_code(&hash, at(600))
                .await
                .unwrap()
                .is_none()
        );
        assert!(!w.decide(&uc, true, 600).await);
        assert_eq!(
            code_of(w.poll(&w.tv, &dc, 601).await),
            ErrorCode::ExpiredToken
        );
        // An approved code redeemed too late is expired too.
        let (dc, uc) = w.start("openid").await;
        assert!(w.decide(&uc, true, 10).await);
        assert_eq!(
            code_of(w.poll(&w.tv, &dc, 600).await),
            ErrorCode::ExpiredToken
        );
        assert_eq!(
            w.store.delete_expired_device_codes(at(700)).await.unwrap(),
            3
        );
    }

    #[tokio::test]
    async fn the_client_must_be_allowed_the_grant_and_the_scopes() {
        let w = World::new().await;
        let web = app("web", vec![GrantType::AuthorizationCode]);
        let params = Params::parse(b"scope=openid").unwrap();
        let req = |app: &'static App, params: &'static Params| DeviceRequest {
            server: Box::leak(Box::new(server())),
            rules: Box::leak(Box::new(ServerRules::default())),
            app,
            params,
            base_url: "http://x",
            now: at(0),
        };
        let web: &'static App = Box::leak(Box::new(web));
        let params: &'static Params = Box::leak(Box::new(params));
        let e = start(&req(web, params), &w.random).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        let tv: &'static App = Box::leak(Box::new(w.tv.clone()));
        let bad: &'static Params = Box::leak(Box::new(Params::parse(b"scope=launch").unwrap()));
        assert_eq!(
            start(&req(tv, bad), &w.random).unwrap_err().code,
            ErrorCode::InvalidScope
        );
        let (resp, record) = start(&req(tv, params), &w.random).unwrap();
        assert_eq!(resp.verification_uri, "http://x/activate");
        assert_eq!(
            resp.verification_uri_complete,
            format!("http://x/activate?user_code={}", resp.user_code)
        );
        assert_eq!((resp.expires_in, resp.interval), (600, 5));
        assert_eq!(
            record.hash,
            crate::oauth::tokens::hash_of(&resp.device_code)
        );
        assert_eq!(record.status, DeviceCodeStatus::Pending);
        assert_eq!(record.expires_at - record.created, Duration::seconds(600));
        // A device code is not usable by a client that may not use the grant.
        let (dc, _) = w.start("openid").await;
        assert_eq!(
            code_of(w.poll(web, &dc, 1).await),
            ErrorCode::UnauthorizedClient
        );
    }
}
