//! The authorization endpoint's protocol (RFC 6749 §4.1, RFC 7636, RFC 9207, OIDC Core §3.1.2, §3.2.2, §3.3.2,
//! OAuth 2.0 Multiple Response Types): validating a request in two stages — the client and redirect URI, whose
//! failures are shown on an error page and never redirected, then everything else, whose failures go back to the
//! client — and issuing the code. What goes back for each response type is
//! [`crate::oauth::authorization_response`].

use chrono::Duration;

use crate::apps::matched_redirect_uri;
use crate::clock::Timestamp;
use crate::model::{App, AuthorizationCode, ClaimsRequest, GrantType, LifecycleStatus};
use crate::oauth::acr::acr_for;
use crate::oauth::claims::parse_claims_request;
use crate::oauth::params::Params;
use crate::oauth::pkce;
use crate::oauth::tokens::opaque;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::Random;

/// How long a code lives.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

/// A response type (OAuth 2.0 Multiple Response Types §3, OIDC Core §3): which of a code, an ID token and an
/// access token the authorization endpoint returns. Lanyard supports `code` (the code flow), `id_token` and
/// `id_token token` (implicit), `code id_token`, `code token` and `code id_token token` (hybrid); not `token`
/// alone (an access token without an ID token to bind it, the OAuth 2.0 implicit grant RFC 9700 §2.1.2 advises
/// against), nor `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseType {
    pub code: bool,
    pub id_token: bool,
    pub token: bool,
}

impl ResponseType {
    pub const CODE: ResponseType = ResponseType {
        code: true,
        id_token: false,
        token: false,
    };

    /// Every supported response type, as discovery advertises them.
    pub const SUPPORTED: &'static [&'static str] = &[
        "code",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ];

    /// Parses the space-separated values of `response_type`, in any order (RFC 6749 §3.1.1).
    pub fn parse(values: &[String]) -> Option<ResponseType> {
        let mut rt = ResponseType {
            code: false,
            id_token: false,
            token: false,
        };
        for v in values {
            match v.as_str() {
                "code" => rt.code = true,
                "id_token" => rt.id_token = true,
                "token" => rt.token = true,
                _ => return None,
            }
        }
        (rt.code || rt.id_token).then_some(rt)
    }

    /// Whether tokens leave the authorization endpoint (implicit and hybrid flows): the response then never goes
    /// in the query (Multiple Response Types §5).
    pub fn front_channel(self) -> bool {
        self.id_token || self.token
    }

    /// The grant types an app needs for it: `authorization_code` for a code, `implicit` for tokens.
    pub fn grant_types(self) -> Vec<GrantType> {
        let mut g = Vec::with_capacity(2);
        if self.code {
            g.push(GrantType::AuthorizationCode);
        }
        if self.front_channel() {
            g.push(GrantType::Implicit);
        }
        g
    }

    /// The single values (`code`, `id_token`, `token`) it is made of, as apps register them.
    pub fn values(self) -> Vec<&'static str> {
        [
            (self.code, "code"),
            (self.id_token, "id_token"),
            (self.token, "token"),
        ]
        .into_iter()
        .filter_map(|(on, v)| on.then_some(v))
        .collect()
    }
}

impl std::fmt::Display for ResponseType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.values().join(" "))
    }
}

/// Where a response (or an error) goes back to: established once the client and redirect URI are trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
}

impl ReturnTo {
    /// The URL carrying `params` (query or fragment); for `form_post` the caller renders a form instead.
    pub fn url(&self, params: &[(&str, &str)]) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            s.append_pair(k, v);
        }
        if let Some(state) = &self.state {
            s.append_pair("state", state);
        }
        let encoded = s.finish();
        let sep = match self.mode {
            ResponseMode::Fragment => '#',
            _ if self.redirect_uri.contains('?') => '&',
            _ => '?',
        };
        format!("{}{sep}{encoded}", self.redirect_uri)
    }

    /// The parameters of an error response.
    pub fn error_params<'a>(
        &self,
        e: &'a OAuthError,
        iss: &'a str,
    ) -> Vec<(&'static str, &'a str)> {
        vec![
            ("error", e.code.as_str()),
            ("error_description", e.description.as_str()),
            ("iss", iss),
        ]
    }
}

/// A request that failed before the redirect URI could be trusted: an error page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError(pub OAuthError);

