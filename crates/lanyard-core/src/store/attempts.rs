//! The counts that stop brute force (`crate::signin::attempts`), where every node sees them.

use async_trait::async_trait;

use super::StoreResult;
use crate::clock::Timestamp;

/// Failures counted under a key, and when the last one was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last: Timestamp,
}

#[async_trait]
pub trait AttemptStore: Send + Sync {
    /// Counts a wrong answer against the live one-time token hashing to `token_hash`: how many it has had, the
    /// token deleted in the same transaction when that reaches `limit`. `None`: no such live token.
    async fn count_token_attempt(
        &self,
        token_hash: &[u8; 32],
        limit: u32,
        now: Timestamp,
    ) -> StoreResult<Option<u32>>;
    /// The failures counted under `key` (`crate::signin::attempts::key`), if any.
    async fn failures(&self, key: &[u8; 32]) -> StoreResult<Option<Failures>>;
    /// Counts a failure under `key` at `now`, atomically (concurrent failures are all counted); a count whose last
    /// failure is before `forget_before` starts again at one. Kept until `expires_at`.
    async fn count_failure(
        &self,
        key: &[u8; 32],
        now: Timestamp,
        forget_before: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Failures>;
    /// Forgets the failures under `key` (a factor answered right).
    async fn clear_failures(&self, key: &[u8; 32]) -> StoreResult<()>;
    /// Remembers the device whose cookie hashes to `device` as one of the user's, until `expires_at` (a device seen
    /// again is kept longer). Nothing for a user who does not exist.
    async fn remember_device(
        &self,
        user_id: &str,
        device: &[u8; 32],
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// Whether the device is one of the user's at `now`.
    async fn known_device(
        &self,
        user_id: &str,
        device: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<bool>;
}
