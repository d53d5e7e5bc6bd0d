//! The domain objects the stores hold.

pub mod api_token;
pub mod app;
pub mod auth_server;
pub mod authz;
pub mod device;
pub mod grant;
pub mod group;
pub mod key;
pub mod org;
pub mod page;
pub mod pushed_request;
pub mod role;
pub mod scope_grant;
pub mod signin;
pub mod signon;
pub mod trusted_origin;
pub mod user;

pub use api_token::ApiToken;
pub use app::{
    App, AppClaim, AppGroup, AppUser, ApplicationType, CatalogRef, ClaimIn, ClientAuthMethod,
    ClientSecret, GrantType, LogoutNotices, OAuthClient, RESOURCE_SERVER, Registration,
    SubjectType,
};
pub use auth_server::{AuthServerKind, AuthorizationServer, LifecycleStatus, Policy, PolicyRule};
pub use authz::{
    Claim, ClaimType, ClaimValueType, Consent, GroupFilterType, MetadataPublish, Scope,
};
pub use device::{DeviceApproval, DeviceCode, DeviceCodeStatus, DevicePoll};
pub use grant::{
    AuthorizationCode, ClaimRequest, ClaimsRequest, CodeRedemption, Consent as ScopeConsent, Grant,
    RefreshRotation, RefreshToken,
};
pub use group::{Group, GroupProfile, GroupType};
pub use key::{KeyRecord, KeyStatus};
pub use org::Org;
pub use page::{Page, PageRequest};
pub use pushed_request::PushedRequest;
pub use role::{RoleAssignment, RoleType};
pub use scope_grant::ScopeGrant;
pub use signin::{
    EndedSession, Factor, FactorStatus, FactorType, FailureCount, OneTimeToken, Session,
    SessionApp, TokenKind,
};
pub use signon::SignOnPolicy;
pub use trusted_origin::TrustedOrigin;
pub use user::{PasswordRecord, User, UserStatus};
