//! User profiles: Okta's default user schema — the standard attributes, which are strings, the four required ones,
//! and the limits Okta's SDKs validate — plus custom attributes of any JSON type but objects.

use serde_json::{Map, Value};

/// Okta's standard profile attributes; all strings.
pub const STANDARD_ATTRIBUTES: &[&str] = &[
    "login",
    "email",
    "secondEmail",
    "firstName",
    "lastName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
    "title",
    "displayName",
    "nickName",
    "profileUrl",
    "primaryPhone",
    "mobilePhone",
    "streetAddress",
    "city",
    "state",
    "zipCode",
    "countryCode",
    "postalAddress",
    "preferredLanguage",
    "locale",
    "timezone",
    "userType",
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "managerId",
    "manager",
];

/// Attributes every user must have.
pub const REQUIRED: &[&str] = &["login", "email", "firstName", "lastName"];

fn length_limits(name: &str) -> Option<(usize, usize)> {
    match name {
        // The limits Okta's SDKs enforce when they parse a user: a longer or shorter value would break them.
        "login" | "email" => Some((5, 100)),
        "firstName" | "lastName" => Some((1, 50)),
        "countryCode" => Some((2, 2)),
        _ => None,
    }
}

/// A plausible email address: one `@`, something before it, a dot in the domain, no spaces.
pub fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// Every problem with `profile`, as Okta's `errorCauses` (`attribute: message`).
pub fn validate(profile: &Map<String, Value>) -> Vec<String> {
    let mut causes = Vec::new();
    for name in REQUIRED {
        let blank = match profile.get(*name) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            _ => false,
        };
        if blank {
            causes.push(format!("{name}: The field cannot be left blank"));
        }
    }
    for (name, value) in profile {
        if name.is_empty()
            || name.len() > 64
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            causes.push(format!(
                "{name}: Property name must be letters, digits or underscores (at most 64)"
            ));
            continue;
        }
        if STANDARD_ATTRIBUTES.contains(&name.as_str()) {
            match value {
                Value::Null => {}
                Value::String(s) => {
                    if s.chars().any(char::is_control) {
                        causes.push(format!("{name}: Must not contain control characters"));
                    }
                    if let Some((min, max)) = length_limits(name) {
                        let n = s.chars().count();
                        if !s.trim().is_empty() && (n < min || n > max) {
                            causes.push(if min == max {
                                format!("{name}: Must be exactly {min} characters")
                            } else {
                                format!("{name}: Must be between {min} and {max} characters")
                            });
                        }
                    }
                    if (name == "email" || name == "secondEmail")
                        && !s.is_empty()
                        && !looks_like_email(s)
                    {
                        causes.push(format!("{name}: Does not match required pattern"));
                    }
                    if name == "login" && s.chars().any(char::is_whitespace) {
                        causes.push("login: Must not contain spaces".to_owned());
                    }
                }
                _ => causes.push(format!("{name}: Must be a string")),
            }
        } else if value.is_object() {
            causes.push(format!(
                "{name}: Custom attributes must be strings, numbers, booleans or arrays"
            ));
        }
    }
    causes
}

/// A partial update: attributes in `changes` replace those in `profile`; `null` removes one.
pub fn merge(profile: &mut Map<String, Value>, changes: Map<String, Value>) {
    for (k, v) in changes {
        if v.is_null() {
            profile.remove(&k);
        } else {
            profile.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_complete_profile_passes() {
        let p = obj(
            json!({"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada",
            "lastName": "Lovelace", "countryCode": "GB", "department": "Engines", "level": 3, "tags": ["a"]}),
        );
        assert_eq!(validate(&p), Vec::<String>::new());
    }

    #[test]
    fn each_problem_is_a_cause() {
        let p = obj(
            json!({"login": "a b", "email": "nope", "firstName": "", "countryCode": "GBR", "city": 5,
            "custom": {"nested": true}}),
        );
        let causes = validate(&p);
        for expected in [
            "firstName: The field cannot be left blank",
            "lastName: The field cannot be left blank",
            "email: Does not match required pattern",
            "countryCode: Must be exactly 2 characters",
            "city: Must be a string",
            "login: Must not contain spaces",
            "login: Must be between 5 and 100 characters",
        ] {
            assert!(
                causes.iter().any(|c| c == expected),
                "missing {expected:?} in {causes:?}"
            );
        }
        assert!(causes.iter().any(|c| c.starts_with("custom:")));
    }

    #[test]
    fn merge_replaces_and_removes() {
        let mut p = obj(json!({"a": 1, "b": 2}));
        merge(&mut p, obj(json!({"b": null, "c": 3})));
        assert_eq!(Value::Object(p), json!({"a": 1, "c": 3}));
    }
}
