//! The storage suite's harness, shared by every `suite_*.rs` file: the backends and the `suite!` macro that runs
//! each listed test on SQLite (a real file), PostgreSQL (a fresh database per test, see `lanyard_testkit::postgres`)
//! and the in-memory store the core's unit tests use, so all three keep the same contract.

#![allow(dead_code)]

pub mod backends {
    use std::sync::Arc;

    use lanyard_core::store::Store;
    use lanyard_store::{PostgresStore, SqliteStore};

    pub struct Sqlite {
        _dir: tempfile::TempDir,
        pub store: Arc<dyn Store>,
    }

    pub async fn sqlite() -> Sqlite {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("lanyard.db"), 4)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        Sqlite {
            _dir: dir,
            store: Arc::new(store),
        }
    }

    pub async fn postgres() -> Option<(lanyard_testkit::postgres::TempDatabase, Arc<dyn Store>)> {
        let db = lanyard_testkit::postgres::TempDatabase::create().await?;
        let store = PostgresStore::connect(&db.url, 8).await.unwrap();
        store.migrate().await.unwrap();
        Some((db, Arc::new(store)))
    }
}

/// Runs each listed test against every backend.
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let b = crate::support::backends::sqlite().await;
                super::$name(b.store.clone()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some((_db, store)) = crate::support::backends::postgres().await {
                    super::$name(store).await;
                }
            })*
        }
        mod memory {
            $(#[tokio::test]
            async fn $name() {
                super::$name(std::sync::Arc::new(lanyard_core::store::memory::MemoryStore::new())).await;
            })*
        }
    };
}
