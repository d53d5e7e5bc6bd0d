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
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use crate::api::openapi::{Empty, HintedHref, Hints, Routes, doc};
use crate::signin_flow::{self, Change, Client, Enroll, Enrolment, Mfa, Primary, WebAuthnStep};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .post(
            "/authn",
            authenticate,
            doc().body::<Credentials>().ok::<Transaction>(),
        )
        .post(
            "/authn/factors",
            enroll_factor,
            doc().body::<EnrollBody>().ok::<Transaction>(),
        )
        .post(
            "/authn/factors/{factor_id}/verify",
            verify_factor,
            doc().body::<VerifyBody>().ok::<Transaction>(),
        )
        .post(
            "/authn/factors/{factor_id}/lifecycle/activate",
            activate_factor,
            doc().body::<ActivateBody>().ok::<Transaction>(),
        )
        .post(
            "/authn/credentials/change_password",
            change_password,
            doc().body::<ChangePassword>().ok::<Transaction>(),
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

/// An Authn transaction in Okta's shape (`AuthenticationTransaction`): what every Authn and recovery answer sends.
/// Which members are present depends on `status`.
#[derive(Serialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AuthnTransaction")]
pub struct Transaction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[schemars(extend("enum" = ["SUCCESS", "MFA_REQUIRED", "MFA_ENROLL", "MFA_ENROLL_ACTIVATE", "MFA_CHALLENGE",
        "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY_CHALLENGE", "PASSWORD_RESET"]))]
    pub status: &'static str,
    /// With `SUCCESS`: the one-time token to exchange for a session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["WAITING", "CHALLENGE"]))]
    pub factor_result: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_type: Option<&'static str>,
    #[serde(rename = "_embedded", skip_serializing_if = "Option::is_none")]
    pub embedded: Option<Embedded>,
    #[serde(rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<NextLinks>,
}

/// What a transaction carries: the user, and the factors, the policy or the challenge of its step.
#[derive(Serialize, JsonSchema, Default)]
#[schemars(rename = "AuthnEmbedded")]
pub struct Embedded {
    pub user: AuthnUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factors: Option<Vec<AuthnFactor>>,
    /// The factor being enrolled or challenged (null: a challenge for a factor not found).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<Option<AuthnFactor>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PasswordPolicy>,
    /// With a WebAuthn `MFA_CHALLENGE`: the whole request options (`challenge`, `rpId`, `allowCredentials`,
    /// `userVerification`, `timeout`), as WebAuthn defines them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<Value>,
}

/// The user a transaction is about.
#[derive(Serialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct AuthnUser {
    pub id: String,
    pub password_changed: Option<String>,
    pub profile: AuthnUserProfile,
}

#[derive(Serialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct AuthnUserProfile {
    pub login: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: String,
    pub time_zone: String,
}

/// The password rules a new password must meet.
#[derive(Serialize, JsonSchema)]
pub struct PasswordPolicy {
    /// The rules, in words.
    pub complexity: String,
}

/// A factor of a transaction: one to verify, to enrol, or being enrolled.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthnFactor {
    /// Absent for a factor still to enrol.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    factor_type: &'static str,
    provider: String,
    vendor_name: String,
    /// The factor's profile (`credentialId`, ...), as the factor type defines it.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrollment: Option<&'static str>,
    #[serde(rename = "_embedded", skip_serializing_if = "Option::is_none")]
    embedded: Option<FactorEmbedded>,
    #[serde(rename = "_links", skip_serializing_if = "Option::is_none")]
    links: Option<FactorLinks>,
}

#[derive(Serialize, JsonSchema)]
pub struct FactorLinks {
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<HintedHref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enroll: Option<HintedHref>,
}

#[derive(Serialize, JsonSchema)]
pub struct FactorEmbedded {
    #[serde(skip_serializing_if = "Option::is_none")]
    activation: Option<TotpActivation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge: Option<WebAuthnChallenge>,
}

