//! Compiles a user query (`q`, `filter`, `search`) into a parameterised `WHERE` clause. The SQL text comes only
//! from this file; every value from the request is a bound parameter. The meaning of each comparison is the one
//! `lanyard_core::directory::users` defines (and the in-memory store evaluates): comparisons with a missing attribute
//! are false, never NULL, so `not` behaves the same everywhere.

use lanyard_core::directory::filter::{Expr, Op, Value};
use lanyard_core::directory::users::{Attribute, UserQuery, timestamp};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// How a backend reads the JSON profile column.
pub(crate) struct Dialect {
    /// Opens an expression giving the JSON type of the attribute whose key is bound next; closed by `)`.
    pub type_of: &'static str,
    /// Opens an expression giving the attribute's text; closed by `)`.
    pub text_of: &'static str,
    /// Turns a profile attribute name into the bound key.
    pub key: fn(&str) -> String,
    /// The JSON type names: string, number types, true, false (for booleans the backend may need the value too).
    pub string_type: &'static str,
    pub number_test: &'static str,
    /// Opens a numeric view of the attribute (only evaluated when it is a number); closed by `number_close`.
    pub number_of: &'static str,
    pub number_close: &'static str,
    /// Whether the JSON type function names booleans `true`/`false` (SQLite) rather than `boolean` (PostgreSQL).
    pub typed_booleans: bool,
    /// `instr` / `strpos`.
    pub contains_fn: &'static str,
    /// Appended to text comparisons that order (`gt`, `lt`, …) so both backends order bytewise.
    pub collate: &'static str,
}

pub(crate) const SQLITE: Dialect = Dialect {
    type_of: "json_type(profile, ",
    text_of: "json_extract(profile, ",
    key: |name| format!("$.\"{name}\""),
    string_type: "'text'",
    number_test: " IN ('integer', 'real')",
    number_of: "json_extract(profile, ",
    number_close: ")",
    typed_booleans: true,
    contains_fn: "instr",
    collate: "",
};

pub(crate) const POSTGRES: Dialect = Dialect {
    type_of: "jsonb_typeof(profile::jsonb -> ",
    text_of: "(profile::jsonb ->> ",
    key: |name| name.to_owned(),
    string_type: "'string'",
    number_test: " = 'number'",
    number_of: "((profile::jsonb ->> ",
    number_close: "))::float8",
    typed_booleans: false,
    contains_fn: "strpos",
    collate: " COLLATE \"C\"",
};

/// `%`, `_` and `\` escaped for `LIKE … ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn sql_op(op: Op) -> &'static str {
    match op {
        Op::Eq => " = ",
        Op::Ne => " <> ",
        Op::Gt => " > ",
        Op::Ge => " >= ",
        Op::Lt => " < ",
        Op::Le => " <= ",
        Op::Sw | Op::Co | Op::Ew => " = ",
    }
}

/// Appends the condition for `query` (no leading `AND`).
pub(crate) fn push_query<DB>(qb: &mut QueryBuilder<DB>, query: &UserQuery, d: &Dialect)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
{
    match query {
        UserQuery::All => {
            qb.push("1 = 1");
        }
        UserQuery::Prefix(prefix) => {
            let pattern = format!("{}%", like_escape(&prefix.to_ascii_lowercase()));
            qb.push("(lower(login) LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\'");
            for name in ["email", "firstName", "lastName"] {
                qb.push(" OR COALESCE(lower(")
                    .push(d.text_of)
                    .push_bind((d.key)(name))
                    .push(")) LIKE ");
                qb.push_bind(pattern.clone()).push(" ESCAPE '\\', FALSE)");
            }
            qb.push(")");
        }
        UserQuery::Expr(e) => push_expr(qb, e, d),
    }
}

fn push_expr<DB>(qb: &mut QueryBuilder<DB>, expr: &Expr, d: &Dialect)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
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
        Expr::Present { attr } => match Attribute::parse(attr) {
            Some(Attribute::Date(name)) => {
                qb.push("(").push(date_column(name)).push(" IS NOT NULL)");
            }
            Some(Attribute::Profile(name)) => {
                qb.push("(COALESCE(")
                    .push(d.type_of)
                    .push_bind((d.key)(name))
                    .push("), 'null') <> 'null')");
            }
            _ => {
                qb.push("1 = 0");
            }
        },
        Expr::Compare { attr, op, value } => push_compare(qb, attr, *op, value, d),
    }
}

fn date_column(name: &str) -> &'static str {
    match name {
        "created" => "created",
        "lastUpdated" => "last_updated",
        "activated" => "activated",
        "statusChanged" => "status_changed",
        "lastLogin" => "last_login",
        _ => "password_changed",
    }
}

