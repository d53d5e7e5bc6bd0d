//! The storage suite: one set of tests run against every backend — SQLite (a real file), PostgreSQL (a fresh
//! database per test, see `lanyard_testkit::postgres`)
//! and the in-memory store the core's unit tests use, so all three keep the same contract.

use std::sync::Arc;

use chrono::{Duration, Utc};
use lanyard_core::api_token;
use lanyard_core::bootstrap::bootstrap;
use lanyard_core::clock::SystemClock;
use lanyard_core::crypto::{MasterKey, SigningAlg};
use lanyard_core::directory::filter::{self, USER_FILTER, USER_SEARCH};
use lanyard_core::directory::users::{self as user_queries, UserQuery};
use lanyard_core::keys::{self, new_key_record};
use lanyard_core::model::*;
use lanyard_core::random::SystemRandom;
use lanyard_core::store::{Store, StoreError};

mod backends {
    use super::*;
    use lanyard_store::{PostgresStore, SqliteStore};

    pub struct Sqlite {
        _dir: tempfile::TempDir,
        pub store: Arc<dyn Store>,
    }

    pub async fn sqlite() -> Sqlite {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("lanyard.db"), 4)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        Sqlite {
            _dir: dir,
            store: Arc::new(store),
        }
    }

    pub async fn postgres() -> Option<(lanyard_testkit::postgres::TempDatabase, Arc<dyn Store>)> {
        let db = lanyard_testkit::postgres::TempDatabase::create().await?;
        let store = PostgresStore::connect(&db.url, 8).await.unwrap();
        store.migrate().await.unwrap();
        Some((db, Arc::new(store)))
    }
}

/// Runs each listed test against every backend.
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let b = super::backends::sqlite().await;
                super::$name(b.store.clone()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some((_db, store)) = super::backends::postgres().await {
                    super::$name(store).await;
                }
            })*
        }
        mod memory {
            $(#[tokio::test]
            async fn $name() {
                super::$name(std::sync::Arc::new(lanyard_core::store::memory::MemoryStore::new())).await;
            })*
        }
    };
}

suite!(
    bootstrap_creates_the_org_and_both_servers_once,
    settings_keep_the_first_value,
    one_active_and_one_next_key_per_algorithm,
    concurrent_key_inserts_leave_exactly_one_active,
    rotation_retires_promotes_and_refuses_stale_attempts,
    rotation_without_a_next_key_activates_the_fresh_one,
    retired_keys_are_deleted_after_their_retention,
    api_tokens_round_trip_by_hash_and_page_in_id_order,
    auth_servers_list_by_kind,
    users_list_starts_empty,
    users_round_trip_and_logins_are_unique_case_insensitively,
    user_queries_mean_the_same_on_every_backend,
    passwords_are_stored_apart_and_replaced,
);

async fn bootstrap_creates_the_org_and_both_servers_once(store: Arc<dyn Store>) {
    let first = bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Acme")
        .await
        .unwrap();
    assert!(first.created_org);
    assert_eq!(first.created_servers, vec!["org", "default"]);
    let org = store.org().await.unwrap().unwrap();
    assert_eq!(org.name, "Acme");
    assert_eq!(org.id.len(), 20);

    let again = bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Other")
        .await
        .unwrap();
    assert!(!again.created_org && again.created_servers.is_empty());
    assert_eq!(store.org().await.unwrap().unwrap(), org);

    let default = store.auth_server("default").await.unwrap().unwrap();
    assert_eq!(default.kind, AuthServerKind::Custom);
    assert_eq!(default.audiences, vec!["api://default".to_owned()]);
    assert_eq!(
        store.auth_server("org").await.unwrap().unwrap().kind,
        AuthServerKind::Org
    );
    assert!(store.auth_server("nope").await.unwrap().is_none());

    let policies = store.policies("default").await.unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(
        policies[0].conditions["clients"]["include"][0],
        "ALL_CLIENTS"
    );
    let rules = store.policy_rules(&policies[0].id).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].conditions["scopes"]["include"][0], "*");
    assert!(!rules[0].system);
}

async fn settings_keep_the_first_value(store: Arc<dyn Store>) {
    assert_eq!(store.setting_or_insert("k", "one").await.unwrap(), "one");
    assert_eq!(store.setting_or_insert("k", "two").await.unwrap(), "one");
    assert_eq!(
        store.setting_or_insert("other", "two").await.unwrap(),
        "two"
    );
}

async fn with_servers(store: &Arc<dyn Store>) {
    bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Acme")
        .await
        .unwrap();
}

