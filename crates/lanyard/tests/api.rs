//! The management API skeleton in Okta's dialect: SSWS tokens, Okta error bodies, pagination, rate limits.

mod common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn ssws_with_and_without_a_space_works_and_bad_tokens_get_e0000011() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    let url = s.url("/api/v1/users");
    for header in [format!("SSWS {token}"), format!("SSWS{token}")] {
        let r = client()
            .get(&url)
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.json::<Value>().await.unwrap(), serde_json::json!([]));
    }
    let wrong = format!("SSWS {}x", &token[..token.len() - 1]);
    for header in [Some(wrong.as_str()), Some("SSWS"), Some("Bearer abc"), None] {
        let mut req = client().get(&url);
        if let Some(h) = header {
            req = req.header("Authorization", h);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{header:?}");
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_okta_error(&r.json().await.unwrap(), "E0000011");
    }
}

#[tokio::test]
async fn errors_come_in_okta_form() {
    let dir = data_dir();
    let s = serve(dir.path(), &["--max-body-bytes", "1024"]);
    let token = api_token(dir.path());
    let auth = format!("SSWS {token}");
    let rotate = s.url("/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate");

    let r = client()
        .post(&rotate)
        .header("Authorization", &auth)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_okta_error(&r.json().await.unwrap(), "E0000003");

    let r = client()
        .post(&rotate)
        .header("Authorization", &auth)
        .json(&serde_json::json!({"use": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_okta_error(&body, "E0000001");
    assert!(!body["errorCauses"].as_array().unwrap().is_empty());

    let big = format!("{{\"use\":\"{}\"}}", "x".repeat(4096));
    let r = client()
        .post(&rotate)
        .header("Authorization", &auth)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_okta_error(&r.json().await.unwrap(), "E0000003");

    let (status, _, body) = api_get(&s.url("/api/v1/authorizationServers/nope"), &token).await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    assert!(
        body["errorSummary"]
            .as_str()
            .unwrap()
            .contains("nope (AuthorizationServer)")
    );

    let (status, _, body) = api_get(&s.url("/api/v1/users?limit=zero"), &token).await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000001");

    let r = client()
        .put(s.url("/api/v1/api-tokens"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_okta_error(&r.json().await.unwrap(), "E0000022");
}

#[tokio::test]
async fn api_tokens_page_with_okta_link_headers_and_revoke() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let tokens: Vec<String> = (0..5).map(|_| api_token(dir.path())).collect();
    let token = &tokens[0];

    let mut url = s.url("/api/v1/api-tokens?limit=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (status, headers, body) = api_get(&url, token).await;
        assert_eq!(status, 200);
        pages += 1;
        let links: Vec<String> = headers
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(links[0].ends_with("rel=\"self\""), "self first: {links:?}");
        seen.extend(
            body.as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned()),
        );
        match links.iter().find(|l| l.ends_with("rel=\"next\"")) {
            Some(next) => {
                assert_eq!(links.last(), Some(next), "next last");
                url = next
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_owned();
                assert!(
                    url.starts_with(&s.addr) && url.contains("after=") && url.contains("limit=2"),
                    "{url}"
                );
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "each token once: {seen:?}");

    let (_, _, me) = api_get(&s.url("/api/v1/api-tokens/current"), &tokens[1]).await;
    let id = me["id"].as_str().unwrap().to_owned();
    let r = client()
        .delete(s.url(&format!("/api/v1/api-tokens/{id}")))
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, _, _) = api_get(&s.url("/api/v1/users"), &tokens[1]).await;
    assert_eq!(status, 401, "a revoked token stops working at once");
    let r = client()
        .delete(s.url("/api/v1/api-tokens/current"))
        .header("Authorization", format!("SSWS {}", tokens[2]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(api_get(&s.url("/api/v1/users"), &tokens[2]).await.0, 401);
    assert_eq!(api_get(&s.url("/api/v1/users"), token).await.0, 200);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    // Four seconds: long enough for the first use to come before the expiry on a loaded machine (the CLI's start
    // counts), short enough to wait for.
    let minted = std::time::Instant::now();
    let out = lanyard().run(&[
        "api-token",
        "create",
        "--name",
        "short",
        "--expires-in",
        "4s",
        "--data-dir",
        path_str(dir.path()),
    ]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(api_get(&s.url("/api/v1/users"), &token).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(4200).saturating_sub(minted.elapsed()))
        .await;
    assert_eq!(api_get(&s.url("/api/v1/users"), &token).await.0, 401);
}

#[tokio::test]
async fn rate_limits_answer_429_with_okta_headers() {
    let dir = data_dir();
    let s = serve(dir.path(), &["--api-rate-limit", "3"]);
    let token = api_token(dir.path());
    let url = s.url("/api/v1/users");
    // Stay inside one one-minute window.
    let into_minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if into_minute >= 55 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - into_minute)).await;
    }
    for i in 0..3 {
        let r = client()
            .get(&url)
            .header("Authorization", format!("SSWS {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-rate-limit-limit"], "3");
        assert_eq!(
            r.headers()["x-rate-limit-remaining"].to_str().unwrap(),
            (2 - i).to_string()
        );
    }
    let r = client()
        .get(&url)
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let h = r.headers().clone();
    assert_eq!(h.get_all("x-rate-limit-reset").iter().count(), 1);
    let reset: i64 = h["x-rate-limit-reset"].to_str().unwrap().parse().unwrap();
    let date = h["date"].to_str().unwrap().to_owned();
    assert!(!date.is_empty());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        reset > now - 1 && reset <= now + 61,
        "reset {reset} vs now {now}"
    );
    assert_eq!(h["x-rate-limit-remaining"], "0");
    assert_okta_error(&r.json().await.unwrap(), "E0000047");
}

#[tokio::test]
async fn authorization_servers_list_and_policies_read_in_okta_shape() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    let (status, headers, list) = api_get(&s.url("/api/v1/authorizationServers"), &token).await;
    assert_eq!(status, 200);
    assert!(headers["link"].to_str().unwrap().contains("rel=\"self\""));
    let servers = list.as_array().unwrap();
    assert_eq!(servers.len(), 1, "the org server is not listed, as in Okta");
    assert_eq!(servers[0]["id"], "default");
    assert_eq!(
        servers[0]["audiences"],
        serde_json::json!(["api://default"])
    );
    assert_eq!(servers[0]["issuer"], format!("{}/oauth2/default", s.addr));
    let (_, _, policies) = api_get(
        &s.url("/api/v1/authorizationServers/default/policies"),
        &token,
    )
    .await;
    let policy = &policies[0];
    assert_eq!(
        policy["conditions"]["clients"]["include"],
        serde_json::json!(["ALL_CLIENTS"])
    );
    let pid = policy["id"].as_str().unwrap();
    let (_, _, rules) = api_get(
        &s.url(&format!(
            "/api/v1/authorizationServers/default/policies/{pid}/rules"
        )),
        &token,
    )
    .await;
    let rule = &rules[0];
    assert_eq!(
        rule["conditions"]["scopes"]["include"],
        serde_json::json!(["*"])
    );
    assert!(
        rule["conditions"]["grantTypes"]["include"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "client_credentials")
    );
    assert_eq!(
        rule["conditions"]["people"]["groups"]["include"],
        serde_json::json!(["EVERYONE"])
    );
}

#[tokio::test]
async fn the_openapi_document_is_public_and_every_operation_in_it_is_served() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    let (status, headers, doc) = get_json(&s.url("/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    let users = &doc["paths"]["/users/{id}"]["get"];
    assert_eq!(users["x-okta-scope"], "okta.users.read");
    assert_eq!(
        users["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/User"
    );
    // Each documented operation reaches a handler: never the router's 404 for an unknown path, nor a 405.
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete: String = path
            .split('/')
            .map(|seg| match seg {
                // A lifecycle operation's name is part of the route: an unknown one is an unknown path.
                "{op}" | "{operation}" => "activate",
                s if s.starts_with('{') => "x",
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            operations += 1;
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = client()
                .request(method.clone(), s.url(&format!("/api/v1{concrete}")))
                .header("Authorization", format!("SSWS {token}"))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path}");
            assert!(status < 500, "{method} {path}: {status} {body}");
            assert!(
                !(status == 404 && body.contains(&format!("/api/v1{concrete}"))),
                "{method} {path} not routed: {body}"
            );
        }
    }
    assert!(operations > 130, "{operations}");
    // An unknown path is the router's 404 (what the loop above rules out).
    let r = client()
        .get(s.url("/api/v1/nothing/here"))
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("/api/v1/nothing/here"));
}

#[tokio::test]
async fn extractor_refusals_come_in_okta_form() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    // A query parameter given twice, a path segment that is not UTF-8: axum's extractors refuse them, in plain text
    // before; every API error is Okta's JSON.
    for path in [
        "/api/v1/users?q=a&q=b",
        "/api/v1/logs?since=a&since=b",
        "/api/v1/users/%FF",
    ] {
        let r = client()
            .get(s.url(path))
            .header("Authorization", format!("SSWS {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.headers()["content-type"], "application/json", "{path}");
        let body: Value = r.json().await.unwrap();
        assert_okta_error(&body, "E0000001");
    }
}
