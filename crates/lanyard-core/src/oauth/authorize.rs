//! The authorization endpoint's protocol (RFC 6749 §4.1, RFC 7636, RFC 9207, OIDC Core §3.1.2): validating a
//! request in two stages — the client and redirect URI, whose failures are shown on an error page and never
//! redirected, then everything else, whose failures go back to the client — and issuing the code.

use chrono::Duration;

use crate::apps::redirect_uri_matches;
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
    let registered = app
        .client
        .redirect_uris
        .iter()
        .any(|r| redirect_uri_matches(r, redirect_uri, app.client.application_type));
    if !registered {
        return Err(page(
            ErrorCode::InvalidRequest,
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.",
        ));
    }
    let mode = match params.get("response_mode") {
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
        redirect_uri: redirect_uri.to_owned(),
        mode,
        state: params.get("state").map(str::to_owned),
    })
}

/// A valid authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
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
    crate::oauth::request_object::refuse_request_objects(params)?;
    let response_type = params.list("response_type");
    if response_type.is_empty() {
        return Err(bad(
            ErrorCode::InvalidRequest,
            "The 'response_type' parameter is required.",
        ));
    }
    if response_type != ["code"] {
        return Err(bad(
            ErrorCode::UnsupportedResponseType,
            "The response type is not supported by the authorization server. Only 'code' is.",
        ));
    }
    if !app.client.allows(GrantType::AuthorizationCode) {
        return Err(bad(
            ErrorCode::UnauthorizedClient,
            "The client is not authorized to use the provided grant type. Configured grant types: authorization_code is not one.",
        ));
    }
    let scopes = params.list("scope");
    if scopes.is_empty() {
        return Err(bad(
            ErrorCode::InvalidScope,
            "The authorization request must include a 'scope' parameter.",
        ));
    }
    let code_challenge = match params.get("code_challenge") {
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
                extra: Map::new(),
                registration: None,
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
            ErrorCode::RequestNotSupported
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
