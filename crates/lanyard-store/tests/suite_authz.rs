//! The storage suite for the Authorization Servers API: servers, scopes, claims, policy and rule writes, on
//! SQLite, PostgreSQL and in memory.

use std::sync::Arc;

use chrono::Utc;
use lanyard_core::authz::servers::system_scopes;
use lanyard_core::bootstrap::bootstrap;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::crypto::{MasterKey, SigningAlg};
use lanyard_core::id::{new_id, prefix};
use lanyard_core::keys::new_key_record;
use lanyard_core::model::*;
use lanyard_core::random::SystemRandom;
use lanyard_core::store::{Store, StoreError};
use serde_json::json;

#[macro_use]
mod support;

suite!(
    servers_are_created_searched_updated_and_deleted_with_all_they_hold,
    a_deleted_default_server_stays_deleted,
    scope_names_are_unique_per_server,
    claims_round_trip_and_names_are_unique_per_type,
    policy_and_rule_priorities_stay_dense,
    concurrent_policy_inserts_keep_priorities_dense,
    concurrent_bootstraps_create_system_scopes_once,
);

fn now() -> chrono::DateTime<Utc> {
    SystemClock.now()
}

fn server(name: &str) -> AuthorizationServer {
    let t = now();
    AuthorizationServer {
        id: new_id(prefix::AUTH_SERVER, t, &SystemRandom),
        kind: AuthServerKind::Custom,
        name: name.into(),
        description: "d".into(),
        audiences: vec!["api://x".into()],
        status: LifecycleStatus::Active,
        signing_alg: SigningAlg::RS256,
        created: t,
        last_updated: t,
    }
}

fn scope(server: &str, name: &str) -> Scope {
    Scope {
        id: new_id(prefix::SCOPE, now(), &SystemRandom),
        name: name.into(),
        system: false,
        default: true,
        consent: Consent::Required,
        metadata_publish: MetadataPublish::NoClients,
        ..system_scopes(server, now())[0].clone()
    }
}

fn claim(server: &str, name: &str, ct: ClaimType) -> Claim {
    Claim {
        id: new_id(prefix::CLAIM, now(), &SystemRandom),
        auth_server_id: server.into(),
        name: name.into(),
        status: LifecycleStatus::Active,
        claim_type: ct,
        value_type: ClaimValueType::Groups,
        value: "eng".into(),
        always_include_in_token: false,
        scopes: vec!["openid".into()],
        group_filter_type: Some(GroupFilterType::StartsWith),
        system: false,
        created: now(),
        last_updated: now(),
    }
}

fn policy(server: &str, name: &str, priority: i64) -> Policy {
    Policy {
        id: new_id(prefix::POLICY, now(), &SystemRandom),
        auth_server_id: server.into(),
        name: name.into(),
        description: String::new(),
        priority,
        status: LifecycleStatus::Active,
        system: false,
        conditions: json!({"clients": {"include": ["ALL_CLIENTS"]}}),
        created: now(),
        last_updated: now(),
    }
}

fn rule(policy: &str, name: &str, priority: i64) -> PolicyRule {
    PolicyRule {
        id: new_id(prefix::RULE, now(), &SystemRandom),
        policy_id: policy.into(),
        name: name.into(),
        priority,
        status: LifecycleStatus::Active,
        system: false,
        conditions: json!({"scopes": {"include": ["*"]}}),
        actions: json!({"token": {"accessTokenLifetimeMinutes": 60}}),
        created: now(),
        last_updated: now(),
    }
}

async fn names_by_priority(store: &Arc<dyn Store>, server: &str) -> Vec<(String, i64)> {
    store
        .policies(server)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.priority))
        .collect()
}

fn pairs(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect()
}

