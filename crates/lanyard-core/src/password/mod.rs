//! Passwords: Argon2id hashing and the password policy.
//!
//! - [`hash`]: hashing and verification, stored as PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$…`), with a
//!   dummy verification for unknown users. Synchronous and CPU-bound: the server runs it on blocking threads.
//! - [`policy`]: Okta-style password policy (length, character classes, no username or name, history).
//! - [`choose`]: a new password checked against the policy and the history, and hashed through [`choose::Hashing`].

pub mod choose;
pub mod hash;
pub mod policy;

pub use hash::{HashError, Params, Verified};
pub use policy::{PasswordPolicy, PolicyContext};
