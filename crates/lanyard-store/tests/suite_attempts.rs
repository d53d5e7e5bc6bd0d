//! The storage suite for the counts that stop brute force and for known devices (`AttemptStore`), on every
//! backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::*;
use lanyard_core::store::{Failures, Store};

#[macro_use]
mod support;

suite!(
    a_state_token_ends_at_its_wrong_answer_limit,
    failures_are_counted_forgotten_and_cleared,
    concurrent_failures_are_all_counted,
    devices_are_known_per_user_until_they_expire,
    users_failures_are_forgotten_after_a_quiet_spell,
);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
}

fn user(n: u32) -> User {
    let now = at(0);
    let login = format!("user{n}@example.com");
    User {
        id: format!("00u{n:017}"),
        status: UserStatus::Active,
        created: now,
        activated: Some(now),
        status_changed: Some(now),
        last_login: None,
        last_updated: now,
        password_changed: None,
        login: login.clone(),
        profile:
            serde_json::json!({"login": login, "email": login, "firstName": "A", "lastName": "B"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
    }
}

async fn a_state_token_ends_at_its_wrong_answer_limit(store: Arc<dyn Store>) {
    let u = user(1);
    store.insert_user(&u, None).await.unwrap();
    let token = OneTimeToken {
        token_hash: [7; 32],
        kind: TokenKind::StateToken,
        user_id: u.id.clone(),
        created: at(0),
        expires_at: at(300),
        data: serde_json::json!({"step": "mfa"}),
    };
    store.insert_one_time_token(&token).await.unwrap();
    for n in 1..3 {
        assert_eq!(
            store.count_token_attempt(&[7; 32], 3, at(1)).await.unwrap(),
            Some(n)
        );
        assert!(
            store
                .one_time_token(&[7; 32], TokenKind::StateToken, at(1))
                .await
                .unwrap()
                .is_some()
        );
    }
    assert_eq!(
        store.count_token_attempt(&[7; 32], 3, at(1)).await.unwrap(),
        Some(3)
    );
    assert!(
        store
            .one_time_token(&[7; 32], TokenKind::StateToken, at(1))
            .await
            .unwrap()
            .is_none(),
        "ended at the limit"
    );
    assert_eq!(
        store.count_token_attempt(&[7; 32], 3, at(1)).await.unwrap(),
        None
    );
    // An expired token is not counted.
    store
        .insert_one_time_token(&OneTimeToken {
            token_hash: [8; 32],
            ..token
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .count_token_attempt(&[8; 32], 3, at(300))
            .await
            .unwrap(),
        None
    );
}

async fn failures_are_counted_forgotten_and_cleared(store: Arc<dyn Store>) {
    let key = [1u8; 32];
    assert_eq!(store.failures(&key).await.unwrap(), None);
    for n in 1..=3 {
        let f = store
            .count_failure(&key, at(n), at(-100), at(1000))
            .await
            .unwrap();
        assert_eq!(
            f,
            Failures {
                count: n as u32,
                last: at(n)
            }
        );
    }
    assert_eq!(store.failures(&key).await.unwrap().unwrap().count, 3);
    // A failure after the memory ends starts again at one.
    let f = store
        .count_failure(&key, at(200), at(100), at(1000))
        .await
        .unwrap();
    assert_eq!(f.count, 1);
    assert_eq!(store.failures(&[2; 32]).await.unwrap(), None, "keys apart");
    store.clear_failures(&key).await.unwrap();
    assert_eq!(store.failures(&key).await.unwrap(), None);
}

async fn concurrent_failures_are_all_counted(store: Arc<dyn Store>) {
    let key = [3u8; 32];
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .count_failure(&key, at(1), at(-100), at(1000))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.unwrap().count);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=10).collect::<Vec<_>>());
}

async fn devices_are_known_per_user_until_they_expire(store: Arc<dyn Store>) {
    let (a, b) = (user(1), user(2));
    store.insert_user(&a, None).await.unwrap();
    store.insert_user(&b, None).await.unwrap();
    let device = [9u8; 32];
    assert!(!store.known_device(&a.id, &device, at(0)).await.unwrap());
    store
        .remember_device(&a.id, &device, at(0), at(100))
        .await
        .unwrap();
    assert!(store.known_device(&a.id, &device, at(99)).await.unwrap());
    assert!(!store.known_device(&a.id, &device, at(100)).await.unwrap());
    assert!(
        !store.known_device(&b.id, &device, at(0)).await.unwrap(),
        "one user's device is not another's"
    );
    // Seen again: known longer.
    store
        .remember_device(&a.id, &device, at(50), at(500))
        .await
        .unwrap();
    assert!(store.known_device(&a.id, &device, at(400)).await.unwrap());
    // Nobody's device for a user who does not exist; a user's go with them.
    store
        .remember_device("00unobody", &device, at(0), at(100))
        .await
        .unwrap();
    assert!(
        !store
            .known_device("00unobody", &device, at(0))
            .await
            .unwrap()
    );
    assert!(store.delete_user(&a.id).await.unwrap());
    store.insert_user(&a, None).await.unwrap();
    assert!(!store.known_device(&a.id, &device, at(0)).await.unwrap());
}

async fn users_failures_are_forgotten_after_a_quiet_spell(store: Arc<dyn Store>) {
    let u = user(3);
    store.insert_user(&u, None).await.unwrap();
    for i in 0..3 {
        let c = store
            .record_failure(&u.id, 4, at(i), at(1000), at(-1000))
            .await
            .unwrap();
        assert_eq!(c.attempts, i as u32 + 1);
    }
    // The fourth comes after the memory: it counts as the first, and locks nobody.
    let c = store
        .record_failure(&u.id, 4, at(500), at(1000), at(100))
        .await
        .unwrap();
    assert_eq!((c.attempts, c.locked), (1, false));
}
