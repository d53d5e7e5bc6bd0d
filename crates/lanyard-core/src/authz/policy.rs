//! Access policies and their rules: typed conditions and actions (validated from the management API's bodies,
//! stored as Okta's JSON), and [`evaluate`], which the token endpoint calls.
//!
//! Evaluation follows Okta: ACTIVE policies in priority order, and within each the ACTIVE rules in priority order;
//! the first policy whose clients condition matches **and** that holds a rule matching the request decides. A
//! policy whose clients match but none of whose rules does is passed over for the next one (Okta's support article
//! "tokens not issued with lifetime configured in access rule": evaluation "will move onto the next Access Rule
//! and/or Access Policy"). A rule matches when its grant types include the request's, its people condition holds
//! for the user (not consulted without a user: client credentials), and its scopes cover **every** requested scope.
//! Nothing matching is `access_denied`, "Policy evaluation failed for this request, please check the policy
//! configurations.".

use chrono::Duration;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use super::fields::{Invalid, Reader};
use crate::model::auth_server::LifecycleStatus;
use crate::model::authz::str_enum;
use crate::model::group::everyone_id;
use crate::model::{Policy, PolicyRule};
use crate::oauth_error::{ErrorCode, OAuthError};

/// Okta's description when no policy and rule match.
pub const POLICY_EVALUATION_FAILED: &str =
    "Policy evaluation failed for this request, please check the policy configurations.";

/// A policy's `type`.
pub const POLICY_TYPE: &str = "OAUTH_AUTHORIZATION_POLICY";
/// A rule's `type`.
pub const RULE_TYPE: &str = "RESOURCE_ACCESS";
/// `conditions.clients.include` for every client.
pub const ALL_CLIENTS: &str = "ALL_CLIENTS";
/// `conditions.people.groups.include` for every user: the built-in `Everyone` group.
pub const EVERYONE: &str = "EVERYONE";
/// `conditions.scopes.include` for every scope.
pub const ANY_SCOPE: &str = "*";

pub const NAME_MAX: usize = 255;
pub const DESCRIPTION_MAX: usize = 1024;

str_enum!(
    /// The grant types a rule can name. `refresh_token` is not one: a refresh is evaluated with the grant type
    /// that issued the refresh token, as Okta does.
    GrantType {
        AuthorizationCode = "authorization_code",
        Implicit = "implicit",
        Password = "password",
        ClientCredentials = "client_credentials",
        DeviceCode = "urn:ietf:params:oauth:grant-type:device_code",
        TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange",
        InteractionCode = "interaction_code",
    }
);

/// The grant types the `default` server's default rule allows (every one).
pub const DEFAULT_RULE_GRANT_TYPES: &[GrantType] = GrantType::ALL;

/// Which clients a policy applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientsCondition {
    All,
    /// These client ids.
    Only(Vec<String>),
}

impl ClientsCondition {
    pub fn matches(&self, client_id: &str) -> bool {
        match self {
            ClientsCondition::All => true,
            ClientsCondition::Only(ids) => ids.iter().any(|c| c == client_id),
        }
    }

    /// The stored `conditions` object.
    pub fn to_json(&self) -> Value {
        let include = match self {
            ClientsCondition::All => vec![ALL_CLIENTS.to_owned()],
            ClientsCondition::Only(ids) => ids.clone(),
        };
        stored(&StoredPolicyConditions {
            clients: Included { include },
        })
    }

    fn from_include(include: Vec<String>) -> Self {
        if include.iter().any(|c| c == ALL_CLIENTS) {
            ClientsCondition::All
        } else {
            ClientsCondition::Only(include)
        }
    }

    /// From a stored policy's `conditions`; a policy stored without one applies to no client.
    pub fn from_stored(conditions: &Value) -> Self {
        let include = conditions["clients"]["include"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Self::from_include(include)
    }
}

/// What a policy create or replace sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFields {
    pub name: String,
    pub description: String,
    /// `None`: last (create) or unchanged (replace).
    pub priority: Option<i64>,
    /// `None`: ACTIVE (create) or unchanged (replace).
    pub status: Option<LifecycleStatus>,
    pub clients: ClientsCondition,
}

