//! The system log: Okta's LogEvent (`uuid`, `published`, `eventType`, `displayMessage`, `severity`, `actor`,
//! `client`, `outcome`, `target[]`), its query (`since`, `until`, `filter`, `q`, `sortOrder`, cursor), and the
//! meaning of a filter over events, shared by every store.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::directory::filter::{Expr, Op, Value as FilterValue};
use crate::model::{Page, PageRequest};
use crate::random::Random;
use crate::store::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Debug,
    Info,
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Debug => "DEBUG",
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Error => "ERROR",
        }
    }
}

/// Who did it, or what it was done to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    pub id: String,
    /// `User`, `SystemPrincipal`, `PublicClientApp`, `UserGroup`, `AuthorizationServer`, …
    pub kind: String,
    pub alternate_id: String,
    pub display_name: String,
}

impl Party {
    pub fn new(
        id: impl Into<String>,
        kind: &str,
        alternate_id: impl Into<String>,
        display_name: impl Into<String>,
    ) -> Self {
        Party {
            id: id.into(),
            kind: kind.to_owned(),
            alternate_id: alternate_id.into(),
            display_name: display_name.into(),
        }
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// A time-ordered UUID (version 7): ordering by it orders by publication.
    pub uuid: String,
    pub published: Timestamp,
    pub event_type: String,
    pub display_message: String,
    pub severity: Severity,
    pub actor: Party,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// `SUCCESS`, `FAILURE`, `SKIPPED`, `ALLOW`, `DENY`, `CHALLENGE`, `UNKNOWN`.
    pub outcome: String,
    pub reason: Option<String>,
    pub targets: Vec<Party>,
}

/// A change an operation made, as the system log records it: the event's type and message and its targets. The
/// caller adds who asked and from where ([`Change::event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub event_type: &'static str,
    pub message: &'static str,
    pub targets: Vec<Party>,
}

impl Change {
    pub fn new(event_type: &'static str, message: &'static str) -> Self {
        Change {
            event_type,
            message,
            targets: Vec::new(),
        }
    }

    pub fn target(mut self, target: Party) -> Self {
        self.targets.push(target);
        self
    }

    /// The event: this change by `actor` at `now`.
    pub fn event(&self, actor: Party, now: Timestamp, random: &dyn Random) -> LogEvent {
        let mut e = LogEvent::new(self.event_type, self.message, actor, now, random);
        e.targets = self.targets.clone();
        e
    }
}

