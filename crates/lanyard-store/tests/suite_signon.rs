//! The storage suite for Okta sign-on policies and rules, on every backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::*;
use lanyard_core::signin::policy::{default_policy, default_rule};
use lanyard_core::store::Store;
use serde_json::json;

#[macro_use]
mod support;

suite!(
    the_default_policy_is_inserted_once_and_stays_last,
    rules_stay_dense_with_the_system_rule_last,
    deleting_a_policy_deletes_its_rules_and_closes_the_gap,
    concurrent_signon_writes_keep_priorities_dense,
);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
}

fn policy(name: &str, priority: i64) -> SignOnPolicy {
    SignOnPolicy {
        id: format!("00p{name:0>17}"),
        name: name.into(),
        description: format!("{name} policy"),
        priority,
        status: LifecycleStatus::Active,
        system: false,
        conditions: json!({"people": {"groups": {"include": ["00gadmins"]}}}),
        created: at(0),
        last_updated: at(0),
    }
}

fn rule(policy_id: &str, name: &str, priority: i64) -> PolicyRule {
    PolicyRule {
        id: format!("0pr{name:0>17}"),
        policy_id: policy_id.into(),
        name: name.into(),
        priority,
        status: LifecycleStatus::Active,
        system: false,
        conditions: json!({"people": {"users": {"exclude": []}}}),
        actions: json!({"signon": {"access": "ALLOW", "requireFactor": true}}),
        created: at(0),
        last_updated: at(0),
    }
}

async fn names(store: &Arc<dyn Store>) -> Vec<(String, i64)> {
    store
        .signon_policies()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.priority))
        .collect()
}

async fn rule_names(store: &Arc<dyn Store>, policy_id: &str) -> Vec<(String, i64)> {
    store
        .signon_rules(policy_id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.priority))
        .collect()
}

fn pairs(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect()
}

async fn bootstrap_default(store: &Arc<dyn Store>) -> (SignOnPolicy, PolicyRule) {
    let p = default_policy(at(0));
    let r = default_rule(&p.id, at(0));
    store
        .insert_signon_policy_if_absent(&p, std::slice::from_ref(&r))
        .await
        .unwrap();
    (p, r)
}

