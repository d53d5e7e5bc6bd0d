//! Custom authorization servers as the management API creates and replaces them, and the OpenID Connect scopes
//! every one of them has from its creation.

use serde_json::Value;

use super::fields::{Invalid, Reader};
use crate::clock::Timestamp;
use crate::crypto::SigningAlg;
use crate::id::{derived_id, prefix};
use crate::model::{Consent, MetadataPublish, Scope};

pub const NAME_MAX: usize = 128;
pub const DESCRIPTION_MAX: usize = 1024;
pub const AUDIENCE_MAX: usize = 1024;
/// Okta takes one audience today; Lanyard takes a few.
pub const AUDIENCES_MAX: usize = 10;

/// What a create (`POST`) or a replace (`PUT`) sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFields {
    pub name: String,
    pub description: String,
    pub audiences: Vec<String>,
    /// `credentials.signing.alg` (Lanyard's extension: Okta's servers always sign with RS256): the algorithm of the
    /// server's access and ID tokens, `RS256`, `ES256` or `EdDSA`; `None` when absent (create: RS256; replace: kept).
    pub signing_alg: Option<SigningAlg>,
}

/// Validates a server body: `name`, `description` and a non-empty `audiences` are required (as Okta's);
/// `issuerMode` may only be `ORG_URL` (custom domains do not exist here); `credentials.signing.alg` may choose the
/// signing algorithm; other fields are ignored.
pub fn validate_server(body: &Value) -> Result<ServerFields, Invalid> {
    let mut r = Reader::new(body);
    let name = r.string("name", true, NAME_MAX);
    let description = r.string("description", true, DESCRIPTION_MAX);
    let audiences = r.strings("audiences");
    match &audiences {
        None => r.fail("audiences", "is required"),
        Some(a) if a.is_empty() => r.fail("audiences", "must hold at least one audience"),
        Some(a) if a.len() > AUDIENCES_MAX => r.fail(
            "audiences",
            format!("must hold at most {AUDIENCES_MAX} audiences"),
        ),
        Some(a)
            if a.iter()
                .any(|x| x.trim().is_empty() || x.len() > AUDIENCE_MAX) =>
        {
            r.fail(
                "audiences",
                format!("each audience must be 1 to {AUDIENCE_MAX} characters"),
            )
        }
        Some(_) => {}
    }
    if let Some(mode) = r.raw("issuerMode").and_then(Value::as_str)
        && mode != "ORG_URL"
    {
        r.fail(
            "issuerMode",
            format!("only ORG_URL is supported, not {mode:?}"),
        );
    }
    let mut credentials = r.object("credentials");
    let mut signing = credentials.object("signing");
    let signing_alg = match signing.raw("alg") {
        None => None,
        Some(Value::String(a)) => match a.parse::<SigningAlg>() {
            Ok(alg) => Some(alg),
            Err(_) => {
                signing.fail("alg", format!("must be RS256, ES256 or EdDSA, not {a:?}"));
                None
            }
        },
        Some(_) => {
            signing.fail("alg", "must be a string");
            None
        }
    };
    credentials.absorb(signing);
    r.absorb(credentials);
    let fields = ServerFields {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        audiences: audiences.unwrap_or_default(),
        signing_alg,
    };
    r.finish(fields)
}

/// The system scopes: name and description.
pub const SYSTEM_SCOPES: &[(&str, &str)] = &[
    ("openid", "Signals that a request is an OpenID request."),
    (
        "profile",
        "Allows access to end-user's default profile claims.",
    ),
    ("email", "Allows access to email and email_verified claims."),
    ("address", "Allows access to address claim."),
    (
        "phone",
        "Allows access to phone_number and phone_number_verified claims.",
    ),
    (
        "offline_access",
        "Allows access to requesting refresh tokens.",
    ),
    (
        "device_sso",
        "Allows the client to request a device secret.",
    ),
];

/// The system scopes of server `server_id`, with ids derived from the server and the name, so that nodes
/// bootstrapping at once insert the same rows.
pub fn system_scopes(server_id: &str, now: Timestamp) -> Vec<Scope> {
    SYSTEM_SCOPES
        .iter()
        .map(|(name, description)| Scope {
            id: derived_id(prefix::SCOPE, &format!("{server_id}/scope/{name}")),
            auth_server_id: server_id.to_owned(),
            name: (*name).to_owned(),
            display_name: Some((*name).to_owned()),
            description: Some((*description).to_owned()),
            consent: Consent::Implicit,
            default: false,
            metadata_publish: MetadataPublish::AllClients,
            system: true,
            created: now,
            last_updated: now,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn name_description_and_audiences_are_required() {
        let err = validate_server(&json!({})).unwrap_err();
        for f in ["name", "description", "audiences"] {
            assert!(err.names(f), "{err}");
        }
        assert!(
            validate_server(&json!({"name": "a", "description": "b", "audiences": []}))
                .unwrap_err()
                .names("audiences")
        );
        assert!(
            validate_server(
                &json!({"name": "a", "description": "b", "audiences": ["x"], "issuerMode": "CUSTOM_URL"})
            )
            .unwrap_err()
            .names("issuerMode")
        );
        let ok =
            validate_server(&json!({"name": "a", "description": "b", "audiences": ["api://a"]}))
                .unwrap();
        assert_eq!(ok.audiences, vec!["api://a"]);
        assert_eq!(ok.signing_alg, None);
    }

    #[test]
    fn the_signing_algorithm_may_be_chosen() {
        let body = |alg: Value| json!({"name": "a", "description": "b", "audiences": ["x"], "credentials": {"signing": {"alg": alg, "use": "sig"}}});
        for (name, alg) in [
            ("RS256", SigningAlg::RS256),
            ("ES256", SigningAlg::ES256),
            ("EdDSA", SigningAlg::EdDSA),
        ] {
            assert_eq!(
                validate_server(&body(json!(name))).unwrap().signing_alg,
                Some(alg)
            );
        }
        for bad in [json!("HS256"), json!("es256"), json!(7)] {
            let err = validate_server(&body(bad)).unwrap_err();
            assert!(err.names("credentials.signing.alg"), "{err}");
        }
        let err = validate_server(
            &json!({"name": "a", "description": "b", "audiences": ["x"], "credentials": 1}),
        )
        .unwrap_err();
        assert!(err.names("credentials"), "{err}");
    }

    #[test]
    fn system_scope_ids_are_per_server_and_stable() {
        let now = chrono::Utc::now();
        let a = system_scopes("default", now);
        assert_eq!(a.len(), 7);
        assert_eq!(a[0].id, system_scopes("default", now)[0].id);
        assert_ne!(a[0].id, system_scopes("aus1", now)[0].id);
        assert!(a.iter().all(|s| s.system && s.id.starts_with("scp")));
    }
}
