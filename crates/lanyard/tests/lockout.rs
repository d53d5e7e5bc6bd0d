//! Brute force against the real binary, as an attacker with patience would try it: second factors guessed under one
//! state token and across many, accounts locked from anywhere, users probed by their lock, one address hammering.
//! What must hold: guesses are few, owners keep their own devices, and the answers say nothing about who exists.

mod common;

use common::browser::*;
use common::*;
use lanyard_core::mfa::totp::{TotpConfig, TotpSecret, code_at};
use reqwest::Method;
use serde_json::{Value, json};

/// Env calls for this file.
trait Calls {
    async fn authn(
        &self,
        username: &str,
        password: &str,
        device: Option<&str>,
    ) -> reqwest::Response;
    async fn authn_json(&self, username: &str, password: &str) -> (u16, Value);
    async fn verify(&self, factor: &str, state_token: &str, code: &str) -> (u16, Value);
    async fn status_of(&self, uid: &str) -> String;
    async fn totp(&self, uid: &str) -> (String, TotpSecret);
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A code no step near now has (one in a million collides: compared against the window).
fn wrong_code(secret: &TotpSecret) -> String {
    let window: Vec<String> = (0..5)
        .map(|i| code_at(secret, &TotpConfig::default(), now() + i * 30 - 60))
        .collect();
    (0..)
        .map(|n| format!("{:06}", 123_456 + n))
        .find(|c| !window.contains(c))
        .unwrap()
}

impl Calls for Env {
    async fn authn(
        &self,
        username: &str,
        password: &str,
        device: Option<&str>,
    ) -> reqwest::Response {
        let mut req = client()
            .post(self.s.url("/api/v1/authn"))
            .json(&json!({"username": username, "password": password}));
        if let Some(d) = device {
            req = req.header("Cookie", format!("lanyard_device={d}"));
        }
        req.send().await.unwrap()
    }

