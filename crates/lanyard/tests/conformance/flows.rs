//! The OIDF modules the Implicit, Hybrid and Form Post plans run once per response type (and response mode),
//! written once here with the variant as a parameter, and instantiated by each plan's file with [`modules!`]. A
//! module here is the OIDF module of the same name (`oidcc-` dropped, `-` as `_`), with the checks of every flow
//! (`op::checks`) applied to each answer, plus those every response type brings: tokens only where the type names
//! them, never in the query; `at_hash` and `c_hash` of the authorization endpoint's ID token; a hybrid flow's code
//! redeemed at the token endpoint for an ID token about the same `sub`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::common;
use crate::op::{
    Agent, AuthRequest, Op, Outcome, Rp, checks, decode, request_objects, unsigned_request_object,
};

/// A plan's variant: the response type, and whether the response comes as a form post
/// (`response_mode=form_post`, the Form Post plans) or in the response type's default mode (the fragment for
/// implicit and hybrid types, the query for `code`).
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    pub response_type: &'static str,
    pub form_post: bool,
}

impl Variant {
    pub const fn new(response_type: &'static str, form_post: bool) -> Variant {
        Variant {
            response_type,
            form_post,
        }
    }

    fn has(&self, part: &str) -> bool {
        self.response_type.split(' ').any(|p| p == part)
    }

    fn code(&self) -> bool {
        self.has("code")
    }

    /// The grant types an app registers for it (implicit is off by default: the RP asks for it).
    fn grant_types(&self) -> Vec<&'static str> {
        let mut g = Vec::new();
        if self.code() {
            g.extend(["authorization_code", "refresh_token"]);
        }
        if self.has("id_token") || self.has("token") {
            g.push("implicit");
        }
        g
    }

    /// The RP of the plan, registered for this response type through the Apps API.
    pub async fn rp(&self, op: &Op) -> Rp {
        self.rp_with(op, json!({})).await
    }

    /// The same with `credentials` merged into `credentials.oauthClient`.
    pub async fn rp_with(&self, op: &Op, credentials: Value) -> Rp {
        self.rp_registering(op, json!({}), credentials).await
    }

    /// The same with `settings` merged into `settings.oauthClient` too.
    pub async fn rp_registering(&self, op: &Op, settings: Value, credentials: Value) -> Rp {
        let response_types: Vec<&str> = self.response_type.split(' ').collect();
        let mut s = json!({"grant_types": self.grant_types(), "response_types": response_types});
        if let (Some(s), Value::Object(extra)) = (s.as_object_mut(), settings) {
            s.extend(extra);
        }
        op.register(s, credentials).await
    }

    /// The plan's usual request: this response type (and `response_mode=form_post` in the Form Post plans),
    /// `openid`, a fresh `state` and `nonce`.
    pub fn request(&self, rp: &Rp) -> AuthRequest {
        let req = rp.request().set("response_type", self.response_type);
        if self.form_post {
            req.set("response_mode", "form_post")
        } else {
            req
        }
    }
}

/// What a successful flow produced: the authorization response, its ID token's claims, and — when a code came
/// back — the token endpoint's response and its ID token's claims.
#[derive(Debug)]
pub struct Tokens {
    pub front: BTreeMap<String, String>,
    pub front_id: Option<Map<String, Value>>,
    pub back: Option<Value>,
    pub back_id: Option<Map<String, Value>>,
}

impl Tokens {
    /// The access token the RP calls userinfo with: the token endpoint's when there is one, else the
    /// authorization endpoint's.
    pub fn access_token(&self) -> Option<&str> {
        self.back
            .as_ref()
            .and_then(|b| b["access_token"].as_str())
            .or_else(|| self.front.get("access_token").map(String::as_str))
    }

    /// The first ID token the RP got (the authorization endpoint's, else the token endpoint's).
    pub fn id_token(&self) -> &str {
        self.front
            .get("id_token")
            .map(String::as_str)
            .or_else(|| self.back.as_ref().and_then(|b| b["id_token"].as_str()))
            .expect("an ID token")
    }

    /// Its claims.
    pub fn claims(&self) -> &Map<String, Value> {
        self.front_id
            .as_ref()
            .or(self.back_id.as_ref())
            .expect("an ID token")
    }

