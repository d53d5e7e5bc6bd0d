//! Front-Channel Logout OP plan (`oidcc-frontchannel-rp-initiated-logout-certification-test-plan`): the RP
//! registers a `frontchannel_logout_uri` (with `frontchannel_logout_session_required`) on its own server — a
//! listener in the test — and the OP's signed-out page must load it, with `iss` and `sid`, before the browser goes
//! back to the RP.

use serde_json::json;

use crate::common;
use crate::op::listener::Listener;
use crate::op::logout::{
    POST_LOGOUT, assert_post_logout_redirect, continue_to, frames, long_state,
};
use crate::op::{Agent, Op, REDIRECT};

/// oidcc-frontchannel-logout-discovery-endpoint-verification: `frontchannel_logout_supported`,
/// `frontchannel_logout_session_supported` and `end_session_endpoint`.
#[tokio::test]
async fn frontchannel_logout_discovery_endpoint_verification() {
    let op = Op::start().await;
    assert_eq!(op.meta["frontchannel_logout_supported"], true);
    assert_eq!(op.meta["frontchannel_logout_session_supported"], true);
    assert!(op.meta["end_session_endpoint"].is_string());
}

/// oidcc-frontchannel-rp-initiated-logout: after an RP-initiated logout the signed-out page loads the RP's
/// front-channel URI with exactly `iss` (the issuer) and `sid` (the ID token's), then sends the browser back to
/// the post-logout redirect URI with `state`; `prompt=none` then fails.
#[tokio::test]
async fn frontchannel_rp_initiated_logout() {
    let op = Op::start().await;
    let rp_server = Listener::start().await;
    let rp = op
        .logout_rp(json!({
            "redirect_uris": [REDIRECT, rp_server.url("/callback")],
            "frontchannel_logout_uri": rp_server.url("/frontchannel_logout"),
            "frontchannel_logout_session_required": true
        }))
        .await;
    let mut agent = Agent::default();
    let (id_token, id_claims) = op.sign_in(&mut agent, &rp).await;
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
    let srcs = frames(&out);
    assert_eq!(srcs.len(), 1, "{srcs:?}");
    assert!(
        srcs[0].starts_with(&rp_server.url("/frontchannel_logout?")),
        "{srcs:?}"
    );
    // The browser loads the frame.
    let r = common::client().get(&srcs[0]).send().await.expect("frame");
    assert_eq!(r.status(), 200);
    let got = rp_server.received("/frontchannel_logout");
    assert_eq!(got.len(), 1);
    let q = &got[0].query;
    assert_eq!(
        q.keys().map(String::as_str).collect::<Vec<_>>(),
        ["iss", "sid"],
        "only iss and sid: {q:?}"
    );
    assert_eq!(q["iss"], op.issuer);
    assert_eq!(q["sid"], id_claims["sid"].as_str().expect("sid"));

    assert_post_logout_redirect(&continue_to(&out), Some(&state));
    op.assert_signed_out(&mut agent, &rp).await;
}