/// Stage one: the client exists, is active, may use the authorization endpoint, and the redirect URI is one of
/// its own.
pub fn check_client(params: &Params, app: Option<&App>) -> Result<ReturnTo, PageError> {
    let page = |code, d: &str| PageError(OAuthError::new(code, d));
    if params.get("client_id").is_none() {
        return Err(page(
            ErrorCode::InvalidRequest,
            "The 'client_id' parameter is required.",
        ));
    }
    let Some(app) = app.filter(|a| a.status == LifecycleStatus::Active) else {
        return Err(page(
            ErrorCode::InvalidClient,
            "The client_id of this request is not a registered, active application.",
        ));
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return Err(page(
            ErrorCode::InvalidRequest,
            "The 'redirect_uri' parameter is required.",
        ));
    };
    // The URI the browser goes to is the matched one's serialisation, never the raw parameter.
    let matched = app
        .client
        .redirect_uris
        .iter()
        .find_map(|r| matched_redirect_uri(r, redirect_uri, app.client.application_type));
    let Some(redirect_uri) = matched else {
        return Err(page(
            ErrorCode::InvalidRequest,
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.",
        ));
    };
    // Tokens never travel in the query: an implicit or hybrid request's answer — an error included, even one
    // about `response_mode=query` itself — goes in the fragment unless it asked for form_post.
    let front = params
        .list("response_type")
        .iter()
        .any(|t| t == "token" || t == "id_token");
    let mode = match params.get("response_mode") {
        None | Some("query") if front => ResponseMode::Fragment,
        None | Some("query") => ResponseMode::Query,
        Some("fragment") => ResponseMode::Fragment,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => {
            return Err(page(
                ErrorCode::InvalidRequest,
                "The 'response_mode' parameter must be query, fragment or form_post.",
            ));
        }
    };
    Ok(ReturnTo {
        redirect_uri,
        mode,
        state: params.get("state").map(str::to_owned),
    })
}

/// A valid authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub response_type: ResponseType,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// `none`, `login`, `consent`, `select_account`.
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// The Authn API's one-time token, in place of the sign-in page.
    pub session_token: Option<String>,
    /// The `claims` parameter (OIDC Core §5.5).
    pub claims: Option<ClaimsRequest>,
    /// `acr_values`, in the client's order of preference.
    pub acr_values: Vec<String>,
    /// `id_token_hint`, not yet verified (the handler holds the keys).
    pub id_token_hint: Option<String>,
}

impl AuthorizationRequest {
    pub fn prompt_none(&self) -> bool {
        self.prompt.iter().any(|p| p == "none")
    }

    /// Whether the user must sign in again whatever their session: `prompt=login`, or `prompt=select_account`
    /// (Lanyard has no account chooser: choosing an account is signing in with it).
    pub fn prompt_sign_in(&self) -> bool {
        self.prompt
            .iter()
            .any(|p| p == "login" || p == "select_account")
    }

    /// Whether a session signed in at `signed_in` satisfies the request at `now`: never with `prompt=login` or
    /// `select_account` (the user signs in again), and within `max_age` seconds when it is given.
    pub fn session_fresh_enough(
        &self,
        signed_in: crate::clock::Timestamp,
        now: crate::clock::Timestamp,
    ) -> bool {
        if self.prompt_sign_in() {
            return false;
        }
        match self.max_age {
            Some(max) => (now - signed_in).num_seconds() <= max,
            None => true,
        }
    }

    /// Whether the client asks for consent again (`prompt=consent`), whatever the user consented to before.
    pub fn prompt_consent(&self) -> bool {
        self.prompt.iter().any(|p| p == "consent")
    }

    /// The user a `claims` request names with `"sub": {"value": …}` (OIDC Core §3.1.2.1), if any.
    pub fn claimed_subject(&self) -> Option<&str> {
        let sub = self.claims.as_ref()?.id_token.get("sub")?;
        sub.wanted().first().copied()
    }

    /// The authentication context classes the client prefers: the values of an `acr` claim request, else
    /// `acr_values`.
    pub fn wanted_acr(&self) -> Vec<&str> {
        match self.claims.as_ref().and_then(|c| c.id_token.get("acr")) {
            Some(acr) if !acr.wanted().is_empty() => acr.wanted(),
            _ => self.acr_values.iter().map(String::as_str).collect(),
        }
    }

