//! Password hashing for async handlers: [`lanyard_core::password::hash`] on tokio's blocking threads, a bounded
//! number at a time.
//!
//! An Argon2id hash at the default parameters takes ≈ 15–25 ms of one core and ≈ 19 MiB of memory. Run on the async
//! workers it would stall every other request; run without a bound, a burst of sign-ins would take as many blocking
//! threads and ×19 MiB as it has requests. So [`PasswordHasher`] holds a semaphore with one permit per CPU core:
//! at most that many hashes run at once, the rest wait their turn (asynchronously, in arrival order), and each runs
//! in [`tokio::task::spawn_blocking`]. The permit goes into the blocking job, so a caller that gives up (a client
//! that disconnects) frees its place in the queue, but a hash already started keeps its permit until it ends.
//!
//! Each blocking thread keeps its Argon2 working memory between jobs (see the core module), and tokio ends blocking
//! threads idle for 10 s, which frees it. The memory held is therefore that of the blocking threads that hashed in
//! the last seconds: one buffer per permit under steady load, possibly more when blocking threads that hashed are
//! kept busy by other blocking work.
//!
//! Passwords are taken as `String` (a `&str` is copied) and the whole allocation of that string is overwritten with
//! zeros when it is dropped: after the blocking job, or when a caller gives up before its job started. That wipes
//! this copy only: the request body, the JSON parser's buffers and whatever the caller copied are beyond its reach.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;

use lanyard_core::password::choose::{Hashing, HashingFailed};
use lanyard_core::password::hash::{self, HashError, Params, Verified};
use lanyard_core::password::policy::PasswordPolicy;
use lanyard_core::random::Random;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a password operation did not complete.
#[derive(Debug)]
pub enum PasswordError {
    /// Hashing failed, or the stored hash is malformed or unsupported.
    Hash(HashError),
    /// The blocking job panicked or was cancelled (runtime shutting down).
    Aborted,
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordError::Hash(error) => error.fmt(f),
            PasswordError::Aborted => f.write_str("password hashing did not complete"),
        }
    }
}

impl std::error::Error for PasswordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PasswordError::Hash(error) => Some(error),
            PasswordError::Aborted => None,
        }
    }
}

impl From<HashError> for PasswordError {
    fn from(error: HashError) -> Self {
        PasswordError::Hash(error)
    }
}

/// The server's password hasher. Cheap to clone: clones share the permits.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    params: Params,
    random: Arc<dyn Random>,
    permits: Arc<Semaphore>,
    max_concurrent: usize,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.inner.params)
            .field("max_concurrent", &self.inner.max_concurrent)
            .field("available", &self.inner.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Hashes with `params`, at most as many at once as the machine has cores.
    pub fn new(params: Params, random: Arc<dyn Random>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self::with_max_concurrent(params, random, cores)
    }

    /// Hashes with `params`, at most `max_concurrent` at once (at least 1).
    pub fn with_max_concurrent(
        params: Params,
        random: Arc<dyn Random>,
        max_concurrent: usize,
    ) -> Self {
        let max_concurrent = max_concurrent.clamp(1, Semaphore::MAX_PERMITS);
        PasswordHasher {
            inner: Arc::new(Inner {
                params,
                random,
                permits: Arc::new(Semaphore::new(max_concurrent)),
                max_concurrent,
            }),
        }
    }

    /// The parameters of new hashes, and the ones [`Verified::needs_rehash`] compares with.
    pub fn params(&self) -> &Params {
        &self.inner.params
    }

    /// How many hashes may run at once.
    pub fn max_concurrent(&self) -> usize {
        self.inner.max_concurrent
    }

    /// A new PHC string for `password`.
    pub async fn hash(&self, password: impl Into<String>) -> Result<String, PasswordError> {
        let password = Wiped(password.into());
        let params = self.inner.params;
        let random = self.inner.random.clone();
        self.run(move || hash::hash(&password.0, &params, &*random))
            .await?
            .map_err(PasswordError::from)
    }

    /// Checks `password` against the stored `phc`. On `ok && needs_rehash`, store [`PasswordHasher::hash`] of the
    /// same password.
    pub async fn verify(
        &self,
        password: impl Into<String>,
        phc: impl Into<String>,
    ) -> Result<Verified, PasswordError> {
        let (password, phc) = (Wiped(password.into()), phc.into());
        let params = self.inner.params;
        self.run(move || hash::verify(&password.0, &phc, &params))
            .await?
            .map_err(PasswordError::from)
    }

    /// The cost of a [`PasswordHasher::verify`] with nothing to verify against, for sign-ins naming an unknown
    /// user: it queues and runs like a real one, so the answer's timing does not tell the difference.
    pub async fn verify_dummy(&self, password: impl Into<String>) -> Result<(), PasswordError> {
        let password = Wiped(password.into());
        let params = self.inner.params;
        self.run(move || hash::verify_dummy(&password.0, &params))
            .await
    }

    /// Whether `password` matches one of the `history_count` first of `previous_hashes` (PHC strings, most recent
    /// first, the current password's first): [`PasswordPolicy::reused`] on a blocking thread, holding one permit
    /// throughout (up to `history_count` verifications). Malformed entries match nothing.
    pub async fn reused(
        &self,
        password: impl Into<String>,
        previous_hashes: &[String],
        history_count: usize,
    ) -> Result<bool, PasswordError> {
        let password = Wiped(password.into());
        let previous: Vec<String> = previous_hashes
            .iter()
            .take(history_count)
            .cloned()
            .collect();
        let params = self.inner.params;
        let policy = PasswordPolicy {
            history_count,
            ..PasswordPolicy::default()
        };
        self.run(move || policy.reused(&password.0, &previous, &params))
            .await
    }

    /// Runs `job` on a blocking thread once a permit is free; the permit is released when the job ends.
    async fn run<T, F>(&self, job: F) -> Result<T, PasswordError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit: OwnedSemaphorePermit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            // Only on a closed semaphore, and this one is never closed.
            .map_err(|_| PasswordError::Aborted)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|_| PasswordError::Aborted)
    }
}

