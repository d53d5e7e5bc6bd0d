//! Creating and rotating signing keys: used at start, by the key schedule, by the Authorization Servers API (through
//! `lanyard_core::authz::admin::servers`, to which [`KeyMaker`] is the [`KeyGenerator`]) and by `lanyard keys
//! rotate`. Generation runs on blocking threads (RSA-2048 takes ~150 ms), several at once; what to make and the
//! store calls are the core's ([`keys::ensure`], [`keys::rotate_all`]), which make concurrent nodes safe.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use lanyard_core::clock::{Clock, Timestamp};
use lanyard_core::crypto::{MasterKey, SigningAlg};
use lanyard_core::keys::{self, KeyError, KeyGenerator};
use lanyard_core::model::{AuthServerKind, AuthorizationServer, KeyRecord, KeyStatus, PageRequest};
use lanyard_core::random::Random;
use lanyard_core::store::{Store, StoreError};

use crate::key_stock::KeyStock;

/// The algorithms every authorization server holds keys for: RS256 signs by default; ES256 and EdDSA are there for
/// servers and clients that choose them.
pub const ALGORITHMS: [SigningAlg; 3] = SigningAlg::ALL;

/// How long an expired key stays listed (no longer published) after its retention ends.
pub const LISTED_AFTER_RETIREMENT: Duration = Duration::days(30);

/// What a node needs to make keys.
#[derive(Clone)]
pub struct KeyMaker {
    pub master: Arc<MasterKey>,
    pub random: Arc<dyn Random>,
    pub clock: Arc<dyn Clock>,
    /// Where RSA keys generated ahead are taken from, on a disposable instance ([`KeyStock`]).
    pub stock: Option<KeyStock>,
}

impl KeyMaker {
    /// A node's key maker.
    pub fn of(state: &crate::state::AppState) -> Self {
        KeyMaker {
            master: state.master.clone(),
            random: state.random.clone(),
            clock: state.clock.clone(),
            stock: state.config.key_stock.clone(),
        }
    }

    /// Generates one key record off the async executor.
    pub async fn generate(
        &self,
        server_id: &str,
        alg: SigningAlg,
        status: KeyStatus,
    ) -> Result<KeyRecord, KeyError> {
        let (master, random, now, id) = (
            self.master.clone(),
            self.random.clone(),
            self.clock.now(),
            server_id.to_owned(),
        );
        let stock = self.stock.clone().filter(|_| alg == SigningAlg::RS256);
        tokio::task::spawn_blocking(move || {
            match stock.as_ref().map(KeyStock::take) {
                Some(Ok(Some(key))) => {
                    return keys::key_record(&id, key, status, &master, random.as_ref(), now);
                }
                Some(Err(e)) => tracing::warn!(stock = %stock_path(&stock), error = %e, "the key stock could not be read; generating"),
                Some(Ok(None)) | None => {}
            }
            keys::new_key_record(&id, alg, status, &master, random.as_ref(), now)
        })
        .await
        .map_err(|e| {
            KeyError::Store(StoreError::Backend(format!(
                "key generation task failed: {e}"
            )))
        })?
        .map_err(KeyError::from)
    }

    /// Gives `server_id` an ACTIVE and a NEXT key for every algorithm it lacks one for; returns how many it added.
    pub async fn ensure(&self, store: &dyn Store, server_id: &str) -> Result<usize, KeyError> {
        self.ensure_statuses(store, server_id, &[KeyStatus::Active, KeyStatus::Next])
            .await
    }

    /// Like [`KeyMaker::ensure`], for the given statuses only (a first start makes ACTIVE keys before serving and
    /// NEXT keys right after).
    pub async fn ensure_statuses(
        &self,
        store: &dyn Store,
        server_id: &str,
        statuses: &[KeyStatus],
    ) -> Result<usize, KeyError> {
        keys::ensure(store, self, server_id, statuses).await
    }

    /// Rotates every algorithm of `server`; returns the kids that became ACTIVE.
    pub async fn rotate(
        &self,
        store: &dyn Store,
        server: &AuthorizationServer,
    ) -> Result<Vec<String>, KeyError> {
        keys::rotate_all(store, self, server, self.clock.now()).await
    }

    /// The schedule's work: complete key sets, rotate keys older than `interval`, forget long-retired keys.
    pub async fn maintain(
        &self,
        store: &dyn Store,
        interval: Option<Duration>,
    ) -> Result<MaintenanceReport, KeyError> {
        let mut report = MaintenanceReport::default();
        for server in all_servers(store).await? {
            report.created += self.ensure(store, &server.id).await?;
            if let Some(interval) = interval {
                let keys = store.keys(&server.id).await?;
                if !keys::due_for_rotation(&keys, interval, self.clock.now()).is_empty() {
                    let kids = self.rotate(store, &server).await?;
                    if !kids.is_empty() {
                        tracing::info!(auth_server = %server.id, activated = ?kids, "signing keys rotated on schedule");
                        report.rotated.push(server.id.clone());
                    }
                }
            }
        }
        report.deleted = store
            .delete_retired_keys(self.clock.now() - LISTED_AFTER_RETIREMENT)
            .await?;
        Ok(report)
    }
}

fn stock_path(stock: &Option<KeyStock>) -> String {
    stock
        .as_ref()
        .map(|s| s.path().display().to_string())
        .unwrap_or_default()
}

#[async_trait]
impl KeyGenerator for KeyMaker {
    async fn generate(
        &self,
        server_id: &str,
        alg: SigningAlg,
        status: KeyStatus,
    ) -> Result<KeyRecord, KeyError> {
        KeyMaker::generate(self, server_id, alg, status).await
    }

    /// In parallel, each on a blocking thread.
    async fn generate_all(
        &self,
        server_id: &str,
        wanted: &[(SigningAlg, KeyStatus)],
    ) -> Result<Vec<KeyRecord>, KeyError> {
        let jobs = wanted
            .iter()
            .map(|&(alg, status)| KeyMaker::generate(self, server_id, alg, status));
        futures::future::join_all(jobs).await.into_iter().collect()
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    pub created: usize,
    pub rotated: Vec<String>,
    pub deleted: u64,
}

/// The org server and every custom server.
pub async fn all_servers(store: &dyn Store) -> Result<Vec<AuthorizationServer>, StoreError> {
    let mut out = Vec::new();
    for kind in [AuthServerKind::Org, AuthServerKind::Custom] {
        let mut req = PageRequest::first(200);
        loop {
            let page = store.list_auth_servers(kind, &req).await?;
            out.extend(page.items);
            match page.next {
                Some(after) => req.after = Some(after),
                None => break,
            }
        }
    }
    Ok(out)
}

/// When the schedule will next rotate `server`'s RS256 key, for Okta's `credentials.signing.nextRotation`.
pub fn next_rotation(keys: &[KeyRecord], interval: Option<Duration>) -> Option<Timestamp> {
    let active = keys
        .iter()
        .find(|k| k.alg == SigningAlg::RS256 && k.status == KeyStatus::Active)?;
    Some(active.activated.unwrap_or(active.created) + interval?)
}
