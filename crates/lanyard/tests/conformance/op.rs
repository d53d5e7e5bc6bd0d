//! The harness: the OP under test (the real binary, its org authorization server), relying parties registered
//! through the Apps API, a browser that walks the hosted pages, and the checks every OIDF module applies.

#![allow(dead_code)]

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use lanyard_core::crypto::Jwk;
use lanyard_core::crypto::verify::UnverifiedJws;
use reqwest::Method;
use serde_json::{Map, Value, json};
use sha2::Digest;

use crate::common::browser::{Browser, Page};
use crate::common::{self, Env, PASSWORD};

pub mod checks;
pub mod listener;
pub mod logout;
pub mod request_objects;

/// Where RPs are sent back to. Never visited: the browser stops at the first answer for the RP.
pub const REDIRECT: &str = "https://rp.example.com/callback";
pub const LOGIN: &str = "ada@example.com";

/// The OP under test: a running Lanyard, its discovery document and a user with a full profile.
pub struct Op {
    pub env: Env,
    pub issuer: String,
    pub meta: Value,
    pub user_id: String,
}

impl Op {
    pub async fn start() -> Op {
        Op::start_with(&[]).await
    }

    /// The OP under test. The RP's endpoints (back-channel logout, `jwks_uri`, `sector_identifier_uri`, request
    /// objects) are local listeners here, so outbound requests may reach loopback, as in a lab.
    pub async fn start_with(args: &[&str]) -> Op {
        let args: Vec<&str> = ["--outbound-allow", "loopback"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let env = Env::start_with(&args);
        let (status, _, meta) =
            common::get_json(&env.s.url("/.well-known/openid-configuration")).await;
        assert_eq!(status, 200, "discovery: {meta}");
        let issuer = meta["issuer"].as_str().expect("issuer").to_owned();
        let body = json!({
            "profile": {
                "firstName": "Ada", "lastName": "Lovelace", "middleName": "King", "nickName": "Ada",
                "displayName": "Ada Lovelace", "email": LOGIN, "login": LOGIN,
                "mobilePhone": "+44 20 7946 0000", "streetAddress": "12 St James's Square",
                "city": "London", "state": "Westminster", "zipCode": "SW1Y 4JH", "countryCode": "GB",
                "locale": "en_GB", "timezone": "Europe/London",
                "profileUrl": "https://example.com/ada", "website": "https://example.com"
            },
            "credentials": {"password": {"value": PASSWORD}}
        });
        let (status, user) = env.admin(Method::POST, "/api/v1/users", Some(body)).await;
        assert_eq!(status, 200, "{user}");
        let user_id = user["id"].as_str().expect("id").to_owned();
        Op {
            env,
            issuer,
            meta,
            user_id,
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.env.s.url(path)
    }

    /// An endpoint from discovery.
    pub fn endpoint(&self, name: &str) -> String {
        self.meta[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in discovery"))
            .to_owned()
    }

    /// The published signing keys.
    pub async fn jwks(&self) -> Value {
        let (status, _, jwks) = common::get_json(&self.endpoint("jwks_uri")).await;
        assert_eq!(status, 200);
        jwks
    }

    /// Registers a web app (client_secret_basic, code + refresh, [`REDIRECT`]) through the Apps API, with
    /// `oauth_client` merged into `settings.oauthClient` and `credentials` into `credentials.oauthClient`, and
    /// assigns the user to it.
    pub async fn register(&self, oauth_client: Value, credentials: Value) -> Rp {
        let mut settings = json!({"application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"], "redirect_uris": [REDIRECT], "consent_method": "TRUSTED"});
        merge(&mut settings, oauth_client);
        // The OIDF RPs of the Basic plan send no PKCE: a confidential client may opt out (Lanyard's default is on).
        let mut creds =
            json!({"token_endpoint_auth_method": "client_secret_basic", "pkce_required": false});
        merge(&mut creds, credentials);
        let body = json!({"label": "Conformance RP", "signOnMode": "OPENID_CONNECT",
            "name": "oidc_client", "credentials": {"oauthClient": creds},
            "settings": {"oauthClient": settings}});
        let (status, app) = self
            .env
            .admin(Method::POST, "/api/v1/apps", Some(body))
            .await;
        assert_eq!(status, 200, "{app}");
        let id = app["id"].as_str().expect("id").to_owned();
        let (status, body) = self
            .env
            .admin(
                Method::POST,
                &format!("/api/v1/apps/{id}/users"),
                Some(json!({"id": self.user_id, "scope": "USER"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let oc = &app["credentials"]["oauthClient"];
        Rp {
            id,
            client_id: oc["client_id"].as_str().expect("client_id").to_owned(),
            secret: oc["client_secret"].as_str().map(str::to_owned),
            auth_method: oc["token_endpoint_auth_method"]
                .as_str()
                .unwrap_or("client_secret_basic")
                .to_owned(),
            redirect_uri: app["settings"]["oauthClient"]["redirect_uris"][0]
                .as_str()
                .unwrap_or(REDIRECT)
                .to_owned(),
        }
    }

    /// The default RP of the Basic plan: a web app with client_secret_basic.
    pub async fn basic_rp(&self) -> Rp {
        self.register(json!({}), json!({})).await
    }

    /// A token request from `rp`, authenticated as it registered (basic or post).
    pub async fn token(&self, rp: &Rp, form: &[(&str, &str)]) -> (u16, Value) {
        let mut pairs: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut req = common::client().post(self.endpoint("token_endpoint"));
        match rp.auth_method.as_str() {
            "client_secret_basic" => req = req.header("Authorization", rp.basic()),
            "client_secret_post" => {
                pairs.push(("client_id".into(), rp.client_id.clone()));
                pairs.push(("client_secret".into(), rp.secret.clone().expect("a secret")));
            }
            _ => pairs.push(("client_id".into(), rp.client_id.clone())),
        }
        let r = req.form(&pairs).send().await.expect("token request");
        let status = r.status().as_u16();
        let cache = r
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status == 200 {
            assert_eq!(
                cache.as_deref(),
                Some("no-store"),
                "token responses are not cached"
            );
            checks::token_response(&body);
        }
        (status, body)
    }

    /// Redeems `code` (sent to [`REDIRECT`]); the token response.
    pub async fn redeem(&self, rp: &Rp, code: &str) -> (u16, Value) {
        self.token(
            rp,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &rp.redirect_uri),
            ],
        )
        .await
    }

    /// Userinfo with a Bearer token in the header (GET).
    pub async fn userinfo(&self, access_token: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let r = common::client()
            .get(self.endpoint("userinfo_endpoint"))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("userinfo");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().await.unwrap_or_default())
    }

    /// Userinfo by POST (OIDC Core §5.3.1), the token in the `Authorization` header or, with `in_body`, in the form
    /// body (RFC 6750 §2.2).
    pub async fn userinfo_post(
        &self,
        access_token: &str,
        in_body: bool,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let req = common::client().post(self.endpoint("userinfo_endpoint"));
        let req = if in_body {
            req.form(&[("access_token", access_token)])
        } else {
            req.bearer_auth(access_token)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("")
        };
        let r = req.send().await.expect("userinfo");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().await.unwrap_or_default())
    }

    /// A successful userinfo answer (GET with a Bearer token) with the checks of the OIDF modules against the ID
    /// token's claims; the userinfo claims.
    pub async fn userinfo_claims(
        &self,
        access_token: &str,
        id_token: &Map<String, Value>,
    ) -> Map<String, Value> {
        let (status, headers, body) = self.userinfo(access_token).await;
        checks::userinfo_response(status, &headers, &body, id_token)
    }

    /// The code flow of the Basic plan for `req` in `agent`'s browser: the authorization response with the checks
    /// of every flow, the code redeemed, the ID token verified with every check (`nonce` as sent, `at_hash` when
    /// present).
    pub async fn code_flow(&self, agent: &mut Agent, rp: &Rp, req: &AuthRequest) -> Flow {
        let outcome = self.authorize(agent, req).await;
        self.finish_code_flow(rp, req, &outcome).await
    }

    /// The rest of [`Op::code_flow`] once the authorization endpoint answered.
    pub async fn finish_code_flow(&self, rp: &Rp, req: &AuthRequest, outcome: &Outcome) -> Flow {
        let params = outcome.success(self, req);
        let (status, tokens) = self.redeem(rp, &params["code"]).await;
        assert_eq!(status, 200, "{tokens}");
        let id_token = tokens["id_token"].as_str().expect("id_token").to_owned();
        let claims = self.id_token(rp, &id_token, req.get("nonce")).await;
        let access_token = tokens["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned();
        if claims.contains_key("at_hash") {
            checks::half_hash_claim(&id_token, "at_hash", &access_token);
        }
        Flow {
            params,
            tokens,
            access_token,
            id_token,
            claims,
        }
    }

    /// Verifies an ID token with every check the OIDF modules apply; its claims.
    pub async fn id_token(&self, rp: &Rp, token: &str, nonce: Option<&str>) -> Map<String, Value> {
        let jwks = self.jwks().await;
        checks::id_token(&self.issuer, &jwks, &rp.client_id, token, nonce)
    }

    /// Starts an authorization request in `agent`'s browser and walks the OP's pages (signing in and consenting
    /// as asked) until an answer for the RP or a page the agent cannot continue from.
    pub async fn authorize(&self, agent: &mut Agent, req: &AuthRequest) -> Outcome {
        let url = format!(
            "{}?{}",
            self.endpoint("authorization_endpoint"),
            req.query()
        );
        let page = agent.browser.get(&url).await;
        self.walk(agent, page).await
    }

    /// The same request sent as a form POST (OIDC Core §3.1.2.1).
    pub async fn authorize_post(&self, agent: &mut Agent, req: &AuthRequest) -> Outcome {
        let page = agent
            .browser
            .send(
                common::client()
                    .post(self.endpoint("authorization_endpoint"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(req.query()),
            )
            .await;
        self.walk(agent, page).await
    }

    async fn walk(&self, agent: &mut Agent, mut page: Page) -> Outcome {
        let origin = self.url("");
        for _ in 0..10 {
            if let Some(location) = page.location.clone() {
                let absolute = if location.starts_with('/') {
                    format!("{}{location}", origin.trim_end_matches('/'))
                } else {
                    location.clone()
                };
                if !absolute.starts_with(origin.trim_end_matches('/')) {
                    return Outcome::redirect(&absolute);
                }
                page = agent.browser.get(&absolute).await;
                continue;
            }
            if page.status == 200 && page.body.contains("name=\"password\"") && agent.sign_in {
                agent.sign_ins += 1;
                let csrf = crate::common::browser::hidden(&page.body, "csrf");
                let from = unescape(&crate::common::browser::hidden(&page.body, "fromURI"));
                page = agent
                    .browser
                    .post(
                        &self.url("/signin"),
                        &[
                            ("csrf", &csrf),
                            ("fromURI", &from),
                            ("username", LOGIN),
                            ("password", PASSWORD),
                        ],
                    )
                    .await;
                continue;
            }
            if let Some(form) = FormPost::parse(&page.body, &origin) {
                return Outcome::FormPost(form);
            }
            return Outcome::Page {
                status: page.status,
                body: page.body,
            };
        }
        panic!("more than 10 steps in the OP's pages");
    }
}

/// What a completed code flow produced.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The authorization response's parameters.
    pub params: BTreeMap<String, String>,
    /// The token response.
    pub tokens: Value,
    pub access_token: String,
    pub id_token: String,
    /// The ID token's claims, verified.
    pub claims: Map<String, Value>,
}

/// An unsigned request object (`alg: none`, RFC 9101 §5 / OIDC Core §6.1) carrying `claims`.
pub fn unsigned_request_object(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("json"));
    format!("{header}.{body}.")
}

/// A registered relying party.
#[derive(Clone, Debug)]
pub struct Rp {
    /// The app id in the Apps API.
    pub id: String,
    pub client_id: String,
    pub secret: Option<String>,
    pub auth_method: String,
    pub redirect_uri: String,
}

impl Rp {
    pub fn basic(&self) -> String {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        format!(
            "Basic {}",
            STANDARD.encode(format!(
                "{}:{}",
                enc(&self.client_id),
                enc(self.secret.as_deref().expect("a secret"))
            ))
        )
    }

    /// The usual request of the Basic plan: `code`, `openid`, a fresh `state` and `nonce`.
    pub fn request(&self) -> AuthRequest {
        AuthRequest::new(self)
    }
}

/// An authorization request: ordered parameters, editable.
#[derive(Clone, Debug)]
pub struct AuthRequest {
    pub params: Vec<(String, String)>,
}

impl AuthRequest {
    pub fn new(rp: &Rp) -> AuthRequest {
        AuthRequest {
            params: vec![
                ("client_id".into(), rp.client_id.clone()),
                ("redirect_uri".into(), rp.redirect_uri.clone()),
                ("response_type".into(), "code".into()),
                ("scope".into(), "openid".into()),
                ("state".into(), random()),
                ("nonce".into(), random()),
            ],
        }
    }

    /// Sets (or adds) a parameter.
    pub fn set(mut self, name: &str, value: &str) -> AuthRequest {
        match self.params.iter_mut().find(|(k, _)| k == name) {
            Some(p) => p.1 = value.to_owned(),
            None => self.params.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    pub fn without(mut self, name: &str) -> AuthRequest {
        self.params.retain(|(k, _)| k != name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.params)
            .finish()
    }
}

/// A browser with a cookie jar that signs in as the test user when the OP asks (unless `sign_in` is off).
pub struct Agent {
    pub browser: Browser,
    pub sign_in: bool,
    /// How many times the sign-in page was filled in.
    pub sign_ins: u32,
}

impl Default for Agent {
    fn default() -> Self {
        Agent {
            browser: Browser::default(),
            sign_in: true,
            sign_ins: 0,
        }
    }
}

/// Where an authorization request ended.
#[derive(Debug)]
pub enum Outcome {
    /// A redirect to the RP, with its query and fragment parameters apart.
    Redirect {
        url: String,
        query: BTreeMap<String, String>,
        fragment: BTreeMap<String, String>,
    },
    /// A self-submitting form to the RP (`response_mode=form_post`).
    FormPost(FormPost),
    /// A page of the OP the agent stopped at (an error page, or sign-in with `sign_in` off).
    Page { status: u16, body: String },
}

impl Outcome {
    fn redirect(url: &str) -> Outcome {
        let (rest, fragment) = url.split_once('#').unwrap_or((url, ""));
        let query = rest.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let parse = |s: &str| {
            url::form_urlencoded::parse(s.as_bytes())
                .into_owned()
                .collect::<BTreeMap<_, _>>()
        };
        Outcome::Redirect {
            url: url.to_owned(),
            query: parse(query),
            fragment: parse(fragment),
        }
    }

    /// The response parameters, wherever the response mode put them.
    pub fn params(&self) -> BTreeMap<String, String> {
        match self {
            Outcome::Redirect {
                query, fragment, ..
            } => {
                let mut all = query.clone();
                all.extend(fragment.clone());
                all
            }
            Outcome::FormPost(f) => f.params.clone(),
            Outcome::Page { status, body } => {
                panic!("expected an answer for the RP, got a {status} page: {body}")
            }
        }
    }

    /// The query parameters of a redirect (panics otherwise).
    pub fn query(&self) -> &BTreeMap<String, String> {
        match self {
            Outcome::Redirect { query, .. } => query,
            other => panic!("expected a redirect, got {other:?}"),
        }
    }

    /// The fragment parameters of a redirect (panics otherwise).
    pub fn fragment(&self) -> &BTreeMap<String, String> {
        match self {
            Outcome::Redirect { fragment, .. } => fragment,
            other => panic!("expected a redirect, got {other:?}"),
        }
    }

    /// "Error page shown, no redirect": the OP kept the browser and said so with a 4xx page.
    pub fn assert_error_page(&self) {
        match self {
            Outcome::Page { status, body } => {
                assert!(
                    (400..500).contains(status),
                    "an error page is a 4xx: {status} {body}"
                );
                assert!(!body.contains("name=\"password\""), "not the sign-in page");
            }
            other => panic!("expected an error page and no redirect, got {other:?}"),
        }
    }

    /// A successful authorization response with the checks of every flow; its parameters.
    pub fn success(&self, op: &Op, req: &AuthRequest) -> BTreeMap<String, String> {
        let p = self.params();
        checks::authorization_response(op, req, self);
        assert!(
            !p.contains_key("error"),
            "expected success, got {p:?} ({self:?})"
        );
        p
    }

    /// An error response for the RP with the checks of every flow; its `error`.
    pub fn error(&self, op: &Op, req: &AuthRequest) -> String {
        let p = self.params();
        checks::authorization_response(op, req, self);
        checks::error_params(&p);
        p.get("error")
            .cloned()
            .unwrap_or_else(|| panic!("expected an error, got {p:?}"))
    }
}

/// A form the OP's page posts to somewhere else.
#[derive(Debug, Clone)]
pub struct FormPost {
    pub action: String,
    pub params: BTreeMap<String, String>,
}

impl FormPost {
    fn parse(body: &str, origin: &str) -> Option<FormPost> {
        let start = body.find("<form method=\"post\" action=\"")?;
        let rest = &body[start + "<form method=\"post\" action=\"".len()..];
        let action = unescape(rest.split('"').next()?);
        if action.starts_with('/') || action.starts_with(origin.trim_end_matches('/')) {
            return None;
        }
        let mut params = BTreeMap::new();
        let mut form = &rest[..rest.find("</form>").unwrap_or(rest.len())];
        while let Some(i) = form.find("<input type=\"hidden\" name=\"") {
            form = &form[i + "<input type=\"hidden\" name=\"".len()..];
            let name = form.split('"').next()?.to_owned();
            let v = form.find("value=\"")? + "value=\"".len();
            let value = form[v..].split('"').next()?;
            params.insert(unescape(&name), unescape(value));
        }
        Some(FormPost { action, params })
    }
}

/// HTML entities in attribute values, decoded as a browser does.
pub fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#37;", "%")
        .replace("&#61;", "=")
        .replace("&#43;", "+")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// 128 random bits, base64url.
pub fn random() -> String {
    let bytes: [u8; 16] = std::array::from_fn(|_| rand_byte());
    URL_SAFE_NO_PAD.encode(bytes)
}

fn rand_byte() -> u8 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEED: AtomicU64 = AtomicU64::new(0);
    if SEED.load(Ordering::Relaxed) == 0 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        SEED.store(t | 1, Ordering::Relaxed);
    }
    // xorshift: unpredictability is not the point here, uniqueness is.
    let mut x = SEED.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    SEED.store(x, Ordering::Relaxed);
    (x >> 24) as u8
}

/// The left half of the hash the JWS `alg` names, base64url (OIDC Core §3.3.2.11), computed here independently
/// of the server's code.
pub fn half_hash(alg: &str, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        "RS256" | "ES256" | "PS256" | "HS256" => sha2::Sha256::digest(value.as_bytes()).to_vec(),
        "RS384" | "ES384" | "PS384" => sha2::Sha384::digest(value.as_bytes()).to_vec(),
        "RS512" | "ES512" | "PS512" | "EdDSA" => sha2::Sha512::digest(value.as_bytes()).to_vec(),
        other => panic!("no hash for alg {other}"),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2), computed here independently of the server's code.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// The header and claims of a JWS, unverified.
pub fn decode(token: &str) -> (Map<String, Value>, Map<String, Value>) {
    let jws = UnverifiedJws::parse(token).unwrap_or_else(|e| panic!("not a JWS ({e:?}): {token}"));
    (jws.header.clone(), jws.claims.clone())
}

/// Verifies a JWS against a JWKS.
pub fn verify(token: &str, jwks: &Value) -> Result<(), String> {
    let keys: Vec<Jwk> = serde_json::from_value(jwks["keys"].clone()).map_err(|e| e.to_string())?;
    let jws = UnverifiedJws::parse(token).map_err(|e| format!("{e:?}"))?;
    jws.verify(&keys).map_err(|e| format!("{e:?}"))
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}
