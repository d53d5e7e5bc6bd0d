//! Request objects (RFC 9101, OIDC Core §6) and pushed authorization requests (RFC 9126) through the real binary:
//! `request` signed with the app's registered keys (RS256, ES256) or unsigned as the app allows, `request_uri`
//! fetched from the app's registered `request_uris`, the claims checked (signature, `iss`, `aud`, `client_id`),
//! errors at the redirect URI or on an error page; the PAR endpoint (client authentication, validation up front,
//! single use, 60 s, bound to the client), the per-app "PAR required" switch, public clients with PKCE, and a
//! request that keeps its parameters server-side through the sign-in and consent pages.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::browser::*;
use common::*;
use lanyard_core::crypto::verify::UnverifiedJws;
use lanyard_core::crypto::{SigningAlg, SigningKey, jws};
use reqwest::Method;
use serde_json::{Value, json};

const REDIRECT: &str = "http://localhost:3000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const LOGIN: &str = "ada@example.com";

struct Rp {
    id: String,
    secret: Option<String>,
}

impl Rp {
    fn basic(&self) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.id, self.secret.as_deref().unwrap()))
        )
    }
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        for (k, v) in b {
            a.insert(k, v);
        }
    }
}

/// A web app (client_secret_basic, code, [`REDIRECT`]) with `settings` merged into `settings.oauthClient` and
/// `creds` into `credentials.oauthClient`, the test user assigned.
async fn app_with(env: &Env, uid: &str, settings: Value, creds: Value) -> Rp {
    let mut s = json!({"application_type": "web", "grant_types": ["authorization_code"],
        "redirect_uris": [REDIRECT]});
    merge(&mut s, settings);
    let mut c = json!({"token_endpoint_auth_method": "client_secret_basic"});
    merge(&mut c, creds);
    let body = json!({"label": "Request objects", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": c}, "settings": {"oauthClient": s}});
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
    assert_eq!(status, 200, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let (status, body) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{id}/users"),
            Some(json!({"id": uid, "scope": "USER"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    Rp {
        id,
        secret: app["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_owned),
    }
}

/// The clients' registered `request_uris` are local listeners: outbound requests may reach loopback, as in a lab
/// (`outbound.rs` proves they may not by default).
async fn setup() -> (Env, String) {
    let env = Env::start_with(&["--outbound-allow", "loopback"]);
    let uid = env.create_user(LOGIN).await;
    (env, uid)
}

fn issuer(env: &Env) -> String {
    env.s.url("/oauth2/default")
}

fn endpoint(env: &Env, name: &str) -> String {
    env.s.url(&format!("/oauth2/default/v1/{name}"))
}

/// A browser signed in as the test user (through the Authn API's session token).
async fn signed_in(env: &Env) -> Browser {
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": LOGIN, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["sessionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut b = Browser::default();
    let page = b
        .get(&env.s.url(&format!(
            "/login/sessionCookieRedirect?{}",
            query(&[("token", &token)])
        )))
        .await;
    assert!(
        b.cookies.contains_key("sid"),
        "{} {}",
        page.status,
        page.body
    );
    b
}

/// The claims of a request object for `rp`'s usual request at the default server.
fn claims(env: &Env, rp: &Rp) -> Value {
    json!({
        "iss": rp.id, "aud": issuer(env), "client_id": rp.id,
        "response_type": "code", "scope": "openid profile", "redirect_uri": REDIRECT,
        "state": "inside-state", "nonce": "inside-nonce",
        "code_challenge": CHALLENGE, "code_challenge_method": "S256",
        "exp": now() + 300, "iat": now(), "jti": URL_SAFE_NO_PAD.encode(now().to_be_bytes()),
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// An authorization request in `b`'s browser; the page.
async fn authorize(env: &Env, b: &mut Browser, pairs: &[(&str, &str)]) -> Page {
    b.get(&format!("{}?{}", endpoint(env, "authorize"), query(pairs)))
        .await
}

/// The parameters of a redirect to [`REDIRECT`].
fn answer(page: &Page) -> BTreeMap<String, String> {
    assert_eq!(page.status, 302, "{}", page.body);
    let location = page.location.clone().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

/// An error page (and no redirect).
fn error_page(page: &Page, code: &str) {
    assert_eq!(page.status, 400, "{:?} {}", page.location, page.body);
    assert!(page.location.is_none());
    assert!(page.body.contains(code), "{}", page.body);
}

/// Redeems a code with [`VERIFIER`]; the ID token's claims.
async fn redeem(env: &Env, rp: &Rp, code: &str) -> serde_json::Map<String, Value> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let mut req = client().post(endpoint(env, "token"));
    match &rp.secret {
        Some(_) => req = req.header("Authorization", rp.basic()),
        None => form.push(("client_id", &rp.id)),
    }
    let r = req.form(&form).send().await.unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let jws = UnverifiedJws::parse(body["id_token"].as_str().unwrap()).unwrap();
    jws.claims
}

/// A small HTTP server for request objects: each path answers what the map holds (404 otherwise); it counts
/// requests.
#[derive(Clone, Default)]
struct Objects {
    bodies: Arc<Mutex<BTreeMap<String, (u16, String)>>>,
    hits: Arc<Mutex<u32>>,
}

impl Objects {
    async fn serve(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let me = me.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let n = conn.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    *me.hits.lock().unwrap() += 1;
                    let (status, body) = me
                        .bodies
                        .lock()
                        .unwrap()
                        .get(&path)
                        .cloned()
                        .unwrap_or((404, String::new()));
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/oauth-authz-req+jwt\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                });
            }
        });
        format!("http://{addr}")
    }

    fn put(&self, path: &str, body: &str) {
        self.bodies
            .lock()
            .unwrap()
            .insert(path.to_owned(), (200, body.to_owned()));
    }

    fn hits(&self) -> u32 {
        *self.hits.lock().unwrap()
    }
}

/// `POST …/v1/par` with `form`, authenticated with Basic when `basic` is given; status and body.
async fn par(
    env: &Env,
    basic: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().post(endpoint(env, "par"));
    if let Some(b) = basic {
        req = req.header("Authorization", b);
    }
    let r = req.form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

/// The usual request as a PAR body (without client authentication).
fn pushed(rp: &Rp) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", rp.id.clone()),
        ("response_type", "code".into()),
        ("scope", "openid profile".into()),
        ("redirect_uri", REDIRECT.into()),
        ("state", "pushed-state".into()),
        ("nonce", "pushed-nonce".into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

fn refs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn discovery_advertises_request_objects_and_par() {
    let (env, _) = setup().await;
    for (doc, base) in [
        ("/.well-known/openid-configuration", "/oauth2/v1"),
        (
            "/oauth2/default/.well-known/openid-configuration",
            "/oauth2/default/v1",
        ),
        (
            "/oauth2/default/.well-known/oauth-authorization-server",
            "/oauth2/default/v1",
        ),
    ] {
        let (status, _, m) = get_json(&env.s.url(doc)).await;
        assert_eq!(status, 200);
        assert_eq!(m["request_parameter_supported"], true, "{doc}");
        assert_eq!(m["request_uri_parameter_supported"], true);
        assert_eq!(m["require_request_uri_registration"], false);
        let algs = m["request_object_signing_alg_values_supported"]
            .as_array()
            .unwrap();
        for alg in ["RS256", "ES256", "EdDSA", "none"] {
            assert!(algs.iter().any(|a| a == alg), "{alg} in {algs:?}");
        }
        assert_eq!(
            m["pushed_authorization_request_endpoint"],
            env.s.url(&format!("{base}/par"))
        );
        assert_eq!(m["require_pushed_authorization_requests"], false);
    }
}

#[tokio::test]
async fn signed_request_objects_carry_the_request_with_the_apps_registered_keys() {
    let (env, uid) = setup().await;
    let rs = SigningKey::generate(SigningAlg::RS256).unwrap();
    let es = SigningKey::generate(SigningAlg::ES256).unwrap();
    let rp = app_with(
        &env,
        &uid,
        json!({"jwks": {"keys": [rs.public_jwk(), es.public_jwk()]}}),
        json!({}),
    )
    .await;
    let mut b = signed_in(&env).await;
    for key in [&rs, &es] {
        let object = jws::sign(key, Some("oauth-authz-req+jwt"), &claims(&env, &rp)).unwrap();
        // OpenID Connect style: response_type, client_id and scope outside too; the object's redirect URI, state,
        // nonce and PKCE challenge are the ones used, the outside ones (a different state) ignored.
        let page = authorize(
            &env,
            &mut b,
            &[
                ("client_id", &rp.id),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", "outside-state"),
                ("request", &object),
            ],
        )
        .await;
        let p = answer(&page);
        assert_eq!(p["state"], "inside-state", "{:?}", key.alg());
        assert_eq!(p["iss"], issuer(&env));
        let id = redeem(&env, &rp, &p["code"]).await;
        assert_eq!(id["nonce"], "inside-nonce");
        assert_eq!(
            id["name"], "Ada Lovelace",
            "the object's scope (profile) applies"
        );
    }
    // RFC 9101 style: only client_id and the request object; POST works as GET.
    let object = jws::sign(&es, None, &claims(&env, &rp)).unwrap();
    let posted = b
        .send(
            client()
                .post(endpoint(&env, "authorize"))
                .form(&[("client_id", rp.id.as_str()), ("request", &object)]),
        )
        .await;
    let p = answer(&posted);
    assert_eq!(p["state"], "inside-state");
    redeem(&env, &rp, &p["code"]).await;
}

#[tokio::test]
async fn unsigned_request_objects_are_accepted_unless_the_app_requires_signed_ones() {
    let (env, uid) = setup().await;
    let open = app_with(&env, &uid, json!({}), json!({})).await;
    let mut b = signed_in(&env).await;
    let object = unsigned(&claims(&env, &open));
    let p = answer(
        &authorize(
            &env,
            &mut b,
            &[("client_id", &open.id), ("request", &object)],
        )
        .await,
    );
    assert_eq!(p["state"], "inside-state");
    assert_eq!(
        redeem(&env, &open, &p["code"]).await["nonce"],
        "inside-nonce"
    );

    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    for strict in [
        json!({"jwks": {"keys": [key.public_jwk()]}, "request_object_signing_alg": "RS256"}),
        json!({"jwks": {"keys": [key.public_jwk()]}, "require_signed_request_object": true}),
    ] {
        let rp = app_with(&env, &uid, strict.clone(), json!({})).await;
        let object = unsigned(&claims(&env, &rp));
        let p =
            answer(&authorize(&env, &mut b, &[("client_id", &rp.id), ("request", &object)]).await);
        assert_eq!(p["error"], "invalid_request_object", "{strict}");
        assert_eq!(p["state"], "inside-state");
        assert!(!p.contains_key("code"));
        // Signed with its algorithm, fine.
        let object = jws::sign(&key, None, &claims(&env, &rp)).unwrap();
        let p =
            answer(&authorize(&env, &mut b, &[("client_id", &rp.id), ("request", &object)]).await);
        assert!(p.contains_key("code"), "{p:?}");
    }
    // The registration itself is checked.
    let (status, e) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"label": "Bad", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
                "settings": {"oauthClient": {"redirect_uris": [REDIRECT],
                    "request_object_signing_alg": "HS256", "request_uris": ["http://rp.example/r"]}}})),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    let causes = e["errorCauses"].to_string();
    assert!(
        causes.contains("request_object_signing_alg") && causes.contains("request_uris"),
        "{e}"
    );
}

#[tokio::test]
async fn a_bad_signature_a_foreign_aud_or_iss_is_invalid_request_object_at_the_redirect_uri() {
    let (env, uid) = setup().await;
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let rp = app_with(
        &env,
        &uid,
        json!({"jwks": {"keys": [key.public_jwk()]}}),
        json!({}),
    )
    .await;
    let mut b = signed_in(&env).await;
    let other = SigningKey::generate(SigningAlg::RS256).unwrap();
    let mut forged_claims = claims(&env, &rp);
    forged_claims["scope"] = json!("openid profile email");
    let good = jws::sign(&key, None, &claims(&env, &rp)).unwrap();
    let (head, rest) = good.split_once('.').unwrap();
    let signature = rest.rsplit_once('.').unwrap().1;
    let tampered = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(forged_claims.to_string())
    );
    let mut cases = vec![
        (
            "another key",
            jws::sign(&other, None, &claims(&env, &rp)).unwrap(),
        ),
        ("tampered claims", tampered),
    ];
    for (what, patch) in [
        ("aud", json!({"aud": "https://elsewhere.example"})),
        ("iss", json!({"iss": "someone-else"})),
        ("client_id", json!({"client_id": "someone-else"})),
        ("exp", json!({"exp": now() - 120})),
    ] {
        let mut c = claims(&env, &rp);
        merge(&mut c, patch);
        cases.push((what, jws::sign(&key, None, &c).unwrap()));
    }
    for (what, object) in cases {
        let p = answer(
            &authorize(
                &env,
                &mut b,
                &[
                    ("client_id", &rp.id),
                    ("redirect_uri", REDIRECT),
                    ("scope", "openid"),
                    ("request", &object),
                ],
            )
            .await,
        );
        assert_eq!(p["error"], "invalid_request_object", "{what}: {p:?}");
        assert_eq!(p["iss"], issuer(&env));
        assert!(!p.contains_key("code"), "{what}");
    }
    // Encrypted request objects are not supported.
    let p = answer(
        &authorize(
            &env,
            &mut b,
            &[
                ("client_id", &rp.id),
                ("redirect_uri", REDIRECT),
                ("scope", "openid"),
                ("request", "a.b.c.d.e"),
            ],
        )
        .await,
    );
    assert_eq!(p["error"], "invalid_request_object");
    // `request` and `request_uri` together.
    let p = answer(
        &authorize(
            &env,
            &mut b,
            &[
                ("client_id", &rp.id),
                ("redirect_uri", REDIRECT),
                ("request", &good),
                ("request_uri", "https://rp.example/r"),
            ],
        )
        .await,
    );
    assert_eq!(p["error"], "invalid_request");
}

#[tokio::test]
async fn request_object_errors_with_no_registered_redirect_uri_get_an_error_page() {
    let (env, uid) = setup().await;
    let rp = app_with(&env, &uid, json!({}), json!({})).await;
    let mut b = signed_in(&env).await;
    // An unsigned object naming a redirect URI the client did not register, for a client with no keys: no redirect.
    let mut c = claims(&env, &rp);
    c["redirect_uri"] = json!("https://attacker.example/cb");
    let page = authorize(
        &env,
        &mut b,
        &[("client_id", &rp.id), ("request", &unsigned(&c))],
    )
    .await;
    error_page(&page, "redirect_uri");
    // Garbage with no redirect URI anywhere: the error page names the request object's problem.
    let page = authorize(
        &env,
        &mut b,
        &[("client_id", &rp.id), ("request", "garbage")],
    )
    .await;
    error_page(&page, "invalid_request_object");
    // An unknown client: a page.
    let page = authorize(
        &env,
        &mut b,
        &[
            ("client_id", "nobody"),
            ("request", &unsigned(&claims(&env, &rp))),
        ],
    )
    .await;
    error_page(&page, "invalid_client");
    // A held request that does not exist.
    let page = authorize(
        &env,
        &mut b,
        &[
            ("client_id", &rp.id),
            ("request_uri", "urn:ietf:params:oauth:request_uri:nope"),
        ],
    )
    .await;
    error_page(&page, "invalid_request_uri");
}

#[tokio::test]
async fn request_uris_are_fetched_from_the_apps_registered_ones() {
    let (env, uid) = setup().await;
    let objects = Objects::default();
    let base = objects.serve().await;
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let rp = app_with(
        &env,
        &uid,
        json!({"jwks": {"keys": [key.public_jwk()]},
            "request_uris": [format!("{base}/signed.jwt"), format!("{base}/unsigned.jwt#hash"),
                format!("{base}/missing.jwt")]}),
        json!({}),
    )
    .await;
    objects.put(
        "/signed.jwt",
        &jws::sign(&key, Some("oauth-authz-req+jwt"), &claims(&env, &rp)).unwrap(),
    );
    objects.put("/unsigned.jwt", &unsigned(&claims(&env, &rp)));
    let mut b = signed_in(&env).await;
    for path in ["/signed.jwt", "/unsigned.jwt"] {
        let uri = format!("{base}{path}");
        let p = answer(
            &authorize(
                &env,
                &mut b,
                &[("client_id", &rp.id), ("request_uri", &uri)],
            )
            .await,
        );
        assert_eq!(p["state"], "inside-state", "{path}");
        redeem(&env, &rp, &p["code"]).await;
    }
    assert_eq!(objects.hits(), 2, "fetched each time, not cached");
    // Registered but not served; not registered at all (never fetched): invalid_request_uri at the redirect URI
    // the request names.
    let hits = objects.hits();
    for uri in [
        format!("{base}/missing.jwt"),
        format!("{base}/elsewhere.jwt"),
        "https://rp.example/r.jwt".to_owned(),
    ] {
        let p = answer(
            &authorize(
                &env,
                &mut b,
                &[
                    ("client_id", &rp.id),
                    ("redirect_uri", REDIRECT),
                    ("scope", "openid"),
                    ("request_uri", &uri),
                ],
            )
            .await,
        );
        assert_eq!(p["error"], "invalid_request_uri", "{uri}");
    }
    assert_eq!(
        objects.hits(),
        hits + 1,
        "only the registered URI was fetched"
    );

    // A client that registered no request_uris: only public https hosts, never this loopback server.
    let open = app_with(&env, &uid, json!({}), json!({})).await;
    objects.put("/open.jwt", &unsigned(&claims(&env, &open)));
    let hits = objects.hits();
    for uri in [
        format!("{base}/open.jwt"),
        format!(
            "https://127.0.0.1:{}/open.jwt",
            base.rsplit(':').next().unwrap()
        ),
    ] {
        let p = answer(
            &authorize(
                &env,
                &mut b,
                &[
                    ("client_id", &open.id),
                    ("redirect_uri", REDIRECT),
                    ("request_uri", &uri),
                ],
            )
            .await,
        );
        assert_eq!(p["error"], "invalid_request_uri", "{uri}");
    }
    assert_eq!(objects.hits(), hits, "nothing fetched");
}

#[tokio::test]
async fn pushed_requests_are_used_once_by_their_own_client() {
    let (env, uid) = setup().await;
    let rp = app_with(&env, &uid, json!({}), json!({})).await;
    let other = app_with(&env, &uid, json!({}), json!({})).await;
    let form = pushed(&rp);
    let (status, headers, body) = par(&env, Some(&rp.basic()), &refs(&form)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["expires_in"], 60);
    let uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(
        uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{uri}"
    );

    let mut b = signed_in(&env).await;
    // Another client cannot use it, and trying does not use it up.
    let page = authorize(
        &env,
        &mut b,
        &[("client_id", &other.id), ("request_uri", &uri)],
    )
    .await;
    error_page(&page, "invalid_request_uri");
    // Its client: only client_id and request_uri in the URL; the outside parameters are not used.
    let p = answer(
        &authorize(
            &env,
            &mut b,
            &[
                ("client_id", &rp.id),
                ("request_uri", &uri),
                ("state", "outside"),
            ],
        )
        .await,
    );
    assert_eq!(p["state"], "pushed-state");
    assert_eq!(redeem(&env, &rp, &p["code"]).await["nonce"], "pushed-nonce");
    // Once.
    let page = authorize(
        &env,
        &mut b,
        &[("client_id", &rp.id), ("request_uri", &uri)],
    )
    .await;
    error_page(&page, "invalid_request_uri");

    // At another authorization server, a pushed request is unknown.
    let (_, _, body) = par(&env, Some(&rp.basic()), &refs(&form)).await;
    let uri = body["request_uri"].as_str().unwrap();
    let org = b
        .get(&env.s.url(&format!(
            "/oauth2/v1/authorize?{}",
            query(&[("client_id", &rp.id), ("request_uri", uri)])
        )))
        .await;
    error_page(&org, "invalid_request_uri");

    // A signed request object may be pushed too.
    let key = SigningKey::generate(SigningAlg::ES256).unwrap();
    let signer = app_with(
        &env,
        &uid,
        json!({"jwks": {"keys": [key.public_jwk()]}}),
        json!({}),
    )
    .await;
    let object = jws::sign(&key, None, &claims(&env, &signer)).unwrap();
    let (status, _, body) = par(
        &env,
        Some(&signer.basic()),
        &[("client_id", &signer.id), ("request", &object)],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let p = answer(
        &authorize(
            &env,
            &mut b,
            &[
                ("client_id", &signer.id),
                ("request_uri", body["request_uri"].as_str().unwrap()),
            ],
        )
        .await,
    );
    assert_eq!(p["state"], "inside-state");
    // A bad one is refused at the PAR endpoint.
    let forged = jws::sign(
        &SigningKey::generate(SigningAlg::ES256).unwrap(),
        None,
        &claims(&env, &signer),
    )
    .unwrap();
    let (status, _, body) = par(&env, Some(&signer.basic()), &[("request", &forged)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request_object"))
    );
}

#[tokio::test]
async fn pushed_requests_expire_after_60_seconds() {
    let (env, uid) = setup().await;
    let rp = app_with(&env, &uid, json!({}), json!({})).await;
    let (status, _, body) = par(&env, Some(&rp.basic()), &refs(&pushed(&rp))).await;
    assert_eq!(status, 201);
    let uri = body["request_uri"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    let mut b = signed_in(&env).await;
    let page = authorize(
        &env,
        &mut b,
        &[("client_id", &rp.id), ("request_uri", &uri)],
    )
    .await;
    error_page(&page, "invalid_request_uri");
    // Expired requests are forgotten when the next one is held: only the new one is left in the database.
    let (status, _, _) = par(&env, Some(&rp.basic()), &refs(&pushed(&rp))).await;
    assert_eq!(status, 201);
    let store = lanyard_store::open(
        &lanyard_store::Database::Sqlite(env.dir.path().join("lanyard.db")),
        1,
    )
    .await
    .unwrap();
    let later = lanyard_core::clock::from_millis((now() + 3600) * 1000);
    assert_eq!(
        store.delete_expired_pushed_requests(later).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn the_par_endpoint_authenticates_like_the_token_endpoint_and_validates_up_front() {
    let (env, uid) = setup().await;
    let rp = app_with(&env, &uid, json!({}), json!({})).await;
    let form = pushed(&rp);
    // No credentials, or wrong ones: 401 invalid_client.
    let (status, headers, body) = par(&env, None, &refs(&form)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(headers.contains_key("www-authenticate"));
    let wrong = format!("Basic {}", STANDARD.encode(format!("{}:nope", rp.id)));
    let (status, _, _) = par(&env, Some(&wrong), &refs(&form)).await;
    assert_eq!(status, 401);
    // Client authentication as at the token endpoint: only the method the app registered, so this
    // client_secret_basic app may not send its secret in the body, and an app registered with client_secret_post
    // does.
    let mut post = form.clone();
    post.push(("client_secret", rp.secret.clone().unwrap()));
    let (status, _, body) = par(&env, None, &refs(&post)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let post_rp = app_with(
        &env,
        &uid,
        json!({}),
        json!({"token_endpoint_auth_method": "client_secret_post"}),
    )
    .await;
    let mut post = pushed(&post_rp);
    post.push(("client_secret", post_rp.secret.clone().unwrap()));
    let (status, _, body) = par(&env, None, &refs(&post)).await;
    assert_eq!(status, 201, "{body}");
    // What /authorize would refuse, refused now, as JSON.
    let with = |name: &'static str, value: &str| {
        let mut f: Vec<(&'static str, String)> =
            form.iter().filter(|(k, _)| *k != name).cloned().collect();
        if !value.is_empty() {
            f.push((name, value.to_owned()));
        }
        f
    };
    for (name, value, error) in [
        (
            "redirect_uri",
            "https://attacker.example/cb",
            "invalid_request",
        ),
        ("response_type", "", "invalid_request"),
        ("response_type", "token", "unsupported_response_type"),
        ("code_challenge_method", "plain", "invalid_request"),
        ("prompt", "sometimes", "invalid_request"),
        (
            "request_uri",
            "urn:ietf:params:oauth:request_uri:x",
            "invalid_request",
        ),
    ] {
        let f = with(name, value);
        let (status, headers, body) = par(&env, Some(&rp.basic()), &refs(&f)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{name}={value}: {body}"
        );
        assert_eq!(headers["cache-control"], "no-store");
    }
    // Another client_id than the authenticated client's: as at the token endpoint.
    let f = with("client_id", "someone-else");
    let (status, _, body) = par(&env, Some(&rp.basic()), &refs(&f)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // Not a form.
    let r = client()
        .post(endpoint(&env, "par"))
        .header("Authorization", rp.basic())
        .json(&json!({"client_id": rp.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // An inactive custom server has no PAR endpoint.
    let r = client()
        .post(env.s.url("/oauth2/nope/v1/par"))
        .header("Authorization", rp.basic())
        .form(&refs(&form))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_par_required_switch() {
    let (env, uid) = setup().await;
    let rp = app_with(
        &env,
        &uid,
        json!({"require_pushed_authorization_requests": true}),
        json!({}),
    )
    .await;
    let (status, app) = env
        .admin(Method::GET, &format!("/api/v1/apps/{}", rp.id), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app["settings"]["oauthClient"]["require_pushed_authorization_requests"],
        true
    );
    let mut b = signed_in(&env).await;
    // A plain request, or a request object by value: invalid_request at the redirect URI.
    let plain = pushed(&rp);
    let p = answer(&authorize(&env, &mut b, &refs(&plain)).await);
    assert_eq!(p["error"], "invalid_request");
    assert!(p["error_description"].contains("push"), "{p:?}");
    assert_eq!(p["state"], "pushed-state");
    let object = unsigned(&claims(&env, &rp));
    let p = answer(&authorize(&env, &mut b, &[("client_id", &rp.id), ("request", &object)]).await);
    assert_eq!(p["error"], "invalid_request");
    // Pushed: fine.
    let (_, _, body) = par(&env, Some(&rp.basic()), &refs(&pushed(&rp))).await;
    let p = answer(
        &authorize(
            &env,
            &mut b,
            &[
                ("client_id", &rp.id),
                ("request_uri", body["request_uri"].as_str().unwrap()),
            ],
        )
        .await,
    );
    assert!(p.contains_key("code"), "{p:?}");
    // Other apps are not affected.
    let free = app_with(&env, &uid, json!({}), json!({})).await;
    let p = answer(&authorize(&env, &mut b, &refs(&pushed(&free))).await);
    assert!(p.contains_key("code"), "{p:?}");
}

#[tokio::test]
async fn a_public_client_pushes_its_request_with_pkce() {
    let (env, uid) = setup().await;
    let spa = app_with(
        &env,
        &uid,
        json!({"application_type": "browser"}),
        json!({"token_endpoint_auth_method": "none"}),
    )
    .await;
    assert!(spa.secret.is_none());
    // Without PKCE: refused up front.
    let without: Vec<(&'static str, String)> = pushed(&spa)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .collect();
    let (status, _, body) = par(&env, None, &refs(&without)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    // With: the client names itself and pushes.
    let (status, _, body) = par(&env, None, &refs(&pushed(&spa))).await;
    assert_eq!(status, 201, "{body}");
    let mut b = signed_in(&env).await;
    let p = answer(
        &authorize(
            &env,
            &mut b,
            &[
                ("client_id", &spa.id),
                ("request_uri", body["request_uri"].as_str().unwrap()),
            ],
        )
        .await,
    );
    let id = redeem(&env, &spa, &p["code"]).await;
    assert_eq!(id["aud"], spa.id.as_str());
}

#[tokio::test]
async fn a_pushed_request_goes_through_sign_in_and_consent_without_its_parameters_in_the_url() {
    let (env, uid) = setup().await;
    let rp = app_with(&env, &uid, json!({"consent_method": "REQUIRED"}), json!({})).await;
    let (status, s) = env
        .admin(
            Method::POST,
            "/api/v1/authorizationServers/default/scopes",
            Some(json!({"name": "photos.read", "displayName": "See your photos", "consent": "REQUIRED"})),
        )
        .await;
    assert!(status == 200 || status == 201, "{s}");
    let mut form = pushed(&rp);
    form.retain(|(k, _)| *k != "scope");
    form.push(("scope", "openid photos.read".into()));
    form.push(("login_hint", LOGIN.into()));
    let (_, _, body) = par(&env, Some(&rp.basic()), &refs(&form)).await;
    let uri = body["request_uri"].as_str().unwrap().to_owned();

    let mut b = Browser::default();
    let start = authorize(
        &env,
        &mut b,
        &[("client_id", &rp.id), ("request_uri", &uri)],
    )
    .await;
    assert_eq!(start.status, 302);
    let to_signin = start.location.unwrap();
    assert!(to_signin.starts_with("/signin?"), "{to_signin}");
    assert!(
        !to_signin.contains("pushed-state"),
        "the parameters stay on the server: {to_signin}"
    );
    let page = b.get(&env.s.url(&to_signin)).await;
    assert!(
        page.body.contains(&format!("value=\"{LOGIN}\"")),
        "login_hint prefills the page"
    );
    let csrf = hidden(&page.body, "csrf");
    let from = html_unescape(&hidden(&page.body, "fromURI"));
    assert!(
        !from.contains(&uri),
        "a fresh reference, not the pushed one: {from}"
    );
    let signed = b
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &csrf),
                ("fromURI", &from),
                ("username", LOGIN),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let to_consent = b.get(&signed.location.unwrap()).await;
    assert_eq!(to_consent.status, 302, "{}", to_consent.body);
    let consent_url = to_consent.location.unwrap();
    assert!(consent_url.starts_with("/signin/consent?"), "{consent_url}");
    assert!(!consent_url.contains("pushed-state"));
    let page = b.get(&env.s.url(&consent_url)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("See your photos"));
    let csrf = hidden(&page.body, "csrf");
    let from = html_unescape(&hidden(&page.body, "fromURI"));
    let allowed = b
        .post(
            &env.s.url("/signin/consent"),
            &[("csrf", &csrf), ("fromURI", &from), ("decision", "allow")],
        )
        .await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    let back = env.s.url(&allowed.location.unwrap());
    let done = b.get(&back).await;
    let p = answer(&done);
    assert_eq!(p["state"], "pushed-state");
    assert_eq!(redeem(&env, &rp, &p["code"]).await["nonce"], "pushed-nonce");
    // Each way back works once, and the pushed reference was used up at the start.
    error_page(&b.get(&back).await, "invalid_request_uri");
    error_page(
        &authorize(
            &env,
            &mut b,
            &[("client_id", &rp.id), ("request_uri", &uri)],
        )
        .await,
        "invalid_request_uri",
    );
}

/// HTML entities askama writes in attribute values, decoded as a browser does.
fn html_unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#37;", "%")
        .replace("&#61;", "=")
        .replace("&#43;", "+")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
}
