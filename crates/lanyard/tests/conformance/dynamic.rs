//! Dynamic OP plan (`oidcc-dynamic-certification-test-plan`): as the Foundation's RP does, every module registers
//! its own client at the OP's `registration_endpoint` (RFC 7591, open registration: the OP runs with
//! `--registration open`), then runs the code flow with the checks of every flow. Clients that authenticate with
//! `private_key_jwt` sign their assertions here and publish their keys inline (`jwks`) or at a `jwks_uri` served by
//! a small HTTP server on a loopback port, which also serves `sector_identifier_uri` documents; request objects for
//! the `request-uri-*` modules are hosted on another (`op::request_objects::Hosted`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lanyard_core::crypto::{SigningAlg, SigningKey, jws};
use serde_json::{Map, Value, json};

use crate::common;
use crate::op::{
    self, Agent, AuthRequest, Flow, LOGIN, Op, Outcome, REDIRECT, Rp, checks, request_objects,
    unsigned_request_object,
};

/// The OP of this plan: open registration.
async fn start() -> Op {
    let op = Op::start_with(&["--registration", "open"]).await;
    assert!(
        op.meta["registration_endpoint"].is_string(),
        "a dynamic OP advertises its registration endpoint"
    );
    op
}

/// `POST` of client metadata to the registration endpoint, without a token; the status and the body.
async fn register_raw(op: &Op, metadata: &Value) -> (u16, Value) {
    let r = common::client()
        .post(op.endpoint("registration_endpoint"))
        .json(metadata)
        .send()
        .await
        .expect("registration");
    let status = r.status().as_u16();
    let cache = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if status == 201 {
        assert_eq!(
            cache.as_deref(),
            Some("no-store"),
            "registration answers are not cached"
        );
    }
    (status, body)
}

