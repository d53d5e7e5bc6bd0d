//! The end-user dashboard through the real binary: `/app/UserHome` and Okta's `appLinks` show a user the apps
//! assigned to them (directly, through a group, or to every user through `Everyone`), and a tile launches the app
//! where it starts a sign-in (third-party-initiated login: `iss`, `login_hint`, `target_link_uri`).

mod common;

use common::browser::{Browser, signed_in_as};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn group_with(env: &Env, name: &str, user: &str) -> String {
    let (_, g) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": name}})),
        )
        .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    let (status, _) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/groups/{gid}/users/{user}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    gid
}

async fn grafana(env: &Env) -> Value {
    let (status, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "grafana", "label": "Grafana", "settings": {"app": {"baseUrl": "https://grafana.example.com"}}})),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    app
}

#[tokio::test]
async fn members_see_and_launch_their_apps_and_others_do_not() {
    let env = Env::start();
    let member = env.create_user("member@example.com").await;
    let _other = env.create_user("other@example.com").await;
    let app = grafana(&env).await;
    let id = app["id"].as_str().unwrap();
    let gid = group_with(&env, "grafana-users", &member).await;
    let (status, _) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{id}/groups/{gid}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);

    // Okta's appLinks, by API token.
    let (status, _, links) = api_get(
        &env.s.url(&format!("/api/v1/users/{member}/appLinks")),
        &env.token,
    )
    .await;
    assert_eq!(status, 200, "{links}");
    let link = &links[0];
    assert_eq!(links.as_array().unwrap().len(), 1, "{links}");
    assert_eq!(link["label"], "Grafana");
    assert_eq!(link["appName"], "grafana");
    assert_eq!(link["appInstanceId"], id);
    assert_eq!(link["linkUrl"], env.s.url(&format!("/home/grafana/{id}")));
    assert_eq!(link["hidden"], false);
    let (_, _, none) = api_get(
        &env.s.url("/api/v1/users/other@example.com/appLinks"),
        &env.token,
    )
    .await;
    assert_eq!(none, json!([]), "not a member");

    // The member's dashboard has the tile; the tile launches at the initiate-login URI.
    let mut b = signed_in_as(&env, "member@example.com").await;
    let page = b.get(&env.s.url("/app/UserHome")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!("href=\"/home/grafana/{id}\"")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script"), "no JavaScript");
    let r = b.get(&env.s.url(&format!("/home/grafana/{id}"))).await;
    assert_eq!(r.status, 303);
    let to = url::Url::parse(r.location.as_deref().unwrap()).unwrap();
    assert_eq!(
        to.origin().ascii_serialization(),
        "https://grafana.example.com"
    );
    assert_eq!(to.path(), "/login/generic_oauth");
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["iss"], env.s.url("/oauth2/default"));
    assert_eq!(q["login_hint"], "member@example.com");
    assert_eq!(q["target_link_uri"], "https://grafana.example.com");
    // The session's appLinks.
    let r = b.get(&env.s.url("/api/v1/users/me/appLinks")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()[0]["appInstanceId"],
        id
    );
    // Search.
    let found = b.get(&env.s.url("/app/UserHome?q=graf")).await;
    assert!(found.body.contains("/home/grafana/"));
    let missed = b.get(&env.s.url("/app/UserHome?q=zzz")).await;
    assert!(!missed.body.contains("/home/grafana/") && missed.body.contains("id=\"no-apps\""));

    // The other user sees no tile, and the link refuses them with a page.
    let mut o = signed_in_as(&env, "other@example.com").await;
    let page = o.get(&env.s.url("/app/UserHome")).await;
    assert!(!page.body.contains("/home/grafana/"), "{}", page.body);
    let r = o.get(&env.s.url(&format!("/home/grafana/{id}"))).await;
    assert_eq!(r.status, 403);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.location.is_none());
    // Without a session: sign in first, then back to the tile.
    let r = Browser::default()
        .get(&env.s.url(&format!("/home/grafana/{id}")))
        .await;
    assert_eq!(r.status, 303);
    assert!(
        r.location
            .unwrap()
            .starts_with("/signin?fromURI=%2Fhome%2Fgrafana%2F")
    );
    let r = client()
        .get(env.s.url("/api/v1/users/me/appLinks"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn every_user_of_the_org_is_everyone_and_inactive_apps_have_no_tile() {
    let env = Env::start();
    let user = env.create_user("ada@example.com").await;
    let app = grafana(&env).await;
    let id = app["id"].as_str().unwrap();
    let (_, groups) = env
        .admin(Method::GET, "/api/v1/groups?q=Everyone", None)
        .await;
    let everyone = groups[0]["id"].as_str().unwrap().to_owned();
    let (status, _) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{id}/groups/{everyone}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, _, links) = api_get(
        &env.s.url(&format!("/api/v1/users/{user}/appLinks")),
        &env.token,
    )
    .await;
    assert_eq!(links.as_array().unwrap().len(), 1, "{links}");
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{id}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, _, links) = api_get(
        &env.s.url(&format!("/api/v1/users/{user}/appLinks")),
        &env.token,
    )
    .await;
    assert_eq!(links, json!([]), "inactive");
    let logo = client()
        .get(env.s.url(&format!("/home/grafana/{id}/logo.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(logo.status(), 200);
    assert!(logo.text().await.unwrap().contains(">GR</text>"));
}
