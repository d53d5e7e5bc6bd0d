//! The users API through the real binary: create, read, update, list with `q`/`filter`/`search` and pagination,
//! every lifecycle transition, delete — in Okta's shapes.

mod common;

use common::*;
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
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = client()
            .request(method, self.server.url(path))
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
        let (s, _, b) = self.call(reqwest::Method::GET, path, None).await;
        (s, b)
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, b) = self.call(reqwest::Method::POST, path, Some(body)).await;
        (s, b)
    }

    async fn create(&self, first: &str, last: &str, password: Option<&str>, query: &str) -> Value {
        let login = format!(
            "{}.{}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let mut body = json!({"profile": {"firstName": first, "lastName": last, "email": login, "login": login}});
        if let Some(p) = password {
            body["credentials"] = json!({"password": {"value": p}});
        }
        let (status, user) = self.post(&format!("/api/v1/users{query}"), body).await;
        assert_eq!(status, 200, "{user}");
        user
    }
}

const PASSWORD: &str = "Correct-Horse-9";

#[tokio::test]
async fn create_read_and_the_rules_of_logins_and_profiles() {
    let api = Api::start();
    let ada = api.create("Ada", "Lovelace", Some(PASSWORD), "").await;
    assert_eq!(ada["status"], "ACTIVE");
    assert!(
        ada["id"].as_str().unwrap().starts_with("00u") && ada["id"].as_str().unwrap().len() == 20
    );
    assert!(ada["credentials"]["password"].is_object());
    assert_eq!(ada["credentials"]["provider"]["type"], "OKTA");
    assert_eq!(ada["profile"]["firstName"], "Ada");
    assert!(ada["activated"].is_string() && ada["created"].as_str().unwrap().ends_with('Z'));
    assert!(
        !ada.to_string().contains(PASSWORD),
        "the password never comes back"
    );

    let id = ada["id"].as_str().unwrap();
    assert_eq!(api.get(&format!("/api/v1/users/{id}")).await.1["id"], id);
    assert_eq!(
        api.get("/api/v1/users/ADA.lovelace@example.com").await.1["id"],
        id,
        "by login, any case"
    );
    let (status, body) = api.get("/api/v1/users/nobody@example.com").await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");

    // The same login in another case is taken.
    let (status, body) = api
        .post("/api/v1/users", json!({"profile": {"firstName": "A", "lastName": "L", "email": "x@example.com", "login": "Ada.Lovelace@EXAMPLE.com"}}))
        .await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000001");
    assert!(
        body["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("login:"),
        "{body}"
    );

    let (status, body) = api
        .post(
            "/api/v1/users",
            json!({"profile": {"login": "bob@example.com", "email": "bob"}}),
        )
        .await;
    assert_eq!(status, 400);
    let causes: Vec<&str> = body["errorCauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["errorSummary"].as_str().unwrap())
        .collect();
    assert!(
        causes.contains(&"firstName: The field cannot be left blank"),
        "{causes:?}"
    );
    assert!(
        causes.contains(&"email: Does not match required pattern"),
        "{causes:?}"
    );

    let weak = json!({"profile": {"firstName": "Bob", "lastName": "Smith", "email": "bob@example.com", "login": "bob@example.com"},
                      "credentials": {"password": {"value": "bob"}}});
    let (status, body) = api.post("/api/v1/users", weak).await;
    assert_eq!(status, 400);
    assert!(
        body["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("password:"),
        "{body}"
    );

    let (status, body) = api.post("/api/v1/users", json!("not an object")).await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "E0000001");
}

#[tokio::test]
async fn partial_and_full_updates_and_password_history() {
    let api = Api::start();
    let ada = api.create("Ada", "Lovelace", Some(PASSWORD), "").await;
    let id = ada["id"].as_str().unwrap();
    let (status, updated) = api
        .post(
            &format!("/api/v1/users/{id}"),
            json!({"profile": {"nickName": "Countess", "department": "Engines"}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["profile"]["nickName"], "Countess");
    assert_eq!(
        updated["profile"]["firstName"], "Ada",
        "a partial update keeps the other attributes"
    );
    assert_eq!(
        api.get(&format!("/api/v1/users/{id}")).await.1["profile"]["department"],
        "Engines"
    );

    let full = json!({"profile": {"firstName": "Ada", "lastName": "King", "email": "ada@example.com", "login": "ada@example.com"}});
    let (status, _, replaced) = api
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/users/{id}"),
            Some(full),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert!(
        replaced["profile"].get("nickName").is_none(),
        "a full update replaces the profile"
    );
    assert_eq!(
        api.get("/api/v1/users/ada@example.com").await.1["id"],
        id,
        "the login changed with the profile"
    );

    let same = json!({"credentials": {"password": {"value": PASSWORD}}});
    let (status, body) = api.post(&format!("/api/v1/users/{id}"), same).await;
    assert_eq!(
        status, 400,
        "the current password cannot be set again: {body}"
    );
    let (status, _) = api
        .post(
            &format!("/api/v1/users/{id}"),
            json!({"credentials": {"password": {"value": "Another-Pass-7"}}}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn lists_page_and_filter_with_q_filter_and_search() {
    let api = Api::start();
    let names = [
        ("Ada", "Lovelace"),
        ("Grace", "Hopper"),
        ("Alan", "Turing"),
        ("Edsger", "Dijkstra"),
        ("Barbara", "Liskov"),
        ("Donald", "Knuth"),
        ("Margaret", "Hamilton"),
    ];
    let mut ids = Vec::new();
    for (i, (f, l)) in names.iter().enumerate() {
        let query = if i % 2 == 0 { "" } else { "?activate=false" };
        ids.push(
            api.create(f, l, Some(PASSWORD), query).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    // Pagination: every user once, Link next last and absolute.
    let mut url = api.server.url("/api/v1/users?limit=3");
    let mut seen = Vec::new();
    loop {
        let r = client()
            .get(&url)
            .header("Authorization", format!("SSWS {}", api.token))
            .send()
            .await
            .unwrap();
        let links: Vec<String> = r
            .headers()
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let page: Value = r.json().await.unwrap();
        assert!(page.as_array().unwrap().len() <= 3);
        seen.extend(
            page.as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned()),
        );
        match links.last().filter(|l| l.ends_with("rel=\"next\"")) {
            Some(next) => {
                url = next
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_owned()
            }
            None => break,
        }
    }
    assert_eq!(seen, ids, "each user once, in creation order");

    let found = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u["profile"]["lastName"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        found(&api.get("/api/v1/users?q=gra").await.1),
        vec!["Hopper"]
    );
    assert_eq!(
        found(&api.get("/api/v1/users?q=knuth").await.1),
        vec!["Knuth"]
    );
    let (_, staged) = api
        .get("/api/v1/users?filter=status%20eq%20%22STAGED%22")
        .await;
    assert_eq!(found(&staged), vec!["Hopper", "Dijkstra", "Knuth"]);
    let (_, either) = api.get("/api/v1/users?filter=profile.lastName+eq+%22turing%22+or+profile.firstName+eq+%22Ada%22").await;
    assert_eq!(found(&either), vec!["Lovelace", "Turing"]);
    let (_, search) = api.get("/api/v1/users?search=profile.firstName%20sw%20%22a%22%20and%20status%20eq%20%22ACTIVE%22").await;
    assert_eq!(found(&search), vec!["Lovelace", "Turing"]);
    let (_, all_but) = api
        .get("/api/v1/users?search=not%20(profile.lastName%20co%20%22o%22)")
        .await;
    assert_eq!(found(&all_but), vec!["Turing", "Dijkstra", "Knuth"]);

    for bad in [
        "status%20eq",
        "status%20eq%20%22x%22%20and",
        "profile.firstName%20sw%20%22a%22",
        "lastUpdated%20gt%20%22yesterday%22",
    ] {
        let (status, body) = api.get(&format!("/api/v1/users?filter={bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert_okta_error(&body, "E0000031");
        assert!(
            !body["errorCauses"][0]["errorSummary"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn every_lifecycle_transition_and_delete() {
    let api = Api::start();
    let staged = api.create("Alan", "Turing", None, "?activate=false").await;
    assert_eq!(staged["status"], "STAGED");
    assert!(staged["statusChanged"].is_null() && staged["activated"].is_null());
    let id = staged["id"].as_str().unwrap().to_owned();
    let op = |name: &str| format!("/api/v1/users/{id}/lifecycle/{name}");
    let status_of = || async {
        api.get(&format!("/api/v1/users/{id}")).await.1["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    assert_eq!(api.post(&op("activate"), json!({})).await.0, 200);
    assert_eq!(status_of().await, "PROVISIONED", "no password: provisioned");
    assert_eq!(api.post(&op("reactivate"), json!({})).await.0, 200);
    let (status, body) = api.post(&op("activate"), json!({})).await;
    assert_eq!(status, 403);
    assert_okta_error(&body, "E0000016");
    // Setting a password lets a provisioned user sign in.
    assert_eq!(
        api.post(
            &format!("/api/v1/users/{id}"),
            json!({"credentials": {"password": {"value": PASSWORD}}})
        )
        .await
        .0,
        200
    );
    assert_eq!(status_of().await, "ACTIVE");

    assert_eq!(api.post(&op("suspend"), json!({})).await.0, 200);
    assert_eq!(status_of().await, "SUSPENDED");
    assert_eq!(api.post(&op("suspend"), json!({})).await.0, 400);
    assert_eq!(api.post(&op("unsuspend"), json!({})).await.0, 200);
    assert_eq!(status_of().await, "ACTIVE");
    let (status, body) = api.post(&op("unlock"), json!({})).await;
    assert_eq!(status, 403);
    assert_okta_error(&body, "E0000032");
    let (status, expired) = api.post(&op("expire_password"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(expired["status"], "PASSWORD_EXPIRED");
    assert_eq!(api.post(&op("reset_factors"), json!({})).await.0, 200);
    assert_eq!(api.post(&op("nonsense"), json!({})).await.0, 404);

    // Okta's DELETE: first deactivates, then deletes.
    let del = || async {
        api.call(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{id}"),
            None,
        )
        .await
        .0
    };
    assert_eq!(del().await, 204);
    assert_eq!(status_of().await, "DEPROVISIONED");
    assert_eq!(del().await, 204);
    assert_eq!(api.get(&format!("/api/v1/users/{id}")).await.0, 404);

    // Lifecycle calls with an empty body and Python's content type work.
    let other = api.create("Grace", "Hopper", Some(PASSWORD), "").await;
    let r = client()
        .post(api.server.url(&format!(
            "/api/v1/users/{}/lifecycle/deactivate",
            other["id"].as_str().unwrap()
        )))
        .header("Authorization", format!("SSWS {}", api.token))
        .header("content-type", "application/octet-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
