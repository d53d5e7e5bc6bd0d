//! Authorization server metadata (RFC 8414) and OpenID Provider metadata (OIDC Discovery 1.0).
//!
//! Lanyard advertises exactly what it implements: [`Capabilities::current`] is the single list, grown by each
//! endpoint and grant as it lands.

use serde::Serialize;

use crate::crypto::SigningAlg;
use crate::model::AuthorizationServer;

/// What this build implements, as advertised in discovery.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub response_types: &'static [&'static str],
    pub response_modes: &'static [&'static str],
    pub grant_types: &'static [&'static str],
    pub subject_types: &'static [&'static str],
    pub token_endpoint_auth_methods: &'static [&'static str],
    pub scopes: &'static [&'static str],
    pub claims: &'static [&'static str],
    pub id_token_signing_algs: &'static [SigningAlg],
    /// The algorithms of signed userinfo answers (`userinfo_signed_response_alg`).
    pub userinfo_signing_algs: &'static [SigningAlg],
    pub code_challenge_methods: &'static [&'static str],
    pub userinfo_endpoint: bool,
    pub introspection_endpoint: bool,
    pub revocation_endpoint: bool,
    pub end_session_endpoint: bool,
    /// OIDC Back-Channel and Front-Channel Logout, with `sid` (`*_logout_session_supported`).
    pub backchannel_logout: bool,
    pub frontchannel_logout: bool,
    /// Dynamic client registration (RFC 7591) at the org's `/oauth2/v1/clients`, as Okta: clients are apps of the
    /// org, whichever server they use.
    pub registration_endpoint: bool,
    pub device_authorization_endpoint: bool,
}

/// The scopes the org authorization server knows: the standard ones and, as Okta's org server, `groups` (the
/// groups claim of apps that ask for it by scope).
pub const ORG_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
    "groups",
];

/// The standard OpenID Connect scopes every authorization server knows: the org server's, `groups` aside.
pub const STANDARD_SCOPES: &[&str] = ORG_SCOPES.split_at(6).0;

/// The claims Lanyard's ID tokens and userinfo draw from (OIDC Core §5.1 plus Okta's `ver`, `jti`, `idp`).
pub const STANDARD_CLAIMS: &[&str] = &[
    "iss",
    "ver",
    "sub",
    "aud",
    "iat",
    "exp",
    "jti",
    "auth_time",
    "amr",
    "idp",
    "nonce",
    "acr",
    "azp",
    "sid",
    "at_hash",
    "c_hash",
    "s_hash",
    "name",
    "nickname",
    "preferred_username",
    "given_name",
    "middle_name",
    "family_name",
    "email",
    "email_verified",
    "profile",
    "zoneinfo",
    "locale",
    "address",
    "phone_number",
    "phone_number_verified",
    "picture",
    "website",
    "gender",
    "birthdate",
    "updated_at",
];