    async fn authn_json(&self, username: &str, password: &str) -> (u16, Value) {
        let r = self.authn(username, password, None).await;
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn verify(&self, factor: &str, state_token: &str, code: &str) -> (u16, Value) {
        let r = client()
            .post(
                self.s
                    .url(&format!("/api/v1/authn/factors/{factor}/verify")),
            )
            .json(&json!({"stateToken": state_token, "passCode": code}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn status_of(&self, uid: &str) -> String {
        self.admin(Method::GET, &format!("/api/v1/users/{uid}"), None)
            .await
            .1["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An active TOTP factor, activated with the previous step's code so that the current one is still usable.
    async fn totp(&self, uid: &str) -> (String, TotpSecret) {
        let (status, factor) = self
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
        let (status, body) = self
            .admin(
                Method::POST,
                &format!("/api/v1/users/{uid}/factors/{fid}/lifecycle/activate"),
                Some(json!({"passCode": code_at(&secret, &TotpConfig::default(), now() - 30)})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (fid, secret)
    }
}

fn device_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers().get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().ok()?;
        v.split(';')
            .next()?
            .strip_prefix("lanyard_device=")
            .map(str::to_owned)
    })
}

/// One state token takes five wrong codes, then the sign-in is over and the right code no longer helps; the next
/// sign-in's wrong code makes the factor wait; every wrong code counts toward the account's lock, and is logged.
#[tokio::test]
async fn second_factors_take_few_guesses() {
    let env = Env::start_with(&["--signin-rate-limit", "0"]);
    let uid = env.create_user("alan@example.com").await;
    let (fid, secret) = env.totp(&uid).await;
    let (status, body) = env.authn_json("alan@example.com", PASSWORD).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("MFA_REQUIRED"))
    );
    let state = body["stateToken"].as_str().unwrap().to_owned();
    let wrong = wrong_code(&secret);
    for _ in 0..4 {
        let (status, e) = env.verify(&fid, &state, &wrong).await;
        assert_eq!(status, 403, "{e}");
        assert_okta_error(&e, "E0000068");
    }
    let (status, e) = env.verify(&fid, &state, &wrong).await;
    assert_eq!(status, 403);
    assert_okta_error(&e, "E0000011");
    assert!(
        e["errorCauses"]
            .to_string()
            .contains("Too many wrong answers"),
        "{e}"
    );
    let right = || code_at(&secret, &TotpConfig::default(), now());
    let (status, e) = env.verify(&fid, &state, &right()).await;
    assert_eq!(status, 403, "the sign-in is over: {e}");
    assert_okta_error(&e, "E0000011");

    // The next sign-in: one more wrong code, and the factor makes further tries wait (a minute, then doubling),
    // the right code included, checked before the code.
    let (_, body) = env.authn_json("alan@example.com", PASSWORD).await;
    let state = body["stateToken"].as_str().unwrap().to_owned();
    assert_eq!(env.verify(&fid, &state, &wrong).await.0, 403);
    let r = client()
        .post(env.s.url(&format!("/api/v1/authn/factors/{fid}/verify")))
        .json(&json!({"stateToken": state, "passCode": right()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "even the right code waits");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((50..=60).contains(&retry), "{retry}");
    assert_okta_error(&r.json().await.unwrap(), "E0000047");

    // Six wrong codes and four wrong passwords: ten failures lock the account.
    for _ in 0..3 {
        assert_eq!(
            env.authn_json("alan@example.com", "Wrong-Horse-1").await.0,
            401
        );
    }
    assert_eq!(env.status_of(&uid).await, "ACTIVE");
    assert_eq!(
        env.authn_json("alan@example.com", "Wrong-Horse-1").await.0,
        401
    );
    assert_eq!(env.status_of(&uid).await, "LOCKED_OUT");

    // Each wrong code is in the system log.
    let url = env.s.url("/api/v1/logs?filter=eventType%20eq%20%22user.authentication.auth_via_mfa%22%20and%20outcome.result%20eq%20%22FAILURE%22");
    assert!(
        eventually(10, || async {
            api_get(&url, &env.token)
                .await
                .2
                .as_array()
                .is_some_and(|a| a.len() == 6)
        })
        .await
    );
}

/// The hosted MFA step: after the fifth wrong code, a page that says so and leads back to sign in, to the same place.
#[tokio::test]
async fn the_hosted_mfa_step_ends_after_five_wrong_codes_and_offers_to_start_again() {
    let env = Env::start_with(&["--signin-rate-limit", "0"]);
    let uid = env.create_user("ada@example.com").await;
    let (_, secret) = env.totp(&uid).await;
    let mut b = Browser::default();
    let page = b.get(&env.s.url("/signin?fromURI=%2Fapp%2Fsecurity")).await;
    let mut page = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &hidden(&page.body, "csrf")),
                ("fromURI", "/app/security"),
                ("username", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let state = hidden(&page.body, "stateToken");
    let factor = hidden(&page.body, "factorId");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        page = b
            .post(
                &env.s.url("/signin/verify"),
                &[
                    ("csrf", &hidden(&page.body, "csrf")),
                    ("fromURI", "/app/security"),
                    ("stateToken", &state),
                    ("factorId", &factor),
                    ("passCode", &wrong_code(&secret)),
                ],
            )
            .await;
        statuses.push(page.status);
        if page.status != 403 || !page.body.contains("stateToken") {
            break;
        }
    }
    assert_eq!(statuses, vec![403, 403, 403, 403, 403], "{}", page.body);
    assert!(
        page.body.contains("This sign-in has ended"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("href=\"/signin?fromURI=%2Fapp%2Fsecurity\""),
        "back to sign in, to the same place: {}",
        page.body
    );
    assert!(!b.cookies.contains_key("sid"));
}

/// The lock answers the same for a login nobody has: the answer after ten failures tells nothing of who exists.
#[tokio::test]
async fn unknown_logins_lock_like_accounts() {
    let env = Env::start_with(&["--signin-rate-limit", "0"]);
    env.create_user("real@example.com").await;
    for login in ["real@example.com", "ghost@example.com"] {
        for _ in 0..10 {
            let (status, e) = env.authn_json(login, "Wrong-Horse-1").await;
            assert_eq!(status, 401, "{login}");
            assert_okta_error(&e, "E0000004");
        }
    }
    for login in ["real@example.com", "ghost@example.com", "Ghost@Example.com"] {
        assert_eq!(
            env.authn_json(login, PASSWORD).await,
            (200, json!({"status": "LOCKED_OUT"})),
            "{login}"
        );
    }
    // The hosted page says the same for both.
    for login in ["real@example.com", "ghost@example.com"] {
        let mut b = Browser::default();
        let page = b.get(&env.s.url("/signin")).await;
        let page = b
            .post(
                &env.s.url("/signin"),
                &[
                    ("csrf", &hidden(&page.body, "csrf")),
                    ("fromURI", ""),
                    ("username", login),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "{login}");
        assert!(page.body.contains("Your account is locked"), "{login}");
    }
}

/// A lock from failures elsewhere does not keep the owner out of a browser they signed in with before; anyone else
/// stays locked out, the right password or not.
#[tokio::test]
async fn known_devices_sign_in_while_the_account_is_locked_for_others() {
    let env = Env::start_with(&["--signin-rate-limit", "0"]);
    let uid = env.create_user("lin@example.com").await;
    // The owner signs in once: the Authn API sets the device cookie.
    let r = env.authn("lin@example.com", PASSWORD, None).await;
    assert_eq!(r.status(), 200);
    let device = device_cookie(&r).expect("a device cookie");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    // Signing in again with it sets none: the device is already known.
    let again = env.authn("lin@example.com", PASSWORD, Some(&device)).await;
    assert_eq!(device_cookie(&again), None);

    // Someone else fails ten times: locked, for them the right password too.
    for _ in 0..10 {
        assert_eq!(
            env.authn_json("lin@example.com", "Wrong-Horse-1").await.0,
            401
        );
    }
    assert_eq!(env.status_of(&uid).await, "LOCKED_OUT");
    assert_eq!(
        env.authn_json("lin@example.com", PASSWORD).await,
        (200, json!({"status": "LOCKED_OUT"}))
    );
    // Another user's device, or a made-up one, is no key.
    let other = env.create_user("other@example.com").await;
    let r = env.authn("other@example.com", PASSWORD, None).await;
    let other_device = device_cookie(&r).unwrap();
    let _ = other;
    for d in [other_device.as_str(), "made-up"] {
        let r = env.authn("lin@example.com", PASSWORD, Some(d)).await;
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"status": "LOCKED_OUT"})
        );
    }
    // The owner's browser: a wrong password is just wrong; the right one signs in and ends the lock.
    let r = env
        .authn("lin@example.com", "Wrong-Horse-1", Some(&device))
        .await;
    assert_eq!(r.status(), 401);
    let r = env.authn("lin@example.com", PASSWORD, Some(&device)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "SUCCESS", "{body}");
    assert_eq!(env.status_of(&uid).await, "ACTIVE");
}

/// One address failing again and again waits longer each time, whatever it tries; the answer says how long.
#[tokio::test]
async fn one_address_failing_again_and_again_waits_longer_each_time() {
    let env = Env::start();
    env.create_user("ada@example.com").await;
    for i in 0..6 {
        let (status, _) = env
            .authn_json(&format!("user{i}@example.com"), "Wrong-Horse-1")
            .await;
        assert_eq!(status, 401);
    }
    // Six failures: the next attempt must wait a second — the right password of a real user too.
    let r = env.authn("ada@example.com", PASSWORD, None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_okta_error(&r.json().await.unwrap(), "E0000047");
    // The sign-in page says so too.
    let mut b = Browser::default();
    let page = b.get(&env.s.url("/signin")).await;
    let page = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &hidden(&page.body, "csrf")),
                ("fromURI", ""),
                ("username", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 429);
    assert!(
        page.body.contains("too many failed sign-ins"),
        "{}",
        page.body
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // After the wait one more failure doubles it.
    assert_eq!(
        env.authn_json("user9@example.com", "Wrong-Horse-1").await.0,
        401
    );
    let r = env.authn("ada@example.com", PASSWORD, None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = env.authn_json("ada@example.com", PASSWORD).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("SUCCESS")));
}
