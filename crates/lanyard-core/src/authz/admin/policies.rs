//! Access policies of custom servers and their rules: create, replace, delete, activate, deactivate. Priorities stay
//! dense (1, 2, …): a create or replace at a priority already held shifts the others down, a delete closes the gap
//! (the store's, [`crate::store::PolicyAdminStore`]); a create without a priority goes last, a replace without one
//! keeps its place. A rule's scope condition may name only the server's scopes. Bodies are stored in the canonical
//! form [`crate::authz::policy`] gives them, whose `evaluate` the token endpoint calls.

use serde_json::Value;

use super::{Changed, Env, custom_server};
use crate::authz::policy::{validate_policy, validate_rule};
use crate::change::{Event, Refused, Resource};
use crate::id::{new_id, prefix};
use crate::model::{AuthorizationServer, LifecycleStatus, Policy, PolicyRule};
use crate::store::{AuthServerStore, PolicyAdminStore, PolicyStore, ScopeStore};
use crate::syslog::Party;

/// The store capabilities the operations on access policies use: the server's scopes are read to validate a rule.
pub trait AccessPolicyStore: AuthServerStore + PolicyStore + PolicyAdminStore + ScopeStore {}

impl<T> AccessPolicyStore for T where
    T: AuthServerStore + PolicyStore + PolicyAdminStore + ScopeStore + ?Sized
{
}

pub const CREATED: Event = ("policy.lifecycle.create", "Create policy");
pub const UPDATED: Event = ("policy.lifecycle.update", "Update policy");
pub const DELETED: Event = ("policy.lifecycle.delete", "Delete policy");
pub const ACTIVATED: Event = ("policy.lifecycle.activate", "Activate policy");
pub const DEACTIVATED: Event = ("policy.lifecycle.deactivate", "Deactivate policy");
pub const RULE_ADDED: Event = ("policy.rule.add", "Add policy rule");
pub const RULE_UPDATED: Event = ("policy.rule.update", "Update policy rule");
pub const RULE_DELETED: Event = ("policy.rule.delete", "Delete policy rule");
pub const RULE_ACTIVATED: Event = ("policy.rule.activate", "Activate policy rule");
pub const RULE_DEACTIVATED: Event = ("policy.rule.deactivate", "Deactivate policy rule");

/// A policy as a system log target.
pub fn policy_target(p: &Policy) -> Party {
    Party::new(&p.id, "Policy", &p.name, &p.name)
}

/// A rule (of an access or a sign-on policy) as a system log target.
pub fn rule_target(r: &PolicyRule) -> Party {
    Party::new(&r.id, "PolicyRule", &r.name, &r.name)
}

fn policy_changed(p: Policy, server: AuthorizationServer, event: Event) -> Changed<Policy> {
    let t = policy_target(&p);
    Changed::of(p, server, event, Some(t))
}

fn rule_changed(r: PolicyRule, server: AuthorizationServer, event: Event) -> Changed<PolicyRule> {
    let t = rule_target(&r);
    Changed::of(r, server, event, Some(t))
}

fn unchanged<T>(item: T, server: AuthorizationServer) -> Changed<T> {
    Changed {
        item,
        server,
        event: None,
        target: None,
    }
}

/// A server's policy.
pub async fn find<S: AccessPolicyStore + ?Sized>(
    store: &S,
    id: &str,
    pid: &str,
) -> Result<(AuthorizationServer, Policy), Refused> {
    let server = custom_server(store, id).await?;
    let policy = store
        .policy(id, pid)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::Policy, pid))?;
    Ok((server, policy))
}

/// A rule of a server's policy.
pub async fn find_rule<S: AccessPolicyStore + ?Sized>(
    store: &S,
    id: &str,
    pid: &str,
    rid: &str,
) -> Result<(AuthorizationServer, PolicyRule), Refused> {
    let (server, _) = find(store, id, pid).await?;
    let rule = store
        .policy_rule(pid, rid)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::PolicyRule, rid))?;
    Ok((server, rule))
}

pub async fn create<S: AccessPolicyStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    body: &Value,
) -> Result<Changed<Policy>, Refused> {
    let server = custom_server(store, id).await?;
    let f = validate_policy(body)?;
    let now = env.clock.now();
    let policy = Policy {
        id: new_id(prefix::POLICY, now, env.random),
        auth_server_id: id.to_owned(),
        name: f.name,
        description: f.description,
        priority: f.priority.unwrap_or(i64::MAX),
        status: f.status.unwrap_or(LifecycleStatus::Active),
        system: false,
        conditions: f.clients.to_json(),
        created: now,
        last_updated: now,
    };
    let stored = store
        .insert_policy(&policy)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::AuthorizationServer, id))?;
    Ok(policy_changed(stored, server, CREATED))
}

