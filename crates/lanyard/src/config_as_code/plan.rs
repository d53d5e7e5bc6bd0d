//! `plan`: what `apply` would change to make the org match the file — per object, create, update (with the fields
//! that differ) or, with `--prune`, delete. Fields the file leaves out of an app's settings or credentials, a
//! user's profile, a scope, a claim or a rule's conditions and actions keep the instance's values; lists (groups,
//! roles, assignments, audiences, a policy's clients and groups, a trusted origin's scopes) are compared as sets;
//! policies and rules are in priority order, compared among those both sides name.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use super::document::{
    AccessPolicySpec, AppSpec, Document, GroupSpec, RuleSpec, ServerSpec, SignOnPolicySpec,
    TrustedOriginSpec, UserSpec,
};
use super::export::claim_key;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Group,
    User,
    App,
    AuthorizationServer,
    SignOnPolicy,
    TrustedOrigin,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::User => "user",
            Kind::App => "app",
            Kind::AuthorizationServer => "authorization server",
            Kind::SignOnPolicy => "sign-on policy",
            Kind::TrustedOrigin => "trusted origin",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One object's change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub action: Action,
    pub kind: Kind,
    pub key: String,
    /// For an update: what differs (`profile.firstName`, `groups`, `scope orders:read`, …).
    pub fields: Vec<String>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, verb) = match self.action {
            Action::Create => ('+', "create"),
            Action::Update => ('~', "update"),
            Action::Delete => ('-', "delete"),
        };
        write!(f, "{sign} {verb} {} {:?}", self.kind.as_str(), self.key)?;
        if !self.fields.is_empty() {
            write!(f, ": {}", self.fields.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Objects the instance has and the file does not name, kept (without `--prune`, or because they cannot be
    /// deleted), with the reason.
    pub kept: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            writeln!(f, "{c}")?;
        }
        for k in &self.kept {
            writeln!(f, "  keep {k}")?;
        }
        if self.is_empty() {
            writeln!(f, "No changes: the org matches the file.")
        } else {
            writeln!(
                f,
                "Plan: {} to create, {} to update, {} to delete.",
                self.count(Action::Create),
                self.count(Action::Update),
                self.count(Action::Delete)
            )
        }
    }
}

/// The changes that make `have` (the instance, as exported) match `want` (the file).
pub fn plan(want: &Document, have: &Document, prune: bool) -> Plan {
    let mut p = Plan::default();
    let mut deletes = Vec::new();
    diff(
        &mut p,
        &mut deletes,
        prune,
        Kind::Group,
        &want.groups,
        &have.groups,
        |g: &GroupSpec| g.name.clone(),
        group_fields,
    );
    diff(
        &mut p,
        &mut deletes,
        prune,
        Kind::User,
        &want.users,
        &have.users,
        |u: &UserSpec| u.login.clone(),
        user_fields,
    );
    diff(
        &mut p,
        &mut deletes,
        prune,
        Kind::App,
        &want.apps,
        &have.apps,
        |a: &AppSpec| a.label.clone(),
        app_fields,
    );
    diff(
        &mut p,
        &mut deletes,
        prune,
        Kind::AuthorizationServer,
        &want.authorization_servers,
        &have.authorization_servers,
        |s: &ServerSpec| s.name.clone(),
        |w, h| server_fields(w, h, prune),
    );
    // The Default Policy stays last wherever the file puts it: its place is not compared.
    let moved = moved(
        &names(&want.sign_on_policies, |p| &p.name),
        &movable(&have.sign_on_policies),
    );
    // The Default Policy is never deleted, nor listed as kept: it is in every org.
    let have_signon: Vec<SignOnPolicySpec> = have
        .sign_on_policies
        .iter()
        .filter(|h| !h.system || want.sign_on_policies.iter().any(|w| w.name == h.name))
        .cloned()
        .collect();
    diff(
        &mut p,
        &mut deletes,
        prune,
        Kind::SignOnPolicy,
        &want.sign_on_policies,
        &have_signon,
        |s: &SignOnPolicySpec| s.name.clone(),
        |w, h| {
            let mut f = signon_fields(w, h, prune);
            if moved.contains(&w.name) {
                f.push("priority".into());
            }
            f
        },
    );
    diff(
        &mut p,
        &mut deletes,
        prune,
        Kind::TrustedOrigin,
        &want.trusted_origins,
        &have.trusted_origins,
        |t: &TrustedOriginSpec| t.origin.clone(),
        origin_fields,
    );
    // Deletes last, dependents first: trusted origins, sign-on policies, servers, apps, users, groups.
    deletes.sort_by_key(|c| std::cmp::Reverse(c.kind));
    p.changes.extend(deletes);
    if !prune && !p.kept.is_empty() {
        p.kept
            .push("(objects the file does not name are kept; --prune deletes them)".into());
    }
    p.kept.push(
        "the org authorization server, the built-in Everyone group and the Default sign-on policy (they cannot be deleted)"
            .into(),
    );
    p
}

