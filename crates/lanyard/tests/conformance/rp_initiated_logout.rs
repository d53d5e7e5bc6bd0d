//! RP-Initiated Logout OP plan (`oidcc-rp-initiated-logout-certification-test-plan`): each module signs the user
//! in through an RP registered with a `post_logout_redirect_uri`, then sends the browser to the end-session
//! endpoint. Where the OIDF suite asks for a screenshot of an error or confirmation page, the browser here decides
//! itself: a 4xx error page, or a confirmation whose answer is the signed-out page — never a redirect to the RP.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lanyard_core::crypto::{SigningAlg, SigningKey, jws};
use serde_json::json;

use crate::op::logout::{
    POST_LOGOUT, assert_no_redirect, assert_post_logout_redirect, assert_signed_out_page,
    confirmation, long_state,
};
use crate::op::{Agent, Op, Outcome};

/// oidcc-rp-initiated-logout-discovery-endpoint-verification: `end_session_endpoint` is advertised, an endpoint of
/// the issuer.
#[tokio::test]
async fn rp_initiated_logout_discovery_endpoint_verification() {
    let op = Op::start().await;
    let ep = op.endpoint("end_session_endpoint");
    assert_eq!(ep, format!("{}/oauth2/v1/logout", op.issuer));
}

/// oidcc-rp-initiated-logout: with `id_token_hint`, `post_logout_redirect_uri` and a long `state`, the OP sends
/// the browser back to the URI with the same `state`; `prompt=none` then answers `login_required`.
#[tokio::test]
async fn rp_initiated_logout() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    let (id_token, _) = op.sign_in(&mut agent, &rp).await;
    let state = long_state();
    let out = op
        .end_session(
            &mut agent,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", &state),
            ],
        )
        .await;
    assert_post_logout_redirect(&out, Some(&state));
    op.assert_signed_out(&mut agent, &rp).await;
}

/// oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: a URI the RP never registered → no redirect.
#[tokio::test]
async fn rp_initiated_logout_bad_post_logout_redirect_uri() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    let (id_token, _) = op.sign_in(&mut agent, &rp).await;
    let out = op
        .end_session(
            &mut agent,
            &[
                ("id_token_hint", &id_token),
                (
                    "post_logout_redirect_uri",
                    "https://rp.example.com/not_registered",
                ),
                ("state", &long_state()),
            ],
        )
        .await;
    assert_no_redirect(&op, &mut agent, out).await;
}

/// oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: the registered URI with `?foo=bar` added is
/// not the registered URI → no redirect.
#[tokio::test]
async fn rp_initiated_logout_query_added_to_post_logout_redirect_uri() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    let (id_token, _) = op.sign_in(&mut agent, &rp).await;
    let out = op
        .end_session(
            &mut agent,
            &[
                ("id_token_hint", &id_token),
                (
                    "post_logout_redirect_uri",
                    &format!("{POST_LOGOUT}?foo=bar"),
                ),
                ("state", &long_state()),
            ],
        )
        .await;
    assert_no_redirect(&op, &mut agent, out).await;
}

/// oidcc-rp-initiated-logout-modified-id-token-hint: the ID token turned into `alg: none` (signature dropped) is
/// not a hint → no redirect.
#[tokio::test]
async fn rp_initiated_logout_modified_id_token_hint() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    let (id_token, _) = op.sign_in(&mut agent, &rp).await;
    let claims = id_token.split('.').nth(1).expect("claims");
    let modified = format!("{}.{claims}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#));
    let out = op
        .end_session(
            &mut agent,
            &[
                ("id_token_hint", &modified),
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", &long_state()),
            ],
        )
        .await;
    assert_no_redirect(&op, &mut agent, out).await;
}

/// oidcc-rp-initiated-logout-bad-id-token-hint: an ID token the test suite made and signed itself, with the
/// right issuer, audience and subject → not trusted, no redirect.
#[tokio::test]
async fn rp_initiated_logout_bad_id_token_hint() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    let (_, real) = op.sign_in(&mut agent, &rp).await;
    let suite_key = SigningKey::generate(SigningAlg::RS256).expect("key");
    let fake = jws::sign(
        &suite_key,
        None,
        &json!({"iss": op.issuer, "aud": rp.client_id, "sub": real["sub"], "sid": real["sid"],
            "iat": real["iat"], "exp": real["exp"]}),
    )
    .expect("signed");
    let out = op
        .end_session(
            &mut agent,
            &[
                ("id_token_hint", &fake),
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", &long_state()),
            ],
        )
        .await;
    assert_no_redirect(&op, &mut agent, out).await;
}

/// oidcc-rp-initiated-logout-no-id-token-hint: `post_logout_redirect_uri` and `state` without a hint → no
/// redirect (the OP cannot tell which app's URI it is).
#[tokio::test]
async fn rp_initiated_logout_no_id_token_hint() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    op.sign_in(&mut agent, &rp).await;
    let out = op
        .end_session(
            &mut agent,
            &[
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", &long_state()),
            ],
        )
        .await;
    assert_no_redirect(&op, &mut agent, out).await;
}

/// oidcc-rp-initiated-logout-no-params: no parameters → the user is logged out (after confirming: nothing says
/// the request comes from an app) and sees the signed-out page; `prompt=none` then fails.
#[tokio::test]
async fn rp_initiated_logout_no_params() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    op.sign_in(&mut agent, &rp).await;
    let out = op.end_session(&mut agent, &[]).await;
    assert!(confirmation(&out).is_some(), "asked first: {out:?}");
    op.assert_signed_in(&mut agent, &rp).await;
    let out = op.end_session(&mut agent, &[]).await;
    let done = op.confirm_logout(&mut agent, &out).await;
    assert_signed_out_page(&done);
    op.assert_signed_out(&mut agent, &rp).await;
}

/// oidcc-rp-initiated-logout-no-post-logout-redirect-uri: a hint and `state` but no URI → logged out at once (the
/// hint is trusted), the signed-out page, no redirect.
#[tokio::test]
async fn rp_initiated_logout_no_post_logout_redirect_uri() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    let (id_token, _) = op.sign_in(&mut agent, &rp).await;
    let out = op
        .end_session(
            &mut agent,
            &[("id_token_hint", &id_token), ("state", &long_state())],
        )
        .await;
    assert_signed_out_page(&out);
    op.assert_signed_out(&mut agent, &rp).await;
}

/// oidcc-rp-initiated-logout-no-state: a hint and the URI, no `state` → back to the URI without `state`.
#[tokio::test]
async fn rp_initiated_logout_no_state() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    let (id_token, _) = op.sign_in(&mut agent, &rp).await;
    let out = op
        .end_session(
            &mut agent,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", POST_LOGOUT),
            ],
        )
        .await;
    assert_post_logout_redirect(&out, None);
    op.assert_signed_out(&mut agent, &rp).await;
}

/// oidcc-rp-initiated-logout-only-state: only `state` → logged out after confirming, the signed-out page, never a
/// redirect (there is no URI to go to).
#[tokio::test]
async fn rp_initiated_logout_only_state() {
    let op = Op::start().await;
    let rp = op.logout_rp(json!({})).await;
    let mut agent = Agent::default();
    op.sign_in(&mut agent, &rp).await;
    let out = op
        .end_session(&mut agent, &[("state", &long_state())])
        .await;
    let done = op.confirm_logout(&mut agent, &out).await;
    assert!(
        !matches!(done, Outcome::Redirect { .. }),
        "no redirect: {done:?}"
    );
    assert_signed_out_page(&done);
    op.assert_signed_out(&mut agent, &rp).await;
}
