//! Apps as the management API receives them: Okta's OIDC app body (`credentials.oauthClient`,
//! `settings.oauthClient`) validated into an [`OAuthClient`], redirect URIs checked at registration and matched at
//! authorization (exactly, except the port of a native app's loopback redirect, RFC 8252 §7.3), and client secrets
//! minted (≥ 256 bits) and hashed with SHA-256.

use serde_json::{Map, Value};

pub mod assignments;
pub mod instances;

use crate::crypto::{constant_time_eq, sha256};
use crate::id::random_base62_into;
use crate::model::{
    ApplicationType, ClientAuthMethod, ClientSecret, GrantType, LogoutNotices, OAuthClient,
};
use crate::random::Random;

/// Validation failures as Okta's `errorCauses`: `field: message`.
pub type Causes = Vec<String>;

/// A freshly minted client secret: the value (shown once) and what is stored.
pub struct MintedSecret {
    pub value: String,
    pub hash: [u8; 32],
    pub prefix: String,
}

impl std::fmt::Debug for MintedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MintedSecret({}…)", self.prefix)
    }
}

/// 64 base62 characters: 381 bits, no characters that need URL-encoding in Basic auth.
pub fn mint_secret(random: &dyn Random) -> MintedSecret {
    let mut value = String::with_capacity(64);
    random_base62_into(&mut value, 64, random);
    MintedSecret {
        hash: sha256(value.as_bytes()),
        prefix: value[..4].to_owned(),
        value,
    }
}

/// A new active secret for app `app_id`: the value, shown once, and the record that keeps only its SHA-256.
pub fn new_secret(
    app_id: &str,
    now: crate::clock::Timestamp,
    random: &dyn Random,
) -> (MintedSecret, ClientSecret) {
    let minted = mint_secret(random);
    let record = secret_record(app_id, &minted, now, random);
    (minted, record)
}

/// The shortest and longest client secret a caller may choose, and the characters it may use (Okta's limits:
/// 14 to 100; the characters that need no escaping in a URL or in HTTP Basic credentials).
pub const CHOSEN_SECRET_LEN: std::ops::RangeInclusive<usize> = 14..=100;

/// The client secret a caller chose in `credentials.oauthClient.client_secret` (Okta accepts one when an app is
/// created, so that a test suite can hard-code it), checked: `None` when none was given.
pub fn chosen_secret(credentials: &Map<String, Value>) -> Result<Option<MintedSecret>, Causes> {
    let given = credentials
        .get("oauthClient")
        .and_then(Value::as_object)
        .and_then(|c| c.get("client_secret"));
    let value = match given {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(_) => return Err(vec!["client_secret: must be a string".into()]),
    };
    let ok = CHOSEN_SECRET_LEN.contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !ok {
        return Err(vec![
            "client_secret: must be 14 to 100 of the characters A-Z a-z 0-9 - . _ ~".into(),
        ]);
    }
    Ok(Some(MintedSecret {
        hash: sha256(value.as_bytes()),
        prefix: value[..4].to_owned(),
        value: value.clone(),
    }))
}

/// The stored record of secret `minted` (its SHA-256 and first characters only), active from `now`.
pub fn secret_record(
    app_id: &str,
    minted: &MintedSecret,
    now: crate::clock::Timestamp,
    random: &dyn Random,
) -> ClientSecret {
    ClientSecret {
        id: crate::id::new_id(crate::id::prefix::CLIENT_SECRET, now, random),
        app_id: app_id.to_owned(),
        hash: minted.hash,
        prefix: minted.prefix.clone(),
        status: crate::model::LifecycleStatus::Active,
        created: now,
        last_updated: now,
    }
}

/// Whether `presented` is one of the active secrets (compared by hash in constant time; every secret is compared).
pub fn secret_matches(presented: &str, secrets: &[ClientSecret]) -> bool {
    let hash = sha256(presented.as_bytes());
    let mut found = false;
    for s in secrets {
        found |=
            s.status == crate::model::LifecycleStatus::Active && constant_time_eq(&s.hash, &hash);
    }
    found
}

fn str_list(v: Option<&Value>, field: &str, causes: &mut Causes) -> Option<Vec<String>> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item.as_str() {
                    Some(s) => out.push(s.to_owned()),
                    None => causes.push(format!("{field}: must be a list of strings")),
                }
            }
            Some(out)
        }
        Some(_) => {
            causes.push(format!("{field}: must be a list of strings"));
            None
        }
    }
}

fn opt_str(v: Option<&Value>, field: &str, causes: &mut Causes) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            causes.push(format!("{field}: must be a string"));
            None
        }
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "[::1]"
}

/// Checks a redirect URI at registration: absolute, no fragment, no `javascript:`/`data:`; https, or http only on
/// a loopback host; native apps may also use a private-use scheme (`com.example.app:/callback`).
pub fn check_redirect_uri(uri: &str, app_type: ApplicationType) -> Result<(), String> {
    // Parsers drop surrounding whitespace and tabs or newlines inside; a URI registered with them would match a
    // request only as written, and be sent back as written.
    if uri.trim() != uri || uri.chars().any(char::is_control) {
        return Err("must not contain whitespace or control characters around or inside it".into());
    }
    let parsed = url::Url::parse(uri).map_err(|_| "must be an absolute URI".to_owned())?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err("must not contain a fragment".into());
    }
    match parsed.scheme() {
        "javascript" | "data" | "vbscript" | "file" => {
            Err(format!("the {} scheme is not allowed", parsed.scheme()))
        }
        "https" => Ok(()),
        "http" => match parsed.host_str() {
            Some(h) if is_loopback_host(h) => Ok(()),
            _ => Err(
                "must use https (http is allowed only for localhost and loopback addresses)".into(),
            ),
        },
        _ if app_type == ApplicationType::Native && parsed.scheme().contains('.') => Ok(()),
        other => Err(format!(
            "the {other} scheme is not allowed for this application type"
        )),
    }
}

