//! The storage suite for the apps signed into SSO sessions (what logout tells), on every backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::*;
use lanyard_core::store::Store;

#[macro_use]
mod support;

suite!(
    session_apps_are_recorded_once_per_app_and_server,
    ending_a_session_returns_it_with_its_apps_once,
    ending_a_users_sessions_returns_each_with_its_apps,
    apps_go_with_their_session,
    concurrent_endings_of_a_session_announce_it_once,
);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
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

fn session(n: u8, user_id: &str, expires_at: i64) -> Session {
    Session {
        id: format!("102session{n:011}"),
        token_hash: [n; 32],
        user_id: user_id.to_owned(),
        created: at(1),
        last_seen: at(2),
        expires_at: at(expires_at),
        amr: vec!["pwd".into()],
        ip: None,
        user_agent: None,
    }
}

fn app(session: &Session, client: &str, server: &str, created: i64) -> SessionApp {
    SessionApp {
        session_id: session.id.clone(),
        client_id: client.to_owned(),
        auth_server_id: server.to_owned(),
        created: at(created),
    }
}

/// Users 1 and 2, and sessions 1 and 2 of user 1 and 3 of user 2.
async fn fixture(store: &Arc<dyn Store>) -> (User, User, [Session; 3]) {
    let (ada, bob) = (user(1), user(2));
    store.insert_user(&ada, None).await.unwrap();
    store.insert_user(&bob, None).await.unwrap();
    let sessions = [
        session(1, &ada.id, 100),
        session(2, &ada.id, 100),
        session(3, &bob.id, 100),
    ];
    for s in &sessions {
        store.insert_session(s).await.unwrap();
    }
    (ada, bob, sessions)
}

async fn session_apps_are_recorded_once_per_app_and_server(store: Arc<dyn Store>) {
    let (_, _, [s1, s2, _]) = fixture(&store).await;
    let first = app(&s1, "0oa-a", "org", 10);
    assert!(store.record_session_app(&first).await.unwrap());
    assert!(
        store
            .record_session_app(&app(&s1, "0oa-a", "org", 20))
            .await
            .unwrap(),
        "recording again succeeds"
    );
    let other_server = app(&s1, "0oa-a", "aus-default", 30);
    let other_app = app(&s1, "0oa-b", "org", 40);
    store.record_session_app(&other_server).await.unwrap();
    store.record_session_app(&other_app).await.unwrap();
    assert_eq!(
        store.session_apps(&s1.id).await.unwrap(),
        vec![first, other_server, other_app],
        "one row per app and server, the first recording kept, in the order they signed in"
    );
    assert!(store.session_apps(&s2.id).await.unwrap().is_empty());
    assert!(
        !store
            .record_session_app(&SessionApp {
                session_id: "102nosuchsession".into(),
                ..app(&s1, "0oa-a", "org", 50)
            })
            .await
            .unwrap(),
        "no session, nothing recorded"
    );
    assert!(
        store
            .session_apps("102nosuchsession")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn ending_a_session_returns_it_with_its_apps_once(store: Arc<dyn Store>) {
    let (ada, _, [s1, s2, _]) = fixture(&store).await;
    let a = app(&s1, "0oa-a", "org", 10);
    let b = app(&s1, "0oa-b", "aus-default", 11);
    let elsewhere = app(&s2, "0oa-a", "org", 12);
    for x in [&a, &b, &elsewhere] {
        store.record_session_app(x).await.unwrap();
    }
    let ended = store.end_session(&s1.id).await.unwrap().unwrap();
    assert_eq!(
        ended,
        EndedSession {
            id: s1.id.clone(),
            user_id: ada.id.clone(),
            apps: vec![a.clone(), b],
        }
    );
    assert!(store.session(&s1.id).await.unwrap().is_none(), "gone");
    assert!(store.session_apps(&s1.id).await.unwrap().is_empty());
    assert!(
        store.end_session(&s1.id).await.unwrap().is_none(),
        "an ended session ends once"
    );
    assert!(
        !store.record_session_app(&a).await.unwrap(),
        "nothing is recorded into an ended session"
    );
    assert_eq!(
        store.session_apps(&s2.id).await.unwrap(),
        vec![elsewhere],
        "the user's other session keeps its apps"
    );
    let bare = store.end_session(&s2.id).await.unwrap().unwrap();
    assert_eq!(bare.apps.len(), 1);
    assert!(
        store
            .end_session("102nosuchsession")
            .await
            .unwrap()
            .is_none()
    );
}

async fn ending_a_users_sessions_returns_each_with_its_apps(store: Arc<dyn Store>) {
    let (ada, bob, [s1, s2, s3]) = fixture(&store).await;
    let a1 = app(&s1, "0oa-a", "org", 10);
    let b3 = app(&s3, "0oa-b", "org", 11);
    store.record_session_app(&a1).await.unwrap();
    store.record_session_app(&b3).await.unwrap();
    let ended = store.end_user_sessions(&ada.id).await.unwrap();
    assert_eq!(
        ended,
        vec![
            EndedSession {
                id: s1.id.clone(),
                user_id: ada.id.clone(),
                apps: vec![a1],
            },
            EndedSession {
                id: s2.id.clone(),
                user_id: ada.id.clone(),
                apps: vec![],
            },
        ],
        "every session of the user, each with its own apps, in id order"
    );
    assert!(store.session(&s1.id).await.unwrap().is_none());
    assert!(store.session(&s2.id).await.unwrap().is_none());
    assert!(store.end_user_sessions(&ada.id).await.unwrap().is_empty());
    assert_eq!(
        store.session(&s3.id).await.unwrap().unwrap().user_id,
        bob.id
    );
    assert_eq!(store.session_apps(&s3.id).await.unwrap(), vec![b3]);
}

async fn apps_go_with_their_session(store: Arc<dyn Store>) {
    let (ada, bob, [s1, s2, s3]) = fixture(&store).await;
    let short = session(4, &bob.id, 50);
    store.insert_session(&short).await.unwrap();
    for s in [&s1, &s2, &s3, &short] {
        store
            .record_session_app(&app(s, "0oa-a", "org", 10))
            .await
            .unwrap();
    }
    store.delete_session(&s1.id).await.unwrap();
    assert!(store.session_apps(&s1.id).await.unwrap().is_empty());
    store.delete_expired_sessions(at(60)).await.unwrap();
    assert!(store.session_apps(&short.id).await.unwrap().is_empty());
    assert_eq!(store.session_apps(&s3.id).await.unwrap().len(), 1);
    store.delete_user_sessions(&bob.id).await.unwrap();
    assert!(store.session_apps(&s3.id).await.unwrap().is_empty());
    store.delete_user(&ada.id).await.unwrap();
    assert!(store.session_apps(&s2.id).await.unwrap().is_empty());
    // A session inserted again under an old id starts with no apps.
    let again = session(1, &bob.id, 100);
    store.insert_session(&again).await.unwrap();
    assert!(store.session_apps(&again.id).await.unwrap().is_empty());
}

async fn concurrent_endings_of_a_session_announce_it_once(store: Arc<dyn Store>) {
    let (_, _, [s1, _, _]) = fixture(&store).await;
    store
        .record_session_app(&app(&s1, "0oa-a", "org", 10))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let id = s1.id.clone();
            tokio::spawn(async move { store.end_session(&id).await.unwrap() })
        })
        .collect();
    let mut ended = Vec::new();
    for t in tasks {
        if let Some(e) = t.await.unwrap() {
            ended.push(e);
        }
    }
    assert_eq!(ended.len(), 1, "one ending finds the session");
    assert_eq!(ended[0].apps.len(), 1, "and its apps");
}
