//! Logout: OpenID Connect RP-Initiated Logout 1.0 (what a request to the end-session endpoint means and whether it
//! may send the browser back to the app), and the notices of Back-Channel Logout 1.0 (the logout token) and
//! Front-Channel Logout 1.0 (the URI loaded in an iframe).
//!
//! A request is trusted when its `id_token_hint` is an ID token this server signed (expired ones included, as the
//! specification allows) for the user of the browser's session (its `sub` read in the form of the app it was issued
//! to: a pairwise app's value, [`Hint::pairwise`]) and that session. A trusted request ends the
//! session at once; any other request that would end a session is first confirmed by the user. The browser goes
//! back to a `post_logout_redirect_uri` only when it exactly matches one the app registered, the app being named by
//! the hint (or by `client_id`, which must then agree with the hint) — and never when the request is refused.

use chrono::Duration;
use serde_json::{Map, Value, json};

use crate::clock::Timestamp;
use crate::crypto::Jwk;
use crate::crypto::jws;
use crate::crypto::verify::UnverifiedJws;
use crate::model::App;
use crate::oauth::params::Params;
use crate::oauth::subject::{ExpectedSubject, Pairwise};
use crate::oauth::tokens::Issuer;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::{Random, b64url};

/// The `events` member of a logout token (Back-Channel Logout §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long a logout token is good for: it is delivered within seconds or not at all.
pub const LOGOUT_TOKEN_LIFETIME: i64 = 120;

/// The parameters of a logout request (RP-Initiated Logout §2). `ui_locales` is accepted and not used: the pages
/// are in English.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
    pub logout_hint: Option<String>,
    pub ui_locales: Option<String>,
}

impl LogoutRequest {
    pub fn from_params(p: &Params) -> LogoutRequest {
        let get = |k: &str| p.get(k).map(str::to_owned);
        LogoutRequest {
            id_token_hint: get("id_token_hint"),
            post_logout_redirect_uri: get("post_logout_redirect_uri"),
            state: get("state"),
            client_id: get("client_id"),
            logout_hint: get("logout_hint"),
            ui_locales: get("ui_locales"),
        }
    }

    /// The parameters again, to carry through the confirmation form.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("id_token_hint", &self.id_token_hint),
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
            ("state", &self.state),
            ("client_id", &self.client_id),
            ("logout_hint", &self.logout_hint),
            ("ui_locales", &self.ui_locales),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

/// Why a logout request is refused: an error page, never a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The hint is not a JWS, or not an ID token.
    MalformedHint,
    /// The hint's signature does not verify with this server's keys, or another issuer made it.
    UntrustedHint,
    /// `client_id` names another app than the hint's audience.
    ClientMismatch,
    /// The hint or `client_id` names no app.
    UnknownClient,
    /// `post_logout_redirect_uri` without a hint or `client_id` to check it against.
    RedirectWithoutClient,
    /// `post_logout_redirect_uri` is not one the app registered.
    UnregisteredRedirect,
}

impl Refusal {
    pub fn description(self) -> &'static str {
        match self {
            Refusal::MalformedHint => "The id_token_hint is not an ID token.",
            Refusal::UntrustedHint => "The id_token_hint was not issued by this server.",
            Refusal::ClientMismatch => "The client_id does not match the id_token_hint.",
            Refusal::UnknownClient => "The application of this request is unknown.",
            Refusal::RedirectWithoutClient => {
                "A post_logout_redirect_uri needs an id_token_hint or client_id to be checked against."
            }
            Refusal::UnregisteredRedirect => {
                "The post_logout_redirect_uri is not registered for the application."
            }
        }
    }

    pub fn oauth_error(self) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidRequest, self.description())
    }
}

/// What a verified `id_token_hint` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub sub: String,
    /// The app it was issued to (`aud`, or `azp` among several audiences).
    pub client_id: String,
    /// The session it was issued in.
    pub sid: Option<String>,
    /// The pairwise mapping of the app it was issued to, when that app registered `subject_type: pairwise`: `sub`
    /// is then that app's pairwise value (OIDC Core §8). [`verify_hint`] leaves it `None`; the caller, who holds the
    /// key, sets it once it has the app ([`Hint::names`]).
    pub pairwise: Option<Pairwise>,
}

impl Hint {
    /// Whether the hint's `sub` is `user_id`'s, in the form of the app it was issued to.
    pub fn names(&self, user_id: &str) -> bool {
        ExpectedSubject {
            sub: self.sub.clone(),
            pairwise: self.pairwise.clone(),
        }
        .names(user_id)
    }
}

