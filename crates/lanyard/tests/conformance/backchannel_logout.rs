//! Back-Channel Logout OP plan (`oidcc-backchannel-rp-initiated-logout-certification-test-plan`): the RP registers
//! a `backchannel_logout_uri` (with `backchannel_logout_session_required`) on its own server — a listener in the
//! test — and the OP must POST it a logout token with exactly the claims the specification requires when the user
//! logs out through the end-session endpoint.

use serde_json::json;

use crate::op::listener::Listener;
use crate::op::logout::{POST_LOGOUT, assert_post_logout_redirect, logout_token, long_state};
use crate::op::{Agent, Op};

/// oidcc-backchannel-logout-discovery-endpoint-verification: `backchannel_logout_supported`,
/// `backchannel_logout_session_supported` (certification requires `sid`) and `end_session_endpoint`.
#[tokio::test]
async fn backchannel_logout_discovery_endpoint_verification() {
    let op = Op::start().await;
    assert_eq!(op.meta["backchannel_logout_supported"], true);
    assert_eq!(op.meta["backchannel_logout_session_supported"], true);
    assert!(op.meta["end_session_endpoint"].is_string());
    assert!(
        op.meta["claims_supported"]
            .as_array()
            .expect("claims_supported")
            .iter()
            .any(|c| c == "sid")
    );
}

/// oidcc-backchannel-rp-initiated-logout: after an RP-initiated logout the OP POSTs `logout_token` (and nothing
/// else) to the back-channel URI — signed by a published key, `iss`, `aud`, `iat`, `exp`, `jti`, the logout event,
/// the ID token's `sub` and `sid`, no `nonce` — and sends the browser back with `state`; `prompt=none` then fails.
#[tokio::test]
async fn backchannel_rp_initiated_logout() {
    let op = Op::start().await;
    let rp_server = Listener::start().await;
    let rp = op
        .logout_rp(json!({
            "backchannel_logout_uri": rp_server.url("/backchannel_logout"),
            "backchannel_logout_session_required": true
        }))
        .await;
    let mut agent = Agent::default();
    let (id_token, id_claims) = op.sign_in(&mut agent, &rp).await;
    assert!(
        id_claims["sid"].as_str().is_some_and(|s| !s.is_empty()),
        "the ID token carries sid: {id_claims:?}"
    );
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

    let got = rp_server.wait_for("/backchannel_logout", 1, 15).await;
    assert_eq!(got.len(), 1, "one logout request");
    let req = &got[0];
    assert_eq!(req.method, "POST");
    assert!(
        req.headers["content-type"].starts_with("application/x-www-form-urlencoded"),
        "{:?}",
        req.headers
    );
    assert!(req.query.is_empty());
    let form = req.form();
    assert_eq!(form.len(), 1, "only logout_token: {form:?}");
    assert_eq!(form[0].0, "logout_token");
    logout_token(&op, &op.jwks().await, &rp, &form[0].1, &id_claims);

    op.assert_signed_out(&mut agent, &rp).await;
}
