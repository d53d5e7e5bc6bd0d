//! `apply`: carries out a [`Plan`] through the management API's operations, in dependency order — groups, users
//! (their groups and roles), apps (their assignments), authorization servers (their scopes, claims, access policies
//! and rules), sign-on policies and rules, trusted origins, then the deletes `--prune` asked for. Users are created
//! several at once where each one's password hash is worth the wait (`users_at_once`; one after the other on a
//! disposable instance). Policies and rules are written at their place in the file (priority 1 first).

use anyhow::Context;
use axum::http::Method;
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;

use super::document::{
    AppSpec, Document, RuleSpec, Secrets, ServerSpec, SignOnPolicySpec, TrustedOriginSpec, UserSpec,
};
use super::export::{Ids, claim_key, map_people};
use super::ops::{Operations, must};
use super::plan::{Action, Change, Kind, Plan};

/// At most this many users are created at once (each waits for its password's hash).
pub const USERS_AT_ONCE: usize = 16;

#[allow(clippy::too_many_arguments)]
pub async fn apply<O: Operations>(
    ops: &O,
    plan: &Plan,
    want: &Document,
    have: &Document,
    ids: &mut Ids,
    secrets: &Secrets,
    prune: bool,
    users_at_once: usize,
) -> anyhow::Result<()> {
    let of = |kind: Kind, action: Action| {
        plan.changes
            .iter()
            .filter(move |c| c.kind == kind && c.action == action)
    };
    for c in of(Kind::Group, Action::Create).chain(of(Kind::Group, Action::Update)) {
        let g = want
            .groups
            .iter()
            .find(|g| g.name == c.key)
            .context("group")?;
        let body = json!({"profile": {"name": g.name, "description": g.description}});
        let what = format!("group {:?}", g.name);
        match ids.groups.get(&g.name) {
            Some(id) => {
                must(
                    ops,
                    &what,
                    Method::PUT,
                    &format!("/groups/{id}"),
                    Some(body),
                )
                .await?;
            }
            None => {
                let made = must(ops, &what, Method::POST, "/groups", Some(body)).await?;
                ids.groups.insert(g.name.clone(), text(&made["id"]));
            }
        }
    }

    // New users, several at once; then every user's changes in order. A new user's status is the one creating it
    // answered (not read again).
    let mut made_status = std::collections::BTreeMap::new();
    let mut creating = JoinSet::new();
    for c in of(Kind::User, Action::Create) {
        let u = want
            .users
            .iter()
            .find(|u| u.login == c.key)
            .context("user")?
            .clone();
        let password = secrets.passwords.get(&u.login).cloned();
        let ops = ops.clone();
        if creating.len() >= users_at_once.max(1)
            && let Some(done) = creating.join_next().await
        {
            let (login, id, status): (String, String, String) = done??;
            made_status.insert(login.clone(), status);
            ids.users.insert(login, id);
        }
        creating.spawn(async move { create_user(&ops, &u, password).await });
    }
    while let Some(done) = creating.join_next().await {
        let (login, id, status) = done??;
        made_status.insert(login.clone(), status);
        ids.users.insert(login, id);
    }
    for c in of(Kind::User, Action::Create).chain(of(Kind::User, Action::Update)) {
        let u = want
            .users
            .iter()
            .find(|u| u.login == c.key)
            .context("user")?;
        let before = have.users.iter().find(|h| h.login == u.login);
        update_user(ops, u, before, made_status.get(&u.login), c, ids).await?;
    }

    for c in of(Kind::App, Action::Create).chain(of(Kind::App, Action::Update)) {
        let a = want.apps.iter().find(|a| a.label == c.key).context("app")?;
        let before = have.apps.iter().find(|h| h.label == a.label);
        sync_app(ops, a, before, c, ids, secrets).await?;
    }

    for c in of(Kind::AuthorizationServer, Action::Create)
        .chain(of(Kind::AuthorizationServer, Action::Update))
    {
        let s = want
            .authorization_servers
            .iter()
            .find(|s| s.name == c.key)
            .context("server")?;
        let before = have.authorization_servers.iter().find(|h| h.name == s.name);
        sync_server(ops, s, before, ids, prune).await?;
    }

    if of(Kind::SignOnPolicy, Action::Create)
        .chain(of(Kind::SignOnPolicy, Action::Update))
        .next()
        .is_some()
    {
        sync_signon_policies(
            ops,
            &want.sign_on_policies,
            &have.sign_on_policies,
            ids,
            prune,
        )
        .await?;
    }

    for c in of(Kind::TrustedOrigin, Action::Create).chain(of(Kind::TrustedOrigin, Action::Update))
    {
        let t = want
            .trusted_origins
            .iter()
            .find(|t| t.origin == c.key)
            .context("trusted origin")?;
        let before = have.trusted_origins.iter().find(|h| h.origin == t.origin);
        sync_origin(ops, t, before, ids).await?;
    }

    for c in plan.changes.iter().filter(|c| c.action == Action::Delete) {
        delete(ops, c, ids).await?;
    }
    Ok(())
}

