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
