//! Request parameters of the OAuth endpoints (form bodies and query strings). A parameter sent twice is refused
//! (RFC 6749 §3.1); one sent empty counts as absent; unknown ones are ignored.

use std::collections::BTreeMap;

use crate::oauth_error::{ErrorCode, OAuthError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

/// The longest value accepted for any parameter (request objects and assertions included).
const MAX_VALUE: usize = 16 * 1024;

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes.
    pub fn parse(form: &[u8]) -> Result<Self, OAuthError> {
        Self::from_pairs(
            url::form_urlencoded::parse(form).map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
    }

    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, OAuthError> {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if v.len() > MAX_VALUE {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    format!("The '{k}' parameter is too long."),
                ));
            }
            if k.contains('\0') || v.contains('\0') {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The '{}' parameter contains a NUL character.",
                        k.replace('\0', "")
                    ),
                ));
            }
            if v.is_empty() {
                continue;
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    format!("The '{k}' parameter was included more than once."),
                ));
            }
        }
        Ok(Params(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::new(
                ErrorCode::InvalidRequest,
                format!("The '{name}' parameter is required."),
            )
        })
    }

    /// Only the parameters in `allowed` (a grant's whitelist): everything else is ignored.
    pub fn only(&self, allowed: &[&str]) -> Params {
        Params(
            self.0
                .iter()
                .filter(|(k, _)| allowed.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// Space-separated values (`scope`, `prompt`, `response_type`), without repeats, in order.
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in self.get(name).unwrap_or_default().split(' ') {
            if !v.is_empty() && !out.iter().any(|o| o == v) {
                out.push(v.to_owned());
            }
        }
        out
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Form-encodes the parameters (to carry an authorization request through the sign-in page).
    pub fn to_query(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            s.append_pair(k, v);
        }
        s.finish()
    }

    pub fn without(&self, name: &str) -> Params {
        let mut p = self.clone();
        p.0.remove(name);
        p
    }

    /// A copy with `name` set to `value` (an empty value removes it, as an empty parameter counts as absent).
    pub fn with(&self, name: &str, value: &str) -> Params {
        if value.is_empty() {
            return self.without(name);
        }
        let mut p = self.clone();
        p.0.insert(name.to_owned(), value.to_owned());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_and_empty_values_ignored() {
        let p = Params::parse(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        let e = Params::parse(b"a=1&a=2").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.description.contains("'a'"));
        assert!(p.require("b").is_err());
    }

    #[test]
    fn nul_characters_are_refused_in_names_and_values() {
        for form in [&b"client_id=a%00b"[..], b"a%00=1"] {
            let e = Params::parse(form).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert!(e.description.contains("NUL"), "{}", e.description);
        }
    }

    #[test]
    fn lists_whitelists_and_round_trips() {
        let p = Params::parse(b"scope=openid%20profile%20openid&x=1&grant_type=y").unwrap();
        assert_eq!(p.list("scope"), ["openid", "profile"]);
        assert_eq!(p.only(&["grant_type"]).iter().count(), 1);
        assert_eq!(Params::parse(p.to_query().as_bytes()).unwrap(), p);
        assert_eq!(p.without("x").get("x"), None);
        assert_eq!(p.with("x", "2").get("x"), Some("2"));
        assert_eq!(p.with("x", "").get("x"), None);
    }
}