    pub fn sub(&self) -> &str {
        self.claims()["sub"].as_str().expect("sub")
    }

    pub fn auth_time(&self) -> i64 {
        self.claims()["auth_time"].as_i64().expect("auth_time")
    }
}

/// Checks a successful answer as the OIDF suite would for its response type and mode, redeems the code when
/// there is one, and verifies every ID token.
pub async fn finish(op: &Op, rp: &Rp, req: &AuthRequest, outcome: &Outcome) -> Tokens {
    let front = outcome.success(op, req);
    let response_type = req.get("response_type").unwrap_or_default();
    let front_channel = response_type
        .split(' ')
        .any(|t| t == "token" || t == "id_token");
    match outcome {
        Outcome::FormPost(form) => {
            assert_eq!(
                req.get("response_mode"),
                Some("form_post"),
                "a form only when asked for"
            );
            assert_eq!(
                form.action, rp.redirect_uri,
                "the form posts to the redirect URI itself, nothing in its URL"
            );
        }
        Outcome::Redirect {
            url,
            query,
            fragment,
        } => {
            assert_ne!(req.get("response_mode"), Some("form_post"), "{url}");
            if front_channel || req.get("response_mode") == Some("fragment") {
                assert!(query.is_empty(), "nothing in the query: {url}");
            } else {
                assert!(fragment.is_empty(), "nothing in the fragment: {url}");
            }
        }
        Outcome::Page { .. } => unreachable!("success() accepts answers for the RP only"),
    }
    let nonce = req.get("nonce");
    let front_id = match front.get("id_token") {
        Some(t) => {
            let claims = op.id_token(rp, t, nonce).await;
            if let Some(at) = front.get("access_token") {
                checks::half_hash_claim(t, "at_hash", at);
            }
            if let Some(code) = front.get("code") {
                checks::half_hash_claim(t, "c_hash", code);
            }
            if claims.contains_key("s_hash")
                && let Some(state) = req.get("state")
            {
                checks::half_hash_claim(t, "s_hash", state);
            }
            Some(claims)
        }
        None => None,
    };
    if front.contains_key("access_token") {
        assert!(
            front["token_type"].eq_ignore_ascii_case("bearer"),
            "token_type: {front:?}"
        );
        assert!(front.contains_key("expires_in"), "expires_in: {front:?}");
        assert!(
            !front.contains_key("refresh_token"),
            "no refresh token from the authorization endpoint"
        );
    }
    let (back, back_id) = match front.get("code") {
        Some(code) => {
            let (status, body) = op.redeem(rp, code).await;
            assert_eq!(status, 200, "the code is redeemed: {body}");
            let t = body["id_token"].as_str().expect("an ID token for openid");
            let claims = op.id_token(rp, t, nonce).await;
            checks::half_hash_claim(t, "at_hash", body["access_token"].as_str().expect("at"));
            if let Some(f) = &front_id {
                for c in ["iss", "sub", "aud"] {
                    assert_eq!(
                        claims[c], f[c],
                        "{c}: the same at both endpoints (OIDC Core §3.3.3.6)"
                    );
                }
            }
            (Some(body), Some(claims))
        }
        None => (None, None),
    };
    Tokens {
        front,
        front_id,
        back,
        back_id,
    }
}

/// A whole flow for `req` in `agent`'s browser.
pub async fn flow(op: &Op, rp: &Rp, agent: &mut Agent, req: &AuthRequest) -> Tokens {
    let outcome = op.authorize(agent, req).await;
    finish(op, rp, req, &outcome).await
}

/// The error an RP gets for `req`, or `None` when the OP showed an error page instead (both satisfy the OIDF
/// modules that expect a refusal).
async fn refusal(op: &Op, agent: &mut Agent, req: &AuthRequest) -> Option<String> {
    match op.authorize(agent, req).await {
        page @ Outcome::Page { .. } => {
            page.assert_error_page();
            None
        }
        answer => Some(answer.error(op, req)),
    }
}

#[derive(Clone, Copy)]
enum Userinfo {
    Get,
    PostHeader,
    PostBody,
}

