//! The storage suite for device authorization requests (RFC 8628), on every backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::*;
use lanyard_core::store::{Store, StoreError};

#[macro_use]
mod support;

suite!(
    device_codes_round_trip_and_user_codes_are_unique,
    only_pending_live_codes_are_found_and_decided_once,
    polls_answer_by_state_and_slow_down_fast_clients,
    another_clients_poll_changes_nothing,
    expired_codes_are_refused_and_forgotten,
    concurrent_polls_of_an_approved_code_redeem_once,
    concurrent_polls_of_a_pending_code_count_one_after_the_other,
    approvals_go_with_their_user,
);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
}

fn code(n: u8) -> DeviceCode {
    DeviceCode {
        hash: [n; 32],
        user_code_hash: [n + 100; 32],
        grant_id: format!("oag{n}"),
        auth_server_id: "default".into(),
        client_id: "tv".into(),
        scopes: vec!["openid".into(), "offline_access".into()],
        status: DeviceCodeStatus::Pending,
        interval: 5,
        last_polled: None,
        approval: None,
        created: at(0),
        expires_at: at(600),
    }
}

fn user(n: u32) -> User {
    User {
        id: format!("00u{n:017}"),
        status: UserStatus::Active,
        login: format!("user{n}@example.com"),
        profile: serde_json::Map::new(),
        created: at(0),
        activated: Some(at(0)),
        status_changed: None,
        last_login: None,
        last_updated: at(0),
        password_changed: None,
    }
}

fn approval(user_id: &str) -> DeviceApproval {
    DeviceApproval {
        user_id: user_id.into(),
        session_id: Some("102sess".into()),
        auth_time: at(10),
        amr: vec!["pwd".into(), "otp".into()],
        decided_at: at(20),
    }
}

async fn with_user(store: &Arc<dyn Store>) -> String {
    let u = user(1);
    store.insert_user(&u, None).await.unwrap();
    u.id
}

async fn poll(store: &Arc<dyn Store>, n: u8, now: i64) -> DevicePoll {
    store
        .poll_device_code(&[n; 32], "tv", "default", at(now))
        .await
        .unwrap()
}

async fn device_codes_round_trip_and_user_codes_are_unique(store: Arc<dyn Store>) {
    let uid = with_user(&store).await;
    let c = code(1);
    store.insert_device_code(&c).await.unwrap();
    assert_eq!(
        store
            .pending_device_code(&c.user_code_hash, at(1))
            .await
            .unwrap(),
        Some(c.clone())
    );
    let mut twin = code(2);
    twin.user_code_hash = c.user_code_hash;
    assert!(matches!(
        store.insert_device_code(&twin).await,
        Err(StoreError::Conflict(_))
    ));
    // The approval comes back whole from the poll that redeems the code.
    assert!(
        store
            .decide_device_code(&c.user_code_hash, Some(&approval(&uid)), at(20))
            .await
            .unwrap()
    );
    let DevicePoll::Approved(got) = poll(&store, 1, 21).await else {
        panic!("not approved");
    };
    assert_eq!(
        got,
        DeviceCode {
            status: DeviceCodeStatus::Redeemed,
            approval: Some(approval(&uid)),
            last_polled: Some(at(21)),
            ..c
        }
    );
}

async fn only_pending_live_codes_are_found_and_decided_once(store: Arc<dyn Store>) {
    let uid = with_user(&store).await;
    let c = code(1);
    store.insert_device_code(&c).await.unwrap();
    assert_eq!(
        store.pending_device_code(&[9; 32], at(1)).await.unwrap(),
        None
    );
    assert!(
        !store
            .decide_device_code(&[9; 32], None, at(1))
            .await
            .unwrap()
    );
    assert!(
        store
            .decide_device_code(&c.user_code_hash, None, at(2))
            .await
            .unwrap()
    );
    // Decided: not pending any more, and not decided again.
    assert_eq!(
        store
            .pending_device_code(&c.user_code_hash, at(3))
            .await
            .unwrap(),
        None
    );
    assert!(
        !store
            .decide_device_code(&c.user_code_hash, Some(&approval(&uid)), at(3))
            .await
            .unwrap()
    );
    assert_eq!(poll(&store, 1, 4).await, DevicePoll::Denied);
    // Approving for a user who does not exist changes nothing.
    let d = code(2);
    store.insert_device_code(&d).await.unwrap();
    assert!(
        !store
            .decide_device_code(&d.user_code_hash, Some(&approval("00unobody")), at(3))
            .await
            .unwrap()
    );
}

