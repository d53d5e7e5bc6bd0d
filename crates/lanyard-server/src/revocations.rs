//! Introspection's revocation check, batched: the questions that arrive while a read is running wait for the next
//! read, which answers all of them at once (`Store::access_tokens_revoked`, one query). Each question is answered by
//! a read that started after it was asked, so a revocation committed on any node before the question is always
//! seen; nothing is cached. Under load this turns one store round trip per introspection (on SQLite, two thread
//! switches) into one per batch; a lone question costs one read, as before.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use lanyard_core::oauth::introspection::Revocations;
use lanyard_core::store::{Store, StoreError, StoreResult};
use tokio::sync::oneshot;

/// At most this many tokens per read.
const MAX_BATCH: usize = 64;

type Waiter = (String, Option<String>, oneshot::Sender<StoreResult<bool>>);

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiter>,
    /// Whether a task is reading (and will take what waits when its read ends).
    reading: bool,
}

#[derive(Clone)]
pub struct RevocationBatcher {
    store: Arc<dyn Store>,
    queue: Arc<Mutex<Queue>>,
}

impl RevocationBatcher {
    pub fn new(store: Arc<dyn Store>) -> Self {
        RevocationBatcher {
            store,
            queue: Arc::default(),
        }
    }

    /// Reads batch after batch until nothing waits.
    async fn drain(self) {
        loop {
            let batch: Vec<Waiter> = {
                let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                if q.waiting.is_empty() {
                    q.reading = false;
                    return;
                }
                let n = q.waiting.len().min(MAX_BATCH);
                q.waiting.drain(..n).collect()
            };
            let tokens: Vec<(String, Option<String>)> = batch
                .iter()
                .map(|(jti, grant, _)| (jti.clone(), grant.clone()))
                .collect();
            match self.store.access_tokens_revoked(&tokens).await {
                Ok(answers) if answers.len() == batch.len() => {
                    for ((_, _, tx), revoked) in batch.into_iter().zip(answers) {
                        let _ = tx.send(Ok(revoked));
                    }
                }
                Ok(_) => {
                    for (_, _, tx) in batch {
                        let _ = tx.send(Err(StoreError::Backend(
                            "the store answered another number of tokens".into(),
                        )));
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    for (_, _, tx) in batch {
                        let _ = tx.send(Err(StoreError::Backend(message.clone())));
                    }
                }
            }
        }
    }
}

#[async_trait]
impl Revocations for RevocationBatcher {
    async fn revoked(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.waiting
                .push((jti.to_owned(), grant_id.map(str::to_owned), tx));
            !std::mem::replace(&mut q.reading, true)
        };
        if start {
            tokio::spawn(self.clone().drain());
        }
        rx.await
            .map_err(|_| StoreError::Backend("the revocation check was dropped".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard_core::store::memory::MemoryStore;

    #[tokio::test]
    async fn concurrent_questions_get_their_own_answers() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        store.revoke_access_token("AT.2", expires).await.unwrap();
        store.revoke_access_token("AT.5", expires).await.unwrap();
        let batcher = RevocationBatcher::new(store.clone());
        let mut set = tokio::task::JoinSet::new();
        for i in 0..200 {
            let b = batcher.clone();
            set.spawn(
                async move { (i, b.revoked(&format!("AT.{}", i % 10), None).await.unwrap()) },
            );
        }
        while let Some(done) = set.join_next().await {
            let (i, revoked) = done.unwrap();
            assert_eq!(revoked, i % 10 == 2 || i % 10 == 5, "AT.{}", i % 10);
        }
        // A revocation after the answers shows at the next question.
        assert!(!batcher.revoked("AT.3", None).await.unwrap());
        store.revoke_access_token("AT.3", expires).await.unwrap();
        assert!(batcher.revoked("AT.3", None).await.unwrap());
    }
}