fn record(alg: SigningAlg, status: KeyStatus, master: &MasterKey) -> KeyRecord {
    new_key_record(
        "default",
        alg,
        status,
        master,
        &SystemRandom,
        lanyard_core::clock::Clock::now(&SystemClock),
    )
    .unwrap()
}

async fn one_active_and_one_next_key_per_algorithm(store: Arc<dyn Store>) {
    with_servers(&store).await;
    let master = MasterKey::generate(&SystemRandom);
    let active = record(SigningAlg::ES256, KeyStatus::Active, &master);
    assert!(store.insert_key_if_absent(&active).await.unwrap());
    assert!(
        !store
            .insert_key_if_absent(&record(SigningAlg::ES256, KeyStatus::Active, &master))
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_key_if_absent(&record(SigningAlg::EdDSA, KeyStatus::Active, &master))
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_key_if_absent(&record(SigningAlg::ES256, KeyStatus::Next, &master))
            .await
            .unwrap()
    );
    assert!(
        !store
            .insert_key_if_absent(&record(SigningAlg::ES256, KeyStatus::Next, &master))
            .await
            .unwrap()
    );

    let stored = store.keys("default").await.unwrap();
    assert_eq!(stored.len(), 3);
    let back = stored.iter().find(|k| k.kid == active.kid).unwrap();
    assert_eq!(back, &active, "a key reads back exactly as written");
    assert_eq!(keys::open(back, &master).unwrap().kid(), active.kid);
    assert!(store.keys("org").await.unwrap().is_empty());
}

async fn concurrent_key_inserts_leave_exactly_one_active(store: Arc<dyn Store>) {
    with_servers(&store).await;
    let master = MasterKey::generate(&SystemRandom);
    let tasks = (0..8).map(|_| {
        let store = store.clone();
        let rec = record(SigningAlg::EdDSA, KeyStatus::Active, &master);
        tokio::spawn(async move { store.insert_key_if_absent(&rec).await.unwrap() })
    });
    let won = futures::future::join_all(tasks)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(won, 1);
    let active = store
        .keys("default")
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.status == KeyStatus::Active)
        .count();
    assert_eq!(active, 1);
}

async fn rotation_retires_promotes_and_refuses_stale_attempts(store: Arc<dyn Store>) {
    with_servers(&store).await;
    let master = MasterKey::generate(&SystemRandom);
    let active = record(SigningAlg::ES256, KeyStatus::Active, &master);
    let next = record(SigningAlg::ES256, KeyStatus::Next, &master);
    store.insert_key_if_absent(&active).await.unwrap();
    store.insert_key_if_absent(&next).await.unwrap();
    let now = Utc::now();
    let retire = now + Duration::hours(24);
    let fresh = record(SigningAlg::ES256, KeyStatus::Next, &master);
    assert!(
        store
            .rotate_key(&active.kid, &fresh, now, retire)
            .await
            .unwrap()
    );

    let after = store.keys("default").await.unwrap();
    let find = |kid: &str| after.iter().find(|k| k.kid == kid).unwrap().clone();
    let old = find(&active.kid);
    assert_eq!(old.status, KeyStatus::Expired);
    assert_eq!(
        old.retire_at.unwrap().timestamp_millis(),
        retire.timestamp_millis()
    );
    assert_eq!(
        old.rotated.unwrap().timestamp_millis(),
        now.timestamp_millis()
    );
    let promoted = find(&next.kid);
    assert_eq!(promoted.status, KeyStatus::Active);
    assert_eq!(
        promoted.activated.unwrap().timestamp_millis(),
        now.timestamp_millis()
    );
    assert_eq!(find(&fresh.kid).status, KeyStatus::Next);

    // A second node that read the same ACTIVE key loses and changes nothing.
    let late = record(SigningAlg::ES256, KeyStatus::Next, &master);
    assert!(
        !store
            .rotate_key(&active.kid, &late, now, retire)
            .await
            .unwrap()
    );
    assert_eq!(store.keys("default").await.unwrap().len(), 3);
}

async fn rotation_without_a_next_key_activates_the_fresh_one(store: Arc<dyn Store>) {
    with_servers(&store).await;
    let master = MasterKey::generate(&SystemRandom);
    let active = record(SigningAlg::EdDSA, KeyStatus::Active, &master);
    store.insert_key_if_absent(&active).await.unwrap();
    let fresh = record(SigningAlg::EdDSA, KeyStatus::Next, &master);
    let now = Utc::now();
    assert!(
        store
            .rotate_key(&active.kid, &fresh, now, now)
            .await
            .unwrap()
    );
    let after = store.keys("default").await.unwrap();
    assert_eq!(
        after.iter().find(|k| k.kid == fresh.kid).unwrap().status,
        KeyStatus::Active
    );
}