fn check_type(r: &mut Reader<'_>, want: &str) {
    if let Some(t) = r.raw("type")
        && t.as_str() != Some(want)
    {
        r.fail("type", format!("must be {want}"));
    }
}

fn status_and_priority(r: &mut Reader<'_>) -> (Option<LifecycleStatus>, Option<i64>) {
    let status = r.one_of("status", LifecycleStatus::parse, "ACTIVE, INACTIVE");
    let priority = r.integer("priority");
    if priority.is_some_and(|p| p < 1) {
        r.fail("priority", "must be 1 or more");
    }
    (status, priority)
}

/// Validates a policy body: `type` (if given) OAUTH_AUTHORIZATION_POLICY, `name`, optional `description`,
/// `priority` and `status`, and `conditions.clients.include`: `["ALL_CLIENTS"]` or client ids.
pub fn validate_policy(body: &Value) -> Result<PolicyFields, Invalid> {
    let mut r = Reader::new(body);
    check_type(&mut r, POLICY_TYPE);
    let name = r.string("name", true, NAME_MAX);
    let description = r.string("description", false, DESCRIPTION_MAX);
    let (status, priority) = status_and_priority(&mut r);
    let mut conditions = r.object("conditions");
    let mut clients = conditions.object("clients");
    let include = clients.strings("include");
    match &include {
        None => clients.fail("include", "is required: [\"ALL_CLIENTS\"] or client ids"),
        Some(v) if v.is_empty() => {
            clients.fail("include", "must name ALL_CLIENTS or at least one client")
        }
        Some(v) if v.len() > 1 && v.iter().any(|c| c == ALL_CLIENTS) => {
            clients.fail("include", "ALL_CLIENTS cannot be combined with client ids")
        }
        Some(_) => {}
    }
    conditions.absorb(clients);
    r.absorb(conditions);
    let fields = PolicyFields {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        priority,
        status,
        clients: ClientsCondition::from_include(include.unwrap_or_default()),
    };
    r.finish(fields)
}

/// Whose requests a rule covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeopleCondition {
    pub users_include: Vec<String>,
    pub users_exclude: Vec<String>,
    /// Group ids; `EVERYONE` stands for the built-in group.
    pub groups_include: Vec<String>,
    pub groups_exclude: Vec<String>,
}

impl PeopleCondition {
    /// Every user (Okta's "any user assigned to the app": `groups.include = ["EVERYONE"]`).
    pub fn everyone() -> Self {
        PeopleCondition {
            groups_include: vec![EVERYONE.into()],
            ..Default::default()
        }
    }

    /// Whether the user with `user_id`, member of `group_ids` (Everyone included), is covered: not excluded, and
    /// included by id or by a group (no include at all: everyone).
    pub fn matches(&self, user_id: &str, group_ids: &[String]) -> bool {
        let everyone = everyone_id();
        let in_group =
            |g: &String| (g == EVERYONE || *g == everyone) || group_ids.iter().any(|m| m == g);
        if self.users_exclude.iter().any(|u| u == user_id)
            || self.groups_exclude.iter().any(in_group)
        {
            return false;
        }
        (self.users_include.is_empty() && self.groups_include.is_empty())
            || self.users_include.iter().any(|u| u == user_id)
            || self.groups_include.iter().any(in_group)
    }
}

/// Which scopes a rule covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeCondition {
    Any,
    Only(Vec<String>),
}

impl ScopeCondition {
    /// Whether every one of `requested` is covered.
    pub fn covers(&self, requested: &[String]) -> bool {
        match self {
            ScopeCondition::Any => true,
            ScopeCondition::Only(names) => requested.iter().all(|r| names.contains(r)),
        }
    }
}

