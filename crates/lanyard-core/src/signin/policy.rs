//! Okta sign-on policies (`OKTA_SIGN_ON`) and their rules (`SIGN_ON`): validation of the Policy API's bodies
//! (Okta's shapes, one cause per problem, naming the field), the system Default Policy and Default Rule, and the
//! evaluation a sign-in runs once the password is verified.
//!
//! Evaluation, as Okta's: the ACTIVE policies by priority; the first whose `conditions.people.groups.include`
//! holds one of the user's groups (no group at all: everyone) and that has an ACTIVE rule (by priority) not
//! excluding the user decides. A policy that applies but none of whose rules does is passed over for the next, as
//! for the authorization servers' policies ([`crate::authz::policy`]); the system Default Policy, last, covers
//! everyone. Nothing matching at all (every rule of the Default Policy excludes the user) denies.
//!
//! What the decision leads to ([`next_step`]): `DENY` → the sign-in fails like a wrong password (the caller
//! cannot tell a correct password from a wrong one); `requireFactor` → the MFA step when the user has an active
//! factor, else enrolment of one; otherwise the MFA step when the user has an active factor (Lanyard always asks
//! enrolled users, as before policies existed — stricter than Okta, which then lets them in with the password
//! alone), else success.
//!
//! `factorPromptMode`, `factorLifetime`, `rememberDeviceByDefault` and `session` are validated and stored in
//! Okta's shape; every sign-in through the Authn API or the page starts a new session, so a required factor is
//! asked every time (as `ALWAYS`), and sessions keep the server's lifetimes.

use chrono::Duration;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use crate::authz::fields::{Invalid, Reader};
use crate::clock::Timestamp;
use crate::id::{derived_id, prefix};
use crate::model::authz::str_enum;
use crate::model::group::everyone_id;
use crate::model::{LifecycleStatus, PolicyRule, SignOnPolicy};

/// A sign-on policy's `type`.
pub const POLICY_TYPE: &str = "OKTA_SIGN_ON";
/// A sign-on rule's `type`.
pub const RULE_TYPE: &str = "SIGN_ON";
/// Okta's other policy types of `/api/v1/policies`: listed (empty), never created here.
pub const OTHER_TYPES: &[&str] = &[
    "PASSWORD",
    "MFA_ENROLL",
    "IDP_DISCOVERY",
    "ACCESS_POLICY",
    "PROFILE_ENROLLMENT",
    "POST_AUTH_SESSION",
    "ENTITY_RISK",
    "DEVICE_SIGNAL_COLLECTION",
    "CONTINUOUS_ACCESS",
];

pub const NAME_MAX: usize = 255;
pub const DESCRIPTION_MAX: usize = 1024;
/// Okta's longest idle session and session lifetime: 90 days.
pub const MAX_SESSION_MINUTES: i64 = 90 * 24 * 60;
/// The longest `factorLifetime`: a year.
pub const MAX_FACTOR_LIFETIME_MINUTES: i64 = 365 * 24 * 60;
pub const DEFAULT_FACTOR_LIFETIME_MINUTES: i64 = 15;

/// The Default Policy's name and description, as Okta's.
pub const DEFAULT_POLICY_NAME: &str = "Default Policy";
pub const DEFAULT_POLICY_DESCRIPTION: &str =
    "The default policy applies in all situations if no other policy applies.";
pub const DEFAULT_RULE_NAME: &str = "Default Rule";

str_enum!(
    /// A rule's `actions.signon.access`.
    Access {
        Allow = "ALLOW",
        Deny = "DENY",
    }
);

str_enum!(
    /// When a required factor is asked again (`actions.signon.factorPromptMode`).
    FactorPromptMode {
        Always = "ALWAYS",
        Session = "SESSION",
        Device = "DEVICE",
    }
);

/// Whether `t` is a policy type of `/api/v1/policies`: `OKTA_SIGN_ON` or one of [`OTHER_TYPES`].
pub fn is_policy_type(t: &str) -> bool {
    t == POLICY_TYPE || OTHER_TYPES.contains(&t)
}

