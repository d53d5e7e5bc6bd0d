//! The SQL of the counts that stop brute force and of known devices (`attempts_sql!`), for both backends. Every
//! count is one upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), so concurrent failures on any node are all
//! counted; a state token's wrong answers are counted and, at the limit, the token deleted in one transaction.

macro_rules! attempts_sql {
    ($store:ident, $db:ty, $begin:literal) => {
        mod attempts_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::{Timestamp, to_millis};
            use lanyard_core::signin::attempts::device_key;
            use lanyard_core::store::*;

            use super::$store;
            use super::sql_impl::{DbRow, get, ts};
            use crate::error::db_err;

            fn failures_from_row(row: &DbRow) -> StoreResult<Failures> {
                let count: i32 = get(row, "failures")?;
                Ok(Failures {
                    count: u32::try_from(count).map_err(|_| StoreError::Corrupt("failures".into()))?,
                    last: ts(get(row, "last_failure")?),
                })
            }

            #[async_trait]
            impl AttemptStore for $store {
                async fn count_token_attempt(
                    &self,
                    token_hash: &[u8; 32],
                    limit: u32,
                    now: Timestamp,
                ) -> StoreResult<Option<u32>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let row = sqlx::query(
                        "UPDATE one_time_tokens SET attempts = attempts + 1 WHERE token_hash = $1 AND expires_at > $2 \
                         RETURNING attempts",
                    )
                    .bind(&token_hash[..])
                    .bind(to_millis(now))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let attempts: i32 = get(&row, "attempts")?;
                    let attempts = u32::try_from(attempts).map_err(|_| StoreError::Corrupt("attempts".into()))?;
                    if attempts >= limit {
                        sqlx::query("DELETE FROM one_time_tokens WHERE token_hash = $1")
                            .bind(&token_hash[..])
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(Some(attempts))
                }

                async fn failures(&self, key: &[u8; 32]) -> StoreResult<Option<Failures>> {
                    let row = sqlx::query("SELECT failures, last_failure FROM attempt_counts WHERE key = $1")
                        .bind(&key[..])
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.as_ref().map(failures_from_row).transpose()
                }

                async fn count_failure(
                    &self,
                    key: &[u8; 32],
                    now: Timestamp,
                    forget_before: Timestamp,
                    expires_at: Timestamp,
                ) -> StoreResult<Failures> {
                    let row = sqlx::query(
                        "INSERT INTO attempt_counts (key, failures, last_failure, expires_at) VALUES ($1, 1, $2, $4) \
                         ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN attempt_counts.last_failure < $3 THEN 1 \
                         ELSE attempt_counts.failures + 1 END, last_failure = excluded.last_failure, \
                         expires_at = excluded.expires_at RETURNING failures, last_failure",
                    )
                    .bind(&key[..])
                    .bind(to_millis(now))
                    .bind(to_millis(forget_before))
                    .bind(to_millis(expires_at))
                    .fetch_one(&self.writes)
                    .await
                    .map_err(db_err)?;
                    failures_from_row(&row)
                }

                async fn clear_failures(&self, key: &[u8; 32]) -> StoreResult<()> {
                    sqlx::query("DELETE FROM attempt_counts WHERE key = $1")
                        .bind(&key[..])
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                async fn remember_device(
                    &self,
                    user_id: &str,
                    device: &[u8; 32],
                    now: Timestamp,
                    expires_at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query(
                        "INSERT INTO known_devices (key, user_id, created, last_seen, expires_at) \
                         SELECT $1, $2, $3, $3, $4 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2) \
                         ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen, expires_at = excluded.expires_at",
                    )
                    .bind(&device_key(user_id, device)[..])
                    .bind(user_id)
                    .bind(to_millis(now))
                    .bind(to_millis(expires_at))
                    .execute(&self.writes)
                    .await;
                    match done {
                        Ok(_) => Ok(()),
                        // The user was deleted meanwhile: nothing to remember.
                        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Ok(()),
                        Err(e) => Err(db_err(e)),
                    }
                }

                async fn known_device(
                    &self,
                    user_id: &str,
                    device: &[u8; 32],
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    let row = sqlx::query(
                        "SELECT 1 AS known FROM known_devices WHERE key = $1 AND user_id = $2 AND expires_at > $3",
                    )
                    .bind(&device_key(user_id, device)[..])
                    .bind(user_id)
                    .bind(to_millis(now))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                    Ok(row.is_some())
                }
            }
        }
    };
}

pub(crate) use attempts_sql;
