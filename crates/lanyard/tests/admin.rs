//! The admin console (`/admin`) through the real binary: who may open it (no session → the sign-in page and back;
//! a user without an administrator role → a 403 page; a read-only administrator may look, and gets a 403 page for
//! any change), that no GET changes anything, what each page shows — the same data the management API answers —,
//! and the changes its forms make (CSRF-checked, answered by a redirect with a message, or the form again with the
//! causes next to the fields), logged with the administrator as actor.

mod common;

use common::browser::{Browser, Page, hidden, post_owned, signed_in_as};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Every page of the console's navigation.
const SECTIONS: &[&str] = &[
    "/admin",
    "/admin/users",
    "/admin/groups",
    "/admin/apps",
    "/admin/catalog",
    "/admin/servers",
    "/admin/policies",
    "/admin/logs",
    "/admin/tokens",
    "/admin/settings",
];

async fn with_role(env: &Env, login: &str, role: &str) -> String {
    let id = env.create_user(login).await;
    let (status, body) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{id}/roles"),
            Some(json!({"type": role})),
        )
        .await;
    assert!((200..300).contains(&status), "{status} {body}");
    id
}

/// The text of a page as a reader sees it: askama's escapes undone.
fn text(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The headers of every console page; `tail`: the system log's page, whose live tail may fetch from this origin.
fn assert_page_headers(page: &common::browser::Page, path: &str, tail: bool) {
    let h = |n: &str| {
        page.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(h("content-type").starts_with("text/html"), "{path}");
    let connect = if tail { " connect-src 'self';" } else { "" };
    assert_eq!(
        h("content-security-policy"),
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self';{connect} img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "{path}"
    );
    assert_eq!(h("x-frame-options"), "DENY", "{path}");
    assert_eq!(h("cache-control"), "no-store", "{path}");
}

/// What the management API says about the org: compared before and after the console is walked.
async fn snapshot(env: &Env) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/users?limit=200",
        "/api/v1/groups?limit=200",
        "/api/v1/apps?limit=200",
        "/api/v1/authorizationServers",
        "/api/v1/policies?type=OKTA_SIGN_ON",
    ] {
        let (status, body) = env.admin(Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        out.push(body);
    }
    out
}

async fn log_count(env: &Env) -> usize {
    let (_, body) = env
        .admin(Method::GET, "/api/v1/logs?limit=1000", None)
        .await;
    body.as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn without_a_session_the_console_sends_the_browser_to_sign_in_and_back() {
    let env = Env::start();
    let mut b = Browser::default();
    let page = b.get(&env.s.url("/admin")).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/signin?fromURI=%2Fadmin"));
    // The page asked for, its query included, is where the sign-in returns to.
    let page = b.get(&env.s.url("/admin/users?q=ada")).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/signin?fromURI=%2Fadmin%2Fusers%3Fq%3Dada")
    );
    for path in SECTIONS {
        let page = b.get(&env.s.url(path)).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(
            page.location
                .as_deref()
                .unwrap()
                .starts_with("/signin?fromURI="),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_user_without_an_administrator_role_gets_a_403_page() {
    let env = Env::start();
    env.create_user("user@example.com").await;
    let mut b = signed_in_as(&env, "user@example.com").await;
    for path in SECTIONS.iter().chain(&["/admin/users/00unothere"]) {
        let page = b.get(&env.s.url(path)).await;
        assert_eq!(page.status, 403, "{path}");
        assert_page_headers(&page, path, false);
        assert!(
            page.body.contains("You need an administrator role"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("Console sections"), "{path}");
    }
    // An administrator's session that loses its role is refused at once.
    let admin = with_role(&env, "gone@example.com", "ORG_ADMIN").await;
    let mut b = signed_in_as(&env, "gone@example.com").await;
    assert_eq!(b.get(&env.s.url("/admin")).await.status, 200);
    let (_, roles) = env
        .admin(Method::GET, &format!("/api/v1/users/{admin}/roles"), None)
        .await;
    let role = roles[0]["id"].as_str().unwrap();
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/users/{admin}/roles/{role}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(b.get(&env.s.url("/admin")).await.status, 403);
}

#[tokio::test]
async fn a_read_only_admin_sees_every_page_and_no_page_changes_anything() {
    let env = Env::start();
    with_role(&env, "viewer@example.com", "READ_ONLY_ADMIN").await;
    let mut b = signed_in_as(&env, "viewer@example.com").await;
    let before = snapshot(&env).await;
    // The sign-in's own events are in the log before the walk starts.
    let settled = {
        let mut last = log_count(&env).await;
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            let now = log_count(&env).await;
            if now == last {
                break now;
            }
            last = now;
        }
    };
    for path in SECTIONS {
        let page = b.get(&env.s.url(path)).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert_page_headers(&page, path, *path == "/admin/logs");
        assert!(page.body.contains("id=\"read-only\""), "{path}");
        assert!(page.body.contains("Read-only Administrator"), "{path}");
        assert!(page.body.contains("<nav aria-label=\"Console sections\">"));
        for href in SECTIONS {
            assert!(
                page.body.contains(&format!("href=\"{href}\"")),
                "{path} links to {href}"
            );
        }
        assert_eq!(
            page.body.matches("aria-current=\"page\"").count(),
            1,
            "{path}"
        );
        // Changes are never made by a GET; a read-only administrator sees no form that changes anything.
        assert!(!page.body.contains("method=\"post\""), "{path}");
        let post = b
            .send(client().post(env.s.url(path)).form(&[("x", "y")]))
            .await;
        if matches!(
            *path,
            "/admin/users" | "/admin/groups" | "/admin/apps" | "/admin/policies" | "/admin/tokens"
        ) {
            assert_eq!(post.status, 403, "{path}");
            assert!(post.body.contains("You have read-only access"), "{path}");
        } else {
            assert_eq!(post.status, 405, "{path}");
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(snapshot(&env).await, before, "nothing changed");
    assert_eq!(log_count(&env).await, settled, "nothing was logged");
    let overview = b.get(&env.s.url("/admin")).await;
    assert!(overview.body.contains("You have read-only access"));
}

#[tokio::test]
async fn each_page_shows_what_the_api_knows() {
    let env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let member = env.create_user("grace@example.com").await;
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{member}"),
            Some(json!({"profile": {"firstName": "Grace", "lastName": "Hopper"}})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, group) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(
                json!({"profile": {"name": "grafana-users", "description": "Who sees dashboards"}}),
            ),
        )
        .await;
    let gid = group["id"].as_str().unwrap().to_owned();
    env.admin(
        Method::PUT,
        &format!("/api/v1/groups/{gid}/users/{member}"),
        None,
    )
    .await;
    let (status, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "grafana", "label": "Grafana", "settings": {"app": {"baseUrl": "https://grafana.example.com"}}})),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let client_id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{app_id}/groups/{gid}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{member}/factors"),
            Some(json!({"factorType": "token:software:totp", "provider": "GOOGLE"})),
        )
        .await;
    assert!((200..300).contains(&status));
    // A failed sign-in, for the overview and the log.
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": "grace@example.com", "password": "wrong-Password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let mut b = signed_in_as(&env, "root@example.com").await;

    // Overview: counts, the failed sign-in (once the log has it), no key due on a fresh org.
    let (cookies, overview) = (b.cookies.clone(), env.s.url("/admin"));
    assert!(
        eventually(10, || {
            let (cookies, overview) = (cookies.clone(), overview.clone());
            async move {
                let page = Browser { cookies }.get(&overview).await;
                page.body.contains("<table id=\"failures\">")
                    && page.body.contains("<td>grace@example.com</td>")
            }
        })
        .await,
        "the overview lists the failed sign-in"
    );
    let page = b.get(&env.s.url("/admin")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<span class=\"count\" data-count=\"Users\">2</span>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("data-count=\"Groups\">2<"),
        "Everyone and grafana-users"
    );
    assert!(page.body.contains("data-count=\"Apps\">1<"));
    assert!(
        page.body
            .contains("data-count=\"Authorization servers\">2<")
    );
    assert!(page.body.contains("id=\"no-keys-due\""));
    assert!(
        !page.body.contains("id=\"read-only\""),
        "a super admin may change things"
    );
    assert!(page.body.contains("Super Administrator"));

    // Users: the list, a prefix, an expression in the API's search language, a bad expression.
    let page = b.get(&env.s.url("/admin/users")).await;
    assert!(page.body.contains("grace@example.com") && page.body.contains("root@example.com"));
    let page = b.get(&env.s.url("/admin/users?q=grace")).await;
    assert!(page.body.contains("grace@example.com"));
    assert!(!page.body.contains("root@example.com</td>"));
    let page = b
        .get(
            &env.s
                .url("/admin/users?search=profile.lastName+eq+%22Hopper%22"),
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Grace Hopper"));
    assert!(!page.body.contains("root@example.com</td>"));
    let page = b
        .get(
            &env.s
                .url("/admin/users?search=profile.lastName+is+%22Hopper%22"),
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("id=\"search-error\""), "{}", page.body);
    assert!(
        text(&page.body).contains("expected an operator"),
        "{}",
        page.body
    );
    // Pages: 50 a page, the next page's link keeps the search.
    for i in 0..51 {
        let login = format!("bulk{i:02}@example.com");
        let (status, _) = env
            .admin(
                Method::POST,
                "/api/v1/users?activate=false",
                Some(json!({"profile": {"firstName": "Bulk", "lastName": "User", "email": login, "login": login}})),
            )
            .await;
        assert_eq!(status, 200);
    }
    let page = b.get(&env.s.url("/admin/users?q=bulk")).await;
    assert_eq!(page.body.matches("@example.com</td>").count(), 50);
    let next = page
        .body
        .split("<a href=\"")
        .find(|s| s.contains("rel=\"next\""))
        .unwrap();
    let next = text(next.split('"').next().unwrap());
    assert!(next.starts_with("/admin/users?q=bulk&after="), "{next}");
    let page = b.get(&env.s.url(&next)).await;
    assert!(page.body.contains("bulk50@example.com"));
    assert_eq!(page.body.matches("@example.com</td>").count(), 1);

    // A user: profile, status, groups, apps, factors.
    let page = b.get(&env.s.url(&format!("/admin/users/{member}"))).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<dd id=\"user-status\">ACTIVE</dd>"));
    assert!(
        page.body
            .contains("<th scope=\"row\">lastName</th><td>Hopper</td>")
    );
    assert!(
        page.body
            .contains(&format!("href=\"/admin/groups/{gid}\">grafana-users</a>"))
    );
    assert!(
        page.body
            .contains(&format!("href=\"/admin/apps/{app_id}\">Grafana</a>"))
    );
    assert!(
        page.body
            .contains("<td>token:software:totp</td><td>GOOGLE</td>"),
        "{}",
        page.body
    );
    let page = b.get(&env.s.url(&format!("/admin/users/{admin}"))).await;
    assert!(
        page.body
            .contains("<dd id=\"user-roles\">Super Administrator</dd>")
    );
    let page = b.get(&env.s.url("/admin/users/00unothere")).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("Page not found") && page.body.contains("/admin/users"));

    // Groups and members.
    let page = b.get(&env.s.url("/admin/groups?q=graf")).await;
    assert!(page.body.contains("grafana-users") && page.body.contains("Who sees dashboards"));
    assert!(!page.body.contains(">Everyone</a>"));
    let page = b.get(&env.s.url(&format!("/admin/groups/{gid}"))).await;
    assert!(page.body.contains("<td>grace@example.com</td>"));
    assert!(!page.body.contains("<td>root@example.com</td>"));

    // Apps: the list, the detail with its assignment and the setup the API renders.
    let page = b.get(&env.s.url("/admin/apps")).await;
    assert!(page.body.contains(&client_id) && page.body.contains("<td>grafana</td>"));
    let page = b.get(&env.s.url(&format!("/admin/apps/{app_id}"))).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&format!("href=\"/admin/groups/{gid}\">grafana-users</a>"))
    );
    let (status, setup) = env
        .admin(Method::GET, &format!("/api/v1/apps/{app_id}/setup"), None)
        .await;
    assert_eq!(status, 200);
    let shown = text(&page.body);
    let snippets = setup["snippets"].as_array().unwrap();
    assert!(!snippets.is_empty());
    for s in snippets {
        let content = s["content"].as_str().unwrap();
        assert!(
            shown.contains(content),
            "the snippet {} as the API renders it",
            s["style"]
        );
        assert!(shown.contains(s["title"].as_str().unwrap()));
    }
    assert!(!page.body.contains("id=\"no-setup\""));

    // The catalog: search and category.
    let page = b.get(&env.s.url("/admin/catalog")).await;
    assert!(
        page.body.contains("data-entry=\"grafana\"") && page.body.contains("data-entry=\"gitlab\"")
    );
    assert!(page.body.contains("src=\"/catalog/apps/grafana/logo.svg\""));
    let page = b.get(&env.s.url("/admin/catalog?q=grafana")).await;
    assert!(page.body.contains("data-entry=\"grafana\""));
    assert!(!page.body.contains("data-entry=\"gitlab\""));
    let (_, entry) = env
        .admin(Method::GET, "/api/v1/catalog/apps/grafana", None)
        .await;
    let category = entry["category"].as_str().unwrap();
    let page = b
        .get(&env.s.url(&format!("/admin/catalog?category={category}")))
        .await;
    assert!(page.body.contains("data-entry=\"grafana\""));
    assert!(
        page.body
            .contains(&format!("<option value=\"{category}\" selected>"))
    );
    let page = b.get(&env.s.url("/admin/catalog?category=nonsense")).await;
    assert_eq!(page.status, 400);

    // Authorization servers: scopes, policies and rules, keys as the API lists them.
    let page = b.get(&env.s.url("/admin/servers")).await;
    assert!(page.body.contains("href=\"/admin/servers/default\""));
    let page = b.get(&env.s.url("/admin/servers/default")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<code id=\"issuer\">") && page.body.contains("/oauth2/default</code>")
    );
    assert!(page.body.contains("<td><code>openid</code></td>"));
    assert!(page.body.contains("Default Policy") && page.body.contains("Default Policy Rule"));
    let (_, keys) = env
        .admin(
            Method::GET,
            "/api/v1/authorizationServers/default/credentials/keys",
            None,
        )
        .await;
    for k in keys.as_array().unwrap() {
        assert!(page.body.contains(k["kid"].as_str().unwrap()));
    }
    assert_eq!(
        b.get(&env.s.url("/admin/servers/nothere")).await.status,
        404
    );

    // The system log: the API's filter, kept in the refresh link; a bad one explained.
    let filter = "eventType eq \"user.session.start\" and outcome.result eq \"FAILURE\"";
    let url = format!(
        "/admin/logs?filter={}",
        url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
    );
    let page = b.get(&env.s.url(&url)).await;
    assert_eq!(page.status, 200);
    let shown = text(&page.body);
    assert!(shown.contains("grace@example.com"));
    assert!(!shown.contains("user.authentication.auth_via_mfa"));
    assert!(page.body.contains(
        "id=\"refresh\" href=\"/admin/logs?filter=eventType+eq+%22user.session.start%22"
    ));
    assert!(
        page.body
            .contains("<script src=\"/static/admin-logs.js\" defer></script>")
    );
    assert!(page.body.contains("id=\"live-toggle\" hidden"));
    let page = b.get(&env.s.url("/admin/logs?filter=eventType+is+1")).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("id=\"log-error\""));
    let page = b.get(&env.s.url("/admin/logs?since=yesterday")).await;
    assert_eq!(page.status, 400);
    assert!(text(&page.body).contains("is not an ISO 8601 timestamp"));
    let js = client()
        .get(env.s.url("/static/admin-logs.js"))
        .send()
        .await
        .unwrap();
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );

    // API tokens: listed, never shown.
    let page = b.get(&env.s.url("/admin/tokens")).await;
    let (_, tokens) = env.admin(Method::GET, "/api/v1/api-tokens", None).await;
    let t = &tokens[0];
    assert!(page.body.contains(t["id"].as_str().unwrap()));
    assert!(
        page.body
            .contains(&format!("<td>{}</td>", t["name"].as_str().unwrap()))
    );
    assert!(!page.body.contains(&env.token));
    assert!(!page.body.contains(&env.token[..8]));

    // Settings: what is safe to show.
    let page = b.get(&env.s.url("/admin/settings")).await;
    assert!(page.body.contains(&env.s.url("")));
    assert!(page.body.contains("<td>sqlite</td>"));
    // Read only, and where each value is set.
    assert!(page.body.contains("id=\"settings-read-only\""));
    assert!(!page.body.contains("method=\"post\""));
    assert!(
        page.body
            .contains("<td class=\"source\">--base-url, LANYARD_BASE_URL or base_url"),
        "{}",
        page.body
    );
    let key = std::fs::read_to_string(env.dir.path().join("master.key")).unwrap_or_default();
    if !key.trim().is_empty() {
        assert!(!page.body.contains(key.trim()));
    }

    // Sign-on policies: the system Default Policy and its Default Rule, as the Policies API lists them.
    let page = b.get(&env.s.url("/admin/policies")).await;
    let (_, policies) = env
        .admin(
            Method::GET,
            "/api/v1/policies?type=OKTA_SIGN_ON&expand=rules",
            None,
        )
        .await;
    for p in policies.as_array().unwrap() {
        assert!(
            page.body
                .contains(&format!("<h3>{} <span", p["name"].as_str().unwrap()))
        );
    }
    assert!(
        page.body.contains(">Default Rule</a></td>"),
        "{}",
        page.body
    );
}