async fn save<S: AccessPolicyStore + ?Sized>(
    store: &S,
    server: AuthorizationServer,
    policy: Policy,
    event: Event,
) -> Result<Changed<Policy>, Refused> {
    let stored = store
        .update_policy(&policy)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::Policy, &policy.id))?;
    Ok(policy_changed(stored, server, event))
}

pub async fn replace<S: AccessPolicyStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    pid: &str,
    body: &Value,
) -> Result<Changed<Policy>, Refused> {
    let (server, existing) = find(store, id, pid).await?;
    let f = validate_policy(body)?;
    let policy = Policy {
        name: f.name,
        description: f.description,
        priority: f.priority.unwrap_or(existing.priority),
        status: f.status.unwrap_or(existing.status),
        conditions: f.clients.to_json(),
        last_updated: env.clock.now(),
        ..existing
    };
    save(store, server, policy, UPDATED).await
}

pub async fn delete<S: AccessPolicyStore + ?Sized>(
    store: &S,
    id: &str,
    pid: &str,
) -> Result<Changed<Policy>, Refused> {
    let (server, policy) = find(store, id, pid).await?;
    if !store.delete_policy(id, pid).await? {
        return Err(Refused::not_found(Resource::Policy, pid));
    }
    Ok(policy_changed(policy, server, DELETED))
}

/// Activates or deactivates a policy; nothing happens when it is in that status already.
pub async fn set_status<S: AccessPolicyStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    pid: &str,
    status: LifecycleStatus,
) -> Result<Changed<Policy>, Refused> {
    let (server, existing) = find(store, id, pid).await?;
    if existing.status == status {
        return Ok(unchanged(existing, server));
    }
    let event = match status {
        LifecycleStatus::Active => ACTIVATED,
        LifecycleStatus::Inactive => DEACTIVATED,
    };
    let policy = Policy {
        status,
        last_updated: env.clock.now(),
        ..existing
    };
    save(store, server, policy, event).await
}

/// The server's scope names, which a rule's scope condition may name.
async fn scope_names<S: AccessPolicyStore + ?Sized>(
    store: &S,
    id: &str,
) -> Result<Vec<String>, Refused> {
    Ok(store
        .scopes(id)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect())
}

pub async fn create_rule<S: AccessPolicyStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    pid: &str,
    body: &Value,
) -> Result<Changed<PolicyRule>, Refused> {
    let (server, _) = find(store, id, pid).await?;
    let f = validate_rule(body, &scope_names(store, id).await?)?;
    let now = env.clock.now();
    let rule = PolicyRule {
        id: new_id(prefix::RULE, now, env.random),
        policy_id: pid.to_owned(),
        name: f.name,
        priority: f.priority.unwrap_or(i64::MAX),
        status: f.status.unwrap_or(LifecycleStatus::Active),
        system: false,
        conditions: f.conditions.to_json(),
        actions: f.lifetimes.to_json(),
        created: now,
        last_updated: now,
    };
    let stored = store
        .insert_rule(&rule)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::Policy, pid))?;
    Ok(rule_changed(stored, server, RULE_ADDED))
}

async fn save_rule<S: AccessPolicyStore + ?Sized>(
    store: &S,
    server: AuthorizationServer,
    rule: PolicyRule,
    event: Event,
) -> Result<Changed<PolicyRule>, Refused> {
    let stored = store
        .update_rule(&rule)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::PolicyRule, &rule.id))?;
    Ok(rule_changed(stored, server, event))
}

pub async fn replace_rule<S: AccessPolicyStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    (id, pid, rid): (&str, &str, &str),
    body: &Value,
) -> Result<Changed<PolicyRule>, Refused> {
    let (server, existing) = find_rule(store, id, pid, rid).await?;
    let f = validate_rule(body, &scope_names(store, id).await?)?;
    let rule = PolicyRule {
        name: f.name,
        priority: f.priority.unwrap_or(existing.priority),
        status: f.status.unwrap_or(existing.status),
        conditions: f.conditions.to_json(),
        actions: f.lifetimes.to_json(),
        last_updated: env.clock.now(),
        ..existing
    };
    save_rule(store, server, rule, RULE_UPDATED).await
}

pub async fn delete_rule<S: AccessPolicyStore + ?Sized>(
    store: &S,
    (id, pid, rid): (&str, &str, &str),
) -> Result<Changed<PolicyRule>, Refused> {
    let (server, rule) = find_rule(store, id, pid, rid).await?;
    if !store.delete_rule(pid, rid).await? {
        return Err(Refused::not_found(Resource::PolicyRule, rid));
    }
    Ok(rule_changed(rule, server, RULE_DELETED))
}