/// The URI to send the browser to when a presented redirect URI matches a registered one, else `None`. The match is
/// exact, as strings, except that a native app's loopback redirect (http on `127.0.0.1`, `[::1]` or `localhost`)
/// matches on any port (RFC 8252 §7.3). Only the port may differ: the presented URI must be written exactly as the
/// WHATWG URL standard writes it — another spelling of the address (`127.1`, `2130706433`), a missing `//`,
/// whitespace, a fragment (even an empty `#`, which would put the code in the fragment), a path with `..` are
/// refused — so the URI the browser is sent to, its serialisation, is the very string that was compared.
pub fn matched_redirect_uri(
    registered: &str,
    presented: &str,
    app_type: ApplicationType,
) -> Option<String> {
    if registered == presented {
        return Some(presented.to_owned());
    }
    if app_type != ApplicationType::Native {
        return None;
    }
    let without_port = |mut u: url::Url| u.set_port(None).ok().map(|()| u.to_string());
    let r = url::Url::parse(registered).ok()?;
    if r.scheme() != "http" || !r.host_str().is_some_and(is_loopback_host) {
        return None;
    }
    let p = url::Url::parse(presented).ok()?;
    if p.as_str() != presented || p.fragment().is_some() {
        return None;
    }
    let normalised = p.to_string();
    (without_port(r)? == without_port(p)?).then_some(normalised)
}

/// A client id a caller chose: 6 to 100 of the characters A-Z a-z 0-9 - . _ ~ (Okta's limits).
pub fn check_client_id(given: &str) -> Result<(), String> {
    let ok = (6..=100).contains(&given.len())
        && given
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if ok {
        Ok(())
    } else {
        Err("client_id: must be 6 to 100 of the characters A-Z a-z 0-9 - . _ ~".into())
    }
}

/// The client id a new app's body asks for (`credentials.oauthClient.client_id`), if any.
pub fn requested_client_id(credentials: &Map<String, Value>) -> Option<&str> {
    credentials
        .get("oauthClient")
        .and_then(Value::as_object)
        .and_then(|c| c.get("client_id"))
        .and_then(Value::as_str)
}

