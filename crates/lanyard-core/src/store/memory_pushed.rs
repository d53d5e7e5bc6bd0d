//! The in-memory store's pushed authorization requests (see `memory.rs`).

use async_trait::async_trait;

use super::memory::MemoryStore;
use super::*;

fn matches(r: &PushedRequest, client_id: &str, auth_server_id: &str, now: Timestamp) -> bool {
    r.client_id == client_id && r.auth_server_id == auth_server_id && r.expires_at > now
}

#[async_trait]
impl PushedRequestStore for MemoryStore {
    async fn insert_pushed_request(&self, request: &PushedRequest) -> StoreResult<()> {
        let mut s = self.state();
        if s.pushed.contains_key(&request.hash) {
            return Err(StoreError::Conflict("pushed request".into()));
        }
        s.pushed.insert(request.hash, request.clone());
        Ok(())
    }

    async fn consume_pushed_request(
        &self,
        hash: &[u8; 32],
        client_id: &str,
        auth_server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<PushedRequest>> {
        let mut s = self.state();
        let found = s
            .pushed
            .get(hash)
            .is_some_and(|r| matches(r, client_id, auth_server_id, now));
        Ok(if found { s.pushed.remove(hash) } else { None })
    }

    async fn pushed_request(
        &self,
        hash: &[u8; 32],
        client_id: &str,
        auth_server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<PushedRequest>> {
        Ok(self
            .state()
            .pushed
            .get(hash)
            .filter(|r| matches(r, client_id, auth_server_id, now))
            .cloned())
    }

    async fn delete_expired_pushed_requests(&self, before: Timestamp) -> StoreResult<u64> {
        let mut s = self.state();
        let n = s.pushed.len();
        s.pushed.retain(|_, r| r.expires_at >= before);
        Ok((n - s.pushed.len()) as u64)
    }
}