/// The accepted policy types, for causes.
pub fn policy_types() -> String {
    std::iter::once(POLICY_TYPE)
        .chain(OTHER_TYPES.iter().copied())
        .collect::<Vec<_>>()
        .join(", ")
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
    /// Group ids, without duplicates; empty: everyone. The caller checks that they exist.
    pub groups: Vec<String>,
}

/// The stored `conditions` of a policy covering `groups` (empty: everyone).
pub fn policy_conditions(groups: &[String]) -> Value {
    stored(&StoredPolicyConditions {
        people: PolicyPeople {
            groups: Included {
                include: groups.to_vec(),
            },
        },
    })
}

fn stored<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// A sign-on policy's stored `conditions`, as the management API sends them: the groups it covers.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SignOnPolicyConditions")]
pub struct StoredPolicyConditions {
    pub people: PolicyPeople,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SignOnPolicyPeople")]
pub struct PolicyPeople {
    /// Group ids (none: everyone).
    pub groups: Included,
}

/// Ids a condition includes.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SignOnIncluded")]
pub struct Included {
    pub include: Vec<String>,
}

/// A sign-on rule's stored `conditions`: the users it does not apply to; any network, any authentication.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SignOnRuleConditions")]
pub struct StoredRuleConditions {
    pub people: RulePeople,
    pub network: Network,
    pub auth_context: AuthContext,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SignOnRulePeople")]
pub struct RulePeople {
    pub users: Excluded,
}

/// Ids a condition excludes.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SignOnExcluded")]
pub struct Excluded {
    pub exclude: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SignOnNetwork")]
pub struct Network {
    #[schemars(extend("enum" = ["ANYWHERE"]))]
    pub connection: &'static str,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SignOnAuthContext")]
pub struct AuthContext {
    #[schemars(extend("enum" = ["ANY"]))]
    pub auth_type: &'static str,
}

/// A sign-on rule's stored `actions`.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SignOnRuleActions")]
pub struct StoredActions {
    pub signon: StoredSignOn,
}

/// `actions.signon`: `factorPromptMode` and `factorLifetime` only when a factor is required.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SignOnRuleSignon")]
pub struct StoredSignOn {
    #[schemars(extend("enum" = ["ALLOW", "DENY"]))]
    pub access: &'static str,
    pub require_factor: bool,
    pub remember_device_by_default: bool,
    pub session: StoredSession,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ALWAYS", "SESSION", "DEVICE"]))]
    pub factor_prompt_mode: Option<&'static str>,
    /// Minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor_lifetime: Option<i64>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SignOnRuleSession")]
pub struct StoredSession {
    pub use_persistent_cookie: bool,
    pub max_session_idle_minutes: i64,
    /// 0: no limit other than the idle time.
    pub max_session_lifetime_minutes: i64,
}

/// The group ids a stored policy covers (empty: everyone).
pub fn policy_groups(policy: &SignOnPolicy) -> Vec<String> {
    strings_at(&policy.conditions["people"]["groups"]["include"])
}

fn strings_at(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `type`: required when `required` (a create), and then or when given it must be OKTA_SIGN_ON (resp. SIGN_ON).
fn check_type(r: &mut Reader<'_>, want: &str, required: bool, policy: bool) {
    match r.raw("type") {
        None if required => r.fail("type", format!("is required: {want}")),
        None => {}
        Some(Value::String(t)) if t == want => {}
        Some(Value::String(t)) if policy && OTHER_TYPES.contains(&t.as_str()) => r.fail(
            "type",
            format!("{t} policies are not supported by Lanyard: only {POLICY_TYPE} policies can be created"),
        ),
        Some(_) => r.fail("type", format!("must be {want}")),
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

/// Validates a sign-on policy body: `type` OKTA_SIGN_ON (required on create), `name`, optional `description`,
/// `priority` and `status`, and `conditions.people.groups.include` (group ids; absent or empty: everyone). Any
/// other condition is refused rather than ignored: ignoring it would widen whom the policy covers.
pub fn validate_policy(body: &Value, create: bool) -> Result<PolicyFields, Invalid> {
    let mut r = Reader::new(body);
    check_type(&mut r, POLICY_TYPE, create, true);
    let name = r.string("name", true, NAME_MAX);
    let description = r.string("description", false, DESCRIPTION_MAX);
    let (status, priority) = status_and_priority(&mut r);
    let mut conditions = r.object("conditions");
    conditions.only(
        &["people"],
        "is not a condition of Lanyard's sign-on policies (people.groups.include)",
    );
    let mut people = conditions.object("people");
    people.only(
        &["groups"],
        "is not supported: a sign-on policy covers groups (people.groups.include)",
    );
    let mut groups = people.object("groups");
    groups.only(
        &["include"],
        "is not supported: a sign-on policy covers the groups it includes",
    );
    let include = groups.strings("include").unwrap_or_default();
    if include.iter().any(|g| g.trim().is_empty()) {
        groups.fail("include", "must hold group ids");
    }
    people.absorb(groups);
    conditions.absorb(people);
    r.absorb(conditions);
    let fields = PolicyFields {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        priority,
        status,
        groups: dedup(include),
    };
    r.finish(fields)
}

/// Session settings of a rule (`actions.signon.session`), stored in Okta's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    pub use_persistent_cookie: bool,
    pub max_session_idle_minutes: i64,
    /// 0: no limit other than the idle time.
    pub max_session_lifetime_minutes: i64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            use_persistent_cookie: false,
            max_session_idle_minutes: 120,
            max_session_lifetime_minutes: 0,
        }
    }
}

/// A rule's `actions.signon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOnActions {
    pub access: Access,
    pub require_factor: bool,
    /// Set when `require_factor`.
    pub factor_prompt_mode: Option<FactorPromptMode>,
    /// Minutes; set when `require_factor`.
    pub factor_lifetime: Option<i64>,
    pub remember_device_by_default: bool,
    pub session: SessionSettings,
}

impl SignOnActions {
    /// Okta's Default Rule: allow, no factor required. Its session settings are the server's defaults (2 h idle,
    /// 24 h).
    pub fn default_rule() -> Self {
        SignOnActions {
            access: Access::Allow,
            require_factor: false,
            factor_prompt_mode: None,
            factor_lifetime: None,
            remember_device_by_default: false,
            session: SessionSettings {
                use_persistent_cookie: false,
                max_session_idle_minutes: 120,
                max_session_lifetime_minutes: 24 * 60,
            },
        }
    }

