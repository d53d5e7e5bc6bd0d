//! A catalog entry as its manifest (`catalog/<name>.toml`, `docs/catalog.md`) writes it, and the rules every manifest
//! must follow. [`parse`] reads one, [`check`] lists every problem with the path of the field it is about, and
//! [`line_of`] finds that field's line in the file, for messages that point at it.

use std::fmt;

use lanyard_core::apps::{check_https_url, check_redirect_uri};
use lanyard_core::model::ApplicationType;
use serde::{Deserialize, Serialize};

use crate::template::{self, KNOWN};

/// The categories an entry may be in.
pub const CATEGORIES: &[&str] = &[
    "development",
    "infrastructure",
    "monitoring",
    "communication",
    "storage",
    "documentation",
    "media",
    "security",
    "home-lab",
    "productivity",
    "analytics",
    "business",
];

/// Token endpoint authentication methods, strongest first.
pub const AUTH_METHODS: &[&str] = &[
    "private_key_jwt",
    "client_secret_basic",
    "client_secret_post",
    "none",
];

/// ID token algorithms, in the order Lanyard prefers them.
pub const ID_TOKEN_ALGS: &[&str] = &["EdDSA", "ES256", "RS256"];

const STYLES: &[&str] = &["env", "compose", "config", "helm", "ui"];
const LANGUAGES: &[&str] = &[
    "shell", "ini", "yaml", "toml", "json", "xml", "php", "python", "ruby", "text",
];
const GRANTS: &[&str] = &["authorization_code", "refresh_token"];
const CLAIM_TARGETS: &[&str] = &["id_token", "userinfo", "access_token"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: u32,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub category: String,
    pub website: String,
    pub sign_on_modes: Vec<String>,
    pub support: Support,
    #[serde(default)]
    pub guide: String,
    pub verified: Verified,
    #[serde(default)]
    pub variables: Vec<Variable>,
    pub client: Client,
    #[serde(default)]
    pub claims: Vec<ClaimSpec>,
    #[serde(default)]
    pub setup: Vec<Setup>,
}

/// How an entry is proven in CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Support {
    /// By `lanyard catalog test`, playing the application's part.
    Simulated,
    /// Also against the real application.
    Proven,
}

impl Support {
    pub fn as_str(self) -> &'static str {
        match self {
            Support::Simulated => "simulated",
            Support::Proven => "proven",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verified {
    pub version: String,
    pub docs: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    Url,
    Hostname,
    String,
    Enum,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: VarType,
    #[serde(default)]
    pub required: bool,
    pub example: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub values: Option<Vec<String>>,
    #[serde(default)]
    pub default: Option<String>,
}

/// What PKCE the application can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pkce {
    Required,
    Supported,
    Unsupported,
}

impl Pkce {
    pub fn as_str(self) -> &'static str {
        match self {
            Pkce::Required => "required",
            Pkce::Supported => "supported",
            Pkce::Unsupported => "unsupported",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub application_type: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub initiate_login_uri: Option<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub pkce: Pkce,
    pub auth_methods: Vec<String>,
    #[serde(default = "rs256")]
    pub id_token_algs: Vec<String>,
    #[serde(default)]
    pub refresh_tokens: bool,
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub fixed_client_id: Option<String>,
}

fn rs256() -> Vec<String> {
    vec!["RS256".into()]
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    pub name: String,
    /// `groups`, or an expression (`user.profile.department`).
    pub value: String,
    #[serde(rename = "in")]
    pub targets: Vec<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    pub style: String,
    pub title: String,
    #[serde(default)]
    pub file: Option<String>,
    pub language: String,
    pub template: String,
}

/// One problem with a manifest: the field's path (`client.redirect_uris[0]`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Reads a manifest (TOML); a syntax or shape error is one problem at the line it names.
pub fn parse(text: &str) -> Result<Manifest, Problem> {
    toml::from_str::<Manifest>(text).map_err(|e| {
        let line = e.span().map(|s| {
            text.as_bytes()[..s.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        });
        let path = match line {
            Some(l) => format!("line {l}"),
            None => "file".to_owned(),
        };
        Problem::new(path, e.message().to_owned())
    })
}

/// The line (1-based) of the field at `path` in a manifest's text, as best it can be found: the table a path
/// starts in (the n-th `[[variables]]`, `[client]`, …), then the key.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    if let Some(l) = path.strip_prefix("line ") {
        return l.parse().ok();
    }
    let mut segments = path.split('.');
    let first = segments.next()?;
    let (table, index) = match first.split_once('[') {
        Some((t, i)) => (t, i.trim_end_matches(']').parse::<usize>().ok()),
        None => (first, None),
    };
    let lines: Vec<&str> = text.lines().collect();
    let header = |t: &str| format!("[[{t}]]");
    let (start, key) = match (table, index) {
        ("variables" | "claims" | "setup", Some(i)) => {
            let h = header(table);
            let at = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.trim() == h)
                .nth(i)?
                .0;
            (at, segments.next())
        }
        ("client" | "verified", _) => {
            let h = format!("[{table}]");
            let at = lines.iter().position(|l| l.trim() == h)?;
            let key = if index.is_some() {
                Some(first)
            } else {
                segments.next()
            };
            (at, key.map(|k| k.split('[').next().unwrap_or(k)))
        }
        _ => (0, Some(table)),
    };
    let Some(key) = key else {
        return Some(start + 1);
    };
    let key = key.split('[').next().unwrap_or(key);
    let found = lines
        .iter()
        .enumerate()
        .skip(start)
        .take_while(|(i, l)| *i == start || !l.trim_start().starts_with('['))
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(i, _)| i + 1);
    found.or(Some(start + 1))
}

