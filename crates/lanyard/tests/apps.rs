//! The Apps API through the real binary: OIDC apps in Okta's shape, validation causes, secrets, assignments.

mod common;

use common::{Env, assert_okta_error};
use reqwest::Method;
use serde_json::{Value, json};

/// The body the Python SDK sends for a web app.
fn web_app(label: &str) -> Value {
    json!({"label": label, "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
     "credentials": {"oauthClient": {"autoKeyRotation": true, "pkce_required": true, "token_endpoint_auth_method": "client_secret_basic"}},
     "settings": {"oauthClient": {"application_type": "web", "consent_method": "TRUSTED", "dpop_bound_access_tokens": false,
       "grant_types": ["authorization_code", "refresh_token"], "redirect_uris": ["http://localhost:3000/authorization-code/callback"],
       "response_types": ["code"]}}})
}

#[tokio::test]
async fn an_oidc_app_round_trips_in_okta_s_shape_with_its_secret_shown_once() {
    let env = Env::start();
    let (status, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps?activate=true",
            Some(web_app("Grafana")),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    let id = app["id"].as_str().unwrap();
    assert!(id.starts_with("0oa") && id.len() == 20);
    assert_eq!(app["status"], "ACTIVE");
    assert_eq!(app["name"], "oidc_client");
    assert_eq!(app["signOnMode"], "OPENID_CONNECT");
    let oc = &app["credentials"]["oauthClient"];
    assert_eq!(oc["client_id"], id);
    let secret = oc["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "at least 256 bits");
    assert_eq!(oc["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(oc["pkce_required"], true);
    let s = &app["settings"]["oauthClient"];
    assert_eq!(
        s["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(s["application_type"], "web");
    assert_eq!(
        app["_links"]["self"]["href"],
        env.s.url(&format!("/api/v1/apps/{id}"))
    );

    // Read back: the secret is never shown again.
    let (status, again) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert!(
        again["credentials"]["oauthClient"]
            .get("client_secret")
            .is_none()
    );
    assert_eq!(again["label"], "Grafana");

    // Lists and `q`.
    env.admin(Method::POST, "/api/v1/apps", Some(web_app("GitLab")))
        .await;
    let (_, all) = env.admin(Method::GET, "/api/v1/apps?limit=1", None).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let (_, graf) = env.admin(Method::GET, "/api/v1/apps?q=graf", None).await;
    assert_eq!(graf.as_array().unwrap().len(), 1);

    // Replace keeps the client id; the client id cannot change.
    let mut body = web_app("Grafana prod");
    body["settings"]["oauthClient"]["redirect_uris"] =
        json!(["https://grafana.example/login/generic_oauth"]);
    let (status, put) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{id}"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["label"], "Grafana prod");
    assert_eq!(put["credentials"]["oauthClient"]["client_id"], id);
    body["credentials"]["oauthClient"]["client_id"] = json!("something-else");
    let (status, err) = env
        .admin(Method::PUT, &format!("/api/v1/apps/{id}"), Some(body))
        .await;
    assert_eq!(status, 400);
    assert_okta_error(&err, "E0000001");

    // An active app cannot be deleted; a deactivated one can.
    let (status, err) = env
        .admin(Method::DELETE, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(status, 403);
    assert_okta_error(&err, "E0000056");
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{id}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, off) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(off["status"], "INACTIVE");
    let (status, _) = env
        .admin(Method::DELETE, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, err) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}"), None)
        .await;
    assert_eq!(status, 404);
    assert_okta_error(&err, "E0000007");
}

#[tokio::test]
async fn registration_validates_redirect_uris_and_client_types_with_causes() {
    let env = Env::start();
    let mut bad = web_app("Bad");
    bad["settings"]["oauthClient"]["redirect_uris"] = json!([
        "http://evil.example/cb",
        "https://a.example/cb#x",
        "javascript:alert(1)"
    ]);
    let (status, err) = env.admin(Method::POST, "/api/v1/apps", Some(bad)).await;
    assert_eq!(status, 400);
    assert_okta_error(&err, "E0000001");
    let causes = err["errorCauses"].as_array().unwrap();
    assert_eq!(causes.len(), 3, "{err}");
    assert!(causes.iter().all(|c| {
        c["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("redirect_uris:")
    }));

    // A SPA is public: PKCE, no secret.
    let spa = json!({"label": "SPA", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
        "settings": {"oauthClient": {"application_type": "browser", "grant_types": ["authorization_code"],
            "redirect_uris": ["http://localhost:8080/callback"]}}});
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(spa)).await;
    assert_eq!(status, 200, "{app}");
    assert!(
        app["credentials"]["oauthClient"]
            .get("client_secret")
            .is_none()
    );
    let mut secretive = app.clone();
    secretive["credentials"]["oauthClient"]["token_endpoint_auth_method"] =
        json!("client_secret_basic");
    let (status, _) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{}", app["id"].as_str().unwrap()),
            Some(secretive),
        )
        .await;
    assert_eq!(status, 400);

    // No label; another kind of app; the password grant.
    let mut nolabel = web_app("");
    nolabel["label"] = Value::Null;
    assert_eq!(
        env.admin(Method::POST, "/api/v1/apps", Some(nolabel))
            .await
            .0,
        400
    );
    let mut saml = web_app("Saml");
    saml["signOnMode"] = json!("SAML_2_0");
    assert_eq!(
        env.admin(Method::POST, "/api/v1/apps", Some(saml)).await.0,
        400
    );
    let mut password = web_app("Pw");
    password["settings"]["oauthClient"]["grant_types"] = json!(["password"]);
    assert_eq!(
        env.admin(Method::POST, "/api/v1/apps", Some(password))
            .await
            .0,
        400
    );
    // Not JSON.
    let r = common::client()
        .post(env.s.url("/api/v1/apps"))
        .header("Authorization", format!("SSWS {}", env.token))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn logout_settings_round_trip_and_are_validated_like_redirect_uris() {
    let env = Env::start();
    let mut app = web_app("Logout");
    let s = &mut app["settings"]["oauthClient"];
    s["post_logout_redirect_uris"] = json!(["http://localhost:3000/signed-out"]);
    s["backchannel_logout_uri"] = json!("https://api.example.com/backchannel-logout");
    s["backchannel_logout_session_required"] = json!(true);
    s["frontchannel_logout_uri"] = json!("http://localhost:3000/frontchannel-logout");
    s["frontchannel_logout_session_required"] = json!(true);
    let (status, created) = env.admin(Method::POST, "/api/v1/apps", Some(app)).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap();
    let (_, read) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}"), None)
        .await;
    let s = &read["settings"]["oauthClient"];
    assert_eq!(
        s["post_logout_redirect_uris"],
        json!(["http://localhost:3000/signed-out"])
    );
    assert_eq!(
        s["backchannel_logout_uri"],
        "https://api.example.com/backchannel-logout"
    );
    assert_eq!(s["backchannel_logout_session_required"], true);
    assert_eq!(
        s["frontchannel_logout_uri"],
        "http://localhost:3000/frontchannel-logout"
    );
    assert_eq!(s["frontchannel_logout_session_required"], true);

    let mut bad = web_app("Bad logout");
    let s = &mut bad["settings"]["oauthClient"];
    s["post_logout_redirect_uris"] = json!(["http://evil.example/out", "https://a.example/out#x"]);
    s["backchannel_logout_uri"] = json!("http://api.example.com/bcl");
    s["frontchannel_logout_uri"] = json!("https://elsewhere.example/fcl");
    s["frontchannel_logout_session_required"] = json!("yes");
    let (status, err) = env.admin(Method::POST, "/api/v1/apps", Some(bad)).await;
    assert_eq!(status, 400);
    assert_okta_error(&err, "E0000001");
    let causes: Vec<&str> = err["errorCauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["errorSummary"].as_str().unwrap())
        .collect();
    assert_eq!(causes.len(), 5, "{err}");
    for field in [
        "post_logout_redirect_uris:",
        "backchannel_logout_uri:",
        "frontchannel_logout_uri:",
        "frontchannel_logout_session_required:",
    ] {
        assert!(causes.iter().any(|c| c.starts_with(field)), "{field} {err}");
    }
}

#[tokio::test]
async fn secrets_rotate_with_two_active_and_only_inactive_ones_are_deleted() {
    let env = Env::start();
    let (_, app) = env
        .admin(Method::POST, "/api/v1/apps", Some(web_app("Rotating")))
        .await;
    let id = app["id"].as_str().unwrap();
    let path = format!("/api/v1/apps/{id}/credentials/secrets");
    let (_, list) = env.admin(Method::GET, &path, None).await;
    let first = list[0]["id"].as_str().unwrap().to_owned();
    assert!(
        list[0]["client_secret"]
            .as_str()
            .unwrap()
            .ends_with("********")
    );

    let (status, second) = env.admin(Method::POST, &path, None).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["client_secret"].as_str().unwrap().len(), 64);
    // A third is refused.
    let (status, err) = env.admin(Method::POST, &path, None).await;
    assert_eq!(status, 400);
    assert_okta_error(&err, "E0000001");
    // An active secret cannot be deleted.
    let (status, _) = env
        .admin(Method::DELETE, &format!("{path}/{first}"), None)
        .await;
    assert_eq!(status, 400);
    let (status, off) = env
        .admin(
            Method::POST,
            &format!("{path}/{first}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(off["status"], "INACTIVE");
    // The last active one cannot be deactivated.
    let sid = second["id"].as_str().unwrap();
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("{path}/{sid}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = env
        .admin(Method::DELETE, &format!("{path}/{first}"), None)
        .await;
    assert_eq!(status, 204);
    let (_, list) = env.admin(Method::GET, &path, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn users_and_groups_are_assigned_in_okta_s_shape() {
    let env = Env::start();
    let (_, app) = env
        .admin(Method::POST, "/api/v1/apps", Some(web_app("Assigned")))
        .await;
    let id = app["id"].as_str().unwrap();
    let uid = env.create_user("ada@example.com").await;

    let (status, au) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{id}/users"),
            Some(json!({"id": uid, "scope": "USER", "credentials": {"userName": "ada"}})),
        )
        .await;
    assert_eq!(status, 200, "{au}");
    assert_eq!(au["id"], uid.as_str());
    assert_eq!(au["scope"], "USER");
    assert_eq!(au["credentials"]["userName"], "ada");
    let (_, list) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}/users"), None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{id}/users"),
            Some(json!({"id": "00unobody"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/apps/{id}/users/{uid}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}/users/{uid}"), None)
        .await;
    assert_eq!(status, 404);
    // PUT on the user's own path assigns too, as PUT does for a group: the newcomer's first guess.
    let (status, au) = env
        .admin(Method::PUT, &format!("/api/v1/apps/{id}/users/{uid}"), None)
        .await;
    assert_eq!(status, 200, "{au}");
    assert_eq!(au["credentials"]["userName"], "ada@example.com");
    let (status, _) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}/users/{uid}"), None)
        .await;
    assert_eq!(status, 200);

    let (_, group) = env
        .admin(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Engineers"}})),
        )
        .await;
    let gid = group["id"].as_str().unwrap();
    let (status, ag) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{id}/groups/{gid}"),
            Some(json!({"priority": 0})),
        )
        .await;
    assert_eq!(status, 200, "{ag}");
    assert_eq!(ag["id"], gid);
    assert_eq!(ag["priority"], 0);
    assert!(ag["lastUpdated"].is_string());
    let (_, list) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}/groups"), None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{id}/groups/00gnothing"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/apps/{id}/groups/{gid}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn the_implicit_grant_is_opt_in_for_browser_based_apps_with_matching_response_types() {
    let env = Env::start();
    // Off by default: a web app gets the code flow only.
    let (status, app) = env
        .admin(Method::POST, "/api/v1/apps", Some(web_app("Code")))
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(
        app["settings"]["oauthClient"]["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    // Asked for, with its response types: accepted and echoed in Okta's shape.
    let mut hybrid = web_app("Hybrid");
    hybrid["settings"]["oauthClient"]["grant_types"] =
        json!(["authorization_code", "implicit", "refresh_token"]);
    hybrid["settings"]["oauthClient"]["response_types"] = json!(["code", "id_token", "token"]);
    let (status, app) = env.admin(Method::POST, "/api/v1/apps", Some(hybrid)).await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(
        app["settings"]["oauthClient"]["response_types"],
        json!(["code", "id_token", "token"])
    );
    // Nonsense combinations: causes that say why.
    let cause_of = |grants: Value, types: Value, app_type: &str| {
        let mut body = web_app("Bad");
        body["settings"]["oauthClient"]["grant_types"] = grants;
        body["settings"]["oauthClient"]["response_types"] = types;
        body["settings"]["oauthClient"]["application_type"] = json!(app_type);
        if app_type == "native" {
            body["credentials"]["oauthClient"]["token_endpoint_auth_method"] = json!("none");
            body["settings"]["oauthClient"]["redirect_uris"] = json!(["com.example.app:/cb"]);
        }
        body
    };
    for (body, expected) in [
        (
            cause_of(json!(["implicit"]), json!(["code"]), "web"),
            "response_types: the implicit grant needs id_token or token",
        ),
        (
            cause_of(
                json!(["authorization_code"]),
                json!(["code", "id_token"]),
                "web",
            ),
            "response_types: id_token needs the implicit grant type",
        ),
        (
            cause_of(
                json!(["authorization_code", "implicit"]),
                json!(["code", "id_token"]),
                "native",
            ),
            "grant_types: implicit is for web and browser apps, not native apps",
        ),
    ] {
        let (status, err) = env.admin(Method::POST, "/api/v1/apps", Some(body)).await;
        assert_eq!(status, 400, "{err}");
        assert_okta_error(&err, "E0000001");
        assert!(
            err["errorCauses"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["errorSummary"] == expected),
            "{expected}: {err}"
        );
    }
}

/// A service app whose client id and secret the caller chose, as Okta accepts them on create.
fn service_app(client_id: &str, secret: Value) -> Value {
    json!({"label": "CI robot", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
     "credentials": {"oauthClient": {"client_id": client_id, "client_secret": secret,
        "token_endpoint_auth_method": "client_secret_basic"}},
     "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"],
        "response_types": ["token"], "redirect_uris": []}}})
}

#[tokio::test]
async fn a_client_id_and_secret_chosen_on_create_authenticate_and_are_checked() {
    let env = Env::start();
    let secret = "ci-secret-0123456789";
    let (status, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(service_app("ci-robot", json!(secret))),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["credentials"]["oauthClient"]["client_id"], "ci-robot");
    assert_eq!(app["credentials"]["oauthClient"]["client_secret"], secret);

    let (status, _) = env
        .admin(
            Method::POST,
            "/api/v1/authorizationServers/default/scopes",
            Some(json!({"name": "ci:run"})),
        )
        .await;
    assert_eq!(status, 201);
    let token = |secret: &'static str| {
        common::client()
            .post(env.s.url("/oauth2/default/v1/token"))
            .basic_auth("ci-robot", Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", "ci:run")])
            .send()
    };
    let r = token(secret).await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(token("ci-secret-wrong-0000").await.unwrap().status(), 401);

    // The same client id again: 400 with a cause.
    let (status, e) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(service_app("ci-robot", json!("another-secret-012345"))),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_okta_error(&e, "E0000001");
    assert!(e["errorCauses"].to_string().contains("client_id"), "{e}");

    // Okta's limits on a chosen secret: 14 to 100 characters of a restricted set.
    for bad in [
        json!("too-short"),
        json!("x".repeat(101)),
        json!("not allowed: spaces"),
    ] {
        let (status, e) = env
            .admin(
                Method::POST,
                "/api/v1/apps",
                Some(service_app("ci-robot-2", bad)),
            )
            .await;
        assert_eq!(status, 400, "{e}");
        assert!(
            e["errorCauses"].to_string().contains("client_secret"),
            "{e}"
        );
    }

    // A public app has no secret to choose.
    let mut spa = service_app("spa-client", json!(secret));
    spa["credentials"]["oauthClient"]["token_endpoint_auth_method"] = json!("none");
    spa["settings"]["oauthClient"] = json!({"application_type": "browser",
        "grant_types": ["authorization_code"], "response_types": ["code"],
        "redirect_uris": ["http://localhost:3000/callback"]});
    let (status, e) = env.admin(Method::POST, "/api/v1/apps", Some(spa)).await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["errorCauses"].to_string().contains("client_secret"),
        "{e}"
    );
}
