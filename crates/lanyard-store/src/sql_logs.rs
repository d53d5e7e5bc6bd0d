//! The system log's SQL, for both backends (`log_sql!`), beside `sql.rs`. Filters compile to parameterised
//! conditions over the denormalised columns of `log_events`; the meaning is `lanyard_core::syslog::eval`'s.

use lanyard_core::directory::filter::{Expr, Op, Value};
use lanyard_core::syslog::LogQuery;
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::user_query::Dialect;

/// The column an attribute reads, and whether it holds `|`-joined target values.
fn column(attr: &str) -> Option<(&'static str, bool)> {
    Some(match attr {
        "eventType" => ("event_type", false),
        "displayMessage" => ("display_message", false),
        "severity" => ("severity", false),
        "uuid" => ("uuid", false),
        "outcome.result" => ("outcome_result", false),
        "outcome.reason" => ("outcome_reason", false),
        "actor.id" => ("actor_id", false),
        "actor.type" => ("actor_type", false),
        "actor.alternateId" => ("actor_alternate_id", false),
        "client.ipAddress" => ("client_ip", false),
        "target.id" => ("target_ids", true),
        "target.type" => ("target_types", true),
        "target.alternateId" => ("target_alternate_ids", true),
        _ => return None,
    })
}

/// `|`-joined, with a leading and trailing `|`.
pub(crate) fn joined<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::from("|");
    for v in values {
        s.push_str(v);
        s.push('|');
    }
    s
}

/// Appends the conditions of `query` (no cursor), starting with `AND`.
pub(crate) fn push_log_query<DB>(qb: &mut QueryBuilder<DB>, query: &LogQuery, d: &Dialect)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    if let Some(since) = query.since {
        qb.push(" AND published >= ")
            .push_bind(since.timestamp_millis());
    }
    if let Some(until) = query.until {
        qb.push(" AND published < ")
            .push_bind(until.timestamp_millis());
    }
    for word in &query.q {
        qb.push(" AND ")
            .push(d.contains_fn)
            .push("(search_text, ")
            .push_bind(word.to_lowercase())
            .push(") > 0");
    }
    if let Some(f) = &query.filter {
        qb.push(" AND ");
        push_expr(qb, f, d);
    }
}

fn push_expr<DB>(qb: &mut QueryBuilder<DB>, expr: &Expr, d: &Dialect)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => {
            qb.push("(");
            push_expr(qb, a, d);
            qb.push(if matches!(expr, Expr::And(..)) {
                " AND "
            } else {
                " OR "
            });
            push_expr(qb, b, d);
            qb.push(")");
        }
        Expr::Not(a) => {
            qb.push("(NOT ");
            push_expr(qb, a, d);
            qb.push(")");
        }
        Expr::Present { attr } => match column(attr) {
            Some((col, true)) => {
                qb.push("(").push(col).push(" <> '|')");
            }
            Some((col, false)) => {
                qb.push("(").push(col).push(" IS NOT NULL)");
            }
            None => {
                qb.push("1 = 0");
            }
        },
        Expr::Compare {
            attr,
            op,
            value: Value::String(v),
        } => {
            let Some((col, many)) = column(attr) else {
                qb.push("1 = 0");
                return;
            };
            qb.push("COALESCE(");
            match (op, many) {
                (Op::Eq, false) => {
                    qb.push(col).push(" = ").push_bind(v.clone());
                }
                (Op::Sw, false) => {
                    qb.push("substr(")
                        .push(col)
                        .push(", 1, length(")
                        .push_bind(v.clone())
                        .push(")) = ");
                    qb.push_bind(v.clone());
                }
                (Op::Eq, true) => {
                    qb.push(d.contains_fn)
                        .push("(")
                        .push(col)
                        .push(", ")
                        .push_bind(format!("|{v}|"))
                        .push(") > 0");
                }
                (Op::Sw, true) => {
                    qb.push(d.contains_fn)
                        .push("(")
                        .push(col)
                        .push(", ")
                        .push_bind(format!("|{v}"))
                        .push(") > 0");
                }
                (Op::Co, _) => {
                    qb.push(d.contains_fn)
                        .push("(")
                        .push(col)
                        .push(", ")
                        .push_bind(v.clone())
                        .push(") > 0");
                }
                _ => {
                    qb.push("1 = 0");
                }
            }
            qb.push(", FALSE)");
        }
        Expr::Compare { .. } => {
            qb.push("1 = 0");
        }
    }
}