/// A rule's conditions, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleConditions {
    pub people: PeopleCondition,
    pub grant_types: Vec<GrantType>,
    pub scopes: ScopeCondition,
}

impl RuleConditions {
    /// The stored (Okta) form.
    pub fn to_json(&self) -> Value {
        let scopes = match &self.scopes {
            ScopeCondition::Any => vec![ANY_SCOPE.to_owned()],
            ScopeCondition::Only(n) => n.clone(),
        };
        let p = &self.people;
        stored(&StoredRuleConditions {
            people: StoredPeople {
                users: IncludedExcluded {
                    include: p.users_include.clone(),
                    exclude: p.users_exclude.clone(),
                },
                groups: IncludedExcluded {
                    include: p.groups_include.clone(),
                    exclude: p.groups_exclude.clone(),
                },
            },
            grant_types: Included {
                include: self
                    .grant_types
                    .iter()
                    .map(|g| g.as_str().to_owned())
                    .collect(),
            },
            scopes: Included { include: scopes },
        })
    }

    /// Whether the rule covers `req`.
    pub fn matches(&self, req: &AccessRequest<'_>) -> bool {
        self.grant_types.contains(&req.grant_type)
            && req
                .user
                .as_ref()
                .is_none_or(|u| self.people.matches(u.id, u.group_ids))
            && self.scopes.covers(req.scopes)
    }
}

/// The token lifetimes a rule sets (`actions.token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    pub access_token_minutes: i64,
    /// `None`: unlimited (stored as 0, as Okta's).
    pub refresh_token_minutes: Option<i64>,
    /// How long a refresh token may go unused.
    pub refresh_token_window_minutes: i64,
}

pub const ACCESS_MINUTES: std::ops::RangeInclusive<i64> = 5..=1440;
/// Five years.
pub const MAX_REFRESH_MINUTES: i64 = 5 * 365 * 24 * 60;
pub const MIN_WINDOW_MINUTES: i64 = 10;

impl Default for TokenLifetimes {
    /// Okta's defaults: an hour, unlimited, a week.
    fn default() -> Self {
        TokenLifetimes {
            access_token_minutes: 60,
            refresh_token_minutes: None,
            refresh_token_window_minutes: 7 * 24 * 60,
        }
    }
}

impl TokenLifetimes {
    pub fn access_token(&self) -> Duration {
        Duration::minutes(self.access_token_minutes)
    }

    /// `None`: the refresh token lives as long as it keeps being used within the window.
    pub fn refresh_token(&self) -> Option<Duration> {
        self.refresh_token_minutes.map(Duration::minutes)
    }

    pub fn refresh_token_window(&self) -> Duration {
        Duration::minutes(self.refresh_token_window_minutes)
    }

    /// The stored `actions` object.
    pub fn to_json(&self) -> Value {
        stored(&StoredActions {
            token: StoredToken {
                access_token_lifetime_minutes: self.access_token_minutes,
                refresh_token_lifetime_minutes: self.refresh_token_minutes.unwrap_or(0),
                refresh_token_window_minutes: self.refresh_token_window_minutes,
            },
        })
    }
}

fn stored<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// An access policy's stored `conditions`, as the management API sends them: the clients it applies to.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "AccessPolicyConditions")]
pub struct StoredPolicyConditions {
    /// Client ids, or `ALL_CLIENTS`.
    pub clients: Included,
}

/// What a condition includes.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "AccessIncluded")]
pub struct Included {
    pub include: Vec<String>,
}

/// Ids a condition includes, and ids it excludes.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "AccessIncludedExcluded")]
pub struct IncludedExcluded {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// An access rule's stored `conditions`: whose requests (users, groups; `EVERYONE`), for which grant types and
/// scopes (`*`: any).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AccessRuleConditions")]
pub struct StoredRuleConditions {
    pub people: StoredPeople,
    pub grant_types: Included,
    pub scopes: Included,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "AccessRulePeople")]
