//! The Authn API (`/api/v1/authn`), Okta's primary authentication: a username and password in, a one-time
//! `sessionToken` out (`SUCCESS`), or a `stateToken` and the next step (`MFA_REQUIRED`, `MFA_ENROLL`,
//! `PASSWORD_EXPIRED`), or `LOCKED_OUT`. When the sign-on policy requires a factor the user lacks, `MFA_ENROLL`
//! lists the factor to enrol; `POST /api/v1/authn/factors` enrols it (`MFA_ENROLL_ACTIVATE`, with the shared
//! secret and a QR code), and `POST /api/v1/authn/factors/{id}/lifecycle/activate` with a passcode activates it and
//! signs in. A sign-in the policy denies fails like a wrong password (401 E0000004). The flow itself is
//! `signin_flow`'s, shared with the hosted pages; this file renders it as JSON. Not behind an API token: this is
//! how people sign in.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use lanyard_core::clock::{Timestamp, okta_format};
use lanyard_core::mfa::totp::{self, TotpConfig};
use lanyard_core::mfa::webauthn::Assertion;
use lanyard_core::model::{Factor, FactorType, User};
use lanyard_core::signin::SigninError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use crate::api::openapi::{Object, Routes, doc};
use crate::signin_flow::{self, Change, Client, Enroll, Enrolment, Mfa, Primary, WebAuthnStep};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .post(
            "/authn",
            authenticate,
            doc().body::<Credentials>().ok::<Object>(),
        )
        .post(
            "/authn/factors",
            enroll_factor,
            doc().body::<EnrollBody>().ok::<Object>(),
        )
        .post(
            "/authn/factors/{factor_id}/verify",
            verify_factor,
            doc().body::<VerifyBody>().ok::<Object>(),
        )
        .post(
            "/authn/factors/{factor_id}/lifecycle/activate",
            activate_factor,
            doc().body::<ActivateBody>().ok::<Object>(),
        )
        .post(
            "/authn/credentials/change_password",
            change_password,
            doc().body::<ChangePassword>().ok::<Object>(),
        )
}

/// 401 E0000004: the one answer for every failed primary authentication.
pub fn authentication_failed() -> ApiError {
    ApiError::of(OktaCode::AuthenticationFailed)
}

/// 403 E0000068, Okta's answer to a wrong passcode.
pub fn invalid_passcode() -> ApiError {
    let mut e = ApiError::of(OktaCode::InvalidPasscode);
    e.causes
        .push("Your passcode doesn't match our records. Please try again.".into());
    e
}

pub(crate) fn invalid_state_token() -> ApiError {
    ApiError::of(OktaCode::InvalidToken).with_status(StatusCode::FORBIDDEN)
}

pub(crate) fn embedded_user(u: &User) -> Value {
    json!({
        "id": u.id,
        "passwordChanged": u.password_changed.map(okta_format),
        "profile": {
            "login": u.login,
            "firstName": u.attr("firstName"),
            "lastName": u.attr("lastName"),
            "locale": u.attr("locale").unwrap_or("en_US"),
            "timeZone": u.attr("timezone").unwrap_or("America/Los_Angeles"),
        }
    })
}

fn factor_summary(f: &Factor, base: &str) -> Value {
    json!({
        "id": f.id,
        "factorType": f.factor_type.as_str(),
        "provider": f.provider,
        "vendorName": f.provider,
        "profile": f.profile,
        "_links": { "verify": { "href": format!("{base}/api/v1/authn/factors/{}/verify", f.id), "hints": { "allow": ["POST"] } } }
    })
}

