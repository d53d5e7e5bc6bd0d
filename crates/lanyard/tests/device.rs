//! The device authorization grant (RFC 8628) through the real binary: the device authorization endpoint, the
//! token endpoint's polling answers, and the `/activate` page driven by a browser without JavaScript.

mod common;

use std::time::{Duration, Instant};

use common::browser::*;
use common::*;
use lanyard_core::crypto::Jwk;
use lanyard_core::crypto::verify::UnverifiedJws;
use reqwest::Method;
use serde_json::{Value, json};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A public native app (the living-room TV) allowed the device grant and refresh tokens; its client id.
async fn tv_app(env: &Env, label: &str, grants: &[&str]) -> String {
    let body = json!({"label": label, "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
        "settings": {"oauthClient": {"application_type": "native", "grant_types": grants}}});
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{app}");
    app["id"].as_str().unwrap().to_owned()
}

async fn assign(env: &Env, app_id: &str, user_id: &str) {
    let (status, body) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{app_id}/users"),
            Some(json!({"id": user_id, "scope": "USER"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn post_form(
    env: &Env,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = client()
        .post(env.s.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn device_authorize(env: &Env, client_id: &str, scope: &str) -> (u16, Value) {
    let (status, headers, body) = post_form(
        env,
        "/oauth2/default/v1/device/authorize",
        &[("client_id", client_id), ("scope", scope)],
    )
    .await;
    assert_eq!(headers["cache-control"], "no-store");
    (status, body)
}

/// One poll of the token endpoint; the status, the body, and when it was sent.
async fn poll(env: &Env, client_id: &str, device_code: &str) -> (u16, Value, Instant) {
    let sent = Instant::now();
    let (status, headers, body) = post_form(
        env,
        "/oauth2/default/v1/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
    )
    .await;
    assert_eq!(headers["cache-control"], "no-store");
    (status, body, sent)
}

fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_else(|| panic!("{body}"))
}

/// HTML entities askama writes in attribute values, decoded as a browser does.
fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#37;", "%")
        .replace("&#61;", "=")
        .replace("&#43;", "+")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
}

/// Follows a redirect to the sign-in page, signs in there, and returns where it sends the browser.
async fn sign_in_from(env: &Env, b: &mut Browser, to_signin: &str, login: &str) -> String {
    assert!(to_signin.starts_with("/signin?fromURI="), "{to_signin}");
    let page = b.get(&env.s.url(to_signin)).await;
    assert_eq!(page.status, 200);
    let csrf = hidden(&page.body, "csrf");
    let from = unescape(&hidden(&page.body, "fromURI"));
    let signed = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &csrf),
                ("fromURI", &from),
                ("username", login),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    signed.location.unwrap()
}

/// A signed-in browser on the confirmation page of `user_code` (through `verification_uri_complete`).
async fn confirmation(env: &Env, b: &mut Browser, complete: &str, login: &str) -> Page {
    let start = b.get(complete).await;
    assert_eq!(start.status, 303);
    let back = sign_in_from(env, b, &start.location.unwrap(), login).await;
    assert!(back.contains("/activate?user_code="), "{back}");
    b.get(&back).await
}

async fn decide(env: &Env, b: &mut Browser, confirm: &Page, decision: &str) -> Page {
    let csrf = hidden(&confirm.body, "csrf");
    let code = hidden(&confirm.body, "user_code");
    b.post(
        &env.s.url("/activate"),
        &[
            ("csrf", &csrf),
            ("user_code", &code),
            ("decision", decision),
        ],
    )
    .await
}

async fn verified(env: &Env, token: &str) -> serde_json::Map<String, Value> {
    let (_, _, jwks) = get_json(&env.s.url("/oauth2/default/v1/keys")).await;
    let keys: Vec<Jwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    let jws = UnverifiedJws::parse(token).unwrap();
    jws.verify(&keys).expect("signed by a published key");
    jws.claims
}

/// Waits until `interval` seconds have passed since `last`.
async fn wait_interval(last: Instant, interval: u64) {
    let due = last + Duration::from_secs(interval) + Duration::from_millis(100);
    tokio::time::sleep(due.saturating_duration_since(Instant::now())).await;
}

#[tokio::test]
async fn a_tv_signs_in_through_activate_and_gets_tokens_once() {
    let env = Env::start();
    let app_id = tv_app(&env, "Living-room TV", &[DEVICE_GRANT, "refresh_token"]).await;
    let (_, app) = env
        .admin(Method::GET, &format!("/api/v1/apps/{app_id}"), None)
        .await;
    let client_id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uid = env.create_user("ada@example.com").await;
    assign(&env, &app_id, &uid).await;

    let (status, d) = device_authorize(&env, &client_id, "openid profile offline_access").await;
    assert_eq!(status, 200, "{d}");
    let user_code = d["user_code"].as_str().unwrap().to_owned();
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert!(
        user_code.chars().enumerate().all(|(i, c)| if i == 4 {
            c == '-'
        } else {
            "BCDFGHJKLMNPQRSTVWXZ".contains(c)
        }),
        "{user_code}"
    );
    assert_eq!(d["verification_uri"], env.s.url("/activate"));
    assert_eq!(
        d["verification_uri_complete"],
        env.s.url(&format!("/activate?user_code={user_code}"))
    );
    assert_eq!(d["expires_in"], 600);
    assert_eq!(d["interval"], 5);
    let device_code = d["device_code"].as_str().unwrap().to_owned();
    assert!(device_code.len() >= 43, "256 bits");

    let (status, body, mut last) = poll(&env, &client_id, &device_code).await;
    assert_eq!((status, error_of(&body)), (400, "authorization_pending"));

    // The user opens the verification URI, signs in, and comes back to enter the code as they like.
    let mut b = Browser::default();
    let start = b.get(&env.s.url("/activate")).await;
    assert_eq!(start.status, 303);
    let back = sign_in_from(&env, &mut b, &start.location.unwrap(), "ada@example.com").await;
    assert_eq!(back, env.s.url("/activate"));
    let entry = b.get(&back).await;
    assert_eq!(entry.status, 200);
    assert!(entry.body.contains("name=\"user_code\""));
    let csrf = hidden(&entry.body, "csrf");

    // A wrong code is told so.
    let wrong = b
        .post(
            &env.s.url("/activate"),
            &[("csrf", &csrf), ("user_code", "BCDF-GHJK")],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("not valid or has expired"),
        "{}",
        wrong.body
    );

    let typed = user_code.replace('-', "").to_lowercase();
    let confirm = b
        .post(
            &env.s.url("/activate"),
            &[("csrf", &csrf), ("user_code", &typed)],
        )
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains("Living-room TV"));
    assert!(confirm.body.contains(&user_code), "the code to compare");
    for s in ["openid", "profile", "offline_access"] {
        assert!(confirm.body.contains(&format!("<code>{s}</code>")), "{s}");
    }
    // Without the CSRF token nothing is decided.
    let forged = b
        .post(
            &env.s.url("/activate"),
            &[
                ("csrf", "forged"),
                ("user_code", &typed),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(forged.status, 400);
    let (_, body, _) = {
        wait_interval(last, 5).await;
        poll(&env, &client_id, &device_code).await
    };
    assert_eq!(error_of(&body), "authorization_pending");
    last = Instant::now();

    let done = decide(&env, &mut b, &confirm, "approve").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Device connected"));

    wait_interval(last, 5).await;
    let (status, tokens, _) = poll(&env, &client_id, &device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile offline_access");
    let at = verified(&env, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(at["cid"], client_id);
    assert_eq!(at["uid"], uid);
    assert_eq!(at["sub"], "ada@example.com");
    let id = verified(&env, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(id["sub"], uid);
    assert_eq!(id["aud"], client_id);
    assert_eq!(id["amr"], json!(["pwd"]));
    assert!(id["sid"].is_string() && id["auth_time"].is_i64());
    assert!(id.get("nonce").is_none());

    // The refresh token works, evaluated as the device grant that started the family: the default rule now
    // allows only that grant.
    let (_, policies) = env
        .admin(
            Method::GET,
            "/api/v1/authorizationServers/default/policies",
            None,
        )
        .await;
    let pid = policies[0]["id"].as_str().unwrap().to_owned();
    let rules_path = format!("/api/v1/authorizationServers/default/policies/{pid}/rules");
    let (_, rules) = env.admin(Method::GET, &rules_path, None).await;
    let mut rule = rules[0].clone();
    rule["conditions"]["grantTypes"]["include"] = json!([DEVICE_GRANT]);
    let rid = rule["id"].as_str().unwrap().to_owned();
    let (status, updated) = env
        .admin(Method::PUT, &format!("{rules_path}/{rid}"), Some(rule))
        .await;
    assert_eq!(status, 200, "{updated}");
    let refresh = |token: String| {
        let env = &env;
        let client_id = &client_id;
        async move {
            post_form(
                env,
                "/oauth2/default/v1/token",
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", client_id),
                    ("refresh_token", &token),
                ],
            )
            .await
        }
    };
    let (status, _, refreshed) =
        refresh(tokens["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(status, 200, "{refreshed}");
    // The device code works once: a second redemption is refused and revokes the grant, as for authorization
    // codes, so the refresh token stops working.
    let (status, body, _) = poll(&env, &client_id, &device_code).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"));
    let (status, _, body) = refresh(refreshed["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"));
}

#[tokio::test]
async fn fast_polling_slows_down_and_a_denial_is_access_denied() {
    let env = Env::start();
    let app_id = tv_app(&env, "TV", &[DEVICE_GRANT]).await;
    let (_, app) = env
        .admin(Method::GET, &format!("/api/v1/apps/{app_id}"), None)
        .await;
    let client_id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uid = env.create_user("ada@example.com").await;
    assign(&env, &app_id, &uid).await;
    let (_, d) = device_authorize(&env, &client_id, "openid").await;
    let device_code = d["device_code"].as_str().unwrap();
    let (_, body, _) = poll(&env, &client_id, device_code).await;
    assert_eq!(error_of(&body), "authorization_pending");
    let (status, body, _) = poll(&env, &client_id, device_code).await;
    assert_eq!((status, error_of(&body)), (400, "slow_down"));
    let (_, body, _) = poll(&env, &client_id, device_code).await;
    assert_eq!(error_of(&body), "slow_down", "the interval grew");

    let mut b = Browser::default();
    let confirm = confirmation(
        &env,
        &mut b,
        d["verification_uri_complete"].as_str().unwrap(),
        "ada@example.com",
    )
    .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let denied = decide(&env, &mut b, &confirm, "deny").await;
    assert_eq!(denied.status, 200);
    assert!(denied.body.contains("was not connected"), "{}", denied.body);
    let (status, body, _) = poll(&env, &client_id, device_code).await;
    assert_eq!((status, error_of(&body)), (400, "access_denied"));
    // Decided: the code cannot be approved any more.
    let again = decide(&env, &mut b, &confirm, "approve").await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("not valid or has expired"));
}

#[tokio::test]
async fn unassigned_users_other_clients_and_clients_without_the_grant_are_refused() {
    let env = Env::start();
    let app_id = tv_app(&env, "TV", &[DEVICE_GRANT]).await;
    let (_, app) = env
        .admin(Method::GET, &format!("/api/v1/apps/{app_id}"), None)
        .await;
    let client_id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.create_user("bob@example.com").await;
    let (_, d) = device_authorize(&env, &client_id, "openid").await;
    let device_code = d["device_code"].as_str().unwrap();

    // Bob is not assigned to the app: he cannot approve.
    let mut b = Browser::default();
    let page = confirmation(
        &env,
        &mut b,
        d["verification_uri_complete"].as_str().unwrap(),
        "bob@example.com",
    )
    .await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("not assigned to TV"), "{}", page.body);
    let (_, body, _) = poll(&env, &client_id, device_code).await;
    assert_eq!(error_of(&body), "authorization_pending");

    // Another client cannot use the TV's device code.
    let other_id = tv_app(&env, "Other", &[DEVICE_GRANT]).await;
    let (_, other) = env
        .admin(Method::GET, &format!("/api/v1/apps/{other_id}"), None)
        .await;
    let other_client = other["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap();
    let (status, body, _) = poll(&env, other_client, device_code).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"));

    // A client that may not use the grant; an unknown client; an unknown scope; an unknown device code.
    let body = json!({"label": "Web", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
        "settings": {"oauthClient": {"application_type": "browser", "grant_types": ["authorization_code"],
            "redirect_uris": ["http://localhost:3000/cb"]}}});
    let (status, web) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{web}");
    let web_client = web["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap();
    let (status, body) = device_authorize(&env, web_client, "openid").await;
    assert_eq!((status, error_of(&body)), (400, "unauthorized_client"));
    let (status, body) = device_authorize(&env, "nobody", "openid").await;
    assert_eq!((status, error_of(&body)), (401, "invalid_client"));
    let (status, body) = device_authorize(&env, &client_id, "launch_missiles").await;
    assert_eq!((status, error_of(&body)), (400, "invalid_scope"));
    let (status, body, _) = poll(&env, &client_id, "not-a-device-code").await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"));
}