/// Userinfo called as the OIDF modules do; its claims, after checking `sub` is the ID token's.
async fn userinfo(op: &Op, tokens: &Tokens, how: Userinfo) -> Map<String, Value> {
    let at = tokens.access_token().expect("an access token");
    let url = op.endpoint("userinfo_endpoint");
    let req = match how {
        Userinfo::Get => common::client().get(&url).bearer_auth(at),
        Userinfo::PostHeader => common::client().post(&url).bearer_auth(at),
        Userinfo::PostBody => common::client().post(&url).form(&[("access_token", at)]),
    };
    let r = req.send().await.expect("userinfo");
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "userinfo: {body}");
    assert_eq!(
        body["sub"],
        tokens.sub(),
        "userinfo's sub is the ID token's"
    );
    let claims = body.as_object().cloned().expect("a JSON object");
    checks::standard_claims(&claims);
    claims
}

/// oidcc-server: the happy flow for the response type, then userinfo with the access token, if any.
pub async fn server(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let tokens = flow(&op, &rp, &mut Agent::default(), &v.request(&rp)).await;
    if tokens.access_token().is_some() {
        userinfo(&op, &tokens, Userinfo::Get).await;
    }
}

/// oidcc-server-client-secret-post: the same, the code redeemed with `client_secret_post`.
pub async fn server_client_secret_post(v: Variant) {
    let op = Op::start().await;
    let rp = v
        .rp_with(
            &op,
            json!({"token_endpoint_auth_method": "client_secret_post"}),
        )
        .await;
    assert_eq!(rp.auth_method, "client_secret_post");
    flow(&op, &rp, &mut Agent::default(), &v.request(&rp)).await;
}

/// oidcc-response-type-missing: no `response_type` → an error page, or `invalid_request` /
/// `unsupported_response_type` for the RP.
pub async fn response_type_missing(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp).without("response_type");
    if let Some(error) = refusal(&op, &mut Agent::default(), &req).await {
        assert!(
            ["invalid_request", "unsupported_response_type"].contains(&error.as_str()),
            "{error}"
        );
    }
}

/// oidcc-idtoken-signature: the ID token is signed (RS256 by default) by a published key named by `kid`.
pub async fn idtoken_signature(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let tokens = flow(&op, &rp, &mut Agent::default(), &v.request(&rp)).await;
    for t in [
        tokens.front.get("id_token").map(String::as_str),
        tokens.back.as_ref().and_then(|b| b["id_token"].as_str()),
    ]
    .into_iter()
    .flatten()
    {
        let (header, _) = decode(t);
        assert_eq!(header["alg"], "RS256", "RS256 by default");
        assert!(header["kid"].is_string(), "a kid");
    }
}

/// oidcc-idtoken-unsigned: does not apply — Lanyard signs every ID token: `none` is not advertised, and an app
/// cannot register it (the OIDF suite skips the module for such an OP); this asserts exactly that.
pub async fn idtoken_unsigned(v: Variant) {
    let op = Op::start().await;
    let algs = op.meta["id_token_signing_alg_values_supported"]
        .as_array()
        .expect("id_token_signing_alg_values_supported");
    assert!(!algs.iter().any(|a| a == "none"), "{algs:?}");
    let response_types: Vec<&str> = v.response_type.split(' ').collect();
    let body = json!({"label": "Unsigned", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "settings": {"oauthClient": {"redirect_uris": [crate::op::REDIRECT],
            "grant_types": v.grant_types(), "response_types": response_types,
            "id_token_signed_response_alg": "none"}}});
    let (status, e) = op
        .env
        .admin(reqwest::Method::POST, "/api/v1/apps", Some(body))
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["errorCauses"]
            .to_string()
            .contains("id_token_signed_response_alg"),
        "{e}"
    );
}

async fn userinfo_module(v: Variant, how: Userinfo) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let tokens = flow(&op, &rp, &mut Agent::default(), &v.request(&rp)).await;
    userinfo(&op, &tokens, how).await;
}

/// oidcc-userinfo-get: userinfo by GET with the token in the header.
pub async fn userinfo_get(v: Variant) {
    userinfo_module(v, Userinfo::Get).await;
}

/// oidcc-userinfo-post-header: by POST with the token in the header.
pub async fn userinfo_post_header(v: Variant) {
    userinfo_module(v, Userinfo::PostHeader).await;
}

