//! The file: the org as one YAML document (`apiVersion: lanyard/v1`), every object named by a natural key — a
//! group's name, a user's login, an app's label, an authorization server's name, a scope's name, a claim's name and
//! type, a policy's or rule's name, a trusted origin's origin — never by an instance's random ids, so that a file
//! moves between instances (the groups and users a policy or rule names are named by name and login too). Client ids
//! are kept as they are: they are what apps hold. Policies and rules are listed in priority order (the first is
//! evaluated first). Secrets appear only as `${env:NAME}` references.

use std::collections::BTreeMap;

use anyhow::{bail, ensure};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const API_VERSION: &str = "lanyard/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Document {
    pub api_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<ServerSpec>,
    /// Okta sign-on policies, in priority order; the Default Policy (always last) is in every org.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sign_on_policies: Vec<SignOnPolicySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_origins: Vec<TrustedOriginSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserSpec {
    pub login: String,
    /// The profile besides `login` (`firstName`, `lastName`, `email`, …).
    #[serde(default)]
    pub profile: Map<String, Value>,
    /// ACTIVE (the default), PROVISIONED (activated without a password: waits for its activation link), STAGED,
    /// SUSPENDED or DEPROVISIONED.
    #[serde(default = "active")]
    pub status: String,
    /// `${env:NAME}`: set when the user is created (an existing user's password is left alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Groups by name (`Everyone` is implied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Admin roles: SUPER_ADMIN, ORG_ADMIN, READ_ONLY_ADMIN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

fn active() -> String {
    "ACTIVE".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppSpec {
    /// The app's label, its key in the file.
    pub label: String,
    #[serde(default = "active")]
    pub status: String,
    /// Fixed when the app is created; an existing app's client id cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `${env:NAME}`: the client secret set when the app is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// A catalog integration: its key and variables (the client is the catalog's to make).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogRef>,
    /// `credentials.oauthClient` besides the client id and secret (`token_endpoint_auth_method`, `pkce_required`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub credentials: Map<String, Value>,
    /// `settings.oauthClient` of an app configured by hand. Fields left out keep the API's defaults.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub settings: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Assignments::is_empty")]
    pub assignments: Assignments,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogRef {
    pub key: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub variables: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Assignments {
    /// Group names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// User logins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}

impl Assignments {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.users.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default = "active")]
    pub status: String,
    /// Custom scopes (the system scopes every server has are left out), in the Scopes API's shape less `id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Map<String, Value>>,
    /// Custom claims, in the Claims API's shape less `id`; keyed by `name` and `claimType`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Map<String, Value>>,
    /// Access policies, in priority order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<AccessPolicySpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessPolicySpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "active")]
    pub status: String,
    /// The clients it applies to: `[ALL_CLIENTS]` (the default) or client ids.
    #[serde(default = "all_clients")]
    pub clients: Vec<String>,
    /// Its rules, in priority order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
}

fn all_clients() -> Vec<String> {
    vec!["ALL_CLIENTS".into()]
}

/// A rule of an access policy or of a sign-on policy: `conditions` and `actions` in the Policies API's shape, but
/// for the groups (`conditions.people.groups`) named by name and the users (`conditions.people.users`) by login.
/// What the file leaves out of them keeps the API's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpec {
    pub name: String,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub conditions: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub actions: Map<String, Value>,
    /// The Default Rule of the Default Policy (never deleted); not in the file.
    #[serde(skip)]
    pub system: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignOnPolicySpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "active")]
    pub status: String,
    /// The groups it applies to, by name (`Everyone` for everyone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Its rules, in priority order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
    /// The Default Policy (never deleted, always last); not in the file.
    #[serde(skip)]
    pub system: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrustedOriginSpec {
    /// The origin (`https://app.example.com`), its key in the file.
    pub origin: String,
    pub name: String,
    /// `CORS` and/or `REDIRECT`.
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default = "active")]
    pub status: String,
}

impl Document {
    pub fn empty() -> Self {
        Document {
            api_version: API_VERSION.into(),
            groups: vec![],
            users: vec![],
            apps: vec![],
            authorization_servers: vec![],
            sign_on_policies: vec![],
            trusted_origins: vec![],
        }
    }

