//! The SQL of an org's own catalog entries (`catalog_sql!`), for both backends.

macro_rules! catalog_sql {
    ($store:ident) => {
        mod catalog_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::to_millis;
            use lanyard_core::store::*;

            use super::$store;
            use super::sql_impl::{DbRow, all, get, optional, ts};
            use crate::error::db_err;

            fn entry_from_row(row: &DbRow) -> StoreResult<CatalogEntryRecord> {
                Ok(CatalogEntryRecord {
                    name: get(row, "name")?,
                    manifest: get(row, "manifest")?,
                    revision: get(row, "revision")?,
                    created: ts(get(row, "created")?),
                    created_by: get(row, "created_by")?,
                })
            }

            #[async_trait]
            impl CatalogStore for $store {
                async fn insert_catalog_entry(&self, e: &CatalogEntryRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO catalog_entries (name, manifest, revision, created, created_by) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&e.name)
                    .bind(&e.manifest)
                    .bind(&e.revision)
                    .bind(to_millis(e.created))
                    .bind(&e.created_by)
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn catalog_entry(&self, name: &str) -> StoreResult<Option<CatalogEntryRecord>> {
                    let query = sqlx::query("SELECT * FROM catalog_entries WHERE name = $1").bind(name);
                    optional(query, &self.pool, entry_from_row).await
                }

                async fn catalog_entries(&self) -> StoreResult<Vec<CatalogEntryRecord>> {
                    all(sqlx::query("SELECT * FROM catalog_entries ORDER BY name"), &self.pool, entry_from_row)
                        .await
                }

                async fn delete_catalog_entry(&self, name: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM catalog_entries WHERE name = $1")
                        .bind(name)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }
            }
        }
    };
}

pub(crate) use catalog_sql;
