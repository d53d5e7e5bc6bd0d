//! The user directory: query expressions for users, groups and the system log, and the operations on users —
//! create, update, lifecycle, delete ([`accounts`]), activation links ([`activation`]) and password recovery
//! ([`recovery`]) — that every door (the management API, the hosted pages) calls.

pub mod accounts;
pub mod activation;
pub mod administrators;
pub mod filter;
pub mod groups;
pub mod lifecycle;
pub mod profile;
pub mod recovery;
pub mod roles;
pub mod users;
