use std::ops::Deref;
use std::sync::Arc;

use lanyard_core::clock::Clock;
use lanyard_core::crypto::MasterKey;
use lanyard_core::mfa::webauthn::RelyingParty;
use lanyard_core::password::policy::PasswordPolicy;
use lanyard_core::random::Random;
use lanyard_core::store::Store;

use crate::api::auth::TouchThrottle;
use crate::api::rate_limit::RateLimiter;
use crate::clients::ClientCache;
use crate::config::ServerConfig;
use crate::keyring::Keyring;
use crate::metrics::Metrics;
use crate::passwords::PasswordHasher;
use crate::revocations::RevocationBatcher;
use crate::syslog::SystemLog;

/// The label [`MasterKey::derive`] takes for the DPoP nonce key.
pub const DPOP_NONCE_KEY_LABEL: &str = "lanyard dpop nonce v1";

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub config: ServerConfig,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub master: Arc<MasterKey>,
    /// The pairwise subject key (`MasterKey::derive(PAIRWISE_KEY_LABEL)`), derived once at start.
    pub pairwise_key: [u8; 32],
    /// The DPoP nonce key (`MasterKey::derive(DPOP_NONCE_KEY_LABEL)`), derived once at start.
    pub dpop_nonce_key: [u8; 32],
    /// The key the hosted pages' CSRF fields are signed with ([`lanyard_core::signin::csrf`]).
    pub csrf_key: [u8; 32],
    pub keyring: Keyring,
    /// The one way out to URLs others named ([`crate::outbound`]).
    pub outbound: crate::outbound::Outbound,
    /// The clients that authenticate at the OAuth endpoints (`crate::clients`).
    pub clients: ClientCache,
    /// This node's copy of the integration catalog ([`crate::catalog`]).
    pub catalog: crate::catalog::CatalogCache,
    /// This node's copy of the origins browsers may call from (CORS) and be sent back to ([`crate::cors`]).
    pub origins: crate::cors::OriginCache,
    /// This node's copy of the sign-on policies ([`crate::signon_cache`]).
    pub signon: crate::signon_cache::SignOnCache,
    /// Introspection's revocation checks, batched (`crate::revocations`).
    pub revocations: RevocationBatcher,
    pub metrics: Metrics,
    pub rate_limiter: RateLimiter,
    /// Sign-in attempts per client IP (`api::rate_limit::signin_throttle`); `None` when turned off.
    pub signin_rate_limiter: Option<RateLimiter>,
    pub token_touch: TouchThrottle,
    pub passwords: PasswordHasher,
    pub password_policy: PasswordPolicy,
    pub syslog: SystemLog,
    pub signin_policy: lanyard_core::signin::SigninPolicy,
    /// The WebAuthn relying party (the base URL's host); `None` when the base URL's host is an IP address.
    pub webauthn: Option<Arc<RelyingParty>>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The org's name, for pages and messages.
    pub fn org_name(&self) -> String {
        self.config.org_name.clone()
    }

    /// What the core's operations on users need besides the store: the clock, randomness, the password hasher
    /// and policy.
    pub fn accounts(&self) -> lanyard_core::directory::accounts::Env<'_> {
        lanyard_core::directory::accounts::Env {
            clock: self.clock.as_ref(),
            random: self.random.as_ref(),
            hashing: &self.passwords,
            password_policy: &self.password_policy,
        }
    }

    /// What the operations on apps and groups need besides the store (`lanyard_core::apps::instances`).
    pub fn apps(&self) -> lanyard_core::apps::instances::Env<'_> {
        lanyard_core::apps::instances::Env {
            clock: self.clock.as_ref(),
            random: self.random.as_ref(),
        }
    }

    /// An app changed on this node (created, replaced, its status or secrets): this node's copies that hold it
    /// are dropped at once — its client, and the origins a browser app's redirect URIs allow.
    pub fn app_changed(&self, client_id: &str) {
        self.clients.invalidate(client_id);
        self.origins.invalidate();
    }

    pub fn new(
        store: Arc<dyn Store>,
        config: ServerConfig,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        master: Arc<MasterKey>,
    ) -> Self {
        let metrics = Metrics::new();
        let keyring = Keyring::new(
            store.clone(),
            master.clone(),
            clock.clone(),
            config.clone(),
            metrics.clone(),
        );
        let clients = ClientCache::new(store.clone(), config.keyring_ttl);
        let outbound = crate::outbound::Outbound::new(config.outbound.clone());
        let signon = crate::signon_cache::SignOnCache::new(store.clone(), config.keyring_ttl);
        let origins = crate::cors::OriginCache::new(store.clone(), config.keyring_ttl);
        let catalog = crate::catalog::CatalogCache::new(store.clone(), config.keyring_ttl);
        let revocations = RevocationBatcher::new(store.clone());
        let rate_limiter = RateLimiter::new(config.api_rate_limit_per_minute);
        let signin_rate_limiter = (config.signin_rate_limit_per_minute > 0)
            .then(|| RateLimiter::new(config.signin_rate_limit_per_minute));
        let passwords = PasswordHasher::new(config.password_params, random.clone());
        let log_store: Arc<dyn lanyard_core::syslog::LogStore> = store.clone();
        let syslog = SystemLog::start(log_store);
        let webauthn = match RelyingParty::new(&config.base_url, &config.org_name) {
            Ok(rp) => Some(Arc::new(rp)),
            Err(e) => {
                tracing::info!("passkeys (WebAuthn) are off: {e}");
                None
            }
        };
        let pairwise_key = master.derive(lanyard_core::oauth::subject::PAIRWISE_KEY_LABEL);
        let dpop_nonce_key = master.derive(DPOP_NONCE_KEY_LABEL);
        let csrf_key = master.derive(lanyard_core::signin::csrf::KEY_LABEL);
        AppState(Arc::new(Inner {
            store,
            config,
            clock,
            random,
            master,
            pairwise_key,
            dpop_nonce_key,
            csrf_key,
            keyring,
            outbound,
            clients,
            catalog,
            origins,
            signon,
            revocations,
            metrics,
            rate_limiter,
            signin_rate_limiter,
            token_touch: TouchThrottle::default(),
            passwords,
            password_policy: PasswordPolicy::default(),
            syslog,
            signin_policy: lanyard_core::signin::SigninPolicy::default(),
            webauthn,
        }))
    }
}
