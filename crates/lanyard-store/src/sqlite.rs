use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::OpenError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The embedded default: one SQLite file in WAL mode, with a busy timeout so that CLI commands can write while a
/// server runs, and foreign keys on.
///
/// SQLite lets one writer in at a time. Reads go through `pool`; every write goes through `writes`, a pool of a
/// single connection, so that this process's writers queue for it in order instead of meeting on the file's lock,
/// where SQLite's busy handler sleeps 1, 2, 5, 10… ms between tries (another process, such as a CLI command, still
/// meets them there).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writes: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    pub async fn open(path: &Path, max_connections: u32) -> Result<Self, OpenError> {
        Self::open_with(path, max_connections, Duration::from_secs(10)).await
    }

    /// [`open`](Self::open), with how long a write waits for another process's write before it fails
    /// (`busy_timeout`; this process's own writers wait in turn for the write connection instead).
    pub async fn open_with(
        path: &Path,
        max_connections: u32,
        busy_timeout: Duration,
    ) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|e| OpenError::Connect(e.to_string()))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy_timeout)
            .foreign_keys(true);
        // A connection to a local file does not go stale: no ping (a round trip to the connection's thread)
        // before every statement.
        let writes = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|e| OpenError::Connect(format!("{}: {e}", path.display())))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_lazy_with(options);
        Ok(SqliteStore {
            pool,
            writes,
            path: path.to_owned(),
        })
    }

    /// Runs pending migrations while holding an exclusive lock on `<db>.migrate.lock`, so that a server and a CLI
    /// command starting together on a fresh data dir do not both migrate.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        let lock_path = self.path.with_extension("migrate.lock");
        let lock = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(|e| OpenError::Io(e.to_string()))?
        .map_err(|e| OpenError::Io(format!("cannot lock for migration: {e}")))?;
        let result = MIGRATOR
            .run(&self.writes)
            .await
            .map_err(|e| OpenError::Migrate(e.to_string()));
        drop(lock);
        result
    }

    /// The read pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The write connection's pool: every write goes here.
    pub fn writes(&self) -> &SqlitePool {
        &self.writes
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writes.close().await;
    }
}

// Write transactions take the write lock up front: a deferred transaction that reads then writes can fail with
// SQLITE_BUSY instead of waiting.
crate::sql::sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    "BEGIN IMMEDIATE",
    "sqlite",
    crate::user_query::SQLITE
);
crate::sql_logs::log_sql!(
    SqliteStore,
    sqlx::Sqlite,
    "BEGIN IMMEDIATE",
    crate::user_query::SQLITE
);
crate::sql_apps::app_sql!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE");
crate::sql_authz::authz_sql!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE");
crate::sql_device::device_sql!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE");
crate::sql_pushed::pushed_sql!(SqliteStore);
crate::sql_trusted::trusted_sql!(SqliteStore);
crate::sql_scope_grants::scope_grants_sql!(SqliteStore);
crate::sql_catalog::catalog_sql!(SqliteStore);
crate::sql_attempts::attempts_sql!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE");
crate::sql_sweep::sweep_sql!(SqliteStore);
crate::sql_signon::signon_sql!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE", "");
crate::sql_sessions::session_app_sql!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE");
