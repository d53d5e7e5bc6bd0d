//! `lanyard dev …`: hidden tools for operators and benchmarks (`scripts/bench-signin`).
//!
//! - `seed-users` bulk-loads users that share one password, hashed once, through [`lanyard_store::seed_users`].
//! - `hash-rate` measures Argon2id verifications per second through the server's own [`PasswordHasher`]: the same
//!   parameters, the same semaphore (one hash per core this process may use) and the same blocking threads as a
//!   sign-in's verification.
//! - `sign-rate` measures JWT signatures and verifications per second per algorithm on one thread, as the token
//!   endpoint signs access tokens (`scripts/bench-tokens`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use lanyard_core::password::hash::{self, Params};
use lanyard_core::password::policy::{PasswordPolicy, PolicyContext};
use lanyard_core::random::SystemRandom;
use lanyard_server::passwords::PasswordHasher;
use lanyard_store::{SeedError, SeedUsers};

use crate::cli::{DevCommand, StorageArgs};
use crate::config::{FileConfig, Storage};

/// The parameters of new hashes: the server's (`AppState::new` hashes at `Params::OWASP`). A seeded hash at other
/// parameters would be re-hashed and re-written at each user's first sign-in.
const PARAMS: Params = Params::OWASP;

pub async fn run(cmd: DevCommand) -> anyhow::Result<()> {
    super::init_cli_logging();
    match cmd {
        DevCommand::SeedUsers {
            count,
            password,
            prefix,
            domain,
            storage,
        } => seed_users(count, password, &prefix, &domain, &storage).await,
        DevCommand::HashRate { seconds } => hash_rate(seconds).await,
        DevCommand::SignRate { seconds } => tokio::task::spawn_blocking(move || sign_rate(seconds))
            .await
            .context("the measuring thread")?,
    }
}

async fn seed_users(
    count: u64,
    password: String,
    prefix: &str,
    domain: &str,
    storage: &StorageArgs,
) -> anyhow::Result<()> {
    let file = FileConfig::load(storage.config.as_deref())?;
    let storage = Storage::resolve(storage, &file)?;
    // The password the users API would accept for the first of these users (the profile-dependent rules differ
    // from user to user only by the number in their last name).
    let first = lanyard_store::seed_login(prefix, domain, 1, count);
    let profile = lanyard_store::seed_profile(&first, 1);
    let text = |k: &str| profile.get(k).and_then(|v| v.as_str());
    let causes = PasswordPolicy::default().check(
        &password,
        &PolicyContext {
            login: &first,
            first_name: text("firstName"),
            last_name: text("lastName"),
        },
    );
    anyhow::ensure!(
        causes.is_empty(),
        "--password does not meet the password policy: {}",
        causes.join(" ")
    );
    storage.prepare_data_dir()?;

    let started = Instant::now();
    let phc = tokio::task::spawn_blocking(move || hash::hash(&password, &PARAMS, &SystemRandom))
        .await
        .context("hashing the password")??;
    eprintln!(
        "Seeding {count} users ({first} …) into {}",
        storage.database.describe()
    );
    let mut progress = |done: u64| {
        if done < count {
            eprintln!(
                "  {done} of {count} after {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let spec = SeedUsers {
        count,
        prefix,
        domain,
        password_phc: &phc,
    };
    let seeded = lanyard_store::seed_users(&storage.database, &spec, &mut progress)
        .await
        .map_err(|e| match e {
            SeedError::Store(lanyard_core::store::StoreError::Conflict(m)) => anyhow::anyhow!(
                "some of these logins exist already ({m}): seed into a fresh data dir or give another --prefix"
            ),
            other => other.into(),
        })?;
    let seconds = started.elapsed().as_secs_f64();
    let last = lanyard_store::seed_login(prefix, domain, count, count);
    eprintln!("Seeded {seeded} users ({first} … {last}) in {seconds:.1} s.");
    println!(
        "seeded={seeded} seconds={seconds:.2} users_per_second={:.0} first={first} last={last}",
        seeded as f64 / seconds.max(1e-9)
    );
    Ok(())
}

async fn hash_rate(seconds: f64) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.1..=600.0).contains(&seconds),
        "--seconds must be between 0.1 and 600"
    );
    const PASSWORD: &str = "Hash-rate-0f-this-machine";
    let hasher = PasswordHasher::new(PARAMS, Arc::new(SystemRandom));
    let lanes = hasher.max_concurrent();
    let phc = hasher.hash(PASSWORD).await?;
    // Warm-up: each hashing thread allocates its Argon2 working memory on its first hash.
    let mut warm = tokio::task::JoinSet::new();
    for _ in 0..lanes {
        let (hasher, phc) = (hasher.clone(), phc.clone());
        warm.spawn(async move { hasher.verify(PASSWORD, phc).await });
    }
    while let Some(done) = warm.join_next().await {
        done??;
    }

    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut jobs = tokio::task::JoinSet::new();
    for _ in 0..lanes {
        let (hasher, phc) = (hasher.clone(), phc.clone());
        jobs.spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let verified = hasher.verify(PASSWORD, phc.clone()).await?;
                anyhow::ensure!(
                    verified.ok && !verified.needs_rehash,
                    "the verification failed"
                );
                n += 1;
            }
            Ok::<u64, anyhow::Error>(n)
        });
    }
    let mut hashes = 0u64;
    while let Some(done) = jobs.join_next().await {
        hashes += done??;
    }
    // Up to the end of the last hash, which may end after the deadline.
    let elapsed = started.elapsed().as_secs_f64();
    let rate = hashes as f64 / elapsed;
    // The CPU time this process got meanwhile: below `lanes` × the elapsed time, other processes took its CPUs
    // for part of the run (or it waited), and the rate per CPU-second is the steadier figure.
    let cpu = match (cpu_before, process_cpu_seconds()) {
        (Some(before), Some(after)) if after > before => format!(
            " cpu_seconds={:.2} cpu_share={:.2} hashes_per_cpu_second={:.2}",
            after - before,
            (after - before) / elapsed,
            hashes as f64 / (after - before)
        ),
        _ => String::new(),
    };
    println!(
        "hashes_per_second={rate:.2} ms_per_hash={:.2} hashes={hashes} seconds={elapsed:.3} concurrency={lanes} \
         params={PARAMS}{cpu}",
        1000.0 * lanes as f64 / rate
    );
    Ok(())
}

