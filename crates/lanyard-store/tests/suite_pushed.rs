//! The storage suite for pushed authorization requests (RFC 9126) and the requests the authorization endpoint keeps
//! across sign-in, on every backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::PushedRequest;
use lanyard_core::store::{Store, StoreError};

#[macro_use]
mod support;

suite!(
    pushed_requests_round_trip_and_are_taken_once,
    only_their_client_and_server_find_them,
    expired_requests_are_refused_and_forgotten,
    concurrent_uses_take_a_request_once,
);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
}

fn request(n: u8) -> PushedRequest {
    PushedRequest {
        hash: [n; 32],
        client_id: "0oaclient".into(),
        auth_server_id: "default".into(),
        params: vec![
            ("client_id".into(), "0oaclient".into()),
            ("claims".into(), r#"{"userinfo":{"name":null}}"#.into()),
            ("scope".into(), "openid profile".into()),
            ("state".into(), "é ü &=".into()),
        ],
        created: at(0),
        expires_at: at(60),
    }
}

async fn pushed_requests_round_trip_and_are_taken_once(store: Arc<dyn Store>) {
    let r = request(1);
    store.insert_pushed_request(&r).await.unwrap();
    assert!(matches!(
        store.insert_pushed_request(&r).await,
        Err(StoreError::Conflict(_))
    ));
    // Reading leaves it in place.
    for _ in 0..2 {
        assert_eq!(
            store
                .pushed_request(&r.hash, "0oaclient", "default", at(1))
                .await
                .unwrap(),
            Some(r.clone())
        );
    }
    assert_eq!(
        store
            .consume_pushed_request(&r.hash, "0oaclient", "default", at(2))
            .await
            .unwrap(),
        Some(r.clone())
    );
    assert_eq!(
        store
            .consume_pushed_request(&r.hash, "0oaclient", "default", at(3))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .pushed_request(&r.hash, "0oaclient", "default", at(3))
            .await
            .unwrap(),
        None
    );
}

async fn only_their_client_and_server_find_them(store: Arc<dyn Store>) {
    let r = request(1);
    store.insert_pushed_request(&r).await.unwrap();
    for (client, server) in [("0oaother", "default"), ("0oaclient", "org")] {
        assert_eq!(
            store
                .pushed_request(&r.hash, client, server, at(1))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .consume_pushed_request(&r.hash, client, server, at(1))
                .await
                .unwrap(),
            None
        );
    }
    // Left untouched for its own client.
    assert!(
        store
            .consume_pushed_request(&r.hash, "0oaclient", "default", at(1))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .consume_pushed_request(&[9; 32], "0oaclient", "default", at(1))
            .await
            .unwrap(),
        None
    );
}

async fn expired_requests_are_refused_and_forgotten(store: Arc<dyn Store>) {
    let r = request(1);
    let mut later = request(2);
    later.expires_at = at(600);
    store.insert_pushed_request(&r).await.unwrap();
    store.insert_pushed_request(&later).await.unwrap();
    assert_eq!(
        store
            .pushed_request(&r.hash, "0oaclient", "default", at(60))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .consume_pushed_request(&r.hash, "0oaclient", "default", at(61))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.delete_expired_pushed_requests(at(61)).await.unwrap(),
        1
    );
    assert!(
        store
            .pushed_request(&later.hash, "0oaclient", "default", at(61))
            .await
            .unwrap()
            .is_some()
    );
}

async fn concurrent_uses_take_a_request_once(store: Arc<dyn Store>) {
    let r = request(1);
    store.insert_pushed_request(&r).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .consume_pushed_request(&[1; 32], "0oaclient", "default", at(1))
                .await
                .unwrap()
        }));
    }
    let mut taken = 0;
    for t in tasks {
        taken += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(taken, 1);
}
