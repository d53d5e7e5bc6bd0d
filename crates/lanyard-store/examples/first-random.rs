//! How long the process's first random bytes take (aws-lc seeds its random generator from CPU jitter at the first
//! use), against the second's. What `serve` overlaps with its start (src: crates/lanyard/src/commands/serve.rs).
//!
//!   cargo run --release -p lanyard-store --example first-random
use std::time::Instant;

use lanyard_core::random::{Random, SystemRandom};

fn main() {
    let mut buf = [0u8; 32];
    let started = Instant::now();
    SystemRandom.fill(&mut buf);
    let first = started.elapsed();
    let started = Instant::now();
    SystemRandom.fill(&mut buf);
    let second = started.elapsed();
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<&str> = s.rsplit(')').next()?.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        });
    println!(
        "first fill {:.1} ms, second {:.3} ms; process CPU {} ticks",
        first.as_secs_f64() * 1000.0,
        second.as_secs_f64() * 1000.0,
        cpu.map_or("?".into(), |t| t.to_string())
    );
}
