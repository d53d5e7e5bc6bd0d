//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), at the org's
//! `/oauth2/v1/clients` as Okta has it. A registration is an app of the Apps API underneath: the client metadata is
//! mapped onto Okta's app body (`credentials.oauthClient`, `settings.oauthClient`) and validated by the same core
//! ([`crate::apps::client_from_body`]), whose causes become RFC 7591 §3.2.2 errors — `invalid_redirect_uri` when a
//! redirect URI is at fault, `invalid_client_metadata` otherwise. Metadata Lanyard does not know is ignored (RFC 7591
//! §2). The registration access token is 256 random bits; only its SHA-256 is kept, compared in constant time.

use serde_json::{Map, Value, json};

use crate::apps::{Causes, client_from_body};
use crate::crypto::{constant_time_eq, sha256};
use crate::model::{App, OAuthClient, Registration};
use crate::oauth::tokens::{Opaque, opaque};
use crate::random::{Random, b64url};

pub const INVALID_REDIRECT_URI: &str = "invalid_redirect_uri";
pub const INVALID_CLIENT_METADATA: &str = "invalid_client_metadata";

/// The label of an app registered without `client_name`.
pub const DEFAULT_CLIENT_NAME: &str = "Dynamically registered client";

/// The longest `client_name` (an app's label).
const NAME_MAX: usize = 100;

/// Members of the client metadata that go to `settings.oauthClient` under the same name, for the app core to
/// validate and keep (OIDC Registration §2, RFC 7591 §2, the logout specifications).
const SETTINGS: &[&str] = &[
    "redirect_uris",
    "post_logout_redirect_uris",
    "jwks",
    "jwks_uri",
    "initiate_login_uri",
    "id_token_signed_response_alg",
    "userinfo_signed_response_alg",
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
    "request_object_signing_alg",
    "token_endpoint_auth_signing_alg",
    "subject_type",
    "sector_identifier_uri",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "client_uri",
    "contacts",
    "request_uris",
    "default_max_age",
    "require_auth_time",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "frontchannel_logout_uri",
    "frontchannel_logout_session_required",
    "software_id",
    "software_version",
];

/// Members of the metadata that go to `credentials.oauthClient` (`pkce_required` is Lanyard's, as in the Apps API:
/// PKCE is required unless a confidential client registers `false`).
const CREDENTIALS: &[&str] = &["token_endpoint_auth_method", "pkce_required"];

/// Of [`SETTINGS`], those kept in the app's `extra` and echoed in the client information response when set.
const ECHOED: &[&str] = &[
    "id_token_signed_response_alg",
    "userinfo_signed_response_alg",
    "request_object_signing_alg",
    "token_endpoint_auth_signing_alg",
    "sector_identifier_uri",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "client_uri",
    "contacts",
    "request_uris",
    "default_max_age",
    "require_auth_time",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "frontchannel_logout_uri",
    "frontchannel_logout_session_required",
    "software_id",
    "software_version",
];

/// An RFC 7591 §3.2.2 error: 400 with `error` and `error_description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationError {
    pub error: &'static str,
    pub description: String,
}

impl RegistrationError {
    pub fn metadata(description: impl Into<String>) -> Self {
        RegistrationError {
            error: INVALID_CLIENT_METADATA,
            description: printable(&description.into()),
        }
    }