async fn overview_of(args: &[&str]) -> (Env, String) {
    let env = Env::start_with(args);
    with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let mut b = signed_in_as(&env, "root@example.com").await;
    let page = b.get(&env.s.url("/admin")).await;
    assert_eq!(page.status, 200);
    (env, page.body)
}

#[tokio::test]
async fn the_overview_lists_the_keys_due_for_rotation_within_a_fortnight() {
    // Keys rotate every 10 days: every ACTIVE key is due within 14 days, from the first day.
    let (env, body) = overview_of(&["--key-rotation-interval", "10d"]).await;
    assert!(body.contains("<table id=\"keys-due\">"), "{body}");
    assert!(body.contains("every 10 days"));
    let (_, keys) = env
        .admin(
            Method::GET,
            "/api/v1/authorizationServers/default/credentials/keys",
            None,
        )
        .await;
    let active: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["status"] == "ACTIVE")
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(!active.is_empty());
    for kid in active {
        assert!(body.contains(&format!("<code>{kid}</code>")), "{kid}");
    }
    // The default 90 days: nothing due on a new org; rotation off: said so.
    let (_, body) = overview_of(&[]).await;
    assert!(body.contains("id=\"no-keys-due\"") && !body.contains("id=\"keys-due\""));
    let (_, body) = overview_of(&["--key-rotation-interval", "off"]).await;
    assert!(body.contains("id=\"rotation-off\""));
}

/// A form post from a console page: its CSRF field and `fields`.
async fn submit(
    b: &mut Browser,
    env: &Env,
    from: &Page,
    action: &str,
    fields: &[(&str, &str)],
) -> Page {
    let mut pairs = vec![("csrf".to_owned(), hidden(&from.body, "csrf"))];
    pairs.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    post_owned(b, &env.s.url(action), pairs).await
}

/// A change done: a redirect to `to` with the message `done`; the page it leads to shows it.
async fn assert_done(b: &mut Browser, env: &Env, page: &Page, to: &str, done: &str) -> Page {
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.clone().unwrap();
    assert_eq!(location, format!("{to}?done={done}"));
    let next = b.get(&env.s.url(&location)).await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert!(next.body.contains("id=\"flash\""), "{}", next.body);
    next
}

