//! A node's copy of something every request of a kind reads and few requests change (the sign-on policies, the
//! browser origins): read from the store when absent or older than the TTL (the keyring's, 5 s by default), so
//! the requests that read it cost no query. This node's own changes drop the copy at once; another node's take
//! effect here within the TTL. A copy loaded while a change was being made is not kept (a generation count tells),
//! so a change is never hidden behind a read that started before it.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use lanyard_core::store::StoreResult;

pub struct Snapshot<T> {
    ttl: Duration,
    current: RwLock<Option<(Arc<T>, Instant)>>,
    generation: AtomicU64,
}

impl<T> Snapshot<T> {
    pub fn new(ttl: Duration) -> Self {
        Snapshot {
            ttl,
            current: RwLock::new(None),
            generation: AtomicU64::new(0),
        }
    }

    /// Drops the copy: the next reader loads it again.
    pub fn invalidate(&self) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        *current = None;
    }

    /// The copy, or a fresh one from `load` when it is missing or stale.
    pub async fn get<F, Fut>(&self, load: F) -> StoreResult<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        if let Some((value, loaded)) = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && loaded.elapsed() < self.ttl
        {
            return Ok(value.clone());
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let value = Arc::new(load().await?);
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            *current = Some((value.clone(), Instant::now()));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn loads_once_per_ttl_and_again_after_an_invalidation() {
        let loads = AtomicUsize::new(0);
        let load = || async { Ok(loads.fetch_add(1, Ordering::SeqCst)) };
        let s = Snapshot::new(Duration::from_secs(60));
        assert_eq!(*s.get(load).await.unwrap(), 0);
        assert_eq!(*s.get(load).await.unwrap(), 0, "cached");
        s.invalidate();
        assert_eq!(*s.get(load).await.unwrap(), 1);
        let stale = Snapshot::new(Duration::ZERO);
        assert_eq!(*stale.get(load).await.unwrap(), 2);
        assert_eq!(
            *stale.get(load).await.unwrap(),
            3,
            "a zero TTL keeps nothing"
        );
    }

    #[tokio::test]
    async fn a_load_that_raced_an_invalidation_is_not_kept() {
        let s = Arc::new(Snapshot::new(Duration::from_secs(60)));
        let inner = s.clone();
        let v = s
            .get(|| async move {
                inner.invalidate();
                Ok(1)
            })
            .await
            .unwrap();
        assert_eq!(*v, 1, "the caller still gets what it loaded");
        assert_eq!(
            *s.get(|| async { Ok(2) }).await.unwrap(),
            2,
            "but it was not kept"
        );
    }
}