pub struct StoredPeople {
    pub users: IncludedExcluded,
    pub groups: IncludedExcluded,
}

/// An access rule's stored `actions`.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "AccessRuleActions")]
pub struct StoredActions {
    pub token: StoredToken,
}

/// The lifetimes of the tokens a rule grants, in minutes (a refresh token's 0: unlimited).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AccessRuleToken")]
pub struct StoredToken {
    pub access_token_lifetime_minutes: i64,
    pub refresh_token_lifetime_minutes: i64,
    pub refresh_token_window_minutes: i64,
}

/// What a rule create or replace sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFields {
    pub name: String,
    pub priority: Option<i64>,
    pub status: Option<LifecycleStatus>,
    pub conditions: RuleConditions,
    pub lifetimes: TokenLifetimes,
}

/// Input (strict, scopes checked against the server's) or stored (lenient: unknown grant types, such as the
/// `refresh_token` older default rules hold, are skipped).
#[derive(Clone, Copy)]
enum Mode<'a> {
    Input { scopes: &'a [String] },
    Stored,
}

fn read_conditions(r: &mut Reader<'_>, mode: Mode<'_>) -> RuleConditions {
    let mut c = r.object("conditions");
    let strict = matches!(mode, Mode::Input { .. });

    let mut people = c.object("people");
    let people_given = c.has("people");
    let mut users = people.object("users");
    let users_include = users.strings("include").unwrap_or_default();
    let users_exclude = users.strings("exclude").unwrap_or_default();
    people.absorb(users);
    let mut groups = people.object("groups");
    let groups_include = groups.strings("include").unwrap_or_default();
    let groups_exclude = groups.strings("exclude").unwrap_or_default();
    people.absorb(groups);
    c.absorb(people);
    let people = if people_given {
        PeopleCondition {
            users_include,
            users_exclude,
            groups_include,
            groups_exclude,
        }
    } else {
        PeopleCondition::everyone()
    };

    let mut grants = c.object("grantTypes");
    let mut grant_types = Vec::new();
    match grants.strings("include") {
        None if strict => grants.fail("include", "is required"),
        None => {}
        Some(names) => {
            for n in names {
                match GrantType::parse(&n) {
                    Some(g) if !grant_types.contains(&g) => grant_types.push(g),
                    Some(_) => {}
                    None if !strict => {}
                    None if n == "refresh_token" => grants.fail(
                        "include",
                        "refresh_token is not a rule grant type: a refresh is evaluated with the grant type that issued the refresh token",
                    ),
                    None => grants.fail(
                        "include",
                        format!("unknown grant type {n:?}; one of {}", GrantType::names()),
                    ),
                }
            }
            if strict && grant_types.is_empty() && grants.causes.is_empty() {
                grants.fail("include", "must name at least one grant type");
            }
        }
    }
    c.absorb(grants);

    let mut sc = c.object("scopes");
    let scopes = match sc.strings("include") {
        None => {
            if strict {
                sc.fail("include", "is required: [\"*\"] or scope names");
            }
            ScopeCondition::Only(Vec::new())
        }
        Some(names) if names.iter().any(|n| n == ANY_SCOPE) => {
            if strict && names.len() > 1 {
                sc.fail("include", "\"*\" cannot be combined with scope names");
            }
            ScopeCondition::Any
        }
        Some(names) => {
            if let Mode::Input { scopes: known } = mode {
                if names.is_empty() {
                    sc.fail("include", "must name \"*\" or at least one scope");
                }
                for n in &names {
                    if !known.contains(n) {
                        sc.fail(
                            "include",
                            format!("{n:?} is not a scope of this authorization server"),
                        );
                    }
                }
            }
            let mut unique: Vec<String> = Vec::new();
            for n in names {
                if !unique.contains(&n) {
                    unique.push(n);
                }
            }
            ScopeCondition::Only(unique)
        }
    };
    c.absorb(sc);
    r.absorb(c);
    RuleConditions {
        people,
        grant_types,
        scopes,
    }
}