async fn events_by(env: &Env, actor: &str, event_type: &str) -> Vec<Value> {
    let filter = format!("eventType eq \"{event_type}\" and actor.id eq \"{actor}\"");
    let path = format!(
        "/api/v1/logs?filter={}",
        url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
    );
    for _ in 0..50 {
        let (_, body) = env.admin(Method::GET, &path, None).await;
        let found = body.as_array().cloned().unwrap_or_default();
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Vec::new()
}

#[tokio::test]
async fn an_administrator_manages_users_and_groups_through_forms() {
    let env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let mut b = signed_in_as(&env, "root@example.com").await;

    // A new user: the form, a refusal without the CSRF field, the causes next to the fields, then the user.
    let form = b.get(&env.s.url("/admin/users/new")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("<label for=\"f-email\">"));
    let forged = b
        .post(
            &env.s.url("/admin/users"),
            &[
                ("firstName", "Eve"),
                ("lastName", "X"),
                ("email", "eve@example.com"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.body.contains("This form has expired"));
    let fields = [
        ("firstName", "Grace"),
        ("lastName", "Hopper"),
        ("email", "not-an-email"),
        ("password", "Correct-Horse-9"),
        ("activate", "on"),
    ];
    let refused = submit(&mut b, &env, &form, "/admin/users", &fields).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("id=\"e-email\""), "{}", refused.body);
    assert!(refused.body.contains("aria-describedby=\"e-email\""));
    assert!(
        refused.body.contains("value=\"Grace\""),
        "the form keeps what was typed"
    );
    let mut fields = fields;
    fields[2].1 = "grace@example.com";
    let created = submit(&mut b, &env, &form, "/admin/users", &fields).await;
    let location = created.location.clone().unwrap_or_default();
    let uid = location
        .trim_start_matches("/admin/users/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = assert_done(
        &mut b,
        &env,
        &created,
        &format!("/admin/users/{uid}"),
        "user-created",
    )
    .await;
    assert!(page.body.contains("The user was created."));
    let (_, user) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}"), None)
        .await;
    assert_eq!(user["status"], "ACTIVE");
    assert_eq!(user["profile"]["login"], "grace@example.com");

    // The profile, then the lifecycle.
    let saved = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}"),
        &[
            ("firstName", "Grace"),
            ("lastName", "Brewster"),
            ("email", "grace@example.com"),
            ("login", "grace@example.com"),
        ],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &saved,
        &format!("/admin/users/{uid}"),
        "profile-saved",
    )
    .await;
    let (_, user) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}"), None)
        .await;
    assert_eq!(user["profile"]["lastName"], "Brewster");
    let blank = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}"),
        &[("firstName", "")],
    )
    .await;
    assert_eq!(blank.status, 400);
    assert!(blank.body.contains("id=\"e-firstName\""), "{}", blank.body);
    let suspended = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/lifecycle/suspend"),
        &[],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &suspended,
        &format!("/admin/users/{uid}"),
        "suspend",
    )
    .await;
    let (_, user) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}"), None)
        .await;
    assert_eq!(user["status"], "SUSPENDED");
    let again = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/lifecycle/suspend"),
        &[],
    )
    .await;
    assert_eq!(
        again.status, 409,
        "a refused operation is a page: {}",
        again.body
    );
    assert!(again.body.contains("The change was not made"));
    let back = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/lifecycle/unsuspend"),
        &[],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &back,
        &format!("/admin/users/{uid}"),
        "unsuspend",
    )
    .await;
    let reset = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/lifecycle/reset_password"),
        &[],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &reset,
        &format!("/admin/users/{uid}"),
        "reset_password",
    )
    .await;
    let (_, user) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}"), None)
        .await;
    assert_eq!(user["status"], "RECOVERY");
    let unknown = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/lifecycle/explode"),
        &[],
    )
    .await;
    assert_eq!(unknown.status, 404);

    // A group: created (a blank name is refused next to the field), renamed, a member added and removed.
    let groups = b.get(&env.s.url("/admin/groups")).await;
    let blank = submit(&mut b, &env, &groups, "/admin/groups", &[("name", " ")]).await;
    assert_eq!(blank.status, 400);
    assert!(blank.body.contains("id=\"e-name\""), "{}", blank.body);
    let made = submit(
        &mut b,
        &env,
        &groups,
        "/admin/groups",
        &[("name", "Engineers"), ("description", "builders")],
    )
    .await;
    let gid = made
        .location
        .clone()
        .unwrap_or_default()
        .trim_start_matches("/admin/groups/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = assert_done(
        &mut b,
        &env,
        &made,
        &format!("/admin/groups/{gid}"),
        "group-created",
    )
    .await;
    let taken = submit(
        &mut b,
        &env,
        &page,
        "/admin/groups",
        &[("name", "Engineers")],
    )
    .await;
    assert_eq!(taken.status, 400);
    assert!(taken.body.contains("Another group already has this name."));
    let renamed = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/groups/{gid}"),
        &[("name", "Builders")],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &renamed,
        &format!("/admin/groups/{gid}"),
        "group-saved",
    )
    .await;
    let added = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/groups/{gid}/members"),
        &[("user", "grace@example.com")],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &added,
        &format!("/admin/groups/{gid}"),
        "member-added",
    )
    .await;
    let (_, members) = env
        .admin(Method::GET, &format!("/api/v1/groups/{gid}/users"), None)
        .await;
    assert_eq!(members[0]["id"], uid.as_str());
    let (_, group) = env
        .admin(Method::GET, &format!("/api/v1/groups/{gid}"), None)
        .await;
    assert_eq!(group["profile"]["name"], "Builders");
    assert!(
        group["profile"]["description"].is_null(),
        "left empty: removed"
    );
    let left = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/groups/{gid}/remove"),
        &[],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &left,
        &format!("/admin/users/{uid}"),
        "group-left",
    )
    .await;
    let (_, members) = env
        .admin(Method::GET, &format!("/api/v1/groups/{gid}/users"), None)
        .await;
    assert_eq!(members, json!([]));
    let joined = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/groups"),
        &[("group", &gid)],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &joined,
        &format!("/admin/users/{uid}"),
        "group-joined",
    )
    .await;
    let gone = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/groups/{gid}/delete"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &gone, "/admin/groups", "group-deleted").await;
    let (status, _) = env
        .admin(Method::GET, &format!("/api/v1/groups/{gid}"), None)
        .await;
    assert_eq!(status, 404);

    // Deleting: the first deactivates, the second deletes.
    let page = b.get(&env.s.url(&format!("/admin/users/{uid}"))).await;
    let first = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/delete"),
        &[],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &first,
        &format!("/admin/users/{uid}"),
        "deactivate",
    )
    .await;
    assert!(page.body.contains("Delete user"));
    let second = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/users/{uid}/delete"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &second, "/admin/users", "user-deleted").await;
    let (status, _) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}"), None)
        .await;
    assert_eq!(status, 404);

    // A custom server's signing keys, rotated now.
    let active_kids = |keys: &Value| -> Vec<String> {
        keys.as_array()
            .unwrap()
            .iter()
            .filter(|k| k["status"] == "ACTIVE")
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, before) = env
        .admin(
            Method::GET,
            "/api/v1/authorizationServers/default/credentials/keys",
            None,
        )
        .await;
    let server = b.get(&env.s.url("/admin/servers/default")).await;
    assert!(server.body.contains("Rotate signing keys now"));
    let rotated = submit(
        &mut b,
        &env,
        &server,
        "/admin/servers/default/keys/rotate",
        &[],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &rotated,
        "/admin/servers/default",
        "keys-rotated",
    )
    .await;
    let (_, after) = env
        .admin(
            Method::GET,
            "/api/v1/authorizationServers/default/credentials/keys",
            None,
        )
        .await;
    let (old, new) = (active_kids(&before), active_kids(&after));
    assert!(
        !new.is_empty() && new.iter().all(|k| !old.contains(k)),
        "{old:?} {new:?}"
    );

    // Every change is logged with the administrator as actor.
    for kind in [
        "oauth2.as.key.rotate",
        "user.lifecycle.create",
        "user.account.update_profile",
        "user.lifecycle.suspend",
        "group.lifecycle.create",
        "group.profile.update",
        "group.user_membership.add",
        "group.user_membership.remove",
        "group.lifecycle.delete",
        "user.lifecycle.delete.completed",
    ] {
        let events = events_by(&env, &admin, kind).await;
        assert!(!events.is_empty(), "{kind}");
        assert_eq!(
            events[0]["actor"]["alternateId"], "root@example.com",
            "{kind}"
        );
    }
}

#[tokio::test]
async fn an_administrator_adds_grafana_from_the_catalog_assigns_a_group_and_rotates_its_secret() {
    let env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let (_, group) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "grafana-users"}})),
        )
        .await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let mut b = signed_in_as(&env, "root@example.com").await;

    let catalog = b.get(&env.s.url("/admin/catalog?q=grafana")).await;
    assert!(catalog.body.contains("href=\"/admin/catalog/grafana\""));
    let form = b.get(&env.s.url("/admin/catalog/grafana")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body
            .contains("<label for=\"v-baseUrl\">Grafana URL</label>"),
        "{}",
        form.body
    );
    assert!(
        form.body.contains("value=\"admins\""),
        "a default is filled in"
    );
    // A required variable missing: the cause is next to its field.
    let refused = submit(
        &mut b,
        &env,
        &form,
        "/admin/catalog/grafana",
        &[("label", "Grafana"), ("var.baseUrl", "")],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"e-baseUrl\""),
        "{}",
        refused.body
    );
    let (_, apps) = env.admin(Method::GET, "/api/v1/apps", None).await;
    assert_eq!(apps, json!([]));

    let created = submit(
        &mut b,
        &env,
        &form,
        "/admin/catalog/grafana",
        &[
            ("label", "Grafana"),
            ("var.baseUrl", "https://grafana.example.com"),
            ("var.adminGroup", "admins"),
        ],
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let (_, apps) = env.admin(Method::GET, "/api/v1/apps", None).await;
    let app = &apps[0];
    let app_id = app["id"].as_str().unwrap().to_owned();
    let client_id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app["name"], "grafana");
    assert_eq!(
        app["settings"]["app"]["baseUrl"],
        "https://grafana.example.com"
    );
    let page = text(&created.body);
    assert!(page.contains("[auth.generic_oauth]"), "{page}");
    assert!(page.contains(&format!("client_id = {client_id}")), "{page}");
    let secret = page
        .split("<code id=\"client-secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    assert!(secret.len() >= 32);
    assert!(
        page.contains(&format!("client_secret = {secret}")),
        "the snippet has the secret"
    );
    // Shown once: the app's page does not have it.
    let later = b.get(&env.s.url(&format!("/admin/apps/{app_id}"))).await;
    assert!(!later.body.contains(&secret));
    assert!(!later.body.contains("id=\"client-secret\""));

    let assigned = submit(
        &mut b,
        &env,
        &later,
        &format!("/admin/apps/{app_id}/groups"),
        &[("group", &gid)],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &assigned,
        &format!("/admin/apps/{app_id}"),
        "group-assigned",
    )
    .await;
    let (_, groups) = env
        .admin(Method::GET, &format!("/api/v1/apps/{app_id}/groups"), None)
        .await;
    assert_eq!(groups[0]["id"], gid.as_str());
    let person = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/users"),
        &[("user", "nobody@example.com")],
    )
    .await;
    assert_eq!(person.status, 400);
    let person = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/users"),
        &[("user", "root@example.com")],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &person,
        &format!("/admin/apps/{app_id}"),
        "user-assigned",
    )
    .await;
    let (_, users) = env
        .admin(Method::GET, &format!("/api/v1/apps/{app_id}/users"), None)
        .await;
    assert_eq!(users[0]["id"], admin.as_str());

    // Rotation: a second secret, shown once; the first is deactivated and deleted.
    let (_, before) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{app_id}/credentials/secrets"),
            None,
        )
        .await;
    let first = before[0]["id"].as_str().unwrap().to_owned();
    let rotated = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/secrets"),
        &[],
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert!(rotated.body.contains("id=\"client-secret\""));
    let (_, secrets) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{app_id}/credentials/secrets"),
            None,
        )
        .await;
    assert_eq!(secrets.as_array().unwrap().len(), 2);
    let active_delete = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/secrets/{first}/delete"),
        &[],
    )
    .await;
    assert_eq!(active_delete.status, 400, "an active secret is not deleted");
    let off = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/secrets/{first}/deactivate"),
        &[],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &off,
        &format!("/admin/apps/{app_id}"),
        "secret-deactivated",
    )
    .await;
    let del = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/secrets/{first}/delete"),
        &[],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &del,
        &format!("/admin/apps/{app_id}"),
        "secret-deleted",
    )
    .await;
    let (_, secrets) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{app_id}/credentials/secrets"),
            None,
        )
        .await;
    assert_eq!(secrets.as_array().unwrap().len(), 1);

    // Unassign, then deactivate and delete (an active app is not deleted).
    let un = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/groups/{gid}/remove"),
        &[],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &un,
        &format!("/admin/apps/{app_id}"),
        "unassigned",
    )
    .await;
    let early = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/delete"),
        &[],
    )
    .await;
    assert_eq!(early.status, 409, "{}", early.body);
    let off = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/lifecycle/deactivate"),
        &[],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &off,
        &format!("/admin/apps/{app_id}"),
        "app-deactivated",
    )
    .await;
    let gone = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/apps/{app_id}/delete"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &gone, "/admin/apps", "app-deleted").await;
    let (status, _) = env
        .admin(Method::GET, &format!("/api/v1/apps/{app_id}"), None)
        .await;
    assert_eq!(status, 404);

    for kind in [
        "application.lifecycle.create",
        "application.user_membership.add",
        "app.oauth2.client.secret.create",
        "application.lifecycle.delete",
    ] {
        let events = events_by(&env, &admin, kind).await;
        assert!(!events.is_empty(), "{kind}");
    }
}