/// Verifies an `id_token_hint`: signed by one of `keys` (the server's published keys, so a rotation does not break
/// logout), issued by `issuer`, an ID token (no `typ` other than `JWT`: not an access or logout token). Its `exp`
/// is not checked (RP-Initiated Logout §2: an expired ID token is a fine hint).
pub fn verify_hint(token: &str, issuer: &str, keys: &[Jwk]) -> Result<Hint, Refusal> {
    let jws = UnverifiedJws::parse(token).map_err(|_| Refusal::MalformedHint)?;
    if jws.typ().is_some_and(|t| !t.eq_ignore_ascii_case("JWT")) {
        return Err(Refusal::MalformedHint);
    }
    jws.verify(keys).map_err(|_| Refusal::UntrustedHint)?;
    let c = &jws.claims;
    if c.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(Refusal::UntrustedHint);
    }
    let sub = c
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(Refusal::MalformedHint)?;
    let azp = c.get("azp").and_then(Value::as_str);
    let client_id = match c.get("aud") {
        Some(Value::String(a)) => a.clone(),
        Some(Value::Array(list)) => {
            let auds: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            match (auds.as_slice(), azp) {
                ([one], _) => (*one).to_owned(),
                (many, Some(azp)) if many.contains(&azp) => azp.to_owned(),
                _ => return Err(Refusal::MalformedHint),
            }
        }
        _ => return Err(Refusal::MalformedHint),
    };
    Ok(Hint {
        sub: sub.to_owned(),
        client_id,
        sid: c.get("sid").and_then(Value::as_str).map(str::to_owned),
        pairwise: None,
    })
}

/// The app the request speaks for: the hint's, or `client_id` (which must agree with the hint).
pub fn client_of(req: &LogoutRequest, hint: Option<&Hint>) -> Result<Option<String>, Refusal> {
    match (hint, req.client_id.as_deref()) {
        (Some(h), Some(c)) if h.client_id != c => Err(Refusal::ClientMismatch),
        (Some(h), _) => Ok(Some(h.client_id.clone())),
        (None, c) => Ok(c.map(str::to_owned)),
    }
}

/// The browser's current session, as logout sees it.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    pub session_id: &'a str,
    pub user_id: &'a str,
    pub login: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Ask the user whether to sign out (the request is not known to come from an app of their session).
    Confirm,
    /// End the session, if there is one; then send the browser to `redirect` (the registered URI with `state`), or
    /// show the signed-out page.
    SignOut { redirect: Option<String> },
}

/// What to do with a logout request whose hint (if any) verified, for the app it names (looked up by the caller,
/// `None` when it names none), in the browser's session (if any). `confirmed`: the user has just confirmed.
pub fn decide(
    req: &LogoutRequest,
    hint: Option<&Hint>,
    app: Option<&App>,
    session: Option<Current<'_>>,
    confirmed: bool,
) -> Result<Decision, Refusal> {
    let redirect = match &req.post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            let app = app.ok_or(Refusal::RedirectWithoutClient)?;
            if !app
                .client
                .post_logout_redirect_uris
                .iter()
                .any(|r| r == uri)
            {
                return Err(Refusal::UnregisteredRedirect);
            }
            Some(with_state(uri, req.state.as_deref()))
        }
    };
    let Some(s) = session else {
        // Nothing to end, nothing to ask.
        return Ok(Decision::SignOut { redirect });
    };
    let belongs = hint.is_some_and(|h| {
        h.names(s.user_id)
            && h.sid.as_deref().is_none_or(|sid| sid == s.session_id)
            && req
                .logout_hint
                .as_deref()
                .is_none_or(|l| l.eq_ignore_ascii_case(s.login))
    });
    if belongs || confirmed {
        Ok(Decision::SignOut { redirect })
    } else {
        Ok(Decision::Confirm)
    }
}

/// `uri` with `state` added to its query (RP-Initiated Logout §3).
pub fn with_state(uri: &str, state: Option<&str>) -> String {
    match state {
        None => uri.to_owned(),
        Some(s) => add_query(uri, &[("state", s)]),
    }
}

fn add_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{encoded}")
}

/// The front-channel logout URI of an app for a session (Front-Channel Logout §3): with `iss` and `sid`, always
/// (the specification lets the OP add them when the app does not require them).
pub fn frontchannel_url(uri: &str, issuer: &str, sid: &str) -> String {
    add_query(uri, &[("iss", issuer), ("sid", sid)])
}

