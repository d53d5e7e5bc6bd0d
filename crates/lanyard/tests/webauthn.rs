//! WebAuthn through the real binary, with a software authenticator acting as the browser: the `webauthn` factor
//! (enrol, activate, list, delete), the Authn API's MFA_CHALLENGE and verification, the ceremony state kept in the
//! database (finished after a restart and on another PostgreSQL node, spent once), and the hosted pages' script
//! and forms.

mod common;

use common::*;
use lanyard_testkit::authenticator::SoftAuthenticator;
use lanyard_testkit::postgres::TempDatabase;
use reqwest::Method;
use serde_json::{Value, json};

/// WebAuthn needs a domain: the server's public URL says `localhost`; requests still go to 127.0.0.1.
const BASE: &str = "http://localhost:8443";

fn authenticator() -> SoftAuthenticator {
    SoftAuthenticator::new("localhost", BASE)
}

async fn post(url: String, body: Value) -> (u16, Value) {
    let r = client().post(url).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn enroll(env: &Env, uid: &str) -> (u16, Value) {
    env.admin(
        Method::POST,
        &format!("/api/v1/users/{uid}/factors"),
        Some(json!({"factorType": "webauthn", "provider": "FIDO"})),
    )
    .await
}

async fn activate(env: &Env, uid: &str, fid: &str, body: Value) -> (u16, Value) {
    env.admin(
        Method::POST,
        &format!("/api/v1/users/{uid}/factors/{fid}/lifecycle/activate"),
        Some(body),
    )
    .await
}

/// Enrols and activates a passkey held by `a`; the factor.
async fn register(env: &Env, uid: &str, a: &mut SoftAuthenticator) -> Value {
    let (status, factor) = enroll(env, uid).await;
    assert_eq!(status, 200, "{factor}");
    let challenge = factor["_embedded"]["activation"]["challenge"]
        .as_str()
        .unwrap();
    let (att, cd) = a.register(challenge);
    let fid = factor["id"].as_str().unwrap();
    let (status, active) =
        activate(env, uid, fid, json!({"attestation": att, "clientData": cd})).await;
    assert_eq!(status, 200, "{active}");
    active
}

fn answer(state_token: &str, signed: &lanyard_testkit::authenticator::SignedAssertion) -> Value {
    json!({
        "stateToken": state_token,
        "clientData": signed.client_data,
        "authenticatorData": signed.authenticator_data,
        "signatureData": signed.signature,
    })
}

async fn mfa_required(env: &Env, login: &str) -> String {
    let (status, body) = post(
        env.s.url("/api/v1/authn"),
        json!({"username": login, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "MFA_REQUIRED", "{body}");
    body["stateToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn passkeys_enrol_activate_and_gate_sign_in() {
    let env = Env::start_with(&["--base-url", BASE]);
    let uid = env.create_user("ada@example.com").await;

    let (status, factor) = enroll(&env, &uid).await;
    assert_eq!(status, 200, "{factor}");
    assert_eq!(factor["factorType"], "webauthn");
    assert_eq!(factor["provider"], "FIDO");
    assert_eq!(factor["status"], "PENDING_ACTIVATION");
    assert!(factor["id"].as_str().unwrap().starts_with("fwf"));
    let activation = &factor["_embedded"]["activation"];
    assert_eq!(activation["rp"]["id"], "localhost", "{activation}");
    assert_eq!(activation["rp"]["name"], "Lanyard");
    assert_eq!(activation["user"]["name"], "ada@example.com");
    assert_eq!(activation["user"]["displayName"], "Ada Lovelace");
    assert_eq!(
        activation["challenge"].as_str().unwrap().len(),
        43,
        "32 bytes, base64url"
    );
    assert!(
        activation["pubKeyCredParams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["alg"] == -7)
    );
    assert_eq!(activation["excludeCredentials"], json!([]));
    assert_eq!(
        activation["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(activation["attestation"], "none");
    assert!(activation["timeout"].as_u64().unwrap() > 0);
    assert!(
        factor["_links"]["activate"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/lifecycle/activate")
    );

    let mut key = authenticator();
    let (att, cd) = key.register(activation["challenge"].as_str().unwrap());
    let fid = factor["id"].as_str().unwrap();
    let (status, active) = activate(
        &env,
        &uid,
        fid,
        json!({"attestation": att, "clientData": cd}),
    )
    .await;
    assert_eq!(status, 200, "{active}");
    assert_eq!(active["status"], "ACTIVE");
    assert_eq!(active["profile"]["credentialId"], key.credential_id());

    // A second passkey: the first is excluded from its registration.
    let (_, second) = enroll(&env, &uid).await;
    let excluded = &second["_embedded"]["activation"]["excludeCredentials"];
    assert_eq!(excluded[0]["id"], key.credential_id(), "{excluded}");
    assert_eq!(excluded[0]["type"], "public-key");
    // The same authenticator again is refused (a browser would not even offer it).
    let (att, cd) = key.register(
        second["_embedded"]["activation"]["challenge"]
            .as_str()
            .unwrap(),
    );
    let (status, body) = activate(
        &env,
        &uid,
        second["id"].as_str().unwrap(),
        json!({"attestation": att, "clientData": cd}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_okta_error(&body, "E0000068");

    // Sign-in: MFA_REQUIRED lists the passkey; the state token alone asks for a challenge.
    let (_, body) = post(
        env.s.url("/api/v1/authn"),
        json!({"username": "ada@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(body["status"], "MFA_REQUIRED");
    let listed = body["_embedded"]["factors"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|f| f["id"] == fid && f["factorType"] == "webauthn" && f["provider"] == "FIDO"),
        "{body}"
    );
    let state_token = body["stateToken"].as_str().unwrap();
    let verify = env.s.url(&format!("/api/v1/authn/factors/{fid}/verify"));
    let (status, challenge) = post(verify.clone(), json!({"stateToken": state_token})).await;
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(challenge["status"], "MFA_CHALLENGE");
    assert_eq!(challenge["factorResult"], "CHALLENGE");
    assert_eq!(challenge["stateToken"], state_token);
    let options = &challenge["_embedded"]["challenge"];
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["allowCredentials"][0]["id"], key.credential_id());
    assert_eq!(
        options["allowCredentials"].as_array().unwrap().len(),
        1,
        "only this factor's credential"
    );
    assert_eq!(challenge["_embedded"]["factor"]["id"], fid);
    assert_eq!(
        challenge["_embedded"]["factor"]["_embedded"]["challenge"]["challenge"],
        options["challenge"]
    );

    let signed = key.sign(options["challenge"].as_str().unwrap());
    let (status, done) = post(verify.clone(), answer(state_token, &signed)).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "SUCCESS");
    assert!(done["sessionToken"].as_str().is_some());
    // The sign-in is over: the same answer again is refused.
    let (status, again) = post(verify, answer(state_token, &signed)).await;
    assert_eq!(status, 403, "{again}");
    assert_okta_error(&again, "E0000011");

    // The counter moved on in the store: the next sign-in's assertion (counter 2) passes.
    let state_token = mfa_required(&env, "ada@example.com").await;
    let verify = env.s.url(&format!("/api/v1/authn/factors/{fid}/verify"));
    let (_, challenge) = post(verify.clone(), json!({"stateToken": state_token})).await;
    let signed = key.sign(
        challenge["_embedded"]["challenge"]["challenge"]
            .as_str()
            .unwrap(),
    );
    let (status, done) = post(verify, answer(&state_token, &signed)).await;
    assert_eq!(
        (status, done["status"].as_str()),
        (200, Some("SUCCESS")),
        "{done}"
    );

    let logged = eventually(10, || async {
        let (_, logs) = env
            .admin(
                Method::GET,
                "/api/v1/logs?filter=eventType%20eq%20%22user.authentication.auth_via_mfa%22",
                None,
            )
            .await;
        logs.as_array().is_some_and(|l| {
            l.iter()
                .filter(|e| e["outcome"]["result"] == "SUCCESS")
                .count()
                >= 2
        })
    })
    .await;
    assert!(logged, "successful MFA sign-ins are logged");

    // Listing shows both factors; deleting works as for TOTP.
    let (_, list) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}/factors"), None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/users/{uid}/factors/{fid}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, body) = post(
        env.s.url("/api/v1/authn"),
        json!({"username": "ada@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        body["status"], "SUCCESS",
        "only the pending one is left: {body}"
    );
}

#[tokio::test]
async fn activation_refuses_garbage_other_origins_and_second_attempts() {
    let env = Env::start_with(&["--base-url", BASE]);
    let uid = env.create_user("bob@example.com").await;
    let (_, factor) = enroll(&env, &uid).await;
    let fid = factor["id"].as_str().unwrap().to_owned();
    let challenge = factor["_embedded"]["activation"]["challenge"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, body) = activate(&env, &uid, &fid, json!({"passCode": "123456"})).await;
    assert_eq!(status, 400, "{body}");
    assert_okta_error(&body, "E0000001");
    let (status, body) = activate(
        &env,
        &uid,
        &fid,
        json!({"attestation": "not base64!", "clientData": "e30"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_okta_error(&body, "E0000001");
    // Garbage that decodes: refused, and the registration is spent.
    let (status, body) = activate(
        &env,
        &uid,
        &fid,
        json!({"attestation": "AAAA", "clientData": "e30"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_okta_error(&body, "E0000068");
    let (att, cd) = authenticator().register(&challenge);
    let (status, body) = activate(
        &env,
        &uid,
        &fid,
        json!({"attestation": att, "clientData": cd}),
    )
    .await;
    assert_eq!(status, 403, "spent: {body}");
    assert_okta_error(&body, "E0000068");

    // A phishing origin is refused.
    let (_, factor) = enroll(&env, &uid).await;
    let fid = factor["id"].as_str().unwrap();
    let mut phished = SoftAuthenticator::new("localhost", "http://localhost.evil.example");
    let (att, cd) = phished.register(
        factor["_embedded"]["activation"]["challenge"]
            .as_str()
            .unwrap(),
    );
    let (status, body) = activate(
        &env,
        &uid,
        fid,
        json!({"attestation": att, "clientData": cd}),
    )
    .await;
    assert_eq!(status, 403, "{body}");

    // Re-enrolling replaces the pending factor; still nothing active, so sign-in needs no MFA.
    let (_, list) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}/factors"), None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["status"], "PENDING_ACTIVATION");
    let (_, body) = post(
        env.s.url("/api/v1/authn"),
        json!({"username": "bob@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(body["status"], "SUCCESS");
    // The QR code is TOTP's only.
    let (status, _) = env
        .admin(
            Method::GET,
            &format!("/api/v1/users/{uid}/factors/{fid}/qr"),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn answers_without_a_live_challenge_are_refused() {
    let env = Env::start_with(&["--base-url", BASE]);
    let uid = env.create_user("cy@example.com").await;
    let mut key = authenticator();
    let fid = register(&env, &uid, &mut key).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let state_token = mfa_required(&env, "cy@example.com").await;
    let verify = env.s.url(&format!("/api/v1/authn/factors/{fid}/verify"));

    // An answer before any challenge.
    let signed = key.sign("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let (status, body) = post(verify.clone(), answer(&state_token, &signed)).await;
    assert_eq!(status, 403, "{body}");
    assert_okta_error(&body, "E0000068");
    // Half an answer.
    let (status, body) = post(
        verify.clone(),
        json!({"stateToken": state_token, "clientData": "e30"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // A bad state token.
    let (status, body) = post(verify.clone(), json!({"stateToken": "nope"})).await;
    assert_eq!(status, 403, "{body}");
    assert_okta_error(&body, "E0000011");

    // A wrong answer spends the challenge: the right one afterwards finds none.
    let (_, challenge) = post(verify.clone(), json!({"stateToken": state_token})).await;
    let c = challenge["_embedded"]["challenge"]["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut other = SoftAuthenticator::new("localhost", "http://evil.example");
    let (status, _) = post(verify.clone(), answer(&state_token, &other.sign(&c))).await;
    assert_eq!(status, 403);
    let (status, body) = post(verify.clone(), answer(&state_token, &key.sign(&c))).await;
    assert_eq!(status, 403, "reused: {body}");
    // Asking again replaces the challenge: only the newest one counts.
    let (_, first) = post(verify.clone(), json!({"stateToken": state_token})).await;
    let (_, second) = post(verify.clone(), json!({"stateToken": state_token})).await;
    let old = first["_embedded"]["challenge"]["challenge"]
        .as_str()
        .unwrap();
    let new = second["_embedded"]["challenge"]["challenge"]
        .as_str()
        .unwrap();
    assert_ne!(old, new);
    let (status, _) = post(verify.clone(), answer(&state_token, &key.sign(old))).await;
    assert_eq!(status, 403, "an older challenge is gone");
    let (_, third) = post(verify.clone(), json!({"stateToken": state_token})).await;
    let c = third["_embedded"]["challenge"]["challenge"]
        .as_str()
        .unwrap();
    let (status, body) = post(verify, answer(&state_token, &key.sign(c))).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("SUCCESS")),
        "{body}"
    );

    let failures = eventually(10, || async {
        let (_, logs) = env
            .admin(Method::GET, "/api/v1/logs?filter=eventType%20eq%20%22user.authentication.auth_via_mfa%22%20and%20outcome.result%20eq%20%22FAILURE%22", None)
            .await;
        logs.as_array().is_some_and(|l| l.len() >= 3)
    })
    .await;
    assert!(failures, "failed MFA attempts are logged");
}

#[tokio::test]
async fn a_ceremony_survives_a_restart_because_its_state_is_in_the_database() {
    let dir = data_dir();
    let token = {
        let _first = serve(dir.path(), &["--base-url", BASE]);
        api_token(dir.path())
    };
    let s = serve(dir.path(), &["--base-url", BASE]);
    let env = Env { s, token, dir };
    let uid = env.create_user("di@example.com").await;
    let (_, factor) = enroll(&env, &uid).await;
    let fid = factor["id"].as_str().unwrap().to_owned();
    let mut key = authenticator();
    let (att, cd) = key.register(
        factor["_embedded"]["activation"]["challenge"]
            .as_str()
            .unwrap(),
    );

    // Another process finishes the registration…
    let Env { mut s, token, dir } = env;
    s.terminate();
    let env = Env {
        s: serve(dir.path(), &["--base-url", BASE]),
        token,
        dir,
    };
    let (status, body) = activate(
        &env,
        &uid,
        &fid,
        json!({"attestation": att, "clientData": cd}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // …and an authentication.
    let state_token = mfa_required(&env, "di@example.com").await;
    let (_, challenge) = post(
        env.s.url(&format!("/api/v1/authn/factors/{fid}/verify")),
        json!({"stateToken": state_token}),
    )
    .await;
    let signed = key.sign(
        challenge["_embedded"]["challenge"]["challenge"]
            .as_str()
            .unwrap(),
    );
    let Env { mut s, token, dir } = env;
    s.terminate();
    let env = Env {
        s: serve(dir.path(), &["--base-url", BASE]),
        token,
        dir,
    };
    let (status, body) = post(
        env.s.url(&format!("/api/v1/authn/factors/{fid}/verify")),
        answer(&state_token, &signed),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("SUCCESS")),
        "{body}"
    );
}

const MASTER_KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80";

#[tokio::test]
async fn one_postgres_node_starts_a_ceremony_and_another_finishes_it() {
    let Some(db) = TempDatabase::create().await else {
        return;
    };
    let node = |dir: &std::path::Path| {
        lanyard()
            .serve_with(
                &[
                    "--data-dir",
                    path_str(dir),
                    "--database-url",
                    &db.url,
                    "--base-url",
                    BASE,
                ],
                |c| {
                    c.env("LANYARD_MASTER_KEY", MASTER_KEY);
                },
            )
            .unwrap()
    };
    let (dir_a, dir_b) = (data_dir(), data_dir());
    let a = node(dir_a.path());
    let b = node(dir_b.path());
    let out = lanyard()
        .command()
        .args([
            "api-token",
            "create",
            "--name",
            "t",
            "--database-url",
            &db.url,
            "--data-dir",
            path_str(dir_a.path()),
        ])
        .env("LANYARD_MASTER_KEY", MASTER_KEY)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let env_a = Env {
        s: a,
        token: token.clone(),
        dir: dir_a,
    };
    let env_b = Env {
        s: b,
        token,
        dir: dir_b,
    };

    let uid = env_a.create_user("eve@example.com").await;
    let (_, factor) = enroll(&env_a, &uid).await;
    let fid = factor["id"].as_str().unwrap().to_owned();
    let mut key = authenticator();
    let (att, cd) = key.register(
        factor["_embedded"]["activation"]["challenge"]
            .as_str()
            .unwrap(),
    );
    let (status, body) = activate(
        &env_b,
        &uid,
        &fid,
        json!({"attestation": att, "clientData": cd}),
    )
    .await;
    assert_eq!(status, 200, "B finishes what A started: {body}");

    let state_token = mfa_required(&env_b, "eve@example.com").await;
    let (_, challenge) = post(
        env_b.s.url(&format!("/api/v1/authn/factors/{fid}/verify")),
        json!({"stateToken": state_token}),
    )
    .await;
    let signed = key.sign(
        challenge["_embedded"]["challenge"]["challenge"]
            .as_str()
            .unwrap(),
    );
    let (status, body) = post(
        env_a.s.url(&format!("/api/v1/authn/factors/{fid}/verify")),
        answer(&state_token, &signed),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("SUCCESS")),
        "A finishes what B started: {body}"
    );
}

#[tokio::test]
async fn without_a_domain_name_there_are_no_passkeys() {
    let env = Env::start(); // http://127.0.0.1:PORT
    let uid = env.create_user("fay@example.com").await;
    let (status, body) = enroll(&env, &uid).await;
    assert_eq!(status, 400, "{body}");
    assert_okta_error(&body, "E0000001");
    assert!(
        body["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .contains("IP address")
    );
}

#[tokio::test]
async fn the_pages_offer_passkeys_with_one_same_origin_script() {
    let env = Env::start_with(&["--base-url", BASE]);
    let r = client()
        .get(env.s.url("/static/webauthn.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("navigator.credentials.get")
    );

    let uid = env.create_user("gus@example.com").await;
    let mut key = authenticator();
    register(&env, &uid, &mut key).await;

    // The sign-in form, then the MFA step: a passkey button (shown by the script) and a message without it.
    let r = client().get(env.s.url("/signin")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = common::browser::hidden(&r.text().await.unwrap(), "csrf");
    let r = client()
        .post(env.s.url("/signin"))
        .header("Cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "gus@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Use a passkey or security key"), "{page}");
    assert!(page.contains("<script src=\"/static/webauthn.js\" defer></script>"));
    assert!(page.contains("<noscript>") && page.contains("needs JavaScript"));
    assert!(
        !page.contains("Verification code"),
        "no TOTP factor, no code form"
    );
    assert!(
        page.contains("data-options=\"{&#34;") && page.contains("&#34;challenge&#34;:&#34;"),
        "{page}"
    );

    // Sent without the script: the page explains, and the sign-in goes on.
    let state_token = page
        .split("name=\"stateToken\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = client()
        .post(env.s.url("/signin/verify/webauthn"))
        .header("Cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("stateToken", state_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("needs JavaScript"));
    // Without the CSRF cookie: refused.
    let r = client()
        .post(env.s.url("/signin/verify/webauthn"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("stateToken", state_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // /app/security needs a session.
    let r = client()
        .get(env.s.url("/app/security"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/signin?fromURI=")
    );
}

#[tokio::test]
async fn concurrent_challenges_for_one_sign_in_never_fail_the_server() {
    let env = Env::start_with(&["--base-url", BASE]);
    let uid = env.create_user("dee@example.com").await;
    let mut key = authenticator();
    let fid = register(&env, &uid, &mut key).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let state_token = mfa_required(&env, "dee@example.com").await;
    let verify = env.s.url(&format!("/api/v1/authn/factors/{fid}/verify"));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let verify = verify.clone();
        let state_token = state_token.clone();
        tasks.push(tokio::spawn(async move {
            post(verify, json!({"stateToken": state_token})).await
        }));
    }
    let mut last = None;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "MFA_CHALLENGE");
        last = Some(body);
    }
    // The latest challenge asked can still be answered.
    let (_, challenge) = post(verify.clone(), json!({"stateToken": state_token})).await;
    let c = challenge["_embedded"]["challenge"]["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = post(verify, answer(&state_token, &key.sign(&c))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    assert!(last.is_some());
}

#[tokio::test]
async fn only_a_fresh_sign_in_with_the_user_s_factor_may_add_a_passkey() {
    use common::browser::{Browser, hidden};
    let env = Env::start_with(&["--base-url", BASE]);
    let uid = env.create_user("hal@example.com").await;
    let mut b = Browser::default();
    let form = b.get(&env.s.url("/signin")).await;
    let csrf = hidden(&form.body, "csrf");
    let signed = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &csrf),
                ("username", "hal@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);

    // Just signed in with a password and no factor yet: the page offers to add a passkey.
    let page = b.get(&env.s.url("/app/security")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("data-webauthn=\"create\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"sign-in-again\""));
    let csrf = hidden(&page.body, "csrf");

    // A factor appears (here through the API): this password-only session may no longer add one.
    let mut key = authenticator();
    register(&env, &uid, &mut key).await;
    let page = b.get(&env.s.url("/app/security")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"sign-in-again\""), "{}", page.body);
    assert!(!page.body.contains("data-webauthn=\"create\""));
    let refused = b
        .post(
            &env.s.url("/app/security/passkeys"),
            &[
                ("csrf", &csrf),
                ("handle", "x"),
                ("attestation", "{}"),
                ("clientData", "{}"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("sign in again first"));
    let (_, factors) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}/factors"), None)
        .await;
    assert_eq!(
        factors.as_array().unwrap().len(),
        1,
        "nothing added: {factors}"
    );
}
