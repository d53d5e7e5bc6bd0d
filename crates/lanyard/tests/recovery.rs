//! Password recovery through the real binary: the administrator's `reset_password` lifecycle operation (a link
//! handed back or emailed to the outbox), self-service recovery in the Authn API (`recovery/password`,
//! `recovery/token`, `credentials/reset_password`), and the per-client-IP throttling of sign-in attempts.

mod common;

use common::*;
use lanyard_server::email::{OutboxMessage, read_outbox};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "Fresh-Horse-22";

/// Recovery calls on top of the shared test environment.
trait RecoveryCalls {
    async fn create_user_with(&self, login: &str, activate: bool) -> String;
    async fn user(&self, login: &str) -> String;
    async fn lifecycle(&self, uid: &str, op: &str) -> (u16, Value);
    async fn post(&self, path: &str, body: Value) -> (u16, Value);
    async fn authn(&self, username: &str, password: &str) -> (u16, Value);
    async fn recover(&self, username: &str) -> (u16, Value);
    async fn recovery_token(&self, token: &str) -> (u16, Value);
    async fn reset(&self, state_token: &str, new_password: &str) -> (u16, Value);
    async fn status_of(&self, uid: &str) -> String;
    async fn session(&self, login: &str, password: &str) -> String;
    async fn session_exists(&self, sid: &str) -> bool;
    fn reset_emails(&self, to: &str) -> Vec<OutboxMessage>;
    async fn nth_reset_token(&self, to: &str, n: usize) -> String;
    fn token_in(&self, text: &str) -> String;
    async fn log_count(&self, event_type: &str) -> usize;
}

impl RecoveryCalls for Env {
    async fn create_user_with(&self, login: &str, activate: bool) -> String {
        let body = json!({"profile": {"firstName": "Ada", "lastName": "Lovelace", "email": login, "login": login},
                          "credentials": {"password": {"value": PASSWORD}}});
        let path = format!("/api/v1/users?activate={activate}");
        let (status, user) = self.admin(reqwest::Method::POST, &path, Some(body)).await;
        assert_eq!(status, 200, "{user}");
        user["id"].as_str().unwrap().to_owned()
    }

    async fn user(&self, login: &str) -> String {
        self.create_user_with(login, true).await
    }

