//! The end-user dashboard: the apps a user may launch, and where each tile leads.
//!
//! A user's apps are those assigned to them directly, through a group, or through `Everyone` (an app for every
//! user of the org is one assigned to `Everyone`, as in Okta) — active, signed in to from a browser (web and
//! browser apps), and with somewhere to start: the app's `initiate_login_uri`, where the app starts a sign-in on
//! its own (OIDC Core §4, third-party-initiated login: `iss`, `login_hint`, `target_link_uri`), else the address
//! the administrator gave a catalog app (its `baseUrl`), else the origin of its first redirect URI.

use crate::model::{App, ApplicationType, LifecycleStatus};
use crate::store::{AppStore, StoreResult};

/// One tile of a user's dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct AppLink {
    pub app: App,
    /// Where the tile sends the browser.
    pub launch: String,
}

/// The apps `user_id` may launch, by label, filtered by `q` (a case-insensitive part of the label) when given.
/// `issuer` is the `iss` an app's initiate-login URI is told; `login_hint` the user's login.
pub async fn app_links(
    apps: &dyn AppStore,
    user_id: &str,
    issuer: &str,
    login_hint: &str,
    q: Option<&str>,
) -> StoreResult<Vec<AppLink>> {
    let q = q
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_lowercase);
    Ok(apps
        .apps_for_user(user_id)
        .await?
        .into_iter()
        .filter(|a| {
            q.as_ref()
                .is_none_or(|q| a.label.to_lowercase().contains(q))
        })
        .filter_map(|app| {
            let launch = launch_url(&app, issuer, login_hint)?;
            Some(AppLink { app, launch })
        })
        .collect())
}

