//! Groups of users, as Okta has them: groups an administrator makes (`OKTA_GROUP`) and the built-in `Everyone`
//! (`BUILT_IN`), which every user belongs to without a membership row.

use serde_json::{Map, Value};

use crate::clock::Timestamp;
use crate::id::{derived_id, prefix};

/// The name of the built-in group every user belongs to.
pub const EVERYONE_NAME: &str = "Everyone";
/// The description Okta gives it.
pub const EVERYONE_DESCRIPTION: &str = "All users in your organization";
/// The longest group name.
pub const NAME_MAX: usize = 255;
/// The longest group description.
pub const DESCRIPTION_MAX: usize = 1024;

/// The id of the `Everyone` group: derived, so every node of a cluster bootstraps the same row.
pub fn everyone_id() -> String {
    derived_id(prefix::GROUP, "group/everyone")
}

/// Okta's group types (`APP_GROUP`, imported from an app, does not exist here yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupType {
    /// Made through the API; its members are the users added to it.
    Okta,
    /// `Everyone`: every user, implicitly; it cannot be changed, deleted or have members added or removed.
    BuiltIn,
}

impl GroupType {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Okta => "OKTA_GROUP",
            GroupType::BuiltIn => "BUILT_IN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OKTA_GROUP" => Some(GroupType::Okta),
            "BUILT_IN" => Some(GroupType::BuiltIn),
            _ => None,
        }
    }
}

/// A group. Names are unique, whatever their case.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: String,
    pub group_type: GroupType,
    pub name: String,
    pub description: Option<String>,
    pub created: Timestamp,
    pub last_updated: Timestamp,
    /// When a member was last added or removed (for `Everyone`, whose members are implicit: its creation).
    pub last_membership_updated: Timestamp,
}

impl Group {
    /// The built-in `Everyone` group, created at `now`.
    pub fn everyone(now: Timestamp) -> Group {
        Group {
            id: everyone_id(),
            group_type: GroupType::BuiltIn,
            name: EVERYONE_NAME.into(),
            description: Some(EVERYONE_DESCRIPTION.into()),
            created: now,
            last_updated: now,
            last_membership_updated: now,
        }
    }

    pub fn is_built_in(&self) -> bool {
        self.group_type == GroupType::BuiltIn
    }
}

/// A group profile as a client sends it: `name` (required) and `description` (optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProfile {
    pub name: String,
    pub description: Option<String>,
}

fn text<'a>(
    profile: &'a Map<String, Value>,
    name: &str,
    max: usize,
    causes: &mut Vec<String>,
) -> Option<&'a str> {
    match profile.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            if s.chars().count() > max {
                causes.push(format!("{name}: Must be at most {max} characters"));
            }
            if s.chars().any(char::is_control) {
                causes.push(format!("{name}: Must not contain control characters"));
            }
            Some(s)
        }
        Some(_) => {
            causes.push(format!("{name}: Must be a string"));
            None
        }
    }
}

/// Checks a group profile: `name` is required (not blank) and at most [`NAME_MAX`] characters, `description` at
/// most [`DESCRIPTION_MAX`]; both are strings without control characters; no other attribute is defined. Every
/// problem comes back as one of Okta's `errorCauses` (`attribute: message`).
pub fn validate_profile(profile: &Map<String, Value>) -> Result<GroupProfile, Vec<String>> {
    let mut causes = Vec::new();
    let name = text(profile, "name", NAME_MAX, &mut causes);
    if name.is_none_or(|n| n.trim().is_empty()) && !causes.iter().any(|c| c.starts_with("name:")) {
        causes.push("name: The field cannot be left blank".into());
    }
    let description = text(profile, "description", DESCRIPTION_MAX, &mut causes);
    for (key, value) in profile {
        if key != "name" && key != "description" && !value.is_null() {
            causes.push(format!(
                "{key}: Property is not defined in the group profile schema"
            ));
        }
    }
    if !causes.is_empty() {
        return Err(causes);
    }
    Ok(GroupProfile {
        name: name.unwrap_or_default().to_owned(),
        description: description.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<GroupProfile, Vec<String>> {
        validate_profile(v.as_object().unwrap())
    }

    #[test]
    fn a_name_is_required_and_limited() {
        assert_eq!(
            check(json!({"name": "Admins", "description": null})).unwrap(),
            GroupProfile {
                name: "Admins".into(),
                description: None
            }
        );
        assert_eq!(
            check(json!({"description": "x"})).unwrap_err(),
            vec!["name: The field cannot be left blank"]
        );
        assert_eq!(
            check(json!({"name": "  "})).unwrap_err(),
            vec!["name: The field cannot be left blank"]
        );
        assert_eq!(
            check(json!({"name": "x".repeat(256)})).unwrap_err(),
            vec!["name: Must be at most 255 characters"]
        );
        assert!(
            check(json!({"name": "é".repeat(255)})).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            check(json!({"name": 5})).unwrap_err(),
            vec!["name: Must be a string"]
        );
        assert_eq!(
            check(json!({"name": "a\nb", "description": "d".repeat(1025), "color": "red"}))
                .unwrap_err(),
            vec![
                "name: Must not contain control characters",
                "description: Must be at most 1024 characters",
                "color: Property is not defined in the group profile schema"
            ]
        );
    }

    #[test]
    fn everyone_has_a_stable_id_and_types_round_trip() {
        assert_eq!(everyone_id(), everyone_id());
        assert!(everyone_id().starts_with("00g") && everyone_id().len() == 20);
        for t in [GroupType::Okta, GroupType::BuiltIn] {
            assert_eq!(GroupType::parse(t.as_str()), Some(t));
        }
        assert_eq!(GroupType::parse("APP_GROUP"), None);
    }
}
