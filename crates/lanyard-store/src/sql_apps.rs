//! The SQL of apps and of what the authorization server issues (`app_sql!`), for both backends, beside `sql.rs`
//! whose row helpers it reuses. Codes and grants keep their less-queried fields as JSON (`data`); everything a
//! statement filters on is a column.

use lanyard_core::clock::{Timestamp, from_millis, to_millis};
use lanyard_core::model::{AuthorizationCode, ClaimsRequest, Grant, GrantType};
use lanyard_core::store::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct CodeData {
    auth_server_id: String,
    client_id: String,
    user_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
    session_id: Option<String>,
    auth_time: i64,
    amr: Vec<String>,
    created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claims: Option<ClaimsRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acr: Option<String>,
}

pub(crate) fn code_data(c: &AuthorizationCode) -> StoreResult<String> {
    serde_json::to_string(&CodeData {
        auth_server_id: c.auth_server_id.clone(),
        client_id: c.client_id.clone(),
        user_id: c.user_id.clone(),
        redirect_uri: c.redirect_uri.clone(),
        scopes: c.scopes.clone(),
        code_challenge: c.code_challenge.clone(),
        nonce: c.nonce.clone(),
        session_id: c.session_id.clone(),
        auth_time: to_millis(c.auth_time),
        amr: c.amr.clone(),
        created: to_millis(c.created),
        claims: c.claims.clone(),
        acr: c.acr.clone(),
    })
    .map_err(|e| StoreError::Backend(e.to_string()))
}

pub(crate) fn code_from(
    hash: [u8; 32],
    grant_id: String,
    data: &str,
    expires_at: i64,
    used_at: Option<i64>,
) -> StoreResult<AuthorizationCode> {
    let d: CodeData =
        serde_json::from_str(data).map_err(|e| StoreError::Corrupt(format!("code data: {e}")))?;
    Ok(AuthorizationCode {
        hash,
        grant_id,
        auth_server_id: d.auth_server_id,
        client_id: d.client_id,
        user_id: d.user_id,
        redirect_uri: d.redirect_uri,
        scopes: d.scopes,
        code_challenge: d.code_challenge,
        nonce: d.nonce,
        session_id: d.session_id,
        auth_time: from_millis(d.auth_time),
        amr: d.amr,
        claims: d.claims,
        acr: d.acr,
        created: from_millis(d.created),
        expires_at: from_millis(expires_at),
        used_at: used_at.map(from_millis),
    })
}

#[derive(Serialize, Deserialize)]
struct GrantData {
    scopes: Vec<String>,
    session_id: Option<String>,
    auth_time: Option<i64>,
    amr: Vec<String>,
    #[serde(default)]
    dpop_jkt: Option<String>,
    #[serde(default = "authorization_code")]
    origin: GrantType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claims: Option<ClaimsRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acr: Option<String>,
}

fn authorization_code() -> GrantType {
    GrantType::AuthorizationCode
}

pub(crate) fn grant_data(g: &Grant) -> StoreResult<String> {
    serde_json::to_string(&GrantData {
        scopes: g.scopes.clone(),
        session_id: g.session_id.clone(),
        auth_time: g.auth_time.map(to_millis),
        amr: g.amr.clone(),
        dpop_jkt: g.dpop_jkt.clone(),
        origin: g.origin,
        claims: g.claims.clone(),
        acr: g.acr.clone(),
    })
    .map_err(|e| StoreError::Backend(e.to_string()))
}

