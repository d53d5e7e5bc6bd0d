//! Test support shared by Lanyard's test suites (never part of the product):
//! - [`authenticator`]: a software WebAuthn authenticator (ES256, `none` attestation);
//! - [`postgres`]: a fresh, empty database per test on the PostgreSQL server the test script started;
//! - [`server`]: the real `lanyard` binary started on a free port, with its stdout banner parsed.

pub mod authenticator;
pub mod postgres;
pub mod server;
