//! How long a brand-new SQLite database takes to get its schema (`SqliteStore::open` and `migrate`, as `serve` does
//! on a new data dir), each run on a fresh file in a temporary directory (in `/dev/shm` where it exists, as
//! `serve --seed` does).
//!
//!   cargo run --release -p lanyard-store --example sqlite-create [RUNS]
use std::time::{Duration, Instant};

use lanyard_store::SqliteStore;

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20)
        .max(1);
    let parent = std::path::Path::new("/dev/shm");
    let mut times = Vec::new();
    for _ in 0..runs {
        let dir = if parent.is_dir() {
            tempfile::tempdir_in(parent)
        } else {
            tempfile::tempdir()
        }
        .expect("a temporary directory");
        let started = Instant::now();
        let store = SqliteStore::open(&dir.path().join("lanyard.db"), 16)
            .await
            .expect("open");
        store.migrate().await.expect("migrate");
        times.push(started.elapsed());
        store.close().await;
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "new database, schema migrated: min {:.1} ms, median {:.1} ms, max {:.1} ms ({runs} runs)",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}
