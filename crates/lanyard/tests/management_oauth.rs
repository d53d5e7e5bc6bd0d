//! OAuth for the management API, as Okta's: the Grants API (`/api/v1/apps/{id}/grants`), the org authorization
//! server issuing `okta.*` scopes to `private_key_jwt` service apps only as granted, and the management API taking
//! those tokens (`Bearer`, `DPoP` with proofs) with the scope each endpoint declares, next to SSWS.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use lanyard_core::crypto::verify::UnverifiedJws;
use lanyard_core::crypto::{SigningAlg, SigningKey, jws};
use reqwest::Method;
use serde_json::{Value, json};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A service app; `private_key_jwt` with `key` when given, else a client secret. Its id (= its client id) and
/// secret, if any.
async fn service_app(env: &Env, key: Option<&SigningKey>, dpop: bool) -> (String, Option<String>) {
    let mut body = json!({"label": "Service", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"],
            "dpop_bound_access_tokens": dpop}}});
    if let Some(k) = key {
        body["credentials"]["oauthClient"]["token_endpoint_auth_method"] = json!("private_key_jwt");
        body["settings"]["oauthClient"]["jwks"] = json!({"keys": [k.public_jwk()]});
    }
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{app}");
    let secret = app["credentials"]["oauthClient"]["client_secret"]
        .as_str()
        .map(str::to_owned);
    (app["id"].as_str().unwrap().to_owned(), secret)
}

async fn grant(env: &Env, app: &str, scope: &str) -> Value {
    let body = json!({"issuer": env.s.url(""), "scopeId": scope});
    let (status, g) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{app}/grants"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{g}");
    g
}

/// A client assertion for `/oauth2/v1/{endpoint}`, as Okta's SDKs make it.
fn assertion(env: &Env, key: &SigningKey, client_id: &str, endpoint: &str) -> String {
    let t = now();
    jws::sign(
        key,
        None,
        &json!({"iss": client_id, "sub": client_id, "aud": env.s.url(&format!("/oauth2/v1/{endpoint}")),
            "jti": unique(), "iat": t, "exp": t + 300}),
    )
    .unwrap()
}

/// `POST /oauth2/v1/token` for client credentials with a client assertion and, if given, a DPoP header.
async fn token(
    env: &Env,
    key: &SigningKey,
    client_id: &str,
    scope: &str,
    dpop: Option<String>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("scope", scope.to_owned()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
        ),
        ("client_assertion", assertion(env, key, client_id, "token")),
    ];
    let mut req = client().post(env.s.url("/oauth2/v1/token")).form(&form);
    if let Some(p) = dpop {
        req = req.header("DPoP", p);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

/// An access token for `scope` (Bearer).
async fn access_token(env: &Env, key: &SigningKey, client_id: &str, scope: &str) -> String {
    let (s, _, body) = token(env, key, client_id, scope, None).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().unwrap().to_owned()
}

/// A DPoP proof for `htm` `htu`, with the server's `nonce` and, for a resource request, the access token's hash.
fn proof(
    key: &SigningKey,
    htm: &str,
    htu: &str,
    nonce: Option<&str>,
    token: Option<&str>,
) -> String {
    let b = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let header = json!({"typ": "dpop+jwt", "alg": key.alg().as_str(), "jwk": key.public_jwk()});
    let ath = token.map(|t| URL_SAFE_NO_PAD.encode(lanyard_core::crypto::sha256(t.as_bytes())));
    let claims =
        json!({"jti": unique(), "htm": htm, "htu": htu, "iat": now(), "nonce": nonce, "ath": ath});
    let input = format!("{}.{}", b(&header), b(&claims));
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).unwrap())
    )
}