/// One policy to write: its name, its API body (but the priority, which is its place), whether its own fields
/// differ from the instance's, its rules and the instance's (`None`: a new policy).
struct PolicyWant<'a> {
    name: &'a str,
    body: Value,
    differs: bool,
    rules: &'a [RuleSpec],
    had: Option<&'a [RuleSpec]>,
}

/// Where a kind of policy lives and what its ids are: the policies' path, the rules' type, the instance's ids.
struct PolicyDoor<'a> {
    path: String,
    rule_type: &'static str,
    policy_id: &'a dyn Fn(&str) -> Option<String>,
    rule_id: &'a dyn Fn(&str, &str) -> Option<String>,
}

/// Writes policies and their rules at their place: a policy or rule that is new is created, one that differs or
/// moved is replaced (`PUT`, with its priority), and with `--prune` a rule the file does not name is deleted
/// (never a system rule). Policies to delete are the plan's.
async fn sync_policies<O: Operations>(
    ops: &O,
    what: &str,
    door: &PolicyDoor<'_>,
    wants: Vec<PolicyWant<'_>>,
    have_names: &[String],
    ids: &Ids,
    prune: bool,
) -> anyhow::Result<()> {
    let want_names: Vec<String> = wants.iter().map(|w| w.name.to_owned()).collect();
    let moved = super::plan::moved(&want_names, have_names);
    for (i, w) in wants.into_iter().enumerate() {
        let what = format!("{what}: policy {:?}", w.name);
        let mut body = w.body;
        body["priority"] = json!(i + 1);
        let pid = match (w.had, (door.policy_id)(w.name)) {
            (Some(_), Some(id)) => {
                if w.differs || moved.contains(w.name) {
                    let at = format!("{}/{id}", door.path);
                    must(ops, &what, Method::PUT, &at, Some(body)).await?;
                }
                id
            }
            _ => text(&must(ops, &what, Method::POST, &door.path, Some(body)).await?["id"]),
        };
        let rules_path = format!("{}/{pid}/rules", door.path);
        let had = w.had.unwrap_or(&[]);
        let moved_rules = super::plan::moved(
            &super::plan::names(w.rules, |r| &r.name),
            &super::plan::names(had, |r| &r.name),
        );
        for (j, r) in w.rules.iter().enumerate() {
            let mut conditions = r.conditions.clone();
            map_people(
                &mut conditions,
                |name| ids.groups.get(name).cloned(),
                |login| ids.users.get(login).cloned(),
            );
            let body = json!({
                "type": door.rule_type, "name": r.name, "status": r.status, "priority": j + 1,
                "conditions": conditions, "actions": r.actions,
            });
            let rwhat = format!("{what}: rule {:?}", r.name);
            let before = had.iter().find(|h| h.name == r.name);
            match (before, (door.rule_id)(w.name, &r.name)) {
                (Some(h), Some(rid)) => {
                    let differs = r.status != h.status
                        || !super::plan::covers(
                            &Value::Object(r.conditions.clone()),
                            &Value::Object(h.conditions.clone()),
                        )
                        || !super::plan::covers(
                            &Value::Object(r.actions.clone()),
                            &Value::Object(h.actions.clone()),
                        );
                    if differs || moved_rules.contains(&r.name) {
                        let at = format!("{rules_path}/{rid}");
                        must(ops, &rwhat, Method::PUT, &at, Some(body)).await?;
                    }
                }
                _ => {
                    must(ops, &rwhat, Method::POST, &rules_path, Some(body)).await?;
                }
            }
        }
        if prune {
            for h in had.iter().filter(|h| !h.system) {
                if !w.rules.iter().any(|r| r.name == h.name)
                    && let Some(rid) = (door.rule_id)(w.name, &h.name)
                {
                    let at = format!("{rules_path}/{rid}");
                    let rwhat = format!("{what}: rule {:?}", h.name);
                    must(ops, &rwhat, Method::DELETE, &at, None).await?;
                }
            }
        }
    }
    Ok(())
}

