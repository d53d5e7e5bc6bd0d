//! The operations on Okta sign-on policies (`OKTA_SIGN_ON`) and their rules (`SIGN_ON`) the Policies API (and
//! `apply`) performs: create, replace, delete, activate, deactivate. Priorities stay dense and the system Default
//! Policy and its Default Rule stay last (the store's, [`crate::store::SignOnPolicyStore`]); they may be edited (an
//! administrator requires MFA for everyone through the Default Rule) but not deleted or deactivated, and the Default
//! Policy keeps covering everyone. A policy's groups and a rule's excluded users must exist.
//!
//! Each operation returns what changed ([`Changed`]: the policy, the rule, the system log event — the caller drops
//! its cached copy of the policies and logs it) or a [`Refused`]; no HTTP here.

use serde_json::Value;

use super::policy::{policy_conditions, policy_groups, validate_policy, validate_rule};
use crate::authz::admin::policies::rule_target;
use crate::authz::{Cause, Invalid};
use crate::change::{Event, Refused, Resource};
use crate::clock::Clock;
use crate::id::{new_id, prefix};
use crate::model::group::everyone_id;
use crate::model::{LifecycleStatus, PolicyRule, SignOnPolicy};
use crate::random::Random;
use crate::store::{GroupStore, SignOnPolicyStore, UserStore};
use crate::syslog::Party;

/// The store capabilities the operations use: the policies, and the groups and users they name.
pub trait SignOnAdminStore: SignOnPolicyStore + GroupStore + UserStore {}

impl<T> SignOnAdminStore for T where T: SignOnPolicyStore + GroupStore + UserStore + ?Sized {}

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

/// What the operations need from the world besides the store.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
}

/// A change to a sign-on policy or one of its rules.
#[derive(Debug)]
pub struct Changed {
    /// The policy (as stored, or as it was for a delete).
    pub policy: SignOnPolicy,
    /// The rule, for a change to a rule.
    pub rule: Option<PolicyRule>,
    /// What the system log records; `None` when nothing changed (a status set to what it was).
    pub event: Option<Event>,
}

impl Changed {
    /// The targets of the event: the policy, then the rule.
    pub fn targets(&self) -> Vec<Party> {
        let mut out = vec![policy_target(&self.policy)];
        out.extend(self.rule.as_ref().map(rule_target));
        out
    }

    /// The rule of a change to a rule.
    pub fn into_rule(self) -> Option<PolicyRule> {
        self.rule
    }
}

/// A sign-on policy as a system log target.
pub fn policy_target(p: &SignOnPolicy) -> Party {
    Party::new(&p.id, "PolicyEntity", &p.name, &p.name)
}

pub async fn find<S: SignOnAdminStore + ?Sized>(
    store: &S,
    pid: &str,
) -> Result<SignOnPolicy, Refused> {
    store
        .signon_policy(pid)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::Policy, pid))
}

pub async fn find_rule<S: SignOnAdminStore + ?Sized>(
    store: &S,
    pid: &str,
    rid: &str,
) -> Result<(SignOnPolicy, PolicyRule), Refused> {
    let policy = find(store, pid).await?;
    let rule = store
        .signon_rule(pid, rid)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::PolicyRule, rid))?;
    Ok((policy, rule))
}

fn cause(field: &str, message: impl Into<String>) -> Cause {
    Cause {
        field: field.to_owned(),
        message: message.into(),
    }
}

const GROUPS: &str = "conditions.people.groups.include";
const EXCLUDED: &str = "conditions.people.users.exclude";

/// A cause for each group in `include` that does not exist.
async fn missing_groups<S: SignOnAdminStore + ?Sized>(
    store: &S,
    groups: &[String],
) -> Result<Vec<Cause>, Refused> {
    let mut causes = Vec::new();
    for g in groups {
        if store.group(g).await?.is_none() {
            causes.push(cause(GROUPS, format!("{g:?} is not a group")));
        }
    }
    Ok(causes)
}

