//! Email: activation, password reset and lockout notices, delivered through SMTP or written to an outbox folder.
//!
//! A [`Mailer`] delivers [`Email`]s one of two ways, chosen at start:
//!
//! - **SMTP** (`--smtp-url`): lettre's async transport over rustls; see [`SmtpSettings`] for the URL.
//! - **Outbox** (no SMTP configured): each message is written to `<data-dir>/outbox/` as an `.eml` file and a
//!   `.json` twin, so that everything works on a laptop and tests can read what was sent ([`read_outbox`]).
//!
//! Handlers call [`Mailer::send_in_background`]: it returns at once, and a task delivers the message, retrying
//! transient SMTP failures with backoff. A failure is logged with the subject, the recipient's domain and the
//! error, never the body (which carries tokens). [`Mailer::flush`] waits for messages still on their way (at
//! shutdown, and in tests before reading the outbox).
//!
//! The notices themselves are [`activation`], [`password_reset`] and [`lockout`].

mod outbox;
mod smtp;
mod templates;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Message, MultiPart, header};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::Notify;

pub use lettre::message::Mailbox;
pub use outbox::{OutboxMessage, read_outbox};
pub use smtp::{SmtpSecurity, SmtpSettings};
pub use templates::{activation, escape_html, lockout, password_reset};

/// The outbox folder's name inside the data dir.
pub const OUTBOX_DIR: &str = "outbox";

/// One message to one recipient. `text` is required; `html`, when present, is sent as its alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Why a message was not delivered, or a mail setting is wrong.
#[derive(Debug)]
pub enum EmailError {
    /// A setting (`--smtp-url`, `--email-from`) is invalid. The text never repeats a password.
    Config(String),
    /// The recipient's address is not one.
    Recipient(String),
    /// The message could not be put together.
    Message(lettre::error::Error),
    /// The SMTP server could not be reached, or refused the message.
    Smtp(lettre::transport::smtp::Error),
    /// The outbox could not be written.
    Outbox(std::io::Error),
}

impl EmailError {
    /// Worth another attempt: the network, a timeout, TLS, or a 4xx answer. Not a 5xx answer (the server said no),
    /// a protocol mismatch, or anything before the server.
    pub fn is_transient(&self) -> bool {
        match self {
            EmailError::Smtp(e) => !(e.is_permanent() || e.is_client()),
            _ => false,
        }
    }
}

impl fmt::Display for EmailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmailError::Config(message) => f.write_str(message),
            EmailError::Recipient(message) => write!(f, "invalid recipient: {message}"),
            EmailError::Message(e) => write!(f, "cannot build the message: {e}"),
            EmailError::Smtp(e) => write!(f, "SMTP: {e}"),
            EmailError::Outbox(e) => write!(f, "cannot write to the outbox: {e}"),
        }
    }
}

impl std::error::Error for EmailError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmailError::Message(e) => Some(e),
            EmailError::Smtp(e) => Some(e),
            EmailError::Outbox(e) => Some(e),
            EmailError::Config(_) | EmailError::Recipient(_) => None,
        }
    }
}

/// Delivers email. Cheap to clone; clones share their messages in flight.
#[derive(Clone)]
pub struct Mailer {
    delivery: Arc<Delivery>,
    from: Mailbox,
    retry: Retry,
    in_flight: Arc<InFlight>,
}

enum Delivery {
    Smtp {
        settings: SmtpSettings,
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
    },
    Outbox {
        dir: PathBuf,
    },
}

/// How background sends retry: `attempts` in all, waiting `first_delay`, then four times longer each time.
#[derive(Debug, Clone, Copy)]
struct Retry {
    attempts: u32,
    first_delay: Duration,
}

/// 4 attempts over ≈ 1 + 4 + 16 = 21 s.
const RETRY: Retry = Retry {
    attempts: 4,
    first_delay: Duration::from_secs(1),
};