/// The core's operations hash through this: on blocking threads, a bounded number at a time.
#[async_trait::async_trait]
impl Hashing for PasswordHasher {
    async fn hash(&self, password: &str) -> Result<String, HashingFailed> {
        PasswordHasher::hash(self, password)
            .await
            .map_err(|e| HashingFailed(e.to_string()))
    }

    async fn verify(&self, password: &str, phc: &str) -> Result<bool, HashingFailed> {
        PasswordHasher::verify(self, password, phc)
            .await
            .map(|v| v.ok)
            .map_err(|e| HashingFailed(e.to_string()))
    }

    async fn check(&self, password: &str, phc: &str) -> Result<Verified, HashingFailed> {
        PasswordHasher::verify(self, password, phc)
            .await
            .map_err(|e| HashingFailed(e.to_string()))
    }

    async fn check_nothing(&self, password: &str) {
        let _ = self.verify_dummy(password).await;
    }

    async fn reused(
        &self,
        password: &str,
        previous_hashes: &[String],
        history_count: usize,
    ) -> Result<bool, HashingFailed> {
        PasswordHasher::reused(self, password, previous_hashes, history_count)
            .await
            .map_err(|e| HashingFailed(e.to_string()))
    }
}

/// A password whose whole allocation (spare capacity included) is overwritten with zeros when dropped.
struct Wiped(String);

impl Drop for Wiped {
    fn drop(&mut self) {
        zero_allocation(&mut std::mem::take(&mut self.0).into_bytes());
    }
}

