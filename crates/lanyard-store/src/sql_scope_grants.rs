//! The SQL of scope consent grants (`scope_grants_sql!`), for both backends, beside `sql.rs` whose row helpers it
//! reuses. `UNIQUE (app_id, scope_id)` makes a second grant of one scope to one app a `Conflict`, whichever node
//! writes it; the grants go with their app (`ON DELETE CASCADE`).

macro_rules! scope_grants_sql {
    ($store:ident) => {
        mod scope_grants_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::to_millis;
            use lanyard_core::model::*;
            use lanyard_core::store::*;

            use super::$store;
            use super::sql_impl::{DbRow, all, get, optional, ts};
            use crate::error::db_err;

            fn grant_from_row(row: &DbRow) -> StoreResult<ScopeGrant> {
                Ok(ScopeGrant {
                    id: get(row, "id")?,
                    app_id: get(row, "app_id")?,
                    scope_id: get(row, "scope_id")?,
                    issuer: get(row, "issuer")?,
                    created: ts(get(row, "created")?),
                    created_by: get(row, "created_by")?,
                })
            }

            #[async_trait]
            impl ScopeGrantStore for $store {
                async fn insert_scope_grant(&self, g: &ScopeGrant) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO scope_grants (id, app_id, scope_id, issuer, created, created_by) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&g.id)
                    .bind(&g.app_id)
                    .bind(&g.scope_id)
                    .bind(&g.issuer)
                    .bind(to_millis(g.created))
                    .bind(&g.created_by)
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn scope_grant(&self, app_id: &str, id: &str) -> StoreResult<Option<ScopeGrant>> {
                    let query = sqlx::query("SELECT * FROM scope_grants WHERE app_id = $1 AND id = $2")
                        .bind(app_id)
                        .bind(id);
                    optional(query, &self.pool, grant_from_row).await
                }

                async fn scope_grants(&self, app_id: &str) -> StoreResult<Vec<ScopeGrant>> {
                    let query = sqlx::query("SELECT * FROM scope_grants WHERE app_id = $1 ORDER BY id").bind(app_id);
                    all(query, &self.pool, grant_from_row).await
                }

                async fn delete_scope_grant(&self, app_id: &str, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM scope_grants WHERE app_id = $1 AND id = $2")
                        .bind(app_id)
                        .bind(id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }
            }
        }
    };
}

pub(crate) use scope_grants_sql;
