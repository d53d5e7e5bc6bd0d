//! The Authorization Servers API's SQL, for both backends (`authz_sql!`), beside `sql.rs`: creating, changing and
//! deleting custom servers; their scopes and claims; writes of access policies and rules with dense priorities.
//!
//! Priorities: a write takes a row lock on the parent (the server for policies, the policy for rules) by updating
//! it to itself — on PostgreSQL a row lock, on SQLite a no-op inside the `BEGIN IMMEDIATE` write lock — then reads
//! the siblings in order, places the item with `lanyard_core::authz::priority`, and renumbers what moved.

/// `%`, `_` and `\` escaped, ASCII lower-cased, then `%`: a LIKE pattern for names starting with `prefix`.
pub(crate) fn prefix_pattern(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.to_ascii_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

macro_rules! authz_sql {
    ($store:ident, $db:ty, $begin:literal) => {
        mod authz_impl {
            use async_trait::async_trait;
            use lanyard_core::authz::priority::{self, position};
            use lanyard_core::clock::{Timestamp, from_millis, to_millis};
            use lanyard_core::model::*;
            use lanyard_core::store::*;
            use sqlx::Row;

            use super::$store;
            use crate::error::db_err;

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx<'c> = sqlx::Transaction<'c, $db>;

            fn get<'r, T: sqlx::Decode<'r, $db> + sqlx::Type<$db>>(row: &'r DbRow, col: &str) -> StoreResult<T> {
                row.try_get(col).map_err(db_err)
            }
            fn json<T: serde::de::DeserializeOwned>(row: &DbRow, col: &str) -> StoreResult<T> {
                let text: String = get(row, col)?;
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
            }
            fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
                serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
            }
            fn ts(row: &DbRow, col: &str) -> StoreResult<Timestamp> {
                Ok(from_millis(get(row, col)?))
            }
            fn parsed<T>(row: &DbRow, col: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
                let s: String = get(row, col)?;
                parse(&s).ok_or_else(|| StoreError::Corrupt(format!("unknown {col} {s:?}")))
            }

            fn server_from_row(row: &DbRow) -> StoreResult<AuthorizationServer> {
                let alg: String = get(row, "signing_alg")?;
                Ok(AuthorizationServer {
                    id: get(row, "id")?,
                    kind: parsed(row, "kind", AuthServerKind::parse)?,
                    name: get(row, "name")?,
                    description: get(row, "description")?,
                    audiences: json(row, "audiences")?,
                    status: parsed(row, "status", LifecycleStatus::parse)?,
                    signing_alg: alg.parse().map_err(|_| StoreError::Corrupt(format!("unknown alg {alg:?}")))?,
                    created: ts(row, "created")?,
                    last_updated: ts(row, "last_updated")?,
                })
            }

            fn scope_from_row(row: &DbRow) -> StoreResult<Scope> {
                Ok(Scope {
                    id: get(row, "id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    name: get(row, "name")?,
                    display_name: get(row, "display_name")?,
                    description: get(row, "description")?,
                    consent: parsed(row, "consent", Consent::parse)?,
                    default: get(row, "is_default")?,
                    metadata_publish: parsed(row, "metadata_publish", MetadataPublish::parse)?,
                    system: get(row, "system")?,
                    created: ts(row, "created")?,
                    last_updated: ts(row, "last_updated")?,
                })
            }

            fn claim_from_row(row: &DbRow) -> StoreResult<Claim> {
                let filter: Option<String> = get(row, "group_filter_type")?;
                Ok(Claim {
                    id: get(row, "id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    name: get(row, "name")?,
                    status: parsed(row, "status", LifecycleStatus::parse)?,
                    claim_type: parsed(row, "claim_type", ClaimType::parse)?,
                    value_type: parsed(row, "value_type", ClaimValueType::parse)?,
                    value: get(row, "value")?,
                    always_include_in_token: get(row, "always_include_in_token")?,
                    scopes: json(row, "scopes")?,
                    group_filter_type: match filter {
                        None => None,
                        Some(f) => Some(GroupFilterType::parse(&f).ok_or_else(|| StoreError::Corrupt(format!("unknown group_filter_type {f:?}")))?),
                    },
                    system: get(row, "system")?,
                    created: ts(row, "created")?,
                    last_updated: ts(row, "last_updated")?,
                })
            }

            fn policy_from_row(row: &DbRow) -> StoreResult<Policy> {
                Ok(Policy {
                    id: get(row, "id")?,
                    auth_server_id: get(row, "auth_server_id")?,
                    name: get(row, "name")?,
                    description: get(row, "description")?,
                    priority: get(row, "priority")?,
                    status: parsed(row, "status", LifecycleStatus::parse)?,
                    system: get(row, "system")?,
                    conditions: json(row, "conditions")?,
                    created: ts(row, "created")?,
                    last_updated: ts(row, "last_updated")?,
                })
            }

            fn rule_from_row(row: &DbRow) -> StoreResult<PolicyRule> {
                Ok(PolicyRule {
                    id: get(row, "id")?,
                    policy_id: get(row, "policy_id")?,
                    name: get(row, "name")?,
                    priority: get(row, "priority")?,
                    status: parsed(row, "status", LifecycleStatus::parse)?,
                    system: get(row, "system")?,
                    conditions: json(row, "conditions")?,
                    actions: json(row, "actions")?,
                    created: ts(row, "created")?,
                    last_updated: ts(row, "last_updated")?,
                })
            }

            /// Locks a parent row for the rest of the transaction; false if it does not exist.
            async fn lock(tx: &mut Tx<'_>, sql: &'static str, id: &str) -> StoreResult<bool> {
                let done = sqlx::query(sql).bind(id).execute(&mut **tx).await.map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn ids(tx: &mut Tx<'_>, sql: &'static str, parent: &str) -> StoreResult<Vec<String>> {
                let rows = sqlx::query(sql).bind(parent).fetch_all(&mut **tx).await.map_err(db_err)?;
                rows.iter().map(|r| get::<String>(r, "id")).collect()
            }

            /// Sets priority i + 1 on the i-th id where it differs.
            async fn renumber(tx: &mut Tx<'_>, sql: &'static str, order: &[String]) -> StoreResult<()> {
                for (i, id) in order.iter().enumerate() {
                    sqlx::query(sql).bind(id).bind(i as i64 + 1).execute(&mut **tx).await.map_err(db_err)?;
                }
                Ok(())
            }

            const LOCK_SERVER: &str = "UPDATE authorization_servers SET last_updated = last_updated WHERE id = $1";
            const LOCK_POLICY: &str = "UPDATE auth_server_policies SET last_updated = last_updated WHERE id = $1";
            const POLICY_IDS: &str = "SELECT id FROM auth_server_policies WHERE auth_server_id = $1 ORDER BY priority, id";
            const RULE_IDS: &str = "SELECT id FROM auth_server_policy_rules WHERE policy_id = $1 ORDER BY priority, id";
            const SET_POLICY_PRIORITY: &str = "UPDATE auth_server_policies SET priority = $2 WHERE id = $1 AND priority <> $2";
            const SET_RULE_PRIORITY: &str = "UPDATE auth_server_policy_rules SET priority = $2 WHERE id = $1 AND priority <> $2";

            async fn insert_scope_with(tx: &mut Tx<'_>, s: &Scope, if_absent: bool) -> StoreResult<bool> {
                let sql = if if_absent {
                    "INSERT INTO auth_server_scopes (id, auth_server_id, name, display_name, description, consent, is_default, \
                     metadata_publish, system, created, last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT DO NOTHING"
                } else {
                    "INSERT INTO auth_server_scopes (id, auth_server_id, name, display_name, description, consent, is_default, \
                     metadata_publish, system, created, last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                };
                let done = sqlx::query(sql)
                    .bind(&s.id)
                    .bind(&s.auth_server_id)
                    .bind(&s.name)
                    .bind(&s.display_name)
                    .bind(&s.description)
                    .bind(s.consent.as_str())
                    .bind(s.default)
                    .bind(s.metadata_publish.as_str())
                    .bind(s.system)
                    .bind(to_millis(s.created))
                    .bind(to_millis(s.last_updated))
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            }

            #[async_trait]
            impl AuthServerAdminStore for $store {
                async fn insert_auth_server(&self, s: &AuthorizationServer, scopes: &[Scope]) -> StoreResult<()> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO authorization_servers \
                         (id, kind, name, description, audiences, status, signing_alg, created, last_updated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    for scope in scopes {
                        insert_scope_with(&mut tx, scope, false).await?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn update_auth_server(&self, s: &AuthorizationServer) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE authorization_servers SET name = $2, description = $3, audiences = $4, status = $5, \
                         last_updated = $6, signing_alg = $7 WHERE id = $1",
                    )
                    .bind(&s.id)
                    .bind(&s.name)
                    .bind(&s.description)
                    .bind(to_json(&s.audiences)?)
                    .bind(s.status.as_str())
                    .bind(to_millis(s.last_updated))
                    .bind(s.signing_alg.as_str())
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_auth_server(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    // Scopes, claims, policies (and through them rules) and keys go by ON DELETE CASCADE.
                    let done = sqlx::query("DELETE FROM authorization_servers WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    sqlx::query("INSERT INTO deleted_auth_servers (id, deleted) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(to_millis(at))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }

                async fn auth_server_deleted(&self, id: &str) -> StoreResult<bool> {
                    let row = sqlx::query("SELECT id FROM deleted_auth_servers WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(row.is_some())
                }

                async fn search_auth_servers(&self, kind: AuthServerKind, name_prefix: Option<&str>, req: &PageRequest) -> StoreResult<Page<AuthorizationServer>> {
                    let pattern = crate::sql_authz::prefix_pattern(name_prefix.unwrap_or(""));
                    let rows = sqlx::query(
                        "SELECT * FROM authorization_servers WHERE kind = $1 AND id > $2 AND lower(name) LIKE $3 ESCAPE '\\' \
                         ORDER BY id LIMIT $4",
                    )
                    .bind(kind.as_str())
                    .bind(req.after.clone().unwrap_or_default())
                    .bind(pattern)
                    .bind(i64::from(req.limit) + 1)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                    let items = rows.iter().map(server_from_row).collect::<StoreResult<Vec<_>>>()?;
                    Ok(Page::from_overfetch(items, req.limit, |s| s.id.clone()))
                }
            }

            #[async_trait]
            impl ScopeStore for $store {
                async fn scopes(&self, auth_server_id: &str) -> StoreResult<Vec<Scope>> {
                    let rows = sqlx::query("SELECT * FROM auth_server_scopes WHERE auth_server_id = $1 ORDER BY name")
                        .bind(auth_server_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.iter().map(scope_from_row).collect()
                }

                async fn scope(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Scope>> {
                    let row = sqlx::query("SELECT * FROM auth_server_scopes WHERE auth_server_id = $1 AND id = $2")
                        .bind(auth_server_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.as_ref().map(scope_from_row).transpose()
                }

                async fn insert_scope(&self, scope: &Scope) -> StoreResult<()> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    insert_scope_with(&mut tx, scope, false).await?;
                    tx.commit().await.map_err(db_err)
                }

                async fn insert_scopes_if_absent(&self, scopes: &[Scope]) -> StoreResult<u64> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    let mut n = 0;
                    for scope in scopes {
                        // Not for a server that does not exist (deleted meanwhile).
                        if lock(&mut tx, LOCK_SERVER, &scope.auth_server_id).await? && insert_scope_with(&mut tx, scope, true).await? {
                            n += 1;
                        }
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(n)
                }

                async fn update_scope(&self, s: &Scope) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE auth_server_scopes SET name = $3, display_name = $4, description = $5, consent = $6, \
                         is_default = $7, metadata_publish = $8, last_updated = $9 WHERE auth_server_id = $1 AND id = $2",
                    )
                    .bind(&s.auth_server_id)
                    .bind(&s.id)
                    .bind(&s.name)
                    .bind(&s.display_name)
                    .bind(&s.description)
                    .bind(s.consent.as_str())
                    .bind(s.default)
                    .bind(s.metadata_publish.as_str())
                    .bind(to_millis(s.last_updated))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_scope(&self, auth_server_id: &str, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM auth_server_scopes WHERE auth_server_id = $1 AND id = $2")
                        .bind(auth_server_id)
                        .bind(id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }
            }

            #[async_trait]
            impl ClaimStore for $store {
                async fn claims(&self, auth_server_id: &str) -> StoreResult<Vec<Claim>> {
                    let rows = sqlx::query("SELECT * FROM auth_server_claims WHERE auth_server_id = $1 ORDER BY name, claim_type")
                        .bind(auth_server_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.iter().map(claim_from_row).collect()
                }

                async fn claim(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Claim>> {
                    let row = sqlx::query("SELECT * FROM auth_server_claims WHERE auth_server_id = $1 AND id = $2")
                        .bind(auth_server_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.as_ref().map(claim_from_row).transpose()
                }

                async fn insert_claim(&self, c: &Claim) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO auth_server_claims (id, auth_server_id, name, status, claim_type, value_type, value, \
                         always_include_in_token, scopes, group_filter_type, system, created, last_updated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(&c.id)
                    .bind(&c.auth_server_id)
                    .bind(&c.name)
                    .bind(c.status.as_str())
                    .bind(c.claim_type.as_str())
                    .bind(c.value_type.as_str())
                    .bind(&c.value)
                    .bind(c.always_include_in_token)
                    .bind(to_json(&c.scopes)?)
                    .bind(c.group_filter_type.map(|f| f.as_str()))
                    .bind(c.system)
                    .bind(to_millis(c.created))
                    .bind(to_millis(c.last_updated))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn update_claim(&self, c: &Claim) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE auth_server_claims SET name = $3, status = $4, claim_type = $5, value_type = $6, value = $7, \
                         always_include_in_token = $8, scopes = $9, group_filter_type = $10, last_updated = $11 \
                         WHERE auth_server_id = $1 AND id = $2",
                    )
                    .bind(&c.auth_server_id)
                    .bind(&c.id)
                    .bind(&c.name)
                    .bind(c.status.as_str())
                    .bind(c.claim_type.as_str())
                    .bind(c.value_type.as_str())
                    .bind(&c.value)
                    .bind(c.always_include_in_token)
                    .bind(to_json(&c.scopes)?)
                    .bind(c.group_filter_type.map(|f| f.as_str()))
                    .bind(to_millis(c.last_updated))
                    .execute(&self.writes)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_claim(&self, auth_server_id: &str, id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM auth_server_claims WHERE auth_server_id = $1 AND id = $2")
                        .bind(auth_server_id)
                        .bind(id)
                        .execute(&self.writes)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }
            }

            async fn read_policy(tx: &mut Tx<'_>, id: &str) -> StoreResult<Option<Policy>> {
                let row = sqlx::query("SELECT * FROM auth_server_policies WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(policy_from_row).transpose()
            }

            async fn read_rule(tx: &mut Tx<'_>, id: &str) -> StoreResult<Option<PolicyRule>> {
                let row = sqlx::query("SELECT * FROM auth_server_policy_rules WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(rule_from_row).transpose()
            }

            #[async_trait]
            impl PolicyAdminStore for $store {
                async fn policy(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Policy>> {
                    let row = sqlx::query("SELECT * FROM auth_server_policies WHERE auth_server_id = $1 AND id = $2")
                        .bind(auth_server_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.as_ref().map(policy_from_row).transpose()
                }

                async fn insert_policy(&self, p: &Policy) -> StoreResult<Option<Policy>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock(&mut tx, LOCK_SERVER, &p.auth_server_id).await? {
                        return Ok(None);
                    }
                    let order = priority::place(&ids(&mut tx, POLICY_IDS, &p.auth_server_id).await?, &p.id, Some(p.priority));
                    sqlx::query(
                        "INSERT INTO auth_server_policies \
                         (id, auth_server_id, name, description, priority, status, system, conditions, created, last_updated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&p.id)
                    .bind(&p.auth_server_id)
                    .bind(&p.name)
                    .bind(&p.description)
                    .bind(position(&order, &p.id))
                    .bind(p.status.as_str())
                    .bind(p.system)
                    .bind(to_json(&p.conditions)?)
                    .bind(to_millis(p.created))
                    .bind(to_millis(p.last_updated))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    renumber(&mut tx, SET_POLICY_PRIORITY, &order).await?;
                    let stored = read_policy(&mut tx, &p.id).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn update_policy(&self, p: &Policy) -> StoreResult<Option<Policy>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock(&mut tx, LOCK_SERVER, &p.auth_server_id).await? {
                        return Ok(None);
                    }
                    let done = sqlx::query(
                        "UPDATE auth_server_policies SET name = $3, description = $4, status = $5, conditions = $6, \
                         last_updated = $7 WHERE auth_server_id = $1 AND id = $2",
                    )
                    .bind(&p.auth_server_id)
                    .bind(&p.id)
                    .bind(&p.name)
                    .bind(&p.description)
                    .bind(p.status.as_str())
                    .bind(to_json(&p.conditions)?)
                    .bind(to_millis(p.last_updated))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Ok(None);
                    }
                    let order = priority::place(&ids(&mut tx, POLICY_IDS, &p.auth_server_id).await?, &p.id, Some(p.priority));
                    renumber(&mut tx, SET_POLICY_PRIORITY, &order).await?;
                    let stored = read_policy(&mut tx, &p.id).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn delete_policy(&self, auth_server_id: &str, id: &str) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock(&mut tx, LOCK_SERVER, auth_server_id).await? {
                        return Ok(false);
                    }
                    let done = sqlx::query("DELETE FROM auth_server_policies WHERE auth_server_id = $1 AND id = $2")
                        .bind(auth_server_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    let order = ids(&mut tx, POLICY_IDS, auth_server_id).await?;
                    renumber(&mut tx, SET_POLICY_PRIORITY, &order).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }

                async fn policy_rule(&self, policy_id: &str, id: &str) -> StoreResult<Option<PolicyRule>> {
                    let row = sqlx::query("SELECT * FROM auth_server_policy_rules WHERE policy_id = $1 AND id = $2")
                        .bind(policy_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.as_ref().map(rule_from_row).transpose()
                }

                async fn insert_rule(&self, r: &PolicyRule) -> StoreResult<Option<PolicyRule>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock(&mut tx, LOCK_POLICY, &r.policy_id).await? {
                        return Ok(None);
                    }
                    let order = priority::place(&ids(&mut tx, RULE_IDS, &r.policy_id).await?, &r.id, Some(r.priority));
                    sqlx::query(
                        "INSERT INTO auth_server_policy_rules \
                         (id, policy_id, name, priority, status, system, conditions, actions, created, last_updated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&r.id)
                    .bind(&r.policy_id)
                    .bind(&r.name)
                    .bind(position(&order, &r.id))
                    .bind(r.status.as_str())
                    .bind(r.system)
                    .bind(to_json(&r.conditions)?)
                    .bind(to_json(&r.actions)?)
                    .bind(to_millis(r.created))
                    .bind(to_millis(r.last_updated))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    renumber(&mut tx, SET_RULE_PRIORITY, &order).await?;
                    let stored = read_rule(&mut tx, &r.id).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn update_rule(&self, r: &PolicyRule) -> StoreResult<Option<PolicyRule>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock(&mut tx, LOCK_POLICY, &r.policy_id).await? {
                        return Ok(None);
                    }
                    let done = sqlx::query(
                        "UPDATE auth_server_policy_rules SET name = $3, status = $4, conditions = $5, actions = $6, \
                         last_updated = $7 WHERE policy_id = $1 AND id = $2",
                    )
                    .bind(&r.policy_id)
                    .bind(&r.id)
                    .bind(&r.name)
                    .bind(r.status.as_str())
                    .bind(to_json(&r.conditions)?)
                    .bind(to_json(&r.actions)?)
                    .bind(to_millis(r.last_updated))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Ok(None);
                    }
                    let order = priority::place(&ids(&mut tx, RULE_IDS, &r.policy_id).await?, &r.id, Some(r.priority));
                    renumber(&mut tx, SET_RULE_PRIORITY, &order).await?;
                    let stored = read_rule(&mut tx, &r.id).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn delete_rule(&self, policy_id: &str, id: &str) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock(&mut tx, LOCK_POLICY, policy_id).await? {
                        return Ok(false);
                    }
                    let done = sqlx::query("DELETE FROM auth_server_policy_rules WHERE policy_id = $1 AND id = $2")
                        .bind(policy_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    let order = ids(&mut tx, RULE_IDS, policy_id).await?;
                    renumber(&mut tx, SET_RULE_PRIORITY, &order).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }
            }
        }
    };
}

pub(crate) use authz_sql;
