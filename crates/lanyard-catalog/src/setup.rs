//! The application's side of an integration: the entry's setup templates rendered with the app's variables, its
//! client and its authorization server's endpoints — one snippet per deployment style the vendor documents, and the
//! short guide.

use std::borrow::Cow;

use serde::Serialize;

use crate::instance::Variables;
use crate::manifest::{Manifest, Problem};
use crate::template;

/// The values Lanyard knows once the client exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    pub client_id: String,
    /// The secret when it may be shown (right after creation or a rotation); else what stands in its place.
    pub client_secret: String,
    pub issuer: String,
    /// Where endpoints live: `{issuer}/v1` for a custom server, `{base}/oauth2/v1` for the org server.
    pub endpoint_base: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
}

impl Values {
    /// Made-up values in the right shapes, for the schema test and examples.
    pub fn example(m: &Manifest) -> Values {
        let issuer = "https://id.example.com/oauth2/default".to_owned();
        Values {
            client_id: "0oaexample1234567890".into(),
            client_secret: "example-client-secret".into(),
            endpoint_base: format!("{issuer}/v1"),
            issuer,
            redirect_uri: String::new(),
            scopes: m.client.scopes.clone(),
        }
    }

    /// Every value a template may use besides the variables, by name ([`template::KNOWN`]'s order).
    pub fn all(&self) -> Vec<(&'static str, String)> {
        template::KNOWN
            .iter()
            .filter_map(|n| self.get(n).map(|v| (*n, v)))
            .collect()
    }

    fn get(&self, name: &str) -> Option<String> {
        let e = |p: &str| format!("{}/{p}", self.endpoint_base);
        Some(match name {
            "clientId" => self.client_id.clone(),
            "clientSecret" => self.client_secret.clone(),
            "issuer" => self.issuer.clone(),
            "discoveryUrl" => format!("{}/.well-known/openid-configuration", self.issuer),
            "authorizationEndpoint" => e("authorize"),
            "tokenEndpoint" => e("token"),
            "userinfoEndpoint" => e("userinfo"),
            "jwksUri" => e("keys"),
            "endSessionEndpoint" => e("logout"),
            "revocationEndpoint" => e("revoke"),
            "introspectionEndpoint" => e("introspect"),
            "redirectUri" => self.redirect_uri.clone(),
            "scopes" => self.scopes.join(" "),
            "scopesComma" => self.scopes.join(","),
            _ => return None,
        })
    }
}

/// One deployment style's snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub style: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub language: String,
    pub content: String,
}

/// The rendered setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub snippets: Vec<Snippet>,
    pub guide: String,
}

/// Renders every setup template of `m` with the app's variables and `values`.
pub fn render(m: &Manifest, vars: &Variables, values: &Values) -> Result<Rendered, Problem> {
    let mut values = values.clone();
    if values.redirect_uri.is_empty()
        && let Some(first) = m.client.redirect_uris.first()
    {
        values.redirect_uri =
            template::render(first, |n| vars.get(n).map(|v| Cow::from(v.clone())))
                .unwrap_or_default();
    }
    let lookup = |n: &str| -> Option<Cow<'static, str>> {
        vars.get(n)
            .cloned()
            // An optional variable left out renders as nothing.
            .or_else(|| m.variables.iter().any(|v| v.name == n).then(String::new))
            .or_else(|| values.get(n))
            .map(Cow::from)
    };
    let mut snippets = Vec::with_capacity(m.setup.len());
    for (i, s) in m.setup.iter().enumerate() {
        let content = template::render(&s.template, lookup).map_err(|e| Problem {
            path: format!("setup[{i}].template"),
            message: e.to_string(),
        })?;
        snippets.push(Snippet {
            style: s.style.clone(),
            title: s.title.clone(),
            file: s.file.clone(),
            language: s.language.clone(),
            content,
        });
    }
    let guide = template::render(&m.guide, lookup).map_err(|e| Problem {
        path: "guide".into(),
        message: e.to_string(),
    })?;
    Ok(Rendered { snippets, guide })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grafana_s_setup_names_the_real_endpoints_client_and_groups_mapping() {
        let e = crate::builtin_entry("grafana").unwrap();
        let vars = crate::instance::variables(
            &e.manifest,
            serde_json::json!({"baseUrl": "https://grafana.example.com"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let values = Values {
            client_id: "0oa123".into(),
            client_secret: "s3cret".into(),
            issuer: "https://id.example.com/oauth2/default".into(),
            endpoint_base: "https://id.example.com/oauth2/default/v1".into(),
            redirect_uri: String::new(),
            scopes: e.manifest.client.scopes.clone(),
        };
        let r = render(&e.manifest, &vars, &values).unwrap();
        let ini = r
            .snippets
            .iter()
            .find(|s| s.file.as_deref() == Some("grafana.ini"))
            .expect("grafana.ini");
        for line in [
            "[auth.generic_oauth]",
            "client_id = 0oa123",
            "client_secret = s3cret",
            "auth_url = https://id.example.com/oauth2/default/v1/authorize",
            "token_url = https://id.example.com/oauth2/default/v1/token",
            "api_url = https://id.example.com/oauth2/default/v1/userinfo",
            "use_pkce = true",
            "groups_attribute_path = groups",
            "role_attribute_path = contains(groups[*], 'admins') && 'Admin' || 'Viewer'",
            "root_url = https://grafana.example.com",
        ] {
            assert!(ini.content.contains(line), "{line} in\n{}", ini.content);
        }
        assert!(r.snippets.len() >= 2);
        let all = values.all();
        assert_eq!(
            all.len(),
            crate::template::KNOWN.len(),
            "every known name has a value"
        );
        assert!(all.contains(&(
            "jwksUri",
            "https://id.example.com/oauth2/default/v1/keys".into()
        )));
        assert!(!r.guide.is_empty());
    }
}