    /// The causes of the app core, as one error: `invalid_redirect_uri` when a redirect URI is among them.
    pub fn from_causes(causes: &Causes) -> Self {
        let error = if causes.iter().any(|c| c.starts_with("redirect_uris:")) {
            INVALID_REDIRECT_URI
        } else {
            INVALID_CLIENT_METADATA
        };
        RegistrationError {
            error,
            description: printable(&causes.join("; ")),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

/// `error_description` may hold only %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §5.2): quotes become apostrophes,
/// anything else outside the set a question mark.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

/// An app body in Okta's shape, from client metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct AppBody {
    pub label: String,
    pub credentials: Map<String, Value>,
    pub settings: Map<String, Value>,
}

/// RFC 7591 response types are combinations ("code id_token"); an Okta app lists the parts, and allows a
/// combination when it has each of them.
fn response_type_parts(v: &Value) -> Result<Vec<String>, RegistrationError> {
    let list = v
        .as_array()
        .ok_or_else(|| RegistrationError::metadata("response_types: must be a list of strings"))?;
    let mut parts = Vec::new();
    for item in list {
        let s = item.as_str().ok_or_else(|| {
            RegistrationError::metadata("response_types: must be a list of strings")
        })?;
        for part in s.split(' ').filter(|p| !p.is_empty()) {
            if !parts.iter().any(|p| p == part) {
                parts.push(part.to_owned());
            }
        }
    }
    Ok(parts)
}

/// The grant types each response type needs (OIDC Registration §2).
fn needed_grant(response_type: &str) -> Option<&'static str> {
    match response_type {
        "code" => Some("authorization_code"),
        "token" | "id_token" => Some("implicit"),
        _ => None,
    }
}

/// Maps client metadata onto an app body: the label from `client_name`, `application_type` (`web`, `native`, and
/// Okta's `browser` and `service`; a `web` client with `token_endpoint_auth_method: none` is a `browser` app),
/// response types split into their parts with the grant types they need (derived when none are given, else
/// required), and every member the app core knows.
pub fn app_body(metadata: &Value) -> Result<AppBody, RegistrationError> {
    let m = metadata
        .as_object()
        .ok_or_else(|| RegistrationError::metadata("the client metadata must be a JSON object"))?;
    let label = match m.get("client_name") {
        None | Some(Value::Null) => DEFAULT_CLIENT_NAME.to_owned(),
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= NAME_MAX => {
            s.clone()
        }
        Some(_) => {
            return Err(RegistrationError::metadata(format!(
                "client_name: must be a string of 1 to {NAME_MAX} characters"
            )));
        }
    };
    if m.get("jwks").is_some_and(|v| !v.is_null())
        && m.get("jwks_uri").is_some_and(|v| !v.is_null())
    {
        return Err(RegistrationError::metadata(
            "jwks and jwks_uri: only one of them may be registered (RFC 7591 §2)",
        ));
    }
    let mut settings = Map::new();
    for name in SETTINGS {
        if let Some(v) = m.get(*name).filter(|v| !v.is_null()) {
            settings.insert((*name).to_owned(), v.clone());
        }
    }
    let mut credentials = Map::new();
    for name in CREDENTIALS {
        if let Some(v) = m.get(*name).filter(|v| !v.is_null()) {
            credentials.insert((*name).to_owned(), v.clone());
        }
    }
    let method = m.get("token_endpoint_auth_method").and_then(Value::as_str);
    let app_type = match m.get("application_type") {
        None | Some(Value::Null) => Value::from("web"),
        Some(v) => v.clone(),
    };
    let app_type = match (app_type.as_str(), method) {
        (Some("web"), Some("none")) => Value::from("browser"),
        _ => app_type,
    };
    settings.insert("application_type".into(), app_type);

    let response_types = match m.get("response_types").filter(|v| !v.is_null()) {
        Some(v) => Some(response_type_parts(v)?),
        None => None,
    };
    let grant_types = m.get("grant_types").filter(|v| !v.is_null());
    match (&response_types, grant_types) {
        (Some(types), None) => {
            let mut grants: Vec<&str> = Vec::new();
            for g in types.iter().filter_map(|t| needed_grant(t)) {
                if !grants.contains(&g) {
                    grants.push(g);
                }
            }
            settings.insert("grant_types".into(), json!(grants));
        }
        (Some(types), Some(grants)) => {
            let has = |g: &str| {
                grants
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(g)))
            };
            for t in types {
                if let Some(g) = needed_grant(t)
                    && !has(g)
                {
                    return Err(RegistrationError::metadata(format!(
                        "grant_types: the response type {t} needs the {g} grant type"
                    )));
                }
            }
            settings.insert("grant_types".into(), grants.clone());
        }
        (None, Some(grants)) => {
            settings.insert("grant_types".into(), grants.clone());
        }
        (None, None) => {}
    }
    if let Some(types) = response_types {
        settings.insert("response_types".into(), json!(types));
    }
    Ok(AppBody {
        label,
        credentials: Map::from_iter([("oauthClient".to_owned(), Value::Object(credentials))]),
        settings: Map::from_iter([("oauthClient".to_owned(), Value::Object(settings))]),
    })
}

