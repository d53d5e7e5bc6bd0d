//! Multi-factor authentication.
//!
//! [`totp`] is Okta's `token:software:totp` factor (Google Authenticator and its kin): secret generation, the
//! `otpauth://` enrolment URI and its QR code, and code verification with replay protection. Like the rest of the
//! core it takes the time and the randomness as inputs and stores nothing: the caller keeps the secret and the last
//! accepted time step.

pub mod totp;
pub mod user_factors;
pub mod webauthn;

pub use totp::{TotpAlgorithm, TotpConfig, TotpError, TotpSecret};