impl Mailer {
    /// Delivery through the SMTP server `settings` names, from `from`.
    pub fn smtp(settings: SmtpSettings, from: Mailbox) -> Result<Self, EmailError> {
        let transport = Box::new(settings.transport()?);
        Ok(Self::with(
            Delivery::Smtp {
                settings,
                transport,
            },
            from,
        ))
    }

    /// Messages written to `dir` (created 0700 on first use) instead of sent.
    pub fn outbox(dir: impl Into<PathBuf>, from: Mailbox) -> Self {
        Self::with(Delivery::Outbox { dir: dir.into() }, from)
    }

    /// An outbox in a new folder under the system's temporary directory, named at random (so nobody can make it
    /// beforehand) and created 0700 on first use; nothing removes it. The default of [`crate::ServerConfig::new`],
    /// for tests: `lanyard serve` always chooses SMTP or the data dir's outbox.
    pub fn temporary_outbox(base_url: &str) -> Self {
        let name = format!(
            "lanyard-outbox-{}",
            hex(&lanyard_core::random::bytes::<8>(
                &lanyard_core::random::SystemRandom
            ))
        );
        let from = default_from(base_url)
            .unwrap_or_else(|_| Mailbox::new(None, Address::new_dangerous("noreply", "localhost")));
        Self::outbox(std::env::temp_dir().join(name), from)
    }

    /// SMTP when `smtp` is given, otherwise the outbox in `data_dir`. `from` defaults to `noreply@` the host of
    /// `base_url`.
    pub fn from_settings(
        smtp: Option<SmtpSettings>,
        from: Option<Mailbox>,
        base_url: &str,
        data_dir: &Path,
    ) -> Result<Self, EmailError> {
        let from = match from {
            Some(from) => from,
            None => default_from(base_url)?,
        };
        match smtp {
            Some(settings) => Self::smtp(settings, from),
            None => Ok(Self::outbox(data_dir.join(OUTBOX_DIR), from)),
        }
    }

    fn with(delivery: Delivery, from: Mailbox) -> Self {
        Mailer {
            delivery: Arc::new(delivery),
            from,
            retry: RETRY,
            in_flight: Arc::default(),
        }
    }

    /// The From of every message.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Where messages are written, for an outbox mailer.
    pub fn outbox_dir(&self) -> Option<&Path> {
        match &*self.delivery {
            Delivery::Outbox { dir } => Some(dir),
            Delivery::Smtp { .. } => None,
        }
    }

    /// Where mail goes, without secrets: `smtp://user@host:587 (STARTTLS)` or `outbox /path`.
    pub fn describe(&self) -> String {
        match &*self.delivery {
            Delivery::Smtp { settings, .. } => {
                let security = match settings.security {
                    SmtpSecurity::StartTls => "STARTTLS",
                    SmtpSecurity::Tls => "TLS",
                    SmtpSecurity::None => "unencrypted",
                };
                format!("{settings} ({security})")
            }
            Delivery::Outbox { dir } => format!("outbox {}", dir.display()),
        }
    }

    /// Delivers one message, once: no retry.
    pub async fn send(&self, email: &Email) -> Result<(), EmailError> {
        let message = build_message(&self.from, email)?;
        match &*self.delivery {
            Delivery::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(drop)
                .map_err(EmailError::Smtp),
            Delivery::Outbox { dir } => {
                let dir = dir.clone();
                let eml = message.formatted();
                let record = OutboxMessage {
                    path: PathBuf::new(),
                    from: self.from.to_string(),
                    to: email.to.trim().to_owned(),
                    to_name: email.to_name.clone(),
                    subject: email.subject.clone(),
                    text: email.text.clone(),
                    html: email.html.clone(),
                };
                tokio::task::spawn_blocking(move || outbox::write(&dir, &eml, &record))
                    .await
                    .map_err(|e| EmailError::Outbox(std::io::Error::other(e)))?
                    .map(drop)
                    .map_err(EmailError::Outbox)
            }
        }
    }