/// The OAuth client described by an app body (`credentials` and `settings` objects of Okta's shape), for a new app
/// (`previous` = None) or a replacement (`previous` = the current client, whose id cannot change).
pub fn client_from_body(
    credentials: &Map<String, Value>,
    settings: &Map<String, Value>,
    default_client_id: &str,
    previous: Option<&OAuthClient>,
) -> Result<OAuthClient, Causes> {
    let mut causes = Causes::new();
    let empty = Map::new();
    let cred = credentials
        .get("oauthClient")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let set = match settings.get("oauthClient") {
        Some(Value::Object(m)) => m,
        _ => {
            return Err(vec![
                "settings.oauthClient: is required for an OPENID_CONNECT app".into(),
            ]);
        }
    };

    let app_type = match opt_str(set.get("application_type"), "application_type", &mut causes) {
        None => ApplicationType::Web,
        Some(s) => ApplicationType::parse(&s).unwrap_or_else(|| {
            causes.push(format!(
                "application_type: must be one of web, browser, native, service, not {s:?}"
            ));
            ApplicationType::Web
        }),
    };

    let client_id = match (
        previous,
        opt_str(cred.get("client_id"), "client_id", &mut causes),
    ) {
        (Some(p), Some(given)) if given != p.client_id => {
            causes.push("client_id: cannot be changed".into());
            p.client_id.clone()
        }
        (Some(p), _) => p.client_id.clone(),
        (None, Some(given)) => {
            if let Err(cause) = check_client_id(&given) {
                causes.push(cause);
            }
            given
        }
        (None, None) => default_client_id.to_owned(),
    };

    let default_method = if app_type.is_public() {
        ClientAuthMethod::None
    } else {
        ClientAuthMethod::ClientSecretBasic
    };
    let method = match opt_str(
        cred.get("token_endpoint_auth_method"),
        "token_endpoint_auth_method",
        &mut causes,
    ) {
        None => default_method,
        Some(s) => ClientAuthMethod::parse(&s).unwrap_or_else(|| {
            causes.push(format!(
                "token_endpoint_auth_method: must be one of client_secret_basic, client_secret_post, private_key_jwt, none, not {s:?}"
            ));
            default_method
        }),
    };
    if app_type.is_public() && method != ClientAuthMethod::None {
        causes.push(format!(
            "token_endpoint_auth_method: a {} app is public and must use none",
            app_type.as_str()
        ));
    }
    if !app_type.is_public() && method == ClientAuthMethod::None {
        causes.push(format!(
            "token_endpoint_auth_method: a {} app is confidential and cannot use none",
            app_type.as_str()
        ));
    }

    let pkce_required = match cred.get("pkce_required") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            causes.push("pkce_required: must be a boolean".into());
            true
        }
    };
    if app_type.is_public() && !pkce_required {
        causes.push("pkce_required: public clients must use PKCE".into());
    }

    let default_grants = match app_type {
        ApplicationType::Service => vec![GrantType::ClientCredentials],
        _ => vec![GrantType::AuthorizationCode],
    };
    let grant_types = match str_list(set.get("grant_types"), "grant_types", &mut causes) {
        None => default_grants,
        Some(list) => {
            let mut out = Vec::new();
            for g in list {
                match GrantType::parse(&g) {
                    Some(g) if !out.contains(&g) => out.push(g),
                    Some(_) => {}
                    None => causes.push(format!("grant_types: unknown grant type {g:?}")),
                }
            }
            if out.is_empty() {
                causes.push("grant_types: at least one grant type is required".into());
            }
            out
        }
    };
    if app_type == ApplicationType::Service
        && grant_types
            .iter()
            .any(|g| !matches!(g, GrantType::ClientCredentials | GrantType::TokenExchange))
    {
        causes.push(
            "grant_types: a service app may only use client_credentials and token exchange".into(),
        );
    }
    if app_type.is_public() && grant_types.contains(&GrantType::ClientCredentials) {
        causes.push("grant_types: client_credentials needs a confidential client".into());
    }
    if grant_types.contains(&GrantType::Password) {
        causes.push("grant_types: the password grant is not offered (RFC 9700 §2.4)".into());
    }

    let redirect_uris =
        str_list(set.get("redirect_uris"), "redirect_uris", &mut causes).unwrap_or_default();
    for uri in &redirect_uris {
        if let Err(e) = check_redirect_uri(uri, app_type) {
            causes.push(format!("redirect_uris: {uri} {e}"));
        }
    }
    let redirects_needed = grant_types
        .iter()
        .any(|g| matches!(g, GrantType::AuthorizationCode | GrantType::Implicit));
    if redirects_needed && redirect_uris.is_empty() {
        causes.push("redirect_uris: at least one redirect URI is required for the authorization_code and implicit grants".into());
    }
    let post_logout_redirect_uris = str_list(
        set.get("post_logout_redirect_uris"),
        "post_logout_redirect_uris",
        &mut causes,
    )
    .unwrap_or_default();
    for uri in &post_logout_redirect_uris {
        if let Err(e) = check_redirect_uri(uri, app_type) {
            causes.push(format!("post_logout_redirect_uris: {uri} {e}"));
        }
    }

    // Okta's single values: `code` for the authorization code grant, `id_token` and `token` for implicit (and
    // hybrid) flows; `token` is also what Okta's service apps list for client credentials.
    let response_types = str_list(set.get("response_types"), "response_types", &mut causes)
        .unwrap_or_else(|| {
            let mut d = Vec::new();
            if grant_types.contains(&GrantType::AuthorizationCode) {
                d.push("code".to_owned());
            }
            if grant_types.contains(&GrantType::Implicit) {
                d.extend(["id_token".to_owned(), "token".to_owned()]);
            }
            d
        });
    for r in &response_types {
        if !matches!(r.as_str(), "code" | "token" | "id_token") {
            causes.push(format!("response_types: unknown response type {r:?}"));
        }
    }
    let implicit = grant_types.contains(&GrantType::Implicit);
    let has = |r: &str| response_types.iter().any(|x| x == r);
    // The implicit grant (tokens from the authorization endpoint) is off unless asked for, and only for apps
    // that run in a browser: a native app uses the code flow (RFC 8252 §8.2).
    if implicit && !matches!(app_type, ApplicationType::Web | ApplicationType::Browser) {
        causes.push(format!(
            "grant_types: implicit is for web and browser apps, not {} apps",
            app_type.as_str()
        ));
    }
    if implicit && !has("id_token") && !has("token") {
        causes.push("response_types: the implicit grant needs id_token or token".into());
    }
    if has("id_token") && !implicit {
        causes.push("response_types: id_token needs the implicit grant type".into());
    }
    if has("token") && !implicit && !grant_types.contains(&GrantType::ClientCredentials) {
        causes.push("response_types: token needs the implicit grant type".into());
    }
    let consent_method = opt_str(set.get("consent_method"), "consent_method", &mut causes)
        .unwrap_or_else(|| "TRUSTED".into());
    if !matches!(consent_method.as_str(), "TRUSTED" | "REQUIRED") {
        causes.push("consent_method: must be TRUSTED or REQUIRED".into());
    }

    let jwks = match set.get("jwks").or_else(|| cred.get("jwks")) {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(m)) if m.get("keys").is_some_and(Value::is_array) => Some(v.clone()),
        Some(_) => {
            causes.push("jwks: must be a JWK Set ({\"keys\": [...]})".into());
            None
        }
    };
    let jwks_uri = opt_str(set.get("jwks_uri"), "jwks_uri", &mut causes);
    if let Some(u) = &jwks_uri
        && !u.starts_with("https://")
        && check_redirect_uri(u, ApplicationType::Web).is_err()
    {
        causes.push("jwks_uri: must be an https URL".into());
    }
    if method == ClientAuthMethod::PrivateKeyJwt && jwks.is_none() && jwks_uri.is_none() {
        causes
            .push("jwks: private_key_jwt needs the client's public keys (jwks or jwks_uri)".into());
    }
    let initiate_login_uri = opt_str(
        set.get("initiate_login_uri"),
        "initiate_login_uri",
        &mut causes,
    );
    // https (OIDC Registration §2), or http on a loopback address: an app on the admin's own machine, as a URL
    // variable of the catalog may be.
    if let Some(u) = &initiate_login_uri
        && let Err(e) = check_https_url(u)
    {
        causes.push(format!("initiate_login_uri: {e}"));
    }
    let dpop_bound_access_tokens = set
        .get("dpop_bound_access_tokens")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let logout = logout_notices(set, &redirect_uris, &mut causes);
    let claims = match set.get(APP_CLAIMS) {
        None => previous.map(|p| p.claims.clone()).unwrap_or_default(),
        Some(v) => app_claims(v, &mut causes),
    };
    // Lanyard's: an API that may introspect other clients' access tokens; kept in `extra` as sent, read back by
    // `OAuthClient::resource_server`.
    opt_bool(
        set.get(crate::model::RESOURCE_SERVER),
        crate::model::RESOURCE_SERVER,
        &mut causes,
    );

    // OIDC Registration §2: kept in `extra` as sent, read back by `OAuthClient::id_token_signed_response_alg`.
    match set.get("id_token_signed_response_alg") {
        None | Some(Value::Null) => {}
        Some(Value::String(a)) if a.parse::<crate::crypto::SigningAlg>().is_ok() => {}
        Some(Value::String(a)) if a == "none" => causes.push(
            "id_token_signed_response_alg: unsigned ID tokens (none) are not offered; use RS256, ES256 or EdDSA"
                .into(),
        ),
        Some(_) => causes.push(
            "id_token_signed_response_alg: must be one of RS256, ES256, EdDSA".into(),
        ),
    }

    // Request objects and PAR (`request_uris`, `request_object_signing_alg`, …): kept in `extra` as sent, read back
    // by `oauth::request_object::Registered`.
    crate::oauth::request_object::check_client_metadata(set, &mut causes);
    check_oidc_metadata(set, &redirect_uris, &mut causes);

    const KNOWN: &[&str] = &[
        "application_type",
        "grant_types",
        "redirect_uris",
        "post_logout_redirect_uris",
        "response_types",
        "consent_method",
        "jwks",
        "jwks_uri",
        "initiate_login_uri",
        "dpop_bound_access_tokens",
        "backchannel_logout_uri",
        "backchannel_logout_session_required",
        "frontchannel_logout_uri",
        "frontchannel_logout_session_required",
        APP_CLAIMS,
    ];
    let extra: Map<String, Value> = set
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    if !causes.is_empty() {
        return Err(causes);
    }
    Ok(OAuthClient {
        client_id,
        application_type: app_type,
        token_endpoint_auth_method: method,
        pkce_required,
        grant_types,
        response_types,
        redirect_uris,
        post_logout_redirect_uris,
        consent_method,
        jwks,
        jwks_uri,
        initiate_login_uri,
        dpop_bound_access_tokens,
        logout,
        extra,
        registration: previous.and_then(|p| p.registration.clone()),
        catalog: previous.and_then(|p| p.catalog.clone()),
        claims,
    })
}

