//! `/api/v1/users/{id}/factors`: enrol, activate, list, read, verify and delete MFA factors — TOTP
//! (`token:software:totp`; the secret is shown once, at enrolment, and kept sealed with the master key) and WebAuthn
//! (`webauthn`, provider `FIDO`; enrolment returns the creation options, activation takes the browser's
//! `attestation` and `clientData`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::clock::okta_format;
use lanyard_core::mfa::totp;
use lanyard_core::mfa::totp::TotpConfig;
use lanyard_core::mfa::user_factors as ops;
use lanyard_core::mfa::user_factors::FactorRefused;
use lanyard_core::mfa::webauthn::StoredPasskey as Passkey;
use lanyard_core::model::{Factor, FactorStatus, FactorType, User};
use lanyard_core::signin::factors::{pending_registration_key, totp_secret};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::authn::invalid_passcode;
use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use super::users::find;
use crate::api::authn::TotpActivation;
use crate::api::openapi::{HintedHref, Href, Routes, doc};
use crate::state::AppState;
use crate::syslog::{Audit, user_target};
use crate::webauthn::RegistrationFailure;

pub fn routes() -> Routes {
    Routes::new()
        .get("/users/{id}/factors", list, doc().list::<FactorBody>())
        .post(
            "/users/{id}/factors",
            enroll,
            doc().body::<EnrollBody>().ok::<FactorBody>(),
        )
        .get("/users/{id}/factors/{fid}", read, doc().ok::<FactorBody>())
        .delete("/users/{id}/factors/{fid}", remove, doc().no_content())
        .post(
            "/users/{id}/factors/{fid}/lifecycle/activate",
            activate,
            doc().body::<ActivateBody>().ok::<FactorBody>(),
        )
        .post(
            "/users/{id}/factors/{fid}/verify",
            verify,
            doc().body::<PassCode>().ok::<VerifyAnswer>(),
        )
        .get(
            "/users/{id}/factors/{fid}/qr",
            qr,
            doc().text("image/svg+xml"),
        )
}

fn factor_json(f: &Factor, user: &User, base: &str) -> FactorBody {
    let href = format!("{base}/api/v1/users/{}/factors/{}", user.id, f.id);
    let mut profile = f.profile.clone();
    if f.factor_type == FactorType::Totp {
        profile = json!({ "credentialId": user.login });
    }
    FactorBody {
        id: f.id.clone(),
        factor_type: f.factor_type.as_str(),
        provider: f.provider.clone(),
        vendor_name: f.provider.clone(),
        status: f.status.as_str(),
        created: okta_format(f.created),
        last_updated: okta_format(f.last_updated),
        profile,
        links: FactorLinks {
            verify: HintedHref::new(format!("{href}/verify"), &["POST"]),
            this: HintedHref::new(href, &["GET", "DELETE"]),
            user: Href::new(format!("{base}/api/v1/users/{}", user.id)),
            activate: None,
        },
        embedded: None,
    }
}

/// A user's factor in Okta's shape: what `factor_json` sends, and its schema (the profile is the factor type's).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UserFactor")]
pub struct FactorBody {
    id: String,
    factor_type: &'static str,
    provider: String,
    vendor_name: String,
    status: &'static str,
    created: String,
    last_updated: String,
    profile: Value,
    #[serde(rename = "_links")]
    links: FactorLinks,
    /// At enrolment: what the authenticator needs to activate the factor.
    #[serde(rename = "_embedded", skip_serializing_if = "Option::is_none")]
    embedded: Option<FactorEmbedded>,
}

#[derive(Serialize, JsonSchema)]
pub struct FactorLinks {
    #[serde(rename = "self")]
    this: HintedHref,
    verify: HintedHref,
    user: Href,
    /// At enrolment.
    #[serde(skip_serializing_if = "Option::is_none")]
    activate: Option<HintedHref>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "UserFactorEmbedded")]
pub struct FactorEmbedded {
    activation: Activation,
}

/// A TOTP factor's shared secret, or a WebAuthn factor's credential creation options (`challenge`, `rp`, `user`,
/// `pubKeyCredParams`, ...), as WebAuthn defines them.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "UserFactorActivation")]
pub enum Activation {
    Totp(TotpActivation),
    WebAuthn(Value),
}

/// What a factor's verification answers.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UserFactorVerification")]
pub struct VerifyAnswer {
    #[schemars(extend("enum" = ["SUCCESS"]))]
    factor_result: &'static str,
}

fn activate_link(base: &str, user: &User, factor: &Factor) -> Option<HintedHref> {
    Some(HintedHref::new(
        format!(
            "{base}/api/v1/users/{}/factors/{}/lifecycle/activate",
            user.id, factor.id
        ),
        &["POST"],
    ))
}

