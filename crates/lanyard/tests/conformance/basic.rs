//! Basic OP plan (`oidcc-basic-certification-test-plan`): the code flow with `client_secret_basic` (one module with
//! `client_secret_post`). Each test is one OIDF module and asserts what that module checks; the checks of every
//! flow and of every ID token run through `op::checks`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common;
use crate::op::{
    self, Agent, LOGIN, Op, Outcome, REDIRECT, checks, request_objects, unsigned_request_object,
};

/// oidcc-server: the happy flow, then userinfo.
#[tokio::test]
async fn server() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request();
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    checks::half_hash_claim(&flow.id_token, "at_hash", &flow.access_token);
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
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
    assert_eq!(rp.auth_method, "client_secret_post");
    let req = rp.request();
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// oidcc-response-type-missing: no `response_type` → an error page, or `invalid_request` /
/// `unsupported_response_type` for the client.
#[tokio::test]
async fn response_type_missing() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request().without("response_type");
    match op.authorize(&mut Agent::default(), &req).await {
        page @ Outcome::Page { .. } => page.assert_error_page(),
        answer => {
            let error = answer.error(&op, &req);
            assert!(
                ["invalid_request", "unsupported_response_type"].contains(&error.as_str()),
                "{error}"
            );
            assert!(
                !answer.params().contains_key("code"),
                "no code without a response type"
            );
        }
    }
}

/// oidcc-idtoken-signature: with no algorithm registered the ID token is RS256 and names its key (`kid`).
#[tokio::test]
async fn idtoken_signature() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request();
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    let (header, _) = op::decode(&flow.id_token);
    assert_eq!(header["alg"], "RS256", "the default algorithm");
    assert!(
        header["kid"].as_str().is_some_and(|k| !k.is_empty()),
        "a kid"
    );
}

/// oidcc-idtoken-unsigned: skipped by the OIDF suite unless discovery lists `none`. Lanyard never signs with
/// `none`: it is not advertised, and registering it is refused with a cause (`docs/conformance.md`).
#[tokio::test]
async fn idtoken_unsigned() {
    let op = Op::start().await;
    let algs = op.meta["id_token_signing_alg_values_supported"]
        .as_array()
        .expect("id_token_signing_alg_values_supported");
    assert!(!algs.iter().any(|a| a == "none"), "{algs:?}");
    let body = json!({"label": "Unsigned", "signOnMode": "OPENID_CONNECT", "name": "oidc_client",
        "settings": {"oauthClient": {"redirect_uris": [REDIRECT],
            "id_token_signed_response_alg": "none"}}});
    let (status, e) = op
        .env
        .admin(reqwest::Method::POST, "/api/v1/apps", Some(body))
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["errorCode"], "E0000001", "{e}");
    assert!(
        e["errorCauses"]
            .to_string()
            .contains("id_token_signed_response_alg"),
        "{e}"
    );
}

/// How the userinfo modules present the access token.
enum Via {
    Get,
    PostHeader,
    PostBody,
}

/// The userinfo modules: a flow, then userinfo, whose `sub` is the ID token's.
async fn userinfo_module(via: Via) {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request();
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    let (status, headers, body) = match via {
        Via::Get => op.userinfo(&flow.access_token).await,
        Via::PostHeader => op.userinfo_post(&flow.access_token, false).await,
        Via::PostBody => op.userinfo_post(&flow.access_token, true).await,
    };
    checks::userinfo_response(status, &headers, &body, &flow.claims);
}

/// oidcc-userinfo-get: userinfo by GET with a Bearer token.
#[tokio::test]
async fn userinfo_get() {
    userinfo_module(Via::Get).await;
}

/// oidcc-userinfo-post-header: userinfo by POST, the token in the `Authorization` header.
#[tokio::test]
async fn userinfo_post_header() {
    userinfo_module(Via::PostHeader).await;
}

/// oidcc-userinfo-post-body: userinfo by POST, the token in the form body.
#[tokio::test]
async fn userinfo_post_body() {
    userinfo_module(Via::PostBody).await;
}

