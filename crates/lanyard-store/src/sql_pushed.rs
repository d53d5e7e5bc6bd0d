//! The SQL of pushed authorization requests (`pushed_sql!`), for both backends, beside `sql.rs` whose row helpers
//! it reuses. Taking a request is one `DELETE … RETURNING` that also checks its client, server and expiry, so of
//! concurrent uses exactly one gets it and another client's use leaves it in place.

macro_rules! pushed_sql {
    ($store:ident) => {
        mod pushed_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::{Timestamp, to_millis};
            use lanyard_core::model::*;
            use lanyard_core::store::*;

            use super::$store;
            use super::sql_impl::{DbRow, get, hash32, json, optional, to_json, ts};
            use crate::error::db_err;

            fn pushed_from_row(row: &DbRow) -> StoreResult<PushedRequest> {
                Ok(PushedRequest {
                    hash: hash32(row, "hash")?,
                    client_id: get(row, "client_id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    params: json(row, "params")?,
                    created: ts(get(row, "created")?),
                    expires_at: ts(get(row, "expires_at")?),
                })
            }

            #[async_trait]
            impl PushedRequestStore for $store {
                async fn insert_pushed_request(&self, r: &PushedRequest) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO pushed_requests (hash, client_id, auth_server_id, params, created, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&r.hash[..])
                    .bind(&r.client_id)
                    .bind(&r.auth_server_id)
                    .bind(to_json(&r.params)?)
                    .bind(to_millis(r.created))
                    .bind(to_millis(r.expires_at))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn consume_pushed_request(
                    &self,
                    hash: &[u8; 32],
                    client_id: &str,
                    auth_server_id: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<PushedRequest>> {
                    let query = sqlx::query(
                        "DELETE FROM pushed_requests WHERE hash = $1 AND client_id = $2 AND auth_server_id = $3 \
                         AND expires_at > $4 RETURNING *",
                    )
                    .bind(&hash[..])
                    .bind(client_id)
                    .bind(auth_server_id)
                    .bind(to_millis(now));
                    optional(query, &self.writes, pushed_from_row).await
                }

                async fn pushed_request(
                    &self,
                    hash: &[u8; 32],
                    client_id: &str,
                    auth_server_id: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<PushedRequest>> {
                    let query = sqlx::query(
                        "SELECT * FROM pushed_requests WHERE hash = $1 AND client_id = $2 AND auth_server_id = $3 \
                         AND expires_at > $4",
                    )
                    .bind(&hash[..])
                    .bind(client_id)
                    .bind(auth_server_id)
                    .bind(to_millis(now));
                    optional(query, &self.pool, pushed_from_row).await
                }

                async fn delete_expired_pushed_requests(&self, before: Timestamp) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM pushed_requests WHERE expires_at < $1")
                        .bind(to_millis(before))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        }
    };
}

pub(crate) use pushed_sql;
