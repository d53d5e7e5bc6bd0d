//! The SQL of Okta sign-on policies and their rules (`signon_sql!`), for both backends. Priorities as in
//! `sql_authz.rs` — lock, read the siblings in order, place with `lanyard_core::authz::priority::place_pinned` (the
//! system Default Policy and Default Rule stay last), renumber what moved — except that policies have no parent row
//! to lock: a policy write takes `$lock` first (PostgreSQL: a transaction-scoped advisory lock; SQLite: nothing, as
//! `BEGIN IMMEDIATE` already holds the write lock).

macro_rules! signon_sql {
    ($store:ident, $db:ty, $begin:literal, $lock:literal) => {
        mod signon_impl {
            use async_trait::async_trait;
            use lanyard_core::authz::priority::{place_pinned, position};
            use lanyard_core::clock::{from_millis, to_millis};
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
            fn json(row: &DbRow, col: &str) -> StoreResult<serde_json::Value> {
                let text: String = get(row, col)?;
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
            }
            fn to_json(v: &serde_json::Value) -> StoreResult<String> {
                serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
            }
            fn status(row: &DbRow) -> StoreResult<LifecycleStatus> {
                let s: String = get(row, "status")?;
                LifecycleStatus::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("unknown status {s:?}")))
            }

            fn policy_from_row(row: &DbRow) -> StoreResult<SignOnPolicy> {
                Ok(SignOnPolicy {
                    id: get(row, "id")?,
                    name: get(row, "name")?,
                    description: get(row, "description")?,
                    priority: get(row, "priority")?,
                    status: status(row)?,
                    system: get(row, "system")?,
                    conditions: json(row, "conditions")?,
                    created: from_millis(get(row, "created")?),
                    last_updated: from_millis(get(row, "last_updated")?),
                })
            }

            fn rule_from_row(row: &DbRow) -> StoreResult<PolicyRule> {
                Ok(PolicyRule {
                    id: get(row, "id")?,
                    policy_id: get(row, "policy_id")?,
                    name: get(row, "name")?,
                    priority: get(row, "priority")?,
                    status: status(row)?,
                    system: get(row, "system")?,
                    conditions: json(row, "conditions")?,
                    actions: json(row, "actions")?,
                    created: from_millis(get(row, "created")?),
                    last_updated: from_millis(get(row, "last_updated")?),
                })
            }

            const POLICY_ORDER: &str = "SELECT id, system FROM signon_policies ORDER BY priority, id";
            const RULE_ORDER: &str =
                "SELECT id, system FROM signon_policy_rules WHERE policy_id = $1 ORDER BY priority, id";
            const SET_POLICY_PRIORITY: &str =
                "UPDATE signon_policies SET priority = $2 WHERE id = $1 AND priority <> $2";
            const SET_RULE_PRIORITY: &str =
                "UPDATE signon_policy_rules SET priority = $2 WHERE id = $1 AND priority <> $2";
            const LOCK_POLICY: &str = "UPDATE signon_policies SET last_updated = last_updated WHERE id = $1";

            /// Serialises policy writers (see the module's documentation).
            async fn lock_policies(tx: &mut Tx<'_>) -> StoreResult<()> {
                if !$lock.is_empty() {
                    sqlx::query($lock).execute(&mut **tx).await.map_err(db_err)?;
                }
                Ok(())
            }

            /// Locks a policy row for its rules' writes; false if there is no such policy.
            async fn lock_policy(tx: &mut Tx<'_>, id: &str) -> StoreResult<bool> {
                let done = sqlx::query(LOCK_POLICY).bind(id).execute(&mut **tx).await.map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn policy_order(tx: &mut Tx<'_>) -> StoreResult<Vec<(String, bool)>> {
                let rows = sqlx::query(POLICY_ORDER).fetch_all(&mut **tx).await.map_err(db_err)?;
                rows.iter().map(|r| Ok((get::<String>(r, "id")?, get::<bool>(r, "system")?))).collect()
            }

            async fn rule_order(tx: &mut Tx<'_>, policy_id: &str) -> StoreResult<Vec<(String, bool)>> {
                let rows = sqlx::query(RULE_ORDER).bind(policy_id).fetch_all(&mut **tx).await.map_err(db_err)?;
                rows.iter().map(|r| Ok((get::<String>(r, "id")?, get::<bool>(r, "system")?))).collect()
            }

            async fn renumber(tx: &mut Tx<'_>, sql: &'static str, order: &[String]) -> StoreResult<()> {
                for (i, id) in order.iter().enumerate() {
                    sqlx::query(sql).bind(id).bind(i as i64 + 1).execute(&mut **tx).await.map_err(db_err)?;
                }
                Ok(())
            }

            async fn read_policy(tx: &mut Tx<'_>, id: &str) -> StoreResult<Option<SignOnPolicy>> {
                let row = sqlx::query("SELECT * FROM signon_policies WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(policy_from_row).transpose()
            }

            async fn read_rule(tx: &mut Tx<'_>, id: &str) -> StoreResult<Option<PolicyRule>> {
                let row = sqlx::query("SELECT * FROM signon_policy_rules WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(rule_from_row).transpose()
            }

            /// Inserts a policy row at `priority` (the caller renumbers); false on an id already taken when
            /// `if_absent`.
            async fn insert_policy_row(tx: &mut Tx<'_>, p: &SignOnPolicy, priority: i64, if_absent: bool) -> StoreResult<bool> {
                let sql = if if_absent {
                    "INSERT INTO signon_policies (id, name, description, priority, status, system, conditions, created, \
                     last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
                } else {
                    "INSERT INTO signon_policies (id, name, description, priority, status, system, conditions, created, \
                     last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                };
                let done = sqlx::query(sql)
                    .bind(&p.id)
                    .bind(&p.name)
                    .bind(&p.description)
                    .bind(priority)
                    .bind(p.status.as_str())
                    .bind(p.system)
                    .bind(to_json(&p.conditions)?)
                    .bind(to_millis(p.created))
                    .bind(to_millis(p.last_updated))
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_rule_row(tx: &mut Tx<'_>, r: &PolicyRule, priority: i64) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO signon_policy_rules \
                     (id, policy_id, name, priority, status, system, conditions, actions, created, last_updated) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&r.id)
                .bind(&r.policy_id)
                .bind(&r.name)
                .bind(priority)
                .bind(r.status.as_str())
                .bind(r.system)
                .bind(to_json(&r.conditions)?)
                .bind(to_json(&r.actions)?)
                .bind(to_millis(r.created))
                .bind(to_millis(r.last_updated))
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            /// Inserts a rule in a locked policy at its place; renumbers its siblings.
            async fn place_rule(tx: &mut Tx<'_>, r: &PolicyRule) -> StoreResult<()> {
                let order = place_pinned(&rule_order(tx, &r.policy_id).await?, &r.id, r.system, Some(r.priority));
                insert_rule_row(tx, r, position(&order, &r.id)).await?;
                renumber(tx, SET_RULE_PRIORITY, &order).await
            }

            #[async_trait]
            impl SignOnPolicyStore for $store {
                async fn insert_signon_policy_if_absent(&self, p: &SignOnPolicy, rules: &[PolicyRule]) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    lock_policies(&mut tx).await?;
                    let order = place_pinned(&policy_order(&mut tx).await?, &p.id, p.system, Some(p.priority));
                    if !insert_policy_row(&mut tx, p, position(&order, &p.id), true).await? {
                        return Ok(false);
                    }
                    renumber(&mut tx, SET_POLICY_PRIORITY, &order).await?;
                    for r in rules {
                        place_rule(&mut tx, r).await?;
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }

                async fn signon_policies(&self) -> StoreResult<Vec<SignOnPolicy>> {
                    let rows = sqlx::query("SELECT * FROM signon_policies ORDER BY priority, id")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.iter().map(policy_from_row).collect()
                }

                async fn signon_policy(&self, id: &str) -> StoreResult<Option<SignOnPolicy>> {
                    let row = sqlx::query("SELECT * FROM signon_policies WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.as_ref().map(policy_from_row).transpose()
                }

                async fn insert_signon_policy(&self, p: &SignOnPolicy) -> StoreResult<SignOnPolicy> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    lock_policies(&mut tx).await?;
                    let order = place_pinned(&policy_order(&mut tx).await?, &p.id, p.system, Some(p.priority));
                    insert_policy_row(&mut tx, p, position(&order, &p.id), false).await?;
                    renumber(&mut tx, SET_POLICY_PRIORITY, &order).await?;
                    let stored = read_policy(&mut tx, &p.id)
                        .await?
                        .ok_or_else(|| StoreError::Backend("inserted policy not found".into()))?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn update_signon_policy(&self, p: &SignOnPolicy) -> StoreResult<Option<SignOnPolicy>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    lock_policies(&mut tx).await?;
                    let done = sqlx::query(
                        "UPDATE signon_policies SET name = $2, description = $3, status = $4, conditions = $5, \
                         last_updated = $6 WHERE id = $1",
                    )
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
                    let current = policy_order(&mut tx).await?;
                    let system = current.iter().any(|(id, s)| *id == p.id && *s);
                    let order = place_pinned(&current, &p.id, system, Some(p.priority));
                    renumber(&mut tx, SET_POLICY_PRIORITY, &order).await?;
                    let stored = read_policy(&mut tx, &p.id).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn delete_signon_policy(&self, id: &str) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    lock_policies(&mut tx).await?;
                    // Rules go by ON DELETE CASCADE.
                    let done = sqlx::query("DELETE FROM signon_policies WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    let order: Vec<String> = policy_order(&mut tx).await?.into_iter().map(|(id, _)| id).collect();
                    renumber(&mut tx, SET_POLICY_PRIORITY, &order).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }

                async fn signon_rules(&self, policy_id: &str) -> StoreResult<Vec<PolicyRule>> {
                    let rows = sqlx::query("SELECT * FROM signon_policy_rules WHERE policy_id = $1 ORDER BY priority, id")
                        .bind(policy_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.iter().map(rule_from_row).collect()
                }

                async fn signon_rule(&self, policy_id: &str, id: &str) -> StoreResult<Option<PolicyRule>> {
                    let row = sqlx::query("SELECT * FROM signon_policy_rules WHERE policy_id = $1 AND id = $2")
                        .bind(policy_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.as_ref().map(rule_from_row).transpose()
                }

                async fn insert_signon_rule(&self, r: &PolicyRule) -> StoreResult<Option<PolicyRule>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock_policy(&mut tx, &r.policy_id).await? {
                        return Ok(None);
                    }
                    place_rule(&mut tx, r).await?;
                    let stored = read_rule(&mut tx, &r.id).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn update_signon_rule(&self, r: &PolicyRule) -> StoreResult<Option<PolicyRule>> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock_policy(&mut tx, &r.policy_id).await? {
                        return Ok(None);
                    }
                    let done = sqlx::query(
                        "UPDATE signon_policy_rules SET name = $3, status = $4, conditions = $5, actions = $6, \
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
                    let current = rule_order(&mut tx, &r.policy_id).await?;
                    let system = current.iter().any(|(id, s)| *id == r.id && *s);
                    let order = place_pinned(&current, &r.id, system, Some(r.priority));
                    renumber(&mut tx, SET_RULE_PRIORITY, &order).await?;
                    let stored = read_rule(&mut tx, &r.id).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn delete_signon_rule(&self, policy_id: &str, id: &str) -> StoreResult<bool> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    if !lock_policy(&mut tx, policy_id).await? {
                        return Ok(false);
                    }
                    let done = sqlx::query("DELETE FROM signon_policy_rules WHERE policy_id = $1 AND id = $2")
                        .bind(policy_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    let order: Vec<String> =
                        rule_order(&mut tx, policy_id).await?.into_iter().map(|(id, _)| id).collect();
                    renumber(&mut tx, SET_RULE_PRIORITY, &order).await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }
            }
        }
    };
}

pub(crate) use signon_sql;
