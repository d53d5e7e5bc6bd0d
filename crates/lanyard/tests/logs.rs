//! The system log through the real binary: events written off the request path, Okta's LogEvent shape, and
//! `GET /api/v1/logs` with `filter`, `q`, `since`/`until`, `sortOrder` and pagination; flushed on shutdown.

mod common;

use common::*;
use serde_json::{Value, json};

async fn post(s: &Server, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = client()
        .post(s.url(path))
        .header("Authorization", format!("SSWS {token}"))
        .header("User-Agent", "lanyard-test/1")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn create_user(s: &Server, token: &str, login: &str) -> String {
    let body = json!({"profile": {"firstName": "Ada", "lastName": "Lovelace", "email": login, "login": login},
                      "credentials": {"password": {"value": "Correct-Horse-9"}}});
    let (status, user) = post(s, token, "/api/v1/users", body).await;
    assert_eq!(status, 200, "{user}");
    user["id"].as_str().unwrap().to_owned()
}

fn enc(s: &str) -> String {
    s.replace(' ', "%20").replace('"', "%22")
}

async fn logs(s: &Server, token: &str, query: &str) -> Vec<Value> {
    let (status, _, body) = api_get(&s.url(&format!("/api/v1/logs?{query}")), token).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

#[tokio::test]
async fn events_are_recorded_and_queried_in_okta_form() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    let uid = create_user(&s, &token, "ada@example.com").await;
    assert_eq!(
        post(
            &s,
            &token,
            &format!("/api/v1/users/{uid}/lifecycle/suspend"),
            json!({})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            &s,
            &token,
            &format!("/api/v1/users/{uid}/lifecycle/unsuspend"),
            json!({})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            &s,
            &token,
            &format!("/api/v1/users/{uid}/lifecycle/deactivate"),
            json!({})
        )
        .await
        .0,
        200
    );

    let by_target = format!("filter={}", enc(&format!(r#"target.id eq "{uid}""#)));
    assert!(
        eventually(10, || async {
            logs(&s, &token, &by_target).await.len() == 5
        })
        .await,
        "events not written"
    );
    let events = logs(&s, &token, &by_target).await;
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "user.lifecycle.create",
            "user.lifecycle.activate",
            "user.lifecycle.suspend",
            "user.lifecycle.unsuspend",
            "user.lifecycle.deactivate"
        ]
    );
    let create = &events[0];
    assert_eq!(create["outcome"]["result"], "SUCCESS");
    assert_eq!(create["severity"], "INFO");
    assert_eq!(create["actor"]["type"], "SystemPrincipal");
    assert_eq!(create["actor"]["alternateId"], "api-token:test");
    assert_eq!(create["client"]["ipAddress"], "127.0.0.1");
    assert_eq!(
        create["client"]["userAgent"]["rawUserAgent"],
        "lanyard-test/1"
    );
    assert_eq!(create["target"][0]["id"], uid.as_str());
    assert_eq!(create["target"][0]["alternateId"], "ada@example.com");
    assert_eq!(create["target"][0]["displayName"], "Ada Lovelace");
    assert_eq!(create["uuid"].as_str().unwrap().len(), 36);
    assert!(create["published"].as_str().unwrap().ends_with('Z'));

    let desc = logs(&s, &token, &format!("{by_target}&sortOrder=DESCENDING")).await;
    assert_eq!(desc[0]["eventType"], "user.lifecycle.deactivate");
    let only = logs(
        &s,
        &token,
        &format!(
            "filter={}",
            enc(r#"eventType eq "user.lifecycle.suspend" and outcome.result eq "SUCCESS""#)
        ),
    )
    .await;
    assert_eq!(only.len(), 1);
    let words = logs(&s, &token, "q=Unsuspend%20lovelace").await;
    assert_eq!(words.len(), 1);
    assert_eq!(words[0]["eventType"], "user.lifecycle.unsuspend");
    assert!(
        logs(&s, &token, "since=2100-01-01T00:00:00.000Z")
            .await
            .is_empty()
    );
    assert_eq!(
        logs(&s, &token, "until=2000-01-01T00:00:00Z").await.len(),
        0
    );

    // Pagination: every event once.
    let mut url = s.url(&format!("/api/v1/logs?{by_target}&limit=2"));
    let mut seen = Vec::new();
    loop {
        let (_, headers, body) = api_get(&url, &token).await;
        seen.extend(
            body.as_array()
                .unwrap()
                .iter()
                .map(|e| e["uuid"].as_str().unwrap().to_owned()),
        );
        let links: Vec<String> = headers
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
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
    assert_eq!(
        seen,
        events
            .iter()
            .map(|e| e["uuid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    );

    // Membership changes name both the user and the group.
    let (status, group) = post(
        &s,
        &token,
        "/api/v1/groups",
        json!({"profile": {"name": "Engineers"}}),
    )
    .await;
    assert_eq!(status, 200, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();
    let r = client()
        .put(s.url(&format!("/api/v1/groups/{gid}/users/{uid}")))
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let membership = format!(
        "filter={}",
        enc(&format!(
            r#"eventType eq "group.user_membership.add" and target.id eq "{gid}" and target.id eq "{uid}""#
        ))
    );
    assert!(
        eventually(10, || async {
            logs(&s, &token, &membership).await.len() == 1
        })
        .await,
        "membership event missing"
    );
    let r = client()
        .delete(s.url(&format!("/api/v1/groups/{gid}/users/{uid}")))
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let removal = format!(
        "filter={}",
        enc(&format!(
            r#"eventType eq "group.user_membership.remove" and target.id eq "{gid}""#
        ))
    );
    assert!(
        eventually(10, || async { logs(&s, &token, &removal).await.len() == 1 }).await,
        "removal event missing"
    );

    for (query, code) in [
        ("filter=eventType%20eq", "E0000031"),
        ("filter=status%20eq%20%22x%22", "E0000031"),
        ("since=yesterday", "E0000001"),
        ("sortOrder=UP", "E0000001"),
    ] {
        let (status, _, body) = api_get(&s.url(&format!("/api/v1/logs?{query}")), &token).await;
        assert_eq!(status, 400, "{query}");
        assert_okta_error(&body, code);
    }
}

#[tokio::test]
async fn events_recorded_just_before_shutdown_are_kept() {
    let dir = data_dir();
    let mut s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    let uid = create_user(&s, &token, "grace@example.com").await;
    assert!(s.terminate().success());
    let s = serve(dir.path(), &[]);
    let found = logs(
        &s,
        &token,
        &format!("filter={}", enc(&format!(r#"target.id eq "{uid}""#))),
    )
    .await;
    assert_eq!(
        found.len(),
        2,
        "create and activate were flushed at shutdown"
    );
}