    /// The stored (Okta) form: `{"signon": {…}}`; `factorPromptMode` and `factorLifetime` only when a factor is
    /// required.
    pub fn to_json(&self) -> Value {
        let factor = self.require_factor;
        stored(&StoredActions {
            signon: StoredSignOn {
                access: self.access.as_str(),
                require_factor: self.require_factor,
                remember_device_by_default: self.remember_device_by_default,
                session: StoredSession {
                    use_persistent_cookie: self.session.use_persistent_cookie,
                    max_session_idle_minutes: self.session.max_session_idle_minutes,
                    max_session_lifetime_minutes: self.session.max_session_lifetime_minutes,
                },
                factor_prompt_mode: factor.then(|| {
                    self.factor_prompt_mode
                        .unwrap_or(FactorPromptMode::Always)
                        .as_str()
                }),
                factor_lifetime: factor.then(|| {
                    self.factor_lifetime
                        .unwrap_or(DEFAULT_FACTOR_LIFETIME_MINUTES)
                }),
            },
        })
    }
}

/// A rule's conditions: the users it does not apply to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleConditions {
    pub users_exclude: Vec<String>,
}

impl RuleConditions {
    /// The stored (Okta) form.
    pub fn to_json(&self) -> Value {
        stored(&StoredRuleConditions {
            people: RulePeople {
                users: Excluded {
                    exclude: self.users_exclude.clone(),
                },
            },
            network: Network {
                connection: "ANYWHERE",
            },
            auth_context: AuthContext { auth_type: "ANY" },
        })
    }

