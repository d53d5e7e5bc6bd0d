//! Request objects (RFC 9101, OIDC Core §6) and pushed authorization requests (RFC 9126): how an authorization
//! request may carry its parameters other than in the query, and the one place that says what Lanyard accepts —
//! to the client and in discovery.
//!
//! - `request`: a request object by value, a JWT whose claims are the request's parameters.
//! - `request_uri` with an `https` URL: a request object by reference, fetched by the server. When the client
//!   registered `request_uris`, only those (compared without their fragment); otherwise any `https` URL whose host
//!   has only public addresses (the authorization endpoint is unauthenticated: it must not become a way to reach
//!   the server's own network). Registered URIs may be `http` on a loopback host, as redirect URIs.
//! - `request_uri` of the form `urn:ietf:params:oauth:request_uri:…`: a request held by the server, pushed by the
//!   client at the PAR endpoint (RFC 9126), or kept by the authorization endpoint while the browser signs in or
//!   consents. Bound to its client and server, short-lived, usable once.
//!
//! A request object is signed with one of the client's registered keys (`jwks` or `jwks_uri`, as for
//! `private_key_jwt`) with RS256, ES256 or EdDSA, or unsigned (`alg: none`) unless the client registered
//! `request_object_signing_alg` (then only that algorithm) or `require_signed_request_object: true`. Its `iss`, when
//! present, is the client id; its `aud` is the issuer (required when signed); `exp` and `nbf`, when present, hold at
//! the time of the request and `iat` is not in the future (30 s leeway); its `client_id`, when present, is the one
//! outside; `request` and `request_uri` never appear inside; a `crit` header is refused (RFC 7515 §4.1.11).
//! Encrypted request objects are not supported.
//!
//! The parameters: in an OpenID Connect request (`scope` outside contains `openid`), those of the request object
//! take precedence over the query's, which fill in the rest (OIDC Core §6.3.3); otherwise only the request object's
//! count, with the query's `client_id` (RFC 9101 §5). Where both name a `response_type`, they must agree.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock::Timestamp;
use crate::crypto::verify::UnverifiedJws;
use crate::crypto::{SigningAlg, sha256};
use crate::model::{App, OAuthClient, PushedRequest};
use crate::oauth::client_auth::ClientKeys;
use crate::oauth::params::Params;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::Random;
use crate::store::{PushedRequestStore, StoreResult};

/// The prefix of a `request_uri` naming a request the server holds (RFC 9126 §2.2).
pub const HELD_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request may wait for the authorization request that uses it.
pub const PUSHED_LIFETIME: Duration = Duration::seconds(60);
/// How long the authorization endpoint keeps a request while the browser signs in or consents.
pub const KEPT_LIFETIME: Duration = Duration::minutes(30);
/// OIDC Core §6.2: a `request_uri` is at most 512 characters.
pub const MAX_REQUEST_URI: usize = 512;
/// The largest request object fetched from a `request_uri` (as large as a parameter may be).
pub const MAX_FETCHED: usize = 16 * 1024;
/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
const LEEWAY: i64 = crate::crypto::verify::LEEWAY_SECS;
/// The claims of a request object that are about the JWT, not parameters of the request.
const JWT_CLAIMS: &[&str] = &["iss", "aud", "exp", "nbf", "iat", "jti"];
/// The parameters of client authentication, never held with a pushed request.
const CLIENT_AUTH: &[&str] = &["client_secret", "client_assertion", "client_assertion_type"];

/// Discovery's members about request objects and pushed authorization requests (OIDC Discovery §3, RFC 9101
/// §10.5, RFC 9126 §5).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metadata {
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    /// A client that registered no `request_uris` may still use public https ones.
    pub require_request_uri_registration: bool,
    pub request_object_signing_alg_values_supported: Vec<String>,
    pub pushed_authorization_request_endpoint: String,
    /// Per app (`settings.oauthClient.require_pushed_authorization_requests`), never for the whole server.
    pub require_pushed_authorization_requests: bool,
}

/// The metadata of a server whose endpoints are under `endpoint_base` (`…/oauth2/v1`).
pub fn metadata(endpoint_base: &str) -> Metadata {
    let mut algs: Vec<String> = SigningAlg::ALL
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    algs.push("none".into());
    Metadata {
        request_parameter_supported: true,
        request_uri_parameter_supported: true,
        require_request_uri_registration: false,
        request_object_signing_alg_values_supported: algs,
        pushed_authorization_request_endpoint: format!("{endpoint_base}/par"),
        require_pushed_authorization_requests: false,
    }
}

