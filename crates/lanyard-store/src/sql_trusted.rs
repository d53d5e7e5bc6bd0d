//! The SQL of trusted origins (`trusted_sql!`), for both backends, beside `sql.rs` whose row helpers it reuses. The
//! `UNIQUE` origin makes a second trust of one origin a `Conflict`, whichever node writes it.

macro_rules! trusted_sql {
    ($store:ident) => {
        mod trusted_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::to_millis;
            use lanyard_core::model::*;
            use lanyard_core::store::*;

            use super::$store;
            use super::sql_impl::{DbRow, all, get, lifecycle, optional, ts};
            use crate::error::db_err;

            fn trusted_from_row(row: &DbRow) -> StoreResult<TrustedOrigin> {
                Ok(TrustedOrigin {
                    id: get(row, "id")?,
                    name: get(row, "name")?,
                    origin: get(row, "origin")?,
                    cors: get(row, "cors")?,
                    redirect: get(row, "redirect")?,
                    status: lifecycle(row)?,
                    created: ts(get(row, "created")?),
                    created_by: get(row, "created_by")?,
                    last_updated: ts(get(row, "last_updated")?),
                    last_updated_by: get(row, "last_updated_by")?,
                })
            }

            fn client_from_row(row: &DbRow) -> StoreResult<String> {
                get(row, "client")
            }

            #[async_trait]
            impl TrustedOriginStore for $store {
                async fn insert_trusted_origin(&self, t: &TrustedOrigin) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO trusted_origins (id, name, origin, cors, redirect, status, created, created_by, \
                         last_updated, last_updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&t.id)
                    .bind(&t.name)
                    .bind(&t.origin)
                    .bind(t.cors)
                    .bind(t.redirect)
                    .bind(t.status.as_str())
                    .bind(to_millis(t.created))
                    .bind(&t.created_by)
                    .bind(to_millis(t.last_updated))
                    .bind(&t.last_updated_by)
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn trusted_origin(&self, id: &str) -> StoreResult<Option<TrustedOrigin>> {
                    let query = sqlx::query("SELECT * FROM trusted_origins WHERE id = $1").bind(id);
                    optional(query, &self.pool, trusted_from_row).await
                }

                async fn trusted_origins(&self) -> StoreResult<Vec<TrustedOrigin>> {
                    all(sqlx::query("SELECT * FROM trusted_origins ORDER BY id"), &self.pool, trusted_from_row)
                        .await
                }

                async fn update_trusted_origin(&self, t: &TrustedOrigin) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE trusted_origins SET name = $2, origin = $3, cors = $4, redirect = $5, status = $6, \
                         last_updated = $7, last_updated_by = $8 WHERE id = $1",
                    )
                    .bind(&t.id)
                    .bind(&t.name)
                    .bind(&t.origin)
                    .bind(t.cors)
                    .bind(t.redirect)
                    .bind(t.status.as_str())
                    .bind(to_millis(t.last_updated))
                    .bind(&t.last_updated_by)
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_trusted_origin(&self, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM trusted_origins WHERE id = $1")
                        .bind(id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn browser_app_redirect_uris(&self) -> StoreResult<Vec<String>> {
                    let clients = all(
                        sqlx::query("SELECT client FROM apps WHERE status = 'ACTIVE'"),
                        &self.pool,
                        client_from_row,
                    )
                    .await?;
                    let mut uris = Vec::new();
                    for text in clients {
                        let client: OAuthClient = serde_json::from_str(&text)
                            .map_err(|e| StoreError::Corrupt(format!("client: {e}")))?;
                        if client.application_type == ApplicationType::Browser {
                            uris.extend(client.redirect_uris);
                        }
                    }
                    Ok(uris)
                }
            }
        }
    };
}

pub(crate) use trusted_sql;