fn push_compare<DB>(qb: &mut QueryBuilder<DB>, attr: &str, op: Op, value: &Value, d: &Dialect)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
{
    let Some(attribute) = Attribute::parse(attr) else {
        qb.push("1 = 0");
        return;
    };
    match (attribute, value) {
        (Attribute::TypeId, Value::String(v)) => {
            // Every user has the default type: the answer is known now.
            let m = lanyard_core::directory::users::text_matches(op, "default", v);
            qb.push(if m { "1 = 1" } else { "1 = 0" });
        }
        (Attribute::Status | Attribute::Id, Value::String(v)) => {
            let col = if attribute == Attribute::Status {
                "status"
            } else {
                "id"
            };
            push_exact_text(qb, col, op, v.clone(), d);
        }
        (Attribute::Date(name), Value::String(v)) => match timestamp(v) {
            Some(t) => {
                qb.push("COALESCE(")
                    .push(date_column(name))
                    .push(sql_op(op))
                    .push_bind(t.timestamp_millis());
                qb.push(", FALSE)");
            }
            None => {
                qb.push("1 = 0");
            }
        },
        (Attribute::Profile(name), Value::Null) => {
            qb.push("(COALESCE(")
                .push(d.type_of)
                .push_bind((d.key)(name))
                .push("), 'null')");
            qb.push(if op == Op::Eq {
                " = 'null')"
            } else {
                " <> 'null')"
            });
        }
        (Attribute::Profile(name), Value::String(v)) => {
            qb.push("COALESCE(CASE WHEN ")
                .push(d.type_of)
                .push_bind((d.key)(name))
                .push(") = ");
            qb.push(d.string_type)
                .push(" THEN lower(")
                .push(d.text_of)
                .push_bind((d.key)(name))
                .push("))");
            let v = v.to_ascii_lowercase();
            match op {
                Op::Sw => qb
                    .push(" LIKE ")
                    .push_bind(format!("{}%", like_escape(&v)))
                    .push(" ESCAPE '\\'"),
                Op::Co => qb
                    .push(" LIKE ")
                    .push_bind(format!("%{}%", like_escape(&v)))
                    .push(" ESCAPE '\\'"),
                Op::Ew => qb
                    .push(" LIKE ")
                    .push_bind(format!("%{}", like_escape(&v)))
                    .push(" ESCAPE '\\'"),
                _ => qb
                    .push(d.collate)
                    .push(sql_op(op))
                    .push_bind(v)
                    .push(d.collate),
            };
            qb.push(" END, FALSE)");
        }
        (Attribute::Profile(name), Value::Number(n)) => {
            qb.push("COALESCE(CASE WHEN ")
                .push(d.type_of)
                .push_bind((d.key)(name))
                .push(")")
                .push(d.number_test);
            qb.push(" THEN ")
                .push(d.number_of)
                .push_bind((d.key)(name))
                .push(d.number_close);
            qb.push(sql_op(op)).push_bind(*n).push(" END, FALSE)");
        }
        (Attribute::Profile(name), Value::Bool(b)) => {
            let want = if *b == (op == Op::Eq) {
                "true"
            } else {
                "false"
            };
            qb.push("COALESCE(")
                .push(d.type_of)
                .push_bind((d.key)(name));
            if d.typed_booleans {
                qb.push(") = ").push_bind(want.to_owned()).push(", FALSE)");
            } else {
                qb.push(") = 'boolean' AND ")
                    .push(d.text_of)
                    .push_bind((d.key)(name))
                    .push(") = ");
                qb.push_bind(want.to_owned()).push(", FALSE)");
            }
        }
        _ => {
            qb.push("1 = 0");
        }
    }
}

/// Case-sensitive text comparison of a column.
fn push_exact_text<DB>(qb: &mut QueryBuilder<DB>, col: &'static str, op: Op, v: String, d: &Dialect)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    qb.push("COALESCE(");
    match op {
        Op::Sw => {
            qb.push("substr(")
                .push(col)
                .push(", 1, length(")
                .push_bind(v.clone())
                .push(")) = ")
                .push_bind(v);
        }
        Op::Ew => {
            qb.push("(length(")
                .push(col)
                .push(") >= length(")
                .push_bind(v.clone())
                .push(") AND substr(")
                .push(col);
            qb.push(", length(")
                .push(col)
                .push(") - length(")
                .push_bind(v.clone())
                .push(") + 1) = ")
                .push_bind(v)
                .push(")");
        }
        Op::Co => {
            qb.push(d.contains_fn)
                .push("(")
                .push(col)
                .push(", ")
                .push_bind(v)
                .push(") > 0");
        }
        _ => {
            qb.push(col)
                .push(d.collate)
                .push(sql_op(op))
                .push_bind(v)
                .push(d.collate);
        }
    }
    qb.push(", FALSE)");
}