    pub fn matches(&self, user_id: &str) -> bool {
        !self.users_exclude.iter().any(|u| u == user_id)
    }
}

/// What a rule create or replace sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFields {
    pub name: String,
    pub priority: Option<i64>,
    pub status: Option<LifecycleStatus>,
    /// The caller checks that the excluded users exist.
    pub conditions: RuleConditions,
    pub actions: SignOnActions,
}

fn read_conditions(r: &mut Reader<'_>) -> RuleConditions {
    let mut c = r.object("conditions");
    c.only(
        &["people", "network", "authContext"],
        "is not a condition of Lanyard's sign-on rules (people.users.exclude, network, authContext)",
    );
    let mut people = c.object("people");
    people.only(
        &["users"],
        "is not supported in sign-on rules: a rule covers its policy's groups, less people.users.exclude",
    );
    let mut users = people.object("users");
    users.only(
        &["exclude"],
        "is not supported in sign-on rules: a rule covers its policy's groups, less people.users.exclude",
    );
    let exclude = users.strings("exclude").unwrap_or_default();
    people.absorb(users);
    c.absorb(people);
    let mut network = c.object("network");
    network.only(
        &["connection"],
        "is not supported: Lanyard has no network zones",
    );
    match network.raw("connection") {
        None => {}
        Some(Value::String(s)) if s == "ANYWHERE" => {}
        Some(_) => network.fail(
            "connection",
            "must be ANYWHERE: Lanyard has no network zones",
        ),
    }
    c.absorb(network);
    let mut auth = c.object("authContext");
    auth.only(&["authType"], "is not supported");
    match auth.raw("authType") {
        None => {}
        Some(Value::String(s)) if s == "ANY" => {}
        Some(_) => auth.fail("authType", "must be ANY: Lanyard has no RADIUS"),
    }
    c.absorb(auth);
    r.absorb(c);
    RuleConditions {
        users_exclude: dedup(exclude),
    }
}

fn minutes(
    r: &mut Reader<'_>,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> i64 {
    let v = r.integer(name).unwrap_or(default);
    if !range.contains(&v) {
        r.fail(
            name,
            format!(
                "must be between {} and {} minutes",
                range.start(),
                range.end()
            ),
        );
    }
    v
}

fn read_actions(r: &mut Reader<'_>, strict: bool) -> SignOnActions {
    let mut a = r.object("actions");
    let mut s = a.object("signon");
    let access = s.one_of("access", Access::parse, &Access::names());
    if access.is_none() && !s.has("access") && strict {
        s.fail("access", format!("is required: {}", Access::names()));
    }
    let access = access.unwrap_or(Access::Allow);
    let require_factor = s.boolean("requireFactor").unwrap_or(false);
    if require_factor && access == Access::Deny {
        s.fail("requireFactor", "must be false when access is DENY");
    }
    let mode = s.one_of(
        "factorPromptMode",
        FactorPromptMode::parse,
        &FactorPromptMode::names(),
    );
    if require_factor && mode.is_none() && !s.has("factorPromptMode") && strict {
        s.fail(
            "factorPromptMode",
            format!(
                "is required when requireFactor is true: {}",
                FactorPromptMode::names()
            ),
        );
    }
    let lifetime = minutes(
        &mut s,
        "factorLifetime",
        1..=MAX_FACTOR_LIFETIME_MINUTES,
        DEFAULT_FACTOR_LIFETIME_MINUTES,
    );
    let remember = s.boolean("rememberDeviceByDefault").unwrap_or(false);
    let mut session = s.object("session");
    let defaults = SessionSettings::default();
    let persistent = session.boolean("usePersistentCookie").unwrap_or(false);
    let idle = minutes(
        &mut session,
        "maxSessionIdleMinutes",
        1..=MAX_SESSION_MINUTES,
        defaults.max_session_idle_minutes,
    );
    let lifetime_minutes = minutes(
        &mut session,
        "maxSessionLifetimeMinutes",
        0..=MAX_SESSION_MINUTES,
        defaults.max_session_lifetime_minutes,
    );
    if lifetime_minutes != 0 && lifetime_minutes < idle {
        session.fail(
            "maxSessionLifetimeMinutes",
            "must be 0 (no limit) or at least maxSessionIdleMinutes",
        );
    }
    s.absorb(session);
    a.absorb(s);
    r.absorb(a);
    SignOnActions {
        access,
        require_factor,
        factor_prompt_mode: require_factor.then(|| mode.unwrap_or(FactorPromptMode::Always)),
        factor_lifetime: require_factor.then_some(lifetime),
        remember_device_by_default: remember,
        session: SessionSettings {
            use_persistent_cookie: persistent,
            max_session_idle_minutes: idle,
            max_session_lifetime_minutes: lifetime_minutes,
        },
    }
}

/// Validates a sign-on rule body: `type` SIGN_ON (required on create), `name`, optional `priority` and
/// `status`; `conditions` (`people.users.exclude`: user ids; `network.connection`: ANYWHERE; `authContext.authType`:
/// ANY; anything else refused, as ignoring it would widen the rule); `actions.signon`: `access` (required), and
/// `requireFactor`, `factorPromptMode` (required with a factor), `factorLifetime` (minutes, default 15),
/// `rememberDeviceByDefault`, `session` (`usePersistentCookie`, `maxSessionIdleMinutes` 1–129600, default 120,
/// `maxSessionLifetimeMinutes` 0 = no limit, else at least the idle time). Unknown action members are ignored.
pub fn validate_rule(body: &Value, create: bool) -> Result<RuleFields, Invalid> {
    let mut r = Reader::new(body);
    check_type(&mut r, RULE_TYPE, create, false);
    let name = r.string("name", true, NAME_MAX);
    let (status, priority) = status_and_priority(&mut r);
    let conditions = read_conditions(&mut r);
    let actions = read_actions(&mut r, true);
    let fields = RuleFields {
        name: name.unwrap_or_default(),
        priority,
        status,
        conditions,
        actions,
    };
    r.finish(fields)
}

/// A stored rule's conditions and actions, typed; `None` if they no longer make sense (the rule then matches
/// nothing).
pub fn stored_rule(rule: &PolicyRule) -> Option<(RuleConditions, SignOnActions)> {
    let body = json!({ "conditions": rule.conditions, "actions": rule.actions });
    let mut r = Reader::new(&body);
    let conditions = read_conditions(&mut r);
    let actions = read_actions(&mut r, false);
    r.finish((conditions, actions)).ok()
}

/// The system Default Policy: everyone (the built-in `Everyone` group), last, ACTIVE. Its id is derived, so that
/// nodes starting together insert it once.
pub fn default_policy(now: Timestamp) -> SignOnPolicy {
    SignOnPolicy {
        id: derived_id(prefix::POLICY, "signon/default-policy"),
        name: DEFAULT_POLICY_NAME.into(),
        description: DEFAULT_POLICY_DESCRIPTION.into(),
        priority: 1,
        status: LifecycleStatus::Active,
        system: true,
        conditions: policy_conditions(&[everyone_id()]),
        created: now,
        last_updated: now,
    }
}

/// The Default Policy's system Default Rule: allow, no factor required.
pub fn default_rule(policy_id: &str, now: Timestamp) -> PolicyRule {
    PolicyRule {
        id: derived_id(prefix::RULE, "signon/default-policy/default-rule"),
        policy_id: policy_id.to_owned(),
        name: DEFAULT_RULE_NAME.into(),
        priority: 1,
        status: LifecycleStatus::Active,
        system: true,
        conditions: RuleConditions::default().to_json(),
        actions: SignOnActions::default_rule().to_json(),
        created: now,
        last_updated: now,
    }
}

/// Whether a policy covers a user in `group_ids` (their groups, `Everyone` included).
pub fn covers(policy: &SignOnPolicy, group_ids: &[String]) -> bool {
    let groups = policy_groups(policy);
    groups.is_empty()
        || groups
            .iter()
            .any(|g| *g == everyone_id() || group_ids.contains(g))
}

/// Whether evaluating `policies` needs the user's groups: some ACTIVE policy names a group other than `Everyone`.
/// (Most sign-ins then skip that read.)
pub fn needs_groups(policies: &[SignOnPolicy]) -> bool {
    let everyone = everyone_id();
    policies.iter().any(|p| {
        p.status == LifecycleStatus::Active && policy_groups(p).iter().any(|g| *g != everyone)
    })
}

/// The ACTIVE policies covering a user, in priority order: the order [`decide`] is asked in.
pub fn applicable<'a>(policies: &'a [SignOnPolicy], group_ids: &[String]) -> Vec<&'a SignOnPolicy> {
    let mut v: Vec<&SignOnPolicy> = policies
        .iter()
        .filter(|p| p.status == LifecycleStatus::Active && covers(p, group_ids))
        .collect();
    v.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
    v
}

