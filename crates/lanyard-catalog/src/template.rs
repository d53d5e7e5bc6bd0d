//! The manifests' templates: text with `{name}` placeholders, `{{` and `}}` for literal braces. A placeholder names
//! a variable of the entry or a value Lanyard knows once the client exists ([`KNOWN`]).

use std::borrow::Cow;
use std::fmt;

/// The values every setup template may use besides the entry's variables.
pub const KNOWN: &[&str] = &[
    "clientId",
    "clientSecret",
    "issuer",
    "discoveryUrl",
    "authorizationEndpoint",
    "tokenEndpoint",
    "userinfoEndpoint",
    "jwksUri",
    "endSessionEndpoint",
    "revocationEndpoint",
    "introspectionEndpoint",
    "redirectUri",
    "scopes",
    "scopesComma",
];

/// What is wrong with a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// A `{` that opens no placeholder (write `{{` for a literal brace), or a `}` that closes none (`}}`).
    Brace { at: usize },
    /// A placeholder that names nothing it may use.
    Unknown(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Brace { at } => write!(
                f,
                "a brace at character {at} is not part of a {{placeholder}}: write {{{{ or }}}} for a literal one"
            ),
            TemplateError::Unknown(name) => {
                write!(f, "{{{name}}} names no variable or known value")
            }
        }
    }
}

/// One piece of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Placeholder(&'a str),
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn pieces(t: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = t;
    let mut at = 0;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push(Piece::Brace('{'));
            rest = after;
            at += i + 2;
            continue;
        }
        if let Some(after) = tail.strip_prefix("}}") {
            out.push(Piece::Brace('}'));
            rest = after;
            at += i + 2;
            continue;
        }
        if tail.starts_with('}') {
            return Err(TemplateError::Brace { at: at + i });
        }
        let Some(end) = tail.find('}') else {
            return Err(TemplateError::Brace { at: at + i });
        };
        let name = &tail[1..end];
        if !is_name(name) {
            return Err(TemplateError::Brace { at: at + i });
        }
        out.push(Piece::Placeholder(name));
        rest = &tail[end + 1..];
        at += i + end + 1;
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// The names a template's placeholders use, in order (with repeats).
pub fn placeholders(t: &str) -> Result<Vec<&str>, TemplateError> {
    Ok(pieces(t)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(n) => Some(n),
            _ => None,
        })
        .collect())
}

/// The template with each placeholder replaced by `value(name)`.
pub fn render<'a>(
    t: &str,
    value: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(t.len() + 64);
    for p in pieces(t)? {
        match p {
            Piece::Text(s) => out.push_str(s),
            Piece::Brace(c) => out.push(c),
            Piece::Placeholder(n) => {
                out.push_str(&value(n).ok_or_else(|| TemplateError::Unknown(n.to_owned()))?)
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: &str) -> Option<Cow<'static, str>> {
        match n {
            "baseUrl" => Some("https://g.example".into()),
            "clientId" => Some("0oa1".into()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_render_and_doubled_braces_are_literal() {
        assert_eq!(
            render("{baseUrl}/login/generic_oauth", values).unwrap(),
            "https://g.example/login/generic_oauth"
        );
        assert_eq!(
            render("{{\"client_id\": \"{clientId}\"}}", values).unwrap(),
            "{\"client_id\": \"0oa1\"}"
        );
        assert_eq!(
            placeholders("a {baseUrl} b {clientId} {baseUrl}").unwrap(),
            vec!["baseUrl", "clientId", "baseUrl"]
        );
        assert_eq!(render("no braces", values).unwrap(), "no braces");
    }

    #[test]
    fn stray_braces_and_unknown_names_are_errors() {
        for bad in [
            "{ \"a\": 1 }",
            "{baseUrl",
            "x }",
            "{}",
            "{1abc}",
            "{base-url}",
        ] {
            assert!(
                matches!(placeholders(bad), Err(TemplateError::Brace { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            render("{nope}", values),
            Err(TemplateError::Unknown("nope".into()))
        );
        assert!(
            TemplateError::Brace { at: 3 }
                .to_string()
                .contains("write {{ or }}")
        );
    }
}
