//! The SQL of the apps signed into SSO sessions (`session_app_sql!`), for both backends, beside `sql.rs` whose row
//! helpers it reuses. A session's rows go with it (`ON DELETE CASCADE`); ending a session reads its apps and
//! deletes it in one write transaction, so of two concurrent endings only one finds the session and its apps.

macro_rules! session_app_sql {
    ($store:ident, $db:ty, $begin:literal) => {
        mod session_app_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::to_millis;
            use lanyard_core::model::*;
            use lanyard_core::store::*;

            use super::sql_impl::{DbRow, all, get, ts};
            use super::$store;
            use crate::error::db_err;

            fn app_from_row(row: &DbRow) -> StoreResult<SessionApp> {
                Ok(SessionApp {
                    session_id: get(row, "session_id")?,
                    client_id: get(row, "client_id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    created: ts(get(row, "created")?),
                })
            }

            #[async_trait]
            impl SessionAppStore for $store {
                async fn record_session_app(&self, app: &SessionApp) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO session_apps (session_id, client_id, auth_server_id, created) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (session_id, client_id, auth_server_id) DO NOTHING",
                    )
                    .bind(&app.session_id)
                    .bind(&app.client_id)
                    .bind(&app.auth_server_id)
                    .bind(to_millis(app.created))
                    .execute(&self.writes)
                    .await;
                    match done {
                        Ok(_) => Ok(true),
                        // The session ended meanwhile.
                        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Ok(false),
                        Err(e) => Err(db_err(e)),
                    }
                }

                async fn session_apps(&self, session_id: &str) -> StoreResult<Vec<SessionApp>> {
                    all(
                        sqlx::query(
                            "SELECT * FROM session_apps WHERE session_id = $1 ORDER BY created, client_id, auth_server_id",
                        )
                        .bind(session_id),
                        &self.pool,
                        app_from_row,
                    )
                    .await
                }

                async fn end_session(&self, id: &str) -> StoreResult<Option<EndedSession>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let apps = sqlx::query(
                        "SELECT * FROM session_apps WHERE session_id = $1 ORDER BY created, client_id, auth_server_id",
                    )
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .iter()
                    .map(app_from_row)
                    .collect::<StoreResult<Vec<_>>>()?;
                    // Of two concurrent endings, the second waits for the first's delete and then deletes nothing.
                    let row = sqlx::query("DELETE FROM sessions WHERE id = $1 RETURNING user_id")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let Some(row) = row else {
                        tx.rollback().await.map_err(db_err)?;
                        return Ok(None);
                    };
                    let user_id: String = get(&row, "user_id")?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(Some(EndedSession {
                        id: id.to_owned(),
                        user_id,
                        apps,
                    }))
                }

                async fn end_user_sessions(&self, user_id: &str) -> StoreResult<Vec<EndedSession>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let apps = sqlx::query(
                        "SELECT a.* FROM session_apps a JOIN sessions s ON s.id = a.session_id WHERE s.user_id = $1 \
                         ORDER BY a.created, a.client_id, a.auth_server_id",
                    )
                    .bind(user_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .iter()
                    .map(app_from_row)
                    .collect::<StoreResult<Vec<_>>>()?;
                    let ids = sqlx::query("DELETE FROM sessions WHERE user_id = $1 RETURNING id")
                        .bind(user_id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .iter()
                        .map(|r| get::<String>(r, "id"))
                        .collect::<StoreResult<Vec<_>>>()?;
                    tx.commit().await.map_err(db_err)?;
                    let mut ended: Vec<EndedSession> = ids
                        .into_iter()
                        .map(|id| EndedSession {
                            apps: apps.iter().filter(|a| a.session_id == id).cloned().collect(),
                            id,
                            user_id: user_id.to_owned(),
                        })
                        .collect();
                    ended.sort_by(|a, b| a.id.cmp(&b.id));
                    Ok(ended)
                }
            }
        }
    };
}

pub(crate) use session_app_sql;