/// What an app registered about request objects and PAR (`settings.oauthClient`, kept in `extra`).
pub struct Registered<'a>(pub &'a OAuthClient);

impl<'a> Registered<'a> {
    /// `request_uris` (OIDC Registration §2).
    pub fn request_uris(&self) -> Vec<&'a str> {
        self.0
            .extra
            .get("request_uris")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// `request_object_signing_alg`: the one algorithm (`none` included) its request objects must use.
    pub fn signing_alg(&self) -> Option<&'a str> {
        self.0
            .extra
            .get("request_object_signing_alg")
            .and_then(Value::as_str)
    }

    /// `require_signed_request_object` (RFC 9101 §10.5).
    pub fn require_signed(&self) -> bool {
        self.flag("require_signed_request_object")
    }

    /// `require_pushed_authorization_requests` (RFC 9126 §6).
    pub fn require_pushed(&self) -> bool {
        self.flag("require_pushed_authorization_requests")
    }

    fn flag(&self, name: &str) -> bool {
        self.0.extra.get(name).and_then(Value::as_bool) == Some(true)
    }
}

/// Checks the members of `settings.oauthClient` about request objects and PAR when an app is saved; the causes
/// of refusal.
pub fn check_client_metadata(set: &Map<String, Value>, causes: &mut Vec<String>) {
    match set.get("request_uris") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item.as_str() {
                    Some(u) => {
                        if let Err(e) = check_registrable(u) {
                            causes.push(format!("request_uris: {u} {e}"));
                        }
                    }
                    None => causes.push("request_uris: must be a list of strings".into()),
                }
            }
        }
        Some(_) => causes.push("request_uris: must be a list of strings".into()),
    }
    match set.get("request_object_signing_alg") {
        None | Some(Value::Null) => {}
        Some(Value::String(a)) if a == "none" || a.parse::<SigningAlg>().is_ok() => {}
        Some(_) => causes
            .push("request_object_signing_alg: must be one of RS256, ES256, EdDSA, none".into()),
    }
    for flag in [
        "require_signed_request_object",
        "require_pushed_authorization_requests",
    ] {
        if !matches!(set.get(flag), None | Some(Value::Null | Value::Bool(_))) {
            causes.push(format!("{flag}: must be true or false"));
        }
    }
}

fn check_registrable(uri: &str) -> Result<(), String> {
    if uri.len() > MAX_REQUEST_URI {
        return Err(format!("is longer than {MAX_REQUEST_URI} characters"));
    }
    let parsed = url::Url::parse(uri).map_err(|_| "must be an absolute URL".to_owned())?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")) => Ok(()),
        _ => {
            Err("must use https (http is allowed only for localhost and loopback addresses)".into())
        }
    }
}

/// How an authorization request carries its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier<'a> {
    /// In the query or form, as usual.
    Plain,
    /// `request`: a request object by value.
    Value(&'a str),
    /// `request_uri`: a request object to fetch.
    Reference(&'a str),
    /// `request_uri` naming a request the server holds.
    Held(&'a str),
}

/// How `params` carry the request; `request` and `request_uri` together are refused.
pub fn carrier(params: &Params) -> Result<Carrier<'_>, OAuthError> {
    match (params.get("request"), params.get("request_uri")) {
        (None, None) => Ok(Carrier::Plain),
        (Some(_), Some(_)) => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "The 'request' and 'request_uri' parameters cannot be used together.",
        )),
        (Some(jwt), None) => Ok(Carrier::Value(jwt)),
        (None, Some(uri)) if uri.starts_with(HELD_PREFIX) => Ok(Carrier::Held(uri)),
        (None, Some(uri)) if uri.len() > MAX_REQUEST_URI => Err(bad_uri(format!(
            "The request_uri is longer than {MAX_REQUEST_URI} characters."
        ))),
        (None, Some(uri)) => Ok(Carrier::Reference(uri)),
    }
}

fn bad_uri(d: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestUri, d)
}

fn bad_object(d: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestObject, d)
}