    /// What the classes the client asks for ([`Self::wanted_acr`]) ask of a session signed in with `amr`: an
    /// `acr` claim request counts as essential when it says so; `acr_values` never is.
    pub fn acr_requirement(&self, amr: &[String]) -> crate::oauth::acr::Requirement {
        let essential = self
            .claims
            .as_ref()
            .and_then(|c| c.id_token.get("acr"))
            .is_some_and(|acr| acr.essential && !acr.wanted().is_empty());
        crate::oauth::acr::requirement(&self.wanted_acr(), essential, amr)
    }
}

fn bad(code: ErrorCode, d: impl Into<String>) -> OAuthError {
    OAuthError::new(code, d)
}

/// Stage two: everything else, for a client already trusted by [`check_client`]. Errors go back to the client.
pub fn validate(
    params: &Params,
    app: &App,
    to: &ReturnTo,
) -> Result<AuthorizationRequest, OAuthError> {
    crate::oauth::request_object::ensure_resolved(params)?;
    let response_type = response_type(params, app)?;
    let scopes = params.list("scope");
    if scopes.is_empty() {
        return Err(bad(
            ErrorCode::InvalidScope,
            "The authorization request must include a 'scope' parameter.",
        ));
    }
    if response_type.id_token && !scopes.iter().any(|s| s == "openid") {
        return Err(bad(
            ErrorCode::InvalidScope,
            "An ID token (response_type id_token) needs the 'openid' scope.",
        ));
    }
    // OIDC Core §3.2.2.1, §3.3.2.11: wherever an ID token leaves the authorization endpoint, the nonce binds it to
    // the client's session (it is what protects it from replay).
    if response_type.id_token && params.get("nonce").is_none() {
        return Err(bad(
            ErrorCode::InvalidRequest,
            "The 'nonce' parameter is required when an ID token is returned from the authorization endpoint.",
        ));
    }
    // PKCE protects a code: a request for tokens alone has none to protect.
    let code_challenge = match params.get("code_challenge") {
        _ if !response_type.code => None,
        Some(c) => Some(pkce::check_challenge(
            c,
            params.get("code_challenge_method"),
        )?),
        None if app.client.pkce_required || app.client.is_public() => {
            return Err(bad(
                ErrorCode::InvalidRequest,
                "PKCE code challenge is required by this client (code_challenge with code_challenge_method=S256).",
            ));
        }
        None => {
            if params.get("code_challenge_method").is_some() {
                return Err(bad(
                    ErrorCode::InvalidRequest,
                    "code_challenge_method without code_challenge.",
                ));
            }
            None
        }
    };
    let prompt = params.list("prompt");
    for p in &prompt {
        if !matches!(p.as_str(), "none" | "login" | "consent" | "select_account") {
            return Err(bad(
                ErrorCode::InvalidRequest,
                format!("The prompt value '{p}' is not supported."),
            ));
        }
    }
    if prompt.len() > 1 && prompt.iter().any(|p| p == "none") {
        return Err(bad(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined with other values.",
        ));
    }
    // A client's registered `default_max_age` applies to requests that send none (OIDC Registration §2).
    let max_age = match params.get("max_age") {
        None => app.client.default_max_age(),
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            bad(
                ErrorCode::InvalidRequest,
                "The 'max_age' parameter must be a non-negative integer.",
            )
        })?),
    };
    let claims = params.get("claims").map(parse_claims_request).transpose()?;
    let _ = to;
    Ok(AuthorizationRequest {
        response_type,
        client_id: app.client.client_id.clone(),
        redirect_uri: to.redirect_uri.clone(),
        scopes,
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        session_token: params.get("sessionToken").map(str::to_owned),
        claims,
        acr_values: params.list("acr_values"),
        id_token_hint: params.get("id_token_hint").map(str::to_owned),
    })
}