macro_rules! log_sql {
    ($store:ident, $db:ty, $begin:literal, $dialect:path) => {
        mod log_impl {
            use async_trait::async_trait;
            use lanyard_core::clock::{from_millis, to_millis};
            use lanyard_core::model::{Page, PageRequest};
            use lanyard_core::store::{StoreError, StoreResult};
            use lanyard_core::syslog::{LogEvent, LogQuery, LogStore, Party, Severity, SortOrder, search_text};
            use sqlx::Row;

            use super::$store;
            use crate::error::db_err;
            use crate::sql_logs::joined;

            type DbRow = <$db as sqlx::Database>::Row;

            fn severity(s: &str) -> Severity {
                match s {
                    "DEBUG" => Severity::Debug,
                    "WARN" => Severity::Warn,
                    "ERROR" => Severity::Error,
                    _ => Severity::Info,
                }
            }

            fn party_json(p: &Party) -> serde_json::Value {
                serde_json::json!([p.id, p.kind, p.alternate_id, p.display_name])
            }

            fn party_from(v: &serde_json::Value) -> Party {
                let s = |i: usize| v.get(i).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
                Party { id: s(0), kind: s(1), alternate_id: s(2), display_name: s(3) }
            }

            fn event_from_row(row: &DbRow) -> StoreResult<LogEvent> {
                let g = |c: &str| -> StoreResult<String> { row.try_get::<String, _>(c).map_err(db_err) };
                let targets: serde_json::Value =
                    serde_json::from_str(&g("targets")?).map_err(|e| StoreError::Corrupt(format!("targets: {e}")))?;
                Ok(LogEvent {
                    uuid: g("uuid")?,
                    published: from_millis(row.try_get::<i64, _>("published").map_err(db_err)?),
                    event_type: g("event_type")?,
                    display_message: g("display_message")?,
                    severity: severity(&g("severity")?),
                    actor: Party {
                        id: g("actor_id")?,
                        kind: g("actor_type")?,
                        alternate_id: g("actor_alternate_id")?,
                        display_name: g("actor_display_name")?,
                    },
                    client_ip: row.try_get::<Option<String>, _>("client_ip").map_err(db_err)?,
                    user_agent: row.try_get::<Option<String>, _>("user_agent").map_err(db_err)?,
                    outcome: g("outcome_result")?,
                    reason: row.try_get::<Option<String>, _>("outcome_reason").map_err(db_err)?,
                    targets: targets.as_array().map(|a| a.iter().map(party_from).collect()).unwrap_or_default(),
                })
            }

            #[async_trait]
            impl LogStore for $store {
                async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()> {
                    let mut tx = self.writes.begin_with($begin).await.map_err(db_err)?;
                    for e in events {
                        let targets = serde_json::Value::Array(e.targets.iter().map(party_json).collect());
                        sqlx::query(
                            "INSERT INTO log_events (uuid, published, event_type, severity, display_message, \
                             outcome_result, outcome_reason, actor_id, actor_type, actor_alternate_id, actor_display_name, \
                             client_ip, user_agent, targets, target_ids, target_types, target_alternate_ids, search_text) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(&e.uuid)
                        .bind(to_millis(e.published))
                        .bind(&e.event_type)
                        .bind(e.severity.as_str())
                        .bind(&e.display_message)
                        .bind(&e.outcome)
                        .bind(&e.reason)
                        .bind(&e.actor.id)
                        .bind(&e.actor.kind)
                        .bind(&e.actor.alternate_id)
                        .bind(&e.actor.display_name)
                        .bind(&e.client_ip)
                        .bind(&e.user_agent)
                        .bind(targets.to_string())
                        .bind(joined(e.targets.iter().map(|t| t.id.as_str())))
                        .bind(joined(e.targets.iter().map(|t| t.kind.as_str())))
                        .bind(joined(e.targets.iter().map(|t| t.alternate_id.as_str())))
                        .bind(search_text(e))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn list_log_events(&self, query: &LogQuery, req: &PageRequest) -> StoreResult<Page<LogEvent>> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT * FROM log_events WHERE 1 = 1");
                    if let Some(after) = &req.after {
                        qb.push(if query.order == SortOrder::Ascending { " AND uuid > " } else { " AND uuid < " });
                        qb.push_bind(after.clone());
                    }
                    crate::sql_logs::push_log_query(&mut qb, query, &$dialect);
                    qb.push(if query.order == SortOrder::Ascending { " ORDER BY uuid" } else { " ORDER BY uuid DESC" });
                    qb.push(" LIMIT ").push_bind(i64::from(req.limit) + 1);
                    let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                    let items = rows.iter().map(event_from_row).collect::<StoreResult<Vec<_>>>()?;
                    Ok(Page::from_overfetch(items, req.limit, |e| e.uuid.clone()))
                }
            }
        }
    };
}

pub(crate) use log_sql;