#[derive(schemars::JsonSchema, Deserialize)]
struct EnrollBody {
    #[serde(rename = "factorType")]
    factor_type: Option<String>,
    provider: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<FactorBody>>, ApiError> {
    let user = find(&state, &id).await?;
    let base = &state.config.base_url;
    Ok(Json(
        state
            .store
            .factors(&user.id)
            .await?
            .iter()
            .map(|f| factor_json(f, &user, base))
            .collect(),
    ))
}

/// A refusal in Okta's terms.
fn refused(e: FactorRefused, fid: &str) -> ApiError {
    let invalid = |summary: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            OktaCode::ApiValidationFailed,
            summary.to_owned(),
        )
    };
    match e {
        FactorRefused::NotFound => ApiError::not_found(fid, "UserFactor"),
        FactorRefused::Provider(cause) => ApiError::validation("provider", vec![cause]),
        FactorRefused::ActiveTotpExists => {
            invalid("Api validation failed: factorType").with_detail("an active TOTP factor exists")
        }
        FactorRefused::AlreadyActive => invalid("Api validation failed: factor is already active"),
        FactorRefused::NotActive => invalid("Api validation failed: factor is not active"),
        FactorRefused::InvalidPasscode => invalid_passcode(),
        FactorRefused::Crypto(e) => ApiError::internal(e.to_string()),
        FactorRefused::Store(e) => e.into(),
    }
}

fn env(state: &AppState) -> ops::Env<'_> {
    ops::Env {
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
        master: &state.master,
    }
}

async fn find_factor(state: &AppState, user: &User, fid: &str) -> Result<Factor, ApiError> {
    ops::find(state.store.as_ref(), &user.id, fid)
        .await
        .map_err(|e| refused(e, fid))
}