/// A management API call with `authorization` (and a DPoP proof); status, headers, JSON body.
async fn call(
    env: &Env,
    method: Method,
    path: &str,
    authorization: &str,
    dpop: Option<String>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client()
        .request(method, env.s.url(path))
        .header("Authorization", authorization);
    if let Some(p) = dpop {
        req = req.header("DPoP", p);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

fn www_authenticate(h: &reqwest::header::HeaderMap) -> String {
    h.get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn causes(body: &Value) -> String {
    body["errorCauses"].to_string()
}

#[tokio::test]
async fn the_grants_api_grants_lists_reads_and_revokes_okta_scopes_in_okta_s_shape() {
    let env = Env::start();
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let (app, _) = service_app(&env, Some(&key), false).await;
    let g = grant(&env, &app, "okta.users.read").await;
    let id = g["id"].as_str().unwrap();
    assert!(id.starts_with("oag"), "{g}");
    assert_eq!(g["scopeId"], "okta.users.read");
    assert_eq!(g["issuer"], env.s.url(""));
    assert_eq!(g["clientId"], app.as_str());
    assert_eq!(
        (g["source"].as_str(), g["status"].as_str()),
        (Some("ADMIN"), Some("ACTIVE"))
    );
    assert!(
        g["created"].is_string() && g["lastUpdated"].is_string(),
        "{g}"
    );
    assert_eq!(
        g["_links"]["self"]["href"],
        env.s.url(&format!("/api/v1/apps/{app}/grants/{id}"))
    );
    assert_eq!(
        g["_links"]["app"]["href"],
        env.s.url(&format!("/api/v1/apps/{app}"))
    );

    // The same scope again; a scope Lanyard does not know; another issuer; nothing at all.
    let post = |body: Value| {
        let env = &env;
        let app = app.clone();
        async move {
            env.admin(
                Method::POST,
                &format!("/api/v1/apps/{app}/grants"),
                Some(body),
            )
            .await
        }
    };
    let issuer = env.s.url("");
    let (s, e) = post(json!({"issuer": issuer, "scopeId": "okta.users.read"})).await;
    assert_eq!(s, 400);
    assert_okta_error(&e, "E0000001");
    assert!(causes(&e).contains("already granted"), "{e}");
    let (s, e) = post(json!({"issuer": issuer, "scopeId": "okta.brands.read"})).await;
    assert_eq!(s, 400);
    assert_okta_error(&e, "E0000001");
    assert!(
        causes(&e).contains("scopeId") && causes(&e).contains("okta.users.read"),
        "{e}"
    );
    let (s, e) =
        post(json!({"issuer": "https://elsewhere.example", "scopeId": "okta.groups.read"})).await;
    assert_eq!(s, 400);
    assert!(causes(&e).contains("issuer"), "{e}");
    let (s, e) = post(json!({})).await;
    assert_eq!(s, 400);
    assert!(
        causes(&e).contains("issuer") && causes(&e).contains("scopeId"),
        "{e}"
    );

    let second = grant(&env, &app, "okta.groups.manage").await;
    let (s, list) = env
        .admin(Method::GET, &format!("/api/v1/apps/{app}/grants"), None)
        .await;
    assert_eq!(s, 200);
    let scopes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["scopeId"].as_str().unwrap())
        .collect();
    assert_eq!(scopes.len(), 2, "{list}");
    assert!(scopes.contains(&"okta.users.read") && scopes.contains(&"okta.groups.manage"));
    let (s, read) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{app}/grants/{id}"),
            None,
        )
        .await;
    assert_eq!((s, &read), (200, &g));

    let (s, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/apps/{app}/grants/{id}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, e) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{app}/grants/{id}"),
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert_okta_error(&e, "E0000007");
    let (s, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/apps/{app}/grants/{id}"),
            None,
        )
        .await;
    assert_eq!(s, 404);
    // Another app's grant is not reachable through this one; an unknown app is a 404.
    let (other, _) = service_app(&env, Some(&key), false).await;
    let second_id = second["id"].as_str().unwrap();
    let (s, _) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{other}/grants/{second_id}"),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = env
        .admin(Method::GET, "/api/v1/apps/0oanope/grants", None)
        .await;
    assert_eq!(s, 404);
    // The grant is in the system log (written in batches: polled).
    let url = env
        .s
        .url("/api/v1/logs?filter=eventType%20eq%20%22app.oauth2.as.consent.grant%22");
    let logged = eventually(10, || {
        let (url, token) = (url.clone(), env.token.clone());
        async move {
            api_get(&url, &token)
                .await
                .2
                .as_array()
                .is_some_and(|a| !a.is_empty())
        }
    })
    .await;
    assert!(logged, "the grant is logged");
}

#[tokio::test]
async fn the_org_server_issues_okta_scopes_only_as_granted_and_only_to_private_key_jwt_apps() {
    let env = Env::start();
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let (app, _) = service_app(&env, Some(&key), false).await;
    // Nothing granted yet.
    let (s, _, e) = token(&env, &key, &app, "okta.users.read", None).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_scope")),
        "{e}"
    );
    let g = grant(&env, &app, "okta.users.read").await;

    let t = access_token(&env, &key, &app, "okta.users.read").await;
    let claims = UnverifiedJws::parse(&t).unwrap().claims;
    assert_eq!(
        claims["aud"],
        env.s.url(""),
        "aud is the org URL, as Okta's"
    );
    assert_eq!(claims["iss"], env.s.url(""));
    assert_eq!(claims["scp"], json!(["okta.users.read"]));
    assert_eq!(
        (claims["cid"].as_str(), claims["sub"].as_str()),
        (Some(app.as_str()), Some(app.as_str()))
    );
    assert!(claims.get("uid").is_none() && claims.get("cnf").is_none());

    // A scope not granted, a scope Lanyard does not know, an okta.* scope with an OpenID scope.
    for scope in [
        "okta.users.manage",
        "okta.users.read okta.groups.read",
        "okta.brands.read",
        "okta.users.read openid",
    ] {
        let (s, _, e) = token(&env, &key, &app, scope, None).await;
        assert_eq!(
            (s, e["error"].as_str()),
            (400, Some("invalid_scope")),
            "{scope}: {e}"
        );
    }
    // A service app with a client secret gets no okta.* scope, granted or not.
    let (secret_app, secret) = service_app(&env, None, false).await;
    grant(&env, &secret_app, "okta.users.read").await;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{secret_app}:{}", secret.unwrap()))
    );
    let r = client()
        .post(env.s.url("/oauth2/v1/token"))
        .header("Authorization", basic)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "okta.users.read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "invalid_client");
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("private_key_jwt"),
        "{e}"
    );

    // Revoking the grant stops new tokens.
    let (s, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/apps/{app}/grants/{}", g["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _, e) = token(&env, &key, &app, "okta.users.read", None).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_scope")),
        "{e}"
    );
}