    /// Delivers `email` from a task of its own and returns at once: the request that triggers a message neither
    /// waits for nor fails with its delivery. Transient SMTP failures are retried with backoff; the final failure
    /// is logged (subject, recipient's domain, error — never the body).
    pub fn send_in_background(&self, email: Email) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!(
                subject = %email.subject,
                to_domain = domain_of(&email.to),
                "cannot send an email outside the async runtime"
            );
            return;
        };
        let guard = InFlight::enter(&self.in_flight);
        let mailer = self.clone();
        runtime.spawn(async move {
            mailer.send_with_retries(&email).await;
            drop(guard);
        });
    }

    async fn send_with_retries(&self, email: &Email) {
        let mut delay = self.retry.first_delay;
        let mut attempt = 1;
        loop {
            match self.send(email).await {
                Ok(()) => {
                    tracing::debug!(subject = %email.subject, to_domain = domain_of(&email.to), "email sent");
                    return;
                }
                Err(error) if error.is_transient() && attempt < self.retry.attempts => {
                    tracing::warn!(
                        subject = %email.subject,
                        to_domain = domain_of(&email.to),
                        attempt,
                        %error,
                        "sending an email failed; will retry"
                    );
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(4);
                    attempt += 1;
                }
                Err(error) => {
                    tracing::error!(
                        subject = %email.subject,
                        to_domain = domain_of(&email.to),
                        attempts = attempt,
                        %error,
                        "could not send an email"
                    );
                    return;
                }
            }
        }
    }

    /// Waits until every message handed to [`Mailer::send_in_background`] (by this mailer or a clone) has been
    /// delivered or given up on.
    pub async fn flush(&self) {
        loop {
            let idle = self.in_flight.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.in_flight.count.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }

    #[cfg(test)]
    fn with_retry(mut self, attempts: u32, first_delay: Duration) -> Self {
        self.retry = Retry {
            attempts,
            first_delay,
        };
        self
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `describe` leaves the password out; the transport (which holds it) is not shown.
        f.debug_struct("Mailer")
            .field("delivery", &self.describe())
            .field("from", &self.from.to_string())
            .finish()
    }
}

#[derive(Default)]
struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    fn enter(this: &Arc<InFlight>) -> InFlightGuard {
        this.count.fetch_add(1, Ordering::AcqRel);
        InFlightGuard(this.clone())
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// `noreply@` the host of `base_url` (`noreply@localhost` for an IP address).
pub fn default_from(base_url: &str) -> Result<Mailbox, EmailError> {
    let url = url::Url::parse(base_url)
        .map_err(|e| EmailError::Config(format!("base URL {base_url:?}: {e}")))?;
    let domain = match url.host() {
        Some(url::Host::Domain(name)) => name.trim_end_matches('.').to_ascii_lowercase(),
        // lettre cannot read an address literal (`noreply@[127.0.0.1]`) back out of a message's envelope, so an
        // address host falls back to `localhost`; production deployments have a name or set --email-from.
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => "localhost".to_owned(),
        None => {
            return Err(EmailError::Config(format!(
                "base URL {base_url:?} has no host"
            )));
        }
    };
    let address = Address::new("noreply", &domain).map_err(|e| {
        EmailError::Config(format!(
            "cannot make a From address from the base URL's host ({e}); set --email-from"
        ))
    })?;
    Ok(Mailbox::new(None, address))
}

/// `--email-from`: `noreply@example.com` or `Example <noreply@example.com>`.
pub fn parse_from(value: &str) -> Result<Mailbox, EmailError> {
    value.trim().parse::<Mailbox>().map_err(|e| {
        EmailError::Config(format!(
            "--email-from {value:?}: {e}; expected noreply@example.com or \"Example <noreply@example.com>\""
        ))
    })
}

/// RFC 3834: a message sent by a program, not a person. Auto-responders do not answer it.
#[derive(Clone)]
struct AutoSubmitted;

impl header::Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

fn build_message(from: &Mailbox, email: &Email) -> Result<Message, EmailError> {
    let to: Address = email
        .to
        .trim()
        .parse()
        .map_err(|e| EmailError::Recipient(format!("{e}")))?;
    let to_name = email
        .to_name
        .as_deref()
        .map(one_line)
        .filter(|name| !name.is_empty());
    let id = hex(&lanyard_core::random::bytes::<16>(
        &lanyard_core::random::SystemRandom,
    ));
    let builder = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(to_name, to))
        .subject(one_line(&email.subject))
        .message_id(Some(format!("<{id}@{}>", from.email.domain())))
        .date_now()
        .header(AutoSubmitted);
    let built = match &email.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            html.clone(),
        )),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone()),
    };
    built.map_err(EmailError::Message)
}

