//! Lanyard's protocol core.
//!
//! Everything here is independent of HTTP and SQL: time comes in through [`clock::Clock`], randomness through
//! [`random::Random`], persistence through the small capability traits in [`store`]. The HTTP layer
//! (`lanyard-server`) parses requests, calls into this crate and renders the result; the SQL backends
//! (`lanyard-store`) implement the traits.

pub mod admin;
pub mod api_token;
pub mod apps;
pub mod authz;
pub mod bootstrap;
pub mod catalog_entries;
pub mod change;
pub mod clock;
pub mod crypto;
pub mod dashboard;
pub mod directory;
pub mod discovery;
pub mod id;
pub mod keys;
mod log_safe;
pub mod mfa;
pub mod model;
pub mod oauth;
pub mod oauth_error;
pub mod okta_scopes;
pub mod outbound;
pub mod password;
pub mod random;
pub mod redirect;
pub mod signin;
pub mod store;
pub mod syslog;
pub mod trusted_origins;

pub use log_safe::{MAX_LOGGED_CHARS, log_safe};