/// oidcc-ensure-request-without-nonce-succeeds-for-code-flow: no nonce is fine in the code flow, and the ID token
/// then has none.
#[tokio::test]
async fn ensure_request_without_nonce_succeeds_for_code_flow() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request().without("nonce");
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    assert!(!flow.claims.contains_key("nonce"));
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// The scope modules: a flow asking for `scope`, then userinfo, which holds each claim the scopes release
/// (`VerifyScopesReturnedInUserInfoClaims`), of the right types.
async fn scope_module(scope: &str) {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request().set("scope", scope);
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    let info = op.userinfo_claims(&flow.access_token, &flow.claims).await;
    checks::scope_claims_present(&info, scope);
    // And from the profile as Okta maps it.
    let has = |s: &str| scope.split(' ').any(|x| x == s);
    if has("profile") {
        assert_eq!(info["name"], "Ada Lovelace");
        assert_eq!(info["given_name"], "Ada");
        assert_eq!(info["family_name"], "Lovelace");
        assert_eq!(info["middle_name"], "King");
        assert_eq!(info["nickname"], "Ada");
        assert_eq!(info["preferred_username"], LOGIN);
        assert_eq!(info["profile"], "https://example.com/ada");
        assert_eq!(info["website"], "https://example.com");
        assert_eq!(info["zoneinfo"], "Europe/London");
        assert_eq!(info["locale"], "en_GB");
        assert!(info["updated_at"].is_i64());
    }
    if has("email") {
        assert_eq!(info["email"], LOGIN);
        assert_eq!(info["email_verified"], true);
    }
    if has("address") {
        assert_eq!(
            info["address"],
            json!({"street_address": "12 St James's Square", "locality": "London",
                "region": "Westminster", "postal_code": "SW1Y 4JH", "country": "GB"})
        );
    }
    if has("phone") {
        assert_eq!(info["phone_number"], "+44 20 7946 0000");
    }
    // Nothing from a scope that was not asked for.
    for other in ["profile", "email", "address", "phone"] {
        if !has(other) {
            for name in checks::scope_claims(other) {
                assert!(!info.contains_key(*name), "{name} without {other}");
            }
        }
    }
}

/// oidcc-scope-profile.
#[tokio::test]
async fn scope_profile() {
    scope_module("openid profile").await;
}

/// oidcc-scope-email.
#[tokio::test]
async fn scope_email() {
    scope_module("openid email").await;
}

/// oidcc-scope-address.
#[tokio::test]
async fn scope_address() {
    scope_module("openid address").await;
}

/// oidcc-scope-phone.
#[tokio::test]
async fn scope_phone() {
    scope_module("openid phone").await;
}

/// oidcc-scope-all.
#[tokio::test]
async fn scope_all() {
    scope_module("openid profile email address phone").await;
}

/// oidcc-alternate-happy-flow: `scope=openid email` reversed and the parameters in another order, checked as
/// oidcc-scope-email.
#[tokio::test]
async fn alternate_happy_flow() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let mut req = rp.request().set("scope", "email openid");
    req.params.reverse();
    assert_eq!(req.params[0].0, "nonce");
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    let info = op.userinfo_claims(&flow.access_token, &flow.claims).await;
    checks::scope_claims_present(&info, "openid email");
}

/// The display modules: the request succeeds (the OIDF suite asks for a screenshot of the sign-in page).
async fn display_module(display: &str) {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request().set("display", display);
    let mut agent = Agent::default();
    op.code_flow(&mut agent, &rp, &req).await;
    assert_eq!(agent.sign_ins, 1, "the sign-in page was shown");
}

/// oidcc-display-page.
#[tokio::test]
async fn display_page() {
    display_module("page").await;
}

/// oidcc-display-popup.
#[tokio::test]
async fn display_popup() {
    display_module("popup").await;
}

