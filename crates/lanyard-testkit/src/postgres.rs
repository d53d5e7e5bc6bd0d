//! Fresh PostgreSQL databases for tests, on the server at `LANYARD_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When the variable is set the server must answer; when it is not and
//! no server answers, PostgreSQL tests are skipped with a note (the test script always sets it).

use std::sync::atomic::{AtomicU64, Ordering};

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn admin_url() -> (String, bool) {
    match std::env::var("LANYARD_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => (url, true),
        _ => (DEFAULT_URL.to_owned(), false),
    }
}

/// A database created for one test and dropped (forcibly) when this value is.
pub struct TempDatabase {
    pub url: String,
    name: String,
}

impl TempDatabase {
    /// `None` (after a note on stderr) when PostgreSQL is neither required nor reachable.
    pub async fn create() -> Option<TempDatabase> {
        let (admin, required) = admin_url();
        let pool = match sqlx::PgPool::connect(&admin).await {
            Ok(p) => p,
            Err(e) if !required => {
                eprintln!(
                    "skipping a PostgreSQL test: {e} (set LANYARD_TEST_POSTGRES_URL to require PostgreSQL)"
                );
                return None;
            }
            Err(e) => panic!("LANYARD_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}"),
        };
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            "lanyard_test_{}_{}_{}",
            std::process::id(),
            nanos % 1_000_000_000,
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("CREATE DATABASE");
        pool.close().await;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin);
        Some(TempDatabase {
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let (admin, _) = admin_url();
        let name = self.name.clone();
        // On a thread of its own: the test's runtime may be gone or busy.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                    pool.close().await;
                }
            })
        })
        .join();
    }
}
