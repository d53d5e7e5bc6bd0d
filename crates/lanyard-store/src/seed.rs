//! Bulk loading of users, for benchmarks and operators: `count` ACTIVE users `<prefix><n>@<domain>` (`n` from 1,
//! zero-padded to at least six digits) that all share one password record, inserted many rows per statement and
//! many statements per transaction.
//!
//! The users are the same rows the users API writes for an ACTIVE user created with a password (an Okta-style id,
//! a profile with `login`, `email`, `firstName`, `lastName`, `activated`/`statusChanged`/`passwordChanged` set to
//! the time of seeding, and a `user_passwords` row with no history); only the Argon2id hash is computed once and
//! shared by all of them, instead of once per user (a million hashes take hours of CPU). Nothing is written to the
//! system log.
//!
//! The SQL is `'static` and parameterised, as everywhere in this crate: SQLite reads each batch from one JSON array
//! bound as text (`json_each`), PostgreSQL from bound text arrays (`UNNEST`).
//!
//! On SQLite, seed before starting `lanyard serve` on the data dir (or while it is stopped): each transaction holds
//! the single write lock for a second or more, longer than a running server's writes would wait.

use lanyard_core::clock::{Clock, SystemClock, to_millis};
use lanyard_core::id::{new_id, prefix as id_prefix};
use lanyard_core::password::hash::{self, Params};
use lanyard_core::random::SystemRandom;
use lanyard_core::store::StoreError;
use serde_json::{Map, Value};

use crate::error::db_err;
use crate::{Database, OpenError, PostgresStore, SqliteStore};

/// Users per INSERT statement.
const ROWS_PER_STATEMENT: usize = 5_000;
/// Statements per transaction (so 100,000 users per transaction).
const STATEMENTS_PER_TRANSACTION: usize = 20;
/// The most users one call seeds.
pub const MAX_SEED_COUNT: u64 = 100_000_000;

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedUsers<'a> {
    /// How many users (1 to [`MAX_SEED_COUNT`]).
    pub count: u64,
    /// The start of each login, e.g. `bench`: letters, digits, `.`, `_`, `-`, `+`.
    pub prefix: &'a str,
    /// The domain of each login, e.g. `example.com`.
    pub domain: &'a str,
    /// The PHC string every user gets as their password (an Argon2id hash, e.g. from
    /// [`lanyard_core::password::hash::hash`]).
    pub password_phc: &'a str,
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The request itself is not acceptable.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Open(#[from] OpenError),
    /// A write failed (`Conflict` when one of the logins exists already); the transaction in progress is rolled
    /// back, those committed before it stay.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The digits of `n` in the logins of a seeding of `count` users: at least six, more when `count` needs them.
pub fn seed_width(count: u64) -> usize {
    count.max(1).to_string().len().max(6)
}

/// The login of the `n`-th (from 1) of `count` seeded users: `bench000001@example.com`.
pub fn seed_login(prefix: &str, domain: &str, n: u64, count: u64) -> String {
    format!("{prefix}{n:0width$}@{domain}", width = seed_width(count))
}

/// The profile of a seeded user with `login`.
pub fn seed_profile(login: &str, n: u64) -> Map<String, Value> {
    let mut profile = Map::new();
    profile.insert("login".into(), login.into());
    profile.insert("email".into(), login.into());
    profile.insert("firstName".into(), "Seeded".into());
    profile.insert("lastName".into(), format!("User {n}").into());
    profile
}

fn check(spec: &SeedUsers<'_>) -> Result<(), SeedError> {
    let invalid = |m: &str| Err(SeedError::Invalid(m.to_owned()));
    if spec.count == 0 || spec.count > MAX_SEED_COUNT {
        return invalid("the count of users must be between 1 and 100,000,000");
    }
    let word = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    };
    if !word(spec.prefix, &['.', '_', '-', '+']) {
        return invalid("the login prefix must have 1 to 64 letters, digits, '.', '_', '-' or '+'");
    }
    if !word(spec.domain, &['.', '-']) || !spec.domain.contains('.') {
        return invalid("the login domain must be a domain name such as example.com");
    }
    let sample = seed_profile(&seed_login(spec.prefix, spec.domain, 1, spec.count), 1);
    let causes = lanyard_core::directory::profile::validate(&sample);
    if !causes.is_empty() {
        return Err(SeedError::Invalid(causes.join("; ")));
    }
    // A hash that sign-in could not verify would make the seeding useless: try it once (one Argon2id run).
    if let Err(e) = hash::verify("", spec.password_phc, &Params::default()) {
        return Err(SeedError::Invalid(format!("the password record: {e}")));
    }
    Ok(())
}