#[allow(clippy::too_many_arguments)]
fn diff<T>(
    p: &mut Plan,
    deletes: &mut Vec<Change>,
    prune: bool,
    kind: Kind,
    want: &[T],
    have: &[T],
    key: impl Fn(&T) -> String,
    fields: impl Fn(&T, &T) -> Vec<String>,
) {
    for w in want {
        let k = key(w);
        match have.iter().find(|h| key(h) == k) {
            None => p.changes.push(Change {
                action: Action::Create,
                kind,
                key: k,
                fields: vec![],
            }),
            Some(h) => {
                let f = fields(w, h);
                if !f.is_empty() {
                    p.changes.push(Change {
                        action: Action::Update,
                        kind,
                        key: k,
                        fields: f,
                    });
                }
            }
        }
    }
    for h in have {
        let k = key(h);
        if want.iter().any(|w| key(w) == k) {
            continue;
        }
        if prune {
            deletes.push(Change {
                action: Action::Delete,
                kind,
                key: k,
                fields: vec![],
            });
        } else {
            p.kept.push(format!("{} {k:?}", kind.as_str()));
        }
    }
}

fn group_fields(w: &GroupSpec, h: &GroupSpec) -> Vec<String> {
    if w.description != h.description {
        vec!["description".into()]
    } else {
        vec![]
    }
}

/// The keys of `want` whose value differs in `have`, as `prefix.key`.
fn subset(prefix: &str, want: &Map<String, Value>, have: &Map<String, Value>) -> Vec<String> {
    want.iter()
        .filter(|(k, v)| have.get(*k).unwrap_or(&Value::Null) != *v)
        .map(|(k, _)| format!("{prefix}{k}"))
        .collect()
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

/// A user the file gives no password and calls ACTIVE is made as the API makes it: PROVISIONED, waiting for its
/// activation link. The two are the same for the plan.
pub fn same_status(w: &UserSpec, have: &str) -> bool {
    w.status == have || (w.status == "ACTIVE" && have == "PROVISIONED" && w.password.is_none())
}

fn user_fields(w: &UserSpec, h: &UserSpec) -> Vec<String> {
    let mut f = subset("profile.", &w.profile, &h.profile);
    if !same_status(w, &h.status) {
        f.push(format!("status {} → {}", h.status, w.status));
    }
    if !same_set(&w.groups, &h.groups) {
        f.push("groups".into());
    }
    if !same_set(&w.roles, &h.roles) {
        f.push("roles".into());
    }
    f
}

fn app_fields(w: &AppSpec, h: &AppSpec) -> Vec<String> {
    let mut f = Vec::new();
    if w.status != h.status {
        f.push(format!("status {} → {}", h.status, w.status));
    }
    if w.client_id.is_some() && w.client_id != h.client_id {
        f.push("clientId (cannot change: delete the app to make it anew)".into());
    }
    match (&w.catalog, &h.catalog) {
        (Some(wc), Some(hc)) if wc.key == hc.key => {
            f.extend(subset("catalog.variables.", &wc.variables, &hc.variables))
        }
        (None, None) => {
            f.extend(subset("settings.", &w.settings, &h.settings));
            f.extend(subset("credentials.", &w.credentials, &h.credentials));
        }
        _ => f.push("catalog (cannot change: delete the app to make it anew)".into()),
    }
    if !same_set(&w.assignments.groups, &h.assignments.groups) {
        f.push("assignments.groups".into());
    }
    if !same_set(&w.assignments.users, &h.assignments.users) {
        f.push("assignments.users".into());
    }
    f
}

fn server_fields(w: &ServerSpec, h: &ServerSpec, prune: bool) -> Vec<String> {
    let mut f = Vec::new();
    if w.description.is_some() && w.description != h.description {
        f.push("description".into());
    }
    if !same_set(&w.audiences, &h.audiences) {
        f.push("audiences".into());
    }
    if w.status != h.status {
        f.push(format!("status {} → {}", h.status, w.status));
    }
    let name = |m: &Map<String, Value>| {
        m.get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    f.extend(children("scope", &w.scopes, &h.scopes, name, prune));
    f.extend(children("claim", &w.claims, &h.claims, claim_key, prune));
    f.extend(access_policies(&w.policies, &h.policies, prune));
    f
}

/// The names of the sign-on policies that have a place of their own (all but the Default Policy), in order.
pub fn movable(policies: &[SignOnPolicySpec]) -> Vec<String> {
    policies
        .iter()
        .filter(|p| !p.system)
        .map(|p| p.name.clone())
        .collect()
}

/// The names of `items`, in order.
pub fn names<T>(items: &[T], name: impl Fn(&T) -> &String) -> Vec<String> {
    items.iter().map(|i| name(i).clone()).collect()
}

/// The names whose place differs between `want` and `have`, among the names both hold: what a priority change
/// must move.
pub fn moved(want: &[String], have: &[String]) -> BTreeSet<String> {
    let w: Vec<&String> = want.iter().filter(|n| have.contains(n)).collect();
    let h: Vec<&String> = have.iter().filter(|n| want.contains(n)).collect();
    w.iter()
        .zip(&h)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| (*a).clone())
        .collect()
}

/// Whether `have` holds everything `want` says: objects key by key (what `want` leaves out is the instance's),
/// anything else equal.
pub fn covers(want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| covers(v, hv)) || v.is_null()),
        (w, h) => w == h,
    }
}