async fn sync_signon_policies<O: Operations>(
    ops: &O,
    want: &[SignOnPolicySpec],
    have: &[SignOnPolicySpec],
    ids: &Ids,
    prune: bool,
) -> anyhow::Result<()> {
    let mut wants = Vec::new();
    for w in want {
        let before = have.iter().find(|h| h.name == w.name);
        // No groups in the file: the policy's stay (a new one covers everyone).
        let names = match (w.groups.is_empty(), before) {
            (true, Some(b)) => &b.groups,
            _ => &w.groups,
        };
        let mut groups = Vec::new();
        for g in names {
            groups.push(
                ids.groups
                    .get(g)
                    .with_context(|| format!("sign-on policy {:?}: no group {g:?}", w.name))?
                    .clone(),
            );
        }
        let description = w
            .description
            .clone()
            .or_else(|| before.and_then(|b| b.description.clone()));
        wants.push(PolicyWant {
            name: &w.name,
            body: json!({
                "type": "OKTA_SIGN_ON", "name": w.name, "description": description, "status": w.status,
                "conditions": {"people": {"groups": {"include": groups}}},
            }),
            differs: before.is_some_and(|b| super::plan::signon_policy_differs(w, b)),
            rules: &w.rules,
            had: before.map(|b| &b.rules[..]),
        });
    }
    let door = PolicyDoor {
        path: "/policies".into(),
        rule_type: "SIGN_ON",
        policy_id: &|name| ids.signon_policies.get(name).cloned(),
        rule_id: &|p, r| ids.signon_rules.get(&(p.to_owned(), r.to_owned())).cloned(),
    };
    // The Default Policy stays last wherever the file puts it.
    let have_names = super::plan::movable(have);
    sync_policies(
        ops,
        "sign-on policies",
        &door,
        wants,
        &have_names,
        ids,
        prune,
    )
    .await
}

