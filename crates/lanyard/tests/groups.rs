//! Groups, memberships, the built-in `Everyone` group and administrator roles through the real binary, in Okta's
//! shapes and errors.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

struct Api {
    server: Server,
    token: String,
    _dir: tempfile::TempDir,
}

impl Api {
    fn start() -> Api {
        let dir = data_dir();
        let server = serve(dir.path(), &[]);
        let token = api_token(dir.path());
        Api {
            server,
            token,
            _dir: dir,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        self.call_url(method, &self.server.url(path), body).await
    }

    async fn call_url(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = client()
            .request(method, url)
            .header("Authorization", format!("SSWS {}", self.token));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        (
            status,
            headers,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            },
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let (s, _, b) = self.call(Method::GET, path, None).await;
        (s, b)
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, b) = self.call(Method::POST, path, Some(body)).await;
        (s, b)
    }

    async fn put(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let (s, _, b) = self.call(Method::PUT, path, body).await;
        (s, b)
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        let (s, _, b) = self.call(Method::DELETE, path, None).await;
        (s, b)
    }

    async fn user(&self, first: &str, last: &str) -> String {
        let login = format!(
            "{}.{}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let body = json!({"profile": {"firstName": first, "lastName": last, "email": login, "login": login}});
        let (status, user) = self.post("/api/v1/users", body).await;
        assert_eq!(status, 200, "{user}");
        user["id"].as_str().unwrap().to_owned()
    }

    async fn group(&self, name: &str, description: Option<&str>) -> Value {
        let (status, group) = self
            .post(
                "/api/v1/groups",
                json!({"profile": {"name": name, "description": description}}),
            )
            .await;
        assert_eq!(status, 200, "{group}");
        group
    }

    /// Follows `rel="next"` from `path`; every item of every page, and the number of pages.
    async fn walk(&self, path: &str, limit: usize) -> (Vec<Value>, usize) {
        let mut url = self.server.url(path);
        let mut items = Vec::new();
        let mut pages = 0;
        loop {
            let (status, headers, page) = self.call_url(Method::GET, &url, None).await;
            assert_eq!(status, 200, "{page}");
            pages += 1;
            let page = page.as_array().unwrap().clone();
            assert!(
                page.len() <= limit,
                "{} items on a page of {limit}",
                page.len()
            );
            items.extend(page);
            let links: Vec<String> = headers
                .get_all("link")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect();
            assert!(links[0].ends_with("rel=\"self\""), "{links:?}");
            match links.last().filter(|l| l.ends_with("rel=\"next\"")) {
                Some(next) => {
                    url = next
                        .trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap()
                        .to_owned();
                    assert!(url.starts_with(&self.server.url("/")), "absolute: {url}");
                }
                None => return (items, pages),
            }
        }
    }

    async fn everyone(&self) -> Value {
        let (status, found) = self.get("/api/v1/groups?q=everyone").await;
        assert_eq!(status, 200);
        let found = found.as_array().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].clone()
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

fn causes(body: &Value) -> Vec<String> {
    body["errorCauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["errorSummary"].as_str().unwrap().to_owned())
        .collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn groups_round_trip_in_oktas_shape() {
    let api = Api::start();
    let group = api.group("Engineering", Some("Builds things")).await;
    let gid = id(&group);
    assert!(gid.starts_with("00g") && gid.len() == 20, "{gid}");
    assert_eq!(group["type"], "OKTA_GROUP");
    assert_eq!(group["objectClass"], json!(["okta:user_group"]));
    assert_eq!(
        group["profile"],
        json!({"name": "Engineering", "description": "Builds things"})
    );
    for t in ["created", "lastUpdated", "lastMembershipUpdated"] {
        assert!(group[t].as_str().unwrap().ends_with('Z'), "{t}: {group}");
    }
    let href = api.server.url(&format!("/api/v1/groups/{gid}"));
    assert_eq!(group["_links"]["self"]["href"], href);
    assert_eq!(group["_links"]["users"]["href"], format!("{href}/users"));

    let (status, read) = api.get(&format!("/api/v1/groups/{gid}")).await;
    assert_eq!(status, 200);
    assert_eq!(read, group);

    // PUT replaces the profile: the description left out goes.
    let (status, replaced) = api
        .put(
            &format!("/api/v1/groups/{gid}"),
            Some(json!({"profile": {"name": "Engines"}})),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(
        replaced["profile"],
        json!({"name": "Engines", "description": null})
    );
    assert_eq!(replaced["created"], group["created"]);
    assert!(replaced["lastUpdated"].as_str() >= group["lastUpdated"].as_str());
    assert_eq!(api.get(&format!("/api/v1/groups/{gid}")).await.1, replaced);
    // The whole object sent back, as SDKs do, is accepted.
    let mut round = replaced.clone();
    round["profile"]["description"] = json!("Makes engines");
    let (status, again) = api.put(&format!("/api/v1/groups/{gid}"), Some(round)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["profile"]["description"], "Makes engines");

    let (status, body) = api.delete(&format!("/api/v1/groups/{gid}")).await;
    assert_eq!((status, body), (204, Value::Null));
    for (status, body) in [
        api.get(&format!("/api/v1/groups/{gid}")).await,
        api.delete(&format!("/api/v1/groups/{gid}")).await,
        api.put(
            &format!("/api/v1/groups/{gid}"),
            Some(json!({"profile": {"name": "X"}})),
        )
        .await,
    ] {
        assert_eq!(status, 404);
        assert_okta_error(&body, "E0000007");
    }
}

#[tokio::test]
async fn group_names_are_unique_whatever_the_case_and_profiles_are_validated() {
    let api = Api::start();
    let admins = api.group("Admins", None).await;
    assert_eq!(admins["profile"]["description"], Value::Null);
    for name in ["ADMINS", "admins", "everyone"] {
        let (status, body) = api
            .post("/api/v1/groups", json!({"profile": {"name": name}}))
            .await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_okta_error(&body, "E0000001");
        assert_eq!(
            causes(&body),
            vec!["name: An object with this field already exists in the current organization"]
        );
    }
    let ops = api.group("Ops", None).await;
    let (status, body) = api
        .put(
            &format!("/api/v1/groups/{}", id(&ops)),
            Some(json!({"profile": {"name": "aDmInS"}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(causes(&body)[0].starts_with("name:"), "{body}");

    let cases = [
        (
            json!({"profile": {}}),
            "name: The field cannot be left blank",
        ),
        (json!({}), "name: The field cannot be left blank"),
        (
            json!({"profile": {"name": "  ", "description": "x"}}),
            "name: The field cannot be left blank",
        ),
        (
            json!({"profile": {"name": "x".repeat(256)}}),
            "name: Must be at most 255 characters",
        ),
        (json!({"profile": {"name": 7}}), "name: Must be a string"),
        (
            json!({"profile": {"name": "Ok", "owner": "me"}}),
            "owner: Property is not defined in the group profile schema",
        ),
    ];
    for (body, cause) in cases {
        let (status, err) = api.post("/api/v1/groups", body.clone()).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_okta_error(&err, "E0000001");
        assert_eq!(causes(&err), vec![cause], "{body}");
    }
    let (status, _) = api
        .post(
            "/api/v1/groups",
            json!({"profile": {"name": "x".repeat(255)}}),
        )
        .await;
    assert_eq!(status, 200, "255 characters are allowed");

    let (status, _, body) = api
        .call_url(Method::POST, &api.server.url("/api/v1/groups"), None)
        .await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000001");
    let r = client()
        .post(api.server.url("/api/v1/groups"))
        .header("Authorization", format!("SSWS {}", api.token))
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_okta_error(&r.json().await.unwrap(), "E0000003");
}

#[tokio::test]
async fn groups_list_by_name_prefix_and_page_each_once() {
    let api = Api::start();
    let everyone = api.everyone().await;
    let mut all = vec![id(&everyone)];
    for name in [
        "Engineering",
        "engines",
        "Sales",
        "Support",
        "Eng_lish",
        "Marketing",
        "Legal",
    ] {
        all.push(id(&api.group(name, None).await));
    }
    all.sort();

    let (items, pages) = api.walk("/api/v1/groups?limit=3", 3).await;
    assert_eq!(ids(&items), all, "each group once, in id order");
    assert_eq!(pages, 3);

    let names = |items: &[Value]| -> Vec<String> {
        let mut v: Vec<String> = items
            .iter()
            .map(|g| g["profile"]["name"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let (items, pages) = api.walk("/api/v1/groups?q=ENG&limit=1", 1).await;
    assert_eq!(names(&items), vec!["Eng_lish", "Engineering", "engines"]);
    assert!(pages >= 3, "q is kept in the next link");
    assert_eq!(
        names(&api.walk("/api/v1/groups?q=eng_", 100).await.0),
        vec!["Eng_lish"]
    );
    assert_eq!(
        names(&api.walk("/api/v1/groups?q=s", 100).await.0),
        vec!["Sales", "Support"]
    );
    assert!(api.walk("/api/v1/groups?q=ales", 100).await.0.is_empty());
    assert_eq!(api.walk("/api/v1/groups?q=", 100).await.0.len(), 8);

    for bad in [
        "/api/v1/groups?filter=type%20eq%20%22OKTA_GROUP%22",
        "/api/v1/groups?search=profile.name%20sw%20%22E%22",
    ] {
        let (status, body) = api.get(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_okta_error(&body, "E0000031");
    }
    let (status, body) = api.get("/api/v1/groups?limit=0").await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000001");
}

#[tokio::test]
async fn members_are_added_once_listed_in_pages_and_removed() {
    let api = Api::start();
    let everyone = api.everyone().await;
    let team = api.group("Team", None).await;
    let gid = id(&team);
    let mut members = Vec::new();
    for (f, l) in [
        ("Ada", "Lovelace"),
        ("Grace", "Hopper"),
        ("Alan", "Turing"),
        ("Edsger", "Dijkstra"),
    ] {
        members.push(api.user(f, l).await);
    }
    members.sort();
    let outsider = api.user("Barbara", "Liskov").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    for uid in &members {
        for _ in 0..2 {
            let (status, body) = api
                .put(&format!("/api/v1/groups/{gid}/users/{uid}"), None)
                .await;
            assert_eq!((status, body), (204, Value::Null), "idempotent");
        }
    }
    let after_adds = api.get(&format!("/api/v1/groups/{gid}")).await.1;
    assert!(
        after_adds["lastMembershipUpdated"].as_str() > team["lastMembershipUpdated"].as_str(),
        "{after_adds}"
    );
    assert_eq!(
        after_adds["lastUpdated"], team["lastUpdated"],
        "membership is not the profile"
    );

    let (items, pages) = api
        .walk(&format!("/api/v1/groups/{gid}/users?limit=3"), 3)
        .await;
    assert_eq!(pages, 2);
    assert_eq!(ids(&items), members, "each member once, in id order");
    let ada = items
        .iter()
        .find(|u| u["profile"]["login"] == "ada.lovelace@example.com")
        .unwrap();
    assert_eq!(ada["status"], "PROVISIONED");
    assert_eq!(ada["type"]["id"], "default");
    assert!(ada["_links"]["groups"]["href"].is_string());
    let ada_id = id(ada);

    // A member's groups: the group and Everyone; an outsider's: Everyone only.
    let mut expected = vec![gid.clone(), id(&everyone)];
    expected.sort();
    let (groups, _) = api
        .walk(&format!("/api/v1/users/{}/groups", ada_id), 100)
        .await;
    assert_eq!(ids(&groups), expected);
    assert_eq!(
        groups.iter().find(|g| g["id"] == gid.as_str()).unwrap(),
        &after_adds
    );
    let (groups, _) = api
        .walk("/api/v1/users/ada.lovelace@example.com/groups?limit=1", 1)
        .await;
    assert_eq!(ids(&groups), expected, "by login too, paged");
    let (groups, _) = api
        .walk(&format!("/api/v1/users/{outsider}/groups"), 100)
        .await;
    assert_eq!(ids(&groups), vec![id(&everyone)]);
    assert_eq!(groups[0]["type"], "BUILT_IN");

    for _ in 0..2 {
        let (status, _) = api
            .delete(&format!("/api/v1/groups/{gid}/users/{}", members[1]))
            .await;
        assert_eq!(status, 204, "removing twice is fine");
    }
    let (status, _) = api
        .delete(&format!("/api/v1/groups/{gid}/users/{outsider}"))
        .await;
    assert_eq!(status, 204, "removing a non-member is fine");
    let (items, _) = api.walk(&format!("/api/v1/groups/{gid}/users"), 1000).await;
    assert_eq!(
        ids(&items),
        vec![members[0].clone(), members[2].clone(), members[3].clone()]
    );
    let (groups, _) = api
        .walk(&format!("/api/v1/users/{}/groups", members[1]), 100)
        .await;
    assert_eq!(ids(&groups), vec![id(&everyone)]);

    // Unknown groups and users are 404s in Okta's form.
    let nobody = "00u0000000000nobody0";
    let ghost = "00g0000000000ghost00";
    for (status, body) in [
        api.put(
            &format!("/api/v1/groups/{ghost}/users/{}", members[0]),
            None,
        )
        .await,
        api.put(&format!("/api/v1/groups/{gid}/users/{nobody}"), None)
            .await,
        api.delete(&format!("/api/v1/groups/{gid}/users/{nobody}"))
            .await,
        api.delete(&format!("/api/v1/groups/{ghost}/users/{}", members[0]))
            .await,
        api.get(&format!("/api/v1/groups/{ghost}/users")).await,
        api.get(&format!("/api/v1/users/{nobody}/groups")).await,
    ] {
        assert_eq!(status, 404, "{body}");
        assert_okta_error(&body, "E0000007");
    }

    // Deleting a user (deactivate, then delete) ends its memberships; deleting the group ends the rest.
    for _ in 0..2 {
        assert_eq!(
            api.delete(&format!("/api/v1/users/{}", members[0])).await.0,
            204
        );
    }
    let (items, _) = api.walk(&format!("/api/v1/groups/{gid}/users"), 1000).await;
    assert_eq!(ids(&items), vec![members[2].clone(), members[3].clone()]);
    assert_eq!(api.delete(&format!("/api/v1/groups/{gid}")).await.0, 204);
    let (groups, _) = api
        .walk(&format!("/api/v1/users/{}/groups", members[2]), 100)
        .await;
    assert_eq!(ids(&groups), vec![id(&everyone)]);
}

#[tokio::test]
async fn everyone_holds_every_user_and_cannot_be_changed() {
    let api = Api::start();
    let everyone = api.everyone().await;
    let eid = id(&everyone);
    assert_eq!(everyone["type"], "BUILT_IN");
    assert_eq!(everyone["profile"]["name"], "Everyone");
    assert_eq!(everyone["objectClass"], json!(["okta:user_group"]));
    assert!(
        api.walk(&format!("/api/v1/groups/{eid}/users"), 1000)
            .await
            .0
            .is_empty()
    );

    let mut users = Vec::new();
    for (f, l) in [
        ("Ada", "Lovelace"),
        ("Grace", "Hopper"),
        ("Alan", "Turing"),
        ("Edsger", "Dijkstra"),
        ("Barbara", "Liskov"),
    ] {
        users.push(api.user(f, l).await);
    }
    users.sort();
    let (items, pages) = api
        .walk(&format!("/api/v1/groups/{eid}/users?limit=2"), 2)
        .await;
    assert_eq!(ids(&items), users, "every user once, in id order");
    assert_eq!(pages, 3);

    // Nothing can change who is in it, what it is called, or whether it exists.
    for (status, body) in [
        api.put(&format!("/api/v1/groups/{eid}/users/{}", users[0]), None)
            .await,
        api.delete(&format!("/api/v1/groups/{eid}/users/{}", users[0]))
            .await,
        api.put(
            &format!("/api/v1/groups/{eid}"),
            Some(json!({"profile": {"name": "All"}})),
        )
        .await,
        api.delete(&format!("/api/v1/groups/{eid}")).await,
    ] {
        assert_eq!(status, 403, "{body}");
        assert_okta_error(&body, "E0000006");
    }
    assert_eq!(api.get(&format!("/api/v1/groups/{eid}")).await.1, everyone);
    let (items, _) = api.walk(&format!("/api/v1/groups/{eid}/users"), 1000).await;
    assert_eq!(ids(&items), users, "a refused removal removes nobody");
}

#[tokio::test]
async fn admin_roles_are_assigned_listed_and_unassigned() {
    let api = Api::start();
    let uid = api.user("Ada", "Lovelace").await;
    let roles = format!("/api/v1/users/{uid}/roles");
    let (status, listed) = api.get(&roles).await;
    assert_eq!((status, listed), (200, json!([])));

    let (status, role) = api.post(&roles, json!({"type": "SUPER_ADMIN"})).await;
    assert_eq!(status, 201, "{role}");
    let rid = id(&role);
    assert!(rid.starts_with("ra1") && rid.len() == 20, "{rid}");
    assert_eq!(role["label"], "Super Administrator");
    assert_eq!(role["type"], "SUPER_ADMIN");
    assert_eq!(role["status"], "ACTIVE");
    assert_eq!(role["assignmentType"], "USER");
    assert!(role["created"].as_str().unwrap().ends_with('Z'));
    assert!(role["lastUpdated"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        role["_links"]["assignee"]["href"],
        api.server.url(&format!("/api/v1/users/{uid}"))
    );

    let (status, body) = api.post(&roles, json!({"type": "SUPER_ADMIN"})).await;
    assert_eq!(status, 409, "{body}");
    assert_okta_error(&body, "E0000090");

    let (status, org) = api.post(&roles, json!({"type": "ORG_ADMIN"})).await;
    assert_eq!(status, 201);
    assert_eq!(org["label"], "Organization Administrator");
    let (status, read_only) = api
        .post(
            "/api/v1/users/ada.lovelace@example.com/roles",
            json!({"type": "READ_ONLY_ADMIN"}),
        )
        .await;
    assert_eq!(status, 201, "by login too");
    assert_eq!(read_only["label"], "Read-only Administrator");

    let (status, listed) = api.get(&roles).await;
    assert_eq!(status, 200);
    let mut types: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(types, vec!["ORG_ADMIN", "READ_ONLY_ADMIN", "SUPER_ADMIN"]);
    assert!(listed.as_array().unwrap().contains(&role));
    assert_eq!(api.get(&format!("{roles}/{rid}")).await.1, role);

    for (body, cause) in [
        (json!({"type": "GOD_MODE"}), "type: Invalid role type"),
        (json!({"type": "super_admin"}), "type: Invalid role type"),
        (json!({}), "type: The field cannot be left blank"),
    ] {
        let (status, err) = api.post(&roles, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_okta_error(&err, "E0000001");
        assert!(causes(&err)[0].starts_with(cause), "{err}");
    }

    // Another user's roles are their own.
    let bob = api.user("Bob", "Smith").await;
    assert_eq!(
        api.get(&format!("/api/v1/users/{bob}/roles")).await.1,
        json!([])
    );
    let (status, body) = api
        .delete(&format!("/api/v1/users/{bob}/roles/{rid}"))
        .await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");

    let (status, body) = api.delete(&format!("{roles}/{rid}")).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = api.delete(&format!("{roles}/{rid}")).await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    let (status, body) = api.get(&format!("{roles}/{rid}")).await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    assert_eq!(api.get(&roles).await.1.as_array().unwrap().len(), 2);
    let (status, _) = api.post(&roles, json!({"type": "SUPER_ADMIN"})).await;
    assert_eq!(status, 201, "unassigned, it can be assigned again");

    let nobody = "/api/v1/users/00u0000000000nobody0/roles";
    for (status, body) in [
        api.get(nobody).await,
        api.post(nobody, json!({"type": "SUPER_ADMIN"})).await,
        api.delete(&format!("{nobody}/{rid}")).await,
    ] {
        assert_eq!(status, 404);
        assert_okta_error(&body, "E0000007");
    }

    // Every grant and revocation is in the system log, with the user as target.
    let logged = |event: &'static str, want: usize| {
        let api = &api;
        let uid = uid.clone();
        async move {
            let filter = format!("eventType eq \"{event}\" and target.id eq \"{uid}\"");
            let path = format!(
                "/api/v1/logs?filter={}",
                url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
            );
            let mut n = 0;
            for _ in 0..50 {
                n = api.get(&path).await.1.as_array().map_or(0, Vec::len);
                if n >= want {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            n
        }
    };
    assert_eq!(logged("user.account.privilege.grant", 4).await, 4);
    assert_eq!(logged("user.account.privilege.revoke", 1).await, 1);
}