#[tokio::test]
async fn a_read_only_administrator_gets_a_403_page_for_every_change() {
    let env = Env::start();
    with_role(&env, "viewer@example.com", "READ_ONLY_ADMIN").await;
    let target = env.create_user("target@example.com").await;
    let (_, group) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "ops"}})),
        )
        .await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let (_, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "grafana", "label": "Grafana", "settings": {"app": {"baseUrl": "https://grafana.example.com"}}})),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (dp, dr) = default_policy(&env).await;
    let (_, factor) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{target}/factors"),
            Some(json!({"factorType": "token:software:totp"})),
        )
        .await;
    let fid = factor["id"].as_str().unwrap().to_owned();
    let (_, tokens) = env.admin(Method::GET, "/api/v1/api-tokens", None).await;
    let tid = tokens[0]["id"].as_str().unwrap().to_owned();
    let mut b = signed_in_as(&env, "viewer@example.com").await;
    let before = snapshot(&env).await;
    for path in [
        format!("/admin/users/{target}"),
        format!("/admin/groups/{gid}"),
        format!("/admin/apps/{app_id}"),
        "/admin/catalog".to_owned(),
        format!("/admin/policies/{dp}"),
        format!("/admin/policies/{dp}/rules/{dr}"),
        "/admin/tokens".to_owned(),
    ] {
        let page = b.get(&env.s.url(&path)).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.body.contains("method=\"post\""),
            "{path}: no form that changes anything"
        );
        assert!(
            !page.body.contains("<button type=\"submit\">Save"),
            "{path}"
        );
    }
    for path in [
        "/admin/users/new".to_owned(),
        "/admin/catalog/grafana".to_owned(),
        "/admin/apps/new".to_owned(),
        "/admin/policies/new".to_owned(),
        format!("/admin/policies/{dp}/rules/new"),
    ] {
        let path = path.as_str();
        let page = b.get(&env.s.url(path)).await;
        assert_eq!(page.status, 403, "{path}");
    }
    // Refused before the form is even read: whatever it holds.
    let csrf = String::new();
    for action in [
        "/admin/users".to_owned(),
        format!("/admin/users/{target}"),
        format!("/admin/users/{target}/lifecycle/suspend"),
        format!("/admin/users/{target}/delete"),
        format!("/admin/users/{target}/groups"),
        "/admin/groups".to_owned(),
        format!("/admin/groups/{gid}"),
        format!("/admin/groups/{gid}/delete"),
        format!("/admin/groups/{gid}/members"),
        format!("/admin/apps/{app_id}/lifecycle/deactivate"),
        format!("/admin/apps/{app_id}/delete"),
        format!("/admin/apps/{app_id}/groups"),
        format!("/admin/apps/{app_id}/users"),
        format!("/admin/apps/{app_id}/secrets"),
        "/admin/catalog/grafana".to_owned(),
        "/admin/servers/default/keys/rotate".to_owned(),
        "/admin/apps".to_owned(),
        "/admin/policies".to_owned(),
        format!("/admin/policies/{dp}"),
        format!("/admin/policies/{dp}/lifecycle/deactivate"),
        format!("/admin/policies/{dp}/delete"),
        format!("/admin/policies/{dp}/rules"),
        format!("/admin/policies/{dp}/rules/{dr}"),
        format!("/admin/policies/{dp}/rules/{dr}/lifecycle/deactivate"),
        format!("/admin/policies/{dp}/rules/{dr}/delete"),
        "/admin/tokens".to_owned(),
        format!("/admin/tokens/{tid}/revoke"),
        format!("/admin/users/{target}/factors/{fid}/delete"),
    ] {
        let r = b
            .post(
                &env.s.url(&action),
                &[
                    ("csrf", csrf.as_str()),
                    ("name", "x"),
                    ("user", "target@example.com"),
                    ("group", &gid),
                    ("var.baseUrl", "https://x.example.com"),
                    ("label", "X"),
                ],
            )
            .await;
        assert_eq!(r.status, 403, "{action}");
        assert!(r.body.contains("You have read-only access"), "{action}");
    }
    assert_eq!(snapshot(&env).await, before, "nothing changed");
    let (_, factors) = env
        .admin(
            Method::GET,
            &format!("/api/v1/users/{target}/factors"),
            None,
        )
        .await;
    assert_eq!(factors[0]["id"], fid.as_str(), "the factor is kept");
    let (status, _) = env
        .admin(Method::GET, &format!("/api/v1/api-tokens/{tid}"), None)
        .await;
    assert_eq!(status, 200, "the token is kept");
}

/// The id in a console redirect to `prefix{id}?done=…`.
fn id_in(page: &Page, prefix: &str) -> String {
    page.location
        .clone()
        .unwrap_or_default()
        .trim_start_matches(prefix)
        .split(['?', '/'])
        .next()
        .unwrap()
        .to_owned()
}

/// The system Default Policy's id and its Default Rule's.
async fn default_policy(env: &Env) -> (String, String) {
    let (_, policies) = env
        .admin(
            Method::GET,
            "/api/v1/policies?type=OKTA_SIGN_ON&expand=rules",
            None,
        )
        .await;
    let p = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["system"] == true)
        .unwrap();
    let r = &p["_embedded"]["rules"][0];
    (
        p["id"].as_str().unwrap().to_owned(),
        r["id"].as_str().unwrap().to_owned(),
    )
}

/// The policy form lists the first 200 groups; a group the policy covers past them is offered too, checked, so that
/// saving the form (which sends the whole list) does not drop it.
#[tokio::test]
async fn a_policy_s_group_past_the_listed_ones_stays_on_its_form() {
    let env = Env::start();
    with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    for n in 0..200 {
        let (status, _) = env
            .admin(
                Method::POST,
                "/api/v1/groups",
                Some(json!({"profile": {"name": format!("a{n:03}")}})),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (_, late) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "zz-late"}})),
        )
        .await;
    let late = late["id"].as_str().unwrap().to_owned();
    let (status, policy) = env
        .admin(
            Method::POST,
            "/api/v1/policies",
            Some(json!({
                "type": "OKTA_SIGN_ON",
                "name": "Late",
                "conditions": {"people": {"groups": {"include": [late]}}}
            })),
        )
        .await;
    assert_eq!(status, 200, "{policy}");
    let pid = policy["id"].as_str().unwrap();
    let mut b = signed_in_as(&env, "root@example.com").await;
    let page = b.get(&env.s.url(&format!("/admin/policies/{pid}"))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("id=\"g-{late}\" name=\"group.{late}\" checked")),
        "{}",
        page.body
    );
    assert!(page.body.contains("zz-late"));
}