/// oidcc-prompt-login: a second request with `prompt=login` shows the sign-in page again and the new ID token's
/// `auth_time` differs (is later).
#[tokio::test]
async fn prompt_login() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let mut agent = Agent::default();
    let first = op.code_flow(&mut agent, &rp, &rp.request()).await;
    // auth_time counts seconds.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let req = rp.request().set("prompt", "login");
    let second = op.code_flow(&mut agent, &rp, &req).await;
    assert_eq!(agent.sign_ins, 2, "the sign-in page again");
    checks::later_authentication(&first.claims, &second.claims);
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

/// oidcc-prompt-none-logged-in: with a session, prompt=none answers at once, for the same user and sign-in.
#[tokio::test]
async fn prompt_none_logged_in() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let mut agent = Agent::default();
    let first = op.code_flow(&mut agent, &rp, &rp.request()).await;
    let req = rp.request().set("prompt", "none");
    agent.sign_in = false;
    let second = op.code_flow(&mut agent, &rp, &req).await;
    assert_eq!(agent.sign_ins, 1, "no interaction");
    checks::same_authentication(&first.claims, &second.claims);
}

/// oidcc-max-age-1: two seconds after a sign-in, `max_age=1` asks for another; the ID token then has an
/// `auth_time`, later than the first and recent.
#[tokio::test]
async fn max_age_1() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let mut agent = Agent::default();
    let first = op.code_flow(&mut agent, &rp, &rp.request()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let req = rp.request().set("max_age", "1");
    let second = op.code_flow(&mut agent, &rp, &req).await;
    assert_eq!(agent.sign_ins, 2, "the sign-in page again");
    checks::later_authentication(&first.claims, &second.claims);
}

/// oidcc-max-age-10000: a recent sign-in satisfies `max_age=10000`: no interaction, `auth_time` present and the
/// same.
#[tokio::test]
async fn max_age_10000() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let mut agent = Agent::default();
    let first = op.code_flow(&mut agent, &rp, &rp.request()).await;
    let req = rp.request().set("max_age", "10000");
    agent.sign_in = false;
    let second = op.code_flow(&mut agent, &rp, &req).await;
    assert!(
        second.claims.contains_key("auth_time"),
        "auth_time with max_age"
    );
    checks::same_authentication(&first.claims, &second.claims);
}

/// oidcc-ensure-request-with-unknown-parameter-succeeds: unknown parameters are ignored.
#[tokio::test]
async fn ensure_request_with_unknown_parameter_succeeds() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request().set("extra", "foobar");
    op.code_flow(&mut Agent::default(), &rp, &req).await;
}

/// oidcc-id-token-hint: a second request with prompt=none and the first ID token as `id_token_hint` succeeds
/// without interaction, for the same user and sign-in.
#[tokio::test]
async fn id_token_hint() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let mut agent = Agent::default();
    let first = op.code_flow(&mut agent, &rp, &rp.request()).await;
    let req = rp
        .request()
        .set("prompt", "none")
        .set("id_token_hint", &first.id_token);
    agent.sign_in = false;
    let second = op.code_flow(&mut agent, &rp, &req).await;
    checks::same_authentication(&first.claims, &second.claims);
}