async fn retired_keys_are_deleted_after_their_retention(store: Arc<dyn Store>) {
    with_servers(&store).await;
    let master = MasterKey::generate(&SystemRandom);
    let active = record(SigningAlg::EdDSA, KeyStatus::Active, &master);
    store.insert_key_if_absent(&active).await.unwrap();
    let now = Utc::now();
    let fresh = record(SigningAlg::EdDSA, KeyStatus::Next, &master);
    store
        .rotate_key(&active.kid, &fresh, now, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(store.delete_retired_keys(now).await.unwrap(), 0);
    assert_eq!(
        store
            .delete_retired_keys(now + Duration::hours(2))
            .await
            .unwrap(),
        1
    );
    let left = store.keys("default").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kid, fresh.kid);
}

async fn api_tokens_round_trip_by_hash_and_page_in_id_order(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    let mut secrets = Vec::new();
    for i in 0..5 {
        let at = Utc::now() + Duration::milliseconds(i);
        let (secret, rec) = api_token::mint(&format!("t{i}"), None, None, &SystemRandom, at);
        store.insert_api_token(&rec).await.unwrap();
        ids.push(rec.id.clone());
        secrets.push(secret);
    }
    let found = store
        .api_token_by_hash(&api_token::hash(secrets[2].expose()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, ids[2]);
    assert_eq!(found.name, "t2");
    assert!(
        store
            .api_token_by_hash(&api_token::hash("00nope"))
            .await
            .unwrap()
            .is_none()
    );

    let mut seen = Vec::new();
    let mut req = PageRequest::first(2);
    loop {
        let page = store.list_api_tokens(&req).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|t| t.id.clone()));
        match page.next {
            Some(after) => req.after = Some(after),
            None => break,
        }
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "every token once, in id order");

    let at = Utc::now();
    store.touch_api_token(&ids[0], at).await.unwrap();
    let touched = store.api_token(&ids[0]).await.unwrap().unwrap();
    assert_eq!(
        touched.last_used.unwrap().timestamp_millis(),
        at.timestamp_millis()
    );

    assert!(store.delete_api_token(&ids[0]).await.unwrap());
    assert!(!store.delete_api_token(&ids[0]).await.unwrap());
    assert!(store.api_token(&ids[0]).await.unwrap().is_none());

    let (_, mut dup) = api_token::mint("dup", None, None, &SystemRandom, Utc::now());
    dup.token_hash = api_token::hash(secrets[1].expose());
    assert!(matches!(
        store.insert_api_token(&dup).await,
        Err(lanyard_core::store::StoreError::Conflict(_))
    ));
}

async fn auth_servers_list_by_kind(store: Arc<dyn Store>) {
    with_servers(&store).await;
    let custom = store
        .list_auth_servers(AuthServerKind::Custom, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        custom
            .items
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        vec!["default"]
    );
    assert!(custom.next.is_none());
    let org = store
        .list_auth_servers(AuthServerKind::Org, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(org.items.len(), 1);
}

async fn users_list_starts_empty(store: Arc<dyn Store>) {
    let page = store
        .list_users(&UserQuery::All, &PageRequest::first(200))
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
}

/// Nodes starting at once against an empty PostgreSQL database: migrations and bootstrap must not race.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_first_starts_do_not_race() {
    let Some(db) = lanyard_testkit::postgres::TempDatabase::create().await else {
        return;
    };
    let starts = (0..4).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move {
            let store: Arc<dyn Store> = Arc::new(
                lanyard_store::PostgresStore::connect(&url, 2)
                    .await
                    .unwrap(),
            );
            lanyard_store::open(&lanyard_store::Database::Postgres(url), 2)
                .await
                .unwrap();
            bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Acme")
                .await
                .unwrap()
        })
    });
    let reports: Vec<_> = futures::future::join_all(starts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(reports.iter().filter(|r| r.created_org).count(), 1);
    assert_eq!(
        reports
            .iter()
            .map(|r| r.created_servers.len())
            .sum::<usize>(),
        2
    );
}