/// `SUCCESS` with a one-time `sessionToken`; the client's device is remembered as the user's (a device cookie set
/// when it has none: a browser calling the Authn API keeps its device known).
pub(crate) async fn success(
    state: &AppState,
    client: &Client,
    user: &User,
    amr: &[&str],
) -> Result<Response, ApiError> {
    let (token, expires) = signin_flow::session_token(state, user, amr).await?;
    let fresh = signin_flow::remember_device(state, client, user).await?;
    let mut r = Json(json!({
        "expiresAt": okta_format(expires),
        "status": "SUCCESS",
        "sessionToken": token.value,
        "_embedded": { "user": embedded_user(user) }
    }))
    .into_response();
    if let Some(cookie) = fresh.and_then(|v| signin_flow::device_cookie(state, &v)) {
        r.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(r)
}

fn step(status: &str, token: &str, expires: Timestamp, embedded: Value) -> Json<Value> {
    Json(
        json!({ "stateToken": token, "expiresAt": okta_format(expires), "status": status, "_embedded": embedded }),
    )
}

#[derive(schemars::JsonSchema, Deserialize)]
struct Credentials {
    username: Option<String>,
    password: Option<String>,
}

async fn authenticate(
    State(state): State<AppState>,
    client: Client,
    OktaJson(body): OktaJson<Credentials>,
) -> Result<Response, ApiError> {
    let username = body.username.unwrap_or_default();
    let password = body.password.unwrap_or_default();
    let outcome = signin_flow::primary(&state, &client, &username, &password).await?;
    primary_json(&state, &client, outcome).await
}

/// The Authn API's answer to where a password led.
pub(crate) async fn primary_json(
    state: &AppState,
    client: &Client,
    outcome: Primary,
) -> Result<Response, ApiError> {
    let base = &state.config.base_url;
    let r = match outcome {
        Primary::Success { user } => return success(state, client, &user, &["pwd"]).await,
        Primary::MfaRequired {
            user,
            factors,
            state_token,
            expires_at,
        } => {
            let embedded = json!({ "user": embedded_user(&user), "factors": factors.iter().map(|f| factor_summary(f, base)).collect::<Vec<_>>() });
            step("MFA_REQUIRED", &state_token.value, expires_at, embedded)
        }
        Primary::MfaEnroll {
            user,
            state_token,
            expires_at,
        } => {
            // The one factor Lanyard enrols during a sign-in.
            let embedded = json!({
                "user": embedded_user(&user),
                "factors": [{
                    "factorType": FactorType::Totp.as_str(),
                    "provider": "GOOGLE",
                    "vendorName": "GOOGLE",
                    "status": "NOT_SETUP",
                    "enrollment": "REQUIRED",
                    "_links": { "enroll": { "href": format!("{base}/api/v1/authn/factors"), "hints": { "allow": ["POST"] } } }
                }]
            });
            step("MFA_ENROLL", &state_token.value, expires_at, embedded)
        }
        Primary::PasswordExpired {
            user,
            state_token,
            expires_at,
        } => {
            let embedded = json!({ "user": embedded_user(&user), "policy": { "complexity": state.password_policy.requirements() } });
            step("PASSWORD_EXPIRED", &state_token.value, expires_at, embedded)
        }
        Primary::LockedOut => Json(json!({ "status": "LOCKED_OUT" })),
        Primary::Failed => return Err(authentication_failed()),
        Primary::Throttled { wait } => return Err(too_many_attempts(wait)),
    };
    Ok(r.into_response())
}

/// 429 E0000047 with `Retry-After`: this client's address, or this factor, must wait.
pub(crate) fn too_many_attempts(wait: chrono::Duration) -> ApiError {
    let mut e = ApiError::rate_limited();
    e.retry_after = Some(
        u32::try_from(lanyard_core::signin::attempts::wait_seconds(wait).unsigned_abs())
            .unwrap_or(u32::MAX),
    );
    e
}

#[derive(schemars::JsonSchema, Deserialize)]
struct EnrollBody {
    #[serde(rename = "stateToken")]
    state_token: Option<String>,
    #[serde(rename = "factorType")]
    factor_type: Option<String>,
    provider: Option<String>,
}

/// An SVG QR code of `uri`, as a `data:` URI an `<img>` can show: no endpoint to reach with the state token.
pub(crate) fn qr_data_uri(uri: &str) -> Result<String, ApiError> {
    let svg = totp::qr_svg(uri).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// The otpauth URI of an enrolment, for the authenticator app.
pub(crate) fn enrolment_uri(state: &AppState, e: &Enrolment) -> String {
    totp::otpauth_uri(
        &state.org_name(),
        &e.user.login,
        &e.secret,
        &TotpConfig::default(),
    )
}

/// `POST /api/v1/authn/factors`: enrols the TOTP factor an `MFA_ENROLL` step asks for; `MFA_ENROLL_ACTIVATE` with
/// the shared secret (`_embedded.factor._embedded.activation`) and the link to activate it.
async fn enroll_factor(
    State(state): State<AppState>,
    client: Client,
    OktaJson(body): OktaJson<EnrollBody>,
) -> Result<Json<Value>, ApiError> {
    let kind = body.factor_type.unwrap_or_default();
    if kind != FactorType::Totp.as_str() {
        return Err(ApiError::validation(
            "factorType",
            vec![format!(
                "factorType: {kind:?} cannot be enrolled during sign-in; enrol token:software:totp"
            )],
        ));
    }
    let provider = body
        .provider
        .unwrap_or_else(|| "GOOGLE".into())
        .to_uppercase();
    if !matches!(provider.as_str(), "GOOGLE" | "OKTA") {
        return Err(ApiError::validation(
            "provider",
            vec![format!("provider: {provider:?} is not GOOGLE or OKTA")],
        ));
    }
    let presented = body.state_token.unwrap_or_default();
    let e = match signin_flow::enroll_totp(&state, &client, &presented, &provider).await? {
        Enroll::Started(e) => e,
        Enroll::InvalidState => return Err(invalid_state_token()),
    };
    let base = &state.config.base_url;
    let config = TotpConfig::default();
    let uri = enrolment_uri(&state, &e);
    let activate = format!(
        "{base}/api/v1/authn/factors/{}/lifecycle/activate",
        e.factor.id
    );
    Ok(Json(json!({
        "stateToken": presented,
        "expiresAt": okta_format(e.expires_at),
        "status": "MFA_ENROLL_ACTIVATE",
        "factorResult": "WAITING",
        "_embedded": {
            "user": embedded_user(&e.user),
            "factor": {
                "id": e.factor.id,
                "factorType": e.factor.factor_type.as_str(),
                "provider": e.factor.provider,
                "vendorName": e.factor.provider,
                "profile": { "credentialId": e.user.login },
                "_embedded": { "activation": {
                    "timeStep": config.step_secs(),
                    "sharedSecret": e.secret.to_base32(),
                    "encoding": "base32",
                    "keyLength": config.digits(),
                    "_links": {
                        "qrcode": { "href": qr_data_uri(&uri)?, "type": "image/svg+xml" },
                        "otpauth": { "href": uri, "type": "text/plain" }
                    }
                }}
            }
        },
        "_links": {
            "next": { "name": "activate", "href": activate, "hints": { "allow": ["POST"] } }
        }
    })))
}

#[derive(schemars::JsonSchema, Deserialize)]
struct ActivateBody {
    #[serde(rename = "stateToken")]
    state_token: Option<String>,
    #[serde(rename = "passCode")]
    pass_code: Option<String>,
}

/// `POST /api/v1/authn/factors/{id}/lifecycle/activate`: the passcode activates the factor enrolled during this
/// sign-in and completes it (`SUCCESS` with a `sessionToken`); a wrong code is 403 E0000068 and may be retried.
async fn activate_factor(
    State(state): State<AppState>,
    client: Client,
    Path(factor_id): Path<String>,
    OktaJson(body): OktaJson<ActivateBody>,
) -> Result<Response, ApiError> {
    let presented = body.state_token.unwrap_or_default();
    let passcode = body.pass_code.unwrap_or_default();
    let outcome =
        signin_flow::activate_enrolment(&state, &client, &presented, &factor_id, &passcode).await?;
    let user = mfa_outcome(outcome, &factor_id)?;
    success(&state, &client, &user, &["pwd", "otp", "mfa"]).await
}

#[derive(schemars::JsonSchema, Deserialize)]
struct VerifyBody {
    #[serde(rename = "stateToken")]
    state_token: Option<String>,
    #[serde(rename = "passCode")]
    pass_code: Option<String>,
    #[serde(rename = "clientData")]
    client_data: Option<String>,
    #[serde(rename = "authenticatorData")]
    authenticator_data: Option<String>,
    #[serde(rename = "signatureData")]
    signature_data: Option<String>,
}

/// 403 E0000068 for a WebAuthn answer with no challenge pending.
fn no_challenge() -> ApiError {
    let mut e = ApiError::of(OktaCode::InvalidPasscode);
    e.causes.push(
        "No WebAuthn challenge is pending for this transaction (or it expired): request one by posting the stateToken alone."
            .into(),
    );
    e
}

fn mfa_outcome(outcome: Mfa, factor_id: &str) -> Result<User, ApiError> {
    match outcome {
        Mfa::Success(user) => Ok(user),
        Mfa::WrongCode => Err(invalid_passcode()),
        Mfa::NoChallenge => Err(no_challenge()),
        Mfa::InvalidState => Err(invalid_state_token()),
        Mfa::UnknownFactor => Err(ApiError::not_found(factor_id, "UserFactor")),
        Mfa::TooManyAttempts { wait } => Err(too_many_attempts(wait)),
        Mfa::Ended => {
            let mut e = invalid_state_token();
            e.causes
                .push("Too many wrong answers: this sign-in has ended. Sign in again.".into());
            Err(e)
        }
    }
}

/// `MFA_CHALLENGE` for a WebAuthn factor: Okta's `_embedded.factor._embedded.challenge` and, in `_embedded.challenge`,
/// the whole request options (`challenge`, `rpId`, `allowCredentials`, `userVerification`, `timeout`).
fn webauthn_challenge(
    state: &AppState,
    presented: &str,
    user: &User,
    factor: Option<&Factor>,
    options: Value,
    expires_at: Timestamp,
) -> Json<Value> {
    let base = &state.config.base_url;
    let mut factor_json = factor
        .map(|f| factor_summary(f, base))
        .unwrap_or(Value::Null);
    if let Some(obj) = factor_json.as_object_mut() {
        obj.insert(
            "_embedded".into(),
            json!({ "challenge": {
                "challenge": options["challenge"],
                "userVerification": options["userVerification"],
                "extensions": {}
            }}),
        );
    }
    let verify_href = factor
        .map(|f| format!("{base}/api/v1/authn/factors/{}/verify", f.id))
        .unwrap_or_default();
    Json(json!({
        "stateToken": presented,
        "expiresAt": okta_format(expires_at),
        "status": "MFA_CHALLENGE",
        "factorResult": "CHALLENGE",
        "challengeType": "FACTOR",
        "_embedded": {
            "user": embedded_user(user),
            "factor": factor_json,
            "challenge": options,
        },
        "_links": {
            "next": { "name": "verify", "href": verify_href, "hints": { "allow": ["POST"] } }
        }
    }))
}

async fn verify_factor(
    State(state): State<AppState>,
    client: Client,
    Path(factor_id): Path<String>,
    OktaJson(body): OktaJson<VerifyBody>,
) -> Result<Response, ApiError> {
    let presented = body.state_token.unwrap_or_default();
    if let Some(passcode) = body.pass_code {
        let outcome =
            signin_flow::verify_mfa(&state, &client, &presented, &factor_id, &passcode).await?;
        let user = mfa_outcome(outcome, &factor_id)?;
        return success(&state, &client, &user, &["pwd", "otp", "mfa"]).await;
    }
    // WebAuthn: the state token alone asks for a challenge; the three fields answer it.
    let answer = match (
        body.client_data.as_deref(),
        body.authenticator_data.as_deref(),
        body.signature_data.as_deref(),
    ) {
        (None, None, None) => None,
        (Some(client_data), Some(authenticator_data), Some(signature)) => Some((
            None,
            Assertion {
                client_data,
                authenticator_data,
                signature,
                user_handle: None,
            },
        )),
        _ => {
            return Err(ApiError::validation(
                "Api validation failed: signatureData",
                vec![
                    "clientData, authenticatorData and signatureData are required together".into(),
                ],
            ));
        }
    };
    match signin_flow::webauthn_mfa(&state, &client, &presented, &factor_id, answer).await? {
        WebAuthnStep::Challenge {
            user,
            factor,
            options,
            expires_at,
        } => Ok(webauthn_challenge(
            &state,
            &presented,
            &user,
            factor.as_deref(),
            options,
            expires_at,
        )
        .into_response()),
        WebAuthnStep::Done(outcome) => {
            let user = mfa_outcome(outcome, &factor_id)?;
            success(&state, &client, &user, &["pwd", "hwk", "mfa"]).await
        }
    }
}

#[derive(schemars::JsonSchema, Deserialize)]
struct ChangePassword {
    #[serde(rename = "stateToken")]
    state_token: Option<String>,
    #[serde(rename = "oldPassword")]
    old_password: Option<String>,
    #[serde(rename = "newPassword")]
    new_password: Option<String>,
}

async fn change_password(
    State(state): State<AppState>,
    client: Client,
    OktaJson(body): OktaJson<ChangePassword>,
) -> Result<Response, ApiError> {
    let presented = body.state_token.unwrap_or_default();
    let old = body.old_password.unwrap_or_default();
    let new = body.new_password.unwrap_or_default();
    match signin_flow::change_expired_password(&state, &presented, Some(&old), &new)
        .await
        .map_err(|e| super::users::refused(e, ""))?
    {
        Change::Success(user) => {
            // The sign-on policy decides again: the MFA step or enrolment may follow.
            let outcome = signin_flow::after_password_change(&state, &client, user).await?;
            primary_json(&state, &client, outcome).await
        }
        Change::InvalidState => Err(invalid_state_token()),
        Change::WrongPassword => Err(ApiError::of(OktaCode::CredentialsUpdateFailed)),
    }
}

/// The Authn API's answer to a sign-in step that could not be taken ([`SigninError`]).
impl From<SigninError> for ApiError {
    fn from(e: SigninError) -> Self {
        match e {
            SigninError::Store(e) => e.into(),
            SigninError::WebAuthnUnavailable => crate::webauthn::unavailable(),
            SigninError::NotAllowed => authentication_failed(),
            SigninError::Internal(message) => ApiError::internal(message),
        }
    }
}
