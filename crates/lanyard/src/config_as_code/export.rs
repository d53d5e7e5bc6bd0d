//! `export`: the org read through the management API's list and read operations, as a [`Document`], with the
//! instance's ids of each natural key ([`Ids`]) for `plan` and `apply`.

use std::collections::BTreeMap;

use axum::http::Method;
use serde_json::{Map, Value};

use super::document::{
    AccessPolicySpec, AppSpec, Assignments, CatalogRef, Document, GroupSpec, RuleSpec, ServerSpec,
    SignOnPolicySpec, TrustedOriginSpec, UserSpec, password_variable,
};
use super::ops::{Operations, list_all, must};

/// The instance's ids, by natural key.
#[derive(Debug, Default, Clone)]
pub struct Ids {
    pub groups: BTreeMap<String, String>,
    pub users: BTreeMap<String, String>,
    pub apps: BTreeMap<String, String>,
    pub servers: BTreeMap<String, String>,
    /// `(server name, scope name)` → scope id.
    pub scopes: BTreeMap<(String, String), String>,
    /// `(server name, claim key)` → claim id.
    pub claims: BTreeMap<(String, String), String>,
    /// `(server name, policy name)` → access policy id.
    pub access_policies: BTreeMap<(String, String), String>,
    /// `(server name, policy name, rule name)` → rule id.
    pub access_rules: BTreeMap<(String, String, String), String>,
    /// Sign-on policy name → id.
    pub signon_policies: BTreeMap<String, String>,
    /// `(policy name, rule name)` → sign-on rule id.
    pub signon_rules: BTreeMap<(String, String), String>,
    /// Trusted origin → id.
    pub origins: BTreeMap<String, String>,
}

