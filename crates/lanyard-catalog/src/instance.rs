//! An app made from a catalog entry: the variables an administrator gives (`settings.app`, as Okta's integration
//! network takes them) checked against the entry, and the client the application needs, configured the most secure
//! way it supports — the code flow only, PKCE required whenever the application can send it, the strongest client
//! authentication it supports, refresh tokens (rotated on every use) only when it uses them, ID tokens signed with
//! the strongest algorithm it verifies, and the claims it reads, for this app alone.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::manifest::{AUTH_METHODS, ID_TOKEN_ALGS, Manifest, Pkce, Problem, check_value};
use crate::template;

/// The variables' values, by name.
pub type Variables = BTreeMap<String, String>;

/// What the Apps API needs to create the app, and what the app records.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// `credentials.oauthClient` of the app body.
    pub credentials: Map<String, Value>,
    /// `settings.oauthClient` of the app body.
    pub oauth_client: Map<String, Value>,
    /// The variables, checked, defaults filled in.
    pub variables: Variables,
    /// The claims its tokens carry for it alone.
    pub claims: Vec<lanyard_core::model::AppClaim>,
}

/// The strongest token endpoint authentication the application supports.
pub fn strongest_auth(m: &Manifest) -> &'static str {
    AUTH_METHODS
        .iter()
        .copied()
        .find(|a| {
            m.client.auth_methods.iter().any(|x| x == a)
                && (*a != "private_key_jwt" || m.client.jwks_uri.is_some())
        })
        .unwrap_or("client_secret_basic")
}

/// The algorithm its ID tokens are signed with: the strongest it verifies.
pub fn id_token_alg(m: &Manifest) -> &'static str {
    ID_TOKEN_ALGS
        .iter()
        .copied()
        .find(|a| m.client.id_token_algs.iter().any(|x| x == a))
        .unwrap_or("RS256")
}

/// The examples of the entry's variables (what the schema test and `catalog test` use).
pub fn example_variables(m: &Manifest) -> Variables {
    m.variables
        .iter()
        .map(|v| (v.name.clone(), v.example.trim_end_matches('/').to_owned()))
        .collect()
}

