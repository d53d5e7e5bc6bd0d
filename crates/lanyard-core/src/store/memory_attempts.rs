//! The in-memory store's attempt counts and known devices (see `memory.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::memory::MemoryStore;
use super::*;
use crate::signin::attempts::device_key;

#[derive(Default)]
pub(super) struct AttemptsState {
    /// Wrong answers per one-time token hash (the token's own record lives in `one_time_tokens`).
    pub(super) tokens: BTreeMap<[u8; 32], u32>,
    counts: BTreeMap<[u8; 32], (Failures, Timestamp)>,
    /// By device key: the user, and until when.
    devices: BTreeMap<[u8; 32], (String, Timestamp)>,
}

#[async_trait]
impl AttemptStore for MemoryStore {
    async fn count_token_attempt(
        &self,
        token_hash: &[u8; 32],
        limit: u32,
        now: Timestamp,
    ) -> StoreResult<Option<u32>> {
        let mut s = self.state();
        if !s.one_time_token_live(token_hash, now) {
            return Ok(None);
        }
        let n = {
            let n = s.attempts.tokens.entry(*token_hash).or_insert(0);
            *n = n.saturating_add(1);
            *n
        };
        if n >= limit {
            s.remove_one_time_token(token_hash);
        }
        Ok(Some(n))
    }

    async fn failures(&self, key: &[u8; 32]) -> StoreResult<Option<Failures>> {
        Ok(self.state().attempts.counts.get(key).map(|(f, _)| *f))
    }

    async fn count_failure(
        &self,
        key: &[u8; 32],
        now: Timestamp,
        forget_before: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Failures> {
        let mut s = self.state();
        let entry = s.attempts.counts.entry(*key).or_insert((
            Failures {
                count: 0,
                last: now,
            },
            expires_at,
        ));
        let count = if entry.0.last < forget_before {
            1
        } else {
            entry.0.count.saturating_add(1)
        };
        *entry = (Failures { count, last: now }, expires_at);
        Ok(entry.0)
    }

    async fn clear_failures(&self, key: &[u8; 32]) -> StoreResult<()> {
        self.state().attempts.counts.remove(key);
        Ok(())
    }

    async fn remember_device(
        &self,
        user_id: &str,
        device: &[u8; 32],
        _now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let mut s = self.state();
        if !s.users.contains_key(user_id) {
            return Ok(());
        }
        s.attempts.devices.insert(
            device_key(user_id, device),
            (user_id.to_owned(), expires_at),
        );
        Ok(())
    }

    async fn known_device(
        &self,
        user_id: &str,
        device: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<bool> {
        let s = self.state();
        if !s.users.contains_key(user_id) {
            return Ok(false);
        }
        Ok(s.attempts
            .devices
            .get(&device_key(user_id, device))
            .is_some_and(|(u, until)| u == user_id && *until > now))
    }
}

impl AttemptsState {
    /// Drops what was kept for a user (deleted).
    pub(super) fn forget_user(&mut self, user_id: &str) {
        self.devices.retain(|_, (u, _)| u != user_id);
    }

    /// Drops what expired before `now`.
    pub(super) fn sweep(&mut self, now: Timestamp) -> (u64, u64) {
        let (c, d) = (self.counts.len(), self.devices.len());
        self.counts.retain(|_, (_, until)| *until >= now);
        self.devices.retain(|_, (_, until)| *until >= now);
        (
            (c - self.counts.len()) as u64,
            (d - self.devices.len()) as u64,
        )
    }
}
