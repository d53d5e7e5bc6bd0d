//! Scopes: validation of the management API's scope bodies, and resolution of a request's `scope` parameter
//! against a server's scopes.

use serde_json::Value;

use super::fields::{Invalid, Reader};
use crate::model::{Consent, MetadataPublish, Scope};
use crate::oauth_error::{ErrorCode, OAuthError};

pub const NAME_MAX: usize = 1024;
pub const DISPLAY_NAME_MAX: usize = 255;
pub const DESCRIPTION_MAX: usize = 1024;

/// Okta's description of an unknown scope.
pub const UNKNOWN_SCOPE: &str =
    "One or more scopes are not configured for the authorization server resource.";
/// Okta's description when no scope was requested and the server has no default scope.
pub const NO_DEFAULT_SCOPE: &str = "The authorization server resource does not have any configured default scopes, 'scope' must be provided.";

/// What a create or a replace sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeFields {
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub consent: Consent,
    pub default: bool,
    pub metadata_publish: MetadataPublish,
}

/// Whether `name` is an RFC 6749 scope-token (printable ASCII but space, `"` and `\`).
pub fn is_scope_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// Validates a scope body. `name` is required: an RFC 6749 scope token, not `*` (a rule's "every scope") and not
/// in Okta's reserved `okta.` namespace. `consent` defaults to IMPLICIT, `metadataPublish` to NO_CLIENTS (as
/// Okta's), `default` to false; `system` is read-only and ignored.
pub fn validate_scope(body: &Value) -> Result<ScopeFields, Invalid> {
    let mut r = Reader::new(body);
    let name = r.string("name", true, NAME_MAX);
    if let Some(n) = &name {
        if !is_scope_token(n) {
            r.fail(
                "name",
                "must be printable ASCII without spaces, quotes or backslashes",
            );
        } else if n == "*" {
            r.fail(
                "name",
                "\"*\" means every scope in a rule; it cannot name one",
            );
        } else if n.starts_with("okta.") {
            r.fail("name", "the okta. namespace is reserved");
        }
    }
    let display_name = r.string("displayName", false, DISPLAY_NAME_MAX);
    let description = r.string("description", false, DESCRIPTION_MAX);
    let consent = r
        .one_of("consent", Consent::parse, &Consent::names())
        .unwrap_or(Consent::Implicit);
    let default = r.boolean("default").unwrap_or(false);
    let metadata_publish = r
        .one_of(
            "metadataPublish",
            MetadataPublish::parse,
            &MetadataPublish::names(),
        )
        .unwrap_or(MetadataPublish::NoClients);
    let fields = ScopeFields {
        name: name.unwrap_or_default(),
        display_name,
        description,
        consent,
        default,
        metadata_publish,
    };
    r.finish(fields)
}

/// The scopes discovery lists for a custom server: its `ALL_CLIENTS` scopes, by name.
pub fn published(scopes: &[Scope]) -> Vec<String> {
    let mut names: Vec<String> = scopes
        .iter()
        .filter(|s| s.metadata_publish == MetadataPublish::AllClients)
        .map(|s| s.name.clone())
        .collect();
    names.sort();
    names
}

/// A request's `scope` parameter as a list: split on spaces, duplicates dropped, order kept.
pub fn parse_scope_param(param: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in param.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// The scopes of a request, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedScopes {
    /// The scopes to evaluate the access policy with: the requested ones, or the server's default scopes.
    pub scopes: Vec<String>,
    /// Whether the request named no scope and got the defaults.
    pub defaulted: bool,
    /// Those whose consent is REQUIRED or FLEXIBLE: the user is asked about them when the app requires consent
    /// (a user flow with the app's `consent_method` REQUIRED) and has not consented before.
    pub consent: Vec<String>,
}

/// Resolves `requested` (from [`parse_scope_param`]) against the server's scopes: any unknown scope is
/// `invalid_scope`; none requested means the server's `default` scopes (Okta grants them when a client, typically
/// one using client credentials, sends no `scope`), and `invalid_scope` when it has none.
pub fn resolve_scopes(
    requested: &[String],
    server_scopes: &[Scope],
) -> Result<ResolvedScopes, OAuthError> {
    let find = |name: &str| server_scopes.iter().find(|s| s.name == name);
    let (scopes, defaulted) = if requested.is_empty() {
        let defaults: Vec<String> = server_scopes
            .iter()
            .filter(|s| s.default)
            .map(|s| s.name.clone())
            .collect();
        if defaults.is_empty() {
            return Err(OAuthError::new(ErrorCode::InvalidScope, NO_DEFAULT_SCOPE));
        }
        (defaults, true)
    } else {
        if let Some(unknown) = requested.iter().find(|r| find(r).is_none()) {
            return Err(OAuthError::new(ErrorCode::InvalidScope, UNKNOWN_SCOPE)
                .with_detail(format!("unknown scope {unknown:?}")));
        }
        (requested.to_vec(), false)
    };
    let consent = scopes
        .iter()
        .filter(|n| find(n).is_some_and(|s| s.consent != Consent::Implicit))
        .cloned()
        .collect();
    Ok(ResolvedScopes {
        scopes,
        defaulted,
        consent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::servers::system_scopes;
    use serde_json::json;

    fn scope(name: &str, consent: Consent, default: bool) -> Scope {
        Scope {
            name: name.into(),
            consent,
            default,
            system: false,
            ..system_scopes("s", chrono::Utc::now())[0].clone()
        }
    }

    #[test]
    fn scope_bodies_are_validated_with_okta_defaults() {
        let ok = validate_scope(&json!({"name": "car:drive"})).unwrap();
        assert_eq!(ok.consent, Consent::Implicit);
        assert_eq!(ok.metadata_publish, MetadataPublish::NoClients);
        assert!(!ok.default);
        for bad in [
            json!({}),
            json!({"name": "two words"}),
            json!({"name": "*"}),
            json!({"name": "okta.users.read"}),
        ] {
            assert!(validate_scope(&bad).unwrap_err().names("name"), "{bad}");
        }
        assert!(
            validate_scope(&json!({"name": "a", "consent": "SOMETIMES"}))
                .unwrap_err()
                .names("consent")
        );
        assert!(
            validate_scope(&json!({"name": "a", "metadataPublish": 1}))
                .unwrap_err()
                .names("metadataPublish")
        );
    }

    #[test]
    fn unknown_scopes_are_invalid_and_none_means_the_defaults() {
        let scopes = vec![
            scope("openid", Consent::Implicit, false),
            scope("read", Consent::Required, true),
            scope("write", Consent::Flexible, false),
        ];
        let e = resolve_scopes(&parse_scope_param("openid nope"), &scopes).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
        assert_eq!(e.description, UNKNOWN_SCOPE);
        let r = resolve_scopes(&parse_scope_param("openid  write openid"), &scopes).unwrap();
        assert_eq!(r.scopes, vec!["openid", "write"]);
        assert_eq!(r.consent, vec!["write"]);
        assert!(!r.defaulted);
        let d = resolve_scopes(&[], &scopes).unwrap();
        assert_eq!((d.scopes, d.defaulted), (vec!["read".to_owned()], true));
        let e = resolve_scopes(&[], &scopes[..1]).unwrap_err();
        assert_eq!(e.description, NO_DEFAULT_SCOPE);
    }

    #[test]
    fn only_all_clients_scopes_are_published() {
        let mut hidden = scope("hidden", Consent::Implicit, false);
        hidden.metadata_publish = MetadataPublish::NoClients;
        let shown = scope("shown", Consent::Implicit, false);
        assert_eq!(published(&[hidden, shown]), vec!["shown"]);
    }
}