/// Where a tile of `app` leads, if it has one (see the module's text).
pub fn launch_url(app: &App, issuer: &str, login_hint: &str) -> Option<String> {
    let c = &app.client;
    if app.status != LifecycleStatus::Active
        || !matches!(
            c.application_type,
            ApplicationType::Web | ApplicationType::Browser
        )
    {
        return None;
    }
    let base = c
        .catalog
        .as_ref()
        .and_then(|r| r.variables.get("baseUrl"))
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .cloned();
    if let Some(initiate) = &c.initiate_login_uri {
        let mut u = url::Url::parse(initiate).ok()?;
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("iss", issuer);
            if !login_hint.is_empty() {
                q.append_pair("login_hint", login_hint);
            }
            if let Some(b) = &base {
                q.append_pair("target_link_uri", b);
            }
        }
        return Some(u.into());
    }
    if let Some(b) = base {
        return Some(b);
    }
    let first = url::Url::parse(c.redirect_uris.first()?).ok()?;
    matches!(first.scheme(), "https" | "http")
        .then(|| first.origin().ascii_serialization())
        .filter(|o| o != "null")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::client_from_body;
    use crate::model::{AppGroup, AppUser, CatalogRef, Group};
    use crate::store::memory::MemoryStore;
    use crate::store::{GroupStore, UserStore};
    use serde_json::{Map, json};

    fn app(id: &str, label: &str, settings: serde_json::Value) -> App {
        let set = json!({ "oauthClient": settings });
        let client = client_from_body(&Map::new(), set.as_object().unwrap(), id, None).unwrap();
        let now = chrono::Utc::now();
        App {
            id: id.into(),
            name: "oidc_client".into(),
            label: label.into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client,
            created: now,
            last_updated: now,
        }
    }

    const ISS: &str = "https://id.example.com/oauth2/default";

    #[test]
    fn tiles_start_at_the_initiate_login_uri_the_base_url_or_the_redirect_origin() {
        let mut a = app(
            "0oa1",
            "Grafana",
            json!({"redirect_uris": ["https://g.example/login/generic_oauth"], "initiate_login_uri": "https://g.example/login/generic_oauth"}),
        );
        a.client.catalog = Some(CatalogRef {
            revision: "r".into(),
            variables: [("baseUrl".to_owned(), "https://g.example".to_owned())].into(),
        });
        let u = url::Url::parse(&launch_url(&a, ISS, "ada@example.com").unwrap()).unwrap();
        assert_eq!(u.path(), "/login/generic_oauth");
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["iss"], ISS);
        assert_eq!(q["login_hint"], "ada@example.com");
        assert_eq!(q["target_link_uri"], "https://g.example");

        a.client.initiate_login_uri = None;
        assert_eq!(
            launch_url(&a, ISS, "x").as_deref(),
            Some("https://g.example")
        );
        a.client.catalog = None;
        assert_eq!(
            launch_url(&a, ISS, "x").as_deref(),
            Some("https://g.example"),
            "the redirect URI's origin"
        );

        a.status = LifecycleStatus::Inactive;
        assert_eq!(launch_url(&a, ISS, "x"), None, "inactive apps have no tile");
        let native = app(
            "0oa2",
            "CLI",
            json!({"application_type": "native", "redirect_uris": ["com.example.cli:/cb"]}),
        );
        assert_eq!(
            launch_url(&native, ISS, "x"),
            None,
            "native apps have no tile"
        );
    }

    #[tokio::test]
    async fn a_user_s_tiles_are_the_apps_assigned_to_them_by_label_and_search() {
        let store = MemoryStore::new();
        let now = chrono::Utc::now();
        let user = |id: &str| crate::model::User {
            id: id.into(),
            status: crate::model::UserStatus::Active,
            login: format!("{id}@example.com"),
            profile: Default::default(),
            created: now,
            activated: None,
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
        };
        for id in ["00ua", "00ub"] {
            store.insert_user(&user(id), None).await.unwrap();
        }
        let cb = |h: &str| json!({"redirect_uris": [format!("https://{h}.example/cb")]});
        for a in [
            app("0oa1", "Wiki", cb("wiki")),
            app("0oa2", "argo", cb("argo")),
            app("0oa3", "Vault", cb("vault")),
        ] {
            store.insert_app(&a, None).await.unwrap();
        }
        let mut group = Group::everyone(now);
        group.id = "00gops".into();
        group.group_type = crate::model::GroupType::Okta;
        group.name = "ops".into();
        store.insert_group(&group).await.unwrap();
        store.add_group_member("00gops", "00ua", now).await.unwrap();
        store
            .put_app_group(&AppGroup {
                app_id: "0oa2".into(),
                group_id: "00gops".into(),
                priority: 0,
                last_updated: now,
            })
            .await
            .unwrap();
        store
            .put_app_user(&AppUser {
                app_id: "0oa1".into(),
                user_id: "00ua".into(),
                user_name: "a".into(),
                created: now,
                last_updated: now,
            })
            .await
            .unwrap();
        let labels =
            |links: Vec<AppLink>| links.into_iter().map(|l| l.app.label).collect::<Vec<_>>();
        assert_eq!(
            labels(app_links(&store, "00ua", ISS, "a", None).await.unwrap()),
            ["argo", "Wiki"]
        );
        assert_eq!(
            labels(
                app_links(&store, "00ua", ISS, "a", Some(" WI "))
                    .await
                    .unwrap()
            ),
            ["Wiki"]
        );
        assert!(
            app_links(&store, "00ub", ISS, "b", None)
                .await
                .unwrap()
                .is_empty(),
            "not a member"
        );

        // Every user of the org: the app assigned to Everyone.
        let everyone = Group::everyone(now);
        store.insert_group_if_absent(&everyone).await.unwrap();
        store
            .put_app_group(&AppGroup {
                app_id: "0oa3".into(),
                group_id: everyone.id.clone(),
                priority: 0,
                last_updated: now,
            })
            .await
            .unwrap();
        assert_eq!(
            labels(app_links(&store, "00ub", ISS, "b", None).await.unwrap()),
            ["Vault"]
        );
    }
}