/// Zeros over all of `bytes`' allocation; leaves it at its full capacity, all zeros, in place.
fn zero_allocation(bytes: &mut Vec<u8>) {
    bytes.fill(0);
    // Within capacity: no reallocation, the new length covers the spare bytes too.
    bytes.resize(bytes.capacity(), 0);
    // Keeps the writes: the buffer is handed to code the optimiser cannot see through before it is freed.
    std::hint::black_box(bytes);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use lanyard_core::random::SystemRandom;

    use super::*;

    fn small() -> Params {
        Params::new(64, 1, 1).unwrap()
    }

    fn hasher(max_concurrent: usize) -> PasswordHasher {
        PasswordHasher::with_max_concurrent(small(), Arc::new(SystemRandom), max_concurrent)
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let hasher = hasher(2);
        let phc = hasher.hash("Correct7horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        let verified = hasher.verify("Correct7horse", phc.clone()).await.unwrap();
        assert!(verified.ok && !verified.needs_rehash);
        let wrong = hasher.verify("correct7horse", phc).await.unwrap();
        assert!(!wrong.ok);
        hasher.verify_dummy("anything").await.unwrap();
    }

    #[tokio::test]
    async fn malformed_hash_is_an_error() {
        let error = hasher(1).verify("pw", "$argon2id$nope").await.unwrap_err();
        assert!(
            matches!(error, PasswordError::Hash(HashError::Malformed(_))),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn needs_rehash_against_the_hashers_params() {
        let old = hasher(1).hash("Correct7horse").await.unwrap();
        let newer = PasswordHasher::with_max_concurrent(
            Params::new(128, 1, 1).unwrap(),
            Arc::new(SystemRandom),
            1,
        );
        let verified = newer.verify("Correct7horse", old).await.unwrap();
        assert!(verified.ok && verified.needs_rehash);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_verifications_all_succeed() {
        let hasher = hasher(2);
        let mut phcs = Vec::new();
        for i in 0..8 {
            phcs.push(hasher.hash(format!("Password-{i}")).await.unwrap());
        }
        let jobs: Vec<_> = phcs
            .into_iter()
            .enumerate()
            .map(|(i, phc)| {
                let hasher = hasher.clone();
                tokio::spawn(async move {
                    let right = hasher
                        .verify(format!("Password-{i}"), phc.clone())
                        .await
                        .unwrap();
                    let wrong = hasher
                        .verify(format!("Password-{}", i + 1), phc)
                        .await
                        .unwrap();
                    hasher.verify_dummy(format!("Password-{i}")).await.unwrap();
                    (right.ok, wrong.ok)
                })
            })
            .collect();
        for job in jobs {
            assert_eq!(job.await.unwrap(), (true, false));
        }
        assert_eq!(hasher.inner.permits.available_permits(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn permits_bound_concurrency() {
        let hasher = hasher(3);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..12)
            .map(|_| {
                let (hasher, running, most) = (hasher.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    hasher
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(30));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                        .unwrap();
                })
            })
            .collect();
        for job in jobs {
            job.await.unwrap();
        }
        // Never more than the permits, and the queue did fill them.
        assert_eq!(most.load(Ordering::SeqCst), 3);
        assert_eq!(hasher.inner.permits.available_permits(), 3);
    }

    #[tokio::test]
    async fn a_caller_giving_up_frees_its_place() {
        let hasher = hasher(1);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        // Hold the only permit with a job that waits for a signal.
        let holder = {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.run(move || wait.recv().ok()).await })
        };
        while hasher.inner.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // A caller queued behind it gives up.
        let queued =
            tokio::time::timeout(Duration::from_millis(20), hasher.verify_dummy("pw")).await;
        assert!(queued.is_err());
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
        // The permit came back, and nobody holds a place.
        let phc = hasher.hash("pw").await.unwrap();
        assert!(hasher.verify("pw", phc).await.unwrap().ok);
        assert_eq!(hasher.inner.permits.available_permits(), 1);
    }

    #[tokio::test]
    async fn a_started_job_keeps_its_permit_when_its_caller_goes() {
        let hasher = hasher(1);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, has_started) = tokio::sync::oneshot::channel::<()>();
        let caller = {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                hasher
                    .run(move || {
                        started.send(()).unwrap();
                        wait.recv().ok()
                    })
                    .await
            })
        };
        has_started.await.unwrap();
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());
        // The job still runs, and still counts.
        assert_eq!(hasher.inner.permits.available_permits(), 0);
        release.send(()).unwrap();
        let _permit = hasher.inner.permits.acquire().await.unwrap();
    }

    #[tokio::test]
    async fn reused_on_a_blocking_thread() {
        let hasher = hasher(1);
        let previous = [
            hasher.hash("Third3rd").await.unwrap(),
            hasher.hash("Second2nd").await.unwrap(),
            hasher.hash("First1st").await.unwrap(),
        ];
        assert!(hasher.reused("Third3rd", &previous, 4).await.unwrap());
        assert!(hasher.reused("First1st", &previous, 3).await.unwrap());
        assert!(!hasher.reused("First1st", &previous, 2).await.unwrap());
        assert!(!hasher.reused("Fourth4th", &previous, 4).await.unwrap());
        assert!(!hasher.reused("Third3rd", &previous, 0).await.unwrap());
    }

    #[test]
    fn wipe_zeroes_the_whole_allocation() {
        let mut password = String::with_capacity(40);
        password.push_str("Sup3r-S3cret-Passw0rd-that-got-shorter");
        password.truncate(12);
        let mut bytes = password.into_bytes();
        let (address, capacity) = (bytes.as_ptr(), bytes.capacity());
        zero_allocation(&mut bytes);
        assert_eq!(
            (bytes.as_ptr(), bytes.len(), bytes.capacity()),
            (address, capacity, capacity)
        );
        assert!(bytes.iter().all(|&b| b == 0));
        drop(Wiped(String::from("Sup3r-S3cret")));
        drop(Wiped(String::new()));
    }

    #[test]
    fn debug_shows_the_settings() {
        let shown = format!("{:?}", hasher(2));
        assert!(
            shown.contains("PasswordHasher") && shown.contains("max_concurrent: 2"),
            "{shown}"
        );
    }
}