/// Which policy and rule decided, and what they say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub policy_id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub policy_name: String,
    pub access: Access,
    pub require_factor: bool,
}

/// The first ACTIVE rule of `policy` (by priority) that applies to the user, as a decision; `None`: pass on to
/// the next policy.
pub fn decide(policy: &SignOnPolicy, rules: &[PolicyRule], user_id: &str) -> Option<Decision> {
    let mut active: Vec<&PolicyRule> = rules
        .iter()
        .filter(|r| r.status == LifecycleStatus::Active && r.policy_id == policy.id)
        .collect();
    active.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
    active.into_iter().find_map(|rule| {
        let (conditions, actions) = stored_rule(rule)?;
        conditions.matches(user_id).then(|| Decision {
            policy_id: policy.id.clone(),
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            policy_name: policy.name.clone(),
            access: actions.access,
            require_factor: actions.require_factor,
        })
    })
}

/// [`applicable`] then [`decide`] over policies whose rules are at hand (the sign-in reads rules one policy at a
/// time instead, stopping at the first decision).
pub fn evaluate(
    policies: &[(SignOnPolicy, Vec<PolicyRule>)],
    user_id: &str,
    group_ids: &[String],
) -> Option<Decision> {
    let only: Vec<SignOnPolicy> = policies.iter().map(|(p, _)| p.clone()).collect();
    applicable(&only, group_ids).into_iter().find_map(|p| {
        let rules = policies
            .iter()
            .find(|(q, _)| q.id == p.id)
            .map(|(_, r)| r.as_slice())
            .unwrap_or_default();
        decide(p, rules, user_id)
    })
}