/// Activates or deactivates a rule; nothing happens when it is in that status already.
pub async fn set_rule_status<S: AccessPolicyStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    (id, pid, rid): (&str, &str, &str),
    status: LifecycleStatus,
) -> Result<Changed<PolicyRule>, Refused> {
    let (server, existing) = find_rule(store, id, pid, rid).await?;
    if existing.status == status {
        return Ok(unchanged(existing, server));
    }
    let event = match status {
        LifecycleStatus::Active => RULE_ACTIVATED,
        LifecycleStatus::Inactive => RULE_DEACTIVATED,
    };
    let rule = PolicyRule {
        status,
        last_updated: env.clock.now(),
        ..existing
    };
    save_rule(store, server, rule, event).await
}

#[cfg(test)]
mod tests {
    use super::super::tests::World;
    use super::*;
    use serde_json::json;

    fn policy(name: &str, priority: Option<i64>) -> Value {
        let mut b = json!({"type": "OAUTH_AUTHORIZATION_POLICY", "name": name, "description": name, "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}});
        if let Some(p) = priority {
            b["priority"] = json!(p);
        }
        b
    }

    fn rule(name: &str, scopes: Value) -> Value {
        json!({"type": "RESOURCE_ACCESS", "name": name, "conditions": {
            "people": {"groups": {"include": ["EVERYONE"]}},
            "grantTypes": {"include": ["client_credentials"]},
            "scopes": {"include": scopes}}})
    }

    #[tokio::test]
    async fn priorities_stay_dense_and_a_status_set_twice_is_one_event() {
        let w = World::new();
        let s = w.server("orders").await;
        let a = create(&w.store, w.env(), &s.id, &policy("a", None))
            .await
            .unwrap();
        let b = create(&w.store, w.env(), &s.id, &policy("b", Some(1)))
            .await
            .unwrap();
        assert_eq!(a.event, Some(CREATED));
        assert_eq!((a.item.priority, b.item.priority), (1, 1));
        let (_, a_now) = find(&w.store, &s.id, &a.item.id).await.unwrap();
        assert_eq!(a_now.priority, 2, "shifted down");
        let moved = replace(&w.store, w.env(), &s.id, &b.item.id, &policy("b", None))
            .await
            .unwrap();
        assert_eq!(
            moved.item.priority, 1,
            "a replace without a priority keeps its place"
        );

        let off = set_status(
            &w.store,
            w.env(),
            &s.id,
            &a.item.id,
            LifecycleStatus::Inactive,
        )
        .await
        .unwrap();
        assert_eq!(off.event, Some(DEACTIVATED));
        let again = set_status(
            &w.store,
            w.env(),
            &s.id,
            &a.item.id,
            LifecycleStatus::Inactive,
        )
        .await
        .unwrap();
        assert_eq!(again.event, None);

        delete(&w.store, &s.id, &b.item.id).await.unwrap();
        let (_, a_now) = find(&w.store, &s.id, &a.item.id).await.unwrap();
        assert_eq!(a_now.priority, 1, "the gap is closed");
    }

    #[tokio::test]
    async fn rules_name_only_the_server_s_scopes() {
        let w = World::new();
        let s = w.server("orders").await;
        let p = create(&w.store, w.env(), &s.id, &policy("p", None))
            .await
            .unwrap()
            .item;
        let unknown =
            create_rule(&w.store, w.env(), &s.id, &p.id, &rule("r", json!(["nope"]))).await;
        assert!(matches!(unknown, Err(Refused::Invalid(_))));
        let r = create_rule(
            &w.store,
            w.env(),
            &s.id,
            &p.id,
            &rule("r", json!(["openid"])),
        )
        .await
        .unwrap();
        assert_eq!(r.event, Some(RULE_ADDED));
        assert_eq!(r.targets()[1].kind, "PolicyRule");
        let path = (s.id.as_str(), p.id.as_str(), r.item.id.as_str());
        let renamed = replace_rule(&w.store, w.env(), path, &rule("r2", json!(["*"])))
            .await
            .unwrap();
        assert_eq!(renamed.item.name, "r2");
        let off = set_rule_status(&w.store, w.env(), path, LifecycleStatus::Inactive)
            .await
            .unwrap();
        assert_eq!(off.item.status, LifecycleStatus::Inactive);
        delete_rule(&w.store, path).await.unwrap();
        assert!(matches!(
            delete_rule(&w.store, path).await,
            Err(Refused::NotFound(Resource::PolicyRule, _))
        ));
        assert!(matches!(
            create_rule(
                &w.store,
                w.env(),
                &s.id,
                "00pnope",
                &rule("r", json!(["*"]))
            )
            .await,
            Err(Refused::NotFound(Resource::Policy, _))
        ));
    }
}
