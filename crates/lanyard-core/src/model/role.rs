//! Administrator roles assigned to users, as Okta's standard roles. Only roles that apply to the whole org exist
//! here; the roles Okta scopes to groups or apps (`USER_ADMIN`, `APP_ADMIN`, `HELP_DESK_ADMIN`, …) come with targets.

use crate::clock::Timestamp;

/// The prefix of role assignment ids (Okta's look like `ra1b8aahBZuGJRRa30g4`).
pub const ROLE_ID_PREFIX: &str = "ra1";

/// A standard administrator role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleType {
    SuperAdmin,
    OrgAdmin,
    ReadOnlyAdmin,
}

impl RoleType {
    pub const ALL: [RoleType; 3] = [
        RoleType::SuperAdmin,
        RoleType::OrgAdmin,
        RoleType::ReadOnlyAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleType::SuperAdmin => "SUPER_ADMIN",
            RoleType::OrgAdmin => "ORG_ADMIN",
            RoleType::ReadOnlyAdmin => "READ_ONLY_ADMIN",
        }
    }

    /// The label Okta shows.
    pub fn label(self) -> &'static str {
        match self {
            RoleType::SuperAdmin => "Super Administrator",
            RoleType::OrgAdmin => "Organization Administrator",
            RoleType::ReadOnlyAdmin => "Read-only Administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// One role assigned to one user. A user holds each type at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub id: String,
    pub user_id: String,
    pub role_type: RoleType,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip_and_unknown_ones_are_refused() {
        for t in RoleType::ALL {
            assert_eq!(RoleType::parse(t.as_str()), Some(t));
        }
        assert_eq!(RoleType::SuperAdmin.label(), "Super Administrator");
        assert_eq!(RoleType::OrgAdmin.label(), "Organization Administrator");
        assert_eq!(RoleType::ReadOnlyAdmin.label(), "Read-only Administrator");
        assert_eq!(RoleType::parse("super_admin"), None);
        assert_eq!(RoleType::parse("USER_ADMIN"), None);
    }
}
