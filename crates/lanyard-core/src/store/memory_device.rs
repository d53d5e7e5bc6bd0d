//! The in-memory store's device authorization requests (see `memory.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::memory::MemoryStore;
use super::*;
use crate::model::DeviceCodeStatus;

#[derive(Default)]
pub(super) struct DeviceState {
    /// By the hash of the device code.
    codes: BTreeMap<[u8; 32], DeviceCode>,
}

impl DeviceState {
    /// Forgets codes that expired before `now`; how many.
    pub(super) fn sweep(&mut self, now: Timestamp) -> u64 {
        let n = self.codes.len();
        self.codes.retain(|_, c| c.expires_at >= now);
        (n - self.codes.len()) as u64
    }

    pub(super) fn forget_user(&mut self, user_id: &str) {
        self.codes
            .retain(|_, c| c.approval.as_ref().is_none_or(|a| a.user_id != user_id));
    }

    fn by_user_code(&mut self, hash: &[u8; 32]) -> Option<&mut DeviceCode> {
        self.codes.values_mut().find(|c| c.user_code_hash == *hash)
    }
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn insert_device_code(&self, code: &DeviceCode) -> StoreResult<()> {
        let mut s = self.state();
        let d = &mut s.devices;
        if d.codes.contains_key(&code.hash) || d.by_user_code(&code.user_code_hash).is_some() {
            return Err(StoreError::Conflict("user_code".into()));
        }
        d.codes.insert(code.hash, code.clone());
        Ok(())
    }

    async fn pending_device_code(
        &self,
        user_code_hash: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<DeviceCode>> {
        let mut s = self.state();
        Ok(s.devices
            .by_user_code(user_code_hash)
            .filter(|c| c.status == DeviceCodeStatus::Pending && c.live(now))
            .map(|c| c.clone()))
    }

    async fn decide_device_code(
        &self,
        user_code_hash: &[u8; 32],
        approval: Option<&DeviceApproval>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut s = self.state();
        if approval.is_some_and(|a| !s.users.contains_key(&a.user_id)) {
            return Ok(false);
        }
        match s.devices.by_user_code(user_code_hash) {
            Some(c) if c.status == DeviceCodeStatus::Pending && c.live(now) => {
                c.status = match approval {
                    Some(_) => DeviceCodeStatus::Approved,
                    None => DeviceCodeStatus::Denied,
                };
                c.approval = approval.cloned();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn poll_device_code(
        &self,
        hash: &[u8; 32],
        client_id: &str,
        auth_server_id: &str,
        now: Timestamp,
    ) -> StoreResult<DevicePoll> {
        let mut s = self.state();
        let Some(code) = s.devices.codes.get_mut(hash) else {
            return Ok(DevicePoll::Invalid);
        };
        let (answer, next) = code.poll(client_id, auth_server_id, now);
        if let Some(next) = next {
            *code = next;
        }
        Ok(answer)
    }

    async fn delete_expired_device_codes(&self, before: Timestamp) -> StoreResult<u64> {
        let mut s = self.state();
        let n = s.devices.codes.len();
        s.devices.codes.retain(|_, c| c.expires_at >= before);
        Ok((n - s.devices.codes.len()) as u64)
    }
}
