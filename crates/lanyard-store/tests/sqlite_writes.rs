//! SQLite lets one writer in at a time. This process's writers take turns on the store's one write connection, so
//! they never meet on the file's lock: with no busy timeout at all, concurrent writes still all succeed (without
//! the write connection, most of them fail at once with "database is locked").

use std::sync::Arc;
use std::time::Duration;

use lanyard_core::clock::from_millis;
use lanyard_core::store::Store;
use lanyard_store::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_take_turns_without_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open_with(&dir.path().join("lanyard.db"), 8, Duration::ZERO)
        .await
        .unwrap();
    sqlite.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(sqlite);

    let mut tasks = Vec::new();
    for n in 0..64u8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // One upsert on a key all tasks share, one on a key of its own.
            let shared = store
                .count_failure(
                    &[0; 32],
                    from_millis(1_000),
                    from_millis(0),
                    from_millis(9_000),
                )
                .await;
            let own = store
                .count_failure(
                    &[n + 1; 32],
                    from_millis(1_000),
                    from_millis(0),
                    from_millis(9_000),
                )
                .await;
            (shared, own)
        }));
    }
    let mut most = 0;
    for t in tasks {
        let (shared, own) = t.await.unwrap();
        most = most.max(shared.expect("a write waits its turn").count);
        assert_eq!(own.expect("a write waits its turn").count, 1);
    }
    assert_eq!(most, 64, "every failure on the shared key is counted");
}

/// Readiness reads: a write holding the write connection does not make the store look down.
#[tokio::test]
async fn the_store_answers_a_ping_while_a_write_holds_the_write_connection() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("lanyard.db"), 4)
        .await
        .unwrap();
    sqlite.migrate().await.unwrap();
    let held = sqlite.writes().acquire().await.unwrap();
    // Without its own pool the ping would wait for `held` (the pool's 10 s acquire timeout).
    tokio::time::timeout(Duration::from_secs(5), sqlite.ping())
        .await
        .expect("the ping does not wait for the write connection")
        .unwrap();
    drop(held);
}