/// The label and the OAuth client described by `metadata`, validated as the Apps API validates an app, for a new
/// registration (`previous` = None, the client id `client_id`) or an update of `previous` (RFC 7592 §2.2: the
/// metadata replaces the client's; its id and registration stay).
pub fn client(
    metadata: &Value,
    client_id: &str,
    previous: Option<&OAuthClient>,
) -> Result<(String, OAuthClient), RegistrationError> {
    let body = app_body(metadata)?;
    let mut client = client_from_body(&body.credentials, &body.settings, client_id, previous)
        .map_err(|c| RegistrationError::from_causes(&c))?;
    // Whether the client is a resource server is the administrator's to say (through the Apps API): a registrant
    // can neither claim it (the member is not metadata, so it is ignored) nor lose it by updating its metadata.
    if previous.is_some_and(OAuthClient::resource_server) {
        client
            .extra
            .insert(crate::model::RESOURCE_SERVER.into(), Value::Bool(true));
    }
    Ok((body.label, client))
}

/// Checks the document at a client's `sector_identifier_uri` (OIDC Registration §5): a JSON array of URIs that
/// holds every redirect URI of the client.
pub fn check_sector_document(
    doc: &Value,
    redirect_uris: &[String],
) -> Result<(), RegistrationError> {
    let Some(listed) = doc.as_array() else {
        return Err(RegistrationError::metadata(
            "sector_identifier_uri: the document is not a JSON array of redirect URIs",
        ));
    };
    for uri in redirect_uris {
        if !listed.iter().any(|l| l.as_str() == Some(uri)) {
            return Err(RegistrationError::metadata(format!(
                "sector_identifier_uri: the document does not list the redirect URI {uri}"
            )));
        }
    }
    Ok(())
}

/// A new registration access token: the value to hand out once and the registration to keep.
pub fn new_registration(random: &dyn Random) -> (Opaque, Registration) {
    let token = opaque(random);
    let registration = Registration {
        token_hash: b64url(&token.hash),
    };
    (token, registration)
}

/// Whether `presented` is the registration access token of `client` (compared by hash, in constant time).
pub fn token_matches(client: &OAuthClient, presented: &str) -> bool {
    let hash = b64url(&sha256(presented.as_bytes()));
    client
        .registration
        .as_ref()
        .is_some_and(|r| constant_time_eq(r.token_hash.as_bytes(), hash.as_bytes()))
}