fn person(n: u32, login: &str, profile: serde_json::Value, status: UserStatus) -> User {
    let created = lanyard_core::clock::from_millis(1_700_000_000_000 + i64::from(n) * 1000);
    User {
        id: format!("00u{n:017}"),
        status,
        login: login.to_owned(),
        profile: profile.as_object().unwrap().clone(),
        created,
        activated: (status == UserStatus::Active).then_some(created),
        status_changed: None,
        last_login: None,
        last_updated: created,
        password_changed: None,
    }
}

async fn users_round_trip_and_logins_are_unique_case_insensitively(store: Arc<dyn Store>) {
    let ada = person(
        1,
        "Ada@Example.com",
        serde_json::json!({"login": "Ada@Example.com", "firstName": "Ada", "n": 1.5, "b": true, "tags": ["x"]}),
        UserStatus::Active,
    );
    store.insert_user(&ada, None).await.unwrap();
    assert_eq!(store.user(&ada.id).await.unwrap().unwrap(), ada);
    assert_eq!(
        store
            .user_by_login("ada@example.COM")
            .await
            .unwrap()
            .unwrap()
            .id,
        ada.id
    );
    let twin = person(
        2,
        "ADA@example.com",
        serde_json::json!({}),
        UserStatus::Staged,
    );
    assert!(matches!(
        store.insert_user(&twin, None).await,
        Err(StoreError::Conflict(_))
    ));

    let bob = person(
        3,
        "bob@example.com",
        serde_json::json!({}),
        UserStatus::Staged,
    );
    store.insert_user(&bob, None).await.unwrap();
    let mut renamed = bob.clone();
    renamed.login = "ada@EXAMPLE.com".into();
    assert!(matches!(
        store.update_user(&renamed).await,
        Err(StoreError::Conflict(_))
    ));
    renamed.login = "robert@example.com".into();
    renamed.status = UserStatus::Suspended;
    renamed.status_changed = Some(renamed.created);
    assert!(store.update_user(&renamed).await.unwrap());
    assert_eq!(store.user(&bob.id).await.unwrap().unwrap(), renamed);
    assert!(
        store
            .user_by_login("bob@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .update_user(&person(
                9,
                "x@example.com",
                serde_json::json!({}),
                UserStatus::Staged
            ))
            .await
            .unwrap()
    );

    assert!(store.delete_user(&bob.id).await.unwrap());
    assert!(!store.delete_user(&bob.id).await.unwrap());
    assert!(store.user(&bob.id).await.unwrap().is_none());
}