/// Rewrites the groups (`people.groups.include`/`exclude`) and users (`people.users.include`/`exclude`) a rule's
/// conditions name: ids to names and logins on export, back on apply. What `map` does not know is left as it is
/// (`EVERYONE`, an id of something deleted).
pub fn map_people(
    conditions: &mut Map<String, Value>,
    group: impl Fn(&str) -> Option<String>,
    user: impl Fn(&str) -> Option<String>,
) {
    let Some(people) = conditions.get_mut("people").and_then(Value::as_object_mut) else {
        return;
    };
    for (who, map) in [
        ("groups", &group as &dyn Fn(&str) -> Option<String>),
        ("users", &user),
    ] {
        let Some(lists) = people.get_mut(who).and_then(Value::as_object_mut) else {
            continue;
        };
        for list in ["include", "exclude"] {
            if let Some(items) = lists.get_mut(list).and_then(Value::as_array_mut) {
                for item in items.iter_mut() {
                    if let Some(mapped) = item.as_str().and_then(map) {
                        *item = Value::String(mapped);
                    }
                }
            }
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default()
}

fn described(v: &Value) -> Option<String> {
    v.as_str().filter(|d| !d.is_empty()).map(str::to_owned)
}

/// The key of a claim: its name and type (an ID token claim and an access token claim may share a name).
pub fn claim_key(c: &Map<String, Value>) -> String {
    format!(
        "{} ({})",
        c.get("name").and_then(Value::as_str).unwrap_or_default(),
        c.get("claimType")
            .and_then(Value::as_str)
            .unwrap_or_default()
    )
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// `o` without the keys the API computes, and without nulls.
fn strip(o: &Value, computed: &[&str]) -> Map<String, Value> {
    o.as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, v)| !v.is_null() && !computed.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// A rule as the file holds it: its groups and users by name and login.
fn rule_spec(r: &Value, ids: &Ids, logins: &BTreeMap<String, String>) -> RuleSpec {
    let mut conditions = strip(&r["conditions"], &[]);
    map_people(
        &mut conditions,
        |id| {
            ids.groups
                .iter()
                .find(|(_, v)| v.as_str() == id)
                .map(|(k, _)| k.clone())
        },
        |id| logins.get(id).cloned(),
    );
    RuleSpec {
        name: text(&r["name"]),
        status: text(&r["status"]),
        conditions,
        actions: strip(&r["actions"], &[]),
        system: r["system"] == true,
    }
}

pub async fn export<O: Operations>(ops: &O) -> anyhow::Result<(Document, Ids)> {
    let mut doc = Document::empty();
    let mut ids = Ids::default();

    for g in list_all(ops, "/groups").await? {
        let name = text(&g["profile"]["name"]);
        if g["type"] == "BUILT_IN" {
            // Named in assignments (`Everyone`), never in the file's groups: it cannot be made or deleted.
            ids.groups.insert(name, text(&g["id"]));
            continue;
        }
        ids.groups.insert(name.clone(), text(&g["id"]));
        let description = g["profile"]["description"]
            .as_str()
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        doc.groups.push(GroupSpec { name, description });
    }
    let group_name = |id: &str| -> Option<String> {
        ids.groups
            .iter()
            .find(|(_, v)| v.as_str() == id)
            .map(|(k, _)| k.clone())
    };

    let mut logins = BTreeMap::new();
    for u in list_all(ops, "/users").await? {
        let id = text(&u["id"]);
        let mut profile = strip(&u["profile"], &[]);
        let login = profile
            .remove("login")
            .map(|v| text(&v))
            .unwrap_or_default();
        let path = format!("/users/{id}");
        let mut groups: Vec<String> = list_all(ops, &format!("{path}/groups"))
            .await?
            .iter()
            .filter(|g| g["type"] != "BUILT_IN")
            .filter_map(|g| group_name(&text(&g["id"])))
            .collect();
        groups.sort();
        let roles_body = must(
            ops,
            &format!("user {login:?}"),
            Method::GET,
            &format!("{path}/roles"),
            None,
        )
        .await?;
        let mut roles: Vec<String> = roles_body
            .as_array()
            .map(|a| a.iter().map(|r| text(&r["type"])).collect())
            .unwrap_or_default();
        roles.sort();
        let password = u["credentials"]
            .get("password")
            .map(|_| format!("${{env:{}}}", password_variable(&login)));
        logins.insert(id.clone(), login.clone());
        ids.users.insert(login.clone(), id);
        doc.users.push(UserSpec {
            login,
            profile,
            status: text(&u["status"]),
            password,
            groups,
            roles,
        });
    }

    for a in list_all(ops, "/apps").await? {
        let id = text(&a["id"]);
        let label = text(&a["label"]);
        let path = format!("/apps/{id}");
        let mut group_names: Vec<String> = list_all(ops, &format!("{path}/groups"))
            .await?
            .iter()
            .filter_map(|g| group_name(&text(&g["id"])))
            .collect();
        group_names.sort();
        let mut user_logins: Vec<String> = list_all(ops, &format!("{path}/users"))
            .await?
            .iter()
            .filter_map(|u| logins.get(&text(&u["id"])).cloned())
            .collect();
        user_logins.sort();
        let oauth = &a["credentials"]["oauthClient"];
        let catalog = (a["name"] != "oidc_client").then(|| CatalogRef {
            key: text(&a["name"]),
            variables: strip(&a["settings"]["app"], &[]),
        });
        let settings = if catalog.is_some() {
            Map::new()
        } else {
            strip(&a["settings"]["oauthClient"], &[])
        };
        let credentials = if catalog.is_some() {
            Map::new()
        } else {
            strip(oauth, &["client_id", "client_secret", "autoKeyRotation"])
        };
        ids.apps.insert(label.clone(), id);
        doc.apps.push(AppSpec {
            label,
            status: text(&a["status"]),
            client_id: oauth["client_id"].as_str().map(str::to_owned),
            client_secret: None,
            catalog,
            credentials,
            settings,
            assignments: Assignments {
                groups: group_names,
                users: user_logins,
            },
        });
    }

    for s in list_all(ops, "/authorizationServers").await? {
        let id = text(&s["id"]);
        let name = text(&s["name"]);
        let path = format!("/authorizationServers/{id}");
        let mut scopes = Vec::new();
        for sc in list_all(ops, &format!("{path}/scopes")).await? {
            if sc["system"] == true {
                continue;
            }
            ids.scopes
                .insert((name.clone(), text(&sc["name"])), text(&sc["id"]));
            scopes.push(strip(&sc, &["id", "_links", "system", "optional"]));
        }
        let mut claims = Vec::new();
        for c in list_all(ops, &format!("{path}/claims")).await? {
            if c["system"] == true {
                continue;
            }
            let spec = strip(&c, &["id", "_links", "system"]);
            ids.claims
                .insert((name.clone(), claim_key(&spec)), text(&c["id"]));
            claims.push(spec);
        }
        let mut policies = Vec::new();
        // In priority order, as the API lists them.
        for p in list_all(ops, &format!("{path}/policies")).await? {
            let (pid, pname) = (text(&p["id"]), text(&p["name"]));
            let mut rules = Vec::new();
            for r in list_all(ops, &format!("{path}/policies/{pid}/rules")).await? {
                ids.access_rules.insert(
                    (name.clone(), pname.clone(), text(&r["name"])),
                    text(&r["id"]),
                );
                rules.push(rule_spec(&r, &ids, &logins));
            }
            ids.access_policies
                .insert((name.clone(), pname.clone()), pid);
            policies.push(AccessPolicySpec {
                name: pname,
                description: described(&p["description"]),
                status: text(&p["status"]),
                clients: strings(&p["conditions"]["clients"]["include"]),
                rules,
            });
        }
        scopes.sort_by_key(|s| s.get("name").map(text));
        claims.sort_by_key(claim_key);
        ids.servers.insert(name.clone(), id);
        doc.authorization_servers.push(ServerSpec {
            name,
            description: s["description"]
                .as_str()
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            audiences: s["audiences"]
                .as_array()
                .map(|a| a.iter().map(text).collect())
                .unwrap_or_default(),
            status: text(&s["status"]),
            scopes,
            claims,
            policies,
        });
    }

    // In priority order, as the API lists them (the Default Policy last).
    for p in list_all(ops, "/policies?type=OKTA_SIGN_ON").await? {
        let (pid, pname) = (text(&p["id"]), text(&p["name"]));
        let mut rules = Vec::new();
        for r in list_all(ops, &format!("/policies/{pid}/rules")).await? {
            ids.signon_rules
                .insert((pname.clone(), text(&r["name"])), text(&r["id"]));
            rules.push(rule_spec(&r, &ids, &logins));
        }
        let groups = strings(&p["conditions"]["people"]["groups"]["include"])
            .iter()
            .map(|g| group_name(g).unwrap_or_else(|| g.clone()))
            .collect();
        ids.signon_policies.insert(pname.clone(), pid);
        doc.sign_on_policies.push(SignOnPolicySpec {
            name: pname,
            description: described(&p["description"]),
            status: text(&p["status"]),
            groups,
            rules,
            system: p["system"] == true,
        });
    }

    for t in list_all(ops, "/trustedOrigins").await? {
        let origin = text(&t["origin"]);
        ids.origins.insert(origin.clone(), text(&t["id"]));
        let mut scopes: Vec<String> = t["scopes"]
            .as_array()
            .map(|a| a.iter().map(|s| text(&s["type"])).collect())
            .unwrap_or_default();
        scopes.sort();
        doc.trusted_origins.push(TrustedOriginSpec {
            origin,
            name: text(&t["name"]),
            scopes,
            status: text(&t["status"]),
        });
    }
    doc.trusted_origins.sort_by(|a, b| a.origin.cmp(&b.origin));

    doc.groups.sort_by(|a, b| a.name.cmp(&b.name));
    doc.users.sort_by(|a, b| a.login.cmp(&b.login));
    doc.apps.sort_by(|a, b| a.label.cmp(&b.label));
    doc.authorization_servers
        .sort_by(|a, b| a.name.cmp(&b.name));
    Ok((doc, ids))
}
