//! Dynamic client registration through the real binary (RFC 7591 at `/oauth2/v1/clients`, RFC 7592 with the
//! registration access token), who may register, what a registered client is in the Apps API, and what its
//! metadata changes: pairwise subjects (ID tokens, userinfo, `id_token_hint`), signed userinfo, `default_max_age`,
//! the sign-in page's logo and links.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::browser::Browser;
use common::*;
use lanyard_core::crypto::verify::UnverifiedJws;
use reqwest::Method;
use serde_json::{Value, json};

const REDIRECT: &str = "https://rp.example.com/cb";
const LOGIN: &str = "ada@example.com";

async fn register_with(
    env: &Env,
    auth: Option<&str>,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().post(env.s.url("/oauth2/v1/clients")).json(body);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

/// Registers `metadata` (PKCE off, as the flows here send none) with the environment's API token; 201 expected.
async fn register(env: &Env, metadata: Value) -> Value {
    let mut body = json!({"redirect_uris": [REDIRECT], "pkce_required": false});
    for (k, v) in metadata.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, _, info) = register_with(env, Some(&format!("SSWS {}", env.token)), &body).await;
    assert_eq!(status, 201, "{info}");
    info
}

async fn config_call(
    method: Method,
    info: &Value,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client()
        .request(method, info["registration_client_uri"].as_str().unwrap())
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn session_token(env: &Env) -> String {
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": LOGIN, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    body["sessionToken"]
        .as_str()
        .expect("sessionToken")
        .to_owned()
}

fn query_of(location: &str) -> std::collections::BTreeMap<String, String> {
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

/// An authorization request by the registered client in `browser`; the redirect's query (or `None` when the OP
/// answered anything but a redirect to the client).
async fn authorize(
    env: &Env,
    browser: &mut Browser,
    info: &Value,
    extra: &[(&str, &str)],
) -> Option<std::collections::BTreeMap<String, String>> {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", info["client_id"].as_str().unwrap())
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("state", "s1")
        .append_pair("nonce", "n1");
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    let page = browser
        .get(&env.s.url(&format!("/oauth2/v1/authorize?{}", q.finish())))
        .await;
    page.location
        .filter(|l| l.starts_with(REDIRECT))
        .map(|l| query_of(&l))
}

/// Redeems a code as the registered (client_secret_basic) client; the token response.
async fn redeem(env: &Env, info: &Value, code: &str) -> Value {
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            info["client_id"].as_str().unwrap(),
            info["client_secret"].as_str().unwrap()
        ))
    );
    let r = client()
        .post(env.s.url("/oauth2/v1/token"))
        .header("Authorization", basic)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// A browser signed in through the Authn API's session token, and the first code flow's tokens.
async fn signed_in(env: &Env, info: &Value) -> (Browser, Value) {
    let mut browser = Browser::default();
    let token = session_token(env).await;
    let params = authorize(env, &mut browser, info, &[("sessionToken", &token)])
        .await
        .expect("a redirect");
    let tokens = redeem(env, info, &params["code"]).await;
    (browser, tokens)
}

fn claims(jwt: &str) -> serde_json::Map<String, Value> {
    UnverifiedJws::parse(jwt).expect("a JWS").claims
}

