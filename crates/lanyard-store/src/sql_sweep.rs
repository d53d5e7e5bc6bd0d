//! The sweep of expired records (`sweep_sql!`), for both backends. Every kind is deleted by its indexed
//! `expires_at` in batches of [`BATCH`] rows (`DELETE … WHERE key IN (SELECT key … LIMIT n)`, looped): a long
//! `DELETE` would hold SQLite's write lock, and PostgreSQL's row locks, for as long as it runs. Deleting twice is
//! harmless, so nodes may sweep at once.

/// Rows deleted per statement.
pub(crate) const BATCH: i64 = 5_000;

/// One batch of each kind, in [`lanyard_core::store::SweepCounts`] order (`$1`: the cutoff in milliseconds, `$2`:
/// [`BATCH`]). Grants go a day late ([`lanyard_core::store::GRANT_AFTERLIFE`]) with their refresh tokens (`ON DELETE
/// CASCADE`); before that only a grant's unrotated expired token goes: rotated ones stay with their grant, so presenting
/// one, however old, is still recognised as a replay and revokes the family.
pub(crate) const SWEEPS: [&str; 11] = [
    "DELETE FROM auth_codes WHERE hash IN (SELECT hash FROM auth_codes WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM grants WHERE id IN (SELECT id FROM grants WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM refresh_tokens WHERE hash IN \
     (SELECT hash FROM refresh_tokens WHERE rotated_at IS NULL AND expires_at < $1 LIMIT $2)",
    "DELETE FROM revoked_access_tokens WHERE jti IN (SELECT jti FROM revoked_access_tokens WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM used_jtis WHERE key IN (SELECT key FROM used_jtis WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM device_codes WHERE hash IN (SELECT hash FROM device_codes WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM one_time_tokens WHERE token_hash IN (SELECT token_hash FROM one_time_tokens WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM pushed_requests WHERE hash IN (SELECT hash FROM pushed_requests WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM attempt_counts WHERE key IN (SELECT key FROM attempt_counts WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM known_devices WHERE key IN (SELECT key FROM known_devices WHERE expires_at < $1 LIMIT $2)",
];

macro_rules! sweep_sql {
    ($store:ident) => {
        mod sweep_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::{Timestamp, to_millis};
            use lanyard_core::store::{GRANT_AFTERLIFE, StoreResult, SweepCounts, SweepStore};

            use super::$store;
            use crate::error::db_err;
            use crate::sql_sweep::{BATCH, SWEEPS};

            impl $store {
                /// Runs one of [`SWEEPS`] until a batch comes back short; how many rows it deleted.
                async fn sweep_kind(&self, sql: &'static str, before: i64) -> StoreResult<u64> {
                    let mut n = 0;
                    loop {
                        let done = sqlx::query(sql)
                            .bind(before)
                            .bind(BATCH)
                            .execute(&self.writes)
                            .await
                            .map_err(db_err)?
                            .rows_affected();
                        n += done;
                        if done < BATCH as u64 {
                            return Ok(n);
                        }
                    }
                }
            }

            #[async_trait]
            impl SweepStore for $store {
                async fn sweep_expired(&self, now: Timestamp) -> StoreResult<SweepCounts> {
                    let mut n = [0u64; SWEEPS.len()];
                    for (i, sql) in SWEEPS.into_iter().enumerate() {
                        let grants = sql.starts_with("DELETE FROM grants ");
                        let before = if grants { now - GRANT_AFTERLIFE } else { now };
                        n[i] = self.sweep_kind(sql, to_millis(before)).await?;
                    }
                    let [
                        authorization_codes,
                        grants,
                        refresh_tokens,
                        revoked_access_tokens,
                        used_jtis,
                        device_codes,
                        one_time_tokens,
                        pushed_requests,
                        sessions,
                        attempt_counts,
                        known_devices,
                    ] = n;
                    Ok(SweepCounts {
                        authorization_codes,
                        grants,
                        refresh_tokens,
                        revoked_access_tokens,
                        used_jtis,
                        device_codes,
                        one_time_tokens,
                        pushed_requests,
                        sessions,
                        attempt_counts,
                        known_devices,
                    })
                }
            }
        }
    };
}

pub(crate) use sweep_sql;