/// Control characters (line breaks included) as spaces, trimmed: a value that cannot start a new header.
fn one_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The part of an address after the last `@`, for logs that should not hold the whole address.
fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map_or("", |(_, domain)| domain.trim())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Mutex;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    const WAIT: Duration = Duration::from_secs(20);

    fn from() -> Mailbox {
        parse_from("Acme <noreply@acme.test>").unwrap()
    }

    fn sample(subject: &str) -> Email {
        Email {
            to: "ada@example.com".into(),
            to_name: Some("Ada Lovelace".into()),
            subject: subject.into(),
            text: "Hello\nhttps://acme.test/a\n".into(),
            html: None,
        }
    }

    fn file_names(dir: &Path, suffix: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(suffix))
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn the_outbox_holds_one_readable_message_per_send_in_order() {
        let data = tempfile::tempdir().unwrap();
        let mailer =
            Mailer::from_settings(None, Some(from()), "https://id.acme.test", data.path()).unwrap();
        let dir = data.path().join("outbox");
        assert_eq!(mailer.outbox_dir(), Some(dir.as_path()));
        for i in 0..5 {
            mailer.send(&sample(&format!("message {i}"))).await.unwrap();
        }
        let messages = read_outbox(&dir).unwrap();
        let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "message 0",
                "message 1",
                "message 2",
                "message 3",
                "message 4"
            ]
        );
        // One .eml per message, in the same order, named `<UTC time>-<random>.eml`, and no temporary file left.
        let emls = file_names(&dir, ".eml");
        assert_eq!(emls.len(), 5);
        assert_eq!(file_names(&dir, "").len(), 10);
        for (message, name) in messages.iter().zip(&emls) {
            assert_eq!(message.path, dir.join(name));
            let (stamp, rest) = name.split_once('-').unwrap();
            assert_eq!(stamp.len(), "20261126T074512.123456Z".len());
            assert_eq!(rest.len(), "0123456789abcdef.eml".len());
            assert_eq!(message.to, "ada@example.com");
            assert_eq!(message.to_name.as_deref(), Some("Ada Lovelace"));
            assert_eq!(message.from, "Acme <noreply@acme.test>");
            assert_eq!(message.text, "Hello\nhttps://acme.test/a\n");
            // The .eml is a whole RFC 5322 message; this short ASCII one is even searchable as it is.
            let eml = std::fs::read_to_string(&message.path).unwrap();
            let (head, body) = eml.split_once("\r\n\r\n").unwrap();
            for field in [
                "From: Acme <noreply@acme.test>\r\n",
                "To: \"Ada Lovelace\" <ada@example.com>\r\n",
                &format!("Subject: {}\r\n", message.subject),
                "Auto-Submitted: auto-generated\r\n",
                "Content-Transfer-Encoding: 7bit\r\n",
            ] {
                assert!(
                    format!("{head}\r\n").contains(field),
                    "{field:?} missing from\n{head}"
                );
            }
            assert!(head.contains("\r\nDate: "));
            assert!(head.contains("\r\nMessage-ID: <") && head.contains("@acme.test>"));
            assert!(body.contains("https://acme.test/a"));
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_outbox_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let mailer = Mailer::outbox(data.path().join("outbox"), from());
        mailer.send(&sample("hi")).await.unwrap();
        let dir = mailer.outbox_dir().unwrap();
        assert_eq!(
            std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        for name in file_names(dir, "") {
            let mode = std::fs::metadata(dir.join(&name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }

    #[tokio::test]
    async fn read_outbox_sees_through_the_transfer_encoding() {
        let data = tempfile::tempdir().unwrap();
        let mailer = Mailer::outbox(data.path(), from());
        // A long link and a name outside ASCII: the .eml body is quoted-printable, which breaks long lines.
        let url = format!(
            "https://id.acme.test/signin/reset-password/{}",
            "T0k3n_".repeat(20)
        );
        let email = password_reset("Acmé", "José Ñúñez", "jose@example.com", &url, 60);
        mailer.send(&email).await.unwrap();
        let messages = read_outbox(data.path()).unwrap();
        assert_eq!(messages.len(), 1);
        let message = &messages[0];
        assert_eq!(message.subject, "Reset your Acmé password");
        assert!(message.text.contains(&url));
        assert!(message.html.as_deref().unwrap().contains(&url));
        assert_eq!(message.text, email.text);
        let eml = std::fs::read_to_string(&message.path).unwrap();
        assert!(eml.contains("Content-Type: multipart/alternative"));
        assert!(eml.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(eml.contains("Content-Type: text/html; charset=utf-8"));
        assert!(eml.is_ascii(), "the .eml is 7-bit clean");
        assert!(
            !eml.contains(&url),
            "(this test expects lettre to fold the long link)"
        );
    }

    #[tokio::test]
    async fn background_sends_are_awaited_by_flush() {
        let data = tempfile::tempdir().unwrap();
        let mailer = Mailer::outbox(data.path(), from());
        let clone = mailer.clone();
        for i in 0..10 {
            clone.send_in_background(lockout(
                "Acme",
                "Ada",
                &format!("u{i}@example.com"),
                Some(i),
            ));
        }
        tokio::time::timeout(WAIT, mailer.flush()).await.unwrap();
        assert_eq!(read_outbox(data.path()).unwrap().len(), 10);
        // Nothing in flight: returns at once.
        tokio::time::timeout(WAIT, mailer.flush()).await.unwrap();
    }

    #[tokio::test]
    async fn headers_cannot_be_injected_and_bad_recipients_are_refused() {
        let data = tempfile::tempdir().unwrap();
        let mailer = Mailer::outbox(data.path(), from());
        let mut email = sample("hello\r\nBcc: eve@evil.test");
        email.to_name = Some("Ada\nBcc: eve@evil.test".into());
        mailer.send(&email).await.unwrap();
        let message = &read_outbox(data.path()).unwrap()[0];
        let eml = std::fs::read_to_string(&message.path).unwrap();
        assert!(!eml.contains("\nBcc:"), "{eml}");
        assert!(
            eml.contains("Subject: hello  Bcc: eve@evil.test\r\n"),
            "{eml}"
        );

        for to in [
            "not an address",
            "a@b@",
            "",
            "ada@example.com\r\nBcc: eve@evil.test",
        ] {
            let mut email = sample("x");
            email.to = to.into();
            let error = mailer.send(&email).await.unwrap_err();
            assert!(matches!(error, EmailError::Recipient(_)), "{to:?}: {error}");
            assert!(!error.is_transient());
        }
    }

    #[test]
    fn the_default_from_is_noreply_at_the_base_urls_host() {
        let f = |url| default_from(url).unwrap().to_string();
        assert_eq!(f("https://ID.Example.com/sso"), "noreply@id.example.com");
        assert_eq!(f("http://localhost:8080"), "noreply@localhost");
        assert_eq!(f("http://127.0.0.1:8080"), "noreply@localhost");
        assert_eq!(f("http://[::1]:8080"), "noreply@localhost");
        assert!(default_from("not a url").is_err());
        assert_eq!(
            Mailer::temporary_outbox("http://127.0.0.1:1")
                .from()
                .to_string(),
            "noreply@localhost"
        );
    }

    #[test]
    fn email_from_takes_an_address_or_a_mailbox() {
        assert_eq!(
            parse_from(" noreply@acme.test ").unwrap().to_string(),
            "noreply@acme.test"
        );
        let m = parse_from("Acme Identity <id@acme.test>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Acme Identity"));
        assert_eq!(m.email.to_string(), "id@acme.test");
        for bad in ["", "acme", "Acme <>", "a@b@c"] {
            assert!(
                matches!(parse_from(bad), Err(EmailError::Config(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_smtp_password() {
        let settings = SmtpSettings::parse("smtps://mailer:hunter2@mail.acme.test").unwrap();
        let mailer = Mailer::smtp(settings, from()).unwrap();
        let debug = format!("{mailer:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(
            debug.contains("smtps://mailer@mail.acme.test:465 (TLS)"),
            "{debug}"
        );
        assert_eq!(mailer.outbox_dir(), None);
        let config = crate::ServerConfig {
            mailer,
            ..crate::ServerConfig::new("https://id.acme.test")
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn temporary_outboxes_are_distinct_and_not_created_until_used() {
        let a = Mailer::temporary_outbox("https://id.acme.test");
        let b = Mailer::temporary_outbox("https://id.acme.test");
        assert_ne!(a.outbox_dir(), b.outbox_dir());
        assert!(!a.outbox_dir().unwrap().exists());
    }

    // ---- SMTP, against a fake server on 127.0.0.1 ----

    /// What one connection to the fake server does.
    #[derive(Debug, Clone, Copy)]
    enum Script {
        /// A full conversation, message accepted.
        Accept,
        /// Greets with a 4xx and hangs up.
        Busy,
        /// Refuses the recipient with a 5xx.
        RejectRecipient,
    }

    #[derive(Debug, Default, Clone)]
    struct Session {
        commands: Vec<String>,
        data: String,
    }

    /// An SMTP server that speaks just enough of the protocol: each connection plays the next script; every
    /// command is recorded before it is answered.
    async fn fake_smtp(scripts: Vec<Script>) -> (SocketAddr, Arc<Mutex<Vec<Session>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let record = sessions.clone();
        tokio::spawn(async move {
            for script in scripts {
                let (stream, _) = listener.accept().await.unwrap();
                let index = {
                    let mut sessions = record.lock().unwrap();
                    sessions.push(Session::default());
                    sessions.len() - 1
                };
                let record = record.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read);
                    if let Script::Busy = script {
                        let _ = write
                            .write_all(b"421 4.3.2 busy, try again later\r\n")
                            .await;
                        return;
                    }
                    write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let command = line.trim_end().to_owned();
                        record.lock().unwrap()[index].commands.push(command.clone());
                        let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-fake\r\n250 AUTH PLAIN LOGIN\r\n",
                            "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                            "AUTH" => b"235 2.7.0 accepted\r\n",
                            "RCPT" => match script {
                                Script::RejectRecipient => b"550 5.1.1 no such user\r\n",
                                _ => b"250 OK\r\n",
                            },
                            "DATA" => {
                                write.write_all(b"354 go ahead\r\n").await.unwrap();
                                let mut data = String::new();
                                loop {
                                    line.clear();
                                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                        return;
                                    }
                                    if line == ".\r\n" {
                                        break;
                                    }
                                    data.push_str(&line);
                                }
                                record.lock().unwrap()[index].data = data;
                                b"250 2.0.0 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"502 5.5.2 not implemented\r\n",
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        (addr, sessions)
    }

    fn smtp_mailer(addr: SocketAddr, credentials: &str) -> Mailer {
        let url = format!("smtp://{credentials}{addr}?tls=none");
        Mailer::smtp(SmtpSettings::parse(&url).unwrap(), from()).unwrap()
    }

    #[tokio::test]
    async fn a_message_is_delivered_over_smtp() {
        let (addr, sessions) = fake_smtp(vec![Script::Accept]).await;
        let mailer = smtp_mailer(addr, "mailer:p%40ss@");
        let url = "https://id.acme.test/signin/activate/abc";
        let email = activation("Acme", "Ada Lovelace", "ada@example.com", url);
        tokio::time::timeout(WAIT, mailer.send(&email))
            .await
            .unwrap()
            .unwrap();

        let session = sessions.lock().unwrap()[0].clone();
        let commands = session.commands.join("\n");
        assert!(commands.starts_with("EHLO "), "{commands}");
        // AUTH PLAIN with the percent-decoded password.
        use base64::Engine;
        let plain = base64::engine::general_purpose::STANDARD.encode("\0mailer\0p@ss");
        assert!(
            commands.contains(&format!("AUTH PLAIN {plain}")),
            "{commands}"
        );
        assert!(
            commands.contains("MAIL FROM:<noreply@acme.test>"),
            "{commands}"
        );
        assert!(commands.contains("RCPT TO:<ada@example.com>"), "{commands}");
        assert!(
            session
                .data
                .contains("Subject: Activate your Acme account\r\n")
        );
        assert!(
            session
                .data
                .contains("To: \"Ada Lovelace\" <ada@example.com>\r\n")
        );
        assert!(session.data.contains(url), "{}", session.data);
    }

    #[tokio::test]
    async fn starttls_is_required_never_skipped() {
        // The fake server does not offer STARTTLS: nothing but EHLO (and QUIT) may be sent.
        let (addr, sessions) = fake_smtp(vec![Script::Accept]).await;
        let url = format!("smtp://mailer:hunter2@{addr}");
        let mailer = Mailer::smtp(SmtpSettings::parse(&url).unwrap(), from()).unwrap();
        let error = tokio::time::timeout(WAIT, mailer.send(&sample("x")))
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(error, EmailError::Smtp(_)), "{error}");
        let commands = sessions.lock().unwrap()[0].commands.clone();
        assert!(
            commands
                .iter()
                .all(|c| c.starts_with("EHLO") || c == "QUIT"),
            "{commands:?}"
        );
    }

    #[tokio::test]
    async fn transient_failures_are_retried_in_the_background() {
        let (addr, sessions) = fake_smtp(vec![Script::Busy, Script::Busy, Script::Accept]).await;
        let mailer = smtp_mailer(addr, "").with_retry(4, Duration::from_millis(10));
        let error = mailer.send(&sample("direct")).await.unwrap_err();
        assert!(error.is_transient(), "{error}");
        mailer.send_in_background(sample("background"));
        tokio::time::timeout(WAIT, mailer.flush()).await.unwrap();
        let sessions = sessions.lock().unwrap();
        assert_eq!(sessions.len(), 3);
        assert!(sessions[2].data.contains("Subject: background\r\n"));
    }

    #[tokio::test]
    async fn permanent_failures_are_not_retried() {
        let (addr, sessions) = fake_smtp(vec![Script::RejectRecipient, Script::Accept]).await;
        let mailer = smtp_mailer(addr, "").with_retry(4, Duration::from_millis(10));
        mailer.send_in_background(sample("refused"));
        tokio::time::timeout(WAIT, mailer.flush()).await.unwrap();
        let sessions = sessions.lock().unwrap();
        assert_eq!(sessions.len(), 1, "{sessions:?}");
        assert!(sessions[0].data.is_empty());
    }

    #[tokio::test]
    async fn an_unreachable_server_is_given_up_on() {
        // A port nobody listens on: connection refused, retried, then logged and dropped.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let mailer = smtp_mailer(addr, "").with_retry(2, Duration::from_millis(10));
        let error = mailer.send(&sample("x")).await.unwrap_err();
        assert!(error.is_transient(), "{error}");
        mailer.send_in_background(sample("x"));
        tokio::time::timeout(WAIT, mailer.flush()).await.unwrap();
    }
}