    /// Reads a file's text: the version, unique keys, and secrets only as references.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let doc: Document = serde_norway::from_str(text)?;
        ensure!(
            doc.api_version == API_VERSION,
            "apiVersion: expected {API_VERSION}, found {:?}",
            doc.api_version
        );
        unique("group", doc.groups.iter().map(|g| g.name.clone()))?;
        unique("user", doc.users.iter().map(|u| u.login.clone()))?;
        unique("app", doc.apps.iter().map(|a| a.label.clone()))?;
        unique(
            "authorization server",
            doc.authorization_servers.iter().map(|s| s.name.clone()),
        )?;
        for s in &doc.authorization_servers {
            unique_among(
                &format!("policies of server {:?}", s.name),
                s.policies.iter().map(|p| p.name.clone()),
            )?;
            for p in &s.policies {
                unique_among(
                    &format!("rules of policy {:?}", p.name),
                    p.rules.iter().map(|r| r.name.clone()),
                )?;
            }
        }
        unique_among(
            "sign-on policies",
            doc.sign_on_policies.iter().map(|p| p.name.clone()),
        )?;
        for p in &doc.sign_on_policies {
            unique_among(
                &format!("rules of sign-on policy {:?}", p.name),
                p.rules.iter().map(|r| r.name.clone()),
            )?;
        }
        unique_among(
            "trusted origins",
            doc.trusted_origins.iter().map(|t| t.origin.clone()),
        )?;
        for u in &doc.users {
            if let Some(p) = &u.password {
                reference(p).map_err(|e| anyhow::anyhow!("user {:?}: password: {e}", u.login))?;
            }
        }
        for a in &doc.apps {
            if let Some(s) = &a.client_secret {
                reference(s)
                    .map_err(|e| anyhow::anyhow!("app {:?}: clientSecret: {e}", a.label))?;
            }
            ensure!(
                !a.credentials.contains_key("client_secret"),
                "app {:?}: credentials.client_secret: a secret is given as clientSecret: ${{env:NAME}}, never in the file",
                a.label
            );
        }
        Ok(doc)
    }

    pub fn to_yaml(&self) -> anyhow::Result<String> {
        Ok(serde_norway::to_string(self)?)
    }

    /// Every `${env:NAME}` the file refers to, resolved: a missing variable fails here, naming the object and the
    /// variable, before anything changes.
    pub fn resolve_secrets(&self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Secrets> {
        let mut out = Secrets::default();
        let mut missing = Vec::new();
        let mut get = |what: String, value: &str| -> Option<String> {
            let name = reference(value).ok()?;
            match env(name) {
                Some(v) if !v.is_empty() => Some(v),
                _ => {
                    missing.push(format!("{what} needs the environment variable {name}"));
                    None
                }
            }
        };
        for u in &self.users {
            if let Some(p) = &u.password
                && let Some(v) = get(format!("user {:?} (password)", u.login), p)
            {
                out.passwords.insert(u.login.clone(), v);
            }
        }
        for a in &self.apps {
            if let Some(s) = &a.client_secret
                && let Some(v) = get(format!("app {:?} (clientSecret)", a.label), s)
            {
                out.client_secrets.insert(a.label.clone(), v);
            }
        }
        if !missing.is_empty() {
            bail!("nothing was changed: {}", missing.join("; "));
        }
        Ok(out)
    }
}

/// Secrets the file refers to, by the object's key. `Debug` names the objects, never the values.
#[derive(Default)]
pub struct Secrets {
    pub passwords: BTreeMap<String, String>,
    pub client_secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("passwords", &self.passwords.keys().collect::<Vec<_>>())
            .field(
                "client_secrets",
                &self.client_secrets.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The variable of a `${env:NAME}` reference; anything else is refused (a secret is never written in the file).
pub fn reference(value: &str) -> anyhow::Result<&str> {
    let name = value
        .strip_prefix("${env:")
        .and_then(|r| r.strip_suffix('}'))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    match name {
        Some(n) => Ok(n),
        None => bail!(
            "a secret must be a reference such as ${{env:MY_SECRET}}, not a value written in the file"
        ),
    }
}

/// The environment variable `export` names for a user's password: `PASSWORD_` and the login in capitals, every
/// other character an underscore (`ada@example.com` → `PASSWORD_ADA_EXAMPLE_COM`).
pub fn password_variable(login: &str) -> String {
    let mut name = String::from("PASSWORD_");
    for c in login.chars() {
        name.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    name
}

fn unique(what: &str, keys: impl Iterator<Item = String>) -> anyhow::Result<()> {
    unique_among(&format!("{what}s"), keys)
}

/// `what` in the plural: "two policies of server \"x\" are named …".
fn unique_among(what: &str, keys: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for k in keys {
        ensure!(seen.insert(k.clone()), "two {what} are named {k:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_references_resolved_before_anything_changes() {
        let text = "apiVersion: lanyard/v1\nusers:\n- login: ada@example.com\n  password: ${env:ADA_PW}\napps:\n- label: CI\n  clientSecret: ${env:CI_SECRET}\n";
        let doc = Document::parse(text).unwrap();
        let all = doc
            .resolve_secrets(|n| Some(format!("value-of-{n}")))
            .unwrap();
        assert_eq!(all.passwords["ada@example.com"], "value-of-ADA_PW");
        assert_eq!(all.client_secrets["CI"], "value-of-CI_SECRET");
        assert!(!format!("{all:?}").contains("value-of"));
        let e = doc
            .resolve_secrets(|n| (n == "ADA_PW").then(|| "x".into()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "nothing was changed: app \"CI\" (clientSecret) needs the environment variable CI_SECRET"
        );
    }

    #[test]
    fn a_literal_secret_a_wrong_version_or_a_duplicate_key_is_refused() {
        let e = Document::parse(
            "apiVersion: lanyard/v1\napps:\n- label: CI\n  clientSecret: hunter2hunter2hunter2\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("app \"CI\": clientSecret: a secret must be a reference"),
            "{e}"
        );
        let e = Document::parse(
            "apiVersion: lanyard/v1\nusers:\n- login: a@b.c\n  password: Correct-Horse-9\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("password: a secret must be a reference"), "{e}");
        assert!(Document::parse("apiVersion: v2\n").is_err());
        let e = Document::parse("apiVersion: lanyard/v1\ngroups:\n- name: A\n- name: A\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "two groups are named \"A\"");
    }

    #[test]
    fn password_variables_are_derived_from_the_login() {
        assert_eq!(
            password_variable("ada@example.com"),
            "PASSWORD_ADA_EXAMPLE_COM"
        );
    }
}