#[tokio::test]
async fn bearer_tokens_reach_what_their_scopes_allow_and_ssws_keeps_everything() {
    let env = Env::start();
    let ada = env.create_user("ada@example.com").await;
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let (app, _) = service_app(&env, Some(&key), false).await;
    grant(&env, &app, "okta.users.read").await;
    grant(&env, &app, "okta.groups.manage").await;
    let reader = access_token(&env, &key, &app, "okta.users.read").await;
    let bearer = format!("Bearer {reader}");

    let (s, _, users) = call(&env, Method::GET, "/api/v1/users", &bearer, None, None).await;
    assert_eq!(s, 200, "{users}");
    assert_eq!(users[0]["id"], ada.as_str());
    let (s, _, _) = call(
        &env,
        Method::GET,
        &format!("/api/v1/users/{ada}/groups"),
        &bearer,
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    // Without a space, as Okta's Python SDK may send it.
    let (s, _, _) = call(
        &env,
        Method::GET,
        "/api/v1/users",
        &format!("Bearer{reader}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);

    // Writes need okta.users.manage; factors, roles, apps, logs their own scopes.
    let new_user = json!({"profile": {"firstName": "B", "lastName": "C", "email": "b@example.com", "login": "b@example.com"}});
    let (s, h, e) = call(
        &env,
        Method::POST,
        "/api/v1/users",
        &bearer,
        None,
        Some(new_user.clone()),
    )
    .await;
    assert_eq!(s, 403, "{e}");
    assert_okta_error(&e, "E0000006");
    assert!(causes(&e).contains("okta.users.manage"), "{e}");
    let challenge = www_authenticate(&h);
    assert!(
        challenge.starts_with("Bearer")
            && challenge.contains("insufficient_scope")
            && challenge.contains("okta.users.manage"),
        "{challenge}"
    );
    for (method, path, scope) in [
        (
            Method::GET,
            format!("/api/v1/users/{ada}/factors"),
            "okta.factors.read",
        ),
        (
            Method::GET,
            format!("/api/v1/users/{ada}/roles"),
            "okta.roles.read",
        ),
        (
            Method::POST,
            format!("/api/v1/users/{ada}/lifecycle/suspend"),
            "okta.users.manage",
        ),
        (Method::GET, "/api/v1/apps".to_owned(), "okta.apps.read"),
        (
            Method::GET,
            format!("/api/v1/apps/{app}/grants"),
            "okta.appGrants.read",
        ),
        (Method::GET, "/api/v1/logs".to_owned(), "okta.logs.read"),
        (
            Method::GET,
            "/api/v1/authorizationServers".to_owned(),
            "okta.authorizationServers.read",
        ),
        (
            Method::GET,
            "/api/v1/policies?type=OKTA_SIGN_ON".to_owned(),
            "okta.policies.read",
        ),
        (
            Method::GET,
            "/api/v1/trustedOrigins".to_owned(),
            "okta.trustedOrigins.read",
        ),
        (
            Method::GET,
            "/api/v1/api-tokens".to_owned(),
            "okta.apiTokens.read",
        ),
    ] {
        let (s, _, e) = call(&env, method, &path, &bearer, None, None).await;
        assert_eq!(s, 403, "{path}: {e}");
        assert!(causes(&e).contains(scope), "{path}: {e}");
    }
    // okta.groups.manage covers reading groups and writing them.
    let (s, _, _) = call(&env, Method::GET, "/api/v1/groups", &bearer, None, None).await;
    assert_eq!(s, 403, "the token was issued for okta.users.read only");
    let groups = access_token(&env, &key, &app, "okta.groups.manage").await;
    let (s, _, _) = call(
        &env,
        Method::GET,
        "/api/v1/groups",
        &format!("Bearer {groups}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, g) = call(
        &env,
        Method::POST,
        "/api/v1/groups",
        &format!("Bearer {groups}"),
        None,
        Some(json!({"profile": {"name": "Engineers"}})),
    )
    .await;
    assert_eq!(s, 200, "{g}");

    // "Me" needs a user: refused clearly, whether behind a token or by the session cookie.
    for path in [
        "/api/v1/users/me",
        "/api/v1/users/me/appLinks",
        "/api/v1/sessions/me",
    ] {
        let (s, _, e) = call(&env, Method::GET, path, &bearer, None, None).await;
        assert_eq!(s, 403, "{path}: {e}");
        assert!(causes(&e).contains("no user"), "{path}: {e}");
    }

    // The system log names the app as the actor of what its token did (written in batches: polled).
    let url = env
        .s
        .url("/api/v1/logs?filter=eventType%20eq%20%22group.lifecycle.create%22");
    let logged = eventually(10, || {
        let (url, token) = (url.clone(), env.token.clone());
        async move {
            api_get(&url, &token)
                .await
                .2
                .as_array()
                .is_some_and(|a| !a.is_empty())
        }
    })
    .await;
    assert!(logged, "the group's creation is logged");
    let (_, _, events) = api_get(&url, &env.token).await;
    let actor = &events[0]["actor"];
    assert_eq!(
        (
            actor["id"].as_str(),
            actor["type"].as_str(),
            actor["displayName"].as_str()
        ),
        (Some(app.as_str()), Some("PublicClientApp"), Some("Service")),
        "{events}"
    );

    // SSWS still reaches everything.
    let (s, u) = env
        .admin(Method::POST, "/api/v1/users", Some(new_user))
        .await;
    assert_eq!(s, 200, "{u}");
    let (s, _) = env.admin(Method::GET, "/api/v1/logs", None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn dpop_bound_tokens_work_only_with_proofs_of_their_key() {
    let env = Env::start();
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let dpop_key = SigningKey::generate(SigningAlg::ES256).unwrap();
    let (app, _) = service_app(&env, Some(&key), true).await;
    grant(&env, &app, "okta.users.read").await;
    let token_url = env.s.url("/oauth2/v1/token");
    // No proof: refused; a proof without the nonce: `use_dpop_nonce` and the nonce.
    let (s, _, e) = token(&env, &key, &app, "okta.users.read", None).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{e}"
    );
    let (s, h, e) = token(
        &env,
        &key,
        &app,
        "okta.users.read",
        Some(proof(&dpop_key, "POST", &token_url, None, None)),
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "{e}"
    );
    let nonce = h["dpop-nonce"].to_str().unwrap().to_owned();
    let (s, _, body) = token(
        &env,
        &key,
        &app,
        "okta.users.read",
        Some(proof(&dpop_key, "POST", &token_url, Some(&nonce), None)),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let t = body["access_token"].as_str().unwrap().to_owned();
    let claims = UnverifiedJws::parse(&t).unwrap().claims;
    assert_eq!(claims["cnf"]["jkt"], dpop_key.public_jwk().thumbprint());

    let users = env.s.url("/api/v1/users");
    let auth = format!("DPoP {t}");
    let good = proof(&dpop_key, "GET", &users, None, Some(&t));
    let (s, _, body) = call(
        &env,
        Method::GET,
        "/api/v1/users",
        &auth,
        Some(good.clone()),
        None,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    // The same proof again (jti replay); as a Bearer token; without a proof; a proof for another URL, method or
    // token, or of another key.
    let (s, h, _) = call(&env, Method::GET, "/api/v1/users", &auth, Some(good), None).await;
    assert_eq!(s, 401);
    assert!(www_authenticate(&h).contains("invalid_dpop_proof"), "{h:?}");
    let (s, _, _) = call(
        &env,
        Method::GET,
        "/api/v1/users",
        &format!("Bearer {t}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 401);
    let (s, _, _) = call(&env, Method::GET, "/api/v1/users", &auth, None, None).await;
    assert_eq!(s, 401);
    let bad = [
        proof(
            &dpop_key,
            "GET",
            &env.s.url("/api/v1/groups"),
            None,
            Some(&t),
        ),
        proof(&dpop_key, "POST", &users, None, Some(&t)),
        proof(&dpop_key, "GET", &users, None, Some("another token")),
        proof(&dpop_key, "GET", &users, None, None),
        proof(
            &SigningKey::generate(SigningAlg::ES256).unwrap(),
            "GET",
            &users,
            None,
            Some(&t),
        ),
    ];
    for p in bad {
        let (s, _, e) = call(&env, Method::GET, "/api/v1/users", &auth, Some(p), None).await;
        assert_eq!(s, 401, "{e}");
        assert_okta_error(&e, "E0000011");
    }
    // A query string is not part of htu.
    let (s, _, _) = call(
        &env,
        Method::GET,
        "/api/v1/users?limit=1",
        &auth,
        Some(proof(&dpop_key, "GET", &users, None, Some(&t))),
        None,
    )
    .await;
    assert_eq!(s, 200);

    // An app that did not ask for DPoP gets Bearer tokens even when its request carries a proof (Okta's Node SDK
    // always sends one).
    let (plain, _) = service_app(&env, Some(&key), false).await;
    grant(&env, &plain, "okta.users.read").await;
    let (s, _, body) = token(
        &env,
        &key,
        &plain,
        "okta.users.read",
        Some(proof(&dpop_key, "POST", &token_url, None, None)),
    )
    .await;
    assert_eq!(
        (s, body["token_type"].as_str()),
        (200, Some("Bearer")),
        "{body}"
    );
}

#[tokio::test]
async fn missing_revoked_and_foreign_tokens_get_a_401_that_says_what_to_send() {
    let env = Env::start();
    // Nothing: Okta's code and summary, and what to send.
    let r = client()
        .get(env.s.url("/api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let challenge = www_authenticate(r.headers());
    assert!(
        challenge.contains("SSWS") && challenge.contains("Bearer") && challenge.contains("DPoP"),
        "{challenge}"
    );
    let e: Value = r.json().await.unwrap();
    assert_okta_error(&e, "E0000011");
    assert_eq!(e["errorSummary"], "Invalid token provided");
    let hint = causes(&e);
    assert!(
        hint.contains("SSWS")
            && hint.contains("lanyard api-token create")
            && hint.contains("okta."),
        "{e}"
    );
    // A wrong SSWS token, garbage as Bearer.
    for auth in ["SSWS nope", "Bearer nope", "Basic YTpi"] {
        let (s, h, e) = call(&env, Method::GET, "/api/v1/users", auth, None, None).await;
        assert_eq!(s, 401, "{auth}");
        assert_okta_error(&e, "E0000011");
        assert!(www_authenticate(&h).contains("SSWS"), "{auth}");
    }

    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let (app, _) = service_app(&env, Some(&key), false).await;
    grant(&env, &app, "okta.users.read").await;
    let t = access_token(&env, &key, &app, "okta.users.read").await;
    let (s, _, _) = call(
        &env,
        Method::GET,
        "/api/v1/users",
        &format!("Bearer {t}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);

    // Another server's token: a custom server's client-credentials token is not the org's.
    let (s, _) = env
        .admin(
            Method::POST,
            "/api/v1/authorizationServers/default/scopes",
            Some(json!({"name": "orders.read"})),
        )
        .await;
    assert_eq!(s, 201);
    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("scope", "orders.read".to_owned()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
        ),
        ("client_assertion", {
            let t = now();
            jws::sign(&key, None, &json!({"iss": app, "sub": app, "aud": env.s.url("/oauth2/default/v1/token"), "jti": unique(), "iat": t, "exp": t + 300})).unwrap()
        }),
    ];
    let r = client()
        .post(env.s.url("/oauth2/default/v1/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let custom: Value = r.json().await.unwrap();
    let (s, _, e) = call(
        &env,
        Method::GET,
        "/api/v1/users",
        &format!("Bearer {}", custom["access_token"].as_str().unwrap()),
        None,
        None,
    )
    .await;
    assert_eq!(s, 401, "{e}");
    assert_okta_error(&e, "E0000011");

    // Revoked (RFC 7009): refused at once.
    let revoke = [
        ("token", t.clone()),
        ("token_type_hint", "access_token".to_owned()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
        ),
        ("client_assertion", assertion(&env, &key, &app, "revoke")),
    ];
    let r = client()
        .post(env.s.url("/oauth2/v1/revoke"))
        .form(&revoke)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (s, _, e) = call(
        &env,
        Method::GET,
        "/api/v1/users",
        &format!("Bearer {t}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 401, "{e}");
    assert_okta_error(&e, "E0000011");

    // A deactivated app's tokens stop working.
    let t = access_token(&env, &key, &app, "okta.users.read").await;
    let (s, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{app}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert!(s == 200 || s == 204, "{s}");
    let (s, _, _) = call(
        &env,
        Method::GET,
        "/api/v1/users",
        &format!("Bearer {t}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 401);
}