/// Refuses excluded users that do not exist.
async fn check_users<S: SignOnAdminStore + ?Sized>(
    store: &S,
    users: &[String],
) -> Result<(), Refused> {
    let mut causes = Vec::new();
    for u in users {
        if store.user(u).await?.is_none() {
            causes.push(cause(EXCLUDED, format!("{u:?} is not a user")));
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(Refused::Invalid(Invalid(causes)))
    }
}

fn policy_changed(policy: SignOnPolicy, event: Event) -> Changed {
    Changed {
        policy,
        rule: None,
        event: Some(event),
    }
}

/// Creates a policy: ACTIVE unless the body says otherwise or `activate` is false.
pub async fn create<S: SignOnAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    body: &Value,
    activate: bool,
) -> Result<Changed, Refused> {
    let f = validate_policy(body, true)?;
    let causes = missing_groups(store, &f.groups).await?;
    if !causes.is_empty() {
        return Err(Refused::Invalid(Invalid(causes)));
    }
    let now = env.clock.now();
    let status = if activate {
        f.status.unwrap_or(LifecycleStatus::Active)
    } else {
        LifecycleStatus::Inactive
    };
    let policy = SignOnPolicy {
        id: new_id(prefix::POLICY, now, env.random),
        name: f.name,
        description: f.description,
        priority: f.priority.unwrap_or(i64::MAX),
        status,
        system: false,
        conditions: policy_conditions(&f.groups),
        created: now,
        last_updated: now,
    };
    let stored = store.insert_signon_policy(&policy).await?;
    Ok(policy_changed(stored, CREATED))
}

async fn save<S: SignOnAdminStore + ?Sized>(
    store: &S,
    policy: SignOnPolicy,
    event: Event,
) -> Result<Changed, Refused> {
    let stored = store
        .update_signon_policy(&policy)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::Policy, &policy.id))?;
    Ok(policy_changed(stored, event))
}

/// Replaces a policy; the Default Policy covers everyone and stays ACTIVE.
pub async fn replace<S: SignOnAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    pid: &str,
    body: &Value,
) -> Result<Changed, Refused> {
    let existing = find(store, pid).await?;
    let f = validate_policy(body, false)?;
    let mut causes = missing_groups(store, &f.groups).await?;
    let mut groups = f.groups;
    if existing.system {
        if f.status == Some(LifecycleStatus::Inactive) {
            causes.push(cause("status", "the Default Policy cannot be deactivated"));
        }
        if !groups.is_empty() && groups != policy_groups(&existing) {
            causes.push(cause(GROUPS, "the Default Policy applies to everyone"));
        }
        groups = vec![everyone_id()];
    }
    if !causes.is_empty() {
        return Err(Refused::Invalid(Invalid(causes)));
    }
    let policy = SignOnPolicy {
        name: f.name,
        description: f.description,
        priority: f.priority.unwrap_or(existing.priority),
        status: f.status.unwrap_or(existing.status),
        conditions: policy_conditions(&groups),
        last_updated: env.clock.now(),
        ..existing
    };
    save(store, policy, UPDATED).await
}

/// Deletes a policy with its rules; never the Default Policy.
pub async fn delete<S: SignOnAdminStore + ?Sized>(
    store: &S,
    pid: &str,
) -> Result<Changed, Refused> {
    let policy = find(store, pid).await?;
    if policy.system {
        return Err(Refused::Forbidden("The Default Policy cannot be deleted."));
    }
    if !store.delete_signon_policy(pid).await? {
        return Err(Refused::not_found(Resource::Policy, pid));
    }
    Ok(policy_changed(policy, DELETED))
}

/// Activates or deactivates a policy (never deactivates the Default Policy); nothing happens when it is in that
/// status already.
pub async fn set_status<S: SignOnAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    pid: &str,
    status: LifecycleStatus,
) -> Result<Changed, Refused> {
    let existing = find(store, pid).await?;
    if existing.system && status == LifecycleStatus::Inactive {
        return Err(Refused::Forbidden(
            "The Default Policy cannot be deactivated.",
        ));
    }
    if existing.status == status {
        return Ok(Changed {
            policy: existing,
            rule: None,
            event: None,
        });
    }
    let event = match status {
        LifecycleStatus::Active => ACTIVATED,
        LifecycleStatus::Inactive => DEACTIVATED,
    };
    let policy = SignOnPolicy {
        status,
        last_updated: env.clock.now(),
        ..existing
    };
    save(store, policy, event).await
}

fn rule_changed(policy: SignOnPolicy, rule: PolicyRule, event: Event) -> Changed {
    Changed {
        policy,
        rule: Some(rule),
        event: Some(event),
    }
}

