//! The relying party's side of logout, shared by the three logout plans: an RP registered with a
//! `post_logout_redirect_uri`, a sign-in that keeps the ID token, the request to the end-session endpoint, the
//! confirmation page pressed as a user would, and the checks of what comes back.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Agent, Op, Outcome, Rp, checks, random, unescape};
use crate::common;

/// Where the RP wants the browser back after logout (registered; never visited).
pub const POST_LOGOUT: &str = "https://rp.example.com/post_logout_redirect";

/// A `state` of 128 characters, as the OIDF suite sends to see that the OP does not corrupt a long one.
pub fn long_state() -> String {
    let mut s = String::new();
    while s.len() < 128 {
        s.push_str(&random());
    }
    s.truncate(128);
    s
}

/// The errors a `prompt=none` request may answer when the user must sign in again (OIDC Core §3.1.2.6).
pub const NEEDS_USER: [&str; 4] = [
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
];

impl Op {
    /// An RP of the Basic plan registered with [`POST_LOGOUT`] as its post-logout redirect URI, and `extra`
    /// merged into `settings.oauthClient`.
    pub async fn logout_rp(&self, extra: Value) -> Rp {
        let mut settings = json!({"post_logout_redirect_uris": [POST_LOGOUT]});
        if let (Some(s), Value::Object(e)) = (settings.as_object_mut(), extra) {
            s.extend(e);
        }
        self.register(settings, json!({})).await
    }

    /// Signs the agent in through `rp` (code flow, every check); the ID token and its claims.
    pub async fn sign_in(&self, agent: &mut Agent, rp: &Rp) -> (String, Map<String, Value>) {
        let req = rp.request();
        let p = self.authorize(agent, &req).await.success(self, &req);
        let (status, tokens) = self.redeem(rp, &p["code"]).await;
        assert_eq!(status, 200, "{tokens}");
        let id_token = tokens["id_token"].as_str().expect("id_token").to_owned();
        let claims = self.id_token(rp, &id_token, req.get("nonce")).await;
        (id_token, claims)
    }

    /// Sends the browser to the end-session endpoint with `params` (GET) and walks the OP's pages.
    pub async fn end_session(&self, agent: &mut Agent, params: &[(&str, &str)]) -> Outcome {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let url = format!("{}?{query}", self.endpoint("end_session_endpoint"));
        let page = agent.browser.get(&url).await;
        self.walk(agent, page).await
    }

    /// The same request as a form POST (RP-Initiated Logout §2: OPs support GET and POST).
    pub async fn end_session_post(&self, agent: &mut Agent, params: &[(&str, &str)]) -> Outcome {
        let page = agent
            .browser
            .post(&self.endpoint("end_session_endpoint"), params)
            .await;
        self.walk(agent, page).await
    }

    /// Presses "Sign out" on the OP's confirmation page.
    pub async fn confirm_logout(&self, agent: &mut Agent, outcome: &Outcome) -> Outcome {
        let body = confirmation(outcome).unwrap_or_else(|| panic!("no confirmation: {outcome:?}"));
        let start = body
            .find("<form method=\"post\" action=\"")
            .expect("a form")
            + "<form method=\"post\" action=\"".len();
        let action = unescape(body[start..].split('"').next().expect("action"));
        let form = &body[start
            ..body[start..]
                .find("</form>")
                .map_or(body.len(), |e| start + e)];
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut rest = form;
        while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
            rest = &rest[i + "<input type=\"hidden\" name=\"".len()..];
            let name = unescape(rest.split('"').next().expect("name"));
            let v = rest.find("value=\"").expect("value") + "value=\"".len();
            fields.push((name, unescape(rest[v..].split('"').next().expect("value"))));
        }
        fields.push(("confirm".into(), "yes".into()));
        let url = format!("{}{action}", self.url("").trim_end_matches('/'));
        let page = common::browser::post_owned(&mut agent.browser, &url, fields).await;
        self.walk(agent, page).await
    }

    /// The user is signed out: a `prompt=none` request through `rp` answers with an error that needs the user.
    pub async fn assert_signed_out(&self, agent: &mut Agent, rp: &Rp) {
        let req = rp.request().set("prompt", "none");
        let error = self.authorize(agent, &req).await.error(self, &req);
        assert!(NEEDS_USER.contains(&error.as_str()), "{error}");
    }

    /// The user is still signed in: `prompt=none` succeeds.
    pub async fn assert_signed_in(&self, agent: &mut Agent, rp: &Rp) {
        let req = rp.request().set("prompt", "none");
        self.authorize(agent, &req).await.success(self, &req);
    }
}