async fn polls_answer_by_state_and_slow_down_fast_clients(store: Arc<dyn Store>) {
    let uid = with_user(&store).await;
    let c = code(1);
    store.insert_device_code(&c).await.unwrap();
    assert_eq!(poll(&store, 1, 1).await, DevicePoll::Pending);
    assert_eq!(
        poll(&store, 1, 2).await,
        DevicePoll::SlowDown { interval: 10 }
    );
    assert_eq!(
        poll(&store, 1, 11).await,
        DevicePoll::SlowDown { interval: 15 }
    );
    assert_eq!(poll(&store, 1, 26).await, DevicePoll::Pending);
    assert!(
        store
            .decide_device_code(&c.user_code_hash, Some(&approval(&uid)), at(27))
            .await
            .unwrap()
    );
    assert!(matches!(poll(&store, 1, 28).await, DevicePoll::Approved(_)));
    let DevicePoll::Replayed(again) = poll(&store, 1, 29).await else {
        panic!("a second redemption is a replay");
    };
    assert_eq!(again.grant_id, "oag1");
    assert_eq!(poll(&store, 7, 1).await, DevicePoll::Invalid);
}

async fn another_clients_poll_changes_nothing(store: Arc<dyn Store>) {
    let c = code(1);
    store.insert_device_code(&c).await.unwrap();
    for (client, server) in [("other", "default"), ("tv", "aus2")] {
        assert_eq!(
            store
                .poll_device_code(&c.hash, client, server, at(1))
                .await
                .unwrap(),
            DevicePoll::Invalid
        );
    }
    // Not counted as a poll of the code.
    assert_eq!(poll(&store, 1, 2).await, DevicePoll::Pending);
}

async fn expired_codes_are_refused_and_forgotten(store: Arc<dyn Store>) {
    let uid = with_user(&store).await;
    let c = code(1);
    store.insert_device_code(&c).await.unwrap();
    let mut d = code(2);
    d.expires_at = at(900);
    store.insert_device_code(&d).await.unwrap();
    assert_eq!(
        store
            .pending_device_code(&c.user_code_hash, at(600))
            .await
            .unwrap(),
        None
    );
    assert!(
        !store
            .decide_device_code(&c.user_code_hash, Some(&approval(&uid)), at(600))
            .await
            .unwrap()
    );
    assert_eq!(poll(&store, 1, 600).await, DevicePoll::Expired);
    assert_eq!(store.delete_expired_device_codes(at(601)).await.unwrap(), 1);
    assert_eq!(poll(&store, 1, 602).await, DevicePoll::Invalid);
    assert_eq!(poll(&store, 2, 602).await, DevicePoll::Pending);
}

async fn concurrent_polls_of_an_approved_code_redeem_once(store: Arc<dyn Store>) {
    let uid = with_user(&store).await;
    let c = code(1);
    store.insert_device_code(&c).await.unwrap();
    store
        .decide_device_code(&c.user_code_hash, Some(&approval(&uid)), at(20))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { poll(&store, 1, 21).await }));
    }
    let mut approved = 0;
    for t in tasks {
        match t.await.unwrap() {
            DevicePoll::Approved(_) => approved += 1,
            DevicePoll::Replayed(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(approved, 1);
}

async fn concurrent_polls_of_a_pending_code_count_one_after_the_other(store: Arc<dyn Store>) {
    let c = code(1);
    store.insert_device_code(&c).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { poll(&store, 1, 1).await }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    // One poll on time; each of the others slowed the client down once more.
    assert_eq!(
        answers
            .iter()
            .filter(|a| **a == DevicePoll::Pending)
            .count(),
        1
    );
    let mut intervals: Vec<i64> = answers
        .iter()
        .filter_map(|a| match a {
            DevicePoll::SlowDown { interval } => Some(*interval),
            _ => None,
        })
        .collect();
    intervals.sort();
    assert_eq!(intervals, [10, 15, 20, 25, 30]);
}

async fn approvals_go_with_their_user(store: Arc<dyn Store>) {
    let uid = with_user(&store).await;
    let c = code(1);
    store.insert_device_code(&c).await.unwrap();
    store
        .decide_device_code(&c.user_code_hash, Some(&approval(&uid)), at(20))
        .await
        .unwrap();
    assert!(store.delete_user(&uid).await.unwrap());
    assert_eq!(poll(&store, 1, 21).await, DevicePoll::Invalid);
}
