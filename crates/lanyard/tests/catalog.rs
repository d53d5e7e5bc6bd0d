//! The integration catalog through the real binary: the Catalog API (list, search, pages, one entry, its manifest
//! and logo), apps made from entries the way Okta makes integration-network apps (`name` = the key,
//! `settings.app` = the variables), their setup, a vendor's own entry, and the `lanyard catalog validate` and
//! `lanyard catalog test` commands — the latter run here for every entry of the catalog.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn grafana(env: &Env, base_url: &str) -> (u16, Value) {
    env.admin(
        Method::POST,
        "/api/v1/apps",
        Some(json!({
            "name": "grafana",
            "label": "Grafana",
            "signOnMode": "OPENID_CONNECT",
            "settings": {"app": {"baseUrl": base_url}},
        })),
    )
    .await
}

async fn get_text(env: &Env, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = client()
        .get(env.s.url(path))
        .header("Authorization", format!("SSWS {}", env.token))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}

#[tokio::test]
async fn the_catalog_is_listed_searched_paged_and_read_in_okta_s_shape() {
    let env = Env::start();
    let (status, headers, page) =
        api_get(&env.s.url("/api/v1/catalog/apps?limit=10"), &env.token).await;
    assert_eq!(status, 200, "{page}");
    let page = page.as_array().unwrap().clone();
    assert_eq!(page.len(), 10);
    let names: Vec<&str> = page.iter().map(|e| e["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "in key order");
    let e = &page[0];
    for k in [
        "name",
        "displayName",
        "category",
        "website",
        "description",
        "support",
        "revision",
        "variables",
    ] {
        assert!(!e[k].is_null(), "{k}: {e}");
    }
    assert_eq!(e["signOnModes"], json!(["OPENID_CONNECT"]));
    assert!(
        e["_links"]["logo"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/logo.svg")
    );
    // Okta's Link headers: self and next; following next gives the rest, without repeats.
    let links: Vec<&str> = headers
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let next = links
        .iter()
        .find(|l| l.contains("rel=\"next\""))
        .expect("next");
    let next = next.split_once('<').unwrap().1.split_once('>').unwrap().0;
    assert!(next.contains("after="), "{next}");
    let (_, _, second) = api_get(next, &env.token).await;
    assert!(second[0]["name"].as_str().unwrap() > names[9]);

    // Search: by name or display name or description, by category, by sign-on mode.
    let (_, _, found) = api_get(&env.s.url("/api/v1/catalog/apps?q=grafana"), &env.token).await;
    assert_eq!(found[0]["name"], "grafana", "{found}");
    let (_, _, mon) = api_get(
        &env.s
            .url("/api/v1/catalog/apps?category=monitoring&limit=200"),
        &env.token,
    )
    .await;
    let mon = mon.as_array().unwrap();
    assert!(!mon.is_empty() && mon.iter().all(|e| e["category"] == "monitoring"));
    assert!(mon.iter().any(|e| e["name"] == "grafana"));
    let (_, _, saml) = api_get(
        &env.s.url("/api/v1/catalog/apps?signOnMode=SAML_2_0"),
        &env.token,
    )
    .await;
    assert_eq!(saml, json!([]), "OpenID Connect entries only");
    let (status, _, bad) =
        api_get(&env.s.url("/api/v1/catalog/apps?category=toys"), &env.token).await;
    assert_eq!(status, 400);
    assert_okta_error(&bad, "E0000001");

    // One entry in full; its manifest; its logo, public.
    let (status, _, g) = api_get(&env.s.url("/api/v1/catalog/apps/grafana"), &env.token).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(
        g["client"]["redirectUris"],
        json!(["{baseUrl}/login/generic_oauth"])
    );
    assert_eq!(g["client"]["pkceRequired"], true);
    assert_eq!(
        g["client"]["tokenEndpointAuthMethod"],
        "client_secret_basic"
    );
    assert!(
        g["verified"]["docs"]
            .as_str()
            .unwrap()
            .starts_with("https://grafana.com/")
    );
    assert!(
        g["setup"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["file"] == "grafana.ini")
    );
    let (status, text, headers) = get_text(&env, "/api/v1/catalog/apps/grafana/manifest").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/toml")
    );
    assert!(text.contains("name = \"grafana\""));
    let (status, _, missing) = api_get(&env.s.url("/api/v1/catalog/apps/nope"), &env.token).await;
    assert_eq!(status, 404);
    assert_okta_error(&missing, "E0000007");
    let logo = client()
        .get(env.s.url("/catalog/apps/grafana/logo.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert!(logo.text().await.unwrap().starts_with("<svg"));
    // The API itself needs a token.
    let anon = client()
        .get(env.s.url("/api/v1/catalog/apps"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
}

#[tokio::test]
async fn grafana_from_the_catalog_is_made_the_most_secure_way_with_its_setup() {
    let env = Env::start();
    let (status, app) = grafana(&env, "https://grafana.example.com").await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["name"], "grafana");
    assert_eq!(app["signOnMode"], "OPENID_CONNECT");
    let set = &app["settings"]["oauthClient"];
    assert_eq!(
        set["redirect_uris"],
        json!(["https://grafana.example.com/login/generic_oauth"])
    );
    assert_eq!(set["response_types"], json!(["code"]), "code flow only");
    assert_eq!(
        set["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        set["initiate_login_uri"],
        "https://grafana.example.com/login/generic_oauth"
    );
    assert_eq!(
        set["post_logout_redirect_uris"],
        json!(["https://grafana.example.com/login"])
    );
    let cred = &app["credentials"]["oauthClient"];
    assert_eq!(cred["pkce_required"], true);
    assert_eq!(cred["token_endpoint_auth_method"], "client_secret_basic");
    let secret = cred["client_secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    let client_id = cred["client_id"].as_str().unwrap().to_owned();
    assert_eq!(
        app["settings"]["app"],
        json!({"adminGroup": "admins", "baseUrl": "https://grafana.example.com"})
    );
    assert!(
        app["_links"]["setup"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/setup")
    );

    // The setup at creation carries the secret; the [auth.generic_oauth] section has the real endpoints.
    let setup = &app["_embedded"]["setup"];
    let issuer = env.s.url("/oauth2/default");
    let ini = setup["snippets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["file"] == "grafana.ini")
        .expect("grafana.ini")["content"]
        .as_str()
        .unwrap()
        .to_owned();
    for line in [
        "[auth.generic_oauth]".to_owned(),
        format!("client_id = {client_id}"),
        format!("client_secret = {secret}"),
        format!("auth_url = {issuer}/v1/authorize"),
        format!("token_url = {issuer}/v1/token"),
        format!("api_url = {issuer}/v1/userinfo"),
        "use_pkce = true".to_owned(),
        "groups_attribute_path = groups".to_owned(),
        "role_attribute_path = contains(groups[*], 'admins') && 'Admin' || 'Viewer'".to_owned(),
    ] {
        assert!(ini.contains(&line), "{line} in\n{ini}");
    }
    assert_eq!(setup["values"]["issuer"], issuer);
    assert_eq!(setup["values"]["clientSecret"], secret);

    // Later, a placeholder says where a secret comes from; ?style= gives one snippet as text.
    let id = app["id"].as_str().unwrap();
    let (status, later) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}/setup"), None)
        .await;
    assert_eq!(status, 200, "{later}");
    assert!(
        !later.to_string().contains(&secret),
        "no secret after creation"
    );
    assert!(
        later["values"]["clientSecret"]
            .as_str()
            .unwrap()
            .contains("/credentials/secrets")
    );
    assert_eq!(later["upToDate"], true);
    let (status, text, headers) =
        get_text(&env, &format!("/api/v1/apps/{id}/setup?style=env")).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        text.contains(&format!("GF_AUTH_GENERIC_OAUTH_CLIENT_ID={client_id}")),
        "{text}"
    );
    let (status, bad) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{id}/setup?style=ansible"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad.to_string().contains("config, env, helm, ui"), "{bad}");

    // A new secret's answer embeds the setup with it.
    let (status, fresh) = env
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{id}/credentials/secrets"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{fresh}");
    let new_secret = fresh["client_secret"].as_str().unwrap();
    assert_eq!(
        fresh["_embedded"]["setup"]["values"]["clientSecret"],
        new_secret
    );

    // An app made by hand has no setup.
    let (_, plain) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "oidc_client", "label": "Plain", "settings": {"oauthClient": {"redirect_uris": ["https://plain.example/cb"]}}})),
        )
        .await;
    assert!(
        plain["_embedded"].is_null() && plain["_links"]["setup"].is_null(),
        "{plain}"
    );
    let (status, _) = env
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{}/setup", plain["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_or_missing_variables_and_unknown_integrations_are_named() {
    let env = Env::start();
    for (value, why) in [
        (json!(null), "required"),
        (json!("http://grafana.example.com"), "https"),
        (json!("grafana.example.com"), "URL"),
        (json!(42), "string"),
    ] {
        let (status, body) = env
            .admin(
                Method::POST,
                "/api/v1/apps",
                Some(json!({"name": "grafana", "label": "G", "settings": {"app": {"baseUrl": value}}})),
            )
            .await;
        assert_eq!(status, 400, "{value}: {body}");
        assert_okta_error(&body, "E0000001");
        let cause = body["errorCauses"][0]["errorSummary"].as_str().unwrap();
        assert!(
            cause.starts_with("settings.app.baseUrl: "),
            "{value}: {cause}"
        );
        assert!(
            cause.to_lowercase().contains(&why.to_lowercase()),
            "{value}: {cause}"
        );
    }
    let (status, body) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "grafana", "label": "G", "settings": {"app": {"baseUrl": "https://g.example", "colour": "red"}}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("settings.app.colour"), "{body}");
    let (status, body) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "no_such_app", "label": "G"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("name: "),
        "{body}"
    );
    // http on loopback is a URL variable's one exception.
    let (status, body) = grafana(&env, "http://localhost:3000").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["settings"]["oauthClient"]["redirect_uris"],
        json!(["http://localhost:3000/login/generic_oauth"])
    );
}