    async fn lifecycle(&self, uid: &str, op: &str) -> (u16, Value) {
        self.admin(
            reqwest::Method::POST,
            &format!("/api/v1/users/{uid}/lifecycle/{op}"),
            None,
        )
        .await
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

    async fn authn(&self, username: &str, password: &str) -> (u16, Value) {
        self.post(
            "/api/v1/authn",
            json!({"username": username, "password": password}),
        )
        .await
    }

    async fn recover(&self, username: &str) -> (u16, Value) {
        self.post(
            "/api/v1/authn/recovery/password",
            json!({"username": username, "factorType": "EMAIL"}),
        )
        .await
    }

    async fn recovery_token(&self, token: &str) -> (u16, Value) {
        self.post(
            "/api/v1/authn/recovery/token",
            json!({"recoveryToken": token}),
        )
        .await
    }

    async fn reset(&self, state_token: &str, new_password: &str) -> (u16, Value) {
        self.post(
            "/api/v1/authn/credentials/reset_password",
            json!({"stateToken": state_token, "newPassword": new_password}),
        )
        .await
    }

    async fn status_of(&self, uid: &str) -> String {
        self.admin(reqwest::Method::GET, &format!("/api/v1/users/{uid}"), None)
            .await
            .1["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A session for the user (from a fresh session token); its id.
    async fn session(&self, login: &str, password: &str) -> String {
        let (status, body) = self.authn(login, password).await;
        assert_eq!(body["status"], "SUCCESS", "{status} {body}");
        let (status, session) = self
            .admin(
                reqwest::Method::POST,
                "/api/v1/sessions",
                Some(json!({"sessionToken": body["sessionToken"]})),
            )
            .await;
        assert_eq!(status, 200, "{session}");
        session["id"].as_str().unwrap().to_owned()
    }

    async fn session_exists(&self, sid: &str) -> bool {
        self.admin(
            reqwest::Method::GET,
            &format!("/api/v1/sessions/{sid}"),
            None,
        )
        .await
        .0 == 200
    }

    /// The password reset emails in the outbox addressed to `to`, oldest first.
    fn reset_emails(&self, to: &str) -> Vec<OutboxMessage> {
        read_outbox(self.dir.path().join("outbox"))
            .unwrap()
            .into_iter()
            .filter(|m| m.to == to && m.subject.starts_with("Reset your"))
            .collect()
    }

    /// Waits for the `n`th reset email to `to`; the token of its link.
    async fn nth_reset_token(&self, to: &str, n: usize) -> String {
        assert!(
            eventually(10, || async { self.reset_emails(to).len() >= n }).await,
            "no reset email #{n} to {to}: {:?}",
            read_outbox(self.dir.path().join("outbox"))
        );
        let message = &self.reset_emails(to)[n - 1];
        self.token_in(&message.text)
    }

    /// The reset link's token in a text, checking the link is the hosted page on the base URL.
    fn token_in(&self, text: &str) -> String {
        let prefix = self.s.url("/signin/reset-password/");
        let at = text
            .find(&prefix)
            .unwrap_or_else(|| panic!("no link in {text}"));
        text[at + prefix.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    async fn log_count(&self, event_type: &str) -> usize {
        let url = self.s.url(&format!(
            "/api/v1/logs?filter=eventType%20eq%20%22{event_type}%22"
        ));
        api_get(&url, &self.token)
            .await
            .2
            .as_array()
            .map_or(0, Vec::len)
    }
}

#[tokio::test]
async fn an_admin_reset_hands_back_a_link_that_voids_the_password_and_works_once() {
    let env = Env::start();
    let uid = env.user("ada@example.com").await;
    let sid = env.session("ada@example.com", PASSWORD).await;
    let (_, pending) = env.authn("ada@example.com", PASSWORD).await;
    let pending = pending["sessionToken"].as_str().unwrap().to_owned();

    let (status, body) = env.lifecycle(&uid, "reset_password?sendEmail=false").await;
    assert_eq!(status, 200, "{body}");
    let first = body["resetPasswordUrl"].as_str().unwrap().to_owned();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert!(first.starts_with(&env.s.url("/signin/reset-password/")));
    assert_eq!(env.status_of(&uid).await, "RECOVERY");
    let (status, body) = env.authn("ada@example.com", PASSWORD).await;
    assert_eq!(status, 401, "the old password no longer signs in");
    assert_okta_error(&body, "E0000004");
    assert!(
        env.session_exists(&sid).await,
        "sessions last until the reset unless revoked"
    );

    // A second reset voids the first link.
    let (status, body) = env.lifecycle(&uid, "reset_password?sendEmail=false").await;
    assert_eq!(status, 200, "{body}");
    let second = body["resetPasswordUrl"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let (status, body) = env.recovery_token(&env.token_in(&first)).await;
    assert_eq!(status, 403, "{body}");
    assert_okta_error(&body, "E0000011");

    let token = env.token_in(&second);
    let (status, step) = env.recovery_token(&token).await;
    assert_eq!(status, 200, "{step}");
    assert_eq!(step["status"], "PASSWORD_RESET");
    assert_eq!(step["recoveryType"], "PASSWORD");
    assert_eq!(step["_embedded"]["user"]["id"], uid.as_str());
    assert_eq!(
        step["_embedded"]["user"]["profile"]["login"],
        "ada@example.com"
    );
    assert!(
        step["_embedded"]["policy"]["complexity"]
            .as_str()
            .is_some_and(|c| c.contains("at least 8 characters")),
        "{step}"
    );
    assert!(step["expiresAt"].is_string());
    assert_eq!(
        step["_links"]["next"]["href"],
        env.s
            .url("/api/v1/authn/credentials/reset_password")
            .as_str()
    );
    let state = step["stateToken"].as_str().unwrap().to_owned();
    let (status, body) = env.recovery_token(&token).await;
    assert_eq!(status, 403, "a reset token works once: {body}");
    assert_okta_error(&body, "E0000011");

    // The policy and the history apply; a refused password leaves the state token usable.
    let (status, body) = env.reset(&state, "short").await;
    assert_eq!(status, 400, "{body}");
    assert_okta_error(&body, "E0000001");
    assert!(
        body["errorCauses"][0]["errorSummary"]
            .as_str()
            .is_some_and(|c| c.contains("Password requirements")),
        "{body}"
    );
    let (status, body) = env.reset(&state, PASSWORD).await;
    assert_eq!(status, 400, "the current password cannot come back: {body}");
    assert_okta_error(&body, "E0000001");
    let (status, body) = env.reset("not-a-state-token", NEW_PASSWORD).await;
    assert_eq!(status, 403, "{body}");
    assert_okta_error(&body, "E0000011");

    let (status, body) = env.reset(&state, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    assert!(body["sessionToken"].is_string());
    assert_eq!(body["_embedded"]["user"]["id"], uid.as_str());
    let (status, body) = env.reset(&state, "Other-Horse-33").await;
    assert_eq!(status, 403, "the state token is spent: {body}");
    assert_okta_error(&body, "E0000011");

    assert_eq!(env.status_of(&uid).await, "ACTIVE");
    assert_eq!(env.authn("ada@example.com", PASSWORD).await.0, 401);
    assert_eq!(
        env.authn("ada@example.com", NEW_PASSWORD).await.1["status"],
        "SUCCESS"
    );
    assert!(
        !env.session_exists(&sid).await,
        "the reset ends the old sessions"
    );
    let (status, body) = env
        .admin(
            reqwest::Method::POST,
            "/api/v1/sessions",
            Some(json!({"sessionToken": pending})),
        )
        .await;
    assert_ne!(
        status, 200,
        "a session token from before the reset is void: {body}"
    );

    assert!(
        eventually(10, || async {
            env.log_count("user.account.reset_password").await == 3
        })
        .await,
        "two resets by the administrator and one by the user"
    );
    assert!(
        env.reset_emails("ada@example.com").is_empty(),
        "sendEmail=false sends nothing"
    );
}

#[tokio::test]
async fn an_admin_reset_emails_a_link_that_resets_the_password() {
    let env = Env::start();
    let uid = env.user("grace@example.com").await;
    let (status, body) = env.lifecycle(&uid, "reset_password").await;
    assert_eq!(
        (status, body),
        (200, json!({})),
        "sendEmail defaults to true"
    );
    assert_eq!(env.status_of(&uid).await, "RECOVERY");
    let token = env.nth_reset_token("grace@example.com", 1).await;
    let message = &env.reset_emails("grace@example.com")[0];
    assert!(message.text.contains("60 minutes") || message.text.contains("1 hour"));

    let (status, step) = env.recovery_token(&token).await;
    assert_eq!(status, 200, "{step}");
    let (status, body) = env
        .reset(step["stateToken"].as_str().unwrap(), NEW_PASSWORD)
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("SUCCESS")));
    assert_eq!(env.status_of(&uid).await, "ACTIVE");
    assert_eq!(
        env.authn("grace@example.com", NEW_PASSWORD).await.1["status"],
        "SUCCESS"
    );
    assert_eq!(
        env.recovery_token(&token).await.0,
        403,
        "the emailed token is spent"
    );

    // revokeSessions=true ends the sessions at once.
    let sid = env.session("grace@example.com", NEW_PASSWORD).await;
    let (status, body) = env
        .lifecycle(&uid, "reset_password?sendEmail=true&revokeSessions=true")
        .await;
    assert_eq!((status, body), (200, json!({})));
    assert!(!env.session_exists(&sid).await);
    env.nth_reset_token("grace@example.com", 2).await;
}

#[tokio::test]
async fn reset_password_is_refused_for_users_without_a_password_to_reset() {
    let env = Env::start();
    let staged = env.create_user_with("staged@example.com", false).await;
    let suspended = env.user("suspended@example.com").await;
    assert_eq!(env.lifecycle(&suspended, "suspend").await.0, 200);
    let gone = env.user("gone@example.com").await;
    assert_eq!(env.lifecycle(&gone, "deactivate").await.0, 200);
    for (uid, status) in [
        (&staged, "STAGED"),
        (&suspended, "SUSPENDED"),
        (&gone, "DEPROVISIONED"),
    ] {
        let (code, body) = env.lifecycle(uid, "reset_password?sendEmail=false").await;
        assert_eq!(code, 403, "{status}: {body}");
        assert_okta_error(&body, "E0000038");
        assert_eq!(env.status_of(uid).await, status);
    }
    let (code, body) = env.lifecycle("00unobody", "reset_password").await;
    assert_eq!(code, 404);
    assert_okta_error(&body, "E0000007");
}

#[tokio::test]
async fn self_service_recovery_answers_everyone_alike_and_emails_only_who_may_recover() {
    // Ten failures lock an account here: without the growing waits per address.
    let env = Env::start_with(&["--signin-rate-limit", "0"]);
    let ada = env.user("ada@example.com").await;
    let locked = env.user("locked@example.com").await;
    let suspended = env.user("suspended@example.com").await;
    assert_eq!(env.lifecycle(&suspended, "suspend").await.0, 200);
    for _ in 0..10 {
        assert_eq!(
            env.authn("locked@example.com", "Wrong-Horse-1").await.0,
            401
        );
    }
    assert_eq!(env.status_of(&locked).await, "LOCKED_OUT");

    let challenge = json!({"status": "RECOVERY_CHALLENGE", "factorResult": "WAITING", "factorType": "EMAIL",
                           "recoveryType": "PASSWORD"});
    for username in [
        "nobody@example.com",
        "suspended@example.com",
        "ada@example.com",
        "LOCKED@example.com",
    ] {
        let (status, body) = env.recover(username).await;
        assert_eq!((status, &body), (200, &challenge), "{username}");
    }
    let (status, body) = env
        .post(
            "/api/v1/authn/recovery/password",
            json!({"factorType": "EMAIL"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000001");
    let (status, body) = env
        .post(
            "/api/v1/authn/recovery/password",
            json!({"username": "ada@example.com", "factorType": "SMS"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000001");

    let ada_token = env.nth_reset_token("ada@example.com", 1).await;
    let locked_token = env.nth_reset_token("locked@example.com", 1).await;
    assert!(env.reset_emails("nobody@example.com").is_empty());
    assert!(env.reset_emails("suspended@example.com").is_empty());
    assert_eq!(
        read_outbox(env.dir.path().join("outbox"))
            .unwrap()
            .iter()
            .filter(|m| m.subject.starts_with("Reset your"))
            .count(),
        2,
        "no email for an unknown or suspended user"
    );

    // Asking does not change anything yet: the password still works.
    assert_eq!(env.status_of(&ada).await, "ACTIVE");
    assert_eq!(
        env.authn("ada@example.com", PASSWORD).await.1["status"],
        "SUCCESS"
    );
    // A second request voids the first link.
    env.recover("ada@example.com").await;
    let ada_second = env.nth_reset_token("ada@example.com", 2).await;
    assert_eq!(env.recovery_token(&ada_token).await.0, 403);
    let (status, step) = env.recovery_token(&ada_second).await;
    assert_eq!(status, 200, "{step}");

    // A locked-out user who resets is ACTIVE again, with the failed attempts forgotten.
    let (status, step) = env.recovery_token(&locked_token).await;
    assert_eq!(status, 200, "{step}");
    let (status, body) = env
        .reset(step["stateToken"].as_str().unwrap(), NEW_PASSWORD)
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("SUCCESS")));
    assert_eq!(env.status_of(&locked).await, "ACTIVE");
    // (Before any successful sign-in, which would clear the count by itself.)
    assert_eq!(
        env.authn("locked@example.com", "Wrong-Horse-1").await.0,
        401
    );
    assert_eq!(
        env.status_of(&locked).await,
        "ACTIVE",
        "the count started again"
    );
    assert_eq!(
        env.authn("locked@example.com", NEW_PASSWORD).await.1["status"],
        "SUCCESS"
    );
}

/// Seconds into the current minute; waits for the next one when fewer than 5 are left, so that a test's requests
/// fall in one fixed window.
async fn stay_in_one_minute() {
    let into_minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if into_minute >= 55 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - into_minute)).await;
    }
}

#[tokio::test]
async fn sign_in_attempts_are_throttled_per_client_ip() {
    let env = Env::start_with(&["--signin-rate-limit", "3"]);
    let authn = || {
        client()
            .post(env.s.url("/api/v1/authn"))
            .json(&json!({"username": "nobody@example.com", "password": "Wrong-Horse-1"}))
            .send()
    };
    stay_in_one_minute().await;
    for i in 0..3 {
        let r = authn().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["x-rate-limit-limit"], "3");
        assert_eq!(
            r.headers()["x-rate-limit-remaining"].to_str().unwrap(),
            (2 - i).to_string()
        );
    }
    let r = authn().await.unwrap();
    assert_eq!(r.status(), 429);
    let h = r.headers().clone();
    assert_eq!(h.get_all("x-rate-limit-reset").iter().count(), 1);
    assert_eq!(h.get_all("x-rate-limit-limit").iter().count(), 1);
    assert_eq!(h["x-rate-limit-limit"], "3");
    assert_eq!(h["x-rate-limit-remaining"], "0");
    assert!(h.contains_key("date"));
    let reset: i64 = h["x-rate-limit-reset"].to_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        reset > now - 1 && reset <= now + 61,
        "reset {reset} vs now {now}"
    );
    assert_okta_error(&r.json().await.unwrap(), "E0000047");

    // Every sign-in route shares the count, the hosted sign-in form included.
    let (status, body) = env.recover("nobody@example.com").await;
    assert_eq!(status, 429);
    assert_okta_error(&body, "E0000047");
    assert_eq!(env.recovery_token("x").await.0, 429);
    let r = client()
        .post(env.s.url("/signin"))
        .form(&[("username", "nobody@example.com"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // A browser's form gets a page, not the API's JSON (with the same headers).
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        r.headers()
    );
    assert_eq!(r.headers()["x-rate-limit-remaining"], "0");
    assert!(r.text().await.unwrap().contains("Too many attempts"));
    // Showing a page is not an attempt, and the management API has its own limit.
    let r = client().get(env.s.url("/signin")).send().await.unwrap();
    assert_ne!(r.status(), 429);
    let (status, headers, _) = api_get(&env.s.url("/api/v1/users"), &env.token).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-rate-limit-limit"], "6000");

    // Another address has its own count.
    #[cfg(target_os = "linux")]
    {
        let other = reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
            .build()
            .unwrap();
        let r = other
            .post(env.s.url("/api/v1/authn"))
            .json(&json!({"username": "nobody@example.com", "password": "Wrong-Horse-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["x-rate-limit-remaining"], "2");
    }
}

#[tokio::test]
async fn a_sign_in_rate_limit_of_zero_turns_throttling_off() {
    let env = Env::start_with(&["--signin-rate-limit", "0"]);
    for _ in 0..5 {
        let (status, body) = env.authn("nobody@example.com", "Wrong-Horse-1").await;
        assert_eq!(status, 401, "{body}");
    }
}