/// One statement's worth of users.
struct Batch {
    ids: Vec<String>,
    logins: Vec<String>,
    logins_lower: Vec<String>,
    profiles: Vec<String>,
}

impl Batch {
    fn make(spec: &SeedUsers<'_>, first: u64, len: usize) -> Result<Batch, SeedError> {
        let now = SystemClock.now();
        let mut batch = Batch {
            ids: Vec::with_capacity(len),
            logins: Vec::with_capacity(len),
            logins_lower: Vec::with_capacity(len),
            profiles: Vec::with_capacity(len),
        };
        for n in first..first + len as u64 {
            let login = seed_login(spec.prefix, spec.domain, n, spec.count);
            let profile = serde_json::to_string(&seed_profile(&login, n))
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            batch.ids.push(new_id(id_prefix::USER, now, &SystemRandom));
            batch.logins_lower.push(login.to_lowercase());
            batch.logins.push(login);
            batch.profiles.push(profile);
        }
        Ok(batch)
    }

    /// `[[id, login, login_lower, profile], …]`, for SQLite's `json_each`.
    fn json(&self) -> Result<String, SeedError> {
        let rows: Vec<[&str; 4]> = (0..self.ids.len())
            .map(|i| {
                [
                    self.ids[i].as_str(),
                    self.logins[i].as_str(),
                    self.logins_lower[i].as_str(),
                    self.profiles[i].as_str(),
                ]
            })
            .collect();
        serde_json::to_string(&rows)
            .map_err(|e| SeedError::Store(StoreError::Backend(e.to_string())))
    }
}

const SQLITE_USERS: &str = "INSERT INTO users (id, status, login, login_lower, profile, created, activated, \
     status_changed, last_login, last_updated, password_changed) \
     SELECT value ->> 0, 'ACTIVE', value ->> 1, value ->> 2, value ->> 3, $2, $2, $2, NULL, $2, $2 \
     FROM json_each($1)";
const SQLITE_PASSWORDS: &str = "INSERT INTO user_passwords (user_id, hash, history, changed) \
     SELECT value ->> 0, $2, '[]', $3 FROM json_each($1)";

const POSTGRES_USERS: &str = "INSERT INTO users (id, status, login, login_lower, profile, created, activated, \
     status_changed, last_updated, password_changed) \
     SELECT id, 'ACTIVE', login, login_lower, profile, $5, $5, $5, $5, $5 \
     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS t (id, login, login_lower, profile)";
const POSTGRES_PASSWORDS: &str = "INSERT INTO user_passwords (user_id, hash, history, changed) \
     SELECT id, $2, '[]', $3 FROM UNNEST($1::text[]) AS t (id)";

/// Creates the database if needed (migrations included), then seeds `spec.count` users into it; calls `progress`
/// with the number seeded so far after each transaction. Returns the number seeded.
pub async fn seed_users(
    database: &Database,
    spec: &SeedUsers<'_>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, SeedError> {
    check(spec)?;
    match database {
        Database::Sqlite(path) => {
            let store = SqliteStore::open(path, 1).await?;
            store.migrate().await?;
            let result = seed_sqlite(&store, spec, progress).await;
            store.close().await;
            result
        }
        Database::Postgres(url) => {
            let store = PostgresStore::connect(url, 1).await?;
            store.migrate().await?;
            let result = seed_postgres(&store, spec, progress).await;
            store.close().await;
            result
        }
    }
}