impl Capabilities {
    /// What is implemented today.
    pub fn current() -> Self {
        Capabilities {
            response_types: crate::oauth::authorize::ResponseType::SUPPORTED,
            response_modes: &["query", "fragment", "form_post"],
            grant_types: &[
                "authorization_code",
                "implicit",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:token-exchange",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
            subject_types: &["public", "pairwise"],
            token_endpoint_auth_methods: &[
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none",
            ],
            scopes: ORG_SCOPES,
            claims: STANDARD_CLAIMS,
            id_token_signing_algs: &SigningAlg::ALL,
            userinfo_signing_algs: &SigningAlg::ALL,
            code_challenge_methods: &["S256"],
            userinfo_endpoint: true,
            introspection_endpoint: true,
            revocation_endpoint: true,
            end_session_endpoint: true,
            backchannel_logout: true,
            frontchannel_logout: true,
            registration_endpoint: true,
            device_authorization_endpoint: true,
        }
    }
}

/// The metadata document. Field order follows the specification for readability.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    pub scopes_supported: Vec<String>,
    pub response_types_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub subject_types_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub userinfo_signing_alg_values_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub claims_supported: Vec<String>,
    /// OIDC Discovery §3: the authentication context classes ID tokens' `acr` names (Okta's `urn:okta:loa:…`).
    pub acr_values_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    /// Request objects and pushed authorization requests.
    #[serde(flatten)]
    pub request_objects: crate::oauth::request_object::Metadata,
    pub claims_parameter_supported: bool,
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
    pub frontchannel_logout_supported: bool,
    pub frontchannel_logout_session_supported: bool,
    /// RFC 9449 §5.1: the algorithms DPoP proofs may use.
    pub dpop_signing_alg_values_supported: Vec<String>,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The metadata of `server` for a deployment whose public URL is `base_url` (no trailing slash).
pub fn metadata(
    server: &AuthorizationServer,
    base_url: &str,
    caps: &Capabilities,
) -> ProviderMetadata {
    let issuer = server.issuer(base_url);
    let ep = server.endpoint_base(base_url);
    let opt = |on: bool, path: &str| on.then(|| format!("{ep}/{path}"));
    ProviderMetadata {
        issuer,
        authorization_endpoint: format!("{ep}/authorize"),
        token_endpoint: format!("{ep}/token"),
        userinfo_endpoint: opt(caps.userinfo_endpoint, "userinfo"),
        jwks_uri: format!("{ep}/keys"),
        registration_endpoint: caps
            .registration_endpoint
            .then(|| format!("{base_url}/oauth2/v1/clients")),
        introspection_endpoint: opt(caps.introspection_endpoint, "introspect"),
        revocation_endpoint: opt(caps.revocation_endpoint, "revoke"),
        end_session_endpoint: opt(caps.end_session_endpoint, "logout"),
        device_authorization_endpoint: opt(caps.device_authorization_endpoint, "device/authorize"),
        scopes_supported: strings(caps.scopes),
        response_types_supported: strings(caps.response_types),
        response_modes_supported: strings(caps.response_modes),
        grant_types_supported: strings(caps.grant_types),
        subject_types_supported: strings(caps.subject_types),
        id_token_signing_alg_values_supported: caps
            .id_token_signing_algs
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        userinfo_signing_alg_values_supported: caps
            .userinfo_signing_algs
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        token_endpoint_auth_methods_supported: strings(caps.token_endpoint_auth_methods),
        claims_supported: strings(caps.claims),
        acr_values_supported: strings(&crate::oauth::acr::SUPPORTED),
        code_challenge_methods_supported: strings(caps.code_challenge_methods),
        authorization_response_iss_parameter_supported: true,
        request_objects: crate::oauth::request_object::metadata(&ep),
        claims_parameter_supported: true,
        backchannel_logout_supported: caps.backchannel_logout,
        backchannel_logout_session_supported: caps.backchannel_logout,
        frontchannel_logout_supported: caps.frontchannel_logout,
        frontchannel_logout_session_supported: caps.frontchannel_logout,
        dpop_signing_alg_values_supported: SigningAlg::ALL
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthServerKind, LifecycleStatus};
    use chrono::Utc;

    fn server(kind: AuthServerKind, id: &str) -> AuthorizationServer {
        AuthorizationServer {
            id: id.into(),
            kind,
            name: id.into(),
            description: String::new(),
            audiences: vec![],
            status: LifecycleStatus::Active,
            signing_alg: SigningAlg::RS256,
            created: Utc::now(),
            last_updated: Utc::now(),
        }
    }

    #[test]
    fn org_and_custom_servers_have_okta_layouts() {
        let caps = Capabilities::current();
        let org = metadata(
            &server(AuthServerKind::Org, "org"),
            "https://id.example",
            &caps,
        );
        assert_eq!(org.issuer, "https://id.example");
        assert_eq!(org.jwks_uri, "https://id.example/oauth2/v1/keys");
        assert_eq!(org.token_endpoint, "https://id.example/oauth2/v1/token");
        let custom = metadata(
            &server(AuthServerKind::Custom, "default"),
            "https://id.example",
            &caps,
        );
        assert_eq!(custom.issuer, "https://id.example/oauth2/default");
        assert_eq!(custom.jwks_uri, "https://id.example/oauth2/default/v1/keys");
        assert_eq!(custom.code_challenge_methods_supported, vec!["S256"]);
        // One registration endpoint for the org, as Okta's; both subject types; signed userinfo.
        assert_eq!(
            org.registration_endpoint.as_deref(),
            Some("https://id.example/oauth2/v1/clients")
        );
        assert_eq!(
            custom.registration_endpoint.as_deref(),
            Some("https://id.example/oauth2/v1/clients")
        );
        assert_eq!(custom.subject_types_supported, vec!["public", "pairwise"]);
        assert!(
            custom
                .userinfo_signing_alg_values_supported
                .contains(&"RS256".to_owned())
        );
        assert!(custom.claims_parameter_supported);
        let ro = &custom.request_objects;
        assert!(ro.request_parameter_supported && ro.request_uri_parameter_supported);
        assert!(
            ro.request_object_signing_alg_values_supported
                .contains(&"RS256".to_owned())
        );
        assert_eq!(
            ro.pushed_authorization_request_endpoint,
            "https://id.example/oauth2/default/v1/par"
        );
        assert!(
            custom
                .acr_values_supported
                .contains(&"urn:okta:loa:2fa:any".to_owned())
        );
        assert!(
            custom
                .id_token_signing_alg_values_supported
                .contains(&"RS256".to_owned())
        );
        assert!(custom.scopes_supported.contains(&"openid".to_owned()));
        assert_eq!(
            custom.device_authorization_endpoint.as_deref(),
            Some("https://id.example/oauth2/default/v1/device/authorize")
        );
        assert!(
            custom
                .grant_types_supported
                .contains(&"urn:ietf:params:oauth:grant-type:device_code".to_owned())
        );
        // Every OpenID Connect response type, and the implicit grant they need.
        assert_eq!(
            custom.response_types_supported,
            [
                "code",
                "id_token",
                "id_token token",
                "code id_token",
                "code token",
                "code id_token token"
            ]
        );
        assert!(
            custom
                .grant_types_supported
                .contains(&"implicit".to_owned())
        );
    }

    #[test]
    fn logout_is_advertised_with_sessions() {
        let caps = Capabilities::current();
        for (kind, id, ep) in [
            (AuthServerKind::Org, "org", "https://id.example/oauth2/v1"),
            (
                AuthServerKind::Custom,
                "default",
                "https://id.example/oauth2/default/v1",
            ),
        ] {
            let m = metadata(&server(kind, id), "https://id.example", &caps);
            assert_eq!(
                m.end_session_endpoint.as_deref(),
                Some(format!("{ep}/logout").as_str())
            );
            assert!(m.backchannel_logout_supported && m.backchannel_logout_session_supported);
            assert!(m.frontchannel_logout_supported && m.frontchannel_logout_session_supported);
            assert!(m.claims_supported.contains(&"sid".to_owned()));
        }
    }

    #[test]
    fn unimplemented_endpoints_are_not_advertised() {
        let mut caps = Capabilities::current();
        caps.userinfo_endpoint = false;
        let json = serde_json::to_value(metadata(
            &server(AuthServerKind::Org, "org"),
            "http://x",
            &caps,
        ))
        .unwrap();
        assert!(json.get("userinfo_endpoint").is_none());
        caps.userinfo_endpoint = true;
        let json = serde_json::to_value(metadata(
            &server(AuthServerKind::Org, "org"),
            "http://x",
            &caps,
        ))
        .unwrap();
        assert_eq!(json["userinfo_endpoint"], "http://x/oauth2/v1/userinfo");
    }
}
