//! The authorization server through the real binary: the authorization endpoint (sessions, session tokens, the
//! sign-in page round trip, errors), the token endpoint's grants, client authentication, introspection and
//! revocation.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::browser::*;
use common::*;
use lanyard_core::crypto::verify::UnverifiedJws;
use lanyard_core::crypto::{Jwk, SigningAlg, SigningKey, jws};
use reqwest::Method;
use serde_json::{Value, json};

const REDIRECT: &str = "http://localhost:3000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Client {
    id: String,
    secret: Option<String>,
}

/// A web app (secret, code + refresh) or, with `public`, a SPA.
async fn app(env: &Env, public: bool, grants: &[&str]) -> Client {
    let (method, app_type) = if public {
        ("none", "browser")
    } else {
        ("client_secret_basic", "web")
    };
    let body = json!({"label": "App", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": method}},
        "settings": {"oauthClient": {"application_type": app_type, "grant_types": grants,
            "redirect_uris": [REDIRECT]}}});
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{app}");
    Client {
        id: app["id"].as_str().unwrap().to_owned(),
        secret: app["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    }
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

async fn session_token(env: &Env, login: &str) -> String {
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": login, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    body["sessionToken"]
        .as_str()
        .expect("sessionToken")
        .to_owned()
}

fn authorize_url(env: &Env, server: &str, client_id: &str, extra: &str) -> String {
    let prefix = if server == "org" {
        "/oauth2/v1".to_owned()
    } else {
        format!("/oauth2/{server}/v1")
    };
    env.s.url(&format!(
        "{prefix}/authorize?client_id={client_id}&response_type=code&scope=openid%20profile%20offline_access\
         &redirect_uri={}&state=st8&nonce=n0nce&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        urlencode(REDIRECT)
    ))
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

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The query parameters of a redirect to the client.
fn redirect_params(location: &str) -> std::collections::BTreeMap<String, String> {
    assert!(location.starts_with(REDIRECT), "{location}");
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Authn → sessionToken → authorize with prompt=none: the code.
async fn code_for(env: &Env, server: &str, client: &Client, login: &str) -> String {
    let token = session_token(env, login).await;
    let url = authorize_url(
        env,
        server,
        &client.id,
        &format!("&prompt=none&sessionToken={token}"),
    );
    let r = common::client().get(url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let params = redirect_params(r.headers()["location"].to_str().unwrap());
    params
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("{params:?}"))
}

fn basic(c: &Client) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", c.id, c.secret.as_deref().unwrap()))
    )
}

async fn token_request(
    env: &Env,
    server: &str,
    auth: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let path = if server == "org" {
        "/oauth2/v1/token".to_owned()
    } else {
        format!("/oauth2/{server}/v1/token")
    };
    post_form(env, &path, auth, form).await
}

async fn post_form(
    env: &Env,
    path: &str,
    auth: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = common::client().post(env.s.url(path)).form(form);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn exchange(env: &Env, server: &str, client: &Client, code: &str) -> (u16, Value) {
    let (status, _, body) = token_request(
        env,
        server,
        Some(&basic(client)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    (status, body)
}

/// Verifies a JWT against the server's published keys; its claims.
async fn verified(env: &Env, jwks_path: &str, token: &str) -> serde_json::Map<String, Value> {
    let (_, _, jwks) = get_json(&env.s.url(jwks_path)).await;
    let keys: Vec<Jwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    let jws = UnverifiedJws::parse(token).unwrap();
    jws.verify(&keys).expect("signed by a published key");
    jws.claims
}

/// Adds a scope to the `default` server.
async fn scope(env: &Env, name: &str) {
    let (status, body) = env
        .admin(
            Method::POST,
            "/api/v1/authorizationServers/default/scopes",
            Some(json!({"name": name})),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");
}

async fn setup() -> (Env, Client, String) {
    let env = Env::start();
    let client = app(&env, false, &["authorization_code", "refresh_token"]).await;
    let uid = env.create_user("ada@example.com").await;
    assign(&env, &client.id, &uid).await;
    (env, client, uid)
}

#[tokio::test]
async fn authn_session_token_then_authorize_redirects_with_a_code_once() {
    let (env, client, uid) = setup().await;
    let token = session_token(&env, "ada@example.com").await;
    let url = authorize_url(
        &env,
        "default",
        &client.id,
        &format!("&prompt=none&sessionToken={token}"),
    );
    let r = common::client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("sid=")
    );
    let p = redirect_params(r.headers()["location"].to_str().unwrap());
    assert_eq!(p["state"], "st8");
    assert_eq!(p["iss"], env.s.url("/oauth2/default"));
    assert!(p["code"].len() >= 43, "a code carries at least 256 bits");

    // The session token is spent: the same URL again cannot sign in.
    let r = common::client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let p = redirect_params(r.headers()["location"].to_str().unwrap());
    assert_eq!(p["error"], "login_required");
    assert_eq!(p["state"], "st8");

    // The code gives tokens in Okta's shape.
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (status, tokens) = exchange(&env, "default", &client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "openid profile offline_access");
    assert!(tokens.get("state").is_none());
    let at = verified(
        &env,
        "/oauth2/default/v1/keys",
        tokens["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(at["ver"], 1);
    assert_eq!(at["iss"], env.s.url("/oauth2/default"));
    assert_eq!(at["aud"], "api://default");
    assert_eq!(at["cid"], client.id.as_str());
    assert_eq!(at["uid"], uid.as_str());
    assert_eq!(at["sub"], "ada@example.com");
    assert_eq!(at["scp"], json!(["openid", "profile", "offline_access"]));
    assert!(at["jti"].as_str().unwrap().starts_with("AT."));
    assert!(at.get("nbf").is_none());
    let id = verified(
        &env,
        "/oauth2/default/v1/keys",
        tokens["id_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(id["sub"], uid.as_str());
    assert_eq!(id["aud"], client.id.as_str(), "aud is a string");
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["preferred_username"], "ada@example.com");
    assert_eq!(id["name"], "Ada Lovelace");
    assert!(id["auth_time"].is_i64() && id["at_hash"].is_string());
    assert_eq!(id["amr"], json!(["pwd"]));
    assert!(tokens["refresh_token"].is_string());
}

#[tokio::test]
async fn a_second_use_of_a_code_fails_and_revokes_what_the_first_produced() {
    let (env, client, _) = setup().await;
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (status, first) = exchange(&env, "default", &client, &code).await;
    assert_eq!(status, 200);
    let (status, again) = exchange(&env, "default", &client, &code).await;
    assert_eq!(status, 400);
    assert_eq!(again["error"], "invalid_grant");
    for token in [&first["access_token"], &first["refresh_token"]] {
        let (_, _, intro) = post_form(
            &env,
            "/oauth2/default/v1/introspect",
            Some(&basic(&client)),
            &[("token", token.as_str().unwrap())],
        )
        .await;
        assert_eq!(intro["active"], false, "{intro}");
    }
}

#[tokio::test]
async fn codes_are_bound_to_redirect_uri_pkce_and_client() {
    let (env, client, uid) = setup().await;
    let other = app(&env, false, &["authorization_code"]).await;
    assign(&env, &other.id, &uid).await;

    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (s, _, e) = token_request(
        &env,
        "default",
        Some(&basic(&client)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:3000/other"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));

    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (s, _, e) = token_request(
        &env,
        "default",
        Some(&basic(&client)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &VERIFIER.replace('d', "e")),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));

    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (s, _, e) = token_request(
        &env,
        "default",
        Some(&basic(&client)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_request")));

    // Another client cannot redeem it; nor can another server.
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (s, e) = exchange(&env, "default", &other, &code).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (s, e) = exchange(&env, "org", &client, &code).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn bad_clients_and_redirect_uris_get_a_page_and_other_errors_go_back_with_iss() {
    let (env, client, _) = setup().await;
    // Unknown redirect URI: a page, no redirect.
    let url = authorize_url(&env, "default", &client.id, "")
        .replace(&urlencode(REDIRECT), &urlencode("https://evil.example/cb"));
    let r = common::client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(!r.text().await.unwrap().contains("evil.example"));
    // A duplicated parameter: a page.
    let url = format!(
        "{}&state=again",
        authorize_url(&env, "default", &client.id, "")
    );
    let r = common::client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    // plain PKCE: back to the client, with iss and state.
    let url = authorize_url(&env, "default", &client.id, "").replace("S256", "plain");
    let r = common::client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let p = redirect_params(r.headers()["location"].to_str().unwrap());
    assert_eq!(p["error"], "invalid_request");
    assert_eq!(p["iss"], env.s.url("/oauth2/default"));
    assert_eq!(p["state"], "st8");
    assert!(!p["error_description"].is_empty());
    // A token response type the server does not offer (the OAuth implicit grant alone): refused, in the
    // fragment, as every answer to a request for tokens.
    let url = authorize_url(&env, "default", &client.id, "")
        .replace("response_type=code", "response_type=token");
    let r = common::client().get(&url).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap();
    let (before, fragment) = location.split_once('#').unwrap();
    assert!(!before.contains("error"), "{location}");
    let p: std::collections::BTreeMap<String, String> =
        url::form_urlencoded::parse(fragment.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(p["error"], "unsupported_response_type");
    // No session and prompt=none: login_required.
    let r = common::client()
        .get(authorize_url(&env, "default", &client.id, "&prompt=none"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        redirect_params(r.headers()["location"].to_str().unwrap())["error"],
        "login_required"
    );
    // An unknown custom server: 404.
    let r = common::client()
        .get(authorize_url(&env, "nope", &client.id, ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn native_loopback_redirects_get_codes_only_in_their_registered_form() {
    let env = Env::start();
    let body = json!({"label": "Native", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
        "settings": {"oauthClient": {"application_type": "native", "grant_types": ["authorization_code"],
            "redirect_uris": ["http://127.0.0.1/callback"]}}});
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{app}");
    let id = app["id"].as_str().unwrap();
    let uid = env.create_user("ada@example.com").await;
    assign(&env, id, &uid).await;
    let authorize = |redirect_uri: &'static str| {
        let env = &env;
        async move {
            let token = session_token(env, "ada@example.com").await;
            let url = env.s.url(&format!(
                "/oauth2/default/v1/authorize?client_id={id}&response_type=code&scope=openid&state=st8\
                 &redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256&prompt=none\
                 &sessionToken={token}",
                urlencode(redirect_uri)
            ));
            common::client().get(url).send().await.unwrap()
        }
    };
    // Spellings a browser takes to the loopback address too, a trailing space, an empty fragment (the code would
    // land in it): an error page, never a redirect.
    for bad in [
        "http://127.1:5555/callback",
        "http://2130706433:5555/callback",
        "http:127.0.0.1:5555/callback",
        "http://127.0.0.1:5555/callback ",
        "http://127.0.0.1:5555/callback#",
    ] {
        let r = authorize(bad).await;
        assert_eq!(r.status(), 400, "{bad:?}");
        assert!(r.headers().get("location").is_none(), "{bad:?}");
    }
    // The registered form on any port: the code, there, redeemable with that same redirect URI.
    let r = authorize("http://127.0.0.1:5555/callback").await;
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:5555/callback?code="),
        "{location}"
    );
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let (s, _, body) = token_request(
        &env,
        "default",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", id),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:5555/callback"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn only_assigned_users_get_codes_directly_or_through_a_group() {
    let (env, client, _) = setup().await;
    let bob = env.create_user("bob@example.com").await;
    let token = session_token(&env, "bob@example.com").await;
    let url = authorize_url(
        &env,
        "default",
        &client.id,
        &format!("&prompt=none&sessionToken={token}"),
    );
    let r = common::client().get(url).send().await.unwrap();
    let p = redirect_params(r.headers()["location"].to_str().unwrap());
    assert_eq!(p["error"], "access_denied");

    let (_, group) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Team"}})),
        )
        .await;
    let gid = group["id"].as_str().unwrap();
    env.admin(
        Method::PUT,
        &format!("/api/v1/groups/{gid}/users/{bob}"),
        None,
    )
    .await;
    env.admin(
        Method::PUT,
        &format!("/api/v1/apps/{}/groups/{gid}", client.id),
        Some(json!({})),
    )
    .await;
    let code = code_for(&env, "default", &client, "bob@example.com").await;
    assert!(!code.is_empty());
}

#[tokio::test]
async fn the_sign_in_page_brings_the_browser_back_to_the_authorization_request() {
    let (env, client, _) = setup().await;
    let mut b = Browser::default();
    let start = b
        .get(&authorize_url(
            &env,
            "default",
            &client.id,
            "&login_hint=ada%40example.com",
        ))
        .await;
    assert_eq!(start.status, 302);
    let to_signin = start.location.unwrap();
    assert!(to_signin.starts_with("/signin?fromURI="), "{to_signin}");
    let page = b.get(&env.s.url(&to_signin)).await;
    assert!(
        page.body.contains("value=\"ada@example.com\""),
        "login_hint prefills the page"
    );
    let csrf = hidden(&page.body, "csrf");
    let from = unescape(&hidden(&page.body, "fromURI"));
    let signed = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &csrf),
                ("fromURI", &from),
                ("username", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let back = signed.location.unwrap();
    assert!(back.contains("/oauth2/default/v1/authorize?"), "{back}");
    let done = b.get(&back).await;
    assert_eq!(done.status, 302);
    let p = redirect_params(&done.location.unwrap());
    let (status, _) = exchange(&env, "default", &client, &p["code"]).await;
    assert_eq!(status, 200);

    // With the session, prompt=none answers silently; POST works as GET.
    let again = b
        .get(&authorize_url(&env, "default", &client.id, "&prompt=none"))
        .await;
    assert!(redirect_params(&again.location.unwrap()).contains_key("code"));
    let full = authorize_url(&env, "default", &client.id, "");
    let (path, query) = full.split_once('?').unwrap();
    let posted = b
        .send(
            common::client()
                .post(path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(query.to_owned()),
        )
        .await;
    assert_eq!(posted.status, 302);
    assert!(redirect_params(&posted.location.unwrap()).contains_key("code"));
    // prompt=login sends it to the sign-in page even with a session.
    let forced = b
        .get(&authorize_url(&env, "default", &client.id, "&prompt=login"))
        .await;
    assert!(forced.location.unwrap().starts_with("/signin?"));
}

/// Chromium applies `form-action` to every redirect after a form's submission: a page whose form continues an
/// authorization request allows the request's registered redirect URI's origin, and only such a page, only that.
#[tokio::test]
async fn pages_that_continue_an_authorization_request_let_their_forms_lead_to_its_redirect_uri_only()
 {
    let (env, client, uid) = setup().await;
    let form_action = |page: &Page| {
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        let d = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("form-action"))
            .unwrap_or_else(|| panic!("{csp}"));
        d.to_owned()
    };
    let mut b = Browser::default();
    let to_signin = b
        .get(&authorize_url(&env, "default", &client.id, ""))
        .await
        .location
        .unwrap();
    let page = b.get(&env.s.url(&to_signin)).await;
    assert_eq!(
        form_action(&page),
        "form-action 'self' http://localhost:3000"
    );
    let from = unescape(&hidden(&page.body, "fromURI"));

    // The same page without a request, or for a redirect URI the app did not register: this origin only.
    assert_eq!(
        form_action(&b.get(&env.s.url("/signin")).await),
        "form-action 'self'"
    );
    let forged = authorize_url(&env, "default", &client.id, "")
        .replace(&urlencode(REDIRECT), &urlencode("https://evil.example/cb"));
    let forged_from = forged.trim_start_matches(env.s.url("").as_str());
    let page = b
        .get(
            &env.s
                .url(&format!("/signin?fromURI={}", urlencode(forged_from))),
        )
        .await;
    assert_eq!(form_action(&page), "form-action 'self'");

    // The next step of the same sign-in (an expired password here) carries it on; a wrong password's page too.
    let wrong = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &hidden(&page.body, "csrf")),
                ("fromURI", &from),
                ("username", "ada@example.com"),
                ("password", "Wrong-Horse-1"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        form_action(&wrong),
        "form-action 'self' http://localhost:3000"
    );
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{uid}/lifecycle/expire_password"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let change = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &hidden(&page.body, "csrf")),
                ("fromURI", &from),
                ("username", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(change.status, 200, "{}", change.body);
    assert!(change.body.contains("newPassword"), "{}", change.body);
    assert_eq!(
        form_action(&change),
        "form-action 'self' http://localhost:3000"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_replay_revokes_the_family() {
    let (env, client, uid) = setup().await;
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (_, first) = exchange(&env, "default", &client, &code).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let refresh = |token: String, scope: Option<&'static str>| {
        let env = &env;
        let client = &client;
        async move {
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", token),
            ];
            if let Some(s) = scope {
                form.push(("scope", s.to_owned()));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (s, _, body) = token_request(env, "default", Some(&basic(client)), &form).await;
            (s, body)
        }
    };
    let (status, second) = refresh(r1.to_owned(), None).await;
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    let id1 = verified(
        &env,
        "/oauth2/default/v1/keys",
        first["id_token"].as_str().unwrap(),
    )
    .await;
    let id2 = verified(
        &env,
        "/oauth2/default/v1/keys",
        second["id_token"].as_str().unwrap(),
    )
    .await;
    for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(id1[claim], id2[claim], "{claim}");
    }
    assert_eq!(id2["sub"], uid.as_str());
    // Narrowing works; widening does not.
    let (status, narrow) = refresh(r2.to_owned(), Some("openid offline_access")).await;
    assert_eq!(status, 200, "{narrow}");
    assert_eq!(narrow["scope"], "openid offline_access");
    let r3 = narrow["refresh_token"].as_str().unwrap().to_owned();
    let (status, wide) = refresh(r3.clone(), Some("openid email")).await;
    assert_eq!(
        (status, wide["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    // The rotated first token again: refused, and the whole family with it.
    let (status, replay) = refresh(r1.to_owned(), None).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, after) = refresh(r3, None).await;
    assert_eq!(
        (status, after["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (_, _, intro) = post_form(
        &env,
        "/oauth2/default/v1/introspect",
        Some(&basic(&client)),
        &[("token", narrow["access_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(intro["active"], false);
}

#[tokio::test]
async fn refresh_tokens_need_offline_access_and_the_refresh_grant() {
    let env = Env::start();
    let client = app(&env, false, &["authorization_code"]).await;
    let uid = env.create_user("ada@example.com").await;
    assign(&env, &client.id, &uid).await;
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (status, tokens) = exchange(&env, "default", &client, &code).await;
    assert_eq!(status, 200);
    assert!(
        tokens.get("refresh_token").is_none(),
        "the app may not refresh"
    );
}

#[tokio::test]
async fn client_credentials_issue_tokens_for_the_client_itself() {
    let env = Env::start();
    let service = json!({"label": "Svc", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_post"}},
        "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"]}}});
    let (_, svc) = env.admin(Method::POST, "/api/v1/apps", Some(service)).await;
    let id = svc["id"].as_str().unwrap();
    let secret = svc["credentials"]["oauthClient"]["client_secret"]
        .as_str()
        .unwrap();
    // A scope the server does not know.
    let (s, _, e) = token_request(
        &env,
        "default",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "orders.read"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_scope")));
    scope(&env, "orders.read").await;
    let (status, headers, body) = token_request(
        &env,
        "default",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "orders.read"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let at = verified(
        &env,
        "/oauth2/default/v1/keys",
        body["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(at["sub"], id);
    assert_eq!(at["cid"], id);
    assert!(at.get("uid").is_none());
    assert_eq!(at["scp"], json!(["orders.read"]));

    // No scope; an OpenID scope; a client not allowed the grant.
    let (s, _, e) = token_request(
        &env,
        "default",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_scope")));
    let (s, _, e) = token_request(
        &env,
        "default",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "openid"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_scope")));
    let web = app(&env, false, &["authorization_code"]).await;
    let (s, _, e) = token_request(
        &env,
        "default",
        Some(&basic(&web)),
        &[("grant_type", "client_credentials"), ("scope", "x")],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("unauthorized_client")));
    let (s, _, e) = token_request(
        &env,
        "default",
        Some(&basic(&web)),
        &[
            ("grant_type", "password"),
            ("username", "a"),
            ("password", "b"),
        ],
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

/// As Okta, a client authenticates only by the method it registered (`token_endpoint_auth_method`): a secret sent
/// the other way is `invalid_client`, at every endpoint that authenticates clients.
#[tokio::test]
async fn secrets_are_accepted_only_by_the_method_the_app_registered() {
    let (env, basic_app, _) = setup().await;
    let service = json!({"label": "Svc", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_post"}},
        "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"]}}});
    let (status, svc) = env.admin(Method::POST, "/api/v1/apps", Some(service)).await;
    assert_eq!(status, 200, "{svc}");
    let post_app = Client {
        id: svc["id"].as_str().unwrap().to_owned(),
        secret: svc["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    };
    let endpoints: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "token",
            vec![("grant_type", "refresh_token"), ("refresh_token", "x")],
        ),
        ("introspect", vec![("token", "x")]),
        ("revoke", vec![("token", "x")]),
        (
            "par",
            vec![
                ("response_type", "code"),
                ("scope", "openid"),
                ("redirect_uri", REDIRECT),
            ],
        ),
        ("device/authorize", vec![("scope", "openid")]),
    ];
    for (endpoint, form) in &endpoints {
        let path = format!("/oauth2/default/v1/{endpoint}");
        for (app, registered_basic) in [(&basic_app, true), (&post_app, false)] {
            fn in_body<'a>(
                form: &[(&'a str, &'a str)],
                app: &'a Client,
            ) -> Vec<(&'a str, &'a str)> {
                let mut f = form.to_vec();
                f.push(("client_id", app.id.as_str()));
                f.push(("client_secret", app.secret.as_deref().unwrap()));
                f
            }
            // The registered way: authenticated (whatever the endpoint then says of the request).
            let (s, _, body) = if registered_basic {
                post_form(&env, &path, Some(&basic(app)), form).await
            } else {
                post_form(&env, &path, None, &in_body(form, app)).await
            };
            assert_ne!(s, 401, "{endpoint}, the registered way: {body}");
            // The other way: invalid_client, 401.
            let (s, h, e) = if registered_basic {
                post_form(&env, &path, None, &in_body(form, app)).await
            } else {
                post_form(&env, &path, Some(&basic(app)), form).await
            };
            assert_eq!(
                (s, e["error"].as_str()),
                (401, Some("invalid_client")),
                "{endpoint}, registered basic: {registered_basic}"
            );
            assert!(h["www-authenticate"].to_str().unwrap().starts_with("Basic"));
        }
    }
}

#[tokio::test]
async fn client_authentication_fails_alike_and_basic_credentials_are_url_decoded() {
    let (env, client, _) = setup().await;
    let wrong = Client {
        id: client.id.clone(),
        secret: Some("not-the-secret".into()),
    };
    let (s, h, e) = token_request(
        &env,
        "default",
        Some(&basic(&wrong)),
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    assert!(h["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let unknown = Client {
        id: "nobody".into(),
        secret: Some("x".into()),
    };
    let (s, _, e2) = token_request(
        &env,
        "default",
        Some(&basic(&unknown)),
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(e, e2, "unknown client and wrong secret look alike");
    // Confidential client without credentials.
    let (s, _, e) = token_request(
        &env,
        "default",
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", &client.id),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    // Two methods at once.
    let (s, _, e) = token_request(
        &env,
        "default",
        Some(&basic(&client)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_secret", "y"),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_request")));
    // URL-encoded Basic credentials (RFC 6749 §2.3.1): the secret has no special characters, the encoding still
    // round-trips.
    let encoded = format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            urlencode(&client.id),
            urlencode(client.secret.as_deref().unwrap())
        ))
    );
    let (s, _, e) = token_request(
        &env,
        "default",
        Some(&encoded),
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "authenticated, then the token is unknown"
    );
}

#[tokio::test]
async fn public_clients_use_pkce_without_a_secret() {
    let env = Env::start();
    let spa = app(&env, true, &["authorization_code", "refresh_token"]).await;
    let uid = env.create_user("ada@example.com").await;
    assign(&env, &spa.id, &uid).await;
    let code = code_for(&env, "org", &spa, "ada@example.com").await;
    let (status, _, tokens) = token_request(
        &env,
        "org",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &spa.id),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let at = verified(
        &env,
        "/oauth2/v1/keys",
        tokens["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(at["iss"], env.s.url(""));
    assert_eq!(at["aud"], env.s.url(""));
}

/// okta-auth-js names a public client at /introspect and /revoke with `Authorization: Basic base64(client_id)`:
/// the client id alone, no colon, no secret (Okta accepts it). A confidential client cannot authenticate so.
#[tokio::test]
async fn public_clients_may_name_themselves_in_basic_credentials_without_a_secret() {
    let env = Env::start();
    let spa = app(&env, true, &["authorization_code", "refresh_token"]).await;
    let uid = env.create_user("ada@example.com").await;
    assign(&env, &spa.id, &uid).await;
    let code = code_for(&env, "default", &spa, "ada@example.com").await;
    let (status, _, tokens) = token_request(
        &env,
        "default",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &spa.id),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let at = tokens["access_token"].as_str().unwrap();
    for header in [
        format!("Basic {}", STANDARD.encode(&spa.id)),
        format!("Basic {}", STANDARD.encode(format!("{}:", spa.id))),
    ] {
        let (s, _, i) = post_form(
            &env,
            "/oauth2/default/v1/introspect",
            Some(&header),
            &[("token", at), ("token_type_hint", "access_token")],
        )
        .await;
        assert_eq!((s, &i["active"]), (200, &json!(true)), "{header}: {i}");
    }
    let alone = format!("Basic {}", STANDARD.encode(&spa.id));
    let (s, _, body) = post_form(
        &env,
        "/oauth2/default/v1/revoke",
        Some(&alone),
        &[("token", at), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (_, _, i) = post_form(
        &env,
        "/oauth2/default/v1/introspect",
        Some(&alone),
        &[("token", at)],
    )
    .await;
    assert_eq!(i["active"], false);

    // A confidential client's id alone is not authentication.
    let web = app(&env, false, &["authorization_code"]).await;
    let (s, _, e) = post_form(
        &env,
        "/oauth2/default/v1/introspect",
        Some(&format!("Basic {}", STANDARD.encode(&web.id))),
        &[("token", at)],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn introspection_and_revocation_follow_rfc_7662_and_7009() {
    let (env, client, uid) = setup().await;
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (_, tokens) = exchange(&env, "default", &client, &code).await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let introspect = |token: String| {
        let env = &env;
        let client = &client;
        async move {
            let (s, _, body) = post_form(
                env,
                "/oauth2/default/v1/introspect",
                Some(&basic(client)),
                &[("token", &token)],
            )
            .await;
            assert_eq!(s, 200);
            body
        }
    };
    let i = introspect(at.to_owned()).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["token_type"], "Bearer");
    assert_eq!(i["client_id"], client.id.as_str());
    assert_eq!(i["username"], "ada@example.com");
    assert_eq!(i["uid"], uid.as_str());
    assert_eq!(i["scope"], "openid profile offline_access");
    for claim in ["exp", "iat", "sub", "aud", "iss", "jti"] {
        assert!(!i[claim].is_null(), "{claim}");
    }
    let i = introspect(rt.to_owned()).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(introspect("garbage".into()).await, json!({"active": false}));
    // Without client authentication: 401.
    let (s, _, _) = post_form(
        &env,
        "/oauth2/default/v1/introspect",
        None,
        &[("token", at)],
    )
    .await;
    assert_eq!(s, 401);
    // The org server does not know the default server's tokens.
    let (_, _, other) = post_form(
        &env,
        "/oauth2/v1/introspect",
        Some(&basic(&client)),
        &[("token", at)],
    )
    .await;
    assert_eq!(other["active"], false);

    // Revoking an unknown token is fine; revoking the access token ends it alone.
    let revoke = |token: String| {
        let env = &env;
        let client = &client;
        async move {
            post_form(
                env,
                "/oauth2/default/v1/revoke",
                Some(&basic(client)),
                &[("token", &token)],
            )
            .await
            .0
        }
    };
    assert_eq!(revoke("unknown".into()).await, 200);
    assert_eq!(revoke(at.to_owned()).await, 200);
    assert_eq!(introspect(at.to_owned()).await["active"], false);
    assert_eq!(introspect(rt.to_owned()).await["active"], true);
    // Revoking the refresh token ends the grant: its new access tokens too.
    let (_, _, fresh) = token_request(
        &env,
        "default",
        Some(&basic(&client)),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    let at2 = fresh["access_token"].as_str().unwrap().to_owned();
    let rt2 = fresh["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(introspect(at2.clone()).await["active"], true);
    assert_eq!(revoke(rt2.clone()).await, 200);
    assert_eq!(introspect(at2).await["active"], false);
    assert_eq!(introspect(rt2).await["active"], false);
}

/// RFC 7662 §4 leaves it to the server which clients may learn about which tokens: only the client a token was
/// issued to, or a client the administrator marked a resource server (`settings.oauthClient.resource_server`), gets
/// `active: true` for an access token; a refresh token only to its own client. Revocation (RFC 7009 §2.1) likewise
/// refuses another client's tokens.
#[tokio::test]
async fn only_a_token_s_client_or_a_resource_server_learns_about_it() {
    let (env, client, uid) = setup().await;
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (_, tokens) = exchange(&env, "default", &client, &code).await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let body = |resource_server: Value| {
        json!({"label": "Orders API", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
            "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"],
                "resource_server": resource_server}}})
    };
    let mut created = body(json!(false));
    created["settings"]["oauthClient"]
        .as_object_mut()
        .unwrap()
        .remove("resource_server");
    let (status, api) = env.admin(Method::POST, "/api/v1/apps", Some(created)).await;
    assert_eq!(status, 200, "{api}");
    let api = Client {
        id: api["id"].as_str().unwrap().to_owned(),
        secret: api["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    };
    let introspect = |who: &Client, token: &str| {
        let env = &env;
        let auth = basic(who);
        let token = token.to_owned();
        async move {
            let (s, _, body) = post_form(
                env,
                "/oauth2/default/v1/introspect",
                Some(&auth),
                &[("token", &token)],
            )
            .await;
            assert_eq!(s, 200, "{body}");
            body
        }
    };
    // Another client learns nothing, of either token.
    assert_eq!(introspect(&api, at).await, json!({"active": false}));
    assert_eq!(introspect(&api, rt).await, json!({"active": false}));
    assert_eq!(introspect(&client, at).await["active"], true);
    // Nor may it revoke them.
    for token in [at, rt] {
        let (s, _, e) = post_form(
            &env,
            "/oauth2/default/v1/revoke",
            Some(&basic(&api)),
            &[("token", token)],
        )
        .await;
        assert_eq!((s, e["error"].as_str()), (400, Some("unauthorized_client")));
        assert_eq!(introspect(&client, token).await["active"], true);
    }

    // Marked a resource server: it reads access tokens of any client, never their refresh tokens.
    let (status, err) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{}", api.id),
            Some(body(json!("yes"))),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_okta_error(&err, "E0000001");
    assert!(err.to_string().contains("resource_server"), "{err}");
    let (status, put) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{}", api.id),
            Some(body(json!(true))),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["settings"]["oauthClient"]["resource_server"], true);
    let i = introspect(&api, at).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["client_id"], client.id.as_str());
    assert_eq!(i["uid"], uid.as_str());
    assert_eq!(introspect(&api, rt).await, json!({"active": false}));
    let (s, _, _) = post_form(
        &env,
        "/oauth2/default/v1/revoke",
        Some(&basic(&api)),
        &[("token", at)],
    )
    .await;
    assert_eq!(
        s, 400,
        "a resource server still revokes only its own tokens"
    );
}

#[tokio::test]
async fn private_key_jwt_assertions_authenticate_once() {
    let env = Env::start();
    let key = SigningKey::generate(SigningAlg::ES256).unwrap();
    let body = json!({"label": "Jwt", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
        "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"],
            "jwks": {"keys": [key.public_jwk()]}}}});
    let (status, svc) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{svc}");
    assert!(
        svc["credentials"]["oauthClient"]
            .get("client_secret")
            .is_none()
    );
    scope(&env, "orders.read").await;
    let id = svc["id"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let assertion = |aud: String, jti: &str| {
        jws::sign(
            &key,
            None,
            &json!({"iss": id, "sub": id, "aud": aud, "jti": jti, "iat": now, "exp": now + 300}),
        )
        .unwrap()
    };
    let a = assertion(env.s.url("/oauth2/default/v1/token"), "j1");
    let form = |a: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("scope", "orders.read".to_owned()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion", a.to_owned()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let env = &env;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token_request(env, "default", None, &f).await
        }
    };
    let (s, _, body) = send(form(&a)).await;
    assert_eq!(s, 200, "{body}");
    // The same assertion again: a replay.
    let (s, _, e) = send(form(&a)).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    // Another audience; another key.
    let (s, _, _) = send(form(&assertion("https://elsewhere/token".into(), "j2"))).await;
    assert_eq!(s, 401);
    let stranger = SigningKey::generate(SigningAlg::ES256).unwrap();
    let forged = jws::sign(&stranger, None, &json!({"iss": id, "sub": id, "aud": env.s.url("/oauth2/default/v1/token"), "jti": "j3", "exp": now + 300})).unwrap();
    let (s, _, _) = send(form(&forged)).await;
    assert_eq!(s, 401);
    // Not valid before an hour from now: refused (30 s of clock skew allowed).
    let aud = env.s.url("/oauth2/default/v1/token");
    let early = jws::sign(&key, None, &json!({"iss": id, "sub": id, "aud": aud, "jti": "j4", "nbf": now + 3600, "exp": now + 3600})).unwrap();
    let (s, _, e) = send(form(&early)).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    // A `crit` extension the server does not understand (RFC 7515 §4.1.11).
    let header =
        json!({"alg": "ES256", "kid": key.kid(), "crit": ["urn:x:bound"], "urn:x:bound": true});
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!(
        "{}.{}",
        b64(&header),
        b64(&json!({"iss": id, "sub": id, "aud": aud, "jti": "j5", "exp": now + 300}))
    );
    let crit = format!(
        "{input}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(key.sign(input.as_bytes()).unwrap())
    );
    let (s, _, e) = send(form(&crit)).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    // A `client_id` naming another client than the assertion's (RFC 7521 §4.2).
    let mut other = form(&assertion(aud.clone(), "j6"));
    other.push(("client_id", "0oaSomeoneElse".to_owned()));
    let (s, _, e) = send(other).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    // The same client named: fine.
    let mut same = form(&assertion(aud, "j7"));
    same.push(("client_id", id.to_owned()));
    let (s, _, body) = send(same).await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn the_server_s_policies_rules_and_claims_shape_the_tokens() {
    let env = Env::start();
    let client = service_app(&env).await;
    scope(&env, "reports.read").await;
    let (status, claim) = env
        .admin(
            Method::POST,
            "/api/v1/authorizationServers/default/claims",
            Some(json!({
            "name": "tier", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": "\"gold\"", "conditions": {"scopes": []}, "alwaysIncludeInToken": true})),
        )
        .await;
    assert!(status == 200 || status == 201, "{claim}");

    // The default policy's rule: one hour; the custom claim is in the access token.
    let cc = [
        ("grant_type", "client_credentials"),
        ("scope", "reports.read"),
    ];
    let (s, _, body) = token_request(&env, "default", Some(&basic(&client)), &cc).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["expires_in"], 3600);
    let at = verified(
        &env,
        "/oauth2/default/v1/keys",
        body["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(at["tier"], "gold");

    // A policy for this client alone, ahead of the default one, with a 5-minute rule.
    let (status, policy) = env
        .admin(Method::POST, "/api/v1/authorizationServers/default/policies", Some(json!({
            "type": "OAUTH_AUTHORIZATION_POLICY", "name": "Short", "description": "short tokens", "priority": 1,
            "conditions": {"clients": {"include": [client.id]}}})))
        .await;
    assert!(status == 200 || status == 201, "{policy}");
    let pid = policy["id"].as_str().unwrap();
    let (status, rule) = env
        .admin(Method::POST, &format!("/api/v1/authorizationServers/default/policies/{pid}/rules"), Some(json!({
            "type": "RESOURCE_ACCESS", "name": "Five minutes", "priority": 1,
            "conditions": {"people": {"groups": {"include": ["EVERYONE"]}}, "grantTypes": {"include": ["client_credentials"]},
                "scopes": {"include": ["*"]}},
            "actions": {"token": {"accessTokenLifetimeMinutes": 5, "refreshTokenLifetimeMinutes": 0, "refreshTokenWindowMinutes": 10080}}})))
        .await;
    assert!(status == 200 || status == 201, "{rule}");
    let (s, _, body) = token_request(&env, "default", Some(&basic(&client)), &cc).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["expires_in"], 300,
        "the new rule applies at once on this node"
    );

    // With every policy deactivated, evaluation fails.
    let (_, policies) = env
        .admin(
            Method::GET,
            "/api/v1/authorizationServers/default/policies",
            None,
        )
        .await;
    for p in policies.as_array().unwrap() {
        let path = format!(
            "/api/v1/authorizationServers/default/policies/{}/lifecycle/deactivate",
            p["id"].as_str().unwrap()
        );
        let (status, _) = env.admin(Method::POST, &path, None).await;
        assert!((200..300).contains(&status));
    }
    let (s, _, e) = token_request(&env, "default", Some(&basic(&client)), &cc).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("access_denied")),
        "{e}"
    );
}

/// A DPoP proof (RFC 9449) of a POST to `htu`, signed by `key`, with its public JWK in the header.
fn dpop(key: &SigningKey, htu: &str, nonce: Option<&str>) -> String {
    dpop_proof(key, "POST", htu, nonce, None)
}

/// A DPoP proof for `htm` `htu`, with the server's `nonce` and, for a resource request, the access token's hash.
fn dpop_proof(
    key: &SigningKey,
    htm: &str,
    htu: &str,
    nonce: Option<&str>,
    token: Option<&str>,
) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let b = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Unique per proof: the process, a counter.
    let jti = format!("{}-{}", std::process::id(), rand_suffix());
    let header = json!({"typ": "dpop+jwt", "alg": key.alg().as_str(), "jwk": key.public_jwk()});
    let ath = token.map(|t| URL_SAFE_NO_PAD.encode(lanyard_core::crypto::sha256(t.as_bytes())));
    let claims =
        json!({"jti": jti, "htm": htm, "htu": htu, "iat": now, "nonce": nonce, "ath": ath});
    let input = format!("{}.{}", b(&header), b(&claims));
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).unwrap())
    )
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

async fn dpop_token(
    env: &Env,
    auth: &str,
    key: &SigningKey,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let htu = env.s.url("/oauth2/default/v1/token");
    let mut nonce: Option<String> = None;
    for _ in 0..2 {
        let r = common::client()
            .post(&htu)
            .header("Authorization", auth)
            .header("DPoP", dpop(key, &htu, nonce.as_deref()))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body: Value = r.json().await.unwrap();
        if body["error"] == "use_dpop_nonce" {
            nonce = Some(headers["dpop-nonce"].to_str().unwrap().to_owned());
            continue;
        }
        return (status, headers, body);
    }
    panic!("the nonce was refused twice");
}

#[tokio::test]
async fn dpop_binds_access_and_refresh_tokens_to_the_client_s_key() {
    let (env, client, _) = setup().await;
    let key = SigningKey::generate(SigningAlg::ES256).unwrap();
    let jkt = key.public_jwk().thumbprint();
    let (_, _, doc) = get_json(
        &env.s
            .url("/oauth2/default/.well-known/openid-configuration"),
    )
    .await;
    assert!(
        doc["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "ES256")
    );

    // The first proof has no nonce: the server asks for its own.
    let htu = env.s.url("/oauth2/default/v1/token");
    let r = common::client()
        .post(&htu)
        .header("Authorization", basic(&client))
        .header("DPoP", dpop(&key, &htu, None))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("dpop-nonce").is_some());
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "use_dpop_nonce");

    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (status, _, tokens) = dpop_token(
        &env,
        &basic(&client),
        &key,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "DPoP");
    let at = verified(
        &env,
        "/oauth2/default/v1/keys",
        tokens["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(at["cnf"]["jkt"], jkt.as_str());
    let (_, _, intro) = post_form(
        &env,
        "/oauth2/default/v1/introspect",
        Some(&basic(&client)),
        &[("token", tokens["access_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(intro["token_type"], "DPoP");
    assert_eq!(intro["cnf"]["jkt"], jkt.as_str());

    // The refresh token needs a proof with the same key.
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (s, _, e) = token_request(
        &env,
        "default",
        Some(&basic(&client)),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_dpop_proof")));
    let other = SigningKey::generate(SigningAlg::EdDSA).unwrap();
    let (s, _, e) = dpop_token(
        &env,
        &basic(&client),
        &other,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_dpop_proof")));
    let (s, _, fresh) = dpop_token(
        &env,
        &basic(&client),
        &key,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    assert_eq!(s, 200, "{fresh}");
    assert_eq!(fresh["token_type"], "DPoP");

    // A replayed proof is refused.
    let nonce = {
        let r = common::client()
            .post(&htu)
            .header("DPoP", dpop(&key, &htu, None))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        r.headers()["dpop-nonce"].to_str().unwrap().to_owned()
    };
    let proof = dpop(&key, &htu, Some(&nonce));
    let send = |p: String| {
        let htu = htu.clone();
        let auth = basic(&client);
        async move {
            let r = common::client()
                .post(&htu)
                .header("Authorization", auth)
                .header("DPoP", p)
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "unknown"),
                ])
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()["error"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        send(proof.clone()).await,
        "invalid_grant",
        "the proof itself was fine"
    );
    assert_eq!(send(proof).await, "invalid_dpop_proof");
}

#[tokio::test]
async fn apps_that_require_dpop_get_no_bearer_tokens() {
    let env = Env::start();
    scope(&env, "orders.read").await;
    let service = json!({"label": "Svc", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"], "dpop_bound_access_tokens": true}}});
    let (_, svc) = env.admin(Method::POST, "/api/v1/apps", Some(service)).await;
    let client = Client {
        id: svc["id"].as_str().unwrap().to_owned(),
        secret: svc["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    };
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "orders.read"),
    ];
    let (s, _, e) = token_request(&env, "default", Some(&basic(&client)), &form).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_dpop_proof")));
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let (s, _, t) = dpop_token(&env, &basic(&client), &key, &form).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["token_type"], "DPoP");
}

#[tokio::test]
async fn token_exchange_acts_for_the_user_along_a_service_chain() {
    let (env, client, uid) = setup().await;
    scope(&env, "inventory.read").await;
    let service = json!({"label": "Orders API", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"application_type": "service",
            "grant_types": ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"]}}});
    let (status, svc) = env.admin(Method::POST, "/api/v1/apps", Some(service)).await;
    assert_eq!(status, 200, "{svc}");
    let api = Client {
        id: svc["id"].as_str().unwrap().to_owned(),
        secret: svc["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    };
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (_, tokens) = exchange(&env, "default", &client, &code).await;
    let subject = tokens["access_token"].as_str().unwrap();
    let form = |subject: &str, audience: &str| {
        vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange".to_owned(),
            ),
            ("subject_token", subject.to_owned()),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token".to_owned(),
            ),
            ("audience", audience.to_owned()),
            ("scope", "inventory.read".to_owned()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>, who: &Client| {
        let env = &env;
        let auth = basic(who);
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (s, _, body) = token_request(env, "default", Some(&auth), &f).await;
            (s, body)
        }
    };
    let (s, body) = send(form(subject, "api://default"), &api).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert!(body.get("refresh_token").is_none());
    let at = verified(
        &env,
        "/oauth2/default/v1/keys",
        body["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(at["uid"], uid.as_str());
    assert_eq!(at["sub"], "ada@example.com");
    assert_eq!(at["cid"], api.id.as_str());
    assert_eq!(at["scp"], json!(["inventory.read"]));

    // Another audience; a garbage subject; a client without the grant.
    let (s, e) = send(form(subject, "api://other"), &api).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_target")));
    let (s, e) = send(form("garbage", "api://default"), &api).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    let (s, e) = send(form(subject, "api://default"), &client).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("unauthorized_client")));

    // Revoking the user's grant ends the exchanged token too, and no new exchange works.
    let exchanged = body["access_token"].as_str().unwrap().to_owned();
    let rt = tokens["refresh_token"].as_str().unwrap();
    post_form(
        &env,
        "/oauth2/default/v1/revoke",
        Some(&basic(&client)),
        &[("token", rt)],
    )
    .await;
    let (_, _, intro) = post_form(
        &env,
        "/oauth2/default/v1/introspect",
        Some(&basic(&api)),
        &[("token", &exchanged)],
    )
    .await;
    assert_eq!(intro["active"], false);
    let (s, e) = send(form(subject, "api://default"), &api).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn consent_is_asked_remembered_and_revocable() {
    let env = Env::start();
    let body = json!({"label": "Photo Printer", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"application_type": "web", "grant_types": ["authorization_code"],
            "redirect_uris": [REDIRECT], "consent_method": "REQUIRED"}}});
    let (_, created) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    let client = Client {
        id: created["id"].as_str().unwrap().to_owned(),
        secret: created["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    };
    let uid = env.create_user("ada@example.com").await;
    assign(&env, &client.id, &uid).await;
    let (status, s) = env
        .admin(Method::POST, "/api/v1/authorizationServers/default/scopes",
            Some(json!({"name": "photos.read", "displayName": "See your photos", "consent": "REQUIRED"})))
        .await;
    assert!(status == 200 || status == 201, "{s}");
    let url = |extra: &str| {
        authorize_url(&env, "default", &client.id, extra).replace(
            "scope=openid%20profile%20offline_access",
            "scope=openid%20photos.read",
        )
    };

    // Sign in on the page; then the consent page.
    let mut b = Browser::default();
    let to_signin = b.get(&url("")).await.location.unwrap();
    let page = b.get(&env.s.url(&to_signin)).await;
    let csrf = hidden(&page.body, "csrf");
    let from = unescape(&hidden(&page.body, "fromURI"));
    let signed = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &csrf),
                ("fromURI", &from),
                ("username", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let to_consent = b.get(&signed.location.unwrap()).await;
    assert_eq!(to_consent.status, 302);
    let consent_url = to_consent.location.unwrap();
    assert!(
        consent_url.starts_with("/signin/consent?fromURI="),
        "{consent_url}"
    );
    let page = b.get(&env.s.url(&consent_url)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Photo Printer") && page.body.contains("See your photos"));
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let csrf = hidden(&page.body, "csrf");
    let from = unescape(&hidden(&page.body, "fromURI"));

    // Without the CSRF token nothing is recorded.
    let forged = b
        .post(
            &env.s.url("/signin/consent"),
            &[("csrf", "x"), ("fromURI", &from), ("decision", "allow")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        forged.body.contains("This form has expired"),
        "{}",
        forged.body
    );
    let allowed = b
        .post(
            &env.s.url("/signin/consent"),
            &[("csrf", &csrf), ("fromURI", &from), ("decision", "allow")],
        )
        .await;
    assert_eq!(allowed.status, 303);
    let done = b.get(&env.s.url(&allowed.location.unwrap())).await;
    assert!(redirect_params(&done.location.unwrap()).contains_key("code"));

    // Remembered: no page the next time, even silently.
    let again = b.get(&url("&prompt=none")).await;
    assert!(redirect_params(&again.location.unwrap()).contains_key("code"));
    // prompt=consent asks again.
    assert!(
        b.get(&url("&prompt=consent"))
            .await
            .location
            .unwrap()
            .starts_with("/signin/consent?")
    );

    // The user's grants: listed and revocable; then prompt=none gets consent_required.
    let (status, grants) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}/grants"), None)
        .await;
    assert_eq!(status, 200);
    let list = grants.as_array().unwrap();
    assert_eq!(list.len(), 1, "{grants}");
    assert_eq!(list[0]["clientId"], client.id.as_str());
    assert_eq!(list[0]["issuer"], env.s.url("/oauth2/default"));
    assert_eq!(list[0]["status"], "ACTIVE");
    let gid = list[0]["id"].as_str().unwrap();
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/users/{uid}/grants/{gid}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let silent = b.get(&url("&prompt=none")).await;
    assert_eq!(
        redirect_params(&silent.location.unwrap())["error"],
        "consent_required"
    );

    // Don't allow: the client hears access_denied.
    let consent_url = b.get(&url("")).await.location.unwrap();
    let page = b.get(&env.s.url(&consent_url)).await;
    let csrf = hidden(&page.body, "csrf");
    let from = unescape(&hidden(&page.body, "fromURI"));
    let denied = b
        .post(
            &env.s.url("/signin/consent"),
            &[("csrf", &csrf), ("fromURI", &from), ("decision", "deny")],
        )
        .await;
    let p = redirect_params(&denied.location.unwrap());
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "st8");
}

#[tokio::test]
async fn a_verifier_for_a_code_issued_without_a_challenge_is_a_downgrade_and_refused() {
    let env = Env::start();
    let body = json!({"label": "Legacy", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic", "pkce_required": false}},
        "settings": {"oauthClient": {"application_type": "web", "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT]}}});
    let (_, created) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    let client = Client {
        id: created["id"].as_str().unwrap().to_owned(),
        secret: created["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    };
    let uid = env.create_user("ada@example.com").await;
    assign(&env, &client.id, &uid).await;
    let no_pkce = |token: &str| {
        authorize_url(
            &env,
            "default",
            &client.id,
            &format!("&prompt=none&sessionToken={token}"),
        )
        .replace(
            &format!("&code_challenge={CHALLENGE}&code_challenge_method=S256"),
            "",
        )
    };
    let get_code = |url: String| async move {
        let r = common::client().get(url).send().await.unwrap();
        redirect_params(r.headers()["location"].to_str().unwrap())["code"].clone()
    };
    let code = get_code(no_pkce(&session_token(&env, "ada@example.com").await)).await;
    let (s, e) = exchange(&env, "default", &client, &code).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "a verifier the request never committed to"
    );
    let code = get_code(no_pkce(&session_token(&env, "ada@example.com").await)).await;
    let (s, _, t) = token_request(
        &env,
        "default",
        Some(&basic(&client)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(s, 200, "{t}");
    // Every response carries Referrer-Policy: no-referrer.
    let r = common::client()
        .get(env.s.url("/signin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
}

/// Serves `body` as JSON to every request on a loopback port; the base URL.
async fn serve_json(body: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn private_key_jwt_clients_may_publish_their_keys_at_a_jwks_uri() {
    // The jwks_uri is a local listener: outbound requests may reach loopback, as in a lab.
    let env = Env::start_with(&["--outbound-allow", "loopback"]);
    scope(&env, "orders.read").await;
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let jwks_base = serve_json(json!({"keys": [key.public_jwk()]}).to_string()).await;
    let make = |uri: String| {
        json!({"label": "Jwks", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
            "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"], "jwks_uri": uri}}})
    };
    let (status, svc) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(make(format!("{jwks_base}/jwks"))),
        )
        .await;
    assert_eq!(status, 200, "{svc}");
    let (_, dead) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(make("http://127.0.0.1:9/jwks".into())),
        )
        .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token_url = env.s.url("/oauth2/default/v1/token");
    let try_with = |id: String, jti: &'static str| {
        let assertion = jws::sign(
            &key,
            None,
            &json!({"iss": id, "sub": id, "aud": token_url, "jti": jti, "exp": now + 60}),
        )
        .unwrap();
        let env = &env;
        async move {
            let (s, _, body) = token_request(
                env,
                "default",
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "orders.read"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                ],
            )
            .await;
            (s, body)
        }
    };
    let (s, body) = try_with(svc["id"].as_str().unwrap().to_owned(), "a").await;
    assert_eq!(s, 200, "{body}");
    // Keys that cannot be fetched: the client cannot authenticate.
    let (s, body) = try_with(dead["id"].as_str().unwrap().to_owned(), "b").await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn userinfo_answers_bearer_and_dpop_tokens_with_openid() {
    let (env, client, uid) = setup().await;
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (_, tokens) = exchange(&env, "default", &client, &code).await;
    let at = tokens["access_token"].as_str().unwrap();
    let url = env.s.url("/oauth2/default/v1/userinfo");
    let r = common::client()
        .get(&url)
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["sub"], uid.as_str());
    assert_eq!(info["preferred_username"], "ada@example.com");
    assert!(info.get("email").is_none(), "email was not granted");
    // POST with the token in the body.
    let r = common::client()
        .post(&url)
        .form(&[("access_token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // No token; a garbage token; a revoked one.
    let r = common::client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let r = common::client()
        .get(&url)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    post_form(
        &env,
        "/oauth2/default/v1/revoke",
        Some(&basic(&client)),
        &[("token", at)],
    )
    .await;
    let r = common::client()
        .get(&url)
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // A client-credentials token has no openid: 403 insufficient_scope.
    scope(&env, "orders.read").await;
    let svc = service_app(&env).await;
    let (_, _, cc) = token_request(
        &env,
        "default",
        Some(&basic(&svc)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "orders.read"),
        ],
    )
    .await;
    let r = common::client()
        .get(&url)
        .bearer_auth(cc["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // DPoP: the bound token with a proof of its key (ath), never as Bearer.
    let key = SigningKey::generate(SigningAlg::ES256).unwrap();
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    let (_, _, bound) = dpop_token(
        &env,
        &basic(&client),
        &key,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let bt = bound["access_token"].as_str().unwrap();
    let r = common::client()
        .get(&url)
        .bearer_auth(bt)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a DPoP-bound token is not a Bearer token");
    let proof = dpop_proof(&key, "GET", &url, None, Some(bt));
    let r = common::client()
        .get(&url)
        .header("Authorization", format!("DPoP {bt}"))
        .header("DPoP", &proof)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.headers());
    // The same proof again is a replay.
    let r = common::client()
        .get(&url)
        .header("Authorization", format!("DPoP {bt}"))
        .header("DPoP", &proof)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("DPoP")
    );
}

/// A service app with `client_secret_basic`; its client.
async fn service_app(env: &Env) -> Client {
    let service = json!({"label": "Svc", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"]}}});
    let (status, svc) = env.admin(Method::POST, "/api/v1/apps", Some(service)).await;
    assert_eq!(status, 200, "{svc}");
    Client {
        id: svc["id"].as_str().unwrap().to_owned(),
        secret: svc["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    }
}

#[tokio::test]
async fn this_node_s_changes_to_a_client_reach_client_authentication_at_once() {
    // Each node keeps the clients that authenticated for a few seconds; its own changes through the Apps API must
    // drop them at once (these steps take well under the cache's 5 s).
    let env = Env::start();
    let svc = service_app(&env).await;
    scope(&env, "jobs.run").await;
    let cc = [("grant_type", "client_credentials"), ("scope", "jobs.run")];
    let status = |c: &Client| {
        let auth = basic(c);
        let env = &env;
        async move { token_request(env, "default", Some(&auth), &cc).await.0 }
    };
    assert_eq!(status(&svc).await, 200);
    // A new secret works at once, next to the old one.
    let (s, created) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{}/credentials/secrets", svc.id),
            None,
        )
        .await;
    assert_eq!(s, 200, "{created}");
    let second = Client {
        id: svc.id.clone(),
        secret: created["client_secret"].as_str().map(str::to_owned),
    };
    assert_eq!(status(&second).await, 200, "the new secret works at once");
    assert_eq!(status(&svc).await, 200);
    // Deactivating the old secret ends it at once.
    let (_, secrets) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{}/credentials/secrets", svc.id),
            None,
        )
        .await;
    let old = secrets
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] != created["id"])
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, body) = env
        .admin(
            Method::POST,
            &format!(
                "/api/v1/apps/{}/credentials/secrets/{old}/lifecycle/deactivate",
                svc.id
            ),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        status(&svc).await,
        401,
        "a deactivated secret fails at once"
    );
    assert_eq!(status(&second).await, 200);
    // And back, then the app itself.
    let path = format!(
        "/api/v1/apps/{}/credentials/secrets/{old}/lifecycle/activate",
        svc.id
    );
    assert_eq!(env.admin(Method::POST, &path, None).await.0, 200);
    assert_eq!(
        status(&svc).await,
        200,
        "a reactivated secret works at once"
    );
    let path = format!("/api/v1/apps/{}/lifecycle/deactivate", svc.id);
    assert_eq!(env.admin(Method::POST, &path, None).await.0, 200);
    assert_eq!(
        status(&second).await,
        401,
        "a deactivated app fails at once"
    );
    let path = format!("/api/v1/apps/{}/lifecycle/activate", svc.id);
    assert_eq!(env.admin(Method::POST, &path, None).await.0, 200);
    assert_eq!(
        status(&second).await,
        200,
        "a reactivated app works at once"
    );
    // A replace that takes the grant away applies at once.
    let (_, app) = env
        .admin(Method::GET, &format!("/api/v1/apps/{}", svc.id), None)
        .await;
    let mut body = app.clone();
    body["settings"]["oauthClient"]["grant_types"] = json!(["authorization_code"]);
    body["settings"]["oauthClient"]["application_type"] = json!("web");
    body["settings"]["oauthClient"]["redirect_uris"] = json!([REDIRECT]);
    body["settings"]["oauthClient"]["response_types"] = json!(["code"]);
    let (s, replaced) = env
        .admin(Method::PUT, &format!("/api/v1/apps/{}", svc.id), Some(body))
        .await;
    assert_eq!(s, 200, "{replaced}");
    let (s, _, e) = token_request(&env, "default", Some(&basic(&second)), &cc).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{e}"
    );
}

#[tokio::test]
async fn a_custom_server_signs_with_the_algorithm_it_was_created_with() {
    let env = Env::start();
    let svc = service_app(&env).await;
    for alg in ["ES256", "EdDSA"] {
        let (s, server) = env
            .admin(
                Method::POST,
                "/api/v1/authorizationServers",
                Some(json!({"name": format!("Srv {alg}"), "description": "d", "audiences": ["api://x"],
                    "credentials": {"signing": {"alg": alg}}})),
            )
            .await;
        assert_eq!(s, 201, "{server}");
        assert_eq!(server["credentials"]["signing"]["alg"], alg);
        let id = server["id"].as_str().unwrap().to_owned();
        let (s, _) = env
            .admin(
                Method::POST,
                &format!("/api/v1/authorizationServers/{id}/scopes"),
                Some(json!({"name": "svc.read"})),
            )
            .await;
        assert!(s == 200 || s == 201);
        let (_, policy) = env
            .admin(Method::POST, &format!("/api/v1/authorizationServers/{id}/policies"), Some(json!({
                "type": "OAUTH_AUTHORIZATION_POLICY", "name": "All", "description": "all", "priority": 1,
                "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}})))
            .await;
        let pid = policy["id"].as_str().unwrap();
        let (s, rule) = env
            .admin(Method::POST, &format!("/api/v1/authorizationServers/{id}/policies/{pid}/rules"), Some(json!({
                "type": "RESOURCE_ACCESS", "name": "CC", "priority": 1,
                "conditions": {"people": {"groups": {"include": ["EVERYONE"]}}, "grantTypes": {"include": ["client_credentials"]},
                    "scopes": {"include": ["*"]}},
                "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0, "refreshTokenWindowMinutes": 10080}}})))
            .await;
        assert!(s == 200 || s == 201, "{rule}");
        let cc = [("grant_type", "client_credentials"), ("scope", "svc.read")];
        let (s, _, body) = token_request(&env, &id, Some(&basic(&svc)), &cc).await;
        assert_eq!(s, 200, "{body}");
        let at = body["access_token"].as_str().unwrap();
        assert_eq!(UnverifiedJws::parse(at).unwrap().header["alg"], alg);
        verified(&env, &format!("/oauth2/{id}/v1/keys"), at).await;
        // Introspection verifies it.
        let (s, _, i) = post_form(
            &env,
            &format!("/oauth2/{id}/v1/introspect"),
            Some(&basic(&svc)),
            &[("token", at)],
        )
        .await;
        assert_eq!((s, &i["active"]), (200, &json!(true)), "{i}");
        // Introspected again (its signature remembered by the node), then revoked: inactive at once.
        let introspect = |token: String| {
            let (env, svc, id) = (&env, &svc, &id);
            async move {
                post_form(
                    env,
                    &format!("/oauth2/{id}/v1/introspect"),
                    Some(&basic(svc)),
                    &[("token", &token)],
                )
                .await
                .2
            }
        };
        assert_eq!(introspect(at.to_owned()).await["active"], true);
        let (s, _, _) = post_form(
            &env,
            &format!("/oauth2/{id}/v1/revoke"),
            Some(&basic(&svc)),
            &[("token", at)],
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(introspect(at.to_owned()).await, json!({"active": false}));
        // A replace without an algorithm keeps it; with one, changes it at once.
        let mut put =
            json!({"name": format!("Srv {alg}"), "description": "d", "audiences": ["api://x"]});
        let (s, kept) = env
            .admin(
                Method::PUT,
                &format!("/api/v1/authorizationServers/{id}"),
                Some(put.clone()),
            )
            .await;
        assert_eq!(
            (s, &kept["credentials"]["signing"]["alg"]),
            (200, &json!(alg)),
            "{kept}"
        );
        put["credentials"] = json!({"signing": {"alg": "RS256"}});
        let (s, changed) = env
            .admin(
                Method::PUT,
                &format!("/api/v1/authorizationServers/{id}"),
                Some(put),
            )
            .await;
        assert_eq!(
            (s, &changed["credentials"]["signing"]["alg"]),
            (200, &json!("RS256")),
            "{changed}"
        );
        let (_, _, body) = token_request(&env, &id, Some(&basic(&svc)), &cc).await;
        let at = body["access_token"].as_str().unwrap();
        assert_eq!(UnverifiedJws::parse(at).unwrap().header["alg"], "RS256");
    }
    // An unknown algorithm is refused.
    let (s, e) = env
        .admin(
            Method::POST,
            "/api/v1/authorizationServers",
            Some(
                json!({"name": "Bad", "description": "d", "audiences": ["api://x"],
                "credentials": {"signing": {"alg": "HS256"}}}),
            ),
        )
        .await;
    assert_eq!(s, 400, "{e}");
}

#[tokio::test]
async fn max_age_sends_an_old_session_back_to_the_sign_in_page() {
    let (env, client, _) = setup().await;
    let mut b = Browser::default();
    let to_signin = b
        .get(&authorize_url(&env, "default", &client.id, ""))
        .await
        .location
        .unwrap();
    let page = b.get(&env.s.url(&to_signin)).await;
    let csrf = hidden(&page.body, "csrf");
    let from = unescape(&hidden(&page.body, "fromURI"));
    let signed = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &csrf),
                ("fromURI", &from),
                ("username", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed.status, 303);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // A young enough session answers; an older one signs in again, or, silently, login_required.
    let fresh = b
        .get(&authorize_url(&env, "default", &client.id, "&max_age=3600"))
        .await;
    assert!(redirect_params(&fresh.location.unwrap()).contains_key("code"));
    let old = b
        .get(&authorize_url(&env, "default", &client.id, "&max_age=1"))
        .await;
    assert!(old.location.unwrap().starts_with("/signin?"));
    let silent = b
        .get(&authorize_url(
            &env,
            "default",
            &client.id,
            "&max_age=1&prompt=none",
        ))
        .await;
    assert_eq!(
        redirect_params(&silent.location.unwrap())["error"],
        "login_required"
    );
}

/// An authorization request with a session token, as a browser sends it (its cookie kept): the redirect.
async fn authorize_in(b: &mut Browser, env: &Env, client: &Client, extra: &str) -> String {
    let r = b
        .get(&authorize_url(env, "default", &client.id, extra))
        .await;
    r.location.expect("a redirect")
}

#[tokio::test]
async fn id_tokens_are_signed_with_the_algorithm_the_app_registered() {
    let env = Env::start();
    let uid = env.create_user("ada@example.com").await;
    for alg in ["ES256", "EdDSA"] {
        let body = json!({"label": alg, "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
            "settings": {"oauthClient": {"grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": [REDIRECT], "id_token_signed_response_alg": alg}}});
        let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
        assert_eq!(status, 200, "{app}");
        assert_eq!(
            app["settings"]["oauthClient"]["id_token_signed_response_alg"],
            alg
        );
        let client = Client {
            id: app["id"].as_str().unwrap().to_owned(),
            secret: app["credentials"]["oauthClient"]["client_secret"]
                .as_str()
                .map(str::to_owned),
        };
        assign(&env, &client.id, &uid).await;
        let code = code_for(&env, "default", &client, "ada@example.com").await;
        let (status, tokens) = exchange(&env, "default", &client, &code).await;
        assert_eq!(status, 200, "{tokens}");
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(UnverifiedJws::parse(id_token).unwrap().header["alg"], alg);
        let claims = verified(&env, "/oauth2/default/v1/keys", id_token).await;
        assert_eq!(claims["aud"], client.id.as_str());
        // The access token keeps the server's algorithm.
        let at = tokens["access_token"].as_str().unwrap();
        assert_eq!(UnverifiedJws::parse(at).unwrap().header["alg"], "RS256");
        // A refresh signs the new ID token the same way.
        let (status, _, refreshed) = token_request(
            &env,
            "default",
            Some(&basic(&client)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
        assert_eq!(status, 200, "{refreshed}");
        let again = refreshed["id_token"].as_str().unwrap();
        assert_eq!(UnverifiedJws::parse(again).unwrap().header["alg"], alg);
    }
}

#[tokio::test]
async fn id_token_hint_and_a_claimed_sub_name_the_user_the_client_expects() {
    let (env, client, ada) = setup().await;
    let bob = env.create_user("bob@example.com").await;
    assign(&env, &client.id, &bob).await;
    let code = code_for(&env, "default", &client, "bob@example.com").await;
    let (_, tokens) = exchange(&env, "default", &client, &code).await;
    let bobs = tokens["id_token"].as_str().unwrap().to_owned();
    // Ada's browser session, and an ID token of hers.
    let mut b = Browser::default();
    let token = session_token(&env, "ada@example.com").await;
    let first = authorize_in(&mut b, &env, &client, &format!("&sessionToken={token}")).await;
    let (_, tokens) = exchange(&env, "default", &client, &redirect_params(&first)["code"]).await;
    let adas = tokens["id_token"].as_str().unwrap().to_owned();

    // Her own hint: silent.
    let own = authorize_in(
        &mut b,
        &env,
        &client,
        &format!("&prompt=none&id_token_hint={adas}"),
    )
    .await;
    assert!(redirect_params(&own).contains_key("code"), "{own}");
    // Bob's hint: her session does not count.
    let silent = authorize_in(
        &mut b,
        &env,
        &client,
        &format!("&prompt=none&id_token_hint={bobs}"),
    )
    .await;
    assert_eq!(redirect_params(&silent)["error"], "login_required");
    let asked = authorize_in(&mut b, &env, &client, &format!("&id_token_hint={bobs}")).await;
    assert!(asked.starts_with("/signin?"), "{asked}");
    assert!(asked.contains("login_hint=bob%40example.com"), "{asked}");
    // The same through a claims request naming the user.
    let claims = urlencode(&json!({"id_token": {"sub": {"value": bob}}}).to_string());
    let named = authorize_in(
        &mut b,
        &env,
        &client,
        &format!("&prompt=none&claims={claims}"),
    )
    .await;
    assert_eq!(redirect_params(&named)["error"], "login_required");
    let claims = urlencode(&json!({"id_token": {"sub": {"value": ada}}}).to_string());
    let named = authorize_in(
        &mut b,
        &env,
        &client,
        &format!("&prompt=none&claims={claims}"),
    )
    .await;
    assert!(redirect_params(&named).contains_key("code"), "{named}");
    // A hint that is not one of this server's ID tokens goes back as invalid_request.
    let (signed, sig) = adas.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let forged = format!("{signed}.{flipped}{}", &sig[1..]);
    for bad in [forged.as_str(), "not.a.token"] {
        let r = authorize_in(
            &mut b,
            &env,
            &client,
            &format!("&id_token_hint={}", urlencode(bad)),
        )
        .await;
        assert_eq!(redirect_params(&r)["error"], "invalid_request", "{r}");
    }
    // prompt=select_account: there is no account chooser; the user signs in again (with the account they choose).
    let choose = authorize_in(&mut b, &env, &client, "&prompt=select_account").await;
    assert!(choose.starts_with("/signin?"), "{choose}");
    let from = url::form_urlencoded::parse(choose.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "fromURI")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(
        !from.contains("select_account"),
        "satisfied by signing in: {from}"
    );
}

#[tokio::test]
async fn the_claims_parameter_releases_claims_where_asked_for_the_life_of_the_grant() {
    let (env, client, _) = setup().await;
    let token = session_token(&env, "ada@example.com").await;
    let claims = json!({"id_token": {"email": null, "acr": {"essential": true}},
        "userinfo": {"given_name": {"essential": true}}});
    let url = env.s.url(&format!(
        "/oauth2/default/v1/authorize?client_id={}&response_type=code&scope=openid%20offline_access\
         &redirect_uri={}&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256&sessionToken={token}\
         &claims={}",
        client.id,
        urlencode(REDIRECT),
        urlencode(&claims.to_string())
    ));
    let r = common::client().get(url).send().await.unwrap();
    let code = redirect_params(r.headers()["location"].to_str().unwrap())["code"].clone();
    let (status, tokens) = exchange(&env, "default", &client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let check = |id: &serde_json::Map<String, Value>| {
        assert_eq!(id["email"], "ada@example.com", "asked for the ID token");
        assert!(id.get("given_name").is_none(), "asked for userinfo only");
        assert_eq!(id["acr"], "urn:okta:loa:1fa:pwd");
    };
    check(
        &verified(
            &env,
            "/oauth2/default/v1/keys",
            tokens["id_token"].as_str().unwrap(),
        )
        .await,
    );
    let userinfo = env.s.url("/oauth2/default/v1/userinfo");
    let info = |at: String| {
        let url = userinfo.clone();
        async move {
            let r = common::client()
                .get(url)
                .bearer_auth(at)
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }
    };
    let ui = info(tokens["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(ui["given_name"], "Ada");
    assert!(ui.get("email").is_none(), "{ui}");
    // A refresh keeps the request.
    let (status, _, refreshed) = token_request(
        &env,
        "default",
        Some(&basic(&client)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    check(
        &verified(
            &env,
            "/oauth2/default/v1/keys",
            refreshed["id_token"].as_str().unwrap(),
        )
        .await,
    );
    let ui = info(refreshed["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(ui["given_name"], "Ada");
    // A claims parameter that is not JSON goes back as invalid_request.
    let bad = common::client()
        .get(authorize_url(
            &env,
            "default",
            &client.id,
            "&claims=%7Bnope",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        redirect_params(bad.headers()["location"].to_str().unwrap())["error"],
        "invalid_request"
    );
}

/// The fragment parameters of a redirect to the client (implicit and hybrid answers), after checking nothing is
/// in the query.
fn fragment_params(location: &str) -> std::collections::BTreeMap<String, String> {
    let (before, fragment) = location
        .split_once('#')
        .unwrap_or_else(|| panic!("no fragment: {location}"));
    assert_eq!(before, REDIRECT, "nothing in the query");
    url::form_urlencoded::parse(fragment.as_bytes())
        .into_owned()
        .collect()
}

/// Implicit and hybrid flows on a custom server: apps opt in, tokens come in the fragment in the token endpoint's
/// shape, the server's access policies apply to them (evaluated for the implicit grant), and a response type the
/// app did not register is refused.
#[tokio::test]
async fn implicit_and_hybrid_flows_are_opt_in_and_follow_the_server_s_policies() {
    let env = Env::start();
    let uid = env.create_user("ada@example.com").await;
    let body = json!({"label": "Hybrid", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"application_type": "web",
            "grant_types": ["authorization_code", "implicit", "refresh_token"],
            "response_types": ["code", "id_token", "token"], "redirect_uris": [REDIRECT],
            "id_token_signed_response_alg": "ES256"}}});
    let (status, created) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{created}");
    let client = Client {
        id: created["id"].as_str().unwrap().to_owned(),
        secret: created["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    };
    assign(&env, &client.id, &uid).await;
    let code_only = app(&env, false, &["authorization_code"]).await;
    assign(&env, &code_only.id, &uid).await;
    let answer = |client_id: String, response_type: &'static str| {
        let env = &env;
        async move {
            let token = session_token(env, "ada@example.com").await;
            let url = authorize_url(
                env,
                "default",
                &client_id,
                &format!("&prompt=none&sessionToken={token}"),
            )
            .replace(
                "response_type=code",
                &format!("response_type={response_type}"),
            );
            let r = common::client().get(&url).send().await.unwrap();
            assert_eq!(r.status(), 302);
            fragment_params(r.headers()["location"].to_str().unwrap())
        }
    };

    // id_token token: an access token in the token endpoint's shape, and an ID token bound to it.
    let p = answer(client.id.clone(), "id_token%20token").await;
    assert_eq!(p["state"], "st8");
    assert_eq!(p["iss"], env.s.url("/oauth2/default"));
    assert_eq!(p["token_type"], "Bearer");
    assert_eq!(p["expires_in"], "3600");
    assert!(!p.contains_key("refresh_token") && !p.contains_key("code"));
    let at = verified(&env, "/oauth2/default/v1/keys", &p["access_token"]).await;
    assert_eq!(at["aud"], "api://default");
    assert_eq!(at["uid"], uid);
    assert_eq!(at["cid"], client.id);
    let id = verified(&env, "/oauth2/default/v1/keys", &p["id_token"]).await;
    assert_eq!(id["sub"], uid);
    assert_eq!(id["nonce"], "n0nce");
    assert!(id["at_hash"].is_string() && id["s_hash"].is_string());
    assert!(
        id["acr"]
            .as_str()
            .is_some_and(|a| a.starts_with("urn:okta:loa:"))
    );
    // Signed as the token endpoint signs this app's ID tokens: with the algorithm it registered.
    let header = UnverifiedJws::parse(&p["id_token"]).unwrap().header;
    assert_eq!(header["alg"], "ES256");
    let r = common::client()
        .get(env.s.url("/oauth2/default/v1/userinfo"))
        .bearer_auth(&p["access_token"])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // code id_token: the code is redeemed as usual (PKCE included) for an ID token about the same user.
    let p = answer(client.id.clone(), "code%20id_token").await;
    let front = verified(&env, "/oauth2/default/v1/keys", &p["id_token"]).await;
    assert!(front["c_hash"].is_string() && front.get("at_hash").is_none());
    let (status, tokens) = exchange(&env, "default", &client, &p["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let back = verified(
        &env,
        "/oauth2/default/v1/keys",
        tokens["id_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(back["sub"], front["sub"]);
    assert!(tokens["refresh_token"].is_string());

    // An app that did not opt in: refused in the fragment.
    let p = answer(code_only.id.clone(), "id_token").await;
    assert_eq!(p["error"], "unauthorized_client");
    assert_eq!(p["state"], "st8");

    // A policy whose rule allows only the code flow: no tokens from the authorization endpoint (hybrid
    // included) — the code flow goes on.
    let (status, policy) = env
        .admin(Method::POST, "/api/v1/authorizationServers/default/policies", Some(json!({
            "type": "OAUTH_AUTHORIZATION_POLICY", "name": "Code only", "description": "no implicit", "priority": 1,
            "conditions": {"clients": {"include": [client.id]}}})))
        .await;
    assert!(status == 200 || status == 201, "{policy}");
    let pid = policy["id"].as_str().unwrap();
    let (status, rule) = env
        .admin(Method::POST, &format!("/api/v1/authorizationServers/default/policies/{pid}/rules"), Some(json!({
            "type": "RESOURCE_ACCESS", "name": "Code", "priority": 1,
            "conditions": {"people": {"groups": {"include": ["EVERYONE"]}}, "grantTypes": {"include": ["authorization_code"]},
                "scopes": {"include": ["*"]}}})))
        .await;
    assert!(status == 200 || status == 201, "{rule}");
    // (A client whose rules do not match falls through to the next policy: the default one goes.)
    let (_, policies) = env
        .admin(
            Method::GET,
            "/api/v1/authorizationServers/default/policies",
            None,
        )
        .await;
    for p in policies.as_array().unwrap() {
        if p["id"] != pid {
            let path = format!(
                "/api/v1/authorizationServers/default/policies/{}/lifecycle/deactivate",
                p["id"].as_str().unwrap()
            );
            assert!((200..300).contains(&env.admin(Method::POST, &path, None).await.0));
        }
    }
    for rt in ["id_token%20token", "code%20id_token"] {
        let p = answer(client.id.clone(), rt).await;
        assert_eq!(
            p.get("error").map(String::as_str),
            Some("access_denied"),
            "{rt}: {p:?}"
        );
    }
    let code = code_for(&env, "default", &client, "ada@example.com").await;
    assert_eq!(exchange(&env, "default", &client, &code).await.0, 200);
}
