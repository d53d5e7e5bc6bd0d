//! The SQL of device authorization requests (`device_sql!`), for both backends, beside `sql.rs` whose row helpers
//! it reuses. What a poll does is the core's [`DeviceCode::poll`]; here it runs on the row locked in a write
//! transaction (updating it to itself locks it on PostgreSQL; SQLite's `BEGIN IMMEDIATE` holds the write lock), so
//! concurrent polls count one after the other and an approved code is redeemed once.
//!
//! [`DeviceCode::poll`]: lanyard_core::model::DeviceCode::poll

use lanyard_core::clock::{from_millis, to_millis};
use lanyard_core::model::{DeviceApproval, DeviceCode, DeviceCodeStatus};
use lanyard_core::store::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};

/// The fields of a code no statement filters on.
#[derive(Serialize, Deserialize)]
struct DeviceData {
    grant_id: String,
    scopes: Vec<String>,
    created: i64,
}

#[derive(Serialize, Deserialize)]
struct ApprovalData {
    session_id: Option<String>,
    auth_time: i64,
    amr: Vec<String>,
    decided_at: i64,
}

pub(crate) fn device_data(c: &DeviceCode) -> StoreResult<String> {
    serde_json::to_string(&DeviceData {
        grant_id: c.grant_id.clone(),
        scopes: c.scopes.clone(),
        created: to_millis(c.created),
    })
    .map_err(|e| StoreError::Backend(e.to_string()))
}

pub(crate) fn approval_data(a: &DeviceApproval) -> StoreResult<String> {
    serde_json::to_string(&ApprovalData {
        session_id: a.session_id.clone(),
        auth_time: to_millis(a.auth_time),
        amr: a.amr.clone(),
        decided_at: to_millis(a.decided_at),
    })
    .map_err(|e| StoreError::Backend(e.to_string()))
}

/// The columns of a device code row.
pub(crate) struct DeviceColumns {
    pub hash: [u8; 32],
    pub user_code_hash: [u8; 32],
    pub client_id: String,
    pub auth_server_id: String,
    pub status: String,
    pub interval_secs: i64,
    pub last_polled: Option<i64>,
    pub user_id: Option<String>,
    pub data: String,
    pub approval: Option<String>,
    pub expires_at: i64,
}

pub(crate) fn device_from(c: DeviceColumns) -> StoreResult<DeviceCode> {
    let d: DeviceData = serde_json::from_str(&c.data)
        .map_err(|e| StoreError::Corrupt(format!("device code data: {e}")))?;
    let approval = match (c.user_id, c.approval) {
        (Some(user_id), Some(text)) => {
            let a: ApprovalData = serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("device code approval: {e}")))?;
            Some(DeviceApproval {
                user_id,
                session_id: a.session_id,
                auth_time: from_millis(a.auth_time),
                amr: a.amr,
                decided_at: from_millis(a.decided_at),
            })
        }
        _ => None,
    };
    Ok(DeviceCode {
        hash: c.hash,
        user_code_hash: c.user_code_hash,
        grant_id: d.grant_id,
        auth_server_id: c.auth_server_id,
        client_id: c.client_id,
        scopes: d.scopes,
        status: DeviceCodeStatus::parse(&c.status)
            .ok_or_else(|| StoreError::Corrupt(format!("device code status {:?}", c.status)))?,
        interval: c.interval_secs,
        last_polled: c.last_polled.map(from_millis),
        approval,
        created: from_millis(d.created),
        expires_at: from_millis(c.expires_at),
    })
}

