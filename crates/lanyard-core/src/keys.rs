//! Signing key lifecycle.
//!
//! Every authorization server holds, per algorithm, one ACTIVE key (signs), one NEXT key (published ahead of use so
//! that verifiers caching the JWKS already know it when it becomes active) and any number of EXPIRED keys, which stay
//! published until every token they signed has expired. Rotation retires ACTIVE, promotes NEXT, and makes a new NEXT.
//!
//! Key generation is CPU-bound (RSA-2048 takes ~150 ms), so the functions that generate are synchronous and the
//! callers run them off the async executor; the functions that talk to a store take ready-made records.

use async_trait::async_trait;
use chrono::Duration;

use crate::clock::Timestamp;
use crate::crypto::{CryptoError, Jwks, MasterKey, SigningAlg, SigningKey};
use crate::model::{AuthorizationServer, KeyRecord, KeyStatus};
use crate::random::Random;
use crate::store::{KeyStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Generates a key and seals its private half with the master key (the kid is the associated data, so a sealed key
/// cannot be swapped onto another record).
pub fn new_key_record(
    auth_server_id: &str,
    alg: SigningAlg,
    status: KeyStatus,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
) -> Result<KeyRecord, CryptoError> {
    key_record(
        auth_server_id,
        SigningKey::generate(alg)?,
        status,
        master,
        random,
        now,
    )
}

/// The record of `key` (made elsewhere, e.g. taken from a stock of keys generated ahead) for `auth_server_id`,
/// its private key sealed with the master key.
pub fn key_record(
    auth_server_id: &str,
    key: SigningKey,
    status: KeyStatus,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
) -> Result<KeyRecord, CryptoError> {
    let alg = key.alg();
    let pkcs8 = key.to_pkcs8()?;
    let sealed = master.encrypt(key.kid().as_bytes(), pkcs8.as_bytes(), random)?;
    Ok(KeyRecord {
        kid: key.kid().to_owned(),
        auth_server_id: auth_server_id.to_owned(),
        alg,
        status,
        public_jwk: key.public_jwk().clone(),
        sealed_private_key: sealed,
        created: now,
        activated: (status == KeyStatus::Active).then_some(now),
        rotated: None,
        retire_at: None,
    })
}

/// Opens a stored key with the master key.
pub fn open(record: &KeyRecord, master: &MasterKey) -> Result<SigningKey, CryptoError> {
    let der = master.decrypt(record.kid.as_bytes(), &record.sealed_private_key)?;
    let key = SigningKey::from_pkcs8(record.alg, &der);
    // Zero the plaintext copy; SigningKey keeps its own inside aws-lc.
    let mut der = der;
    der.iter_mut().for_each(|b| *b = 0);
    let key = key?;
    if key.kid() != record.kid {
        return Err(CryptoError::InvalidKey(
            "the stored key does not match its kid",
        ));
    }
    Ok(key)
}

/// The (algorithm, status) pairs missing from `keys` for a complete key set over `algs`.
pub fn missing(keys: &[KeyRecord], algs: &[SigningAlg]) -> Vec<(SigningAlg, KeyStatus)> {
    let mut out = Vec::new();
    for &alg in algs {
        for status in [KeyStatus::Active, KeyStatus::Next] {
            if !keys.iter().any(|k| k.alg == alg && k.status == status) {
                out.push((alg, status));
            }
        }
    }
    out
}

/// The JWKS of a key set at `now`: ACTIVE keys first (RS256 first among them), then NEXT, then EXPIRED still within
/// their retention.
pub fn jwks(keys: &[KeyRecord], now: Timestamp) -> Jwks {
    let mut published: Vec<&KeyRecord> = keys.iter().filter(|k| k.is_published(now)).collect();
    let rank = |s: KeyStatus| match s {
        KeyStatus::Active => 0,
        KeyStatus::Next => 1,
        KeyStatus::Expired => 2,
    };
    published.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.alg.cmp(&b.alg))
            .then(b.created.cmp(&a.created))
    });
    Jwks {
        keys: published
            .into_iter()
            .map(|k| k.public_jwk.clone())
            .collect(),
    }
}

/// ACTIVE keys that have signed for longer than `interval` and are due for rotation.
pub fn due_for_rotation(keys: &[KeyRecord], interval: Duration, now: Timestamp) -> Vec<&KeyRecord> {
    keys.iter()
        .filter(|k| {
            k.status == KeyStatus::Active && k.activated.unwrap_or(k.created) + interval <= now
        })
        .collect()
}

/// Stores the records made for [`missing`]; returns how many were inserted (another node may have won the race).
pub async fn insert_missing(
    store: &(impl KeyStore + ?Sized),
    records: &[KeyRecord],
) -> Result<usize, KeyError> {
    let mut inserted = 0;
    for r in records {
        if store.insert_key_if_absent(r).await? {
            inserted += 1;
        }
    }
    Ok(inserted)
}