/// A version 7 UUID: 48 bits of milliseconds, a 12-bit sequence, then randomness. Within one process the values
/// strictly increase (RFC 9562 §6.2, method 1), so events recorded in the same millisecond keep their order.
pub fn uuid_v7(now: Timestamp, random: &dyn Random) -> String {
    static LAST: std::sync::Mutex<(u64, u16)> = std::sync::Mutex::new((0, 0));
    let (ms, seq) = {
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        let ms = now.timestamp_millis().max(0) as u64;
        *last = if ms > last.0 {
            (ms, 0)
        } else if last.1 < 0x0fff {
            (last.0, last.1 + 1)
        } else {
            (last.0 + 1, 0)
        };
        *last
    };
    let mut b = [0u8; 16];
    random.fill(&mut b);
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = 0x70 | ((seq >> 8) as u8 & 0x0f);
    b[7] = seq as u8;
    b[8] = 0x80 | (b[8] & 0x3f);
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl LogEvent {
    /// A successful INFO event by `actor`.
    pub fn new(
        event_type: &str,
        message: impl Into<String>,
        actor: Party,
        now: Timestamp,
        random: &dyn Random,
    ) -> Self {
        LogEvent {
            uuid: uuid_v7(now, random),
            published: now,
            event_type: event_type.to_owned(),
            display_message: message.into(),
            severity: Severity::Info,
            actor,
            client_ip: None,
            user_agent: None,
            outcome: "SUCCESS".to_owned(),
            reason: None,
            targets: Vec::new(),
        }
    }

    pub fn target(mut self, target: Party) -> Self {
        self.targets.push(target);
        self
    }

    pub fn failure(mut self, reason: impl Into<String>) -> Self {
        self.outcome = "FAILURE".to_owned();
        self.reason = Some(reason.into());
        self.severity = Severity::Warn;
        self
    }

    pub fn client(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.client_ip = ip;
        self.user_agent = user_agent;
        self
    }

    /// The text a filter attribute reads; for `target.*`, one per target.
    pub fn attribute(&self, attr: &str) -> Vec<&str> {
        fn one(s: &str) -> Vec<&str> {
            vec![s]
        }
        match attr {
            "eventType" => one(&self.event_type),
            "displayMessage" => one(&self.display_message),
            "severity" => one(self.severity.as_str()),
            "uuid" => one(&self.uuid),
            "outcome.result" => one(&self.outcome),
            "outcome.reason" => self.reason.as_deref().into_iter().collect(),
            "actor.id" => one(&self.actor.id),
            "actor.type" => one(&self.actor.kind),
            "actor.alternateId" => one(&self.actor.alternate_id),
            "client.ipAddress" => self.client_ip.as_deref().into_iter().collect(),
            "target.id" => self.targets.iter().map(|t| t.id.as_str()).collect(),
            "target.type" => self.targets.iter().map(|t| t.kind.as_str()).collect(),
            "target.alternateId" => self
                .targets
                .iter()
                .map(|t| t.alternate_id.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The order of a log query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Ascending,
    Descending,
}

/// A validated log query.
#[derive(Debug, Clone, PartialEq)]
pub struct LogQuery {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub filter: Option<Expr>,
    /// Words that must all appear (case-insensitively) in the message, event type, actor or targets.
    pub q: Vec<String>,
    pub order: SortOrder,
}

/// Whether `event` matches a filter (case-sensitive `eq`, `sw`, `co`; any target may match).
pub fn eval(expr: &Expr, event: &LogEvent) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, event) && eval(b, event),
        Expr::Or(a, b) => eval(a, event) || eval(b, event),
        Expr::Not(a) => !eval(a, event),
        Expr::Present { attr } => !event.attribute(attr).is_empty(),
        Expr::Compare { attr, op, value } => {
            let FilterValue::String(want) = value else {
                return false;
            };
            event.attribute(attr).into_iter().any(|have| match op {
                Op::Eq => have == want,
                Op::Sw => have.starts_with(want.as_str()),
                Op::Co => have.contains(want.as_str()),
                _ => false,
            })
        }
    }
}

/// The text `q` searches in.
pub fn search_text(event: &LogEvent) -> String {
    let mut t = format!(
        "{} {} {} {} {}",
        event.event_type,
        event.display_message,
        event.actor.alternate_id,
        event.actor.display_name,
        event.actor.id
    );
    for target in &event.targets {
        t.push(' ');
        t.push_str(&target.alternate_id);
        t.push(' ');
        t.push_str(&target.display_name);
        t.push(' ');
        t.push_str(&target.id);
    }
    t.to_lowercase()
}

/// Whether `event` matches the whole query (the cursor aside).
pub fn matches(query: &LogQuery, event: &LogEvent) -> bool {
    query.since.is_none_or(|s| event.published >= s)
        && query.until.is_none_or(|u| event.published < u)
        && query.filter.as_ref().is_none_or(|f| eval(f, event))
        && (query.q.is_empty() || {
            let text = search_text(event);
            query.q.iter().all(|w| text.contains(&w.to_lowercase()))
        })
}

/// Where the system log is kept.
#[async_trait]
pub trait LogStore: Send + Sync {
    /// Appends events (a batch from the log writer).
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()>;
    /// Events matching `query`, in its order; the cursor is an event's uuid.
    async fn list_log_events(
        &self,
        query: &LogQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<LogEvent>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::filter::{LOG_FILTER, parse};
    use crate::random::SystemRandom;
    use chrono::{Duration, Utc};

    fn event() -> LogEvent {
        LogEvent::new(
            "user.lifecycle.create",
            "Create okta user",
            Party::new("00T1", "SystemPrincipal", "api-token:ci", "ci"),
            Utc::now(),
            &SystemRandom,
        )
        .target(Party::new(
            "00u1",
            "User",
            "ada@example.com",
            "Ada Lovelace",
        ))
        .target(Party::new("00g1", "UserGroup", "Everyone", "Everyone"))
    }

    #[test]
    fn uuids_are_version_7_and_ordered_by_time() {
        let t = Utc::now();
        let a = uuid_v7(t, &SystemRandom);
        let b = uuid_v7(t + Duration::milliseconds(1), &SystemRandom);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "7");
        assert!("89ab".contains(&a[19..20]));
        assert!(a < b);
        let same: Vec<String> = (0..5000).map(|_| uuid_v7(t, &SystemRandom)).collect();
        assert!(
            same.windows(2).all(|w| w[0] < w[1]),
            "uuids from one millisecond keep their order"
        );
    }

    #[test]
    fn filters_match_any_target_and_are_case_sensitive() {
        let e = event();
        let f = |s: &str| eval(&parse(s, &LOG_FILTER).unwrap(), &e);
        assert!(f(r#"eventType eq "user.lifecycle.create""#));
        assert!(!f(r#"eventType eq "USER.lifecycle.create""#));
        assert!(f(r#"target.id eq "00g1""#));
        assert!(f(r#"target.id eq "00u1" and outcome.result eq "SUCCESS""#));
        assert!(f(r#"eventType sw "user." or actor.id eq "x""#));
        assert!(f(r#"actor.alternateId co "token""#));
        assert!(!f(r#"outcome.reason eq "x""#));
    }

    #[test]
    fn queries_combine_time_filter_and_words() {
        let e = event();
        let mut q = LogQuery {
            since: None,
            until: None,
            filter: None,
            q: vec!["ADA".into(), "create".into()],
            order: SortOrder::Ascending,
        };
        assert!(matches(&q, &e));
        q.q.push("nobody".into());
        assert!(!matches(&q, &e));
        q.q.clear();
        q.since = Some(e.published + Duration::seconds(1));
        assert!(!matches(&q, &e));
    }
}
