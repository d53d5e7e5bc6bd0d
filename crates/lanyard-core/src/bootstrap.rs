//! First start: the org, the built-in `Everyone` group, the system sign-on Default Policy and Default Rule (allow
//! everyone with a password), the org authorization server, and the `default` custom
//! authorization server with its default access policy and rule (every client, every grant, every scope — as
//! Okta's). Idempotent and safe when several nodes start at once: every insert is "if absent" on a fixed or derived
//! id. It also runs on every later start, so a database made before groups existed gets its `Everyone` group.

use crate::authz::policy::{
    ClientsCondition, DEFAULT_RULE_GRANT_TYPES, PeopleCondition, RuleConditions, ScopeCondition,
    TokenLifetimes,
};
use crate::authz::servers::system_scopes;
use crate::clock::Clock;
use crate::crypto::SigningAlg;
use crate::id::{derived_id, new_id, prefix};
use crate::model::auth_server::{DEFAULT_SERVER_ID, ORG_SERVER_ID};
use crate::model::{
    AuthServerKind, AuthorizationServer, Group, LifecycleStatus, Org, Policy, PolicyRule,
};
use crate::random::Random;
use crate::store::{Store, StoreResult};

/// What a bootstrap created (empty on every start but the first).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BootstrapReport {
    pub created_org: bool,
    /// Whether it created the built-in `Everyone` group.
    pub created_everyone: bool,
    /// Whether it created the system sign-on Default Policy (and its Default Rule).
    pub created_signon_policy: bool,
    pub created_servers: Vec<String>,
}

/// The grant types the default rule of databases made before the Authorization Servers API allowed. New ones
/// name [`DEFAULT_RULE_GRANT_TYPES`], without `refresh_token`, which is not a rule grant type in Okta (a refresh is
/// evaluated with the grant type that issued the token); the policy evaluation skips it in old rules.
pub const ALL_GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "implicit",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
];

