//! Scopes and claims of custom authorization servers, in Okta's shapes. (Servers, policies and rules are in
//! [`super::auth_server`]; what they mean is [`crate::authz`]'s.)

use crate::clock::Timestamp;
use crate::model::LifecycleStatus;

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)* _ => None }
            }

            /// The accepted values, for error messages.
            pub fn names() -> String {
                [$($s),*].join(", ")
            }
        }
    };
}

pub(crate) use str_enum;

str_enum!(
    /// Whether a user is asked to consent to a scope (when the app asks for consent at all).
    Consent {
        /// Never asked.
        Implicit = "IMPLICIT",
        /// Asked, and cannot decline.
        Required = "REQUIRED",
        /// Asked, and may decline (Okta's "optional").
        Flexible = "FLEXIBLE",
    }
);

str_enum!(
    /// Whether discovery's `scopes_supported` lists a scope.
    MetadataPublish {
        AllClients = "ALL_CLIENTS",
        NoClients = "NO_CLIENTS",
    }
);

str_enum!(
    /// Which token a claim goes into.
    ClaimType {
        /// The access token.
        Resource = "RESOURCE",
        /// The ID token (and userinfo).
        Identity = "IDENTITY",
    }
);

str_enum!(
    /// How a claim's `value` is read.
    ClaimValueType {
        /// An expression ([`crate::authz::claims::Expr`]).
        Expression = "EXPRESSION",
        /// A filter over the names of the user's groups; the claim is the array of those that match.
        Groups = "GROUPS",
    }
);

str_enum!(
    /// How a GROUPS claim's `value` matches group names.
    GroupFilterType {
        StartsWith = "STARTS_WITH",
        Equals = "EQUALS",
        Contains = "CONTAINS",
        Regex = "REGEX",
    }
);

/// A scope of a custom authorization server. Names are unique per server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub id: String,
    pub auth_server_id: String,
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub consent: Consent,
    /// Granted when a request names no scope.
    pub default: bool,
    pub metadata_publish: MetadataPublish,
    /// One of the OpenID Connect scopes every server has: cannot be renamed or deleted.
    pub system: bool,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

/// A custom claim of a custom authorization server. Names are unique per server and claim type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: String,
    pub auth_server_id: String,
    pub name: String,
    pub status: LifecycleStatus,
    pub claim_type: ClaimType,
    pub value_type: ClaimValueType,
    pub value: String,
    /// For IDENTITY claims: false keeps the claim out of an ID token issued with an access token (the client reads
    /// it from userinfo). Always true in effect for RESOURCE claims.
    pub always_include_in_token: bool,
    /// Included only when one of these scopes is granted; empty: whatever the scopes.
    pub scopes: Vec<String>,
    /// For GROUPS claims.
    pub group_filter_type: Option<GroupFilterType>,
    pub system: bool,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}