/// The batches of a seeding: `(first n, rows)`, grouped by transaction.
fn plan(count: u64) -> Vec<Vec<(u64, usize)>> {
    let mut transactions = Vec::new();
    let mut next = 1u64;
    while next <= count {
        let mut statements = Vec::new();
        while next <= count && statements.len() < STATEMENTS_PER_TRANSACTION {
            let len = (count - next + 1).min(ROWS_PER_STATEMENT as u64) as usize;
            statements.push((next, len));
            next += len as u64;
        }
        transactions.push(statements);
    }
    transactions
}

async fn seed_sqlite(
    store: &SqliteStore,
    spec: &SeedUsers<'_>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, SeedError> {
    let mut done = 0u64;
    for statements in plan(spec.count) {
        let mut tx = store
            .writes()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)?;
        for (first, len) in statements {
            let batch = Batch::make(spec, first, len)?;
            let changed = to_millis(SystemClock.now());
            let rows = batch.json()?;
            sqlx::query(SQLITE_USERS)
                .bind(&rows)
                .bind(changed)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query(SQLITE_PASSWORDS)
                .bind(&rows)
                .bind(spec.password_phc)
                .bind(changed)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            done += len as u64;
        }
        tx.commit().await.map_err(db_err)?;
        progress(done);
    }
    Ok(done)
}

async fn seed_postgres(
    store: &PostgresStore,
    spec: &SeedUsers<'_>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, SeedError> {
    let mut done = 0u64;
    for statements in plan(spec.count) {
        let mut tx = store.pool().begin().await.map_err(db_err)?;
        for (first, len) in statements {
            let batch = Batch::make(spec, first, len)?;
            let changed = to_millis(SystemClock.now());
            sqlx::query(POSTGRES_USERS)
                .bind(&batch.ids)
                .bind(&batch.logins)
                .bind(&batch.logins_lower)
                .bind(&batch.profiles)
                .bind(changed)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query(POSTGRES_PASSWORDS)
                .bind(&batch.ids)
                .bind(spec.password_phc)
                .bind(changed)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            done += len as u64;
        }
        tx.commit().await.map_err(db_err)?;
        progress(done);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_zero_padded_to_the_count() {
        assert_eq!(
            seed_login("bench", "example.com", 1, 50),
            "bench000001@example.com"
        );
        assert_eq!(
            seed_login("bench", "example.com", 999_999, 999_999),
            "bench999999@example.com"
        );
        assert_eq!(seed_login("b", "x.org", 1, 1_000_000), "b0000001@x.org");
        assert_eq!(
            seed_login("b", "x.org", 1_000_000, 1_000_000),
            "b1000000@x.org"
        );
    }

    #[test]
    fn the_plan_covers_every_user_once() {
        for count in [1u64, 4_999, 5_000, 5_001, 100_000, 100_001, 250_003] {
            let plan = plan(count);
            let mut next = 1;
            for tx in &plan {
                assert!(!tx.is_empty() && tx.len() <= STATEMENTS_PER_TRANSACTION);
                for &(first, len) in tx {
                    assert_eq!(first, next);
                    assert!(len > 0 && len <= ROWS_PER_STATEMENT);
                    next += len as u64;
                }
            }
            assert_eq!(next, count + 1, "{count}");
        }
    }

    #[test]
    fn bad_requests_are_refused_before_any_work() {
        let good = SeedUsers {
            count: 10,
            prefix: "bench",
            domain: "example.com",
            password_phc: "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$\
                           55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM",
        };
        assert!(check(&good).is_ok());
        for bad in [
            SeedUsers { count: 0, ..good },
            SeedUsers {
                count: MAX_SEED_COUNT + 1,
                ..good
            },
            SeedUsers { prefix: "", ..good },
            SeedUsers {
                prefix: "a b",
                ..good
            },
            SeedUsers {
                prefix: "x'--",
                ..good
            },
            SeedUsers {
                domain: "localhost",
                ..good
            },
            SeedUsers {
                domain: "exa mple.com",
                ..good
            },
            SeedUsers {
                password_phc: "plain text",
                ..good
            },
            SeedUsers {
                password_phc: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
                ..good
            },
        ] {
            assert!(matches!(check(&bad), Err(SeedError::Invalid(_))), "{bad:?}");
        }
    }
}