/// Where a `request_uri` may be fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// One of the client's `request_uris`: fetched as registered.
    Registered,
    /// A client without `request_uris`: fetched only from a host with public addresses (the caller's resolver
    /// drops the others).
    PublicOnly,
}

/// Whether the server may fetch `uri` for `client`, and how.
pub fn check_request_uri(uri: &str, client: &OAuthClient) -> Result<Fetch, OAuthError> {
    let registered = Registered(client).request_uris();
    let bare = |u: &str| u.split_once('#').map_or(u, |(b, _)| b).to_owned();
    if !registered.is_empty() {
        return if registered.iter().any(|r| bare(r) == bare(uri)) {
            Ok(Fetch::Registered)
        } else {
            Err(bad_uri(
                "The request_uri is not one of the client's registered request_uris.",
            ))
        };
    }
    let parsed = url::Url::parse(uri).map_err(|_| bad_uri("The request_uri is not a URL."))?;
    if parsed.scheme() != "https" {
        return Err(bad_uri(
            "The request_uri must use https (or be registered in the client's request_uris).",
        ));
    }
    let host_ok = match parsed.host() {
        Some(url::Host::Domain(d)) => !d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        None => false,
    };
    if !host_ok || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad_uri(
            "The request_uri must name a public host (or be registered in the client's request_uris).",
        ));
    }
    Ok(Fetch::PublicOnly)
}

pub use crate::outbound::is_public;

/// A request object whose signature (if any) and claims were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestObject {
    pub claims: Map<String, Value>,
    pub signed: bool,
}

/// The claims of a request object, unverified: only to find where an error about it may be sent (a redirect
/// URI the client registered, as for any request).
pub fn unverified_claims(jwt: &str) -> Option<Map<String, Value>> {
    UnverifiedJws::parse(jwt).ok().map(|j| j.claims)
}

/// Verifies `jwt`, a request object of `app` for the server whose issuer is `issuer`, with the app's keys.
pub async fn verify(
    jwt: &str,
    app: &App,
    keys: &dyn ClientKeys,
    issuer: &str,
    now: Timestamp,
) -> Result<RequestObject, OAuthError> {
    let jwt = jwt.trim();
    if jwt.split('.').count() == 5 {
        return Err(bad_object("Encrypted request objects are not supported."));
    }
    let jws = UnverifiedJws::parse(jwt)
        .map_err(|e| bad_object("The request object is not a JWT.").with_detail(e.to_string()))?;
    if let Some(typ) = jws.typ() {
        let typ = typ.to_ascii_lowercase();
        let typ = typ.strip_prefix("application/").unwrap_or(&typ);
        if typ != "jwt" && typ != "oauth-authz-req+jwt" {
            return Err(bad_object(format!(
                "A request object's typ is oauth-authz-req+jwt, not {typ}."
            )));
        }
    }
    let alg = jws
        .header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_object("The request object has no alg."))?;
    let registered = Registered(&app.client);
    if let Some(wanted) = registered.signing_alg()
        && wanted != alg
    {
        return Err(bad_object(format!(
            "The client's request objects must use {wanted} (request_object_signing_alg), not {alg}."
        )));
    }
    let signed = alg != "none";
    if signed {
        let parsed = jws.alg().map_err(|_| {
            bad_object(format!(
                "The request object's algorithm {alg} is not supported: use RS256, ES256 or EdDSA."
            ))
        })?;
        let client_keys = keys.keys(app, jws.kid()).await.map_err(|e| {
            bad_object("The client's keys cannot be read.")
                .with_detail(e.detail.unwrap_or(e.description))
        })?;
        if client_keys.is_empty() {
            return Err(bad_object(
                "The client has no registered keys (jwks or jwks_uri) to verify its request objects with.",
            ));
        }
        jws.verify(&client_keys).map_err(|e| {
            bad_object("The request object's signature is not valid.")
                .with_detail(format!("{parsed}: {e}"))
        })?;
    } else {
        if registered.require_signed() {
            return Err(bad_object(
                "The client's request objects must be signed (require_signed_request_object).",
            ));
        }
        if !jwt.ends_with('.') {
            return Err(bad_object(
                "An unsigned request object has an empty signature.",
            ));
        }
    }
    let c = &jws.claims;
    let client_id = app.client.client_id.as_str();
    match c.get("iss") {
        None => {}
        Some(Value::String(s)) if s == client_id => {}
        Some(_) => {
            return Err(bad_object(
                "The request object's iss must be the client id.",
            ));
        }
    }
    let aud_ok = match c.get("aud") {
        None => !signed,
        Some(Value::String(a)) => a == issuer,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(issuer)),
        Some(_) => false,
    };
    if !aud_ok {
        return Err(bad_object(format!(
            "The request object's aud must be the issuer, {issuer}."
        )));
    }
    let now_s = now.timestamp();
    let time = |name: &str| -> Result<Option<i64>, OAuthError> {
        match c.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_f64().map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| bad_object(format!("The request object's {name} is not a number."))),
        }
    };
    // Saturating: the times are the client's, any i64 (or a float cast to one) included.
    if time("exp")?.is_some_and(|exp| exp.saturating_add(LEEWAY) <= now_s) {
        return Err(bad_object("The request object has expired."));
    }
    if time("nbf")?.is_some_and(|nbf| nbf.saturating_sub(LEEWAY) > now_s) {
        return Err(bad_object("The request object is not valid yet (nbf)."));
    }
    if time("iat")?.is_some_and(|iat| iat.saturating_sub(LEEWAY) > now_s) {
        return Err(bad_object(
            "The request object was issued in the future (iat).",
        ));
    }
    match c.get("client_id") {
        None => {}
        Some(Value::String(s)) if s == client_id => {}
        Some(_) => {
            return Err(bad_object(
                "The request object's client_id differs from the request's.",
            ));
        }
    }
    if c.contains_key("request") || c.contains_key("request_uri") {
        return Err(bad_object(
            "A request object cannot contain 'request' or 'request_uri'.",
        ));
    }
    Ok(RequestObject {
        claims: c.clone(),
        signed,
    })
}

