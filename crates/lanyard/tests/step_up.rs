//! Stepping a session up to the `acr` a client asks for, through the real binary: `acr_values` (or an essential
//! `acr` claim request) that the session does not satisfy send the browser to the MFA step for the signed-in user
//! (no password again) and back, after which the session's `amr` and the ID token's `acr`/`amr` show the second
//! factor; `prompt=none` answers `interaction_required`; a user with no factor to verify, or an essential request
//! no sign-in can meet, `unmet_authentication_requirements`; the upgrade is in the database, so another node sees
//! it (on PostgreSQL).

mod common;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::browser::{Browser, Page, hidden};
use common::*;
use lanyard_core::crypto::verify::UnverifiedJws;
use lanyard_core::mfa::totp::{TotpConfig, TotpSecret, code_at};
use reqwest::Method;
use serde_json::{Map, Value, json};

const REDIRECT: &str = "http://localhost:3000/callback";
const TWO_FA: &str = "urn:okta:loa:2fa:any";

struct Rp {
    id: String,
    secret: String,
}

async fn rp(env: &Env, user: &str) -> Rp {
    let body = json!({"label": "Step-up RP", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic", "pkce_required": false}},
        "settings": {"oauthClient": {"application_type": "web", "grant_types": ["authorization_code"],
            "redirect_uris": [REDIRECT]}}});
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let (status, body) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{id}/users"),
            Some(json!({"id": user, "scope": "USER"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    Rp {
        secret: app["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .unwrap()
            .to_owned(),
        id,
    }
}

fn authorize(base: &str, rp: &Rp, extra: &[(&str, &str)]) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &rp.id)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "st")
        .append_pair("nonce", "n")
        .extend_pairs(extra)
        .finish();
    format!("{base}/oauth2/v1/authorize?{q}")
}

/// The parameters of a redirect to the client.
fn answer(p: &Page) -> BTreeMap<String, String> {
    assert_eq!(p.status, 302, "{}", p.body);
    let location = p.location.as_deref().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
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

/// The ID token's claims for a code.
async fn id_token(env: &Env, rp: &Rp, code: &str) -> Map<String, Value> {
    let r = client()
        .post(env.s.url("/oauth2/v1/token"))
        .header(
            "Authorization",
            format!(
                "Basic {}",
                STANDARD.encode(format!("{}:{}", rp.id, rp.secret))
            ),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    UnverifiedJws::parse(body["id_token"].as_str().unwrap())
        .unwrap()
        .claims
        .clone()
}

fn amr(claims: &Map<String, Value>) -> Vec<&str> {
    claims["amr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// Signs `login` in with a password through the hosted page, for `rp`; the ID token's claims.
async fn password_sign_in(env: &Env, b: &mut Browser, rp: &Rp, login: &str) -> Map<String, Value> {
    let start = b.get(&authorize(&env.s.url(""), rp, &[])).await;
    assert_eq!(start.status, 302);
    let page = b.get(&env.s.url(start.location.as_deref().unwrap())).await;
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
    let done = b.get(signed.location.as_deref().unwrap()).await;
    id_token(env, rp, &answer(&done)["code"]).await
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Enrols and activates a TOTP factor for `uid` through the Factors API; its id and secret.
async fn totp(env: &Env, uid: &str) -> (String, TotpSecret) {
    let (status, factor) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{uid}/factors"),
            Some(json!({"factorType": "token:software:totp", "provider": "GOOGLE"})),
        )
        .await;
    assert_eq!(status, 200, "{factor}");
    let fid = factor["id"].as_str().unwrap().to_owned();
    let secret = TotpSecret::from_base32(
        factor["_embedded"]["activation"]["sharedSecret"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let (status, body) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{uid}/factors/{fid}/lifecycle/activate"),
            Some(json!({"passCode": code_at(&secret, &TotpConfig::default(), now())})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (fid, secret)
}

async fn session_me(env: &Env, cookie: &str) -> (u16, Value) {
    let r = client()
        .get(env.s.url("/api/v1/sessions/me"))
        .header("Cookie", format!("sid={cookie}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn acr_values_asking_for_two_factors_step_a_password_session_up_through_the_mfa_step() {
    let env = Env::start();
    let ada = env.create_user("ada@example.com").await;
    let rp = rp(&env, &ada).await;
    let base = env.s.url("");
    let mut b = Browser::default();
    let first = password_sign_in(&env, &mut b, &rp, "ada@example.com").await;
    assert_eq!(first["acr"], "urn:okta:loa:1fa:pwd");
    assert_eq!(amr(&first), ["pwd"]);
    let sid = first["sid"].as_str().unwrap().to_owned();

    // No factor to verify: the request cannot be met (no factor is enrolled on the strength of a session alone).
    for extra in [
        &[("acr_values", TWO_FA)][..],
        &[("acr_values", TWO_FA), ("prompt", "none")][..],
    ] {
        let p = answer(&b.get(&authorize(&base, &rp, extra)).await);
        assert_eq!(
            p["error"], "unmet_authentication_requirements",
            "{extra:?}: {p:?}"
        );
        assert_eq!(p["state"], "st");
        assert!(p.contains_key("iss"));
    }

    // Ada sets up TOTP (an administrator enrols it here): her password session now falls short of 2fa.
    let (fid, secret) = totp(&env, &ada).await;
    let code = |t: u64| code_at(&secret, &TotpConfig::default(), t);

    // prompt=none: interaction_required, and the session is untouched.
    let none = answer(
        &b.get(&authorize(
            &base,
            &rp,
            &[("acr_values", TWO_FA), ("prompt", "none")],
        ))
        .await,
    );
    assert_eq!(none["error"], "interaction_required", "{none:?}");
    assert_eq!(none["state"], "st");
    // Unknown classes are voluntary: ignored, the request succeeds with what the session has.
    let unknown = answer(
        &b.get(&authorize(
            &base,
            &rp,
            &[("acr_values", "1 2"), ("prompt", "none")],
        ))
        .await,
    );
    let claims = id_token(&env, &rp, &unknown["code"]).await;
    assert_eq!(claims["acr"], "urn:okta:loa:1fa:pwd");

    // The step-up: to the MFA step for the signed-in user — no password field — and back.
    let old_cookie = b.cookies["sid"].clone();
    let start = b
        .get(&authorize(&base, &rp, &[("acr_values", TWO_FA)]))
        .await;
    assert_eq!(start.status, 302, "{}", start.body);
    let to = start.location.unwrap();
    assert!(to.starts_with("/signin/step-up?fromURI="), "{to}");
    let page = b.get(&env.s.url(&to)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("name=\"password\""));
    assert_eq!(hidden(&page.body, "factorId"), fid);
    let fields = |pass: &str| {
        vec![
            ("csrf".to_owned(), hidden(&page.body, "csrf")),
            (
                "fromURI".to_owned(),
                unescape(&hidden(&page.body, "fromURI")),
            ),
            ("stateToken".to_owned(), hidden(&page.body, "stateToken")),
            ("factorId".to_owned(), fid.clone()),
            ("passCode".to_owned(), pass.to_owned()),
        ]
    };
    let wrong =
        common::browser::post_owned(&mut b, &env.s.url("/signin/verify"), fields("000000")).await;
    assert_eq!(wrong.status, 403, "a wrong code: the step again");
    assert!(wrong.body.contains("didn&#39;t work") || wrong.body.contains("didn't work"));
    assert_eq!(b.cookies["sid"], old_cookie, "nothing changed");

    // The state token of a step-up is not the Authn API's.
    let (status, _) = {
        let r = client()
            .post(env.s.url(&format!("/api/v1/authn/factors/{fid}/verify")))
            .json(&json!({"stateToken": hidden(&page.body, "stateToken"), "passCode": "000000"}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), ())
    };
    assert_eq!(status, 403);

    let verified = common::browser::post_owned(
        &mut b,
        &env.s.url("/signin/verify"),
        fields(&code(now() + 30)),
    )
    .await;
    assert_eq!(verified.status, 303, "{}", verified.body);
    let back = verified.location.unwrap();
    assert!(back.contains("/oauth2/v1/authorize?"), "{back}");
    assert_ne!(
        b.cookies["sid"], old_cookie,
        "a new cookie after the step-up"
    );
    assert_eq!(
        session_me(&env, &old_cookie).await.0,
        404,
        "the old cookie is gone"
    );
    let (status, me) = session_me(&env, &b.cookies["sid"]).await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], sid.as_str(), "the same session");

    let done = answer(&b.get(&back).await);
    let claims = id_token(&env, &rp, &done["code"]).await;
    assert_eq!(claims["acr"], TWO_FA);
    let methods = amr(&claims);
    for m in ["pwd", "otp", "mfa"] {
        assert!(methods.contains(&m), "{methods:?}");
    }
    assert_eq!(claims["sid"], sid.as_str());
    assert_eq!(
        claims["auth_time"], first["auth_time"],
        "the sign-in's time"
    );

    // The upgraded session needs no step-up: prompt=none, and an essential acr claim request, succeed at once.
    let again = answer(
        &b.get(&authorize(
            &base,
            &rp,
            &[("acr_values", TWO_FA), ("prompt", "none")],
        ))
        .await,
    );
    assert_eq!(id_token(&env, &rp, &again["code"]).await["acr"], TWO_FA);
    let essential =
        json!({"id_token": {"acr": {"essential": true, "values": [TWO_FA]}}}).to_string();
    let claimed = answer(
        &b.get(&authorize(
            &base,
            &rp,
            &[("claims", &essential), ("prompt", "none")],
        ))
        .await,
    );
    assert_eq!(id_token(&env, &rp, &claimed["code"]).await["acr"], TWO_FA);

    // An essential acr claim request only of classes Lanyard does not know cannot be met.
    let impossible = json!({"id_token": {"acr": {"essential": true, "values": ["1"]}}}).to_string();
    let p = answer(
        &b.get(&authorize(&base, &rp, &[("claims", &impossible)]))
            .await,
    );
    assert_eq!(p["error"], "unmet_authentication_requirements", "{p:?}");
}

#[tokio::test]
async fn the_step_up_page_needs_the_session_it_upgrades() {
    let env = Env::start();
    let ada = env.create_user("ada@example.com").await;
    let rp = rp(&env, &ada).await;
    let mut b = Browser::default();
    let mut other = Browser::default();
    password_sign_in(&env, &mut b, &rp, "ada@example.com").await;
    password_sign_in(&env, &mut other, &rp, "ada@example.com").await;
    let (fid, secret) = totp(&env, &ada).await;

    // Without a session: the sign-in page, and back.
    let mut stranger = Browser::default();
    let p = stranger
        .get(&env.s.url("/signin/step-up?fromURI=%2Fapp"))
        .await;
    assert_eq!(p.status, 303);
    assert!(p.location.unwrap().starts_with("/signin?fromURI="));

    // The step-up begun in one session does not upgrade another (Ada's other browser), even with the right code.
    let page = b.get(&env.s.url("/signin/step-up?fromURI=%2Fapp")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The other browser's own form field (it opens the page too), with the first browser's state token.
    let own = other
        .get(&env.s.url("/signin/step-up?fromURI=%2Fapp"))
        .await;
    let csrf = hidden(&own.body, "csrf");
    let code = code_at(&secret, &TotpConfig::default(), now() + 30);
    let p = other
        .post(
            &env.s.url("/signin/verify"),
            &[
                ("csrf", &csrf),
                ("fromURI", "/app"),
                ("stateToken", &hidden(&page.body, "stateToken")),
                ("factorId", &fid),
                ("passCode", &code),
            ],
        )
        .await;
    assert_eq!(p.status, 403, "{}", p.body);
    let cookie = other.cookies["sid"].clone();
    let (status, _) = session_me(&env, &cookie).await;
    assert_eq!(status, 200, "the other session goes on, as it was");
    let again = answer(
        &other
            .get(&authorize(
                &env.s.url(""),
                &rp,
                &[("acr_values", TWO_FA), ("prompt", "none")],
            ))
            .await,
    );
    assert_eq!(again["error"], "interaction_required");
}

/// The step-up of `b`'s session with the TOTP factor `fid`, from an authorization request asking for 2fa at `base`;
/// where the browser goes back to.
async fn step_up(b: &mut Browser, base: &str, rp: &Rp, fid: &str, secret: &TotpSecret) -> String {
    let start = b.get(&authorize(base, rp, &[("acr_values", TWO_FA)])).await;
    assert_eq!(start.status, 302, "{}", start.body);
    let page = b.get(&format!("{base}{}", start.location.unwrap())).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let code = code_at(secret, &TotpConfig::default(), now() + 30);
    let verified = b
        .post(
            &format!("{base}/signin/verify"),
            &[
                ("csrf", &hidden(&page.body, "csrf")),
                ("fromURI", &unescape(&hidden(&page.body, "fromURI"))),
                ("stateToken", &hidden(&page.body, "stateToken")),
                ("factorId", fid),
                ("passCode", &code),
            ],
        )
        .await;
    assert_eq!(verified.status, 303, "{}", verified.body);
    verified.location.unwrap()
}

#[tokio::test]
async fn a_step_up_on_one_node_holds_on_another() {
    use lanyard_testkit::postgres::TempDatabase;
    const MASTER_KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80";
    let Some(db) = TempDatabase::create().await else {
        return;
    };
    let node = |dir: &std::path::Path| {
        lanyard()
            .serve_with(
                &["--data-dir", path_str(dir), "--database-url", &db.url],
                |c| {
                    c.env("LANYARD_MASTER_KEY", MASTER_KEY);
                },
            )
            .unwrap()
    };
    let (dir_a, dir_b) = (data_dir(), data_dir());
    let a = node(dir_a.path());
    let b_node = node(dir_b.path());
    let out = lanyard()
        .command()
        .args([
            "api-token",
            "create",
            "--name",
            "t",
            "--database-url",
            &db.url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let env = Env {
        s: a,
        token: String::from_utf8(out.stdout).unwrap().trim().to_owned(),
        dir: dir_a,
    };
    let ada = env.create_user("ada@example.com").await;
    let rp = rp(&env, &ada).await;
    let mut b = Browser::default();
    password_sign_in(&env, &mut b, &rp, "ada@example.com").await;
    let (fid, secret) = totp(&env, &ada).await;
    let other = b_node.url("");
    let before = answer(
        &b.get(&authorize(
            &other,
            &rp,
            &[("acr_values", TWO_FA), ("prompt", "none")],
        ))
        .await,
    );
    assert_eq!(before["error"], "interaction_required");
    let back = step_up(&mut b, &env.s.url(""), &rp, &fid, &secret).await;
    assert!(back.contains("/oauth2/v1/authorize?"), "{back}");
    // Node B answers the upgraded session at once.
    let there = answer(
        &b.get(&authorize(
            &other,
            &rp,
            &[("acr_values", TWO_FA), ("prompt", "none")],
        ))
        .await,
    );
    assert_eq!(id_token(&env, &rp, &there["code"]).await["acr"], TWO_FA);
}

/// A request that came as a request object keeps its parameters out of the URL through the step-up too: the way
/// back names a held request, as for sign-in and consent.
#[tokio::test]
async fn a_request_object_s_step_up_comes_back_by_a_held_reference() {
    let env = Env::start();
    let ada = env.create_user("ada@example.com").await;
    let rp = rp(&env, &ada).await;
    let base = env.s.url("");
    let mut b = Browser::default();
    password_sign_in(&env, &mut b, &rp, "ada@example.com").await;
    totp(&env, &ada).await;

    // An unsigned request object (alg none) carrying acr_values and a marker state.
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let object = format!(
        "{}.{}.",
        b64(&json!({"alg": "none"})),
        b64(
            &json!({"client_id": rp.id, "response_type": "code", "scope": "openid",
            "redirect_uri": REDIRECT, "state": "object-state", "nonce": "n", "acr_values": TWO_FA})
        )
    );
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &rp.id)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("request", &object)
        .finish();
    let start = b.get(&format!("{base}/oauth2/v1/authorize?{q}")).await;
    assert_eq!(start.status, 302, "{}", start.body);
    let to = start.location.unwrap();
    assert!(to.starts_with("/signin/step-up?fromURI="), "{to}");
    let from: String = url::form_urlencoded::parse(to.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "fromURI")
        .unwrap()
        .1
        .into_owned();
    assert!(from.contains("request_uri=urn"), "a held reference: {from}");
    for leaked in ["request=", "object-state", "acr_values"] {
        assert!(!from.contains(leaked), "{leaked} in {from}");
    }
}