/// The confirmation page's body, if that is where the browser stopped.
pub fn confirmation(outcome: &Outcome) -> Option<&str> {
    match outcome {
        Outcome::Page { status: 200, body } if body.contains("id=\"logout-confirm\"") => Some(body),
        _ => None,
    }
}

/// The signed-out page (no redirect to the RP); its body.
pub fn assert_signed_out_page(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Page { status: 200, body } if body.contains("You have signed out") => body,
        other => panic!("expected the signed-out page, got {other:?}"),
    }
}

/// The post-logout redirect: to [`POST_LOGOUT`] exactly, with `state` when one was sent and nothing else
/// (CheckPostLogoutState, CheckForUnexpectedParametersInPostLogoutRedirect).
pub fn assert_post_logout_redirect(outcome: &Outcome, state: Option<&str>) {
    match outcome {
        Outcome::Redirect {
            url,
            query,
            fragment,
        } => {
            assert!(url.starts_with(POST_LOGOUT), "{url}");
            assert!(fragment.is_empty(), "{url}");
            let mut expected = BTreeMap::new();
            if let Some(s) = state {
                expected.insert("state".to_owned(), s.to_owned());
            }
            assert_eq!(query, &expected, "only state comes back: {url}");
        }
        other => panic!("expected the post-logout redirect, got {other:?}"),
    }
}

/// "The OP must not redirect back": an error page, or a confirmation whose answer is no redirect either.
pub async fn assert_no_redirect(op: &Op, agent: &mut Agent, outcome: Outcome) {
    if confirmation(&outcome).is_some() {
        let after = op.confirm_logout(agent, &outcome).await;
        assert_signed_out_page(&after);
    } else {
        outcome.assert_error_page();
    }
}

/// Verifies a logout token as an RP would (Back-Channel Logout §2.6) with the OIDF suite's checks: signed by
/// exactly one published key matching `kid` and `alg`, `typ` `logout+jwt`, exactly the claims the specification
/// requires and allows (`iss`, `aud`, `iat`, `exp`, `jti`, `events`, `sub`, `sid`), no `nonce`; `sub` and `sid`
/// those of `id_token` (the ID token's claims).
pub fn logout_token(
    op: &Op,
    jwks: &Value,
    rp: &Rp,
    token: &str,
    id_token: &Map<String, Value>,
) -> Map<String, Value> {
    checks::jwks_structure(jwks);
    let (header, claims) = super::decode(token);
    assert_eq!(header["typ"], "logout+jwt", "{header:?}");
    let alg = header["alg"].as_str().expect("alg");
    assert_ne!(alg, "none");
    let kid = header["kid"].as_str().expect("kid");
    let matching = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|k| k["kid"] == kid && k.get("alg").is_none_or(|a| a == alg))
        .count();
    assert_eq!(matching, 1, "exactly one key matches kid {kid}");
    super::verify(token, jwks).expect("signed by the published key");
    let mut names: Vec<&str> = claims.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["aud", "events", "exp", "iat", "iss", "jti", "sid", "sub"],
        "exactly the logout token's claims: {claims:?}"
    );
    assert_eq!(claims["iss"], op.issuer);
    assert_eq!(claims["aud"], rp.client_id.as_str());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let iat = claims["iat"].as_i64().expect("iat a number");
    assert!((iat - now).abs() <= 300, "iat within 5 minutes of now");
    let exp = claims["exp"].as_i64().expect("exp a number");
    assert!(exp > now && exp <= iat + 600, "a short exp: {exp}");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert_eq!(
        claims["events"],
        json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(claims.get("nonce").is_none(), "never a nonce");
    assert_eq!(claims["sub"], id_token["sub"], "sub of the ID token");
    assert_eq!(claims["sid"], id_token["sid"], "sid of the ID token");
    claims
}

/// The front-channel frames of the signed-out page: each `src`, as the browser loads it.
pub fn frames(outcome: &Outcome) -> Vec<String> {
    let body = assert_signed_out_page(outcome);
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("<iframe ") {
        rest = &rest[i..];
        let s = rest.find("src=\"").expect("src") + "src=\"".len();
        out.push(unescape(rest[s..].split('"').next().expect("src")));
        rest = &rest[s..];
    }
    out
}

/// Where the signed-out page goes on to once its frames have loaded (its "Continue" link), as a redirect would.
pub fn continue_to(outcome: &Outcome) -> Outcome {
    let body = assert_signed_out_page(outcome);
    let marker = "<a id=\"continue\" href=\"";
    let start = body.find(marker).expect("a continue link") + marker.len();
    Outcome::redirect(&unescape(body[start..].split('"').next().expect("href")))
}