/// Lanyard's: the claims an app's tokens carry for it alone, in `settings.oauthClient` (left out of a replacement:
/// kept as they were; `[]`: none).
pub const APP_CLAIMS: &str = "app_claims";

/// `app_claims`: `[{"name", "value": "groups" | an expression, "in": ["id_token" | "userinfo" | "access_token"],
/// "scope"?}]`, with a cause per problem.
fn app_claims(v: &Value, causes: &mut Causes) -> Vec<crate::model::AppClaim> {
    let Some(items) = v.as_array() else {
        causes.push(format!("{APP_CLAIMS}: must be an array of claims"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |f: &str| format!("{APP_CLAIMS}[{i}].{f}");
        let s = |k: &str| item.get(k).and_then(Value::as_str);
        let name = s("name").unwrap_or_default();
        if name.is_empty() || crate::authz::claims::RESERVED_CLAIMS.contains(&name) {
            causes.push(format!(
                "{}: must be a claim name that is not reserved",
                at("name")
            ));
        }
        let value = s("value").unwrap_or_default();
        if value != "groups" && crate::authz::claims::parse(value).is_err() {
            causes.push(format!(
                "{}: must be groups or an expression such as user.profile.department",
                at("value")
            ));
        }
        let targets: Vec<crate::model::ClaimIn> = item
            .get("in")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().and_then(crate::model::ClaimIn::parse))
                    .collect()
            })
            .unwrap_or_default();
        if targets.is_empty()
            || item
                .get("in")
                .and_then(Value::as_array)
                .is_some_and(|a| a.len() != targets.len())
        {
            causes.push(format!(
                "{}: must hold some of id_token, userinfo, access_token",
                at("in")
            ));
        }
        out.push(crate::model::AppClaim {
            name: name.to_owned(),
            value: value.to_owned(),
            targets,
            scope: s("scope").map(str::to_owned),
        });
    }
    out
}

fn opt_bool(v: Option<&Value>, field: &str, causes: &mut Causes) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            causes.push(format!("{field}: must be a boolean"));
            false
        }
    }
}