async fn read(
    State(state): State<AppState>,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Json<FactorBody>, ApiError> {
    let user = find(&state, &id).await?;
    let factor = find_factor(&state, &user, &fid).await?;
    Ok(Json(factor_json(&factor, &user, &state.config.base_url)))
}

async fn enroll(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<EnrollBody>,
) -> Result<Json<FactorBody>, ApiError> {
    let user = find(&state, &id).await?;
    let kind = body.factor_type.as_deref().unwrap_or_default();
    match FactorType::parse(kind) {
        Some(FactorType::Totp) => {}
        Some(FactorType::WebAuthn) => {
            return enroll_webauthn(&state, audit, &user, body.provider).await;
        }
        None => {
            return Err(ApiError::validation(
                "factorType",
                vec![format!(
                    "factorType: {kind:?} cannot be enrolled through this API; supported: token:software:totp, webauthn"
                )],
            ));
        }
    }
    let (factor, secret) = ops::enroll_totp(
        state.store.as_ref(),
        env(&state),
        &user.id,
        body.provider.as_deref(),
    )
    .await
    .map_err(|e| refused(e, ""))?;
    let config = TotpConfig::default();
    let base = &state.config.base_url;
    let mut body = factor_json(&factor, &user, base);
    body.embedded = Some(FactorEmbedded {
        activation: Activation::Totp(TotpActivation::new(
            &config,
            secret.to_base32(),
            format!("{base}/api/v1/users/{}/factors/{}/qr", user.id, factor.id),
            None,
        )),
    });
    body.links.activate = activate_link(base, &user, &factor);
    record(&state, &audit, &user, ops::ENROLLED);
    Ok(Json(body))
}

async fn enroll_webauthn(
    state: &AppState,
    audit: Audit,
    user: &User,
    provider: Option<String>,
) -> Result<Json<FactorBody>, ApiError> {
    ops::webauthn_provider(provider.as_deref()).map_err(|e| refused(e, ""))?;
    crate::webauthn::relying_party(state)?;
    let (factor, handle) = ops::enroll_webauthn(state.store.as_ref(), env(state), &user.id)
        .await
        .map_err(|e| refused(e, ""))?;
    let (options, _) = crate::webauthn::begin_registration(state, user, Some(handle)).await?;
    let base = &state.config.base_url;
    let mut body = factor_json(&factor, user, base);
    body.embedded = Some(FactorEmbedded {
        activation: Activation::WebAuthn(options),
    });
    body.links.activate = activate_link(base, user, &factor);
    record(state, &audit, user, ops::ENROLLED);
    Ok(Json(body))
}

/// The passkey a pending WebAuthn factor's registration makes of the browser's `attestation` and `clientData`
/// (base64).
async fn registered_passkey(
    state: &AppState,
    user: &User,
    factor: &Factor,
    body: ActivateBody,
) -> Result<Passkey, ApiError> {
    let (Some(attestation), Some(client_data)) = (body.attestation, body.client_data) else {
        return Err(ApiError::validation(
            "Api validation failed: attestation",
            vec!["attestation and clientData are required to activate a webauthn factor".into()],
        ));
    };
    let expired = || {
        let mut e = invalid_passcode();
        e.causes = vec![
            "The activation has expired or was already attempted: enroll the factor again.".into(),
        ];
        e
    };
    let Some(key) = pending_registration_key(factor, &state.master) else {
        return Err(expired());
    };
    let passkey =
        match crate::webauthn::finish_registration(state, user, &key, &attestation, &client_data)
            .await?
        {
            Ok(p) => p,
            Err(RegistrationFailure::Expired) => return Err(expired()),
            Err(RegistrationFailure::Malformed(field)) => {
                return Err(ApiError::validation(
                    format!("Api validation failed: {field}"),
                    vec![format!("{field}: not base64")],
                ));
            }
            Err(RegistrationFailure::Refused) => {
                let mut e = invalid_passcode();
                e.causes = vec!["The WebAuthn credential could not be verified.".into()];
                return Err(e);
            }
            Err(RegistrationFailure::Duplicate) => {
                return Err(ApiError::validation(
                    "Api validation failed: attestation",
                    vec![
                        "attestation: this authenticator is already registered for the user".into(),
                    ],
                ));
            }
        };
    Ok(passkey)
}

/// The enrolment QR code (an `otpauth://` URI as SVG), while the factor awaits activation.
async fn qr(
    State(state): State<AppState>,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let user = find(&state, &id).await?;
    let factor = find_factor(&state, &user, &fid).await?;
    if factor.status != FactorStatus::PendingActivation || factor.factor_type != FactorType::Totp {
        return Err(ApiError::not_found(&fid, "UserFactor"));
    }
    let secret =
        totp_secret(&factor, &state.master).map_err(|e| ApiError::internal(e.to_string()))?;
    let org = state
        .store
        .org()
        .await?
        .map(|o| o.name)
        .unwrap_or_else(|| "Lanyard".into());
    let uri = totp::otpauth_uri(&org, &user.login, &secret, &TotpConfig::default());
    let svg = totp::qr_svg(&uri).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut r = svg.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    Ok(r)
}

#[derive(schemars::JsonSchema, Deserialize)]
struct PassCode {
    #[serde(rename = "passCode")]
    pass_code: Option<String>,
}

/// What activates a factor: a TOTP `passCode`, or WebAuthn's `attestation` and `clientData`.
#[derive(schemars::JsonSchema, Deserialize)]
struct ActivateBody {
    #[serde(rename = "passCode")]
    pass_code: Option<String>,
    attestation: Option<String>,
    #[serde(rename = "clientData")]
    client_data: Option<String>,
}

async fn activate(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, fid)): Path<(String, String)>,
    OktaJson(body): OktaJson<ActivateBody>,
) -> Result<Json<FactorBody>, ApiError> {
    let user = find(&state, &id).await?;
    let factor = find_factor(&state, &user, &fid).await?;
    ops::check_pending(&factor).map_err(|e| refused(e, &fid))?;
    let store = state.store.as_ref();
    let activated = if factor.factor_type == FactorType::WebAuthn {
        let passkey = registered_passkey(&state, &user, &factor, body).await?;
        ops::save_activated(store, env(&state), factor, &passkey).await
    } else {
        ops::activate_totp(store, env(&state), factor, body.pass_code.as_deref()).await
    }
    .map_err(|e| refused(e, &fid))?;
    record(&state, &audit, &user, ops::ACTIVATED);
    Ok(Json(factor_json(&activated, &user, &state.config.base_url)))
}

async fn verify(
    State(state): State<AppState>,
    Path((id, fid)): Path<(String, String)>,
    OktaJson(body): OktaJson<PassCode>,
) -> Result<Json<VerifyAnswer>, ApiError> {
    let user = find(&state, &id).await?;
    let factor = find_factor(&state, &user, &fid).await?;
    ops::verify(
        state.store.as_ref(),
        env(&state),
        &factor,
        body.pass_code.as_deref(),
    )
    .await
    .map_err(|e| refused(e, &fid))?;
    Ok(Json(VerifyAnswer {
        factor_result: "SUCCESS",
    }))
}

async fn remove(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, fid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let user = find(&state, &id).await?;
    ops::remove(state.store.as_ref(), &user.id, &fid)
        .await
        .map_err(|e| refused(e, &fid))?;
    record(&state, &audit, &user, ops::RESET);
    Ok(StatusCode::NO_CONTENT)
}

/// Logs a factor event with the user as target.
fn record(state: &AppState, audit: &Audit, user: &User, (kind, message): (&str, &str)) {
    state
        .syslog
        .record(audit.event(state, kind, message).target(user_target(user)));
}
