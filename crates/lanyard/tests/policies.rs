//! Okta sign-on policies through the real binary: `/api/v1/policies` (CRUD, lifecycle, rules, errors, the system
//! Default Policy and Default Rule), and what they do at sign-in — a DENY rule, a group-scoped policy, and a
//! required factor enrolled during the sign-in, through the Authn API and the hosted page.

mod common;

use common::browser::*;
use common::*;
use lanyard_core::mfa::totp::{TotpConfig, TotpSecret, code_at};
use reqwest::Method;
use serde_json::{Value, json};

const REDIRECT: &str = "http://localhost:3000/callback";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn code(secret: &TotpSecret, t: u64) -> String {
    code_at(secret, &TotpConfig::default(), t)
}

async fn post(env: &Env, path: &str, body: Value) -> (u16, Value) {
    let r = client()
        .post(env.s.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn authn(env: &Env, username: &str, password: &str) -> (u16, Value) {
    post(
        env,
        "/api/v1/authn",
        json!({"username": username, "password": password}),
    )
    .await
}

async fn ok(env: &Env, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, body) = env.admin(method, path, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {body}");
    body
}

async fn group(env: &Env, name: &str, members: &[&str]) -> String {
    let g = ok(
        env,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"profile": {"name": name}})),
    )
    .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    for uid in members {
        ok(
            env,
            Method::PUT,
            &format!("/api/v1/groups/{gid}/users/{uid}"),
            None,
        )
        .await;
    }
    gid
}

async fn default_policy(env: &Env) -> Value {
    let list = ok(
        env,
        Method::GET,
        "/api/v1/policies?type=OKTA_SIGN_ON&expand=rules",
        None,
    )
    .await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["system"] == true)
        .expect("the Default Policy")
        .clone()
}

/// A sign-on policy for `groups` with one rule; the policy's id.
async fn policy_with_rule(env: &Env, name: &str, groups: &[&str], signon: Value) -> String {
    let p = ok(
        env,
        Method::POST,
        "/api/v1/policies",
        Some(json!({"type": "OKTA_SIGN_ON", "name": name,
            "conditions": {"people": {"groups": {"include": groups}}}})),
    )
    .await;
    let pid = p["id"].as_str().unwrap().to_owned();
    ok(
        env,
        Method::POST,
        &format!("/api/v1/policies/{pid}/rules"),
        Some(json!({"type": "SIGN_ON", "name": format!("{name} rule"), "actions": {"signon": signon}})),
    )
    .await;
    pid
}

fn require_factor() -> Value {
    json!({"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS", "factorLifetime": 15})
}