fn sign_rate(seconds: f64) -> anyhow::Result<()> {
    use lanyard_core::crypto::verify::UnverifiedJws;
    use lanyard_core::crypto::{SigningAlg, SigningKey, jws};
    anyhow::ensure!(
        (0.1..=600.0).contains(&seconds),
        "--seconds must be between 0.1 and 600"
    );
    // The claims of a client_credentials access token of the `default` server.
    let claims = serde_json::json!({
        "ver": 1, "jti": "AT.Jq2Nq1x0r4Kd3fPZk2e5Yw", "iss": "http://127.0.0.1:8080/oauth2/default",
        "aud": "api://default", "iat": 1_780_000_000, "exp": 1_780_003_600, "cid": "0oa1abcdefghijklmnop",
        "scp": ["bench.read"], "sub": "0oa1abcdefghijklmnop",
    });
    for alg in SigningAlg::ALL {
        let key = SigningKey::generate(alg)?;
        let jwks = [key.public_jwk().clone()];
        let token = jws::sign(&key, Some("at+jwt"), &claims)?;
        UnverifiedJws::parse(&token)?.verify(&jwks)?;
        // Wall time and this thread's CPU time per phase: on a shared machine the rate per CPU-second is steadier.
        let measure =
            |f: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<(u64, f64, Option<f64>)> {
                let cpu0 = thread_cpu_seconds();
                let t0 = Instant::now();
                let deadline = t0 + Duration::from_secs_f64(seconds);
                let mut n = 0u64;
                while Instant::now() < deadline {
                    for _ in 0..16 {
                        f()?;
                    }
                    n += 16;
                }
                let cpu = match (cpu0, thread_cpu_seconds()) {
                    (Some(a), Some(b)) if b > a => Some(b - a),
                    _ => None,
                };
                Ok((n, t0.elapsed().as_secs_f64(), cpu))
            };
        let (signs, sign_secs, sign_cpu) = measure(&mut || {
            std::hint::black_box(jws::sign(&key, Some("at+jwt"), &claims)?);
            Ok(())
        })?;
        let (verifies, verify_secs, verify_cpu) = measure(&mut || {
            UnverifiedJws::parse(std::hint::black_box(&token))?.verify(&jwks)?;
            Ok(())
        })?;
        let rate = signs as f64 / sign_secs;
        let per_cpu = |n: u64, cpu: Option<f64>, name: &str| {
            cpu.map(|c| format!(" {name}_per_cpu_second={:.0}", n as f64 / c))
                .unwrap_or_default()
        };
        println!(
            "alg={} signs_per_second={rate:.0} us_per_sign={:.1} verifies_per_second={:.0} cpu_share={:.2}{}{}",
            alg.as_str(),
            1e6 / rate,
            verifies as f64 / verify_secs,
            sign_cpu.map(|c| c / sign_secs).unwrap_or(0.0),
            per_cpu(signs, sign_cpu, "signs"),
            per_cpu(verifies, verify_cpu, "verifies"),
        );
    }
    Ok(())
}

/// The calling thread's CPU time so far, in seconds (`/proc/thread-self/stat`, Linux only).
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// This process's CPU time so far (user and system, every thread, those ended included), in seconds; `None` where
/// `/proc/self/stat` is not there (other systems than Linux).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name, which may hold spaces and parentheses: the fields from the 3rd (state) on.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime, the 14th and 15th fields, in clock ticks of 1/100 s (USER_HZ, 100 on Linux).
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}