/// A claim as a request parameter: strings as they are, numbers and booleans as text, objects (`claims`) and
/// arrays as JSON.
fn as_param(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// The request's parameters from a request object's `claims` and the parameters `outer` sent beside it (module
/// documentation).
pub fn assemble(outer: &Params, claims: &Map<String, Value>) -> Result<Params, OAuthError> {
    let inner: BTreeMap<String, String> = claims
        .iter()
        .filter(|(k, _)| !JWT_CLAIMS.contains(&k.as_str()))
        .filter_map(|(k, v)| as_param(v).map(|v| (k.clone(), v)))
        .collect();
    if let (Some(o), Some(i)) = (outer.get("response_type"), inner.get("response_type")) {
        fn set(s: &str) -> Vec<&str> {
            let mut v: Vec<&str> = s.split(' ').filter(|x| !x.is_empty()).collect();
            v.sort_unstable();
            v
        }
        if set(o) != set(i) {
            return Err(bad_object(
                "The response_type in the request object differs from the request's.",
            ));
        }
    }
    if let (Some(o), Some(i)) = (outer.get("client_id"), inner.get("client_id"))
        && o != i
    {
        return Err(bad_object(
            "The request object's client_id differs from the request's.",
        ));
    }
    let oidc = outer.list("scope").iter().any(|s| s == "openid");
    let mut out: BTreeMap<String, String> = if oidc {
        outer
            .iter()
            .filter(|(k, _)| *k != "request" && *k != "request_uri")
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    } else {
        outer
            .iter()
            .filter(|(k, _)| *k == "client_id")
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    out.extend(inner);
    Params::from_pairs(out)
}

/// Refuses a request that did not come through the PAR endpoint (`held` is false) for an app that requires it.
pub fn require_pushed(client: &OAuthClient, held: bool) -> Result<(), OAuthError> {
    if Registered(client).require_pushed() && !held {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "This client must push its authorization requests to the pushed authorization request endpoint (PAR) first.",
        ));
    }
    Ok(())
}

/// The parameters a pushed authorization request holds: everything but client authentication; a `request_uri` is
/// refused (RFC 9126 §2.1).
pub fn pushed_params(params: &Params, client_id: &str) -> Result<Params, OAuthError> {
    if params.get("request_uri").is_some() {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "A pushed authorization request cannot contain 'request_uri'.",
        ));
    }
    if params.get("client_id").is_some_and(|id| id != client_id) {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "The client_id differs from the authenticated client.",
        ));
    }
    let kept = params
        .iter()
        .filter(|(k, _)| !CLIENT_AUTH.contains(k) && *k != "client_id")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .chain([("client_id".to_owned(), client_id.to_owned())]);
    Params::from_pairs(kept)
}