/// The logout notice settings: a back-channel URI is https (http only on loopback) without a fragment (OIDC
/// Back-Channel Logout §2.2); a front-channel URI likewise, and on the scheme, host and port of one of the app's
/// redirect URIs (Front-Channel Logout §2).
fn logout_notices(
    set: &Map<String, Value>,
    redirect_uris: &[String],
    causes: &mut Causes,
) -> LogoutNotices {
    let backchannel_logout_uri = opt_str(
        set.get("backchannel_logout_uri"),
        "backchannel_logout_uri",
        causes,
    );
    if let Some(u) = &backchannel_logout_uri
        && let Err(e) = check_redirect_uri(u, ApplicationType::Web)
    {
        causes.push(format!("backchannel_logout_uri: {u} {e}"));
    }
    let frontchannel_logout_uri = opt_str(
        set.get("frontchannel_logout_uri"),
        "frontchannel_logout_uri",
        causes,
    );
    if let Some(u) = &frontchannel_logout_uri {
        match check_redirect_uri(u, ApplicationType::Web) {
            Err(e) => causes.push(format!("frontchannel_logout_uri: {u} {e}")),
            Ok(()) => {
                let origin = |s: &str| url::Url::parse(s).ok().map(|p| p.origin());
                let same = redirect_uris
                    .iter()
                    .any(|r| origin(r).is_some_and(|o| Some(o) == origin(u)));
                if !same {
                    causes.push(format!(
                        "frontchannel_logout_uri: {u} must have the scheme, host and port of a redirect URI"
                    ));
                }
            }
        }
    }
    LogoutNotices {
        backchannel_logout_uri,
        backchannel_logout_session_required: opt_bool(
            set.get("backchannel_logout_session_required"),
            "backchannel_logout_session_required",
            causes,
        ),
        frontchannel_logout_uri,
        frontchannel_logout_session_required: opt_bool(
            set.get("frontchannel_logout_session_required"),
            "frontchannel_logout_session_required",
            causes,
        ),
    }
}

/// An absolute https URL, or http on a loopback host (as redirect URIs): what Lanyard fetches or shows to users.
pub fn check_https_url(uri: &str) -> Result<(), String> {
    let parsed = url::Url::parse(uri).map_err(|_| "must be an absolute URL".to_owned())?;
    match (parsed.scheme(), parsed.host_str()) {
        ("https", Some(_)) => Ok(()),
        ("http", Some(h)) if is_loopback_host(h) => Ok(()),
        _ => Err("must be an https URL".into()),
    }
}

