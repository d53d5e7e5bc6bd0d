//! Two modules of the Dynamic OP plan (`oidcc-dynamic-certification-test-plan`) about request objects by
//! reference. The Dynamic plan's RP registers itself at the registration endpoint; until that endpoint lands these
//! RPs register through the Apps API with the same metadata (`request_uris`, `request_object_signing_alg`,
//! `jwks`). To be folded into `dynamic.rs` with the rest of the plan.

use lanyard_core::crypto::{SigningAlg, SigningKey, jws};
use serde_json::json;

use crate::op::{Agent, Op, request_objects, unsigned_request_object};

/// oidcc-request-uri-unsigned (Dynamic plan): the RP registers a `request_uri` and `request_object_signing_alg:
/// none`; the unsigned request object fetched from there carries the request, and the flow completes with its
/// `state` and `nonce`.
#[tokio::test]
async fn request_uri_unsigned() {
    let op = Op::start().await;
    let hosted = request_objects::Hosted::start().await;
    let rp = op
        .register(
            json!({"request_uris": [hosted.url], "request_object_signing_alg": "none"}),
            json!({}),
        )
        .await;
    let full = rp.request();
    hosted.put(&unsigned_request_object(&request_objects::claims(
        &op, &full,
    )));
    let req = request_objects::outside_the_object(&full).set("request_uri", &hosted.url);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    let flow = op.finish_code_flow(&rp, &full, &outcome).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// oidcc-request-uri-signed-rs256 (Dynamic plan): the RP registers its RS256 key (`jwks`), a `request_uri` and
/// `request_object_signing_alg: RS256`; the request object at that URI is signed with the key and the flow
/// completes. The same object unsigned, or signed by another key, is `invalid_request_object` at the redirect URI.
#[tokio::test]
async fn request_uri_signed_rs256() {
    let op = Op::start().await;
    let hosted = request_objects::Hosted::start().await;
    let key = SigningKey::generate(SigningAlg::RS256).expect("key");
    let rp = op
        .register(
            json!({"request_uris": [hosted.url], "request_object_signing_alg": "RS256",
                "jwks": {"keys": [key.public_jwk()]}}),
            json!({}),
        )
        .await;
    let full = rp.request();
    let claims = request_objects::claims(&op, &full);
    hosted.put(&jws::sign(&key, Some("oauth-authz-req+jwt"), &claims).expect("sign"));
    let req = request_objects::outside_the_object(&full).set("request_uri", &hosted.url);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    let flow = op.finish_code_flow(&rp, &full, &outcome).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;

    let other = SigningKey::generate(SigningAlg::RS256).expect("key");
    for object in [
        unsigned_request_object(&claims),
        jws::sign(&other, None, &claims).expect("sign"),
    ] {
        hosted.put(&object);
        let req =
            request_objects::outside_the_object(&rp.request()).set("request_uri", &hosted.url);
        let error = op.authorize(&mut Agent::default(), &req).await.params();
        assert_eq!(error["error"], "invalid_request_object", "{error:?}");
    }
}