/// Rotates the ACTIVE key of `fresh.alg` on `server`, with `fresh` becoming the new NEXT key. Returns the kid of
/// the newly active key, or `None` if there was no ACTIVE key of that algorithm or another node rotated first.
pub async fn rotate(
    store: &(impl KeyStore + ?Sized),
    server: &AuthorizationServer,
    fresh: KeyRecord,
    now: Timestamp,
) -> Result<Option<String>, KeyError> {
    let keys = store.keys(&server.id).await?;
    let Some(active) = keys
        .iter()
        .find(|k| k.alg == fresh.alg && k.status == KeyStatus::Active)
    else {
        return Ok(None);
    };
    let next_kid = keys
        .iter()
        .find(|k| k.alg == fresh.alg && k.status == KeyStatus::Next)
        .map(|k| k.kid.clone())
        .unwrap_or_else(|| fresh.kid.clone());
    let retire_at = now + server.key_retention();
    if store
        .rotate_key(&active.kid, &fresh, now, retire_at)
        .await?
    {
        Ok(Some(next_kid))
    } else {
        Ok(None)
    }
}

/// Makes key records. Generation is CPU-bound: the server's implementation runs it off the async executor (and
/// several at once); the store side of what follows is [`ensure`]'s and [`rotate_all`]'s.
#[async_trait]
pub trait KeyGenerator: Send + Sync {
    async fn generate(
        &self,
        server_id: &str,
        alg: SigningAlg,
        status: KeyStatus,
    ) -> Result<KeyRecord, KeyError>;

    /// One record per `(alg, status)`; one after another unless the implementation knows better.
    async fn generate_all(
        &self,
        server_id: &str,
        wanted: &[(SigningAlg, KeyStatus)],
    ) -> Result<Vec<KeyRecord>, KeyError> {
        let mut out = Vec::with_capacity(wanted.len());
        for &(alg, status) in wanted {
            out.push(self.generate(server_id, alg, status).await?);
        }
        Ok(out)
    }
}

/// Gives `server_id` a key in each of `statuses` for every algorithm it lacks one for; returns how many it added.
pub async fn ensure(
    store: &(impl KeyStore + ?Sized),
    generator: &dyn KeyGenerator,
    server_id: &str,
    statuses: &[KeyStatus],
) -> Result<usize, KeyError> {
    let existing = store.keys(server_id).await?;
    let mut wanted = missing(&existing, &SigningAlg::ALL);
    wanted.retain(|(_, status)| statuses.contains(status));
    if wanted.is_empty() {
        return Ok(0);
    }
    let records = generator.generate_all(server_id, &wanted).await?;
    insert_missing(store, &records).await
}

/// Rotates every algorithm of `server` (completing its key set first); returns the kids that became ACTIVE.
pub async fn rotate_all(
    store: &(impl KeyStore + ?Sized),
    generator: &dyn KeyGenerator,
    server: &AuthorizationServer,
    now: Timestamp,
) -> Result<Vec<String>, KeyError> {
    ensure(
        store,
        generator,
        &server.id,
        &[KeyStatus::Active, KeyStatus::Next],
    )
    .await?;
    let wanted: Vec<_> = SigningAlg::ALL
        .iter()
        .map(|&a| (a, KeyStatus::Next))
        .collect();
    let fresh = generator.generate_all(&server.id, &wanted).await?;
    let mut activated = Vec::new();
    for record in fresh {
        if let Some(kid) = rotate(store, server, record, now).await? {
            activated.push(kid);
        }
    }
    Ok(activated)
}

/// A generator for tests: keys sealed with a master key of its own, made inline.
#[cfg(test)]
pub(crate) struct InlineKeys {
    pub master: MasterKey,
    pub now: Timestamp,
}

#[cfg(test)]
impl InlineKeys {
    pub fn new(now: Timestamp) -> Self {
        InlineKeys {
            master: MasterKey::generate(&crate::random::SystemRandom),
            now,
        }
    }
}