/// The shared secret of a TOTP factor being enrolled, and its QR code.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotpActivation {
    time_step: u64,
    shared_secret: String,
    encoding: &'static str,
    key_length: u32,
    #[serde(rename = "_links")]
    links: ActivationLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct ActivationLinks {
    /// The QR code of the secret (SVG): a `data:` URI during a sign-in, the factor's `qr` otherwise.
    qrcode: TypedHref,
    /// The `otpauth://` URI, during a sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    otpauth: Option<TypedHref>,
}

impl TotpActivation {
    /// The activation of a TOTP factor with `shared_secret` (base32), its QR code at `qrcode`.
    pub fn new(
        config: &TotpConfig,
        shared_secret: String,
        qrcode: String,
        otpauth: Option<String>,
    ) -> Self {
        TotpActivation {
            time_step: config.step_secs(),
            shared_secret,
            encoding: "base32",
            key_length: config.digits(),
            links: ActivationLinks {
                qrcode: TypedHref {
                    href: qrcode,
                    media_type: "image/svg+xml",
                },
                otpauth: otpauth.map(|href| TypedHref {
                    href,
                    media_type: "text/plain",
                }),
            },
        }
    }
}

/// A link with its media type.
#[derive(Serialize, JsonSchema)]
pub struct TypedHref {
    href: String,
    #[serde(rename = "type")]
    media_type: &'static str,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebAuthnChallenge {
    challenge: Option<String>,
    user_verification: Option<String>,
    /// None asked.
    extensions: Empty,
}

/// The next step of a transaction.
#[derive(Serialize, JsonSchema)]
pub struct NextLinks {
    pub next: NamedLink,
}

#[derive(Serialize, JsonSchema)]
pub struct NamedLink {
    pub name: &'static str,
    pub href: String,
    pub hints: Hints,
}

impl NamedLink {
    pub fn post(name: &'static str, href: String) -> NextLinks {
        NextLinks {
            next: NamedLink {
                name,
                href,
                hints: Hints {
                    allow: vec!["POST"],
                },
            },
        }
    }
}

pub(crate) fn embedded_user(u: &User) -> AuthnUser {
    AuthnUser {
        id: u.id.clone(),
        password_changed: u.password_changed.map(okta_format),
        profile: AuthnUserProfile {
            login: u.login.clone(),
            first_name: u.attr("firstName").map(str::to_owned),
            last_name: u.attr("lastName").map(str::to_owned),
            locale: u.attr("locale").unwrap_or("en_US").to_owned(),
            time_zone: u
                .attr("timezone")
                .unwrap_or("America/Los_Angeles")
                .to_owned(),
        },
    }
}

pub(crate) fn password_policy(state: &AppState) -> Option<PasswordPolicy> {
    Some(PasswordPolicy {
        complexity: state.password_policy.requirements(),
    })
}