/// Adds a rule to a policy: ACTIVE unless the body says otherwise or `activate` is false.
pub async fn create_rule<S: SignOnAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    pid: &str,
    body: &Value,
    activate: bool,
) -> Result<Changed, Refused> {
    let policy = find(store, pid).await?;
    let f = validate_rule(body, true)?;
    check_users(store, &f.conditions.users_exclude).await?;
    let now = env.clock.now();
    let status = if activate {
        f.status.unwrap_or(LifecycleStatus::Active)
    } else {
        LifecycleStatus::Inactive
    };
    let rule = PolicyRule {
        id: new_id(prefix::RULE, now, env.random),
        policy_id: pid.to_owned(),
        name: f.name,
        priority: f.priority.unwrap_or(i64::MAX),
        status,
        system: false,
        conditions: f.conditions.to_json(),
        actions: f.actions.to_json(),
        created: now,
        last_updated: now,
    };
    let stored = store
        .insert_signon_rule(&rule)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::Policy, pid))?;
    Ok(rule_changed(policy, stored, RULE_ADDED))
}

async fn save_rule<S: SignOnAdminStore + ?Sized>(
    store: &S,
    policy: SignOnPolicy,
    rule: PolicyRule,
    event: Event,
) -> Result<Changed, Refused> {
    let stored = store
        .update_signon_rule(&rule)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::PolicyRule, &rule.id))?;
    Ok(rule_changed(policy, stored, event))
}

/// Replaces a rule; the Default Rule stays ACTIVE.
pub async fn replace_rule<S: SignOnAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    (pid, rid): (&str, &str),
    body: &Value,
) -> Result<Changed, Refused> {
    let (policy, existing) = find_rule(store, pid, rid).await?;
    let f = validate_rule(body, false)?;
    if existing.system && f.status == Some(LifecycleStatus::Inactive) {
        return Err(Refused::Invalid(Invalid(vec![cause(
            "status",
            "the Default Rule cannot be deactivated",
        )])));
    }
    check_users(store, &f.conditions.users_exclude).await?;
    let rule = PolicyRule {
        name: f.name,
        priority: f.priority.unwrap_or(existing.priority),
        status: f.status.unwrap_or(existing.status),
        conditions: f.conditions.to_json(),
        actions: f.actions.to_json(),
        last_updated: env.clock.now(),
        ..existing
    };
    save_rule(store, policy, rule, RULE_UPDATED).await
}

/// Deletes a rule; never the Default Rule.
pub async fn delete_rule<S: SignOnAdminStore + ?Sized>(
    store: &S,
    (pid, rid): (&str, &str),
) -> Result<Changed, Refused> {
    let (policy, rule) = find_rule(store, pid, rid).await?;
    if rule.system {
        return Err(Refused::Forbidden("The Default Rule cannot be deleted."));
    }
    if !store.delete_signon_rule(pid, rid).await? {
        return Err(Refused::not_found(Resource::PolicyRule, rid));
    }
    Ok(rule_changed(policy, rule, RULE_DELETED))
}