fn is_key(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=48).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

fn is_variable_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase()) && c.all(|x| x.is_ascii_alphanumeric())
}

fn https(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() => Ok(()),
        _ => Err("must be an https URL".into()),
    }
}

/// A variable's value as the administrator gives it: checked against its type, pattern and values. A URL loses a
/// trailing `/`.
pub fn check_value(v: &Variable, value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    // A value lands in URIs and in the application's configuration files: one line of text.
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters (line breaks included)".into());
    }
    let value = match v.kind {
        VarType::Url => {
            let u =
                url::Url::parse(value).map_err(|_| "must be an absolute http(s) URL".to_owned())?;
            if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
                return Err("must be an absolute http(s) URL".into());
            }
            if u.query().is_some() || u.fragment().is_some() || !u.username().is_empty() {
                return Err("must not have a query, a fragment or credentials".into());
            }
            check_https_url(value).map_err(|_| {
                "must use https (http is allowed only for localhost and loopback addresses)"
                    .to_owned()
            })?;
            value.trim_end_matches('/').to_owned()
        }
        VarType::Hostname => {
            let ok = value.len() <= 253
                && value.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !ok {
                return Err("must be a host name such as app.example.com".into());
            }
            value.to_ascii_lowercase()
        }
        VarType::String => value.to_owned(),
        VarType::Enum => {
            let values = v.values.as_deref().unwrap_or_default();
            if !values.iter().any(|x| x == value) {
                return Err(format!("must be one of {}", values.join(", ")));
            }
            value.to_owned()
        }
    };
    if let Some(p) = &v.pattern {
        let re = regex_automata::meta::Regex::new(&format!("^(?:{p})$"))
            .map_err(|_| "has a pattern that is not a valid regular expression".to_owned())?;
        if !re.is_match(&value) {
            return Err(format!("must match {p}"));
        }
    }
    Ok(value)
}

