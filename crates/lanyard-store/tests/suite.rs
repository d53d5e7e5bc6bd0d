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

#[macro_use]
mod support;

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
    groups_round_trip_and_names_are_unique_case_insensitively,
    groups_list_by_name_prefix_in_pages,
    memberships_are_idempotent_and_members_page_in_user_id_order,
    a_users_groups_include_everyone,
    deleting_a_user_or_group_removes_its_memberships_and_roles,
    everyone_holds_every_user_without_membership_rows,
    roles_are_assigned_listed_and_unassigned,
    memberships_race_user_deletions_without_errors,
    system_log_filters_order_and_pages_the_same_everywhere,
    sessions_round_trip_by_hash_and_id,
    sessions_touch_moves_last_seen_forward_only,
    sessions_are_elevated_only_under_the_cookie_they_had,
    sessions_are_deleted_one_by_user_and_when_expired,
    one_time_tokens_are_consumed_once_and_only_while_valid,
    one_time_tokens_are_replaced_by_concurrent_writers_without_errors,
    one_time_tokens_are_deleted_by_user_and_kind,
    concurrent_consumers_take_a_one_time_token_once,
    factors_round_trip_update_and_delete,
    totp_steps_are_accepted_once_and_only_forward,
    concurrent_uses_of_one_totp_step_succeed_once,
    failures_lock_a_user_at_the_threshold_once,
    failures_lock_nobody_already_locked_absent_or_without_a_threshold,
    concurrent_failures_are_all_counted_and_lock_once,
    signin_rows_go_with_their_user,
    sign_ins_are_recorded_only_for_users_who_may_sign_in,
);

async fn bootstrap_creates_the_org_and_both_servers_once(store: Arc<dyn Store>) {
    let first = bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Acme")
        .await
        .unwrap();
    assert!(first.created_org && first.created_everyone);
    assert_eq!(first.created_servers, vec!["org", "default"]);
    let org = store.org().await.unwrap().unwrap();
    assert_eq!(org.name, "Acme");
    assert_eq!(org.id.len(), 20);

    let again = bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Other")
        .await
        .unwrap();
    assert!(!again.created_org && !again.created_everyone && again.created_servers.is_empty());
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
        reports.iter().filter(|r| r.created_everyone).count(),
        1,
        "one Everyone group, however many nodes start"
    );
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

fn at(n: i64) -> lanyard_core::clock::Timestamp {
    lanyard_core::clock::from_millis(1_700_000_000_000 + n * 1000)
}

fn team(n: u32, name: &str) -> Group {
    Group {
        id: format!("00g{n:017}"),
        group_type: GroupType::Okta,
        name: name.to_owned(),
        description: n.is_multiple_of(2).then(|| format!("team {n}")),
        created: at(i64::from(n)),
        last_updated: at(i64::from(n)),
        last_membership_updated: at(i64::from(n)),
    }
}

fn plain_user(n: u32) -> User {
    person(
        n,
        &format!("user{n}@example.com"),
        serde_json::json!({}),
        UserStatus::Active,
    )
}

async fn everyone(store: &Arc<dyn Store>) -> Group {
    with_servers(store).await;
    store
        .group(&lanyard_core::model::group::everyone_id())
        .await
        .unwrap()
        .unwrap()
}

async fn all_groups(store: &Arc<dyn Store>, prefix: Option<&str>, limit: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut req = PageRequest::first(limit);
    loop {
        let page = store.list_groups(prefix, &req).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items.into_iter().map(|g| g.id));
        match page.next {
            Some(after) => req.after = Some(after),
            None => return out,
        }
    }
}

async fn all_members(store: &Arc<dyn Store>, group_id: &str, limit: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut req = PageRequest::first(limit);
    loop {
        let page = store.list_group_members(group_id, &req).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items.into_iter().map(|u| u.id));
        match page.next {
            Some(after) => req.after = Some(after),
            None => return out,
        }
    }
}

async fn groups_of(store: &Arc<dyn Store>, user_id: &str, limit: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut req = PageRequest::first(limit);
    loop {
        let page = store.user_groups(user_id, &req).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items.into_iter().map(|g| g.id));
        match page.next {
            Some(after) => req.after = Some(after),
            None => return out,
        }
    }
}