fn read_lifetimes(r: &mut Reader<'_>) -> TokenLifetimes {
    let defaults = TokenLifetimes::default();
    let mut actions = r.object("actions");
    let mut t = actions.object("token");
    let access = t
        .integer("accessTokenLifetimeMinutes")
        .unwrap_or(defaults.access_token_minutes);
    if !ACCESS_MINUTES.contains(&access) {
        t.fail(
            "accessTokenLifetimeMinutes",
            format!(
                "must be between {} and {} minutes",
                ACCESS_MINUTES.start(),
                ACCESS_MINUTES.end()
            ),
        );
    }
    let refresh = match t.integer("refreshTokenLifetimeMinutes") {
        None | Some(0) => None,
        Some(m) => {
            if m < access || m > MAX_REFRESH_MINUTES {
                t.fail(
                    "refreshTokenLifetimeMinutes",
                    format!(
                        "must be 0 (unlimited) or between the access token lifetime ({access}) and {MAX_REFRESH_MINUTES} minutes"
                    ),
                );
            }
            Some(m)
        }
    };
    let window = t
        .integer("refreshTokenWindowMinutes")
        .unwrap_or(defaults.refresh_token_window_minutes);
    let low = MIN_WINDOW_MINUTES.max(access);
    let high = refresh.unwrap_or(MAX_REFRESH_MINUTES);
    if window < low || window > high {
        t.fail(
            "refreshTokenWindowMinutes",
            format!("must be between {low} and {high} minutes"),
        );
    }
    actions.absorb(t);
    r.absorb(actions);
    TokenLifetimes {
        access_token_minutes: access,
        refresh_token_minutes: refresh,
        refresh_token_window_minutes: window,
    }
}

/// Validates a rule body against the server's scope names: `type` (if given) RESOURCE_ACCESS, `name`, optional
/// `priority` and `status`; `conditions.grantTypes.include` (required), `conditions.scopes.include` (required:
/// `["*"]` or names of the server's scopes), `conditions.people` (absent: everyone); `actions.token` lifetimes
/// (access 5–1440 minutes, default 60; refresh 0 = unlimited, else at least the access lifetime and at most five
/// years; window at least 10 minutes and the access lifetime, at most the refresh lifetime; default a week).
pub fn validate_rule(body: &Value, server_scopes: &[String]) -> Result<RuleFields, Invalid> {
    let mut r = Reader::new(body);
    check_type(&mut r, RULE_TYPE);
    let name = r.string("name", true, NAME_MAX);
    let (status, priority) = status_and_priority(&mut r);
    let conditions = read_conditions(
        &mut r,
        Mode::Input {
            scopes: server_scopes,
        },
    );
    let lifetimes = read_lifetimes(&mut r);
    let fields = RuleFields {
        name: name.unwrap_or_default(),
        priority,
        status,
        conditions,
        lifetimes,
    };
    r.finish(fields)
}

/// A stored rule's conditions and lifetimes, typed; `None` if they no longer make sense (the rule then matches
/// nothing).
pub fn stored_rule(rule: &PolicyRule) -> Option<(RuleConditions, TokenLifetimes)> {
    let body = json!({ "conditions": rule.conditions, "actions": rule.actions });
    let mut r = Reader::new(&body);
    let conditions = read_conditions(&mut r, Mode::Stored);
    let lifetimes = read_lifetimes(&mut r);
    r.finish((conditions, lifetimes)).ok()
}

/// The user a request acts for.
#[derive(Debug, Clone, Copy)]
pub struct RequestUser<'a> {
    pub id: &'a str,
    /// The ids of the user's groups, `Everyone`'s included.
    pub group_ids: &'a [String],
}

