//! The Authorization Servers API through the real binary: servers, scopes, claims, policies and rules in Okta's
//! shapes and errors; a new server's discovery and JWKS; lifecycle; dense priorities; protected system scopes.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const AS: &str = "/api/v1/authorizationServers";

async fn create_server(env: &Env, name: &str) -> Value {
    let (status, body) = env
        .admin(
            Method::POST,
            AS,
            Some(json!({"name": name, "description": "Payments API", "audiences": ["api://payments"]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn assert_cause(body: &Value, field: &str) {
    assert_okta_error(body, "E0000001");
    let causes = body["errorCauses"].as_array().expect("causes");
    assert!(
        causes.iter().any(|c| c["errorSummary"]
            .as_str()
            .is_some_and(|s| s.starts_with(&format!("{field}:")))),
        "no cause names {field}: {body}"
    );
}

#[tokio::test]
async fn servers_round_trip_with_validation_lifecycle_discovery_and_keys() {
    let env = Env::start();
    let (status, body) = env
        .admin(Method::POST, AS, Some(json!({"name": "x"})))
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "description");
    assert_cause(&body, "audiences");
    let (status, body) = env
        .admin(
            Method::POST,
            AS,
            Some(json!({"name": "x", "description": "d", "audiences": []})),
        )
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "audiences");

    let server = create_server(&env, "Payments").await;
    let sid = id(&server);
    assert!(sid.starts_with("aus") && sid.len() == 20, "{sid}");
    assert_eq!(server["status"], "ACTIVE");
    assert_eq!(server["audiences"], json!(["api://payments"]));
    let issuer = env.s.url(&format!("/oauth2/{sid}"));
    assert_eq!(server["issuer"], issuer);
    assert!(
        server["credentials"]["signing"]["kid"].is_string(),
        "{server}"
    );

    // Its own discovery and JWKS, at once.
    let (status, _, doc) = get_json(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], issuer);
    assert_eq!(doc["jwks_uri"], format!("{issuer}/v1/keys"));
    let scopes: Vec<&str> = doc["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for s in [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
        "device_sso",
    ] {
        assert!(scopes.contains(&s), "{s} missing from {scopes:?}");
    }
    let (status, _, jwks) = get_json(&format!("{issuer}/v1/keys")).await;
    assert_eq!(status, 200);
    assert!(
        kids(&jwks).contains(
            &server["credentials"]["signing"]["kid"]
                .as_str()
                .unwrap()
                .to_owned()
        )
    );
    let (_, _, default_jwks) = get_json(&env.s.url("/oauth2/default/v1/keys")).await;
    assert!(
        kids(&jwks).iter().all(|k| !kids(&default_jwks).contains(k)),
        "keys are per server"
    );

    // Read, list with q, replace.
    let (status, read) = env.admin(Method::GET, &format!("{AS}/{sid}"), None).await;
    assert_eq!((status, read["name"].clone()), (200, json!("Payments")));
    let (status, list) = env.admin(Method::GET, &format!("{AS}?q=pay"), None).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (_, list) = env.admin(Method::GET, &format!("{AS}?q=zzz"), None).await;
    assert!(list.as_array().unwrap().is_empty());
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("{AS}/{sid}"),
            Some(json!({"name": "Payments v2", "description": "new", "audiences": ["api://p2"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["audiences"], json!(["api://p2"]));
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("{AS}/{sid}"),
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "name");

    // Deactivated: its OAuth endpoints are gone; activated: back.
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("{AS}/{sid}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, read) = env.admin(Method::GET, &format!("{AS}/{sid}"), None).await;
    assert_eq!(read["status"], "INACTIVE");
    let (status, _, body) = get_json(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    let (status, _, _) = get_json(&format!("{issuer}/v1/keys")).await;
    assert_eq!(status, 404);
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("{AS}/{sid}/lifecycle/activate"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = get_json(&format!("{issuer}/v1/keys")).await;
    assert_eq!(status, 200);

    // Deleted: gone everywhere.
    let (status, _) = env
        .admin(Method::DELETE, &format!("{AS}/{sid}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = env.admin(Method::GET, &format!("{AS}/{sid}"), None).await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
    let (status, _, _) = get_json(&format!("{issuer}/v1/keys")).await;
    assert_eq!(status, 404);
    let (status, _) = env
        .admin(Method::GET, &format!("{AS}/{sid}/scopes"), None)
        .await;
    assert_eq!(status, 404);

    // The org server is not part of this API.
    for (method, path) in [
        (Method::GET, format!("{AS}/org")),
        (Method::DELETE, format!("{AS}/org")),
        (Method::POST, format!("{AS}/org/lifecycle/deactivate")),
        (Method::GET, format!("{AS}/org/scopes")),
    ] {
        let (status, body) = env.admin(method, &path, None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
}

#[tokio::test]
async fn servers_page_with_link_headers() {
    let env = Env::start();
    for i in 0..2 {
        create_server(&env, &format!("s{i}")).await;
    }
    let (status, headers, body) = api_get(&env.s.url(&format!("{AS}?limit=2")), &env.token).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 2);
    let links: Vec<_> = headers
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let next = links.last().unwrap();
    assert!(next.ends_with("rel=\"next\""), "{links:?}");
    let url = next
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    let (_, headers, body) = api_get(&url, &env.token).await;
    assert_eq!(
        body.as_array().unwrap().len(),
        1,
        "default + 2 servers in all"
    );
    assert_eq!(headers.get_all("link").iter().count(), 1);
}

#[tokio::test]
async fn scopes_round_trip_publish_to_discovery_and_system_scopes_are_protected() {
    let env = Env::start();
    let base = format!("{AS}/default/scopes");
    let (status, list) = env.admin(Method::GET, &base, None).await;
    assert_eq!(status, 200);
    let openid = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "openid")
        .expect("default has the system scopes")
        .clone();
    assert_eq!(openid["system"], true);

    let (status, body) = env
        .admin(
            Method::POST,
            &base,
            Some(json!({"name": "bad name", "consent": "MAYBE"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "name");
    assert_cause(&body, "consent");

    let (status, scope) = env
        .admin(
            Method::POST,
            &base,
            Some(json!({"name": "payments:read", "description": "Read payments", "consent": "REQUIRED",
                        "default": true, "metadataPublish": "ALL_CLIENTS"})),
        )
        .await;
    assert_eq!(status, 201, "{scope}");
    assert_eq!(scope["consent"], "REQUIRED");
    assert_eq!(scope["system"], false);
    assert!(scope["id"].as_str().unwrap().starts_with("scp"));
    let (status, body) = env
        .admin(Method::POST, &base, Some(json!({"name": "payments:read"})))
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "name");

    let disco = env
        .s
        .url("/oauth2/default/.well-known/openid-configuration");
    let published = |doc: &Value, name: &str| {
        doc["scopes_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == name)
    };
    let (_, _, doc) = get_json(&disco).await;
    assert!(published(&doc, "payments:read"), "{doc}");

    let sid = id(&scope);
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("{base}/{sid}"),
            Some(json!({"name": "payments:read", "metadataPublish": "NO_CLIENTS"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["consent"], "IMPLICIT");
    let (_, _, doc) = get_json(&disco).await;
    assert!(!published(&doc, "payments:read"));
    assert!(published(&doc, "openid"));

    // System scopes: no renaming, no deleting; other fields may change.
    let oid = id(&openid);
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("{base}/{oid}"),
            Some(json!({"name": "renamed"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "name");
    let (status, body) = env
        .admin(Method::DELETE, &format!("{base}/{oid}"), None)
        .await;
    assert_eq!(status, 403);
    assert_okta_error(&body, "E0000006");
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("{base}/{oid}"),
            Some(json!({"name": "openid", "description": "Sign in", "metadataPublish": "ALL_CLIENTS"})),
        )
        .await;
    assert_eq!(
        (status, body["description"].clone()),
        (200, json!("Sign in"))
    );

    let (status, _) = env
        .admin(Method::DELETE, &format!("{base}/{sid}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = env.admin(Method::GET, &format!("{base}/{sid}"), None).await;
    assert_eq!(status, 404);
    assert_okta_error(&body, "E0000007");
}

#[tokio::test]
async fn claims_round_trip_and_unsupported_expressions_are_refused() {
    let env = Env::start();
    let base = format!("{AS}/default/claims");
    let (status, body) = env
        .admin(
            Method::POST,
            &base,
            Some(
                json!({"name": "sub", "claimType": "RESOURCE", "value": "appuser.dept",
                        "conditions": {"scopes": ["nope"]}}),
            ),
        )
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "name");
    assert_cause(&body, "value");
    assert_cause(&body, "conditions.scopes");
    let (status, body) = env
        .admin(
            Method::POST,
            &base,
            Some(json!({"name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS", "value": "eng"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "group_filter_type");

    let (status, claim) = env
        .admin(
            Method::POST,
            &base,
            Some(json!({"name": "full_name", "claimType": "IDENTITY", "valueType": "EXPRESSION",
                        "value": "user.firstName + \" \" + user.lastName", "alwaysIncludeInToken": false,
                        "conditions": {"scopes": ["profile"]}})),
        )
        .await;
    assert_eq!(status, 201, "{claim}");
    assert_eq!(claim["status"], "ACTIVE");
    assert_eq!(claim["alwaysIncludeInToken"], false);
    assert_eq!(claim["conditions"]["scopes"], json!(["profile"]));
    assert!(claim.get("group_filter_type").is_none());
    let (status, groups) = env
        .admin(
            Method::POST,
            &base,
            Some(
                json!({"name": "groups", "claimType": "RESOURCE", "valueType": "GROUPS",
                        "group_filter_type": "REGEX", "value": "eng-.*"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{groups}");
    assert_eq!(groups["group_filter_type"], "REGEX");

    let cid = id(&claim);
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("{base}/{cid}"),
            Some(json!({"name": "full_name", "claimType": "IDENTITY", "value": "user.login", "status": "INACTIVE"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["value"].clone(), body["status"].clone()),
        (json!("user.login"), json!("INACTIVE"))
    );
    let (_, list) = env.admin(Method::GET, &base, None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (status, _) = env
        .admin(Method::DELETE, &format!("{base}/{cid}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = env.admin(Method::GET, &format!("{base}/{cid}"), None).await;
    assert_eq!(status, 404);
}

async fn policy_names(env: &Env, server: &str) -> Vec<(String, i64)> {
    let (_, list) = env
        .admin(Method::GET, &format!("{AS}/{server}/policies"), None)
        .await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["priority"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn named(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect()
}

#[tokio::test]
async fn policies_and_rules_round_trip_reorder_and_validate() {
    let env = Env::start();
    let server = create_server(&env, "Payments").await;
    let sid = id(&server);
    let base = format!("{AS}/{sid}/policies");
    // A new custom server has no policy (only `default` ships one).
    assert!(policy_names(&env, &sid).await.is_empty());

    let (status, body) = env
        .admin(
            Method::POST,
            &base,
            Some(json!({"type": "OKTA_SIGN_ON", "conditions": {}})),
        )
        .await;
    assert_eq!(status, 400);
    assert_cause(&body, "type");
    assert_cause(&body, "name");
    assert_cause(&body, "conditions.clients.include");

    let policy = |name: &str, priority: Option<i64>| {
        let mut b = json!({"type": "OAUTH_AUTHORIZATION_POLICY", "name": name, "description": "d",
                           "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}});
        if let Some(p) = priority {
            b["priority"] = json!(p);
        }
        b
    };
    let (status, a) = env
        .admin(Method::POST, &base, Some(policy("A", None)))
        .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(
        (a["priority"].clone(), a["status"].clone()),
        (json!(1), json!("ACTIVE"))
    );
    let (_, b) = env
        .admin(Method::POST, &base, Some(policy("B", None)))
        .await;
    let (_, c) = env
        .admin(Method::POST, &base, Some(policy("C", Some(1))))
        .await;
    assert_eq!(c["priority"], 1);
    assert_eq!(
        policy_names(&env, &sid).await,
        named(&[("C", 1), ("A", 2), ("B", 3)])
    );
    // Moving C last; deleting A closes the gap.
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("{base}/{}", id(&c)),
            Some(policy("C", Some(3))),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        policy_names(&env, &sid).await,
        named(&[("A", 1), ("B", 2), ("C", 3)])
    );
    let (status, _) = env
        .admin(Method::DELETE, &format!("{base}/{}", id(&a)), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(policy_names(&env, &sid).await, named(&[("B", 1), ("C", 2)]));

    // Lifecycle.
    let pc = format!("{base}/{}", id(&c));
    let (status, _) = env
        .admin(Method::POST, &format!("{pc}/lifecycle/deactivate"), None)
        .await;
    assert_eq!(status, 204);
    let (_, read) = env.admin(Method::GET, &pc, None).await;
    assert_eq!(read["status"], "INACTIVE");
    assert!(read["_links"]["activate"]["href"].is_string());
    let (status, _) = env
        .admin(Method::POST, &format!("{pc}/lifecycle/activate"), None)
        .await;
    assert_eq!(status, 204);

    // Rules.
    let rules = format!("{pc}/rules");
    let (status, body) = env
        .admin(
            Method::POST,
            &rules,
            Some(json!({"type": "RESOURCE_ACCESS", "name": "r",
                "conditions": {"grantTypes": {"include": ["refresh_token"]}, "scopes": {"include": ["payments:write"]}},
                "actions": {"token": {"accessTokenLifetimeMinutes": 2, "refreshTokenWindowMinutes": 5}}})),
        )
        .await;
    assert_eq!(status, 400);
    for f in [
        "conditions.grantTypes.include",
        "conditions.scopes.include",
        "actions.token.accessTokenLifetimeMinutes",
        "actions.token.refreshTokenWindowMinutes",
    ] {
        assert_cause(&body, f);
    }
    let rule = |name: &str, priority: Option<i64>| {
        let mut b = json!({"type": "RESOURCE_ACCESS", "name": name,
            "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
                           "grantTypes": {"include": ["client_credentials", "authorization_code"]},
                           "scopes": {"include": ["openid", "email"]}},
            "actions": {"token": {"accessTokenLifetimeMinutes": 30, "refreshTokenLifetimeMinutes": 0,
                                  "refreshTokenWindowMinutes": 60}}});
        if let Some(p) = priority {
            b["priority"] = json!(p);
        }
        b
    };
    let (status, r1) = env
        .admin(Method::POST, &rules, Some(rule("r1", None)))
        .await;
    assert_eq!(status, 201, "{r1}");
    assert_eq!(r1["actions"]["token"]["accessTokenLifetimeMinutes"], 30);
    assert_eq!(
        r1["conditions"]["grantTypes"]["include"],
        json!(["client_credentials", "authorization_code"])
    );
    let (_, r2) = env
        .admin(Method::POST, &rules, Some(rule("r2", Some(1))))
        .await;
    assert_eq!(r2["priority"], 1);
    let (_, read) = env
        .admin(Method::GET, &format!("{rules}/{}", id(&r1)), None)
        .await;
    assert_eq!(read["priority"], 2);
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("{rules}/{}", id(&r1)),
            Some(rule("r1 renamed", Some(1))),
        )
        .await;
    assert_eq!(
        (status, body["priority"].clone()),
        (200, json!(1)),
        "{body}"
    );
    let (_, read) = env
        .admin(Method::GET, &format!("{rules}/{}", id(&r2)), None)
        .await;
    assert_eq!(read["priority"], 2);
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("{rules}/{}/lifecycle/deactivate", id(&r2)),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, read) = env
        .admin(Method::GET, &format!("{rules}/{}", id(&r2)), None)
        .await;
    assert_eq!(read["status"], "INACTIVE");
    let (status, _) = env
        .admin(Method::DELETE, &format!("{rules}/{}", id(&r1)), None)
        .await;
    assert_eq!(status, 204);
    let (_, list) = env.admin(Method::GET, &rules, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["priority"], 1);
    // A rule of another policy is not found under this one.
    let (status, _) = env
        .admin(
            Method::GET,
            &format!("{base}/{}/rules/{}", id(&b), id(&r2)),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_default_server_can_be_deleted_and_stays_deleted_after_a_restart() {
    let dir = data_dir();
    let s = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    let r = client()
        .delete(s.url(&format!("{AS}/default")))
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    drop(s);
    let s = serve(dir.path(), &[]);
    let (status, _, _) = api_get(&s.url(&format!("{AS}/default")), &token).await;
    assert_eq!(status, 404);
    let (status, _, _) = get_json(&s.url("/oauth2/default/v1/keys")).await;
    assert_eq!(status, 404);
    let (status, _, _) = get_json(&s.url("/oauth2/v1/keys")).await;
    assert_eq!(status, 200);
}