fn priorities(list: &Value) -> Vec<(String, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["priority"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect()
}

fn cause_names(body: &Value, needle: &str) -> bool {
    body["errorCauses"].as_array().is_some_and(|a| {
        a.iter().any(|c| {
            c["errorSummary"]
                .as_str()
                .is_some_and(|s| s.contains(needle))
        })
    })
}

#[tokio::test]
async fn sign_on_policies_and_rules_are_managed_in_oktas_shape() {
    let env = Env::start();
    let uid = env.create_user("ada@example.com").await;
    let admins = group(&env, "Admins", &[&uid]).await;

    // The system Default Policy and Default Rule exist from the start.
    let default = default_policy(&env).await;
    let dpid = default["id"].as_str().unwrap().to_owned();
    assert_eq!(default["type"], "OKTA_SIGN_ON");
    assert_eq!(default["name"], "Default Policy");
    assert_eq!(
        (default["priority"].as_i64(), default["status"].as_str()),
        (Some(1), Some("ACTIVE"))
    );
    let everyone = default["conditions"]["people"]["groups"]["include"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, groups) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}/groups"), None)
        .await;
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == everyone.as_str() && g["profile"]["name"] == "Everyone")
    );
    let rule = &default["_embedded"]["rules"][0];
    assert_eq!(
        (rule["name"].as_str(), rule["system"].as_bool()),
        (Some("Default Rule"), Some(true))
    );
    assert_eq!(rule["type"], "SIGN_ON");
    assert_eq!(rule["actions"]["signon"]["access"], "ALLOW");
    assert_eq!(rule["actions"]["signon"]["requireFactor"], false);
    assert_eq!(rule["conditions"]["network"]["connection"], "ANYWHERE");
    let drid = rule["id"].as_str().unwrap().to_owned();
    assert!(
        default["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v1/policies/{dpid}"))
    );
    assert!(
        default["_links"].get("deactivate").is_none(),
        "the system policy cannot be deactivated"
    );

    // Other types: an empty list, and no creating; the type is required.
    assert_eq!(
        ok(&env, Method::GET, "/api/v1/policies?type=PASSWORD", None).await,
        json!([])
    );
    for q in ["", "?type=NOPE"] {
        let (status, body) = env
            .admin(Method::GET, &format!("/api/v1/policies{q}"), None)
            .await;
        assert_eq!(status, 400, "{body}");
        assert_okta_error(&body, "E0000001");
        assert!(cause_names(&body, "type:"), "{body}");
    }
    let (status, body) = env
        .admin(
            Method::POST,
            "/api/v1/policies",
            Some(json!({"type": "PASSWORD", "name": "p"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        cause_names(&body, "PASSWORD policies are not supported"),
        "{body}"
    );
    let (status, body) = env
        .admin(
            Method::POST,
            "/api/v1/policies",
            Some(json!({"type": "OKTA_SIGN_ON", "priority": 0,
                "conditions": {"people": {"groups": {"include": ["00gnosuchgroup"]}, "users": {"include": [uid]}}}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_okta_error(&body, "E0000001");
    for field in ["name:", "priority:", "conditions.people.users:"] {
        assert!(cause_names(&body, field), "{field}: {body}");
    }
    let (status, body) = env
        .admin(
            Method::POST,
            "/api/v1/policies",
            Some(json!({"type": "OKTA_SIGN_ON", "name": "x",
                "conditions": {"people": {"groups": {"include": ["00gnosuchgroup"]}}}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        cause_names(&body, "\"00gnosuchgroup\" is not a group"),
        "{body}"
    );
    let (status, body) = env
        .admin(Method::POST, "/api/v1/policies", Some(json!("nope")))
        .await;
    assert_eq!(status, 400, "{body}");

    // Priorities stay dense, with the Default Policy last.
    let a = ok(
        &env,
        Method::POST,
        "/api/v1/policies",
        Some(
            json!({"type": "OKTA_SIGN_ON", "name": "A", "description": "admins",
            "conditions": {"people": {"groups": {"include": [admins]}}}}),
        ),
    )
    .await;
    let aid = a["id"].as_str().unwrap().to_owned();
    assert!(aid.starts_with("00p"));
    assert_eq!(
        (a["priority"].as_i64(), a["system"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(
        a["conditions"],
        json!({"people": {"groups": {"include": [admins]}}})
    );
    assert!(
        a["_links"]["deactivate"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/lifecycle/deactivate")
    );
    let b = ok(
        &env,
        Method::POST,
        "/api/v1/policies",
        Some(json!({"type": "OKTA_SIGN_ON", "name": "B", "priority": 1})),
    )
    .await;
    let bid = b["id"].as_str().unwrap().to_owned();
    ok(
        &env,
        Method::POST,
        "/api/v1/policies?activate=false",
        Some(json!({"type": "OKTA_SIGN_ON", "name": "C", "priority": 10})),
    )
    .await;
    let list = ok(
        &env,
        Method::GET,
        "/api/v1/policies?type=OKTA_SIGN_ON",
        None,
    )
    .await;
    assert_eq!(
        priorities(&list),
        pairs(&[("B", 1), ("A", 2), ("C", 3), ("Default Policy", 4)])
    );
    assert_eq!(list[2]["status"], "INACTIVE");
    let inactive = ok(
        &env,
        Method::GET,
        "/api/v1/policies?type=OKTA_SIGN_ON&status=INACTIVE",
        None,
    )
    .await;
    assert_eq!(priorities(&inactive), pairs(&[("C", 3)]));
    let moved = ok(
        &env,
        Method::PUT,
        &format!("/api/v1/policies/{aid}"),
        Some(json!({"type": "OKTA_SIGN_ON", "name": "A2", "priority": 1,
            "conditions": {"people": {"groups": {"include": [admins]}}}})),
    )
    .await;
    assert_eq!(
        (moved["name"].as_str(), moved["priority"].as_i64()),
        (Some("A2"), Some(1))
    );
    assert_eq!(moved["description"], "", "a replace replaces");
    // The Default Policy may be renamed but stays last, ACTIVE, and for everyone.
    let kept = ok(
        &env,
        Method::PUT,
        &format!("/api/v1/policies/{dpid}"),
        Some(json!({"type": "OKTA_SIGN_ON", "name": "Default Policy", "description": "Everyone else", "priority": 1})),
    )
    .await;
    assert_eq!(
        (kept["priority"].as_i64(), kept["description"].as_str()),
        (Some(4), Some("Everyone else"))
    );
    assert_eq!(
        kept["conditions"]["people"]["groups"]["include"],
        json!([everyone])
    );
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/policies/{dpid}"),
            Some(
                json!({"type": "OKTA_SIGN_ON", "name": "Default Policy", "status": "INACTIVE",
                "conditions": {"people": {"groups": {"include": [admins]}}}}),
            ),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        cause_names(&body, "status:") && cause_names(&body, "applies to everyone"),
        "{body}"
    );
    for (method, path) in [
        (Method::DELETE, format!("/api/v1/policies/{dpid}")),
        (
            Method::POST,
            format!("/api/v1/policies/{dpid}/lifecycle/deactivate"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/policies/{dpid}/rules/{drid}"),
        ),
        (
            Method::POST,
            format!("/api/v1/policies/{dpid}/rules/{drid}/lifecycle/deactivate"),
        ),
    ] {
        let (status, body) = env.admin(method, &path, None).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_okta_error(&body, "E0000006");
    }

    // Lifecycle.
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/policies/{aid}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let got = ok(&env, Method::GET, &format!("/api/v1/policies/{aid}"), None).await;
    assert_eq!(got["status"], "INACTIVE");
    assert!(got["_links"]["activate"].is_object());
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/policies/{aid}/lifecycle/activate"),
            None,
        )
        .await;
    assert_eq!(status, 204);

    // Rules.
    let (status, body) = env
        .admin(
            Method::POST,
            &format!("/api/v1/policies/{aid}/rules"),
            Some(json!({"type": "SIGN_ON", "name": "r",
                "conditions": {"network": {"connection": "ZONE"}, "people": {"users": {"exclude": ["00unobody"]}}},
                "actions": {"signon": {"access": "ALLOW", "requireFactor": true,
                    "session": {"maxSessionIdleMinutes": 0}}}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    for field in [
        "conditions.network.connection:",
        "actions.signon.factorPromptMode:",
        "actions.signon.session.maxSessionIdleMinutes:",
    ] {
        assert!(cause_names(&body, field), "{field}: {body}");
    }
    let (status, body) = env
        .admin(
            Method::POST,
            &format!("/api/v1/policies/{aid}/rules"),
            Some(json!({"type": "SIGN_ON", "name": "r",
                "conditions": {"people": {"users": {"exclude": ["00unobody"]}}},
                "actions": {"signon": {"access": "DENY"}}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(cause_names(&body, "\"00unobody\" is not a user"), "{body}");
    let r1 = ok(
        &env,
        Method::POST,
        &format!("/api/v1/policies/{aid}/rules"),
        Some(json!({"type": "SIGN_ON", "name": "MFA", "actions": {"signon": require_factor()}})),
    )
    .await;
    let r1id = r1["id"].as_str().unwrap().to_owned();
    assert!(r1id.starts_with("0pr"));
    assert_eq!(r1["actions"]["signon"]["factorPromptMode"], "ALWAYS");
    assert_eq!(
        r1["actions"]["signon"]["session"]["usePersistentCookie"],
        false
    );
    assert_eq!(r1["conditions"]["people"]["users"]["exclude"], json!([]));
    let r0 = ok(
        &env,
        Method::POST,
        &format!("/api/v1/policies/{aid}/rules"),
        Some(json!({"type": "SIGN_ON", "name": "Deny Ada", "priority": 1,
            "conditions": {"people": {"users": {"exclude": [uid]}}},
            "actions": {"signon": {"access": "DENY"}}})),
    )
    .await;
    let r0id = r0["id"].as_str().unwrap().to_owned();
    let rules = ok(
        &env,
        Method::GET,
        &format!("/api/v1/policies/{aid}/rules"),
        None,
    )
    .await;
    assert_eq!(priorities(&rules), pairs(&[("Deny Ada", 1), ("MFA", 2)]));
    let replaced = ok(
        &env,
        Method::PUT,
        &format!("/api/v1/policies/{aid}/rules/{r0id}"),
        Some(json!({"name": "Deny", "priority": 5, "actions": {"signon": {"access": "DENY"}}})),
    )
    .await;
    assert_eq!(
        (replaced["priority"].as_i64(), replaced["name"].as_str()),
        (Some(2), Some("Deny"))
    );
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/policies/{aid}/rules/{r0id}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        ok(
            &env,
            Method::GET,
            &format!("/api/v1/policies/{aid}/rules/{r0id}"),
            None
        )
        .await["status"],
        "INACTIVE"
    );
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/policies/{aid}/rules/{r0id}/lifecycle/activate"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/policies/{aid}/rules/{r0id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = env
        .admin(
            Method::GET,
            &format!("/api/v1/policies/{aid}/rules/{r0id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    // A rule is reached only through its own policy.
    let (status, _) = env
        .admin(
            Method::GET,
            &format!("/api/v1/policies/{bid}/rules/{r1id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // The Default Rule may change its actions.
    let changed = ok(
        &env,
        Method::PUT,
        &format!("/api/v1/policies/{dpid}/rules/{drid}"),
        Some(
            json!({"type": "SIGN_ON", "name": "Default Rule", "priority": 1,
            "actions": {"signon": {"access": "ALLOW", "requireFactor": false,
                "session": {"maxSessionIdleMinutes": 60, "maxSessionLifetimeMinutes": 0}}}}),
        ),
    )
    .await;
    assert_eq!(changed["priority"], 1, "alone in its policy");
    assert_eq!(
        changed["actions"]["signon"]["session"]["maxSessionIdleMinutes"],
        60
    );

    // Deleting a policy closes the gap; it is gone with its rules.
    let (status, _) = env
        .admin(Method::DELETE, &format!("/api/v1/policies/{bid}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = env
        .admin(Method::GET, &format!("/api/v1/policies/{bid}"), None)
        .await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    let list = ok(
        &env,
        Method::GET,
        "/api/v1/policies?type=OKTA_SIGN_ON",
        None,
    )
    .await;
    assert_eq!(
        priorities(&list),
        pairs(&[("A2", 1), ("C", 2), ("Default Policy", 3)])
    );

    // Every change is in the system log.
    let wanted = [
        "policy.lifecycle.create",
        "policy.lifecycle.update",
        "policy.lifecycle.delete",
        "policy.lifecycle.activate",
        "policy.lifecycle.deactivate",
        "policy.rule.add",
        "policy.rule.update",
        "policy.rule.delete",
        "policy.rule.activate",
        "policy.rule.deactivate",
    ];
    let seen = std::sync::Mutex::new(Vec::<String>::new());
    let found = eventually(10, || async {
        let (_, logs) = env
            .admin(
                Method::GET,
                "/api/v1/logs?filter=eventType%20sw%20%22policy.%22&limit=200",
                None,
            )
            .await;
        let types: Vec<String> = logs
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["eventType"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let all = wanted.iter().all(|w| types.iter().any(|s| s == w));
        *seen.lock().unwrap() = types;
        all
    })
    .await;
    assert!(found, "{:?}", seen.lock().unwrap());
}

async fn web_app(env: &Env, uid: &str) -> String {
    let app = ok(
        env,
        Method::POST,
        "/api/v1/apps",
        Some(json!({"label": "App", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
            "settings": {"oauthClient": {"application_type": "web", "grant_types": ["authorization_code"],
                "redirect_uris": [REDIRECT]}}})),
    )
    .await;
    let id = app["id"].as_str().unwrap().to_owned();
    ok(
        env,
        Method::POST,
        &format!("/api/v1/apps/{id}/users"),
        Some(json!({"id": uid, "scope": "USER"})),
    )
    .await;
    id
}

/// `/authorize` with `prompt=none` and a session token: the redirect's query.
async fn authorize_with(env: &Env, client_id: &str, token: &str) -> String {
    let url = env.s.url(&format!(
        "/oauth2/v1/authorize?client_id={client_id}&response_type=code&scope=openid&redirect_uri={}\
         &state=st8&nonce=n0nce&code_challenge={CHALLENGE}&code_challenge_method=S256&prompt=none&sessionToken={token}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    ));
    let r = client().get(url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    r.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_required_factor_is_enrolled_during_authn_and_asked_from_then_on() {
    let env = Env::start_with(&["--org-name", "Acme"]);
    let uid = env.create_user("grace@example.com").await;
    let app = web_app(&env, &uid).await;
    // The Default Rule requires a factor: everyone.
    let default = default_policy(&env).await;
    let dpid = default["id"].as_str().unwrap();
    let drid = default["_embedded"]["rules"][0]["id"].as_str().unwrap();
    ok(
        &env,
        Method::PUT,
        &format!("/api/v1/policies/{dpid}/rules/{drid}"),
        Some(json!({"type": "SIGN_ON", "name": "Default Rule", "actions": {"signon": require_factor()}})),
    )
    .await;

    let (status, body) = authn(&env, "grace@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "MFA_ENROLL");
    assert!(body.get("sessionToken").is_none());
    let state = body["stateToken"].as_str().unwrap().to_owned();
    assert!(body["expiresAt"].is_string());
    assert_eq!(body["_embedded"]["user"]["id"], uid.as_str());
    let factor = &body["_embedded"]["factors"][0];
    assert_eq!(factor["factorType"], "token:software:totp");
    assert_eq!(factor["provider"], "GOOGLE");
    assert_eq!(factor["status"], "NOT_SETUP");
    assert_eq!(factor["enrollment"], "REQUIRED");
    assert_eq!(
        factor["_links"]["enroll"]["href"],
        env.s.url("/api/v1/authn/factors").as_str()
    );
    assert_eq!(
        factor["_links"]["enroll"]["hints"]["allow"],
        json!(["POST"])
    );

    // Enrolling: only TOTP, only with a live state token.
    let (status, body) = post(
        &env,
        "/api/v1/authn/factors",
        json!({"stateToken": state, "factorType": "sms", "provider": "OKTA"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000001");
    let (status, body) = post(
        &env,
        "/api/v1/authn/factors",
        json!({"stateToken": "forged", "factorType": "token:software:totp", "provider": "GOOGLE"}),
    )
    .await;
    assert_eq!(status, 403);
    assert_okta_error(&body, "E0000011");
    let (status, body) = post(
        &env,
        "/api/v1/authn/factors",
        json!({"stateToken": state, "factorType": "token:software:totp", "provider": "GOOGLE"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "MFA_ENROLL_ACTIVATE");
    assert_eq!(body["stateToken"], state.as_str());
    let f = &body["_embedded"]["factor"];
    let fid = f["id"].as_str().unwrap().to_owned();
    assert!(fid.starts_with("uft"));
    let activation = &f["_embedded"]["activation"];
    assert_eq!(
        (
            activation["timeStep"].as_i64(),
            activation["encoding"].as_str()
        ),
        (Some(30), Some("base32"))
    );
    let secret = TotpSecret::from_base32(activation["sharedSecret"].as_str().unwrap()).unwrap();
    assert!(
        activation["_links"]["qrcode"]["href"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,")
    );
    let otpauth = activation["_links"]["otpauth"]["href"].as_str().unwrap();
    assert!(
        otpauth.starts_with("otpauth://totp/Acme:grace%40example.com?secret="),
        "{otpauth}"
    );
    let activate = body["_links"]["next"]["href"].as_str().unwrap().to_owned();
    assert_eq!(
        activate,
        env.s
            .url(&format!("/api/v1/authn/factors/{fid}/lifecycle/activate"))
    );
    // The factor waits, PENDING_ACTIVATION, and no session token was handed out.
    let factors = ok(
        &env,
        Method::GET,
        &format!("/api/v1/users/{uid}/factors"),
        None,
    )
    .await;
    assert_eq!(factors[0]["status"], "PENDING_ACTIVATION");

    // A wrong code is refused as Okta does and may be retried; another factor id is not this enrolment's.
    let path = format!("/api/v1/authn/factors/{fid}/lifecycle/activate");
    let (status, body) = post(
        &env,
        &path,
        json!({"stateToken": state, "passCode": "000000"}),
    )
    .await;
    assert_eq!(status, 403);
    assert_okta_error(&body, "E0000068");
    assert_eq!(body["errorSummary"], "Invalid Passcode/Answer");
    let (status, _) = post(
        &env,
        "/api/v1/authn/factors/uftnotthisone000000/lifecycle/activate",
        json!({"stateToken": state, "passCode": code(&secret, now())}),
    )
    .await;
    assert_eq!(status, 404);
    let first = code(&secret, now());
    let (status, body) = post(&env, &path, json!({"stateToken": state, "passCode": first})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    let token = body["sessionToken"].as_str().unwrap().to_owned();
    // The state token is spent.
    let (status, body) = post(
        &env,
        &path,
        json!({"stateToken": state, "passCode": code(&secret, now() + 30)}),
    )
    .await;
    assert_eq!(status, 403);
    assert_okta_error(&body, "E0000011");
    // The session token signs in at /authorize.
    let location = authorize_with(&env, &app, &token).await;
    assert!(
        location.starts_with(REDIRECT) && location.contains("code="),
        "{location}"
    );
    let factors = ok(
        &env,
        Method::GET,
        &format!("/api/v1/users/{uid}/factors"),
        None,
    )
    .await;
    assert_eq!(factors.as_array().unwrap().len(), 1);
    assert_eq!(factors[0]["status"], "ACTIVE");

    // From now on the factor is asked for.
    let (status, body) = authn(&env, "grace@example.com", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "MFA_REQUIRED", "{body}");
    assert_eq!(body["_embedded"]["factors"][0]["id"], fid.as_str());
    let (status, body) = post(
        &env,
        &format!("/api/v1/authn/factors/{fid}/verify"),
        json!({"stateToken": body["stateToken"], "passCode": code(&secret, now() + 30)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS");

    // The self-enrolled factor's activation is in the log, by the user.
    assert!(
        eventually(10, || async {
            let (_, logs) = env.admin(Method::GET, &format!("/api/v1/logs?filter=eventType%20eq%20%22user.mfa.factor.activate%22%20and%20target.id%20eq%20%22{uid}%22"), None).await;
            logs.as_array().is_some_and(|a| a.iter().any(|e| e["actor"]["id"] == uid.as_str()))
        })
        .await
    );
}

#[tokio::test]
async fn policies_apply_to_their_groups_only_and_deny_like_a_wrong_password() {
    let env = Env::start();
    let member = env.create_user("contractor@example.com").await;
    let admin = env.create_user("admin@example.com").await;
    env.create_user("staff@example.com").await;
    let contractors = group(&env, "Contractors", &[&member]).await;
    let admins = group(&env, "Admins", &[&admin]).await;
    let deny = policy_with_rule(
        &env,
        "No contractors",
        &[&contractors],
        json!({"access": "DENY"}),
    )
    .await;
    policy_with_rule(&env, "Admins need MFA", &[&admins], require_factor()).await;

    // A member of the denied group fails exactly as with a wrong password; the staff are not affected.
    let (status, denied) = authn(&env, "contractor@example.com", PASSWORD).await;
    assert_eq!(status, 401, "{denied}");
    assert_okta_error(&denied, "E0000004");
    let (status, wrong) = authn(&env, "contractor@example.com", "Wrong-Horse-1").await;
    assert_eq!(status, 401);
    assert_eq!(
        (&denied["errorSummary"], &denied["errorCauses"]),
        (&wrong["errorSummary"], &wrong["errorCauses"])
    );
    let (status, body) = authn(&env, "staff@example.com", PASSWORD).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("SUCCESS")),
        "{body}"
    );
    // The admin group's policy requires a factor of its members only.
    let (status, body) = authn(&env, "admin@example.com", PASSWORD).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("MFA_ENROLL")),
        "{body}"
    );

    // The hosted page says no as well, and sets no session.
    let mut b = Browser::default();
    let page = b.get(&env.s.url("/signin")).await;
    let csrf = hidden(&page.body, "csrf");
    let page = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", csrf.as_str()),
                ("fromURI", ""),
                ("username", "contractor@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("role=\"alert\""));
    assert!(!b.cookies.contains_key("sid"));

    // The log says why, naming the policy; a denied sign-in does not count toward lockout.
    assert!(
        eventually(10, || async {
            let (_, logs) = env
                .admin(
                    Method::GET,
                    &format!("/api/v1/logs?filter=target.id%20eq%20%22{deny}%22"),
                    None,
                )
                .await;
            logs.as_array().is_some_and(|a| {
                a.iter().any(|e| {
                    e["eventType"] == "user.session.start"
                        && e["outcome"]["result"] == "FAILURE"
                        && e["outcome"]["reason"] == "SIGN_ON_POLICY_DENY"
                })
            })
        })
        .await
    );
    for _ in 0..10 {
        authn(&env, "contractor@example.com", PASSWORD).await;
    }
    assert_eq!(
        ok(&env, Method::GET, &format!("/api/v1/users/{member}"), None).await["status"],
        "ACTIVE"
    );

    // Deactivating the policy lets the member in.
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/policies/{deny}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = authn(&env, "contractor@example.com", PASSWORD).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("SUCCESS")),
        "{body}"
    );
}

#[tokio::test]
async fn an_expired_password_changed_leads_to_enrolment_when_a_factor_is_required() {
    let env = Env::start();
    let uid = env.create_user("edsger@example.com").await;
    let admins = group(&env, "Admins", &[&uid]).await;
    policy_with_rule(&env, "Admins need MFA", &[&admins], require_factor()).await;
    ok(
        &env,
        Method::POST,
        &format!("/api/v1/users/{uid}/lifecycle/expire_password"),
        Some(json!({})),
    )
    .await;
    let (_, body) = authn(&env, "edsger@example.com", PASSWORD).await;
    assert_eq!(body["status"], "PASSWORD_EXPIRED", "{body}");
    let (status, body) = post(
        &env,
        "/api/v1/authn/credentials/change_password",
        json!({"stateToken": body["stateToken"], "oldPassword": PASSWORD, "newPassword": "Another-Horse-7"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["status"], "MFA_ENROLL",
        "the policy still asks for a factor: {body}"
    );
}

#[tokio::test]
async fn the_hosted_page_enrols_a_required_factor_and_signs_in() {
    let env = Env::start_with(&["--org-name", "Acme & Co"]);
    let uid = env.create_user("alan@example.com").await;
    let admins = group(&env, "Admins", &[&uid]).await;
    policy_with_rule(&env, "Admins need MFA", &[&admins], require_factor()).await;

    let mut b = Browser::default();
    let from = env.s.url("/app?x=1");
    let page = b
        .get(&env.s.url(&format!(
            "/signin?fromURI={}",
            url::form_urlencoded::byte_serialize(from.as_bytes()).collect::<String>()
        )))
        .await;
    let csrf = hidden(&page.body, "csrf");
    let page = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", csrf.as_str()),
                ("fromURI", from.as_str()),
                ("username", "alan@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(
        !b.cookies.contains_key("sid"),
        "no session before the factor"
    );
    let body = &page.body;
    for needle in [
        "<h1>Set up two-step verification</h1>",
        "action=\"/signin/enroll\"",
        "<label for=\"passCode\">",
        "name=\"passCode\"",
        "autocomplete=\"one-time-code\"",
        "<svg",
        "role=\"img\"",
        "href=\"otpauth://totp/",
        "Acme &#38; Co",
    ] {
        assert!(body.contains(needle), "{needle} in {body}");
    }
    assert!(!body.contains("<script"), "no script needed");
    let shown = body
        .split("<code id=\"sharedSecret\" class=\"secret\">")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap()
        .to_owned();
    let secret = TotpSecret::from_base32(&shown).unwrap();
    let form = |body: &str, pass: &str| {
        vec![
            ("csrf".to_owned(), hidden(body, "csrf")),
            ("fromURI".to_owned(), hidden(body, "fromURI")),
            ("stateToken".to_owned(), hidden(body, "stateToken")),
            ("passCode".to_owned(), pass.to_owned()),
        ]
    };
    let url = env.s.url("/signin/enroll");
    let wrong = post_owned(&mut b, &url, form(body, "000000")).await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.body.contains("role=\"alert\""));
    assert!(
        wrong.body.contains(&shown),
        "the same secret is shown again"
    );
    assert!(!b.cookies.contains_key("sid"));
    // A forged form is refused.
    let mut forged = form(&wrong.body, &code(&secret, now()));
    forged[0].1 = "forged".into();
    assert_eq!(post_owned(&mut b, &url, forged).await.status, 403);
    let ok_page = post_owned(&mut b, &url, form(&wrong.body, &code(&secret, now()))).await;
    assert_eq!(ok_page.status, 303, "{}", ok_page.body);
    assert_eq!(ok_page.location.as_deref(), Some(from.as_str()));
    assert!(b.cookies.contains_key("sid"));
    let me: Value = serde_json::from_str(
        &b.send(client().get(env.s.url("/api/v1/sessions/me")))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(me["userId"], uid.as_str());
    assert_eq!(me["amr"], json!(["pwd", "otp", "mfa"]));

    // The next sign-in asks for a code from the enrolled factor.
    let mut other = Browser::default();
    let page = other.get(&env.s.url("/signin")).await;
    let csrf = hidden(&page.body, "csrf");
    let page = other
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", csrf.as_str()),
                ("fromURI", ""),
                ("username", "alan@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("action=\"/signin/verify\"") && page.body.contains("name=\"factorId\"")
    );
}

/// An administrator's reset link for the user.
async fn reset_link(env: &Env, uid: &str) -> String {
    let path = format!("/api/v1/users/{uid}/lifecycle/reset_password?sendEmail=false");
    let body = ok(env, Method::POST, &path, None).await;
    body["resetPasswordUrl"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_password_reset_does_not_skip_a_required_factor() {
    let env = Env::start();
    let uid = env.create_user("barbara@example.com").await;
    let admins = group(&env, "Admins", &[&uid]).await;
    policy_with_rule(&env, "Admins need MFA", &[&admins], require_factor()).await;
    // Through the Authn API: the reset ends in MFA_ENROLL, not SUCCESS.
    let link = reset_link(&env, &uid).await;
    let token = link.rsplit('/').next().unwrap();
    let (status, body) = post(
        &env,
        "/api/v1/authn/recovery/token",
        json!({"recoveryToken": token}),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("PASSWORD_RESET")),
        "{body}"
    );
    let (status, body) = post(
        &env,
        "/api/v1/authn/credentials/reset_password",
        json!({"stateToken": body["stateToken"], "newPassword": "Another-Horse-7"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "MFA_ENROLL", "{body}");
    assert!(body.get("sessionToken").is_none());

    // On the page: the reset form leads to the enrolment step, with no session yet.
    let link = reset_link(&env, &uid).await;
    let mut b = Browser::default();
    let page = b.get(&link).await;
    assert_eq!(page.status, 200);
    let page = b
        .post(
            &link,
            &[
                ("csrf", hidden(&page.body, "csrf").as_str()),
                ("stateToken", ""),
                ("newPassword", "Third-Horse-55"),
                ("confirmPassword", "Third-Horse-55"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("action=\"/signin/enroll\""),
        "{}",
        page.body
    );
    assert!(!b.cookies.contains_key("sid"));
}
