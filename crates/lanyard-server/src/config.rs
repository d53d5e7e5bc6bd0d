use std::time::Duration;

use crate::email::Mailer;

/// Sign-in attempts per minute per client IP, unless configured otherwise.
pub const DEFAULT_SIGNIN_RATE_LIMIT: u32 = 60;

/// Who may register clients at `/oauth2/v1/clients` (RFC 7591).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    /// Only callers with a management API token (`SSWS`, or the same token as a `Bearer` initial access token).
    #[default]
    Token,
    /// Anyone, without a token (as OpenID Connect Dynamic Registration's open registration).
    Open,
}

/// What the HTTP layer needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The public URL, without a trailing slash. Issuers and `Link` headers derive from it.
    pub base_url: String,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers) accepted; hyper answers 431 beyond it.
    pub max_header_bytes: usize,
    /// Management API requests per minute per token (or per client IP without one), per node.
    pub api_rate_limit_per_minute: u32,
    /// Sign-in attempts (Authn API and sign-in page `POST`s) per minute per client IP, per node; 0 turns it off.
    pub signin_rate_limit_per_minute: u32,
    /// How long a node serves keys and metadata from memory before re-reading the store.
    pub keyring_ttl: Duration,
    /// How often ACTIVE signing keys are rotated automatically; `None` turns the schedule off.
    pub key_rotation_interval: Option<chrono::Duration>,
    /// How often the key schedule runs.
    pub key_maintenance_every: Duration,
    /// Sends activation, password reset and lockout emails. `lanyard serve` sets SMTP or the data dir's outbox;
    /// the default is an outbox in a new private folder under the system's temporary directory (for tests; see
    /// [`Mailer::outbox_dir`]).
    pub mailer: Mailer,
    /// The org's name, on pages and in emails (set from the store at start).
    pub org_name: String,
    /// The org's id: ID tokens' `idp` (set from the store at start).
    pub org_id: String,
    /// Who may register clients dynamically.
    pub registration: Registration,
    /// Where requests to URLs others named (`jwks_uri`, `sector_identifier_uri`, `request_uri`,
    /// `backchannel_logout_uri`) may go beyond the public internet (`--outbound-allow`).
    pub outbound: lanyard_core::outbound::OutboundPolicy,
    /// Whether `/metrics` is served with everything else (else on its own address, `--metrics-listen`).
    pub metrics_on_main: bool,
    /// The Argon2id parameters of new password hashes (and the ones a sign-in re-hashes older hashes to):
    /// `Params::OWASP`, or `Params::DISPOSABLE` on a disposable instance (`serve --seed`).
    pub password_params: lanyard_core::password::hash::Params,
    /// RSA keys generated ahead, taken by a disposable instance's key maker (`serve --seed`); `None` elsewhere.
    pub key_stock: Option<crate::key_stock::KeyStock>,
}

impl ServerConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        ServerConfig {
            mailer: Mailer::temporary_outbox(&base_url),
            org_name: "Lanyard".to_owned(),
            org_id: String::new(),
            base_url,
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 64 * 1024,
            api_rate_limit_per_minute: 6000,
            signin_rate_limit_per_minute: DEFAULT_SIGNIN_RATE_LIMIT,
            keyring_ttl: Duration::from_secs(5),
            key_rotation_interval: Some(chrono::Duration::days(90)),
            key_maintenance_every: Duration::from_secs(60),
            registration: Registration::Token,
            outbound: lanyard_core::outbound::OutboundPolicy::default(),
            metrics_on_main: true,
            password_params: lanyard_core::password::hash::Params::OWASP,
            key_stock: None,
        }
    }
}