macro_rules! device_sql {
    ($store:ident, $db:ty, $begin:literal) => {
        mod device_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::{Timestamp, to_millis};
            use lanyard_core::model::*;
            use lanyard_core::store::*;

            use super::sql_impl::{DbRow, get, hash32, optional};
            use super::$store;
            use crate::error::db_err;
            use crate::sql_device::{DeviceColumns, approval_data, device_data, device_from};

            fn device_from_row(row: &DbRow) -> StoreResult<DeviceCode> {
                device_from(DeviceColumns {
                    hash: hash32(row, "hash")?,
                    user_code_hash: hash32(row, "user_code_hash")?,
                    client_id: get(row, "client_id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    status: get(row, "status")?,
                    interval_secs: get(row, "interval_secs")?,
                    last_polled: get(row, "last_polled")?,
                    user_id: get(row, "user_id")?,
                    data: get(row, "data")?,
                    approval: get(row, "approval")?,
                    expires_at: get(row, "expires_at")?,
                })
            }

            #[async_trait]
            impl DeviceStore for $store {
                async fn insert_device_code(&self, c: &DeviceCode) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO device_codes (hash, user_code_hash, client_id, auth_server_id, status, interval_secs, \
                         last_polled, user_id, data, approval, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, NULL, $9)",
                    )
                    .bind(&c.hash[..])
                    .bind(&c.user_code_hash[..])
                    .bind(&c.client_id)
                    .bind(&c.auth_server_id)
                    .bind(c.status.as_str())
                    .bind(c.interval)
                    .bind(c.last_polled.map(to_millis))
                    .bind(device_data(c)?)
                    .bind(to_millis(c.expires_at))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn pending_device_code(&self, user_code_hash: &[u8; 32], now: Timestamp) -> StoreResult<Option<DeviceCode>> {
                    optional(
                        sqlx::query(
                            "SELECT * FROM device_codes WHERE user_code_hash = $1 AND status = 'PENDING' AND expires_at > $2",
                        )
                        .bind(&user_code_hash[..])
                        .bind(to_millis(now)),
                        &self.pool,
                        device_from_row,
                    )
                    .await
                }

                async fn decide_device_code(
                    &self,
                    user_code_hash: &[u8; 32],
                    approval: Option<&DeviceApproval>,
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    let status = match approval {
                        Some(_) => DeviceCodeStatus::Approved,
                        None => DeviceCodeStatus::Denied,
                    };
                    // One conditional UPDATE: of two concurrent decisions, one changes the row.
                    let done = sqlx::query(
                        "UPDATE device_codes SET status = $2, user_id = $3, approval = $4 \
                         WHERE user_code_hash = $1 AND status = 'PENDING' AND expires_at > $5",
                    )
                    .bind(&user_code_hash[..])
                    .bind(status.as_str())
                    .bind(approval.map(|a| a.user_id.as_str()))
                    .bind(approval.map(approval_data).transpose()?)
                    .bind(to_millis(now))
                    .execute(&self.writes)
                    .await;
                    match done {
                        Ok(d) => Ok(d.rows_affected() == 1),
                        // The user is gone.
                        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Ok(false),
                        Err(e) => Err(db_err(e)),
                    }
                }

                async fn poll_device_code(
                    &self,
                    hash: &[u8; 32],
                    client_id: &str,
                    auth_server_id: &str,
                    now: Timestamp,
                ) -> StoreResult<DevicePoll> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let row = sqlx::query("UPDATE device_codes SET status = status WHERE hash = $1 RETURNING *")
                        .bind(&hash[..])
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let Some(code) = row.as_ref().map(device_from_row).transpose()? else {
                        tx.rollback().await.map_err(db_err)?;
                        return Ok(DevicePoll::Invalid);
                    };
                    let (answer, next) = code.poll(client_id, auth_server_id, now);
                    let Some(next) = next else {
                        tx.rollback().await.map_err(db_err)?;
                        return Ok(answer);
                    };
                    sqlx::query("UPDATE device_codes SET status = $2, interval_secs = $3, last_polled = $4 WHERE hash = $1")
                        .bind(&hash[..])
                        .bind(next.status.as_str())
                        .bind(next.interval)
                        .bind(next.last_polled.map(to_millis))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(answer)
                }

                async fn delete_expired_device_codes(&self, before: Timestamp) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM device_codes WHERE expires_at < $1")
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

pub(crate) use device_sql;
