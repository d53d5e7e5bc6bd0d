use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::OpenError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// sqlx's own table of applied migrations, as its SQLite migrator creates it (`CREATE TABLE IF NOT EXISTS`, so
/// the migrator's run after [`SqliteStore::create_schema`] leaves it as it is). A test compares it with sqlx's.
const MIGRATIONS_TABLE: &str = "
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);
";

/// The embedded default: one SQLite file in WAL mode, with a busy timeout so that CLI commands can write while a
/// server runs, and foreign keys on.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    pub async fn open(path: &Path, max_connections: u32) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|e| OpenError::Connect(e.to_string()))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            // A connection to a local file does not go stale: no ping (a round trip to the connection's thread)
            // before every statement.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| OpenError::Connect(format!("{}: {e}", path.display())))?;
        Ok(SqliteStore {
            pool,
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
        let result = async {
            self.create_schema().await?;
            MIGRATOR
                .run(&self.pool)
                .await
                .map_err(|e| OpenError::Migrate(e.to_string()))
        }
        .await;
        drop(lock);
        result
    }

    /// A brand-new database (no table at all) gets every migration in ONE transaction, each recorded in
    /// `_sqlx_migrations` as sqlx records it (version, description, checksum), so that the migrator finds them all
    /// applied and later migrations run on it as on any other. One commit instead of two per migration: about a
    /// tenth of the WAL and of the time. A crash half-way leaves the file without a table, which the next start
    /// creates again from the start. Returns whether it did; a database that has anything is left to the migrator.
    pub async fn create_schema(&self) -> Result<bool, OpenError> {
        let err = |e: sqlx::Error| OpenError::Migrate(e.to_string());
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(err)?;
        let objects: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
        if objects > 0 {
            return Ok(false);
        }
        sqlx::raw_sql(MIGRATIONS_TABLE)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        for m in MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
        {
            let started = std::time::Instant::now();
            sqlx::raw_sql(m.sql.clone())
                .execute(&mut *tx)
                .await
                .map_err(|e| OpenError::Migrate(format!("migration {}: {e}", m.version)))?;
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (?1, ?2, TRUE, ?3, ?4)",
            )
            .bind(m.version)
            .bind(&*m.description)
            .bind(&*m.checksum)
            .bind(i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(true)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};

    async fn fresh(dir: &tempfile::TempDir, name: &str) -> SqliteStore {
        SqliteStore::open(&dir.path().join(name), 4).await.unwrap()
    }

    /// Every object of the schema (tables, indexes, triggers, views) as SQLite records it.
    async fn schema(store: &SqliteStore) -> Vec<(String, String, String, Option<String>)> {
        sqlx::query_as(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
    }

    async fn applied(store: &SqliteStore) -> Vec<(i64, String, bool, Vec<u8>)> {
        sqlx::query_as(
            "SELECT version, description, success, checksum FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_new_database_made_in_one_transaction_equals_one_migrated_step_by_step() {
        let dir = tempfile::tempdir().unwrap();
        let stepwise = fresh(&dir, "stepwise.db").await;
        MIGRATOR.run(stepwise.pool()).await.unwrap();
        let at_once = fresh(&dir, "at-once.db").await;
        assert!(at_once.create_schema().await.unwrap());

        let want = schema(&stepwise).await;
        assert!(want.len() > 50, "the migrated schema: {want:?}");
        assert_eq!(schema(&at_once).await, want);
        // Every migration recorded as sqlx records it.
        assert_eq!(applied(&at_once).await, applied(&stepwise).await);
        assert_eq!(
            applied(&at_once).await.len(),
            MIGRATOR
                .iter()
                .filter(|m| m.migration_type.is_up_migration())
                .count()
        );

        // The migrator's run after it changes nothing.
        at_once.migrate().await.unwrap();
        assert_eq!(schema(&at_once).await, want);
        assert_eq!(applied(&at_once).await, applied(&stepwise).await);
    }

    #[tokio::test]
    async fn a_database_made_at_once_takes_a_later_migration() {
        let dir = tempfile::tempdir().unwrap();
        let store = fresh(&dir, "lanyard.db").await;
        store.migrate().await.unwrap();
        let mut migrations: Vec<Migration> = MIGRATOR.iter().cloned().collect();
        let later = migrations.iter().map(|m| m.version).max().unwrap() + 1;
        migrations.push(Migration::new(
            later,
            "later".into(),
            MigrationType::Simple,
            sqlx::AssertSqlSafe(
                "ALTER TABLE users ADD COLUMN later TEXT; CREATE TABLE later (x TEXT);",
            )
            .into_sql_str(),
            false,
        ));
        Migrator::with_migrations(migrations)
            .run(store.pool())
            .await
            .unwrap();
        let versions: Vec<i64> = applied(&store).await.iter().map(|a| a.0).collect();
        assert_eq!(versions.last(), Some(&later));
        let later_table: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'later'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(later_table, 1);
    }

    #[tokio::test]
    async fn a_database_with_anything_in_it_is_left_to_the_migrator() {
        let dir = tempfile::tempdir().unwrap();
        let store = fresh(&dir, "lanyard.db").await;
        // Half-migrated (as an older binary left it).
        let first = MIGRATOR.iter().next().unwrap().version;
        MIGRATOR.run_to(first, store.pool()).await.unwrap();
        assert!(!store.create_schema().await.unwrap());
        assert_eq!(applied(&store).await.len(), 1);
        store.migrate().await.unwrap();

        let full = fresh(&dir, "full.db").await;
        full.migrate().await.unwrap();
        assert_eq!(schema(&store).await, schema(&full).await);
        assert!(!full.create_schema().await.unwrap());
    }
}