fn factor_summary(f: &Factor, base: &str) -> AuthnFactor {
    AuthnFactor {
        id: Some(f.id.clone()),
        factor_type: f.factor_type.as_str(),
        provider: f.provider.clone(),
        vendor_name: f.provider.clone(),
        profile: Some(f.profile.clone()),
        status: None,
        enrollment: None,
        embedded: None,
        links: Some(FactorLinks {
            verify: Some(HintedHref::new(
                format!("{base}/api/v1/authn/factors/{}/verify", f.id),
                &["POST"],
            )),
            enroll: None,
        }),
    }
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
    let mut r = Json(Transaction {
        expires_at: Some(okta_format(expires)),
        status: "SUCCESS",
        session_token: Some(token.value),
        embedded: Some(Embedded {
            user: embedded_user(user),
            ..Embedded::default()
        }),
        ..Transaction::default()
    })
    .into_response();
    if let Some(cookie) = fresh.and_then(|v| signin_flow::device_cookie(state, &v)) {
        r.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(r)
}

fn step(
    status: &'static str,
    token: &str,
    expires: Timestamp,
    embedded: Embedded,
) -> Json<Transaction> {
    Json(Transaction {
        state_token: Some(token.to_owned()),
        expires_at: Some(okta_format(expires)),
        status,
        embedded: Some(embedded),
        ..Transaction::default()
    })
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
            let embedded = Embedded {
                user: embedded_user(&user),
                factors: Some(factors.iter().map(|f| factor_summary(f, base)).collect()),
                ..Embedded::default()
            };
            step("MFA_REQUIRED", &state_token.value, expires_at, embedded)
        }
        Primary::MfaEnroll {
            user,
            state_token,
            expires_at,
        } => {
            // The one factor Lanyard enrols during a sign-in.
            let embedded = Embedded {
                user: embedded_user(&user),
                factors: Some(vec![AuthnFactor {
                    id: None,
                    factor_type: FactorType::Totp.as_str(),
                    provider: "GOOGLE".into(),
                    vendor_name: "GOOGLE".into(),
                    profile: None,
                    status: Some("NOT_SETUP"),
                    enrollment: Some("REQUIRED"),
                    embedded: None,
                    links: Some(FactorLinks {
                        verify: None,
                        enroll: Some(HintedHref::new(
                            format!("{base}/api/v1/authn/factors"),
                            &["POST"],
                        )),
                    }),
                }]),
                ..Embedded::default()
            };
            step("MFA_ENROLL", &state_token.value, expires_at, embedded)
        }
        Primary::PasswordExpired {
            user,
            state_token,
            expires_at,
        } => {
            let embedded = Embedded {
                user: embedded_user(&user),
                policy: password_policy(state),
                ..Embedded::default()
            };
            step("PASSWORD_EXPIRED", &state_token.value, expires_at, embedded)
        }
        Primary::LockedOut => Json(Transaction {
            status: "LOCKED_OUT",
            ..Transaction::default()
        }),
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
) -> Result<Json<Transaction>, ApiError> {
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
    let factor = AuthnFactor {
        id: Some(e.factor.id.clone()),
        factor_type: e.factor.factor_type.as_str(),
        provider: e.factor.provider.clone(),
        vendor_name: e.factor.provider.clone(),
        profile: Some(json!({ "credentialId": e.user.login })),
        status: None,
        enrollment: None,
        embedded: Some(FactorEmbedded {
            activation: Some(TotpActivation::new(
                &config,
                e.secret.to_base32(),
                qr_data_uri(&uri)?,
                Some(uri),
            )),
            challenge: None,
        }),
        links: None,
    };
    Ok(Json(Transaction {
        state_token: Some(presented),
        expires_at: Some(okta_format(e.expires_at)),
        status: "MFA_ENROLL_ACTIVATE",
        factor_result: Some("WAITING"),
        embedded: Some(Embedded {
            user: embedded_user(&e.user),
            factor: Some(Some(factor)),
            ..Embedded::default()
        }),
        links: Some(NamedLink::post("activate", activate)),
        ..Transaction::default()
    }))
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
) -> Json<Transaction> {
    let base = &state.config.base_url;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let factor_json = factor.map(|f| AuthnFactor {
        embedded: Some(FactorEmbedded {
            activation: None,
            challenge: Some(WebAuthnChallenge {
                challenge: text(&options["challenge"]),
                user_verification: text(&options["userVerification"]),
                extensions: Empty {},
            }),
        }),
        ..factor_summary(f, base)
    });
    let verify_href = factor
        .map(|f| format!("{base}/api/v1/authn/factors/{}/verify", f.id))
        .unwrap_or_default();
    Json(Transaction {
        state_token: Some(presented.to_owned()),
        expires_at: Some(okta_format(expires_at)),
        status: "MFA_CHALLENGE",
        factor_result: Some("CHALLENGE"),
        challenge_type: Some("FACTOR"),
        embedded: Some(Embedded {
            user: embedded_user(user),
            factor: Some(factor_json),
            challenge: Some(options),
            ..Embedded::default()
        }),
        links: Some(NamedLink::post("verify", verify_href)),
        ..Transaction::default()
    })
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