/// What the token endpoint asks.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    pub client_id: &'a str,
    /// For a refresh, the grant type that issued the refresh token.
    pub grant_type: GrantType,
    /// `None` for client credentials.
    pub user: Option<RequestUser<'a>>,
    /// The scopes to grant, resolved by [`super::scopes::resolve_scopes`].
    pub scopes: &'a [String],
}

/// What the matching policy and rule grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub policy_id: String,
    pub rule_id: String,
    /// Every requested scope (a rule matches only if it covers them all).
    pub scopes: Vec<String>,
    pub lifetimes: TokenLifetimes,
}

/// Evaluates the server's policies (each with its rules, in any order: they are sorted by priority here) for
/// `req`. Errors are `access_denied` with Okta's description; the detail says why.
pub fn evaluate(
    policies: &[(Policy, Vec<PolicyRule>)],
    req: &AccessRequest<'_>,
) -> Result<Grant, OAuthError> {
    CompiledPolicies::new(policies).evaluate(req)
}

/// A server's access policies ready to evaluate: the ACTIVE ones in priority order, each with its client condition
/// and its ACTIVE rules parsed once. Every token request evaluates them, so they are compiled when the server's
/// rules are loaded, not per request.
#[derive(Debug, Clone, Default)]
pub struct CompiledPolicies(Vec<CompiledPolicy>);

#[derive(Debug, Clone)]
struct CompiledPolicy {
    id: String,
    clients: ClientsCondition,
    /// Rule id, conditions and lifetimes, in priority order. Rules whose stored body no longer parses are left
    /// out: they match nothing.
    rules: Vec<(String, RuleConditions, TokenLifetimes)>,
}

impl CompiledPolicies {
    pub fn new(policies: &[(Policy, Vec<PolicyRule>)]) -> Self {
        let mut ordered: Vec<&(Policy, Vec<PolicyRule>)> = policies
            .iter()
            .filter(|(p, _)| p.status == LifecycleStatus::Active)
            .collect();
        ordered.sort_by(|a, b| (a.0.priority, &a.0.id).cmp(&(b.0.priority, &b.0.id)));
        let compiled = ordered
            .into_iter()
            .map(|(policy, rules)| {
                let mut active: Vec<&PolicyRule> = rules
                    .iter()
                    .filter(|r| r.status == LifecycleStatus::Active && r.policy_id == policy.id)
                    .collect();
                active.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
                CompiledPolicy {
                    id: policy.id.clone(),
                    clients: ClientsCondition::from_stored(&policy.conditions),
                    rules: active
                        .into_iter()
                        .filter_map(|r| stored_rule(r).map(|(c, l)| (r.id.clone(), c, l)))
                        .collect(),
                }
            })
            .collect();
        CompiledPolicies(compiled)
    }