/// Every problem with a manifest (none: it may be offered). `file_stem`: the file's name, which must be the key.
pub fn check(m: &Manifest, file_stem: Option<&str>) -> Vec<Problem> {
    let mut p = Vec::new();
    let mut fail = |path: &str, msg: &str| p.push(Problem::new(path, msg));
    if m.schema != 1 {
        fail("schema", "must be 1");
    }
    if !is_key(&m.name) {
        fail(
            "name",
            "must be 2 to 48 characters of a-z, 0-9 and _, starting with a letter",
        );
    }
    if let Some(stem) = file_stem
        && stem != m.name
    {
        fail("name", &format!("must be the file's name ({stem})"));
    }
    if m.display_name.trim().is_empty() || m.display_name.chars().count() > 64 {
        fail("display_name", "must be 1 to 64 characters");
    }
    if m.description.trim().is_empty() || m.description.chars().count() > 200 {
        fail("description", "must be 1 to 200 characters");
    }
    if !CATEGORIES.contains(&m.category.as_str()) {
        fail(
            "category",
            &format!("must be one of {}", CATEGORIES.join(", ")),
        );
    }
    if let Err(e) = https(&m.website) {
        fail("website", &e);
    }
    if m.sign_on_modes != ["OPENID_CONNECT"] {
        fail("sign_on_modes", "must be [\"OPENID_CONNECT\"]");
    }
    if m.guide.trim().is_empty() {
        fail("guide", "must say what to do on the application's side");
    }
    match template::placeholders(&m.guide) {
        Ok(names) => {
            for n in names {
                if !m.variables.iter().any(|v| v.name == n) && !KNOWN.contains(&n) {
                    fail(
                        "guide",
                        &format!("{{{n}}} names no variable of this entry or known value"),
                    );
                }
            }
        }
        Err(e) => fail("guide", &e.to_string()),
    }
    if m.verified.version.trim().is_empty() {
        fail("verified.version", "must name the version checked");
    }
    if let Err(e) = https(&m.verified.docs) {
        fail("verified.docs", &e);
    }
    if let Some(s) = &m.verified.source
        && let Err(e) = https(s)
    {
        fail("verified.source", &e);
    }

    // Variables.
    if m.variables.is_empty() || m.variables.len() > 8 {
        fail("variables", "must hold 1 to 8 variables");
    }
    for (i, v) in m.variables.iter().enumerate() {
        let at = |f: &str| format!("variables[{i}].{f}");
        if !is_variable_name(&v.name) || KNOWN.contains(&v.name.as_str()) {
            fail(
                &at("name"),
                "must be camelCase (a-z first, then letters and digits) and not a known value's name",
            );
        }
        if m.variables[..i].iter().any(|o| o.name == v.name) {
            fail(&at("name"), "is used twice");
        }
        if v.label.trim().is_empty() {
            fail(&at("label"), "must not be blank");
        }
        if v.description.trim().is_empty() {
            fail(&at("description"), "must say what the value is");
        }
        match (v.kind, &v.values) {
            (VarType::Enum, None) => fail(&at("values"), "an enum needs its values"),
            (VarType::Enum, Some(vals)) if vals.is_empty() => {
                fail(&at("values"), "an enum needs its values")
            }
            (VarType::Enum, _) => {}
            (_, Some(_)) => fail(&at("values"), "only an enum has values"),
            _ => {}
        }
        if let Some(pat) = &v.pattern
            && regex_automata::meta::Regex::new(pat).is_err()
        {
            fail(&at("pattern"), "is not a valid regular expression");
        }
        if let Err(e) = check_value(v, &v.example) {
            fail(&at("example"), &e);
        }
        if v.example.trim_end() != v.example.trim_end_matches('/') && v.kind == VarType::Url {
            fail(&at("example"), "must not end with /");
        }
        match (&v.default, v.required) {
            (Some(_), true) => fail(&at("default"), "only an optional variable has a default"),
            (Some(d), false) => {
                if let Err(e) = check_value(v, d) {
                    fail(&at("default"), &e);
                }
            }
            (None, _) => {}
        }
    }
    let var = |n: &str| m.variables.iter().find(|v| v.name == n);
    let example = |n: &str| -> Option<std::borrow::Cow<'static, str>> {
        var(n).map(|v| v.example.trim_end_matches('/').to_owned().into())
    };

    // The client.
    let c = &m.client;
    let app_type =
        ApplicationType::parse(&c.application_type).filter(|t| *t != ApplicationType::Service);
    if app_type.is_none() {
        fail("client.application_type", "must be web, browser or native");
    }
    let app_type = app_type.unwrap_or(ApplicationType::Web);
    if c.redirect_uris.is_empty() {
        fail(
            "client.redirect_uris",
            "must hold at least one redirect URI",
        );
    }
    let uri_template =
        |path: String, t: &str, check: &dyn Fn(&str) -> Result<(), String>| match template::render(
            t, example,
        ) {
            Ok(uri) => check(&uri).err().map(|e| Problem::new(path, e)),
            Err(template::TemplateError::Unknown(n)) => Some(Problem::new(
                path,
                format!("{{{n}}} names no variable of this entry (URIs may use variables only)"),
            )),
            Err(e) => Some(Problem::new(path, e.to_string())),
        };
    let redirect = |u: &str| check_redirect_uri(u, app_type);
    for (i, u) in c.redirect_uris.iter().enumerate() {
        p.extend(uri_template(
            format!("client.redirect_uris[{i}]"),
            u,
            &redirect,
        ));
    }
    for (i, u) in c.post_logout_redirect_uris.iter().enumerate() {
        p.extend(uri_template(
            format!("client.post_logout_redirect_uris[{i}]"),
            u,
            &redirect,
        ));
    }
    for (field, value) in [
        ("initiate_login_uri", &c.initiate_login_uri),
        ("backchannel_logout_uri", &c.backchannel_logout_uri),
        ("jwks_uri", &c.jwks_uri),
    ] {
        if let Some(t) = value {
            p.extend(uri_template(format!("client.{field}"), t, &|u: &str| {
                check_https_url(u).and_then(|()| {
                    if u.contains('#') {
                        Err("must not contain a fragment".into())
                    } else {
                        Ok(())
                    }
                })
            }));
        }
    }
    let mut fail = |path: &str, msg: &str| p.push(Problem::new(path, msg));
    if !c.grant_types.iter().all(|g| GRANTS.contains(&g.as_str()))
        || !c.grant_types.iter().any(|g| g == "authorization_code")
    {
        fail(
            "client.grant_types",
            "must hold authorization_code, and refresh_token when the application uses refresh tokens",
        );
    }
    if c.grant_types.iter().any(|g| g == "refresh_token") != c.refresh_tokens {
        fail(
            "client.grant_types",
            "must hold refresh_token exactly when refresh_tokens is true",
        );
    }
    if !c.scopes.iter().any(|s| s == "openid") {
        fail("client.scopes", "must hold openid");
    }
    if c.scopes.iter().any(|s| s == "offline_access") != c.refresh_tokens {
        fail(
            "client.scopes",
            "must hold offline_access exactly when refresh_tokens is true",
        );
    }
    for (i, s) in c.scopes.iter().enumerate() {
        if c.scopes[..i].contains(s) || s.is_empty() || s.contains(char::is_whitespace) {
            fail(
                &format!("client.scopes[{i}]"),
                "must be a distinct scope name",
            );
        }
    }
    if c.auth_methods.is_empty()
        || !c
            .auth_methods
            .iter()
            .all(|a| AUTH_METHODS.contains(&a.as_str()))
    {
        fail(
            "client.auth_methods",
            &format!("must hold some of {}", AUTH_METHODS.join(", ")),
        );
    }
    let has = |a: &str| c.auth_methods.iter().any(|x| x == a);
    if app_type.is_public() && !has("none") {
        fail(
            "client.auth_methods",
            "a browser or native application keeps no secret: it must include none",
        );
    }
    if app_type == ApplicationType::Web && c.auth_methods.iter().all(|a| a == "none") {
        fail(
            "client.auth_methods",
            "a web application authenticates at the token endpoint: name how",
        );
    }
    if has("private_key_jwt") && c.jwks_uri.is_none() {
        fail(
            "client.jwks_uri",
            "private_key_jwt needs the URL the application publishes its keys at",
        );
    }
    if app_type.is_public() && c.pkce == crate::manifest::Pkce::Unsupported {
        fail(
            "client.pkce",
            "a browser or native application must use PKCE",
        );
    }
    if c.id_token_algs.is_empty()
        || !c
            .id_token_algs
            .iter()
            .all(|a| ID_TOKEN_ALGS.contains(&a.as_str()))
    {
        fail(
            "client.id_token_algs",
            &format!("must hold some of {}", ID_TOKEN_ALGS.join(", ")),
        );
    }
    if let Some(id) = &c.fixed_client_id
        && (id.is_empty()
            || id.len() > 100
            || !id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-._~".contains(ch)))
    {
        fail(
            "client.fixed_client_id",
            "must be 1 to 100 characters of letters, digits and -._~",
        );
    }

    // Claims.
    for (i, cl) in m.claims.iter().enumerate() {
        let at = |f: &str| format!("claims[{i}].{f}");
        if cl.name.trim().is_empty()
            || lanyard_core::authz::claims::RESERVED_CLAIMS.contains(&cl.name.as_str())
        {
            fail(&at("name"), "must be a claim name that is not reserved");
        }
        if cl.value != "groups" && lanyard_core::authz::claims::parse(&cl.value).is_err() {
            fail(
                &at("value"),
                "must be groups or an expression such as user.profile.department",
            );
        }
        if cl.targets.is_empty()
            || !cl
                .targets
                .iter()
                .all(|t| CLAIM_TARGETS.contains(&t.as_str()))
        {
            fail(
                &at("in"),
                &format!("must hold some of {}", CLAIM_TARGETS.join(", ")),
            );
        }
        if let Some(s) = &cl.scope
            && !c.scopes.contains(s)
        {
            fail(&at("scope"), "must be one of client.scopes");
        }
    }

    // The application's side.
    if m.setup.is_empty() {
        fail(
            "setup",
            "must show at least one way to configure the application",
        );
    }
    for (i, s) in m.setup.iter().enumerate() {
        let at = |f: &str| format!("setup[{i}].{f}");
        if !STYLES.contains(&s.style.as_str()) {
            fail(
                &at("style"),
                &format!("must be one of {}", STYLES.join(", ")),
            );
        }
        if !LANGUAGES.contains(&s.language.as_str()) {
            fail(
                &at("language"),
                &format!("must be one of {}", LANGUAGES.join(", ")),
            );
        }
        if s.title.trim().is_empty() {
            fail(&at("title"), "must not be blank");
        }
        match template::placeholders(&s.template) {
            Ok(names) => {
                for n in names {
                    if var(n).is_none() && !KNOWN.contains(&n) {
                        fail(
                            &at("template"),
                            &format!("{{{n}}} names no variable of this entry or known value"),
                        );
                    }
                }
            }
            Err(e) => fail(&at("template"), &e.to_string()),
        }
    }
    for (i, v) in m.variables.iter().enumerate() {
        let used = m
            .client
            .redirect_uris
            .iter()
            .chain(&m.client.post_logout_redirect_uris)
            .chain(&m.client.initiate_login_uri)
            .chain(&m.client.backchannel_logout_uri)
            .chain(&m.client.jwks_uri)
            .chain(m.setup.iter().map(|s| &s.template))
            .chain(std::iter::once(&m.guide))
            .any(|t| template::placeholders(t).is_ok_and(|names| names.contains(&v.name.as_str())));
        if !used {
            fail(
                &format!("variables[{i}].name"),
                "is used by no URI or setup template",
            );
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
schema = 1
name = "demo"
display_name = "Demo"
description = "A demo application."
category = "development"
website = "https://demo.example"
sign_on_modes = ["OPENID_CONNECT"]
support = "simulated"
guide = "1. Paste the settings."

[verified]
version = "1.0"
docs = "https://demo.example/docs/oidc"

[[variables]]
name = "baseUrl"
label = "Demo URL"
type = "url"
required = true
example = "https://demo.example.com"
description = "Where Demo runs."

[client]
application_type = "web"
redirect_uris = ["{baseUrl}/oidc/callback"]
grant_types = ["authorization_code"]
scopes = ["openid", "profile", "email"]
pkce = "supported"
auth_methods = ["client_secret_basic"]

[[setup]]
style = "env"
title = "Environment"
language = "shell"
template = "DEMO_OIDC_CLIENT_ID={clientId}\nDEMO_URL={baseUrl}\n"
"#;

    #[test]
    fn a_good_manifest_has_no_problem() {
        let m = parse(GOOD).unwrap();
        assert_eq!(check(&m, Some("demo")), vec![]);
        assert_eq!(m.client.id_token_algs, vec!["RS256"]);
    }

    #[test]
    fn problems_name_their_field_and_line() {
        let bad = GOOD
            .replace("{baseUrl}/oidc/callback", "{baseUrl}/oidc/callback#x")
            .replace("DEMO_URL={baseUrl}", "DEMO_URL={baseUrl} {nope}")
            .replace("category = \"development\"", "category = \"games\"")
            .replace(
                "scopes = [\"openid\", \"profile\", \"email\"]",
                "scopes = [\"profile\", \"offline_access\"]",
            );
        let m = parse(&bad).unwrap();
        let problems = check(&m, Some("other"));
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        for expected in [
            "name",
            "category",
            "client.redirect_uris[0]",
            "client.scopes",
            "setup[0].template",
        ] {
            assert!(paths.contains(&expected), "{expected} in {problems:?}");
        }
        let line = |needle: &str| {
            bad.lines()
                .position(|l| l.starts_with(needle))
                .map(|i| i + 1)
        };
        assert_eq!(
            line_of(&bad, "client.redirect_uris[0]"),
            line("redirect_uris")
        );
        assert_eq!(line_of(&bad, "setup[0].template"), line("template"));
        assert_eq!(line_of(&bad, "category"), line("category"));
        assert_eq!(line_of(&bad, "variables[0].example"), line("example"));
        assert_eq!(line_of(&bad, "variables[0]"), line("[[variables]]"));
        // A syntax or shape error is one problem at its line.
        let sometimes = GOOD.replace("pkce = \"supported\"", "pkce = \"sometimes\"");
        let e = parse(&sometimes).unwrap_err();
        let at = sometimes
            .lines()
            .position(|l| l.starts_with("pkce"))
            .map(|i| i + 1);
        assert_eq!(
            Some(e.path.as_str()),
            at.map(|l| format!("line {l}")).as_deref(),
            "{e}"
        );
        assert!(
            e.message.contains("sometimes") || e.message.contains("variant"),
            "{e}"
        );
        assert!(parse(&GOOD.replace("schema = 1", "schema = 1\nfavourite = true")).is_err());
    }

    #[test]
    fn values_are_checked_by_type() {
        let url = Variable {
            name: "baseUrl".into(),
            label: "URL".into(),
            kind: VarType::Url,
            required: true,
            example: "https://a.example".into(),
            description: "d".into(),
            pattern: None,
            values: None,
            default: None,
        };
        assert_eq!(
            check_value(&url, "https://a.example/").unwrap(),
            "https://a.example"
        );
        assert!(check_value(&url, "http://localhost:3000").is_ok());
        for bad in [
            "http://a.example",
            "ftp://a.example",
            "a.example",
            "https://a.example/?q=1",
            "",
        ] {
            assert!(check_value(&url, bad).is_err(), "{bad}");
        }
        let host = Variable {
            kind: VarType::Hostname,
            ..url.clone()
        };
        assert!(check_value(&host, "Tenant.Example.com").is_ok());
        assert!(check_value(&host, "-bad.example").is_err());
        let team = Variable {
            kind: VarType::String,
            pattern: Some("[a-z0-9-]+".into()),
            ..url.clone()
        };
        assert!(check_value(&team, "my-team").is_ok());
        assert!(check_value(&team, "My Team").is_err());
        let free = Variable {
            kind: VarType::String,
            pattern: None,
            ..url.clone()
        };
        assert!(check_value(&free, "Admins of Acme").is_ok());
        assert!(
            check_value(&free, "admins\nallow_sign_up = true")
                .unwrap_err()
                .contains("control characters")
        );
        let region = Variable {
            kind: VarType::Enum,
            values: Some(vec!["us".into(), "eu".into()]),
            ..url
        };
        assert!(check_value(&region, "eu").is_ok());
        assert!(check_value(&region, "asia").is_err());
    }
}
