//! The domain objects the stores hold.

pub mod api_token;
pub mod auth_server;
pub mod key;
pub mod org;
pub mod page;
pub mod user;

pub use api_token::ApiToken;
pub use auth_server::{AuthServerKind, AuthorizationServer, LifecycleStatus, Policy, PolicyRule};
pub use key::{KeyRecord, KeyStatus};
pub use org::Org;
pub use page::{Page, PageRequest};
pub use user::{PasswordRecord, User, UserStatus};