/// oidcc-userinfo-post-body: by POST with the token in the form body.
pub async fn userinfo_post_body(v: Variant) {
    userinfo_module(v, Userinfo::PostBody).await;
}

/// oidcc-ensure-request-without-nonce-fails: an ID token from the authorization endpoint needs a nonce; without
/// one, an error page or `invalid_request` (in the fragment, or posted).
pub async fn ensure_request_without_nonce_fails(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp).without("nonce");
    if let Some(error) = refusal(&op, &mut Agent::default(), &req).await {
        assert_eq!(error, "invalid_request");
    }
}

/// oidcc-ensure-request-without-nonce-succeeds-for-code-flow: no nonce needed when no ID token leaves the
/// authorization endpoint (`code`, `code token`); the ID token then has none.
pub async fn ensure_request_without_nonce_succeeds_for_code_flow(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp).without("nonce");
    let tokens = flow(&op, &rp, &mut Agent::default(), &req).await;
    assert!(tokens.claims().get("nonce").is_none());
}

/// The claims a scope releases, in the ID tokens and in userinfo together (OIDC Core §5.4); each module checks a
/// few that Ada's profile has.
async fn scope_module(v: Variant, scope: &str, expected: &[&str]) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp).set("scope", scope);
    let tokens = flow(&op, &rp, &mut Agent::default(), &req).await;
    let mut all = tokens.claims().clone();
    if let Some(back) = &tokens.back_id {
        all.extend(back.clone());
    }
    if tokens.access_token().is_some() {
        all.extend(userinfo(&op, &tokens, Userinfo::Get).await);
    }
    for claim in expected {
        assert!(all.contains_key(*claim), "{scope}: {claim} in {all:?}");
    }
    if v.response_type == "id_token" {
        // No access token, no userinfo: the claims are in the ID token itself.
        for claim in expected {
            assert!(
                tokens.claims().contains_key(*claim),
                "{claim} in the ID token"
            );
        }
    }
}

const PROFILE: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "zoneinfo",
    "locale",
    "updated_at",
];

/// oidcc-scope-profile.
pub async fn scope_profile(v: Variant) {
    scope_module(v, "openid profile", PROFILE).await;
}

/// oidcc-scope-email.
pub async fn scope_email(v: Variant) {
    scope_module(v, "openid email", &["email", "email_verified"]).await;
}

/// oidcc-scope-address.
pub async fn scope_address(v: Variant) {
    scope_module(v, "openid address", &["address"]).await;
}

/// oidcc-scope-phone.
pub async fn scope_phone(v: Variant) {
    scope_module(v, "openid phone", &["phone_number"]).await;
}

/// oidcc-scope-all.
pub async fn scope_all(v: Variant) {
    let mut all = PROFILE.to_vec();
    all.extend(["email", "email_verified", "address", "phone_number"]);
    scope_module(v, "openid profile email address phone", &all).await;
}

/// oidcc-ensure-other-scope-order-succeeds: scopes in another order, `openid` not first.
pub async fn ensure_other_scope_order_succeeds(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp).set("scope", "email openid");
    let tokens = flow(&op, &rp, &mut Agent::default(), &req).await;
    assert!(!tokens.sub().is_empty());
}

/// A request with one more parameter the OP must accept (and may ignore): success.
async fn succeeds_with(v: Variant, name: &str, value: &str) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp).set(name, value);
    flow(&op, &rp, &mut Agent::default(), &req).await;
}

/// oidcc-display-page.
pub async fn display_page(v: Variant) {
    succeeds_with(v, "display", "page").await;
}

/// oidcc-display-popup.
pub async fn display_popup(v: Variant) {
    succeeds_with(v, "display", "popup").await;
}

/// oidcc-ensure-request-with-unknown-parameter-succeeds.
pub async fn ensure_request_with_unknown_parameter_succeeds(v: Variant) {
    succeeds_with(v, "extra", "foobar").await;
}

/// oidcc-login-hint: the user's login as a hint.
pub async fn login_hint(v: Variant) {
    succeeds_with(v, "login_hint", crate::op::LOGIN).await;
}

/// oidcc-ui-locales.
pub async fn ui_locales(v: Variant) {
    succeeds_with(v, "ui_locales", "se").await;
}