    /// The first matching rule of the first policy that applies to the client; `access_denied` otherwise.
    pub fn evaluate(&self, req: &AccessRequest<'_>) -> Result<Grant, OAuthError> {
        let mut client_matched = false;
        for policy in self.0.iter().filter(|p| p.clients.matches(req.client_id)) {
            client_matched = true;
            if let Some((rule_id, _, lifetimes)) =
                policy.rules.iter().find(|(_, c, _)| c.matches(req))
            {
                return Ok(Grant {
                    policy_id: policy.id.clone(),
                    rule_id: rule_id.clone(),
                    scopes: req.scopes.to_vec(),
                    lifetimes: *lifetimes,
                });
            }
        }
        let detail = if client_matched {
            "no_matching_rule: no ACTIVE rule of a policy for this client matches the grant type, user and scopes"
        } else {
            "no_matching_policy: no ACTIVE policy applies to this client"
        };
        Err(OAuthError::new(ErrorCode::AccessDenied, POLICY_EVALUATION_FAILED).with_detail(detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn policy(id: &str, priority: i64, clients: ClientsCondition) -> Policy {
        Policy {
            id: id.into(),
            auth_server_id: "aus1".into(),
            name: id.into(),
            description: String::new(),
            priority,
            status: LifecycleStatus::Active,
            system: false,
            conditions: clients.to_json(),
            created: Utc::now(),
            last_updated: Utc::now(),
        }
    }

    fn rule(id: &str, policy: &str, priority: i64, body: Value) -> PolicyRule {
        let f = validate_rule(&body, &["read".into(), "write".into(), "openid".into()]).unwrap();
        PolicyRule {
            id: id.into(),
            policy_id: policy.into(),
            name: id.into(),
            priority,
            status: LifecycleStatus::Active,
            system: false,
            conditions: f.conditions.to_json(),
            actions: f.lifetimes.to_json(),
            created: Utc::now(),
            last_updated: Utc::now(),
        }
    }

    fn body(grants: &[&str], scopes: &[&str], minutes: i64) -> Value {
        json!({
            "name": "r",
            "conditions": { "grantTypes": { "include": grants }, "scopes": { "include": scopes } },
            "actions": { "token": { "accessTokenLifetimeMinutes": minutes } }
        })
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn cc<'a>(client: &'a str, scopes: &'a [String]) -> AccessRequest<'a> {
        AccessRequest {
            client_id: client,
            grant_type: GrantType::ClientCredentials,
            user: None,
            scopes,
        }
    }

    #[test]
    fn the_first_matching_policy_and_rule_by_priority_win() {
        let p1 = policy("p1", 1, ClientsCondition::Only(s(&["app1"])));
        let p2 = policy("p2", 2, ClientsCondition::All);
        let policies = vec![
            (
                p2.clone(),
                vec![
                    rule("r22", "p2", 2, body(&["client_credentials"], &["*"], 30)),
                    rule("r21", "p2", 1, body(&["client_credentials"], &["read"], 10)),
                ],
            ),
            (
                p1.clone(),
                vec![rule(
                    "r11",
                    "p1",
                    1,
                    body(&["client_credentials"], &["read"], 20),
                )],
            ),
        ];
        let read = s(&["read"]);
        let g = evaluate(&policies, &cc("app1", &read)).unwrap();
        assert_eq!((g.policy_id.as_str(), g.rule_id.as_str()), ("p1", "r11"));
        assert_eq!(g.lifetimes.access_token(), Duration::minutes(20));
        let g = evaluate(&policies, &cc("app2", &read)).unwrap();
        assert_eq!(g.rule_id, "r21");
        // A rule whose scopes do not cover every requested scope does not match; app1 falls through to p2.
        let both = s(&["read", "write"]);
        let g = evaluate(&policies, &cc("app1", &both)).unwrap();
        assert_eq!((g.policy_id.as_str(), g.rule_id.as_str()), ("p2", "r22"));
        assert_eq!(g.scopes, both);
    }

    #[test]
    fn inactive_policies_and_rules_and_other_grant_types_do_not_match() {
        let mut p = policy("p", 1, ClientsCondition::All);
        let mut r = rule("r", "p", 1, body(&["authorization_code"], &["*"], 60));
        let read = s(&["read"]);
        let denied = evaluate(&[(p.clone(), vec![r.clone()])], &cc("a", &read)).unwrap_err();
        assert_eq!(denied.code, ErrorCode::AccessDenied);
        assert_eq!(denied.description, POLICY_EVALUATION_FAILED);
        assert!(denied.detail.unwrap().contains("no_matching_rule"));
        let code = AccessRequest {
            grant_type: GrantType::AuthorizationCode,
            ..cc("a", &read)
        };
        assert!(evaluate(&[(p.clone(), vec![r.clone()])], &code).is_ok());
        r.status = LifecycleStatus::Inactive;
        assert!(evaluate(&[(p.clone(), vec![r.clone()])], &code).is_err());
        r.status = LifecycleStatus::Active;
        p.status = LifecycleStatus::Inactive;
        let e = evaluate(&[(p, vec![r])], &code).unwrap_err();
        assert!(e.detail.unwrap().contains("no_matching_policy"));
        assert!(evaluate(&[], &code).is_err());
    }

    #[test]
    fn people_conditions_hold_for_users_and_groups() {
        let p = policy("p", 1, ClientsCondition::All);
        let mut b = body(&["authorization_code"], &["*"], 60);
        b["conditions"]["people"] =
            json!({ "groups": { "include": ["00gadmins"] }, "users": { "exclude": ["00ubad"] } });
        let r = rule("r", "p", 1, b);
        let policies = vec![(p, vec![r])];
        let scopes = s(&["openid"]);
        let everyone = everyone_id();
        let req = |id: &'static str, groups: &'static [String]| AccessRequest {
            client_id: "a",
            grant_type: GrantType::AuthorizationCode,
            user: Some(RequestUser {
                id,
                group_ids: groups,
            }),
            scopes: &[],
        };
        let admins: &'static [String] =
            Box::leak(vec!["00gadmins".to_owned(), everyone.clone()].into_boxed_slice());
        let plain: &'static [String] = Box::leak(vec![everyone].into_boxed_slice());
        let mut ok = req("00uada", admins);
        ok.scopes = &scopes;
        assert!(evaluate(&policies, &ok).is_ok());
        assert!(evaluate(&policies, &req("00uplain", plain)).is_err());
        assert!(evaluate(&policies, &req("00ubad", admins)).is_err());
        // Without a people condition a rule covers everyone.
        let r = rule("r2", "p2", 1, body(&["authorization_code"], &["*"], 60));
        let p2 = policy("p2", 1, ClientsCondition::All);
        assert!(evaluate(&[(p2, vec![r])], &req("00uplain", plain)).is_ok());
    }

    #[test]
    fn rule_bodies_are_validated_with_causes_naming_fields() {
        let known = s(&["read"]);
        let e = validate_rule(&json!({"name": "r"}), &known).unwrap_err();
        assert!(e.names("conditions.grantTypes.include"), "{e}");
        assert!(e.names("conditions.scopes.include"), "{e}");
        let e = validate_rule(&body(&["refresh_token"], &["nope"], 2), &known).unwrap_err();
        assert!(e.names("conditions.grantTypes.include"));
        assert!(e.names("conditions.scopes.include"));
        assert!(e.names("actions.token.accessTokenLifetimeMinutes"));
        let mut b = body(&["password"], &["read"], 60);
        b["actions"]["token"]["refreshTokenLifetimeMinutes"] = json!(30);
        b["actions"]["token"]["refreshTokenWindowMinutes"] = json!(5);
        let e = validate_rule(&b, &known).unwrap_err();
        assert!(e.names("actions.token.refreshTokenLifetimeMinutes"));
        assert!(e.names("actions.token.refreshTokenWindowMinutes"));
        let ok = validate_rule(&body(&["password"], &["read"], 1440), &known).unwrap();
        assert_eq!(ok.lifetimes.refresh_token(), None);
        assert_eq!(ok.conditions.people, PeopleCondition::everyone());
    }

    #[test]
    fn stored_rules_with_refresh_token_still_parse() {
        let mut r = rule("r", "p", 1, body(&["client_credentials"], &["*"], 60));
        r.conditions["grantTypes"]["include"] = json!(["refresh_token", "client_credentials"]);
        let (c, _) = stored_rule(&r).unwrap();
        assert_eq!(c.grant_types, vec![GrantType::ClientCredentials]);
    }

    #[test]
    fn policy_bodies_need_a_name_and_clients() {
        let e = validate_policy(&json!({"type": "OTHER"})).unwrap_err();
        assert!(e.names("type") && e.names("name") && e.names("conditions.clients.include"));
        let ok = validate_policy(
            &json!({"name": "p", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}}),
        )
        .unwrap();
        assert_eq!(ok.clients, ClientsCondition::All);
        assert_eq!(ok.priority, None);
    }
}