#[tokio::test]
async fn registration_needs_an_api_token_unless_open() {
    let env = Env::start();
    let body = json!({"redirect_uris": [REDIRECT]});
    let (status, headers, e) = register_with(&env, None, &body).await;
    assert_eq!(status, 401, "{e}");
    assert_eq!(e["error"], "invalid_token");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let (status, headers, _) = register_with(&env, Some("SSWS nope"), &body).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    // The API token as SSWS, or as a Bearer initial access token (RFC 7591 §3).
    let (status, headers, info) =
        register_with(&env, Some(&format!("SSWS {}", env.token)), &body).await;
    assert_eq!(status, 201, "{info}");
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, _) = register_with(&env, Some(&format!("Bearer {}", env.token)), &body).await;
    assert_eq!(status, 201);

    let open = Env::start_with(&["--registration", "open"]);
    let (status, _, info) = register_with(&open, None, &body).await;
    assert_eq!(status, 201, "{info}");
    assert!(info["client_secret"].is_string());
    // Discovery names the one endpoint, for the org server and custom servers alike.
    for path in [
        "/.well-known/openid-configuration",
        "/oauth2/default/.well-known/openid-configuration",
    ] {
        let (_, _, meta) = get_json(&open.s.url(path)).await;
        assert_eq!(
            meta["registration_endpoint"],
            open.s.url("/oauth2/v1/clients")
        );
        assert_eq!(
            meta["subject_types_supported"],
            json!(["public", "pairwise"])
        );
        assert!(
            meta["userinfo_signing_alg_values_supported"]
                .as_array()
                .unwrap()
                .len()
                == 3
        );
    }
}