/// The request's response type: supported, registered by the app (each of its values in `response_types`), with
/// the grant types it needs (`authorization_code` for a code, `implicit` for tokens), and a response mode that
/// keeps tokens out of the query.
fn response_type(params: &Params, app: &App) -> Result<ResponseType, OAuthError> {
    let values = params.list("response_type");
    if values.is_empty() {
        return Err(bad(
            ErrorCode::InvalidRequest,
            "The 'response_type' parameter is required.",
        ));
    }
    let Some(rt) = ResponseType::parse(&values) else {
        return Err(bad(
            ErrorCode::UnsupportedResponseType,
            format!(
                "The response type is not supported by the authorization server. Supported: {}.",
                ResponseType::SUPPORTED.join(", ")
            ),
        ));
    };
    if rt.front_channel() && params.get("response_mode") == Some("query") {
        return Err(bad(
            ErrorCode::InvalidRequest,
            format!(
                "The response type '{rt}' returns tokens, which are never sent in the query: use response_mode fragment or form_post."
            ),
        ));
    }
    if let Some(g) = rt
        .grant_types()
        .into_iter()
        .find(|g| !app.client.allows(*g))
    {
        return Err(bad(
            ErrorCode::UnauthorizedClient,
            format!(
                "The client is not authorized to use the provided grant type. Configured grant types: {} ({} is not one).",
                app.client
                    .grant_types
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                g.as_str()
            ),
        ));
    }
    if let Some(v) = rt
        .values()
        .into_iter()
        .find(|v| !app.client.response_types.iter().any(|r| r == v))
    {
        return Err(bad(
            ErrorCode::UnauthorizedClient,
            format!(
                "The client is not authorized to use the response type '{rt}'. Configured response types: {} ({v} is not one).",
                app.client.response_types.join(", ")
            ),
        ));
    }
    // An access token from the authorization endpoint is a Bearer token: never for an app that wants them bound.
    if rt.token && app.client.dpop_bound_access_tokens {
        return Err(bad(
            ErrorCode::UnauthorizedClient,
            "The client requires DPoP-bound access tokens, which the authorization endpoint cannot issue: use the code flow.",
        ));
    }
    Ok(rt)
}

/// Who the code is for and how they signed in.
pub struct Authenticated<'a> {
    pub user_id: &'a str,
    pub session_id: Option<&'a str>,
    pub auth_time: Timestamp,
    pub amr: &'a [String],
}

