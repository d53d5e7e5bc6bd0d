//! Password recovery in the Authn API, Okta's shapes: `POST /api/v1/authn/recovery/password` (email a reset link;
//! `RECOVERY_CHALLENGE` for everyone), `POST /api/v1/authn/recovery/token` (the link's token for a `stateToken`;
//! `PASSWORD_RESET`), `POST /api/v1/authn/credentials/reset_password` (the new password; `SUCCESS` with a
//! `sessionToken`). The flow is `crate::recovery`'s, shared with the hosted reset page; this file renders it as
//! JSON. Not behind an API token.

use axum::Json;
use axum::extract::State;
use lanyard_core::clock::okta_format;
use serde::Deserialize;

use super::authn::{
    Embedded, NamedLink, Transaction, embedded_user, invalid_state_token, password_policy,
    primary_json,
};
use super::error::ApiError;
use super::extract::OktaJson;
use crate::api::openapi::{Routes, doc};
use crate::recovery;
use crate::signin_flow::{self, Client};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .post(
            "/authn/recovery/password",
            recover_password,
            doc().body::<RecoverPassword>().ok::<Transaction>(),
        )
        .post(
            "/authn/recovery/token",
            verify_recovery_token,
            doc().body::<RecoveryToken>().ok::<Transaction>(),
        )
        .post(
            "/authn/credentials/reset_password",
            reset_password,
            doc().body::<ResetPassword>().ok::<Transaction>(),
        )
}

#[derive(schemars::JsonSchema, Deserialize)]
struct RecoverPassword {
    username: Option<String>,
    #[serde(rename = "factorType")]
    factor_type: Option<String>,
}

/// The one answer to a recovery request, whoever it names.
fn recovery_challenge() -> Transaction {
    Transaction {
        status: "RECOVERY_CHALLENGE",
        factor_result: Some("WAITING"),
        factor_type: Some("EMAIL"),
        recovery_type: Some("PASSWORD"),
        ..Transaction::default()
    }
}

/// What is wrong with a recovery request itself (nothing about the user it names).
fn check_recovery_request(username: &str, factor_type: Option<&str>) -> Result<(), ApiError> {
    if username.trim().is_empty() {
        return Err(ApiError::validation(
            "username",
            vec!["username: The field cannot be left blank".into()],
        ));
    }
    match factor_type {
        None => Ok(()),
        Some(f) if f.eq_ignore_ascii_case("EMAIL") => Ok(()),
        Some(_) => Err(ApiError::validation(
            "factorType",
            vec!["factorType: Only EMAIL recovery is supported".into()],
        )),
    }
}

async fn recover_password(
    State(state): State<AppState>,
    client: Client,
    OktaJson(body): OktaJson<RecoverPassword>,
) -> Result<Json<Transaction>, ApiError> {
    let username = body.username.unwrap_or_default();
    check_recovery_request(&username, body.factor_type.as_deref())?;
    recovery::start(&state, &client, &username).await?;
    Ok(Json(recovery_challenge()))
}

#[derive(schemars::JsonSchema, Deserialize)]
struct RecoveryToken {
    #[serde(rename = "recoveryToken")]
    recovery_token: Option<String>,
}

async fn verify_recovery_token(
    State(state): State<AppState>,
    OktaJson(body): OktaJson<RecoveryToken>,
) -> Result<Json<Transaction>, ApiError> {
    let presented = body.recovery_token.unwrap_or_default();
    let Some(step) = recovery::begin_reset(&state, &presented).await? else {
        return Err(invalid_state_token());
    };
    let base = &state.config.base_url;
    Ok(Json(Transaction {
        state_token: Some(step.state_token.value),
        expires_at: Some(okta_format(step.expires_at)),
        status: "PASSWORD_RESET",
        recovery_type: Some("PASSWORD"),
        embedded: Some(Embedded {
            user: embedded_user(&step.user),
            policy: password_policy(&state),
            ..Embedded::default()
        }),
        links: Some(NamedLink::post(
            "resetPassword",
            format!("{base}/api/v1/authn/credentials/reset_password"),
        )),
        ..Transaction::default()
    }))
}
#[derive(schemars::JsonSchema, Deserialize)]
struct ResetPassword {
    #[serde(rename = "stateToken")]
    state_token: Option<String>,
    #[serde(rename = "newPassword")]
    new_password: Option<String>,
}

async fn reset_password(
    State(state): State<AppState>,
    client: Client,
    OktaJson(body): OktaJson<ResetPassword>,
) -> Result<axum::response::Response, ApiError> {
    let presented = body.state_token.unwrap_or_default();
    let new = body.new_password.unwrap_or_default();
    match recovery::finish_reset(&state, &client, &presented, &new)
        .await
        .map_err(|e| super::users::refused(e, ""))?
    {
        Some(user) => {
            // The sign-on policy decides, as after any password: MFA_REQUIRED or MFA_ENROLL may follow.
            let outcome = signin_flow::after_password_change(&state, &client, user).await?;
            primary_json(&state, &client, outcome).await
        }
        None => Err(invalid_state_token()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::OktaCode;

    #[test]
    fn recovery_requests_need_a_username_and_email_as_the_factor() {
        assert!(check_recovery_request("ada@example.com", None).is_ok());
        assert!(check_recovery_request("ada@example.com", Some("EMAIL")).is_ok());
        assert!(check_recovery_request("ada@example.com", Some("email")).is_ok());
        for (username, factor) in [("", None), ("  ", Some("EMAIL")), ("ada", Some("SMS"))] {
            let e = check_recovery_request(username, factor).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.code),
                (400, OktaCode::ApiValidationFailed)
            );
            assert_eq!(e.causes.len(), 1);
        }
        assert_eq!(
            serde_json::to_value(recovery_challenge()).unwrap(),
            serde_json::json!({"status": "RECOVERY_CHALLENGE", "factorResult": "WAITING", "factorType": "EMAIL",
                   "recoveryType": "PASSWORD"})
        );
    }
}
