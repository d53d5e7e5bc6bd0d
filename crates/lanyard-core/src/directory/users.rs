//! Queries over users: Okta's `q`, `filter` and `search`, their validation, and their meaning, written once here so
//! the SQL backends and the in-memory store agree (the shared storage suite checks that they do).
//!
//! Semantics of a comparison `attr op value`:
//! - `status`, `id`, `type.id`: exact text; `sw`/`co`/`ew` on the text.
//! - dates (`created`, `lastUpdated`, `activated`, `statusChanged`, `lastLogin`, `passwordChanged`): the value is an
//!   ISO-8601 timestamp; compared as instants; `pr` means "set".
//! - `profile.<name>` with a string value: case-insensitive; with a number: numeric (only number attributes match);
//!   with `true`/`false`: only boolean attributes match.
//! - A comparison with a missing attribute is false (so `ne` means "present and different", and `not (x eq v)`
//!   matches users without `x`). `pr` is true when the attribute is present and not null.

use chrono::DateTime;
use serde_json::Value as Json;

use super::filter::{Expr, Op, Value};
use crate::clock::Timestamp;
use crate::model::User;

/// A validated user list query.
#[derive(Debug, Clone, PartialEq)]
pub enum UserQuery {
    All,
    /// `q`: a case-insensitive prefix of the login, email, first or last name.
    Prefix(String),
    /// `filter` or `search`.
    Expr(Expr),
}

/// The date attributes and how to read them.
pub const DATE_ATTRIBUTES: &[&str] = &[
    "created",
    "lastUpdated",
    "activated",
    "statusChanged",
    "lastLogin",
    "passwordChanged",
];

/// What an attribute path refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute<'a> {
    Status,
    Id,
    TypeId,
    Date(&'a str),
    Profile(&'a str),
}

impl<'a> Attribute<'a> {
    pub fn parse(path: &'a str) -> Option<Self> {
        match path {
            "status" => Some(Attribute::Status),
            "id" => Some(Attribute::Id),
            "type.id" => Some(Attribute::TypeId),
            p if DATE_ATTRIBUTES.contains(&p) => Some(Attribute::Date(p)),
            p => p
                .strip_prefix("profile.")
                .filter(|n| !n.is_empty() && !n.contains('.'))
                .map(Attribute::Profile),
        }
    }
}

/// Parses an ISO-8601 timestamp as Okta writes them.
pub fn timestamp(text: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
}

/// Checks what the grammar cannot: that dates compare with timestamps and operators fit their attributes.
pub fn validate(expr: &Expr) -> Result<(), String> {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => validate(a).and_then(|()| validate(b)),
        Expr::Not(a) => validate(a),
        Expr::Present { attr } => match Attribute::parse(attr) {
            Some(Attribute::Date(_) | Attribute::Profile(_)) => Ok(()),
            Some(_) => Err(format!(
                "\"{attr}\" is always present; \"pr\" applies to dates and profile attributes"
            )),
            None => Err(format!("unknown attribute \"{attr}\"")),
        },
        Expr::Compare { attr, op, value } => {
            let attribute =
                Attribute::parse(attr).ok_or_else(|| format!("unknown attribute \"{attr}\""))?;
            match (attribute, value) {
                (Attribute::Date(_), Value::String(s)) if timestamp(s).is_some() => Ok(()),
                (Attribute::Date(_), _) => Err(format!(
                    "\"{attr}\" compares with a timestamp such as \"2026-01-31T00:00:00.000Z\""
                )),
                (Attribute::Status | Attribute::Id | Attribute::TypeId, Value::String(_)) => Ok(()),
                (Attribute::Status | Attribute::Id | Attribute::TypeId, _) => {
                    Err(format!("\"{attr}\" compares with a string"))
                }
                (Attribute::Profile(_), Value::Bool(_) | Value::Null)
                    if !matches!(op, Op::Eq | Op::Ne) =>
                {
                    Err(format!(
                        "only eq and ne compare \"{attr}\" with true, false or null"
                    ))
                }
                (Attribute::Profile(_), Value::Number(_))
                    if matches!(op, Op::Sw | Op::Co | Op::Ew) =>
                {
                    Err(format!("sw, co and ew compare \"{attr}\" with a string"))
                }
                (Attribute::Profile(_), _) => Ok(()),
            }
        }
    }
}

