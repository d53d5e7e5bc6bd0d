//! The in-memory store's sign-on policies and rules (see `memory.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::memory::MemoryStore;
use super::*;
use crate::authz::priority::place_pinned;
use crate::model::SignOnPolicy;

#[derive(Default)]
pub(super) struct SignOnState {
    policies: BTreeMap<String, SignOnPolicy>,
    rules: BTreeMap<String, PolicyRule>,
}

impl SignOnState {
    fn policy_order(&self) -> Vec<(String, bool)> {
        let mut v: Vec<&SignOnPolicy> = self.policies.values().collect();
        v.sort_by_key(|p| (p.priority, p.id.clone()));
        v.into_iter().map(|p| (p.id.clone(), p.system)).collect()
    }

    fn rule_order(&self, policy_id: &str) -> Vec<(String, bool)> {
        let mut v: Vec<&PolicyRule> = self
            .rules
            .values()
            .filter(|r| r.policy_id == policy_id)
            .collect();
        v.sort_by_key(|r| (r.priority, r.id.clone()));
        v.into_iter().map(|r| (r.id.clone(), r.system)).collect()
    }

    fn renumber_policies(&mut self, order: &[String]) {
        for (i, id) in order.iter().enumerate() {
            if let Some(p) = self.policies.get_mut(id) {
                p.priority = i as i64 + 1;
            }
        }
    }

    fn renumber_rules(&mut self, order: &[String]) {
        for (i, id) in order.iter().enumerate() {
            if let Some(r) = self.rules.get_mut(id) {
                r.priority = i as i64 + 1;
            }
        }
    }

    fn place_policy(&mut self, p: &SignOnPolicy) -> SignOnPolicy {
        let order = place_pinned(&self.policy_order(), &p.id, p.system, Some(p.priority));
        self.policies.insert(p.id.clone(), p.clone());
        self.renumber_policies(&order);
        self.policies[&p.id].clone()
    }

    fn place_rule(&mut self, r: &PolicyRule) -> PolicyRule {
        let order = place_pinned(
            &self.rule_order(&r.policy_id),
            &r.id,
            r.system,
            Some(r.priority),
        );
        self.rules.insert(r.id.clone(), r.clone());
        self.renumber_rules(&order);
        self.rules[&r.id].clone()
    }
}

#[async_trait]
impl SignOnPolicyStore for MemoryStore {
    async fn insert_signon_policy_if_absent(
        &self,
        policy: &SignOnPolicy,
        rules: &[PolicyRule],
    ) -> StoreResult<bool> {
        let mut s = self.state();
        let st = &mut s.signon;
        if st.policies.contains_key(&policy.id) {
            return Ok(false);
        }
        st.place_policy(policy);
        for r in rules {
            st.place_rule(r);
        }
        Ok(true)
    }

    async fn signon_policies(&self) -> StoreResult<Vec<SignOnPolicy>> {
        let s = self.state();
        let mut v: Vec<SignOnPolicy> = s.signon.policies.values().cloned().collect();
        v.sort_by_key(|p| (p.priority, p.id.clone()));
        Ok(v)
    }

    async fn signon_policy(&self, id: &str) -> StoreResult<Option<SignOnPolicy>> {
        Ok(self.state().signon.policies.get(id).cloned())
    }

    async fn insert_signon_policy(&self, policy: &SignOnPolicy) -> StoreResult<SignOnPolicy> {
        let mut s = self.state();
        if s.signon.policies.contains_key(&policy.id) {
            return Err(StoreError::Conflict(format!("policy {} exists", policy.id)));
        }
        Ok(s.signon.place_policy(policy))
    }

    async fn update_signon_policy(
        &self,
        policy: &SignOnPolicy,
    ) -> StoreResult<Option<SignOnPolicy>> {
        let mut s = self.state();
        let Some(existing) = s.signon.policies.get(&policy.id) else {
            return Ok(None);
        };
        let merged = SignOnPolicy {
            system: existing.system,
            created: existing.created,
            ..policy.clone()
        };
        Ok(Some(s.signon.place_policy(&merged)))
    }

    async fn delete_signon_policy(&self, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        let st = &mut s.signon;
        if st.policies.remove(id).is_none() {
            return Ok(false);
        }
        st.rules.retain(|_, r| r.policy_id != id);
        let order: Vec<String> = st.policy_order().into_iter().map(|(id, _)| id).collect();
        st.renumber_policies(&order);
        Ok(true)
    }

    async fn signon_rules(&self, policy_id: &str) -> StoreResult<Vec<PolicyRule>> {
        let s = self.state();
        let mut v: Vec<PolicyRule> = s
            .signon
            .rules
            .values()
            .filter(|r| r.policy_id == policy_id)
            .cloned()
            .collect();
        v.sort_by_key(|r| (r.priority, r.id.clone()));
        Ok(v)
    }

    async fn signon_rule(&self, policy_id: &str, id: &str) -> StoreResult<Option<PolicyRule>> {
        Ok(self
            .state()
            .signon
            .rules
            .get(id)
            .filter(|r| r.policy_id == policy_id)
            .cloned())
    }

    async fn insert_signon_rule(&self, rule: &PolicyRule) -> StoreResult<Option<PolicyRule>> {
        let mut s = self.state();
        if !s.signon.policies.contains_key(&rule.policy_id) {
            return Ok(None);
        }
        if s.signon.rules.contains_key(&rule.id) {
            return Err(StoreError::Conflict(format!("rule {} exists", rule.id)));
        }
        Ok(Some(s.signon.place_rule(rule)))
    }

    async fn update_signon_rule(&self, rule: &PolicyRule) -> StoreResult<Option<PolicyRule>> {
        let mut s = self.state();
        let Some(existing) = s
            .signon
            .rules
            .get(&rule.id)
            .filter(|r| r.policy_id == rule.policy_id)
        else {
            return Ok(None);
        };
        let merged = PolicyRule {
            system: existing.system,
            created: existing.created,
            ..rule.clone()
        };
        Ok(Some(s.signon.place_rule(&merged)))
    }

    async fn delete_signon_rule(&self, policy_id: &str, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        let st = &mut s.signon;
        if st.rules.get(id).is_none_or(|r| r.policy_id != policy_id) {
            return Ok(false);
        }
        st.rules.remove(id);
        let order: Vec<String> = st
            .rule_order(policy_id)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        st.renumber_rules(&order);
        Ok(true)
    }
}