async fn sync_origin<O: Operations>(
    ops: &O,
    t: &TrustedOriginSpec,
    before: Option<&TrustedOriginSpec>,
    ids: &Ids,
) -> anyhow::Result<()> {
    let what = format!("trusted origin {:?}", t.origin);
    let scopes: Vec<Value> = t.scopes.iter().map(|s| json!({"type": s})).collect();
    let body = json!({"name": t.name, "origin": t.origin, "scopes": scopes});
    let (id, status) = match (before, ids.origins.get(&t.origin)) {
        (Some(b), Some(id)) => {
            if b.name != t.name || b.scopes != t.scopes {
                let at = format!("/trustedOrigins/{id}");
                must(ops, &what, Method::PUT, &at, Some(body)).await?;
            }
            (id.clone(), b.status.clone())
        }
        _ => {
            let made = must(ops, &what, Method::POST, "/trustedOrigins", Some(body)).await?;
            (text(&made["id"]), text(&made["status"]))
        }
    };
    if status != t.status {
        let op = if t.status == "INACTIVE" {
            "deactivate"
        } else {
            "activate"
        };
        let at = format!("/trustedOrigins/{id}/lifecycle/{op}");
        must(ops, &what, Method::POST, &at, None).await?;
    }
    Ok(())
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

async fn create_user<O: Operations>(
    ops: &O,
    u: &UserSpec,
    password: Option<String>,
) -> anyhow::Result<(String, String, String)> {
    let mut profile = u.profile.clone();
    profile.insert("login".into(), json!(u.login));
    let mut body = json!({ "profile": profile });
    if let Some(p) = password {
        body["credentials"] = json!({"password": {"value": p}});
    }
    let activate = u.status != "STAGED";
    let made = must(
        ops,
        &format!("user {:?}", u.login),
        Method::POST,
        &format!("/users?activate={activate}&sendEmail=false"),
        Some(body),
    )
    .await?;
    Ok((u.login.clone(), text(&made["id"]), text(&made["status"])))
}

async fn update_user<O: Operations>(
    ops: &O,
    u: &UserSpec,
    before: Option<&UserSpec>,
    made_status: Option<&String>,
    c: &Change,
    ids: &Ids,
) -> anyhow::Result<()> {
    let what = format!("user {:?}", u.login);
    let id = ids.users.get(&u.login).context("the user's id")?;
    let path = format!("/users/{id}");
    if before.is_some() && c.fields.iter().any(|f| f.starts_with("profile.")) {
        let body = json!({ "profile": u.profile });
        must(ops, &what, Method::POST, &path, Some(body)).await?;
    }
    // Status: from what the instance has (a new user: what creating answered, else read).
    let status = match (before, made_status) {
        (Some(b), _) => b.status.clone(),
        (None, Some(s)) if !s.is_empty() => s.clone(),
        (None, _) => text(&must(ops, &what, Method::GET, &path, None).await?["status"]),
    };
    if !super::plan::same_status(u, &status) {
        let op = match (status.as_str(), u.status.as_str()) {
            (_, "DEPROVISIONED") => "deactivate",
            ("SUSPENDED", "ACTIVE") => "unsuspend",
            (_, "SUSPENDED") => "suspend",
            ("DEPROVISIONED", _) => "reactivate",
            _ => "activate",
        };
        must(
            ops,
            &format!("{what} ({status} → {})", u.status),
            Method::POST,
            &format!("{path}/lifecycle/{op}?sendEmail=false"),
            None,
        )
        .await?;
    }
    let empty = Vec::new();
    let had_groups = before.map(|b| &b.groups).unwrap_or(&empty);
    for g in u.groups.iter().filter(|g| !had_groups.contains(g)) {
        let gid = ids
            .groups
            .get(g)
            .with_context(|| format!("{what}: no group {g:?} in the file or the org"))?;
        must(
            ops,
            &what,
            Method::PUT,
            &format!("/groups/{gid}/users/{id}"),
            None,
        )
        .await?;
    }
    for g in had_groups.iter().filter(|g| !u.groups.contains(g)) {
        if let Some(gid) = ids.groups.get(g) {
            must(
                ops,
                &what,
                Method::DELETE,
                &format!("/groups/{gid}/users/{id}"),
                None,
            )
            .await?;
        }
    }
    let had_roles = before.map(|b| &b.roles).unwrap_or(&empty);
    if u.roles.iter().any(|r| !had_roles.contains(r))
        || had_roles.iter().any(|r| !u.roles.contains(r))
    {
        let current = must(ops, &what, Method::GET, &format!("{path}/roles"), None).await?;
        for r in current.as_array().into_iter().flatten() {
            if !u.roles.contains(&text(&r["type"])) {
                must(
                    ops,
                    &what,
                    Method::DELETE,
                    &format!("{path}/roles/{}", text(&r["id"])),
                    None,
                )
                .await?;
            }
        }
        for r in u.roles.iter().filter(|r| !had_roles.contains(r)) {
            must(
                ops,
                &what,
                Method::POST,
                &format!("{path}/roles"),
                Some(json!({"type": r})),
            )
            .await?;
        }
    }
    Ok(())
}

/// The app body the Apps API takes: `current` (the instance's settings and credentials) overlaid with the file's.
fn app_body(a: &AppSpec, current: Option<&AppSpec>, secret: Option<&String>) -> Value {
    let mut credentials: Map<String, Value> =
        current.map(|c| c.credentials.clone()).unwrap_or_default();
    credentials.extend(a.credentials.clone());
    if let Some(id) = &a.client_id {
        credentials.insert("client_id".into(), json!(id));
    }
    if let Some(s) = secret {
        credentials.insert("client_secret".into(), json!(s));
    }
    match &a.catalog {
        Some(cat) => json!({
            "name": cat.key, "label": a.label, "signOnMode": "OPENID_CONNECT",
            "credentials": {"oauthClient": credentials},
            "settings": {"app": cat.variables},
        }),
        None => {
            let mut settings = current.map(|c| c.settings.clone()).unwrap_or_default();
            settings.extend(a.settings.clone());
            json!({
                "name": "oidc_client", "label": a.label, "signOnMode": "OPENID_CONNECT",
                "credentials": {"oauthClient": credentials},
                "settings": {"oauthClient": settings},
            })
        }
    }
}

async fn sync_app<O: Operations>(
    ops: &O,
    a: &AppSpec,
    before: Option<&AppSpec>,
    c: &Change,
    ids: &mut Ids,
    secrets: &Secrets,
) -> anyhow::Result<()> {
    let what = format!("app {:?}", a.label);
    if let Some(bad) = c.fields.iter().find(|f| f.contains("cannot change")) {
        anyhow::bail!("{what}: {bad}");
    }
    let id = match (before, ids.apps.get(&a.label)) {
        (Some(b), Some(id)) => {
            let changed = c.fields.iter().any(|f| {
                f.starts_with("settings.")
                    || f.starts_with("credentials.")
                    || f.starts_with("catalog.")
            });
            if changed {
                let mut body = app_body(a, Some(b), None);
                body["credentials"]["oauthClient"]
                    .as_object_mut()
                    .map(|m| m.remove("client_id"));
                must(ops, &what, Method::PUT, &format!("/apps/{id}"), Some(body)).await?;
            }
            id.clone()
        }
        _ => {
            let body = app_body(a, None, secrets.client_secrets.get(&a.label));
            let activate = a.status != "INACTIVE";
            let made = must(
                ops,
                &what,
                Method::POST,
                &format!("/apps?activate={activate}"),
                Some(body),
            )
            .await?;
            let id = text(&made["id"]);
            ids.apps.insert(a.label.clone(), id.clone());
            id
        }
    };
    let path = format!("/apps/{id}");
    if let Some(b) = before
        && b.status != a.status
    {
        let op = if a.status == "INACTIVE" {
            "deactivate"
        } else {
            "activate"
        };
        must(
            ops,
            &what,
            Method::POST,
            &format!("{path}/lifecycle/{op}"),
            None,
        )
        .await?;
    }
    let had = before.map(|b| &b.assignments);
    let (had_groups, had_users) = (had.map(|h| &h.groups[..]), had.map(|h| &h.users[..]));
    let groups = Assigned {
        segment: "groups",
        noun: "group",
        ids: &ids.groups,
    };
    let users = Assigned {
        segment: "users",
        noun: "user",
        ids: &ids.users,
    };
    sync_assigned(
        ops,
        &what,
        &path,
        &groups,
        &a.assignments.groups,
        had_groups.unwrap_or(&[]),
    )
    .await?;
    sync_assigned(
        ops,
        &what,
        &path,
        &users,
        &a.assignments.users,
        had_users.unwrap_or(&[]),
    )
    .await?;
    Ok(())
}

/// One kind of an app's assignments: its path segment under the app, its noun in messages, and its ids by key.
struct Assigned<'a> {
    segment: &'static str,
    noun: &'static str,
    ids: &'a std::collections::BTreeMap<String, String>,
}