/// A flow with one more parameter, which must not make it fail.
async fn accepted_parameter(name: &str, value: &str) {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request().set(name, value);
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// oidcc-login-hint: a `login_hint` (the OIDF suite sends a made-up address).
#[tokio::test]
async fn login_hint() {
    accepted_parameter("login_hint", "buffy@example.com").await;
}

/// oidcc-ui-locales.
#[tokio::test]
async fn ui_locales() {
    accepted_parameter("ui_locales", "se").await;
}

/// oidcc-claims-locales.
#[tokio::test]
async fn claims_locales() {
    accepted_parameter("claims_locales", "se").await;
}

/// oidcc-ensure-request-with-acr-values-succeeds: `acr_values` from discovery's `acr_values_supported`; the ID
/// token's `acr` is one of them (a WARNING in the OIDF suite when not).
#[tokio::test]
async fn ensure_request_with_acr_values_succeeds() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let supported: Vec<String> = op.meta["acr_values_supported"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_else(|| vec!["1".into(), "2".into()]);
    let req = rp.request().set("acr_values", &supported.join(" "));
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    let acr = flow.claims["acr"].as_str().expect("an acr");
    assert!(supported.iter().any(|s| s == acr), "{acr} in {supported:?}");
}

/// The code reuse modules: a code redeemed twice → 400 `invalid_grant` (JSON, RFC 6749 §5.2); the access token of
/// the first redemption is then refused (a WARNING in the OIDF suite when not: Lanyard revokes it).
async fn code_reuse_module(wait: Duration) {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request();
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    tokio::time::sleep(wait).await;
    let r = common::client()
        .post(op.endpoint("token_endpoint"))
        .header("Authorization", rp.basic())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", flow.params["code"].as_str()),
            ("redirect_uri", rp.redirect_uri.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/json"), "{ct}");
    let body: Value = r.json().await.unwrap();
    checks::token_error(status, &body, "invalid_grant");
    let (status, headers, _) = op.userinfo(&flow.access_token).await;
    assert_eq!(status, 401, "the first access token is revoked");
    assert!(headers.contains_key("www-authenticate"));
}

/// oidcc-codereuse.
#[tokio::test]
async fn codereuse() {
    code_reuse_module(Duration::ZERO).await;
}

/// oidcc-codereuse-30seconds: the same 30 seconds after the first use (a real wait: it runs alongside the other
/// modules).
#[tokio::test]
async fn codereuse_30seconds() {
    code_reuse_module(Duration::from_secs(30)).await;
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

/// oidcc-ensure-post-request-succeeds: the authorization request sent as a form POST.
#[tokio::test]
async fn ensure_post_request_succeeds() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let req = rp.request();
    let mut agent = Agent::default();
    let outcome = op.authorize_post(&mut agent, &req).await;
    let flow = op.finish_code_flow(&rp, &req, &outcome).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: an unsigned request object by
/// value, with only `response_type`, `client_id`, `scope` and `redirect_uri` beside it, is processed: the flow
/// completes with the object's `state` and `nonce` (Lanyard advertises `request_parameter_supported: true` and
/// accepts unsigned request objects from apps that did not register `request_object_signing_alg`).
#[tokio::test]
async fn unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let op = Op::start().await;
    assert_eq!(op.meta["request_parameter_supported"], true);
    let rp = op.basic_rp().await;
    let full = rp.request();
    let object = unsigned_request_object(&request_objects::claims(&op, &full));
    let req = request_objects::outside_the_object(&full).set("request", &object);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    // The answer is checked against the request the object carries (its state, its nonce).
    let flow = op.finish_code_flow(&rp, &full, &outcome).await;
    op.userinfo_claims(&flow.access_token, &flow.claims).await;
}

/// oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: the same object by reference,
/// fetched by Lanyard from the `request_uri` (`request_uri_parameter_supported: true`). The OIDF suite hosts it on
/// https, which any client may use; this one is a loopback http URL, which the RP registers in `request_uris`.
#[tokio::test]
async fn request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    let op = Op::start().await;
    assert_eq!(op.meta["request_uri_parameter_supported"], true);
    let hosted = request_objects::Hosted::start().await;
    let rp = op
        .register(json!({"request_uris": [hosted.url]}), json!({}))
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

/// oidcc-ensure-request-object-with-redirect-uri: the registered redirect URI only in the request object, an
/// unregistered one outside it. Lanyard processes request objects, so the object's wins (OIDC Core §6.3.3) and the
/// flow completes at the registered URI — never at the outside one (`EnsureOPDoesNotUseDefaultRedirectUriInCaseOf
/// InvalidRedirectUri`).
#[tokio::test]
async fn ensure_request_object_with_redirect_uri() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let full = rp.request();
    let object = unsigned_request_object(&request_objects::claims(&op, &full));
    let req = request_objects::outside_the_object(&full)
        .set("redirect_uri", "https://rp.example.com/invalid-redirect")
        .set("request", &object);
    let outcome = op.authorize(&mut Agent::default(), &req).await;
    match &outcome {
        Outcome::Redirect { url, .. } => assert!(url.starts_with(REDIRECT), "{url}"),
        other => panic!("expected the registered redirect URI, got {other:?}"),
    }
    op.finish_code_flow(&rp, &full, &outcome).await;
}

/// oidcc-claims-essential: `name` asked for as essential in userinfo with only `openid`: userinfo has it, the ID
/// token does not (both WARNINGs in the OIDF suite; asserted here).
#[tokio::test]
async fn claims_essential() {
    let op = Op::start().await;
    assert_eq!(op.meta["claims_parameter_supported"], true);
    let rp = op.basic_rp().await;
    let req = rp
        .request()
        .set("claims", r#"{"userinfo":{"name":{"essential":true}}}"#);
    let flow = op.code_flow(&mut Agent::default(), &rp, &req).await;
    let info = op.userinfo_claims(&flow.access_token, &flow.claims).await;
    assert_eq!(info["name"], "Ada Lovelace");
    assert!(
        !flow.claims.contains_key("name"),
        "name asked for userinfo only"
    );
    assert!(!info.contains_key("email"), "nothing else released");
}

/// oidcc-refresh-token: `openid offline_access` with prompt=consent; a second later the refresh gives a new access
/// token and an ID token with the same `iss`, `sub`, `aud`, `azp` and `auth_time` and a new `iat`; a second
/// client's refresh token is refused to the first (400 `invalid_grant`).
#[tokio::test]
async fn refresh_token() {
    let op = Op::start().await;
    assert!(
        op.meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "refresh_token")
    );
    let rp = op.basic_rp().await;
    let scope = "openid offline_access";
    let req = rp.request().set("scope", scope).set("prompt", "consent");
    let mut agent = Agent::default();
    let flow = op.code_flow(&mut agent, &rp, &req).await;
    let refresh = flow.tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    // RFC 6749 A.17: VSCHAR.
    assert!(refresh.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (status, tokens) = op
        .token(
            &rp,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert!(
        tokens["token_type"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("bearer")
    );
    let access = tokens["access_token"].as_str().unwrap();
    assert_ne!(access, flow.access_token, "a new access token");
    let id_token = tokens["id_token"].as_str().expect("a new ID token");
    let second = op.id_token(&rp, id_token, None).await;
    for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(second.get(claim), flow.claims.get(claim), "{claim} kept");
    }
    assert_ne!(second["iat"], flow.claims["iat"], "a new iat");
    op.userinfo_claims(access, &second).await;

    // The second client: its own flow, then its refresh token presented by the first.
    let rp2 = op.basic_rp().await;
    let req2 = rp2.request().set("scope", scope).set("prompt", "consent");
    let flow2 = op.code_flow(&mut agent, &rp2, &req2).await;
    let refresh2 = flow2.tokens["refresh_token"]
        .as_str()
        .expect("a refresh token");
    let (status, body) = op
        .token(
            &rp,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh2)],
        )
        .await;
    checks::token_error(status, &body, "invalid_grant");
}

/// oidcc-ensure-request-with-valid-pkce-succeeds: S256 PKCE in the code flow.
#[tokio::test]
async fn ensure_request_with_valid_pkce_succeeds() {
    let op = Op::start().await;
    let rp = op.basic_rp().await;
    let verifier = format!("{}{}", op::random(), op::random());
    let challenge = op::pkce_challenge(&verifier);
    let req = rp
        .request()
        .set("code_challenge", &challenge)
        .set("code_challenge_method", "S256");
    let mut agent = Agent::default();
    let outcome = op.authorize(&mut agent, &req).await;
    let params = outcome.success(&op, &req);
    let (status, tokens) = op
        .token(
            &rp,
            &[
                ("grant_type", "authorization_code"),
                ("code", &params["code"]),
                ("redirect_uri", &rp.redirect_uri),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    op.id_token(&rp, tokens["id_token"].as_str().unwrap(), req.get("nonce"))
        .await;
}