fn rule_differs(w: &RuleSpec, h: &RuleSpec) -> bool {
    w.status != h.status
        || !covers(
            &Value::Object(w.conditions.clone()),
            &Value::Object(h.conditions.clone()),
        )
        || !covers(
            &Value::Object(w.actions.clone()),
            &Value::Object(h.actions.clone()),
        )
}

/// A policy's rules: `rule +name`, `rule ~name` (changed or moved), `rule -name` (with `--prune`; never a system
/// rule).
pub fn rules(want: &[RuleSpec], have: &[RuleSpec], prune: bool) -> Vec<String> {
    let moved = moved(&names(want, |r| &r.name), &names(have, |r| &r.name));
    let mut f = Vec::new();
    for w in want {
        match have.iter().find(|h| h.name == w.name) {
            None => f.push(format!("rule +{}", w.name)),
            Some(h) if rule_differs(w, h) || moved.contains(&w.name) => {
                f.push(format!("rule ~{}", w.name))
            }
            Some(_) => {}
        }
    }
    if prune {
        for h in have {
            if !h.system && !want.iter().any(|w| w.name == h.name) {
                f.push(format!("rule -{}", h.name));
            }
        }
    }
    f
}

/// Whether a policy's own fields (not its rules) differ.
pub fn access_policy_differs(w: &AccessPolicySpec, h: &AccessPolicySpec) -> bool {
    (w.description.is_some() && w.description != h.description)
        || w.status != h.status
        || !same_set(&w.clients, &h.clients)
}

/// A server's access policies: `policy +name`, `policy ~name` (with what changed in its rules), `policy -name`.
fn access_policies(
    want: &[AccessPolicySpec],
    have: &[AccessPolicySpec],
    prune: bool,
) -> Vec<String> {
    let moved = moved(&names(want, |p| &p.name), &names(have, |p| &p.name));
    let mut f = Vec::new();
    for w in want {
        match have.iter().find(|h| h.name == w.name) {
            None => f.push(format!("policy +{}", w.name)),
            Some(h) => {
                let mut what = rules(&w.rules, &h.rules, prune);
                if access_policy_differs(w, h) || moved.contains(&w.name) {
                    what.insert(0, "policy".into());
                }
                if !what.is_empty() {
                    f.push(format!("policy ~{} ({})", w.name, what.join(", ")));
                }
            }
        }
    }
    if prune {
        for h in have {
            if !want.iter().any(|w| w.name == h.name) {
                f.push(format!("policy -{}", h.name));
            }
        }
    }
    f
}

/// Whether a sign-on policy's own fields (not its rules or its place) differ.
pub fn signon_policy_differs(w: &SignOnPolicySpec, h: &SignOnPolicySpec) -> bool {
    (w.description.is_some() && w.description != h.description)
        || w.status != h.status
        || (!w.groups.is_empty() && !same_set(&w.groups, &h.groups))
}