#[tokio::test]
async fn a_registered_client_is_an_app_assigned_to_everyone() {
    let env = Env::start();
    let info = register(
        &env,
        json!({"client_name": "Registered RP", "application_type": "web",
            "logo_uri": "https://rp.example.com/logo.png", "contacts": ["ops@rp.example.com"],
            "grant_types": ["authorization_code", "refresh_token"], "subject_type": "pairwise",
            "unknown": "ignored"}),
    )
    .await;
    let id = info["client_id"].as_str().unwrap();
    assert_eq!(info["client_name"], "Registered RP");
    assert_eq!(info["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(
        info["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(info["response_types"], json!(["code"]));
    assert_eq!(info["subject_type"], "pairwise");
    assert_eq!(info["contacts"], json!(["ops@rp.example.com"]));
    assert!(info.get("unknown").is_none());
    assert!(info["client_id_issued_at"].as_i64().unwrap() > 1_700_000_000);

    let (status, app) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["label"], "Registered RP");
    assert_eq!(app["status"], "ACTIVE");
    assert_eq!(
        app["settings"]["oauthClient"]["logo_uri"],
        "https://rp.example.com/logo.png"
    );
    assert_eq!(app["settings"]["oauthClient"]["subject_type"], "pairwise");
    let text = app.to_string();
    assert!(
        !text.contains("registration")
            && !text.contains(info["registration_access_token"].as_str().unwrap())
    );
    let (_, groups) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}/groups"), None)
        .await;
    let (_, everyone) = env
        .admin(Method::GET, "/api/v1/groups?q=Everyone", None)
        .await;
    assert_eq!(groups[0]["id"], everyone[0]["id"], "assigned to Everyone");

    // So any user may sign in to it, without an assignment of their own.
    env.create_user(LOGIN).await;
    let (_, tokens) = signed_in(&env, &info).await;
    assert!(tokens["id_token"].is_string());
    // An administrator may narrow that, as for any app.
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!(
                "/api/v1/apps/{id}/groups/{}",
                everyone[0]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let token = session_token(&env).await;
    let mut browser = Browser::default();
    let params = authorize(&env, &mut browser, &info, &[("sessionToken", &token)])
        .await
        .unwrap();
    assert_eq!(params["error"], "access_denied");
}

#[tokio::test]
async fn the_registration_access_token_reads_replaces_and_deletes_the_client() {
    let env = Env::start();
    let info = register(&env, json!({"client_name": "Managed"})).await;
    let first = info["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = info["client_id"].as_str().unwrap().to_owned();
    assert_eq!(
        info["registration_client_uri"],
        env.s.url(&format!("/oauth2/v1/clients/{id}"))
    );

    // Read: the metadata, without the secret, with a new token; the old one stops working.
    let (status, read) = config_call(Method::GET, &info, &first, None).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["client_id"], id.as_str());
    assert_eq!(read["client_name"], "Managed");
    assert!(read.get("client_secret").is_none());
    let second = read["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second, first);
    let (status, e) = config_call(Method::GET, &info, &first, None).await;
    assert_eq!(status, 401, "{e}");
    assert_eq!(e["error"], "invalid_token");
    // Neither an API token nor another client's token will do.
    let (status, _) = config_call(Method::GET, &info, &env.token, None).await;
    assert_eq!(status, 401);
    let other = register(&env, json!({})).await;
    let (status, _) = config_call(
        Method::GET,
        &info,
        other["registration_access_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(status, 401);

    // Replace: the client id must be its own, a secret sent must be its own, the metadata replaces the old.
    let new_uri = "https://rp.example.com/other";
    let (status, e) = config_call(
        Method::PUT,
        &info,
        &second,
        Some(json!({"client_id": "0oaother", "redirect_uris": [new_uri]})),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"], "invalid_client_metadata");
    let (status, e) = config_call(
        Method::PUT,
        &info,
        &second,
        Some(json!({"client_id": id, "client_secret": "wrong", "redirect_uris": [new_uri]})),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = config_call(
        Method::PUT,
        &info,
        &second,
        Some(json!({"client_id": id, "redirect_uris": ["https://rp.example.com/cb#x"]})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["error"], "invalid_redirect_uri");
    let (status, updated) = config_call(
        Method::PUT,
        &info,
        &second,
        Some(json!({"client_id": id, "client_secret": info["client_secret"], "client_name": "Renamed",
            "redirect_uris": [new_uri], "tos_uri": "https://rp.example.com/tos"})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["redirect_uris"], json!([new_uri]));
    assert_eq!(updated["tos_uri"], "https://rp.example.com/tos");
    assert_eq!(
        updated["pkce_required"], true,
        "what is not sent goes back to its default"
    );
    let (_, app) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(app["label"], "Renamed");
    assert_eq!(
        app["settings"]["oauthClient"]["redirect_uris"],
        json!([new_uri])
    );
    let third = updated["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The client's secret still works after the update.
    let r = client()
        .post(env.s.url("/oauth2/v1/token"))
        .basic_auth(&id, info["client_secret"].as_str())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("redirect_uri", new_uri),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "authenticated; the code is what is wrong");

    // An update through the Apps API keeps the registration.
    let mut replaced = app.clone();
    replaced["label"] = json!("By the admin");
    let (status, body) = env
        .admin(Method::PUT, &format!("/api/v1/apps/{id}"), Some(replaced))
        .await;
    assert_eq!(status, 200, "{body}");

    // Delete: 204, then the client and its token are gone.
    let r = client()
        .delete(updated["registration_client_uri"].as_str().unwrap())
        .bearer_auth(&third)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = config_call(Method::GET, &info, &third, None).await;
    assert_eq!(status, 401);
    let (status, _) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_metadata_is_refused_with_the_rfc_7591_errors() {
    let env = Env::start_with(&["--registration", "open"]);
    let cases = [
        (
            json!({"redirect_uris": ["https://rp.example.com/cb#f"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["http://rp.example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": "https://rp.example.com/cb"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "initiate_login_uri": "http://rp.example.com/login"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "grant_types": ["password"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "id_token_signed_response_alg": "none"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "policy_uri": "javascript:alert(1)"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "sector_identifier_uri": "https://127.0.0.2:1/sector"}),
            "invalid_client_metadata",
        ),
    ];
    for (body, error) in cases {
        let (status, _, e) = register_with(&env, None, &body).await;
        assert_eq!(status, 400, "{body}: {e}");
        assert_eq!(e["error"], error, "{body}: {e}");
        assert!(
            e["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty() && !d.contains('"'))
        );
    }
    // Not JSON, or not an object.
    let r = client()
        .post(env.s.url("/oauth2/v1/clients"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client()
        .post(env.s.url("/oauth2/v1/clients"))
        .form(&[("redirect_uris", REDIRECT)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Nothing was made.
    let (_, apps) = env.admin(Method::GET, "/api/v1/apps", None).await;
    assert_eq!(apps, json!([]));
}

#[tokio::test]
async fn pairwise_subjects_hold_across_tokens_userinfo_and_id_token_hints() {
    let env = Env::start();
    let user_id = env.create_user(LOGIN).await;
    let info = register(&env, json!({"subject_type": "pairwise"})).await;
    let (mut browser, tokens) = signed_in(&env, &info).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let sub = claims(id_token)["sub"].as_str().unwrap().to_owned();
    assert_ne!(sub, user_id);
    assert_eq!(sub.len(), 43);
    // Userinfo: the same sub. Access tokens keep Okta's shape for resource servers.
    let access = tokens["access_token"].as_str().unwrap();
    let r = client()
        .get(env.s.url("/oauth2/v1/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let userinfo: Value = r.json().await.unwrap();
    assert_eq!(userinfo["sub"], sub.as_str());
    let at = claims(access);
    assert_eq!(at["sub"], LOGIN);
    assert_eq!(at["uid"], user_id.as_str());

    // The ID token as id_token_hint with prompt=none: the session's user is the hinted one.
    let params = authorize(
        &env,
        &mut browser,
        &info,
        &[("prompt", "none"), ("id_token_hint", id_token)],
    )
    .await
    .expect("a redirect");
    assert!(params.contains_key("code"), "{params:?}");
    // So is a claims request naming the pairwise sub; another value names someone else.
    let wanted = json!({"id_token": {"sub": {"value": sub}}}).to_string();
    let params = authorize(
        &env,
        &mut browser,
        &info,
        &[("prompt", "none"), ("claims", &wanted)],
    )
    .await
    .unwrap();
    assert!(params.contains_key("code"), "{params:?}");
    let someone_else = json!({"id_token": {"sub": {"value": user_id}}}).to_string();
    let params = authorize(
        &env,
        &mut browser,
        &info,
        &[("prompt", "none"), ("claims", &someone_else)],
    )
    .await
    .unwrap();
    assert_eq!(params["error"], "login_required");

    // A public client's hint in another public client's request still names the user.
    let public = register(&env, json!({})).await;
    let token = session_token(&env).await;
    let mut b2 = Browser::default();
    let p = authorize(&env, &mut b2, &public, &[("sessionToken", &token)])
        .await
        .unwrap();
    let t2 = redeem(&env, &public, &p["code"]).await;
    assert_eq!(
        claims(t2["id_token"].as_str().unwrap())["sub"],
        user_id.as_str()
    );
    let p = authorize(
        &env,
        &mut b2,
        &info,
        &[
            ("prompt", "none"),
            ("id_token_hint", t2["id_token"].as_str().unwrap()),
        ],
    )
    .await
    .unwrap();
    assert!(p.contains_key("code"), "{p:?}");
}

#[tokio::test]
async fn signed_userinfo_uses_the_registered_algorithm() {
    let env = Env::start();
    env.create_user(LOGIN).await;
    let info = register(
        &env,
        json!({"userinfo_signed_response_alg": "ES256", "subject_type": "pairwise"}),
    )
    .await;
    let (_, tokens) = signed_in(&env, &info).await;
    let r = client()
        .get(env.s.url("/oauth2/v1/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/jwt");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let jwt = r.text().await.unwrap();
    let jws = UnverifiedJws::parse(&jwt).unwrap();
    assert_eq!(jws.header["alg"], "ES256");
    let (_, _, jwks) = get_json(&env.s.url("/oauth2/v1/keys")).await;
    let keys: Vec<lanyard_core::crypto::Jwk> =
        serde_json::from_value(jwks["keys"].clone()).unwrap();
    jws.verify(&keys).expect("signed with a published key");
    assert_eq!(jws.claims["aud"], info["client_id"]);
    assert_eq!(jws.claims["iss"], env.s.url("").trim_end_matches('/'));
    assert_eq!(
        jws.claims["sub"],
        claims(tokens["id_token"].as_str().unwrap())["sub"]
    );
    assert_eq!(jws.claims["email"], LOGIN);
    assert!(jws.claims.get("nonce").is_none());

    // A deleted client's tokens get nothing from userinfo.
    let id = info["client_id"].as_str().unwrap();
    env.admin(
        Method::POST,
        &format!("/api/v1/apps/{id}/lifecycle/deactivate"),
        None,
    )
    .await;
    let (status, _) = env
        .admin(Method::DELETE, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let r = client()
        .get(env.s.url("/oauth2/v1/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn default_max_age_applies_to_requests_without_max_age() {
    let env = Env::start();
    env.create_user(LOGIN).await;
    let info = register(&env, json!({"default_max_age": 1})).await;
    let (mut browser, _) = signed_in(&env, &info).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let params = authorize(&env, &mut browser, &info, &[("prompt", "none")])
        .await
        .unwrap();
    assert_eq!(
        params["error"], "login_required",
        "the session is older than default_max_age"
    );
    // max_age in the request wins.
    let params = authorize(
        &env,
        &mut browser,
        &info,
        &[("prompt", "none"), ("max_age", "3600")],
    )
    .await
    .unwrap();
    assert!(params.contains_key("code"), "{params:?}");
}

#[tokio::test]
async fn the_sign_in_page_shows_the_client_s_logo_and_links_escaped() {
    let env = Env::start();
    let info = register(
        &env,
        json!({"client_name": "<b>Evil</b> & \"Co\"", "logo_uri": "https://cdn.rp.example.com/logo.png?a=1&b=2",
            "policy_uri": "https://rp.example.com/privacy", "tos_uri": "https://rp.example.com/tos"}),
    )
    .await;
    let mut browser = Browser::default();
    assert!(authorize(&env, &mut browser, &info, &[]).await.is_none());
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", info["client_id"].as_str().unwrap())
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid");
    let from = format!("/oauth2/v1/authorize?{}", q.finish());
    let r = client()
        .get(format!(
            "{}?fromURI={}",
            env.s.url("/signin"),
            url::form_urlencoded::byte_serialize(from.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.rp.example.com;"),
        "{csp}"
    );
    let page = r.text().await.unwrap();
    assert!(!page.contains("<b>Evil</b>"), "escaped");
    assert!(
        page.contains("&#60;b&#62;Evil&#60;/b&#62;") || page.contains("&lt;b&gt;Evil&lt;/b&gt;"),
        "{page}"
    );
    assert!(
        page.contains(
            "class=\"client-logo\" src=\"https://cdn.rp.example.com/logo.png?a=1&#38;b=2\""
        ) || page.contains(
            "class=\"client-logo\" src=\"https://cdn.rp.example.com/logo.png?a=1&amp;b=2\""
        ),
        "{page}"
    );
    assert!(page.contains(" logo\">"), "alt text");
    assert!(page.contains("href=\"https://rp.example.com/privacy\""));
    assert!(page.contains("href=\"https://rp.example.com/tos\""));
    // Without a client, the plain page and the strict policy.
    let r = client().get(env.s.url("/signin")).send().await.unwrap();
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("img-src 'self' data:;")
    );
    let page = r.text().await.unwrap();
    assert!(!page.contains("client-logo") && !page.contains("Privacy policy"));
}

#[tokio::test]
async fn the_apps_api_checks_a_sector_identifier_uri_too() {
    let env = Env::start();
    let body = json!({"label": "Sector", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "settings": {"oauthClient": {"redirect_uris": [REDIRECT], "subject_type": "pairwise",
            "sector_identifier_uri": "https://127.0.0.2:1/sector.json"}}});
    let (status, e) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 400, "{e}");
    assert_okta_error(&e, "E0000001");
    assert!(
        e["errorCauses"]
            .to_string()
            .contains("sector_identifier_uri"),
        "{e}"
    );
    let body = json!({"label": "Pairwise", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "settings": {"oauthClient": {"redirect_uris": [REDIRECT, "https://other.example.com/cb"],
            "subject_type": "pairwise"}}});
    let (status, e) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["errorCauses"].to_string().contains("subject_type"), "{e}");
}