/// A new code for `req` with the granted `scopes`: the value for the redirect and the record to store.
pub fn new_code(
    auth_server_id: &str,
    req: &AuthorizationRequest,
    scopes: Vec<String>,
    who: &Authenticated<'_>,
    grant_id: String,
    now: Timestamp,
    random: &dyn Random,
) -> (String, AuthorizationCode) {
    let value = opaque(random);
    let code = AuthorizationCode {
        hash: value.hash,
        grant_id,
        auth_server_id: auth_server_id.to_owned(),
        client_id: req.client_id.clone(),
        user_id: who.user_id.to_owned(),
        redirect_uri: req.redirect_uri.clone(),
        scopes,
        code_challenge: req.code_challenge.clone(),
        nonce: req.nonce.clone(),
        session_id: who.session_id.map(str::to_owned),
        auth_time: who.auth_time,
        amr: who.amr.to_vec(),
        claims: req.claims.clone(),
        acr: Some(acr_for(who.amr, &req.wanted_acr())),
        created: now,
        expires_at: now + CODE_LIFETIME,
        used_at: None,
    };
    (value.value, code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use serde_json::Map;

    fn app(app_type: ApplicationType) -> App {
        let now = crate::clock::from_millis(0);
        App {
            id: "0oa1".into(),
            name: "oidc_client".into(),
            label: "A".into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client: OAuthClient {
                client_id: "c1".into(),
                application_type: app_type,
                token_endpoint_auth_method: if app_type.is_public() {
                    ClientAuthMethod::None
                } else {
                    ClientAuthMethod::ClientSecretBasic
                },
                pkce_required: app_type.is_public(),
                grant_types: vec![GrantType::AuthorizationCode],
                response_types: vec!["code".into()],
                redirect_uris: vec!["https://a.example/cb".into()],
                post_logout_redirect_uris: vec![],
                consent_method: "TRUSTED".into(),
                jwks: None,
                jwks_uri: None,
                initiate_login_uri: None,
                dpop_bound_access_tokens: false,
                logout: Default::default(),
                extra: Map::new(),
                registration: None,
                catalog: None,
                claims: Vec::new(),
            },
            created: now,
            last_updated: now,
        }
    }

    fn p(q: &str) -> Params {
        Params::parse(q.as_bytes()).unwrap()
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn unknown_clients_and_foreign_redirects_get_a_page() {
        let a = app(ApplicationType::Web);
        assert!(check_client(&p("redirect_uri=https://a.example/cb"), Some(&a)).is_err());
        assert!(check_client(&p("client_id=c1&redirect_uri=https://a.example/cb"), None).is_err());
        assert!(
            check_client(
                &p("client_id=c1&redirect_uri=https://evil.example/cb"),
                Some(&a)
            )
            .is_err()
        );
        assert!(
            check_client(
                &p("client_id=c1&redirect_uri=https://a.example/cb/"),
                Some(&a)
            )
            .is_err()
        );
        assert!(check_client(&p("client_id=c1"), Some(&a)).is_err());
        let mut off = a.clone();
        off.status = LifecycleStatus::Inactive;
        assert!(
            check_client(
                &p("client_id=c1&redirect_uri=https://a.example/cb"),
                Some(&off)
            )
            .is_err()
        );
        let to = check_client(
            &p("client_id=c1&redirect_uri=https://a.example/cb&state=s"),
            Some(&a),
        )
        .unwrap();
        assert_eq!(to.state.as_deref(), Some("s"));
        assert_eq!(
            to.url(&[("code", "x y")]),
            "https://a.example/cb?code=x+y&state=s"
        );
    }

    #[test]
    fn native_loopback_redirects_match_only_in_their_registered_form_on_any_port() {
        let mut a = app(ApplicationType::Native);
        a.client.redirect_uris = vec![
            "http://127.0.0.1/callback".into(),
            "http://[::1]/cb?x=1".into(),
        ];
        let with = |uri: &str| {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", "c1")
                .append_pair("redirect_uri", uri)
                .finish();
            check_client(&p(&q), Some(&a))
        };
        for ok in [
            "http://127.0.0.1/callback",
            "http://127.0.0.1:5555/callback",
            "http://[::1]:51004/cb?x=1",
        ] {
            let to = with(ok).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
            assert_eq!(to.redirect_uri, ok);
        }
        for bad in [
            // Other spellings of the loopback address, which a browser would also take to 127.0.0.1.
            "http://127.1:5555/callback",
            "http://2130706433:5555/callback",
            "http://0x7f.0.0.1:5555/callback",
            "http://127.0.0.1.:5555/callback",
            "http://[0:0::1]:5555/cb?x=1",
            // No `//`, another case, whitespace, a fragment (even empty: the code would land in it).
            "http:127.0.0.1:5555/callback",
            "HTTP://127.0.0.1:5555/callback",
            "http://127.0.0.1:5555/callback ",
            " http://127.0.0.1:5555/callback",
            "http://127.0.0.1:5555/call\tback",
            "http://127.0.0.1:5555/callback#",
            "http://127.0.0.1:5555/callback#x",
            "http://127.0.0.1/callback#",
            // Another path once normalised, a port written otherwise, user information.
            "http://127.0.0.1:5555/x/../callback",
            "http://127.0.0.1:5555/%63allback",
            "http://127.0.0.1:05555/callback",
            "http://127.0.0.1:80/callback",
            "http://u@127.0.0.1:5555/callback",
            "http://127.0.0.1:5555/callback/",
            "http://127.0.0.1:5555/cb?x=1",
            "http://[::1]:5555/cb?x=2",
            "http://localhost:5555/callback",
        ] {
            assert!(with(bad).is_err(), "{bad:?} must not match");
        }
    }

    #[test]
    fn pkce_is_required_of_public_clients_and_plain_refused() {
        let a = app(ApplicationType::Browser);
        let base = "client_id=c1&redirect_uri=https://a.example/cb&response_type=code&scope=openid";
        let to = check_client(&p(base), Some(&a)).unwrap();
        assert_eq!(
            validate(&p(base), &a, &to).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let plain = format!("{base}&code_challenge={CHALLENGE}&code_challenge_method=plain");
        assert_eq!(
            validate(&p(&plain), &a, &to).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let good = format!("{base}&code_challenge={CHALLENGE}&code_challenge_method=S256&nonce=n");
        let req = validate(&p(&good), &a, &to).unwrap();
        assert_eq!(req.code_challenge.as_deref(), Some(CHALLENGE));
        assert_eq!(req.nonce.as_deref(), Some("n"));
        // A confidential client that does not require PKCE may skip it.
        let w = app(ApplicationType::Web);
        assert_eq!(validate(&p(base), &w, &to).unwrap().code_challenge, None);
    }

    #[test]
    fn response_types_scopes_and_prompts_are_checked() {
        let a = app(ApplicationType::Web);
        let to = check_client(
            &p("client_id=c1&redirect_uri=https://a.example/cb"),
            Some(&a),
        )
        .unwrap();
        let v = |q: &str| {
            validate(
                &p(&format!(
                    "client_id=c1&redirect_uri=https://a.example/cb&{q}"
                )),
                &a,
                &to,
            )
        };
        assert_eq!(
            v("scope=openid").unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            v("response_type=token&scope=openid").unwrap_err().code,
            ErrorCode::UnsupportedResponseType
        );
        assert_eq!(
            v("response_type=code").unwrap_err().code,
            ErrorCode::InvalidScope
        );
        assert_eq!(
            v("response_type=code&scope=openid&prompt=none%20login")
                .unwrap_err()
                .code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            v("response_type=code&scope=openid&max_age=-1")
                .unwrap_err()
                .code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            v("response_type=code&scope=openid&request=x")
                .unwrap_err()
                .code,
            ErrorCode::InvalidRequestObject
        );
        assert!(
            v("response_type=code&scope=openid&prompt=none")
                .unwrap()
                .prompt_none()
        );
        let mut cc = a.clone();
        cc.client.grant_types = vec![GrantType::ClientCredentials];
        let e = validate(&p("response_type=code&scope=x"), &cc, &to).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }

    fn hybrid_app() -> App {
        let mut a = app(ApplicationType::Web);
        a.client.grant_types = vec![GrantType::AuthorizationCode, GrantType::Implicit];
        a.client.response_types = vec!["code".into(), "id_token".into(), "token".into()];
        a
    }

    #[test]
    fn response_types_parse_in_any_order_and_only_the_six_of_oidc() {
        let rt = |s: &str| {
            ResponseType::parse(
                &s.split(' ')
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            )
        };
        for s in ResponseType::SUPPORTED {
            assert_eq!(rt(s).unwrap().to_string(), *s);
        }
        assert_eq!(
            rt("token id_token code").unwrap().to_string(),
            "code id_token token"
        );
        assert_eq!(rt("token"), None, "the OAuth implicit grant alone");
        assert_eq!(rt("none"), None);
        assert_eq!(rt("code foo"), None);
        assert_eq!(rt(""), None);
        assert_eq!(
            rt("code id_token").unwrap().grant_types(),
            [GrantType::AuthorizationCode, GrantType::Implicit]
        );
        assert!(!rt("code").unwrap().front_channel());
        assert!(rt("code token").unwrap().front_channel());
    }

    #[test]
    fn tokens_go_in_the_fragment_unless_form_post_and_never_in_the_query() {
        let a = hybrid_app();
        let base = "client_id=c1&redirect_uri=https://a.example/cb&scope=openid&nonce=n&state=s";
        let mode = |q: &str| check_client(&p(&format!("{base}&{q}")), Some(&a)).unwrap();
        assert_eq!(mode("response_type=code").mode, ResponseMode::Query);
        assert_eq!(mode("response_type=id_token").mode, ResponseMode::Fragment);
        assert_eq!(
            mode("response_type=code%20token").mode,
            ResponseMode::Fragment
        );
        // Even a response type refused later answers in the fragment.
        assert_eq!(mode("response_type=token").mode, ResponseMode::Fragment);
        assert_eq!(
            mode("response_type=id_token&response_mode=form_post").mode,
            ResponseMode::FormPost
        );
        // response_mode=query for tokens: refused, and the refusal goes in the fragment.
        let q = format!("{base}&response_type=id_token%20token&response_mode=query");
        let to = check_client(&p(&q), Some(&a)).unwrap();
        assert_eq!(to.mode, ResponseMode::Fragment);
        assert_eq!(
            validate(&p(&q), &a, &to).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let q = format!("{base}&response_type=code&response_mode=query");
        let to = check_client(&p(&q), Some(&a)).unwrap();
        assert!(validate(&p(&q), &a, &to).is_ok());
    }

    #[test]
    fn implicit_and_hybrid_need_the_app_s_grant_and_response_types_and_a_nonce() {
        let base = "client_id=c1&redirect_uri=https://a.example/cb&scope=openid";
        let v = |a: &App, q: &str| {
            let params = p(&format!("{base}&{q}"));
            let to = check_client(&params, Some(a)).unwrap();
            validate(&params, a, &to)
        };
        let a = hybrid_app();
        for rt in ResponseType::SUPPORTED {
            let r = v(&a, &format!("response_type={rt}&nonce=n")).unwrap();
            assert_eq!(r.response_type.to_string(), *rt);
        }
        // The code flow's app: no tokens from the authorization endpoint.
        let code_only = app(ApplicationType::Web);
        let e = v(&code_only, "response_type=id_token&nonce=n").unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        // The implicit grant but not the response type.
        let mut no_token = hybrid_app();
        no_token.client.response_types = vec!["code".into(), "id_token".into()];
        let e = v(&no_token, "response_type=id_token%20token&nonce=n").unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        assert!(
            e.description.contains("token is not one"),
            "{}",
            e.description
        );
        assert!(v(&no_token, "response_type=code%20id_token&nonce=n").is_ok());
        // The response types but not the implicit grant.
        let mut no_implicit = hybrid_app();
        no_implicit.client.grant_types = vec![GrantType::AuthorizationCode];
        let e = v(&no_implicit, "response_type=code%20id_token&nonce=n").unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        // Not a type Lanyard offers.
        let e = v(&a, "response_type=token").unwrap_err();
        assert_eq!(e.code, ErrorCode::UnsupportedResponseType);
        // A nonce wherever an ID token leaves the authorization endpoint; not for code or code token.
        for rt in [
            "id_token",
            "id_token%20token",
            "code%20id_token",
            "code%20id_token%20token",
        ] {
            let e = v(&a, &format!("response_type={rt}")).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{rt}");
            assert!(e.description.contains("nonce"), "{rt}");
        }
        assert!(v(&a, "response_type=code%20token").is_ok());
        assert!(v(&a, "response_type=code").is_ok());
        // An ID token needs openid.
        let params = p(
            "client_id=c1&redirect_uri=https://a.example/cb&scope=profile&response_type=id_token&nonce=n",
        );
        let to = check_client(&params, Some(&a)).unwrap();
        assert_eq!(
            validate(&params, &a, &to).unwrap_err().code,
            ErrorCode::InvalidScope
        );
        // An app that wants DPoP-bound tokens gets none from the authorization endpoint.
        let mut dpop = hybrid_app();
        dpop.client.dpop_bound_access_tokens = true;
        assert_eq!(
            v(&dpop, "response_type=id_token%20token&nonce=n")
                .unwrap_err()
                .code,
            ErrorCode::UnauthorizedClient
        );
        assert!(v(&dpop, "response_type=code%20id_token&nonce=n").is_ok());
    }

    #[test]
    fn pkce_applies_to_codes_only() {
        let mut spa = app(ApplicationType::Browser);
        spa.client.grant_types = vec![GrantType::AuthorizationCode, GrantType::Implicit];
        spa.client.response_types = vec!["code".into(), "id_token".into(), "token".into()];
        let base = "client_id=c1&redirect_uri=https://a.example/cb&scope=openid&nonce=n";
        let v = |q: &str| {
            let params = p(&format!("{base}&{q}"));
            let to = check_client(&params, Some(&spa)).unwrap();
            validate(&params, &spa, &to)
        };
        let r = v("response_type=id_token%20token").unwrap();
        assert_eq!(r.code_challenge, None);
        assert_eq!(
            v("response_type=code%20id_token").unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let r = v(&format!(
            "response_type=code%20id_token&code_challenge={CHALLENGE}&code_challenge_method=S256"
        ))
        .unwrap();
        assert_eq!(r.code_challenge.as_deref(), Some(CHALLENGE));
    }

    #[test]
    fn a_session_is_fresh_enough_unless_a_sign_in_or_a_younger_one_is_asked_for() {
        let a = app(ApplicationType::Web);
        let base = "client_id=c1&redirect_uri=https://a.example/cb&response_type=code&scope=openid";
        let to = check_client(&p(base), Some(&a)).unwrap();
        let v = |q: &str| validate(&p(&format!("{base}&{q}")), &a, &to).unwrap();
        let t = crate::clock::from_millis(1_700_000_000_000);
        let later = t + chrono::Duration::seconds(61);
        assert!(v("state=s").session_fresh_enough(t, later));
        assert!(!v("max_age=60").session_fresh_enough(t, later));
        assert!(v("max_age=61").session_fresh_enough(t, later));
        assert!(!v("prompt=login").session_fresh_enough(t, t));
        assert!(!v("prompt=select_account").session_fresh_enough(t, t));
        assert!(v("prompt=consent").prompt_consent() && !v("prompt=login").prompt_consent());
    }

    #[test]
    fn oidc_parameters_are_read_and_a_bad_claims_parameter_refused() {
        let a = app(ApplicationType::Web);
        let base = "client_id=c1&redirect_uri=https://a.example/cb&response_type=code&scope=openid";
        let to = check_client(&p(base), Some(&a)).unwrap();
        let v = |q: &str| validate(&p(&format!("{base}&{q}")), &a, &to);
        let claims =
            r#"{"id_token":{"sub":{"value":"00u1"},"acr":{"values":["urn:okta:loa:2fa:any"]}}}"#;
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("claims", claims)
            .append_pair("acr_values", "urn:okta:loa:1fa:any urn:okta:loa:1fa:pwd")
            .append_pair("id_token_hint", "h.i.nt")
            .append_pair("prompt", "select_account")
            .append_pair("display", "popup")
            .append_pair("ui_locales", "fr-CA en")
            .finish();
        let req = v(&q).unwrap();
        assert_eq!(req.claimed_subject(), Some("00u1"));
        assert_eq!(req.wanted_acr(), vec!["urn:okta:loa:2fa:any"]);
        assert_eq!(req.id_token_hint.as_deref(), Some("h.i.nt"));
        assert!(req.prompt_sign_in() && !req.prompt_none());
        let plain = v("acr_values=urn:okta:loa:1fa:pwd").unwrap();
        assert_eq!(plain.wanted_acr(), vec!["urn:okta:loa:1fa:pwd"]);
        // What the classes ask of a password session: unknown acr_values are voluntary, an essential acr claim
        // request of unknown classes cannot be met, a 2fa class is a step-up.
        use crate::oauth::acr::Requirement;
        let pwd = vec!["pwd".to_owned()];
        let asks = |q: &str| v(q).unwrap().acr_requirement(&pwd);
        assert_eq!(asks("acr_values=1%202"), Requirement::Met);
        assert_eq!(asks("acr_values=urn:okta:loa:2fa:any"), Requirement::StepUp);
        let claim = |c: &str| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("claims", c)
                .finish()
        };
        assert_eq!(
            asks(&claim(
                r#"{"id_token":{"acr":{"essential":true,"values":["1"]}}}"#
            )),
            Requirement::Unmet
        );
        assert_eq!(
            asks(&claim(r#"{"id_token":{"acr":{"values":["1"]}}}"#)),
            Requirement::Met
        );
        assert_eq!(
            asks(&claim(
                r#"{"id_token":{"acr":{"essential":true,"value":"urn:okta:loa:2fa:any"}}}"#
            )),
            Requirement::StepUp
        );
        assert_eq!(plain.claimed_subject(), None);
        assert!(!plain.prompt_sign_in());
        assert_eq!(
            v("claims=%5B%5D").unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        // The code carries the claims request and the acr the sign-in satisfied.
        let who = Authenticated {
            user_id: "00u1",
            session_id: None,
            auth_time: crate::clock::from_millis(0),
            amr: &["pwd".to_owned()],
        };
        let random = crate::random::TestRandom::default();
        let (_, code) = new_code(
            "org",
            &req,
            vec![],
            &who,
            "oag1".into(),
            crate::clock::from_millis(0),
            &random,
        );
        assert_eq!(code.claims, req.claims);
        assert_eq!(code.acr.as_deref(), Some("urn:okta:loa:1fa:pwd"));
        let (_, code) = new_code(
            "org",
            &plain,
            vec![],
            &who,
            "oag2".into(),
            crate::clock::from_millis(0),
            &random,
        );
        assert_eq!(code.acr.as_deref(), Some("urn:okta:loa:1fa:pwd"));
    }

    #[test]
    fn fragment_mode_and_error_params() {
        let to = ReturnTo {
            redirect_uri: "https://a/cb?x=1".into(),
            mode: ResponseMode::Query,
            state: None,
        };
        assert_eq!(to.url(&[("code", "c")]), "https://a/cb?x=1&code=c");
        let f = ReturnTo {
            mode: ResponseMode::Fragment,
            ..to.clone()
        };
        assert_eq!(f.url(&[("code", "c")]), "https://a/cb?x=1#code=c");
        let e = OAuthError::new(ErrorCode::AccessDenied, "no");
        assert_eq!(
            to.error_params(&e, "http://i")[0],
            ("error", "access_denied")
        );
    }
}