pub async fn bootstrap(
    store: &dyn Store,
    clock: &dyn Clock,
    random: &dyn Random,
    org_name: &str,
) -> StoreResult<BootstrapReport> {
    let now = clock.now();
    let created_org = store
        .insert_org_if_absent(&Org {
            id: new_id(prefix::ORG, now, random),
            name: org_name.to_owned(),
            created: now,
        })
        .await?;
    let created_everyone = store.insert_group_if_absent(&Group::everyone(now)).await?;
    // The system sign-on policy and rule (also on later starts, for databases made before sign-on policies).
    let signon = crate::signin::policy::default_policy(now);
    let signon_rule = crate::signin::policy::default_rule(&signon.id, now);
    let created_signon_policy = store
        .insert_signon_policy_if_absent(&signon, &[signon_rule])
        .await?;
    let mut report = BootstrapReport {
        created_org,
        created_everyone,
        created_signon_policy,
        created_servers: Vec::new(),
    };

    let org_server = AuthorizationServer {
        id: ORG_SERVER_ID.into(),
        kind: AuthServerKind::Org,
        name: "Org Authorization Server".into(),
        description:
            "The org authorization server: issuer = the base URL, endpoints under /oauth2/v1/"
                .into(),
        audiences: vec![],
        status: LifecycleStatus::Active,
        signing_alg: SigningAlg::RS256,
        created: now,
        last_updated: now,
    };
    let default_server = AuthorizationServer {
        id: DEFAULT_SERVER_ID.into(),
        kind: AuthServerKind::Custom,
        name: "default".into(),
        description: "Default Authorization Server".into(),
        audiences: vec!["api://default".into()],
        ..org_server.clone()
    };
    if store.insert_auth_server_if_absent(&org_server).await? {
        report.created_servers.push(org_server.id.clone());
    }
    // An administrator may delete `default` (as Okta allows); it is then not brought back.
    if store.auth_server_deleted(DEFAULT_SERVER_ID).await? {
        return Ok(report);
    }
    if store.insert_auth_server_if_absent(&default_server).await? {
        report.created_servers.push(default_server.id.clone());
    }
    // Also on later starts, so a database made before scopes existed gets them.
    store
        .insert_scopes_if_absent(&system_scopes(DEFAULT_SERVER_ID, now))
        .await?;

    let policy = Policy {
        id: derived_id(prefix::POLICY, "default/policy"),
        auth_server_id: DEFAULT_SERVER_ID.into(),
        name: "Default Policy".into(),
        description: "Default policy description".into(),
        priority: 1,
        status: LifecycleStatus::Active,
        system: false,
        conditions: ClientsCondition::All.to_json(),
        created: now,
        last_updated: now,
    };
    let conditions = RuleConditions {
        people: PeopleCondition::everyone(),
        grant_types: DEFAULT_RULE_GRANT_TYPES.to_vec(),
        scopes: ScopeCondition::Any,
    };
    let rule = PolicyRule {
        id: derived_id(prefix::RULE, "default/policy/rule"),
        policy_id: policy.id.clone(),
        name: "Default Policy Rule".into(),
        priority: 1,
        status: LifecycleStatus::Active,
        system: false,
        conditions: conditions.to_json(),
        actions: TokenLifetimes::default().to_json(),
        created: now,
        last_updated: now,
    };
    store.insert_policy_if_absent(&policy, &[rule]).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::model::GroupType;
    use crate::random::SystemRandom;
    use crate::store::memory::MemoryStore;
    use crate::store::{
        AuthServerAdminStore, AuthServerStore, GroupStore, PolicyStore, ScopeStore,
        SignOnPolicyStore,
    };

    #[tokio::test]
    async fn creates_once_and_is_idempotent() {
        let store = MemoryStore::new();
        let first = bootstrap(&store, &SystemClock, &SystemRandom, "Acme")
            .await
            .unwrap();
        assert!(first.created_org && first.created_everyone && first.created_signon_policy);
        assert_eq!(first.created_servers, vec!["org", "default"]);
        let everyone = store
            .group(&crate::model::group::everyone_id())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (everyone.name.as_str(), everyone.group_type),
            ("Everyone", GroupType::BuiltIn)
        );
        let again = bootstrap(&store, &SystemClock, &SystemRandom, "Acme")
            .await
            .unwrap();
        assert_eq!(again, BootstrapReport::default());
        let default = store.auth_server("default").await.unwrap().unwrap();
        assert_eq!(default.audiences, vec!["api://default"]);
        let policies = store.policies("default").await.unwrap();
        assert_eq!(policies.len(), 1);
        let rules = store.policy_rules(&policies[0].id).await.unwrap();
        assert_eq!(rules[0].conditions["scopes"]["include"][0], "*");
        let scopes = store.scopes("default").await.unwrap();
        assert_eq!(scopes.len(), 7);
        assert!(scopes.iter().all(|s| s.system));
        let signon = store.signon_policies().await.unwrap();
        assert_eq!(signon.len(), 1);
        assert!(signon[0].system && signon[0].name == "Default Policy");
        let rules = store.signon_rules(&signon[0].id).await.unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].actions["signon"]["access"], "ALLOW");
    }

    #[tokio::test]
    async fn a_deleted_default_server_is_not_brought_back() {
        let store = MemoryStore::new();
        bootstrap(&store, &SystemClock, &SystemRandom, "Acme")
            .await
            .unwrap();
        assert!(
            store
                .delete_auth_server("default", chrono::Utc::now())
                .await
                .unwrap()
        );
        let again = bootstrap(&store, &SystemClock, &SystemRandom, "Acme")
            .await
            .unwrap();
        assert!(again.created_servers.is_empty());
        assert!(store.auth_server("default").await.unwrap().is_none());
        assert!(store.auth_server("org").await.unwrap().is_some());
    }
}