/// The host a set of redirect URIs shares, if exactly one: a pairwise client's sector identifier when it registered
/// no `sector_identifier_uri` (OIDC Core §8.1).
pub fn single_redirect_host(redirect_uris: &[String]) -> Option<String> {
    let mut hosts = redirect_uris.iter().map(|u| {
        url::Url::parse(u)
            .ok()
            .and_then(|p| p.host_str().map(str::to_owned))
    });
    let first = hosts.next()??;
    hosts
        .all(|h| h.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// The OpenID Connect client metadata an app may carry in `settings.oauthClient` (OIDC Registration §2), kept in
/// `extra` as sent and read back by the `OAuthClient` accessors: signed userinfo, subject types, the URLs shown on
/// the sign-in page, `default_max_age`, `require_auth_time`, `contacts`. Encrypted ID tokens and userinfo are not
/// offered, so asking for them is refused rather than ignored.
fn check_oidc_metadata(set: &Map<String, Value>, redirect_uris: &[String], causes: &mut Causes) {
    match set.get("userinfo_signed_response_alg") {
        None | Some(Value::Null) => {}
        Some(Value::String(a)) if a.parse::<crate::crypto::SigningAlg>().is_ok() => {}
        Some(_) => {
            causes.push("userinfo_signed_response_alg: must be one of RS256, ES256, EdDSA".into())
        }
    }
    for name in [
        "id_token_encrypted_response_alg",
        "id_token_encrypted_response_enc",
        "userinfo_encrypted_response_alg",
        "userinfo_encrypted_response_enc",
    ] {
        if set.get(name).is_some_and(|v| !v.is_null()) {
            causes.push(format!(
                "{name}: encrypted ID tokens and userinfo are not offered"
            ));
        }
    }
    for name in [
        "logo_uri",
        "policy_uri",
        "tos_uri",
        "client_uri",
        "sector_identifier_uri",
    ] {
        if let Some(u) = opt_str(set.get(name), name, causes)
            && let Err(e) = check_https_url(&u)
        {
            causes.push(format!("{name}: {e}"));
        }
    }
    let subject_type = opt_str(set.get("subject_type"), "subject_type", causes);
    match subject_type
        .as_deref()
        .map(crate::model::SubjectType::parse)
    {
        None | Some(Some(crate::model::SubjectType::Public)) => {}
        Some(Some(crate::model::SubjectType::Pairwise)) => {
            let sector_uri = set
                .get("sector_identifier_uri")
                .is_some_and(|v| !v.is_null());
            if !sector_uri && single_redirect_host(redirect_uris).is_none() {
                causes.push(
                    "subject_type: a pairwise client whose redirect URIs are not on one host needs a sector_identifier_uri"
                        .into(),
                );
            }
        }
        Some(None) => causes.push("subject_type: must be public or pairwise".into()),
    }
    match set.get("default_max_age") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_i64().is_some_and(|n| n >= 0) => {}
        Some(_) => causes.push("default_max_age: must be a non-negative integer".into()),
    }
    match set.get("require_auth_time") {
        None | Some(Value::Null | Value::Bool(_)) => {}
        Some(_) => causes.push("require_auth_time: must be a boolean".into()),
    }
    str_list(set.get("contacts"), "contacts", causes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::TestRandom;
    use serde_json::json;

    fn body(settings: Value) -> Result<OAuthClient, Causes> {
        client_from_body(&Map::new(), settings.as_object().unwrap(), "0oa1", None)
    }

    #[test]
    fn a_chosen_client_secret_is_checked_and_kept_as_its_hash() {
        let creds = |v: Value| {
            json!({"oauthClient": {"client_secret": v}})
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        assert!(chosen_secret(&Map::new()).unwrap().is_none());
        let ok = chosen_secret(&creds(json!("ci-secret-0123456789")))
            .unwrap()
            .unwrap();
        assert_eq!(ok.hash, sha256(b"ci-secret-0123456789"));
        assert_eq!(ok.prefix, "ci-s");
        assert!(!format!("{ok:?}").contains("0123456789"));
        for bad in [
            json!("short-secret1"),
            json!("x".repeat(101)),
            json!("has space in it!!"),
            json!(42),
        ] {
            let e = chosen_secret(&creds(bad)).unwrap_err();
            assert!(e[0].starts_with("client_secret: "), "{e:?}");
        }
        assert!(chosen_secret(&creds(json!("a".repeat(14)))).is_ok());
        assert!(chosen_secret(&creds(json!("a".repeat(100)))).is_ok());
    }

    #[test]
    fn a_web_app_defaults_to_a_confidential_code_client_with_pkce() {
        let c = body(json!({"oauthClient": {"redirect_uris": ["https://a.example/cb"]}})).unwrap();
        assert_eq!(c.client_id, "0oa1");
        assert_eq!(c.application_type, ApplicationType::Web);
        assert_eq!(
            c.token_endpoint_auth_method,
            ClientAuthMethod::ClientSecretBasic
        );
        assert!(c.pkce_required);
        assert_eq!(c.grant_types, vec![GrantType::AuthorizationCode]);
        assert_eq!(c.response_types, vec!["code".to_owned()]);
        assert_eq!(c.consent_method, "TRUSTED");
    }

    #[test]
    fn public_clients_use_none_and_pkce() {
        let c = body(json!({"oauthClient": {"application_type": "browser", "redirect_uris": ["http://localhost:3000/cb"]}})).unwrap();
        assert_eq!(c.token_endpoint_auth_method, ClientAuthMethod::None);
        let creds = json!({"oauthClient": {"token_endpoint_auth_method": "client_secret_basic", "pkce_required": false}});
        let e = client_from_body(
            creds.as_object().unwrap(),
            json!({"oauthClient": {"application_type": "native", "redirect_uris": ["com.example.app:/cb"]}})
                .as_object()
                .unwrap(),
            "x",
            None,
        )
        .unwrap_err();
        assert!(
            e.iter()
                .any(|c| c.starts_with("token_endpoint_auth_method:")),
            "{e:?}"
        );
        assert!(e.iter().any(|c| c.starts_with("pkce_required:")), "{e:?}");
    }

    #[test]
    fn initiate_login_uris_are_https_or_loopback_http() {
        let with = |u: &str| {
            body(
                json!({"oauthClient": {"redirect_uris": ["https://a.example/cb"], "initiate_login_uri": u}}),
            )
        };
        assert!(with("https://a.example/login").is_ok());
        assert!(with("http://localhost:3000/login").is_ok());
        assert!(with("http://127.0.0.1:3000/login").is_ok());
        let e = with("http://a.example/login").unwrap_err();
        assert_eq!(
            e,
            vec!["initiate_login_uri: must be an https URL".to_owned()]
        );
        assert!(with("javascript:alert(1)").is_err());
    }

    #[test]
    fn redirect_uris_are_checked_with_causes() {
        let e = body(json!({"oauthClient": {"redirect_uris": [
            "http://evil.example/cb", "https://a.example/cb#frag", "javascript:alert(1)", "/relative", "myapp:/cb"
        ]}}))
        .unwrap_err();
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(e.iter().all(|c| c.starts_with("redirect_uris: ")));
        assert!(body(json!({"oauthClient": {"grant_types": ["authorization_code"]}})).is_err());
        // Loopback over http is fine; a native app may use a private-use scheme.
        assert!(check_redirect_uri("http://127.0.0.1:8080/cb", ApplicationType::Web).is_ok());
        assert!(check_redirect_uri("com.example.app:/cb", ApplicationType::Native).is_ok());
        assert!(check_redirect_uri("com.example.app:/cb", ApplicationType::Web).is_err());
        for spaced in [
            "https://a.example/cb ",
            " https://a.example/cb",
            "https://a.example/c\tb",
            "https://a.example/cb\n",
        ] {
            assert!(
                check_redirect_uri(spaced, ApplicationType::Web).is_err(),
                "{spaced:?}"
            );
        }
    }

    #[test]
    fn post_logout_redirect_uris_are_checked_like_redirect_uris() {
        let e = body(json!({"oauthClient": {"redirect_uris": ["https://a.example/cb"],
            "post_logout_redirect_uris": ["http://evil.example/out", "https://a.example/out#f", "javascript:alert(1)"]}}))
        .unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e.iter()
                .all(|c| c.starts_with("post_logout_redirect_uris: "))
        );
        let c = body(
            json!({"oauthClient": {"redirect_uris": ["https://a.example/cb"],
            "post_logout_redirect_uris": ["https://a.example/out", "http://localhost:3000/out"]}}),
        )
        .unwrap();
        assert_eq!(c.post_logout_redirect_uris.len(), 2);
    }

    #[test]
    fn logout_notice_uris_are_https_and_front_channel_ones_on_a_redirect_origin() {
        let c = body(
            json!({"oauthClient": {"redirect_uris": ["https://a.example/cb"],
            "backchannel_logout_uri": "https://api.a.example/bcl?x=1",
            "backchannel_logout_session_required": true,
            "frontchannel_logout_uri": "https://a.example/fcl",
            "frontchannel_logout_session_required": true}}),
        )
        .unwrap();
        assert_eq!(
            c.logout,
            LogoutNotices {
                backchannel_logout_uri: Some("https://api.a.example/bcl?x=1".into()),
                backchannel_logout_session_required: true,
                frontchannel_logout_uri: Some("https://a.example/fcl".into()),
                frontchannel_logout_session_required: true,
            }
        );
        assert!(c.extra.is_empty(), "not kept twice: {:?}", c.extra);
        let loopback = body(
            json!({"oauthClient": {"redirect_uris": ["http://127.0.0.1:9000/cb"],
            "backchannel_logout_uri": "http://127.0.0.1:9001/bcl",
            "frontchannel_logout_uri": "http://127.0.0.1:9000/fcl"}}),
        )
        .unwrap();
        assert!(!loopback.logout.backchannel_logout_session_required);
        let e = body(
            json!({"oauthClient": {"redirect_uris": ["https://a.example/cb"],
            "backchannel_logout_uri": "http://a.example/bcl",
            "backchannel_logout_session_required": "yes",
            "frontchannel_logout_uri": "https://b.example/fcl",
            "frontchannel_logout_session_required": 1}}),
        )
        .unwrap_err();
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(e.iter().any(|c| c.starts_with("backchannel_logout_uri: ")));
        assert!(
            e.iter()
                .any(|c| c.starts_with("frontchannel_logout_uri: ") && c.contains("redirect URI"))
        );
        let e = body(
            json!({"oauthClient": {"redirect_uris": ["https://a.example/cb"],
            "backchannel_logout_uri": "https://a.example/bcl#frag", "frontchannel_logout_uri": 7}}),
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
    }

    #[test]
    fn implicit_is_off_by_default_and_only_for_browser_based_apps_with_its_response_types() {
        let uris = json!(["https://a.example/cb"]);
        let c = body(json!({"oauthClient": {"redirect_uris": uris}})).unwrap();
        assert!(!c.grant_types.contains(&GrantType::Implicit));
        let c = body(json!({"oauthClient": {"redirect_uris": uris,
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["code", "id_token", "token"]}}))
        .unwrap();
        assert_eq!(
            c.grant_types,
            [GrantType::AuthorizationCode, GrantType::Implicit]
        );
        // Response types follow the grant types when not given.
        let c = body(json!({"oauthClient": {"redirect_uris": uris, "grant_types": ["implicit"]}}))
            .unwrap();
        assert_eq!(c.response_types, ["id_token", "token"]);
        let c = body(
            json!({"oauthClient": {"application_type": "browser", "redirect_uris": uris,
            "grant_types": ["implicit"], "response_types": ["id_token"]}}),
        )
        .unwrap();
        assert_eq!(c.response_types, ["id_token"]);
        let cause = |settings: Value| body(json!({"oauthClient": settings})).unwrap_err();
        let e = cause(
            json!({"application_type": "native", "redirect_uris": ["com.example.app:/cb"],
            "grant_types": ["authorization_code", "implicit"]}),
        );
        assert!(
            e.iter()
                .any(|c| c.starts_with("grant_types: implicit is for web")),
            "{e:?}"
        );
        let e = cause(
            json!({"redirect_uris": uris, "grant_types": ["implicit"], "response_types": ["code"]}),
        );
        assert!(
            e.iter().any(|c| c.contains("needs id_token or token")),
            "{e:?}"
        );
        let e = cause(json!({"redirect_uris": uris, "response_types": ["code", "id_token"]}));
        assert!(
            e.iter()
                .any(|c| c == "response_types: id_token needs the implicit grant type"),
            "{e:?}"
        );
        let e = cause(json!({"redirect_uris": uris, "response_types": ["code", "token"]}));
        assert!(
            e.iter()
                .any(|c| c == "response_types: token needs the implicit grant type"),
            "{e:?}"
        );
        // Okta's service apps list `token` for client credentials.
        assert!(
            body(
                json!({"oauthClient": {"application_type": "service", "response_types": ["token"]}})
            )
            .is_ok()
        );
    }

    #[test]
    fn services_only_use_client_credentials_and_nobody_the_password_grant() {
        let c = body(json!({"oauthClient": {"application_type": "service"}})).unwrap();
        assert_eq!(c.grant_types, vec![GrantType::ClientCredentials]);
        assert!(body(json!({"oauthClient": {"application_type": "service", "grant_types": ["authorization_code"], "redirect_uris": ["https://a/cb"]}})).is_err());
        assert!(body(json!({"oauthClient": {"grant_types": ["password"], "redirect_uris": ["https://a/cb"]}})).is_err());
        assert!(body(json!({"oauthClient": {"grant_types": ["magic"], "redirect_uris": ["https://a/cb"]}})).is_err());
    }

    #[test]
    fn unknown_settings_are_kept_and_the_client_id_cannot_change() {
        let c = body(json!({"oauthClient": {"redirect_uris": ["https://a/cb"], "wildcard_redirect": "DISABLED"}})).unwrap();
        assert_eq!(c.extra["wildcard_redirect"], "DISABLED");
        let creds = json!({"oauthClient": {"client_id": "other-id"}});
        let e = client_from_body(
            creds.as_object().unwrap(),
            json!({"oauthClient": {"redirect_uris": ["https://a/cb"]}})
                .as_object()
                .unwrap(),
            "x",
            Some(&c),
        )
        .unwrap_err();
        assert_eq!(e, vec!["client_id: cannot be changed".to_owned()]);
    }

    #[test]
    fn the_resource_server_setting_is_a_boolean_off_by_default() {
        let with = |v: Value| {
            body(json!({"oauthClient": {"redirect_uris": ["https://a/cb"], "resource_server": v}}))
        };
        assert!(
            !body(json!({"oauthClient": {"redirect_uris": ["https://a/cb"]}}))
                .unwrap()
                .resource_server()
        );
        assert!(with(json!(true)).unwrap().resource_server());
        assert!(!with(json!(false)).unwrap().resource_server());
        assert!(!with(Value::Null).unwrap().resource_server());
        for bad in [json!("true"), json!(1), json!({})] {
            assert_eq!(
                with(bad).unwrap_err(),
                vec!["resource_server: must be a boolean".to_owned()]
            );
        }
    }

    #[test]
    fn id_token_algorithms_are_checked_and_none_refused() {
        let with = |alg: Value| {
            body(
                json!({"oauthClient": {"redirect_uris": ["https://a/cb"], "id_token_signed_response_alg": alg}}),
            )
        };
        let c = with(json!("ES256")).unwrap();
        assert_eq!(
            c.id_token_signed_response_alg(),
            Some(crate::crypto::SigningAlg::ES256)
        );
        assert_eq!(c.extra["id_token_signed_response_alg"], "ES256");
        assert_eq!(
            with(json!("EdDSA")).unwrap().id_token_signed_response_alg(),
            Some(crate::crypto::SigningAlg::EdDSA)
        );
        assert_eq!(
            with(Value::Null).unwrap().id_token_signed_response_alg(),
            None
        );
        let none = with(json!("none")).unwrap_err();
        assert!(none[0].contains("none"), "{none:?}");
        assert!(with(json!("HS256")).is_err());
        assert!(with(json!(256)).is_err());
    }

    #[test]
    fn loopback_redirects_of_native_apps_match_on_any_port() {
        let n = ApplicationType::Native;
        let redirect_uri_matches =
            |r: &str, p: &str, t: ApplicationType| matched_redirect_uri(r, p, t).is_some();
        assert!(redirect_uri_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:51004/cb",
            n
        ));
        assert!(!redirect_uri_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:51004/other",
            n
        ));
        assert!(!redirect_uri_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:51004/cb",
            ApplicationType::Web
        ));
        assert!(!redirect_uri_matches(
            "https://a/cb",
            "https://a/cb/",
            ApplicationType::Web
        ));
        assert!(!redirect_uri_matches(
            "https://a/cb",
            "https://A/cb",
            ApplicationType::Web
        ));
        assert!(redirect_uri_matches(
            "https://a/cb?x=1",
            "https://a/cb?x=1",
            ApplicationType::Web
        ));
        // The browser goes to the presented URI only when it is its own serialisation: the very string compared.
        assert_eq!(
            matched_redirect_uri("http://[::1]/cb", "http://[::1]:8/cb", n).as_deref(),
            Some("http://[::1]:8/cb")
        );
        for bad in [
            "http://127.1:8/cb",
            "http://2130706433:8/cb",
            "http:127.0.0.1:8/cb",
            "http://127.0.0.1:8/cb ",
            "http://127.0.0.1:8/cb#",
            "http://127.0.0.1:8\\cb",
            "http://127.0.0.1:8/c\nb",
        ] {
            assert_eq!(
                matched_redirect_uri("http://127.0.0.1/cb", bad, n),
                None,
                "{bad:?}"
            );
        }
        // Only loopback http redirects of native apps match on another port.
        assert_eq!(
            matched_redirect_uri("https://127.0.0.1/cb", "https://127.0.0.1:8/cb", n),
            None
        );
    }

    #[test]
    fn secrets_are_long_and_matched_by_hash_only_while_active() {
        let s = mint_secret(&TestRandom::default());
        assert_eq!(s.value.len(), 64);
        assert_eq!(
            format!("{s:?}"),
            format!("MintedSecret({}…)", &s.value[..4])
        );
        let now = crate::clock::from_millis(0);
        let mut stored = ClientSecret {
            id: "ocs1".into(),
            app_id: "0oa1".into(),
            hash: s.hash,
            prefix: s.prefix.clone(),
            status: crate::model::LifecycleStatus::Active,
            created: now,
            last_updated: now,
        };
        assert!(secret_matches(&s.value, std::slice::from_ref(&stored)));
        assert!(!secret_matches("wrong", std::slice::from_ref(&stored)));
        stored.status = crate::model::LifecycleStatus::Inactive;
        assert!(!secret_matches(&s.value, &[stored]));
    }
}