/// Activates or deactivates a rule (never deactivates the Default Rule); nothing happens when it is in that status
/// already.
pub async fn set_rule_status<S: SignOnAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    (pid, rid): (&str, &str),
    status: LifecycleStatus,
) -> Result<Changed, Refused> {
    let (policy, existing) = find_rule(store, pid, rid).await?;
    if existing.system && status == LifecycleStatus::Inactive {
        return Err(Refused::Forbidden(
            "The Default Rule cannot be deactivated.",
        ));
    }
    if existing.status == status {
        return Ok(Changed {
            policy,
            rule: Some(existing),
            event: None,
        });
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
    save_rule(store, policy, rule, event).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::bootstrap;
    use crate::clock::FixedClock;
    use crate::random::SystemRandom;
    use crate::store::memory::MemoryStore;
    use serde_json::json;

    async fn world() -> (MemoryStore, FixedClock) {
        let store = MemoryStore::new();
        let clock = FixedClock::new(chrono::Utc::now());
        bootstrap(&store, &clock, &SystemRandom, "Acme")
            .await
            .unwrap();
        (store, clock)
    }

    fn env(clock: &FixedClock) -> Env<'_> {
        Env {
            clock,
            random: &SystemRandom,
        }
    }

    fn default_policy(policies: &[SignOnPolicy]) -> SignOnPolicy {
        policies.iter().find(|p| p.system).cloned().unwrap()
    }

    #[tokio::test]
    async fn the_default_policy_and_rule_stay_last_active_and_cover_everyone() {
        let (store, clock) = world().await;
        let default = default_policy(&store.signon_policies().await.unwrap());
        assert!(matches!(
            delete(&store, &default.id).await,
            Err(Refused::Forbidden(_))
        ));
        assert!(matches!(
            set_status(&store, env(&clock), &default.id, LifecycleStatus::Inactive).await,
            Err(Refused::Forbidden(_))
        ));
        let narrowed = replace(
            &store,
            env(&clock),
            &default.id,
            &json!({"type": "OKTA_SIGN_ON", "name": "Default Policy", "status": "INACTIVE", "conditions": {"people": {"groups": {"include": ["00gnope"]}}}}),
        )
        .await;
        let Err(Refused::Invalid(i)) = narrowed else {
            panic!("{narrowed:?}")
        };
        assert!(i.names("status") && i.names(GROUPS), "{i}");
        let renamed = replace(
            &store,
            env(&clock),
            &default.id,
            &json!({"type": "OKTA_SIGN_ON", "name": "Everyone's"}),
        )
        .await
        .unwrap();
        assert_eq!(renamed.event, Some(UPDATED));
        assert_eq!(policy_groups(&renamed.policy), vec![everyone_id()]);

        let rule = store.signon_rules(&default.id).await.unwrap().remove(0);
        assert!(matches!(
            delete_rule(&store, (&default.id, &rule.id)).await,
            Err(Refused::Forbidden(_))
        ));
        assert!(matches!(
            set_rule_status(
                &store,
                env(&clock),
                (&default.id, &rule.id),
                LifecycleStatus::Inactive
            )
            .await,
            Err(Refused::Forbidden(_))
        ));
    }

    #[tokio::test]
    async fn groups_and_excluded_users_must_exist_and_new_policies_go_before_the_default() {
        let (store, clock) = world().await;
        let body = |groups: Value| json!({"type": "OKTA_SIGN_ON", "name": "Admins", "conditions": {"people": {"groups": {"include": groups}}}});
        let bad = create(&store, env(&clock), &body(json!(["00gnope"])), true).await;
        assert!(
            matches!(bad, Err(Refused::Invalid(i)) if i.causes() == vec![format!("{GROUPS}: \"00gnope\" is not a group")])
        );
        let made = create(&store, env(&clock), &body(json!([everyone_id()])), false)
            .await
            .unwrap();
        assert_eq!(made.event, Some(CREATED));
        assert_eq!(
            made.policy.status,
            LifecycleStatus::Inactive,
            "activate=false"
        );
        assert_eq!(made.policy.priority, 1);
        assert_eq!(made.targets()[0].kind, "PolicyEntity");

        let rule = |exclude: Value| json!({"type": "SIGN_ON", "name": "MFA", "conditions": {"people": {"users": {"exclude": exclude}}}, "actions": {"signon": {"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS"}}});
        let bad = create_rule(
            &store,
            env(&clock),
            &made.policy.id,
            &rule(json!(["00unope"])),
            true,
        )
        .await;
        assert!(matches!(bad, Err(Refused::Invalid(i)) if i.names(EXCLUDED)));
        let r = create_rule(&store, env(&clock), &made.policy.id, &rule(json!([])), true)
            .await
            .unwrap();
        assert_eq!(r.event, Some(RULE_ADDED));
        assert_eq!(r.targets().len(), 2);
        let rid = r.into_rule().unwrap().id;
        let off = set_rule_status(
            &store,
            env(&clock),
            (&made.policy.id, &rid),
            LifecycleStatus::Inactive,
        )
        .await
        .unwrap();
        assert_eq!(off.event, Some(RULE_DEACTIVATED));
        delete_rule(&store, (&made.policy.id, &rid)).await.unwrap();
        let gone = delete(&store, &made.policy.id).await.unwrap();
        assert_eq!(gone.event, Some(DELETED));
        assert!(matches!(
            find(&store, &made.policy.id).await,
            Err(Refused::NotFound(Resource::Policy, _))
        ));
    }
}