/// Checks the given variables (`settings.app`): each known, each of its type, the required ones present; the
/// optional ones missing take their defaults. Problems name `settings.app.<variable>`.
pub fn variables(m: &Manifest, given: &Map<String, Value>) -> Result<Variables, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut out = Variables::new();
    let fail = |problems: &mut Vec<Problem>, name: &str, message: String| {
        problems.push(Problem {
            path: format!("settings.app.{name}"),
            message,
        });
    };
    for name in given.keys() {
        if !m.variables.iter().any(|v| &v.name == name) {
            let known: Vec<&str> = m.variables.iter().map(|v| v.name.as_str()).collect();
            fail(
                &mut problems,
                name,
                format!(
                    "is not a variable of the {} integration ({})",
                    m.display_name,
                    known.join(", ")
                ),
            );
        }
    }
    for v in &m.variables {
        let value = match given.get(&v.name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                fail(&mut problems, &v.name, "must be a string".into());
                continue;
            }
        };
        let value = match (value, &v.default) {
            (Some(s), _) => s,
            (None, Some(d)) if !v.required => d.clone(),
            (None, _) if !v.required => continue,
            (None, _) => {
                fail(
                    &mut problems,
                    &v.name,
                    format!("is required: {} (e.g. {})", v.label, v.example),
                );
                continue;
            }
        };
        match check_value(v, &value) {
            Ok(ok) => {
                out.insert(v.name.clone(), ok);
            }
            Err(e) => fail(&mut problems, &v.name, e),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn render_uri(t: &str, vars: &Variables) -> Result<String, Problem> {
    template::render(t, |n| vars.get(n).map(|v| v.clone().into())).map_err(|e| Problem {
        path: "settings.app".into(),
        message: format!("a variable the entry's URIs need is missing: {e}"),
    })
}

/// The app an entry and its variables make.
pub fn instantiate(m: &Manifest, given: &Map<String, Value>) -> Result<Instance, Vec<Problem>> {
    let vars = variables(m, given)?;
    let c = &m.client;
    let uris = |list: &[String]| -> Result<Vec<String>, Vec<Problem>> {
        list.iter()
            .map(|t| render_uri(t, &vars).map_err(|p| vec![p]))
            .collect()
    };
    let one = |t: &Option<String>| -> Result<Option<String>, Vec<Problem>> {
        t.as_deref()
            .map(|t| render_uri(t, &vars).map_err(|p| vec![p]))
            .transpose()
    };
    let mut credentials = Map::new();
    credentials.insert(
        "token_endpoint_auth_method".into(),
        json!(strongest_auth(m)),
    );
    credentials.insert("pkce_required".into(), json!(c.pkce != Pkce::Unsupported));
    if let Some(id) = &c.fixed_client_id {
        credentials.insert("client_id".into(), json!(id));
    }
    let mut settings = Map::new();
    settings.insert("application_type".into(), json!(c.application_type));
    settings.insert("grant_types".into(), json!(c.grant_types));
    settings.insert("response_types".into(), json!(["code"]));
    settings.insert("redirect_uris".into(), json!(uris(&c.redirect_uris)?));
    if !c.post_logout_redirect_uris.is_empty() {
        settings.insert(
            "post_logout_redirect_uris".into(),
            json!(uris(&c.post_logout_redirect_uris)?),
        );
    }
    for (key, t) in [
        ("initiate_login_uri", &c.initiate_login_uri),
        ("backchannel_logout_uri", &c.backchannel_logout_uri),
        ("jwks_uri", &c.jwks_uri),
    ] {
        if let Some(u) = one(t)? {
            settings.insert(key.into(), json!(u));
        }
    }
    settings.insert(
        "id_token_signed_response_alg".into(),
        json!(id_token_alg(m)),
    );
    settings.insert("consent_method".into(), json!("TRUSTED"));
    let claims = m
        .claims
        .iter()
        .map(|c| lanyard_core::model::AppClaim {
            name: c.name.clone(),
            value: c.value.clone(),
            targets: c
                .targets
                .iter()
                .filter_map(|t| lanyard_core::model::ClaimIn::parse(t))
                .collect(),
            scope: c.scope.clone(),
        })
        .collect();
    Ok(Instance {
        credentials,
        oauth_client: settings,
        variables: vars,
        claims,
    })
}

/// The client an app made from `entry` has: the instance's settings through the Apps API's own checks
/// (`client_from_body`), recording the entry's revision and the variables, and carrying the claims it reads.
/// `previous` is the app's client when it is being re-made (its client id stays).
pub fn client(
    entry: &crate::Entry,
    given: &Map<String, Value>,
    app_id: &str,
    previous: Option<&lanyard_core::model::OAuthClient>,
) -> Result<lanyard_core::model::OAuthClient, Vec<Problem>> {
    let inst = instantiate(&entry.manifest, given)?;
    let mut credentials = Map::new();
    credentials.insert("oauthClient".into(), Value::Object(inst.credentials));
    let mut settings = Map::new();
    settings.insert("oauthClient".into(), Value::Object(inst.oauth_client));
    let mut client =
        lanyard_core::apps::client_from_body(&credentials, &settings, app_id, previous).map_err(
            |causes| {
                causes
                    .into_iter()
                    .map(|c| Problem {
                        path: "settings.app".into(),
                        message: format!("the entry makes a client the server refuses: {c}"),
                    })
                    .collect::<Vec<_>>()
            },
        )?;
    client.catalog = Some(lanyard_core::model::CatalogRef {
        revision: entry.revision.clone(),
        variables: inst.variables,
    });
    client.claims = inst.claims;
    Ok(client)
}

/// The scopes the application requests that a custom authorization server (`server_id`, holding `existing`)
/// lacks — `groups`, say — to add for it: not published in discovery, granted without consent, no claims of their
/// own (the app's claims name them), with ids derived from the server and the name so that two apps, or two
/// nodes, adding one at once add the same row. Other apps see no difference.
pub fn scopes_to_add(
    m: &Manifest,
    server_id: &str,
    existing: &[lanyard_core::model::Scope],
    now: lanyard_core::clock::Timestamp,
) -> Vec<lanyard_core::model::Scope> {
    use lanyard_core::model::{Consent, MetadataPublish, Scope};
    m.client
        .scopes
        .iter()
        .filter(|s| !existing.iter().any(|e| &e.name == *s))
        .map(|name| Scope {
            id: lanyard_core::id::derived_id(
                lanyard_core::id::prefix::SCOPE,
                &format!("{server_id}/scope/{name}"),
            ),
            auth_server_id: server_id.to_owned(),
            name: name.clone(),
            display_name: Some(name.clone()),
            description: Some(format!(
                "Requested by {} (added with an app from the catalog).",
                m.display_name
            )),
            consent: Consent::Implicit,
            default: false,
            metadata_publish: MetadataPublish::NoClients,
            system: false,
            created: now,
            last_updated: now,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grafana() -> &'static Manifest {
        &crate::builtin_entry("grafana").expect("grafana").manifest
    }

    #[test]
    fn grafana_is_made_the_most_secure_way_it_supports() {
        let i = instantiate(
            grafana(),
            json!({"baseUrl": "https://grafana.example.com/"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            i.oauth_client["redirect_uris"],
            json!(["https://grafana.example.com/login/generic_oauth"])
        );
        assert_eq!(i.oauth_client["response_types"], json!(["code"]));
        assert_eq!(
            i.oauth_client["grant_types"],
            json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(i.credentials["pkce_required"], json!(true));
        assert_eq!(
            i.credentials["token_endpoint_auth_method"],
            "client_secret_basic"
        );
        assert_eq!(i.variables["baseUrl"], "https://grafana.example.com");
        assert_eq!(i.variables["adminGroup"], "admins", "the default");
        assert!(
            i.claims
                .iter()
                .any(|c| c.name == "groups" && c.value == "groups")
        );
    }

    #[test]
    fn the_client_records_its_entry_and_keeps_its_id_when_remade() {
        let entry = crate::builtin_entry("grafana").unwrap();
        let given = json!({"baseUrl": "https://grafana.example.com"});
        let c = client(entry, given.as_object().unwrap(), "0oa1", None).unwrap();
        assert_eq!(
            c.redirect_uris,
            vec!["https://grafana.example.com/login/generic_oauth"]
        );
        assert_eq!(c.response_types, vec!["code"]);
        assert!(c.pkce_required);
        let r = c.catalog.as_ref().unwrap();
        assert_eq!(r.revision, entry.revision);
        assert_eq!(r.variables["baseUrl"], "https://grafana.example.com");
        assert!(c.claims.iter().any(|x| x.name == "groups"));
        let moved = json!({"baseUrl": "https://grafana.internal.example"});
        let c2 = client(entry, moved.as_object().unwrap(), "0oa1", Some(&c)).unwrap();
        assert_eq!(c2.client_id, c.client_id);
        assert_eq!(
            c2.redirect_uris,
            vec!["https://grafana.internal.example/login/generic_oauth"]
        );
    }

    #[test]
    fn scopes_a_server_lacks_are_added_once_and_alike() {
        let m = crate::builtin_entry("mealie").unwrap().manifest.clone();
        assert!(m.client.scopes.contains(&"groups".to_owned()));
        let now = chrono::Utc::now();
        let system = lanyard_core::authz::servers::system_scopes("default", now);
        let add = scopes_to_add(&m, "default", &system, now);
        assert_eq!(
            add.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["groups"]
        );
        assert_eq!(
            add[0].metadata_publish,
            lanyard_core::model::MetadataPublish::NoClients
        );
        assert_eq!(add[0].id, scopes_to_add(&m, "default", &system, now)[0].id);
        let mut all = system.clone();
        all.extend(add);
        assert!(scopes_to_add(&m, "default", &all, now).is_empty());
    }

    #[test]
    fn bad_or_missing_variables_are_named() {
        let e = instantiate(grafana(), &Map::new()).unwrap_err();
        assert_eq!(e[0].path, "settings.app.baseUrl");
        assert!(e[0].message.contains("required"), "{}", e[0].message);
        for bad in [
            "http://grafana.example.com",
            "grafana.example.com",
            "ftp://x.example",
        ] {
            let e =
                instantiate(grafana(), json!({"baseUrl": bad}).as_object().unwrap()).unwrap_err();
            assert_eq!(e[0].path, "settings.app.baseUrl", "{bad}");
        }
        assert!(
            instantiate(
                grafana(),
                json!({"baseUrl": "http://localhost:3000"})
                    .as_object()
                    .unwrap()
            )
            .is_ok(),
            "http on loopback"
        );
        let local = instantiate(
            grafana(),
            json!({"baseUrl": "http://localhost:3000"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            local.oauth_client["initiate_login_uri"], "http://localhost:3000/login/generic_oauth",
            "http on loopback, as the base URL"
        );
        let e = instantiate(
            grafana(),
            json!({"baseUrl": "https://g.example", "colour": "red", "adminGroup": 5})
                .as_object()
                .unwrap(),
        )
        .unwrap_err();
        let paths: Vec<&str> = e.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"settings.app.colour"), "{paths:?}");
        assert!(paths.contains(&"settings.app.adminGroup"), "{paths:?}");
    }

    #[test]
    fn the_strongest_method_and_algorithm_are_chosen() {
        let mut m = grafana().clone();
        m.client.auth_methods = vec!["client_secret_post".into(), "client_secret_basic".into()];
        assert_eq!(strongest_auth(&m), "client_secret_basic");
        m.client.auth_methods = vec!["client_secret_post".into()];
        assert_eq!(strongest_auth(&m), "client_secret_post");
        m.client.auth_methods.push("private_key_jwt".into());
        assert_eq!(
            strongest_auth(&m),
            "client_secret_post",
            "no jwks_uri, no private_key_jwt"
        );
        m.client.jwks_uri = Some("{baseUrl}/jwks".into());
        assert_eq!(strongest_auth(&m), "private_key_jwt");
        m.client.id_token_algs = vec!["RS256".into(), "ES256".into()];
        assert_eq!(id_token_alg(&m), "ES256");
    }
}