/// The metadata the plan's RP registers with, `extra` merged in: a web client with `client_secret_basic`, the code
/// and refresh grants, [`REDIRECT`], and no PKCE (the Foundation's RP sends none; Lanyard requires it unless a
/// confidential client registers `pkce_required: false`, as with the Apps API).
fn metadata(extra: Value) -> Value {
    let mut m = json!({
        "client_name": "Conformance RP (dynamic)",
        "application_type": "web",
        "redirect_uris": [REDIRECT],
        "response_types": ["code"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
        "pkce_required": false,
        "contacts": ["certification@example.com"],
    });
    for (k, v) in extra.as_object().expect("an object") {
        m[k] = v.clone();
    }
    m
}

/// A client registered by the plan's RP, with the key it signs its client assertions with (`private_key_jwt`).
struct DynamicRp {
    rp: Rp,
    key: Option<SigningKey>,
    /// The client information response.
    info: Value,
}

/// Registers `extra` over the RP's metadata: 201 with the RFC 7591 §3.2.1 members, as the Foundation's RP checks.
async fn register(op: &Op, extra: Value, key: Option<SigningKey>) -> DynamicRp {
    let sent = metadata(extra);
    let (status, info) = register_raw(op, &sent).await;
    assert_eq!(status, 201, "{info}");
    let client_id = info["client_id"].as_str().expect("client_id").to_owned();
    let method = info["token_endpoint_auth_method"]
        .as_str()
        .expect("token_endpoint_auth_method")
        .to_owned();
    assert_eq!(method, sent["token_endpoint_auth_method"]);
    if method.starts_with("client_secret") {
        assert!(
            info["client_secret"]
                .as_str()
                .is_some_and(|s| s.len() >= 32),
            "{info}"
        );
        assert_eq!(info["client_secret_expires_at"], 0);
    } else {
        assert!(info.get("client_secret").is_none(), "{info}");
    }
    assert!(info["client_id_issued_at"].is_i64());
    assert!(info["registration_access_token"].is_string());
    assert!(
        info["registration_client_uri"]
            .as_str()
            .is_some_and(|u| u.ends_with(&client_id)),
        "{info}"
    );
    assert_eq!(info["redirect_uris"], sent["redirect_uris"]);
    DynamicRp {
        rp: Rp {
            // A registered client's id is its app's id.
            id: client_id.clone(),
            client_id,
            secret: info["client_secret"].as_str().map(str::to_owned),
            auth_method: method,
            redirect_uri: sent["redirect_uris"][0]
                .as_str()
                .unwrap_or(REDIRECT)
                .to_owned(),
        },
        key,
        info,
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A `private_key_jwt` client assertion (RFC 7523) for `aud`.
fn assertion(rp: &Rp, key: &SigningKey, aud: &str) -> String {
    let t = now();
    jws::sign(
        key,
        None,
        &json!({"iss": rp.client_id, "sub": rp.client_id, "aud": aud, "jti": op::random(),
            "iat": t, "exp": t + 120}),
    )
    .expect("sign")
}

impl DynamicRp {
    /// A token request, authenticated as the client registered: by its secret (through the harness), or by a client
    /// assertion for `aud` (the token endpoint unless given).
    async fn token(&self, op: &Op, form: &[(&str, &str)], aud: Option<&str>) -> (u16, Value) {
        let Some(key) = &self.key else {
            return op.token(&self.rp, form).await;
        };
        let endpoint = op.endpoint("token_endpoint");
        let a = assertion(&self.rp, key, aud.unwrap_or(&endpoint));
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        pairs.push((
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ));
        pairs.push(("client_assertion", &a));
        let r = common::client()
            .post(endpoint)
            .form(&pairs)
            .send()
            .await
            .expect("token request");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status == 200 {
            checks::token_response(&body);
        }
        (status, body)
    }

    /// The code flow of the plan: the authorization response with the checks of every flow, the code redeemed as
    /// the client authenticates, the ID token verified with every check.
    async fn code_flow(
        &self,
        op: &Op,
        agent: &mut Agent,
        req: &AuthRequest,
        aud: Option<&str>,
    ) -> Flow {
        let outcome = op.authorize(agent, req).await;
        let params = outcome.success(op, req);
        let (status, tokens) = self
            .token(
                op,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &params["code"]),
                    ("redirect_uri", &self.rp.redirect_uri),
                ],
                aud,
            )
            .await;
        assert_eq!(status, 200, "{tokens}");
        let id_token = tokens["id_token"].as_str().expect("id_token").to_owned();
        let claims = op.id_token(&self.rp, &id_token, req.get("nonce")).await;
        let access_token = tokens["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned();
        checks::half_hash_claim(&id_token, "at_hash", &access_token);
        Flow {
            params,
            tokens,
            access_token,
            id_token,
            claims,
        }
    }
}

/// Serves JSON documents on a loopback port, as an RP publishes its keys and its sector identifier document: each
/// path's body can be changed while it runs (an RP rotating its keys).
#[derive(Clone)]
struct Documents {
    bodies: Arc<Mutex<std::collections::HashMap<String, String>>>,
    base: String,
}

impl Documents {
    async fn start() -> Documents {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let docs = Documents {
            bodies: Arc::default(),
            base,
        };
        let bodies = docs.bodies.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let bodies = bodies.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let n = conn.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]);
                    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    let body = bodies.lock().unwrap().get(&path).cloned();
                    let reply = match body {
                        Some(b) => format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{b}",
                            b.len()
                        ),
                        None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_owned(),
                    };
                    let _ = conn.write_all(reply.as_bytes()).await;
                });
            }
        });
        docs
    }

    /// Serves `body` at `path`; its URL.
    fn put(&self, path: &str, body: &Value) -> String {
        self.bodies
            .lock()
            .unwrap()
            .insert(path.to_owned(), body.to_string());
        format!("{}{path}", self.base)
    }
}

fn jwks_of(keys: &[&SigningKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>()})
}