/// A logout token (Back-Channel Logout §2.4): signed like the server's ID tokens with `typ: logout+jwt`; `iss`,
/// `aud` (the app), `iat`, `exp` (two minutes), `jti`, the logout event, `sub` and `sid`; never `nonce`.
pub fn mint_logout_token(
    iss: &Issuer<'_>,
    now: Timestamp,
    random: &dyn Random,
    client_id: &str,
    sub: &str,
    sid: &str,
) -> Result<String, OAuthError> {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(iss.issuer));
    claims.insert("sub".into(), json!(sub));
    claims.insert("aud".into(), json!(client_id));
    claims.insert("iat".into(), json!(now.timestamp()));
    claims.insert(
        "exp".into(),
        json!((now + Duration::seconds(LOGOUT_TOKEN_LIFETIME)).timestamp()),
    );
    claims.insert("jti".into(), json!(format!("LT.{}", b64url(&bytes))));
    claims.insert("events".into(), json!({ BACKCHANNEL_LOGOUT_EVENT: {} }));
    claims.insert("sid".into(), json!(sid));
    jws::sign(iss.id_token_key, Some("logout+jwt"), &claims).map_err(|e| {
        OAuthError::new(
            ErrorCode::ServerError,
            "The server could not sign the token.",
        )
        .with_detail(e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{SigningAlg, SigningKey};
    use crate::model::{ApplicationType, ClientAuthMethod, LifecycleStatus, OAuthClient};
    use crate::random::TestRandom;

    const ISS: &str = "https://id.example";

    fn key() -> SigningKey {
        SigningKey::generate(SigningAlg::RS256).unwrap()
    }

    fn id_token(key: &SigningKey, claims: Value) -> String {
        jws::sign(key, None, &claims).unwrap()
    }

    fn claims() -> Value {
        json!({"iss": ISS, "sub": "00u1", "aud": "0oa1", "iat": 1, "exp": 2, "sid": "102s"})
    }

    fn app() -> App {
        App {
            id: "0oa1".into(),
            name: "oidc_client".into(),
            label: "RP".into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client: OAuthClient {
                client_id: "0oa1".into(),
                application_type: ApplicationType::Web,
                token_endpoint_auth_method: ClientAuthMethod::ClientSecretBasic,
                pkce_required: true,
                grant_types: vec![],
                response_types: vec![],
                redirect_uris: vec!["https://rp.example/cb".into()],
                post_logout_redirect_uris: vec!["https://rp.example/out?x=1".into()],
                consent_method: "TRUSTED".into(),
                jwks: None,
                jwks_uri: None,
                initiate_login_uri: None,
                dpop_bound_access_tokens: false,
                logout: Default::default(),
                registration: None,
                catalog: None,
                claims: Vec::new(),
                extra: Map::new(),
            },
            created: crate::clock::from_millis(0),
            last_updated: crate::clock::from_millis(0),
        }
    }

    fn current() -> Current<'static> {
        Current {
            session_id: "102s",
            user_id: "00u1",
            login: "ada@example.com",
        }
    }

    #[test]
    fn hints_verify_with_the_servers_keys_even_expired_and_say_whose_they_are() {
        let k = key();
        let keys = [k.public_jwk().clone()];
        let hint = verify_hint(&id_token(&k, claims()), ISS, &keys).unwrap();
        assert_eq!(
            hint,
            Hint {
                sub: "00u1".into(),
                client_id: "0oa1".into(),
                sid: Some("102s".into()),
                pairwise: None,
            }
        );
        let several = json!({"iss": ISS, "sub": "00u1", "aud": ["api", "0oa1"], "azp": "0oa1"});
        assert_eq!(
            verify_hint(&id_token(&k, several), ISS, &keys)
                .unwrap()
                .client_id,
            "0oa1"
        );
    }

    #[test]
    fn foreign_modified_and_other_tokens_are_not_hints() {
        let k = key();
        let keys = [k.public_jwk().clone()];
        let good = id_token(&k, claims());
        // Another server's key.
        let other = id_token(&key(), claims());
        assert_eq!(verify_hint(&other, ISS, &keys), Err(Refusal::UntrustedHint));
        // Another issuer, same keys.
        let mut c = claims();
        c["iss"] = json!("https://id.example/oauth2/default");
        assert_eq!(
            verify_hint(&id_token(&k, c), ISS, &keys),
            Err(Refusal::UntrustedHint)
        );
        // Claims changed after signing.
        let parts: Vec<&str> = good.split('.').collect();
        let mut c = claims();
        c["sub"] = json!("00u2");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64url(&serde_json::to_vec(&c).unwrap()),
            parts[2]
        );
        assert_eq!(
            verify_hint(&forged, ISS, &keys),
            Err(Refusal::UntrustedHint)
        );
        // alg none, signature dropped.
        let none = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), parts[1]);
        assert!(verify_hint(&none, ISS, &keys).is_err());
        assert_eq!(
            verify_hint("not-a-jwt", ISS, &keys),
            Err(Refusal::MalformedHint)
        );
        // An access token is not an ID token.
        let at = jws::sign(&k, Some("at+jwt"), &claims()).unwrap();
        assert_eq!(verify_hint(&at, ISS, &keys), Err(Refusal::MalformedHint));
    }

    #[test]
    fn client_id_must_agree_with_the_hint() {
        let hint = Hint {
            sub: "00u1".into(),
            client_id: "0oa1".into(),
            sid: None,
            pairwise: None,
        };
        let req = |c: Option<&str>| LogoutRequest {
            client_id: c.map(str::to_owned),
            ..Default::default()
        };
        assert_eq!(client_of(&req(None), Some(&hint)), Ok(Some("0oa1".into())));
        assert_eq!(
            client_of(&req(Some("0oa1")), Some(&hint)),
            Ok(Some("0oa1".into()))
        );
        assert_eq!(
            client_of(&req(Some("0oa2")), Some(&hint)),
            Err(Refusal::ClientMismatch)
        );
        assert_eq!(client_of(&req(Some("0oa2")), None), Ok(Some("0oa2".into())));
        assert_eq!(client_of(&req(None), None), Ok(None));
    }

    #[test]
    fn a_trusted_request_signs_out_and_returns_to_the_exact_registered_uri_with_state() {
        let hint = Hint {
            sub: "00u1".into(),
            client_id: "0oa1".into(),
            sid: Some("102s".into()),
            pairwise: None,
        };
        let req = LogoutRequest {
            post_logout_redirect_uri: Some("https://rp.example/out?x=1".into()),
            state: Some("a b&c".into()),
            ..Default::default()
        };
        assert_eq!(
            decide(&req, Some(&hint), Some(&app()), Some(current()), false),
            Ok(Decision::SignOut {
                redirect: Some("https://rp.example/out?x=1&state=a+b%26c".into())
            })
        );
        // Without a URI: the signed-out page. Without state: none added.
        assert_eq!(
            decide(
                &LogoutRequest::default(),
                Some(&hint),
                Some(&app()),
                Some(current()),
                false
            ),
            Ok(Decision::SignOut { redirect: None })
        );
        let no_state = LogoutRequest {
            state: None,
            ..req.clone()
        };
        assert_eq!(
            decide(&no_state, Some(&hint), Some(&app()), Some(current()), false),
            Ok(Decision::SignOut {
                redirect: Some("https://rp.example/out?x=1".into())
            })
        );
        // No session left: nothing to ask, back to the app.
        assert!(matches!(
            decide(&req, Some(&hint), Some(&app()), None, false),
            Ok(Decision::SignOut { redirect: Some(_) })
        ));
    }

    #[test]
    fn unregistered_or_unchecked_redirects_are_refused() {
        let hint = Hint {
            sub: "00u1".into(),
            client_id: "0oa1".into(),
            sid: None,
            pairwise: None,
        };
        for uri in [
            "https://rp.example/out",
            "https://rp.example/out?x=1&foo=bar",
            "https://evil.example/out?x=1",
        ] {
            let req = LogoutRequest {
                post_logout_redirect_uri: Some(uri.into()),
                ..Default::default()
            };
            assert_eq!(
                decide(&req, Some(&hint), Some(&app()), Some(current()), true),
                Err(Refusal::UnregisteredRedirect),
                "{uri}"
            );
        }
        let req = LogoutRequest {
            post_logout_redirect_uri: Some("https://rp.example/out?x=1".into()),
            ..Default::default()
        };
        assert_eq!(
            decide(&req, None, None, Some(current()), false),
            Err(Refusal::RedirectWithoutClient)
        );
    }

    #[test]
    fn requests_not_known_to_come_from_the_sessions_apps_are_confirmed_first() {
        let mine = Hint {
            sub: "00u1".into(),
            client_id: "0oa1".into(),
            sid: Some("102s".into()),
            pairwise: None,
        };
        let other_user = Hint {
            sub: "00u2".into(),
            ..mine.clone()
        };
        let other_session = Hint {
            sid: Some("102old".into()),
            ..mine.clone()
        };
        let none = LogoutRequest::default();
        let with_uri = LogoutRequest {
            post_logout_redirect_uri: Some("https://rp.example/out?x=1".into()),
            client_id: Some("0oa1".into()),
            ..Default::default()
        };
        for hint in [None, Some(&other_user), Some(&other_session)] {
            assert_eq!(
                decide(&none, hint, Some(&app()), Some(current()), false),
                Ok(Decision::Confirm)
            );
            assert_eq!(
                decide(&with_uri, hint, Some(&app()), Some(current()), false),
                Ok(Decision::Confirm)
            );
            // Confirmed: signed out, and back to the app only to a URI it registered.
            assert_eq!(
                decide(&with_uri, hint, Some(&app()), Some(current()), true),
                Ok(Decision::SignOut {
                    redirect: Some("https://rp.example/out?x=1".into())
                })
            );
        }
        let wrong_login = LogoutRequest {
            logout_hint: Some("bob@example.com".into()),
            ..Default::default()
        };
        assert_eq!(
            decide(
                &wrong_login,
                Some(&mine),
                Some(&app()),
                Some(current()),
                false
            ),
            Ok(Decision::Confirm)
        );
        let right_login = LogoutRequest {
            logout_hint: Some("ADA@example.com".into()),
            ..Default::default()
        };
        assert_eq!(
            decide(
                &right_login,
                Some(&mine),
                Some(&app()),
                Some(current()),
                false
            ),
            Ok(Decision::SignOut { redirect: None })
        );
        // No session and no hint: nothing to end.
        assert_eq!(
            decide(&none, None, None, None, false),
            Ok(Decision::SignOut { redirect: None })
        );
    }

    #[test]
    fn a_pairwise_app_s_hint_names_the_session_s_user_by_its_pairwise_sub() {
        let p = Pairwise::new("rp.example", [3u8; 32]);
        let pairwise = Hint {
            sub: p.subject("00u1"),
            client_id: "0oa1".into(),
            sid: Some("102s".into()),
            pairwise: Some(p.clone()),
        };
        let none = LogoutRequest::default();
        assert_eq!(
            decide(&none, Some(&pairwise), Some(&app()), Some(current()), false),
            Ok(Decision::SignOut { redirect: None })
        );
        // The same value read as a public sub, or another user's pairwise sub: not the session's user.
        let unmapped = Hint {
            pairwise: None,
            ..pairwise.clone()
        };
        let other = Hint {
            sub: p.subject("00u2"),
            ..pairwise.clone()
        };
        for hint in [&unmapped, &other] {
            assert_eq!(
                decide(&none, Some(hint), Some(&app()), Some(current()), false),
                Ok(Decision::Confirm)
            );
        }
        // A public sub under a pairwise mapping names no one.
        let raw = Hint {
            sub: "00u1".into(),
            ..pairwise
        };
        assert!(!raw.names("00u1"));
    }

    #[test]
    fn logout_tokens_carry_exactly_the_back_channel_claims() {
        let k = key();
        let aud = vec![ISS.to_owned()];
        let iss = Issuer {
            issuer: ISS,
            audiences: &aud,
            org_id: "00o1",
            access_token_key: &k,
            id_token_key: &k,
            pairwise: None,
        };
        let now = crate::clock::from_millis(1_700_000_000_000);
        let t =
            mint_logout_token(&iss, now, &TestRandom::default(), "0oa1", "00u1", "102s").unwrap();
        let parsed = UnverifiedJws::parse(&t).unwrap();
        parsed.verify(std::slice::from_ref(k.public_jwk())).unwrap();
        assert_eq!(parsed.typ(), Some("logout+jwt"));
        let c = &parsed.claims;
        let mut names: Vec<&str> = c.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["aud", "events", "exp", "iat", "iss", "jti", "sid", "sub"]
        );
        assert_eq!(c["aud"], "0oa1");
        assert_eq!(c["events"], json!({BACKCHANNEL_LOGOUT_EVENT: {}}));
        assert_eq!(
            c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
            LOGOUT_TOKEN_LIFETIME
        );
    }

    #[test]
    fn front_channel_uris_get_iss_and_sid() {
        assert_eq!(
            frontchannel_url("https://rp.example/fcl", ISS, "102s"),
            "https://rp.example/fcl?iss=https%3A%2F%2Fid.example&sid=102s"
        );
        assert_eq!(
            frontchannel_url("https://rp.example/fcl?a=1", ISS, "102s"),
            "https://rp.example/fcl?a=1&iss=https%3A%2F%2Fid.example&sid=102s"
        );
    }

    #[test]
    fn the_request_is_carried_through_the_confirmation_form() {
        let p = Params::parse(b"state=s&client_id=c&ui_locales=fr&extra=1").unwrap();
        let r = LogoutRequest::from_params(&p);
        assert_eq!(
            r.pairs(),
            vec![("state", "s"), ("client_id", "c"), ("ui_locales", "fr")]
        );
    }
}
