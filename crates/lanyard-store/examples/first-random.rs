//! How long the process's first random bytes take, against the second's: Lanyard's own (`SystemRandom`, the
//! operating system's generator) and aws-lc's (its first P-256 key, which seeds aws-lc's generator). With aws-lc's
//! CPU-jitter source the first took 25-40 ms of a core; it is built without it (`.cargo/config.toml`).
//!
//!   cargo run --release -p lanyard-store --example first-random
use std::time::{Duration, Instant};

use lanyard_core::crypto::{SigningAlg, SigningKey};
use lanyard_core::random::{Random, SystemRandom};

fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mut buf = [0u8; 32];
    let own_first = timed(|| SystemRandom.fill(&mut buf));
    let own_second = timed(|| SystemRandom.fill(&mut buf));
    let key = || {
        SigningKey::generate(SigningAlg::ES256).expect("a P-256 key");
    };
    let aws_first = timed(key);
    let aws_second = timed(key);
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<&str> = s.rsplit(')').next()?.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        });
    println!(
        "SystemRandom: first fill {}, second {}; aws-lc: first P-256 key {}, second {}; process CPU {} ticks",
        ms(own_first),
        ms(own_second),
        ms(aws_first),
        ms(aws_second),
        cpu.map_or("?".into(), |t| t.to_string())
    );
}
