//! Sign-in through the real binary: the Authn API, session tokens becoming SSO sessions, `/api/v1/sessions/me`,
//! lockout, password expiry, and TOTP enrolment and verification.

mod common;

use common::*;
use lanyard_core::mfa::totp::{TotpConfig, TotpSecret, code_at};
use serde_json::{Value, json};

/// Sign-in calls on top of the shared test environment.
trait SigninCalls {
    async fn user(&self, login: &str) -> String;
    async fn authn(&self, username: &str, password: &str) -> (u16, Value);
    async fn post(&self, path: &str, body: Value) -> (u16, Value);
    async fn status_of(&self, uid: &str) -> String;
}

impl SigninCalls for Env {
    async fn user(&self, login: &str) -> String {
        self.create_user(login).await
    }

    async fn authn(&self, username: &str, password: &str) -> (u16, Value) {
        let r = client()
            .post(self.s.url("/api/v1/authn"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = client()
            .post(self.s.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn status_of(&self, uid: &str) -> String {
        self.admin(reqwest::Method::GET, &format!("/api/v1/users/{uid}"), None)
            .await
            .1["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn cookie_of(r: &reqwest::Response) -> Option<String> {
    let set = r.headers().get("set-cookie")?.to_str().ok()?.to_owned();
    let value = set.split(';').next()?.strip_prefix("sid=")?.to_owned();
    (!value.is_empty()).then_some(value)
}

#[tokio::test]
async fn a_session_token_becomes_a_session_once_and_sessions_me_sees_it_until_closed() {
    let env = Env::start();
    let uid = env.user("ada@example.com").await;
    let (status, body) = env.authn("ADA@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["_embedded"]["user"]["id"], uid.as_str());
    assert_eq!(
        body["_embedded"]["user"]["profile"]["login"],
        "ada@example.com"
    );
    let token = body["sessionToken"].as_str().unwrap().to_owned();

    let target = env.s.url("/app/home");
    let url = env.s.url(&format!(
        "/login/sessionCookieRedirect?token={token}&redirectUrl={}",
        target.replace(':', "%3A").replace('/', "%2F")
    ));
    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], target.as_str());
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("Secure"),
        "{set}"
    );
    let cookie = cookie_of(&r).unwrap();

    // The session token works once.
    let again = client().get(&url).send().await.unwrap();
    assert_eq!(again.status(), 401);
    assert!(again.headers().get("set-cookie").is_none());

    // An off-origin redirect is never followed.
    let (status, body) = env.authn("ada@example.com", PASSWORD).await;
    assert_eq!(status, 200);
    let evil = env.s.url(&format!(
        "/login/sessionCookieRedirect?token={}&redirectUrl=https%3A%2F%2Fevil.example%2F",
        body["sessionToken"].as_str().unwrap()
    ));
    let r = client().get(&evil).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());

    let me = |c: Option<String>| {
        let s = &env.s;
        async move {
            let mut req = client().get(s.url("/api/v1/sessions/me"));
            if let Some(c) = c {
                req = req.header("Cookie", format!("sid={c}"));
            }
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, session) = me(Some(cookie.clone())).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["userId"], uid.as_str());
    assert_eq!(session["login"], "ada@example.com");
    assert_eq!(session["status"], "ACTIVE");
    assert_eq!(session["amr"], json!(["pwd"]));
    assert!(session["id"].as_str().unwrap().starts_with("102"));
    let (status, body) = me(None).await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    assert_eq!(me(Some("forged".into())).await.0, 404);

    let r = client()
        .delete(env.s.url("/api/v1/sessions/me"))
        .header("Cookie", format!("sid={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(me(Some(cookie)).await.0, 404, "a closed session is gone");
}

/// `redirectUrl` and `fromURI` at `/login/*` go only to this origin, whatever their spelling (a backslash a WHATWG
/// parser reads as `/` and others do not, control characters, scheme-relative URLs), and as their parsed
/// serialisation; a refused redirect spends no session token.
#[tokio::test]
async fn login_redirects_stay_on_this_origin_whatever_their_spelling() {
    let env = Env::start();
    env.user("ada@example.com").await;
    let base = env.s.url("");
    let enc = |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let token = || {
        let env = &env;
        async move {
            let (status, body) = env.authn("ada@example.com", PASSWORD).await;
            assert_eq!(status, 200, "{body}");
            body["sessionToken"].as_str().unwrap().to_owned()
        }
    };
    let nasty = [
        format!("{base}\\@evil.example/"),
        format!("{base}/\\evil.example/"),
        "\\\\evil.example/".to_owned(),
        "/\\evil.example/".to_owned(),
        "//evil.example/".to_owned(),
        "/\t/evil.example/".to_owned(),
        format!("{base}/app\r\nSet-Cookie: x=1"),
        "javascript:alert(1)".to_owned(),
        format!("{base}.evil.example/"),
    ];
    let t = token().await;
    for target in &nasty {
        let r = client()
            .get(env.s.url(&format!(
                "/login/sessionCookieRedirect?token={t}&redirectUrl={}",
                enc(target)
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{target:?}");
        assert!(r.headers().get("location").is_none(), "{target:?}");
    }
    // The same token still works: a same-origin target, followed as its serialisation.
    let r = client()
        .get(env.s.url(&format!(
            "/login/sessionCookieRedirect?token={t}&redirectUrl={}",
            enc(&format!("{}/x/../app?y=%7B", base.to_uppercase()))
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], env.s.url("/app?y=%7B").as_str());
    // A path alone is this origin too.
    let r = client()
        .get(env.s.url(&format!(
            "/login/sessionCookieRedirect?token={}&redirectUrl=%2Fapp",
            token().await
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], env.s.url("/app").as_str());
    // Okta's sign-out goes on to `fromURI` on this origin only.
    for target in &nasty {
        let r = client()
            .get(
                env.s
                    .url(&format!("/login/signout?fromURI={}", enc(target))),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "{target:?}: the signed-out page, no redirect"
        );
        let body = r.text().await.unwrap();
        assert!(!body.contains("evil.example"), "{target:?}: {body}");
        assert!(!body.contains("id=\"continue\""), "{target:?}: {body}");
    }
    let r = client()
        .get(env.s.url(&format!(
            "/login/signout?fromURI={}",
            enc(&format!("{base}/x/../app"))
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], env.s.url("/app").as_str());
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_look_alike_and_ten_failures_lock() {
    // The account's lock alone: without the growing waits per address (`lockout.rs` has those).
    let env = Env::start_with(&["--signin-rate-limit", "0"]);
    let uid = env.user("grace@example.com").await;
    let (s1, unknown) = env.authn("nobody@example.com", PASSWORD).await;
    let (s2, wrong) = env.authn("grace@example.com", "Wrong-Horse-1").await;
    assert_eq!((s1, s2), (401, 401));
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("errorId");
        v
    };
    assert_eq!(
        strip(unknown.clone()),
        strip(wrong.clone()),
        "the same answer for both"
    );
    assert_okta_error(&unknown, "E0000004");

    for _ in 0..9 {
        assert_eq!(env.authn("grace@example.com", "Wrong-Horse-1").await.0, 401);
    }
    assert_eq!(
        env.status_of(&uid).await,
        "LOCKED_OUT",
        "ten failures lock the account"
    );
    let (status, body) = env.authn("grace@example.com", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"status": "LOCKED_OUT"}),
        "the right password no longer signs in"
    );
    assert!(body.get("sessionToken").is_none());

    let lock_filter = "filter=eventType%20eq%20%22user.account.lock%22";
    let url = env.s.url(&format!("/api/v1/logs?{lock_filter}"));
    assert!(
        eventually(10, || async {
            api_get(&url, &env.token)
                .await
                .2
                .as_array()
                .is_some_and(|a| a.len() == 1)
        })
        .await,
        "no lock event"
    );
    let fail_url = env.s.url("/api/v1/logs?filter=eventType%20eq%20%22user.session.start%22%20and%20outcome.result%20eq%20%22FAILURE%22");
    assert!(
        eventually(10, || async {
            api_get(&fail_url, &env.token)
                .await
                .2
                .as_array()
                .is_some_and(|a| a.len() >= 11)
        })
        .await
    );

    assert_eq!(
        env.admin(
            reqwest::Method::POST,
            &format!("/api/v1/users/{uid}/lifecycle/unlock"),
            Some(json!({}))
        )
        .await
        .0,
        200
    );
    let (status, body) = env.authn("grace@example.com", PASSWORD).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("SUCCESS")));
    // The counter started again after the unlock.
    assert_eq!(env.authn("grace@example.com", "Wrong-Horse-1").await.0, 401);
    assert_eq!(env.status_of(&uid).await, "ACTIVE");
}

#[tokio::test]
async fn users_who_cannot_sign_in_get_the_generic_failure_and_lose_their_sessions() {
    let env = Env::start();
    let uid = env.user("alan@example.com").await;
    let (_, body) = env.authn("alan@example.com", PASSWORD).await;
    let token = body["sessionToken"].as_str().unwrap();
    let (status, session) = env
        .admin(
            reqwest::Method::POST,
            "/api/v1/sessions",
            Some(json!({"sessionToken": token})),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let sid = session["id"].as_str().unwrap().to_owned();
    assert_eq!(
        env.admin(
            reqwest::Method::GET,
            &format!("/api/v1/sessions/{sid}"),
            None
        )
        .await
        .0,
        200
    );

    assert_eq!(
        env.admin(
            reqwest::Method::POST,
            &format!("/api/v1/users/{uid}/lifecycle/suspend"),
            Some(json!({}))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        env.admin(
            reqwest::Method::GET,
            &format!("/api/v1/sessions/{sid}"),
            None
        )
        .await
        .0,
        404,
        "suspension ends sessions"
    );
    let (status, body) = env.authn("alan@example.com", PASSWORD).await;
    assert_eq!(status, 401);
    assert_okta_error(&body, "E0000004");
}

#[tokio::test]
async fn an_expired_password_must_be_changed_to_sign_in() {
    let env = Env::start();
    let uid = env.user("edsger@example.com").await;
    assert_eq!(
        env.admin(
            reqwest::Method::POST,
            &format!("/api/v1/users/{uid}/lifecycle/expire_password"),
            Some(json!({}))
        )
        .await
        .0,
        200
    );
    let (status, body) = env.authn("edsger@example.com", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "PASSWORD_EXPIRED");
    let state = body["stateToken"].as_str().unwrap().to_owned();
    assert!(body.get("sessionToken").is_none());

    let change =
        |old: &str, new: &str| json!({"stateToken": state, "oldPassword": old, "newPassword": new});
    let (status, body) = env
        .post(
            "/api/v1/authn/credentials/change_password",
            change("Wrong-Horse-1", "Fresh-Horse-22"),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = env
        .post(
            "/api/v1/authn/credentials/change_password",
            change(PASSWORD, "short"),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_okta_error(&body, "E0000001");
    let (status, body) = env
        .post(
            "/api/v1/authn/credentials/change_password",
            change(PASSWORD, "Fresh-Horse-22"),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("SUCCESS")),
        "{body}"
    );
    assert_eq!(env.status_of(&uid).await, "ACTIVE");
    assert_eq!(
        env.authn("edsger@example.com", "Fresh-Horse-22").await.1["status"],
        "SUCCESS"
    );
    let (status, _) = env
        .post(
            "/api/v1/authn/credentials/change_password",
            change(PASSWORD, "Other-Horse-33"),
        )
        .await;
    assert_eq!(status, 403, "the state token is spent");
}

#[tokio::test]
async fn totp_enrols_activates_and_gates_sign_in_and_codes_cannot_be_replayed() {
    let env = Env::start();
    let uid = env.user("barbara@example.com").await;
    let (status, factor) = env
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/users/{uid}/factors"),
            Some(json!({"factorType": "token:software:totp", "provider": "GOOGLE"})),
        )
        .await;
    assert_eq!(status, 200, "{factor}");
    assert_eq!(factor["status"], "PENDING_ACTIVATION");
    assert_eq!(factor["factorType"], "token:software:totp");
    let fid = factor["id"].as_str().unwrap().to_owned();
    let secret = TotpSecret::from_base32(
        factor["_embedded"]["activation"]["sharedSecret"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let qr = client()
        .get(
            factor["_embedded"]["activation"]["_links"]["qrcode"]["href"]
                .as_str()
                .unwrap(),
        )
        .header("Authorization", format!("SSWS {}", env.token))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().starts_with("<svg"));

    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let code = |t: u64| code_at(&secret, &TotpConfig::default(), t);
    let activate = format!("/api/v1/users/{uid}/factors/{fid}/lifecycle/activate");
    let (status, body) = env
        .admin(
            reqwest::Method::POST,
            &activate,
            Some(json!({"passCode": "000000"})),
        )
        .await;
    assert_eq!(status, 403);
    assert_okta_error(&body, "E0000068");
    let first = code(now());
    let (status, body) = env
        .admin(
            reqwest::Method::POST,
            &activate,
            Some(json!({"passCode": first})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ACTIVE");
    assert!(body.get("_embedded").is_none(), "the secret is shown once");

    let (status, body) = env.authn("barbara@example.com", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "MFA_REQUIRED");
    assert!(body.get("sessionToken").is_none());
    assert_eq!(body["_embedded"]["factors"][0]["id"], fid.as_str());
    let state = body["stateToken"].as_str().unwrap().to_owned();
    let verify = format!("/api/v1/authn/factors/{fid}/verify");

    let (status, body) = env
        .post(&verify, json!({"stateToken": state, "passCode": "123456"}))
        .await;
    assert_eq!(status, 403);
    assert_okta_error(&body, "E0000068");
    let (status, _) = env
        .post(&verify, json!({"stateToken": state, "passCode": first}))
        .await;
    assert_eq!(status, 403, "the activation code cannot be used again");
    let next = code(now() + 30);
    let (status, body) = env
        .post(&verify, json!({"stateToken": state, "passCode": next}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    assert!(body["sessionToken"].is_string());

    let (_, again) = env.authn("barbara@example.com", PASSWORD).await;
    let (status, _) = env
        .post(
            &verify,
            json!({"stateToken": again["stateToken"], "passCode": next}),
        )
        .await;
    assert_eq!(status, 403, "a code used once is refused");
    let (status, _) = env
        .post(
            &verify,
            json!({"stateToken": state, "passCode": code(now() + 60)}),
        )
        .await;
    assert_eq!(status, 403, "a spent state token is refused");

    let mfa_log = env
        .s
        .url("/api/v1/logs?filter=eventType%20eq%20%22user.authentication.auth_via_mfa%22");
    assert!(
        eventually(10, || async {
            api_get(&mfa_log, &env.token)
                .await
                .2
                .as_array()
                .is_some_and(|a| a.len() >= 4)
        })
        .await
    );

    assert_eq!(
        env.admin(
            reqwest::Method::POST,
            &format!("/api/v1/users/{uid}/lifecycle/reset_factors"),
            Some(json!({}))
        )
        .await
        .0,
        200
    );
    let (status, list) = env
        .admin(
            reqwest::Method::GET,
            &format!("/api/v1/users/{uid}/factors"),
            None,
        )
        .await;
    assert_eq!((status, list), (200, json!([])));
    assert_eq!(
        env.authn("barbara@example.com", PASSWORD).await.1["status"],
        "SUCCESS"
    );
}