/// A registration the OP must refuse with 400 and one of `errors` (RFC 7591 §3.2.2).
async fn refused(op: &Op, extra: Value, errors: &[&str]) -> Value {
    let (status, body) = register_raw(op, &metadata(extra)).await;
    assert_eq!(status, 400, "{body}");
    let error = body["error"].as_str().expect("error");
    assert!(
        errors.contains(&error),
        "{error} not one of {errors:?}: {body}"
    );
    assert!(body.get("client_id").is_none());
    body
}

/// The page the OP shows a browser that must sign in for `rp` (the agent does not sign in).
async fn signin_page(op: &Op, rp: &Rp) -> String {
    let mut agent = Agent {
        sign_in: false,
        ..Agent::default()
    };
    match op.authorize(&mut agent, &rp.request()).await {
        Outcome::Page { status, body } => {
            assert_eq!(status, 200, "{body}");
            assert!(
                body.contains("name=\"password\""),
                "the sign-in page: {body}"
            );
            body
        }
        other => panic!("expected the sign-in page, got {other:?}"),
    }
}

/// oidcc-idtoken-rs256: a client registered with `id_token_signed_response_alg: RS256` gets RS256 ID tokens.
#[tokio::test]
async fn idtoken_rs256() {
    let op = start().await;
    let algs = op.meta["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.iter().any(|a| a == "RS256"));
    let d = register(&op, json!({"id_token_signed_response_alg": "RS256"}), None).await;
    assert_eq!(d.info["id_token_signed_response_alg"], "RS256");
    let req = d.rp.request();
    let flow = d.code_flow(&op, &mut Agent::default(), &req, None).await;
    let (header, _) = op::decode(&flow.id_token);
    assert_eq!(header["alg"], "RS256");
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// oidcc-userinfo-rs256: a client registered with `userinfo_signed_response_alg: RS256` gets userinfo as a JWS
/// (`application/jwt`) signed by a published key, with `iss` the issuer, `aud` the client, the ID token's `sub`,
/// and no `nonce`.
#[tokio::test]
async fn userinfo_rs256() {
    let op = start().await;
    let algs = op.meta["userinfo_signing_alg_values_supported"]
        .as_array()
        .expect("userinfo_signing_alg_values_supported");
    assert!(algs.iter().any(|a| a == "RS256"), "{algs:?}");
    let d = register(
        &op,
        json!({"userinfo_signed_response_alg": "RS256", "id_token_signed_response_alg": "RS256"}),
        None,
    )
    .await;
    assert_eq!(d.info["userinfo_signed_response_alg"], "RS256");
    let req = d.rp.request().set("scope", "openid profile email");
    let flow = d.code_flow(&op, &mut Agent::default(), &req, None).await;
    let (status, headers, body) = op.userinfo(&flow.access_token).await;
    assert_eq!(status, 200, "{body}");
    let ct = headers["content-type"].to_str().unwrap();
    assert!(ct.starts_with("application/jwt"), "{ct}");
    let jwks = op.jwks().await;
    op::verify(&body, &jwks).expect("signed by a published key");
    let (header, claims) = op::decode(&body);
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    assert_eq!(claims["iss"], op.issuer.as_str());
    assert_eq!(claims["aud"], d.rp.client_id.as_str());
    assert_eq!(
        claims["sub"], flow.claims["sub"],
        "userinfo's sub is the ID token's"
    );
    assert!(claims.get("nonce").is_none(), "no nonce in userinfo");
    assert_eq!(claims["email"], LOGIN);
    checks::standard_claims(&claims);
    // By POST too.
    let (status, headers, body) = op.userinfo_post(&flow.access_token, true).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/jwt")
    );
    op::verify(&body, &jwks).expect("signed");
}

/// oidcc-ensure-redirect-uri-in-authorization-request: with two registered redirect URIs and none in the request,
/// an error page and no redirect.
#[tokio::test]
async fn ensure_redirect_uri_in_authorization_request() {
    let op = start().await;
    let second = "https://rp.example.com/other-callback";
    let d = register(&op, json!({"redirect_uris": [REDIRECT, second]}), None).await;
    let req = d.rp.request().without("redirect_uri");
    op.authorize(&mut Agent::default(), &req)
        .await
        .assert_error_page();
}

/// The redirect URI modules: the client registers `registered`, the request sends `sent`.
async fn redirect_uri_module(
    registered: &str,
    sent: &str,
) -> (Op, DynamicRp, AuthRequest, Outcome) {
    let op = start().await;
    let d = register(&op, json!({"redirect_uris": [registered]}), None).await;
    let req = d.rp.request().set("redirect_uri", sent);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    (op, d, req, outcome)
}

/// oidcc-redirect-uri-query-OK: a redirect URI registered with a query is used with that query; the answer keeps
/// it and adds the response parameters.
#[tokio::test]
async fn redirect_uri_query_ok() {
    let with_query = format!("{REDIRECT}?foo=bar");
    let (op, d, req, outcome) = redirect_uri_module(&with_query, &with_query).await;
    let Outcome::Redirect { url, query, .. } = &outcome else {
        panic!("expected a redirect: {outcome:?}");
    };
    assert!(url.starts_with(&format!("{with_query}&")), "{url}");
    assert_eq!(query.get("foo").map(String::as_str), Some("bar"));
    let params = outcome.success(&op, &req);
    let (status, tokens) = d
        .token(
            &op,
            &[
                ("grant_type", "authorization_code"),
                ("code", &params["code"]),
                ("redirect_uri", &with_query),
            ],
            None,
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let rp = Rp {
        redirect_uri: with_query.clone(),
        ..d.rp.clone()
    };
    op.id_token(&rp, tokens["id_token"].as_str().unwrap(), req.get("nonce"))
        .await;
}

/// oidcc-redirect-uri-query-mismatch: registered with `?foo=bar`, sent with `?foo=zap`: an error page.
#[tokio::test]
async fn redirect_uri_query_mismatch() {
    let (_, _, _, outcome) = redirect_uri_module(
        &format!("{REDIRECT}?foo=bar"),
        &format!("{REDIRECT}?foo=zap"),
    )
    .await;
    outcome.assert_error_page();
}

/// oidcc-redirect-uri-query-added: registered without a query, sent with one: an error page.
#[tokio::test]
async fn redirect_uri_query_added() {
    let (_, _, _, outcome) = redirect_uri_module(REDIRECT, &format!("{REDIRECT}?foo=bar")).await;
    outcome.assert_error_page();
}

/// oidcc-redirect-uri-regfrag: a redirect URI with a fragment cannot be registered (400 `invalid_redirect_uri` or
/// `invalid_client_metadata`).
#[tokio::test]
async fn redirect_uri_regfrag() {
    let op = start().await;
    refused(
        &op,
        json!({"redirect_uris": [format!("{REDIRECT}#fragment")]}),
        &["invalid_redirect_uri", "invalid_client_metadata"],
    )
    .await;
}

/// The registration-*-uri modules: the sign-in page for the client shows what it registered (the Foundation's
/// suite asks for a screenshot); then the flow completes.
async fn registration_uri_module(name: &str, uri: &str, expect: &[&str]) {
    let op = start().await;
    let d = register(&op, json!({ name: uri }), None).await;
    assert_eq!(d.info[name], uri);
    let page = signin_page(&op, &d.rp).await;
    for e in expect {
        assert!(page.contains(e), "{e} on the sign-in page: {page}");
    }
    let req = d.rp.request();
    d.code_flow(&op, &mut Agent::default(), &req, None).await;
}

/// oidcc-registration-logo-uri: the registered logo on the sign-in page, with alternative text.
#[tokio::test]
async fn registration_logo_uri() {
    let logo = "https://rp.example.com/images/logo.png";
    registration_uri_module(
        "logo_uri",
        logo,
        &[
            &format!(
                "<img class=\"client-logo\" src=\"{logo}\" alt=\"Conformance RP (dynamic) logo\">"
            ),
            "Conformance RP (dynamic)",
        ],
    )
    .await;
}

/// oidcc-registration-policy-uri: a link to the registered privacy policy on the sign-in page.
#[tokio::test]
async fn registration_policy_uri() {
    let uri = "https://rp.example.com/privacy";
    registration_uri_module(
        "policy_uri",
        uri,
        &[&format!(
            "<a href=\"{uri}\" rel=\"noopener noreferrer\">Privacy policy</a>"
        )],
    )
    .await;
}

/// oidcc-registration-tos-uri: a link to the registered terms of service on the sign-in page.
#[tokio::test]
async fn registration_tos_uri() {
    let uri = "https://rp.example.com/terms";
    registration_uri_module(
        "tos_uri",
        uri,
        &[&format!(
            "<a href=\"{uri}\" rel=\"noopener noreferrer\">Terms of service</a>"
        )],
    )
    .await;
}

/// oidcc-registration-jwks-uri: a `private_key_jwt` client that publishes its keys at a `jwks_uri` authenticates
/// with an assertion signed by them.
#[tokio::test]
async fn registration_jwks_uri() {
    let op = start().await;
    let docs = Documents::start().await;
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let jwks_uri = docs.put("/jwks", &jwks_of(&[&key]));
    let d = register(
        &op,
        json!({"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": jwks_uri}),
        Some(key),
    )
    .await;
    assert_eq!(d.info["jwks_uri"], jwks_uri.as_str());
    let req = d.rp.request();
    let flow = d.code_flow(&op, &mut Agent::default(), &req, None).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
    // An assertion signed by a key the client did not publish is refused.
    let other = DynamicRp {
        key: Some(SigningKey::generate(SigningAlg::RS256).unwrap()),
        rp: d.rp.clone(),
        info: Value::Null,
    };
    let (status, body) = other
        .token(
            &op,
            &[("grant_type", "authorization_code"), ("code", "x")],
            None,
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
}

/// The `sub` of verified ID token claims.
fn sub_of(claims: &Map<String, Value>) -> String {
    claims["sub"].as_str().expect("sub").to_owned()
}

/// oidcc-registration-sector-uri: a pairwise client whose `sector_identifier_uri` lists its redirect URIs
/// registers, and its users get a pairwise `sub` (OIDC Core §8) — in the ID token and userinfo alike, not the user
/// id; the same for another client of the sector, another for a client of another sector.
#[tokio::test]
async fn registration_sector_uri() {
    let op = start().await;
    assert!(
        op.meta["subject_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "pairwise")
    );
    let docs = Documents::start().await;
    let other = "https://app2.example.net/callback";
    let sector = docs.put("/sector", &json!([REDIRECT, other]));
    let d = register(
        &op,
        json!({"subject_type": "pairwise", "sector_identifier_uri": sector,
            "redirect_uris": [REDIRECT, other]}),
        None,
    )
    .await;
    assert_eq!(d.info["subject_type"], "pairwise");
    assert_eq!(d.info["sector_identifier_uri"], sector.as_str());
    let mut agent = Agent::default();
    let flow = d.code_flow(&op, &mut agent, &d.rp.request(), None).await;
    let sub = sub_of(&flow.claims);
    assert_ne!(sub, op.user_id, "a pairwise sub is not the user id");
    op.userinfo_claims(&flow.access_token, &flow.claims).await;

    // A second client of the same sector sees the same sub; a pairwise client of another sector another one; a
    // public client the user id.
    let same = register(
        &op,
        json!({"subject_type": "pairwise", "sector_identifier_uri": sector}),
        None,
    )
    .await;
    let f2 = same
        .code_flow(&op, &mut agent, &same.rp.request(), None)
        .await;
    assert_eq!(sub_of(&f2.claims), sub);
    let elsewhere = register(
        &op,
        json!({"subject_type": "pairwise", "redirect_uris": ["https://elsewhere.example.org/cb"]}),
        None,
    )
    .await;
    let f3 = elsewhere
        .code_flow(&op, &mut agent, &elsewhere.rp.request(), None)
        .await;
    assert_ne!(sub_of(&f3.claims), sub);
    assert_ne!(sub_of(&f3.claims), op.user_id);
    let public = register(&op, json!({}), None).await;
    let f4 = public
        .code_flow(&op, &mut agent, &public.rp.request(), None)
        .await;
    assert_eq!(sub_of(&f4.claims), op.user_id);
}

/// oidcc-registration-sector-bad: a `sector_identifier_uri` whose document does not list the redirect URI is
/// refused (400 `invalid_client_metadata`).
#[tokio::test]
async fn registration_sector_bad() {
    let op = start().await;
    let docs = Documents::start().await;
    let sector = docs.put("/sector", &json!(["https://another.example.com/callback"]));
    let body = refused(
        &op,
        json!({"subject_type": "pairwise", "sector_identifier_uri": sector}),
        &["invalid_client_metadata"],
    )
    .await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains(REDIRECT),
        "{body}"
    );
}

/// oidcc-server-rotate-keys: the OP rotates its signing keys (`lanyard keys rotate` while it runs); the new key is
/// published, new ID tokens are signed with it, and the old key stays published, so tokens signed before the
/// rotation still verify (and its access tokens still work).
#[tokio::test]
async fn server_rotate_keys() {
    let op = start().await;
    let d = register(&op, json!({}), None).await;
    let mut agent = Agent::default();
    let before = d.code_flow(&op, &mut agent, &d.rp.request(), None).await;
    let (old_header, _) = op::decode(&before.id_token);
    let old_kid = old_header["kid"].as_str().unwrap().to_owned();

    let out = common::lanyard().run(&[
        "keys",
        "rotate",
        "--auth-server",
        "org",
        "--data-dir",
        common::path_str(op.env.dir.path()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The running OP follows within its key refresh interval.
    let mut after = None;
    for _ in 0..40 {
        let flow = d.code_flow(&op, &mut agent, &d.rp.request(), None).await;
        let (header, _) = op::decode(&flow.id_token);
        if header["kid"] != old_kid.as_str() {
            after = Some(flow);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after = after.expect("new ID tokens are signed with the new key");
    let jwks = op.jwks().await;
    let kids = common::kids(&jwks);
    assert!(
        kids.contains(&old_kid),
        "the old key stays published: {kids:?}"
    );
    // Both verify against the current key set (code_flow checked the new one).
    checks::id_token(
        &op.issuer,
        &jwks,
        &d.rp.client_id,
        &before.id_token,
        before.claims["nonce"].as_str(),
    );
    checks::same_authentication(&before.claims, &after.claims);
    op.userinfo_claims(&before.access_token, &before.claims)
        .await;
    op.userinfo_claims(&after.access_token, &after.claims).await;
}

/// oidcc-refresh-token-rp-key-rotation: a `private_key_jwt` client publishing its keys at a `jwks_uri` rotates
/// them between its code flow and a refresh; the refresh, signed with the new key only, succeeds (the OP fetches the
/// keys again for the `kid` it does not know) and keeps the ID token's `sub`.
#[tokio::test]
async fn refresh_token_rp_key_rotation() {
    let op = start().await;
    let docs = Documents::start().await;
    let first = SigningKey::generate(SigningAlg::RS256).unwrap();
    let jwks_uri = docs.put("/jwks", &jwks_of(&[&first]));
    let mut d = register(
        &op,
        json!({"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": jwks_uri}),
        Some(first),
    )
    .await;
    let req = d.rp.request().set("scope", "openid offline_access");
    let flow = d.code_flow(&op, &mut Agent::default(), &req, None).await;
    let refresh = flow.tokens["refresh_token"]
        .as_str()
        .expect("a refresh token");

    let second = SigningKey::generate(SigningAlg::RS256).unwrap();
    docs.put("/jwks", &jwks_of(&[&second]));
    d.key = Some(second);
    let (status, tokens) = d
        .token(
            &op,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
            None,
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let claims = op
        .id_token(
            &d.rp,
            tokens["id_token"].as_str().expect("an ID token"),
            None,
        )
        .await;
    for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(claims.get(claim), flow.claims.get(claim), "{claim} kept");
    }
}

/// oidcc-ensure-client-assertion-with-iss-aud-succeeds: a client assertion whose `aud` is the issuer (not the token
/// endpoint) is accepted.
#[tokio::test]
async fn ensure_client_assertion_with_iss_aud_succeeds() {
    let op = start().await;
    let key = SigningKey::generate(SigningAlg::RS256).unwrap();
    let d = register(
        &op,
        json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks_of(&[&key])}),
        Some(key),
    )
    .await;
    let issuer = op.issuer.clone();
    let flow = d
        .code_flow(&op, &mut Agent::default(), &d.rp.request(), Some(&issuer))
        .await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// oidcc-request-uri-unsigned: the RP registers a `request_uri` and `request_object_signing_alg: none`; the
/// unsigned request object fetched from there carries the request (only `response_type`, `client_id`, `scope` and
/// `redirect_uri` beside it), and the flow completes with its `state` and `nonce`.
#[tokio::test]
async fn request_uri_unsigned() {
    let op = start().await;
    assert_eq!(op.meta["request_uri_parameter_supported"], true);
    let hosted = request_objects::Hosted::start().await;
    let d = register(
        &op,
        json!({"request_uris": [hosted.url], "request_object_signing_alg": "none"}),
        None,
    )
    .await;
    assert_eq!(d.info["request_uris"], json!([hosted.url]));
    let full = d.rp.request();
    hosted.put(&unsigned_request_object(&request_objects::claims(
        &op, &full,
    )));
    let req = request_objects::outside_the_object(&full).set("request_uri", &hosted.url);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    let flow = op.finish_code_flow(&d.rp, &full, &outcome).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// oidcc-request-uri-signed-rs256: the RP registers its RS256 key (`jwks`), a `request_uri` and
/// `request_object_signing_alg: RS256`; the request object at that URI is signed with the key and the flow
/// completes. The same object unsigned, or signed by another key, is `invalid_request_object` at the redirect URI.
#[tokio::test]
async fn request_uri_signed_rs256() {
    let op = start().await;
    let algs = op.meta["request_object_signing_alg_values_supported"]
        .as_array()
        .expect("request_object_signing_alg_values_supported");
    assert!(algs.iter().any(|a| a == "RS256"));
    let hosted = request_objects::Hosted::start().await;
    let key = SigningKey::generate(SigningAlg::RS256).expect("key");
    let d = register(
        &op,
        json!({"request_uris": [hosted.url], "request_object_signing_alg": "RS256",
            "jwks": jwks_of(&[&key])}),
        None,
    )
    .await;
    let full = d.rp.request();
    let claims = request_objects::claims(&op, &full);
    hosted.put(&jws::sign(&key, Some("oauth-authz-req+jwt"), &claims).expect("sign"));
    let req = request_objects::outside_the_object(&full).set("request_uri", &hosted.url);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    let flow = op.finish_code_flow(&d.rp, &full, &outcome).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;

    let other = SigningKey::generate(SigningAlg::RS256).expect("key");
    for object in [
        unsigned_request_object(&claims),
        jws::sign(&other, None, &claims).expect("sign"),
    ] {
        hosted.put(&object);
        let req =
            request_objects::outside_the_object(&d.rp.request()).set("request_uri", &hosted.url);
        let error = op.authorize(&mut Agent::default(), &req).await.params();
        assert_eq!(error["error"], "invalid_request_object", "{error:?}");
    }
}
