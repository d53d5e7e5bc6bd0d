//! Activation of users created without a password: the emailed or handed-back link, the welcome page, and the
//! first password through the real binary.

mod common;

use common::browser::*;
use common::*;
use lanyard_server::email::read_outbox;
use reqwest::Method;
use serde_json::{Value, json};

fn provisioned(login: &str) -> Value {
    json!({"profile": {"firstName": "Grace", "lastName": "Hopper", "email": login, "login": login}})
}

/// The activation link in an email to `to` (waits for it).
async fn emailed_link(env: &Env, to: &str) -> String {
    let outbox = env.dir.path().join("outbox");
    let found = eventually(10, || async {
        read_outbox(&outbox)
            .unwrap_or_default()
            .iter()
            .any(|m| m.to == to)
    })
    .await;
    assert!(found, "no activation email to {to}");
    let message = read_outbox(&outbox)
        .unwrap()
        .into_iter()
        .find(|m| m.to == to)
        .unwrap();
    let prefix = env.s.url("/welcome/");
    let at = message
        .text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link in {}", message.text));
    message.text[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

async fn authn(env: &Env, login: &str, password: &str) -> u16 {
    client()
        .post(env.s.url("/api/v1/authn"))
        .json(&json!({"username": login, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_user_created_without_a_password_activates_through_the_emailed_link() {
    let env = Env::start();
    let (status, user) = env
        .admin(
            Method::POST,
            "/api/v1/users?activate=true",
            Some(provisioned("grace@example.com")),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["status"], "PROVISIONED");
    let link = emailed_link(&env, "grace@example.com").await;

    let mut b = Browser::default();
    let page = b.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("grace@example.com"));
    let csrf = hidden(&page.body, "csrf");
    // A password the policy refuses: the causes are shown and the link still works.
    let weak = b
        .post(
            &link,
            &[
                ("csrf", &csrf),
                ("newPassword", "short"),
                ("confirmPassword", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("role=\"alert\""));
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
    assert!(done.body.contains("Your account is active"));

    let id = user["id"].as_str().unwrap();
    let (_, after) = env
        .admin(Method::GET, &format!("/api/v1/users/{id}"), None)
        .await;
    assert_eq!(after["status"], "ACTIVE");
    assert!(after["activated"].is_string());
    assert_eq!(authn(&env, "grace@example.com", PASSWORD).await, 200);
    // The link is spent.
    assert_eq!(b.get(&link).await.status, 404);
    let (_, logs) = env
        .admin(
            Method::GET,
            &format!("/api/v1/logs?filter=target.id%20eq%20%22{id}%22"),
            None,
        )
        .await;
    assert!(
        eventually(5, || async {
            let (_, logs) = env.admin(Method::GET, &format!("/api/v1/logs?filter=target.id%20eq%20%22{id}%22%20and%20eventType%20eq%20%22user.lifecycle.activate%22"), None).await;
            logs.as_array().is_some_and(|a| !a.is_empty())
        })
        .await,
        "{logs}"
    );
}

#[tokio::test]
async fn an_administrator_can_take_the_link_and_a_new_one_voids_the_old() {
    let env = Env::start();
    let (_, user) = env
        .admin(
            Method::POST,
            "/api/v1/users?activate=false",
            Some(provisioned("alan@example.com")),
        )
        .await;
    assert_eq!(user["status"], "STAGED");
    let id = user["id"].as_str().unwrap();
    let (status, first) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{id}/lifecycle/activate?sendEmail=false"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let url = first["activationUrl"].as_str().unwrap();
    assert!(url.starts_with(&env.s.url("/welcome/")));
    assert!(url.ends_with(first["activationToken"].as_str().unwrap()));
    // Reactivating makes a new link; the first stops working.
    let (status, second) = env
        .admin(
            Method::POST,
            &format!("/api/v1/users/{id}/lifecycle/reactivate?sendEmail=false"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let mut b = Browser::default();
    assert_eq!(b.get(url).await.status, 404);
    let page = b.get(second["activationUrl"].as_str().unwrap()).await;
    assert_eq!(page.status, 200);
    // No email was sent for either.
    let outbox = read_outbox(env.dir.path().join("outbox")).unwrap_or_default();
    assert!(outbox.iter().all(|m| m.to != "alan@example.com"));
    // Garbage links: a page, not an error.
    assert_eq!(b.get(&env.s.url("/welcome/nonsense")).await.status, 404);
}
