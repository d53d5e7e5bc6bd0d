//! Browsers on other origins, through the real binary: Okta's Trusted Origins API, and the CORS answers of the
//! OAuth endpoints (trusted origins and browser apps' redirect origins, no credentials), of the Authn API and the
//! session (trusted origins only, with credentials), and of the public documents (anyone).

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn trust(env: &Env, name: &str, origin: &str, scopes: &[&str]) -> Value {
    let scopes: Vec<Value> = scopes.iter().map(|s| json!({"type": s})).collect();
    let (status, body) = env
        .admin(
            Method::POST,
            "/api/v1/trustedOrigins",
            Some(json!({"name": name, "origin": origin, "scopes": scopes})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A preflight from `origin` for `method` at `path`; the response.
async fn preflight(env: &Env, path: &str, origin: &str, method: &str) -> reqwest::Response {
    client()
        .request(Method::OPTIONS, env.s.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "content-type,dpop")
        .send()
        .await
        .unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn trusted_origins_are_created_listed_replaced_switched_and_deleted_in_okta_s_shape() {
    let env = Env::start();
    let t = trust(
        &env,
        "Portal",
        "https://Portal.Example",
        &["CORS", "REDIRECT"],
    )
    .await;
    let id = t["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("tos"), "{t}");
    assert_eq!(t["origin"], "https://portal.example", "normalised");
    assert_eq!(t["scopes"], json!([{"type": "CORS"}, {"type": "REDIRECT"}]));
    assert_eq!(t["status"], "ACTIVE");
    for field in ["created", "createdBy", "lastUpdated", "lastUpdatedBy"] {
        assert!(t[field].is_string(), "{field}: {t}");
    }
    assert!(
        t["_links"]["deactivate"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v1/trustedOrigins/{id}/lifecycle/deactivate"))
    );

    // Bad bodies get a cause per field; an origin trusted twice is refused.
    let (status, e) = env
        .admin(
            Method::POST,
            "/api/v1/trustedOrigins",
            Some(json!({"name": "", "origin": "https://x.example/path", "scopes": [{"type": "IFRAME_EMBED"}]})),
        )
        .await;
    assert_eq!(status, 400);
    assert_okta_error(&e, "E0000001");
    let causes = e["errorCauses"].to_string();
    assert!(
        causes.contains("name") && causes.contains("origin") && causes.contains("IFRAME_EMBED"),
        "{causes}"
    );
    let (status, e) = env
        .admin(
            Method::POST,
            "/api/v1/trustedOrigins",
            Some(json!({"name": "Again", "origin": "https://portal.example", "scopes": [{"type": "CORS"}]})),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["errorCauses"].to_string().contains("already exists"),
        "{e}"
    );

    trust(&env, "Other", "https://other.example", &["REDIRECT"]).await;
    let (status, all) = env.admin(Method::GET, "/api/v1/trustedOrigins", None).await;
    assert_eq!(status, 200);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, found) = env
        .admin(
            Method::GET,
            "/api/v1/trustedOrigins?filter=origin%20eq%20%22https%3A%2F%2Fother.example%22",
            None,
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["name"], "Other");
    let (_, found) = env
        .admin(Method::GET, "/api/v1/trustedOrigins?q=port", None)
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let (status, paged) = env
        .admin(Method::GET, "/api/v1/trustedOrigins?limit=1", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(paged.as_array().unwrap().len(), 1);

    let (status, replaced) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/trustedOrigins/{id}"),
            Some(json!({"name": "Portal 2", "origin": "https://portal2.example", "scopes": [{"type": "CORS"}]})),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["origin"], "https://portal2.example");
    assert_eq!(replaced["scopes"], json!([{"type": "CORS"}]));
    let (status, off) = env
        .admin(
            Method::POST,
            &format!("/api/v1/trustedOrigins/{id}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(off["status"], "INACTIVE");
    assert!(off["_links"]["activate"].is_object());
    let (status, _) = env
        .admin(
            Method::DELETE,
            &format!("/api/v1/trustedOrigins/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    for (method, path) in [
        (Method::GET, format!("/api/v1/trustedOrigins/{id}")),
        (Method::DELETE, format!("/api/v1/trustedOrigins/{id}")),
        (
            Method::POST,
            format!("/api/v1/trustedOrigins/{id}/lifecycle/activate"),
        ),
    ] {
        let (status, e) = env.admin(method, &path, None).await;
        assert_eq!(status, 404, "{path}");
        assert_okta_error(&e, "E0000007");
    }
    // The changes are in the system log.
    assert!(
        eventually(5, || async {
            let (_, events) = env
                .admin(
                    Method::GET,
                    "/api/v1/logs?filter=eventType%20sw%20%22security.trusted_origin.%22",
                    None,
                )
                .await;
            events.as_array().is_some_and(|e| e.len() >= 5)
        })
        .await
    );
}

#[tokio::test]
async fn browsers_on_allowed_origins_read_the_oauth_endpoints_and_only_trusted_ones_the_session() {
    let env = Env::start();
    let spa = "http://localhost:5173";
    // Nobody allows this origin yet.
    let r = preflight(&env, "/oauth2/default/v1/token", spa, "POST").await;
    assert_eq!(r.status(), 403);
    assert_eq!(header(&r, "access-control-allow-origin"), None);

    // A browser app registers a redirect URI there: its origin may call the OAuth endpoints at once (this node's
    // copy dropped), without credentials.
    let (status, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps?activate=true",
            Some(
                json!({"label": "SPA", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
                "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
                "settings": {"oauthClient": {"application_type": "browser",
                    "grant_types": ["authorization_code", "refresh_token"],
                    "redirect_uris": [format!("{spa}/callback")]}}}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    for path in [
        "/oauth2/default/v1/token",
        "/oauth2/v1/token",
        "/oauth2/default/v1/revoke",
        "/oauth2/default/v1/userinfo",
    ] {
        let r = preflight(&env, path, spa, "POST").await;
        assert_eq!(r.status(), 204, "{path}");
        assert_eq!(header(&r, "access-control-allow-origin"), Some(spa));
        assert!(
            header(&r, "access-control-allow-methods")
                .unwrap()
                .contains("POST")
        );
        let headers = header(&r, "access-control-allow-headers").unwrap();
        assert!(
            headers.contains("DPoP") && headers.contains("Content-Type"),
            "{headers}"
        );
        assert_eq!(header(&r, "access-control-allow-credentials"), None);
        assert_eq!(header(&r, "vary"), Some("Origin"));
    }
    // The answer itself is readable by that page, and by no other.
    let token = |origin: &'static str| {
        client()
            .post(env.s.url("/oauth2/default/v1/token"))
            .header("Origin", origin)
            .form(&[("grant_type", "authorization_code"), ("code", "nope")])
            .send()
    };
    let r = token("http://localhost:5173").await.unwrap();
    assert_eq!(r.status(), 401, "an OAuth error, as without CORS");
    assert_eq!(header(&r, "access-control-allow-origin"), Some(spa));
    assert!(
        header(&r, "access-control-expose-headers")
            .unwrap()
            .contains("DPoP-Nonce")
    );
    let r = token("https://evil.example").await.unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), None);

    // The session and the Authn API: trusted origins only, with credentials.
    for path in ["/api/v1/sessions/me", "/api/v1/authn"] {
        let r = preflight(&env, path, spa, "GET").await;
        assert_eq!(
            r.status(),
            403,
            "{path}: an app's redirect origin is not trusted with the session"
        );
    }
    let t = trust(&env, "SPA", spa, &["CORS"]).await;
    let r = preflight(&env, "/api/v1/sessions/me", spa, "GET").await;
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "access-control-allow-origin"), Some(spa));
    assert_eq!(header(&r, "access-control-allow-credentials"), Some("true"));
    let r = client()
        .get(env.s.url("/api/v1/sessions/me"))
        .header("Origin", spa)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "no session");
    assert_eq!(header(&r, "access-control-allow-credentials"), Some("true"));
    // Deactivated, it allows nothing more.
    let id = t["id"].as_str().unwrap();
    env.admin(
        Method::POST,
        &format!("/api/v1/trustedOrigins/{id}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_eq!(
        preflight(&env, "/api/v1/sessions/me", spa, "GET")
            .await
            .status(),
        403
    );

    // The management API never answers another origin, trusted or not.
    trust(&env, "Portal", "https://portal.example", &["CORS"]).await;
    let r = preflight(&env, "/api/v1/users", "https://portal.example", "GET").await;
    assert_eq!(header(&r, "access-control-allow-origin"), None);
    let r = client()
        .get(env.s.url("/api/v1/users"))
        .header("Origin", "https://portal.example")
        .header("Authorization", format!("SSWS {}", env.token))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), None);

    // Public documents: anyone, no credentials, no preflight needed.
    for path in [
        "/.well-known/openid-configuration",
        "/oauth2/default/.well-known/openid-configuration",
        "/oauth2/default/v1/keys",
    ] {
        let r = client()
            .get(env.s.url(path))
            .header("Origin", "https://anyone.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
        assert_eq!(header(&r, "access-control-allow-credentials"), None);
    }
    // Without an Origin nothing changes: OPTIONS is not a preflight.
    let r = client()
        .request(Method::OPTIONS, env.s.url("/oauth2/default/v1/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

/// Trusted REDIRECT origins: `/login/signout?fromURI=` and `/login/sessionCookieRedirect?redirectUrl=` may send the
/// browser there (as its parsed URL), and nowhere else off this origin.
#[tokio::test]
async fn sign_in_and_sign_out_redirects_go_to_trusted_redirect_origins_only() {
    let env = Env::start();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let signout = |to: &'static str| {
        no_redirects
            .get(env.s.url(&format!("/login/signout?fromURI={}", enc(to))))
            .send()
    };
    let r = signout("https://back.example/after?x=1").await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "not trusted: the signed-out page, no redirect"
    );
    assert!(r.headers().get("location").is_none());

    trust(&env, "Back", "https://back.example", &["REDIRECT"]).await;
    trust(&env, "CORS only", "https://cors.example", &["CORS"]).await;
    let r = signout("https://BACK.example:443/after?x=1").await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "https://back.example/after?x=1");
    for refused in [
        "https://cors.example/",
        "https://back.example\\@evil.example/",
    ] {
        let r = signout(refused).await.unwrap();
        assert!(r.headers().get("location").is_none(), "{refused}");
    }

    // A session token becomes the session cookie, then the browser goes to the trusted origin.
    env.create_user("ada@example.com").await;
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["sessionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = no_redirects
        .get(env.s.url(&format!(
            "/login/sessionCookieRedirect?token={}&redirectUrl={}",
            enc(&token),
            enc("https://back.example/home")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "https://back.example/home");
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("sid=")
    );
}
