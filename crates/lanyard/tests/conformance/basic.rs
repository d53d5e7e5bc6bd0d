//! Basic OP plan (`oidcc-basic-certification-test-plan`): the code flow with `client_secret_basic`.

use serde_json::json;

use crate::op::{Agent, Op, checks};

/// oidcc-server: the happy flow, then userinfo.
#[tokio::test]
async fn server() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request();
    let mut agent = Agent::default();
    let p = op.authorize(&mut agent, &req).await.success(&op, &req);
    let (status, tokens) = op.redeem(&rp, &p["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().expect("id_token");
    let claims = op.id_token(&rp, id_token, req.get("nonce")).await;
    checks::half_hash_claim(
        id_token,
        "at_hash",
        tokens["access_token"].as_str().unwrap(),
    );
    let (status, _, body) = op.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        info["sub"], claims["sub"],
        "userinfo's sub is the ID token's"
    );
}

/// oidcc-server-client-secret-post: the same with `client_secret_post`.
#[tokio::test]
async fn server_client_secret_post() {
    let op = Op::start().await;
    let rp = op
        .register(
            json!({}),
            json!({"token_endpoint_auth_method": "client_secret_post"}),
        )
        .await;
    let req = rp.request();
    let mut agent = Agent::default();
    let p = op.authorize(&mut agent, &req).await.success(&op, &req);
    let (status, tokens) = op.redeem(&rp, &p["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    op.id_token(&rp, tokens["id_token"].as_str().unwrap(), req.get("nonce"))
        .await;
}

/// oidcc-ensure-registered-redirect-uri: an unregistered redirect URI gets an error page, never a redirect.
#[tokio::test]
async fn ensure_registered_redirect_uri() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp
        .request()
        .set("redirect_uri", "https://rp.example.com/elsewhere");
    op.authorize(&mut Agent::default(), &req)
        .await
        .assert_error_page();
}

/// oidcc-prompt-none-not-logged-in: no session and prompt=none → `login_required` (or a kindred error).
#[tokio::test]
async fn prompt_none_not_logged_in() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request().set("prompt", "none");
    let error = op
        .authorize(&mut Agent::default(), &req)
        .await
        .error(&op, &req);
    assert!(
        [
            "login_required",
            "interaction_required",
            "consent_required",
            "account_selection_required"
        ]
        .contains(&error.as_str()),
        "{error}"
    );
}

/// oidcc-codereuse: a code redeemed twice → 400 invalid_grant.
#[tokio::test]
async fn codereuse() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request();
    let p = op
        .authorize(&mut Agent::default(), &req)
        .await
        .success(&op, &req);
    let (status, _) = op.redeem(&rp, &p["code"]).await;
    assert_eq!(status, 200);
    let (status, body) = op.redeem(&rp, &p["code"]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}