#[tokio::test]
async fn an_administrator_edits_sign_on_policies_and_rules_through_forms() {
    let env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let temp = env.create_user("temp@example.com").await;
    env.create_user("plain@example.com").await;
    let (_, group) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "contractors"}})),
        )
        .await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let mut b = signed_in_as(&env, "root@example.com").await;

    // A new policy: refused with the causes next to the fields, then made.
    let list = b.get(&env.s.url("/admin/policies")).await;
    assert!(list.body.contains("href=\"/admin/policies/new\""));
    let form = b.get(&env.s.url("/admin/policies/new")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("<label for=\"g-"), "{}", form.body);
    let group_field = format!("group.{gid}");
    let refused = submit(
        &mut b,
        &env,
        &form,
        "/admin/policies",
        &[("name", ""), ("priority", "first"), (&group_field, "on")],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("id=\"e-name\""), "{}", refused.body);
    assert!(
        refused.body.contains("id=\"e-priority\""),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(&format!("id=\"g-{gid}\" name=\"{group_field}\" checked"))
    );
    let created = submit(
        &mut b,
        &env,
        &form,
        "/admin/policies",
        &[
            ("name", "Contractors"),
            ("priority", "1"),
            (&group_field, "on"),
        ],
    )
    .await;
    let pid = id_in(&created, "/admin/policies/");
    let page = assert_done(
        &mut b,
        &env,
        &created,
        &format!("/admin/policies/{pid}"),
        "policy-created",
    )
    .await;
    let (_, p) = env
        .admin(Method::GET, &format!("/api/v1/policies/{pid}"), None)
        .await;
    assert_eq!(p["name"], "Contractors");
    assert_eq!(p["priority"], 1);
    assert_eq!(p["status"], "ACTIVE");
    assert_eq!(p["conditions"]["people"]["groups"]["include"], json!([gid]));
    let saved = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/policies/{pid}"),
        &[
            ("name", "Contractors MFA"),
            ("description", "Contractors need a factor"),
            ("priority", "1"),
            (&group_field, "on"),
        ],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &saved,
        &format!("/admin/policies/{pid}"),
        "policy-saved",
    )
    .await;
    let (_, p) = env
        .admin(Method::GET, &format!("/api/v1/policies/{pid}"), None)
        .await;
    assert_eq!(p["name"], "Contractors MFA");
    assert_eq!(p["description"], "Contractors need a factor");

    // A rule: refused (a factor with DENY; a user who does not exist), then added.
    assert!(page.body.contains("id=\"no-rules\""));
    let rules = format!("/admin/policies/{pid}/rules");
    let form = b.get(&env.s.url(&format!("{rules}/new"))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let refused = submit(
        &mut b,
        &env,
        &form,
        &rules,
        &[
            ("name", "MFA"),
            ("access", "DENY"),
            ("requireFactor", "on"),
            ("factorPromptMode", "ALWAYS"),
            ("maxSessionIdleMinutes", "60"),
            ("maxSessionLifetimeMinutes", "0"),
        ],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"e-requireFactor\""),
        "{}",
        refused.body
    );
    let refused = submit(
        &mut b,
        &env,
        &form,
        &rules,
        &[
            ("name", "MFA"),
            ("access", "ALLOW"),
            ("exclude", "nobody@example.com"),
        ],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"e-exclude\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("nobody@example.com</textarea>"));
    let added = submit(
        &mut b,
        &env,
        &form,
        &rules,
        &[
            ("name", "MFA"),
            ("access", "ALLOW"),
            ("requireFactor", "on"),
            ("factorPromptMode", "SESSION"),
            ("factorLifetime", "30"),
            ("exclude", "temp@example.com"),
            ("maxSessionIdleMinutes", "60"),
            ("maxSessionLifetimeMinutes", "0"),
        ],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &added,
        &format!("/admin/policies/{pid}"),
        "rule-created",
    )
    .await;
    let (_, listed) = env
        .admin(Method::GET, &format!("/api/v1/policies/{pid}/rules"), None)
        .await;
    let rule = &listed[0];
    let rid = rule["id"].as_str().unwrap().to_owned();
    let signon = &rule["actions"]["signon"];
    assert_eq!(signon["access"], "ALLOW");
    assert_eq!(signon["requireFactor"], true);
    assert_eq!(signon["factorPromptMode"], "SESSION");
    assert_eq!(signon["factorLifetime"], 30);
    assert_eq!(signon["session"]["maxSessionIdleMinutes"], 60);
    assert_eq!(
        rule["conditions"]["people"]["users"]["exclude"],
        json!([temp])
    );
    let rule_page = format!("{rules}/{rid}");
    let page = b.get(&env.s.url(&rule_page)).await;
    assert!(
        page.body.contains("temp@example.com</textarea>"),
        "excluded users by username: {}",
        page.body
    );
    let saved = submit(
        &mut b,
        &env,
        &page,
        &rule_page,
        &[
            ("name", "MFA always"),
            ("access", "ALLOW"),
            ("requireFactor", "on"),
            ("factorPromptMode", "ALWAYS"),
            ("maxSessionIdleMinutes", "60"),
            ("maxSessionLifetimeMinutes", "0"),
        ],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &saved,
        &format!("/admin/policies/{pid}"),
        "rule-saved",
    )
    .await;
    let (_, rule) = env
        .admin(
            Method::GET,
            &format!("/api/v1/policies/{pid}/rules/{rid}"),
            None,
        )
        .await;
    assert_eq!(rule["name"], "MFA always");
    assert_eq!(rule["actions"]["signon"]["factorPromptMode"], "ALWAYS");
    assert_eq!(rule["conditions"]["people"]["users"]["exclude"], json!([]));
    for (op, status, key) in [
        ("deactivate", "INACTIVE", "rule-deactivated"),
        ("activate", "ACTIVE", "rule-activated"),
    ] {
        let page = b.get(&env.s.url(&rule_page)).await;
        let r = submit(
            &mut b,
            &env,
            &page,
            &format!("{rule_page}/lifecycle/{op}"),
            &[],
        )
        .await;
        assert_done(&mut b, &env, &r, &format!("/admin/policies/{pid}"), key).await;
        let (_, rule) = env
            .admin(
                Method::GET,
                &format!("/api/v1/policies/{pid}/rules/{rid}"),
                None,
            )
            .await;
        assert_eq!(rule["status"], status);
    }
    let page = b.get(&env.s.url(&rule_page)).await;
    let gone = submit(&mut b, &env, &page, &format!("{rule_page}/delete"), &[]).await;
    assert_done(
        &mut b,
        &env,
        &gone,
        &format!("/admin/policies/{pid}"),
        "rule-deleted",
    )
    .await;
    let (status, _) = env
        .admin(
            Method::GET,
            &format!("/api/v1/policies/{pid}/rules/{rid}"),
            None,
        )
        .await;
    assert_eq!(status, 404);

    // The policy deactivated, then deleted.
    let page = b.get(&env.s.url(&format!("/admin/policies/{pid}"))).await;
    let off = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/policies/{pid}/lifecycle/deactivate"),
        &[],
    )
    .await;
    let page = assert_done(
        &mut b,
        &env,
        &off,
        &format!("/admin/policies/{pid}"),
        "policy-deactivated",
    )
    .await;
    assert!(page.body.contains("Activate policy"));
    let gone = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/policies/{pid}/delete"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &gone, "/admin/policies", "policy-deleted").await;
    let (status, _) = env
        .admin(Method::GET, &format!("/api/v1/policies/{pid}"), None)
        .await;
    assert_eq!(status, 404);

    // The Default Policy and its Default Rule: edited, never deactivated nor deleted (the page says why).
    let (dp, dr) = default_policy(&env).await;
    let page = b.get(&env.s.url(&format!("/admin/policies/{dp}"))).await;
    assert!(page.body.contains("id=\"system-policy\""), "{}", page.body);
    assert!(!page.body.contains("Delete policy"));
    assert!(!page.body.contains("id=\"policy-groups\""));
    for (action, why) in [
        (
            format!("/admin/policies/{dp}/lifecycle/deactivate"),
            "The Default Policy cannot be deactivated.",
        ),
        (
            format!("/admin/policies/{dp}/delete"),
            "The Default Policy cannot be deleted.",
        ),
        (
            format!("/admin/policies/{dp}/rules/{dr}/lifecycle/deactivate"),
            "The Default Rule cannot be deactivated.",
        ),
        (
            format!("/admin/policies/{dp}/rules/{dr}/delete"),
            "The Default Rule cannot be deleted.",
        ),
    ] {
        let r = submit(&mut b, &env, &page, &action, &[]).await;
        assert_eq!(r.status, 403, "{action}: {}", r.body);
        assert!(r.body.contains(why), "{action}: {}", r.body);
    }
    let rule_page = format!("/admin/policies/{dp}/rules/{dr}");
    let page = b.get(&env.s.url(&rule_page)).await;
    assert!(page.body.contains("id=\"system-rule\""), "{}", page.body);
    assert!(!page.body.contains("Delete rule"));
    // Before: a password is enough.
    let authn = |login: &'static str| {
        let url = env.s.url("/api/v1/authn");
        async move {
            let r = client()
                .post(url)
                .json(&json!({"username": login, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(authn("plain@example.com").await["status"], "SUCCESS");
    let saved = submit(
        &mut b,
        &env,
        &page,
        &rule_page,
        &[
            ("name", "Default Rule"),
            ("access", "ALLOW"),
            ("requireFactor", "on"),
            ("factorPromptMode", "ALWAYS"),
            ("maxSessionIdleMinutes", "120"),
            ("maxSessionLifetimeMinutes", "1440"),
        ],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &saved,
        &format!("/admin/policies/{dp}"),
        "rule-saved",
    )
    .await;
    let (_, rule) = env
        .admin(
            Method::GET,
            &format!("/api/v1/policies/{dp}/rules/{dr}"),
            None,
        )
        .await;
    assert_eq!(rule["actions"]["signon"]["requireFactor"], true);
    assert_eq!(rule["status"], "ACTIVE");
    // The sign-in sees it at once: a factor is now needed.
    assert_eq!(authn("plain@example.com").await["status"], "MFA_ENROLL");
    assert!(
        !events_by(&env, &admin, "policy.rule.update")
            .await
            .is_empty()
    );
    assert!(
        !events_by(&env, &admin, "policy.lifecycle.delete")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_administrator_creates_an_oidc_app_by_hand_and_sees_its_secret_once() {
    let env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let mut b = signed_in_as(&env, "root@example.com").await;
    let apps = b.get(&env.s.url("/admin/apps")).await;
    assert!(apps.body.contains("href=\"/admin/apps/new\""));
    let form = b.get(&env.s.url("/admin/apps/new")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("<label for=\"f-redirect_uris\">"));

    // A public client asking for client credentials, a relative redirect URI, no label: each cause at its field.
    let refused = submit(
        &mut b,
        &env,
        &form,
        "/admin/apps",
        &[
            ("label", ""),
            ("application_type", "browser"),
            ("redirect_uris", "/callback"),
            ("grant.authorization_code", "on"),
            ("grant.client_credentials", "on"),
            ("token_endpoint_auth_method", "none"),
        ],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    for field in ["label", "redirect_uris", "grant_types"] {
        assert!(
            refused.body.contains(&format!("id=\"e-{field}\"")),
            "{field}: {}",
            refused.body
        );
    }
    assert!(refused.body.contains("/callback</textarea>"), "kept");
    // private_key_jwt needs the app's keys.
    let refused = submit(
        &mut b,
        &env,
        &form,
        "/admin/apps",
        &[
            ("label", "Keys"),
            ("application_type", "service"),
            ("grant.client_credentials", "on"),
            ("token_endpoint_auth_method", "private_key_jwt"),
        ],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"e-jwks_uri\""),
        "{}",
        refused.body
    );
    let (_, listed) = env.admin(Method::GET, "/api/v1/apps", None).await;
    assert_eq!(listed, json!([]));

    let created = submit(
        &mut b,
        &env,
        &form,
        "/admin/apps",
        &[
            ("label", "Billing"),
            ("application_type", "web"),
            (
                "redirect_uris",
                "https://billing.example.com/callback\r\nhttps://billing.example.com/cb2",
            ),
            ("post_logout_redirect_uris", "https://billing.example.com/"),
            ("grant.authorization_code", "on"),
            ("grant.refresh_token", "on"),
            ("token_endpoint_auth_method", "client_secret_post"),
            ("initiate_login_uri", "https://billing.example.com/login"),
        ],
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains("id=\"created\""));
    let (_, listed) = env.admin(Method::GET, "/api/v1/apps", None).await;
    let app = &listed[0];
    assert_eq!(app["name"], "oidc_client");
    assert_eq!(app["label"], "Billing");
    let o = &app["settings"]["oauthClient"];
    assert_eq!(o["application_type"], "web");
    assert_eq!(
        o["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        o["redirect_uris"],
        json!([
            "https://billing.example.com/callback",
            "https://billing.example.com/cb2"
        ])
    );
    assert_eq!(
        o["post_logout_redirect_uris"],
        json!(["https://billing.example.com/"])
    );
    assert_eq!(o["initiate_login_uri"], "https://billing.example.com/login");
    assert_eq!(
        app["credentials"]["oauthClient"]["token_endpoint_auth_method"],
        "client_secret_post"
    );
    let app_id = app["id"].as_str().unwrap().to_owned();
    let client_id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = text(&created.body);
    assert!(page.contains(&format!("<code id=\"client-id\">{client_id}</code>")));
    let secret = page
        .split("<code id=\"client-secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    // The secret works: the client authenticates at the introspection endpoint with it, and not without.
    let introspect = |secret: String| {
        let url = env.s.url("/oauth2/v1/introspect");
        let client_id = client_id.clone();
        async move {
            client()
                .post(url)
                .form(&[
                    ("token", "nothing"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(introspect(secret.clone()).await, 200);
    assert_eq!(introspect("wrong".into()).await, 401);
    // Shown once; the app's page works as for any app (assignments).
    let later = b.get(&env.s.url(&format!("/admin/apps/{app_id}"))).await;
    assert_eq!(later.status, 200);
    assert!(!later.body.contains(&secret));
    assert!(later.body.contains("by hand"));
    let assigned = submit(
        &mut b,
        &env,
        &later,
        &format!("/admin/apps/{app_id}/users"),
        &[("user", "root@example.com")],
    )
    .await;
    assert_done(
        &mut b,
        &env,
        &assigned,
        &format!("/admin/apps/{app_id}"),
        "user-assigned",
    )
    .await;
    assert!(
        !events_by(&env, &admin, "application.lifecycle.create")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_administrator_creates_an_api_token_shown_once_and_revokes_it() {
    let mut env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    with_role(&env, "org@example.com", "ORG_ADMIN").await;
    let mut b = signed_in_as(&env, "root@example.com").await;
    let page = b.get(&env.s.url("/admin/tokens")).await;
    assert!(
        page.body.contains("action=\"/admin/tokens\""),
        "{}",
        page.body
    );
    let refused = submit(&mut b, &env, &page, "/admin/tokens", &[("name", "  ")]).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("id=\"e-name\""), "{}", refused.body);

    let made = submit(&mut b, &env, &page, "/admin/tokens", &[("name", "deploy")]).await;
    assert_eq!(
        made.status, 200,
        "shown on the answer, not through a redirect: {}",
        made.body
    );
    assert!(made.location.is_none());
    let token = made
        .body
        .split("<code id=\"api-token\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 45);
    let (status, _, users) = api_get(&env.s.url("/api/v1/users"), &token).await;
    assert_eq!(status, 200, "{users}");
    let (_, tokens) = env.admin(Method::GET, "/api/v1/api-tokens", None).await;
    let record = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "deploy")
        .unwrap()
        .clone();
    assert_eq!(record["userId"], admin.as_str());
    let tid = record["id"].as_str().unwrap().to_owned();
    // Shown once: not on the list, nor in the server's log.
    let page = b.get(&env.s.url("/admin/tokens")).await;
    assert!(page.body.contains(&tid));
    assert!(!page.body.contains(&token));
    assert!(!page.body.contains("id=\"api-token\""));
    assert!(!env.s.stderr().iter().any(|l| l.contains(&token)));
    assert!(
        !events_by(&env, &admin, "system.api_token.create")
            .await
            .is_empty()
    );

    let revoked = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/tokens/{tid}/revoke"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &revoked, "/admin/tokens", "token-revoked").await;
    let (status, _, _) = api_get(&env.s.url("/api/v1/users"), &token).await;
    assert_eq!(status, 401);
    assert!(
        !events_by(&env, &admin, "system.api_token.revoke")
            .await
            .is_empty()
    );
    let again = submit(
        &mut b,
        &env,
        &page,
        &format!("/admin/tokens/{tid}/revoke"),
        &[],
    )
    .await;
    assert_eq!(again.status, 404);

    // An Organization Administrator may revoke but not make one: a token would give them every power.
    let mut org = signed_in_as(&env, "org@example.com").await;
    let page = org.get(&env.s.url("/admin/tokens")).await;
    assert!(
        page.body.contains("id=\"tokens-super-admin-only\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("action=\"/admin/tokens\""));
    let r = submit(&mut org, &env, &page, "/admin/tokens", &[("name", "mine")]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("Only a Super Administrator"));
}

#[tokio::test]
async fn an_administrator_removes_one_factor_of_a_user() {
    let env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let uid = env.create_user("ada@example.com").await;
    let (status, factor) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{uid}/factors"),
            Some(json!({"factorType": "token:software:totp", "provider": "GOOGLE"})),
        )
        .await;
    assert_eq!(status, 200, "{factor}");
    let fid = factor["id"].as_str().unwrap().to_owned();
    let mut b = signed_in_as(&env, "root@example.com").await;
    let page = b.get(&env.s.url(&format!("/admin/users/{uid}"))).await;
    let action = format!("/admin/users/{uid}/factors/{fid}/delete");
    assert!(
        page.body.contains(&format!("action=\"{action}\"")),
        "{}",
        page.body
    );
    let removed = submit(&mut b, &env, &page, &action, &[]).await;
    let page = assert_done(
        &mut b,
        &env,
        &removed,
        &format!("/admin/users/{uid}"),
        "factor-removed",
    )
    .await;
    assert!(page.body.contains("id=\"no-factors\""));
    let (_, factors) = env
        .admin(Method::GET, &format!("/api/v1/users/{uid}/factors"), None)
        .await;
    assert_eq!(factors, json!([]));
    let again = submit(&mut b, &env, &page, &action, &[]).await;
    assert_eq!(again.status, 404, "{}", again.body);
    assert!(
        !events_by(&env, &admin, "user.mfa.factor.deactivate")
            .await
            .is_empty()
    );
}

/// `lanyard admin create`, on the data dir of a running server.
fn admin_create(env: &Env, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let base = env.s.url("");
    let mut all = vec!["admin", "create", "--base-url", &base];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", path_str(env.dir.path())]);
    let mut cmd = lanyard().command();
    cmd.args(&all)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn lanyard_admin_create_makes_the_first_administrator_who_activates_and_opens_the_console() {
    let env = Env::start();
    let created = admin_create(
        &env,
        &[
            "--login",
            "first@example.com",
            "--first-name",
            "First",
            "--last-name",
            "Admin",
        ],
        None,
    );
    assert!(created.status.success(), "{}", stderr_of(&created));
    let link = stdout_of(&created);
    assert!(link.starts_with(&env.s.url("/welcome/")), "{link}");

    // The link chooses the password; then the console opens for the new administrator.
    let mut b = Browser::default();
    let page = b.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let done = b
        .post(
            &link,
            &[
                ("csrf", &csrf),
                ("newPassword", PASSWORD),
                ("confirmPassword", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let mut admin = signed_in_as(&env, "first@example.com").await;
    assert_eq!(admin.get(&env.s.url("/admin/users")).await.status, 200);

    // Again: nothing changes, no new link.
    let again = admin_create(&env, &["--login", "FIRST@example.com"], None);
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert_eq!(stdout_of(&again), "");
    assert!(
        stderr_of(&again).contains("nothing changed"),
        "{}",
        stderr_of(&again)
    );
    // A password for a user who exists is refused, not silently ignored.
    let refused = admin_create(
        &env,
        &["--login", "first@example.com", "--password-stdin"],
        Some("Another-Horse-9\n"),
    );
    assert!(!refused.status.success());
    assert!(
        stderr_of(&refused).contains("keeps their password"),
        "{}",
        stderr_of(&refused)
    );

    // The system log says who did it.
    let grants = events_by(&env, "lanyard-cli", "user.account.privilege.grant").await;
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0]["target"][0]["alternateId"], "first@example.com");
}

#[tokio::test]
async fn lanyard_admin_create_takes_a_password_from_stdin_and_an_existing_user() {
    let env = Env::start();
    // A new user with a password from stdin is active at once; the policy applies.
    let weak = admin_create(
        &env,
        &[
            "--login",
            "ro@example.com",
            "--first-name",
            "R",
            "--last-name",
            "O",
            "--role",
            "READ_ONLY_ADMIN",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert!(!weak.status.success());
    assert!(
        stderr_of(&weak).contains("password was refused"),
        "{}",
        stderr_of(&weak)
    );
    let made = admin_create(
        &env,
        &[
            "--login",
            "ro@example.com",
            "--first-name",
            "R",
            "--last-name",
            "O",
            "--role",
            "READ_ONLY_ADMIN",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(made.status.success(), "{}", stderr_of(&made));
    assert_eq!(stdout_of(&made), "", "no activation link");
    let mut ro = signed_in_as(&env, "ro@example.com").await;
    let page = ro.get(&env.s.url("/admin/users")).await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("New user"),
        "a read-only administrator sees no forms"
    );

    // A user made through the API becomes an ORG_ADMIN; their password is theirs.
    let id = env.create_user("ada@example.com").await;
    let out = admin_create(
        &env,
        &["--login", "ada@example.com", "--role", "ORG_ADMIN"],
        None,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "");
    let (_, roles) = env
        .admin(Method::GET, &format!("/api/v1/users/{id}/roles"), None)
        .await;
    assert_eq!(roles[0]["type"], "ORG_ADMIN", "{roles}");

    // A new user without names is refused, saying which options it needs.
    let nameless = admin_create(&env, &["--login", "new@example.com"], None);
    assert!(!nameless.status.success());
    assert!(
        stderr_of(&nameless).contains("--first-name"),
        "{}",
        stderr_of(&nameless)
    );
}

/// A custom authorization server made through the API: its id.
async fn custom_server(env: &Env, name: &str) -> String {
    let (status, s) = env
        .admin(
            Method::POST,
            "/api/v1/authorizationServers",
            Some(json!({"name": name, "description": "Orders API", "audiences": ["api://orders"]})),
        )
        .await;
    assert!((200..300).contains(&status), "{status} {s}");
    s["id"].as_str().unwrap().to_owned()
}

/// The id of the object named `name` in the API's list at `path`.
async fn id_named(env: &Env, path: &str, name: &str) -> String {
    let (_, list) = env.admin(Method::GET, path, None).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The id at the end of a redirect's path (before its query).
fn last_segment(page: &Page) -> String {
    let l = page.location.clone().unwrap_or_default();
    l.split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_administrator_changes_a_custom_server_s_scopes_claims_policies_and_rules() {
    let env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let sid = custom_server(&env, "orders").await;
    let server = format!("/admin/servers/{sid}");
    let api = format!("/api/v1/authorizationServers/{sid}");
    let mut b = signed_in_as(&env, "root@example.com").await;

    // The org server offers no change; the custom one does.
    let org = b.get(&env.s.url("/admin/servers/org")).await;
    let page = b.get(&env.s.url(&server)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for id in ["add-scope", "add-claim", "add-policy", "preview-form"] {
        assert!(page.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert_eq!(org.status, 200);
    assert!(
        org.body.contains("id=\"preview-form\""),
        "the org server is previewed too"
    );
    for id in ["add-scope", "add-claim", "add-policy", "edit-server"] {
        assert!(!org.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let refused = b.get(&env.s.url("/admin/servers/org/scopes/new")).await;
    assert_eq!(refused.status, 404, "{}", refused.body);

    // Scopes: add, a duplicate refused next to its field, edit, the system scope's rules, delete.
    let form = b.get(&env.s.url(&format!("{server}/scopes/new"))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let scope = [
        ("name", "orders:read"),
        ("description", "Read orders"),
        ("consent", "IMPLICIT"),
        ("metadataPublish", "on"),
    ];
    let made = submit(&mut b, &env, &form, &format!("{server}/scopes"), &scope).await;
    let page = assert_done(&mut b, &env, &made, &server, "scope-created").await;
    assert!(page.body.contains("<code>orders:read</code>"));
    let twice = submit(&mut b, &env, &form, &format!("{server}/scopes"), &scope).await;
    assert_eq!(twice.status, 400, "{}", twice.body);
    assert!(twice.body.contains("id=\"e-name\""), "{}", twice.body);
    assert!(twice.body.contains("A scope with this name already exists"));
    let read_id = id_named(&env, &format!("{api}/scopes"), "orders:read").await;
    let edit = b
        .get(&env.s.url(&format!("{server}/scopes/{read_id}")))
        .await;
    assert!(edit.body.contains("value=\"orders:read\""));
    let saved = submit(
        &mut b,
        &env,
        &edit,
        &format!("{server}/scopes/{read_id}"),
        &[
            ("name", "orders:read"),
            ("description", "Read the orders"),
            ("consent", "REQUIRED"),
            ("default", "on"),
        ],
    )
    .await;
    assert_done(&mut b, &env, &saved, &server, "scope-saved").await;
    let (_, s) = env
        .admin(Method::GET, &format!("{api}/scopes/{read_id}"), None)
        .await;
    assert_eq!(
        (
            &s["description"],
            &s["consent"],
            &s["default"],
            &s["metadataPublish"]
        ),
        (
            &json!("Read the orders"),
            &json!("REQUIRED"),
            &json!(true),
            &json!("NO_CLIENTS")
        )
    );
    let openid = id_named(&env, &format!("{api}/scopes"), "openid").await;
    let edit = b
        .get(&env.s.url(&format!("{server}/scopes/{openid}")))
        .await;
    assert!(edit.body.contains("id=\"system-note\""));
    let renamed = submit(
        &mut b,
        &env,
        &edit,
        &format!("{server}/scopes/{openid}"),
        &[("name", "oid"), ("consent", "IMPLICIT")],
    )
    .await;
    assert_eq!(renamed.status, 400);
    assert!(text(&renamed.body).contains("\"openid\" is a system scope and cannot be renamed"));
    let kept = submit(
        &mut b,
        &env,
        &edit,
        &format!("{server}/scopes/{openid}/delete"),
        &[],
    )
    .await;
    assert_eq!(kept.status, 403, "{}", kept.body);
    assert!(kept.body.contains("A system scope cannot be deleted."));
    let tmp = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/scopes"),
        &[("name", "tmp"), ("consent", "IMPLICIT")],
    )
    .await;
    assert_done(&mut b, &env, &tmp, &server, "scope-created").await;
    let tmp_id = id_named(&env, &format!("{api}/scopes"), "tmp").await;
    let gone = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/scopes/{tmp_id}/delete"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &gone, &server, "scope-deleted").await;

    // Claims: a reserved name refused, a RESOURCE expression and a GROUPS claim added, one edited, one deleted.
    let form = b.get(&env.s.url(&format!("{server}/claims/new"))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let claim = |name: &'static str| {
        [
            ("name", name),
            ("claimType", "RESOURCE"),
            ("valueType", "EXPRESSION"),
            ("value", "user.profile.department"),
            ("alwaysIncludeInToken", "on"),
            ("scopes", "orders:read"),
        ]
    };
    let reserved = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/claims"),
        &claim("sub"),
    )
    .await;
    assert_eq!(reserved.status, 400, "{}", reserved.body);
    assert!(reserved.body.contains("id=\"e-name\""));
    assert!(text(&reserved.body).contains("\"sub\" is a reserved claim name"));
    let made = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/claims"),
        &claim("dept"),
    )
    .await;
    assert_done(&mut b, &env, &made, &server, "claim-created").await;
    let groups = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/claims"),
        &[
            ("name", "groups"),
            ("claimType", "IDENTITY"),
            ("valueType", "GROUPS"),
            ("groupFilterType", "STARTS_WITH"),
            ("value", "Sta"),
            ("alwaysIncludeInToken", "on"),
        ],
    )
    .await;
    assert_done(&mut b, &env, &groups, &server, "claim-created").await;
    let dept = id_named(&env, &format!("{api}/claims"), "dept").await;
    let edit = b.get(&env.s.url(&format!("{server}/claims/{dept}"))).await;
    assert!(edit.body.contains("value=\"dept\""));
    let bad = submit(
        &mut b,
        &env,
        &edit,
        &format!("{server}/claims/{dept}"),
        &[
            ("name", "dept"),
            ("claimType", "RESOURCE"),
            ("valueType", "GROUPS"),
            ("value", "x"),
        ],
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("id=\"e-groupFilterType\""),
        "{}",
        bad.body
    );
    // Saving keeps the claim's status, whatever a crafted form says: status has its own buttons.
    let saved = submit(
        &mut b,
        &env,
        &edit,
        &format!("{server}/claims/{dept}"),
        &[
            ("name", "dept"),
            ("claimType", "RESOURCE"),
            ("valueType", "EXPRESSION"),
            ("value", "user.profile.department"),
            ("alwaysIncludeInToken", "on"),
            ("scopes", "orders:read"),
            ("status", "INACTIVE"),
        ],
    )
    .await;
    assert_done(&mut b, &env, &saved, &server, "claim-saved").await;
    let (_, stored) = env
        .admin(Method::GET, &format!("{api}/claims/{dept}"), None)
        .await;
    assert_eq!(stored["status"], "ACTIVE", "{stored}");
    let tmp = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/claims"),
        &claim("tmp"),
    )
    .await;
    assert_done(&mut b, &env, &tmp, &server, "claim-created").await;
    let tmp_id = id_named(&env, &format!("{api}/claims"), "tmp").await;
    let gone = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/claims/{tmp_id}/delete"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &gone, &server, "claim-deleted").await;

    // An access policy: ALL_CLIENTS with an app refused, made, edited, deactivated and activated.
    let form = b.get(&env.s.url(&format!("{server}/policies/new"))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let mixed = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/policies"),
        &[
            ("name", "Orders"),
            ("clients", "ALL_CLIENTS"),
            ("clients", "abc"),
        ],
    )
    .await;
    assert_eq!(mixed.status, 400, "{}", mixed.body);
    assert!(mixed.body.contains("id=\"e-clients\""));
    let made = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/policies"),
        &[
            ("name", "Orders"),
            ("description", "Who reads orders"),
            ("clients", "ALL_CLIENTS"),
        ],
    )
    .await;
    let pid = last_segment(&made);
    let policy = format!("{server}/policies/{pid}");
    let page = assert_done(&mut b, &env, &made, &policy, "access-policy-created").await;
    assert!(page.body.contains("id=\"no-rules\""));
    let saved = submit(
        &mut b,
        &env,
        &page,
        &policy,
        &[
            ("name", "Orders"),
            ("description", "Staff read orders"),
            ("priority", "1"),
            ("clients", "ALL_CLIENTS"),
        ],
    )
    .await;
    assert_done(&mut b, &env, &saved, &policy, "access-policy-saved").await;
    let off = submit(
        &mut b,
        &env,
        &page,
        &format!("{policy}/lifecycle/deactivate"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &off, &server, "access-policy-deactivated").await;
    let (_, p) = env
        .admin(Method::GET, &format!("{api}/policies/{pid}"), None)
        .await;
    assert_eq!(
        (&p["status"], &p["description"]),
        (&json!("INACTIVE"), &json!("Staff read orders"))
    );
    let on = submit(
        &mut b,
        &env,
        &page,
        &format!("{policy}/lifecycle/activate"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &on, &server, "access-policy-activated").await;

    // A rule: a lifetime out of bounds refused next to its field, made, edited, deactivated and activated.
    let form = b.get(&env.s.url(&format!("{policy}/rules/new"))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let rule = |access: &'static str| {
        [
            ("name", "Staff read"),
            ("grantTypes", "authorization_code"),
            ("groups", "EVERYONE"),
            ("scopes", "openid"),
            ("scopes", "profile"),
            ("scopes", "orders:read"),
            ("accessTokenLifetimeMinutes", access),
            ("refreshTokenLifetimeMinutes", "0"),
            ("refreshTokenWindowMinutes", "10080"),
        ]
    };
    let short = submit(&mut b, &env, &form, &format!("{policy}/rules"), &rule("2")).await;
    assert_eq!(short.status, 400, "{}", short.body);
    assert!(
        short.body.contains("id=\"e-accessTokenLifetimeMinutes\""),
        "{}",
        short.body
    );
    let made = submit(&mut b, &env, &form, &format!("{policy}/rules"), &rule("30")).await;
    let page = assert_done(&mut b, &env, &made, &policy, "rule-created").await;
    assert!(page.body.contains("access token 30 min"), "{}", page.body);
    let rid = id_named(&env, &format!("{api}/policies/{pid}/rules"), "Staff read").await;
    let edit = b.get(&env.s.url(&format!("{policy}/rules/{rid}"))).await;
    assert!(edit.body.contains("value=\"Staff read\""));
    let mut renamed = rule("30");
    renamed[0].1 = "Staff may read";
    let saved = submit(
        &mut b,
        &env,
        &edit,
        &format!("{policy}/rules/{rid}"),
        &renamed,
    )
    .await;
    assert_done(&mut b, &env, &saved, &policy, "rule-saved").await;
    let off = submit(
        &mut b,
        &env,
        &edit,
        &format!("{policy}/rules/{rid}/lifecycle/deactivate"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &off, &policy, "rule-deactivated").await;
    let (_, r) = env
        .admin(
            Method::GET,
            &format!("{api}/policies/{pid}/rules/{rid}"),
            None,
        )
        .await;
    assert_eq!(
        (&r["status"], &r["name"]),
        (&json!("INACTIVE"), &json!("Staff may read"))
    );
    let on = submit(
        &mut b,
        &env,
        &edit,
        &format!("{policy}/rules/{rid}/lifecycle/activate"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &on, &policy, "rule-activated").await;
    let tmp = submit(&mut b, &env, &form, &format!("{policy}/rules"), &rule("60")).await;
    assert_done(&mut b, &env, &tmp, &policy, "rule-created").await;
    let tmp_id = id_named(&env, &format!("{api}/policies/{pid}/rules"), "Staff read").await;
    let gone = submit(
        &mut b,
        &env,
        &form,
        &format!("{policy}/rules/{tmp_id}/delete"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &gone, &policy, "rule-deleted").await;

    // A second policy, deleted.
    let form = b.get(&env.s.url(&format!("{server}/policies/new"))).await;
    let made = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/policies"),
        &[("name", "Tmp"), ("clients", "ALL_CLIENTS")],
    )
    .await;
    let tmp_pid = last_segment(&made);
    let gone = submit(
        &mut b,
        &env,
        &form,
        &format!("{server}/policies/{tmp_pid}/delete"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &gone, &server, "access-policy-deleted").await;

    // Every change is logged with the administrator as actor.
    for event in [
        "oauth2.scope.created",
        "oauth2.scope.updated",
        "oauth2.scope.deleted",
        "oauth2.claim.created",
        "oauth2.claim.deleted",
        "policy.lifecycle.create",
        "policy.lifecycle.deactivate",
        "policy.lifecycle.delete",
        "policy.rule.add",
        "policy.rule.update",
        "policy.rule.delete",
    ] {
        assert!(!events_by(&env, &admin, event).await.is_empty(), "{event}");
    }
}

#[tokio::test]
async fn the_token_preview_shows_the_matching_rule_and_the_claims_or_the_refusal() {
    let env = Env::start();
    with_role(&env, "viewer@example.com", "READ_ONLY_ADMIN").await;
    let sid = custom_server(&env, "orders").await;
    let api = format!("/api/v1/authorizationServers/{sid}");
    for (path, body) in [
        ("scopes", json!({"name": "orders:read"})),
        (
            "claims",
            json!({"name": "dept", "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": "user.profile.department", "conditions": {"scopes": ["orders:read"]}}),
        ),
        (
            "claims",
            json!({"name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS",
            "group_filter_type": "STARTS_WITH", "value": "Sta", "conditions": {"scopes": []}}),
        ),
        (
            "policies",
            json!({"type": "OAUTH_AUTHORIZATION_POLICY", "name": "Orders", "description": "d",
            "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}}),
        ),
    ] {
        let (status, b) = env
            .admin(Method::POST, &format!("{api}/{path}"), Some(body))
            .await;
        assert!((200..300).contains(&status), "{status} {b}");
    }
    let pid = id_named(&env, &format!("{api}/policies"), "Orders").await;
    let (status, b) = env
        .admin(
            Method::POST,
            &format!("{api}/policies/{pid}/rules"),
            Some(json!({"type": "RESOURCE_ACCESS", "name": "Staff read",
                "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
                    "grantTypes": {"include": ["authorization_code"]},
                    "scopes": {"include": ["openid", "profile", "orders:read"]}}})),
        )
        .await;
    assert!((200..300).contains(&status), "{status} {b}");
    let ada = env.create_user("ada@example.com").await;
    let (status, b) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{ada}"),
            Some(json!({"profile": {"department": "Maths"}})),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let (_, g) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Staff"}})),
        )
        .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    env.admin(
        Method::PUT,
        &format!("/api/v1/groups/{gid}/users/{ada}"),
        None,
    )
    .await;
    let (_, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"label": "Orders web", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
                "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
                "settings": {"oauthClient": {"application_type": "web", "grant_types": ["authorization_code"],
                    "redirect_uris": ["https://orders.example.com/cb"]}}})),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    let client_id = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A read-only administrator may preview: a GET that changes nothing.
    let mut b = signed_in_as(&env, "viewer@example.com").await;
    let page = b.get(&env.s.url(&format!("/admin/servers/{sid}"))).await;
    assert!(page.body.contains("id=\"preview-form\""));
    let preview = |login: &str, grant: &str, scope: &str| {
        format!(
            "/admin/servers/{sid}/preview?client={client_id}&login={}&grant={grant}&scope={}",
            url::form_urlencoded::byte_serialize(login.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(scope.as_bytes()).collect::<String>()
        )
    };
    // Not assigned to the app yet: the authorization endpoint's refusal.
    let refused = b
        .get(
            &env.s
                .url(&preview("ada@example.com", "authorization_code", "openid")),
        )
        .await;
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(
        text(&refused.body)
            .contains("access_denied: User is not assigned to the client application."),
        "{}",
        refused.body
    );
    env.admin(
        Method::PUT,
        &format!("/api/v1/apps/{app_id}/groups/{gid}"),
        Some(json!({})),
    )
    .await;
    // The system log is written in the background: settled before the previews.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let logs_before = log_count(&env).await;
    let page = b
        .get(&env.s.url(&preview(
            "ada@example.com",
            "authorization_code",
            "openid orders:read",
        )))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = text(&page.body);
    assert!(
        body.contains("<dd id=\"preview-policy\">Orders</dd>"),
        "{body}"
    );
    assert!(
        body.contains("<dd id=\"preview-rule\">Staff read</dd>"),
        "{body}"
    );
    assert!(
        body.contains("\"dept\": \"Maths\""),
        "the custom claim: {body}"
    );
    assert!(
        body.contains("\"scp\": [\n    \"openid\",\n    \"orders:read\"\n  ]"),
        "{body}"
    );
    assert!(
        body.contains("\"groups\": [\n    \"Staff\"\n  ]"),
        "the groups claim: {body}"
    );
    assert!(body.contains(&format!("\"uid\": \"{ada}\"")));
    // A scope the rule does not grant; a grant type the app may not use.
    let page = b
        .get(&env.s.url(&preview(
            "ada@example.com",
            "authorization_code",
            "openid email",
        )))
        .await;
    assert!(
        text(&page.body).contains("access_denied: Policy evaluation failed"),
        "{}",
        page.body
    );
    assert!(text(&page.body).contains("no_matching_rule"));
    let page = b
        .get(&env.s.url(&preview("", "client_credentials", "orders:read")))
        .await;
    assert!(
        text(&page.body).contains("unauthorized_client"),
        "{}",
        page.body
    );
    let page = b
        .get(&env.s.url(&preview(
            "nobody@example.com",
            "authorization_code",
            "openid",
        )))
        .await;
    assert!(page.body.contains("No user has this username."));
    // Nothing was logged.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(log_count(&env).await, logs_before, "a preview logs nothing");
}

#[tokio::test]
async fn a_read_only_administrator_cannot_change_an_authorization_server() {
    let env = Env::start();
    with_role(&env, "viewer@example.com", "READ_ONLY_ADMIN").await;
    let sid = custom_server(&env, "orders").await;
    let api = format!("/api/v1/authorizationServers/{sid}");
    let openid = id_named(&env, &format!("{api}/scopes"), "openid").await;
    let mut b = signed_in_as(&env, "viewer@example.com").await;
    let before = snapshot(&env).await;
    let page = b.get(&env.s.url(&format!("/admin/servers/{sid}"))).await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("method=\"post\""),
        "no form that changes anything"
    );
    assert!(!page.body.contains("id=\"add-scope\""));
    for path in ["scopes/new", "claims/new", "policies/new"] {
        let page = b
            .get(&env.s.url(&format!("/admin/servers/{sid}/{path}")))
            .await;
        assert_eq!(page.status, 403, "{path}");
    }
    let add = b.get(&env.s.url("/admin/servers/new")).await;
    assert_eq!(add.status, 403);
    let r = b
        .post(
            &env.s.url("/admin/servers/new"),
            &[("csrf", ""), ("name", "x")],
        )
        .await;
    assert_eq!(r.status, 403);
    for action in [
        "settings".to_owned(),
        "lifecycle/deactivate".to_owned(),
        "delete".to_owned(),
        "scopes".to_owned(),
        format!("scopes/{openid}"),
        format!("scopes/{openid}/delete"),
        "claims".to_owned(),
        "policies".to_owned(),
        "policies/x/lifecycle/deactivate".to_owned(),
        "policies/x/delete".to_owned(),
        "policies/x/rules".to_owned(),
        "policies/x/rules/y".to_owned(),
        "policies/x/rules/y/delete".to_owned(),
    ] {
        let r = b
            .post(
                &env.s.url(&format!("/admin/servers/{sid}/{action}")),
                &[("csrf", ""), ("name", "x"), ("consent", "IMPLICIT")],
            )
            .await;
        assert_eq!(r.status, 403, "{action}");
        assert!(r.body.contains("You have read-only access"), "{action}");
    }
    assert_eq!(snapshot(&env).await, before, "nothing changed");
}

#[tokio::test]
async fn an_administrator_adds_edits_deactivates_and_deletes_a_custom_server() {
    let env = Env::start();
    let admin = with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let mut b = signed_in_as(&env, "root@example.com").await;
    let list = b.get(&env.s.url("/admin/servers")).await;
    assert!(list.body.contains("id=\"add-server\""));
    let form = b.get(&env.s.url("/admin/servers/new")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let refused = submit(
        &mut b,
        &env,
        &form,
        "/admin/servers/new",
        &[
            ("name", "orders"),
            ("description", "Orders API"),
            ("audiences", ""),
        ],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"e-audiences\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"orders\""));
    let made = submit(
        &mut b,
        &env,
        &form,
        "/admin/servers/new",
        &[
            ("name", "orders"),
            ("description", "Orders API"),
            ("audiences", "api://orders"),
        ],
    )
    .await;
    let sid = last_segment(&made);
    let server = format!("/admin/servers/{sid}");
    let page = assert_done(&mut b, &env, &made, &server, "server-created").await;
    assert!(
        page.body.contains("<code>openid</code>"),
        "its system scopes"
    );
    let api = format!("/api/v1/authorizationServers/{sid}");
    let edit = b.get(&env.s.url(&format!("{server}/settings"))).await;
    assert!(edit.body.contains("value=\"api://orders\""));
    let saved = submit(
        &mut b,
        &env,
        &edit,
        &format!("{server}/settings"),
        &[
            ("name", "orders"),
            ("description", "The orders"),
            ("audiences", "api://orders api://o2"),
        ],
    )
    .await;
    assert_done(&mut b, &env, &saved, &server, "server-saved").await;
    let (_, s) = env.admin(Method::GET, &api, None).await;
    assert_eq!(s["audiences"], json!(["api://orders", "api://o2"]));
    assert_eq!(s["description"], "The orders");
    let off = submit(
        &mut b,
        &env,
        &edit,
        &format!("{server}/lifecycle/deactivate"),
        &[],
    )
    .await;
    assert_done(&mut b, &env, &off, &server, "server-deactivated").await;
    let (_, s) = env.admin(Method::GET, &api, None).await;
    assert_eq!(s["status"], "INACTIVE");
    let gone = submit(&mut b, &env, &edit, &format!("{server}/delete"), &[]).await;
    assert_done(&mut b, &env, &gone, "/admin/servers", "server-deleted").await;
    let (status, _) = env.admin(Method::GET, &api, None).await;
    assert_eq!(status, 404);
    // The org server is not changed here.
    let org = b.get(&env.s.url("/admin/servers/org/settings")).await;
    assert_eq!(org.status, 404);
    for event in [
        "oauth2.as.created",
        "oauth2.as.updated",
        "oauth2.as.deactivated",
        "oauth2.as.deleted",
    ] {
        assert!(!events_by(&env, &admin, event).await.is_empty(), "{event}");
    }
}

#[tokio::test]
async fn the_token_preview_shows_the_claims_the_token_endpoint_issues() {
    let env = Env::start();
    with_role(&env, "root@example.com", "SUPER_ADMIN").await;
    let sid = custom_server(&env, "orders").await;
    let api = format!("/api/v1/authorizationServers/{sid}");
    for (path, body) in [
        ("scopes", json!({"name": "orders:read"})),
        (
            "claims",
            json!({"name": "team", "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": "\"orders\"", "conditions": {"scopes": ["orders:read"]}}),
        ),
        (
            "policies",
            json!({"type": "OAUTH_AUTHORIZATION_POLICY", "name": "Services", "description": "d",
            "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}}),
        ),
    ] {
        let (status, b) = env
            .admin(Method::POST, &format!("{api}/{path}"), Some(body))
            .await;
        assert!((200..300).contains(&status), "{status} {b}");
    }
    let pid = id_named(&env, &format!("{api}/policies"), "Services").await;
    let (status, b) = env
        .admin(
            Method::POST,
            &format!("{api}/policies/{pid}/rules"),
            Some(json!({"type": "RESOURCE_ACCESS", "name": "Machines",
                "conditions": {"grantTypes": {"include": ["client_credentials"]},
                    "scopes": {"include": ["orders:read"]}},
                "actions": {"token": {"accessTokenLifetimeMinutes": 15}}})),
        )
        .await;
    assert!((200..300).contains(&status), "{status} {b}");
    let (_, svc) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"label": "Svc", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
                "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_post"}},
                "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"]}}})),
        )
        .await;
    let client_id = svc["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = svc["credentials"]["oauthClient"]["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut b = signed_in_as(&env, "root@example.com").await;
    let page = b
        .get(&env.s.url(&format!(
            "/admin/servers/{sid}/preview?client={client_id}&login=&grant=client_credentials&scope=orders%3Aread"
        )))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = text(&page.body);
    assert!(
        body.contains("<dd id=\"preview-rule\">Machines</dd>"),
        "{body}"
    );
    let start = body.find("<pre id=\"access-token\"").unwrap();
    let json_start = start + body[start..].find('>').unwrap() + 1;
    let json_end = json_start + body[json_start..].find("</pre>").unwrap();
    let previewed: serde_json::Map<String, Value> =
        serde_json::from_str(&body[json_start..json_end]).unwrap();

    let r = common::client()
        .post(env.s.url(&format!("/oauth2/{sid}/v1/token")))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "orders:read"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let issued: Value = r.json().await.unwrap();
    let token = issued["access_token"].as_str().unwrap();
    let mut claims = lanyard_core::crypto::verify::UnverifiedJws::parse(token)
        .unwrap()
        .claims;
    assert_eq!(claims["team"], "orders", "the custom claim");
    // The same claims, but for the values minted per token (the preview's own jti, its clock's iat and exp).
    let mut previewed = previewed;
    for m in [&mut claims, &mut previewed] {
        let lifetime = m["exp"].as_i64().unwrap() - m["iat"].as_i64().unwrap();
        assert_eq!(lifetime, 15 * 60);
        for k in ["jti", "iat", "exp"] {
            m.remove(k);
        }
    }
    assert_eq!(previewed, claims);
}
