//! Logout through the real binary, beyond the OIDF modules (`tests/conformance`): every way a session ends tells
//! the apps signed into it, back-channel notices are retried and logged, custom servers sign their own, the
//! confirmation is CSRF-protected, the signed-out page's frames and CSP, `sid` in ID tokens.

mod common;

#[path = "conformance/op/listener.rs"]
mod listener;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::browser::{Browser, Page, hidden, post_owned};
use common::*;
use lanyard_core::crypto::Jwk;
use lanyard_core::crypto::verify::UnverifiedJws;
use listener::Listener;

/// The apps' back-channel endpoints are local listeners: outbound requests may reach loopback, as in a lab.
const LAB: &[&str] = &["--outbound-allow", "loopback"];
use reqwest::Method;
use serde_json::{Map, Value, json};

const REDIRECT: &str = "http://localhost:3000/callback";
const POST_LOGOUT: &str = "http://localhost:3000/signed-out";

struct Rp {
    id: String,
    secret: String,
}

/// A web app with a post-logout redirect URI and `extra` settings, assigned to `users`.
async fn rp(env: &Env, extra: Value, users: &[&str]) -> Rp {
    let mut settings = json!({"application_type": "web", "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": [REDIRECT], "post_logout_redirect_uris": [POST_LOGOUT]});
    if let (Some(s), Value::Object(e)) = (settings.as_object_mut(), extra) {
        s.extend(e);
    }
    let body = json!({"label": "Logout RP", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic", "pkce_required": false}},
        "settings": {"oauthClient": settings}});
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    for user in users {
        let (status, body) = env
            .admin(
                Method::POST,
                &format!("/api/v1/apps/{id}/users"),
                Some(json!({"id": user, "scope": "USER"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    Rp {
        secret: app["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .unwrap()
            .to_owned(),
        id,
    }
}

fn prefix(server: &str) -> String {
    if server == "org" {
        "/oauth2/v1".into()
    } else {
        format!("/oauth2/{server}/v1")
    }
}

fn issuer(env: &Env, server: &str) -> String {
    if server == "org" {
        env.s.url("").trim_end_matches('/').to_owned()
    } else {
        env.s.url(&format!("/oauth2/{server}"))
    }
}

fn query_of(location: &str) -> BTreeMap<String, String> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

/// Signs `login` in within `b` (a session token at /authorize: the session cookie lands in the browser) and
/// completes the code flow with `rp` on `server`; the token response.
async fn sign_in(env: &Env, b: &mut Browser, server: &str, rp: &Rp, login: &str) -> Value {
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": login, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let authn: Value = r.json().await.unwrap();
    let token = authn["sessionToken"].as_str().expect("sessionToken");
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &rp.id)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid offline_access")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "st")
        .append_pair("nonce", "n")
        .append_pair("prompt", "none")
        .append_pair("sessionToken", token)
        .finish();
    let page = b
        .get(&env.s.url(&format!("{}/authorize?{q}", prefix(server))))
        .await;
    assert_eq!(page.status, 302, "{}", page.body);
    let code = query_of(page.location.as_deref().unwrap())["code"].clone();
    tokens(
        env,
        server,
        rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
}

async fn tokens(env: &Env, server: &str, rp: &Rp, form: &[(&str, &str)]) -> Value {
    let r = client()
        .post(env.s.url(&format!("{}/token", prefix(server))))
        .header(
            "Authorization",
            format!(
                "Basic {}",
                STANDARD.encode(format!("{}:{}", rp.id, rp.secret))
            ),
        )
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn claims(token: &str) -> Map<String, Value> {
    UnverifiedJws::parse(token).unwrap().claims.clone()
}

async fn jwks(env: &Env, server: &str) -> Vec<Jwk> {
    let (_, _, body) = get_json(&env.s.url(&format!("{}/keys", prefix(server)))).await;
    serde_json::from_value(body["keys"].clone()).unwrap()
}

/// The logout token of a back-channel request, verified with `server`'s keys; its claims.
async fn logout_token(env: &Env, server: &str, req: &listener::Received) -> Map<String, Value> {
    let form = req.form();
    assert_eq!(form.len(), 1, "{form:?}");
    assert_eq!(form[0].0, "logout_token");
    let jws = UnverifiedJws::parse(&form[0].1).unwrap();
    jws.verify(&jwks(env, server).await)
        .expect("signed by the server");
    assert_eq!(jws.typ(), Some("logout+jwt"));
    assert_eq!(jws.claims["iss"], issuer(env, server).as_str());
    jws.claims.clone()
}

async fn logout(env: &Env, b: &mut Browser, server: &str, params: &[(&str, &str)]) -> Page {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    b.get(&env.s.url(&format!("{}/logout?{q}", prefix(server))))
        .await
}

async fn signed_in(env: &Env, b: &mut Browser) -> bool {
    b.send(client().get(env.s.url("/api/v1/sessions/me")))
        .await
        .status
        == 200
}

async fn events(env: &Env, event_type: &str) -> Vec<Value> {
    let filter: String =
        url::form_urlencoded::byte_serialize(format!("eventType eq \"{event_type}\"").as_bytes())
            .collect();
    let (status, _, body) = api_get(
        &env.s.url(&format!("/api/v1/logs?filter={filter}")),
        &env.token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

#[tokio::test]
async fn every_way_a_session_ends_tells_its_apps_through_the_back_channel() {
    let env = Env::start_with(LAB);
    let ada = env.create_user("ada@example.com").await;
    let listener = Listener::start().await;
    let app = rp(
        &env,
        json!({"backchannel_logout_uri": listener.url("/bcl")}),
        &[&ada],
    )
    .await;
    let user_path = format!("/api/v1/users/{ada}");
    let ways = [
        "DELETE /api/v1/sessions/me",
        "/login/signout",
        "DELETE /api/v1/sessions/{id}",
        "DELETE /api/v1/users/{id}/sessions",
        "suspend",
        "deactivate",
    ];
    for (n, way) in ways.into_iter().enumerate() {
        let mut b = Browser::default();
        let t = sign_in(&env, &mut b, "org", &app, "ada@example.com").await;
        let id_claims = claims(t["id_token"].as_str().unwrap());
        let sid = id_claims["sid"].as_str().unwrap().to_owned();
        match way {
            "DELETE /api/v1/sessions/me" => {
                let p = b
                    .send(client().delete(env.s.url("/api/v1/sessions/me")))
                    .await;
                assert_eq!(p.status, 204);
            }
            "/login/signout" => {
                assert_eq!(b.get(&env.s.url("/login/signout")).await.status, 200);
            }
            "DELETE /api/v1/sessions/{id}" => {
                let (status, _) = env
                    .admin(Method::DELETE, &format!("/api/v1/sessions/{sid}"), None)
                    .await;
                assert_eq!(status, 204);
            }
            "DELETE /api/v1/users/{id}/sessions" => {
                let (status, _) = env
                    .admin(Method::DELETE, &format!("{user_path}/sessions"), None)
                    .await;
                assert_eq!(status, 204);
            }
            op => {
                let (status, body) = env
                    .admin(
                        Method::POST,
                        &format!("{user_path}/lifecycle/{op}"),
                        Some(json!({})),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
                if op == "suspend" {
                    let (status, _) = env
                        .admin(
                            Method::POST,
                            &format!("{user_path}/lifecycle/unsuspend"),
                            Some(json!({})),
                        )
                        .await;
                    assert_eq!(status, 200);
                }
            }
        }
        assert!(!signed_in(&env, &mut b).await, "{way}: the session ended");
        let got = listener.wait_for("/bcl", n + 1, 15).await;
        assert_eq!(got.len(), n + 1, "{way}: one notice");
        let lt = logout_token(&env, "org", &got[n]).await;
        assert_eq!(lt["sid"], sid.as_str(), "{way}");
        assert_eq!(lt["sub"], ada.as_str(), "{way}");
        assert_eq!(lt["aud"], app.id.as_str(), "{way}");
    }
}

#[tokio::test]
async fn back_channel_notices_are_retried_with_backoff_and_logged() {
    let env = Env::start_with(LAB);
    let ada = env.create_user("ada@example.com").await;
    let listener = Listener::start().await;
    let app = rp(
        &env,
        json!({"backchannel_logout_uri": listener.url("/bcl")}),
        &[&ada],
    )
    .await;

    // Two failures, then delivered.
    listener.answer_next(&[503, 500]);
    let mut b = Browser::default();
    sign_in(&env, &mut b, "org", &app, "ada@example.com").await;
    b.get(&env.s.url("/login/signout")).await;
    let got = listener.wait_for("/bcl", 3, 15).await;
    assert_eq!(got.len(), 3, "tried until delivered");
    let jtis: Vec<Value> = {
        let mut v = Vec::new();
        for r in &got {
            v.push(logout_token(&env, "org", r).await["jti"].clone());
        }
        v
    };
    assert!(
        jtis[0] != jtis[1] && jtis[1] != jtis[2],
        "each attempt is a fresh token"
    );
    assert!(
        eventually(10, || async {
            events(&env, "app.oauth2.backchannel_logout").await.len() == 1
        })
        .await
    );
    let e = &events(&env, "app.oauth2.backchannel_logout").await[0];
    assert_eq!(e["outcome"]["result"], "SUCCESS", "{e}");
    assert!(
        e["displayMessage"].as_str().unwrap().contains("3 attempts"),
        "{e}"
    );
    let targets: Vec<&str> = e["target"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(targets.contains(&app.id.as_str()) && targets.contains(&ada.as_str()));

    // Never delivered: every attempt, then a failure in the log.
    listener.answer_next(&[500, 500, 500, 500]);
    let mut b = Browser::default();
    sign_in(&env, &mut b, "org", &app, "ada@example.com").await;
    b.get(&env.s.url("/login/signout")).await;
    assert_eq!(listener.wait_for("/bcl", 7, 20).await.len(), 7);
    assert!(
        eventually(15, || async {
            events(&env, "app.oauth2.backchannel_logout").await.len() == 2
        })
        .await
    );
    let failed = events(&env, "app.oauth2.backchannel_logout")
        .await
        .into_iter()
        .find(|e| e["outcome"]["result"] == "FAILURE")
        .expect("a failure event");
    assert_eq!(failed["outcome"]["reason"], "HTTP 500");
    assert!(
        failed["displayMessage"]
            .as_str()
            .unwrap()
            .contains("4 attempts")
    );
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(listener.received("/bcl").len(), 7, "no more attempts");
}

#[tokio::test]
async fn custom_servers_take_their_own_hints_and_sign_their_own_logout_tokens_as_the_app_s_id_tokens()
 {
    let env = Env::start_with(LAB);
    let ada = env.create_user("ada@example.com").await;
    let listener = Listener::start().await;
    // An app with its own ID token algorithm gets logout tokens signed the same way.
    let app = rp(
        &env,
        json!({"backchannel_logout_uri": listener.url("/bcl"), "id_token_signed_response_alg": "ES256"}),
        &[&ada],
    )
    .await;
    let (_, _, meta) = get_json(
        &env.s
            .url("/oauth2/default/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(
        meta["end_session_endpoint"],
        env.s.url("/oauth2/default/v1/logout").as_str()
    );
    let mut b = Browser::default();
    let t = sign_in(&env, &mut b, "default", &app, "ada@example.com").await;
    let id_token = t["id_token"].as_str().unwrap();
    assert_eq!(claims(id_token)["iss"], issuer(&env, "default").as_str());

    // The org server did not issue it.
    let refused = logout(&env, &mut b, "org", &[("id_token_hint", id_token)]).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("not issued by this server"));
    assert!(signed_in(&env, &mut b).await, "still signed in");

    let out = logout(
        &env,
        &mut b,
        "default",
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(out.status, 302, "{}", out.body);
    assert_eq!(
        out.location.as_deref(),
        Some(format!("{POST_LOGOUT}?state=s1").as_str())
    );
    assert!(!signed_in(&env, &mut b).await);
    let got = listener.wait_for("/bcl", 1, 15).await;
    let lt = logout_token(&env, "default", &got[0]).await;
    assert_eq!(lt["sid"], claims(id_token)["sid"]);
    let alg = |t: &str| UnverifiedJws::parse(t).unwrap().header["alg"].clone();
    assert_eq!(alg(id_token), "ES256");
    assert_eq!(
        alg(&got[0].form()[0].1),
        "ES256",
        "signed like the app's ID tokens"
    );
}

#[tokio::test]
async fn requests_that_cannot_be_trusted_are_confirmed_with_csrf_or_refused() {
    let env = Env::start_with(LAB);
    let ada = env.create_user("ada@example.com").await;
    let bob = env.create_user("bob@example.com").await;
    let app = rp(&env, json!({}), &[&ada, &bob]).await;
    let mut ada_b = Browser::default();
    let mut bob_b = Browser::default();
    let ada_t = sign_in(&env, &mut ada_b, "org", &app, "ada@example.com").await;
    let bob_t = sign_in(&env, &mut bob_b, "org", &app, "bob@example.com").await;
    let bob_hint = bob_t["id_token"].as_str().unwrap();

    // Refused: client_id of another app than the hint's; an unknown client; a duplicated parameter.
    for q in [
        format!(
            "id_token_hint={bob_hint}&client_id=0oaother&post_logout_redirect_uri={POST_LOGOUT}"
        ),
        "client_id=0oanosuchapp".to_owned(),
        "state=a&state=b".to_owned(),
    ] {
        let p = ada_b
            .get(&env.s.url(&format!("/oauth2/v1/logout?{q}")))
            .await;
        assert_eq!(p.status, 400, "{q}: {}", p.body);
        assert!(p.location.is_none());
        assert!(
            p.body.contains("href=\"/oauth2/v1/logout\""),
            "a way to sign out anyway"
        );
    }

    // Bob's ID token in Ada's browser: not her session, so she is asked, with the app's origin allowed as a
    // form target (the answer redirects there).
    let params = [
        ("id_token_hint", bob_hint),
        ("post_logout_redirect_uri", POST_LOGOUT),
        ("state", "s2"),
    ];
    let ask = logout(&env, &mut ada_b, "org", &params).await;
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(ask.body.contains("id=\"logout-confirm\""));
    assert!(ask.body.contains("ada@example.com"));
    let csp = ask.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("form-action 'self' http://localhost:3000"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    let csrf = hidden(&ask.body, "csrf");
    let mut fields: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    fields.push(("confirm".into(), "yes".into()));

    // Without the CSRF token of her browser: refused.
    let mut forged = fields.clone();
    forged.push(("csrf".into(), "forged".into()));
    let p = post_owned(&mut ada_b, &env.s.url("/oauth2/v1/logout"), forged).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("expired"));
    let mut elsewhere = Browser {
        cookies: ada_b
            .cookies
            .iter()
            .filter(|(k, _)| k.as_str() == "sid")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let mut stolen = fields.clone();
    stolen.push(("csrf".into(), csrf.clone()));
    let p = post_owned(&mut elsewhere, &env.s.url("/oauth2/v1/logout"), stolen).await;
    assert_eq!(p.status, 400, "the token without its cookie");
    assert!(signed_in(&env, &mut ada_b).await);

    // Confirmed: Ada is signed out and back at the app; Bob is not touched.
    fields.push(("csrf".into(), csrf));
    let p = post_owned(&mut ada_b, &env.s.url("/oauth2/v1/logout"), fields).await;
    assert_eq!(p.status, 302, "{}", p.body);
    assert_eq!(
        p.location.as_deref(),
        Some(format!("{POST_LOGOUT}?state=s2").as_str())
    );
    assert!(!signed_in(&env, &mut ada_b).await);
    assert!(signed_in(&env, &mut bob_b).await);

    // Ada's own hint, by POST, after her session is gone: nothing to end, back to the app.
    let ada_hint = ada_t["id_token"].as_str().unwrap();
    let p = ada_b
        .post(
            &env.s.url("/oauth2/v1/logout"),
            &[
                ("id_token_hint", ada_hint),
                ("post_logout_redirect_uri", POST_LOGOUT),
            ],
        )
        .await;
    assert_eq!(p.status, 302);
    assert_eq!(p.location.as_deref(), Some(POST_LOGOUT));

    // Bob's own hint by POST with logout_hint and ui_locales: trusted, signed out at once.
    let p = bob_b
        .post(
            &env.s.url("/oauth2/v1/logout"),
            &[
                ("id_token_hint", bob_hint),
                ("client_id", &app.id),
                ("logout_hint", "bob@example.com"),
                ("ui_locales", "fr-CA"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("You have signed out"));
    assert!(!signed_in(&env, &mut bob_b).await);
}

#[tokio::test]
async fn the_signed_out_page_loads_front_channel_frames_under_its_csp() {
    let env = Env::start_with(LAB);
    let ada = env.create_user("ada@example.com").await;
    let listener = Listener::start().await;
    let app = rp(
        &env,
        json!({"redirect_uris": [REDIRECT, listener.url("/cb")],
            "frontchannel_logout_uri": listener.url("/fcl?app=1")}),
        &[&ada],
    )
    .await;
    let mut b = Browser::default();
    let t = sign_in(&env, &mut b, "org", &app, "ada@example.com").await;
    let sid = claims(t["id_token"].as_str().unwrap())["sid"].clone();

    // Okta's sign-out URL shows the frames too.
    let page = b.get(&env.s.url("/login/signout")).await;
    assert_eq!(page.status, 200);
    let src = page
        .body
        .split("<iframe class=\"logout-frame\" src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a frame")
        .replace("&#38;", "&");
    let expected = format!(
        "{}?app=1&iss={}&sid={}",
        listener.url("/fcl"),
        url::form_urlencoded::byte_serialize(issuer(&env, "org").as_bytes()).collect::<String>(),
        sid.as_str().unwrap()
    );
    assert_eq!(src, expected, "the registered URI with iss and sid");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("frame-src {}", listener.base)),
        "{csp}"
    );
    assert!(
        !csp.contains("script-src"),
        "no script without a way on: {csp}"
    );
    assert!(!page.body.contains("<script"));

    // With a way back to the app: the page goes on by script once the frames have loaded, the script allowed by
    // its hash alone.
    let mut b = Browser::default();
    let t = sign_in(&env, &mut b, "org", &app, "ada@example.com").await;
    let page = logout(
        &env,
        &mut b,
        "org",
        &[
            ("id_token_hint", t["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "s3"),
        ],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<iframe"));
    assert!(page.body.contains("id=\"continue\""));
    let script = page
        .body
        .split("<script>")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("a script");
    use sha2::Digest;
    let hash = STANDARD.encode(sha2::Sha256::digest(script.as_bytes()));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn id_tokens_carry_the_session_as_sid_also_after_a_refresh() {
    let env = Env::start_with(LAB);
    let ada = env.create_user("ada@example.com").await;
    let app = rp(&env, json!({}), &[&ada]).await;
    let mut b = Browser::default();
    let t = sign_in(&env, &mut b, "org", &app, "ada@example.com").await;
    let me = b.send(client().get(env.s.url("/api/v1/sessions/me"))).await;
    let session: Value = serde_json::from_str(&me.body).unwrap();
    let sid = claims(t["id_token"].as_str().unwrap())["sid"].clone();
    assert_eq!(sid, session["id"]);
    let again = tokens(
        &env,
        "org",
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ("scope", "openid offline_access"),
        ],
    )
    .await;
    assert_eq!(claims(again["id_token"].as_str().unwrap())["sid"], sid);
}

#[tokio::test]
async fn a_device_approved_in_a_session_hears_when_it_ends() {
    const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
    let env = Env::start_with(LAB);
    let ada = env.create_user("ada@example.com").await;
    let listener = Listener::start().await;
    let body = json!({"label": "TV", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
        "settings": {"oauthClient": {"application_type": "native", "grant_types": [DEVICE_GRANT],
            "backchannel_logout_uri": listener.url("/bcl")}}});
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{app}");
    let tv = app["id"].as_str().unwrap().to_owned();
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{tv}/users"),
            Some(json!({"id": ada, "scope": "USER"})),
        )
        .await;
    assert_eq!(status, 200);
    let r = client()
        .post(env.s.url("/oauth2/default/v1/device/authorize"))
        .form(&[("client_id", tv.as_str()), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    let d: Value = r.json().await.unwrap();

    // Ada, signed in in her browser, approves the code.
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["sessionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut b = Browser::default();
    let p = b
        .get(&env.s.url(&format!(
            "/login/sessionCookieRedirect?token={token}&redirectUrl={}",
            env.s.url("/app")
        )))
        .await;
    assert_eq!(p.status, 302);
    let confirm = b
        .get(d["verification_uri_complete"].as_str().unwrap())
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let approved = b
        .post(
            &env.s.url("/activate"),
            &[
                ("csrf", &hidden(&confirm.body, "csrf")),
                ("user_code", &hidden(&confirm.body, "user_code")),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let r = client()
        .post(env.s.url("/oauth2/default/v1/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("client_id", tv.as_str()),
            ("device_code", d["device_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let t: Value = r.json().await.unwrap();
    let sid = claims(t["id_token"].as_str().expect("id_token"))["sid"].clone();

    b.get(&env.s.url("/login/signout")).await;
    let got = listener.wait_for("/bcl", 1, 15).await;
    assert_eq!(got.len(), 1);
    let lt = logout_token(&env, "default", &got[0]).await;
    assert_eq!(lt["aud"], tv.as_str());
    assert_eq!(lt["sid"], sid);
}

#[tokio::test]
async fn a_pairwise_app_s_hint_is_trusted_and_its_logout_token_names_the_pairwise_sub() {
    let env = Env::start_with(LAB);
    let ada = env.create_user("ada@example.com").await;
    let bob = env.create_user("bob@example.com").await;
    let listener = Listener::start().await;
    let app = rp(
        &env,
        json!({"backchannel_logout_uri": listener.url("/bcl"), "subject_type": "pairwise"}),
        &[&ada, &bob],
    )
    .await;
    let mut b = Browser::default();
    let t = sign_in(&env, &mut b, "org", &app, "ada@example.com").await;
    let id_token = t["id_token"].as_str().unwrap();
    let sub = claims(id_token)["sub"].as_str().unwrap().to_owned();
    assert_ne!(sub, ada, "a pairwise sub");

    // Bob's pairwise hint in Ada's browser is not her session: she is asked.
    let mut bob_b = Browser::default();
    let bob_t = sign_in(&env, &mut bob_b, "org", &app, "bob@example.com").await;
    let ask = logout(
        &env,
        &mut b,
        "org",
        &[("id_token_hint", bob_t["id_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(ask.body.contains("id=\"logout-confirm\""));
    assert!(signed_in(&env, &mut b).await);

    // Her own: trusted, no confirmation, back to the app.
    let out = logout(
        &env,
        &mut b,
        "org",
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "s3"),
        ],
    )
    .await;
    assert_eq!(out.status, 302, "{}", out.body);
    assert_eq!(
        out.location.as_deref(),
        Some(format!("{POST_LOGOUT}?state=s3").as_str())
    );
    assert!(!signed_in(&env, &mut b).await);
    let got = listener.wait_for("/bcl", 1, 15).await;
    let lt = logout_token(&env, "org", &got[0]).await;
    assert_eq!(lt["sub"], sub.as_str(), "the sub of the app's ID tokens");
    assert_eq!(lt["sid"], claims(id_token)["sid"]);
}
