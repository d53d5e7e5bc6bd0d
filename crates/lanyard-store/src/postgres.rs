use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::OpenError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// PostgreSQL, for many stateless nodes sharing one database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Where writes go: the same pool (PostgreSQL takes concurrent writers; the SQL is shared with SQLite, whose
    /// writes have a pool of their own).
    writes: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, OpenError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| OpenError::Connect(format!("{}: {e}", crate::redact_url(url))))?;
        Ok(PostgresStore {
            writes: pool.clone(),
            pool,
        })
    }

    /// Runs pending migrations; sqlx's migrator holds a PostgreSQL advisory lock meanwhile, so nodes starting at
    /// once against an empty database migrate one after the other.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| OpenError::Migrate(e.to_string()))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

crate::sql::sql_store!(
    PostgresStore,
    sqlx::Postgres,
    "BEGIN",
    "postgres",
    crate::user_query::POSTGRES
);
crate::sql_logs::log_sql!(
    PostgresStore,
    sqlx::Postgres,
    "BEGIN",
    crate::user_query::POSTGRES
);
crate::sql_apps::app_sql!(PostgresStore, sqlx::Postgres, "BEGIN");
crate::sql_authz::authz_sql!(PostgresStore, sqlx::Postgres, "BEGIN");
crate::sql_device::device_sql!(PostgresStore, sqlx::Postgres, "BEGIN");
crate::sql_pushed::pushed_sql!(PostgresStore);
crate::sql_trusted::trusted_sql!(PostgresStore);
crate::sql_scope_grants::scope_grants_sql!(PostgresStore);
crate::sql_catalog::catalog_sql!(PostgresStore);
crate::sql_attempts::attempts_sql!(PostgresStore, sqlx::Postgres, "BEGIN");
crate::sql_sweep::sweep_sql!(PostgresStore);
// Sign-on policy writers serialise on a transaction-scoped advisory lock (the key is arbitrary, Lanyard's own).
crate::sql_signon::signon_sql!(
    PostgresStore,
    sqlx::Postgres,
    "BEGIN",
    "SELECT pg_advisory_xact_lock(7305310011)"
);
crate::sql_sessions::session_app_sql!(PostgresStore, sqlx::Postgres, "BEGIN");