async fn groups_round_trip_and_names_are_unique_case_insensitively(store: Arc<dyn Store>) {
    let admins = team(1, "Admins");
    store.insert_group(&admins).await.unwrap();
    assert_eq!(store.group(&admins.id).await.unwrap().unwrap(), admins);
    assert!(store.group("00gnope").await.unwrap().is_none());
    assert!(matches!(
        store.insert_group(&team(2, "aDMINS")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        !store
            .insert_group_if_absent(&team(3, "ADMINS"))
            .await
            .unwrap(),
        "if-absent refuses a taken name quietly"
    );
    let ops = team(4, "Ops");
    store.insert_group(&ops).await.unwrap();

    let mut renamed = ops.clone();
    renamed.name = "admins".into();
    assert!(matches!(
        store.update_group(&renamed).await,
        Err(StoreError::Conflict(_))
    ));
    renamed.name = "Operations".into();
    renamed.description = None;
    renamed.last_updated = at(100);
    // Only the profile and lastUpdated change; created and lastMembershipUpdated are the store's.
    renamed.created = at(99);
    assert!(store.update_group(&renamed).await.unwrap());
    let back = store.group(&ops.id).await.unwrap().unwrap();
    assert_eq!(
        back,
        Group {
            created: ops.created,
            ..renamed.clone()
        }
    );
    let mut self_rename = back.clone();
    self_rename.name = "OPERATIONS".into();
    assert!(
        store.update_group(&self_rename).await.unwrap(),
        "a group may change the case of its own name"
    );
    assert!(!store.update_group(&team(9, "Ghost")).await.unwrap());
    // The old name is free again.
    store.insert_group(&team(5, "ops")).await.unwrap();

    assert!(store.delete_group(&admins.id).await.unwrap());
    assert!(!store.delete_group(&admins.id).await.unwrap());
    assert!(store.group(&admins.id).await.unwrap().is_none());
    store.insert_group(&team(6, "ADMINS")).await.unwrap();
}

async fn groups_list_by_name_prefix_in_pages(store: Arc<dyn Store>) {
    let names = [
        "Engineering",
        "engines",
        "Sales",
        "Éclair",
        "100%_done",
        "100x",
        "Eng_lish",
    ];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let g = team(i as u32 + 1, name);
        store.insert_group(&g).await.unwrap();
        ids.push(g.id);
    }
    let id = |i: usize| ids[i].clone();
    assert_eq!(
        all_groups(&store, None, 2).await,
        ids,
        "every group once, in id order"
    );
    assert_eq!(
        all_groups(&store, Some("ENG"), 1).await,
        vec![id(0), id(1), id(6)]
    );
    assert_eq!(
        all_groups(&store, Some("engi"), 1).await,
        vec![id(0), id(1)]
    );
    assert_eq!(all_groups(&store, Some("éC"), 10).await, vec![id(3)]);
    assert_eq!(all_groups(&store, Some("100%"), 10).await, vec![id(4)]);
    assert_eq!(all_groups(&store, Some("100%_"), 10).await, vec![id(4)]);
    assert_eq!(all_groups(&store, Some("eng_"), 10).await, vec![id(6)]);
    assert_eq!(
        all_groups(&store, Some("%"), 10).await,
        Vec::<String>::new()
    );
    assert_eq!(
        all_groups(&store, Some("ngi"), 10).await,
        Vec::<String>::new()
    );
}

async fn memberships_are_idempotent_and_members_page_in_user_id_order(store: Arc<dyn Store>) {
    let g = team(1, "Team");
    store.insert_group(&g).await.unwrap();
    let other = team(2, "Other");
    store.insert_group(&other).await.unwrap();
    let users: Vec<User> = (1..=5).map(plain_user).collect();
    for u in &users {
        store.insert_user(u, None).await.unwrap();
    }
    for u in users.iter().rev().skip(1) {
        assert!(store.add_group_member(&g.id, &u.id, at(50)).await.unwrap());
    }
    assert!(
        !store
            .add_group_member(&g.id, &users[0].id, at(60))
            .await
            .unwrap(),
        "adding a member twice is a no-op"
    );
    let stored = store.group(&g.id).await.unwrap().unwrap();
    assert_eq!(stored.last_membership_updated, at(50));
    assert_eq!(stored.last_updated, g.last_updated);
    assert!(
        !store
            .add_group_member(&g.id, "00unope", at(61))
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_group_member("00gnope", &users[0].id, at(61))
            .await
            .unwrap()
    );
    assert!(
        store
            .add_group_member(&other.id, &users[4].id, at(62))
            .await
            .unwrap()
    );

    let expected: Vec<String> = users[..4].iter().map(|u| u.id.clone()).collect();
    assert_eq!(all_members(&store, &g.id, 3).await, expected);
    assert_eq!(all_members(&store, &g.id, 1).await, expected);
    assert_eq!(
        all_members(&store, &other.id, 10).await,
        vec![users[4].id.clone()]
    );
    assert!(all_members(&store, "00gnope", 10).await.is_empty());
    let page = store
        .list_group_members(&g.id, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.items[0], users[0], "members read back as users");

    assert!(
        store
            .remove_group_member(&g.id, &users[1].id, at(70))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_group_member(&g.id, &users[1].id, at(80))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_group_member(&g.id, &users[4].id, at(80))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .group(&g.id)
            .await
            .unwrap()
            .unwrap()
            .last_membership_updated,
        at(70)
    );
    assert_eq!(
        all_members(&store, &g.id, 2).await,
        vec![
            users[0].id.clone(),
            users[2].id.clone(),
            users[3].id.clone()
        ]
    );
}

async fn a_users_groups_include_everyone(store: Arc<dyn Store>) {
    let everyone = everyone(&store).await;
    let ada = plain_user(1);
    let bob = plain_user(2);
    store.insert_user(&ada, None).await.unwrap();
    store.insert_user(&bob, None).await.unwrap();
    let groups: Vec<Group> = (1..=3).map(|n| team(n, &format!("g{n}"))).collect();
    for g in &groups {
        store.insert_group(g).await.unwrap();
    }
    store
        .add_group_member(&groups[2].id, &ada.id, at(9))
        .await
        .unwrap();
    store
        .add_group_member(&groups[0].id, &ada.id, at(9))
        .await
        .unwrap();
    store
        .add_group_member(&groups[1].id, &bob.id, at(9))
        .await
        .unwrap();

    let mut expected = vec![
        groups[0].id.clone(),
        groups[2].id.clone(),
        everyone.id.clone(),
    ];
    expected.sort();
    assert_eq!(groups_of(&store, &ada.id, 10).await, expected);
    assert_eq!(
        groups_of(&store, &ada.id, 1).await,
        expected,
        "paged, each once"
    );
    let mut bobs = vec![groups[1].id.clone(), everyone.id.clone()];
    bobs.sort();
    assert_eq!(groups_of(&store, &bob.id, 1).await, bobs);
    let carol = plain_user(3);
    store.insert_user(&carol, None).await.unwrap();
    let page = store
        .user_groups(&carol.id, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        page.items,
        vec![everyone],
        "a user in no group is in Everyone"
    );
}

async fn deleting_a_user_or_group_removes_its_memberships_and_roles(store: Arc<dyn Store>) {
    let everyone = everyone(&store).await;
    let g = team(1, "Team");
    store.insert_group(&g).await.unwrap();
    let doomed = team(2, "Doomed");
    store.insert_group(&doomed).await.unwrap();
    let ada = plain_user(1);
    let bob = plain_user(2);
    for u in [&ada, &bob] {
        store.insert_user(u, None).await.unwrap();
        store.add_group_member(&g.id, &u.id, at(5)).await.unwrap();
        store
            .add_group_member(&doomed.id, &u.id, at(5))
            .await
            .unwrap();
    }
    store
        .insert_role(&role(1, &ada.id, RoleType::SuperAdmin))
        .await
        .unwrap();

    assert!(store.delete_user(&ada.id).await.unwrap());
    assert_eq!(all_members(&store, &g.id, 10).await, vec![bob.id.clone()]);
    assert_eq!(
        all_members(&store, &everyone.id, 10).await,
        vec![bob.id.clone()]
    );
    assert!(store.user_roles(&ada.id).await.unwrap().is_empty());
    assert!(
        store
            .user_role(&ada.id, &role(1, &ada.id, RoleType::SuperAdmin).id)
            .await
            .unwrap()
            .is_none()
    );
    // The same id again starts with no memberships and no roles.
    store.insert_user(&ada, None).await.unwrap();
    assert_eq!(
        groups_of(&store, &ada.id, 10).await,
        vec![everyone.id.clone()]
    );
    assert!(store.user_roles(&ada.id).await.unwrap().is_empty());

    assert!(store.delete_group(&doomed.id).await.unwrap());
    let mut expected = vec![g.id.clone(), everyone.id.clone()];
    expected.sort();
    assert_eq!(groups_of(&store, &bob.id, 10).await, expected);
    assert!(all_members(&store, &doomed.id, 10).await.is_empty());
    // A group made again under the old id has no members.
    store.insert_group(&doomed).await.unwrap();
    assert!(all_members(&store, &doomed.id, 10).await.is_empty());
}

async fn everyone_holds_every_user_without_membership_rows(store: Arc<dyn Store>) {
    let everyone = everyone(&store).await;
    assert_eq!(everyone.group_type, GroupType::BuiltIn);
    assert_eq!(everyone.name, "Everyone");
    with_servers(&store).await;
    assert_eq!(
        all_groups(&store, Some("every"), 10).await,
        vec![everyone.id.clone()],
        "bootstrapping again makes no second Everyone"
    );
    assert!(all_members(&store, &everyone.id, 10).await.is_empty());

    let users: Vec<User> = (1..=5).map(plain_user).collect();
    for u in &users {
        store.insert_user(u, None).await.unwrap();
    }
    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    assert_eq!(all_members(&store, &everyone.id, 2).await, ids);

    // Its membership cannot change, and nothing is written.
    assert!(
        !store
            .add_group_member(&everyone.id, &ids[0], at(500))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_group_member(&everyone.id, &ids[0], at(500))
            .await
            .unwrap()
    );
    assert_eq!(store.group(&everyone.id).await.unwrap().unwrap(), everyone);
    assert_eq!(all_members(&store, &everyone.id, 10).await, ids);
    // Nor can it be renamed or deleted; its name stays taken.
    let mut renamed = everyone.clone();
    renamed.name = "All".into();
    assert!(!store.update_group(&renamed).await.unwrap());
    assert!(!store.delete_group(&everyone.id).await.unwrap());
    assert_eq!(store.group(&everyone.id).await.unwrap().unwrap(), everyone);
    assert!(matches!(
        store.insert_group(&team(1, "EVERYONE")).await,
        Err(StoreError::Conflict(_))
    ));
}

fn role(n: u32, user_id: &str, role_type: RoleType) -> RoleAssignment {
    RoleAssignment {
        id: format!("ra1{n:017}"),
        user_id: user_id.to_owned(),
        role_type,
        created: at(i64::from(n)),
        last_updated: at(i64::from(n)),
    }
}

async fn roles_are_assigned_listed_and_unassigned(store: Arc<dyn Store>) {
    let ada = plain_user(1);
    let bob = plain_user(2);
    store.insert_user(&ada, None).await.unwrap();
    store.insert_user(&bob, None).await.unwrap();
    assert!(store.user_roles(&ada.id).await.unwrap().is_empty());

    let super_admin = role(1, &ada.id, RoleType::SuperAdmin);
    let read_only = role(2, &ada.id, RoleType::ReadOnlyAdmin);
    store.insert_role(&read_only).await.unwrap();
    store.insert_role(&super_admin).await.unwrap();
    assert!(
        matches!(
            store
                .insert_role(&role(3, &ada.id, RoleType::SuperAdmin))
                .await,
            Err(StoreError::Conflict(_))
        ),
        "a user holds each role once"
    );
    let bobs = role(4, &bob.id, RoleType::SuperAdmin);
    store.insert_role(&bobs).await.unwrap();

    assert_eq!(
        store.user_roles(&ada.id).await.unwrap(),
        vec![super_admin.clone(), read_only.clone()],
        "in id order, reading back as written"
    );
    assert_eq!(store.user_roles(&bob.id).await.unwrap(), vec![bobs.clone()]);
    assert_eq!(
        store.user_role(&ada.id, &super_admin.id).await.unwrap(),
        Some(super_admin.clone())
    );
    assert!(
        store
            .user_role(&bob.id, &super_admin.id)
            .await
            .unwrap()
            .is_none()
    );

    assert!(
        !store.delete_role(&bob.id, &super_admin.id).await.unwrap(),
        "only the holder's"
    );
    assert!(store.delete_role(&ada.id, &super_admin.id).await.unwrap());
    assert!(!store.delete_role(&ada.id, &super_admin.id).await.unwrap());
    assert_eq!(store.user_roles(&ada.id).await.unwrap(), vec![read_only]);
    // Unassigned, it can be assigned again.
    store
        .insert_role(&role(5, &ada.id, RoleType::SuperAdmin))
        .await
        .unwrap();
    assert_eq!(store.user_roles(&ada.id).await.unwrap().len(), 2);
}

async fn memberships_race_user_deletions_without_errors(store: Arc<dyn Store>) {
    let g = team(1, "Team");
    store.insert_group(&g).await.unwrap();
    let users: Vec<User> = (1..=40).map(plain_user).collect();
    for u in &users {
        store.insert_user(u, None).await.unwrap();
    }
    let mut tasks = Vec::new();
    for u in &users {
        let (a, d) = (store.clone(), store.clone());
        let (gid, uid, uid2) = (g.id.clone(), u.id.clone(), u.id.clone());
        tasks.push(tokio::spawn(async move {
            a.add_group_member(&gid, &uid, at(10)).await.map(|_| ())
        }));
        tasks.push(tokio::spawn(async move {
            d.delete_user(&uid2).await.map(|_| ())
        }));
    }
    for t in futures::future::join_all(tasks).await {
        t.unwrap()
            .expect("no error when a user goes while being added");
    }
    assert!(
        all_members(&store, &g.id, 100).await.is_empty(),
        "no membership outlives its user"
    );
}

async fn system_log_filters_order_and_pages_the_same_everywhere(store: Arc<dyn Store>) {
    use lanyard_core::directory::filter::LOG_FILTER;
    use lanyard_core::syslog::{LogEvent, LogQuery, Party, SortOrder, matches};
    let t0 = lanyard_core::clock::from_millis(1_700_000_000_000);
    let actor = Party::new("00T1", "SystemPrincipal", "api-token:ci", "ci");
    let ada = Party::new("00u1", "User", "ada@example.com", "Ada Lovelace");
    let grp = Party::new("00g1", "UserGroup", "Engineers", "Engineers");
    let mk = |i: i64, kind: &str, targets: Vec<Party>| {
        let mut e = LogEvent::new(
            kind,
            format!("message {kind}"),
            actor.clone(),
            t0 + Duration::seconds(i),
            &SystemRandom,
        );
        e.targets = targets;
        e
    };
    let events = [
        mk(0, "user.lifecycle.create", vec![ada.clone()]),
        mk(
            1,
            "group.user_membership.add",
            vec![ada.clone(), grp.clone()],
        ),
        mk(2, "user.session.start", vec![ada.clone()])
            .failure("INVALID_CREDENTIALS")
            .client(Some("10.0.0.1".into()), None),
        mk(3, "user.account.lock", vec![ada.clone()]),
        mk(4, "group.lifecycle.create", vec![grp.clone()]),
    ];
    store.insert_log_events(&events[..2]).await.unwrap();
    store.insert_log_events(&events[2..]).await.unwrap();
    store.insert_log_events(&events[..1]).await.unwrap(); // a retried batch adds nothing

    let q = |filter: Option<&str>, words: &[&str], order: SortOrder| LogQuery {
        since: None,
        until: None,
        filter: filter.map(|f| filter::parse(f, &LOG_FILTER).unwrap()),
        q: words.iter().map(|w| w.to_string()).collect(),
        order,
    };
    let cases = vec![
        (q(None, &[], SortOrder::Ascending), vec![0, 1, 2, 3, 4]),
        (q(None, &[], SortOrder::Descending), vec![4, 3, 2, 1, 0]),
        (
            q(Some(r#"target.id eq "00g1""#), &[], SortOrder::Ascending),
            vec![1, 4],
        ),
        (
            q(Some(r#"target.id eq "00g""#), &[], SortOrder::Ascending),
            vec![],
        ),
        (
            q(
                Some(r#"target.alternateId sw "ada@""#),
                &[],
                SortOrder::Ascending,
            ),
            vec![0, 1, 2, 3],
        ),
        (
            q(
                Some(r#"outcome.result eq "FAILURE" and client.ipAddress eq "10.0.0.1""#),
                &[],
                SortOrder::Ascending,
            ),
            vec![2],
        ),
        (
            q(
                Some(r#"eventType sw "group." or eventType eq "user.account.lock""#),
                &[],
                SortOrder::Ascending,
            ),
            vec![1, 3, 4],
        ),
        (
            q(
                Some(r#"displayMessage co "session""#),
                &[],
                SortOrder::Ascending,
            ),
            vec![2],
        ),
        (
            q(
                Some(r#"outcome.reason eq "INVALID_CREDENTIALS""#),
                &[],
                SortOrder::Ascending,
            ),
            vec![2],
        ),
        (
            q(None, &["ENGINEERS", "membership"], SortOrder::Ascending),
            vec![1],
        ),
        (
            LogQuery {
                since: Some(t0 + Duration::seconds(1)),
                until: Some(t0 + Duration::seconds(3)),
                ..q(None, &[], SortOrder::Ascending)
            },
            vec![1, 2],
        ),
    ];
    for (query, expected) in cases {
        let expected: Vec<String> = expected
            .into_iter()
            .map(|i: usize| events[i].uuid.clone())
            .collect();
        let memory: Vec<String> = {
            let mut v: Vec<&LogEvent> = events.iter().filter(|e| matches(&query, e)).collect();
            if query.order == SortOrder::Descending {
                v.reverse();
            }
            v.into_iter().map(|e| e.uuid.clone()).collect()
        };
        assert_eq!(memory, expected, "the core's meaning of {query:?}");
        let mut got = Vec::new();
        let mut req = PageRequest::first(2);
        loop {
            let page = store.list_log_events(&query, &req).await.unwrap();
            got.extend(page.items.iter().map(|e| e.uuid.clone()));
            match page.next {
                Some(after) => req.after = Some(after),
                None => break,
            }
        }
        assert_eq!(got, expected, "{} for {query:?}", store.backend());
    }
    let back = store
        .list_log_events(
            &q(
                Some(r#"eventType eq "user.session.start""#),
                &[],
                SortOrder::Ascending,
            ),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        back.items[0], events[2],
        "an event reads back exactly as written"
    );
}

fn session(n: u8, user_id: &str, expires_at: i64) -> Session {
    Session {
        id: format!("102session{n:011}"),
        token_hash: [n; 32],
        user_id: user_id.to_owned(),
        created: at(1),
        last_seen: at(2),
        expires_at: at(expires_at),
        amr: vec!["pwd".into(), "otp".into()],
        ip: Some("192.0.2.7".into()),
        user_agent: Some("Mozilla/5.0".into()),
    }
}

fn one_time(n: u8, kind: TokenKind, user_id: &str, expires_at: i64) -> OneTimeToken {
    OneTimeToken {
        token_hash: [n; 32],
        kind,
        user_id: user_id.to_owned(),
        created: at(1),
        expires_at: at(expires_at),
        data: serde_json::json!({"step": n, "amr": ["pwd"]}),
    }
}

fn factor(n: u32, user_id: &str, created: i64) -> Factor {
    Factor {
        id: format!("uft{n:017}"),
        user_id: user_id.to_owned(),
        factor_type: FactorType::Totp,
        provider: "GOOGLE".into(),
        status: FactorStatus::PendingActivation,
        sealed_secret: vec![n as u8, 1, 2, 3],
        last_used_step: None,
        profile: serde_json::json!({"credentialId": format!("user{n}")}),
        created: at(created),
        last_updated: at(created),
    }
}

async fn users(store: &Arc<dyn Store>, ns: &[u32]) -> Vec<User> {
    let mut out = Vec::new();
    for &n in ns {
        let u = plain_user(n);
        store.insert_user(&u, None).await.unwrap();
        out.push(u);
    }
    out
}

async fn sessions_round_trip_by_hash_and_id(store: Arc<dyn Store>) {
    let [ada, bob] = <[User; 2]>::try_from(users(&store, &[1, 2]).await).unwrap();
    let full = session(1, &ada.id, 100);
    let bare = Session {
        amr: vec![],
        ip: None,
        user_agent: None,
        ..session(2, &bob.id, 100)
    };
    store.insert_session(&full).await.unwrap();
    store.insert_session(&bare).await.unwrap();
    assert_eq!(
        store.session_by_hash(&[1; 32]).await.unwrap().unwrap(),
        full
    );
    assert_eq!(store.session(&full.id).await.unwrap().unwrap(), full);
    assert_eq!(
        store.session_by_hash(&[2; 32]).await.unwrap().unwrap(),
        bare
    );
    assert_eq!(store.session(&bare.id).await.unwrap().unwrap(), bare);
    assert!(store.session_by_hash(&[9; 32]).await.unwrap().is_none());
    assert!(store.session("102nope").await.unwrap().is_none());

    let same_hash = Session {
        id: "102other".into(),
        ..full.clone()
    };
    assert!(matches!(
        store.insert_session(&same_hash).await,
        Err(StoreError::Conflict(_))
    ));
    let same_id = Session {
        token_hash: [3; 32],
        ..full.clone()
    };
    assert!(matches!(
        store.insert_session(&same_id).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .insert_session(&session(4, "00unobody", 100))
            .await
            .is_err(),
        "a session needs a user"
    );
}

async fn sessions_touch_moves_last_seen_forward_only(store: Arc<dyn Store>) {
    let [ada] = <[User; 1]>::try_from(users(&store, &[1]).await).unwrap();
    let s = session(1, &ada.id, 100);
    let other = session(2, &ada.id, 100);
    store.insert_session(&s).await.unwrap();
    store.insert_session(&other).await.unwrap();

    store.touch_session(&s.id, at(50)).await.unwrap();
    let touched = store.session(&s.id).await.unwrap().unwrap();
    assert_eq!(touched.last_seen, at(50));
    assert_eq!(
        touched,
        Session {
            last_seen: at(50),
            ..s.clone()
        },
        "nothing else changes"
    );
    assert_eq!(
        store.session(&other.id).await.unwrap().unwrap(),
        other,
        "only that session"
    );
    store.touch_session(&s.id, at(40)).await.unwrap();
    assert_eq!(
        store.session(&s.id).await.unwrap().unwrap().last_seen,
        at(50),
        "a late, older touch does not move it back"
    );
    store.touch_session("102nope", at(60)).await.unwrap();
}

async fn sessions_are_elevated_only_under_the_cookie_they_had(store: Arc<dyn Store>) {
    let [ada] = <[User; 1]>::try_from(users(&store, &[1]).await).unwrap();
    let s = Session {
        amr: vec!["pwd".into()],
        ..session(1, &ada.id, 100)
    };
    let other = session(2, &ada.id, 100);
    store.insert_session(&s).await.unwrap();
    store.insert_session(&other).await.unwrap();
    let mfa: Vec<String> = ["pwd", "otp", "mfa"].map(String::from).to_vec();

    assert!(
        !store
            .elevate_session(&s.id, &[9; 32], &[5; 32], &mfa)
            .await
            .unwrap(),
        "not under another cookie"
    );
    assert!(
        !store
            .elevate_session("102nope", &[1; 32], &[5; 32], &mfa)
            .await
            .unwrap()
    );
    assert_eq!(store.session(&s.id).await.unwrap().unwrap(), s);
    assert!(
        store
            .elevate_session(&s.id, &[1; 32], &[5; 32], &mfa)
            .await
            .unwrap()
    );
    let up = Session {
        token_hash: [5; 32],
        amr: mfa.clone(),
        ..s.clone()
    };
    assert_eq!(store.session(&s.id).await.unwrap().unwrap(), up);
    assert_eq!(store.session_by_hash(&[5; 32]).await.unwrap().unwrap(), up);
    assert!(
        store.session_by_hash(&[1; 32]).await.unwrap().is_none(),
        "the old cookie is gone"
    );
    assert!(
        !store
            .elevate_session(&s.id, &[1; 32], &[6; 32], &mfa)
            .await
            .unwrap(),
        "a second step-up under the old cookie loses"
    );
    assert_eq!(
        store.session(&other.id).await.unwrap().unwrap(),
        other,
        "only that session"
    );
}

async fn sessions_are_deleted_one_by_user_and_when_expired(store: Arc<dyn Store>) {
    let [ada, bob] = <[User; 2]>::try_from(users(&store, &[1, 2]).await).unwrap();
    for s in [
        session(1, &ada.id, 100),
        session(2, &ada.id, 100),
        session(3, &ada.id, 100),
        session(4, &bob.id, 100),
    ] {
        store.insert_session(&s).await.unwrap();
    }
    let first = session(1, &ada.id, 100).id;
    assert!(store.delete_session(&first).await.unwrap());
    assert!(!store.delete_session(&first).await.unwrap());
    assert!(store.session_by_hash(&[1; 32]).await.unwrap().is_none());

    assert_eq!(store.delete_user_sessions(&ada.id).await.unwrap(), 2);
    assert_eq!(store.delete_user_sessions(&ada.id).await.unwrap(), 0);
    assert!(store.session_by_hash(&[2; 32]).await.unwrap().is_none());
    assert!(store.session_by_hash(&[3; 32]).await.unwrap().is_none());
    assert!(
        store.session_by_hash(&[4; 32]).await.unwrap().is_some(),
        "another user's session stays"
    );

    for s in [
        session(5, &ada.id, 10),
        session(6, &ada.id, 20),
        session(7, &bob.id, 30),
    ] {
        store.insert_session(&s).await.unwrap();
    }
    // Ended before 20: only the one that expired at 10 (one expiring exactly at 20 has not ended before it).
    assert_eq!(store.delete_expired_sessions(at(20)).await.unwrap(), 1);
    assert!(store.session_by_hash(&[5; 32]).await.unwrap().is_none());
    assert!(store.session_by_hash(&[6; 32]).await.unwrap().is_some());
    assert_eq!(store.delete_expired_sessions(at(31)).await.unwrap(), 2);
    assert!(store.session_by_hash(&[6; 32]).await.unwrap().is_none());
    assert!(store.session_by_hash(&[7; 32]).await.unwrap().is_none());
    assert!(
        store.session_by_hash(&[4; 32]).await.unwrap().is_some(),
        "an unexpired session stays"
    );
}

async fn one_time_tokens_are_consumed_once_and_only_while_valid(store: Arc<dyn Store>) {
    let [ada] = <[User; 1]>::try_from(users(&store, &[1]).await).unwrap();
    let reset = one_time(1, TokenKind::PasswordReset, &ada.id, 100);
    store.insert_one_time_token(&reset).await.unwrap();
    assert!(matches!(
        store.insert_one_time_token(&reset).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .insert_one_time_token(&one_time(2, TokenKind::Activation, "00unobody", 100))
            .await
            .is_err(),
        "a token needs a user"
    );

    // The wrong kind finds nothing and leaves the token.
    assert!(
        store
            .consume_one_time_token(&[1; 32], TokenKind::Activation, at(50))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .one_time_token(&[1; 32], TokenKind::SessionToken, at(50))
            .await
            .unwrap()
            .is_none()
    );
    // Reading does not consume.
    for _ in 0..2 {
        assert_eq!(
            store
                .one_time_token(&[1; 32], TokenKind::PasswordReset, at(50))
                .await
                .unwrap()
                .unwrap(),
            reset
        );
    }
    assert_eq!(
        store
            .consume_one_time_token(&[1; 32], TokenKind::PasswordReset, at(50))
            .await
            .unwrap()
            .unwrap(),
        reset
    );
    assert!(
        store
            .consume_one_time_token(&[1; 32], TokenKind::PasswordReset, at(50))
            .await
            .unwrap()
            .is_none(),
        "once only"
    );
    assert!(
        store
            .one_time_token(&[1; 32], TokenKind::PasswordReset, at(50))
            .await
            .unwrap()
            .is_none()
    );

    // Expired: neither read nor taken, at the instant it expires and after.
    let state = one_time(3, TokenKind::StateToken, &ada.id, 100);
    store.insert_one_time_token(&state).await.unwrap();
    for now in [at(100), at(101)] {
        assert!(
            store
                .one_time_token(&[3; 32], TokenKind::StateToken, now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .consume_one_time_token(&[3; 32], TokenKind::StateToken, now)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(
        store
            .one_time_token(&[3; 32], TokenKind::StateToken, at(99))
            .await
            .unwrap()
            .unwrap(),
        state,
        "valid until just before it expires"
    );
}

async fn one_time_tokens_are_deleted_by_user_and_kind(store: Arc<dyn Store>) {
    let [ada, bob] = <[User; 2]>::try_from(users(&store, &[1, 2]).await).unwrap();
    let tokens = [
        one_time(1, TokenKind::PasswordReset, &ada.id, 100),
        one_time(2, TokenKind::PasswordReset, &ada.id, 100),
        one_time(3, TokenKind::Activation, &ada.id, 100),
        one_time(4, TokenKind::PasswordReset, &bob.id, 100),
    ];
    for t in &tokens {
        store.insert_one_time_token(t).await.unwrap();
    }
    assert_eq!(
        store
            .delete_user_one_time_tokens(&ada.id, TokenKind::PasswordReset)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .delete_user_one_time_tokens(&ada.id, TokenKind::PasswordReset)
            .await
            .unwrap(),
        0
    );
    let live = |n: u8, kind| {
        let store = store.clone();
        async move {
            store
                .one_time_token(&[n; 32], kind, at(50))
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(!live(1, TokenKind::PasswordReset).await);
    assert!(!live(2, TokenKind::PasswordReset).await);
    assert!(live(3, TokenKind::Activation).await, "other kinds stay");
    assert!(
        live(4, TokenKind::PasswordReset).await,
        "other users' tokens stay"
    );
}

/// Runs `f` on 8 tasks that start together, and returns their results.
async fn race<T, F, Fut>(f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks = (0..8).map(|_| {
        let (barrier, work) = (barrier.clone(), f());
        tokio::spawn(async move {
            barrier.wait().await;
            work.await
        })
    });
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

async fn concurrent_consumers_take_a_one_time_token_once(store: Arc<dyn Store>) {
    let [ada] = <[User; 1]>::try_from(users(&store, &[1]).await).unwrap();
    for n in 1..=10 {
        let token = one_time(n, TokenKind::SessionToken, &ada.id, 100);
        store.insert_one_time_token(&token).await.unwrap();
        let taken: Vec<OneTimeToken> = race(|| {
            let store = store.clone();
            async move {
                store
                    .consume_one_time_token(&[n; 32], TokenKind::SessionToken, at(50))
                    .await
                    .unwrap()
            }
        })
        .await
        .into_iter()
        .flatten()
        .collect();
        assert_eq!(taken, vec![token], "round {n}");
    }
}

async fn factors_round_trip_update_and_delete(store: Arc<dyn Store>) {
    let [ada, bob] = <[User; 2]>::try_from(users(&store, &[1, 2]).await).unwrap();
    // Ids in the opposite order to creation: a user's factors come oldest first.
    let older = factor(9, &ada.id, 10);
    let newer = Factor {
        factor_type: FactorType::WebAuthn,
        provider: "FIDO".into(),
        status: FactorStatus::Active,
        last_used_step: Some(7),
        ..factor(3, &ada.id, 20)
    };
    let bobs = factor(5, &bob.id, 5);
    for f in [&newer, &older, &bobs] {
        store.insert_factor(f).await.unwrap();
    }
    assert!(matches!(
        store.insert_factor(&older).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .insert_factor(&factor(6, "00unobody", 1))
            .await
            .is_err(),
        "a factor needs a user"
    );
    assert_eq!(
        store.factor(&ada.id, &older.id).await.unwrap().unwrap(),
        older
    );
    assert_eq!(
        store.factor(&ada.id, &newer.id).await.unwrap().unwrap(),
        newer
    );
    assert!(
        store.factor(&bob.id, &older.id).await.unwrap().is_none(),
        "only the owner's"
    );
    assert_eq!(
        store.factors(&ada.id).await.unwrap(),
        vec![older.clone(), newer.clone()]
    );
    assert_eq!(store.factors(&bob.id).await.unwrap(), vec![bobs.clone()]);

    // Update sets status, profile, secret and last_updated; nothing else.
    let changed = Factor {
        status: FactorStatus::Active,
        profile: serde_json::json!({"name": "phone"}),
        sealed_secret: vec![9, 9, 9],
        last_updated: at(30),
        provider: "OKTA".into(),
        factor_type: FactorType::WebAuthn,
        created: at(99),
        last_used_step: Some(123),
        ..older.clone()
    };
    assert!(store.update_factor(&changed).await.unwrap());
    let expected = Factor {
        status: FactorStatus::Active,
        profile: serde_json::json!({"name": "phone"}),
        sealed_secret: vec![9, 9, 9],
        last_updated: at(30),
        ..older.clone()
    };
    assert_eq!(
        store.factor(&ada.id, &older.id).await.unwrap().unwrap(),
        expected
    );
    let not_bobs = Factor {
        user_id: bob.id.clone(),
        ..changed.clone()
    };
    assert!(
        !store.update_factor(&not_bobs).await.unwrap(),
        "only by its owner"
    );
    assert!(!store.update_factor(&factor(77, &ada.id, 1)).await.unwrap());

    assert!(!store.delete_factor(&bob.id, &older.id).await.unwrap());
    assert!(store.delete_factor(&ada.id, &older.id).await.unwrap());
    assert!(!store.delete_factor(&ada.id, &older.id).await.unwrap());
    assert_eq!(store.factors(&ada.id).await.unwrap(), vec![newer.clone()]);
    store.insert_factor(&factor(4, &ada.id, 40)).await.unwrap();
    assert_eq!(store.delete_user_factors(&ada.id).await.unwrap(), 2);
    assert_eq!(store.delete_user_factors(&ada.id).await.unwrap(), 0);
    assert!(store.factors(&ada.id).await.unwrap().is_empty());
    assert_eq!(
        store.factors(&bob.id).await.unwrap(),
        vec![bobs],
        "another user's factors stay"
    );
}

async fn totp_steps_are_accepted_once_and_only_forward(store: Arc<dyn Store>) {
    let [ada] = <[User; 1]>::try_from(users(&store, &[1]).await).unwrap();
    let f = factor(1, &ada.id, 1);
    let other = factor(2, &ada.id, 1);
    store.insert_factor(&f).await.unwrap();
    store.insert_factor(&other).await.unwrap();
    let read = |id: String| {
        let store = store.clone();
        let user = ada.id.clone();
        async move { store.factor(&user, &id).await.unwrap().unwrap() }
    };

    assert!(store.use_totp_step(&f.id, 1000, at(10)).await.unwrap());
    let used = read(f.id.clone()).await;
    assert_eq!(
        (used.last_used_step, used.last_updated),
        (Some(1000), at(10))
    );
    assert!(!store.use_totp_step(&f.id, 1000, at(11)).await.unwrap());
    assert!(!store.use_totp_step(&f.id, 999, at(12)).await.unwrap());
    let refused = read(f.id.clone()).await;
    assert_eq!(
        (refused.last_used_step, refused.last_updated),
        (Some(1000), at(10)),
        "a refused step changes nothing"
    );
    assert!(store.use_totp_step(&f.id, 1001, at(13)).await.unwrap());
    assert_eq!(read(f.id.clone()).await.last_used_step, Some(1001));
    assert!(
        store.use_totp_step(&other.id, 1000, at(14)).await.unwrap(),
        "each factor has its own steps"
    );
    assert!(!store.use_totp_step("uftnope", 1, at(15)).await.unwrap());
}

async fn concurrent_uses_of_one_totp_step_succeed_once(store: Arc<dyn Store>) {
    let [ada] = <[User; 1]>::try_from(users(&store, &[1]).await).unwrap();
    let f = factor(1, &ada.id, 1);
    store.insert_factor(&f).await.unwrap();
    for step in 5000..5010 {
        let accepted = race(|| {
            let (store, id) = (store.clone(), f.id.clone());
            async move { store.use_totp_step(&id, step, at(10)).await.unwrap() }
        })
        .await;
        assert_eq!(
            accepted.into_iter().filter(|a| *a).count(),
            1,
            "step {step}"
        );
    }
}

async fn failures_lock_a_user_at_the_threshold_once(store: Arc<dyn Store>) {
    let [ada, bob] = <[User; 2]>::try_from(users(&store, &[1, 2]).await).unwrap();
    for i in 1..=9 {
        let count = store
            .record_failure(&ada.id, 10, at(i), at(1000), at(-1_000_000))
            .await
            .unwrap();
        assert_eq!(
            count,
            FailureCount {
                attempts: i as u32,
                locked: false
            }
        );
    }
    assert_eq!(store.user(&ada.id).await.unwrap().unwrap(), ada);
    assert_eq!(store.lockout_until(&ada.id).await.unwrap(), None);

    let tenth = store
        .record_failure(&ada.id, 10, at(10), at(1000), at(-1_000_000))
        .await
        .unwrap();
    assert_eq!(
        tenth,
        FailureCount {
            attempts: 10,
            locked: true
        }
    );
    let locked = store.user(&ada.id).await.unwrap().unwrap();
    assert_eq!(
        locked,
        User {
            status: UserStatus::LockedOut,
            status_changed: Some(at(10)),
            last_updated: at(10),
            ..ada.clone()
        }
    );
    assert_eq!(store.lockout_until(&ada.id).await.unwrap(), Some(at(1000)));

    let eleventh = store
        .record_failure(&ada.id, 10, at(11), at(2000), at(-1_000_000))
        .await
        .unwrap();
    assert_eq!(
        eleventh,
        FailureCount {
            attempts: 11,
            locked: false
        }
    );
    assert_eq!(
        store.user(&ada.id).await.unwrap().unwrap(),
        locked,
        "already locked: the user row is left alone"
    );
    assert_eq!(
        store.lockout_until(&ada.id).await.unwrap(),
        Some(at(1000)),
        "and the lock is not extended"
    );

    // Bob's count is his own.
    assert_eq!(
        store
            .record_failure(&bob.id, 10, at(12), at(1000), at(-1_000_000))
            .await
            .unwrap(),
        FailureCount {
            attempts: 1,
            locked: false
        }
    );

    store.reset_failures(&ada.id).await.unwrap();
    assert_eq!(store.lockout_until(&ada.id).await.unwrap(), None);
    assert_eq!(
        store.user(&ada.id).await.unwrap().unwrap().status,
        UserStatus::LockedOut,
        "resetting the count does not unlock: the caller does"
    );
    assert_eq!(
        store
            .record_failure(&ada.id, 10, at(13), at(1000), at(-1_000_000))
            .await
            .unwrap()
            .attempts,
        1,
        "counting starts again"
    );
    assert_eq!(
        store
            .record_failure(&bob.id, 10, at(14), at(1000), at(-1_000_000))
            .await
            .unwrap()
            .attempts,
        2,
        "another user's count survives a reset"
    );
    store.reset_failures("00unobody").await.unwrap();
}

async fn failures_lock_nobody_already_locked_absent_or_without_a_threshold(store: Arc<dyn Store>) {
    let [ada, bob] = <[User; 2]>::try_from(users(&store, &[1, 2]).await).unwrap();
    // Threshold 0: no lockout, however many failures.
    for i in 1..=3 {
        assert_eq!(
            store
                .record_failure(&ada.id, 0, at(i), at(1000), at(-1_000_000))
                .await
                .unwrap(),
            FailureCount {
                attempts: i as u32,
                locked: false
            }
        );
    }
    assert_eq!(
        store.user(&ada.id).await.unwrap().unwrap().status,
        UserStatus::Active
    );

    // Locked out by other means: reaching the threshold does not lock again, nor set a lock end.
    let held = User {
        status: UserStatus::LockedOut,
        status_changed: Some(at(5)),
        last_updated: at(5),
        ..bob.clone()
    };
    assert!(store.update_user(&held).await.unwrap());
    assert_eq!(
        store
            .record_failure(&bob.id, 1, at(6), at(1000), at(-1_000_000))
            .await
            .unwrap(),
        FailureCount {
            attempts: 1,
            locked: false
        }
    );
    assert_eq!(store.user(&bob.id).await.unwrap().unwrap(), held);
    assert_eq!(store.lockout_until(&bob.id).await.unwrap(), None);

    // An unknown user: nothing counted, nothing stored.
    assert_eq!(
        store
            .record_failure("00unobody", 1, at(7), at(1000), at(-1_000_000))
            .await
            .unwrap(),
        FailureCount {
            attempts: 0,
            locked: false
        }
    );
    assert_eq!(store.lockout_until("00unobody").await.unwrap(), None);
}

async fn concurrent_failures_are_all_counted_and_lock_once(store: Arc<dyn Store>) {
    let [ada] = <[User; 1]>::try_from(users(&store, &[1]).await).unwrap();
    for round in 0..3 {
        store.reset_failures(&ada.id).await.unwrap();
        assert!(store.update_user(&ada).await.unwrap(), "unlocked again");
        let counts = race(|| {
            let (store, id) = (store.clone(), ada.id.clone());
            async move {
                store
                    .record_failure(&id, 5, at(10), at(1000), at(-1_000_000))
                    .await
                    .unwrap()
            }
        })
        .await;
        let mut attempts: Vec<u32> = counts.iter().map(|c| c.attempts).collect();
        attempts.sort_unstable();
        assert_eq!(
            attempts,
            (1..=8).collect::<Vec<_>>(),
            "no failure is lost (round {round})"
        );
        assert_eq!(counts.iter().filter(|c| c.locked).count(), 1);
        assert!(
            counts.iter().all(|c| c.locked == (c.attempts == 5)),
            "the fifth locks"
        );
        assert_eq!(
            store.user(&ada.id).await.unwrap().unwrap().status,
            UserStatus::LockedOut
        );
    }
}

async fn signin_rows_go_with_their_user(store: Arc<dyn Store>) {
    let [ada, bob] = <[User; 2]>::try_from(users(&store, &[1, 2]).await).unwrap();
    for u in [&ada, &bob] {
        let n = if u.id == ada.id { 1 } else { 2 };
        store.insert_session(&session(n, &u.id, 100)).await.unwrap();
        store
            .insert_one_time_token(&one_time(n, TokenKind::StateToken, &u.id, 100))
            .await
            .unwrap();
        store
            .insert_factor(&factor(u32::from(n), &u.id, 1))
            .await
            .unwrap();
        store
            .record_failure(&u.id, 1, at(1), at(1000), at(-1_000_000))
            .await
            .unwrap();
    }
    assert!(store.delete_user(&ada.id).await.unwrap());
    assert!(store.session_by_hash(&[1; 32]).await.unwrap().is_none());
    assert!(
        store
            .one_time_token(&[1; 32], TokenKind::StateToken, at(50))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.factors(&ada.id).await.unwrap().is_empty());
    assert_eq!(store.lockout_until(&ada.id).await.unwrap(), None);
    // The same id again starts with a clean slate.
    store.insert_user(&ada, None).await.unwrap();
    assert_eq!(
        store
            .record_failure(&ada.id, 10, at(2), at(1000), at(-1_000_000))
            .await
            .unwrap()
            .attempts,
        1
    );
    assert!(
        store
            .session(&session(1, &ada.id, 100).id)
            .await
            .unwrap()
            .is_none()
    );

    // Bob keeps everything.
    assert!(store.session_by_hash(&[2; 32]).await.unwrap().is_some());
    assert!(
        store
            .one_time_token(&[2; 32], TokenKind::StateToken, at(50))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.factors(&bob.id).await.unwrap().len(), 1);
    assert_eq!(store.lockout_until(&bob.id).await.unwrap(), Some(at(1000)));
}

async fn sign_ins_are_recorded_only_for_users_who_may_sign_in(store: Arc<dyn Store>) {
    let at = lanyard_core::clock::from_millis(1_800_000_000_000);
    let active = person(
        1,
        "ada@example.com",
        serde_json::json!({}),
        UserStatus::Active,
    );
    let suspended = person(
        2,
        "bob@example.com",
        serde_json::json!({}),
        UserStatus::Suspended,
    );
    store.insert_user(&active, None).await.unwrap();
    store.insert_user(&suspended, None).await.unwrap();
    assert!(store.record_login(&active.id, at).await.unwrap());
    let back = store.user(&active.id).await.unwrap().unwrap();
    assert_eq!(
        back.last_login.unwrap().timestamp_millis(),
        at.timestamp_millis()
    );
    assert_eq!(back.status, UserStatus::Active, "nothing else changes");
    assert!(
        !store.record_login(&suspended.id, at).await.unwrap(),
        "a suspended user's sign-in fails"
    );
    assert!(
        store
            .user(&suspended.id)
            .await
            .unwrap()
            .unwrap()
            .last_login
            .is_none()
    );
    assert!(!store.record_login("00u-nobody", at).await.unwrap());
}

async fn one_time_tokens_are_replaced_by_concurrent_writers_without_errors(store: Arc<dyn Store>) {
    let user = plain_user(1);
    store.insert_user(&user, None).await.unwrap();
    let mut tasks = Vec::new();
    for step in 0..8u8 {
        let store = store.clone();
        let mut t = one_time(7, TokenKind::StateToken, &user.id, 100);
        t.data = serde_json::json!({ "step": step });
        tasks.push(tokio::spawn(async move {
            store.replace_one_time_token(&t).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let kept = store
        .consume_one_time_token(&[7; 32], TokenKind::StateToken, at(2))
        .await
        .unwrap()
        .expect("one token is kept");
    assert!(kept.data["step"].as_u64().is_some_and(|s| s < 8));
    // A replaced token is the new one entirely.
    store
        .insert_one_time_token(&one_time(8, TokenKind::StateToken, &user.id, 100))
        .await
        .unwrap();
    store
        .replace_one_time_token(&one_time(8, TokenKind::PasswordReset, &user.id, 200))
        .await
        .unwrap();
    assert!(
        store
            .one_time_token(&[8; 32], TokenKind::StateToken, at(2))
            .await
            .unwrap()
            .is_none()
    );
    let t = store
        .one_time_token(&[8; 32], TokenKind::PasswordReset, at(150))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.expires_at, at(200));
}
