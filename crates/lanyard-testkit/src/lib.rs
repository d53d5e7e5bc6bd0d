//! Test support shared by Lanyard's test suites (never part of the product):
//! - [`postgres`]: a fresh, empty database per test on the PostgreSQL server the test script started;
//! - [`server`]: the real `lanyard` binary started on a free port, with its stdout banner parsed.

pub mod postgres;
pub mod server;