/// What a verified password leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The sign-in fails (as a wrong password does).
    Deny,
    /// Signed in with the password alone.
    Success,
    /// The MFA step with one of the user's active factors.
    Mfa,
    /// The user must enrol a factor first (TOTP), then is signed in.
    Enroll,
}

/// The next step for a user with (or without) an active factor under `decision` (`None`: no rule matched).
pub fn next_step(decision: Option<&Decision>, has_active_factor: bool) -> Step {
    match decision {
        None => Step::Deny,
        Some(d) if d.access == Access::Deny => Step::Deny,
        Some(_) if has_active_factor => Step::Mfa,
        Some(d) if d.require_factor => Step::Enroll,
        Some(_) => Step::Success,
    }
}

/// How long an enrolment's state token lives: the MFA state token's lifetime, but at least 10 minutes (scanning a
/// QR code takes longer than typing a code).
pub fn enrolment_ttl(state_token_ttl: Duration) -> Duration {
    state_token_ttl.max(Duration::minutes(10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn policy(id: &str, priority: i64, groups: &[&str]) -> SignOnPolicy {
        let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
        SignOnPolicy {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            priority,
            status: LifecycleStatus::Active,
            system: false,
            conditions: policy_conditions(&groups),
            created: Utc::now(),
            last_updated: Utc::now(),
        }
    }

    fn rule(id: &str, policy: &str, priority: i64, body: Value) -> PolicyRule {
        let f = validate_rule(&body, true).unwrap();
        PolicyRule {
            id: id.into(),
            policy_id: policy.into(),
            name: id.into(),
            priority,
            status: LifecycleStatus::Active,
            system: false,
            conditions: f.conditions.to_json(),
            actions: f.actions.to_json(),
            created: Utc::now(),
            last_updated: Utc::now(),
        }
    }

    fn body(access: &str, factor: bool) -> Value {
        let mut signon = json!({ "access": access, "requireFactor": factor });
        if factor {
            signon["factorPromptMode"] = json!("ALWAYS");
        }
        json!({ "type": "SIGN_ON", "name": "r", "actions": { "signon": signon } })
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn defaults() -> (SignOnPolicy, PolicyRule) {
        // The store keeps the Default Policy last.
        let p = SignOnPolicy {
            priority: 99,
            ..default_policy(Utc::now())
        };
        let r = default_rule(&p.id, Utc::now());
        (p, r)
    }

    #[test]
    fn the_default_policy_lets_everyone_in_with_a_password() {
        let (p, r) = defaults();
        assert!(p.system && r.system);
        assert_eq!(
            p.conditions["people"]["groups"]["include"][0],
            everyone_id()
        );
        let d = evaluate(&[(p.clone(), vec![r])], "00u1", &[everyone_id()]).unwrap();
        assert_eq!(
            (d.policy_id.as_str(), d.access),
            (p.id.as_str(), Access::Allow)
        );
        assert!(!d.require_factor);
        assert_eq!(next_step(Some(&d), false), Step::Success);
        // An enrolled user is still asked for the factor.
        assert_eq!(next_step(Some(&d), true), Step::Mfa);
        assert!(!needs_groups(&[p]));
    }

    #[test]
    fn the_first_covering_policy_by_priority_and_its_first_rule_decide() {
        let (dp, dr) = defaults();
        let admins = policy("p-admins", 1, &["00gadmins"]);
        let mfa = rule("r-mfa", "p-admins", 2, body("ALLOW", true));
        let deny_bob = {
            let mut b = body("DENY", false);
            b["conditions"] = json!({ "people": { "users": { "exclude": ["00ualice"] } } });
            rule("r-deny", "p-admins", 1, b)
        };
        let set = vec![
            (dp.clone(), vec![dr.clone()]),
            (admins.clone(), vec![mfa.clone(), deny_bob.clone()]),
        ];
        assert!(needs_groups(&[dp.clone(), admins.clone()]));
        let in_admins = s(&["00gadmins", &everyone_id()]);
        let plain = vec![everyone_id()];
        // Bob (an admin) meets the DENY rule first; Alice is excluded from it and meets the MFA rule.
        let bob = evaluate(&set, "00ubob", &in_admins).unwrap();
        assert_eq!(bob.rule_id, "r-deny");
        assert_eq!(next_step(Some(&bob), true), Step::Deny);
        let alice = evaluate(&set, "00ualice", &in_admins).unwrap();
        assert_eq!(alice.rule_id, "r-mfa");
        assert_eq!(next_step(Some(&alice), false), Step::Enroll);
        assert_eq!(next_step(Some(&alice), true), Step::Mfa);
        // Someone outside the group gets the Default Policy.
        let other = evaluate(&set, "00ubob", &plain).unwrap();
        assert_eq!(other.policy_id, dp.id);
        // An inactive rule is skipped; an inactive policy too.
        let mut inactive = deny_bob.clone();
        inactive.status = LifecycleStatus::Inactive;
        let set2 = vec![
            (dp.clone(), vec![dr.clone()]),
            (admins.clone(), vec![mfa.clone(), inactive]),
        ];
        assert_eq!(
            evaluate(&set2, "00ubob", &in_admins).unwrap().rule_id,
            "r-mfa"
        );
        let mut off = admins.clone();
        off.status = LifecycleStatus::Inactive;
        let set3 = vec![(dp.clone(), vec![dr.clone()]), (off, vec![mfa, deny_bob])];
        assert_eq!(
            evaluate(&set3, "00ubob", &in_admins).unwrap().policy_id,
            dp.id
        );
    }

    #[test]
    fn a_covering_policy_without_a_matching_rule_passes_on_and_nothing_matching_denies() {
        let (dp, mut dr) = defaults();
        let p = policy("p", 1, &[]);
        let mut b = body("DENY", false);
        b["conditions"] = json!({ "people": { "users": { "exclude": ["00uada"] } } });
        let r = rule("r", "p", 1, b);
        let set = vec![(p, vec![r]), (dp.clone(), vec![dr.clone()])];
        assert_eq!(evaluate(&set, "00uada", &[]).unwrap().policy_id, dp.id);
        assert_eq!(evaluate(&set, "00ubob", &[]).unwrap().access, Access::Deny);
        dr.conditions = RuleConditions {
            users_exclude: s(&["00uada"]),
        }
        .to_json();
        let set = vec![(dp, vec![dr])];
        let none = evaluate(&set, "00uada", &[everyone_id()]);
        assert_eq!(none, None);
        assert_eq!(next_step(None, false), Step::Deny);
    }

    #[test]
    fn policy_bodies_are_validated_with_causes() {
        let e = validate_policy(&json!({}), true).unwrap_err();
        assert!(e.names("type") && e.names("name"), "{e}");
        let e = validate_policy(&json!({"type": "PASSWORD", "name": "p"}), true).unwrap_err();
        assert!(e.to_string().contains("not supported"), "{e}");
        let e = validate_policy(
            &json!({"type": "OKTA_SIGN_ON", "name": "p", "priority": 0,
                "conditions": {"people": {"groups": {"include": "00g", "exclude": ["00g"]}, "users": {"include": ["00u1"]}}, "network": {"connection": "ANYWHERE"}}}),
            true,
        )
        .unwrap_err();
        for f in [
            "priority",
            "conditions.people.groups.include",
            "conditions.people.groups.exclude",
            "conditions.people.users",
            "conditions.network",
        ] {
            assert!(e.names(f), "{f}: {e}");
        }
        let ok = validate_policy(
            &json!({"type": "OKTA_SIGN_ON", "name": "p", "conditions": {"people": {"groups": {"include": ["00g1", "00g1"]}}}}),
            true,
        )
        .unwrap();
        assert_eq!(ok.groups, s(&["00g1"]));
        // A replace may leave the type out; members that say nothing pass, as SDKs send them.
        assert!(validate_policy(&json!({"name": "p"}), false).is_ok());
        assert!(
            validate_policy(
                &json!({"type": "OKTA_SIGN_ON", "name": "p",
                    "conditions": {"people": {"groups": {"include": [], "exclude": []}, "users": null}, "network": {}}}),
                true
            )
            .is_ok()
        );
    }

    #[test]
    fn rule_bodies_are_validated_with_causes() {
        let e = validate_rule(&json!({"type": "SIGN_ON", "name": "r"}), true).unwrap_err();
        assert!(e.names("actions.signon.access"), "{e}");
        let e = validate_rule(
            &json!({"type": "SIGN_ON", "name": "r",
                "conditions": {"people": {"users": {"include": ["00u1"]}, "groups": {"include": ["00g1"]}}, "network": {"connection": "ZONE"}, "authContext": {"authType": "RADIUS"}, "risk": {"level": "HIGH"}},
                "actions": {"signon": {"access": "MAYBE", "requireFactor": true, "factorLifetime": 0,
                    "session": {"maxSessionIdleMinutes": 0, "maxSessionLifetimeMinutes": -1}}}}),
            true,
        )
        .unwrap_err();
        for f in [
            "conditions.people.users.include",
            "conditions.people.groups",
            "conditions.network.connection",
            "conditions.authContext.authType",
            "conditions.risk",
            "actions.signon.access",
            "actions.signon.factorPromptMode",
            "actions.signon.factorLifetime",
            "actions.signon.session.maxSessionIdleMinutes",
            "actions.signon.session.maxSessionLifetimeMinutes",
        ] {
            assert!(e.names(f), "{f}: {e}");
        }
        let e = validate_rule(&body("DENY", true), true).unwrap_err();
        assert!(e.names("actions.signon.requireFactor"));
        let ok = validate_rule(&body("ALLOW", true), true).unwrap();
        let j = ok.actions.to_json();
        assert_eq!(j["signon"]["factorPromptMode"], "ALWAYS");
        assert_eq!(j["signon"]["factorLifetime"], 15);
        assert_eq!(j["signon"]["session"]["maxSessionIdleMinutes"], 120);
        let plain = validate_rule(&body("ALLOW", false), true).unwrap();
        assert!(
            plain.actions.to_json()["signon"]
                .get("factorPromptMode")
                .is_none()
        );
        assert_eq!(
            plain.conditions.to_json()["network"]["connection"],
            "ANYWHERE"
        );
        // A stored rule reads back as it was written.
        let r = rule("r", "p", 1, body("ALLOW", true));
        let (c, a) = stored_rule(&r).unwrap();
        assert_eq!((c, a), (ok.conditions, ok.actions));
    }
}