#[cfg(test)]
#[async_trait]
impl KeyGenerator for InlineKeys {
    async fn generate(
        &self,
        server_id: &str,
        alg: SigningAlg,
        status: KeyStatus,
    ) -> Result<KeyRecord, KeyError> {
        Ok(new_key_record(
            server_id,
            alg,
            status,
            &self.master,
            &crate::random::SystemRandom,
            self.now,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthServerKind, LifecycleStatus};
    use crate::random::TestRandom;
    use crate::store::memory::MemoryStore;
    use chrono::Utc;

    fn server(now: Timestamp) -> AuthorizationServer {
        AuthorizationServer {
            id: "default".into(),
            kind: AuthServerKind::Custom,
            name: "default".into(),
            description: String::new(),
            audiences: vec!["api://default".into()],
            status: LifecycleStatus::Active,
            signing_alg: SigningAlg::RS256,
            created: now,
            last_updated: now,
        }
    }

    async fn complete_set(store: &MemoryStore, master: &MasterKey, now: Timestamp) {
        let keys = store.keys("default").await.unwrap();
        let records: Vec<KeyRecord> = missing(&keys, &[SigningAlg::ES256])
            .into_iter()
            .map(|(alg, status)| {
                new_key_record("default", alg, status, master, &TestRandom::default(), now).unwrap()
            })
            .collect();
        insert_missing(store, &records).await.unwrap();
    }

    #[tokio::test]
    async fn rotation_promotes_next_and_keeps_the_old_key_published_for_the_retention() {
        let now = Utc::now();
        let store = MemoryStore::new();
        let master = MasterKey::generate(&TestRandom::default());
        complete_set(&store, &master, now).await;
        let before = store.keys("default").await.unwrap();
        assert!(missing(&before, &[SigningAlg::ES256]).is_empty());
        let active = before
            .iter()
            .find(|k| k.status == KeyStatus::Active)
            .unwrap()
            .kid
            .clone();
        let next = before
            .iter()
            .find(|k| k.status == KeyStatus::Next)
            .unwrap()
            .kid
            .clone();

        let fresh = new_key_record(
            "default",
            SigningAlg::ES256,
            KeyStatus::Next,
            &master,
            &TestRandom::default(),
            now,
        )
        .unwrap();
        let promoted = rotate(&store, &server(now), fresh, now).await.unwrap();
        assert_eq!(promoted.as_deref(), Some(next.as_str()));

        let after = store.keys("default").await.unwrap();
        let old = after.iter().find(|k| k.kid == active).unwrap();
        assert_eq!(old.status, KeyStatus::Expired);
        let published = |at| {
            jwks(&after, at)
                .keys
                .into_iter()
                .filter_map(|k| k.kid)
                .collect::<Vec<_>>()
        };
        assert!(published(now).contains(&active));
        assert_eq!(published(now).len(), 3);
        assert_eq!(
            published(now)[0],
            next,
            "the newly active key is listed first"
        );
        let later = now + server(now).key_retention() + Duration::seconds(1);
        assert!(!published(later).contains(&active));
        assert!(missing(&after, &[SigningAlg::ES256]).is_empty());
    }

    #[tokio::test]
    async fn a_stale_rotation_changes_nothing() {
        let now = Utc::now();
        let store = MemoryStore::new();
        let master = MasterKey::generate(&TestRandom::default());
        complete_set(&store, &master, now).await;
        let active = store
            .keys("default")
            .await
            .unwrap()
            .into_iter()
            .find(|k| k.status == KeyStatus::Active)
            .unwrap();
        let f1 = new_key_record(
            "default",
            SigningAlg::ES256,
            KeyStatus::Next,
            &master,
            &TestRandom::default(),
            now,
        )
        .unwrap();
        assert!(store.rotate_key(&active.kid, &f1, now, now).await.unwrap());
        let f2 = new_key_record(
            "default",
            SigningAlg::ES256,
            KeyStatus::Next,
            &master,
            &crate::random::SystemRandom,
            now,
        )
        .unwrap();
        assert!(!store.rotate_key(&active.kid, &f2, now, now).await.unwrap());
        assert_eq!(store.keys("default").await.unwrap().len(), 3);
    }

    #[test]
    fn opening_needs_the_right_master_key() {
        let now = Utc::now();
        let master = MasterKey::generate(&crate::random::SystemRandom);
        let rec = new_key_record(
            "s",
            SigningAlg::EdDSA,
            KeyStatus::Active,
            &master,
            &crate::random::SystemRandom,
            now,
        )
        .unwrap();
        assert_eq!(open(&rec, &master).unwrap().kid(), rec.kid);
        let other = MasterKey::generate(&crate::random::SystemRandom);
        assert!(open(&rec, &other).is_err());
    }

    #[test]
    fn keys_are_due_after_the_interval() {
        let now = Utc::now();
        let master = MasterKey::generate(&crate::random::SystemRandom);
        let rec = new_key_record(
            "s",
            SigningAlg::EdDSA,
            KeyStatus::Active,
            &master,
            &crate::random::SystemRandom,
            now,
        )
        .unwrap();
        let keys = [rec];
        assert!(due_for_rotation(&keys, Duration::days(90), now + Duration::days(89)).is_empty());
        assert_eq!(
            due_for_rotation(&keys, Duration::days(90), now + Duration::days(90)).len(),
            1
        );
    }
}