async fn seed_people(store: &Arc<dyn Store>) -> Vec<User> {
    use serde_json::json;
    let people = vec![
        person(
            1,
            "ada@example.com",
            json!({"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "department": "Engineering", "level": 3, "admin": true}),
            UserStatus::Active,
        ),
        person(
            2,
            "grace@example.com",
            json!({"login": "grace@example.com", "email": "grace@navy.mil", "firstName": "Grace", "lastName": "Hopper", "department": "engineering", "level": 5, "admin": false}),
            UserStatus::LockedOut,
        ),
        person(
            3,
            "alan@example.com",
            json!({"login": "alan@example.com", "email": "alan@example.com", "firstName": "Alan", "lastName": "Turing", "department": "Research", "mobilePhone": "+44 1"}),
            UserStatus::Staged,
        ),
        person(
            4,
            "edsger@example.com",
            json!({"login": "edsger@example.com", "email": "ewd@example.com", "firstName": "Edsger", "lastName": "Dijkstra", "department": null, "note": "100%_sure"}),
            UserStatus::Active,
        ),
    ];
    for p in &people {
        store.insert_user(p, None).await.unwrap();
    }
    people
}

async fn ids(store: &Arc<dyn Store>, query: UserQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut req = PageRequest::first(2);
    loop {
        let page = store.list_users(&query, &req).await.unwrap();
        out.extend(page.items.into_iter().map(|u| u.id));
        match page.next {
            Some(after) => req.after = Some(after),
            None => return out,
        }
    }
}

async fn user_queries_mean_the_same_on_every_backend(store: Arc<dyn Store>) {
    let people = seed_people(&store).await;
    let n = |i: usize| people[i - 1].id.clone();
    let search = |text: &str| {
        let e = filter::parse(text, &USER_SEARCH).unwrap_or_else(|e| panic!("{text}: {e}"));
        user_queries::validate(&e).unwrap();
        UserQuery::Expr(e)
    };
    let cases: Vec<(UserQuery, Vec<String>)> = vec![
        (UserQuery::All, vec![n(1), n(2), n(3), n(4)]),
        (UserQuery::Prefix("GR".into()), vec![n(2)]),
        (UserQuery::Prefix("ewd".into()), vec![n(4)]),
        (UserQuery::Prefix("tur".into()), vec![n(3)]),
        (UserQuery::Prefix("%".into()), vec![]),
        (
            UserQuery::Expr(filter::parse(r#"status eq "ACTIVE""#, &USER_FILTER).unwrap()),
            vec![n(1), n(4)],
        ),
        (
            UserQuery::Expr(
                filter::parse(r#"status eq "ACTIVE" or status eq "STAGED""#, &USER_FILTER).unwrap(),
            ),
            vec![n(1), n(3), n(4)],
        ),
        (
            UserQuery::Expr(
                filter::parse(r#"profile.login eq "ADA@example.com""#, &USER_FILTER).unwrap(),
            ),
            vec![n(1)],
        ),
        (
            UserQuery::Expr(
                filter::parse(r#"lastUpdated gt "2023-11-14T22:13:21.000Z""#, &USER_FILTER)
                    .unwrap(),
            ),
            vec![n(2), n(3), n(4)],
        ),
        (
            search(r#"profile.department eq "engineering""#),
            vec![n(1), n(2)],
        ),
        (
            search(
                r#"profile.department eq "Engineering" and (status eq "ACTIVE" or status eq "LOCKED_OUT")"#,
            ),
            vec![n(1), n(2)],
        ),
        (search(r#"profile.firstName sw "a""#), vec![n(1), n(3)]),
        (search(r#"profile.lastName co "OV""#), vec![n(1)]),
        (
            search(r#"profile.email ew "@example.com""#),
            vec![n(1), n(3), n(4)],
        ),
        (search(r#"profile.note co "0%_""#), vec![n(4)]),
        (search(r#"profile.note co "0%x""#), vec![]),
        (search("profile.mobilePhone pr"), vec![n(3)]),
        (search("profile.department pr"), vec![n(1), n(2), n(3)]),
        (
            search(r#"not (profile.department eq "research")"#),
            vec![n(1), n(2), n(4)],
        ),
        (
            search(r#"profile.department ne "research""#),
            vec![n(1), n(2)],
        ),
        (search("profile.department eq null"), vec![n(4)]),
        (search("profile.level gt 3"), vec![n(2)]),
        (search("profile.level ge 3"), vec![n(1), n(2)]),
        (search("profile.admin eq true"), vec![n(1)]),
        (search("profile.admin ne true"), vec![n(2)]),
        (search(r#"profile.lastName gt "l""#), vec![n(1), n(3)]),
        (search(r#"id eq "00u00000000000000002""#), vec![n(2)]),
        (search(r#"status sw "LOCK""#), vec![n(2)]),
        (search(r#"status ew "IVE""#), vec![n(1), n(4)]),
        (search(r#"status co "AGE""#), vec![n(3)]),
        (
            search(r#"type.id eq "default""#),
            vec![n(1), n(2), n(3), n(4)],
        ),
        (
            search(r#"created lt "2023-11-14T22:13:22.000Z" and activated pr"#),
            vec![n(1)],
        ),
    ];
    for (query, expected) in cases {
        let memory: Vec<String> = people
            .iter()
            .filter(|u| user_queries::matches(&query, u))
            .map(|u| u.id.clone())
            .collect();
        assert_eq!(memory, expected, "the core's meaning of {query:?}");
        assert_eq!(
            ids(&store, query.clone()).await,
            expected,
            "{} for {query:?}",
            store.backend()
        );
    }
}

async fn passwords_are_stored_apart_and_replaced(store: Arc<dyn Store>) {
    let now = lanyard_core::clock::from_millis(1_700_000_000_000);
    let first = PasswordRecord {
        hash: "$argon2id$one".into(),
        history: vec![],
        changed: now,
    };
    let user = person(
        1,
        "ada@example.com",
        serde_json::json!({}),
        UserStatus::Active,
    );
    store.insert_user(&user, Some(&first)).await.unwrap();
    assert_eq!(store.password(&user.id).await.unwrap().unwrap(), first);
    let second = PasswordRecord {
        hash: "$argon2id$two".into(),
        history: vec![first.hash.clone()],
        changed: now,
    };
    store.set_password(&user.id, &second).await.unwrap();
    assert_eq!(store.password(&user.id).await.unwrap().unwrap(), second);
    store.delete_user(&user.id).await.unwrap();
    assert!(
        store.password(&user.id).await.unwrap().is_none(),
        "a deleted user's password goes with it"
    );
}