/// `have op want` on text, case-sensitively.
pub fn text_matches(op: Op, have: &str, want: &str) -> bool {
    match op {
        Op::Eq => have == want,
        Op::Ne => have != want,
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Lt => have < want,
        Op::Le => have <= want,
        Op::Sw => have.starts_with(want),
        Op::Co => have.contains(want),
        Op::Ew => have.ends_with(want),
    }
}

fn ordered<T: PartialOrd>(op: Op, have: T, want: T) -> bool {
    match op {
        Op::Eq => have == want,
        Op::Ne => have != want,
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Lt => have < want,
        Op::Le => have <= want,
        Op::Sw | Op::Co | Op::Ew => false,
    }
}

fn date_of(user: &User, name: &str) -> Option<Timestamp> {
    match name {
        "created" => Some(user.created),
        "lastUpdated" => Some(user.last_updated),
        "activated" => user.activated,
        "statusChanged" => user.status_changed,
        "lastLogin" => user.last_login,
        "passwordChanged" => user.password_changed,
        _ => None,
    }
}

/// Whether `user` matches a validated expression.
pub fn eval(expr: &Expr, user: &User) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, user) && eval(b, user),
        Expr::Or(a, b) => eval(a, user) || eval(b, user),
        Expr::Not(a) => !eval(a, user),
        Expr::Present { attr } => match Attribute::parse(attr) {
            Some(Attribute::Date(d)) => date_of(user, d).is_some(),
            Some(Attribute::Profile(p)) => user.profile.get(p).is_some_and(|v| !v.is_null()),
            _ => false,
        },
        Expr::Compare { attr, op, value } => {
            let Some(attribute) = Attribute::parse(attr) else {
                return false;
            };
            let want_text = match value {
                Value::String(s) => Some(s.as_str()),
                _ => None,
            };
            match attribute {
                Attribute::Status => {
                    want_text.is_some_and(|w| text_matches(*op, user.status.as_str(), w))
                }
                Attribute::Id => want_text.is_some_and(|w| text_matches(*op, &user.id, w)),
                Attribute::TypeId => want_text.is_some_and(|w| text_matches(*op, "default", w)),
                Attribute::Date(d) => match (date_of(user, d), want_text.and_then(timestamp)) {
                    (Some(have), Some(want)) => {
                        ordered(*op, have.timestamp_millis(), want.timestamp_millis())
                    }
                    _ => false,
                },
                Attribute::Profile(p) => match (user.profile.get(p), value) {
                    (None | Some(Json::Null), Value::Null) => *op == Op::Eq,
                    (Some(_), Value::Null) => *op == Op::Ne,
                    (Some(Json::String(have)), Value::String(want)) => {
                        text_matches(*op, &have.to_lowercase(), &want.to_lowercase())
                    }
                    (Some(Json::Number(have)), Value::Number(want)) => {
                        have.as_f64().is_some_and(|h| ordered(*op, h, *want))
                    }
                    (Some(Json::Bool(have)), Value::Bool(want)) => ordered(*op, *have, *want),
                    _ => false,
                },
            }
        }
    }
}

/// The `q` match: a case-insensitive prefix of the login, email, first or last name.
pub fn prefix_matches(prefix: &str, user: &User) -> bool {
    let p = prefix.to_lowercase();
    [
        Some(user.login.as_str()),
        user.attr("email"),
        user.attr("firstName"),
        user.attr("lastName"),
    ]
    .into_iter()
    .flatten()
    .any(|v| v.to_lowercase().starts_with(&p))
}

/// Whether `user` matches `query`.
pub fn matches(query: &UserQuery, user: &User) -> bool {
    match query {
        UserQuery::All => true,
        UserQuery::Prefix(p) => prefix_matches(p, user),
        UserQuery::Expr(e) => eval(e, user),
    }
}