async fn servers_are_created_searched_updated_and_deleted_with_all_they_hold(
    store: Arc<dyn Store>,
) {
    bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Acme")
        .await
        .unwrap();
    let mut a = server("Payments API");
    let b = server("people");
    store
        .insert_auth_server(&a, &system_scopes(&a.id, now()))
        .await
        .unwrap();
    store.insert_auth_server(&b, &[]).await.unwrap();
    assert!(matches!(
        store.insert_auth_server(&b, &[]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.scopes(&a.id).await.unwrap().len(), 7);

    let found = store
        .search_auth_servers(AuthServerKind::Custom, Some("pay"), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(found.items, vec![a.clone()]);
    let none = store
        .search_auth_servers(AuthServerKind::Custom, Some("p%"), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(none.items.is_empty(), "LIKE wildcards are escaped");
    let all = store
        .search_auth_servers(AuthServerKind::Custom, None, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    assert!(all.next.is_some());

    a.name = "Renamed".into();
    a.audiences = vec!["api://renamed".into()];
    a.status = LifecycleStatus::Inactive;
    assert!(store.update_auth_server(&a).await.unwrap());
    assert_eq!(store.auth_server(&a.id).await.unwrap().unwrap(), a);

    // Everything the server holds goes with it.
    let p = store
        .insert_policy(&policy(&a.id, "p", 1))
        .await
        .unwrap()
        .unwrap();
    store
        .insert_rule(&rule(&p.id, "r", 1))
        .await
        .unwrap()
        .unwrap();
    store
        .insert_claim(&claim(&a.id, "c", ClaimType::Resource))
        .await
        .unwrap();
    let master = MasterKey::generate(&SystemRandom);
    let key = new_key_record(
        &a.id,
        SigningAlg::RS256,
        KeyStatus::Active,
        &master,
        &SystemRandom,
        now(),
    )
    .unwrap();
    assert!(store.insert_key_if_absent(&key).await.unwrap());
    assert!(store.delete_auth_server(&a.id, now()).await.unwrap());
    assert!(!store.delete_auth_server(&a.id, now()).await.unwrap());
    assert!(store.auth_server(&a.id).await.unwrap().is_none());
    assert!(store.auth_server_deleted(&a.id).await.unwrap());
    assert!(!store.auth_server_deleted(&b.id).await.unwrap());
    assert!(store.scopes(&a.id).await.unwrap().is_empty());
    assert!(store.claims(&a.id).await.unwrap().is_empty());
    assert!(store.policies(&a.id).await.unwrap().is_empty());
    assert!(store.policy_rules(&p.id).await.unwrap().is_empty());
    assert!(store.keys(&a.id).await.unwrap().is_empty());
    assert!(!store.update_auth_server(&a).await.unwrap());
}

async fn a_deleted_default_server_stays_deleted(store: Arc<dyn Store>) {
    bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Acme")
        .await
        .unwrap();
    assert!(store.delete_auth_server("default", now()).await.unwrap());
    let again = bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Acme")
        .await
        .unwrap();
    assert!(again.created_servers.is_empty());
    assert!(store.auth_server("default").await.unwrap().is_none());
    assert!(store.scopes("default").await.unwrap().is_empty());
}

async fn scope_names_are_unique_per_server(store: Arc<dyn Store>) {
    let a = server("a");
    let b = server("b");
    store.insert_auth_server(&a, &[]).await.unwrap();
    store.insert_auth_server(&b, &[]).await.unwrap();
    let s = scope(&a.id, "read");
    store.insert_scope(&s).await.unwrap();
    store.insert_scope(&scope(&b.id, "read")).await.unwrap();
    assert!(matches!(
        store.insert_scope(&scope(&a.id, "read")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.scope(&a.id, &s.id).await.unwrap().unwrap(), s);
    assert!(store.scope(&b.id, &s.id).await.unwrap().is_none());

    let w = scope(&a.id, "write");
    store.insert_scope(&w).await.unwrap();
    let renamed = Scope {
        name: "read".into(),
        ..w.clone()
    };
    assert!(matches!(
        store.update_scope(&renamed).await,
        Err(StoreError::Conflict(_))
    ));
    let changed = Scope {
        name: "write:all".into(),
        description: Some("all".into()),
        consent: Consent::Flexible,
        default: false,
        metadata_publish: MetadataPublish::AllClients,
        ..w.clone()
    };
    assert!(store.update_scope(&changed).await.unwrap());
    assert_eq!(store.scope(&a.id, &w.id).await.unwrap().unwrap(), changed);
    let names: Vec<_> = store
        .scopes(&a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["read", "write:all"]);
    assert!(!store.delete_scope(&b.id, &s.id).await.unwrap());
    assert!(store.delete_scope(&a.id, &s.id).await.unwrap());
    assert!(store.scope(&a.id, &s.id).await.unwrap().is_none());

    // If absent: system scopes twice insert once; a taken name is skipped.
    let sys = system_scopes(&b.id, now());
    assert_eq!(store.insert_scopes_if_absent(&sys).await.unwrap(), 7);
    assert_eq!(store.insert_scopes_if_absent(&sys).await.unwrap(), 0);
    assert_eq!(store.scopes(&b.id).await.unwrap().len(), 8);
}

async fn claims_round_trip_and_names_are_unique_per_type(store: Arc<dyn Store>) {
    let a = server("a");
    store.insert_auth_server(&a, &[]).await.unwrap();
    let c = claim(&a.id, "groups", ClaimType::Resource);
    store.insert_claim(&c).await.unwrap();
    store
        .insert_claim(&claim(&a.id, "groups", ClaimType::Identity))
        .await
        .unwrap();
    assert!(matches!(
        store
            .insert_claim(&claim(&a.id, "groups", ClaimType::Resource))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.claim(&a.id, &c.id).await.unwrap().unwrap(), c);
    let changed = Claim {
        value_type: ClaimValueType::Expression,
        value: "user.email".into(),
        group_filter_type: None,
        scopes: vec![],
        always_include_in_token: true,
        status: LifecycleStatus::Inactive,
        name: "mail".into(),
        ..c.clone()
    };
    assert!(store.update_claim(&changed).await.unwrap());
    assert_eq!(store.claim(&a.id, &c.id).await.unwrap().unwrap(), changed);
    assert_eq!(store.claims(&a.id).await.unwrap().len(), 2);
    assert!(store.delete_claim(&a.id, &c.id).await.unwrap());
    assert!(!store.delete_claim(&a.id, &c.id).await.unwrap());
    assert_eq!(store.claims(&a.id).await.unwrap().len(), 1);
}

async fn policy_and_rule_priorities_stay_dense(store: Arc<dyn Store>) {
    let a = server("a");
    store.insert_auth_server(&a, &[]).await.unwrap();
    assert!(
        store
            .insert_policy(&policy("nope", "x", 1))
            .await
            .unwrap()
            .is_none()
    );
    let p1 = store
        .insert_policy(&policy(&a.id, "one", i64::MAX))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p1.priority, 1);
    let p2 = store
        .insert_policy(&policy(&a.id, "two", 99))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p2.priority, 2);
    let p0 = store
        .insert_policy(&policy(&a.id, "zero", 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p0.priority, 1);
    assert_eq!(
        names_by_priority(&store, &a.id).await,
        pairs(&[("zero", 1), ("one", 2), ("two", 3)])
    );
    // Moving "two" to the top and changing its status.
    let moved = Policy {
        priority: 1,
        status: LifecycleStatus::Inactive,
        name: "TWO".into(),
        ..p2.clone()
    };
    let stored = store.update_policy(&moved).await.unwrap().unwrap();
    assert_eq!(
        (stored.priority, stored.status),
        (1, LifecycleStatus::Inactive)
    );
    assert_eq!(
        names_by_priority(&store, &a.id).await,
        pairs(&[("TWO", 1), ("zero", 2), ("one", 3)])
    );
    assert!(store.delete_policy(&a.id, &p0.id).await.unwrap());
    assert!(!store.delete_policy(&a.id, &p0.id).await.unwrap());
    assert_eq!(
        names_by_priority(&store, &a.id).await,
        pairs(&[("TWO", 1), ("one", 2)])
    );
    assert!(store.update_policy(&p0).await.unwrap().is_none());
    assert_eq!(
        store.policy(&a.id, &p1.id).await.unwrap().unwrap().priority,
        2
    );

    // Rules, likewise, within their policy.
    assert!(
        store
            .insert_rule(&rule("nope", "x", 1))
            .await
            .unwrap()
            .is_none()
    );
    let r1 = store
        .insert_rule(&rule(&p1.id, "r1", 5))
        .await
        .unwrap()
        .unwrap();
    let r2 = store
        .insert_rule(&rule(&p1.id, "r2", 1))
        .await
        .unwrap()
        .unwrap();
    let r3 = store
        .insert_rule(&rule(&p1.id, "r3", 2))
        .await
        .unwrap()
        .unwrap();
    let order = |rules: Vec<PolicyRule>| {
        rules
            .into_iter()
            .map(|r| (r.name, r.priority))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(store.policy_rules(&p1.id).await.unwrap()),
        pairs(&[("r2", 1), ("r3", 2), ("r1", 3)])
    );
    let changed = PolicyRule {
        priority: 3,
        actions: json!({"token": {"accessTokenLifetimeMinutes": 5}}),
        ..r2.clone()
    };
    let stored = store.update_rule(&changed).await.unwrap().unwrap();
    assert_eq!(stored.actions, changed.actions);
    assert_eq!(
        order(store.policy_rules(&p1.id).await.unwrap()),
        pairs(&[("r3", 1), ("r1", 2), ("r2", 3)])
    );
    assert!(store.delete_rule(&p1.id, &r3.id).await.unwrap());
    assert_eq!(
        order(store.policy_rules(&p1.id).await.unwrap()),
        pairs(&[("r1", 1), ("r2", 2)])
    );
    assert_eq!(
        store
            .policy_rule(&p1.id, &r1.id)
            .await
            .unwrap()
            .unwrap()
            .priority,
        1
    );
    assert!(store.policy_rule(&p2.id, &r1.id).await.unwrap().is_none());
    // Deleting a policy deletes its rules.
    assert!(store.delete_policy(&a.id, &p1.id).await.unwrap());
    assert!(store.policy_rules(&p1.id).await.unwrap().is_empty());
}

async fn concurrent_policy_inserts_keep_priorities_dense(store: Arc<dyn Store>) {
    let a = server("a");
    store.insert_auth_server(&a, &[]).await.unwrap();
    let p = store
        .insert_policy(&policy(&a.id, "p", 1))
        .await
        .unwrap()
        .unwrap();
    let tasks = (0..8).map(|i| {
        let store = store.clone();
        let pol = policy(&a.id, &format!("p{i}"), 1);
        let rul = rule(&p.id, &format!("r{i}"), 1);
        tokio::spawn(async move {
            store.insert_policy(&pol).await.unwrap().unwrap();
            store.insert_rule(&rul).await.unwrap().unwrap();
        })
    });
    for t in futures::future::join_all(tasks).await {
        t.unwrap();
    }
    let priorities: Vec<i64> = store
        .policies(&a.id)
        .await
        .unwrap()
        .iter()
        .map(|p| p.priority)
        .collect();
    assert_eq!(priorities, (1..=9).collect::<Vec<_>>());
    let rules: Vec<i64> = store
        .policy_rules(&p.id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.priority)
        .collect();
    assert_eq!(rules, (1..=8).collect::<Vec<_>>());
}

async fn concurrent_bootstraps_create_system_scopes_once(store: Arc<dyn Store>) {
    let tasks = (0..4).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Acme")
                .await
                .unwrap()
        })
    });
    let created: usize = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap().created_servers.len())
        .sum();
    assert_eq!(created, 2);
    let scopes = store.scopes("default").await.unwrap();
    let names: Vec<_> = scopes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "address",
            "device_sso",
            "email",
            "offline_access",
            "openid",
            "phone",
            "profile"
        ]
    );
    assert_eq!(store.policies("default").await.unwrap().len(), 1);
}