/// Makes an app's assignments of one kind `want`, from `had`: a `PUT` on `{path}/{segment}/{id}` for each one added
/// (users and groups alike), a `DELETE` for each one gone.
async fn sync_assigned<O: Operations>(
    ops: &O,
    what: &str,
    path: &str,
    kind: &Assigned<'_>,
    want: &[String],
    had: &[String],
) -> anyhow::Result<()> {
    for key in want.iter().filter(|k| !had.contains(k)) {
        let id = kind
            .ids
            .get(key)
            .with_context(|| format!("{what}: no {} {key:?}", kind.noun))?;
        let at = format!("{path}/{}/{id}", kind.segment);
        must(ops, what, Method::PUT, &at, Some(json!({}))).await?;
    }
    for key in had.iter().filter(|k| !want.contains(k)) {
        if let Some(id) = kind.ids.get(key) {
            let at = format!("{path}/{}/{id}", kind.segment);
            must(ops, what, Method::DELETE, &at, None).await?;
        }
    }
    Ok(())
}

async fn sync_server<O: Operations>(
    ops: &O,
    s: &ServerSpec,
    before: Option<&ServerSpec>,
    ids: &mut Ids,
    prune: bool,
) -> anyhow::Result<()> {
    let what = format!("authorization server {:?}", s.name);
    // The API requires a description: a server the file gives none is described by its name.
    let description = s.description.clone().unwrap_or_else(|| s.name.clone());
    let body = json!({"name": s.name, "description": description, "audiences": s.audiences});
    let id = match (before, ids.servers.get(&s.name)) {
        (Some(b), Some(id)) => {
            if (s.description.is_some() && b.description != s.description)
                || b.audiences != s.audiences
            {
                must(
                    ops,
                    &what,
                    Method::PUT,
                    &format!("/authorizationServers/{id}"),
                    Some(body),
                )
                .await?;
            }
            id.clone()
        }
        _ => {
            let made = must(
                ops,
                &what,
                Method::POST,
                "/authorizationServers",
                Some(body),
            )
            .await?;
            let id = text(&made["id"]);
            ids.servers.insert(s.name.clone(), id.clone());
            id
        }
    };
    let path = format!("/authorizationServers/{id}");
    let status = match before {
        Some(b) => b.status.clone(),
        None => "ACTIVE".into(),
    };
    if status != s.status {
        let op = if s.status == "INACTIVE" {
            "deactivate"
        } else {
            "activate"
        };
        must(
            ops,
            &what,
            Method::POST,
            &format!("{path}/lifecycle/{op}"),
            None,
        )
        .await?;
    }
    let name = |m: &Map<String, Value>| m.get("name").map(text).unwrap_or_default();
    let none = Vec::new();
    let (had_scopes, had_claims) = match before {
        Some(b) => (&b.scopes, &b.claims),
        None => (&none, &none),
    };
    sync_children(
        ops,
        &what,
        &format!("{path}/scopes"),
        &s.scopes,
        had_scopes,
        name,
        |k| ids.scopes.get(&(s.name.clone(), k.to_owned())).cloned(),
        prune,
    )
    .await?;
    sync_children(
        ops,
        &what,
        &format!("{path}/claims"),
        &s.claims,
        had_claims,
        claim_key,
        |k| ids.claims.get(&(s.name.clone(), k.to_owned())).cloned(),
        prune,
    )
    .await?;
    let had_policies = before.map(|b| &b.policies[..]).unwrap_or(&[]);
    let wants = s
        .policies
        .iter()
        .map(|w| {
            let before = had_policies.iter().find(|h| h.name == w.name);
            let description = w
                .description
                .clone()
                .or_else(|| before.and_then(|b| b.description.clone()));
            PolicyWant {
                name: &w.name,
                body: json!({
                    "type": "OAUTH_AUTHORIZATION_POLICY", "name": w.name, "description": description,
                    "status": w.status, "conditions": {"clients": {"include": w.clients}},
                }),
                differs: before.is_some_and(|b| super::plan::access_policy_differs(w, b)),
                rules: &w.rules,
                had: before.map(|b| &b.rules[..]),
            }
        })
        .collect();
    let server = s.name.clone();
    let door = PolicyDoor {
        path: format!("{path}/policies"),
        rule_type: "RESOURCE_ACCESS",
        policy_id: &|name| {
            ids.access_policies
                .get(&(server.clone(), name.to_owned()))
                .cloned()
        },
        rule_id: &|p, r| {
            ids.access_rules
                .get(&(server.clone(), p.to_owned(), r.to_owned()))
                .cloned()
        },
    };
    let have_names = super::plan::names(had_policies, |p| &p.name);
    sync_policies(ops, &what, &door, wants, &have_names, ids, prune).await?;
    if prune {
        for h in had_policies {
            if !s.policies.iter().any(|w| w.name == h.name)
                && let Some(pid) = (door.policy_id)(&h.name)
            {
                let at = format!("{path}/policies/{pid}");
                must(
                    ops,
                    &format!("{what}: policy {:?}", h.name),
                    Method::DELETE,
                    &at,
                    None,
                )
                .await?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn sync_children<O: Operations>(
    ops: &O,
    what: &str,
    path: &str,
    want: &[Map<String, Value>],
    have: &[Map<String, Value>],
    key: impl Fn(&Map<String, Value>) -> String,
    id_of: impl Fn(&str) -> Option<String>,
    prune: bool,
) -> anyhow::Result<()> {
    for w in want {
        let k = key(w);
        match (have.iter().find(|h| key(h) == k), id_of(&k)) {
            (Some(h), Some(id)) => {
                if w.iter().any(|(f, v)| h.get(f) != Some(v)) {
                    let mut body = h.clone();
                    body.extend(w.clone());
                    must(
                        ops,
                        &format!("{what}: {k}"),
                        Method::PUT,
                        &format!("{path}/{id}"),
                        Some(Value::Object(body)),
                    )
                    .await?;
                }
            }
            _ => {
                must(
                    ops,
                    &format!("{what}: {k}"),
                    Method::POST,
                    path,
                    Some(Value::Object(w.clone())),
                )
                .await?;
            }
        }
    }
    if prune {
        for h in have {
            let k = key(h);
            if !want.iter().any(|w| key(w) == k)
                && let Some(id) = id_of(&k)
            {
                must(
                    ops,
                    &format!("{what}: {k}"),
                    Method::DELETE,
                    &format!("{path}/{id}"),
                    None,
                )
                .await?;
            }
        }
    }
    Ok(())
}

async fn delete<O: Operations>(ops: &O, c: &Change, ids: &Ids) -> anyhow::Result<()> {
    let what = format!("{c}");
    match c.kind {
        Kind::Group => {
            let id = ids.groups.get(&c.key).context("group id")?;
            must(ops, &what, Method::DELETE, &format!("/groups/{id}"), None).await?;
        }
        Kind::User => {
            let id = ids.users.get(&c.key).context("user id")?;
            // The first DELETE deactivates, the second deletes (as Okta's).
            let path = format!("/users/{id}");
            let u = must(ops, &what, Method::GET, &path, None).await?;
            if u["status"] != "DEPROVISIONED" {
                must(ops, &what, Method::DELETE, &path, None).await?;
            }
            must(ops, &what, Method::DELETE, &path, None).await?;
        }
        Kind::App => {
            let id = ids.apps.get(&c.key).context("app id")?;
            let path = format!("/apps/{id}");
            must(
                ops,
                &what,
                Method::POST,
                &format!("{path}/lifecycle/deactivate"),
                None,
            )
            .await?;
            must(ops, &what, Method::DELETE, &path, None).await?;
        }
        Kind::SignOnPolicy => {
            let id = ids.signon_policies.get(&c.key).context("policy id")?;
            must(ops, &what, Method::DELETE, &format!("/policies/{id}"), None).await?;
        }
        Kind::TrustedOrigin => {
            let id = ids.origins.get(&c.key).context("trusted origin id")?;
            let path = format!("/trustedOrigins/{id}");
            must(ops, &what, Method::DELETE, &path, None).await?;
        }
        Kind::AuthorizationServer => {
            let id = ids.servers.get(&c.key).context("server id")?;
            let path = format!("/authorizationServers/{id}");
            must(
                ops,
                &what,
                Method::POST,
                &format!("{path}/lifecycle/deactivate"),
                None,
            )
            .await?;
            must(ops, &what, Method::DELETE, &path, None).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use lanyard_core::clock::SystemClock;
    use lanyard_core::random::SystemRandom;
    use lanyard_server::{AppState, ServerConfig};

    use super::super::ops::{InProcess, Reply, RunToken};
    use super::super::{export, plan};
    use super::*;

    /// The API's operations, each one's method and path written down.
    #[derive(Clone)]
    struct Recording {
        inner: InProcess,
        calls: Arc<Mutex<Vec<String>>>,
        /// `POST /users` in flight now, and at most.
        creating: Arc<(AtomicUsize, AtomicUsize)>,
    }

    impl Operations for Recording {
        async fn call(
            &self,
            method: Method,
            path: &str,
            body: Option<Value>,
        ) -> anyhow::Result<Reply> {
            self.calls.lock().unwrap().push(format!("{method} {path}"));
            let creating = method == Method::POST && path.starts_with("/users?");
            if creating {
                let now = self.creating.0.fetch_add(1, Ordering::SeqCst) + 1;
                self.creating.1.fetch_max(now, Ordering::SeqCst);
            }
            let reply = self.inner.call(method, path, body).await;
            if creating {
                self.creating.0.fetch_sub(1, Ordering::SeqCst);
            }
            reply
        }
    }

    async fn state(dir: &tempfile::TempDir) -> AppState {
        let db = lanyard_store::Database::Sqlite(dir.path().join("lanyard.db"));
        let store = lanyard_store::open(&db, 4).await.unwrap();
        lanyard_core::bootstrap::bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Lanyard")
            .await
            .unwrap();
        let master = lanyard_core::crypto::master_key::MasterKey::generate(&SystemRandom);
        AppState::new(
            store,
            ServerConfig::new("http://127.0.0.1:8080"),
            Arc::new(SystemClock),
            Arc::new(SystemRandom),
            Arc::new(master),
        )
    }

    #[tokio::test]
    async fn new_users_are_not_read_back_after_they_are_made() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir).await;
        let want = Document::parse(
            "apiVersion: lanyard/v1\n\
             groups: [{name: Builders}]\n\
             users:\n\
             - {login: ada@example.com, profile: {firstName: Ada, lastName: L, email: ada@example.com}, groups: [Builders], password: '${env:ADA_PASSWORD}'}\n\
             - {login: bob@example.com, profile: {firstName: Bob, lastName: B, email: bob@example.com}, status: STAGED}\n",
        )
        .unwrap();
        let secrets = want
            .resolve_secrets(|_| Some("Correct-Horse-9".into()))
            .unwrap();
        let token = RunToken::mint(state.store.as_ref(), "test").await.unwrap();
        let ops = Recording {
            inner: InProcess::new(lanyard_server::router(state.clone()), &token),
            calls: Arc::default(),
            creating: Arc::default(),
        };
        let (have, mut ids) = export::export(&ops).await.unwrap();
        let plan = plan::plan(&want, &have, false);
        ops.calls.lock().unwrap().clear();
        apply(&ops, &plan, &want, &have, &mut ids, &secrets, false, 16)
            .await
            .unwrap();

        let calls = ops.calls.lock().unwrap().clone();
        assert!(
            !calls.iter().any(|c| c.starts_with("GET /users/")),
            "{calls:#?}"
        );
        // And what creating answered was right: the file's statuses, Ada in her group.
        let (now, _) = export::export(&ops).await.unwrap();
        let status = |login: &str| {
            now.users
                .iter()
                .find(|u| u.login == login)
                .map(|u| u.status.clone())
        };
        assert_eq!(status("ada@example.com").as_deref(), Some("ACTIVE"));
        assert_eq!(status("bob@example.com").as_deref(), Some("STAGED"));
        assert!(plan::plan(&want, &now, false).changes.is_empty());
    }

    /// Users made `at_once` at a time: how many `POST /users` were in flight at most.
    async fn most_made_at_once(at_once: usize) -> usize {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir).await;
        let mut file = String::from("apiVersion: lanyard/v1\nusers:\n");
        for i in 0..4 {
            file.push_str(&format!(
                "- {{login: u{i}@example.com, profile: {{firstName: U, lastName: N{i}, email: u{i}@example.com}}}}\n"
            ));
        }
        let want = Document::parse(&file).unwrap();
        let secrets = want.resolve_secrets(|_| None).unwrap();
        let token = RunToken::mint(state.store.as_ref(), "test").await.unwrap();
        let ops = Recording {
            inner: InProcess::new(lanyard_server::router(state.clone()), &token),
            calls: Arc::default(),
            creating: Arc::default(),
        };
        let (have, mut ids) = export::export(&ops).await.unwrap();
        let plan = plan::plan(&want, &have, false);
        apply(
            &ops, &plan, &want, &have, &mut ids, &secrets, false, at_once,
        )
        .await
        .unwrap();
        assert_eq!(ids.users.len(), 4);
        ops.creating.1.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn users_are_made_one_at_a_time_when_asked() {
        assert_eq!(most_made_at_once(1).await, 1);
        assert!(most_made_at_once(USERS_AT_ONCE).await > 1);
    }
}