/// The SHA-256 a held request is found by.
pub fn held_hash(request_uri: &str) -> [u8; 32] {
    sha256(request_uri.as_bytes())
}

/// Holds `params` for `client_id` at `auth_server_id` for `lifetime`: the `request_uri` naming them (256 random
/// bits) and the record to store.
pub fn hold(
    params: &Params,
    client_id: &str,
    auth_server_id: &str,
    lifetime: Duration,
    now: Timestamp,
    random: &dyn Random,
) -> (String, PushedRequest) {
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes);
    let uri = format!("{HELD_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let record = PushedRequest {
        hash: held_hash(&uri),
        client_id: client_id.to_owned(),
        auth_server_id: auth_server_id.to_owned(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        created: now,
        expires_at: now + lifetime,
    };
    (uri, record)
}

/// Stores a held request ([`hold`]'s record), forgetting the expired ones first (one indexed `DELETE`): requests
/// are held on behalf of unauthenticated browsers too, so the table never holds more than the live ones. Failing to
/// forget is not failing to hold.
pub async fn keep(
    store: &dyn PushedRequestStore,
    record: &PushedRequest,
    now: Timestamp,
) -> StoreResult<()> {
    if let Err(e) = store.delete_expired_pushed_requests(now).await {
        tracing::warn!(error = %e, "cannot forget expired pushed requests");
    }
    store.insert_pushed_request(record).await
}

/// The parameters of a held request.
pub fn held_params(record: &PushedRequest) -> Result<Params, OAuthError> {
    Params::from_pairs(record.params.iter().cloned())
}

