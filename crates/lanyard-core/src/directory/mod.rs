//! The user directory: query expressions for users, groups and the system log.

pub mod filter;
pub mod lifecycle;
pub mod profile;
pub mod users;
