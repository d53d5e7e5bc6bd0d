//! Lanyard's storage backends: SQLite (the embedded default) and PostgreSQL (many stateless nodes).
//!
//! Both implement the capability traits of `lanyard_core::store` from one body of SQL, written once in
//! [`sql_store!`] and instantiated per backend; the dialects differ only in their migrations and in how a write
//! transaction begins. Migrations are embedded and run at start under a lock: PostgreSQL's advisory lock (taken by
//! sqlx's migrator), and for SQLite a file lock beside the database.

mod error;
mod postgres;
mod seed;
mod sql;
mod sql_apps;
mod sql_attempts;
mod sql_authz;
mod sql_catalog;
mod sql_device;
mod sql_logs;
mod sql_pushed;
mod sql_scope_grants;
mod sql_sessions;
mod sql_signon;
mod sql_sweep;
mod sql_trusted;
mod sqlite;
mod user_query;

use std::path::PathBuf;
use std::sync::Arc;

use lanyard_core::store::Store;

pub use error::OpenError;
pub use postgres::PostgresStore;
pub use seed::{
    MAX_SEED_COUNT, SeedError, SeedUsers, seed_login, seed_profile, seed_users, seed_width,
};
pub use sqlite::SqliteStore;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Database {
    /// A short description for logs, without credentials.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => format!("SQLite at {}", path.display()),
            Database::Postgres(url) => format!("PostgreSQL at {}", redact_url(url)),
        }
    }
}

/// The URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Connects, runs pending migrations under a lock, and returns the store.
pub async fn open(database: &Database, max_connections: u32) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match database {
        Database::Sqlite(path) => {
            let store = SqliteStore::open(path, max_connections).await?;
            store.migrate().await?;
            Arc::new(store)
        }
        Database::Postgres(url) => {
            let store = PostgresStore::connect(url, max_connections).await?;
            store.migrate().await?;
            Arc::new(store)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
    }
}