#[tokio::test]
async fn a_catalog_app_is_remade_by_put_and_keeps_its_client() {
    let env = Env::start();
    let (_, app) = grafana(&env, "https://grafana.example.com").await;
    let id = app["id"].as_str().unwrap();
    let client_id = app["credentials"]["oauthClient"]["client_id"].clone();
    let (status, moved) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{id}"),
            Some(json!({"name": "grafana", "label": "Grafana (moved)", "settings": {"app": {"baseUrl": "https://dash.example.com", "adminGroup": "ops"}}})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["credentials"]["oauthClient"]["client_id"], client_id);
    assert_eq!(
        moved["settings"]["oauthClient"]["redirect_uris"],
        json!(["https://dash.example.com/login/generic_oauth"])
    );
    assert_eq!(moved["settings"]["app"]["adminGroup"], "ops");
    // A PUT of what a GET returned (settings.oauthClient included, hand edits there ignored) keeps the variables.
    let (_, mut read) = env
        .admin(Method::GET, &format!("/api/v1/apps/{id}"), None)
        .await;
    read["label"] = json!("Dash");
    read["settings"]["oauthClient"]["redirect_uris"] = json!(["https://evil.example/cb"]);
    let (status, again) = env
        .admin(Method::PUT, &format!("/api/v1/apps/{id}"), Some(read))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["label"], "Dash");
    assert_eq!(
        again["settings"]["oauthClient"]["redirect_uris"],
        json!(["https://dash.example.com/login/generic_oauth"])
    );
    // The integration itself cannot change.
    let (status, body) = env
        .admin(
            Method::PUT,
            &format!("/api/v1/apps/{id}"),
            Some(json!({"name": "gitlab", "label": "x"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("cannot change"), "{body}");
}

const VENDOR: &str = r#"
schema = 1
name = "acme_board"
display_name = "Acme Board"
description = "Acme's planning board, signing in with OpenID Connect."
category = "productivity"
website = "https://acme.example/board"
sign_on_modes = ["OPENID_CONNECT"]
support = "simulated"
guide = "Paste the settings into Acme Board's admin page."

[verified]
version = "1.0"
docs = "https://acme.example/board/docs/sso"

[[variables]]
name = "baseUrl"
label = "Board URL"
type = "url"
required = true
example = "https://board.acme.example"
description = "Where the board is served."

[client]
application_type = "web"
redirect_uris = ["{baseUrl}/sso/callback"]
grant_types = ["authorization_code"]
scopes = ["openid", "profile", "email"]
pkce = "required"
auth_methods = ["client_secret_post"]
id_token_algs = ["RS256"]
refresh_tokens = false

[[setup]]
style = "env"
title = "Environment"
language = "shell"
template = '''
BOARD_OIDC_ISSUER={issuer}
BOARD_OIDC_CLIENT_ID={clientId}
BOARD_OIDC_CLIENT_SECRET={clientSecret}
'''
"#;

#[tokio::test]
async fn a_vendor_s_own_entry_is_checked_added_used_exported_and_removed() {
    let env = Env::start();
    let post = |body: String, json_type: bool| {
        let req = client()
            .post(env.s.url("/api/v1/catalog/apps"))
            .header("Authorization", format!("SSWS {}", env.token))
            .header(
                "Content-Type",
                if json_type {
                    "application/json"
                } else {
                    "application/toml"
                },
            );
        async move {
            let r = req.body(body).send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    // Problems name their line and field.
    let bad = VENDOR.replace("category = \"productivity\"", "category = \"toys\"");
    let (status, body) = post(bad.clone(), false).await;
    assert_eq!(status, 400, "{body}");
    let line = bad.lines().position(|l| l.starts_with("category")).unwrap() + 1;
    assert!(
        body["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with(&format!("line {line}: category: ")),
        "{body}"
    );
    // A built-in key is taken.
    let (status, body) = post(VENDOR.replace("acme_board", "grafana"), false).await;
    assert_eq!(status, 400, "{body}");

    let (status, entry) = post(json!({"manifest": VENDOR}).to_string(), true).await;
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["builtIn"], false);
    let (_, _, listed) = api_get(&env.s.url("/api/v1/catalog/apps?q=acme"), &env.token).await;
    assert_eq!(listed[0]["name"], "acme_board");
    let (status, app) = env
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "acme_board", "label": "Board", "settings": {"app": {"baseUrl": "https://board.acme.example"}}})),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(
        app["credentials"]["oauthClient"]["token_endpoint_auth_method"],
        "client_secret_post"
    );
    let (_, text, _) = get_text(&env, "/api/v1/catalog/apps/acme_board/manifest").await;
    assert_eq!(
        text,
        json!({"manifest": VENDOR})["manifest"].as_str().unwrap(),
        "exported as submitted"
    );

    let (status, body) = env
        .admin(Method::DELETE, "/api/v1/catalog/apps/grafana", None)
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = env
        .admin(Method::DELETE, "/api/v1/catalog/apps/acme_board", None)
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = api_get(&env.s.url("/api/v1/catalog/apps/acme_board"), &env.token).await;
    assert_eq!(status, 404);
}

#[test]
fn catalog_validate_points_at_the_line_and_field() {
    let dir = data_dir();
    let good = dir.path().join("acme_board.toml");
    std::fs::write(&good, VENDOR).unwrap();
    let out = lanyard().run(&["catalog", "validate", path_str(&good)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok (Acme Board"));

    let bad = dir.path().join("acme_board2.toml");
    let text = VENDOR.replace("{baseUrl}/sso/callback", "{baseUrl}/sso/callback#frag");
    std::fs::write(&bad, &text).unwrap();
    let out = lanyard().run(&["catalog", "validate", path_str(&bad)]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .position(|l| l.starts_with("redirect_uris"))
        .unwrap()
        + 1;
    assert!(
        stdout.contains(&format!(
            "acme_board2.toml:{line}: client.redirect_uris[0]: must not contain a fragment"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("name: must be the file's name (acme_board2)"),
        "{stdout}"
    );
}

#[test]
fn catalog_test_passes_for_every_entry() {
    // Loopback fetches for the one entry that authenticates with private_key_jwt (its JWKS is served by the
    // command); no per-address sign-in limit, as every entry signs in from here.
    let env = Env::start_with(&["--outbound-allow", "loopback", "--signin-rate-limit", "0"]);
    let base = env.s.url("");
    let out = lanyard().run(&[
        "catalog",
        "test",
        "--all",
        "--base-url",
        &base,
        "--token",
        &env.token,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let total = lanyard_catalog_count();
    assert!(
        stdout.contains(&format!("{total} integration(s): {total} passed, 0 failed")),
        "{stdout}"
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");
    // What was made is gone again.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_, _, apps) = rt.block_on(api_get(&env.s.url("/api/v1/apps"), &env.token));
    assert_eq!(apps, json!([]), "apps left behind");
}

#[test]
fn catalog_test_reports_the_failing_step_and_fails() {
    let env = Env::start();
    let base = env.s.url("");
    let out = lanyard().run(&[
        "catalog",
        "test",
        "grafana",
        "nope",
        "--base-url",
        &base,
        "--token",
        &env.token,
        "--var",
        "baseUrl=http://grafana.example.com",
    ]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAIL  app") && stdout.contains("settings.app.baseUrl"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL  entry"), "{stdout}");
    assert!(
        stdout.contains("2 integration(s): 0 passed, 2 failed"),
        "{stdout}"
    );
}

/// How many entries the catalog holds: the manifests in the repository's catalog folder.
fn lanyard_catalog_count() -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count()
}