/// Refuses parameters that still carry a request object: the handler resolves `request` and `request_uri` into
/// the request's parameters before validating them.
pub fn ensure_resolved(params: &Params) -> Result<(), OAuthError> {
    if params.get("request").is_some() || params.get("request_uri").is_some() {
        return Err(bad_object(
            "The request object of this request was not processed.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Jwk, SigningKey, jws};
    use crate::model::*;
    use async_trait::async_trait;
    use serde_json::json;

    const ISSUER: &str = "https://id.example/oauth2/default";

    /// A web app registered with `extra` in `settings.oauthClient`, through the Apps API's validation.
    fn app(extra: Value) -> App {
        let now = crate::clock::from_millis(0);
        let mut set = json!({"redirect_uris": ["https://a.example/cb"]});
        if let (Some(set), Value::Object(extra)) = (set.as_object_mut(), extra) {
            set.extend(extra);
        }
        let settings = json!({ "oauthClient": set });
        let client =
            crate::apps::client_from_body(&Map::new(), settings.as_object().unwrap(), "c1", None)
                .unwrap();
        App {
            id: "0oa1".into(),
            name: "oidc_client".into(),
            label: "A".into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client,
            created: now,
            last_updated: now,
        }
    }

    struct Keys(Vec<Jwk>);

    #[async_trait]
    impl ClientKeys for Keys {
        async fn keys(&self, _: &App, _: Option<&str>) -> Result<Vec<Jwk>, OAuthError> {
            Ok(self.0.clone())
        }
    }

    fn now() -> Timestamp {
        crate::clock::from_millis(1_700_000_000_000)
    }

    fn unsigned(claims: &Value) -> String {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn claims() -> Value {
        json!({"iss": "c1", "aud": ISSUER, "client_id": "c1", "response_type": "code",
            "scope": "openid", "redirect_uri": "https://a.example/cb", "state": "s",
            "exp": now().timestamp() + 300, "max_age": 60,
            "claims": {"userinfo": {"name": null}}})
    }

    async fn check(jwt: &str, a: &App, keys: &[Jwk]) -> Result<RequestObject, OAuthError> {
        verify(jwt, a, &Keys(keys.to_vec()), ISSUER, now()).await
    }

    #[tokio::test]
    async fn signed_objects_verify_with_the_clients_keys_and_every_algorithm() {
        let a = app(json!({}));
        for alg in SigningAlg::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let jwt = jws::sign(&key, Some("oauth-authz-req+jwt"), &claims()).unwrap();
            let ro = check(&jwt, &a, std::slice::from_ref(key.public_jwk()))
                .await
                .unwrap();
            assert!(ro.signed);
            let other = SigningKey::generate(alg).unwrap();
            let e = check(&jwt, &a, std::slice::from_ref(other.public_jwk()))
                .await
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequestObject, "{alg}");
            // No keys at all.
            assert!(check(&jwt, &a, &[]).await.is_err());
        }
    }

    #[tokio::test]
    async fn claims_are_checked() {
        let a = app(json!({}));
        let key = SigningKey::generate(SigningAlg::RS256).unwrap();
        let keys = [key.public_jwk().clone()];
        let with = |patch: Value| {
            let mut c = claims();
            for (k, v) in patch.as_object().unwrap() {
                if v.is_null() {
                    c.as_object_mut().unwrap().remove(k);
                } else {
                    c[k] = v.clone();
                }
            }
            jws::sign(&key, None, &c).unwrap()
        };
        for bad in [
            json!({"iss": "other"}),
            json!({"aud": "https://elsewhere"}),
            json!({"aud": null}),
            json!({"exp": now().timestamp() - 60}),
            json!({"nbf": now().timestamp() + 600}),
            json!({"client_id": "c2"}),
            json!({"request_uri": "https://x"}),
            json!({"exp": "soon"}),
        ] {
            let e = check(&with(bad.clone()), &a, &keys).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequestObject, "{bad}");
        }
        for good in [
            json!({"iss": null}),
            json!({"aud": [ISSUER, "x"]}),
            json!({"exp": null}),
            json!({"exp": now().timestamp() - 10}),
            json!({"nbf": now().timestamp() + 10}),
        ] {
            check(&with(good.clone()), &a, &keys)
                .await
                .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        let wrong_typ = jws::sign(&key, Some("at+jwt"), &claims()).unwrap();
        assert!(check(&wrong_typ, &a, &keys).await.is_err());
        assert!(check("a.b.c.d.e", &a, &keys).await.is_err());
        assert!(check("garbage", &a, &keys).await.is_err());
    }

    #[tokio::test]
    async fn objects_issued_in_the_future_or_with_critical_extensions_are_refused() {
        let a = app(json!({}));
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let keys = [key.public_jwk().clone()];
        let with_iat = |iat: i64| {
            let mut c = claims();
            c["iat"] = json!(iat);
            jws::sign(&key, None, &c).unwrap()
        };
        let day_ahead = check(&with_iat(now().timestamp() + 86_400), &a, &keys).await;
        assert_eq!(day_ahead.unwrap_err().code, ErrorCode::InvalidRequestObject);
        let mut c = claims();
        c["iat"] = json!(now().timestamp() + 86_400);
        assert!(check(&unsigned(&c), &a, &[]).await.is_err(), "unsigned too");
        check(&with_iat(now().timestamp() + 10), &a, &keys)
            .await
            .expect("within the clock skew");
        check(&with_iat(now().timestamp() - 600), &a, &keys)
            .await
            .expect("issued in the past");
        // RFC 7515 §4.1.11: a `crit` extension Lanyard does not understand (it understands none) refuses the JWS.
        let header = json!({"alg": "ES256", "kid": key.kid(), "crit": ["exp"], "exp": 1});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        let sig = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).unwrap());
        let e = check(&format!("{input}.{sig}"), &a, &keys)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequestObject);
        let header = json!({"alg": "none", "crit": ["b64"], "b64": false});
        let jwt = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert!(check(&jwt, &a, &[]).await.is_err(), "unsigned with crit");
    }

    #[tokio::test]
    async fn extreme_times_are_answered_not_overflowed() {
        let with = |name: &str, v: Value| {
            let mut c = claims();
            c[name] = v;
            unsigned(&c)
        };
        let a = app(json!({}));
        for (name, v, ok) in [
            ("exp", json!(i64::MAX), true),
            ("exp", json!(1e300), true),
            ("exp", json!(i64::MIN), false),
            ("nbf", json!(i64::MIN), true),
            ("nbf", json!(-1e300), true),
            ("nbf", json!(i64::MAX), false),
        ] {
            let r = check(&with(name, v.clone()), &a, &[]).await;
            assert_eq!(r.is_ok(), ok, "{name}={v}: {r:?}");
        }
    }

    #[tokio::test]
    async fn unsigned_objects_follow_the_clients_registration() {
        let jwt = unsigned(&claims());
        let ro = check(&jwt, &app(json!({})), &[]).await.unwrap();
        assert!(!ro.signed);
        // No aud needed when unsigned.
        let mut c = claims();
        c.as_object_mut().unwrap().remove("aud");
        check(&unsigned(&c), &app(json!({})), &[]).await.unwrap();
        assert!(
            check(
                &jwt,
                &app(json!({"request_object_signing_alg": "none"})),
                &[]
            )
            .await
            .is_ok()
        );
        for strict in [
            json!({"request_object_signing_alg": "RS256"}),
            json!({"require_signed_request_object": true}),
        ] {
            let e = check(&jwt, &app(strict), &[]).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequestObject);
        }
        // A registered algorithm is the only one.
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let es = jws::sign(&key, None, &claims()).unwrap();
        let only_rs = app(json!({"request_object_signing_alg": "RS256"}));
        assert!(
            check(&es, &only_rs, &[key.public_jwk().clone()])
                .await
                .is_err()
        );
        // `none` with a signature is not unsigned.
        let forged = format!("{}AAAA", jwt);
        assert!(check(&forged, &app(json!({})), &[]).await.is_err());
        // HS256 is refused.
        let hs = format!(
            "{}.{}.AAAA",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert!(check(&hs, &app(json!({})), &[]).await.is_err());
    }

    fn p(q: &str) -> Params {
        Params::parse(q.as_bytes()).unwrap()
    }

    #[test]
    fn oidc_requests_merge_and_oauth_requests_use_the_object_only() {
        let object = claims();
        let object = object.as_object().unwrap();
        let outer = p(
            "client_id=c1&response_type=code&scope=openid%20email&redirect_uri=https://evil/cb&nonce=n&request=x",
        );
        let merged = assemble(&outer, object).unwrap();
        assert_eq!(merged.get("redirect_uri"), Some("https://a.example/cb"));
        assert_eq!(merged.get("scope"), Some("openid"));
        assert_eq!(merged.get("nonce"), Some("n"), "filled in from outside");
        assert_eq!(merged.get("max_age"), Some("60"));
        assert_eq!(merged.get("claims"), Some(r#"{"userinfo":{"name":null}}"#));
        assert_eq!(merged.get("request"), None);
        assert_eq!(merged.get("iss"), None);
        assert_eq!(merged.get("exp"), None);
        let oauth = assemble(&p("client_id=c1&nonce=n&state=outside"), object).unwrap();
        assert_eq!(oauth.get("nonce"), None, "only the object's parameters");
        assert_eq!(oauth.get("state"), Some("s"));
        assert_eq!(oauth.get("client_id"), Some("c1"));
        let e = assemble(&p("client_id=c1&response_type=token&scope=openid"), object).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequestObject);
        let e = assemble(&p("client_id=c2&scope=openid"), object).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequestObject);
    }

    #[test]
    fn carriers_and_request_uris() {
        assert_eq!(carrier(&p("a=1")).unwrap(), Carrier::Plain);
        assert_eq!(carrier(&p("request=x")).unwrap(), Carrier::Value("x"));
        assert!(carrier(&p("request=x&request_uri=y")).is_err());
        let held = format!("request_uri={HELD_PREFIX}abc");
        assert!(matches!(carrier(&p(&held)).unwrap(), Carrier::Held(_)));
        let long = format!("request_uri=https://a/{}", "x".repeat(600));
        assert_eq!(
            carrier(&p(&long)).unwrap_err().code,
            ErrorCode::InvalidRequestUri
        );

        let open = app(json!({})).client;
        assert_eq!(
            check_request_uri("https://rp.example/r/1", &open).unwrap(),
            Fetch::PublicOnly
        );
        for refused in [
            "http://rp.example/r",
            "https://127.0.0.1/r",
            "https://10.1.2.3/r",
            "https://[::1]/r",
            "https://[fd00::1]/r",
            "https://169.254.169.254/latest",
            "https://localhost/r",
            "https://u:p@rp.example/r",
            "not a url",
        ] {
            assert_eq!(
                check_request_uri(refused, &open).unwrap_err().code,
                ErrorCode::InvalidRequestUri,
                "{refused}"
            );
        }
        let listed =
            app(json!({"request_uris": ["http://127.0.0.1:8080/r#abc", "https://rp.example/r"]}))
                .client;
        assert_eq!(
            check_request_uri("http://127.0.0.1:8080/r", &listed).unwrap(),
            Fetch::Registered
        );
        assert_eq!(
            check_request_uri("https://rp.example/r#h", &listed).unwrap(),
            Fetch::Registered
        );
        assert!(check_request_uri("https://rp.example/other", &listed).is_err());
        assert!(is_public("93.184.216.34".parse().unwrap()));
        assert!(is_public("2606:2800:220:1::1".parse().unwrap()));
        assert!(!is_public("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!is_public("100.64.0.1".parse().unwrap()));
    }

    #[test]
    fn registration_is_checked() {
        let check = |v: Value| {
            let mut causes = Vec::new();
            check_client_metadata(v.as_object().unwrap(), &mut causes);
            causes
        };
        assert!(
            check(
                json!({"request_uris": ["https://rp/r#x", "http://localhost:1/r"],
                "request_object_signing_alg": "none", "require_signed_request_object": false,
                "require_pushed_authorization_requests": true})
            )
            .is_empty()
        );
        assert_eq!(check(json!({"request_uris": ["http://rp/r", 3]})).len(), 2);
        assert_eq!(check(json!({"request_uris": "https://rp/r"})).len(), 1);
        assert_eq!(
            check(json!({"request_object_signing_alg": "HS256"})).len(),
            1
        );
        assert_eq!(
            check(json!({"require_pushed_authorization_requests": "yes"})).len(),
            1
        );
    }

    #[tokio::test]
    async fn a_held_request_is_kept_and_the_expired_ones_forgotten() {
        use crate::store::memory::MemoryStore;
        let store = MemoryStore::new();
        let random = crate::random::TestRandom::default();
        let params = p("client_id=c1&response_type=code&scope=openid");
        let (old_uri, old) = hold(&params, "c1", "default", PUSHED_LIFETIME, now(), &random);
        keep(&store, &old, now()).await.unwrap();
        let later = now() + PUSHED_LIFETIME + chrono::Duration::seconds(1);
        let (uri, record) = hold(&params, "c1", "default", PUSHED_LIFETIME, later, &random);
        keep(&store, &record, later).await.unwrap();
        let found = store
            .pushed_request(&held_hash(&uri), "c1", "default", later)
            .await
            .unwrap();
        assert_eq!(found, Some(record));
        assert_eq!(
            store.delete_expired_pushed_requests(later).await.unwrap(),
            0,
            "the expired request {old_uri} was forgotten when the new one was kept"
        );
    }

    #[test]
    fn pushed_requests_hold_the_request_without_client_authentication() {
        let params = p("client_id=c1&client_secret=s&response_type=code&scope=openid");
        let held = pushed_params(&params, "c1").unwrap();
        assert_eq!(held.get("client_secret"), None);
        assert_eq!(held.get("scope"), Some("openid"));
        let no_id = pushed_params(&p("scope=openid"), "c1").unwrap();
        assert_eq!(no_id.get("client_id"), Some("c1"));
        assert!(pushed_params(&p("client_id=c2"), "c1").is_err());
        assert!(pushed_params(&p("request_uri=x"), "c1").is_err());
        let random = crate::random::TestRandom::default();
        let (uri, record) = hold(&held, "c1", "default", PUSHED_LIFETIME, now(), &random);
        assert!(uri.starts_with(HELD_PREFIX) && uri.len() > HELD_PREFIX.len() + 40);
        assert_eq!(record.hash, held_hash(&uri));
        assert_eq!(record.expires_at, now() + PUSHED_LIFETIME);
        assert_eq!(held_params(&record).unwrap(), held);
        assert!(!format!("{record:?}").contains("openid"));
        assert!(require_pushed(&app(json!({})).client, false).is_ok());
        let strict = app(json!({"require_pushed_authorization_requests": true})).client;
        assert_eq!(
            require_pushed(&strict, false).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert!(require_pushed(&strict, true).is_ok());
        assert!(ensure_resolved(&p("request=x")).is_err());
    }
}
