//! A signed-in user's decision on a device authorization request (RFC 8628 §3.3), from the `/activate` page: the
//! code they typed approved with their session — whose `sid` the device's ID token carries, so the app is told when
//! the session ends — or denied. Of two concurrent decisions one wins; a code no longer pending takes none.

use crate::clock::Timestamp;
use crate::model::{DeviceApproval, DeviceCode, Session};
use crate::signin::sessions;
use crate::store::{DeviceStore, SessionAppStore, StoreResult};

/// Approves `code` (whose user code hashes to `user_code_hash`) for the user of `session`, and records the app as
/// signed into that session. False when the code is no longer pending.
pub async fn approve<S>(
    store: &S,
    now: Timestamp,
    user_code_hash: &[u8; 32],
    code: &DeviceCode,
    session: &Session,
) -> StoreResult<bool>
where
    S: DeviceStore + SessionAppStore + ?Sized,
{
    let approval = DeviceApproval {
        user_id: session.user_id.clone(),
        session_id: Some(session.id.clone()),
        auth_time: session.created,
        amr: session.amr.clone(),
        decided_at: now,
    };
    if !store
        .decide_device_code(user_code_hash, Some(&approval), now)
        .await?
    {
        return Ok(false);
    }
    sessions::app_signed_in(
        store,
        now,
        &session.id,
        &code.client_id,
        &code.auth_server_id,
    )
    .await?;
    Ok(true)
}

/// Denies the code whose user code hashes to `user_code_hash`. False when it is no longer pending.
pub async fn deny<S>(store: &S, now: Timestamp, user_code_hash: &[u8; 32]) -> StoreResult<bool>
where
    S: DeviceStore + ?Sized,
{
    store.decide_device_code(user_code_hash, None, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::model::DeviceCodeStatus;
    use crate::oauth::device::user_code_hash as hash_of;
    use crate::store::SessionAppStore;
    use chrono::Duration;

    fn code(user_code: &str, now: Timestamp) -> DeviceCode {
        DeviceCode {
            hash: crate::crypto::sha256(user_code.as_bytes()),
            user_code_hash: hash_of(user_code),
            grant_id: format!("oag{user_code}"),
            auth_server_id: "default".into(),
            client_id: "tv".into(),
            scopes: vec!["openid".into()],
            status: DeviceCodeStatus::Pending,
            interval: 5,
            last_polled: None,
            approval: None,
            created: now,
            expires_at: now + Duration::minutes(10),
        }
    }

    #[tokio::test]
    async fn an_approval_names_the_session_which_then_knows_the_app_and_decides_once() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let session = w.session(&user).await;
        let now = w.clock.now();
        let c = code("BCDFGHJK", now);
        w.store.insert_device_code(&c).await.unwrap();
        assert!(
            approve(&w.store, now, &c.user_code_hash, &c, &session)
                .await
                .unwrap()
        );
        let apps = w.store.session_apps(&session.id).await.unwrap();
        assert!(apps.iter().any(|a| a.client_id == "tv"));
        assert!(
            !deny(&w.store, now, &c.user_code_hash).await.unwrap(),
            "decided already"
        );
        let other = code("LMNPQRST", now);
        w.store.insert_device_code(&other).await.unwrap();
        assert!(deny(&w.store, now, &other.user_code_hash).await.unwrap());
        assert!(
            !approve(&w.store, now, &other.user_code_hash, &other, &session)
                .await
                .unwrap()
        );
    }
}
