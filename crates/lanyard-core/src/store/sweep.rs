//! Forgetting short-lived records once nothing can use them again: the sweep every node runs on a schedule. Each
//! kind is deleted by its `expires_at`, so sweeps are idempotent and several nodes may run them at once.

use async_trait::async_trait;
use chrono::Duration;

use super::StoreResult;
use crate::clock::Timestamp;

/// How long a grant is kept after its end (the end of its refresh tokens): the longest an access token lives.
/// Access tokens issued just before the end outlive it by up to that much, and a revoked grant must keep revoking
/// them until they expire.
pub const GRANT_AFTERLIFE: Duration =
    Duration::minutes(*crate::authz::policy::ACCESS_MINUTES.end());

/// How many rows of each kind one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepCounts {
    pub authorization_codes: u64,
    /// Grants that ended more than [`GRANT_AFTERLIFE`] ago, with their refresh tokens.
    pub grants: u64,
    /// Expired, unrotated refresh tokens of grants that are kept (rotated ones stay with their grant, to recognise
    /// a replay).
    pub refresh_tokens: u64,
    pub revoked_access_tokens: u64,
    /// One-time identifiers (client assertion and DPoP proof `jti`s).
    pub used_jtis: u64,
    pub device_codes: u64,
    /// Sign-in state, recovery, activation tokens, WebAuthn challenges, ….
    pub one_time_tokens: u64,
    pub pushed_requests: u64,
    /// SSO sessions, with the records of the apps signed into them.
    pub sessions: u64,
    /// Failure counts no longer remembered (sources, unknown logins, factors).
    pub attempt_counts: u64,
    /// Devices not seen for long.
    pub known_devices: u64,
}

impl SweepCounts {
    pub fn total(&self) -> u64 {
        self.authorization_codes
            + self.grants
            + self.refresh_tokens
            + self.revoked_access_tokens
            + self.used_jtis
            + self.device_codes
            + self.one_time_tokens
            + self.pushed_requests
            + self.sessions
            + self.attempt_counts
            + self.known_devices
    }
}

/// The sweep of expired records.
#[async_trait]
pub trait SweepStore: Send + Sync {
    /// Deletes every record that expired before `now` — grants only before `now -` [`GRANT_AFTERLIFE`], rotated
    /// refresh tokens only with their grant — in bounded batches so other writers are never held up long; how many
    /// of each kind.
    async fn sweep_expired(&self, now: Timestamp) -> StoreResult<SweepCounts>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_outlive_their_end_by_the_longest_access_token() {
        assert_eq!(GRANT_AFTERLIFE, Duration::days(1));
    }
}
