//! The system log writer: events are recorded without waiting (a bounded channel) and written by one task in
//! batches — up to 500 events or 200 ms, whichever comes first — off the request path. On graceful shutdown the
//! writer drains the channel and flushes before the process exits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use lanyard_core::syslog::{LogEvent, LogStore, Party};
use tokio::sync::{mpsc, oneshot};

use crate::api::auth::ApiPrincipal;
use crate::api::error::ApiError;
use crate::state::AppState;

const CAPACITY: usize = 20_000;
const BATCH: usize = 500;
const LINGER: Duration = Duration::from_millis(200);

enum Message {
    Event(Box<LogEvent>),
    Flush(oneshot::Sender<()>),
}

/// A handle to the writer. Cheap to clone.
#[derive(Clone)]
pub struct SystemLog {
    tx: mpsc::Sender<Message>,
    dropped: Arc<AtomicU64>,
}

impl SystemLog {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Arc<dyn LogStore>) -> Self {
        let (tx, rx) = mpsc::channel(CAPACITY);
        tokio::spawn(writer(store, rx));
        SystemLog {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Queues an event. Never waits: when the writer is this far behind, the event is dropped and counted.
    pub fn record(&self, event: LogEvent) {
        if self.tx.try_send(Message::Event(Box::new(event))).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "system log writer is behind; events dropped");
            }
        }
    }

    /// Waits until every event recorded before this call is stored.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Message::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

async fn write(store: &dyn LogStore, batch: &mut Vec<LogEvent>) {
    if batch.is_empty() {
        return;
    }
    for attempt in 0..3 {
        match store.insert_log_events(batch).await {
            Ok(()) => break,
            Err(e) if attempt < 2 => {
                tracing::warn!(error = %e, events = batch.len(), "system log write failed; retrying");
                tokio::time::sleep(Duration::from_millis(500 * (attempt + 1))).await;
            }
            Err(e) => tracing::error!(error = %e, events = batch.len(), "system log events lost"),
        }
    }
    batch.clear();
}

async fn writer(store: Arc<dyn LogStore>, mut rx: mpsc::Receiver<Message>) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = rx.recv().await {
        let mut acks = Vec::new();
        let take =
            |m: Message, batch: &mut Vec<LogEvent>, acks: &mut Vec<oneshot::Sender<()>>| match m {
                Message::Event(e) => batch.push(*e),
                Message::Flush(ack) => acks.push(ack),
            };
        take(first, &mut batch, &mut acks);
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH && acks.is_empty() {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(m)) => take(m, &mut batch, &mut acks),
                Ok(None) | Err(_) => break,
            }
        }
        // A flush also takes whatever else is already queued.
        while let Ok(m) = rx.try_recv() {
            take(m, &mut batch, &mut acks);
            if batch.len() >= BATCH {
                write(store.as_ref(), &mut batch).await;
            }
        }
        write(store.as_ref(), &mut batch).await;
        for ack in acks {
            let _ = ack.send(());
        }
    }
}

/// Who made a management API request and from where: the actor and client of the events it causes.
pub struct Audit {
    pub actor: Party,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Audit {
    /// A successful event by this actor, with its client.
    pub fn event(&self, state: &AppState, event_type: &str, message: &str) -> LogEvent {
        LogEvent::new(
            event_type,
            message,
            self.actor.clone(),
            state.clock.now(),
            state.random.as_ref(),
        )
        .client(self.ip.clone(), self.user_agent.clone())
    }

    /// Records the changes an operation made (`lanyard_core::syslog::Change`) as this actor's events.
    pub fn record(&self, state: &AppState, changes: &[lanyard_core::syslog::Change]) {
        for c in changes {
            let e = c.event(self.actor.clone(), state.clock.now(), state.random.as_ref());
            state
                .syslog
                .record(e.client(self.ip.clone(), self.user_agent.clone()));
        }
    }
}

impl FromRequestParts<AppState> for Audit {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let actor = match parts.extensions.get::<ApiPrincipal>() {
            // An app's access token: the app, by its client id, as Okta names a service app.
            Some(p) if p.is_app() => {
                Party::new(&p.token_id, "PublicClientApp", &p.token_id, &p.token_name)
            }
            Some(p) => Party::new(
                &p.token_id,
                "SystemPrincipal",
                format!("api-token:{}", p.token_name),
                &p.token_name,
            ),
            None => Party::new("unknown", "SystemPrincipal", "unknown", "unknown"),
        };
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        Ok(Audit {
            actor,
            ip,
            user_agent,
        })
    }
}

/// A user as an event target.
pub fn user_target(user: &lanyard_core::model::User) -> Party {
    let name = user.full_name();
    Party::new(&user.id, "User", &user.login, name)
}