/// The client configuration endpoint of `client_id` (RFC 7592 §1).
pub fn registration_client_uri(base_url: &str, client_id: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    format!("{base_url}/oauth2/v1/clients/{id}")
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): the metadata as registered (as Lanyard holds
/// it: `response_types` lists the parts of the combinations the client may use, `client_name` is the app's label,
/// `subject_type` is always given) with the client id, the secret when one was just minted, and a registration
/// access token.
pub fn client_information(
    app: &App,
    secret: Option<&str>,
    registration_token: &str,
    base_url: &str,
) -> Value {
    let c = &app.client;
    let mut m = Map::new();
    m.insert("client_id".into(), json!(c.client_id));
    if let Some(s) = secret {
        m.insert("client_secret".into(), json!(s));
    }
    m.insert("client_id_issued_at".into(), json!(app.created.timestamp()));
    if c.token_endpoint_auth_method.uses_secret() {
        m.insert("client_secret_expires_at".into(), json!(0));
    }
    m.insert(
        "registration_access_token".into(),
        json!(registration_token),
    );
    m.insert(
        "registration_client_uri".into(),
        json!(registration_client_uri(base_url, &c.client_id)),
    );
    m.insert("client_name".into(), json!(app.label));
    m.insert(
        "application_type".into(),
        json!(c.application_type.as_str()),
    );
    m.insert("redirect_uris".into(), json!(c.redirect_uris));
    if !c.post_logout_redirect_uris.is_empty() {
        m.insert(
            "post_logout_redirect_uris".into(),
            json!(c.post_logout_redirect_uris),
        );
    }
    m.insert("response_types".into(), json!(c.response_types));
    m.insert("grant_types".into(), json!(c.grant_types));
    m.insert(
        "token_endpoint_auth_method".into(),
        json!(c.token_endpoint_auth_method.as_str()),
    );
    m.insert("pkce_required".into(), json!(c.pkce_required));
    m.insert("subject_type".into(), json!(c.subject_type().as_str()));
    if let Some(j) = &c.jwks {
        m.insert("jwks".into(), j.clone());
    }
    if let Some(u) = &c.jwks_uri {
        m.insert("jwks_uri".into(), json!(u));
    }
    if let Some(u) = &c.initiate_login_uri {
        m.insert("initiate_login_uri".into(), json!(u));
    }
    for name in ECHOED {
        if let Some(v) = c.extra.get(*name).filter(|v| !v.is_null()) {
            m.insert((*name).to_owned(), v.clone());
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApplicationType, ClientAuthMethod, GrantType, SubjectType};
    use crate::random::TestRandom;

    fn register(m: Value) -> Result<(String, OAuthClient), RegistrationError> {
        client(&m, "0oa1", None)
    }

    #[test]
    fn metadata_maps_onto_an_app_with_rfc_defaults() {
        let (label, c) = register(json!({"redirect_uris": ["https://rp.example/cb"]})).unwrap();
        assert_eq!(label, DEFAULT_CLIENT_NAME);
        assert_eq!(c.application_type, ApplicationType::Web);
        assert_eq!(
            c.token_endpoint_auth_method,
            ClientAuthMethod::ClientSecretBasic
        );
        assert_eq!(c.grant_types, vec![GrantType::AuthorizationCode]);
        assert_eq!(c.response_types, vec!["code"]);
        assert!(
            c.pkce_required,
            "PKCE stays required unless the client opts out"
        );
        assert!(c.registration.is_none(), "set by the caller");

        let (label, c) = register(json!({
            "client_name": "Hybrid RP",
            "redirect_uris": ["https://rp.example/cb"],
            "response_types": ["code id_token", "code"],
            "token_endpoint_auth_method": "client_secret_post",
            "pkce_required": false,
            "subject_type": "pairwise",
            "logo_uri": "https://rp.example/logo.png",
            "contacts": ["ops@rp.example"],
            "unknown_member": 1,
        }))
        .unwrap();
        assert_eq!(label, "Hybrid RP");
        assert_eq!(c.response_types, vec!["code", "id_token"]);
        assert_eq!(
            c.grant_types,
            vec![GrantType::AuthorizationCode, GrantType::Implicit],
            "derived from the response types"
        );
        assert!(!c.pkce_required);
        assert_eq!(c.subject_type(), SubjectType::Pairwise);
        assert_eq!(c.extra["logo_uri"], "https://rp.example/logo.png");
        assert!(
            !c.extra.contains_key("unknown_member"),
            "ignored (RFC 7591 §2)"
        );
        // A registrant cannot make itself a resource server, nor lose what the administrator set by an update.
        let claimed = json!({"redirect_uris": ["https://rp.example/cb"], "resource_server": true});
        let (_, plain) = register(claimed.clone()).unwrap();
        assert!(!plain.resource_server());
        let mut marked = plain.clone();
        marked.extra.insert("resource_server".into(), json!(true));
        let (_, updated) = client(&claimed, &marked.client_id, Some(&marked)).unwrap();
        assert!(updated.resource_server());
        let (_, updated) = client(&claimed, &plain.client_id, Some(&plain)).unwrap();
        assert!(!updated.resource_server());

        // native → Okta native (public); web with none → browser.
        let (_, n) = register(json!({"application_type": "native",
            "redirect_uris": ["com.example.app:/cb"]}))
        .unwrap();
        assert_eq!(n.application_type, ApplicationType::Native);
        assert_eq!(n.token_endpoint_auth_method, ClientAuthMethod::None);
        let (_, b) = register(json!({"token_endpoint_auth_method": "none",
            "redirect_uris": ["https://spa.example/cb"]}))
        .unwrap();
        assert_eq!(b.application_type, ApplicationType::Browser);
    }

    #[test]
    fn bad_metadata_gets_the_rfc_7591_errors() {
        let e = register(json!({"redirect_uris": ["https://rp.example/cb#frag"]})).unwrap_err();
        assert_eq!(e.error, INVALID_REDIRECT_URI);
        assert!(e.description.contains("fragment"), "{e:?}");
        let e = register(json!({"redirect_uris": ["http://rp.example/cb"]})).unwrap_err();
        assert_eq!(e.error, INVALID_REDIRECT_URI);
        for bad in [
            json!({"redirect_uris": ["https://rp.example/cb"], "initiate_login_uri": "http://rp.example/login"}),
            json!({"redirect_uris": ["https://rp.example/cb"], "logo_uri": "http://rp.example/l.png"}),
            json!({"redirect_uris": ["https://rp.example/cb"], "subject_type": "secret"}),
            json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"], "subject_type": "pairwise"}),
            json!({"redirect_uris": ["https://rp.example/cb"], "userinfo_signed_response_alg": "none"}),
            json!({"redirect_uris": ["https://rp.example/cb"], "id_token_encrypted_response_alg": "RSA-OAEP"}),
            json!({"redirect_uris": ["https://rp.example/cb"], "response_types": ["code"], "grant_types": ["implicit"]}),
            json!({"redirect_uris": ["https://rp.example/cb"], "client_name": ""}),
            json!({"redirect_uris": ["https://rp.example/cb"], "jwks": {"keys": []}, "jwks_uri": "https://rp.example/jwks"}),
            json!({"redirect_uris": ["https://rp.example/cb"], "default_max_age": -1}),
            json!({"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
            json!({"redirect_uris": ["https://rp.example/cb"], "application_type": "native", "token_endpoint_auth_method": "client_secret_basic"}),
            json!(["not", "an", "object"]),
        ] {
            let e = register(bad.clone()).unwrap_err();
            assert_eq!(e.error, INVALID_CLIENT_METADATA, "{bad}: {e:?}");
            assert!(!e.description.contains('"'), "{e:?}");
        }
        assert!(register(json!({"redirect_uris": ["https://rp.example/cb"], "default_max_age": 3600, "require_auth_time": true})).is_ok());
    }

    #[test]
    fn the_sector_document_lists_every_redirect_uri() {
        let uris = vec![
            "https://a.example/cb".to_owned(),
            "https://b.example/cb".to_owned(),
        ];
        assert!(
            check_sector_document(
                &json!(["https://b.example/cb", "https://a.example/cb"]),
                &uris
            )
            .is_ok()
        );
        let e = check_sector_document(&json!(["https://a.example/cb"]), &uris).unwrap_err();
        assert_eq!(e.error, INVALID_CLIENT_METADATA);
        assert!(e.description.contains("https://b.example/cb"));
        assert!(check_sector_document(&json!({"redirect_uris": uris}), &uris).is_err());
    }

    #[test]
    fn registration_tokens_are_kept_as_hashes() {
        let (token, reg) = new_registration(&TestRandom::default());
        let (_, mut c) = register(json!({"redirect_uris": ["https://rp.example/cb"]})).unwrap();
        assert!(
            !token_matches(&c, &token.value),
            "no registration, no token"
        );
        c.registration = Some(reg.clone());
        assert!(token_matches(&c, &token.value));
        assert!(!token_matches(&c, "other"));
        assert!(!reg.token_hash.contains(&token.value));
        assert_eq!(
            registration_client_uri("https://id.example", "0oa1"),
            "https://id.example/oauth2/v1/clients/0oa1"
        );
    }
}