fn signon_fields(w: &SignOnPolicySpec, h: &SignOnPolicySpec, prune: bool) -> Vec<String> {
    let mut f = Vec::new();
    if w.description.is_some() && w.description != h.description {
        f.push("description".into());
    }
    if w.status != h.status {
        f.push(format!("status {} → {}", h.status, w.status));
    }
    if !w.groups.is_empty() && !same_set(&w.groups, &h.groups) {
        f.push("groups".into());
    }
    f.extend(rules(&w.rules, &h.rules, prune));
    f
}

fn origin_fields(w: &TrustedOriginSpec, h: &TrustedOriginSpec) -> Vec<String> {
    let mut f = Vec::new();
    if w.name != h.name {
        f.push("name".into());
    }
    if !same_set(&w.scopes, &h.scopes) {
        f.push("scopes".into());
    }
    if w.status != h.status {
        f.push(format!("status {} → {}", h.status, w.status));
    }
    f
}

/// Scopes or claims of a server: `+name` to create, `~name` to update, `-name` to delete (with `--prune`).
fn children(
    what: &str,
    want: &[Map<String, Value>],
    have: &[Map<String, Value>],
    key: impl Fn(&Map<String, Value>) -> String,
    prune: bool,
) -> Vec<String> {
    let mut f = Vec::new();
    for w in want {
        match have.iter().find(|h| key(h) == key(w)) {
            None => f.push(format!("{what} +{}", key(w))),
            Some(h) if !subset("", w, h).is_empty() => f.push(format!("{what} ~{}", key(w))),
            Some(_) => {}
        }
    }
    if prune {
        for h in have {
            if !want.iter().any(|w| key(w) == key(h)) {
                f.push(format!("{what} -{}", key(h)));
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        Document::parse(&format!("apiVersion: lanyard/v1\n{text}")).unwrap()
    }

    #[test]
    fn a_plan_lists_creates_updates_and_with_prune_deletes() {
        let have = doc(
            "groups:\n- name: Ops\n- name: Old\nusers:\n- login: ada@example.com\n  profile: {firstName: Ada, lastName: L}\n  groups: [Ops]\n",
        );
        let want = doc(
            "groups:\n- name: Ops\n- name: Eng\nusers:\n- login: ada@example.com\n  profile: {firstName: Augusta}\n  groups: [Ops, Eng]\n",
        );
        let p = plan(&want, &have, false);
        let lines: Vec<String> = p.changes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            lines,
            vec![
                "+ create group \"Eng\"",
                "~ update user \"ada@example.com\": profile.firstName, groups"
            ]
        );
        assert!(p.kept.contains(&"group \"Old\"".to_owned()));
        let p = plan(&want, &have, true);
        assert_eq!(
            p.changes.last().unwrap().to_string(),
            "- delete group \"Old\""
        );
        assert!(plan(&want, &want, true).is_empty());
    }

    #[test]
    fn order_is_compared_among_the_names_both_sides_hold_and_rules_may_say_less() {
        let v = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(moved(&v(&["a", "b"]), &v(&["kept", "a", "b"])).is_empty());
        assert_eq!(
            moved(&v(&["b", "a"]), &v(&["a", "x", "b"])),
            ["a", "b"].iter().map(|s| s.to_string()).collect()
        );
        let have = serde_json::json!({"network": {"connection": "ANYWHERE"}, "people": {"users": {"exclude": []}}});
        assert!(covers(
            &serde_json::json!({"people": {"users": {"exclude": []}}}),
            &have
        ));
        assert!(!covers(
            &serde_json::json!({"people": {"users": {"exclude": ["bob"]}}}),
            &have
        ));

        let mut have = doc(
            "signOnPolicies:\n- name: Admins\n  groups: [Ops]\n  rules:\n  - name: MFA\n  - name: Old\n- name: Default Policy\n",
        );
        let want = doc(
            "signOnPolicies:\n- name: Admins\n  groups: [Ops]\n  rules:\n  - name: MFA\n    status: INACTIVE\n",
        );
        have.sign_on_policies[1].system = true;
        // The Default Policy named first: no change of place.
        let first = doc(
            "signOnPolicies:\n- name: Default Policy\n- name: Admins\n  groups: [Ops]\n  rules:\n  - name: MFA\n  - name: Old\n",
        );
        assert!(plan(&first, &have, false).is_empty());
        let p = plan(&want, &have, true);
        let lines: Vec<String> = p.changes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            lines,
            vec!["~ update sign-on policy \"Admins\": rule ~MFA, rule -Old"]
        );
        assert_eq!(
            p.kept.len(),
            1,
            "the Default Policy is not listed: {:?}",
            p.kept
        );
    }
}