async fn the_default_policy_is_inserted_once_and_stays_last(store: Arc<dyn Store>) {
    let (dp, dr) = bootstrap_default(&store).await;
    assert!(
        !store
            .insert_signon_policy_if_absent(&dp, std::slice::from_ref(&dr))
            .await
            .unwrap(),
        "a second bootstrap inserts nothing"
    );
    let stored = store.signon_policy(&dp.id).await.unwrap().unwrap();
    assert_eq!(stored, dp);
    assert_eq!(
        store.signon_rules(&dp.id).await.unwrap(),
        vec![dr.clone()],
        "the rule round-trips"
    );

    // New policies go before it, whatever priority they ask.
    let a = store.insert_signon_policy(&policy("a", 99)).await.unwrap();
    assert_eq!(a.priority, 1);
    let b = store.insert_signon_policy(&policy("b", 1)).await.unwrap();
    assert_eq!(b.priority, 1);
    let c = store.insert_signon_policy(&policy("c", 2)).await.unwrap();
    assert_eq!(c.priority, 2);
    assert_eq!(
        names(&store).await,
        pairs(&[("b", 1), ("c", 2), ("a", 3), ("Default Policy", 4)])
    );
    // Asking to move the system policy first leaves it last; its other fields change.
    let moved = SignOnPolicy {
        priority: 1,
        description: "changed".into(),
        last_updated: at(5),
        ..dp.clone()
    };
    let stored = store.update_signon_policy(&moved).await.unwrap().unwrap();
    assert_eq!(
        (stored.priority, stored.description.as_str()),
        (4, "changed")
    );
    assert_eq!(stored.last_updated, at(5));
    // An update never changes `system` or `created`.
    let sneaky = SignOnPolicy {
        system: false,
        created: at(9),
        priority: 9,
        status: LifecycleStatus::Inactive,
        ..a.clone()
    };
    let stored = store.update_signon_policy(&sneaky).await.unwrap().unwrap();
    assert!(!stored.system && stored.created == at(0));
    assert_eq!(
        (stored.priority, stored.status),
        (3, LifecycleStatus::Inactive)
    );
    let sneaky_system = SignOnPolicy {
        system: false,
        ..dp.clone()
    };
    assert!(
        store
            .update_signon_policy(&sneaky_system)
            .await
            .unwrap()
            .unwrap()
            .system
    );
    let up = SignOnPolicy {
        priority: 1,
        ..a.clone()
    };
    store.update_signon_policy(&up).await.unwrap().unwrap();
    assert_eq!(
        names(&store).await,
        pairs(&[("a", 1), ("b", 2), ("c", 3), ("Default Policy", 4)])
    );
    assert!(
        store
            .update_signon_policy(&policy("nope", 1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.signon_policy("00pnope").await.unwrap().is_none());
}

async fn rules_stay_dense_with_the_system_rule_last(store: Arc<dyn Store>) {
    let (dp, dr) = bootstrap_default(&store).await;
    assert!(
        store
            .insert_signon_rule(&rule("00pmissing", "x", 1))
            .await
            .unwrap()
            .is_none()
    );
    let r1 = store
        .insert_signon_rule(&rule(&dp.id, "r1", 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r1.priority, 1);
    store
        .insert_signon_rule(&rule(&dp.id, "r2", 50))
        .await
        .unwrap()
        .unwrap();
    store
        .insert_signon_rule(&rule(&dp.id, "r0", 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        rule_names(&store, &dp.id).await,
        pairs(&[("r0", 1), ("r1", 2), ("r2", 3), ("Default Rule", 4)])
    );
    // The system rule's actions may change; its place does not.
    let changed = PolicyRule {
        priority: 1,
        actions: json!({"signon": {"access": "DENY"}}),
        ..dr.clone()
    };
    let stored = store.update_signon_rule(&changed).await.unwrap().unwrap();
    assert_eq!((stored.priority, &stored.actions), (4, &changed.actions));
    let moved = PolicyRule {
        priority: 3,
        name: "R1".into(),
        ..r1.clone()
    };
    store.update_signon_rule(&moved).await.unwrap().unwrap();
    assert_eq!(
        rule_names(&store, &dp.id).await,
        pairs(&[("r0", 1), ("r2", 2), ("R1", 3), ("Default Rule", 4)])
    );
    // A rule is found, changed and deleted only through its own policy.
    let other = store.insert_signon_policy(&policy("o", 1)).await.unwrap();
    assert!(
        store
            .signon_rule(&other.id, &r1.id)
            .await
            .unwrap()
            .is_none()
    );
    let wrong_policy = PolicyRule {
        policy_id: other.id.clone(),
        ..r1.clone()
    };
    assert!(
        store
            .update_signon_rule(&wrong_policy)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.delete_signon_rule(&other.id, &r1.id).await.unwrap());
    assert!(store.delete_signon_rule(&dp.id, &r1.id).await.unwrap());
    assert!(!store.delete_signon_rule(&dp.id, &r1.id).await.unwrap());
    assert_eq!(
        rule_names(&store, &dp.id).await,
        pairs(&[("r0", 1), ("r2", 2), ("Default Rule", 3)])
    );
    assert_eq!(
        store
            .signon_rule(&dp.id, &dr.id)
            .await
            .unwrap()
            .unwrap()
            .priority,
        3
    );
}

async fn deleting_a_policy_deletes_its_rules_and_closes_the_gap(store: Arc<dyn Store>) {
    bootstrap_default(&store).await;
    let a = store.insert_signon_policy(&policy("a", 1)).await.unwrap();
    let b = store.insert_signon_policy(&policy("b", 2)).await.unwrap();
    store
        .insert_signon_rule(&rule(&a.id, "ra", 1))
        .await
        .unwrap()
        .unwrap();
    assert!(store.delete_signon_policy(&a.id).await.unwrap());
    assert!(!store.delete_signon_policy(&a.id).await.unwrap());
    assert!(store.signon_rules(&a.id).await.unwrap().is_empty());
    assert_eq!(
        names(&store).await,
        pairs(&[("b", 1), ("Default Policy", 2)])
    );
    assert_eq!(
        store.signon_policy(&b.id).await.unwrap().unwrap().priority,
        1
    );
}

async fn concurrent_signon_writes_keep_priorities_dense(store: Arc<dyn Store>) {
    let (dp, _) = bootstrap_default(&store).await;
    let tasks = (0..8).map(|i| {
        let store = store.clone();
        let pol = policy(&format!("p{i}"), 1);
        let rul = rule(&dp.id, &format!("r{i}"), 1);
        tokio::spawn(async move {
            store.insert_signon_policy(&pol).await.unwrap();
            store.insert_signon_rule(&rul).await.unwrap().unwrap();
        })
    });
    for t in futures::future::join_all(tasks).await {
        t.unwrap();
    }
    let policies = store.signon_policies().await.unwrap();
    let priorities: Vec<i64> = policies.iter().map(|p| p.priority).collect();
    assert_eq!(priorities, (1..=9).collect::<Vec<_>>());
    assert!(policies.last().unwrap().system);
    let rules = store.signon_rules(&dp.id).await.unwrap();
    let priorities: Vec<i64> = rules.iter().map(|r| r.priority).collect();
    assert_eq!(priorities, (1..=9).collect::<Vec<_>>());
    assert!(rules.last().unwrap().system);
}