/// oidcc-claims-locales.
pub async fn claims_locales(v: Variant) {
    succeeds_with(v, "claims_locales", "se").await;
}

/// oidcc-ensure-request-with-acr-values-succeeds: values the OP does not know are no reason to fail.
pub async fn ensure_request_with_acr_values_succeeds(v: Variant) {
    succeeds_with(v, "acr_values", "1 2").await;
}

/// oidcc-prompt-login: signed in, then `prompt=login` shows the sign-in page again; `auth_time` is later.
pub async fn prompt_login(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let mut agent = Agent::default();
    let first = flow(&op, &rp, &mut agent, &v.request(&rp)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let req = v.request(&rp).set("prompt", "login");
    let second = flow(&op, &rp, &mut agent, &req).await;
    assert_eq!(agent.sign_ins, 2, "the sign-in page again");
    assert_eq!(second.sub(), first.sub());
    assert!(second.auth_time() > first.auth_time(), "a later auth_time");
}

/// oidcc-prompt-none-not-logged-in: no session → `login_required` (or a kindred error), as the response type's
/// mode carries it.
pub async fn prompt_none_not_logged_in(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp).set("prompt", "none");
    let error = op
        .authorize(&mut Agent::default(), &req)
        .await
        .error(&op, &req);
    assert!(
        [
            "login_required",
            "interaction_required",
            "consent_required",
            "account_selection_required"
        ]
        .contains(&error.as_str()),
        "{error}"
    );
}

/// oidcc-prompt-none-logged-in: signed in, then `prompt=none` succeeds silently: same `sub`, same `auth_time`.
pub async fn prompt_none_logged_in(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let mut agent = Agent::default();
    let first = flow(&op, &rp, &mut agent, &v.request(&rp)).await;
    agent.sign_in = false;
    let req = v.request(&rp).set("prompt", "none");
    let second = flow(&op, &rp, &mut agent, &req).await;
    assert_eq!(second.sub(), first.sub());
    assert_eq!(second.auth_time(), first.auth_time());
}

/// oidcc-max-age-1: after two seconds, `max_age=1` sends the user to sign in again; `auth_time` is later.
pub async fn max_age_1(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let mut agent = Agent::default();
    let first = flow(&op, &rp, &mut agent, &v.request(&rp)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let req = v.request(&rp).set("max_age", "1");
    let second = flow(&op, &rp, &mut agent, &req).await;
    assert_eq!(agent.sign_ins, 2, "the sign-in page again");
    assert!(second.auth_time() > first.auth_time(), "a later auth_time");
}

/// oidcc-max-age-10000: a recent session satisfies `max_age=10000`: no sign-in, the same `auth_time`.
pub async fn max_age_10000(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let mut agent = Agent::default();
    let first = flow(&op, &rp, &mut agent, &v.request(&rp)).await;
    let req = v.request(&rp).set("max_age", "10000");
    let second = flow(&op, &rp, &mut agent, &req).await;
    assert_eq!(agent.sign_ins, 1, "no sign-in");
    assert_eq!(second.auth_time(), first.auth_time());
}

/// oidcc-id-token-hint: signed in, then `prompt=none` with the first ID token as `id_token_hint` succeeds
/// silently for the same user.
pub async fn id_token_hint(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let mut agent = Agent::default();
    let first = flow(&op, &rp, &mut agent, &v.request(&rp)).await;
    agent.sign_in = false;
    let req = v
        .request(&rp)
        .set("prompt", "none")
        .set("id_token_hint", first.id_token());
    let second = flow(&op, &rp, &mut agent, &req).await;
    assert_eq!(second.sub(), first.sub());
}

/// oidcc-ensure-registered-redirect-uri: an unregistered redirect URI gets an error page, never a redirect, for
/// any response type and mode.
pub async fn ensure_registered_redirect_uri(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v
        .request(&rp)
        .set("redirect_uri", "https://rp.example.com/elsewhere");
    op.authorize(&mut Agent::default(), &req)
        .await
        .assert_error_page();
}

/// oidcc-ensure-post-request-succeeds: the authorization request sent as a form POST.
pub async fn ensure_post_request_succeeds(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp);
    let outcome = op.authorize_post(&mut Agent::default(), &req).await;
    finish(&op, &rp, &req, &outcome).await;
}