/// The columns of a grant row, in the order `grant_from` takes them.
pub(crate) struct GrantColumns {
    pub id: String,
    pub auth_server_id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub data: String,
    pub created: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

pub(crate) fn grant_from(c: GrantColumns) -> StoreResult<Grant> {
    let d: GrantData = serde_json::from_str(&c.data)
        .map_err(|e| StoreError::Corrupt(format!("grant data: {e}")))?;
    Ok(Grant {
        id: c.id,
        auth_server_id: c.auth_server_id,
        client_id: c.client_id,
        user_id: c.user_id,
        scopes: d.scopes,
        session_id: d.session_id,
        auth_time: d.auth_time.map(from_millis),
        amr: d.amr,
        created: from_millis(c.created),
        expires_at: from_millis(c.expires_at),
        revoked_at: c.revoked_at.map(from_millis),
        dpop_jkt: d.dpop_jkt,
        origin: d.origin,
        claims: d.claims,
        acr: d.acr,
    })
}

/// Whether a grant may still produce tokens at `now`.
pub(crate) fn grant_live(g: &Grant, now: Timestamp) -> bool {
    g.revoked_at.is_none() && g.expires_at > now
}

macro_rules! app_sql {
    ($store:ident, $db:ty, $begin:literal) => {
        mod app_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::{Timestamp, to_millis};
            use lanyard_core::model::*;
            use lanyard_core::store::*;

            use super::sql_impl::{
                DbRow, after, all, get, hash32, json, lifecycle, name_prefix_pattern,
                opt_ts, optional, overfetch, to_json, ts,
            };
            use super::$store;
            use crate::error::db_err;
            use crate::sql_apps::{GrantColumns, code_data, code_from, grant_data, grant_from, grant_live};

            fn app_from_row(row: &DbRow) -> StoreResult<App> {
                Ok(App {
                    id: get(row, "id")?,
                    name: get(row, "name")?,
                    label: get(row, "label")?,
                    status: lifecycle(row)?,
                    sign_on_mode: get(row, "sign_on_mode")?,
                    client: json(row, "client")?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            fn secret_from_row(row: &DbRow) -> StoreResult<ClientSecret> {
                Ok(ClientSecret {
                    id: get(row, "id")?,
                    app_id: get(row, "app_id")?,
                    hash: hash32(row, "hash")?,
                    prefix: get(row, "prefix")?,
                    status: lifecycle(row)?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            fn app_user_from_row(row: &DbRow) -> StoreResult<AppUser> {
                Ok(AppUser {
                    app_id: get(row, "app_id")?,
                    user_id: get(row, "user_id")?,
                    user_name: get(row, "user_name")?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            fn app_group_from_row(row: &DbRow) -> StoreResult<AppGroup> {
                Ok(AppGroup {
                    app_id: get(row, "app_id")?,
                    group_id: get(row, "group_id")?,
                    priority: get(row, "priority")?,
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            fn code_from_row(row: &DbRow) -> StoreResult<AuthorizationCode> {
                let data: String = get(row, "data")?;
                code_from(
                    hash32(row, "hash")?,
                    get(row, "grant_id")?,
                    &data,
                    get(row, "expires_at")?,
                    get(row, "used_at")?,
                )
            }

            fn grant_from_row(row: &DbRow) -> StoreResult<Grant> {
                grant_from(GrantColumns {
                    id: get(row, "id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    client_id: get(row, "client_id")?,
                    user_id: get(row, "user_id")?,
                    data: get(row, "data")?,
                    created: get(row, "created")?,
                    expires_at: get(row, "expires_at")?,
                    revoked_at: get(row, "revoked_at")?,
                })
            }

            fn refresh_from_row(row: &DbRow) -> StoreResult<RefreshToken> {
                Ok(RefreshToken {
                    hash: hash32(row, "hash")?,
                    grant_id: get(row, "grant_id")?,
                    created: ts(get(row, "created")?),
                    expires_at: ts(get(row, "expires_at")?),
                    rotated_at: opt_ts(get(row, "rotated_at")?),
                })
            }

            const INSERT_SECRET: &str = "INSERT INTO client_secrets (id, app_id, hash, prefix, status, created, last_updated) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)";

            fn bind_secret<'q>(q: super::sql_impl::Query<'q>, s: &'q ClientSecret) -> super::sql_impl::Query<'q> {
                q.bind(&s.id)
                    .bind(&s.app_id)
                    .bind(&s.hash[..])
                    .bind(&s.prefix)
                    .bind(s.status.as_str())
                    .bind(to_millis(s.created))
                    .bind(to_millis(s.last_updated))
            }

            const INSERT_REFRESH: &str =
                "INSERT INTO refresh_tokens (hash, grant_id, created, expires_at) VALUES ($1, $2, $3, $4)";

            #[async_trait]
            impl AppStore for $store {
                async fn insert_app(&self, app: &App, secret: Option<&ClientSecret>) -> StoreResult<()> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO apps (id, client_id, name, label, label_lower, status, sign_on_mode, client, created, last_updated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&app.id)
                    .bind(&app.client.client_id)
                    .bind(&app.name)
                    .bind(&app.label)
                    .bind(app.label.to_lowercase())
                    .bind(app.status.as_str())
                    .bind(&app.sign_on_mode)
                    .bind(to_json(&app.client)?)
                    .bind(to_millis(app.created))
                    .bind(to_millis(app.last_updated))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if let Some(s) = secret {
                        bind_secret(sqlx::query(INSERT_SECRET), s).execute(&mut *tx).await.map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn app(&self, id: &str) -> StoreResult<Option<App>> {
                    optional(sqlx::query("SELECT * FROM apps WHERE id = $1").bind(id), &self.pool, app_from_row).await
                }

                async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<App>> {
                    optional(sqlx::query("SELECT * FROM apps WHERE client_id = $1").bind(client_id), &self.pool, app_from_row)
                        .await
                }

                async fn list_apps(&self, label_prefix: Option<&str>, req: &PageRequest) -> StoreResult<Page<App>> {
                    let query = match label_prefix {
                        None => sqlx::query("SELECT * FROM apps WHERE id > $1 ORDER BY id LIMIT $2")
                            .bind(after(req))
                            .bind(overfetch(req)),
                        Some(prefix) => sqlx::query(
                            "SELECT * FROM apps WHERE id > $1 AND label_lower LIKE $2 ESCAPE '\\' ORDER BY id LIMIT $3",
                        )
                        .bind(after(req))
                        .bind(name_prefix_pattern(prefix))
                        .bind(overfetch(req)),
                    };
                    let items = all(query, &self.pool, app_from_row).await?;
                    Ok(Page::from_overfetch(items, req.limit, |a| a.id.clone()))
                }

                async fn update_app(&self, app: &App) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE apps SET label = $2, label_lower = $3, status = $4, client = $5, last_updated = $6 WHERE id = $1",
                    )
                    .bind(&app.id)
                    .bind(&app.label)
                    .bind(app.label.to_lowercase())
                    .bind(app.status.as_str())
                    .bind(to_json(&app.client)?)
                    .bind(to_millis(app.last_updated))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_app(&self, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM apps WHERE id = $1").bind(id).execute(&self.writes).await.map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn client_secrets(&self, app_id: &str) -> StoreResult<Vec<ClientSecret>> {
                    all(
                        sqlx::query("SELECT * FROM client_secrets WHERE app_id = $1 ORDER BY created, id").bind(app_id),
                        &self.pool,
                        secret_from_row,
                    )
                    .await
                }

                async fn insert_client_secret(&self, secret: &ClientSecret) -> StoreResult<()> {
                    bind_secret(sqlx::query(INSERT_SECRET), secret).execute(&self.writes).await.map_err(db_err)?;
                    Ok(())
                }

                async fn update_client_secret(&self, s: &ClientSecret) -> StoreResult<bool> {
                    let done = sqlx::query("UPDATE client_secrets SET status = $3, last_updated = $4 WHERE app_id = $1 AND id = $2")
                        .bind(&s.app_id)
                        .bind(&s.id)
                        .bind(s.status.as_str())
                        .bind(to_millis(s.last_updated))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_client_secret(&self, app_id: &str, secret_id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM client_secrets WHERE app_id = $1 AND id = $2")
                        .bind(app_id)
                        .bind(secret_id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn put_app_user(&self, a: &AppUser) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO app_users (app_id, user_id, user_name, created, last_updated) \
                         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM apps WHERE id = $1) \
                         AND EXISTS (SELECT 1 FROM users WHERE id = $2) \
                         ON CONFLICT (app_id, user_id) DO UPDATE SET user_name = excluded.user_name, last_updated = excluded.last_updated",
                    )
                    .bind(&a.app_id)
                    .bind(&a.user_id)
                    .bind(&a.user_name)
                    .bind(to_millis(a.created))
                    .bind(to_millis(a.last_updated))
                    .execute(&self.writes)
                    .await;
                    match done {
                        Ok(d) => Ok(d.rows_affected() == 1),
                        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Ok(false),
                        Err(e) => Err(db_err(e)),
                    }
                }

                async fn app_user(&self, app_id: &str, user_id: &str) -> StoreResult<Option<AppUser>> {
                    optional(
                        sqlx::query("SELECT * FROM app_users WHERE app_id = $1 AND user_id = $2").bind(app_id).bind(user_id),
                        &self.pool,
                        app_user_from_row,
                    )
                    .await
                }

                async fn list_app_users(&self, app_id: &str, req: &PageRequest) -> StoreResult<Page<AppUser>> {
                    let items = all(
                        sqlx::query("SELECT * FROM app_users WHERE app_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3")
                            .bind(app_id)
                            .bind(after(req))
                            .bind(overfetch(req)),
                        &self.pool,
                        app_user_from_row,
                    )
                    .await?;
                    Ok(Page::from_overfetch(items, req.limit, |a| a.user_id.clone()))
                }

                async fn delete_app_user(&self, app_id: &str, user_id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM app_users WHERE app_id = $1 AND user_id = $2")
                        .bind(app_id)
                        .bind(user_id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn put_app_group(&self, a: &AppGroup) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO app_groups (app_id, group_id, priority, last_updated) \
                         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM apps WHERE id = $1) \
                         AND EXISTS (SELECT 1 FROM directory_groups WHERE id = $2) \
                         ON CONFLICT (app_id, group_id) DO UPDATE SET priority = excluded.priority, last_updated = excluded.last_updated",
                    )
                    .bind(&a.app_id)
                    .bind(&a.group_id)
                    .bind(a.priority)
                    .bind(to_millis(a.last_updated))
                    .execute(&self.writes)
                    .await;
                    match done {
                        Ok(d) => Ok(d.rows_affected() == 1),
                        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Ok(false),
                        Err(e) => Err(db_err(e)),
                    }
                }

                async fn app_group(&self, app_id: &str, group_id: &str) -> StoreResult<Option<AppGroup>> {
                    optional(
                        sqlx::query("SELECT * FROM app_groups WHERE app_id = $1 AND group_id = $2").bind(app_id).bind(group_id),
                        &self.pool,
                        app_group_from_row,
                    )
                    .await
                }

                async fn list_app_groups(&self, app_id: &str, req: &PageRequest) -> StoreResult<Page<AppGroup>> {
                    let items = all(
                        sqlx::query("SELECT * FROM app_groups WHERE app_id = $1 AND group_id > $2 ORDER BY group_id LIMIT $3")
                            .bind(app_id)
                            .bind(after(req))
                            .bind(overfetch(req)),
                        &self.pool,
                        app_group_from_row,
                    )
                    .await?;
                    Ok(Page::from_overfetch(items, req.limit, |a| a.group_id.clone()))
                }

                async fn delete_app_group(&self, app_id: &str, group_id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM app_groups WHERE app_id = $1 AND group_id = $2")
                        .bind(app_id)
                        .bind(group_id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn user_assigned_to_app(&self, app_id: &str, user_id: &str) -> StoreResult<bool> {
                    let row = optional(
                        sqlx::query(
                            "SELECT 1 AS yes WHERE EXISTS (SELECT 1 FROM app_users WHERE app_id = $1 AND user_id = $2) \
                             OR EXISTS (SELECT 1 FROM app_groups ag JOIN directory_groups g ON g.id = ag.group_id \
                                 WHERE ag.app_id = $1 AND g.kind = 'BUILT_IN' AND EXISTS (SELECT 1 FROM users WHERE id = $2)) \
                             OR EXISTS (SELECT 1 FROM app_groups ag JOIN group_members m ON m.group_id = ag.group_id \
                                 WHERE ag.app_id = $1 AND m.user_id = $2)",
                        )
                        .bind(app_id)
                        .bind(user_id),
                        &self.pool,
                        |_| Ok(()),
                    )
                    .await?;
                    Ok(row.is_some())
                }

                async fn apps_for_user(&self, user_id: &str) -> StoreResult<Vec<App>> {
                    all(
                        sqlx::query(
                            "SELECT * FROM apps a WHERE EXISTS (SELECT 1 FROM app_users u WHERE u.app_id = a.id AND u.user_id = $1) \
                             OR EXISTS (SELECT 1 FROM app_groups ag JOIN directory_groups g ON g.id = ag.group_id \
                                 WHERE ag.app_id = a.id AND g.kind = 'BUILT_IN' AND EXISTS (SELECT 1 FROM users WHERE id = $1)) \
                             OR EXISTS (SELECT 1 FROM app_groups ag JOIN group_members m ON m.group_id = ag.group_id \
                                 WHERE ag.app_id = a.id AND m.user_id = $1) \
                             ORDER BY a.label_lower, a.id",
                        )
                        .bind(user_id),
                        &self.pool,
                        app_from_row,
                    )
                    .await
                }
            }

            #[async_trait]
            impl GrantStore for $store {
                async fn insert_code(&self, c: &AuthorizationCode) -> StoreResult<()> {
                    sqlx::query("INSERT INTO auth_codes (hash, grant_id, data, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)")
                        .bind(&c.hash[..])
                        .bind(&c.grant_id)
                        .bind(code_data(c)?)
                        .bind(to_millis(c.expires_at))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                async fn redeem_code(&self, hash: &[u8; 32], now: Timestamp) -> StoreResult<CodeRedemption> {
                    // One conditional UPDATE: of two concurrent redemptions, one changes the row.
                    let taken = optional(
                        sqlx::query(
                            "UPDATE auth_codes SET used_at = $2 WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 \
                             RETURNING *",
                        )
                        .bind(&hash[..])
                        .bind(to_millis(now)),
                        &self.writes,
                        code_from_row,
                    )
                    .await?;
                    if let Some(code) = taken {
                        return Ok(CodeRedemption::Redeemed(code));
                    }
                    let seen = optional(
                        sqlx::query("SELECT * FROM auth_codes WHERE hash = $1").bind(&hash[..]),
                        &self.pool,
                        code_from_row,
                    )
                    .await?;
                    Ok(match seen {
                        Some(code) if code.used_at.is_some() => CodeRedemption::Replayed(code),
                        _ => CodeRedemption::Invalid,
                    })
                }

                async fn insert_grant(&self, g: &Grant, refresh: Option<&RefreshToken>) -> StoreResult<()> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO grants (id, auth_server_id, client_id, user_id, data, created, expires_at, revoked_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&g.id)
                    .bind(&g.auth_server_id)
                    .bind(&g.client_id)
                    .bind(&g.user_id)
                    .bind(grant_data(g)?)
                    .bind(to_millis(g.created))
                    .bind(to_millis(g.expires_at))
                    .bind(g.revoked_at.map(to_millis))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if let Some(r) = refresh {
                        sqlx::query(INSERT_REFRESH)
                            .bind(&r.hash[..])
                            .bind(&g.id)
                            .bind(to_millis(r.created))
                            .bind(to_millis(r.expires_at))
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn grant(&self, id: &str) -> StoreResult<Option<Grant>> {
                    optional(sqlx::query("SELECT * FROM grants WHERE id = $1").bind(id), &self.pool, grant_from_row).await
                }

                async fn rotate_refresh_token(
                    &self,
                    hash: &[u8; 32],
                    next: &RefreshToken,
                    now: Timestamp,
                ) -> StoreResult<RefreshRotation> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let taken = sqlx::query(
                        "UPDATE refresh_tokens SET rotated_at = $2 WHERE hash = $1 AND rotated_at IS NULL AND expires_at > $2 \
                         RETURNING grant_id",
                    )
                    .bind(&hash[..])
                    .bind(to_millis(now))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    let Some(row) = taken else {
                        tx.rollback().await.map_err(db_err)?;
                        // Rotated before (a replay) or unknown/expired.
                        let seen = self.refresh_token_grant(hash).await?;
                        return Ok(match seen {
                            Some((t, g)) if t.rotated_at.is_some() => RefreshRotation::Replayed(g),
                            _ => RefreshRotation::Invalid,
                        });
                    };
                    let grant_id: String = get(&row, "grant_id")?;
                    let grant = sqlx::query("SELECT * FROM grants WHERE id = $1")
                        .bind(&grant_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .as_ref()
                        .map(grant_from_row)
                        .transpose()?;
                    let Some(grant) = grant.filter(|g| grant_live(g, now)) else {
                        tx.rollback().await.map_err(db_err)?;
                        return Ok(RefreshRotation::Invalid);
                    };
                    sqlx::query(INSERT_REFRESH)
                        .bind(&next.hash[..])
                        .bind(&grant.id)
                        .bind(to_millis(next.created))
                        .bind(to_millis(next.expires_at))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(RefreshRotation::Rotated(grant))
                }

                async fn refresh_token_grant(&self, hash: &[u8; 32]) -> StoreResult<Option<(RefreshToken, Grant)>> {
                    let Some(token) = optional(
                        sqlx::query("SELECT * FROM refresh_tokens WHERE hash = $1").bind(&hash[..]),
                        &self.pool,
                        refresh_from_row,
                    )
                    .await?
                    else {
                        return Ok(None);
                    };
                    let grant = self.grant(&token.grant_id).await?;
                    Ok(grant.map(|g| (token, g)))
                }

                async fn revoke_grant(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
                    let done = sqlx::query("UPDATE grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                        .bind(id)
                        .bind(to_millis(at))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn revoke_access_token(&self, jti: &str, expires_at: Timestamp) -> StoreResult<()> {
                    sqlx::query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(jti)
                        .bind(to_millis(expires_at))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                async fn access_token_revoked(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool> {
                    let Some(grant_id) = grant_id else {
                        // A token without a grant (client credentials): one primary-key probe.
                        let row = optional(
                            sqlx::query("SELECT 1 AS yes FROM revoked_access_tokens WHERE jti = $1").bind(jti),
                            &self.pool,
                            |_| Ok(()),
                        )
                        .await?;
                        return Ok(row.is_some());
                    };
                    let row = optional(
                        sqlx::query(
                            "SELECT 1 AS yes WHERE EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1) \
                             OR EXISTS (SELECT 1 FROM grants WHERE id = $2 AND revoked_at IS NOT NULL)",
                        )
                        .bind(jti)
                        .bind(grant_id),
                        &self.pool,
                        |_| Ok(()),
                    )
                    .await?;
                    Ok(row.is_some())
                }

                async fn access_tokens_revoked(&self, tokens: &[(String, Option<String>)]) -> StoreResult<Vec<bool>> {
                    if tokens.is_empty() {
                        return Ok(Vec::new());
                    }
                    // One query: the revoked jtis among the tokens', then the revoked grants among theirs.
                    let grants: Vec<&str> = tokens.iter().filter_map(|(_, g)| g.as_deref()).collect();
                    let list = |from: usize, n: usize| {
                        (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
                    };
                    let mut sql = format!(
                        "SELECT 'a' AS kind, jti AS id FROM revoked_access_tokens WHERE jti IN ({})",
                        list(1, tokens.len())
                    );
                    if !grants.is_empty() {
                        sql.push_str(&format!(
                            " UNION ALL SELECT 'g' AS kind, id FROM grants WHERE revoked_at IS NOT NULL AND id IN ({})",
                            list(tokens.len() + 1, grants.len())
                        ));
                    }
                    // Only numbered placeholders are formatted in; every value is bound.
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (jti, _) in tokens {
                        query = query.bind(jti.as_str());
                    }
                    for g in &grants {
                        query = query.bind(*g);
                    }
                    let rows = all(query, &self.pool, |row| {
                        let kind: String = get(row, "kind")?;
                        let id: String = get(row, "id")?;
                        Ok((kind == "g", id))
                    })
                    .await?;
                    let revoked: std::collections::HashSet<(bool, String)> = rows.into_iter().collect();
                    Ok(tokens
                        .iter()
                        .map(|(jti, grant)| {
                            revoked.contains(&(false, jti.clone()))
                                || grant.as_ref().is_some_and(|g| revoked.contains(&(true, g.clone())))
                        })
                        .collect())
                }

                async fn record_jti(&self, key: &str, expires_at: Timestamp) -> StoreResult<bool> {
                    let done = sqlx::query("INSERT INTO used_jtis (key, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(key)
                        .bind(to_millis(expires_at))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_expired_grants(&self, before: Timestamp) -> StoreResult<u64> {
                    let t = to_millis(before);
                    let mut n = 0;
                    for sql in [
                        "DELETE FROM auth_codes WHERE expires_at < $1",
                        "DELETE FROM refresh_tokens WHERE expires_at < $1",
                        "DELETE FROM grants WHERE expires_at < $1",
                        "DELETE FROM revoked_access_tokens WHERE expires_at < $1",
                        "DELETE FROM used_jtis WHERE expires_at < $1",
                    ] {
                        n += sqlx::query(sql).bind(t).execute(&self.writes).await.map_err(db_err)?.rows_affected();
                    }
                    Ok(n)
                }
            }

            fn consent_from_row(row: &DbRow) -> StoreResult<ScopeConsent> {
                Ok(ScopeConsent {
                    id: get(row, "id")?,
                    user_id: get(row, "user_id")?,
                    client_id: get(row, "client_id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    scope: get(row, "scope")?,
                    created: ts(get(row, "created")?),
                })
            }

            #[async_trait]
            impl ConsentStore for $store {
                async fn insert_consents(&self, consents: &[ScopeConsent]) -> StoreResult<()> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    for c in consents {
                        sqlx::query(
                            "INSERT INTO consents (id, user_id, client_id, auth_server_id, scope, created) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, client_id, auth_server_id, scope) DO NOTHING",
                        )
                        .bind(&c.id)
                        .bind(&c.user_id)
                        .bind(&c.client_id)
                        .bind(&c.auth_server_id)
                        .bind(&c.scope)
                        .bind(to_millis(c.created))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn consented_scopes(&self, user_id: &str, client_id: &str, auth_server_id: &str) -> StoreResult<Vec<String>> {
                    all(
                        sqlx::query(
                            "SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2 AND auth_server_id = $3 ORDER BY scope",
                        )
                        .bind(user_id)
                        .bind(client_id)
                        .bind(auth_server_id),
                        &self.pool,
                        |row| get(row, "scope"),
                    )
                    .await
                }

                async fn user_consents(&self, user_id: &str) -> StoreResult<Vec<ScopeConsent>> {
                    all(
                        sqlx::query("SELECT * FROM consents WHERE user_id = $1 ORDER BY created, id").bind(user_id),
                        &self.pool,
                        consent_from_row,
                    )
                    .await
                }

                async fn delete_consent(&self, user_id: &str, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND id = $2")
                        .bind(user_id)
                        .bind(id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_user_consents(&self, user_id: &str) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM consents WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        }
    };
}

pub(crate) use app_sql;
