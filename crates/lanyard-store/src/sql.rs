//! The SQL behind every store, written once. `sql_store!(Type, Database, "BEGIN …", "name", dialect)` implements the
//! capability traits for a backend type holding `pool`. Placeholders are `$n`, which both SQLite and PostgreSQL
//! accept; every statement is a `'static` string, so no SQL is ever built from input.

macro_rules! sql_store {
    ($store:ident, $db:ty, $begin:literal, $backend:literal, $dialect:path) => {
        mod sql_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::{Timestamp, from_millis, to_millis};
            use lanyard_core::crypto::{Jwk, SigningAlg};
            use lanyard_core::directory::users::UserQuery;
            use lanyard_core::model::*;
            use lanyard_core::store::*;
            use sqlx::Row;

            use super::$store;
            use crate::error::db_err;

            pub(super) type DbRow = <$db as sqlx::Database>::Row;

            pub(super) fn ts(ms: i64) -> Timestamp {
                from_millis(ms)
            }
            pub(super) fn opt_ts(ms: Option<i64>) -> Option<Timestamp> {
                ms.map(from_millis)
            }
            pub(super) fn get<'r, T: sqlx::Decode<'r, $db> + sqlx::Type<$db>>(row: &'r DbRow, col: &str) -> StoreResult<T> {
                row.try_get(col).map_err(db_err)
            }
            pub(super) fn json<T: serde::de::DeserializeOwned>(row: &DbRow, col: &str) -> StoreResult<T> {
                let text: String = get(row, col)?;
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
            }
            pub(super) fn corrupt(what: &str, value: &str) -> StoreError {
                StoreError::Corrupt(format!("unknown {what} {value:?}"))
            }
            pub(super) fn lifecycle(row: &DbRow) -> StoreResult<LifecycleStatus> {
                let s: String = get(row, "status")?;
                LifecycleStatus::parse(&s).ok_or_else(|| corrupt("status", &s))
            }

            fn server_from_row(row: &DbRow) -> StoreResult<AuthorizationServer> {
                let kind: String = get(row, "kind")?;
                let alg: String = get(row, "signing_alg")?;
                Ok(AuthorizationServer {
                    id: get(row, "id")?,
                    kind: AuthServerKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
                    name: get(row, "name")?,
                    description: get(row, "description")?,
                    audiences: json(row, "audiences")?,
                    status: lifecycle(row)?,
                    signing_alg: alg.parse().map_err(|_| corrupt("alg", &alg))?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            fn policy_from_row(row: &DbRow) -> StoreResult<Policy> {
                Ok(Policy {
                    id: get(row, "id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    name: get(row, "name")?,
                    description: get(row, "description")?,
                    priority: get(row, "priority")?,
                    status: lifecycle(row)?,
                    system: get(row, "system")?,
                    conditions: json(row, "conditions")?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            fn rule_from_row(row: &DbRow) -> StoreResult<PolicyRule> {
                Ok(PolicyRule {
                    id: get(row, "id")?,
                    policy_id: get(row, "policy_id")?,
                    name: get(row, "name")?,
                    priority: get(row, "priority")?,
                    status: lifecycle(row)?,
                    system: get(row, "system")?,
                    conditions: json(row, "conditions")?,
                    actions: json(row, "actions")?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            fn key_from_row(row: &DbRow) -> StoreResult<KeyRecord> {
                let alg: String = get(row, "alg")?;
                let status: String = get(row, "status")?;
                let jwk: Jwk = json(row, "public_jwk")?;
                Ok(KeyRecord {
                    kid: get(row, "kid")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    alg: alg.parse::<SigningAlg>().map_err(|_| corrupt("alg", &alg))?,
                    status: KeyStatus::parse(&status).ok_or_else(|| corrupt("key status", &status))?,
                    public_jwk: jwk,
                    sealed_private_key: get(row, "sealed_private_key")?,
                    created: ts(get(row, "created")?),
                    activated: opt_ts(get(row, "activated")?),
                    rotated: opt_ts(get(row, "rotated")?),
                    retire_at: opt_ts(get(row, "retire_at")?),
                })
            }

            fn api_token_from_row(row: &DbRow) -> StoreResult<ApiToken> {
                let hash: Vec<u8> = get(row, "token_hash")?;
                Ok(ApiToken {
                    id: get(row, "id")?,
                    name: get(row, "name")?,
                    user_id: get(row, "user_id")?,
                    token_hash: hash.try_into().map_err(|_| StoreError::Corrupt("token_hash length".into()))?,
                    token_prefix: get(row, "token_prefix")?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                    last_used: opt_ts(get(row, "last_used")?),
                    expires_at: opt_ts(get(row, "expires_at")?),
                })
            }

            fn user_from_row(row: &DbRow) -> StoreResult<User> {
                let status: String = get(row, "status")?;
                Ok(User {
                    id: get(row, "id")?,
                    status: UserStatus::parse(&status).ok_or_else(|| corrupt("user status", &status))?,
                    login: get(row, "login")?,
                    profile: json(row, "profile")?,
                    created: ts(get(row, "created")?),
                    activated: opt_ts(get(row, "activated")?),
                    status_changed: opt_ts(get(row, "status_changed")?),
                    last_login: opt_ts(get(row, "last_login")?),
                    last_updated: ts(get(row, "last_updated")?),
                    password_changed: opt_ts(get(row, "password_changed")?),
                })
            }

            pub(super) type Query<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;

            /// Runs `query` and maps the row it may return.
            pub(super) async fn optional<T>(query: Query<'_>, pool: &sqlx::Pool<$db>, map: fn(&DbRow) -> StoreResult<T>) -> StoreResult<Option<T>> {
                query.fetch_optional(pool).await.map_err(db_err)?.as_ref().map(map).transpose()
            }

            /// Runs `query` and maps every row.
            pub(super) async fn all<T>(query: Query<'_>, pool: &sqlx::Pool<$db>, map: fn(&DbRow) -> StoreResult<T>) -> StoreResult<Vec<T>> {
                query.fetch_all(pool).await.map_err(db_err)?.iter().map(map).collect()
            }

            pub(super) fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
                serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
            }

            pub(super) fn after(req: &PageRequest) -> String {
                req.after.clone().unwrap_or_default()
            }

            pub(super) fn overfetch(req: &PageRequest) -> i64 {
                i64::from(req.limit) + 1
            }

            #[async_trait]
            impl OrgStore for $store {
                async fn org(&self) -> StoreResult<Option<Org>> {
                    let row = sqlx::query("SELECT id, name, created FROM org WHERE singleton = 1")
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.map(|r| Ok(Org { id: get(&r, "id")?, name: get(&r, "name")?, created: ts(get(&r, "created")?) }))
                        .transpose()
                }

                async fn insert_org_if_absent(&self, org: &Org) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO org (singleton, id, name, created) VALUES (1, $1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(&org.id)
                    .bind(&org.name)
                    .bind(to_millis(org.created))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
                    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(key)
                        .bind(value)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                    get(&row, "value")
                }
            }

            #[async_trait]
            impl AuthServerStore for $store {
                async fn insert_auth_server_if_absent(&self, s: &AuthorizationServer) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO authorization_servers \
                         (id, kind, name, description, audiences, status, signing_alg, created, last_updated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                    )
                    .bind(&s.id)
                    .bind(s.kind.as_str())
                    .bind(&s.name)
                    .bind(&s.description)
                    .bind(to_json(&s.audiences)?)
                    .bind(s.status.as_str())
                    .bind(s.signing_alg.as_str())
                    .bind(to_millis(s.created))
                    .bind(to_millis(s.last_updated))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn auth_server(&self, id: &str) -> StoreResult<Option<AuthorizationServer>> {
                    optional(sqlx::query("SELECT * FROM authorization_servers WHERE id = $1").bind(id), &self.pool, server_from_row).await
                }

                async fn list_auth_servers(&self, kind: AuthServerKind, req: &PageRequest) -> StoreResult<Page<AuthorizationServer>> {
                    let query = sqlx::query("SELECT * FROM authorization_servers WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3")
                        .bind(kind.as_str())
                        .bind(after(req))
                        .bind(overfetch(req));
                    let items = all(query, &self.pool, server_from_row).await?;
                    Ok(Page::from_overfetch(items, req.limit, |s| s.id.clone()))
                }
            }

            #[async_trait]
            impl PolicyStore for $store {
                async fn insert_policy_if_absent(&self, p: &Policy, rules: &[PolicyRule]) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let done = sqlx::query(
                        "INSERT INTO auth_server_policies \
                         (id, auth_server_id, name, description, priority, status, system, conditions, created, last_updated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                    )
                    .bind(&p.id)
                    .bind(&p.auth_server_id)
                    .bind(&p.name)
                    .bind(&p.description)
                    .bind(p.priority)
                    .bind(p.status.as_str())
                    .bind(p.system)
                    .bind(to_json(&p.conditions)?)
                    .bind(to_millis(p.created))
                    .bind(to_millis(p.last_updated))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    for r in rules {
                        sqlx::query(
                            "INSERT INTO auth_server_policy_rules \
                             (id, policy_id, name, priority, status, system, conditions, actions, created, last_updated) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                        )
                        .bind(&r.id)
                        .bind(&r.policy_id)
                        .bind(&r.name)
                        .bind(r.priority)
                        .bind(r.status.as_str())
                        .bind(r.system)
                        .bind(to_json(&r.conditions)?)
                        .bind(to_json(&r.actions)?)
                        .bind(to_millis(r.created))
                        .bind(to_millis(r.last_updated))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }

                async fn policies(&self, auth_server_id: &str) -> StoreResult<Vec<Policy>> {
                    all(sqlx::query("SELECT * FROM auth_server_policies WHERE auth_server_id = $1 ORDER BY priority, id").bind(auth_server_id), &self.pool, policy_from_row).await
                }

                async fn policy_rules(&self, policy_id: &str) -> StoreResult<Vec<PolicyRule>> {
                    all(sqlx::query("SELECT * FROM auth_server_policy_rules WHERE policy_id = $1 ORDER BY priority, id").bind(policy_id), &self.pool, rule_from_row).await
                }
            }

            #[async_trait]
            impl KeyStore for $store {
                async fn keys(&self, auth_server_id: &str) -> StoreResult<Vec<KeyRecord>> {
                    all(sqlx::query("SELECT * FROM signing_keys WHERE auth_server_id = $1 ORDER BY created DESC, kid").bind(auth_server_id), &self.pool, key_from_row).await
                }

                async fn insert_key_if_absent(&self, k: &KeyRecord) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO signing_keys \
                         (kid, auth_server_id, alg, status, public_jwk, sealed_private_key, created, activated, rotated, retire_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                    )
                    .bind(&k.kid)
                    .bind(&k.auth_server_id)
                    .bind(k.alg.as_str())
                    .bind(k.status.as_str())
                    .bind(to_json(&k.public_jwk)?)
                    .bind(&k.sealed_private_key)
                    .bind(to_millis(k.created))
                    .bind(k.activated.map(to_millis))
                    .bind(k.rotated.map(to_millis))
                    .bind(k.retire_at.map(to_millis))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn rotate_key(&self, active_kid: &str, fresh: &KeyRecord, now: Timestamp, retire_at: Timestamp) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let retired = sqlx::query(
                        "UPDATE signing_keys SET status = 'EXPIRED', rotated = $2, retire_at = $3 \
                         WHERE kid = $1 AND status = 'ACTIVE' RETURNING auth_server_id, alg",
                    )
                    .bind(active_kid)
                    .bind(to_millis(now))
                    .bind(to_millis(retire_at))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    let Some(retired) = retired else {
                        return Ok(false);
                    };
                    let server: String = get(&retired, "auth_server_id")?;
                    let alg: String = get(&retired, "alg")?;
                    let promoted = sqlx::query(
                        "UPDATE signing_keys SET status = 'ACTIVE', activated = $3 \
                         WHERE auth_server_id = $1 AND alg = $2 AND status = 'NEXT'",
                    )
                    .bind(&server)
                    .bind(&alg)
                    .bind(to_millis(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    let (status, activated) =
                        if promoted == 1 { (KeyStatus::Next, None) } else { (KeyStatus::Active, Some(to_millis(now))) };
                    sqlx::query(
                        "INSERT INTO signing_keys \
                         (kid, auth_server_id, alg, status, public_jwk, sealed_private_key, created, activated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&fresh.kid)
                    .bind(&server)
                    .bind(&alg)
                    .bind(status.as_str())
                    .bind(to_json(&fresh.public_jwk)?)
                    .bind(&fresh.sealed_private_key)
                    .bind(to_millis(fresh.created))
                    .bind(activated)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }

                async fn delete_retired_keys(&self, before: Timestamp) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM signing_keys WHERE status = 'EXPIRED' AND retire_at < $1")
                        .bind(to_millis(before))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?
                        .rows_affected())
                }
            }

            #[async_trait]
            impl ApiTokenStore for $store {
                async fn insert_api_token(&self, t: &ApiToken) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO api_tokens \
                         (id, name, user_id, token_hash, token_prefix, created, last_updated, last_used, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&t.id)
                    .bind(&t.name)
                    .bind(&t.user_id)
                    .bind(&t.token_hash[..])
                    .bind(&t.token_prefix)
                    .bind(to_millis(t.created))
                    .bind(to_millis(t.last_updated))
                    .bind(t.last_used.map(to_millis))
                    .bind(t.expires_at.map(to_millis))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn api_token_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<ApiToken>> {
                    optional(sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1").bind(&hash[..]), &self.pool, api_token_from_row).await
                }

                async fn api_token(&self, id: &str) -> StoreResult<Option<ApiToken>> {
                    optional(sqlx::query("SELECT * FROM api_tokens WHERE id = $1").bind(id), &self.pool, api_token_from_row).await
                }

                async fn list_api_tokens(&self, req: &PageRequest) -> StoreResult<Page<ApiToken>> {
                    let items = all(sqlx::query("SELECT * FROM api_tokens WHERE id > $1 ORDER BY id LIMIT $2")
                        .bind(after(req))
                        .bind(overfetch(req)), &self.pool, api_token_from_row).await?;
                    Ok(Page::from_overfetch(items, req.limit, |t| t.id.clone()))
                }

                async fn delete_api_token(&self, id: &str) -> StoreResult<bool> {
                    Ok(sqlx::query("DELETE FROM api_tokens WHERE id = $1")
                        .bind(id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?
                        .rows_affected()
                        == 1)
                }

                async fn touch_api_token(&self, id: &str, at: Timestamp) -> StoreResult<()> {
                    sqlx::query("UPDATE api_tokens SET last_used = $2 WHERE id = $1")
                        .bind(id)
                        .bind(to_millis(at))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }
            }

            fn password_from_row(row: &DbRow) -> StoreResult<PasswordRecord> {
                Ok(PasswordRecord { hash: get(row, "hash")?, history: json(row, "history")?, changed: ts(get(row, "changed")?) })
            }

            #[async_trait]
            impl UserStore for $store {
                async fn insert_user(&self, u: &User, password: Option<&PasswordRecord>) -> StoreResult<()> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO users (id, status, login, login_lower, profile, created, activated, status_changed, \
                         last_login, last_updated, password_changed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(&u.id)
                    .bind(u.status.as_str())
                    .bind(&u.login)
                    .bind(u.login.to_lowercase())
                    .bind(to_json(&u.profile)?)
                    .bind(to_millis(u.created))
                    .bind(u.activated.map(to_millis))
                    .bind(u.status_changed.map(to_millis))
                    .bind(u.last_login.map(to_millis))
                    .bind(to_millis(u.last_updated))
                    .bind(u.password_changed.map(to_millis))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if let Some(p) = password {
                        upsert_password(&mut *tx, &u.id, p).await?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn user(&self, id: &str) -> StoreResult<Option<User>> {
                    optional(sqlx::query("SELECT * FROM users WHERE id = $1").bind(id), &self.pool, user_from_row).await
                }

                async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
                    let query = sqlx::query("SELECT * FROM users WHERE login_lower = $1").bind(login.to_lowercase());
                    optional(query, &self.pool, user_from_row).await
                }

                async fn update_user(&self, u: &User) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE users SET status = $2, login = $3, login_lower = $4, profile = $5, activated = $6, \
                         status_changed = $7, last_login = $8, last_updated = $9, password_changed = $10 WHERE id = $1",
                    )
                    .bind(&u.id)
                    .bind(u.status.as_str())
                    .bind(&u.login)
                    .bind(u.login.to_lowercase())
                    .bind(to_json(&u.profile)?)
                    .bind(u.activated.map(to_millis))
                    .bind(u.status_changed.map(to_millis))
                    .bind(u.last_login.map(to_millis))
                    .bind(to_millis(u.last_updated))
                    .bind(u.password_changed.map(to_millis))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_user(&self, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&self.writes).await.map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn list_users(&self, query: &UserQuery, req: &PageRequest) -> StoreResult<Page<User>> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT * FROM users WHERE id > ");
                    qb.push_bind(after(req)).push(" AND (");
                    crate::user_query::push_query(&mut qb, query, &$dialect);
                    qb.push(") ORDER BY id LIMIT ").push_bind(overfetch(req));
                    let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                    let items = rows.iter().map(user_from_row).collect::<StoreResult<Vec<_>>>()?;
                    Ok(Page::from_overfetch(items, req.limit, |u| u.id.clone()))
                }

                async fn password(&self, user_id: &str) -> StoreResult<Option<PasswordRecord>> {
                    let query = sqlx::query("SELECT * FROM user_passwords WHERE user_id = $1").bind(user_id);
                    optional(query, &self.pool, password_from_row).await
                }

                async fn record_login(&self, user_id: &str, at: Timestamp) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE users SET last_login = $2 WHERE id = $1 AND status IN ('ACTIVE', 'PASSWORD_EXPIRED')",
                    )
                    .bind(user_id)
                    .bind(to_millis(at))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_password(&self, user_id: &str, password: &PasswordRecord) -> StoreResult<()> {
                    let mut conn = self.writes.acquire().await.map_err(db_err)?;
                    upsert_password(&mut *conn, user_id, password).await
                }
            }

            async fn upsert_password(conn: &mut <$db as sqlx::Database>::Connection, user_id: &str, p: &PasswordRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO user_passwords (user_id, hash, history, changed) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, history = excluded.history, changed = excluded.changed",
                )
                .bind(user_id)
                .bind(&p.hash)
                .bind(to_json(&p.history)?)
                .bind(to_millis(p.changed))
                .execute(conn)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            fn group_from_row(row: &DbRow) -> StoreResult<Group> {
                let kind: String = get(row, "kind")?;
                Ok(Group {
                    id: get(row, "id")?,
                    group_type: GroupType::parse(&kind).ok_or_else(|| corrupt("group type", &kind))?,
                    name: get(row, "name")?,
                    description: get(row, "description")?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                    last_membership_updated: ts(get(row, "last_membership_updated")?),
                })
            }

            /// A `LIKE` pattern for names starting with `prefix`, case-insensitively (names are matched through
            /// `name_lower`); `%`, `_` and `\` in the prefix match themselves.
            pub(super) fn name_prefix_pattern(prefix: &str) -> String {
                let mut out = String::with_capacity(prefix.len() + 1);
                for c in prefix.to_lowercase().chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('%');
                out
            }

            const INSERT_GROUP: &str = "INSERT INTO directory_groups \
                 (id, kind, name, name_lower, description, created, last_updated, last_membership_updated) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
            const INSERT_GROUP_IF_ABSENT: &str = "INSERT INTO directory_groups \
                 (id, kind, name, name_lower, description, created, last_updated, last_membership_updated) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";

            fn bind_group<'q>(query: Query<'q>, g: &'q Group) -> Query<'q> {
                query
                    .bind(&g.id)
                    .bind(g.group_type.as_str())
                    .bind(&g.name)
                    .bind(g.name.to_lowercase())
                    .bind(&g.description)
                    .bind(to_millis(g.created))
                    .bind(to_millis(g.last_updated))
                    .bind(to_millis(g.last_membership_updated))
            }

            #[async_trait]
            impl GroupStore for $store {
                async fn insert_group(&self, g: &Group) -> StoreResult<()> {
                    bind_group(sqlx::query(INSERT_GROUP), g).execute(&self.writes).await.map_err(db_err)?;
                    Ok(())
                }

                async fn insert_group_if_absent(&self, g: &Group) -> StoreResult<bool> {
                    let done = bind_group(sqlx::query(INSERT_GROUP_IF_ABSENT), g).execute(&self.writes).await.map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn group(&self, id: &str) -> StoreResult<Option<Group>> {
                    optional(sqlx::query("SELECT * FROM directory_groups WHERE id = $1").bind(id), &self.pool, group_from_row).await
                }

                async fn update_group(&self, g: &Group) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE directory_groups SET name = $2, name_lower = $3, description = $4, last_updated = $5 \
                         WHERE id = $1 AND kind = 'OKTA_GROUP'",
                    )
                    .bind(&g.id)
                    .bind(&g.name)
                    .bind(g.name.to_lowercase())
                    .bind(&g.description)
                    .bind(to_millis(g.last_updated))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_group(&self, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM directory_groups WHERE id = $1 AND kind = 'OKTA_GROUP'")
                        .bind(id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn list_groups(&self, name_prefix: Option<&str>, req: &PageRequest) -> StoreResult<Page<Group>> {
                    let query = match name_prefix {
                        None => sqlx::query("SELECT * FROM directory_groups WHERE id > $1 ORDER BY id LIMIT $2")
                            .bind(after(req))
                            .bind(overfetch(req)),
                        Some(prefix) => sqlx::query(
                            "SELECT * FROM directory_groups WHERE id > $1 AND name_lower LIKE $2 ESCAPE '\\' \
                             ORDER BY id LIMIT $3",
                        )
                        .bind(after(req))
                        .bind(name_prefix_pattern(prefix))
                        .bind(overfetch(req)),
                    };
                    let items = all(query, &self.pool, group_from_row).await?;
                    Ok(Page::from_overfetch(items, req.limit, |g| g.id.clone()))
                }

                async fn add_group_member(&self, group_id: &str, user_id: &str, at: Timestamp) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    // Nothing for a built-in group, an unknown group or an unknown user; nothing twice.
                    let added = sqlx::query(
                        "INSERT INTO group_members (group_id, user_id, created) SELECT $1, $2, $3 \
                         WHERE EXISTS (SELECT 1 FROM directory_groups WHERE id = $1 AND kind = 'OKTA_GROUP') \
                         AND EXISTS (SELECT 1 FROM users WHERE id = $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(group_id)
                    .bind(user_id)
                    .bind(to_millis(at))
                    .execute(&mut *tx)
                    .await;
                    let added = match added {
                        Ok(done) => done.rows_affected() == 1,
                        // The group or the user was deleted meanwhile.
                        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => return Ok(false),
                        Err(e) => return Err(db_err(e)),
                    };
                    if added {
                        sqlx::query("UPDATE directory_groups SET last_membership_updated = $2 WHERE id = $1")
                            .bind(group_id)
                            .bind(to_millis(at))
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(added)
                }

                async fn remove_group_member(&self, group_id: &str, user_id: &str, at: Timestamp) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let removed = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
                        .bind(group_id)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected()
                        == 1;
                    if removed {
                        sqlx::query("UPDATE directory_groups SET last_membership_updated = $2 WHERE id = $1")
                            .bind(group_id)
                            .bind(to_millis(at))
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(removed)
                }

                async fn list_group_members(&self, group_id: &str, req: &PageRequest) -> StoreResult<Page<User>> {
                    let kind = sqlx::query("SELECT kind FROM directory_groups WHERE id = $1")
                        .bind(group_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    let kind: String = match kind {
                        Some(row) => get(&row, "kind")?,
                        None => return Ok(Page { items: Vec::new(), next: None }),
                    };
                    // A built-in group's members are simply the users: no membership rows to read.
                    let query = if GroupType::parse(&kind) == Some(GroupType::BuiltIn) {
                        sqlx::query("SELECT * FROM users WHERE id > $1 ORDER BY id LIMIT $2")
                            .bind(after(req))
                            .bind(overfetch(req))
                    } else {
                        sqlx::query(
                            "SELECT u.* FROM group_members m JOIN users u ON u.id = m.user_id \
                             WHERE m.group_id = $1 AND m.user_id > $2 ORDER BY m.user_id LIMIT $3",
                        )
                        .bind(group_id)
                        .bind(after(req))
                        .bind(overfetch(req))
                    };
                    let items = all(query, &self.pool, user_from_row).await?;
                    Ok(Page::from_overfetch(items, req.limit, |u| u.id.clone()))
                }

                async fn user_groups(&self, user_id: &str, req: &PageRequest) -> StoreResult<Page<Group>> {
                    let query = sqlx::query(
                        "SELECT g.* FROM group_members m JOIN directory_groups g ON g.id = m.group_id \
                         WHERE m.user_id = $1 AND m.group_id > $2 \
                         UNION ALL SELECT * FROM directory_groups WHERE kind = 'BUILT_IN' AND id > $2 \
                         ORDER BY id LIMIT $3",
                    )
                    .bind(user_id)
                    .bind(after(req))
                    .bind(overfetch(req));
                    let items = all(query, &self.pool, group_from_row).await?;
                    Ok(Page::from_overfetch(items, req.limit, |g| g.id.clone()))
                }
            }

            fn role_from_row(row: &DbRow) -> StoreResult<RoleAssignment> {
                let kind: String = get(row, "kind")?;
                Ok(RoleAssignment {
                    id: get(row, "id")?,
                    user_id: get(row, "user_id")?,
                    role_type: RoleType::parse(&kind).ok_or_else(|| corrupt("role type", &kind))?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            #[async_trait]
            impl RoleStore for $store {
                async fn insert_role(&self, r: &RoleAssignment) -> StoreResult<()> {
                    sqlx::query("INSERT INTO user_roles (id, user_id, kind, created, last_updated) VALUES ($1, $2, $3, $4, $5)")
                        .bind(&r.id)
                        .bind(&r.user_id)
                        .bind(r.role_type.as_str())
                        .bind(to_millis(r.created))
                        .bind(to_millis(r.last_updated))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<RoleAssignment>> {
                    all(sqlx::query("SELECT * FROM user_roles WHERE user_id = $1 ORDER BY id").bind(user_id), &self.pool, role_from_row).await
                }

                async fn user_role(&self, user_id: &str, role_id: &str) -> StoreResult<Option<RoleAssignment>> {
                    let query = sqlx::query("SELECT * FROM user_roles WHERE id = $1 AND user_id = $2").bind(role_id).bind(user_id);
                    optional(query, &self.pool, role_from_row).await
                }

                async fn delete_role(&self, user_id: &str, role_id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM user_roles WHERE id = $1 AND user_id = $2")
                        .bind(role_id)
                        .bind(user_id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }
            }

            pub(super) fn hash32(row: &DbRow, col: &str) -> StoreResult<[u8; 32]> {
                let bytes: Vec<u8> = get(row, col)?;
                bytes.try_into().map_err(|_| StoreError::Corrupt(format!("{col} length")))
            }

            fn session_from_row(row: &DbRow) -> StoreResult<Session> {
                Ok(Session {
                    id: get(row, "id")?,
                    token_hash: hash32(row, "token_hash")?,
                    user_id: get(row, "user_id")?,
                    created: ts(get(row, "created")?),
                    last_seen: ts(get(row, "last_seen")?),
                    expires_at: ts(get(row, "expires_at")?),
                    amr: json(row, "amr")?,
                    ip: get(row, "ip")?,
                    user_agent: get(row, "user_agent")?,
                })
            }

            #[async_trait]
            impl SessionStore for $store {
                async fn insert_session(&self, s: &Session) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO sessions (id, token_hash, user_id, created, last_seen, expires_at, amr, ip, user_agent) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&s.id)
                    .bind(&s.token_hash[..])
                    .bind(&s.user_id)
                    .bind(to_millis(s.created))
                    .bind(to_millis(s.last_seen))
                    .bind(to_millis(s.expires_at))
                    .bind(to_json(&s.amr)?)
                    .bind(&s.ip)
                    .bind(&s.user_agent)
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn session_by_hash(&self, token_hash: &[u8; 32]) -> StoreResult<Option<Session>> {
                    optional(sqlx::query("SELECT * FROM sessions WHERE token_hash = $1").bind(&token_hash[..]), &self.pool, session_from_row).await
                }

                async fn session(&self, id: &str) -> StoreResult<Option<Session>> {
                    optional(sqlx::query("SELECT * FROM sessions WHERE id = $1").bind(id), &self.pool, session_from_row).await
                }

                async fn touch_session(&self, id: &str, at: Timestamp) -> StoreResult<()> {
                    // Only forwards: a late, slower request does not move the idle clock back.
                    sqlx::query("UPDATE sessions SET last_seen = $2 WHERE id = $1 AND last_seen < $2")
                        .bind(id)
                        .bind(to_millis(at))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                async fn elevate_session(
                    &self,
                    id: &str,
                    old_hash: &[u8; 32],
                    new_hash: &[u8; 32],
                    amr: &[String],
                ) -> StoreResult<bool> {
                    let done = sqlx::query("UPDATE sessions SET token_hash = $3, amr = $4 WHERE id = $1 AND token_hash = $2")
                        .bind(id)
                        .bind(&old_hash[..])
                        .bind(&new_hash[..])
                        .bind(to_json(&amr)?)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_session(&self, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&self.writes).await.map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&self.writes).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }

                async fn delete_expired_sessions(&self, before: Timestamp) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                        .bind(to_millis(before))
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }

            fn one_time_token_from_row(row: &DbRow) -> StoreResult<OneTimeToken> {
                let kind: String = get(row, "kind")?;
                Ok(OneTimeToken {
                    token_hash: hash32(row, "token_hash")?,
                    kind: TokenKind::parse(&kind).ok_or_else(|| corrupt("token kind", &kind))?,
                    user_id: get(row, "user_id")?,
                    created: ts(get(row, "created")?),
                    expires_at: ts(get(row, "expires_at")?),
                    data: json(row, "data")?,
                })
            }

            #[async_trait]
            impl OneTimeTokenStore for $store {
                async fn insert_one_time_token(&self, t: &OneTimeToken) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO one_time_tokens (token_hash, kind, user_id, created, expires_at, data) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&t.token_hash[..])
                    .bind(t.kind.as_str())
                    .bind(&t.user_id)
                    .bind(to_millis(t.created))
                    .bind(to_millis(t.expires_at))
                    .bind(to_json(&t.data)?)
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn replace_one_time_token(&self, t: &OneTimeToken) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO one_time_tokens (token_hash, kind, user_id, created, expires_at, data) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (token_hash) DO UPDATE SET kind = excluded.kind, \
                         user_id = excluded.user_id, created = excluded.created, expires_at = excluded.expires_at, \
                         data = excluded.data",
                    )
                    .bind(&t.token_hash[..])
                    .bind(t.kind.as_str())
                    .bind(&t.user_id)
                    .bind(to_millis(t.created))
                    .bind(to_millis(t.expires_at))
                    .bind(to_json(&t.data)?)
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn consume_one_time_token(&self, token_hash: &[u8; 32], kind: TokenKind, now: Timestamp) -> StoreResult<Option<OneTimeToken>> {
                    // One statement: of concurrent consumers, only the one whose DELETE removed the row gets it.
                    let query = sqlx::query(
                        "DELETE FROM one_time_tokens WHERE token_hash = $1 AND kind = $2 AND expires_at > $3 RETURNING *",
                    )
                    .bind(&token_hash[..])
                    .bind(kind.as_str())
                    .bind(to_millis(now));
                    optional(query, &self.writes, one_time_token_from_row).await
                }

                async fn one_time_token(&self, token_hash: &[u8; 32], kind: TokenKind, now: Timestamp) -> StoreResult<Option<OneTimeToken>> {
                    let query = sqlx::query("SELECT * FROM one_time_tokens WHERE token_hash = $1 AND kind = $2 AND expires_at > $3")
                        .bind(&token_hash[..])
                        .bind(kind.as_str())
                        .bind(to_millis(now));
                    optional(query, &self.pool, one_time_token_from_row).await
                }

                async fn delete_user_one_time_tokens(&self, user_id: &str, kind: TokenKind) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM one_time_tokens WHERE user_id = $1 AND kind = $2")
                        .bind(user_id)
                        .bind(kind.as_str())
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }

            fn factor_from_row(row: &DbRow) -> StoreResult<Factor> {
                let factor_type: String = get(row, "factor_type")?;
                let status: String = get(row, "status")?;
                Ok(Factor {
                    id: get(row, "id")?,
                    user_id: get(row, "user_id")?,
                    factor_type: FactorType::parse(&factor_type).ok_or_else(|| corrupt("factor type", &factor_type))?,
                    provider: get(row, "provider")?,
                    status: FactorStatus::parse(&status).ok_or_else(|| corrupt("factor status", &status))?,
                    sealed_secret: get(row, "sealed_secret")?,
                    last_used_step: get(row, "last_used_step")?,
                    profile: json(row, "profile")?,
                    created: ts(get(row, "created")?),
                    last_updated: ts(get(row, "last_updated")?),
                })
            }

            #[async_trait]
            impl FactorStore for $store {
                async fn insert_factor(&self, f: &Factor) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO factors (id, user_id, factor_type, provider, status, sealed_secret, last_used_step, \
                         profile, created, last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&f.id)
                    .bind(&f.user_id)
                    .bind(f.factor_type.as_str())
                    .bind(&f.provider)
                    .bind(f.status.as_str())
                    .bind(&f.sealed_secret)
                    .bind(f.last_used_step)
                    .bind(to_json(&f.profile)?)
                    .bind(to_millis(f.created))
                    .bind(to_millis(f.last_updated))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn factor(&self, user_id: &str, factor_id: &str) -> StoreResult<Option<Factor>> {
                    let query = sqlx::query("SELECT * FROM factors WHERE id = $1 AND user_id = $2").bind(factor_id).bind(user_id);
                    optional(query, &self.pool, factor_from_row).await
                }

                async fn factors(&self, user_id: &str) -> StoreResult<Vec<Factor>> {
                    all(sqlx::query("SELECT * FROM factors WHERE user_id = $1 ORDER BY created, id").bind(user_id), &self.pool, factor_from_row).await
                }

                async fn update_factor(&self, f: &Factor) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE factors SET status = $3, profile = $4, sealed_secret = $5, last_updated = $6 \
                         WHERE id = $1 AND user_id = $2",
                    )
                    .bind(&f.id)
                    .bind(&f.user_id)
                    .bind(f.status.as_str())
                    .bind(to_json(&f.profile)?)
                    .bind(&f.sealed_secret)
                    .bind(to_millis(f.last_updated))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn use_totp_step(&self, factor_id: &str, step: i64, at: Timestamp) -> StoreResult<bool> {
                    // One conditional UPDATE: of two concurrent uses of one step, the second finds it already taken.
                    let done = sqlx::query(
                        "UPDATE factors SET last_used_step = $2, last_updated = $3 \
                         WHERE id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
                    )
                    .bind(factor_id)
                    .bind(step)
                    .bind(to_millis(at))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM factors WHERE id = $1 AND user_id = $2")
                        .bind(factor_id)
                        .bind(user_id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_user_factors(&self, user_id: &str) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM factors WHERE user_id = $1").bind(user_id).execute(&self.writes).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }

            #[async_trait]
            impl LockoutStore for $store {
                async fn record_failure(&self, user_id: &str, threshold: u32, now: Timestamp, lock_until: Timestamp, forget_before: Timestamp) -> StoreResult<FailureCount> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    // Counted only for a user who exists (none is counted for an unknown or just deleted one).
                    let counted = sqlx::query(
                        "INSERT INTO signin_failures (user_id, attempts, last_failure) SELECT $1, 1, $2 \
                         WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
                         ON CONFLICT (user_id) DO UPDATE SET attempts = CASE WHEN signin_failures.last_failure < $3 \
                         THEN 1 ELSE signin_failures.attempts + 1 END, last_failure = excluded.last_failure RETURNING attempts",
                    )
                    .bind(user_id)
                    .bind(to_millis(now))
                    .bind(to_millis(forget_before))
                    .fetch_optional(&mut *tx)
                    .await;
                    let row = match counted {
                        Ok(Some(row)) => row,
                        Ok(None) => return Ok(FailureCount { attempts: 0, locked: false }),
                        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                            return Ok(FailureCount { attempts: 0, locked: false });
                        }
                        Err(e) => return Err(db_err(e)),
                    };
                    let attempts: i32 = get(&row, "attempts")?;
                    let attempts = u32::try_from(attempts).map_err(|_| StoreError::Corrupt("attempts".into()))?;
                    let mut locked = false;
                    if threshold > 0 && attempts >= threshold {
                        // Locks once: a user already LOCKED_OUT stays as it is, its lock not extended.
                        locked = sqlx::query(
                            "UPDATE users SET status = 'LOCKED_OUT', status_changed = $2, last_updated = $2 \
                             WHERE id = $1 AND status <> 'LOCKED_OUT'",
                        )
                        .bind(user_id)
                        .bind(to_millis(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected()
                            == 1;
                        if locked {
                            sqlx::query("UPDATE signin_failures SET lockout_until = $2 WHERE user_id = $1")
                                .bind(user_id)
                                .bind(to_millis(lock_until))
                                .execute(&mut *tx)
                                .await
                                .map_err(db_err)?;
                        }
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(FailureCount { attempts, locked })
                }

                async fn reset_failures(&self, user_id: &str) -> StoreResult<()> {
                    sqlx::query("DELETE FROM signin_failures WHERE user_id = $1").bind(user_id).execute(&self.writes).await.map_err(db_err)?;
                    Ok(())
                }

                async fn lockout_until(&self, user_id: &str) -> StoreResult<Option<Timestamp>> {
                    let row = sqlx::query("SELECT lockout_until FROM signin_failures WHERE user_id = $1")
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    match row {
                        Some(row) => Ok(opt_ts(get(&row, "lockout_until")?)),
                        None => Ok(None),
                    }
                }
            }

            #[async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    $backend
                }

                async fn ping(&self) -> StoreResult<()> {
                    // On the read pool: readiness must not queue behind writes for the one write connection.
                    sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use sql_store;