/// The code of a successful flow, not yet redeemed, with the flow's request.
async fn code_of(op: &Op, rp: &Rp, v: Variant) -> (String, AuthRequest) {
    let req = v.request(rp);
    let p = op
        .authorize(&mut Agent::default(), &req)
        .await
        .success(op, &req);
    (p["code"].clone(), req)
}

/// oidcc-codereuse: a code redeemed twice → 400 `invalid_grant`.
pub async fn codereuse(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let (code, _) = code_of(&op, &rp, v).await;
    let (status, _) = op.redeem(&rp, &code).await;
    assert_eq!(status, 200);
    let (status, body) = op.redeem(&rp, &code).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

/// oidcc-codereuse-30seconds: the second use 30 s later fails too, and the access token of the first is then
/// refused by userinfo (RFC 6749 §4.1.2).
pub async fn codereuse_30seconds(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let (code, _) = code_of(&op, &rp, v).await;
    let (status, first) = op.redeem(&rp, &code).await;
    assert_eq!(status, 200);
    let at = first["access_token"].as_str().expect("access_token");
    let (status, _, _) = op.userinfo(at).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let (status, body) = op.redeem(&rp, &code).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    let (status, _, body) = op.userinfo(at).await;
    assert_eq!(status, 401, "the first access token is revoked: {body}");
}

/// oidcc-refresh-token: a refresh returns an ID token with the same `iss`, `sub`, `aud`, `azp` and `auth_time`
/// and a new `iat`; another client's refresh token is refused with `invalid_grant`.
pub async fn refresh_token(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let req = v.request(&rp).set("scope", "openid offline_access");
    let tokens = flow(&op, &rp, &mut Agent::default(), &req).await;
    let back = tokens.back.as_ref().expect("a token response");
    let back_id = tokens.back_id.as_ref().expect("an ID token");
    let rt = back["refresh_token"]
        .as_str()
        .expect("a refresh token with offline_access");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, refreshed) = op
        .token(
            &rp,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let t = refreshed["id_token"].as_str().expect("a new ID token");
    let claims = op.id_token(&rp, t, None).await;
    for c in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(claims.get(c), back_id.get(c), "{c} kept");
    }
    assert!(
        claims["iat"].as_i64() > back_id["iat"].as_i64(),
        "a new iat"
    );
    // Another client cannot use it.
    let other = v.rp(&op).await;
    let rt2 = refreshed["refresh_token"].as_str().expect("rotated");
    let (status, body) = op
        .token(
            &other,
            &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

/// oidcc-ensure-request-with-valid-pkce-succeeds: S256 PKCE with the code of the response type.
pub async fn ensure_request_with_valid_pkce_succeeds(v: Variant) {
    use base64::Engine;
    use sha2::Digest;
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let verifier = format!("{}{}", crate::op::random(), crate::op::random());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let req = v
        .request(&rp)
        .set("code_challenge", &challenge)
        .set("code_challenge_method", "S256");
    let p = op
        .authorize(&mut Agent::default(), &req)
        .await
        .success(&op, &req);
    let (status, body) = op
        .token(
            &rp,
            &[
                ("grant_type", "authorization_code"),
                ("code", &p["code"]),
                ("redirect_uri", &rp.redirect_uri),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    op.id_token(
        &rp,
        body["id_token"].as_str().expect("id_token"),
        req.get("nonce"),
    )
    .await;
}

/// The request's parameters as the claims of a request object: `aud` the issuer, `iss` the client.
fn request_object_claims(op: &Op, req: &AuthRequest) -> Value {
    let mut claims = Map::new();
    for (k, v) in &req.params {
        claims.insert(k.clone(), json!(v));
    }
    claims.insert("aud".into(), json!(op.issuer));
    claims.insert("iss".into(), json!(req.get("client_id")));
    Value::Object(claims)
}

/// The parameters sent next to a request object: those OIDC Core §6.1 wants outside too (`response_type`,
/// `client_id`, `scope`), `redirect_uri`, and `response_mode` (so that a refusal reaches a form post RP as one).
fn outside_the_object(req: &AuthRequest) -> AuthRequest {
    let mut out = req.clone();
    out.params.retain(|(k, _)| {
        [
            "response_type",
            "client_id",
            "scope",
            "redirect_uri",
            "response_mode",
        ]
        .contains(&k.as_str())
    });
    out
}

/// oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: an unsigned request object is
/// processed (Lanyard advertises `request_parameter_supported: true`): the flow completes in the response type's
/// mode with the object's `state` and `nonce`.
pub async fn unsigned_request_object_supported_correctly_or_rejected_as_unsupported(v: Variant) {
    let op = Op::start().await;
    assert_eq!(op.meta["request_parameter_supported"], true);
    let rp = v.rp(&op).await;
    let full = v.request(&rp);
    let object = unsigned_request_object(&request_object_claims(&op, &full));
    let req = outside_the_object(&full).set("request", &object);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    finish(&op, &rp, &full, &outcome).await;
}

/// oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: the same object by reference is
/// fetched and processed (`request_uri_parameter_supported: true`). The OIDF suite hosts it on https, which any
/// client may use; here a loopback http URL the RP registers in `request_uris`.
pub async fn request_uri_unsigned_supported_correctly_or_rejected_as_unsupported(v: Variant) {
    let op = Op::start().await;
    assert_eq!(op.meta["request_uri_parameter_supported"], true);
    let hosted = request_objects::Hosted::start().await;
    let rp = v
        .rp_registering(&op, json!({"request_uris": [hosted.url]}), json!({}))
        .await;
    let full = v.request(&rp);
    hosted.put(&unsigned_request_object(&request_object_claims(&op, &full)));
    let req = outside_the_object(&full).set("request_uri", &hosted.url);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    finish(&op, &rp, &full, &outcome).await;
}

/// oidcc-ensure-request-object-with-redirect-uri: the registered redirect URI only inside the request object, an
/// unregistered one outside: Lanyard processes request objects, so the inner one is used (OIDC Core §6.3.3) and
/// the flow completes there — never at the outside one.
pub async fn ensure_request_object_with_redirect_uri(v: Variant) {
    let op = Op::start().await;
    let rp = v.rp(&op).await;
    let full = v.request(&rp);
    let object = unsigned_request_object(&request_object_claims(&op, &full));
    let req = outside_the_object(&full)
        .set("redirect_uri", "https://rp.example.com/invalid-redirect")
        .set("request", &object);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    finish(&op, &rp, &full, &outcome).await;
}

/// oidcc-claims-essential: `name` asked for as essential with only `openid` — in the ID token for
/// `response_type=id_token` (no access token, no userinfo), else in userinfo, and then not in the ID tokens (both
/// WARNINGs in the OIDF suite; asserted here).
pub async fn claims_essential(v: Variant) {
    let op = Op::start().await;
    assert_eq!(op.meta["claims_parameter_supported"], true);
    let rp = v.rp(&op).await;
    let id_token_only = v.response_type == "id_token";
    let claims = if id_token_only {
        r#"{"id_token":{"name":{"essential":true}}}"#
    } else {
        r#"{"userinfo":{"name":{"essential":true}}}"#
    };
    let req = v.request(&rp).set("claims", claims);
    let tokens = flow(&op, &rp, &mut Agent::default(), &req).await;
    if id_token_only {
        assert_eq!(tokens.claims()["name"], "Ada Lovelace");
        return;
    }
    let info = userinfo(&op, &tokens, Userinfo::Get).await;
    assert_eq!(info["name"], "Ada Lovelace");
    for id in [&tokens.front_id, &tokens.back_id].into_iter().flatten() {
        assert!(!id.contains_key("name"), "name asked for userinfo only");
    }
}

/// One `#[tokio::test]` per module for a variant: `modules!(VARIANT => test_name: module, …)`, the test named
/// after the OIDF module with the response type appended where the plan runs it per response type.
macro_rules! modules {
    ($variant:expr => $($name:ident: $module:ident),* $(,)?) => {
        $(
            #[doc = concat!("`oidcc-", stringify!($module), "` (", stringify!($variant), ")")]
            #[tokio::test]
            async fn $name() {
                crate::flows::$module($variant).await
            }
        )*
    };
}
pub(crate) use modules;
